//! NVRTC: CUDA C to a CUBIN or PTX, without a GPU (only `libnvrtc.so.13`
//! and its `libnvrtc-builtins` are needed).
//!
//! For a real architecture (`sm_90`) the result is a CUBIN: the driver loads
//! it without JIT-compiling PTX, so an NVRTC newer than the driver (within
//! CUDA 13) still works. For a virtual one (`compute_90`) it is PTX, which
//! the driver accepts only if it knows that PTX version.
//!
//! Options: `--gpu-architecture=ARCH --fmad=false`; no fast math (each
//! operation rounds as PyTorch's eager kernels do, see `jit/cuda.rs`).

use super::guard;
use cudarc::nvrtc::{result, sys};
use std::ffi::{c_char, CString};

/// A compiled module image.
#[derive(Clone, Debug)]
pub enum Image {
    /// An ELF CUBIN for one `sm_XX`.
    Cubin(Vec<u8>),
    /// PTX text for a `compute_XX`.
    Ptx(String),
}

/// What [`compile`] returns.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The `--gpu-architecture` it was built for.
    pub arch: String,
    pub image: Image,
}

/// NVRTC's version as (major, minor); `Err` says why NVRTC is unusable.
pub fn nvrtc_version() -> Result<(i32, i32), String> {
    present()?;
    guard("NVRTC", || {
        let (mut major, mut minor) = (0, 0);
        // SAFETY: the library is present; the call writes two ints.
        unsafe { sys::nvrtcVersion(&mut major, &mut minor) }
            .result()
            .map_err(|e| format!("nvrtcVersion failed: {e}"))?;
        Ok((major, minor))
    })
}

/// Compiles `src` for `arch` (`sm_90`: CUBIN; `compute_90`: PTX). The `Err`
/// of a failed compile holds NVRTC's log.
pub fn compile(src: &str, arch: &str) -> Result<Compiled, String> {
    let cubin = if arch.starts_with("sm_") {
        true
    } else if arch.starts_with("compute_") {
        false
    } else {
        return Err(format!("nvrtc: arch {arch:?} is neither sm_XX nor compute_XX"));
    };
    present()?;
    let c_src = CString::new(src).map_err(|_| "nvrtc: source holds a NUL byte".to_string())?;
    guard("NVRTC", || {
        let prog = result::create_program(&c_src, None).map_err(|e| format!("nvrtcCreateProgram failed: {e}"))?;
        let out = build(prog, arch, cubin);
        // SAFETY: `prog` came from create_program and is destroyed once.
        let _ = unsafe { result::destroy_program(prog) };
        Ok(Compiled { arch: arch.to_string(), image: out? })
    })
}

/// Compiles the created `prog` and fetches its image.
fn build(prog: sys::nvrtcProgram, arch: &str, cubin: bool) -> Result<Image, String> {
    let options = [format!("--gpu-architecture={arch}"), "--fmad=false".to_string()];
    // SAFETY: `prog` is a live program; the options hold no NUL bytes.
    if let Err(e) = unsafe { result::compile_program(prog, &options) } {
        // SAFETY: as above.
        let log = unsafe { result::get_program_log(prog) }.map(|l| c_text(&l)).unwrap_or_default();
        return Err(format!("nvrtc: compile for {arch} failed ({e}):\n{log}"));
    }
    if !cubin {
        // SAFETY: `prog` compiled.
        let ptx = unsafe { result::get_ptx(prog) }.map_err(|e| format!("nvrtcGetPTX failed: {e}"))?;
        return Ok(Image::Ptx(c_text(&ptx)));
    }
    let mut size = 0usize;
    // SAFETY: `prog` compiled for a real arch; the first call writes the
    // size, the second fills a buffer of exactly that size.
    unsafe { sys::nvrtcGetCUBINSize(prog, &mut size) }.result().map_err(|e| format!("nvrtcGetCUBINSize failed: {e}"))?;
    let mut bytes = vec![0u8; size];
    unsafe { sys::nvrtcGetCUBIN(prog, bytes.as_mut_ptr() as *mut c_char) }
        .result()
        .map_err(|e| format!("nvrtcGetCUBIN failed: {e}"))?;
    Ok(Image::Cubin(bytes))
}

/// A NUL-terminated C buffer as text.
fn c_text(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `Err` unless `libnvrtc` can be loaded (before any call that would panic).
fn present() -> Result<(), String> {
    // SAFETY: only tries to dlopen the library names cudarc would use.
    if unsafe { sys::is_culib_present() } {
        Ok(())
    } else {
        Err("no NVRTC library (libnvrtc.so.13) on the loader's path (LD_LIBRARY_PATH)".into())
    }
}
