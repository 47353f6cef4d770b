//! Dead code elimination: one backward walk per block (results first,
//! nodes in reverse), marking operands live. A node none of whose outputs is
//! live and that has no side effects (its blocks included) is removed; an
//! `if` that stays loses the outputs nobody uses, with the matching block
//! results. Blocks are walked when their node is reached, so uses inside
//! them mark outer values live before those are visited. Finally,
//! constants no remaining `const` node names are dropped from the table.

use crate::entity::Block;
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::{node_has_side_effects, Op};

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut live = vec![false; g.values.len()];
    let changed = block(g, g.entry, &mut live);
    Ok(drop_unused_consts(g) || changed)
}

/// Removes unreferenced constants, renumbering the `const` nodes' ids.
fn drop_unused_consts(g: &mut Graph) -> bool {
    let nodes: Vec<crate::Node> = g.reachable_blocks().iter().flat_map(|&(b, _)| g.block(b).nodes.clone()).collect();
    let mut used = vec![false; g.consts.len()];
    for &n in &nodes {
        if let Op::Const(c) = g.node(n).op {
            if let Some(u) = used.get_mut(c.index()) {
                *u = true;
            }
        }
    }
    if used.iter().all(|&u| u) {
        return false;
    }
    let mut new_index = vec![0u32; used.len()];
    let mut next = 0u32;
    for (i, &u) in used.iter().enumerate() {
        new_index[i] = next;
        next += u as u32;
    }
    let old = std::mem::take(&mut g.consts);
    g.consts = old.into_iter().zip(&used).filter(|(_, &u)| u).map(|(c, _)| c).collect();
    for n in nodes {
        if let Op::Const(c) = &mut g.node_mut(n).op {
            if let Some(&i) = new_index.get(c.index()) {
                c.0 = i;
            }
        }
    }
    true
}

fn block(g: &mut Graph, b: Block, live: &mut [bool]) -> bool {
    for &r in &g.block(b).results {
        live[r.index()] = true;
    }
    let mut changed = false;
    let mut keep = Vec::new();
    for n in g.block(b).nodes.clone().into_iter().rev() {
        let used = g.node(n).outputs.iter().any(|o| live[o.index()]);
        if !used && !node_has_side_effects(g, n) {
            g.detach_node(n);
            changed = true;
            continue;
        }
        if g.node(n).op == Op::If {
            changed |= prune_if_outputs(g, n, live);
        }
        for inner in g.node(n).blocks.clone() {
            changed |= block(g, inner, live);
        }
        for &i in &g.node(n).inputs {
            live[i.index()] = true;
        }
        keep.push(n);
    }
    keep.reverse();
    g.block_mut(b).nodes = keep;
    changed
}

/// Drops the outputs of `if` node `n` that are not live, and their results.
fn prune_if_outputs(g: &mut Graph, n: crate::Node, live: &[bool]) -> bool {
    let dead: Vec<usize> = g.node(n).outputs.iter().enumerate().filter(|(_, o)| !live[o.index()]).map(|(i, _)| i).collect();
    for &i in dead.iter().rev() {
        let out = g.node_mut(n).outputs.remove(i);
        g.values[out.index()].def = crate::ValueDef::Detached;
        for b in g.node(n).blocks.clone() {
            g.block_mut(b).results.remove(i);
        }
    }
    for (i, o) in g.node(n).outputs.clone().into_iter().enumerate() {
        g.values[o.index()].def = crate::ValueDef::Node(n, i as u32);
    }
    !dead.is_empty()
}
