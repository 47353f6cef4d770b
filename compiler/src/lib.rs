//! `tsc-compiler`: the SSA graph IR, its passes and the lowering to the
//! runtime's program schema. Not yet built (see the compiler issue); the
//! crate exists so the layering `frontend → compiler → runtime → kernels`
//! is fixed from the start.

pub use tsc_runtime as runtime;
