//! The CUDA device, through `cudarc` with dynamic loading: this module is
//! always compiled, needs no CUDA to build, and finds `libcuda.so.1` and
//! `libnvrtc.so.13` on the loader's path (`LD_LIBRARY_PATH`) only when called.
//!
//! - [`available`] / [`nvrtc_available`]: whether a driver with a device, or
//!   NVRTC, can be used; the `Err` says why not. Call one before anything
//!   else: `cudarc` panics when a library is missing, so every entry point
//!   here checks presence first and turns a panic inside `cudarc` into an
//!   `Err` as a last resort.
//! - `nvrtc.rs`: [`compile`] CUDA C to a CUBIN (`sm_XX`) or PTX
//!   (`compute_XX`); runs without a GPU.
//! - `device.rs`: [`CudaDevice`] (context + one stream), [`GpuBuffer`]
//!   upload/download, and [`CudaDevice::launch_elementwise`], which runs a
//!   kernel-IR [`Kernel`](tsc_kernels::jit::Kernel) through
//!   `tsc_kernels::jit::cuda::cuda_source`, compiled once per source.
//!
//! Architecture invariant: this module knows the kernel IR and its CUDA C
//! only through `tsc-kernels`; it writes no CUDA C of its own.

mod blas;
mod conv;
mod device;
mod dispatch;
mod fill;
mod kernel_cache;
mod launch;
mod native;
mod nvrtc;
mod products;
mod tensor;
mod triangle;

pub use blas::MatLayout;
pub use device::{CudaDevice, GpuBuffer};
pub use dispatch::{assign, dispatch, holds_cuda, host_runs, mutate_on_host};
pub use fill::filled;
pub use launch::GpuOperand;
pub(crate) use native::{cast, launch as launch_kernel, In as KernelIn};
pub use tensor::{device, synchronize};
pub use nvrtc::{compile, nvrtc_version, Compiled, Image};

use std::panic::{catch_unwind, AssertUnwindSafe};

/// `Ok` when a CUDA driver is loadable and sees at least one device.
pub fn available() -> Result<(), String> {
    driver_present()?;
    guard("CUDA driver", || {
        cudarc::driver::result::init().map_err(|e| format!("cuInit failed: {e}"))?;
        let n = cudarc::driver::result::device::get_count().map_err(|e| format!("cuDeviceGetCount failed: {e}"))?;
        if n > 0 {
            Ok(())
        } else {
            Err("the CUDA driver sees no device".into())
        }
    })
}

/// `Ok` when NVRTC is loadable and answers its version query.
pub fn nvrtc_available() -> Result<(), String> {
    nvrtc_version().map(|_| ())
}

/// The driver's CUDA version as (major, minor), e.g. (13, 0).
pub fn driver_version() -> Result<(i32, i32), String> {
    driver_present()?;
    guard("CUDA driver", || {
        let mut v = 0i32;
        // SAFETY: the library is present; the call writes one int.
        unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut v) }
            .result()
            .map_err(|e| format!("cuDriverGetVersion failed: {e}"))?;
        Ok((v / 1000, (v % 1000) / 10))
    })
}

/// `Err` unless `libcuda` can be loaded (before any call that would panic).
fn driver_present() -> Result<(), String> {
    // SAFETY: only tries to dlopen the library names cudarc would use.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err("no CUDA driver library (libcuda.so.1) on the loader's path".into())
    }
}

/// Runs `f`, turning a panic inside `cudarc` (a library or symbol that
/// could not be loaded) into an `Err` that names `what`.
pub(crate) fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(format!("{what}: cudarc panicked: {msg}"))
        }
    }
}
