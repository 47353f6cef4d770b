//! `tsc-frontend`: the TorchScript language.
//!
//! - `syntax/`: lexer (logos), layout pass, parser (lalrpop), AST with spans.
//! - `diag.rs`: diagnostics rendered like rustc; `hint.rs`: "did you mean".
//! - `interp/`: the eager interpreter (and `prelude/nn.py`, the builtin
//!   `nn` layers written in the language itself).
//! - `check/`: the static type checker (TorchScript's rules).
//! - `driver.rs`: load a program, resolve `--entry`, check, run, name outputs.
//!
//! Architecture invariant: this crate never generates machine code; it
//! hands typed programs to `tsc-compiler` and runs eagerly on `tsc-runtime`.

pub mod check;
pub mod diag;
pub mod driver;
pub mod hint;
pub mod interp;
pub mod lower;
pub mod syntax;

pub use tsc_compiler as compiler;
