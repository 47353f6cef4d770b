//! `triu`/`tril` of a CUDA tensor (float or `bool`) in one select kernel,
//! with no index instruction in the kernel IR: whether element `(i, j)` of
//! the last two dims is kept depends only on `j - i`, so it is read from a
//! step (zeros, then ones) at `base + (j - i)` for `triu` or `base - (j - i)`
//! for `tril`, through strides `(-1, 1)` or `(1, -1)` over those dims (0
//! over the batch dims). The step is two memsets on the stream (nothing
//! crosses from the host); the kernel then selects `x` or 0.

use super::device::GpuBuffer;
use super::launch::{can_store, GpuOperand};
use super::tensor::{err, from_gpu};
use crate::ops::Args;
use crate::{DType, Device, Result, Tensor, Value};
use tsc_kernels::jit::{CmpOp, Inst, Kernel};

/// `triu(x, diagonal)` (`upper`) or `tril(x, diagonal)` on the device;
/// `None` for a CPU tensor, a dtype the select kernel does not store, or
/// fewer than two dims (the CPU op reports that).
pub(super) fn triangle(a: &Args, upper: bool) -> Result<Option<Tensor>> {
    let x = match a.vals.first() {
        Some(Value::Tensor(x))
            if x.device() != Device::Cpu && can_store(x.dtype()) && x.ndim() >= 2 =>
        {
            x
        }
        _ => return Ok(None),
    };
    let Ok(k) = a.int(1) else { return Ok(None) };
    let Some(g) = x.gpu() else { return Ok(None) };
    let shape = x.shape();
    let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let dev = g.dev.clone();
    if x.numel() == 0 {
        let empty = dev.alloc_zeros(x.dtype(), 0).map_err(|e| err(a.op, e))?;
        return from_gpu(dev, empty, shape).map(Some);
    }
    let l = m + n;
    let mut step = dev
        .alloc_zeros(DType::Bool, 2 * l)
        .map_err(|e| err(a.op, e))?;
    dev.fill(&mut step, l..2 * l, &[1])
        .map_err(|e| err(a.op, e))?;
    let (base, dir) = step_read(m, n, k, upper);
    let rank = shape.len();
    let x_strides: Vec<i64> = x.strides().iter().map(|&s| s as i64).collect();
    let mut step_strides = vec![0i64; rank];
    step_strides[rank - 2] = -dir;
    step_strides[rank - 1] = dir;
    use Inst::*;
    // step != 0 ? x : 0
    let insts = vec![
        Param(0),
        Const(0.0),
        Compare(CmpOp::Ne, 0, 1),
        Param(1),
        Select(2, 3, 1),
    ];
    let kernel = Kernel {
        num_params: 2,
        insts,
        outputs: vec![4],
    };
    let xb = g.read();
    let operands = [
        GpuOperand::Tensor {
            buf: &step,
            offset: base,
            strides: &step_strides,
        },
        GpuOperand::Tensor {
            buf: &xb,
            offset: x.offset(),
            strides: &x_strides,
        },
    ];
    let out: Option<GpuBuffer> = dev
        .launch_as(&kernel, shape, &operands, x.dtype())
        .map_err(|e| err(a.op, e))?
        .pop();
    drop(xb);
    let out = out.ok_or_else(|| err(a.op, "internal: a kernel without outputs"))?;
    from_gpu(dev, out, shape).map(Some)
}

/// Where element `(i, j)` reads the step of `L = m + n` zeros then `L`
/// ones: at `base + dir·(j - i)`. The diagonal is clamped to `[-m, n]`
/// (beyond it all or nothing is kept), which keeps every read in
/// `[1, 2L)`, and the first 1 is where `j - i = k`.
fn step_read(m: usize, n: usize, k: i64, upper: bool) -> (usize, i64) {
    let (l, k) = ((m + n) as i64, k.clamp(-(m as i64), n as i64));
    if upper {
        ((l - k) as usize, 1)
    } else {
        ((l + k) as usize, -1)
    }
}

#[cfg(test)]
mod tests {
    use super::step_read;

    #[test]
    fn every_read_is_in_the_step_and_keeps_the_triangle() {
        for (m, n) in [(1, 1), (1, 5), (4, 6), (6, 4), (128, 128)] {
            let l = (m + n) as i64;
            for k in -(m as i64) - 3..n as i64 + 3 {
                for upper in [true, false] {
                    let (base, dir) = step_read(m, n, k, upper);
                    for i in 0..m as i64 {
                        for j in 0..n as i64 {
                            let at = base as i64 + dir * (j - i);
                            assert!(
                                (0..2 * l).contains(&at),
                                "{m}x{n} k={k} upper={upper}: ({i}, {j}) reads {at}"
                            );
                            let keep = if upper { j - i >= k } else { j - i <= k };
                            assert_eq!(at >= l, keep, "{m}x{n} k={k} upper={upper}: ({i}, {j})");
                        }
                    }
                }
            }
        }
    }
}
