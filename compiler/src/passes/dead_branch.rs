//! Dead-branch elimination: an `if` whose condition is a constant is
//! replaced by the block it takes, inlined in its place (its outputs become
//! that block's results). A `loop` that never runs (constant `false`
//! initial condition or constant trip count `<= 0`) is replaced by its
//! initial carried values. Walks every block in program order, re-visiting
//! inlined nodes.

use crate::entity::{Block, Node};
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::{Literal, Op};
use crate::passes::literal_of;
use std::collections::HashMap;

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    Ok(block(g, g.entry))
}

fn block(g: &mut Graph, b: Block) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < g.block(b).nodes.len() {
        let n = g.block(b).nodes[i];
        if let Some(replacement) = fold(g, n) {
            g.block_mut(b).nodes.splice(i..=i, replacement);
            g.detach_node(n);
            changed = true;
            continue;
        }
        for inner in g.node(n).blocks.clone() {
            changed |= block(g, inner);
        }
        i += 1;
    }
    changed
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
