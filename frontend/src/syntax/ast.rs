//! The abstract syntax tree of a Python file, as close to Python's own `ast`
//! module as the TorchScript subset needs. Every node carries a [`Span`].
//!
//! The tree holds everything that *parses*, including constructs the
//! checker later rejects (`try`, `lambda`, `yield`, `global`, `with`,
//! dict/set comprehensions, `*args`): rejecting them there gives a message
//! that names the construct instead of a bare syntax error. A syntax error
//! the parser recovered from leaves a `StmtKind::Error` / `ExprKind::Error`.

use super::span::Span;

/// A parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub body: Vec<Stmt>,
}

/// A name with its position (`def name`, `x.attr`, `kw=`).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `import a.b as c, d`.
    Import(Vec<Alias>),
    /// `from a.b import c as d, e` (`names` empty never; `*` is an alias named `*`).
    ImportFrom { module: DottedName, names: Vec<Alias> },
    FunctionDef(FunctionDef),
    ClassDef(ClassDef),
    /// `a = b = value`: `targets` in source order (`[a, b]`). A target is a
    /// name, attribute, subscript, or a tuple/list of targets (unpacking).
    Assign { targets: Vec<Expr>, value: Expr },
    /// `target: annotation [= value]`.
    AnnAssign { target: Expr, annotation: Expr, value: Option<Expr> },
    /// `target op= value`.
    AugAssign { target: Expr, op: BinOp, value: Expr },
    Expr(Expr),
    /// `if`/`elif`/`else`: an `elif` is an `If` alone in `orelse`.
    If { test: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    For { target: Expr, iter: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    While { test: Expr, body: Vec<Stmt>, orelse: Vec<Stmt> },
    Break,
    Continue,
    Pass,
    Return(Option<Expr>),
    Assert { test: Expr, msg: Option<Expr> },
    /// `raise [exc [from cause]]`.
    Raise { exc: Option<Expr>, cause: Option<Expr> },
    // --- parsed so that the checker can reject them by name ---
    Delete(Vec<Expr>),
    Global(Vec<Ident>),
    Nonlocal(Vec<Ident>),
    Try { body: Vec<Stmt>, handlers: Vec<ExceptHandler>, orelse: Vec<Stmt>, finalbody: Vec<Stmt> },
    With { items: Vec<WithItem>, body: Vec<Stmt> },
    /// A statement the parser could not make sense of (already reported).
    Error,
}

/// `a.b.c` in imports.
#[derive(Clone, Debug, PartialEq)]
pub struct DottedName {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl DottedName {
    /// `"a.b.c"`.
    pub fn joined(&self) -> String {
        self.parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".")
    }
}

/// `name [as asname]` in an import.
#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    pub name: DottedName,
    pub asname: Option<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub name: Ident,
    /// `@expr` lines, outermost first.
    pub decorators: Vec<Expr>,
    pub params: Vec<Param>,
    pub returns: Option<Expr>,
    pub body: Vec<Stmt>,
    /// `def` keyword through the end of the signature's `:`.
    pub header: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A plain parameter (positional or keyword).
    Normal,
    /// After a bare `*` or `*args`: keyword-only.
    KwOnly,
    /// `*args`.
    VarArgs,
    /// `**kwargs`.
    VarKw,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub kind: ParamKind,
    pub annotation: Option<Expr>,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClassDef {
    pub name: Ident,
    pub decorators: Vec<Expr>,
    /// Base classes (`nn.Module`); keyword arguments (`metaclass=`) are kept as calls' would be.
    pub bases: Vec<Arg>,
    pub body: Vec<Stmt>,
    /// `class` keyword through the `:`.
    pub header: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExceptHandler {
    pub ty: Option<Expr>,
    pub name: Option<Ident>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WithItem {
    pub context: Expr,
    pub target: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Name(String),
    /// Integer literal (fits in i64; larger literals are a parse diagnostic).
    Int(i64),
    Float(f64),
    /// A string literal; adjacent literals are concatenated by the parser.
    Str(String),
    Bool(bool),
    None,
    /// `...`
    Ellipsis,
    Attribute { value: Box<Expr>, attr: Ident },
    Call { func: Box<Expr>, args: Vec<Arg> },
    /// `value[index]`; `a[i, j]` has a `Tuple` index, slices are `Slice` nodes.
    Subscript { value: Box<Expr>, index: Box<Expr> },
    /// `lower:upper:step` inside a subscript.
    Slice { lower: Option<Box<Expr>>, upper: Option<Box<Expr>>, step: Option<Box<Expr>> },
    Unary { op: UnaryOp, operand: Box<Expr> },
    Binary { op: BinOp, left: Box<Expr>, right: Box<Expr> },
    /// `a and b and c` (two or more values; short-circuit, left to right).
    BoolOp { op: BoolOp, values: Vec<Expr> },
    /// `a < b <= c`: `left` then `(op, right)` pairs, as Python's `Compare`.
    Compare { left: Box<Expr>, ops: Vec<(CmpOp, Expr)> },
    /// `body if test else orelse`.
    IfExp { test: Box<Expr>, body: Box<Expr>, orelse: Box<Expr> },
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    /// `{k: v}`; `**m` entries have `key == None`.
    Dict(Vec<(Option<Expr>, Expr)>),
    Set(Vec<Expr>),
    ListComp { elt: Box<Expr>, generators: Vec<Comprehension> },
    DictComp { key: Box<Expr>, value: Box<Expr>, generators: Vec<Comprehension> },
    SetComp { elt: Box<Expr>, generators: Vec<Comprehension> },
    GeneratorExp { elt: Box<Expr>, generators: Vec<Comprehension> },
    Lambda { params: Vec<Param>, body: Box<Expr> },
    /// `*x` (in calls, list displays and assignment targets).
    Starred(Box<Expr>),
    Yield(Option<Box<Expr>>),
    /// `f"..."` (kept as its raw text; not in the subset).
    FString(String),
    /// An expression the parser could not make sense of (already reported).
    Error,
}

/// One argument in a call (or a class's base list).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// `Some(name)` for `name=value`.
    pub keyword: Option<Ident>,
    /// `*value` / `**value`.
    pub star: ArgStar,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgStar {
    None,
    /// `*xs`
    Single,
    /// `**kw`
    Double,
}

/// `for target in iter if cond...` inside a comprehension.
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    pub target: Expr,
    pub iter: Expr,
    pub ifs: Vec<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
    /// `+`
    Pos,
    /// `~`
    Invert,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `@`
    MatMul,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `<<`
    LShift,
    /// `>>`
    RShift,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    Is,
    IsNot,
    In,
    NotIn,
}

impl BinOp {
    /// The operator's source spelling (`"//"`).
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::MatMul => "@",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::LShift => "<<",
            BinOp::RShift => ">>",
        }
    }
}

impl CmpOp {
    /// The operator's source spelling (`"is not"`).
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::LtE => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtE => ">=",
            CmpOp::Is => "is",
            CmpOp::IsNot => "is not",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
        }
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "not",
            UnaryOp::Neg => "-",
            UnaryOp::Pos => "+",
            UnaryOp::Invert => "~",
        }
    }
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    /// `a.b.c` as `["a", "b", "c"]` when the expression is a dotted name.
    pub fn dotted(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ExprKind::Name(n) => Some(vec![n.as_str()]),
            ExprKind::Attribute { value, attr } => {
                let mut v = value.dotted()?;
                v.push(attr.name.as_str());
                Some(v)
            }
            _ => None,
        }
    }
}
