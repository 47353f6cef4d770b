//! Constant folding: a runtime op (`Op::Aten`) or scalar op whose operands
//! are all constants — literals, named constants, or `list_construct` /
//! `tuple_construct` of constants (a list only when nothing can mutate it:
//! every use reads it) — and that has no side effects is
//! evaluated (runtime ops through `tsc_runtime`'s eager op, scalar ops by
//! `ScalarOp::eval`) and replaced by `const` nodes: numbers, strings, dtypes
//! as literals, tensors as new named blobs (`@wN`, a fresh contiguous copy).
//! A node is left alone when evaluation fails (the error stays a runtime
//! error), when a result is a list, when a tensor result has more than
//! `MAX_FOLD_NUMEL` elements (weights are not invented), when the graph
//! writes into some tensor (a folded blob is shared by every run), or when
//! the result's type does not refine the declared output type.

use crate::entity::{Block, Node, Value};
use crate::error::PassError;
use crate::graph::{ConstValue, Graph};
use crate::op::{const_type, node_has_side_effects, Literal, Op};
use crate::passes::read_only_lists;
use crate::types::Type;
use std::collections::{HashMap, HashSet};
use crate::eval::{literal_value, to_literal};
use tsc_runtime::Value as RtValue;

/// Largest tensor result folded into a new blob.
pub const MAX_FOLD_NUMEL: usize = 1 << 16;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut subst = HashMap::new();
    let frozen = read_only_lists(g);
    let fold_tensors = !writes_tensors(g);
    let changed = block(g, g.entry, &mut subst, &frozen, fold_tensors);
    g.replace_uses(&subst);
    Ok(changed)
}

/// Whether some runtime op writes into a tensor (`add_`, `setitem`): then
/// a folded tensor could be written, and the blob is shared by every run,
/// so no tensor result is folded.
fn writes_tensors(g: &Graph) -> bool {
    g.reachable_blocks().iter().any(|&(b, _)| {
        g.block(b).nodes.iter().any(|&n| matches!(&g.node(n).op, Op::Aten(a) if !a.is_random()) && node_has_side_effects(g, n))
    })
}

fn block(g: &mut Graph, b: Block, subst: &mut HashMap<Value, Value>, frozen: &HashSet<Value>, fold_tensors: bool) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < g.block(b).nodes.len() {
        let n = g.block(b).nodes[i];
        let inputs: Vec<Value> = g.node(n).inputs.iter().map(|v| *subst.get(v).unwrap_or(v)).collect();
        g.node_mut(n).inputs = inputs;
        for inner in g.node(n).blocks.clone() {
            changed |= block(g, inner, subst, frozen, fold_tensors);
        }
        match fold(g, n, frozen, fold_tensors) {
            Some(results) => {
                let outputs = g.node(n).outputs.clone();
                let new_nodes: Vec<Node> = results.iter().filter_map(|&r| g.def_node(r)).collect();
                subst.extend(outputs.into_iter().zip(results));
                let k = new_nodes.len();
                g.block_mut(b).nodes.splice(i..=i, new_nodes);
                g.detach_node(n);
                i += k;
                changed = true;
            }
            None => i += 1,
        }
    }
    for r in g.block_mut(b).results.iter_mut() {
        *r = *subst.get(r).unwrap_or(r);
    }
    changed
}

/// The runtime value of `v` if it is a constant.
fn const_value(g: &Graph, v: Value, frozen: &HashSet<Value>) -> Option<RtValue> {
    let n = g.def_node(v)?;
    let node = g.node(n);
    match &node.op {
        Op::Literal(l) => Some(literal_value(l)),
        Op::Const(c) => match &g.consts.get(c.index())?.value {
            ConstValue::Tensor(t) => Some(RtValue::Tensor(t.clone())),
            other => Literal::from_const(other).map(|l| literal_value(&l)),
        },
        Op::ListConstruct if frozen.contains(&v) => {
            node.inputs.iter().map(|&i| const_value(g, i, frozen)).collect::<Option<Vec<_>>>().map(RtValue::List)
        }
        Op::TupleConstruct => node.inputs.iter().map(|&i| const_value(g, i, frozen)).collect::<Option<Vec<_>>>().map(RtValue::Tuple),
        _ => None,
    }
}

/// Evaluates `n` if it folds; creates (outside any block) one `const` node
/// per output and returns their outputs.
fn fold(g: &mut Graph, n: Node, frozen: &HashSet<Value>, fold_tensors: bool) -> Option<Vec<Value>> {
    let node = g.node(n);
    if !node.blocks.is_empty() || node_has_side_effects(g, n) {
        return None;
    }
    let results: Vec<RtValue> = match &node.op {
        Op::Scalar(s) => {
            let args = node.inputs.iter().map(|&i| to_literal(&const_value(g, i, frozen)?).ok()).collect::<Option<Vec<_>>>()?;
            vec![literal_value(&s.eval(&args).ok()?)]
        }
        Op::Aten(a) => {
            let args = node.inputs.iter().map(|&i| const_value(g, i, frozen)).collect::<Option<Vec<_>>>()?;
            let r = a.eval(&args).ok()?;
            match (a.result_tys().len(), r) {
                (1, r) => vec![r],
                (k, RtValue::Tuple(items)) if items.len() == k => items,
                _ => return None,
            }
        }
        _ => return None,
    };
    let declared: Vec<Type> = node.outputs.iter().map(|&o| g.ty(o).clone()).collect();
    if declared.len() != results.len() {
        return None;
    }
    // Check every result before creating anything.
    let mut ops = Vec::new();
    for (r, want) in results.iter().zip(&declared) {
        let (op_value, ty) = match r {
            RtValue::Tensor(t) if fold_tensors && t.numel() <= MAX_FOLD_NUMEL => {
                let c = ConstValue::Tensor(t.copy_as(t.dtype()));
                let ty = const_type(&c);
                (Err(c), ty)
            }
            other => {
                let l = to_literal(other).ok()?;
                let ty = l.ty();
                (Ok(l), ty)
            }
        };
        if !ty.refines(want) {
            return None;
        }
        ops.push((op_value, ty));
    }
    let loc = g.node(n).loc.clone();
    let mut outs = Vec::new();
    for (op_value, ty) in ops {
        let op = match op_value {
            Ok(l) => Op::Literal(l),
            Err(c) => Op::Const(g.add_const("", c)),
        };
        let m = g.create_node(op, Vec::new(), vec![ty]);
        g.node_mut(m).loc = loc.clone();
        outs.push(g.node(m).outputs[0]);
    }
    Some(outs)
}
