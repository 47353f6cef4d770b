//! Source text to AST: [`parse`] runs the lexer (`lexer.rs`, `token.rs`,
//! `strings.rs`), the layout pass (`layout.rs`) and the LR(1) parser
//! generated from `grammar.lalrpop` (actions in `actions.rs` / `stmts.rs`, messages in
//! `errors.rs`). Parsing never gives up: it returns the AST it could build
//! (with `Error` nodes where it recovered) plus every diagnostic.
//!
//! Architecture invariant: nothing here panics on any input, and no AST it
//! returns is deeper than the limits in `layout.rs` and `actions.rs`, so
//! recursive passes over it (drop included) cannot overflow the stack.

pub mod ast;
mod dump;
pub mod printer;
pub mod span;

mod actions;
mod errors;
mod layout;
mod lexer;
mod stmts;
mod strings;
mod token;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, dead_code)]
    grammar,
    "/syntax/grammar.rs"
);

use std::collections::HashSet;

use crate::diag::Diagnostic;
use ast::{Module, Stmt, StmtKind};
use span::{SourceFile, Span};

/// Parses one file. The diagnostics are in source order; any `Error`
/// severity one means the AST has `Error` nodes or dropped code.
pub fn parse(file: &SourceFile) -> (Module, Vec<Diagnostic>) {
    let text = file.text.as_str();
    let mut diags = Vec::new();
    let tokens = lexer::lex(text, &mut diags);
    let layout = layout::layout(text, tokens, &mut diags);
    let parser = grammar::ModuleParser::new();
    let mut body = Vec::new();
    let mut syntax = Vec::new();
    for chunk in layout.chunks {
        let lo = chunk.first().map_or(0, |t| t.0);
        let hi = chunk.last().map_or(lo, |t| t.2);
        let mut ctx = actions::Ctx::new(text);
        match parser.parse(&mut ctx, chunk.into_iter().map(Ok)) {
            Ok(stmts) => body.extend(stmts),
            Err(e) => {
                ctx.recovered(e);
                body.push(Stmt { kind: StmtKind::Error, span: Span::new(lo, hi) });
            }
        }
        syntax.append(&mut ctx.syntax);
        diags.append(&mut ctx.diags);
    }
    add_syntax_errors(file, &mut diags, syntax, layout.poison);
    diags.sort_by_key(|d| d.span.start);
    if diags.len() > MAX_DIAGNOSTICS {
        let total = diags.len();
        diags.truncate(MAX_DIAGNOSTICS);
        let at = diags.last().map_or(Span::default(), |d| d.span);
        diags.push(Diagnostic::error(format!("too many errors ({total}); only the first {MAX_DIAGNOSTICS} are shown"), at));
    }
    (Module { body }, diags)
}

/// At most this many diagnostics (plus one saying so) come out of [`parse`].
pub const MAX_DIAGNOSTICS: usize = 1000;

/// Adds the parser's errors, minus the cascades: errors after a poisoning
/// one (an unclosed bracket) and a second error on a line that already has
/// one.
fn add_syntax_errors(file: &SourceFile, diags: &mut Vec<Diagnostic>, syntax: Vec<Diagnostic>, poison: Option<usize>) {
    let mut lines: HashSet<usize> = diags.iter().map(|d| file.line_col(d.span.start).0).collect();
    for d in syntax {
        if poison.is_some_and(|p| d.span.start as usize >= p) {
            continue;
        }
        let line = file.line_col(d.span.start).0;
        let echo = d.message == errors::UNEXPECTED_DEDENT && !lines.is_empty();
        if echo || lines.contains(&line) {
            continue;
        }
        lines.insert(line);
        diags.push(d);
    }
}

/// A [`SourceFile`] from raw bytes, which must be UTF-8. The error names
/// the file and the offset of the first invalid byte.
pub fn source_from_bytes(name: &str, bytes: &[u8]) -> Result<SourceFile, String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let at = e.valid_up_to();
            let byte = bytes.get(at).copied().unwrap_or(0);
            Err(format!("{name}: invalid UTF-8 at byte offset {at} (byte 0x{byte:02x}); source files must be UTF-8"))
        }
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}
