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
//!
//! [`Plan::new`] never stores an intermediate value: a pass recomputes the
//! elementwise prologue it needs (the row is in L1 by then).
//! [`Plan::with_scratch`] adds a *row scratch*: `slots` rows of the row's
//! length that a pass saves values to and later passes load instead of
//! recomputing them. A row-varying number computed in pass p is saved when
//! a later pass needs it (at the frontier of what it would recompute) and
//! recomputing it costs at least [`MIN_SAVE_COST`] (softmax's `exp(x -
//! max)` is computed once, not twice; layer_norm's `x - mean` is
//! recomputed). A slot is reused once no later pass loads its value; a
//! pass that loads a slot and saves to it reads each element before it
//! writes it.

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
    /// Rows of row scratch the passes use ([`Plan::with_scratch`]; 0 for
    /// [`Plan::new`]).
    pub slots: usize,
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
    /// `(slot, value)`: values this loop loads from the row scratch (an
    /// earlier pass saved them) instead of computing them.
    pub loads: Vec<(usize, u32)>,
    /// `(slot, value)`: values this loop computes and saves for later passes.
    pub saves: Vec<(usize, u32)>,
}

/// Weighted ops (a transcendental counts 16) a value must cost to recompute
/// before a row-scratch save and load (two L1 accesses) replace it.
pub(crate) const MIN_SAVE_COST: usize = 3;

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
        let none = vec![false; insts.len()];
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
                let Cut { compute, reads, .. } = cut_closure(kernel, &uniform, &roots, &none);
                Pass {
                    compute,
                    reads,
                    reduces,
                    stores: vec![],
                    loads: vec![],
                    saves: vec![],
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
            let Cut { compute, reads, .. } = cut_closure(kernel, &uniform, &roots, &none);
            Pass {
                compute,
                reads,
                reduces: vec![],
                stores,
                loads: vec![],
                saves: vec![],
            }
        });
        Plan {
            uniform,
            phase,
            stages,
            last,
            per_row,
            slots: 0,
        }
    }

    /// [`Plan::new`] with a row scratch (see the module doc). `keep[i]`:
    /// value i must be computed where it is used, never saved (the CPU
    /// backend's multiplies folded into an FMA).
    pub fn with_scratch(kernel: &Kernel, keep: &[bool]) -> Plan {
        let mut plan = Plan::new(kernel);
        let insts = &kernel.insts;
        let n = insts.len();
        let mut passes: Vec<&mut Pass> = plan.stages.iter_mut().chain(plan.last.as_mut()).collect();
        let roots: Vec<Vec<u32>> = passes.iter().map(|p| pass_roots(kernel, p)).collect();
        let uniform = &plan.uniform;
        // `held[v]`: the slot holding value v after the passes so far.
        let mut held: Vec<Option<usize>> = vec![None; n];
        let (mut free, mut slots) = (Vec::<usize>::new(), 0usize);
        // Row-varying numbers a pass computes may be saved (not params: they
        // are loaded anyway).
        let saveable = |v: usize| {
            !keep[v] && !matches!(insts[v], Inst::Param(_)) && insts[v].kind() == Kind::Number
        };
        for p in 0..passes.len() {
            let leaves: Vec<bool> = held.iter().map(Option::is_some).collect();
            let cut = cut_closure(kernel, uniform, &roots[p], &leaves);
            let pass_loads: Vec<(usize, u32)> = (0..n)
                .filter(|&v| cut.hit[v])
                .filter_map(|v| Some((held[v]?, v as u32)))
                .collect();
            // What later passes would take from this one, were all of it saved.
            let offered: Vec<bool> = (0..n).map(|v| leaves[v] || (cut.compute[v] && saveable(v))).collect();
            let wanted = hits(kernel, uniform, &roots[p + 1..], &offered);
            let saves: Vec<u32> = (0..n)
                .filter(|&v| wanted[v] && cut.compute[v] && saveable(v))
                .filter(|&v| {
                    let only = cut_closure(kernel, uniform, &[v as u32], &leaves);
                    cost_of(kernel, &only.compute) >= MIN_SAVE_COST
                })
                .map(|v| v as u32)
                .collect();
            // Slots whose values no later pass loads are free again.
            let mut after = leaves.clone();
            for &v in &saves {
                after[v as usize] = true;
            }
            let live = hits(kernel, uniform, &roots[p + 1..], &after);
            for (h, _) in held.iter_mut().zip(&live).filter(|(_, &l)| !l) {
                free.extend(h.take());
            }
            let mut pass_saves = vec![];
            for v in saves {
                let slot = free.pop().unwrap_or_else(|| {
                    slots += 1;
                    slots - 1
                });
                held[v as usize] = Some(slot);
                pass_saves.push((slot, v));
            }
            let pass = &mut passes[p];
            pass.compute = cut.compute;
            pass.reads = cut.reads;
            pass.loads = pass_loads;
            pass.saves = pass_saves;
        }
        plan.slots = slots;
        plan
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
                    .map(|(i, _)| weight(&kernel.insts[i]))
            })
            .sum();
        ops.div_ceil(8).max(1)
    }
}

/// The values a pass is built around: the operands of its folds and the
/// values it stores.
fn pass_roots(kernel: &Kernel, pass: &Pass) -> Vec<u32> {
    let folds = pass.reduces.iter().map(|&r| kernel.insts[r as usize].operands()[0]);
    folds.chain(pass.stores.iter().map(|&(_, v)| v)).collect()
}

/// What a loop computes to get `roots` when the `leaves` are given (loaded
/// from the row scratch): `compute`, `hit` (the leaves it reads) and
/// `reads` (the uniform numbers it reads, in order).
struct Cut {
    compute: Vec<bool>,
    hit: Vec<bool>,
    reads: Vec<u32>,
}

fn cut_closure(kernel: &Kernel, uniform: &[bool], roots: &[u32], leaves: &[bool]) -> Cut {
    let n = kernel.insts.len();
    let (mut want, mut compute, mut hit) = (vec![false; n], vec![false; n], vec![false; n]);
    let mut reads = vec![];
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
        if leaves[i] {
            hit[i] = true;
            continue;
        }
        compute[i] = true;
        for a in kernel.insts[i].operands() {
            want[a as usize] = true;
        }
    }
    reads.reverse();
    Cut { compute, hit, reads }
}

/// The leaves any of the passes built around `roots` reads.
fn hits(kernel: &Kernel, uniform: &[bool], roots: &[Vec<u32>], leaves: &[bool]) -> Vec<bool> {
    let mut hit = vec![false; leaves.len()];
    for r in roots {
        let c = cut_closure(kernel, uniform, r, leaves);
        hit.iter_mut().zip(&c.hit).for_each(|(a, &b)| *a |= b);
    }
    hit
}

/// Weighted ops of the values in `compute` (a transcendental counts 16).
/// Params cost nothing here: the pass loads them anyway.
fn cost_of(kernel: &Kernel, compute: &[bool]) -> usize {
    let insts = &kernel.insts;
    (0..compute.len())
        .filter(|&i| compute[i] && !matches!(insts[i], Inst::Param(_)))
        .map(|i| weight(&insts[i]))
        .sum()
}

/// One instruction in simple-op units (a transcendental counts 16).
fn weight(inst: &Inst) -> usize {
    match *inst {
        Inst::Unary(op, _) if is_heavy(op) => 16,
        _ => 1,
    }
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

    /// `exp(x - max(x)) / sum(exp(x - max(x)))`.
    fn softmax() -> Kernel {
        use Inst::*;
        Kernel {
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
        }
    }

    /// softmax: max pass, sum-of-exp pass, and a last pass that stores.
    #[test]
    fn softmax_has_two_reduction_passes() {
        let k = softmax();
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

    /// softmax saves `exp(x - max)` in its sum pass and the last pass
    /// loads it: one exp per element, not two.
    #[test]
    fn softmax_saves_its_exp() {
        let k = softmax();
        let p = Plan::with_scratch(&k, &[false; 6]);
        assert_eq!(p.slots, 1);
        assert_eq!(p.stages[0].saves, vec![], "x itself is never saved");
        assert_eq!(p.stages[1].saves, vec![(0, 3)]);
        let last = p.last.as_ref().expect("softmax stores its output");
        assert_eq!(last.loads, vec![(0, 3)]);
        assert_eq!(last.compute, vec![false, false, false, false, false, true]);
        assert_eq!(last.reads, vec![4], "the max is no longer read");
        assert!(p.cost(&k) < Plan::new(&k).cost(&k));
    }

    /// Cheap values are recomputed (layer_norm's `x - mean`), values kept
    /// for an FMA are never saved, and a slot is reused once its value is
    /// dead: layer_norm then softmax needs one slot.
    #[test]
    fn cheap_values_recompute_and_slots_are_reused() {
        use Inst::*;
        let ln = vec![
            Param(0),                     // 0 x
            Reduce(ReduceOp::Sum, 0),     // 1
            RowLen,                       // 2
            Binary(BinaryOp::Div, 1, 2),  // 3 mean
            Binary(BinaryOp::Sub, 0, 3),  // 4 d
            Binary(BinaryOp::Mul, 4, 4),  // 5
            Reduce(ReduceOp::Sum, 5),     // 6
            Binary(BinaryOp::Div, 6, 2),  // 7 var
            Unary(UnaryOp::Rsqrt, 7),     // 8
            Binary(BinaryOp::Mul, 4, 8),  // 9
            Param(1),                     // 10 w
            Binary(BinaryOp::Mul, 9, 10), // 11
            Param(2),                     // 12 b
            Binary(BinaryOp::Add, 11, 12), // 13 y
        ];
        let k = Kernel { num_params: 3, insts: ln.clone(), outputs: vec![13] };
        let p = Plan::with_scratch(&k, &[false; 14]);
        assert_eq!(p.slots, 0, "layer_norm recomputes x - mean");

        let mut insts = ln;
        insts.extend([
            Reduce(ReduceOp::Max, 13),     // 14
            Binary(BinaryOp::Sub, 13, 14), // 15
            Unary(UnaryOp::Exp, 15),       // 16
            Reduce(ReduceOp::Sum, 16),     // 17
            Binary(BinaryOp::Div, 16, 17), // 18
        ]);
        let k = Kernel { num_params: 3, insts, outputs: vec![18] };
        let p = Plan::with_scratch(&k, &[false; 19]);
        assert_eq!(p.slots, 1);
        assert_eq!(p.stages[2].saves, vec![(0, 13)], "y, by the max pass");
        assert_eq!(p.stages[3].loads, vec![(0, 13)]);
        assert_eq!(p.stages[3].saves, vec![(0, 16)], "exp into y's slot");
        assert_eq!(p.last.as_ref().map(|l| l.loads.clone()), Some(vec![(0, 16)]));
        // The multiply folded into y's FMA is kept: y is still saved.
        let mut keep = vec![false; 19];
        keep[11] = true;
        let p = Plan::with_scratch(&k, &keep);
        assert_eq!(p.stages[2].saves, vec![(0, 13)]);
        // y kept: what it is computed from is saved instead, y recomputed.
        let mut keep = vec![false; 19];
        keep[13] = true;
        let p = Plan::with_scratch(&k, &keep);
        assert_eq!(p.stages[2].saves, vec![(0, 11)], "a kept value is recomputed");
        assert!(p.stages[3].compute[13] && !p.stages[3].compute[11]);
        assert_eq!(p.stages[3].saves, vec![(0, 16)]);
    }
}
