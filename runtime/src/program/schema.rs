//! The serializable program: plain data (serde) that the compiler lowers
//! its IR into and the `.tsg` header carries. Nothing here runs or checks
//! anything; `Plan::new` validates a `ProgramDef` and the executor runs the
//! plan.
//!
//! A program is a tree of blocks over numbered value *slots*:
//!
//! ```text
//! block 0 (entry)  params = input slots, results = output slots
//!   %3 = Call linear(%0, %1, %2)
//!   %4 = If(%cond) { block 1 -> (%a) } else { block 2 -> (%b) }
//! ```
//!
//! Invariants (checked by `Plan::new`, assumed by the executor):
//! - every slot `0..num_slots` is defined exactly once: as a block
//!   parameter or a node output (SSA);
//! - a use sees a definition earlier in its own block or in an enclosing
//!   block before the node that encloses it (block-structured dominance);
//! - `blocks[0]` is the entry; every other block belongs to exactly one
//!   `If`/`Loop` node (blocks form a tree, bounded in depth);
//! - the entry block's params are the input slots and its results the
//!   output slots, in order.

use serde::{Deserialize, Serialize};
use tsc_kernels::jit::Kernel;

/// A whole program: blocks, signature, constants and source locations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramDef {
    /// `blocks[0]` is the entry block.
    pub blocks: Vec<BlockDef>,
    /// The entry's parameters, by name (`blocks[0].params[i] == inputs[i].slot`).
    pub inputs: Vec<IoDef>,
    /// Slots of the entry's results (`== blocks[0].results`); the caller
    /// names them `output`, `output.0`, ...
    pub outputs: Vec<u32>,
    pub consts: Vec<ConstDef>,
    /// Source locations `"file:line:col: source line"`, referenced by nodes.
    pub locs: Vec<String>,
    pub num_slots: u32,
    /// Fused elementwise kernels, referenced by `OpCode::Fused` (format
    /// version 2).
    pub kernels: Vec<Kernel>,
}

/// One entry parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoDef {
    pub name: String,
    pub kind: IoKind,
    pub slot: u32,
}

/// What an entry parameter holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IoKind {
    Tensor,
    Int,
    Float,
    Bool,
}

/// A constant. Tensors live in the artifact's tensor table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ConstDef {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    None,
    /// A dtype by PyTorch's name (`float32`).
    DType(String),
    Tensor { table_index: u32 },
}

/// A block: parameters, nodes in program order, results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDef {
    pub params: Vec<u32>,
    pub nodes: Vec<NodeDef>,
    pub results: Vec<u32>,
}

/// One node: an op over input slots defining output slots, with nested
/// blocks for control flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDef {
    pub op: OpCode,
    pub inputs: Vec<u32>,
    pub outputs: Vec<u32>,
    /// Indices into `ProgramDef::blocks` (`If`: two, `Loop`: one).
    pub blocks: Vec<u32>,
    /// Index into `ProgramDef::locs`.
    pub loc: Option<u32>,
}

/// What a node does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpCode {
    /// A registry op, called with all inputs positionally in schema order
    /// (keyword-only parameters included: they bind by name, in order,
    /// after the positional ones). `name` is an op (`add`: the first
    /// overload that binds wins, as in eager mode) or one overload
    /// (`add.int`; `sum.` is the overload with the empty name); `add_` /
    /// `add_.Tensor` is the in-place form of `add` / `add.Tensor` (the
    /// result is written into input 0). Zero outputs discard the result;
    /// one output takes it; n > 1 outputs unpack an n-tuple result.
    Call { name: String },
    /// `outputs[0] = consts[i]`.
    Const(u32),
    /// `inputs[0]`: bool; runs `blocks[0]` when true, else `blocks[1]`
    /// (both without params); the chosen block's results become `outputs`.
    If,
    /// TorchScript's loop: inputs `(max_trip: int, cond: bool, carried...)`;
    /// block params `(i: int, carried...)`; block results
    /// `(cond: bool, carried...)`; runs while `i < max_trip && cond`;
    /// `outputs` are the final carried values.
    Loop,
    /// `outputs[0] = [inputs...]`.
    ListConstruct,
    /// `outputs[0] = (inputs...)`.
    TupleConstruct,
    /// `outputs = inputs[0]` (a list of exactly `outputs.len()` items).
    ListUnpack,
    /// `outputs = inputs[0]` (a tuple of exactly `outputs.len()` items).
    TupleUnpack,
    /// `outputs[0] = inputs[0][i]` for a tuple.
    TupleIndex(u32),
    /// `inputs[0]`: str message; fails the run with it, at the node's loc.
    Raise,
    /// `outputs = kernels[kernel](inputs...)`: a fused elementwise kernel.
    /// `blocks[0]` (params: one per input, results: one per output)
    /// computes the same with ordinary nodes; the executor runs it when the
    /// kernel cannot run (operand dtypes or devices its backend lacks).
    Fused { kernel: u32 },
}

impl OpCode {
    /// The spelling used in error messages.
    pub fn name(&self) -> &str {
        match self {
            OpCode::Call { name } => name,
            OpCode::Const(_) => "Const",
            OpCode::If => "If",
            OpCode::Loop => "Loop",
            OpCode::ListConstruct => "ListConstruct",
            OpCode::TupleConstruct => "TupleConstruct",
            OpCode::ListUnpack => "ListUnpack",
            OpCode::TupleUnpack => "TupleUnpack",
            OpCode::TupleIndex(_) => "TupleIndex",
            OpCode::Raise => "Raise",
            OpCode::Fused { .. } => "Fused",
        }
    }
}
