//! Constant folding: a runtime op (`Op::Aten`) or scalar op whose operands
//! are all constants — literals, named constants, or `list_construct` /
//! `tuple_construct` of constants (a list only when nothing can mutate it:
//! every use reads it) — and that has no side effects is
//! evaluated (runtime ops through `tsc_runtime`'s eager op, scalar ops by
//! `ScalarOp::eval`) and replaced by `const` nodes: numbers, strings, dtypes
//! as literals, tensors as new named blobs (`@wN`, a fresh contiguous copy).
//! A node is left alone when evaluation fails (the error stays a runtime
//! error), when a result is a list, when a tensor result has more than
//! `MAX_FOLD_NUMEL` elements (weights are not invented), or when the
//! result's type does not refine the declared output type.

use crate::entity::{Block, Node, Value};
use crate::error::PassError;
use crate::graph::{ConstValue, Graph};
use crate::op::{const_type, node_has_side_effects, Literal, Op};
use crate::types::Type;
use std::collections::{HashMap, HashSet};
use tsc_runtime::Value as RtValue;

/// Largest tensor result folded into a new blob.
pub const MAX_FOLD_NUMEL: usize = 1 << 16;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut subst = HashMap::new();
    let frozen = frozen_lists(g);
    let changed = block(g, g.entry, &mut subst, &frozen);
    g.replace_uses(&subst);
    Ok(changed)
}

/// `list_construct` outputs whose every use only reads the list (a
/// side-effect-free runtime op, `list_index`, `list_len`, `list_slice`,
/// `list_unpack`): their contents are their operands, forever.
fn frozen_lists(g: &Graph) -> HashSet<Value> {
    let mut lists = HashSet::new();
    let mut escaped = HashSet::new();
    for (b, _) in g.reachable_blocks() {
        escaped.extend(g.block(b).results.iter().copied());
        for &n in &g.block(b).nodes {
            let node = g.node(n);
            if node.op == Op::ListConstruct {
                lists.insert(node.outputs[0]);
            }
            let reads = match &node.op {
                Op::Aten(_) => !node_has_side_effects(g, n),
                Op::ListIndex | Op::ListLen | Op::ListSlice | Op::ListUnpack => true,
                _ => false,
            };
            if !reads {
                escaped.extend(node.inputs.iter().copied());
            }
        }
    }
    lists.retain(|v| !escaped.contains(v));
    lists
}

fn block(g: &mut Graph, b: Block, subst: &mut HashMap<Value, Value>, frozen: &HashSet<Value>) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < g.block(b).nodes.len() {
        let n = g.block(b).nodes[i];
        let inputs: Vec<Value> = g.node(n).inputs.iter().map(|v| *subst.get(v).unwrap_or(v)).collect();
        g.node_mut(n).inputs = inputs;
        for inner in g.node(n).blocks.clone() {
            changed |= block(g, inner, subst, frozen);
        }
        match fold(g, n, frozen) {
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

fn literal_value(l: &Literal) -> RtValue {
    match l {
        Literal::Int(i) => RtValue::Int(*i),
        Literal::Float(f) => RtValue::Float(*f),
        Literal::Bool(b) => RtValue::Bool(*b),
        Literal::Str(s) => RtValue::Str(s.clone()),
        Literal::None => RtValue::None,
        Literal::DType(d) => RtValue::DType(*d),
        Literal::Device(d) => RtValue::Device(*d),
    }
}

fn as_literal(v: &RtValue) -> Option<Literal> {
    Some(match v {
        RtValue::Int(i) => Literal::Int(*i),
        RtValue::Float(f) => Literal::Float(*f),
        RtValue::Bool(b) => Literal::Bool(*b),
        RtValue::Str(s) => Literal::Str(s.clone()),
        RtValue::None => Literal::None,
        RtValue::DType(d) => Literal::DType(*d),
        RtValue::Device(d) => Literal::Device(*d),
        _ => return None,
    })
}

/// Evaluates `n` if it folds; creates (outside any block) one `const` node
/// per output and returns their outputs.
fn fold(g: &mut Graph, n: Node, frozen: &HashSet<Value>) -> Option<Vec<Value>> {
    let node = g.node(n);
    if !node.blocks.is_empty() || node_has_side_effects(g, n) {
        return None;
    }
    let results: Vec<RtValue> = match &node.op {
        Op::Scalar(s) => {
            let args = node.inputs.iter().map(|&i| as_literal(&const_value(g, i, frozen)?)).collect::<Option<Vec<_>>>()?;
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
            RtValue::Tensor(t) if t.numel() <= MAX_FOLD_NUMEL => {
                let c = ConstValue::Tensor(t.copy_as(t.dtype()));
                let ty = const_type(&c);
                (Err(c), ty)
            }
            other => {
                let l = as_literal(other)?;
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
