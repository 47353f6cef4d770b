//! String literals: prefix validation (`r`, `u`, `b`, `f` and their
//! combinations), unterminated-string diagnostics and escape decoding
//! (`\n`, `\x41`, `\u00e9`, octal, backslash-newline, ...). Python's rules:
//! an unknown escape keeps its backslash; raw strings decode nothing.

use super::token::Token;
use super::span::Span;
use crate::diag::Diagnostic;

/// Turns a whole string token (prefix, quotes, body) into a [`Token`].
pub fn string_token(slice: &str, closed: bool, span: Span, diags: &mut Vec<Diagnostic>) -> Token {
    let prefix_len = slice.find(['\'', '"']).unwrap_or(0);
    let prefix = slice[..prefix_len].to_ascii_lowercase();
    let quote = slice.as_bytes().get(prefix_len).copied().unwrap_or(b'"');
    let after = &slice[prefix_len..];
    let triple = after.len() >= 3 && after.as_bytes()[..3].iter().all(|&b| b == quote);
    let q = if triple { 3 } else { 1 };
    let open_end = (prefix_len + q).min(slice.len());
    let body_end = if closed { slice.len().saturating_sub(q).max(open_end) } else { slice.len() };
    let body = slice.get(open_end..body_end).unwrap_or("");
    let body_start = span.start as usize + open_end;
    if !closed {
        let what = if triple { "unterminated triple-quoted string literal" } else { "unterminated string literal" };
        let open = Span::new(span.start as usize, span.start as usize + open_end);
        diags.push(Diagnostic::error(what, open).label("string starts here").help(if triple {
            "close the string with a matching triple quote"
        } else {
            "close the string with a matching quote on the same line"
        }));
    }
    let (raw, bytes, fmt) = match prefix.as_str() {
        "" | "u" => (false, false, false),
        "r" => (true, false, false),
        "b" => (false, true, false),
        "rb" | "br" => (true, true, false),
        "f" => (false, false, true),
        "rf" | "fr" => (true, false, true),
        _ => {
            let pspan = Span::new(span.start as usize, span.start as usize + prefix_len);
            diags.push(Diagnostic::error(format!("invalid string prefix `{}`", &slice[..prefix_len]), pspan));
            (false, false, false)
        }
    };
    if fmt {
        return Token::FStr(slice.to_string());
    }
    if bytes {
        diags.push(
            Diagnostic::error("bytes literals are not supported", span)
                .label("bytes literal")
                .help("use a `str` literal"),
        );
    }
    if raw {
        Token::Str(body.to_string())
    } else {
        Token::Str(decode_escapes(body, body_start, diags))
    }
}

/// Decodes backslash escapes; `base` is the body's byte offset in the file
/// (for diagnostic spans).
pub fn decode_escapes(body: &str, base: usize, diags: &mut Vec<Diagnostic>) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\r' => {
                if matches!(chars.peek(), Some((_, '\n'))) {
                    chars.next();
                }
            }
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|&(_, d)| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                let mut got = 0;
                while got < n {
                    match chars.peek().and_then(|&(_, d)| d.to_digit(16)) {
                        Some(d) => {
                            v = v.wrapping_mul(16).wrapping_add(d);
                            chars.next();
                            got += 1;
                        }
                        None => break,
                    }
                }
                let end = chars.peek().map_or(body.len(), |&(j, _)| j);
                match (got == n).then(|| char::from_u32(v)).flatten() {
                    Some(ch) => out.push(ch),
                    None => {
                        let span = Span::new(base + i, base + end);
                        diags.push(Diagnostic::error(format!("invalid `\\{e}` escape"), span).label(format!(
                            "expected {n} hex digits{}",
                            if e == 'x' { "" } else { " naming a Unicode scalar value" }
                        )));
                    }
                }
            }
            'N' => {
                let end = chars.peek().map_or(body.len(), |&(j, _)| j);
                let span = Span::new(base + i, base + end);
                diags.push(Diagnostic::error("`\\N{...}` escapes are not supported", span));
            }
            other => {
                // Python keeps unknown escapes verbatim (with a warning).
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(src: &str) -> (Token, usize) {
        let mut d = Vec::new();
        let closed = true;
        let t = string_token(src, closed, Span::new(0, src.len()), &mut d);
        (t, d.len())
    }

    #[test]
    fn escapes_and_prefixes() {
        assert_eq!(s(r#"'a\nb'"#), (Token::Str("a\nb".into()), 0));
        assert_eq!(s(r#"r'a\nb'"#), (Token::Str("a\\nb".into()), 0));
        assert_eq!(s(r#""\x41\u00e9\101\q""#), (Token::Str("AéA\\q".into()), 0));
        assert_eq!(s(r#"'''a'b'''"#), (Token::Str("a'b".into()), 0));
        assert_eq!(s("''"), (Token::Str(String::new()), 0));
        assert_eq!(s(r#"f'{x}'"#), (Token::FStr("f'{x}'".into()), 0));
        assert_eq!(s(r#"b'x'"#).1, 1);
        assert_eq!(s(r#"'\xZ'"#).1, 1);
    }
}
