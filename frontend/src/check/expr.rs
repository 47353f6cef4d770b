//! Expression types: names (locals, then module globals, then builtins),
//! attributes of modules, tensors and namespaces, subscripts, operators,
//! displays and comprehensions.

use super::types::Type;
use super::{Checker, Env, FnCtx};
use crate::diag::Diagnostic;
use crate::hint::did_you_mean;
use crate::interp::ClassKind;
use crate::syntax::ast::{self, BinOp, ExprKind, UnaryOp};
use crate::syntax::span::Span;
use tsc_runtime::ops;

use crate::interp::methods::TENSOR_EXTRA;

impl<'p> Checker<'p> {
    pub(crate) fn expr(&mut self, ctx: &mut FnCtx, env: &mut Env, e: &ast::Expr) -> Type {
        match &e.kind {
            ExprKind::Name(n) => self.name(ctx, env, n, e.span),
            ExprKind::Int(_) => Type::Int,
            ExprKind::Float(_) => Type::Float,
            ExprKind::Str(_) => Type::Str,
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::None => Type::None,
            ExprKind::Attribute { value, attr } => {
                let recv = self.expr(ctx, env, value);
                self.attribute(ctx, &recv, &attr.name, attr.span, value)
            }
            ExprKind::Call { func, args } => self.call(ctx, env, e, func, args),
            ExprKind::Subscript { value, index } => {
                let recv = self.expr(ctx, env, value);
                self.subscript(ctx, env, &recv, index, e.span)
            }
            ExprKind::Unary { op, operand } => {
                let t = self.expr(ctx, env, operand);
                match (op, &t) {
                    (UnaryOp::Not, _) => Type::Bool,
                    (_, Type::Tensor | Type::Unknown) => t,
                    (UnaryOp::Neg | UnaryOp::Pos, Type::Int | Type::Float | Type::Number) => t,
                    (UnaryOp::Neg | UnaryOp::Pos | UnaryOp::Invert, Type::Bool) | (UnaryOp::Invert, Type::Int) => Type::Int,
                    _ => {
                        self.error(&ctx.file, Diagnostic::error(format!("bad operand type for unary {}: {t}", op.symbol()), e.span));
                        Type::Unknown
                    }
                }
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.expr(ctx, env, left);
                let r = self.expr(ctx, env, right);
                self.binary(ctx, *op, &l, &r, e.span)
            }
            ExprKind::BoolOp { op, values } => {
                // `x is not None and x.any()`: later operands see the narrowing.
                let mut scope = env.clone();
                for v in values {
                    self.expr(ctx, &mut scope, v);
                    scope = self.refine_for(ctx, &scope, v, *op == ast::BoolOp::And);
                }
                Type::Bool
            }
            ExprKind::Compare { left, ops } => {
                let mut tensor = matches!(self.expr(ctx, env, left), Type::Tensor);
                for (op, r) in ops {
                    let t = self.expr(ctx, env, r);
                    tensor |= matches!(t, Type::Tensor) && !matches!(op, ast::CmpOp::Is | ast::CmpOp::IsNot | ast::CmpOp::In | ast::CmpOp::NotIn);
                }
                if tensor && ops.len() == 1 {
                    Type::Tensor
                } else {
                    Type::Bool
                }
            }
            ExprKind::IfExp { test, body, orelse } => {
                self.expr(ctx, env, test);
                let mut then_env = self.refine_for(ctx, env, test, true);
                let mut else_env = self.refine_for(ctx, env, test, false);
                let a = self.expr(ctx, &mut then_env, body);
                let b = self.expr(ctx, &mut else_env, orelse);
                a.unify(&b).unwrap_or_else(|| {
                    let d = Diagnostic::error(format!("the branches of a conditional expression have different types: {a} and {b}"), e.span);
                    self.error(&ctx.file, d);
                    Type::Unknown
                })
            }
            ExprKind::List(items) => {
                let t = self.join(ctx, env, items, e.span, "list elements");
                Type::List(Box::new(t))
            }
            ExprKind::Tuple(items) => Type::Tuple(items.iter().map(|i| self.expr(ctx, env, i)).collect()),
            ExprKind::Dict(entries) => {
                let mut k = Type::Unknown;
                let mut v = Type::Unknown;
                for (key, val) in entries {
                    if let Some(key) = key {
                        let kt = self.expr(ctx, env, key);
                        k = k.unify(&kt).unwrap_or(Type::Unknown);
                    }
                    let vt = self.expr(ctx, env, val);
                    v = v.unify(&vt).unwrap_or(Type::Unknown);
                }
                Type::Dict(Box::new(k), Box::new(v))
            }
            ExprKind::ListComp { elt, generators } => {
                let mut inner = env.clone();
                self.generators(ctx, &mut inner, generators);
                Type::List(Box::new(self.expr(ctx, &mut inner, elt)))
            }
            ExprKind::DictComp { key, value, generators } => {
                let mut inner = env.clone();
                self.generators(ctx, &mut inner, generators);
                let k = self.expr(ctx, &mut inner, key);
                Type::Dict(Box::new(k), Box::new(self.expr(ctx, &mut inner, value)))
            }
            ExprKind::GeneratorExp { .. } => self.reject(ctx, e.span, "a generator expression", Some("use a list comprehension `[... for ...]`")),
            ExprKind::Set(_) | ExprKind::SetComp { .. } => self.reject(ctx, e.span, "a set", None),
            ExprKind::Lambda { .. } => self.reject(ctx, e.span, "`lambda`", Some("define a function with `def`")),
            ExprKind::Yield(_) => self.reject(ctx, e.span, "`yield`", None),
            ExprKind::FString(_) => self.reject(ctx, e.span, "an f-string", Some("use `\"...{}\".format(x)`")),
            ExprKind::Starred(_) => self.reject(ctx, e.span, "a starred expression", None),
            ExprKind::Ellipsis | ExprKind::Slice { .. } => self.reject(ctx, e.span, "`...` or a slice outside `[]`", None),
            ExprKind::Error => Type::Unknown,
        }
    }

    fn reject(&mut self, ctx: &FnCtx, span: Span, what: &str, help: Option<&str>) -> Type {
        let mut d = Diagnostic::error(format!("{what} is not supported in TorchScript"), span).label("unsupported here");
        if let Some(h) = help {
            d = d.help(h);
        }
        self.error(&ctx.file, d);
        Type::Unknown
    }

    /// The common type of list elements (an error when they have none).
    fn join(&mut self, ctx: &mut FnCtx, env: &mut Env, items: &[ast::Expr], span: Span, what: &str) -> Type {
        let mut acc: Option<Type> = None;
        for i in items {
            let t = self.expr(ctx, env, i);
            acc = Some(match acc {
                None => t,
                Some(a) => match a.unify(&t) {
                    Some(u) => u,
                    None => {
                        let d = Diagnostic::error(format!("{what} must have one type; found {a} and {t}"), span).secondary(i.span, format!("this is {t}"));
                        self.error(&ctx.file, d);
                        Type::Unknown
                    }
                },
            });
        }
        acc.unwrap_or(Type::Unknown)
    }

    fn generators(&mut self, ctx: &mut FnCtx, env: &mut Env, gens: &[ast::Comprehension]) {
        for g in gens {
            let it = self.expr(ctx, env, &g.iter);
            let elem = self.element_type(ctx, &it, g.iter.span);
            self.assign(ctx, env, &g.target, elem, None);
            for c in &g.ifs {
                self.expr(ctx, env, c);
            }
        }
    }

    fn name(&mut self, ctx: &mut FnCtx, env: &Env, n: &str, span: Span) -> Type {
        if let Some(b) = env.vars.get(n) {
            if let Some(why) = &b.maybe_unbound {
                let d = Diagnostic::error(format!("variable '{n}' is not defined on every path that reaches this use"), span)
                    .label("may be undefined here")
                    .note(why.clone());
                self.error(&ctx.file, d);
                return Type::Unknown;
            }
            return b.ty.clone();
        }
        let globals = ctx.func.globals().unwrap_or_default();
        if let Some(v) = globals.borrow().get(n) {
            return Type::of_value(v);
        }
        if let Some(v) = crate::interp::builtins::builtin(n) {
            return Type::of_value(&v);
        }
        let globals = globals.borrow();
        let candidates = env.vars.keys().map(String::as_str).chain(globals.keys().map(String::as_str));
        let mut d = Diagnostic::error(format!("undefined name '{n}'"), span).label("not found in this scope");
        if let Some(s) = did_you_mean(n, candidates) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        drop(globals);
        self.error(&ctx.file, d);
        Type::Unknown
    }

    fn attribute(&mut self, ctx: &mut FnCtx, recv: &Type, name: &str, span: Span, value: &ast::Expr) -> Type {
        let missing = |me: &mut Self, extra: Option<String>| {
            let mut d = Diagnostic::error(format!("'{recv}' has no attribute '{name}'"), span).label("unknown attribute");
            if let Some(h) = extra {
                d = d.help(h);
            }
            me.error(&ctx.file, d);
            Type::Unknown
        };
        match recv {
            Type::Module(o) => {
                if let Some((_, v)) = o.get(name) {
                    return Type::of_value(&v);
                }
                if name == "training" {
                    return Type::Bool;
                }
                if let Some(f) = o.class.method(name) {
                    return Type::Method(o.clone(), f);
                }
                if let Some(v) = o.class.class_attr(name) {
                    return Type::of_value(&v);
                }
                if matches!(name, "eval" | "train" | "parameters" | "named_parameters" | "buffers" | "children" | "modules" | "state_dict") {
                    return Type::Unknown;
                }
                let attrs: Vec<String> = o.attrs.borrow().iter().map(|(n, _, _)| n.clone()).collect();
                let prefix = value.dotted().map(|d| d.join(".")).unwrap_or_else(|| "self".into());
                let hint = did_you_mean(name, attrs.iter().map(String::as_str)).map(|s| format!("did you mean `{prefix}.{s}`?"));
                missing(self, hint)
            }
            Type::Namespace(ns) => match self.program.interp.namespace_attr(ns, name) {
                Some(v) => Type::of_value(&v),
                None => missing(self, None),
            },
            Type::Tensor => match name {
                "shape" => Type::List(Box::new(Type::Int)),
                "dtype" => Type::DType,
                "device" => Type::Device,
                "ndim" => Type::Int,
                "T" | "mT" | "data" => Type::Tensor,
                "is_cuda" | "requires_grad" => Type::Bool,
                "grad" => Type::Optional(Box::new(Type::Tensor)),
                _ if ops::registry().contains(name) || TENSOR_EXTRA.contains(&name) => {
                    Type::BoundBuiltin(Box::new(Type::Tensor), name.into())
                }
                _ => missing(self, None),
            },
            // The named tuples ops return (`torch.sort(x).values`).
            Type::Tuple(ts) if ts.len() == 2 && matches!(name, "values" | "indices") => ts[(name == "indices") as usize].clone(),
            Type::List(_) | Type::Str | Type::Dict(..) | Type::Tuple(_) => Type::BoundBuiltin(Box::new(recv.clone()), name.into()),
            Type::Class(c) => match c.method(name) {
                Some(f) => Type::Func(f),
                None => c.class_attr(name).map_or(Type::Unknown, |v| Type::of_value(&v)),
            },
            Type::DType | Type::Device | Type::Unknown | Type::Number => Type::Unknown,
            _ => missing(self, None),
        }
    }

    pub(crate) fn index_types(&mut self, ctx: &mut FnCtx, env: &mut Env, index: &ast::Expr) -> Vec<Type> {
        let parts: Vec<&ast::Expr> = match &index.kind {
            ExprKind::Tuple(items) => items.iter().collect(),
            _ => vec![index],
        };
        parts
            .into_iter()
            .map(|p| match &p.kind {
                ExprKind::Slice { lower, upper, step } => {
                    for b in [lower, upper, step].into_iter().flatten() {
                        let t = self.expr(ctx, env, b);
                        if !matches!(t, Type::Int | Type::None | Type::Unknown | Type::Optional(_) | Type::Number | Type::Tensor) {
                            self.error(&ctx.file, Diagnostic::error(format!("slice indices must be integers, not {t}"), b.span));
                        }
                    }
                    Type::Unknown
                }
                ExprKind::Ellipsis => Type::Unknown,
                _ => self.expr(ctx, env, p),
            })
            .collect()
    }

    fn subscript(&mut self, ctx: &mut FnCtx, env: &mut Env, recv: &Type, index: &ast::Expr, span: Span) -> Type {
        let is_slice = matches!(index.kind, ExprKind::Slice { .. });
        match recv {
            Type::Module(o) if matches!(o.class.kind, ClassKind::ModuleList | ClassKind::Sequential) => {
                let literal = match &index.kind {
                    ExprKind::Int(i) => Some(*i),
                    ExprKind::Unary { op: UnaryOp::Neg, operand } => match operand.kind {
                        ExprKind::Int(i) => Some(-i),
                        _ => None,
                    },
                    _ => None,
                };
                let children = o.children();
                match literal {
                    Some(i) => {
                        let n = children.len() as i64;
                        let j = if i < 0 { i + n } else { i };
                        match children.get(j as usize).filter(|_| (0..n).contains(&j)) {
                            Some((_, m)) => Type::Module(m.clone()),
                            None => {
                                self.error(&ctx.file, Diagnostic::error(format!("index {i} is out of range for a {} of length {n}", o.class.name), index.span));
                                Type::Unknown
                            }
                        }
                    }
                    None if is_slice => recv.clone(),
                    None => {
                        self.index_types(ctx, env, index);
                        let d = Diagnostic::error(format!("{} indexing is only supported with integer literals", o.class.name), index.span)
                            .label("not an integer literal")
                            .note("each submodule may have its own type, so the index must be known when compiling")
                            .help(format!("iterate instead: `for layer in {}:`", ctx.file.snippet(Span { start: span.start, end: index.span.start.saturating_sub(1) })));
                        self.error(&ctx.file, d);
                        Type::Unknown
                    }
                }
            }
            Type::Module(o) if o.class.kind == ClassKind::ModuleDict => match &index.kind {
                ExprKind::Str(k) => o.get(k).map_or(Type::Unknown, |(_, v)| Type::of_value(&v)),
                _ => Type::Unknown,
            },
            _ => {
                let parts = self.index_types(ctx, env, index);
                match recv {
                    Type::Tensor => Type::Tensor,
                    Type::List(t) if is_slice => Type::List(t.clone()),
                    Type::List(t) => {
                        self.want_int(ctx, parts.first(), index.span);
                        (**t).clone()
                    }
                    Type::Str => Type::Str,
                    Type::Dict(_, v) => (**v).clone(),
                    Type::Tuple(ts) => match &index.kind {
                        ExprKind::Int(i) => {
                            let n = ts.len() as i64;
                            let j = if *i < 0 { i + n } else { *i };
                            ts.get(j as usize).cloned().filter(|_| j >= 0).unwrap_or_else(|| {
                                self.error(&ctx.file, Diagnostic::error(format!("tuple index {i} is out of range for {recv}"), index.span));
                                Type::Unknown
                            })
                        }
                        _ if is_slice => Type::Unknown,
                        _ => self.element_type_quiet(recv),
                    },
                    Type::Namespace(_) | Type::Unknown => Type::Unknown,
                    other => {
                        self.error(&ctx.file, Diagnostic::error(format!("'{other}' is not subscriptable"), span));
                        Type::Unknown
                    }
                }
            }
        }
    }

    fn want_int(&mut self, ctx: &FnCtx, t: Option<&Type>, span: Span) {
        if let Some(t) = t {
            if !matches!(t, Type::Int | Type::Bool | Type::Unknown | Type::Number) {
                self.error(&ctx.file, Diagnostic::error(format!("list indices must be integers, not {t}"), span));
            }
        }
    }

    /// The result type of `l op r`.
    pub(crate) fn binary(&mut self, ctx: &FnCtx, op: BinOp, l: &Type, r: &Type, span: Span) -> Type {
        use Type::*;
        let num = |t: &Type| matches!(t, Int | Float | Bool | Number);
        match (l, r) {
            (Unknown, _) | (_, Unknown) => Unknown,
            (Tensor, _) if num(r) || matches!(r, Tensor) => Tensor,
            (_, Tensor) if num(l) => Tensor,
            (Number, _) | (_, Number) if num(l) && num(r) => Number,
            (Int | Bool, Int | Bool) => match op {
                BinOp::Div => Float,
                BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor if matches!((l, r), (Bool, Bool)) => Bool,
                BinOp::MatMul => self.bad_operands(ctx, op, l, r, span),
                _ => Int,
            },
            (Int | Float | Bool, Int | Float | Bool) => match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::FloorDiv | BinOp::Mod | BinOp::Pow => Float,
                _ => self.bad_operands(ctx, op, l, r, span),
            },
            (Str, Str) if op == BinOp::Add => Str,
            (Str, Int) if op == BinOp::Mul => Str,
            (List(a), List(b)) if op == BinOp::Add => match a.unify(b) {
                Some(t) => List(Box::new(t)),
                Option::None => self.bad_operands(ctx, op, l, r, span),
            },
            (List(_), Int) if op == BinOp::Mul => l.clone(),
            (Tuple(a), Tuple(b)) if op == BinOp::Add => Tuple(a.iter().chain(b).cloned().collect()),
            _ => self.bad_operands(ctx, op, l, r, span),
        }
    }

    fn bad_operands(&mut self, ctx: &FnCtx, op: BinOp, l: &Type, r: &Type, span: Span) -> Type {
        let d = Diagnostic::error(format!("unsupported operand types for {}: {l} and {r}", op.symbol()), span).label(format!("{l} {} {r}", op.symbol()));
        self.error(&ctx.file, d);
        Type::Unknown
    }
}
