//! The crate's errors: one per stage, each carrying its IR location — a
//! `line:col` in the text for parsing, the offending node or value for
//! verification, the pass name for passes.

use crate::entity::{Node, Value};
use thiserror::Error;

/// A text-form syntax or reference error at `line:col` (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{line}:{col}: {msg}")]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub msg: String,
}

/// Where in the graph a verifier error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IrLoc {
    Graph,
    Node(Node),
    Value(Value),
}

/// A broken invariant (see `verify.rs`). `at` is the node or value; `msg`
/// spells values as the text form does.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{msg}")]
pub struct VerifyError {
    pub at: IrLoc,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum PassError {
    /// The graph broke an invariant after `pass` ran.
    #[error("after pass `{pass}`: {err}")]
    Verify { pass: &'static str, err: VerifyError },
    /// A pass could not proceed.
    #[error("pass `{pass}`: {msg}")]
    Failed { pass: &'static str, msg: String },
}

/// Why a graph has no runtime program (`emit.rs`).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EmitError {
    /// The graph breaks an IR invariant.
    #[error("invalid graph: {0}")]
    Verify(VerifyError),
    /// The input names do not fit the graph's inputs.
    #[error("{0}")]
    Signature(String),
    /// Input `index` cannot be a program input.
    #[error("input {index} (`{name}`): {msg}")]
    Input { index: usize, name: String, msg: String },
    /// A node has no runtime form; `at` is its source location or node id.
    #[error("{at}: {op}: {msg}")]
    Node { at: String, op: String, msg: String },
}
