//! The grammar's actions for expressions: [`Ctx`] builds AST nodes for
//! `grammar.lalrpop` and keeps the parser's diagnostics.
//!
//! Expressions are built as [`Ex`]: a node with the depth of its tree. A
//! node deeper than [`MAX_EXPR_DEPTH`] is replaced by `ExprKind::Error`
//! (reported once per statement group), so no AST the parser returns is
//! deep enough to overflow the stack of a recursive pass, drop included:
//! `1+1+...+1` a million times is a left-nested chain, not a bracket, and the
//! layout pass's bracket limit alone would not bound it.

use super::ast::*;
use super::span::Span;
use crate::diag::Diagnostic;

/// How deep an expression tree may be.
pub const MAX_EXPR_DEPTH: u32 = 300;

/// The parser's error type for tokens: the layout pass already turned every
/// lexical problem into a diagnostic, so the token stream has no errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoLexError;

/// An expression under construction and the depth of its tree.
pub struct Ex {
    pub e: Expr,
    pub d: u32,
}

impl Ex {
    pub fn into_expr(self) -> Expr {
        self.e
    }
}

/// A call argument under construction.
pub struct ArgEx {
    pub keyword: Option<Ident>,
    pub star: ArgStar,
    pub value: Ex,
    pub span: Span,
}

/// A comprehension clause under construction.
pub struct CompEx {
    pub target: Ex,
    pub iter: Ex,
    pub ifs: Vec<Ex>,
    pub span: Span,
}

/// What is inside `( )` or `[ ]`.
pub enum Tlc {
    One(Ex),
    Many(Vec<Ex>),
    Comp(Ex, Vec<CompEx>),
}

/// What is inside `{ }`.
pub enum Brace {
    Dict(Vec<(Option<Ex>, Ex)>),
    Set(Vec<Ex>),
    DictComp(Ex, Ex, Vec<CompEx>),
    SetComp(Ex, Vec<CompEx>),
}

/// One string piece: an f-string or not, and its value (raw text for
/// f-strings).
pub type StrPart = (bool, String);

/// The parser's state: the source text (for f-strings' raw text) and
/// the diagnostics of one statement group.
pub struct Ctx<'s> {
    pub src: &'s str,
    /// Syntax errors from the LR parser (subject to cascade suppression).
    pub syntax: Vec<Diagnostic>,
    /// Other errors found while building nodes (bad assignment targets, ...).
    pub diags: Vec<Diagnostic>,
    depth_reported: bool,
}

pub fn span(lo: usize, hi: usize) -> Span {
    Span::new(lo, hi)
}

fn depth<'a>(items: impl IntoIterator<Item = &'a Ex>) -> u32 {
    items.into_iter().map(|x| x.d).max().unwrap_or(0)
}

fn boxed(x: Ex) -> Box<Expr> {
    Box::new(x.e)
}

fn comp_depth(gens: &[CompEx]) -> u32 {
    gens.iter().map(|g| g.target.d.max(g.iter.d).max(depth(&g.ifs))).max().unwrap_or(0)
}

fn comps(gens: Vec<CompEx>) -> Vec<Comprehension> {
    gens.into_iter()
        .map(|g| Comprehension {
            target: g.target.e,
            iter: g.iter.e,
            ifs: g.ifs.into_iter().map(Ex::into_expr).collect(),
            span: g.span,
        })
        .collect()
}

fn exprs(xs: Vec<Ex>) -> Vec<Expr> {
    xs.into_iter().map(Ex::into_expr).collect()
}

impl<'s> Ctx<'s> {
    pub fn new(src: &'s str) -> Ctx<'s> {
        Ctx { src, syntax: Vec::new(), diags: Vec::new(), depth_reported: false }
    }

    /// A node whose children have depth `child_depth`.
    pub fn node(&mut self, kind: ExprKind, lo: usize, hi: usize, child_depth: u32) -> Ex {
        let d = child_depth + 1;
        if d > MAX_EXPR_DEPTH {
            if !self.depth_reported {
                self.depth_reported = true;
                let msg = format!("expression too deeply nested (more than {MAX_EXPR_DEPTH} levels)");
                self.diags.push(Diagnostic::error(msg, span(lo, hi)).help("split it into several statements"));
            }
            // The children are at most MAX_EXPR_DEPTH deep: dropping them is safe.
            drop(kind);
            return Ex { e: Expr::new(ExprKind::Error, span(lo, hi)), d: 1 };
        }
        Ex { e: Expr::new(kind, span(lo, hi)), d }
    }

    pub fn leaf(&mut self, kind: ExprKind, lo: usize, hi: usize) -> Ex {
        self.node(kind, lo, hi, 0)
    }

    pub fn strings(&mut self, parts: Vec<StrPart>, lo: usize, hi: usize) -> Ex {
        if parts.iter().any(|(f, _)| *f) {
            let raw = self.src.get(lo..hi).unwrap_or("").to_string();
            return self.leaf(ExprKind::FString(raw), lo, hi);
        }
        let s: String = parts.into_iter().map(|(_, s)| s).collect();
        self.leaf(ExprKind::Str(s), lo, hi)
    }

    pub fn unary(&mut self, op: UnaryOp, x: Ex, lo: usize, hi: usize) -> Ex {
        let d = x.d;
        self.node(ExprKind::Unary { op, operand: boxed(x) }, lo, hi, d)
    }

    pub fn binary(&mut self, l: Ex, op: BinOp, r: Ex, lo: usize, hi: usize) -> Ex {
        let d = l.d.max(r.d);
        self.node(ExprKind::Binary { op, left: boxed(l), right: boxed(r) }, lo, hi, d)
    }

    pub fn boolop(&mut self, op: BoolOp, first: Ex, rest: Vec<Ex>, lo: usize, hi: usize) -> Ex {
        let d = first.d.max(depth(&rest));
        let mut values = vec![first.e];
        values.extend(exprs(rest));
        self.node(ExprKind::BoolOp { op, values }, lo, hi, d)
    }

    pub fn compare(&mut self, left: Ex, ops: Vec<(CmpOp, Ex)>, lo: usize, hi: usize) -> Ex {
        let d = left.d.max(ops.iter().map(|(_, x)| x.d).max().unwrap_or(0));
        let ops = ops.into_iter().map(|(op, x)| (op, x.e)).collect();
        self.node(ExprKind::Compare { left: boxed(left), ops }, lo, hi, d)
    }

    pub fn ifexp(&mut self, body: Ex, test: Ex, orelse: Ex, lo: usize, hi: usize) -> Ex {
        let d = body.d.max(test.d).max(orelse.d);
        let kind = ExprKind::IfExp { test: boxed(test), body: boxed(body), orelse: boxed(orelse) };
        self.node(kind, lo, hi, d)
    }

    pub fn attribute(&mut self, value: Ex, attr: Ident, lo: usize, hi: usize) -> Ex {
        let d = value.d;
        self.node(ExprKind::Attribute { value: boxed(value), attr }, lo, hi, d)
    }

    pub fn subscript(&mut self, value: Ex, index: Ex, lo: usize, hi: usize) -> Ex {
        let d = value.d.max(index.d);
        self.node(ExprKind::Subscript { value: boxed(value), index: boxed(index) }, lo, hi, d)
    }

    pub fn slice(&mut self, lower: Option<Ex>, upper: Option<Ex>, step: Option<Ex>, lo: usize, hi: usize) -> Ex {
        let d = [&lower, &upper, &step].iter().filter_map(|x| x.as_ref().map(|x| x.d)).max().unwrap_or(0);
        let kind = ExprKind::Slice { lower: lower.map(boxed), upper: upper.map(boxed), step: step.map(boxed) };
        self.node(kind, lo, hi, d)
    }

    pub fn call(&mut self, func: Ex, args: Vec<ArgEx>, lo: usize, hi: usize) -> Ex {
        let d = func.d.max(args.iter().map(|a| a.value.d).max().unwrap_or(0));
        let args = self.args(args);
        self.node(ExprKind::Call { func: boxed(func), args }, lo, hi, d)
    }

    /// Call arguments: checks Python's ordering rules.
    pub fn args(&mut self, args: Vec<ArgEx>) -> Vec<Arg> {
        let mut seen_kw = false;
        let mut seen_dstar = false;
        for a in &args {
            match (a.keyword.is_some(), a.star) {
                (false, ArgStar::None) if seen_dstar => {
                    self.err("positional argument follows keyword argument unpacking", a.span);
                }
                (false, ArgStar::None) if seen_kw => self.err("positional argument follows keyword argument", a.span),
                (false, ArgStar::Single) if seen_dstar => {
                    self.err("iterable argument unpacking follows keyword argument unpacking", a.span);
                }
                (true, _) => seen_kw = true,
                (false, ArgStar::Double) => seen_dstar = true,
                _ => {}
            }
        }
        args.into_iter().map(|a| Arg { keyword: a.keyword, star: a.star, value: a.value.e, span: a.span }).collect()
    }

    pub fn arg(&mut self, value: Ex, star: ArgStar, lo: usize, hi: usize) -> ArgEx {
        ArgEx { keyword: None, star, value, span: span(lo, hi) }
    }

    /// `k=v` in a call: `k` must be a plain name.
    pub fn kwarg(&mut self, k: Ex, v: Ex, lo: usize, hi: usize) -> ArgEx {
        let keyword = match k.e.kind {
            ExprKind::Name(name) => Some(Ident { name, span: k.e.span }),
            _ => {
                let d = Diagnostic::error("expression cannot contain assignment", k.e.span)
                    .label("this is not a name")
                    .help("did you mean `==`?");
                self.diags.push(d);
                None
            }
        };
        ArgEx { keyword, star: ArgStar::None, value: v, span: span(lo, hi) }
    }

    pub fn genexp_arg(&mut self, elt: Ex, gens: Vec<CompEx>, lo: usize, hi: usize) -> ArgEx {
        let value = self.comprehension(CompKind::Gen, elt, None, gens, lo, hi);
        ArgEx { keyword: None, star: ArgStar::None, value, span: span(lo, hi) }
    }

    pub fn starred(&mut self, x: Ex, lo: usize, hi: usize) -> Ex {
        let d = x.d;
        self.node(ExprKind::Starred(boxed(x)), lo, hi, d)
    }

    pub fn yield_(&mut self, x: Option<Ex>, lo: usize, hi: usize) -> Ex {
        let d = x.as_ref().map_or(0, |x| x.d);
        self.node(ExprKind::Yield(x.map(boxed)), lo, hi, d)
    }

    pub fn tuple(&mut self, items: Vec<Ex>, lo: usize, hi: usize) -> Ex {
        let d = depth(&items);
        self.node(ExprKind::Tuple(exprs(items)), lo, hi, d)
    }

    pub fn list(&mut self, items: Vec<Ex>, lo: usize, hi: usize) -> Ex {
        let d = depth(&items);
        self.node(ExprKind::List(exprs(items)), lo, hi, d)
    }

    /// `( ... )`: a parenthesized expression is its inner node, unchanged.
    pub fn paren(&mut self, t: Tlc, lo: usize, hi: usize) -> Ex {
        match t {
            Tlc::One(x) => x,
            Tlc::Many(xs) => self.tuple(xs, lo, hi),
            Tlc::Comp(elt, gens) => self.comprehension(CompKind::Gen, elt, None, gens, lo, hi),
        }
    }

    pub fn list_display(&mut self, t: Tlc, lo: usize, hi: usize) -> Ex {
        match t {
            Tlc::One(x) => self.list(vec![x], lo, hi),
            Tlc::Many(xs) => self.list(xs, lo, hi),
            Tlc::Comp(elt, gens) => self.comprehension(CompKind::List, elt, None, gens, lo, hi),
        }
    }

    pub fn brace_display(&mut self, b: Brace, lo: usize, hi: usize) -> Ex {
        match b {
            Brace::Dict(entries) => {
                let d = entries.iter().map(|(k, v)| k.as_ref().map_or(0, |k| k.d).max(v.d)).max().unwrap_or(0);
                let entries = entries.into_iter().map(|(k, v)| (k.map(Ex::into_expr), v.e)).collect();
                self.node(ExprKind::Dict(entries), lo, hi, d)
            }
            Brace::Set(items) => {
                let d = depth(&items);
                self.node(ExprKind::Set(exprs(items)), lo, hi, d)
            }
            Brace::DictComp(k, v, gens) => self.comprehension(CompKind::Dict, k, Some(v), gens, lo, hi),
            Brace::SetComp(elt, gens) => self.comprehension(CompKind::Set, elt, None, gens, lo, hi),
        }
    }

    pub fn comp_clause(&mut self, target: Ex, iter: Ex, ifs: Vec<Ex>, lo: usize, hi: usize) -> CompEx {
        self.check_target(&target.e, "assign to");
        CompEx { target, iter, ifs, span: span(lo, hi) }
    }

    fn comprehension(
        &mut self,
        kind: CompKind,
        elt: Ex,
        value: Option<Ex>,
        gens: Vec<CompEx>,
        lo: usize,
        hi: usize,
    ) -> Ex {
        let d = elt.d.max(value.as_ref().map_or(0, |v| v.d)).max(comp_depth(&gens));
        let generators = comps(gens);
        let kind = match (kind, value) {
            (CompKind::Dict, Some(v)) => ExprKind::DictComp { key: boxed(elt), value: boxed(v), generators },
            (CompKind::Set, _) => ExprKind::SetComp { elt: boxed(elt), generators },
            (CompKind::List, _) => ExprKind::ListComp { elt: boxed(elt), generators },
            _ => ExprKind::GeneratorExp { elt: boxed(elt), generators },
        };
        self.node(kind, lo, hi, d)
    }

    pub fn err(&mut self, msg: &str, at: Span) {
        self.diags.push(Diagnostic::error(msg, at));
    }
}

#[derive(Clone, Copy)]
enum CompKind {
    List,
    Set,
    Dict,
    Gen,
}
