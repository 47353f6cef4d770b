//! Small-loop unrolling: a `loop` that runs a literal number of times — a
//! literal trip count `1..=MAX_TRIPS`, the literal `true` as its initial
//! condition and as its body's continue condition (the shape of `for i in
//! range(4)`) — is replaced by that many copies of its body, in order:
//! copy `k` reads the literal `k` for the iteration param and the previous
//! copy's results (the initial operands for copy 0) for the carried
//! params, and the loop's outputs become the last copy's results.
//!
//! Copies keep the body's types, locations and value names (`%h`, then
//! `%h.1`, `%h.2`, ... per iteration). Nested blocks are copied with
//! them, and the walk revisits the copies, so an inner loop that
//! qualifies is unrolled too. Left alone: bodies over `MAX_UNROLLED_NODES`
//! nodes once copied, and a carried value whose initial operand or body
//! result has a type other than the param's, apart from a more precise
//! tensor type (a `None` for an `Optional` param would not type-check
//! where the copy uses it). Zero-trip loops are `dead_branch`'s.

use crate::entity::{Block, Node, Value};
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::{Literal, Op};
use crate::passes::{literal_of, replace_nodes};
use crate::types::Type;
use std::collections::HashMap;

/// Most iterations unrolled. Enough for `for _ in range(40)` over a small
/// elementwise body (the `small_ops` workload): unrolled, fusion makes the
/// whole loop one kernel instead of 40 kernel calls.
pub const MAX_TRIPS: i64 = 64;
/// Most nodes (nested ones included) the copies may add.
pub const MAX_UNROLLED_NODES: usize = 512;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    Ok(replace_nodes(g, g.entry, &mut unroll))
}

/// Nodes in `b`, nested blocks included.
fn size(g: &Graph, b: Block) -> usize {
    g.block(b).nodes.iter().map(|&n| 1 + g.node(n).blocks.iter().map(|&i| size(g, i)).sum::<usize>()).sum()
}

/// Whether `v` may stand where the param `p` is used.
fn substitutes(g: &Graph, v: Value, p: Value) -> bool {
    g.ty(v) == g.ty(p) || (g.ty(v).is_tensor() && g.ty(v).refines(g.ty(p)))
}

/// If loop `n` qualifies, its unrolled copies (not yet in any block), with
/// the loop's outputs rewired to the last copy's results.
fn unroll(g: &mut Graph, n: Node) -> Option<Vec<Node>> {
    let node = g.node(n);
    if node.op != Op::Loop {
        return None;
    }
    let Some(Literal::Int(trips)) = literal_of(g, node.inputs[0]) else { return None };
    let body = node.blocks[0];
    let data = g.block(body);
    let carried_ok = node.inputs[2..].iter().zip(&data.params[1..]).all(|(&v, &p)| substitutes(g, v, p))
        && data.results[1..].iter().zip(&data.params[1..]).all(|(&v, &p)| substitutes(g, v, p));
    let ok = (1..=MAX_TRIPS).contains(&trips)
        && literal_of(g, node.inputs[1]) == Some(Literal::Bool(true))
        && literal_of(g, data.results[0]) == Some(Literal::Bool(true))
        && carried_ok
        && size(g, body).saturating_mul(trips as usize) <= MAX_UNROLLED_NODES;
    if !ok {
        return None;
    }
    let (params, results) = (data.params.clone(), data.results.clone());
    let index_used = g.use_counts()[params[0].index()] > 0;
    let loc = node.loc.clone();
    let mut carried = node.inputs[2..].to_vec();
    // The body's names move to the copies (iteration 0 keeps them exactly).
    let mut names = HashMap::new();
    take_names(g, body, &mut names);
    let mut copies = Vec::new();
    for k in 0..trips {
        let mut map: HashMap<Value, Value> = params[1..].iter().copied().zip(carried.iter().copied()).collect();
        if index_used {
            let lit = g.create_node(Op::Literal(Literal::Int(k)), Vec::new(), vec![Type::Int]);
            g.node_mut(lit).loc = loc.clone();
            let out = g.node(lit).outputs[0];
            if let Some(name) = names.get(&params[0]) {
                g.set_value_name(out, name);
            }
            map.insert(params[0], out);
            copies.push(lit);
        }
        for m in g.block(body).nodes.clone() {
            copies.push(copy_node(g, m, &mut map, &names));
        }
        carried = results[1..].iter().map(|r| *map.get(r).unwrap_or(r)).collect();
    }
    let outputs = g.node(n).outputs.clone();
    g.replace_uses(&outputs.into_iter().zip(carried).collect::<HashMap<_, _>>());
    Some(copies)
}

/// Removes the names of every value defined in `b` (nested blocks too),
/// recording them in `names`.
fn take_names(g: &mut Graph, b: Block, names: &mut HashMap<Value, String>) {
    let mut values = g.block(b).params.clone();
    for n in g.block(b).nodes.clone() {
        values.extend(g.node(n).outputs.iter().copied());
        for inner in g.node(n).blocks.clone() {
            take_names(g, inner, names);
        }
    }
    for v in values {
        if let Some(name) = g.values[v.index()].name.take() {
            names.insert(v, name);
        }
    }
}

/// A copy of node `n` (with its blocks) reading `map`'s substitutes, which
/// it extends with its own definitions.
fn copy_node(g: &mut Graph, n: Node, map: &mut HashMap<Value, Value>, names: &HashMap<Value, String>) -> Node {
    let data = g.node(n).clone();
    let inputs = data.inputs.iter().map(|v| *map.get(v).unwrap_or(v)).collect();
    let types = data.outputs.iter().map(|&o| g.ty(o).clone()).collect();
    let c = g.create_node(data.op.clone(), inputs, types);
    g.node_mut(c).loc = data.loc.clone();
    let outs = g.node(c).outputs.clone();
    for (&o, &co) in data.outputs.iter().zip(&outs) {
        define(g, o, co, map, names);
    }
    let mut blocks = Vec::new();
    for &b in &data.blocks {
        let nb = g.add_block();
        for p in g.block(b).params.clone() {
            let np = g.add_block_param(nb, g.ty(p).clone());
            define(g, p, np, map, names);
        }
        let nodes = g.block(b).nodes.clone().into_iter().map(|m| copy_node(g, m, map, names)).collect();
        g.block_mut(nb).nodes = nodes;
        let results = g.block(b).results.iter().map(|v| *map.get(v).unwrap_or(v)).collect();
        g.block_mut(nb).results = results;
        blocks.push(nb);
    }
    g.node_mut(c).blocks = blocks;
    c
}

fn define(g: &mut Graph, old: Value, new: Value, map: &mut HashMap<Value, Value>, names: &HashMap<Value, String>) {
    map.insert(old, new);
    if let Some(name) = names.get(&old) {
        g.set_value_name(new, name);
    }
}
