//! `tsc-frontend`: the TorchScript language (lexer, parser, type checker,
//! diagnostics, eager interpreter, tracer, script lowering). Not yet built
//! (see the frontend issue); the crate exists so the layering is fixed.

pub use tsc_compiler as compiler;
