//! The layout pass: physical lines to Python's logical NEWLINE / INDENT /
//! DEDENT tokens, and the token stream cut into top-level statements.
//!
//! Inside `()`, `[]`, `{}` line ends are ignored (implicit line joining);
//! blank and comment-only lines make no tokens. Indentation follows
//! CPython: a tab advances to the next multiple of 8, and a line whose
//! indentation compares differently with tab size 1 is an "inconsistent use
//! of tabs and spaces" error.
//!
//! Errors are repaired so the parser sees a well-formed stream and reports
//! each mistake once: an unexpected indent or an unindent to an unknown
//! column becomes a *phantom* level (no INDENT/DEDENT emitted); an unmatched
//! closer is dropped; a closer that matches an outer opener closes the
//! inner ones with synthetic closers; unclosed brackets at the end of input
//! are closed the same way. Limits keep the AST shallow for the recursive
//! passes after the parser: brackets nest at most [`MAX_BRACKET_DEPTH`]
//! deep (the contents of a deeper pair are dropped), blocks at most
//! [`MAX_INDENT_DEPTH`].
//!
//! Chunks: each top-level statement (with its decorators and its
//! `else`/`elif`/`except`/`finally` clauses) is parsed separately, so an
//! error the parser cannot recover from costs one statement, not the file.

use super::token::{Spanned, Token};
use super::span::Span;
use crate::diag::Diagnostic;

pub const MAX_BRACKET_DEPTH: usize = 200;
pub const MAX_INDENT_DEPTH: usize = 100;

/// The layout pass's result.
pub struct Layout {
    /// Token streams, one per top-level statement, each ending with its
    /// NEWLINE and DEDENTs.
    pub chunks: Vec<Vec<Spanned>>,
    /// Parse errors at or after this offset follow from an error already
    /// reported here (an unclosed bracket swallows the rest of the file).
    pub poison: Option<usize>,
}

#[derive(Clone, Copy)]
struct Level {
    col: usize,
    /// Column with tab size 1, to detect tab/space inconsistency.
    alt: usize,
    /// A level entered without an INDENT (after an error): leaves no DEDENT.
    phantom: bool,
}

struct Bracket {
    closer: Token,
    open: Token,
    span: Span,
}

struct State<'t> {
    text: &'t str,
    diags: &'t mut Vec<Diagnostic>,
    chunks: Vec<Vec<Spanned>>,
    cur: Vec<Spanned>,
    levels: Vec<Level>,
    brackets: Vec<Bracket>,
    line_has_tokens: bool,
    line_is_decorator: bool,
    prev_line_decorator: bool,
    /// The current logical line starts with a compound statement's keyword.
    line_opens_block: bool,
    prev_line_opens_block: bool,
    prev_colon: bool,
    last_end: usize,
    /// While dropping the contents of a too-deep bracket: nesting inside it.
    skipping: Option<usize>,
    too_deep_reported: bool,
    poison: Option<usize>,
}

pub fn layout(text: &str, tokens: Vec<Spanned>, diags: &mut Vec<Diagnostic>) -> Layout {
    let mut st = State {
        text,
        diags,
        chunks: Vec::new(),
        cur: Vec::new(),
        levels: vec![Level { col: 0, alt: 0, phantom: false }],
        brackets: Vec::new(),
        line_has_tokens: false,
        line_is_decorator: false,
        prev_line_decorator: false,
        line_opens_block: false,
        prev_line_opens_block: false,
        prev_colon: false,
        last_end: 0,
        skipping: None,
        too_deep_reported: false,
        poison: None,
    };
    for (lo, tok, hi) in tokens {
        st.token(lo, tok, hi);
    }
    st.finish()
}

fn closer_of(tok: &Token) -> Option<Token> {
    match tok {
        Token::LParen => Some(Token::RParen),
        Token::LBracket => Some(Token::RBracket),
        Token::LBrace => Some(Token::RBrace),
        _ => None,
    }
}

/// Whether a line starting with `tok` is a compound statement's header.
fn opens_block(tok: &Token) -> bool {
    use Token as T;
    matches!(
        tok,
        T::Def | T::Class | T::If | T::Elif | T::Else | T::For | T::While | T::Try | T::Except | T::Finally | T::With
            | T::Async
    )
}

fn is_closer(tok: &Token) -> bool {
    matches!(tok, Token::RParen | Token::RBracket | Token::RBrace)
}

impl State<'_> {
    fn token(&mut self, lo: usize, tok: Token, hi: usize) {
        if let Some(depth) = self.skipping {
            if closer_of(&tok).is_some() {
                self.skipping = Some(depth + 1);
                return;
            }
            if !is_closer(&tok) {
                return;
            }
            if depth > 0 {
                self.skipping = Some(depth - 1);
                return;
            }
            self.skipping = None;
        }
        if tok == Token::Newline {
            if self.brackets.is_empty() && self.line_has_tokens {
                self.end_line();
            }
            return;
        }
        if !self.line_has_tokens && self.brackets.is_empty() {
            self.start_line(lo, &tok);
        }
        self.line_has_tokens = true;
        if let Some(closer) = closer_of(&tok) {
            self.open(lo, tok, hi, closer);
            return;
        }
        if is_closer(&tok) {
            self.close(lo, tok, hi);
            return;
        }
        self.prev_colon = tok == Token::Colon;
        self.emit(lo, tok, hi);
    }

    fn emit(&mut self, lo: usize, tok: Token, hi: usize) {
        self.last_end = hi;
        self.cur.push((lo, tok, hi));
    }

    fn end_line(&mut self) {
        let at = self.last_end;
        self.cur.push((at, Token::Newline, at));
        self.line_has_tokens = false;
        self.prev_line_decorator = self.line_is_decorator;
        self.prev_line_opens_block = self.line_opens_block;
    }

    fn open(&mut self, lo: usize, tok: Token, hi: usize, closer: Token) {
        self.prev_colon = false;
        if self.brackets.len() >= MAX_BRACKET_DEPTH {
            if !self.too_deep_reported {
                self.too_deep_reported = true;
                let d = Diagnostic::error("too deeply nested", Span::new(lo, hi))
                    .label(format!("more than {MAX_BRACKET_DEPTH} levels of brackets"))
                    .note("the contents of this bracket are ignored");
                self.diags.push(d);
            }
            self.skipping = Some(0);
        }
        self.brackets.push(Bracket { closer, open: tok.clone(), span: Span::new(lo, hi) });
        self.emit(lo, tok, hi);
    }

    fn close(&mut self, lo: usize, tok: Token, hi: usize) {
        self.prev_colon = false;
        let span = Span::new(lo, hi);
        let Some(pos) = self.brackets.iter().rposition(|b| b.closer == tok) else {
            let d = match self.brackets.last() {
                Some(b) => Diagnostic::error(format!("closing `{tok}` does not match opening `{}`", b.open), span)
                    .label("mismatched closing delimiter")
                    .secondary(b.span, "unclosed delimiter"),
                None => Diagnostic::error(format!("unmatched `{tok}`"), span).label("no matching opening delimiter"),
            };
            self.diags.push(d);
            return;
        };
        if pos + 1 < self.brackets.len() {
            let inner = &self.brackets[self.brackets.len() - 1];
            let d = Diagnostic::error(format!("closing `{tok}` does not match opening `{}`", inner.open), span)
                .label("mismatched closing delimiter")
                .secondary(inner.span, "unclosed delimiter");
            self.diags.push(d);
            while self.brackets.len() > pos + 1 {
                if let Some(b) = self.brackets.pop() {
                    self.emit(lo, b.closer, lo);
                }
            }
        }
        self.brackets.pop();
        self.emit(lo, tok, hi);
    }

    /// First token of a logical line: indentation, and maybe a new chunk.
    fn start_line(&mut self, lo: usize, tok: &Token) {
        let line_start = self.text.get(..lo).and_then(|t| t.rfind(['\n', '\r'])).map_or(0, |i| i + 1);
        let (col, alt) = measure(self.text.get(line_start..lo).unwrap_or(""));
        let indent_span = Span::new(line_start, lo);
        let top = self.top();
        if col > top.col {
            if alt <= top.alt {
                self.tab_error(indent_span);
            }
            self.indent(line_start, lo, col, alt);
        } else {
            if col < top.col {
                self.dedent(lo, col, alt, indent_span);
            } else if alt != top.alt {
                self.tab_error(indent_span);
            }
            let continues = matches!(tok, Token::Else | Token::Elif | Token::Except | Token::Finally);
            if self.levels.len() == 1 && !continues && !self.prev_line_decorator && !self.cur.is_empty() {
                self.chunks.push(std::mem::take(&mut self.cur));
            }
        }
        self.line_is_decorator = *tok == Token::At;
        self.line_opens_block = opens_block(tok);
    }

    fn top(&self) -> Level {
        self.levels.last().copied().unwrap_or(Level { col: 0, alt: 0, phantom: false })
    }

    fn indent(&mut self, line_start: usize, lo: usize, col: usize, alt: usize) {
        let span = Span::new(line_start, lo);
        let mut phantom = true;
        // A block header missing its `:` still gets its block: the parser
        // reports the `:` alone.
        if !self.prev_colon && !self.prev_line_opens_block {
            let d = Diagnostic::error("unexpected indent", span)
                .label("this line is indented more than the one before")
                .help("only the lines after one ending in `:` start an indented block");
            self.diags.push(d);
        } else if self.levels.len() > MAX_INDENT_DEPTH {
            let d = Diagnostic::error("too deeply nested", span)
                .label(format!("more than {MAX_INDENT_DEPTH} levels of indentation"));
            self.diags.push(d);
            self.poison.get_or_insert(lo);
        } else {
            phantom = false;
            self.cur.push((line_start, Token::Indent, lo));
        }
        self.levels.push(Level { col, alt, phantom });
    }

    fn dedent(&mut self, lo: usize, col: usize, alt: usize, span: Span) {
        while self.top().col > col && self.levels.len() > 1 {
            if let Some(level) = self.levels.pop() {
                if !level.phantom {
                    self.cur.push((lo, Token::Dedent, lo));
                }
            }
        }
        let top = self.top();
        if top.col != col {
            let d = Diagnostic::error("unindent does not match any outer indentation level", span)
                .label("this indentation matches no enclosing block");
            self.diags.push(d);
            self.levels.push(Level { col, alt, phantom: true });
        } else if top.alt != alt {
            self.tab_error(span);
        }
    }

    fn tab_error(&mut self, span: Span) {
        let d = Diagnostic::error("inconsistent use of tabs and spaces in indentation", span)
            .label("indentation differs from the enclosing block's in tabs and spaces")
            .help("indent with spaces only");
        self.diags.push(d);
    }

    fn finish(mut self) -> Layout {
        if let Some(outer) = self.brackets.first() {
            let d = Diagnostic::error(format!("`{}` was never closed", outer.open), outer.span)
                .label("unclosed delimiter");
            self.poison = Some(self.poison.map_or(outer.span.start as usize, |p| p.min(outer.span.start as usize)));
            self.diags.push(d);
            let at = self.last_end;
            while let Some(b) = self.brackets.pop() {
                self.cur.push((at, b.closer, at));
            }
        }
        if self.line_has_tokens {
            self.end_line();
        }
        let end = self.text.len();
        while self.levels.len() > 1 {
            if let Some(level) = self.levels.pop() {
                if !level.phantom {
                    self.cur.push((end, Token::Dedent, end));
                }
            }
        }
        if !self.cur.is_empty() {
            self.chunks.push(self.cur);
        }
        Layout { chunks: self.chunks, poison: self.poison }
    }
}

/// Indentation width of a line prefix: (tab size 8, tab size 1).
fn measure(prefix: &str) -> (usize, usize) {
    let (mut col, mut alt) = (0, 0);
    for c in prefix.chars() {
        match c {
            ' ' => {
                col += 1;
                alt += 1;
            }
            '\t' => {
                col = (col / 8 + 1) * 8;
                alt += 1;
            }
            '\x0c' => {
                col = 0;
                alt = 0;
            }
            _ => break,
        }
    }
    (col, alt)
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn run(src: &str) -> (String, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let toks = lex(src, &mut d);
        let l = layout(src, toks, &mut d);
        let s = l
            .chunks
            .iter()
            .map(|c| c.iter().map(|(_, t, _)| t.to_string()).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(" | ");
        (s, d)
    }

    #[test]
    fn blocks_and_joining() {
        let (s, d) = run("if x:\n    y = (1,\n  2)\n\n    # c\n    z\nw\n");
        assert!(d.is_empty());
        assert_eq!(s, "if x : NEWLINE INDENT y = ( 1 , 2 ) NEWLINE z NEWLINE DEDENT | w NEWLINE");
    }

    #[test]
    fn else_and_decorators_stay_in_chunk() {
        let (s, _) = run("if a:\n  b\nelse:\n  c\n@d\ndef f(): pass\n");
        assert_eq!(s, "if a : NEWLINE INDENT b NEWLINE DEDENT else : NEWLINE INDENT c NEWLINE DEDENT | @ d NEWLINE def f ( ) : pass NEWLINE");
    }

    #[test]
    fn errors() {
        let (_, d) = run("if x:\n        a\n    b\n");
        assert_eq!(d[0].message, "unindent does not match any outer indentation level");
        let (_, d) = run("x\n  y\n");
        assert_eq!(d[0].message, "unexpected indent");
        let (_, d) = run("if x:\n\ty\n        z\n");
        assert_eq!(d[0].message, "inconsistent use of tabs and spaces in indentation");
        let (s, d) = run("f(a[1)\n");
        assert_eq!(d.len(), 1);
        assert_eq!(s, "f ( a [ 1 ] ) NEWLINE");
        let (s, d) = run("f(a\n");
        assert_eq!(d[0].message, "`(` was never closed");
        assert_eq!(s, "f ( a ) NEWLINE");
    }

    #[test]
    fn deep_brackets_are_cut() {
        let src = format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
        let (s, d) = run(&src);
        assert_eq!(d.len(), 1);
        assert_eq!(s.matches('(').count(), MAX_BRACKET_DEPTH + 1);
        assert_eq!(s.matches(')').count(), MAX_BRACKET_DEPTH + 1);
    }
}
