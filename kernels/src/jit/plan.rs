//! The stage plan of a kernel, shared by the backends: which values each
//! pass over the row computes, and which are computed once per row as
//! scalars (the CPU JIT runs each pass as a vector loop; the CUDA emitter as
//! a block-strided loop ending in a block reduction).
//!
//! An elementwise kernel is one pass that computes everything and stores
//! every output. A row kernel is split at its reductions:
//!
//! - every value gets a *phase*: the number of reduction passes that must
//!   run before it can be computed (a reduction of a row-varying value ends
//!   the pass after its operand's phase, so `phase(reduce v) = phase(v) +
//!   1`; anything else is as late as its latest operand);
//! - pass k (1..=P) loops over the row computing only the row-varying values
//!   that the reductions of phase k read, and folds them; reductions of the
//!   same phase share the pass (`sum(x)`, `amax(x)`, `amin(x)`: one loop);
//! - after pass k (and before pass 1, phase 0) the row-uniform values of
//!   phase k are computed once, as scalars — including reductions of a
//!   row-uniform value (`n·v` for a sum, `v` for max/min, the fold's
//!   identity when `n == 0`);
//! - the last pass computes the row-varying outputs and stores them; the
//!   per-row outputs are stored once, after the last scalar phase.
//!
//! Row-uniform numbers are never recomputed in a loop: the loop reads them
//! (splatted into vectors). Row-uniform masks are recomputed where a loop
//! needs them (one compare of two splats), so masks never cross a pass.
//! Intermediate values are never stored: a pass recomputes the elementwise
//! prologue it needs (the row is in L1 by then).

use crate::jit::ir::{Inst, Kernel, Kind, UnaryOp};

/// The plan of one kernel (independent of the operand layout).
pub(crate) struct Plan {
    /// Value i is computed once per row as a scalar (all false for an
    /// elementwise kernel: its constants are computed in the loop).
    pub uniform: Vec<bool>,
    /// For a uniform value: the scalar phase that computes it.
    pub phase: Vec<usize>,
    /// The reduction passes, in order (`stages[k]` is pass k + 1).
    pub stages: Vec<Pass>,
    /// The pass that stores the row-varying outputs (`None`: there are none).
    pub last: Option<Pass>,
    /// Per output: written once per row.
    pub per_row: Vec<bool>,
}

/// One loop over the row.
pub(crate) struct Pass {
    /// The values computed at every element.
    pub compute: Vec<bool>,
    /// The uniform numbers the loop reads (splatted before it).
    pub reads: Vec<u32>,
    /// The reductions folded in this pass (their value indices).
    pub reduces: Vec<u32>,
    /// `(output j, value)` stored at every element.
    pub stores: Vec<(usize, u32)>,
}

impl Plan {
    /// The plan of `kernel` (which must pass `Kernel::check`).
    pub fn new(kernel: &Kernel) -> Plan {
        let insts = &kernel.insts;
        let row = kernel.is_row();
        let uniform = if row {
            kernel.uniform()
        } else {
            vec![false; insts.len()]
        };
        let mut phase = vec![0usize; insts.len()];
        for (i, inst) in insts.iter().enumerate() {
            phase[i] = match *inst {
                Inst::Reduce(_, a) if !uniform[a as usize] => phase[a as usize] + 1,
                _ => inst
                    .operands()
                    .iter()
                    .map(|&a| phase[a as usize])
                    .max()
                    .unwrap_or(0),
            };
        }
        let folds = |i: usize| matches!(insts[i], Inst::Reduce(_, a) if !uniform[a as usize]);
        let passes = (0..insts.len())
            .filter(|&i| folds(i))
            .map(|i| phase[i])
            .max()
            .unwrap_or(0);
        let stages = (1..=passes)
            .map(|k| {
                let reduces: Vec<u32> = (0..insts.len())
                    .filter(|&i| folds(i) && phase[i] == k)
                    .map(|i| i as u32)
                    .collect();
                let roots: Vec<u32> = reduces
                    .iter()
                    .map(|&r| insts[r as usize].operands()[0])
                    .collect();
                let (compute, reads) = closure(kernel, &uniform, &roots);
                Pass {
                    compute,
                    reads,
                    reduces,
                    stores: vec![],
                }
            })
            .collect();
        let per_row = kernel.per_row_outputs();
        let stores: Vec<(usize, u32)> = kernel
            .outputs
            .iter()
            .enumerate()
            .filter(|&(j, _)| !per_row[j])
            .map(|(j, &o)| (j, o))
            .collect();
        let last = (!stores.is_empty()).then(|| {
            let roots: Vec<u32> = stores.iter().map(|&(_, o)| o).collect();
            let (compute, reads) = closure(kernel, &uniform, &roots);
            Pass {
                compute,
                reads,
                reduces: vec![],
                stores,
            }
        });
        Plan {
            uniform,
            phase,
            stages,
            last,
            per_row,
        }
    }

    /// The uniform values scalar phase `k` computes (the reductions of
    /// row-varying values come from the passes instead).
    pub fn scalar_phase(&self, kernel: &Kernel, k: usize) -> Vec<bool> {
        (0..kernel.insts.len())
            .map(|i| {
                let folded =
                    matches!(kernel.insts[i], Inst::Reduce(_, a) if !self.uniform[a as usize]);
                self.uniform[i] && self.phase[i] == k && !folded
            })
            .collect()
    }

    /// Cost per element in simple-op units, over every pass (decides
    /// threading; a transcendental counts 16).
    pub fn cost(&self, kernel: &Kernel) -> usize {
        let passes = self.stages.iter().chain(&self.last);
        let ops: usize = passes
            .flat_map(|p| {
                p.compute
                    .iter()
                    .enumerate()
                    .filter(|&(_, &c)| c)
                    .map(|(i, _)| match kernel.insts[i] {
                        Inst::Unary(op, _) if is_heavy(op) => 16,
                        _ => 1,
                    })
            })
            .sum();
        ops.div_ceil(8).max(1)
    }
}

/// The values a loop must compute to get `roots`, and the uniform numbers it
/// reads instead of computing them.
fn closure(kernel: &Kernel, uniform: &[bool], roots: &[u32]) -> (Vec<bool>, Vec<u32>) {
    let n = kernel.insts.len();
    let (mut want, mut compute, mut reads) = (vec![false; n], vec![false; n], vec![]);
    for &r in roots {
        want[r as usize] = true;
    }
    for i in (0..n).rev() {
        if !want[i] {
            continue;
        }
        if uniform[i] && kernel.insts[i].kind() == Kind::Number {
            reads.push(i as u32);
            continue;
        }
        compute[i] = true;
        for a in kernel.insts[i].operands() {
            want[a as usize] = true;
        }
    }
    reads.reverse();
    (compute, reads)
}

/// A polynomial approximation (tens of instructions), not one instruction.
pub(crate) fn is_heavy(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(
        op,
        Exp | Log | Tanh | Sigmoid | Erf | Gelu | GeluTanh | Silu
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::{BinaryOp, ReduceOp};

    /// softmax: max pass, sum-of-exp pass, and a last pass that stores.
    #[test]
    fn softmax_has_two_reduction_passes() {
        use Inst::*;
        let k = Kernel {
            num_params: 1,
            insts: vec![
                Param(0),
                Reduce(ReduceOp::Max, 0),
                Binary(BinaryOp::Sub, 0, 1),
                Unary(UnaryOp::Exp, 2),
                Reduce(ReduceOp::Sum, 3),
                Binary(BinaryOp::Div, 3, 4),
            ],
            outputs: vec![5],
        };
        let p = Plan::new(&k);
        assert_eq!(p.stages.len(), 2);
        assert_eq!(p.stages[0].reduces, vec![1]);
        assert_eq!(
            p.stages[0].compute,
            vec![true, false, false, false, false, false]
        );
        assert_eq!(p.stages[1].reduces, vec![4]);
        assert_eq!(p.stages[1].reads, vec![1]);
        assert_eq!(
            p.stages[1].compute,
            vec![true, false, true, true, false, false]
        );
        let last = p.last.as_ref().expect("softmax stores its output");
        assert_eq!(last.reads, vec![1, 4]);
        assert_eq!(last.stores, vec![(0, 5)]);
        assert!(p.cost(&k) >= 4);
    }

    /// Independent reductions share a pass; a reduction of a uniform value
    /// is a scalar; uniform masks are recomputed, not read.
    #[test]
    fn shared_passes_and_scalar_folds() {
        use Inst::*;
        let k = Kernel {
            num_params: 1,
            insts: vec![
                Param(0),
                Reduce(ReduceOp::Sum, 0),
                Reduce(ReduceOp::Max, 0),
                Const(2.0),
                Reduce(ReduceOp::Sum, 3),
                Compare(crate::jit::ir::CmpOp::Gt, 1, 2),
                Select(5, 0, 3),
            ],
            outputs: vec![1, 2, 4, 6],
        };
        let p = Plan::new(&k);
        assert_eq!(p.stages.len(), 1);
        assert_eq!(p.stages[0].reduces, vec![1, 2]);
        assert_eq!(p.per_row, vec![true, true, true, false]);
        assert_eq!(p.phase[4], 0, "sum of a constant needs no pass");
        assert!(p.scalar_phase(&k, 0)[4]);
        assert!(!p.scalar_phase(&k, 1)[1], "pass results are not recomputed");
        let last = p.last.as_ref().expect("one full output");
        assert!(
            last.compute[5],
            "the uniform mask is recomputed in the loop"
        );
        assert_eq!(last.reads, vec![1, 2, 3]);
    }
}
