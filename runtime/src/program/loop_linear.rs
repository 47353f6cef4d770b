//! `linear(x[t], W, b)` inside a loop whose `x` is defined outside it (an
//! RNN's input projection, stepped by a Python `for`): the plan turns the
//! `getitem` + `linear` pair into one [`POp::LoopLinear`] node, which at
//! the loop's first step computes `linear(x, W, b)` for every row of `x` at
//! once (one GEMM instead of a matrix-vector product per step) and then
//! selects row `t` at each step.
//!
//! `linear(x, W, b)[t] == linear(x[t], W, b)` whenever the index is one
//! integer and `x` has at least two dims, and both sides raise the same
//! errors for an index out of range; the node checks both at run time and
//! otherwise (or when `linear(x, ..)` fails) runs the two ops as written,
//! so results change at most by float rounding and errors not at all. The
//! rows use the packed weight when `packed.rs` packs it. The
//! rows are cached in a plan-owned slot that the loop node frees when the
//! loop ends, keyed by `x`'s identity (storage, offset, shape, strides);
//! loops whose body writes to any tensor in place are left alone, so a
//! cached row is never stale.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use tsc_kernels::gemm::PackedB;

use super::call::call;
use super::exec::internal;
use super::plan::{use_counts, PBlock, PNode, POp};
use crate::ops::Overload;
use crate::{Result, Tensor, Value};

/// Rewrites every eligible `getitem` + `linear` pair; new cache slots are
/// numbered from `*num_slots`, which grows by one per rewrite.
pub(super) fn hoist_loop_linears(blocks: &mut [PBlock], num_slots: &mut usize) {
    let uses = use_counts(blocks);
    let mut def_block: HashMap<u32, usize> = HashMap::new();
    for (bi, b) in blocks.iter().enumerate() {
        def_block.extend(b.params.iter().map(|&s| (s, bi)));
        def_block.extend(b.nodes.iter().flat_map(|n| n.outputs.iter().map(move |&s| (s, bi))));
    }
    // (loop's block, loop node, body, the getitem's row slot)
    let mut found = Vec::new();
    for (pi, p) in blocks.iter().enumerate() {
        for (li, l) in p.nodes.iter().enumerate() {
            let (POp::Loop, Some(&body)) = (&l.op, l.blocks.first()) else { continue };
            let nested = subtree(blocks, body as usize);
            let writes = nested.iter().any(|&b| blocks[b].nodes.iter().any(|n| matches!(&n.op, POp::InPlace { .. }) || matches!(&n.op, POp::Call { name, .. } if name.ends_with('_'))));
            if writes {
                continue;
            }
            let nodes = &blocks[body as usize].nodes;
            for (gi, g) in nodes.iter().enumerate() {
                let (POp::Call { name, .. }, [(x, _), _], [row]) = (&g.op, g.inputs.as_slice(), g.outputs.as_slice()) else { continue };
                if name != "getitem" || def_block.get(x).is_none_or(|b| nested.contains(b)) || uses.get(row) != Some(&1) {
                    continue;
                }
                if nodes[gi + 1..].iter().any(|n| is_linear_of(n, *row)) {
                    found.push((pi, li, body as usize, *row));
                }
            }
        }
    }
    // Cache slots go on the loop nodes before any node moves.
    let mut work = Vec::new();
    for (pi, li, body, row) in found {
        blocks[pi].nodes[li].free.push(*num_slots as u32);
        work.push((body, row, *num_slots as u32));
        *num_slots += 1;
    }
    for (body, row, cache) in work {
        let b = &mut blocks[body];
        let (Some(gi), Some(lin)) = (b.nodes.iter().position(|n| n.outputs == [row]), b.nodes.iter().position(|n| is_linear_of(n, row))) else { continue };
        let (POp::Call { overloads: getitem, .. }, POp::Call { overloads: linear, .. }) = (&b.nodes[gi].op, &b.nodes[lin].op) else { continue };
        let (getitem, linear) = (*getitem, *linear);
        let g = b.nodes.remove(gi);
        let n = &mut b.nodes[lin - 1];
        n.op = POp::LoopLinear { cache, packed: None, getitem, linear };
        n.inputs = g.inputs.iter().copied().chain(n.inputs[1..].iter().copied()).collect();
        n.free.retain(|&s| s != row);
        n.free.extend(g.free);
    }
}

/// Whether `n` is `linear(row, ..)`.
fn is_linear_of(n: &PNode, row: u32) -> bool {
    matches!(&n.op, POp::Call { name, .. } if name == "linear") && n.inputs.first().is_some_and(|&(s, _)| s == row)
}

/// `b` and every block nested in it.
fn subtree(blocks: &[PBlock], b: usize) -> HashSet<usize> {
    let mut seen = HashSet::from([b]);
    let mut todo = vec![b];
    while let Some(b) = todo.pop() {
        for n in blocks.get(b).map(|b| b.nodes.as_slice()).unwrap_or_default() {
            for &c in &n.blocks {
                if seen.insert(c as usize) {
                    todo.push(c as usize);
                }
            }
        }
    }
    seen
}

/// Runs a [`POp::LoopLinear`] node on `[x, index, weight, bias...]`.
pub(super) fn loop_linear(args: Vec<Value>, cache: &mut Option<Value>, packed: Option<&OnceLock<Option<PackedB>>>, getitem: &'static [Overload], linear: &'static [Overload]) -> Result<Value> {
    let mut args = args.into_iter();
    let (Some(x), Some(index)) = (args.next(), args.next()) else { return Err(internal("LoopLinear without its operands")) };
    let rest: Vec<Value> = args.collect();
    let one_int = matches!(&index, Value::Int(_)) || matches!(&index, Value::Tuple(t) if matches!(t.as_slice(), [Value::Int(_)]));
    if let (Value::Tensor(xt), true) = (&x, one_int) {
        if xt.ndim() >= 2 {
            let hit = matches!(cache.as_ref(), Some(Value::Tuple(c)) if matches!(c.as_slice(), [Value::Tensor(k), _] if same_view(k, xt)));
            if !hit {
                let all: Vec<Value> = std::iter::once(x.clone()).chain(rest.iter().cloned()).collect();
                let rows = match packed.and_then(|p| super::packed::linear(&all, p)) {
                    Some(rows) => rows,
                    None => call("linear", linear, all),
                };
                *cache = rows.ok().map(|rows| Value::Tuple(vec![x.clone(), rows]));
            }
            if let Some(Value::Tuple(c)) = cache.as_ref() {
                return call("getitem", getitem, vec![c[1].clone(), index]);
            }
        }
    }
    let row = call("getitem", getitem, vec![x, index])?;
    call("linear", linear, std::iter::once(row).chain(rest).collect())
}

/// Whether `a` and `b` are the same view of the same storage.
fn same_view(a: &Tensor, b: &Tensor) -> bool {
    a.same_storage(b) && a.offset() == b.offset() && a.shape() == b.shape() && a.strides() == b.strides() && a.dtype() == b.dtype()
}
