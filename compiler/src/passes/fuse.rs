//! Elementwise fusion: groups of elementwise nodes become one `fused`
//! node whose block holds them, and that the runtime runs as one kernel
//! (the kernel IR comes from the block: `crate::kernel::translate`).
//!
//! ```text
//! %3 = aten.mul.Tensor(%x, %x)        %5 = fused(%x)
//! %4 = aten.tanh(%3)            =>      ^3(%p : Tensor):
//! %5 = aten.mul.Scalar(%4, %c)            %3 = aten.mul.Tensor(%p, %p)
//!                                         %4 = aten.tanh(%3)
//!                                         %c2 = const 0.5
//!                                         %6 = aten.mul.Scalar(%4, %c2)
//!                                         -> (%6)
//! ```
//!
//! Groups grow in program order within one block: a node with a
//! [`recipe`](crate::kernel::recipe) joins (and merges) the open groups
//! that produce its operands, or starts a group. Merge decisions are made
//! on the block's dataflow graph (`crate::dot::dependencies`, a `petgraph`
//! graph): a node joins only where the merged group would have no path
//! out through an unfused node and back in (a node outside the group that
//! reads a group value and feeds, directly or not, a later member), which
//! would make the fused node depend on itself (`tests/passes/fuse_dataflow.ir`:
//! a node reading two groups joins the one that allows it). Otherwise:
//! - a node with side effects closes every group (no read moves across a
//!   write);
//! - a mask (a comparison) is only usable inside its kernel: a `where`
//!   joins only the group of its condition's comparison, a node that reads
//!   a mask as a number (`(x > s) * n`) joins no group, and a group whose
//!   mask is read outside it is not fused.
//!
//! The fused node takes the place of the group's last node; where an
//! outside reader of a group value came before that, the block is then
//! put back in a topological order, stably (a node moves only as far as
//! its dependencies require, and none across a node with side effects:
//! `reorder`).
//!
//! Groups of one node stay as they are. Literal operands, and lists of
//! literals, are copied into the block (the kernel sees constants); other operands become block
//! params, values read after the group become block results. The block
//! keeps the original nodes, so a runtime that cannot run the kernel (an
//! integer dtype, another device) runs them instead: fusion never changes
//! what a program computes beyond the kernel's documented bounds.

use crate::entity::{Block, Node, Value};
use crate::error::PassError;
use crate::graph::Graph;
use crate::kernel::recipe;
use crate::op::{node_has_side_effects, Op};
use petgraph::graphmap::DiGraphMap;
use petgraph::visit::{Dfs, NodeFiltered};
use petgraph::Direction;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut changed = false;
    for (b, _) in g.reachable_blocks() {
        let mut fused = false;
        for group in plan(g, b) {
            fused |= rewrite(g, b, &group);
        }
        if fused {
            reorder(g, b)?;
        }
        changed |= fused;
    }
    Ok(changed)
}

/// Every value `n` reads, including inside its blocks.
fn reads(g: &Graph, n: Node, out: &mut Vec<Value>) {
    let node = g.node(n);
    out.extend(&node.inputs);
    for &b in &node.blocks {
        out.extend(&g.block(b).results);
        for &m in &g.block(b).nodes {
            reads(g, m, out);
        }
    }
}

struct Group {
    nodes: Vec<Node>,
    open: bool,
    /// Nodes outside the group that read its values (where a path out of
    /// the group starts).
    readers: Vec<Node>,
}

/// The groups of `b` worth fusing, each as its nodes in program order.
fn plan(g: &Graph, b: Block) -> Vec<Vec<Node>> {
    let nodes = g.block(b).nodes.clone();
    let deps = crate::dot::dependencies(g, b);
    let pos: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<Node, usize> = HashMap::new();
    let open_group = |groups: &[Group], group_of: &HashMap<Node, usize>, v: Value| {
        let gid = *group_of.get(&g.def_node(v)?)?;
        groups[gid].open.then_some(gid)
    };
    for &n in &nodes {
        let mut joined = None;
        if let Some(r) = recipe(g, n) {
            let ins = &g.node(n).inputs;
            let mut cands: Vec<usize> = ins.iter().filter_map(|&v| open_group(&groups, &group_of, v)).collect();
            cands.sort_unstable();
            cands.dedup();
            // Merging must not close a cycle through an unfused node; where
            // all candidates together would, `n` joins the first that allows
            // it. A group read outside is joined only where no later node
            // needs both (`blocks_later`).
            cands.retain(|&c| !blocks_later(&deps, &groups[c], n));
            if !cands.is_empty() && closes_cycle(&deps, &pos, &groups, &cands, n) {
                cands = cands.iter().copied().find(|&c| !closes_cycle(&deps, &pos, &groups, &[c], n)).into_iter().collect();
            }
            // A mask operand must be a comparison in a group it joins; a
            // number operand must not be one (a bool tensor is no number).
            let masks_ok = r.operands().iter().all(|&(i, mask)| {
                let v = ins[i];
                let joined_mask = open_group(&groups, &group_of, v).is_some_and(|gid| cands.contains(&gid));
                let grouped_mask = joined_mask && g.def_node(v).and_then(|p| recipe(g, p)).is_some_and(|r| r.is_mask());
                grouped_mask == mask
            });
            if masks_ok {
                let gid = match cands.split_first() {
                    Some((&first, rest)) => {
                        for &other in rest {
                            let moved = std::mem::take(&mut groups[other].nodes);
                            for &m in &moved {
                                group_of.insert(m, first);
                            }
                            groups[first].nodes.extend(moved);
                            let readers = std::mem::take(&mut groups[other].readers);
                            groups[first].readers.extend(readers);
                            groups[other].open = false;
                        }
                        first
                    }
                    None => {
                        groups.push(Group { nodes: Vec::new(), open: true, readers: Vec::new() });
                        groups.len() - 1
                    }
                };
                groups[gid].nodes.push(n);
                group_of.insert(n, gid);
                groups[gid].readers.retain(|r| group_of.get(r) != Some(&gid));
                joined = Some(gid);
            }
        }
        // Readers outside a group are where paths out of it start.
        let mut used = Vec::new();
        reads(g, n, &mut used);
        for v in used {
            if let Some(gid) = open_group(&groups, &group_of, v) {
                if Some(gid) != joined && !groups[gid].readers.contains(&n) {
                    groups[gid].readers.push(n);
                }
            }
        }
        if joined.is_none() && node_has_side_effects(g, n) {
            groups.iter_mut().for_each(|gr| gr.open = false);
        }
    }
    let order: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let readers = readers(g);
    groups
        .into_iter()
        .map(|gr| gr.nodes)
        .filter(|ns| ns.len() >= 2 && pays(g, ns))
        .filter(|ns| {
            let members: HashSet<Node> = ns.iter().copied().collect();
            let mask_escapes = |&n: &Node| {
                recipe(g, n).is_some_and(|r| r.is_mask()) && readers.get(&g.node(n).outputs[0]).is_some_and(|rs| rs.iter().any(|r| !r.is_some_and(|r| members.contains(&r))))
            };
            !ns.iter().any(mask_escapes)
        })
        .map(|mut ns| {
            ns.sort_by_key(|n| order[n]);
            ns
        })
        .collect()
}

/// Whether `n` joining the groups `cands` would make the merged group
/// reach itself through a node outside it: some outside reader of a
/// member (other than `n`) leads, through the block's dataflow graph, to a
/// member or to `n`. Members all come before `n`, so the search stays
/// among the nodes up to `n`.
fn closes_cycle(deps: &DiGraphMap<Node, ()>, pos: &HashMap<Node, usize>, groups: &[Group], cands: &[usize], n: Node) -> bool {
    if cands.iter().all(|&c| groups[c].readers.iter().all(|&r| r == n)) {
        return false; // no path leaves the groups
    }
    let members: HashSet<Node> = cands.iter().flat_map(|&c| groups[c].nodes.iter().copied()).chain([n]).collect();
    let starts = cands.iter().flat_map(|&c| groups[c].readers.iter().copied()).filter(|r| !members.contains(r));
    let limit = pos[&n];
    let up_to_n = NodeFiltered::from_fn(deps, |x| pos.get(&x).is_some_and(|&p| p <= limit));
    let mut dfs = Dfs::empty(&up_to_n);
    dfs.stack.extend(starts.filter(|r| pos.get(r).is_some_and(|&p| p < limit)));
    while let Some(x) = dfs.next(&up_to_n) {
        if members.contains(&x) {
            return true;
        }
    }
    false
}

/// Whether `n` joining `group` would keep a later node out of `n`'s
/// kernel: a node that depends both on `n` and on an outside reader of the
/// group could join neither then (it would close a cycle), where `n`
/// starting a group of its own leaves it free to join that one (one pass
/// over the group's value, against a write and a read of `n`'s). A group
/// nothing outside reads has no such node.
fn blocks_later(deps: &DiGraphMap<Node, ()>, group: &Group, n: Node) -> bool {
    if group.readers.iter().all(|&r| r == n) {
        return false;
    }
    let mut after_readers = Dfs::empty(deps);
    after_readers.stack.extend(group.readers.iter().copied().filter(|&r| r != n));
    let mut reached = HashSet::new();
    while let Some(x) = after_readers.next(deps) {
        reached.insert(x);
    }
    let mut after_n = Dfs::new(deps, n);
    after_n.next(deps); // `n` itself
    std::iter::from_fn(|| after_n.next(deps)).any(|x| reached.contains(&x))
}

/// Puts the nodes of `b` back in a topological order after fused nodes
/// took the place of their last members: each node as early as its
/// original position allows (a stable sort, so a block that was in order
/// stays as it was), and nodes with side effects stay where they were
/// relative to every other node.
fn reorder(g: &mut Graph, b: Block) -> Result<(), PassError> {
    let nodes = g.block(b).nodes.clone();
    let deps = crate::dot::dependencies(g, b);
    let mut out = Vec::with_capacity(nodes.len());
    // Segments between nodes with side effects sort on their own.
    for segment in nodes.split_inclusive(|&n| node_has_side_effects(g, n)) {
        let index: HashMap<Node, usize> = segment.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let mut waiting: Vec<usize> = segment.iter().map(|&n| deps.neighbors_directed(n, Direction::Incoming).filter(|p| index.contains_key(p)).count()).collect();
        let mut ready: BinaryHeap<Reverse<usize>> = (0..segment.len()).filter(|&i| waiting[i] == 0).map(Reverse).collect();
        let start = out.len();
        while let Some(Reverse(i)) = ready.pop() {
            out.push(segment[i]);
            for next in deps.neighbors_directed(segment[i], Direction::Outgoing) {
                if let Some(&j) = index.get(&next) {
                    waiting[j] -= 1;
                    if waiting[j] == 0 {
                        ready.push(Reverse(j));
                    }
                }
            }
        }
        if out.len() - start != segment.len() {
            return Err(PassError::Failed { pass: "fuse", msg: "a fused group depends on itself through an unfused node".into() });
        }
    }
    g.block_mut(b).nodes = out;
    Ok(())
}

/// Whether fusing `group` is worth it. Elementwise groups always are. A
/// group with reductions (a row kernel) must also save at least
/// [`MIN_ROW_ELEMENTWISE`] elementwise passes: the CPU row codegen
/// (Cranelift, 128-bit vectors, exp recomputed per pass) is slower than the
/// runtime's hand-written AVX2 softmax and layer_norm, so `norm_softmax`
/// (layer_norm then softmax, nothing else) ran 26 ms fused against 23 ms
/// unfused (medians, loaded machine).
fn pays(g: &Graph, group: &[Node]) -> bool {
    let rows = group.iter().filter(|&&n| recipe(g, n).is_some_and(|r| r.reduces())).count();
    rows == 0 || group.len() - rows >= MIN_ROW_ELEMENTWISE
}

/// Elementwise nodes a row kernel must absorb (`pays`).
pub const MIN_ROW_ELEMENTWISE: usize = 2;

/// For each value, what reads it: a node (the top-level node of the block
/// the value is read in is not needed here; the direct reader is) or
/// `None` for a block result.
fn readers(g: &Graph) -> HashMap<Value, Vec<Option<Node>>> {
    let mut out: HashMap<Value, Vec<Option<Node>>> = HashMap::new();
    for (b, _) in g.reachable_blocks() {
        for &n in &g.block(b).nodes {
            for &v in &g.node(n).inputs {
                out.entry(v).or_default().push(Some(n));
            }
        }
        for &v in &g.block(b).results {
            out.entry(v).or_default().push(None);
        }
    }
    out
}

/// Whether `v` is a literal, or a list or tuple made of literals.
fn is_constant(g: &Graph, v: Value) -> bool {
    let Some(d) = g.def_node(v) else { return false };
    match g.node(d).op {
        Op::Literal(_) => true,
        Op::ListConstruct | Op::TupleConstruct => g.node(d).inputs.iter().all(|&i| g.def_node(i).is_some_and(|di| matches!(g.node(di).op, Op::Literal(_)))),
        _ => false,
    }
}

/// Copies the nodes defining constant `v` (`is_constant`) into block `fb`,
/// recording the copies in `inner`.
fn copy_constant(g: &mut Graph, fb: Block, v: Value, inner: &mut HashMap<Value, Value>) {
    if inner.contains_key(&v) {
        return;
    }
    let Some(def) = g.def_node(v) else { return };
    let items = g.node(def).inputs.clone();
    for &i in &items {
        copy_constant(g, fb, i, inner);
    }
    let (op, ty) = (g.node(def).op.clone(), g.ty(v).clone());
    let ins = items.iter().map(|i| inner.get(i).copied().unwrap_or(*i)).collect();
    let copy = g.create_node(op, ins, vec![ty]);
    g.block_mut(fb).nodes.push(copy);
    inner.insert(v, g.node(copy).outputs[0]);
}

/// Replaces `group` (nodes of `b` in order) by one `fused` node, unless
/// nothing reads its values (then `dce` removes it).
fn rewrite(g: &mut Graph, b: Block, group: &[Node]) -> bool {
    let members: HashSet<Node> = group.iter().copied().collect();
    let defined: HashSet<Value> = group.iter().flat_map(|&n| g.node(n).outputs.clone()).collect();
    let readers = readers(g);
    // Operands from outside: literals (and lists or tuples of literals, as
    // `layer_norm`'s `normalized_shape`) are copied in, the rest are params.
    let mut params: Vec<Value> = Vec::new();
    let mut literals: Vec<Value> = Vec::new();
    for &n in group {
        for &v in &g.node(n).inputs {
            if defined.contains(&v) || params.contains(&v) || literals.contains(&v) {
                continue;
            }
            if is_constant(g, v) { literals.push(v) } else { params.push(v) }
        }
    }
    let results: Vec<Value> = group
        .iter()
        .flat_map(|&n| g.node(n).outputs.clone())
        .filter(|v| readers.get(v).is_some_and(|rs| rs.iter().any(|r| !r.is_some_and(|r| members.contains(&r)))))
        .collect();
    let Some(&last) = group.last() else { return false };
    if results.is_empty() {
        return false;
    }
    let at = g.block(b).nodes.iter().take_while(|&&n| n != last).filter(|n| !members.contains(n)).count();
    g.block_mut(b).nodes.retain(|n| !members.contains(n));

    let types = results.iter().map(|&v| g.ty(v).clone()).collect();
    let fused = g.create_node(Op::Fused, params.clone(), types);
    g.node_mut(fused).loc = g.node(last).loc.clone();
    let outs = g.node(fused).outputs.clone();
    g.replace_uses(&results.iter().copied().zip(outs).collect());

    let fb = g.add_block();
    let mut inner: HashMap<Value, Value> = HashMap::new();
    for &p in &params {
        let ty = g.ty(p).clone();
        inner.insert(p, g.add_block_param(fb, ty));
    }
    for &v in &literals {
        copy_constant(g, fb, v, &mut inner);
    }
    for &n in group {
        for i in g.node_mut(n).inputs.iter_mut() {
            if let Some(&p) = inner.get(i) {
                *i = p;
            }
        }
        g.block_mut(fb).nodes.push(n);
    }
    g.set_results(fb, results);
    g.node_mut(fused).blocks = vec![fb];
    g.insert_node(b, at, fused);
    true
}
