//! `tsc`: the facade crate. Re-exports the layers so users depend on one
//! crate; the CLI lives in `main.rs`.

pub use tsc_compiler as compiler;
pub use tsc_frontend as frontend;
pub use tsc_kernels as kernels;
pub use tsc_runtime as runtime;
pub use tsc_runtime::{DType, Device, Error, Scalar, Tensor};
