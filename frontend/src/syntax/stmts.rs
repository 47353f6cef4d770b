//! The grammar's actions for statements, parameters and assignment targets
//! (the `impl Ctx` half that `actions.rs` does not hold). Checks here are
//! the ones Python makes at parse time: `f() = 1` is not assignable, a
//! parameter without a default cannot follow one with a default, ...

use lalrpop_util::{ErrorRecovery, ParseError};

use super::actions::{span, Ctx, Ex, NoLexError};
use super::ast::*;
use super::errors::syntax_error;
use super::token::Token;
use super::span::Span;
use crate::diag::Diagnostic;

/// A parameter under construction (`def` or `lambda`).
pub enum PItem {
    Normal { name: Ident, annotation: Option<Ex>, default: Option<Ex>, span: Span },
    /// `*` (no name) or `*args`.
    Star { name: Option<Ident>, annotation: Option<Ex>, span: Span },
    DoubleStar { name: Ident, annotation: Option<Ex>, span: Span },
    /// `/`: the end of positional-only parameters (no AST node).
    Slash(Span),
}

/// `elif test: body` with the position of `elif`.
pub type Elif = (usize, Ex, Vec<Stmt>);

/// The end of a statement whose last part is `body`.
fn block_end(body: &[Stmt], default: usize) -> usize {
    body.last().map_or(default, |s| s.span.end as usize)
}

fn opt(x: Option<Ex>) -> Option<Expr> {
    x.map(Ex::into_expr)
}

/// What kind of expression this is, for "cannot assign to ..." messages.
fn describe(e: &Expr) -> &'static str {
    match &e.kind {
        ExprKind::Call { .. } => "function call",
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::FString(_) => "literal",
        ExprKind::Bool(_) | ExprKind::None | ExprKind::Ellipsis => "constant",
        ExprKind::Binary { .. } | ExprKind::Unary { .. } => "expression",
        ExprKind::BoolOp { .. } => "boolean expression",
        ExprKind::Compare { .. } => "comparison",
        ExprKind::IfExp { .. } => "conditional expression",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Set(_) => "set display",
        ExprKind::ListComp { .. } => "list comprehension",
        ExprKind::DictComp { .. } => "dict comprehension",
        ExprKind::SetComp { .. } => "set comprehension",
        ExprKind::GeneratorExp { .. } => "generator expression",
        ExprKind::Yield(_) => "yield expression",
        ExprKind::Slice { .. } => "slice",
        _ => "expression",
    }
}

impl Ctx<'_> {
    pub fn stmt(&mut self, kind: StmtKind, lo: usize, hi: usize) -> Stmt {
        Stmt { kind, span: span(lo, hi) }
    }

    /// A statement the parser recovered from (`!` in the grammar).
    pub fn error_stmt(&mut self, e: ErrorRecovery<usize, Token, NoLexError>, lo: usize, hi: usize) -> Stmt {
        let end = e.dropped_tokens.last().map_or(hi, |t| t.2.max(hi));
        self.recovered(e.error);
        Stmt { kind: StmtKind::Error, span: span(lo, end) }
    }

    pub fn recovered(&mut self, e: ParseError<usize, Token, NoLexError>) {
        let eof = self.src.len();
        self.syntax.push(syntax_error(e, eof));
    }

    /// Checks an assignment (or `del`, `for`) target; `verb` is "assign to"
    /// or "delete".
    pub fn check_target(&mut self, e: &Expr, verb: &str) {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } | ExprKind::Error => {}
            ExprKind::Tuple(xs) | ExprKind::List(xs) => xs.iter().for_each(|x| self.check_target(x, verb)),
            ExprKind::Starred(x) if verb == "assign to" => self.check_target(x, verb),
            _ => {
                let d = Diagnostic::error(format!("cannot {verb} {}", describe(e)), e.span)
                    .label(format!("cannot {verb} this"));
                let d = if verb == "assign to" && matches!(e.kind, ExprKind::Call { .. } | ExprKind::Compare { .. }) {
                    d.help("did you mean `==`?")
                } else {
                    d
                };
                self.diags.push(d);
            }
        }
    }

    /// `e` alone, or the only name/attribute/subscript an annotated or
    /// augmented assignment accepts.
    fn check_single_target(&mut self, e: &Expr, what: &str) {
        match &e.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } | ExprKind::Error => {}
            _ => {
                let msg = format!("`{}` is an illegal target for {what}", describe(e));
                self.diags.push(Diagnostic::error(msg, e.span).label("expected a name, attribute or subscript"));
            }
        }
    }

    pub fn expr_stmt(&mut self, e: Ex, lo: usize, hi: usize) -> Stmt {
        self.stmt(StmtKind::Expr(e.e), lo, hi)
    }

    /// `first = rest[0] = ... = value`.
    pub fn assign(&mut self, first: Ex, mut rest: Vec<Ex>, lo: usize, hi: usize) -> Stmt {
        let Some(value) = rest.pop() else {
            return self.expr_stmt(first, lo, hi);
        };
        let targets: Vec<Expr> = std::iter::once(first.e).chain(rest.into_iter().map(Ex::into_expr)).collect();
        for t in &targets {
            self.check_target(t, "assign to");
        }
        self.stmt(StmtKind::Assign { targets, value: value.e }, lo, hi)
    }

    pub fn ann_assign(&mut self, target: Ex, annotation: Ex, value: Option<Ex>, lo: usize, hi: usize) -> Stmt {
        self.check_single_target(&target.e, "annotation");
        self.stmt(StmtKind::AnnAssign { target: target.e, annotation: annotation.e, value: opt(value) }, lo, hi)
    }

    pub fn aug_assign(&mut self, target: Ex, op: BinOp, value: Ex, lo: usize, hi: usize) -> Stmt {
        self.check_single_target(&target.e, "augmented assignment");
        self.stmt(StmtKind::AugAssign { target: target.e, op, value: value.e }, lo, hi)
    }

    pub fn delete(&mut self, targets: Vec<Ex>, lo: usize, hi: usize) -> Stmt {
        let targets: Vec<Expr> = targets.into_iter().map(Ex::into_expr).collect();
        for t in &targets {
            self.check_target(t, "delete");
        }
        self.stmt(StmtKind::Delete(targets), lo, hi)
    }

    pub fn raise(&mut self, exc: Option<(Ex, Option<Ex>)>, lo: usize, hi: usize) -> Stmt {
        let (exc, cause) = match exc {
            Some((e, c)) => (Some(e.e), opt(c)),
            None => (None, None),
        };
        self.stmt(StmtKind::Raise { exc, cause }, lo, hi)
    }

    pub fn assert(&mut self, test: Ex, msg: Option<Ex>, lo: usize, hi: usize) -> Stmt {
        self.stmt(StmtKind::Assert { test: test.e, msg: opt(msg) }, lo, hi)
    }

    pub fn if_stmt(&mut self, lo: usize, test: Ex, body: Vec<Stmt>, elifs: Vec<Elif>, orelse: Option<Vec<Stmt>>) -> Stmt {
        // Build from the last `elif` outwards: each is an `If` alone in the
        // `orelse` of the one before.
        let mut tail = orelse.unwrap_or_default();
        for (elo, etest, ebody) in elifs.into_iter().rev() {
            let end = block_end(&tail, block_end(&ebody, elo));
            let kind = StmtKind::If { test: etest.e, body: ebody, orelse: tail };
            tail = vec![Stmt { kind, span: span(elo, end) }];
        }
        let end = block_end(&tail, block_end(&body, lo));
        self.stmt(StmtKind::If { test: test.e, body, orelse: tail }, lo, end)
    }

    pub fn while_stmt(&mut self, lo: usize, test: Ex, body: Vec<Stmt>, orelse: Option<Vec<Stmt>>) -> Stmt {
        let orelse = orelse.unwrap_or_default();
        let end = block_end(&orelse, block_end(&body, lo));
        self.stmt(StmtKind::While { test: test.e, body, orelse }, lo, end)
    }

    pub fn for_stmt(&mut self, lo: usize, target: Ex, iter: Ex, body: Vec<Stmt>, orelse: Option<Vec<Stmt>>) -> Stmt {
        self.check_target(&target.e, "assign to");
        let orelse = orelse.unwrap_or_default();
        let end = block_end(&orelse, block_end(&body, lo));
        self.stmt(StmtKind::For { target: target.e, iter: iter.e, body, orelse }, lo, end)
    }

    pub fn try_stmt(
        &mut self,
        lo: usize,
        body: Vec<Stmt>,
        handlers: Vec<ExceptHandler>,
        orelse: Option<Vec<Stmt>>,
        finalbody: Option<Vec<Stmt>>,
    ) -> Stmt {
        let (orelse, finalbody) = (orelse.unwrap_or_default(), finalbody.unwrap_or_default());
        let mut end = block_end(&body, lo);
        end = handlers.last().map_or(end, |h| h.span.end as usize);
        end = block_end(&finalbody, block_end(&orelse, end));
        self.stmt(StmtKind::Try { body, handlers, orelse, finalbody }, lo, end)
    }

    pub fn handler(&mut self, lo: usize, ty: Option<(Ex, Option<Ident>)>, body: Vec<Stmt>) -> ExceptHandler {
        let (ty, name) = match ty {
            Some((t, n)) => (Some(t.e), n),
            None => (None, None),
        };
        let end = block_end(&body, lo);
        ExceptHandler { ty, name, body, span: span(lo, end) }
    }

    pub fn with_stmt(&mut self, lo: usize, items: Vec<(Ex, Option<Ex>)>, body: Vec<Stmt>) -> Stmt {
        let items = items
            .into_iter()
            .map(|(c, t)| {
                if let Some(t) = &t {
                    self.check_target(&t.e, "assign to");
                }
                WithItem { context: c.e, target: opt(t) }
            })
            .collect();
        let end = block_end(&body, lo);
        self.stmt(StmtKind::With { items, body }, lo, end)
    }

    /// A `def` (header from `lo` to `hi`).
    #[allow(clippy::too_many_arguments)]
    pub fn funcdef(
        &mut self,
        lo: usize,
        name: Ident,
        params: Vec<PItem>,
        returns: Option<Ex>,
        hi: usize,
        body: Vec<Stmt>,
    ) -> Stmt {
        let params = self.params(params);
        let end = block_end(&body, hi);
        let f = FunctionDef { name, decorators: Vec::new(), params, returns: opt(returns), body, header: span(lo, hi) };
        self.stmt(StmtKind::FunctionDef(f), lo, end)
    }

    pub fn classdef(&mut self, lo: usize, name: Ident, bases: Option<Vec<super::actions::ArgEx>>, hi: usize, body: Vec<Stmt>) -> Stmt {
        let bases = self.args(bases.unwrap_or_default());
        let end = block_end(&body, hi);
        let c = ClassDef { name, decorators: Vec::new(), bases, body, header: span(lo, hi) };
        self.stmt(StmtKind::ClassDef(c), lo, end)
    }

    /// Attaches `@decorators` (outermost first) to a `def` or `class`.
    pub fn decorate(&mut self, decorators: Vec<Ex>, mut s: Stmt) -> Stmt {
        let decs: Vec<Expr> = decorators.into_iter().map(Ex::into_expr).collect();
        match &mut s.kind {
            StmtKind::FunctionDef(f) => f.decorators = decs,
            StmtKind::ClassDef(c) => c.decorators = decs,
            _ => {}
        }
        s
    }

    pub fn lambda(&mut self, params: Vec<PItem>, body: Ex, lo: usize, hi: usize) -> Ex {
        let d = params
            .iter()
            .map(|p| match p {
                PItem::Normal { default: Some(x), .. } => x.d,
                _ => 0,
            })
            .max()
            .unwrap_or(0)
            .max(body.d);
        let params = self.params(params);
        self.node(ExprKind::Lambda { params, body: Box::new(body.e) }, lo, hi, d)
    }

    /// Parameters in order, with Python's rules: defaults are not followed
    /// by non-defaults (before `*`), nothing follows `**kwargs`, names are
    /// unique, one `*`.
    pub fn params(&mut self, items: Vec<PItem>) -> Vec<Param> {
        let mut out: Vec<Param> = Vec::new();
        let mut kw_only = false;
        let mut seen_default = false;
        let mut seen_varkw = false;
        for item in items {
            if seen_varkw {
                let s = match &item {
                    PItem::Normal { span, .. } | PItem::Star { span, .. } | PItem::DoubleStar { span, .. } => *span,
                    PItem::Slash(span) => *span,
                };
                self.err("parameter after `**` parameter", s);
            }
            match item {
                PItem::Normal { name, annotation, default, span } => {
                    if default.is_some() {
                        seen_default = true;
                    } else if seen_default && !kw_only {
                        let d = Diagnostic::error("parameter without a default follows parameter with a default", span)
                            .label("this parameter needs a default too");
                        self.diags.push(d);
                    }
                    let kind = if kw_only { ParamKind::KwOnly } else { ParamKind::Normal };
                    out.push(Param { name, kind, annotation: opt(annotation), default: opt(default), span });
                }
                PItem::Star { name, annotation, span } => {
                    if kw_only {
                        self.err("`*` parameter may appear only once", span);
                    }
                    kw_only = true;
                    if let Some(name) = name {
                        out.push(Param { name, kind: ParamKind::VarArgs, annotation: opt(annotation), default: None, span });
                    }
                }
                PItem::DoubleStar { name, annotation, span } => {
                    seen_varkw = true;
                    out.push(Param { name, kind: ParamKind::VarKw, annotation: opt(annotation), default: None, span });
                }
                PItem::Slash(span) => {
                    if kw_only || out.is_empty() {
                        self.err("`/` must follow at least one positional parameter", span);
                    }
                }
            }
        }
        for (i, p) in out.iter().enumerate() {
            if out[..i].iter().any(|q| q.name.name == p.name.name) {
                let msg = format!("duplicate parameter `{}`", p.name.name);
                self.diags.push(Diagnostic::error(msg, p.name.span).label("already declared"));
            }
        }
        out
    }

    pub fn relative_import(&mut self, lo: usize, hi: usize) -> Stmt {
        let d = Diagnostic::error("relative imports are not supported", span(lo, hi))
            .help("import the module by its absolute name");
        self.diags.push(d);
        self.stmt(StmtKind::Error, lo, hi)
    }

    pub fn import_from(&mut self, module: DottedName, names: Vec<Alias>, lo: usize, hi: usize) -> Stmt {
        if names.is_empty() {
            self.err("expected at least one name to import", span(lo, hi));
        }
        self.stmt(StmtKind::ImportFrom { module, names }, lo, hi)
    }
}
