//! The passes and the one pipeline that runs them. Each pass is a file
//! with `pub fn run(&mut Graph) -> Result<bool, PassError>` (whether it
//! changed anything); `PASSES` lists them in pipeline order, and
//! [`optimize`] runs the list to a fixed point, verifying after every pass
//! in debug and test builds.

pub mod const_fold;
pub mod cse;
pub mod dce;
pub mod dead_branch;
pub mod fold_conv_bn;
pub mod fold_linear;
pub mod fuse;
pub mod shape_prop;
pub mod simplify;
pub mod unroll;

use crate::entity::{Node, Value};
use crate::error::PassError;
use crate::graph::Graph;
use crate::op::{node_has_side_effects, Literal, Op};
use crate::types::Type;
use crate::verify::verify;
use std::collections::HashSet;

/// A pass entry point.
pub type PassFn = fn(&mut Graph) -> Result<bool, PassError>;

/// The pipeline, in order. Names are the `--print-after=` names.
///
/// Why this order (each round runs the whole list and `optimize` repeats
/// rounds until nothing changes, so the order decides who sees what first):
/// - `shape_prop` first: `simplify`'s type-exact rules and the folds'
///   shape checks read dtypes and shapes. Later passes create nodes with
///   exact (constants) or inherited (the replaced node's) types; the next
///   round refines what they added (unrolled copies, folded nodes).
/// - `fold_conv_bn`, `fold_linear` before `const_fold`: `const_fold` would
///   turn `t(@w)` into a transposed copy of the weight that `fold_linear`
///   then transposes back into a third blob; matched first, the original
///   constant is reused.
/// - `const_fold`, `simplify`, `dead_branch`: make conditions and trip
///   counts literal and drop what they decide.
/// - `unroll` after `dead_branch` (a loop that never runs is removed, not
///   copied); its copies carry literal iteration indices for the next
///   round's `const_fold`.
/// - `cse`, `dce` last: they clean up after all of the above.
pub const PASSES: &[(&str, PassFn)] = &[
    ("shape_prop", shape_prop::run),
    ("fold_conv_bn", fold_conv_bn::run),
    ("fold_linear", fold_linear::run),
    ("const_fold", const_fold::run),
    ("simplify", simplify::run),
    ("dead_branch", dead_branch::run),
    ("unroll", unroll::run),
    ("cse", cse::run),
    ("dce", dce::run),
];

/// Run once after the fixed point when the program will run kernels:
/// fusion, then `dce` for the literals it copied into fused blocks.
pub const LATE: &[(&str, PassFn)] = &[("fuse", fuse::run), ("dce", dce::run)];

/// Rounds of the pipeline before giving up on a fixed point.
const MAX_ROUNDS: usize = 8;

/// The pass called `name`.
pub fn pass_by_name(name: &str) -> Option<(&'static str, PassFn)> {
    PASSES.iter().chain(LATE).find(|(n, _)| *n == name).copied()
}

/// Runs one pass, then (in debug and test builds) the verifier.
pub fn run_pass(name: &'static str, pass: PassFn, g: &mut Graph) -> Result<bool, PassError> {
    let changed = pass(g)?;
    if cfg!(debug_assertions) {
        verify(g).map_err(|err| PassError::Verify { pass: name, err })?;
    }
    Ok(changed)
}

/// Runs the pipeline until no pass changes the graph (at most
/// `MAX_ROUNDS` rounds); `after` sees the graph after each pass. Passes
/// expect a verified graph (checked first in debug and test builds).
pub fn optimize_with(g: &mut Graph, mut after: impl FnMut(&str, &Graph)) -> Result<bool, PassError> {
    if cfg!(debug_assertions) {
        verify(g).map_err(|err| PassError::Verify { pass: "(input)", err })?;
    }
    let mut any = false;
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for &(name, pass) in PASSES {
            changed |= run_pass(name, pass, g)?;
            after(name, g);
        }
        any |= changed;
        if !changed {
            break;
        }
    }
    Ok(any)
}

/// The optimization pipeline.
pub fn optimize(g: &mut Graph) -> Result<bool, PassError> {
    optimize_with(g, |_, _| {})
}

/// The literal that defines `v`, if a `const` node does (inline literal or
/// non-tensor named constant).
pub(crate) fn literal_of(g: &Graph, v: crate::Value) -> Option<Literal> {
    let n = g.def_node(v)?;
    match &g.node(n).op {
        crate::Op::Literal(l) => Some(l.clone()),
        crate::Op::Const(c) => Literal::from_const(&g.consts.get(c.index())?.value),
        _ => None,
    }
}

/// List values (node outputs of a `List` type) whose every use only reads
/// them — a side-effect-free runtime op, `list_index`, `list_len`,
/// `list_slice`, `list_unpack` — and that leave no block as a result:
/// their contents are fixed where they are made.
pub(crate) fn read_only_lists(g: &Graph) -> HashSet<Value> {
    let mut lists = HashSet::new();
    let mut escaped = HashSet::new();
    for (b, _) in g.reachable_blocks() {
        escaped.extend(g.block(b).results.iter().copied());
        for &n in &g.block(b).nodes {
            let node = g.node(n);
            lists.extend(node.outputs.iter().copied().filter(|&o| matches!(g.ty(o), Type::List(_))));
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

/// Takes `n` out of the block that lists it (if any) and detaches it.
pub(crate) fn remove_node(g: &mut Graph, n: Node) {
    for (b, _) in g.reachable_blocks() {
        if let Some(i) = g.block(b).nodes.iter().position(|&m| m == n) {
            g.block_mut(b).nodes.remove(i);
            break;
        }
    }
    g.detach_node(n);
}

/// Walks `b` and its nested blocks in order; where `f` returns nodes for a
/// node, they replace it (and are walked next). Whether anything changed.
pub(crate) fn replace_nodes(g: &mut Graph, b: crate::Block, f: &mut dyn FnMut(&mut Graph, crate::Node) -> Option<Vec<crate::Node>>) -> bool {
    let mut changed = false;
    let mut i = 0;
    while i < g.block(b).nodes.len() {
        let n = g.block(b).nodes[i];
        if let Some(replacement) = f(g, n) {
            g.block_mut(b).nodes.splice(i..=i, replacement);
            g.detach_node(n);
            changed = true;
            continue;
        }
        for inner in g.node(n).blocks.clone() {
            changed |= replace_nodes(g, inner, f);
        }
        i += 1;
    }
    changed
}
