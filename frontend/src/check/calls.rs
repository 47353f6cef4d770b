//! Calls: user functions and methods (arity, keywords, argument types; the
//! callee is checked in turn), module calls (`forward`), Python builtins,
//! methods of lists/strings/dicts, and ops against their schemas.

use super::types::{from_annotation, Type};
use super::{Checker, Env, FnCtx};
use crate::diag::Diagnostic;
use crate::interp::value::{Func, Object};
use crate::interp::ClassKind;
use crate::syntax::ast::{self, ArgStar, ExprKind, ParamKind};
use crate::syntax::span::Span;
use std::rc::Rc;
use tsc_runtime::ops::{self, Schema};

/// Evaluated argument types of one call.
pub(crate) struct ArgTypes {
    pub pos: Vec<(Type, Span)>,
    pub kw: Vec<(String, Type, Span)>,
}

impl<'p> Checker<'p> {
    pub(crate) fn call(&mut self, ctx: &mut FnCtx, env: &mut Env, call: &ast::Expr, func: &ast::Expr, args: &[ast::Arg]) -> Type {
        if let ExprKind::Attribute { value, .. } = &func.kind {
            if matches!(&value.kind, ExprKind::Call { func, .. } if matches!(&func.kind, ExprKind::Name(n) if n == "super")) {
                return Type::Unknown;
            }
        }
        let callee = self.expr(ctx, env, func);
        let mut a = ArgTypes { pos: Vec::new(), kw: Vec::new() };
        for arg in args {
            let t = self.expr(ctx, env, &arg.value);
            match (arg.star, &arg.keyword) {
                (ArgStar::None, None) => a.pos.push((t, arg.value.span)),
                (ArgStar::None, Some(k)) => a.kw.push((k.name.clone(), t, arg.span)),
                _ => {
                    self.error(&ctx.file, Diagnostic::error("starred arguments (`*xs`, `**kw`) are not supported in TorchScript", arg.span));
                    return Type::Unknown;
                }
            }
        }
        let site = (ctx.file.clone(), call.span);
        match callee {
            Type::Func(f) => self.user_call(ctx, &f, None, &a, call.span, &site),
            Type::Method(o, f) => self.user_call(ctx, &f, Some(&o), &a, call.span, &site),
            Type::Module(o) => self.module_call(ctx, &o, &a, call.span, &site),
            Type::Builtin(name) => self.builtin_call(ctx, &name, &a, args, call.span),
            Type::BoundBuiltin(recv, name) => self.method_call(ctx, &recv, &name, &a, call.span),
            Type::Class(c) => {
                let d = Diagnostic::error(format!("cannot construct `{}` inside a compiled function", c.name), call.span)
                    .help("create submodules in `__init__` and store them on `self`");
                self.error(&ctx.file, d);
                Type::Unknown
            }
            Type::Unknown => Type::Unknown,
            other => {
                self.error(&ctx.file, Diagnostic::error(format!("'{other}' is not callable"), func.span));
                Type::Unknown
            }
        }
    }

    fn user_call(&mut self, ctx: &FnCtx, f: &Rc<Func>, this: Option<&Rc<Object>>, a: &ArgTypes, span: Span, site: &(Rc<crate::syntax::span::SourceFile>, Span)) -> Type {
        let params: Vec<&ast::Param> = f.def.params.iter().skip(this.is_some() as usize).collect();
        if params.iter().any(|p| matches!(p.kind, ParamKind::VarArgs | ParamKind::VarKw)) {
            // Reported on the definition when the body is checked.
            return self.check_function(f, this, Some((&site.0, site.1)));
        }
        let name = &f.def.name.name;
        let positional: Vec<&&ast::Param> = params.iter().filter(|p| p.kind == ParamKind::Normal).collect();
        if a.pos.len() > positional.len() {
            let d = Diagnostic::error(format!("{name}() takes {} positional arguments but {} were given", positional.len(), a.pos.len()), span)
                .label("too many arguments");
            self.error(&ctx.file, d);
        }
        let mut given = vec![false; params.len()];
        let bind = |me: &mut Self, given: &mut Vec<bool>, i: usize, t: &Type, at: Span| {
            given[i] = true;
            let p = params[i];
            let want = match &p.annotation {
                Some(ann) => from_annotation(ann).unwrap_or(Type::Unknown),
                None => Type::Tensor,
            };
            if !want.accepts(t) {
                let d = Diagnostic::error(format!("argument '{}' of {name}() has type {want}, but a value of type {t} was given", p.name.name), at)
                    .label(format!("this is {t}"));
                me.error(&ctx.file, d);
            }
        };
        for (i, (t, at)) in a.pos.iter().enumerate().take(positional.len()) {
            let idx = params.iter().position(|p| std::ptr::eq(*p, *positional[i])).unwrap_or(i);
            bind(self, &mut given, idx, t, *at);
        }
        for (k, t, at) in &a.kw {
            match params.iter().position(|p| p.name.name == *k) {
                Some(i) if given[i] => {
                    self.error(&ctx.file, Diagnostic::error(format!("{name}() got multiple values for argument '{k}'"), *at));
                }
                Some(i) => bind(self, &mut given, i, t, *at),
                None => {
                    let d = Diagnostic::error(format!("{name}() got an unexpected keyword argument '{k}'"), *at);
                    let d = match crate::hint::did_you_mean(k, params.iter().map(|p| p.name.name.as_str())) {
                        Some(s) => d.help(format!("did you mean `{s}=`?")),
                        None => d,
                    };
                    self.error(&ctx.file, d);
                }
            }
        }
        for (i, p) in params.iter().enumerate() {
            if !given[i] && p.default.is_none() {
                let d = Diagnostic::error(format!("{name}() is missing the argument '{}'", p.name.name), span).label("in this call");
                self.error(&ctx.file, d);
            }
        }
        self.check_function(f, this, Some((&site.0, site.1)))
    }

    fn module_call(&mut self, ctx: &FnCtx, o: &Rc<Object>, a: &ArgTypes, span: Span, site: &(Rc<crate::syntax::span::SourceFile>, Span)) -> Type {
        match o.class.kind {
            ClassKind::Sequential => {
                let mut t = a.pos.first().map_or(Type::Unknown, |(t, _)| t.clone());
                for (_, child) in o.children() {
                    let args = ArgTypes { pos: vec![(t, span)], kw: Vec::new() };
                    t = self.module_call(ctx, &child, &args, span, site);
                }
                t
            }
            ClassKind::ModuleList | ClassKind::ModuleDict => {
                self.error(&ctx.file, Diagnostic::error(format!("'{}' is not callable", o.class.name), span));
                Type::Unknown
            }
            _ => match o.class.method("forward") {
                Some(f) => self.user_call(ctx, &f, Some(o), a, span, site),
                None => {
                    self.error(&ctx.file, Diagnostic::error(format!("module '{}' has no forward()", o.class.name), span));
                    Type::Unknown
                }
            },
        }
    }

    fn builtin_call(&mut self, ctx: &FnCtx, name: &str, a: &ArgTypes, args: &[ast::Arg], span: Span) -> Type {
        let pos: Vec<Type> = a.pos.iter().map(|(t, _)| t.clone()).collect();
        let first = pos.first().cloned().unwrap_or(Type::Unknown);
        if let Some(q) = name.strip_prefix("ns:") {
            let (ns, f) = q.rsplit_once('.').unwrap_or(("", q));
            return match (ns, f) {
                ("math", "floor" | "ceil" | "trunc" | "gcd") => Type::Int,
                ("math", "isnan" | "isinf" | "isfinite") => Type::Bool,
                ("math", _) => Type::Float,
                ("torch.jit", "annotate") => args.first().and_then(|a| from_annotation(&a.value)).unwrap_or(Type::Unknown),
                ("torch.jit", _) | ("nn", _) => Type::Unknown,
                ("torch", "device") => Type::Device,
                ("torch", "is_tensor") => Type::Bool,
                ("torch", "get_default_dtype") => Type::DType,
                (_, op) => self.op_call(ctx, op, a, 0, span),
            };
        }
        match name {
            "len" => {
                if !matches!(first, Type::List(_) | Type::Tuple(_) | Type::Str | Type::Dict(..) | Type::Tensor | Type::Unknown | Type::Module(_)) {
                    self.error(&ctx.file, Diagnostic::error(format!("object of type {first} has no len()"), span));
                }
                Type::Int
            }
            "range" => {
                for (i, (t, at)) in a.pos.iter().enumerate() {
                    if !matches!(t, Type::Int | Type::Bool | Type::Unknown) {
                        let d = Diagnostic::error(format!("all arguments of range() must be ints, found {t} in argument {i}"), *at)
                            .label(format!("this is {t}"));
                        let d = if matches!(t, Type::Tensor) {
                            d.note("a parameter without an annotation is a Tensor").help("annotate it as `int`, or convert with `int(...)`")
                        } else {
                            d
                        };
                        self.error(&ctx.file, d);
                    }
                }
                Type::List(Box::new(Type::Int))
            }
            "int" | "round" if !matches!(first, Type::Tensor) || name == "int" => Type::Int,
            "float" => Type::Float,
            "bool" | "isinstance" | "any" | "all" | "hasattr" => Type::Bool,
            "str" => Type::Str,
            "print" => Type::None,
            "list" | "sorted" | "reversed" => Type::List(Box::new(self.element_type_quiet(&first))),
            "tuple" => Type::Unknown,
            "enumerate" => Type::List(Box::new(Type::Tuple(vec![Type::Int, self.element_type_quiet(&first)]))),
            "zip" => Type::List(Box::new(Type::Tuple(pos.iter().map(|t| self.element_type_quiet(t)).collect()))),
            "min" | "max" => {
                if pos.len() == 1 {
                    match &first {
                        Type::Tensor => Type::Tensor,
                        t => self.element_type_quiet(t),
                    }
                } else {
                    pos.iter().cloned().reduce(|x, y| if matches!(x, Type::Tensor) || matches!(y, Type::Tensor) { Type::Tensor } else { x.unify(&y).unwrap_or(Type::Float) }).unwrap_or(Type::Unknown)
                }
            }
            "abs" => first,
            "sum" => match &first {
                Type::List(t) => (**t).clone(),
                _ => Type::Unknown,
            },
            "divmod" => Type::Tuple(vec![first.clone(), first]),
            "pow" => Type::Unknown,
            "ord" => Type::Int,
            "chr" => Type::Str,
            e if e.ends_with("Error") || e == "Exception" => Type::Str,
            _ => Type::Unknown,
        }
    }

    fn method_call(&mut self, ctx: &FnCtx, recv: &Type, name: &str, a: &ArgTypes, span: Span) -> Type {
        let arg = |i: usize| a.pos.get(i).map_or(Type::Unknown, |(t, _)| t.clone());
        match recv {
            Type::Tensor => match name {
                _ if crate::interp::methods::TENSOR_EXTRA.contains(&name) => Type::Tensor,
                _ => {
                    let mut all = ArgTypes { pos: vec![(Type::Tensor, span)], kw: a.kw.clone() };
                    all.pos.extend(a.pos.iter().cloned());
                    self.op_call(ctx, name, &all, 1, span)
                }
            },
            Type::List(t) => match name {
                "append" | "insert" | "remove" => {
                    let x = arg(if name == "insert" { 1 } else { 0 });
                    if name != "remove" && !t.accepts(&x) {
                        let d = Diagnostic::error(format!("cannot {name} a value of type {x} to a {recv}"), span).label("wrong element type");
                        self.error(&ctx.file, d);
                    }
                    Type::None
                }
                "extend" | "sort" | "reverse" | "clear" => Type::None,
                "pop" => (**t).clone(),
                "index" | "count" => Type::Int,
                "copy" => recv.clone(),
                _ => self.no_method(ctx, recv, name, span),
            },
            Type::Str => match name {
                "split" => Type::List(Box::new(Type::Str)),
                "startswith" | "endswith" | "isdigit" | "isalpha" | "isspace" => Type::Bool,
                "find" | "rfind" | "count" | "index" => Type::Int,
                "strip" | "lstrip" | "rstrip" | "lower" | "upper" | "replace" | "join" | "format" | "title" | "capitalize" | "zfill" => Type::Str,
                _ => self.no_method(ctx, recv, name, span),
            },
            Type::Dict(k, v) => match name {
                "keys" => Type::List(k.clone()),
                "values" => Type::List(v.clone()),
                "items" => Type::List(Box::new(Type::Tuple(vec![(**k).clone(), (**v).clone()]))),
                "get" | "pop" | "setdefault" => (**v).clone(),
                "update" | "clear" => Type::None,
                "copy" => recv.clone(),
                _ => self.no_method(ctx, recv, name, span),
            },
            Type::Tuple(_) if matches!(name, "index" | "count") => Type::Int,
            _ => Type::Unknown,
        }
    }

    fn no_method(&mut self, ctx: &FnCtx, recv: &Type, name: &str, span: Span) -> Type {
        self.error(&ctx.file, Diagnostic::error(format!("'{recv}' has no method '{name}'"), span));
        Type::Unknown
    }

    /// An op call checked against the op's schemas (first that fits wins,
    /// as at run time); trailing ints may be unpacked into an `int[]`.
    fn op_call(&mut self, ctx: &FnCtx, name: &str, a: &ArgTypes, first_pack: usize, span: Span) -> Type {
        let reg = ops::registry();
        let (base, inplace) = match (reg.overloads(name).is_empty(), name.strip_suffix('_')) {
            (true, Some(b)) => (b, true),
            _ => (name, false),
        };
        let overloads = reg.overloads(base);
        if overloads.is_empty() {
            self.error(&ctx.file, Diagnostic::error(format!("unknown op `{name}`"), span));
            return Type::Unknown;
        }
        let pos: Vec<Type> = a.pos.iter().map(|(t, _)| t.clone()).collect();
        let kw: Vec<(String, Type)> = a.kw.iter().map(|(k, t, _)| (k.clone(), t.clone())).collect();
        let mut attempts = vec![pos.clone()];
        for p in first_pack..pos.len() {
            if pos[p..].iter().all(|t| matches!(t, Type::Int | Type::Unknown)) {
                let mut packed = pos[..p].to_vec();
                packed.push(Type::List(Box::new(Type::Int)));
                attempts.push(packed);
            }
        }
        for args in &attempts {
            if let Some(s) = overloads.iter().find(|o| fits(&o.schema, args, &kw)) {
                return if inplace { Type::Tensor } else { Type::of_schema(&s.schema.ret) };
            }
        }
        let got: Vec<String> = pos.iter().map(|t| t.to_string()).chain(kw.iter().map(|(k, t)| format!("{k}={t}"))).collect();
        let mut d = Diagnostic::error(format!("no overload of `{name}` accepts ({})", got.join(", ")), span).label("in this call");
        for o in overloads.iter().take(4) {
            d = d.note(format!("candidate: {}", o.schema));
        }
        self.error(&ctx.file, d);
        Type::Unknown
    }
}

/// Whether argument types bind to a schema (as `Schema::bind` would bind values).
fn fits(s: &Schema, pos: &[Type], kw: &[(String, Type)]) -> bool {
    let positional: Vec<usize> = (0..s.params.len()).filter(|&i| !s.params[i].kw_only).collect();
    if pos.len() > positional.len() {
        return false;
    }
    let mut given = vec![false; s.params.len()];
    for (i, t) in pos.iter().enumerate() {
        let p = positional[i];
        if !t.fits_schema(&s.params[p].ty) {
            return false;
        }
        given[p] = true;
    }
    for (k, t) in kw {
        let k = if k == "input" && s.params.first().is_some_and(|p| p.name == "self") { "self" } else { k.as_str() };
        match s.params.iter().position(|p| p.name == k) {
            Some(i) if !given[i] && t.fits_schema(&s.params[i].ty) => given[i] = true,
            _ => return false,
        }
    }
    s.params.iter().zip(&given).all(|(p, g)| *g || p.default.is_some())
}
