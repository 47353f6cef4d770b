//! Expressions: names, literals, attributes, calls, subscripts, operators,
//! displays and comprehensions.

use super::value::{Dict, Value};
use super::{err, Exc, Frame, Interp, R};
use crate::syntax::ast::{self, ArgStar, BoolOp, ExprKind, UnaryOp};
use crate::syntax::span::Span;
use std::cell::RefCell;
use std::rc::Rc;

/// One component of a subscript.
#[derive(Clone, Debug)]
pub(crate) enum IndexPart {
    Value(Value),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Ellipsis,
}

/// An evaluated subscript: `x[a]` has one part and `tuple == false`;
/// `x[a, b]` has two parts.
#[derive(Clone, Debug)]
pub(crate) struct Index {
    pub parts: Vec<IndexPart>,
    pub tuple: bool,
}

impl Interp {
    pub(crate) fn eval(&self, f: &mut Frame, e: &ast::Expr) -> R<Value> {
        match self.eval_inner(f, e) {
            Ok(v) => Ok(v),
            Err(mut ex) => {
                if ex.loc.is_none() {
                    ex.loc = Some((f.file.clone(), e.span));
                }
                Err(ex)
            }
        }
    }

    pub(crate) fn lookup(&self, f: &Frame, name: &str, span: Span) -> R<Value> {
        if let Some(v) = f.locals.as_ref().and_then(|l| l.get(name)) {
            return Ok(v.clone());
        }
        if let Some(v) = f.globals.borrow().get(name) {
            return Ok(v.clone());
        }
        if let Some(v) = super::builtins::builtin(name) {
            return Ok(v);
        }
        Err(Box::new(Exc {
            message: format!("name '{name}' is not defined"),
            loc: Some((f.file.clone(), span)),
            trace: Vec::new(),
        }))
    }

    fn eval_inner(&self, f: &mut Frame, e: &ast::Expr) -> R<Value> {
        Ok(match &e.kind {
            ExprKind::Name(n) => self.lookup(f, n, e.span)?,
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(x) => Value::Float(*x),
            ExprKind::Str(s) => Value::str(s),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::None => Value::None,
            ExprKind::Attribute { value, attr } => {
                let v = self.eval(f, value)?;
                self.get_attr(&v, &attr.name)?
            }
            ExprKind::Call { func, args } => return self.eval_call(f, e, func, args),
            ExprKind::Subscript { value, index } => {
                let v = self.eval(f, value)?;
                let idx = self.eval_index(f, index)?;
                self.get_item(&v, idx)?
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(f, operand)?;
                match op {
                    UnaryOp::Not => Value::Bool(!v.truthy().or_else(err)?),
                    _ => self.unary_op(*op, v)?,
                }
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.eval(f, left)?;
                let r = self.eval(f, right)?;
                self.binary_op(*op, l, r)?
            }
            ExprKind::BoolOp { op, values } => {
                let mut last = Value::None;
                for v in values {
                    last = self.eval(f, v)?;
                    let t = last.truthy().or_else(err)?;
                    if (*op == BoolOp::And) != t {
                        break;
                    }
                }
                last
            }
            ExprKind::Compare { left, ops } => {
                let mut l = self.eval(f, left)?;
                let mut result = Value::Bool(true);
                for (i, (op, right)) in ops.iter().enumerate() {
                    let r = self.eval(f, right)?;
                    result = self.compare_op(*op, &l, &r)?;
                    if i + 1 < ops.len() && !result.truthy().or_else(err)? {
                        break;
                    }
                    l = r;
                }
                result
            }
            ExprKind::IfExp { test, body, orelse } => {
                let c = self.eval(f, test)?;
                if c.truthy().or_else(err)? {
                    self.eval(f, body)?
                } else {
                    self.eval(f, orelse)?
                }
            }
            ExprKind::List(items) => Value::list(self.eval_items(f, items)?),
            ExprKind::Tuple(items) => Value::tuple(self.eval_items(f, items)?),
            ExprKind::Dict(entries) => {
                let mut d = Dict::default();
                for (k, v) in entries {
                    let val = self.eval(f, v)?;
                    match k {
                        Some(k) => d.insert(self.eval(f, k)?, val),
                        None => match val {
                            Value::Dict(other) => {
                                for (k, v) in other.borrow().entries.iter() {
                                    d.insert(k.clone(), v.clone());
                                }
                            }
                            other => return err(format!("'{}' object is not a mapping", other.type_name())),
                        },
                    }
                }
                Value::Dict(Rc::new(RefCell::new(d)))
            }
            ExprKind::ListComp { elt, generators } | ExprKind::GeneratorExp { elt, generators } => {
                let mut out = Vec::new();
                self.comprehension(f, generators, &mut |me, f| {
                    out.push(me.eval(f, elt)?);
                    Ok(())
                })?;
                Value::list(out)
            }
            ExprKind::DictComp { key, value, generators } => {
                let mut d = Dict::default();
                self.comprehension(f, generators, &mut |me, f| {
                    let k = me.eval(f, key)?;
                    let v = me.eval(f, value)?;
                    d.insert(k, v);
                    Ok(())
                })?;
                Value::Dict(Rc::new(RefCell::new(d)))
            }
            ExprKind::Ellipsis | ExprKind::Slice { .. } => return err("`...` and slices are only valid inside `[]`"),
            ExprKind::Starred(_) => return err("a starred expression is only valid in a call, list or tuple"),
            ExprKind::Set(_) | ExprKind::SetComp { .. } => return err("sets are not supported"),
            ExprKind::Lambda { .. } => return err("`lambda` is not supported"),
            ExprKind::Yield(_) => return err("`yield` is not supported"),
            ExprKind::FString(_) => return err("f-strings are not supported"),
            ExprKind::Error => return err("syntax error"),
        })
    }

    /// Items of a list/tuple display, expanding `*xs`.
    fn eval_items(&self, f: &mut Frame, items: &[ast::Expr]) -> R<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            match &it.kind {
                ExprKind::Starred(inner) => {
                    let v = self.eval(f, inner)?;
                    out.extend(self.iterate(&v)?);
                }
                _ => out.push(self.eval(f, it)?),
            }
        }
        Ok(out)
    }

    /// Runs `body` once per iteration of nested `for ... if ...` clauses.
    /// The loop variables live in a scope of their own (Python 3): names
    /// they shadow are restored afterwards.
    fn comprehension(
        &self,
        f: &mut Frame,
        gens: &[ast::Comprehension],
        body: &mut dyn FnMut(&Interp, &mut Frame) -> R<()>,
    ) -> R<()> {
        let mut names = Vec::new();
        for g in gens {
            target_names(&g.target, &mut names);
        }
        let saved: Vec<(String, Option<Value>)> =
            names.iter().map(|n| (n.clone(), f.locals.as_ref().and_then(|l| l.get(n).cloned()).or_else(|| if f.locals.is_none() { f.globals.borrow().get(n).cloned() } else { None }))).collect();
        let r = self.comp_level(f, gens, body);
        for (n, v) in saved {
            match v {
                Some(v) => self.bind(f, &n, v),
                None => match &mut f.locals {
                    Some(l) => {
                        l.remove(&n);
                    }
                    None => {
                        f.globals.borrow_mut().remove(&n);
                    }
                },
            }
        }
        r
    }

    fn comp_level(&self, f: &mut Frame, gens: &[ast::Comprehension], body: &mut dyn FnMut(&Interp, &mut Frame) -> R<()>) -> R<()> {
        let Some((g, rest)) = gens.split_first() else { return body(self, f) };
        let it = self.eval(f, &g.iter)?;
        'items: for item in self.iterate(&it)? {
            self.assign(f, &g.target, item)?;
            for cond in &g.ifs {
                if !self.eval(f, cond)?.truthy().or_else(err)? {
                    continue 'items;
                }
            }
            self.comp_level(f, rest, body)?;
        }
        Ok(())
    }

    pub(crate) fn eval_index(&self, f: &mut Frame, index: &ast::Expr) -> R<Index> {
        match &index.kind {
            ExprKind::Tuple(items) => {
                let parts = items.iter().map(|i| self.index_part(f, i)).collect::<R<Vec<_>>>()?;
                Ok(Index { parts, tuple: true })
            }
            _ => Ok(Index { parts: vec![self.index_part(f, index)?], tuple: false }),
        }
    }

    fn index_part(&self, f: &mut Frame, e: &ast::Expr) -> R<IndexPart> {
        let bound = |me: &Interp, f: &mut Frame, b: &Option<Box<ast::Expr>>| -> R<Option<i64>> {
            let Some(b) = b else { return Ok(None) };
            match me.eval(f, b)? {
                Value::None => Ok(None),
                v => match super::builtins::as_index(&v) {
                    Some(i) => Ok(Some(i)),
                    None => super::at(err(format!("slice indices must be integers or None, not {}", v.type_name())), &f.file, b.span),
                },
            }
        };
        Ok(match &e.kind {
            ExprKind::Slice { lower, upper, step } => {
                IndexPart::Slice(bound(self, f, lower)?, bound(self, f, upper)?, bound(self, f, step)?)
            }
            ExprKind::Ellipsis => IndexPart::Ellipsis,
            _ => IndexPart::Value(self.eval(f, e)?),
        })
    }

    fn eval_call(&self, f: &mut Frame, call: &ast::Expr, func: &ast::Expr, args: &[ast::Arg]) -> R<Value> {
        // `super().name(...)`: the method of the defining class's base.
        let callee = match &func.kind {
            ExprKind::Attribute { value, attr } if is_super_call(value) => self.super_attr(f, &attr.name)?,
            _ => self.eval(f, func)?,
        };
        let mut pos = Vec::with_capacity(args.len());
        let mut kw = Vec::new();
        for a in args {
            let v = self.eval(f, &a.value)?;
            match (a.star, &a.keyword) {
                (ArgStar::Single, _) => pos.extend(self.iterate(&v)?),
                (ArgStar::Double, _) => match v {
                    Value::Dict(d) => {
                        for (k, v) in d.borrow().entries.iter() {
                            kw.push((super::builtins::to_str(k), v.clone()));
                        }
                    }
                    other => return err(format!("argument after ** must be a mapping, not {}", other.type_name())),
                },
                (ArgStar::None, Some(k)) => kw.push((k.name.clone(), v)),
                (ArgStar::None, None) => pos.push(v),
            }
        }
        match self.call(&callee, pos, kw) {
            Ok(v) => Ok(v),
            Err(mut ex) => {
                match ex.loc {
                    None => ex.loc = Some((f.file.clone(), call.span)),
                    Some(_) => ex.trace.push((f.file.clone(), call.span, f.name.clone())),
                }
                Err(ex)
            }
        }
    }

    fn super_attr(&self, f: &Frame, name: &str) -> R<Value> {
        let (Some(class), Some(Value::Object(this))) = (&f.class, &f.this) else {
            return err("super() is only valid inside a method");
        };
        match class.base.as_ref().and_then(|b| b.method(name)) {
            Some(m) => Ok(Value::Method(this.clone(), m)),
            // `nn.Module.__init__` (and any other base method) of the builtin base.
            None if name == "__init__" => Ok(Value::Builtin(Rc::from("__noop__"))),
            None => self.get_attr(&Value::Object(this.clone()), name),
        }
    }

    /// Calls any callable.
    pub(crate) fn call(&self, callee: &Value, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        match callee {
            Value::Func(func) => self.call_func(func, args, kwargs),
            Value::Method(obj, func) => {
                let mut all = Vec::with_capacity(args.len() + 1);
                all.push(Value::Object(obj.clone()));
                all.extend(args);
                self.call_func(func, all, kwargs)
            }
            Value::Class(c) => self.instantiate(c, args, kwargs),
            Value::Object(o) => self.call_module(o, args, kwargs),
            Value::Builtin(name) => self.call_builtin(name, args, kwargs),
            Value::BoundBuiltin(recv, name) => self.call_method(recv, name, args, kwargs),
            other => err(format!("'{}' object is not callable", other.type_name())),
        }
    }
}

fn is_super_call(e: &ast::Expr) -> bool {
    matches!(&e.kind, ExprKind::Call { func, args } if args.is_empty() && matches!(&func.kind, ExprKind::Name(n) if n == "super"))
}

/// The names a target binds (`a`, `(a, b)`).
fn target_names(t: &ast::Expr, out: &mut Vec<String>) {
    match &t.kind {
        ExprKind::Name(n) => out.push(n.clone()),
        ExprKind::Tuple(ts) | ExprKind::List(ts) => ts.iter().for_each(|t| target_names(t, out)),
        _ => {}
    }
}
