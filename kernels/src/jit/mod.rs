//! The kernel JIT: a portable IR for fused loops, elementwise or over rows ([`ir`]), its
//! reference semantics ([`reference`]), the stage plan of row kernels the backends share
//! (`plan.rs`), and the backends that compile it ([`cpu`], [`cuda`]).

pub mod cpu;
pub mod cuda;
pub mod ir;
pub(crate) mod plan;
pub mod reference;

pub use ir::{BinaryOp, CmpOp, Inst, Kernel, Kind, ReduceOp, UnaryOp};
#[cfg(test)]
mod row_tests;
