//! `tsc-compiler`: the SSA graph IR, its text form, verifier and passes.
//!
//! - `entity.rs`: `Value`, `Block`, `Node`, `ConstId` — `u32` indices whose
//!   `Display` is their text spelling (`%3`, `^1`, `@w0`).
//! - `types.rs`: IR types (`Tensor<f32, [B, 4]>`, `int`, `List[T]` ...).
//! - `op.rs`: the closed `enum Op` with its properties, text names and type
//!   rules; `aten.rs` (runtime ops by schema) and `scalar.rs` (Python scalar
//!   arithmetic) hold the two open-ended families.
//! - `graph.rs`: the arenas and structural equality; `builder.rs`: the
//!   construction API the lowering uses.
//! - `print.rs` / `parse.rs` (+ `lex.rs`, `parse/terms.rs`): the text
//!   form; `parse(print(g)) == g`.
//! - `dot.rs`: petgraph views of a block's data flow (topological order,
//!   DOT export).
//! - `verify.rs`: the invariants, checked after every pass in debug builds.
//! - `passes/`: the optimization passes and the one pipeline that runs them.
//! - `emit.rs`: lowering to the runtime's program (`ProgramDef` + tensor
//!   table), what a `.tsg` file carries.
//!
//! Architecture invariant: this crate knows nothing of source text or the
//! language; the frontend lowers into it. It reads op schemas from
//! `tsc_runtime`, never restates them.

pub mod aten;
pub mod builder;
pub mod dot;
pub mod emit;
pub mod entity;
pub mod eval;
pub mod error;
pub mod graph;
pub mod kernel;
mod lex;
pub mod op;
pub mod parse;
pub mod passes;
pub mod print;
pub mod scalar;
pub mod types;
pub mod verify;

pub use aten::AtenOp;
pub use entity::{Block, ConstId, Node, Value};
pub use emit::{to_program, Emitted};
pub use error::{EmitError, ParseError, PassError, VerifyError};
pub use graph::{BlockData, ConstData, ConstValue, Graph, Loc, NodeData, ValueData, ValueDef};
pub use op::{Literal, Op};
pub use parse::{parse, parse_with_blobs};
pub use scalar::ScalarOp;
pub use types::{Dim, TensorType, Type};
pub use verify::verify;

pub use tsc_runtime as runtime;
