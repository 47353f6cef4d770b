//! Calls. User functions, methods and modules are inlined (arguments bound
//! as Python binds them); builtins (`len`, `range`, `int`, `isinstance`,
//! `min`, ...) are lowered by meaning; everything else is a runtime op,
//! whose overload is chosen by the operands' types against the registry's
//! schemas (the eager binder's rules: positional then keyword, defaults
//! filled, trailing ints packed into an `int[]`, `input=` is `self`).

use super::iter::Iter;
use super::stmt::{Cond, LIST_MUTATORS};
use super::{Frame, IrValue, Lower, LV};
use crate::interp::value::{ClassKind, Func};
use crate::interp::{builtins, Value, R};
use crate::syntax::ast::{self, ArgStar, CmpOp, Expr, ExprKind};
use std::collections::BTreeMap;
use std::rc::Rc;
use tsc_compiler::aten::fits_param;
use tsc_compiler::{AtenOp, Op, ScalarOp, Type};
use tsc_runtime::ops::{registry, Schema, Ty};

/// Runtime ops never computed while compiling (random state, effects).
const NEVER_FOLD: &[&str] = &["rand", "randn", "randint", "randperm", "rand_like", "randn_like", "bernoulli", "normal", "dropout", "manual_seed"];

/// One bound operand: a lowered argument or the schema's default.
enum Bound {
    Arg(LV),
    Default(tsc_runtime::Value),
}

impl Lower<'_> {
    pub(crate) fn call_expr(&mut self, f: &mut Frame, func: &Expr, args: &[ast::Arg]) -> R<LV> {
        // `xs.append(v)` on a list variable: a functional update, rebound.
        if let ExprKind::Attribute { value, attr } = &func.kind {
            if let (ExprKind::Name(n), true) = (&value.kind, LIST_MUTATORS.contains(&attr.name.as_str())) {
                if let Some(cur) = f.vars.get(n).cloned().filter(|v| self.is_list(v)) {
                    let (pos, _) = self.args(f, args)?;
                    let (new, ret) = self.list_mutate(cur, &attr.name, pos)?;
                    f.vars.insert(n.clone(), new);
                    return Ok(ret);
                }
            }
        }
        let callee = self.expr(f, func)?;
        let (pos, kw) = self.args(f, args)?;
        let inlined = matches!(callee, LV::S(Value::Func(_) | Value::Method(..) | Value::Object(_)));
        let span = self.at.clone();
        self.call(&callee, pos, kw).map_err(|mut ex| {
            if inlined && ex.loc.as_ref().is_some_and(|(file, s)| !(Rc::ptr_eq(file, &span.0) && *s == span.1)) {
                ex.trace.push((span.0.clone(), span.1, f.name.clone()));
            }
            ex
        })
    }

    fn args(&mut self, f: &mut Frame, args: &[ast::Arg]) -> R<(Vec<LV>, Vec<(String, LV)>)> {
        let mut pos = Vec::new();
        let mut kw = Vec::new();
        for a in args {
            let v = self.expr(f, &a.value)?;
            match (a.star, &a.keyword) {
                (ArgStar::Single, _) => match self.iteration(&v)? {
                    Iter::Static(items) => pos.extend(items),
                    Iter::Dyn { .. } => return self.fail("`*args` of a value only known at run time cannot be compiled"),
                },
                (ArgStar::Double, _) => return self.fail("`**kwargs` cannot be compiled"),
                (ArgStar::None, Some(k)) => kw.push((k.name.clone(), v)),
                (ArgStar::None, None) => pos.push(v),
            }
        }
        Ok((pos, kw))
    }

    fn is_list(&self, v: &LV) -> bool {
        match v {
            LV::List(..) | LV::S(Value::List(_)) => true,
            LV::D(x) => matches!(self.g.ty(*x), Type::List(_)),
            _ => false,
        }
    }

    /// A mutating list method: (the new list, the call's result).
    fn list_mutate(&mut self, cur: LV, name: &str, args: Vec<LV>) -> R<(LV, LV)> {
        let cur = match cur {
            LV::S(Value::List(l)) => LV::List(l.borrow().iter().cloned().map(LV::S).collect(), None),
            v => v,
        };
        if name == "append" {
            let [v] = <[LV; 1]>::try_from(args).or_else(|_| self.fail("append() takes exactly one argument"))?;
            return Ok((self.list_append(Some(cur), v)?, LV::none()));
        }
        let LV::List(mut items, h) = cur else {
            return self.fail(format!("list.{name}() on a list only known at run time cannot be compiled yet"));
        };
        let index = |v: Option<&LV>, n: usize| -> Option<usize> {
            let i = match v {
                Some(LV::S(Value::Int(i))) => *i,
                None => n as i64 - 1,
                _ => return None,
            };
            let j = if i < 0 { i + n as i64 } else { i };
            (0..n as i64).contains(&j).then_some(j as usize)
        };
        let ret = match name {
            "extend" => {
                match args.first().map(|a| self.iteration(a)).transpose()? {
                    Some(Iter::Static(xs)) => items.extend(xs),
                    _ => return self.fail("extend() needs a list of known length"),
                }
                LV::none()
            }
            "pop" => match index(args.first(), items.len()) {
                Some(i) => items.remove(i),
                None => return self.fail("pop index out of range (or only known at run time)"),
            },
            "insert" => match (args.first(), args.get(1)) {
                (Some(LV::S(Value::Int(i))), Some(v)) => {
                    let n = items.len() as i64;
                    let j = if *i < 0 { (i + n).max(0) } else { (*i).min(n) };
                    items.insert(j as usize, v.clone());
                    LV::none()
                }
                _ => return self.fail("insert() needs a constant index"),
            },
            "reverse" => {
                items.reverse();
                LV::none()
            }
            "clear" => {
                items.clear();
                LV::none()
            }
            _ => return self.fail(format!("list.{name}() cannot be compiled yet")),
        };
        Ok((LV::List(items, h), ret))
    }

    /// Calls a lowered callable.
    pub(crate) fn call(&mut self, callee: &LV, pos: Vec<LV>, kw: Vec<(String, LV)>) -> R<LV> {
        match callee {
            LV::S(Value::Func(func)) => self.inline(func, pos, kw),
            LV::S(Value::Method(o, func)) => {
                let mut all = vec![LV::S(Value::Object(o.clone()))];
                all.extend(pos);
                self.inline(func, all, kw)
            }
            LV::S(Value::Object(o)) => match o.class.kind {
                ClassKind::Sequential => {
                    let [mut x] = <[LV; 1]>::try_from(pos).or_else(|_| self.fail("Sequential takes exactly one input"))?;
                    for (_, m) in o.children() {
                        x = self.call(&LV::S(Value::Object(m)), vec![x], Vec::new())?;
                    }
                    Ok(x)
                }
                _ => match o.class.method("forward") {
                    Some(func) => self.call(&LV::S(Value::Method(o.clone(), func)), pos, kw),
                    None => self.fail(format!("module '{}' has no forward()", o.class.name)),
                },
            },
            LV::S(Value::Builtin(name)) => self.builtin(name, pos, kw),
            LV::S(Value::BoundBuiltin(recv, name)) => self.method_call(LV::S((**recv).clone()), name, pos, kw),
            LV::Method(recv, name) => self.method_call((**recv).clone(), name, pos, kw),
            LV::S(Value::Class(c)) => self.fail(format!("creating a `{}` inside compiled code is not supported (create it in __init__)", c.name)),
            _ => self.fail("this value is not callable"),
        }
    }

    fn method_call(&mut self, recv: LV, name: &str, pos: Vec<LV>, kw: Vec<(String, LV)>) -> R<LV> {
        if self.ty(&recv).is_some_and(|t| t.is_tensor()) {
            return match name {
                "requires_grad_" => Ok(recv),
                "size" if pos.is_empty() && kw.is_empty() => {
                    let x = self.mat(&recv)?;
                    Ok(LV::D(self.aten1("size", "", vec![x], Type::list(Type::Int))?))
                }
                _ => {
                    let mut all = vec![recv];
                    all.extend(pos);
                    let v = self.call_op(name, all, kw, 1)?;
                    Ok(if matches!(name, "item" | "tolist") { self.trace_bake(v, &format!(".{name}()")) } else { v })
                }
            };
        }
        match (&recv, all_static(&pos, &kw)) {
            (LV::S(s), Some((p, k))) => {
                let m = Value::BoundBuiltin(Box::new(s.clone()), Rc::from(name));
                Ok(LV::S(self.interp.call_value(&m, p, k).or_else(|e| self.fail(e.message))?))
            }
            _ => self.fail(format!("`.{name}()` on this value cannot be compiled yet")),
        }
    }

    /// A builtin function (`len`, `range`, `torch.relu`, `math.sqrt`, ...).
    fn builtin(&mut self, name: &str, pos: Vec<LV>, kw: Vec<(String, LV)>) -> R<LV> {
        let one = |me: &Self, pos: &[LV]| -> R<LV> {
            match pos {
                [x] => Ok(x.clone()),
                _ => me.fail(format!("{name}() takes exactly one argument")),
            }
        };
        match name {
            "range" => {
                let (lo, hi, step) = match pos.as_slice() {
                    [hi] => (LV::int(0), hi.clone(), LV::int(1)),
                    [lo, hi] => (lo.clone(), hi.clone(), LV::int(1)),
                    [lo, hi, step] => (lo.clone(), hi.clone(), step.clone()),
                    _ => return self.fail("range() takes 1 to 3 arguments"),
                };
                return Ok(LV::Range(Box::new([lo, hi, step])));
            }
            "len" => {
                let x = one(self, &pos)?;
                return match &x {
                    LV::List(items, _) | LV::Tuple(items) => Ok(LV::int(items.len() as i64)),
                    LV::D(v) => match self.g.ty(*v).clone() {
                        Type::List(_) => Ok(LV::D(self.node1(Op::ListLen, vec![*v], Type::Int))),
                        _ => self.call_op("len", vec![x], vec![], 1),
                    },
                    _ => self.static_builtin(name, pos, kw),
                };
            }
            "int" | "float" | "bool" if pos.len() == 1 && pos[0].as_static().is_none() => {
                let x = self.mat(&pos[0])?;
                let t = self.g.ty(x).clone();
                let (op, out, rt) = match name {
                    "int" => (ScalarOp::IntCast, Type::Int, "Int"),
                    "float" => (ScalarOp::FloatCast, Type::Float, "Float"),
                    _ => (ScalarOp::BoolCast, Type::Bool, "Bool"),
                };
                let v = LV::D(match t {
                    Type::Tensor(_) => self.aten1(rt, "Tensor", vec![x], out)?,
                    t if t.is_number() => self.node1(Op::Scalar(op), vec![x], out),
                    t => return self.fail(format!("{name}() of a {t} cannot be compiled")),
                });
                return Ok(self.trace_bake(v, &format!("{name}()")));
            }
            "isinstance" if pos.len() == 2 && pos[0].as_static().is_none() => {
                let proto = match self.ty(&pos[0]) {
                    Some(Type::Tensor(_)) => Value::Tensor(tsc_runtime::Tensor::scalar(tsc_runtime::Scalar::Float(0.0), tsc_runtime::DType::F32)),
                    Some(Type::Int) => Value::Int(0),
                    Some(Type::Float) => Value::Float(0.0),
                    Some(Type::Bool) => Value::Bool(false),
                    Some(Type::Str) => Value::str(""),
                    Some(Type::List(_)) => Value::list(Vec::new()),
                    Some(Type::Tuple(_)) => Value::tuple(Vec::new()),
                    _ => return self.fail("isinstance() of this value cannot be decided while compiling"),
                };
                return self.static_builtin(name, vec![LV::S(proto), pos[1].clone()], kw);
            }
            "min" | "max" if pos.len() >= 2 && all_static(&pos, &kw).is_none() => {
                let op = if name == "min" { CmpOp::Lt } else { CmpOp::Gt };
                let mut acc = pos[0].clone();
                for x in &pos[1..] {
                    acc = self.select(op, acc, x.clone())?;
                }
                return Ok(acc);
            }
            "list" | "tuple" if pos.len() == 1 && pos[0].as_static().is_none() => {
                let items = match self.iteration(&pos[0])? {
                    Iter::Static(items) => items,
                    Iter::Dyn { .. } if name == "list" && self.is_list(&pos[0]) => return Ok(pos[0].clone()),
                    Iter::Dyn { .. } => return self.fail(format!("{name}() of a value only known at run time cannot be compiled yet")),
                };
                return Ok(if name == "list" { LV::List(items, None) } else { LV::Tuple(items) });
            }
            "enumerate" | "zip" if all_static(&pos, &kw).is_none() => {
                let start = match kw.iter().find(|(k, _)| k == "start").map(|(_, v)| v).or(pos.get(1).filter(|_| name == "enumerate")) {
                    Some(LV::S(Value::Int(s))) => *s,
                    None => 0,
                    Some(_) => return self.fail("enumerate(start=) must be a constant"),
                };
                return if name == "enumerate" { self.enumerate(&pos[0], start) } else { self.zip(&pos) };
            }
            "abs" if pos.len() == 1 && self.ty(&pos[0]).is_some_and(|t| t.is_number()) && pos[0].as_static().is_none() => {
                let neg = self.scalar(ScalarOp::Neg, vec![pos[0].clone()])?;
                return self.select(CmpOp::Gt, pos[0].clone(), neg);
            }
            "divmod" if pos.len() == 2 && all_static(&pos, &kw).is_none() => {
                let q = self.scalar(ScalarOp::FloorDiv, pos.clone())?;
                let r = self.scalar(ScalarOp::Mod, pos)?;
                return Ok(LV::Tuple(vec![q, r]));
            }
            "print" => {
                let ins = pos.iter().map(|p| self.mat(p)).collect::<R<Vec<_>>>()?;
                self.node(Op::Print, ins, Vec::new());
                return Ok(LV::none());
            }
            "__noop__" => return Ok(LV::none()),
            _ => {}
        }
        if let Some((ns, f)) = name.strip_prefix("ns:").and_then(|q| q.rsplit_once('.')) {
            return self.namespace_fn(name, ns, f, pos, kw);
        }
        self.static_builtin(name, pos, kw)
    }

    /// A builtin over values all known while compiling.
    fn static_builtin(&mut self, name: &str, pos: Vec<LV>, kw: Vec<(String, LV)>) -> R<LV> {
        let Some((p, k)) = all_static(&pos, &kw) else {
            return self.fail(format!("{name}() of a value only known at run time cannot be compiled yet"));
        };
        Ok(LV::S(self.interp.call_value(&Value::Builtin(Rc::from(name)), p, k).or_else(|e| self.fail(e.message))?))
    }

    /// `a if a <op> b else b` (for `min`/`max`).
    pub(crate) fn select(&mut self, op: CmpOp, a: LV, b: LV) -> R<LV> {
        let c = self.compare(op, &a, &b)?;
        match self.cond(&c)? {
            Cond::Static(true) => Ok(a),
            Cond::Static(false) => Ok(b),
            Cond::Dyn(c) => {
                let x = self.mat(&a)?;
                let y = self.mat(&b)?;
                let Some(t) = super::join(&self.g.ty(x).clone(), &self.g.ty(y).clone()) else {
                    return self.fail("min()/max() of values of different types");
                };
                let (tb, eb) = (self.g.add_block(), self.g.add_block());
                self.g.set_results(tb, vec![x]);
                self.g.set_results(eb, vec![y]);
                Ok(LV::D(self.control_node(Op::If, vec![c], vec![t], vec![tb, eb])[0]))
            }
        }
    }

    fn enumerate(&mut self, x: &LV, start: i64) -> R<LV> {
        match self.iteration(x)? {
            Iter::Static(items) => {
                Ok(LV::List(items.into_iter().enumerate().map(|(i, v)| LV::Tuple(vec![LV::int(start + i as i64), v])).collect(), None))
            }
            Iter::Dyn { .. } => Ok(LV::Enumerate(Box::new(x.clone()), start)),
        }
    }

    fn zip(&mut self, xs: &[LV]) -> R<LV> {
        let mut seqs = Vec::new();
        for x in xs {
            match self.iteration(x)? {
                Iter::Static(items) => seqs.push(items),
                Iter::Dyn { .. } => return Ok(LV::Zip(xs.to_vec())),
            }
        }
        let n = seqs.iter().map(Vec::len).min().unwrap_or(0);
        Ok(LV::List((0..n).map(|i| LV::Tuple(seqs.iter().map(|s| s[i].clone()).collect())).collect(), None))
    }

    /// `torch.X`, `F.X`, `math.X`, `torch.jit.X`.
    /// `builtin` is the interpreter's name for the function (`ns:math.sqrt`).
    fn namespace_fn(&mut self, builtin: &str, ns: &str, name: &str, pos: Vec<LV>, kw: Vec<(String, LV)>) -> R<LV> {
        match (ns, name) {
            ("torch.jit", "annotate") => match pos.get(1) {
                Some(v) => Ok(v.clone()),
                None => self.fail("torch.jit.annotate(type, value)"),
            },
            ("torch.jit", "is_scripting") => Ok(LV::bool(!self.tracing())),
            ("torch.jit", "is_tracing") => Ok(LV::bool(self.tracing())),
            ("torch", "is_tensor") if pos.len() == 1 => Ok(LV::bool(self.ty(&pos[0]).is_some_and(|t| t.is_tensor()))),
            ("nn", "Parameter") => self.fail("nn.Parameter() inside compiled code is not supported (create it in __init__)"),
            ("math", _) if all_static(&pos, &kw).is_none() => self.math(name, pos),
            ("math", _) | ("torch", "device" | "get_default_dtype") | ("torch.jit", _) => {
                self.static_builtin(builtin, pos, kw)
            }
            (_, op) => self.call_op(op, pos, kw, 0),
        }
    }

    /// `math.f(x)` of a run-time number: through the runtime's tensor op on
    /// 0-d float64 tensors (as the interpreter computes `math.erf`).
    fn math(&mut self, name: &str, pos: Vec<LV>) -> R<LV> {
        let (op, out) = match name {
            "sqrt" | "exp" | "log" | "log2" | "log10" | "log1p" | "expm1" | "sin" | "cos" | "tan" | "asin" | "acos" | "atan"
            | "sinh" | "cosh" | "tanh" | "erf" | "erfc" | "atan2" | "hypot" | "copysign" | "fmod" => (name, "float"),
            "floor" | "ceil" | "trunc" => (name, "int"),
            "isnan" | "isinf" | "isfinite" => (name, "bool"),
            "fabs" => ("abs", "float"),
            "pow" => ("pow", "float"),
            _ => return self.fail(format!("math.{name}() of a run-time value cannot be compiled yet")),
        };
        if name == "log" && pos.len() == 2 {
            let ln = self.math("log", vec![pos[0].clone()])?;
            let base = self.math("log", vec![pos[1].clone()])?;
            return self.binop(ast::BinOp::Div, ln, base);
        }
        let f64_kw = || vec![("dtype".to_string(), LV::S(Value::DType(tsc_runtime::DType::F64)))];
        let mut ts = Vec::new();
        for x in pos {
            ts.push(self.call_op("scalar_tensor", vec![x], f64_kw(), 0)?);
        }
        let r = self.call_op(op, ts, vec![], 0)?;
        self.builtin(out, vec![r], Vec::new())
    }

    /// Calls runtime op `name` on lowered operands.
    pub(crate) fn call_op(&mut self, name: &str, args: Vec<LV>, kwargs: Vec<(String, LV)>, first_pack: usize) -> R<LV> {
        if let Some(v) = fold(name, &args, &kwargs) {
            return Ok(v);
        }
        let base = name.strip_suffix('_').filter(|_| registry().overloads(name).is_empty());
        let ovs = registry().overloads(base.unwrap_or(name));
        if ovs.is_empty() {
            return self.fail(format!("unknown op `{name}`"));
        }
        let kwargs: Vec<(String, LV)> = kwargs
            .into_iter()
            .map(|(k, v)| if k == "input" && ovs.iter().all(|o| o.schema.params.first().is_some_and(|p| p.name == "self")) { ("self".into(), v) } else { (k, v) })
            .collect();
        let attempt = |me: &mut Self, args: &[LV]| -> Option<(&'static Schema, Vec<Bound>)> {
            ovs.iter().find_map(|o| me.bind(&o.schema, args, &kwargs).map(|b| (&o.schema, b)))
        };
        let mut found = attempt(self, &args);
        if found.is_none() {
            for p in first_pack..args.len() {
                if args[p..].iter().all(|a| self.ty(a) == Some(Type::Int)) {
                    let mut packed = args[..p].to_vec();
                    packed.push(LV::List(args[p..].to_vec(), None));
                    found = attempt(self, &packed);
                    if found.is_some() {
                        break;
                    }
                }
            }
        }
        let Some((schema, bound)) = found else {
            let tys: Vec<String> = args.iter().map(|a| self.ty(a).map_or("?".into(), |t| t.to_string())).collect();
            let kws: Vec<String> = kwargs.iter().map(|(k, v)| format!("{k}={}", self.ty(v).map_or("?".into(), |t| t.to_string()))).collect();
            let all = tys.into_iter().chain(kws).collect::<Vec<_>>().join(", ");
            let known: Vec<String> = ovs.iter().map(|o| format!("  {}", o.schema)).collect();
            return self.fail(format!("no overload of `{name}` takes ({all}); the overloads are:\n{}", known.join("\n")));
        };
        let mut ins = Vec::with_capacity(bound.len());
        for b in bound {
            ins.push(match b {
                Bound::Arg(v) => self.mat(&v)?,
                Bound::Default(v) => self.mat(&LV::S(builtins::from_rt(v)))?,
            });
        }
        let op_name = if base.is_some() { name } else { &schema.name };
        let aten = AtenOp::new(op_name, &schema.overload).or_else(|e| self.fail(e))?;
        let outs: Vec<Type> = aten.result_tys().into_iter().map(ir_type).collect();
        let n = outs.len();
        let vals = self.node(Op::Aten(aten), ins, outs);
        Ok(match n {
            0 => LV::none(),
            1 => LV::D(vals[0]),
            _ => LV::Tuple(vals.into_iter().map(LV::D).collect()),
        })
    }

    /// Binds operands to `schema` by type, as the eager binder binds values.
    fn bind(&self, schema: &Schema, args: &[LV], kwargs: &[(String, LV)]) -> Option<Vec<Bound>> {
        let positional = schema.params.iter().filter(|p| !p.kw_only).count();
        if args.len() > positional {
            return None;
        }
        let mut slots: Vec<Option<LV>> = vec![None; schema.params.len()];
        for (i, a) in args.iter().enumerate() {
            slots[i] = Some(a.clone());
        }
        for (k, v) in kwargs {
            let i = schema.params.iter().position(|p| p.name == *k)?;
            if slots[i].is_some() {
                return None;
            }
            slots[i] = Some(v.clone());
        }
        let mut out = Vec::with_capacity(slots.len());
        for (p, slot) in schema.params.iter().zip(slots) {
            out.push(match slot {
                Some(v) => {
                    let t = self.ty(&v)?;
                    if !fits_param(&t, &p.ty) {
                        return None;
                    }
                    Bound::Arg(v)
                }
                None => Bound::Default(p.default.clone()?),
            });
        }
        Some(out)
    }

    /// Appends runtime op `name.overload` with operands already in schema order.
    pub(crate) fn aten1(&mut self, name: &str, overload: &str, ins: Vec<IrValue>, out: Type) -> R<IrValue> {
        let op = AtenOp::new(name, overload).or_else(|e| self.fail(e))?;
        Ok(self.node1(Op::Aten(op), ins, out))
    }
}

/// Computes an op while compiling when every operand is known, none is
/// a tensor, the op is deterministic, and the result is no tensor.
fn fold(name: &str, args: &[LV], kwargs: &[(String, LV)]) -> Option<LV> {
    if name.ends_with('_') || NEVER_FOLD.contains(&name) {
        return None;
    }
    let (p, k) = all_static(args, kwargs)?;
    if p.iter().chain(k.iter().map(|(_, v)| v)).any(has_tensor) {
        return None;
    }
    match crate::interp::namespaces::call_op(name, p, k, 0) {
        Ok(v) if !has_tensor(&v) => Some(LV::S(v)),
        _ => None,
    }
}

/// The IR type of a schema return type (tensors with nothing known).
fn ir_type(t: &Ty) -> Type {
    match t {
        Ty::Int => Type::Int,
        Ty::Float | Ty::Scalar => Type::Float,
        Ty::Bool => Type::Bool,
        Ty::Str => Type::Str,
        Ty::None => Type::None,
        Ty::DType => Type::DType,
        Ty::Device => Type::Device,
        Ty::List(e, _) => Type::list(ir_type(e)),
        Ty::Optional(t) => Type::optional(ir_type(t)),
        Ty::Tuple(ts) => Type::Tuple(ts.iter().map(ir_type).collect()),
        Ty::Tensor | Ty::Any => Type::tensor(),
    }
}

fn has_tensor(v: &Value) -> bool {
    match v {
        Value::Tensor(_) => true,
        Value::List(l) => l.borrow().iter().any(has_tensor),
        Value::Tuple(t) => t.iter().any(has_tensor),
        _ => false,
    }
}

/// The arguments as static values, if they all are.
fn all_static(pos: &[LV], kw: &[(String, LV)]) -> Option<(Vec<Value>, Vec<(String, Value)>)> {
    let p = pos.iter().map(LV::as_static).collect::<Option<Vec<_>>>()?;
    let k = kw.iter().map(|(n, v)| v.as_static().map(|v| (n.clone(), v))).collect::<Option<Vec<_>>>()?;
    Some((p, k))
}

/// Python's argument binding for an inlined function: positionals, then
/// keywords, then the defaults the `def` evaluated.
pub(crate) fn bind_params(func: &Func, args: Vec<LV>, kwargs: Vec<(String, LV)>) -> Result<BTreeMap<String, LV>, String> {
    let params = &func.def.params;
    let name = &func.qualname;
    if params.iter().any(|p| matches!(p.kind, ast::ParamKind::VarArgs | ast::ParamKind::VarKw)) {
        return Err(format!("{name}() takes *args/**kwargs, which cannot be compiled"));
    }
    let mut slots: Vec<Option<LV>> = vec![None; params.len()];
    let positional: Vec<usize> = (0..params.len()).filter(|&i| params[i].kind == ast::ParamKind::Normal).collect();
    let nargs = args.len();
    for (i, a) in args.into_iter().enumerate() {
        match positional.get(i) {
            Some(&p) => slots[p] = Some(a),
            None => return Err(format!("{name}() takes {} positional arguments but {nargs} were given", positional.len())),
        }
    }
    for (k, v) in kwargs {
        match params.iter().position(|p| p.name.name == k) {
            Some(p) if slots[p].is_some() => return Err(format!("{name}() got multiple values for argument '{k}'")),
            Some(p) => slots[p] = Some(v),
            None => return Err(format!("{name}() got an unexpected keyword argument '{k}'")),
        }
    }
    let mut vars = BTreeMap::new();
    for (i, p) in params.iter().enumerate() {
        let v = match slots[i].take().or_else(|| func.defaults[i].clone().map(LV::S)) {
            Some(v) => v,
            None => return Err(format!("{name}() missing required argument '{}'", p.name.name)),
        };
        vars.insert(p.name.name.clone(), v);
    }
    Ok(vars)
}
