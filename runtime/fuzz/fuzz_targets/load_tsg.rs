//! Fuzz target `load_tsg`: arbitrary bytes through the whole `.tsg` loader
//! (preamble, header decode, tensor table, tensor data, program validation
//! and planning). Every input must give `Ok` or `Err`; a panic, an abort,
//! an out-of-bounds read or an allocation far beyond the input's size is a
//! bug. The program is not run: a valid file may legitimately loop for as
//! long as its trip count says.
//!
//! Seeds: any `.tsg` written by `tsc compile` or by the tests in
//! `runtime/tests/program.rs` (put them in `fuzz/corpus/load_tsg/`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = tsc_runtime::program::artifact::from_bytes(data, Path::new("fuzz.tsg")) {
        // A file that loads must describe itself consistently.
        assert_eq!(loaded.tensors.len(), loaded.header.tensors.len());
        assert_eq!(loaded.plan.inputs().len(), loaded.header.program.inputs.len());
    }
});
