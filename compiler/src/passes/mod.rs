//! The passes and the one pipeline that runs them. Each pass is a file
//! with `pub fn run(&mut Graph) -> Result<bool, PassError>` (whether it
//! changed anything); `PASSES` lists them in pipeline order, and
//! [`optimize`] runs the list to a fixed point, verifying after every pass
//! in debug and test builds.

pub mod const_fold;
pub mod cse;
pub mod dce;
pub mod dead_branch;
pub mod simplify;

use crate::error::PassError;
use crate::graph::Graph;
use crate::op::Literal;
use crate::verify::verify;

/// A pass entry point.
pub type PassFn = fn(&mut Graph) -> Result<bool, PassError>;

/// The pipeline, in order. Names are the `--print-after=` names.
pub const PASSES: &[(&str, PassFn)] = &[
    ("const_fold", const_fold::run),
    ("simplify", simplify::run),
    ("dead_branch", dead_branch::run),
    ("cse", cse::run),
    ("dce", dce::run),
];

/// Rounds of the pipeline before giving up on a fixed point.
const MAX_ROUNDS: usize = 8;

/// The pass called `name`.
pub fn pass_by_name(name: &str) -> Option<(&'static str, PassFn)> {
    PASSES.iter().find(|(n, _)| *n == name).copied()
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
