//! Statements: assignments (one type per variable, unpacking counts,
//! attribute types), control flow (definite assignment across branches and
//! loops, `Optional` refinement, static `None` branches), returns.

use super::types::{from_annotation, Type};
use super::{Binding, Checker, Env, FnCtx};
use crate::diag::Diagnostic;
use crate::syntax::ast::{self, CmpOp, ExprKind, StmtKind};
use crate::syntax::span::Span;

/// How control leaves a block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Term {
    /// Falls through to the next statement.
    Falls,
    /// Always returns or raises.
    Returns,
    /// Always leaves by `break`/`continue`.
    Jumps,
}

/// What an `is None` test tells: for `expr`, the type in the true and the
/// false branch, or a static outcome.
struct NoneTest<'a> {
    target: &'a ast::Expr,
    if_true: Option<Type>,
    if_false: Option<Type>,
    statically: Option<bool>,
}

impl<'p> Checker<'p> {
    /// Checks a block; `true` when it never falls through to its end by returning.
    pub(crate) fn block(&mut self, ctx: &mut FnCtx, env: &mut Env, body: &[ast::Stmt]) -> bool {
        self.stmts(ctx, env, body) == Term::Returns
    }

    fn stmts(&mut self, ctx: &mut FnCtx, env: &mut Env, body: &[ast::Stmt]) -> Term {
        for s in body {
            let t = self.stmt(ctx, env, s);
            if t != Term::Falls {
                return t;
            }
        }
        Term::Falls
    }

    fn unsupported(&mut self, ctx: &FnCtx, span: Span, what: &str) {
        self.error(&ctx.file, Diagnostic::error(format!("{what} is not supported in TorchScript"), span).label("unsupported here"));
    }

    fn stmt(&mut self, ctx: &mut FnCtx, env: &mut Env, s: &ast::Stmt) -> Term {
        match &s.kind {
            StmtKind::Expr(e) => {
                self.expr(ctx, env, e);
            }
            StmtKind::Assign { targets, value } => {
                let ty = self.expr(ctx, env, value);
                for t in targets {
                    self.assign(ctx, env, t, ty.clone(), None);
                }
            }
            StmtKind::AnnAssign { target, annotation, value } => {
                let declared = from_annotation(annotation);
                if declared.is_none() {
                    self.error(&ctx.file, Diagnostic::error(format!("unknown type `{}`", ctx.file.snippet(annotation.span)), annotation.span));
                }
                let declared = declared.unwrap_or(Type::Unknown);
                if let Some(v) = value {
                    let ty = self.expr(ctx, env, v);
                    if !declared.accepts(&ty) {
                        self.error(
                            &ctx.file,
                            Diagnostic::error(format!("a value of type {ty} can't be assigned to a variable annotated {declared}"), v.span)
                                .label(format!("this is {ty}")),
                        );
                    }
                }
                self.assign(ctx, env, target, declared.clone(), Some(declared));
            }
            StmtKind::AugAssign { target, op, value } => {
                let cur = self.expr(ctx, env, target);
                let rhs = self.expr(ctx, env, value);
                let new = self.binary(ctx, *op, &cur, &rhs, s.span);
                if let ExprKind::Name(n) = &target.kind {
                    if !cur.accepts(&new) {
                        self.error(
                            &ctx.file,
                            Diagnostic::error(format!("variable '{n}' has type {cur}, but `{}=` makes it {new}", op.symbol()), s.span)
                                .label("changes the variable's type"),
                        );
                    }
                }
            }
            StmtKind::If { test, body, orelse } => return self.if_stmt(ctx, env, test, body, orelse),
            StmtKind::While { test, body, orelse } => {
                self.expr(ctx, env, test);
                self.loop_body(ctx, env, body, false, |_, _, _| {});
                self.stmts(ctx, env, orelse);
            }
            StmtKind::For { target, iter, body, orelse } => {
                self.for_stmt(ctx, env, target, iter, body);
                self.stmts(ctx, env, orelse);
            }
            StmtKind::Break | StmtKind::Continue => {
                if ctx.loops.last() == Some(&true) {
                    let what = if matches!(s.kind, StmtKind::Break) { "break" } else { "continue" };
                    self.error(
                        &ctx.file,
                        Diagnostic::error(format!("`{what}` inside a loop over a ModuleList, Sequential or tuple is not supported"), s.span)
                            .label(format!("`{what}` here"))
                            .note("such loops are unrolled when compiled, so they cannot exit early"),
                    );
                }
                return Term::Jumps;
            }
            StmtKind::Return(e) => {
                let ty = e.as_ref().map_or(Type::None, |e| self.expr(ctx, env, e));
                let span = e.as_ref().map_or(s.span, |e| e.span);
                self.check_return(ctx, ty, span);
                return Term::Returns;
            }
            StmtKind::Raise { exc, .. } => {
                if let Some(e) = exc {
                    self.expr(ctx, env, e);
                }
                return Term::Returns;
            }
            StmtKind::Assert { test, msg } => {
                self.expr(ctx, env, test);
                if let Some(m) = msg {
                    self.expr(ctx, env, m);
                }
                for t in self.none_tests(ctx, env, test) {
                    if let Some(ty) = t.if_true {
                        refine(env, t.target, ty);
                    }
                }
            }
            StmtKind::Pass | StmtKind::Import(_) | StmtKind::ImportFrom { .. } | StmtKind::Error => {}
            // Rejected constructs still bind their names, so that one error
            // does not cascade into "undefined name" errors below it.
            StmtKind::FunctionDef(d) => {
                self.unsupported(ctx, d.header, "a nested function definition");
                env.vars.insert(d.name.name.clone(), Binding { ty: Type::Unknown, maybe_unbound: None });
            }
            StmtKind::ClassDef(d) => {
                self.unsupported(ctx, d.header, "a class definition inside a function");
                env.vars.insert(d.name.name.clone(), Binding { ty: Type::Unknown, maybe_unbound: None });
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                self.unsupported(ctx, Span { start: s.span.start, end: s.span.start + 3 }, "`try`");
                for b in [body, orelse, finalbody].into_iter().chain(handlers.iter().map(|h| &h.body)) {
                    self.stmts(ctx, env, b);
                }
            }
            StmtKind::With { body, .. } => {
                self.unsupported(ctx, Span { start: s.span.start, end: s.span.start + 4 }, "`with`");
                self.stmts(ctx, env, body);
            }
            StmtKind::Global(_) => self.unsupported(ctx, s.span, "`global`"),
            StmtKind::Nonlocal(_) => self.unsupported(ctx, s.span, "`nonlocal`"),
            StmtKind::Delete(_) => self.unsupported(ctx, s.span, "`del`"),
        }
        Term::Falls
    }

    fn check_return(&mut self, ctx: &mut FnCtx, ty: Type, span: Span) {
        match &ctx.ret {
            Some(want) if !want.accepts(&ty) => {
                let d = Diagnostic::error(format!("return value has type {ty}, but the function is annotated to return {want}"), span)
                    .label(format!("this is {ty}"));
                self.error(&ctx.file, d);
            }
            Some(_) => {}
            None => {
                if let Some(prev) = ctx.returns.first() {
                    if prev.unify(&ty).is_none() {
                        let d = Diagnostic::error(format!("inconsistent return types: {prev} earlier, {ty} here"), span)
                            .label(format!("returns {ty}"))
                            .help("annotate the return type (e.g. `-> Optional[Tensor]`) or return one type");
                        self.error(&ctx.file, d);
                    }
                }
            }
        }
        ctx.returns.push(ty);
    }

    /// `target = <ty>`; `declared` is set by annotated assignments.
    pub(crate) fn assign(&mut self, ctx: &mut FnCtx, env: &mut Env, target: &ast::Expr, ty: Type, declared: Option<Type>) {
        match &target.kind {
            ExprKind::Name(n) => {
                if let (Some(b), None) = (env.vars.get(n), &declared) {
                    if b.maybe_unbound.is_none() && !b.ty.accepts(&ty) {
                        let d = Diagnostic::error(format!("variable '{n}' previously had type {} but is now assigned a value of type {ty}", b.ty), target.span)
                            .label(format!("assigned {ty} here"))
                            .help(format!("use a new name, or annotate the first assignment (`{n}: Optional[...] = ...`)"));
                        self.error(&ctx.file, d);
                        return;
                    }
                    if b.maybe_unbound.is_none() {
                        // Keep the declared (wider) type: `x: Optional[T]` stays Optional.
                        let keep = b.ty.clone();
                        env.vars.insert(n.clone(), Binding { ty: if matches!(keep, Type::Optional(_)) { keep } else { ty }, maybe_unbound: None });
                        return;
                    }
                }
                env.vars.insert(n.clone(), Binding { ty, maybe_unbound: None });
            }
            ExprKind::Tuple(ts) | ExprKind::List(ts) => {
                let elems: Vec<Type> = match &ty {
                    Type::Tuple(items) => {
                        if items.len() != ts.len() {
                            let msg = if items.len() > ts.len() { "too many" } else { "not enough" };
                            let d = Diagnostic::error(format!("{msg} values to unpack: need {} but found {}", ts.len(), items.len()), target.span)
                                .label(format!("{} names for a {ty}", ts.len()));
                            self.error(&ctx.file, d);
                            vec![Type::Unknown; ts.len()]
                        } else {
                            items.clone()
                        }
                    }
                    Type::List(t) => vec![(**t).clone(); ts.len()],
                    Type::Tensor => vec![Type::Tensor; ts.len()],
                    Type::Unknown => vec![Type::Unknown; ts.len()],
                    other => {
                        self.error(&ctx.file, Diagnostic::error(format!("cannot unpack a value of type {other}"), target.span));
                        vec![Type::Unknown; ts.len()]
                    }
                };
                for (t, e) in ts.iter().zip(elems) {
                    self.assign(ctx, env, t, e, None);
                }
            }
            ExprKind::Attribute { value, attr } => {
                let recv = self.expr(ctx, env, value);
                if let Type::Module(o) = recv {
                    if attr.name == "training" {
                        return;
                    }
                    match o.get(&attr.name) {
                        Some((_, v)) => {
                            let have = Type::of_value(&v);
                            if !have.accepts(&ty) && !matches!(have, Type::None) {
                                let d = Diagnostic::error(
                                    format!("wrong type for attribute assignment: `{}` is {have} but is assigned a value of type {ty}", attr.name),
                                    target.span,
                                )
                                .label(format!("expected {have}"))
                                .note("a module attribute keeps the type it got in `__init__`");
                                self.error(&ctx.file, d);
                            }
                        }
                        None => {
                            let d = Diagnostic::error(format!("module '{}' has no attribute '{}'", o.class.name, attr.name), attr.span)
                                .label("attributes must be created in `__init__`");
                            self.error(&ctx.file, d);
                        }
                    }
                }
            }
            ExprKind::Subscript { value, index } => {
                self.expr(ctx, env, value);
                self.index_types(ctx, env, index);
            }
            _ => self.error(&ctx.file, Diagnostic::error("cannot assign to this expression", target.span)),
        }
    }

    fn if_stmt(&mut self, ctx: &mut FnCtx, env: &mut Env, test: &ast::Expr, body: &[ast::Stmt], orelse: &[ast::Stmt]) -> Term {
        let tests = self.none_tests(ctx, env, test);
        if let [t] = tests.as_slice() {
            if let Some(b) = t.statically {
                // TorchScript compiles only the branch a `None` test selects.
                return self.stmts(ctx, env, if b { body } else { orelse });
            }
        }
        self.expr(ctx, env, test);
        let mut then_env = env.clone();
        let mut else_env = env.clone();
        for t in &tests {
            if let Some(ty) = &t.if_true {
                refine(&mut then_env, t.target, ty.clone());
            }
            if tests.len() == 1 {
                if let Some(ty) = &t.if_false {
                    refine(&mut else_env, t.target, ty.clone());
                }
            }
        }
        let a = self.stmts(ctx, &mut then_env, body);
        let b = self.stmts(ctx, &mut else_env, orelse);
        match (a, b) {
            (Term::Falls, Term::Falls) => *env = self.merge(ctx, then_env, else_env),
            (Term::Falls, _) => *env = then_env,
            (_, Term::Falls) => *env = else_env,
            (Term::Returns, Term::Returns) => return Term::Returns,
            _ => return Term::Jumps,
        }
        Term::Falls
    }

    /// Joins the environments of two branches that both fall through.
    fn merge(&mut self, ctx: &FnCtx, a: Env, mut b: Env) -> Env {
        let mut out = Env::default();
        for (name, x) in a.vars {
            match b.vars.remove(&name) {
                Some(y) => {
                    let ty = match x.ty.unify(&y.ty) {
                        Some(t) => t,
                        None => {
                            // Only an error if used later: remember why.
                            out.vars.insert(name.clone(), Binding {
                                ty: Type::Unknown,
                                maybe_unbound: Some(format!("'{name}' is {} in one branch and {} in the other", x.ty, y.ty)),
                            });
                            continue;
                        }
                    };
                    out.vars.insert(name, Binding { ty, maybe_unbound: x.maybe_unbound.or(y.maybe_unbound) });
                }
                None => {
                    let why = x.maybe_unbound.unwrap_or_else(|| format!("'{name}' is not defined in the false branch"));
                    out.vars.insert(name, Binding { ty: x.ty, maybe_unbound: Some(why) });
                }
            }
        }
        for (name, y) in b.vars {
            let why = y.maybe_unbound.unwrap_or_else(|| format!("'{name}' is not defined in the true branch"));
            out.vars.insert(name, Binding { ty: y.ty, maybe_unbound: Some(why) });
        }
        let _ = ctx;
        out
    }

    /// Checks a loop body; names first bound inside are unbound after the loop.
    fn loop_body(&mut self, ctx: &mut FnCtx, env: &mut Env, body: &[ast::Stmt], unrolled: bool, bind: impl FnOnce(&mut Self, &mut FnCtx, &mut Env)) {
        let mut inner = env.clone();
        bind(self, ctx, &mut inner);
        ctx.loops.push(unrolled);
        self.stmts(ctx, &mut inner, body);
        ctx.loops.pop();
        for (name, b) in inner.vars {
            match env.vars.get_mut(&name) {
                Some(outer) => {
                    if let Some(t) = outer.ty.unify(&b.ty) {
                        outer.ty = t;
                    }
                }
                None => {
                    env.vars.insert(name.clone(), Binding { ty: b.ty, maybe_unbound: Some(format!("'{name}' is only defined inside the loop body")) });
                }
            }
        }
    }

    fn for_stmt(&mut self, ctx: &mut FnCtx, env: &mut Env, target: &ast::Expr, iter: &ast::Expr, body: &[ast::Stmt]) {
        let it = self.expr(ctx, env, iter);
        // Loops over module containers (possibly through enumerate/zip) are
        // unrolled: the body is checked once per child, with its own type.
        if let Some(items) = self.unrolled_items(ctx, env, iter, &it) {
            for item in items {
                self.loop_body(ctx, env, body, true, |me, ctx, env| me.assign(ctx, env, target, item, None));
            }
            return;
        }
        let elem = self.element_type(ctx, &it, iter.span);
        self.loop_body(ctx, env, body, false, |me, ctx, env| me.assign(ctx, env, target, elem, None));
    }

    /// For `iter` over a ModuleList/Sequential/tuple: the per-iteration types.
    fn unrolled_items(&mut self, ctx: &mut FnCtx, env: &mut Env, iter: &ast::Expr, it: &Type) -> Option<Vec<Type>> {
        let children = |t: &Type| -> Option<Vec<Type>> {
            match t {
                Type::Module(o) if matches!(o.class.kind, crate::interp::ClassKind::ModuleList | crate::interp::ClassKind::Sequential) => {
                    Some(o.children().into_iter().map(|(_, m)| Type::Module(m)).collect())
                }
                Type::Tuple(ts) if ts.iter().any(|t| t.unify(&ts[0]).is_none()) => Some(ts.clone()),
                _ => None,
            }
        };
        if let Some(items) = children(it) {
            return Some(items);
        }
        if let ExprKind::Call { func, args } = &iter.kind {
            let name = func.dotted()?;
            let argtys: Vec<Type> = args.iter().map(|a| self.expr(ctx, env, &a.value)).collect();
            let lists: Vec<Option<Vec<Type>>> = argtys.iter().map(|t| children(t)).collect();
            if lists.iter().all(Option::is_none) {
                return None;
            }
            match name.as_slice() {
                ["enumerate"] => {
                    let items = lists.first()?.clone()?;
                    return Some(items.into_iter().enumerate().map(|(_, t)| Type::Tuple(vec![Type::Int, t])).collect());
                }
                ["zip"] => {
                    let n = lists.iter().flatten().map(Vec::len).min()?;
                    return Some(
                        (0..n)
                            .map(|i| {
                                Type::Tuple(
                                    lists.iter().zip(&argtys).map(|(l, t)| l.as_ref().map_or_else(|| self.element_type_quiet(t), |l| l[i].clone())).collect(),
                                )
                            })
                            .collect(),
                    );
                }
                _ => {}
            }
        }
        None
    }

    /// The type of `x` in `for x in <t>`.
    pub(crate) fn element_type(&mut self, ctx: &FnCtx, t: &Type, span: Span) -> Type {
        match t {
            Type::Module(o) if o.class.kind == crate::interp::ClassKind::ModuleDict => Type::Str,
            Type::Int | Type::Float | Type::Bool | Type::None | Type::Module(_) => {
                self.error(&ctx.file, Diagnostic::error(format!("'{t}' object is not iterable"), span));
                Type::Unknown
            }
            _ => self.element_type_quiet(t),
        }
    }

    pub(crate) fn element_type_quiet(&self, t: &Type) -> Type {
        match t {
            Type::List(e) => (**e).clone(),
            Type::Tuple(ts) => ts.iter().cloned().reduce(|a, b| a.unify(&b).unwrap_or(Type::Unknown)).unwrap_or(Type::Unknown),
            Type::Tensor => Type::Tensor,
            Type::Str => Type::Str,
            Type::Dict(k, _) => (**k).clone(),
            _ => Type::Unknown,
        }
    }

    /// The environment in which `test` is known to be `truth` (`Optional`
    /// locals narrowed by `is None` / `is not None` tests).
    pub(crate) fn refine_for(&mut self, ctx: &mut FnCtx, env: &Env, test: &ast::Expr, truth: bool) -> Env {
        let mut out = env.clone();
        let mut scratch = env.clone();
        let tests = self.none_tests(ctx, &mut scratch, test);
        let single = tests.len() == 1;
        for t in tests {
            let ty = if truth { t.if_true } else if single { t.if_false } else { None };
            if let Some(ty) = ty {
                refine(&mut out, t.target, ty);
            }
        }
        out
    }

    /// `x is None` / `x is not None` tests in a condition (conjuncts of `and`).
    fn none_tests<'e>(&mut self, ctx: &mut FnCtx, env: &mut Env, test: &'e ast::Expr) -> Vec<NoneTest<'e>> {
        let mut out = Vec::new();
        let conj: Vec<&ast::Expr> = match &test.kind {
            ExprKind::BoolOp { op: ast::BoolOp::And, values } => values.iter().collect(),
            _ => vec![test],
        };
        for c in conj {
            let ExprKind::Compare { left, ops } = &c.kind else { continue };
            let [(op @ (CmpOp::Is | CmpOp::IsNot), right)] = ops.as_slice() else { continue };
            let (target, other) = match (&left.kind, &right.kind) {
                (_, ExprKind::None) => (&**left, right),
                (ExprKind::None, _) => (right, &**left),
                _ => continue,
            };
            let _ = other;
            let before = self.errors.len();
            let ty = self.expr(ctx, env, target);
            if self.errors.len() > before {
                continue;
            }
            let is_none = *op == CmpOp::Is;
            let (when_none, when_some, statically) = match &ty {
                Type::None => (Some(Type::None), None, Some(true)),
                Type::Optional(t) => (Some(Type::None), Some((**t).clone()), None),
                Type::Unknown => (None, None, None),
                t => (None, Some(t.clone()), Some(false)),
            };
            let (if_true, if_false) = if is_none { (when_none, when_some) } else { (when_some, when_none) };
            out.push(NoneTest { target, if_true, if_false, statically: statically.map(|s| s == is_none) });
        }
        out
    }
}

/// Narrows a local's type in one branch (`x` or `self.x` paths; only locals are tracked).
fn refine(env: &mut Env, target: &ast::Expr, ty: Type) {
    if let ExprKind::Name(n) = &target.kind {
        if let Some(b) = env.vars.get_mut(n) {
            b.ty = ty;
        }
    }
}
