//! The launch-side kernel cache: the loaded module of each kernel-IR
//! kernel with its operand and output kinds, found without generating its
//! CUDA C. Generating the source (about 3 KB) and hashing it to find the
//! module took 2–3 µs of host time per launch, which host-bound workloads
//! (a transformer block at batch 1: some 20 launches) pay on every call.
//!
//! A hit compares the whole specialization (constants by their bits), so a
//! hash collision costs a lookup, never a wrong kernel.

use super::device::Loaded;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use tsc_kernels::jit::cuda::{CudaOperand, CudaOutput};
use tsc_kernels::jit::{Inst, Kernel};

/// One kernel's specialization: what its generated source depends on.
struct Spec {
    kernel: Kernel,
    operands: Vec<CudaOperand>,
    outputs: Vec<CudaOutput>,
}

/// The specializations whose [`spec_hash`] is one value, with their modules.
type Bucket = Vec<(Spec, Arc<Loaded>)>;

/// Loaded kernels by specialization, bucketed by [`spec_hash`].
#[derive(Default)]
pub(super) struct LaunchCache(Mutex<HashMap<u64, Bucket>>);

impl LaunchCache {
    /// The module of `kernel` with these operand and output kinds, from
    /// the cache or else from `load` (which generates, compiles and loads
    /// it), then cached.
    pub(super) fn get_or_load(
        &self,
        kernel: &Kernel,
        operands: &[CudaOperand],
        outputs: &[CudaOutput],
        load: impl FnOnce() -> Result<Arc<Loaded>, String>,
    ) -> Result<Arc<Loaded>, String> {
        let h = spec_hash(kernel, operands, outputs);
        let same = |s: &Spec| {
            s.operands == operands && s.outputs == outputs && same_kernel(&s.kernel, kernel)
        };
        {
            let map = self.0.lock().map_err(|_| "cuda: kernel cache poisoned")?;
            if let Some((_, l)) = map.get(&h).and_then(|b| b.iter().find(|(s, _)| same(s))) {
                return Ok(l.clone());
            }
        }
        let loaded = load()?;
        let spec = Spec {
            kernel: kernel.clone(),
            operands: operands.to_vec(),
            outputs: outputs.to_vec(),
        };
        let mut map = self.0.lock().map_err(|_| "cuda: kernel cache poisoned")?;
        let bucket = map.entry(h).or_default();
        if !bucket.iter().any(|(s, _)| same(s)) {
            bucket.push((spec, loaded.clone()));
        }
        Ok(loaded)
    }
}

/// Whether two kernels are the same instruction for instruction, constants
/// compared by their bits (`-0.0` and `0.0` differ; a NaN equals itself).
fn same_kernel(a: &Kernel, b: &Kernel) -> bool {
    a.num_params == b.num_params
        && a.outputs == b.outputs
        && a.insts.len() == b.insts.len()
        && a.insts.iter().zip(&b.insts).all(|(x, y)| match (x, y) {
            (Inst::Const(p), Inst::Const(q)) => p.to_bits() == q.to_bits(),
            _ => x == y,
        })
}

/// A hash of everything [`same_kernel`] and the kinds compare.
fn spec_hash(kernel: &Kernel, operands: &[CudaOperand], outputs: &[CudaOutput]) -> u64 {
    let mut h = DefaultHasher::new();
    (kernel.num_params, &kernel.outputs, operands, outputs).hash(&mut h);
    for inst in &kernel.insts {
        std::mem::discriminant(inst).hash(&mut h);
        match *inst {
            Inst::Param(k) => k.hash(&mut h),
            Inst::Const(c) => c.to_bits().hash(&mut h),
            Inst::Unary(op, a) => (op, a).hash(&mut h),
            Inst::Binary(op, a, b) => (op, a, b).hash(&mut h),
            Inst::Compare(op, a, b) => (op, a, b).hash(&mut h),
            Inst::Select(m, a, b) => (m, a, b).hash(&mut h),
            Inst::Reduce(op, a) => (op, a).hash(&mut h),
            Inst::RowLen => {}
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsc_kernels::jit::UnaryOp;

    fn k(c: f64) -> Kernel {
        Kernel {
            num_params: 1,
            insts: vec![Inst::Param(0), Inst::Const(c), Inst::Unary(UnaryOp::Exp, 0)],
            outputs: vec![2],
        }
    }

    #[test]
    fn constants_compare_by_bits() {
        assert!(same_kernel(&k(1.5), &k(1.5)));
        assert!(same_kernel(&k(f64::NAN), &k(f64::NAN)));
        assert!(!same_kernel(&k(0.0), &k(-0.0)));
        assert_ne!(
            spec_hash(&k(0.0), &[CudaOperand::Tensor], &[CudaOutput::F32]),
            spec_hash(&k(-0.0), &[CudaOperand::Tensor], &[CudaOutput::F32])
        );
        let mut other = k(1.5);
        other.insts[2] = Inst::Unary(UnaryOp::Tanh, 0);
        assert!(!same_kernel(&k(1.5), &other));
    }
}
