//! Graph algorithms over one block's data flow, through `petgraph`: the
//! dependency graph of a block's nodes (an edge `a → b` when `b` uses an
//! output of `a`, directly or inside its blocks), its topological order, and
//! DOT export for `tsc ir --dot`.

use crate::entity::{Block, Node};
use crate::graph::Graph;
use petgraph::graphmap::DiGraphMap;
use std::collections::HashMap;
use std::fmt::Write;

/// The dependency graph between the nodes of `b`.
pub fn dependencies(g: &Graph, b: Block) -> DiGraphMap<Node, ()> {
    let nodes = &g.block(b).nodes;
    let mut dg = DiGraphMap::new();
    let owner: HashMap<_, _> = nodes.iter().flat_map(|&n| g.node(n).outputs.iter().map(move |&v| (v, n))).collect();
    for &n in nodes {
        dg.add_node(n);
        for v in uses_within(g, n) {
            if let Some(&src) = owner.get(&v) {
                dg.add_edge(src, n, ());
            }
        }
    }
    dg
}

/// Every value `n` uses, including uses inside its blocks.
fn uses_within(g: &Graph, n: Node) -> Vec<crate::Value> {
    let node = g.node(n);
    let mut out = node.inputs.clone();
    for &b in &node.blocks {
        out.extend(&g.block(b).results);
        for &inner in &g.block(b).nodes {
            out.extend(uses_within(g, inner));
        }
    }
    out
}

/// A topological order of the nodes of `b` (`None` on a cycle, which a
/// verified graph never has).
pub fn topo_order(g: &Graph, b: Block) -> Option<Vec<Node>> {
    petgraph::algo::toposort(&dependencies(g, b), None).ok()
}

/// The entry block's data flow as DOT: one vertex per node (labelled with
/// its op) and per graph input, one edge per use.
pub fn to_dot(g: &Graph) -> String {
    let mut s = String::from("digraph G {\n");
    let entry = g.block(g.entry);
    for &p in &entry.params {
        let _ = writeln!(s, "  v{} [shape=box, label=\"{}\"];", p.0, g.value_text(p).replace('"', "'"));
    }
    for &n in &entry.nodes {
        let _ = writeln!(s, "  n{} [label=\"{}\"];", n.0, g.node(n).op.name().replace('"', "'"));
    }
    let owner: HashMap<_, _> = entry.nodes.iter().flat_map(|&n| g.node(n).outputs.iter().map(move |&v| (v, n))).collect();
    let dg = dependencies(g, g.entry);
    for (a, b, _) in dg.all_edges() {
        let _ = writeln!(s, "  n{} -> n{};", a.0, b.0);
    }
    for &n in &entry.nodes {
        for v in uses_within(g, n) {
            if entry.params.contains(&v) && !owner.contains_key(&v) {
                let _ = writeln!(s, "  v{} -> n{};", v.0, n.0);
            }
        }
    }
    s.push_str("}\n");
    s
}
