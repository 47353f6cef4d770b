//! The lexer: source text to [`Token`]s with byte spans, built on `logos`.
//!
//! `logos` only *recognizes* tokens ([`Raw`]); [`lex`] turns each match into
//! a parser [`Token`], computing literal values and reporting bad literals
//! and invalid characters as diagnostics. Lexing never stops at an error:
//! an invalid character is skipped, an unterminated string becomes a string
//! token up to the end of the line (or file), an out-of-range number becomes
//! [`Token::BadNumber`]. Physical line ends come out as [`Token::Newline`];
//! the layout pass (`layout.rs`) turns them into logical NEWLINE / INDENT /
//! DEDENT. Comments, blanks and `\`-continuations are skipped here.

use logos::Logos;

use super::ast::BinOp;
use super::span::Span;
use super::strings;
use super::token::{Spanned, Token};
use crate::diag::Diagnostic;

/// What `logos` recognizes. Literal values are computed in [`lex`].
#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(skip r"[ \t\x0c]+")]
#[logos(skip(r"#[^\r\n]*", allow_greedy = true))]
#[logos(skip r"\\(\r\n|\n|\r)")]
#[logos(skip r"\u{FEFF}")]
enum Raw {
    #[regex(r"\r\n|\n|\r")]
    Newline,
    #[token("\\")]
    Backslash,
    #[regex(r"[\p{XID_Start}_]\p{XID_Continue}*")]
    Name,
    #[regex(r"[0-9](_?[0-9])*")]
    DecInt,
    #[regex(r"0[xX](_?[0-9a-fA-F])+")]
    HexInt,
    #[regex(r"0[oO](_?[0-7])+")]
    OctInt,
    #[regex(r"0[bB](_?[01])+")]
    BinInt,
    #[regex(r"[0-9](_?[0-9])*\.([0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?")]
    #[regex(r"\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?")]
    #[regex(r"[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*")]
    Float,
    #[regex(r"([0-9](_?[0-9])*|[0-9](_?[0-9])*\.([0-9](_?[0-9])*)?|\.[0-9](_?[0-9])*)([eE][+-]?[0-9](_?[0-9])*)?[jJ]")]
    Imaginary,
    /// A string's prefix and opening quote(s); the callback consumes the body
    /// and says whether a closing quote was found.
    #[regex(r#"[rRuUbBfF]{0,2}['"]"#, string_body)]
    Str(bool),
    #[token("False")]
    False,
    #[token("None")]
    None,
    #[token("True")]
    True,
    #[token("and")]
    And,
    #[token("as")]
    As,
    #[token("assert")]
    Assert,
    #[token("async")]
    Async,
    #[token("await")]
    Await,
    #[token("break")]
    Break,
    #[token("class")]
    Class,
    #[token("continue")]
    Continue,
    #[token("def")]
    Def,
    #[token("del")]
    Del,
    #[token("elif")]
    Elif,
    #[token("else")]
    Else,
    #[token("except")]
    Except,
    #[token("finally")]
    Finally,
    #[token("for")]
    For,
    #[token("from")]
    From,
    #[token("global")]
    Global,
    #[token("if")]
    If,
    #[token("import")]
    Import,
    #[token("in")]
    In,
    #[token("is")]
    Is,
    #[token("lambda")]
    Lambda,
    #[token("nonlocal")]
    Nonlocal,
    #[token("not")]
    Not,
    #[token("or")]
    Or,
    #[token("pass")]
    Pass,
    #[token("raise")]
    Raise,
    #[token("return")]
    Return,
    #[token("try")]
    Try,
    #[token("while")]
    While,
    #[token("with")]
    With,
    #[token("yield")]
    Yield,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(";")]
    Semi,
    #[token(".")]
    Dot,
    #[token("...")]
    Ellipsis,
    #[token("->")]
    Arrow,
    #[token("@")]
    At,
    #[token("=")]
    Assign,
    #[token(":=")]
    Walrus,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("**")]
    DoubleStar,
    #[token("/")]
    Slash,
    #[token("//")]
    DoubleSlash,
    #[token("%")]
    Percent,
    #[token("~")]
    Tilde,
    #[token("&")]
    Amper,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("<<")]
    LShift,
    #[token(">>")]
    RShift,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token("<=")]
    LtE,
    #[token(">=")]
    GtE,
    #[token("+=", |_| BinOp::Add)]
    #[token("-=", |_| BinOp::Sub)]
    #[token("*=", |_| BinOp::Mul)]
    #[token("/=", |_| BinOp::Div)]
    #[token("//=", |_| BinOp::FloorDiv)]
    #[token("%=", |_| BinOp::Mod)]
    #[token("**=", |_| BinOp::Pow)]
    #[token("@=", |_| BinOp::MatMul)]
    #[token("&=", |_| BinOp::BitAnd)]
    #[token("|=", |_| BinOp::BitOr)]
    #[token("^=", |_| BinOp::BitXor)]
    #[token("<<=", |_| BinOp::LShift)]
    #[token(">>=", |_| BinOp::RShift)]
    AugAssign(BinOp),
}

/// Consumes a string body after its opening quote(s); `true` when the
/// closing quote was found. An unterminated one-line string stops before the
/// line end, an unterminated triple-quoted one at the end of the input.
fn string_body(lex: &mut logos::Lexer<Raw>) -> bool {
    let opening = lex.slice();
    let quote = opening.as_bytes().last().copied().unwrap_or(b'"');
    let rest = lex.remainder().as_bytes();
    let triple = rest.len() >= 2 && rest[0] == quote && rest[1] == quote;
    let (consumed, closed) = if triple {
        scan_triple(&rest[2..], quote).map_or((rest.len(), false), |n| (n + 2, true))
    } else {
        scan_single(rest, quote)
    };
    lex.bump(consumed);
    closed
}

/// Bytes up to and including the closing `quote` of a one-line string, or
/// up to (excluding) the line end when unterminated.
fn scan_single(rest: &[u8], quote: u8) -> (usize, bool) {
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'\\' => {
                // An escaped quote or backslash-newline never ends the string.
                i += if rest.get(i + 1) == Some(&b'\r') && rest.get(i + 2) == Some(&b'\n') { 3 } else { 2 };
            }
            b'\n' | b'\r' => return (i, false),
            c if c == quote => return (i + 1, true),
            _ => i += 1,
        }
    }
    (rest.len().min(i), false)
}

/// Bytes up to and including the closing triple quote, if there is one.
fn scan_triple(rest: &[u8], quote: u8) -> Option<usize> {
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            b'\\' => i += 2,
            c if c == quote && rest.get(i + 1) == Some(&quote) && rest.get(i + 2) == Some(&quote) => {
                return Some(i + 3);
            }
            _ => i += 1,
        }
    }
    None
}

/// Lexes a whole file. Never fails: problems become diagnostics and the
/// token stream goes on.
pub fn lex(text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Spanned> {
    let mut out = Vec::new();
    let mut lexer = Raw::lexer(text);
    let mut last_invalid = None;
    while let Some(raw) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(range.start, range.end);
        let slice = lexer.slice();
        let tok = match raw {
            Ok(raw) => convert(raw, slice, span, diags),
            Err(()) => {
                // A run of invalid characters (a binary file) is one diagnostic.
                match diags.last_mut() {
                    Some(d) if last_invalid == Some(range.start) => d.span.end = span.end,
                    _ => diags.push(invalid_char(text, range.start)),
                }
                last_invalid = Some(range.end);
                None
            }
        };
        if let Some(tok) = tok {
            out.push((range.start, tok, range.end));
        }
    }
    out
}

fn invalid_char(text: &str, at: usize) -> Diagnostic {
    let ch = text.get(at..).and_then(|s| s.chars().next());
    let (msg, len) = match ch {
        Some(c) if c.is_control() || c.is_whitespace() => (format!("invalid character U+{:04X} in source", c as u32), c.len_utf8()),
        Some(c) => (format!("invalid character `{c}` (U+{:04X})", c as u32), c.len_utf8()),
        None => ("invalid character".to_string(), 1),
    };
    Diagnostic::error(msg, Span::new(at, at + len)).label("not valid here")
}

fn convert(raw: Raw, slice: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Option<Token> {
    use Token as T;
    Some(match raw {
        Raw::Newline => T::Newline,
        Raw::Backslash => {
            let d = Diagnostic::error("unexpected `\\`", span)
                .label("a line continuation must be the last character on its line");
            diags.push(d);
            return None;
        }
        Raw::Name => T::Name(slice.to_string()),
        Raw::DecInt => int_literal(slice, 10, span, diags),
        Raw::HexInt | Raw::OctInt | Raw::BinInt => int_literal(&slice[2..], radix_of(raw), span, diags),
        Raw::Float => float_literal(slice, span, diags),
        Raw::Imaginary => {
            diags.push(Diagnostic::error("complex literals are not supported", span).label("imaginary number"));
            T::BadNumber
        }
        Raw::Str(closed) => strings::string_token(slice, closed, span, diags),
        other => keyword_or_punct(other)?,
    })
}

fn radix_of(raw: Raw) -> u32 {
    match raw {
        Raw::HexInt => 16,
        Raw::OctInt => 8,
        Raw::BinInt => 2,
        _ => 10,
    }
}

fn int_literal(digits: &str, radix: u32, span: Span, diags: &mut Vec<Diagnostic>) -> Token {
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if radix == 10 && clean.len() > 1 && clean.starts_with('0') && clean.bytes().any(|b| b != b'0') {
        let d = Diagnostic::error("leading zeros in decimal integer literals are not permitted", span)
            .help("use an `0o` prefix for octal integers");
        diags.push(d);
        return Token::BadNumber;
    }
    match i64::from_str_radix(&clean, radix) {
        Ok(v) => Token::Int(v),
        Err(_) => {
            let d = Diagnostic::error("integer literal too large", span)
                .label("does not fit in a 64-bit signed integer")
                .note(format!("the largest integer literal is {}", i64::MAX));
            diags.push(d);
            Token::BadNumber
        }
    }
}

fn float_literal(text: &str, span: Span, diags: &mut Vec<Diagnostic>) -> Token {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    match clean.parse::<f64>() {
        Ok(v) => Token::Float(v),
        Err(_) => {
            diags.push(Diagnostic::error("invalid float literal", span));
            Token::BadNumber
        }
    }
}

fn keyword_or_punct(raw: Raw) -> Option<Token> {
    use Token as T;
    Some(match raw {
        Raw::False => T::False,
        Raw::None => T::None,
        Raw::True => T::True,
        Raw::And => T::And,
        Raw::As => T::As,
        Raw::Assert => T::Assert,
        Raw::Async => T::Async,
        Raw::Await => T::Await,
        Raw::Break => T::Break,
        Raw::Class => T::Class,
        Raw::Continue => T::Continue,
        Raw::Def => T::Def,
        Raw::Del => T::Del,
        Raw::Elif => T::Elif,
        Raw::Else => T::Else,
        Raw::Except => T::Except,
        Raw::Finally => T::Finally,
        Raw::For => T::For,
        Raw::From => T::From,
        Raw::Global => T::Global,
        Raw::If => T::If,
        Raw::Import => T::Import,
        Raw::In => T::In,
        Raw::Is => T::Is,
        Raw::Lambda => T::Lambda,
        Raw::Nonlocal => T::Nonlocal,
        Raw::Not => T::Not,
        Raw::Or => T::Or,
        Raw::Pass => T::Pass,
        Raw::Raise => T::Raise,
        Raw::Return => T::Return,
        Raw::Try => T::Try,
        Raw::While => T::While,
        Raw::With => T::With,
        Raw::Yield => T::Yield,
        Raw::LParen => T::LParen,
        Raw::RParen => T::RParen,
        Raw::LBracket => T::LBracket,
        Raw::RBracket => T::RBracket,
        Raw::LBrace => T::LBrace,
        Raw::RBrace => T::RBrace,
        Raw::Comma => T::Comma,
        Raw::Colon => T::Colon,
        Raw::Semi => T::Semi,
        Raw::Dot => T::Dot,
        Raw::Ellipsis => T::Ellipsis,
        Raw::Arrow => T::Arrow,
        Raw::At => T::At,
        Raw::Assign => T::Assign,
        Raw::Walrus => T::Walrus,
        Raw::Plus => T::Plus,
        Raw::Minus => T::Minus,
        Raw::Star => T::Star,
        Raw::DoubleStar => T::DoubleStar,
        Raw::Slash => T::Slash,
        Raw::DoubleSlash => T::DoubleSlash,
        Raw::Percent => T::Percent,
        Raw::Tilde => T::Tilde,
        Raw::Amper => T::Amper,
        Raw::Pipe => T::Pipe,
        Raw::Caret => T::Caret,
        Raw::LShift => T::LShift,
        Raw::RShift => T::RShift,
        Raw::EqEq => T::EqEq,
        Raw::NotEq => T::NotEq,
        Raw::Lt => T::Lt,
        Raw::Gt => T::Gt,
        Raw::LtE => T::LtE,
        Raw::GtE => T::GtE,
        Raw::AugAssign(op) => T::AugAssign(op),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let t = lex(src, &mut d).into_iter().map(|(_, t, _)| t).collect();
        (t, d)
    }

    #[test]
    fn numbers() {
        let (t, d) = toks("1_000 0x_ff 0o17 0b101 1e-5 1. .5 1_000.0 3j");
        assert_eq!(
            t,
            vec![
                Token::Int(1000),
                Token::Int(255),
                Token::Int(15),
                Token::Int(5),
                Token::Float(1e-5),
                Token::Float(1.0),
                Token::Float(0.5),
                Token::Float(1000.0),
                Token::BadNumber
            ]
        );
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn keywords_names_operators() {
        let (t, d) = toks("if iff is not x.y ... -> **= // @ é_1");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            t,
            vec![
                Token::If,
                Token::Name("iff".into()),
                Token::Is,
                Token::Not,
                Token::Name("x".into()),
                Token::Dot,
                Token::Name("y".into()),
                Token::Ellipsis,
                Token::Arrow,
                Token::AugAssign(BinOp::Pow),
                Token::DoubleSlash,
                Token::At,
                Token::Name("é_1".into()),
            ]
        );
    }

    #[test]
    fn invalid_chars_continue() {
        let (t, d) = toks("a $ b ¤ c\0");
        assert_eq!(t, vec![Token::Name("a".into()), Token::Name("b".into()), Token::Name("c".into())]);
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn huge_int() {
        let (t, d) = toks("99999999999999999999999 9223372036854775807");
        assert_eq!(t, vec![Token::BadNumber, Token::Int(i64::MAX)]);
        assert_eq!(d[0].message, "integer literal too large");
    }
}
