//! Dead-branch elimination: an `if` whose condition is a constant is
//! replaced by the block it takes, inlined in its place (its outputs become
//! that block's results). A `loop` that never runs (constant `false`
//! initial condition or constant trip count `<= 0`) is replaced by its
//! initial carried values. Walks every block in program order, re-visiting
//! inlined nodes.

use crate::entity::Node;
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::{Literal, Op};
use crate::passes::{literal_of, replace_nodes};
use std::collections::HashMap;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    Ok(replace_nodes(g, g.entry, &mut fold))
}

/// If `n` is decided statically, rewires its outputs and returns the nodes
/// that replace it (taking them out of its blocks).
fn fold(g: &mut Graph, n: Node) -> Option<Vec<Node>> {
    let node = g.node(n);
    let (taken_nodes, new_values) = match node.op {
        Op::If => {
            let Literal::Bool(c) = literal_of(g, node.inputs[0])? else { return None };
            let taken = node.blocks[if c { 0 } else { 1 }];
            let nodes = std::mem::take(&mut g.block_mut(taken).nodes);
            (nodes, g.block(taken).results.clone())
        }
        Op::Loop => {
            let never = match (literal_of(g, node.inputs[0]), literal_of(g, node.inputs[1])) {
                (_, Some(Literal::Bool(false))) => true,
                (Some(Literal::Int(trips)), _) => trips <= 0,
                _ => false,
            };
            if !never {
                return None;
            }
            (Vec::new(), node.inputs[2..].to_vec())
        }
        _ => return None,
    };
    let outputs = g.node(n).outputs.clone();
    let map: HashMap<_, _> = outputs.into_iter().zip(new_values).collect();
    g.replace_uses(&map);
    Some(taken_nodes)
}
