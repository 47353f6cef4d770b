//! The parser's [`Token`]: what the lexer produces and the grammar
//! consumes, with its source spelling (`Display`) and how diagnostics name
//! it ([`Token::describe`]).

use std::fmt;

use super::ast::BinOp;

/// A token as the parser sees it. `Newline` is a physical line end until the
/// layout pass, a logical one after it.
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    Name(String),
    Int(i64),
    Float(f64),
    Str(String),
    /// An f-string, kept as its raw source text.
    FStr(String),
    /// A number literal that was reported as invalid (too large, complex).
    BadNumber,
    // Keywords.
    False,
    None,
    True,
    And,
    As,
    Assert,
    Async,
    Await,
    Break,
    Class,
    Continue,
    Def,
    Del,
    Elif,
    Else,
    Except,
    Finally,
    For,
    From,
    Global,
    If,
    Import,
    In,
    Is,
    Lambda,
    Nonlocal,
    Not,
    Or,
    Pass,
    Raise,
    Return,
    Try,
    While,
    With,
    Yield,
    // Delimiters and operators.
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Semi,
    Dot,
    Ellipsis,
    Arrow,
    At,
    Assign,
    Walrus,
    Plus,
    Minus,
    Star,
    DoubleStar,
    Slash,
    DoubleSlash,
    Percent,
    Tilde,
    Amper,
    Pipe,
    Caret,
    LShift,
    RShift,
    EqEq,
    NotEq,
    Lt,
    Gt,
    LtE,
    GtE,
    /// `+=`, `-=`, ... `@=`, `**=`, `//=`, `<<=`, `>>=`.
    AugAssign(BinOp),
    // Layout.
    Newline,
    Indent,
    Dedent,
}

/// A token with its byte span, in the shape lalrpop consumes.
pub type Spanned = (usize, Token, usize);

impl Token {
    /// How a diagnostic names this token: `` `if` ``, `identifier \`x\``.
    pub fn describe(&self) -> String {
        match self {
            Token::Name(n) => format!("identifier `{n}`"),
            Token::Int(_) | Token::Float(_) | Token::BadNumber => "number".to_string(),
            Token::Str(_) | Token::FStr(_) => "string literal".to_string(),
            Token::Newline => "end of line".to_string(),
            Token::Indent => "indent".to_string(),
            Token::Dedent => "dedent".to_string(),
            t if t.is_keyword() => format!("keyword `{t}`"),
            t => format!("`{t}`"),
        }
    }

    pub fn is_keyword(&self) -> bool {
        use Token as T;
        matches!(
            self,
            T::False | T::None | T::True | T::And | T::As | T::Assert | T::Async | T::Await | T::Break
                | T::Class | T::Continue | T::Def | T::Del | T::Elif | T::Else | T::Except | T::Finally
                | T::For | T::From | T::Global | T::If | T::Import | T::In | T::Is | T::Lambda
                | T::Nonlocal | T::Not | T::Or | T::Pass | T::Raise | T::Return | T::Try | T::While
                | T::With | T::Yield
        )
    }
}

impl fmt::Display for Token {
    /// The source spelling (literals print their value).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Token as T;
        let s = match self {
            T::Name(n) => return f.write_str(n),
            T::Int(v) => return write!(f, "{v}"),
            T::Float(v) => return write!(f, "{v:?}"),
            T::Str(s) => return write!(f, "{s:?}"),
            T::FStr(s) => return f.write_str(s),
            T::AugAssign(op) => return write!(f, "{}=", op.symbol()),
            T::BadNumber => "<number>",
            T::False => "False",
            T::None => "None",
            T::True => "True",
            T::And => "and",
            T::As => "as",
            T::Assert => "assert",
            T::Async => "async",
            T::Await => "await",
            T::Break => "break",
            T::Class => "class",
            T::Continue => "continue",
            T::Def => "def",
            T::Del => "del",
            T::Elif => "elif",
            T::Else => "else",
            T::Except => "except",
            T::Finally => "finally",
            T::For => "for",
            T::From => "from",
            T::Global => "global",
            T::If => "if",
            T::Import => "import",
            T::In => "in",
            T::Is => "is",
            T::Lambda => "lambda",
            T::Nonlocal => "nonlocal",
            T::Not => "not",
            T::Or => "or",
            T::Pass => "pass",
            T::Raise => "raise",
            T::Return => "return",
            T::Try => "try",
            T::While => "while",
            T::With => "with",
            T::Yield => "yield",
            T::LParen => "(",
            T::RParen => ")",
            T::LBracket => "[",
            T::RBracket => "]",
            T::LBrace => "{",
            T::RBrace => "}",
            T::Comma => ",",
            T::Colon => ":",
            T::Semi => ";",
            T::Dot => ".",
            T::Ellipsis => "...",
            T::Arrow => "->",
            T::At => "@",
            T::Assign => "=",
            T::Walrus => ":=",
            T::Plus => "+",
            T::Minus => "-",
            T::Star => "*",
            T::DoubleStar => "**",
            T::Slash => "/",
            T::DoubleSlash => "//",
            T::Percent => "%",
            T::Tilde => "~",
            T::Amper => "&",
            T::Pipe => "|",
            T::Caret => "^",
            T::LShift => "<<",
            T::RShift => ">>",
            T::EqEq => "==",
            T::NotEq => "!=",
            T::Lt => "<",
            T::Gt => ">",
            T::LtE => "<=",
            T::GtE => ">=",
            T::Newline => "NEWLINE",
            T::Indent => "INDENT",
            T::Dedent => "DEDENT",
        };
        f.write_str(s)
    }
}
