//! Running a fused kernel (`OpCode::Fused`): the operands are checked
//! against what the kernel JIT can run — float32 tensors on the CPU (on a
//! CUDA device also float16 or bfloat16 ones, all of one dtype), `bool`
//! tensors where the kernel reads an operand only as a mask
//! (`Kernel::mask_params`: `masked_fill`'s), and `int`/`float` scalars,
//! broadcasting to one output shape that every output
//! has (for a row kernel: the shapes `Kernel::row_shape` accepts, rows not
//! empty) — and then the kernel writes fresh contiguous outputs.
//! Anything else is "cannot run here", and the executor runs the node's
//! block of ordinary ops instead, so results and errors stay PyTorch's.

use crate::shape::{broadcast_all, broadcast_strides};
use crate::storage::Storage;
use crate::{DType, Device, Error, Result, Tensor, Value};
use std::sync::Arc;
use tsc_kernels::jit::cpu::{CpuKernel, Operand};
use tsc_kernels::jit::Kernel;

/// A program's kernel, ready to run.
pub(super) struct Fused {
    cpu: CpuKernel,
    /// For each output, the operands it reads (bit set).
    reads: Vec<u64>,
    /// Every output reads every operand, so every output has the full
    /// broadcast shape (the common case; no per-call check).
    full: bool,
    /// A row kernel: its shapes are checked by `Kernel::row_shape`.
    row: bool,
    /// For each output of a row kernel, whether it is written once per row.
    per_row: Vec<bool>,
    /// The operands the kernel reads (bit set); the others (a
    /// `normalized_shape` list the block's ops need) may be anything.
    used: u64,
    /// The operands it reads only as masks (`Kernel::mask_params`): a
    /// `bool` tensor may feed them (as 0 and 1).
    masks: u64,
}

impl Fused {
    pub fn new(kernel: &Kernel) -> std::result::Result<Fused, String> {
        let reads = kernel.output_params();
        let all = if kernel.num_params >= 64 { u64::MAX } else { (1u64 << kernel.num_params) - 1 };
        let full = reads.iter().all(|&r| r & all == all);
        let (row, per_row) = (kernel.is_row(), kernel.per_row_outputs());
        let used = reads.iter().fold(0, |a, r| a | r);
        let masks = kernel.mask_params();
        Ok(Fused { cpu: CpuKernel::new(kernel.clone())?, reads, full, row, per_row, used, masks })
    }

    pub fn num_outputs(&self) -> usize {
        self.reads.len()
    }

    /// The outputs for `args`, or `None` when the kernel cannot run on
    /// them (the caller falls back to the node's block).
    pub fn try_run(&self, args: &[Value]) -> Result<Option<Vec<Value>>> {
        if args.len() > 64 {
            return Ok(None);
        }
        // The tensors the kernel reads, by operand (`None`: a scalar or
        // unread); `bool` masks on the CPU widened to float32 (a mask is
        // usually small and broadcast, as attention's `[t, t]`).
        // (No allocation for kernels without mask operands: the common case,
        // once per fused call.)
        let mut widened: Vec<Option<Tensor>> = if self.masks == 0 { Vec::new() } else { vec![None; args.len()] };
        let mut device = None;
        for (i, a) in args.iter().enumerate() {
            match a {
                _ if self.used >> i & 1 == 0 => {}
                Value::Tensor(t) if t.dtype() == DType::Bool && self.masks >> i & 1 == 1 => {
                    if t.device() == Device::Cpu {
                        widened[i] = Some(t.to_dtype(DType::F32));
                    }
                }
                Value::Tensor(t) if accepts(t, device) => device = Some((t.device(), t.dtype())),
                Value::Int(_) | Value::Float(_) => {}
                _ => return Ok(None),
            }
        }
        // Masks alone do not say the result's dtype; they must be on the
        // numbers' device.
        let Some((dev, _)) = device else { return Ok(None) };
        let mut tensors: Vec<Option<&Tensor>> = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            tensors.push(match a {
                _ if self.used >> i & 1 == 0 => None,
                Value::Tensor(t) if t.device() == dev => Some(widened.get(i).and_then(Option::as_ref).unwrap_or(t)),
                Value::Tensor(_) => return Ok(None),
                _ => None,
            });
        }
        let shapes: Vec<&[usize]> = tensors.iter().flatten().map(|t| t.shape()).collect();
        if shapes.is_empty() {
            return Ok(None);
        }
        let shape = if self.row {
            let each: Vec<Option<&[usize]>> = tensors.iter().map(|t| t.map(|t| t.shape())).collect();
            match self.cpu.kernel().row_shape(&each) {
                Ok(s) if s.last() != Some(&0) => s,
                _ => return Ok(None),
            }
        } else {
            let Ok(shape) = broadcast_all("fused", &shapes) else { return Ok(None) };
            shape
        };
        // Every output must have the full shape (an output that reads only
        // a smaller operand would be smaller); `row_shape` checked row kernels.
        for &mask in self.reads.iter().filter(|_| !self.full && !self.row) {
            let own: Vec<&[usize]> = tensors.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).filter_map(|(_, t)| t.map(|t| t.shape())).collect();
            match broadcast_all("fused", &own) {
                Ok(s) if s == shape => {}
                _ => return Ok(None),
            }
        }
        if let Some((Device::Cuda(_), dtype)) = device {
            return self.run_cuda(args, &tensors, &shape, dtype).map(Some);
        }
        // One read guard per storage, held while the kernel runs.
        let mut storages: Vec<&Arc<Storage>> = Vec::new();
        for t in tensors.iter().flatten() {
            if !storages.iter().any(|s| Arc::ptr_eq(s, t.storage())) {
                storages.push(t.storage());
            }
        }
        let guards: Vec<_> = storages.iter().map(|s| s.read()).collect();
        let mut strides: Vec<Vec<isize>> = Vec::with_capacity(args.len());
        let mut ptrs: Vec<*const f32> = Vec::with_capacity(args.len());
        for t in tensors.iter().flatten() {
            let k = storages.iter().position(|s| Arc::ptr_eq(s, t.storage())).unwrap_or(0);
            let data = guards[k].slice::<f32>().ok_or_else(|| Error::op("fused", "internal: a float32 tensor without float32 storage"))?;
            if t.numel() > 0 && !in_bounds(t, data.len()) {
                return Err(Error::op("fused", "internal: a tensor view reaches past its storage"));
            }
            ptrs.push(data.as_ptr().wrapping_add(t.offset()));
            strides.push(broadcast_strides(t.shape(), t.strides(), &shape).into_iter().map(|s| s as isize).collect());
        }
        let mut next = ptrs.iter().zip(&strides);
        let operands: Vec<Operand> = args
            .iter()
            .zip(&tensors)
            .map(|(a, t)| match (a, t) {
                (_, Some(_)) => match next.next() {
                    Some((&ptr, strides)) => Operand::Tensor { ptr, strides },
                    None => Operand::Scalar(0.0),
                },
                (Value::Int(i), None) => Operand::Scalar(*i as f32),
                (Value::Float(x), None) => Operand::Scalar(*x as f32),
                _ => Operand::Scalar(0.0), // not read by the kernel
            })
            .collect();
        let row_shape: Vec<usize> = match shape.split_last() {
            Some((_, outer)) if self.row => outer.iter().copied().chain([1]).collect(),
            _ => shape.clone(),
        };
        let out_shape = |j: usize| if self.per_row.get(j) == Some(&true) { &row_shape } else { &shape };
        // SAFETY: `run` writes every element of every output or fails before
        // writing any (then the vectors are dropped unread).
        let mut outs: Vec<Vec<f32>> = (0..self.reads.len()).map(|j| unsafe { crate::alloc::uninit_vec(out_shape(j).iter().product()) }).collect();
        let mut views: Vec<&mut [f32]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
        // SAFETY: every tensor operand points into a float32 storage that
        // a read guard keeps alive and unchanged, and reaches at most its
        // last element (`in_bounds`); broadcast dims have stride 0 and the
        // outputs are fresh vectors.
        unsafe { self.cpu.run(&shape, &operands, &mut views) }.map_err(|e| Error::op("fused", e))?;
        drop(guards);
        outs.into_iter().enumerate().map(|(j, v)| Tensor::from_vec(v, out_shape(j)).map(Value::Tensor)).collect::<Result<Vec<_>>>().map(Some)
    }
}

impl Fused {
    /// The kernel on the CUDA device of `tensors`, through NVRTC.
    fn run_cuda(&self, args: &[Value], tensors: &[Option<&Tensor>], shape: &[usize], dtype: DType) -> Result<Vec<Value>> {
        use crate::cuda::KernelIn;
        let ins: Vec<KernelIn> = args
            .iter()
            .zip(tensors)
            .map(|(a, t)| match (a, t) {
                (_, Some(t)) => KernelIn::T(t),
                (Value::Int(i), None) => KernelIn::S(*i as f32),
                (Value::Float(x), None) => KernelIn::S(*x as f32),
                _ => KernelIn::S(0.0), // not read by the kernel
            })
            .collect();
        let outs = crate::cuda::launch_kernel(self.cpu.kernel(), shape, &ins, dtype)?;
        Ok(outs.into_iter().map(Value::Tensor).collect())
    }
}

/// Whether the kernel can take tensor operand `t` after operands on
/// `first` (device and dtype; `None` for the first): float32 tensors on
/// one device; on a CUDA device float16 or bfloat16 ones too, all of one
/// dtype (computed in float32, stored in that dtype).
fn accepts(t: &Tensor, first: Option<(Device, DType)>) -> bool {
    let ok = match t.device() {
        Device::Cpu => t.dtype() == DType::F32,
        Device::Cuda(_) => matches!(t.dtype(), DType::F32 | DType::F16 | DType::BF16),
    };
    ok && first.is_none_or(|f| f == (t.device(), t.dtype()))
}

/// Whether the furthest element of `t` lies inside a storage of `len`.
fn in_bounds(t: &Tensor, len: usize) -> bool {
    let last = t.shape().iter().zip(t.strides()).map(|(&d, &s)| (d - 1).saturating_mul(s)).fold(t.offset(), |a, b| a.saturating_add(b));
    last < len
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsc_kernels::jit::{CmpOp, Inst};

    /// `masked_fill(x, mask, v)`'s kernel: `select(mask != 0, v, x)`.
    fn masked_fill() -> Fused {
        let insts = vec![Inst::Param(0), Inst::Param(1), Inst::Param(2), Inst::Const(0.0), Inst::Compare(CmpOp::Ne, 1, 3), Inst::Select(4, 2, 0)];
        Fused::new(&Kernel { num_params: 3, insts, outputs: vec![5] }).unwrap()
    }

    /// A `bool` mask takes the kernel (broadcast, as 0 and 1); a mask of
    /// any other dtype, a `bool` number operand, or masks without a
    /// float32 tensor do not (the block's ops run: PyTorch's result or
    /// error).
    #[test]
    fn bool_tensors_feed_mask_operands_only() {
        let f = masked_fill();
        assert_eq!(f.masks, 0b010);
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        let mask = Tensor::from_vec(vec![true, false, true], &[3]).unwrap();
        let args = [Value::Tensor(x.clone()), Value::Tensor(mask.clone()), Value::Float(-1.5)];
        let out = f.try_run(&args).unwrap().expect("the kernel runs");
        assert_eq!(out[0].as_tensor().unwrap().to_vec::<f32>(), [-1.5, 2.0, -1.5, -1.5, 5.0, -1.5]);
        let bytes = Tensor::from_vec(vec![1u8, 0, 1], &[3]).unwrap();
        assert!(f.try_run(&[Value::Tensor(x.clone()), Value::Tensor(bytes), Value::Float(0.0)]).unwrap().is_none());
        assert!(f.try_run(&[Value::Tensor(mask.clone()), Value::Tensor(mask.clone()), Value::Float(0.0)]).unwrap().is_none());
        let numbers = Fused::new(&Kernel { num_params: 2, insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(tsc_kernels::jit::BinaryOp::Add, 0, 1)], outputs: vec![2] }).unwrap();
        assert_eq!(numbers.masks, 0);
        assert!(numbers.try_run(&[Value::Tensor(x), Value::Tensor(mask)]).unwrap().is_none());
    }
}
