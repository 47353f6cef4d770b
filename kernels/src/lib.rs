//! `tsc-kernels`: math on raw buffers. Nothing here knows about tensors,
//! graphs or the language: every function takes slices, sizes and strides.
//!
//! Modules:
//! - [`gemm`]: matrix products (through the `gemm` crate; an own GEMV for m=1).
//! - [`conv`]: 1-D/2-D convolution (im2col + GEMM) and transposed convolution.
//! - [`pool`]: max/avg/adaptive pooling over NCHW.
//! - [`unary`]: vectorized float math (exp, tanh, gelu, ...) on slices.
//! - [`rows`]: row-wise fused kernels (softmax, log_softmax, layer_norm).
//! - [`binary`]: elementwise binary ops and sums on slices.
//! - [`jit`]: the kernel IR of fused elementwise loops and its backends.
//! - [`parallel`]: splitting work across cores when it pays.
//! - [`simd`]: the small SIMD layer (AVX2+FMA, runtime-detected) the
//!   vectorized kernels are written against.

pub mod binary;
pub mod conv;
pub mod gemm;
pub mod jit;
pub mod parallel;
pub mod pool;
pub mod rows;
pub mod simd;
pub mod unary;
