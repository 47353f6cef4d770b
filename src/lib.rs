//! `tsc`: the facade crate. Re-exports the layers so users depend on one
//! crate; the CLI lives in `main.rs`.
//!
//! Running a compiled graph (`model.rs`):
//!
//! ```no_run
//! let model = tsc::load("mlp.tsg")?;
//! let x = tsc::Tensor::zeros(&[1, 64], tsc::DType::F32)?;
//! let outputs = model.forward(&[("x", tsc::Value::Tensor(x))])?;
//! # Ok::<(), tsc::Error>(())
//! ```

pub mod compile;
mod model;

pub use model::{load, name_outputs, Model};
pub use tsc_compiler as compiler;
pub use tsc_frontend as frontend;
pub use tsc_kernels as kernels;
pub use tsc_runtime as runtime;
pub use tsc_runtime::{DType, Device, Error, Scalar, Tensor, Value};
