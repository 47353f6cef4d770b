//! Syntax error messages: turns the LR parser's "unexpected token X,
//! expected one of ..." into what a person needs to read (`expected `:``,
//! `expected an indented block`, `unexpected `else``, ...).

use lalrpop_util::ParseError;

use super::actions::NoLexError;
use super::token::Token;
use super::span::Span;
use crate::diag::Diagnostic;

/// How an expected terminal (as lalrpop names it) reads in a message.
fn terminal_name(t: &str) -> String {
    match t.trim_matches('"') {
        "Name" => "identifier".to_string(),
        "Int" | "Float" | "BadNumber" => "number".to_string(),
        "Str" | "FStr" => "string".to_string(),
        "NEWLINE" => "end of line".to_string(),
        "INDENT" => "indented block".to_string(),
        "DEDENT" => "end of block".to_string(),
        "AugOp" => "augmented assignment".to_string(),
        other => format!("`{other}`"),
    }
}

/// The message for a DEDENT the parser did not expect: always the echo of
/// an earlier error, so `parse` reports it only when it is the first.
pub const UNEXPECTED_DEDENT: &str = "unexpected end of block";

pub fn syntax_error(e: ParseError<usize, Token, NoLexError>, eof: usize) -> Diagnostic {
    match e {
        ParseError::UnrecognizedToken { token: (lo, tok, hi), expected } => unexpected(&tok, Span::new(lo, hi), &expected),
        ParseError::UnrecognizedEof { location, expected } => {
            let at = Span::new(location.min(eof), location.min(eof));
            if has(&expected, "INDENT") {
                indented_block(at).label("expected an indented block after this line")
            } else {
                Diagnostic::error("unexpected end of file", at).label("the statement is incomplete")
            }
        }
        ParseError::ExtraToken { token: (lo, tok, hi) } => {
            Diagnostic::error(format!("unexpected {}", tok.describe()), Span::new(lo, hi))
        }
        ParseError::InvalidToken { location } => Diagnostic::error("invalid token", Span::new(location, location)),
        ParseError::User { error: NoLexError } => Diagnostic::error("invalid syntax", Span::new(eof, eof)),
    }
}

fn has(expected: &[String], t: &str) -> bool {
    expected.iter().any(|e| e.trim_matches('"') == t)
}

fn indented_block(at: Span) -> Diagnostic {
    Diagnostic::error("expected an indented block", at)
        .label("expected an indented block here")
        .help("a line ending in `:` must be followed by at least one more-indented line (use `pass` for an empty body)")
}

fn unexpected(tok: &Token, span: Span, expected: &[String]) -> Diagnostic {
    let found = tok.describe();
    if has(expected, "INDENT") && *tok != Token::Indent {
        return indented_block(span);
    }
    match tok {
        Token::Newline if has(expected, ":") => {
            return Diagnostic::error("expected `:`", span).label("expected `:` here");
        }
        Token::Newline if has(expected, "Name") => {
            return Diagnostic::error("expected an expression", span)
                .label("the line ends before the expression is complete");
        }
        Token::Else | Token::Elif | Token::Except | Token::Finally if has(expected, "pass") => {
            let owner = match tok {
                Token::Elif => "an `if`",
                Token::Else => "an `if`, `for`, `while` or `try`",
                _ => "a `try`",
            };
            return Diagnostic::error(format!("unexpected {found}"), span)
                .label(format!("`{tok}` without {owner} block"))
                .help(format!("`{tok}` must follow {owner} block at the same indentation"));
        }
        Token::Indent => {
            return Diagnostic::error("unexpected indent", span)
                .label("this line is indented more than the one before")
                .help("only the lines after one ending in `:` start an indented block");
        }
        Token::Dedent => return Diagnostic::error(UNEXPECTED_DEDENT, span),
        t if !t.is_keyword() && has(expected, "Name") && has(expected, "(") => {
            return Diagnostic::error(format!("expected an expression, found {found}"), span)
                .label("expected an expression here");
        }
        t if t.is_keyword() && has(expected, "Name") && expected.len() <= 4 => {
            return Diagnostic::error(format!("expected identifier, found {found}"), span)
                .label("a keyword cannot be used as a name");
        }
        _ => {}
    }
    let d = Diagnostic::error(format!("invalid syntax: unexpected {found}"), span).label("unexpected here");
    let mut names: Vec<String> = expected.iter().map(|e| terminal_name(e)).collect();
    names.dedup();
    match names.len() {
        0 => d,
        1 => d.help(format!("expected {}", names[0])),
        2..=5 => d.help(format!("expected one of {}", names.join(", "))),
        _ => d,
    }
}
