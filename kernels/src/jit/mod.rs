//! The kernel JIT: a portable IR for fused elementwise loops ([`ir`]), its
//! reference semantics ([`reference`]), and the backends that compile it.

pub mod cuda;
pub mod ir;
pub mod reference;
pub mod cpu;

pub use ir::{BinaryOp, CmpOp, Inst, Kernel, Kind, UnaryOp};
