//! Tokens of the text form, each with its 1-based `line:col`. Newlines are
//! tokens (statements are lines); other whitespace separates; `;` starts a
//! comment to the end of the line; `#` starts a source location, taken
//! whole as one token.

use crate::error::ParseError;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Newline,
    /// `%3` or `%x.1`: the text after `%`.
    Value(String),
    /// `^1`: the text after `^`.
    BlockRef(String),
    /// `@w0`: the text after `@`.
    ConstRef(String),
    /// Names, keywords and dotted op names (`aten.add.Tensor`).
    Ident(String),
    /// `3`, `-1`, `1.5`, `1e-5`, `-inf`.
    Number(String),
    Str(String),
    /// `# file:line:col`: the text after `#`, trimmed.
    Loc(String),
    Arrow,
    Punct(char),
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
    pub col: u32,
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
}

impl Lexer<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|&c| f(c)) {
            s.push(c);
            self.bump();
        }
        s
    }
    fn err(&self, line: u32, col: u32, msg: impl Into<String>) -> ParseError {
        ParseError { line, col, msg: msg.into() }
    }

    fn string(&mut self, line: u32, col: u32) -> Result<String, ParseError> {
        let mut s = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return Err(self.err(line, col, "unterminated string")),
                Some('"') => return Ok(s),
                Some('\\') => {
                    let c = match self.bump() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('0') => '\0',
                        Some(c @ ('\\' | '"' | '\'')) => c,
                        Some('u') => self.unicode_escape(line, col)?,
                        _ => return Err(self.err(self.line, self.col, "bad escape in string")),
                    };
                    s.push(c);
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn unicode_escape(&mut self, line: u32, col: u32) -> Result<char, ParseError> {
        if self.bump() != Some('{') {
            return Err(self.err(line, col, "bad \\u escape"));
        }
        let hex = self.take_while(|c| c.is_ascii_hexdigit());
        if self.bump() != Some('}') || hex.len() > 6 {
            return Err(self.err(line, col, "bad \\u escape"));
        }
        u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32).ok_or_else(|| self.err(line, col, "bad \\u escape"))
    }

    fn number(&mut self, first: char) -> String {
        let mut s = String::from(first);
        if first == '-' && self.peek() == Some('i') {
            s.push_str(&self.take_while(|c| c.is_ascii_alphabetic()));
            return s;
        }
        s.push_str(&self.take_while(|c| c.is_ascii_digit()));
        if self.peek() == Some('.') {
            self.bump();
            s.push('.');
            s.push_str(&self.take_while(|c| c.is_ascii_digit()));
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            s.push('e');
            self.bump();
            if let Some(c @ ('+' | '-')) = self.peek() {
                s.push(c);
                self.bump();
            }
            s.push_str(&self.take_while(|c| c.is_ascii_digit()));
        }
        s
    }
}

/// Splits `text` into tokens, ending with `Eof`.
pub fn lex(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer { chars: text.chars().peekable(), line: 1, col: 1 };
    let mut out = Vec::new();
    loop {
        let (line, col) = (lx.line, lx.col);
        let Some(c) = lx.bump() else {
            out.push(Token { tok: Tok::Eof, line, col });
            return Ok(out);
        };
        let tok = match c {
            '\n' => Tok::Newline,
            c if c.is_whitespace() => continue,
            ';' => {
                lx.take_while(|c| c != '\n');
                continue;
            }
            '#' => Tok::Loc(lx.take_while(|c| c != '\n').trim().to_string()),
            '%' | '^' | '@' => {
                let s = lx.take_while(name_char);
                if s.is_empty() {
                    return Err(lx.err(line, col, format!("expected a name or number after `{c}`")));
                }
                match c {
                    '%' => Tok::Value(s),
                    '^' => Tok::BlockRef(s),
                    _ => Tok::ConstRef(s),
                }
            }
            '"' => Tok::Str(lx.string(line, col)?),
            '-' if lx.peek() == Some('>') => {
                lx.bump();
                Tok::Arrow
            }
            '-' if lx.peek().is_some_and(|c| c.is_ascii_digit() || c == 'i') => Tok::Number(lx.number('-')),
            c if c.is_ascii_digit() => Tok::Number(lx.number(c)),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = String::from(c);
                s.push_str(&lx.take_while(name_char));
                Tok::Ident(s)
            }
            '(' | ')' | '[' | ']' | '<' | '>' | ',' | ':' | '=' | '?' => Tok::Punct(c),
            c => return Err(lx.err(line, col, format!("unexpected character `{}`", c.escape_debug()))),
        };
        out.push(Token { tok, line, col });
    }
}
