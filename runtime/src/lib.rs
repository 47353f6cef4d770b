//! `tsc-runtime`: tensors with PyTorch's semantics and the eager op library.
//!
//! - [`Tensor`] (`tensor.rs`): dtype, shape, strides, offset over shared [`Storage`]
//!   (`storage.rs`; a buffer's elements are a [`Data`]: owned, or a window into
//!   a memory-mapped `.tsg`).
//! - [`DType`] and promotion (`dtype.rs`), [`Scalar`] (`scalar.rs`), [`Device`].
//! - `shape.rs`: broadcasting and dim arithmetic; `iter.rs`: strided loops.
//! - [`ops`]: every op, registered by schema; [`ops::call`] dispatches by name.
//! - [`Value`]: what ops take and return.
//! - `io.rs`: safetensors load/save.
//!
//! Architecture invariant: this crate knows nothing of graphs or the language;
//! it depends only on `tsc-kernels` for hot loops.

pub mod alloc;
pub mod cuda;
pub mod device;
pub mod dtype;
pub mod error;
pub mod io;
pub mod iter;
pub mod ops;
pub mod program;
pub mod scalar;
pub mod shape;
pub mod storage;
pub mod tensor;
pub mod value;

pub use alloc::CachingAlloc;
pub use device::Device;
pub use dtype::{promote_types, Category, DType, ResultType};
pub use error::{Error, Result};
pub use ops::{call, Operand};
pub use scalar::Scalar;
pub use storage::{Buffer, Data, Element, Storage};
pub use tensor::Tensor;
pub use value::Value;
