//! The runtime's executable program format and its executor.
//!
//! - `schema.rs`: [`ProgramDef`], the serializable program (plain data) that
//!   the compiler lowers its IR into: blocks of nodes over numbered value
//!   slots, with `If`/`Loop` nodes owning nested blocks.
//! - `verify.rs` + `plan.rs`: [`Plan::new`] validates a program once
//!   (SSA, dominance, arities, op names, constants) and resolves it: op
//!   overloads looked up, last uses computed. The plan is immutable.
//! - `exec.rs` + `call.rs`: [`Plan::run`] executes over a [`Frame`] of
//!   slots (the per-run state), freeing each value after its last use.
//! - `profile.rs`: [`Plan::run_profiled`] times every node execution into
//!   a [`Profiler`]: a per-node table (self/total time, calls, share) and
//!   a Chrome-trace JSON (`tsc exec --profile`, `--trace`).
//! - `artifact.rs` + `codec.rs`: the `.tsg` file (header + 64-byte-aligned
//!   tensor data), written by [`artifact::save`] and loaded, fully
//!   validated, by [`artifact::load`]. `spec/file-format.md` is its spec.
//!
//! Architecture invariant: nothing here knows the compiler's IR or the
//! language; a program is data, and the only ops are the registry's.

pub mod artifact;
mod call;
mod codec;
mod epilogue;
pub mod exec;
mod fused;
mod linear_add;
mod loop_linear;
mod packed;
pub mod plan;
pub mod profile;
mod row_chain;
pub mod schema;
mod shortcut;
mod verify;

pub use artifact::{Header, Loaded, Meta, TensorEntry};
pub use exec::Frame;
pub use plan::Plan;
pub use profile::{NodeSummary, Profiler};
pub use schema::{BlockDef, ConstDef, IoDef, IoKind, NodeDef, OpCode, ProgramDef};
pub use verify::MAX_DEPTH;

#[cfg(test)]
mod tests;
