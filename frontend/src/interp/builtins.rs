//! Python's builtin functions (`len`, `range`, `print`, `isinstance`, ...),
//! conversions between interpreter and runtime values, and `str`/`repr`.

use super::operators::value_cmp;
use super::value::{Dict, Value};
use super::{err, rt, Interp, R};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;
use tsc_runtime::{Scalar, Tensor, Value as RV};

const BUILTINS: &[&str] = &[
    "len", "range", "print", "int", "float", "bool", "str", "list", "tuple", "dict", "min", "max", "abs", "sum",
    "isinstance", "enumerate", "zip", "sorted", "reversed", "any", "all", "round", "divmod", "getattr", "hasattr",
    "pow", "ord", "chr", "Exception", "ValueError", "RuntimeError", "TypeError", "IndexError", "KeyError",
    "AssertionError", "NotImplementedError", "ZeroDivisionError",
];

/// A builtin name's value (`len`, `True` is a literal, not here).
pub fn builtin(name: &str) -> Option<Value> {
    match name {
        "__name__" => Some(Value::str("__main__")),
        "super" => Some(Value::Builtin(Rc::from("super"))),
        _ => BUILTINS.contains(&name).then(|| Value::Builtin(Rc::from(name))),
    }
}

/// An integer-valued index (`int`, `bool`, or a one-element integer tensor, as `__index__`).
pub fn as_index(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(*b as i64),
        Value::Tensor(t) if t.numel() == 1 && !t.dtype().is_float() => t.item().ok().map(Scalar::to_i64),
        _ => None,
    }
}

pub fn to_scalar(v: &Value) -> Option<Scalar> {
    match *v {
        Value::Bool(b) => Some(Scalar::Bool(b)),
        Value::Int(i) => Some(Scalar::Int(i)),
        Value::Float(f) => Some(Scalar::Float(f)),
        _ => None,
    }
}

/// Interpreter value → runtime value (for op calls).
pub fn to_rt(v: &Value) -> R<RV> {
    Ok(match v {
        Value::None => RV::None,
        Value::Bool(b) => RV::Bool(*b),
        Value::Int(i) => RV::Int(*i),
        Value::Float(f) => RV::Float(*f),
        Value::Str(s) => RV::Str(s.to_string()),
        Value::Tensor(t) => RV::Tensor(t.clone()),
        Value::DType(d) => RV::DType(*d),
        Value::Device(d) => RV::Device(*d),
        Value::List(l) => RV::List(l.borrow().iter().map(to_rt).collect::<R<_>>()?),
        Value::Tuple(t) => RV::Tuple(t.iter().map(to_rt).collect::<R<_>>()?),
        other => return err(format!("a {} cannot be passed to a tensor op", other.type_name())),
    })
}

/// Runtime value → interpreter value.
pub fn from_rt(v: RV) -> Value {
    match v {
        RV::None => Value::None,
        RV::Bool(b) => Value::Bool(b),
        RV::Int(i) => Value::Int(i),
        RV::Float(f) => Value::Float(f),
        RV::Str(s) => Value::str(&s),
        RV::Tensor(t) => Value::Tensor(t),
        RV::DType(d) => Value::DType(d),
        RV::Device(d) => Value::Device(d),
        RV::List(l) => Value::list(l.into_iter().map(from_rt).collect()),
        RV::Tuple(t) => Value::tuple(t.into_iter().map(from_rt).collect()),
    }
}

fn float_str(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Python's `str(v)`.
pub fn to_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        _ => repr(v),
    }
}

/// Python's `repr(v)`.
pub fn repr(v: &Value) -> String {
    let join = |items: &mut dyn Iterator<Item = &Value>| items.map(repr).collect::<Vec<_>>().join(", ");
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_str(*f),
        Value::Str(s) => format!("'{s}'"),
        Value::Tensor(t) => format!("tensor(shape={:?}, dtype={})", t.shape(), t.dtype().name()),
        Value::DType(d) => format!("torch.{}", d.name()),
        Value::Device(d) => format!("device(type='{d}')"),
        Value::List(l) => format!("[{}]", join(&mut l.borrow().iter())),
        Value::Tuple(t) if t.len() == 1 => format!("({},)", repr(&t[0])),
        Value::Tuple(t) => format!("({})", join(&mut t.iter())),
        Value::Dict(d) => {
            let d = d.borrow();
            let parts: Vec<String> = d.entries.iter().map(|(k, v)| format!("{}: {}", repr(k), repr(v))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Object(o) => format!("<{} object>", o.class.name),
        Value::Func(f) => format!("<function {}>", f.qualname),
        Value::Method(_, f) => format!("<bound method {}>", f.qualname),
        Value::Class(c) => format!("<class '{}'>", c.name),
        Value::Builtin(n) => format!("<built-in function {n}>"),
        Value::BoundBuiltin(_, n) => format!("<built-in method {n}>"),
        Value::Namespace(n) => format!("<module '{n}'>"),
    }
}

/// `"%d items" % n`, for the few `%` formats error messages use.
pub fn percent_format(fmt: &str, arg: &Value) -> R<String> {
    let args: Vec<Value> = match arg {
        Value::Tuple(t) => t.to_vec(),
        v => vec![v.clone()],
    };
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'i' | 'f' | 'r') => match it.next() {
                Some(v) => out.push_str(&to_str(v)),
                None => return err("not enough arguments for format string"),
            },
            _ => return err("unsupported format character"),
        }
    }
    Ok(out)
}

fn want_args(name: &str, args: &[Value], lo: usize, hi: usize) -> R<()> {
    if args.len() < lo || args.len() > hi {
        return err(format!("{name}() takes {lo}..{hi} arguments ({} given)", args.len()));
    }
    Ok(())
}

fn to_int(v: &Value) -> R<Value> {
    Ok(Value::Int(match v {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        Value::Float(f) => {
            if !f.is_finite() {
                return err(format!("cannot convert float {} to integer", float_str(*f)));
            }
            f.trunc() as i64
        }
        Value::Str(s) => s.trim().parse().or_else(|_| err(format!("invalid literal for int(): '{s}'")))?,
        Value::Tensor(t) => match rt(t.item())? {
            Scalar::Float(f) => f.trunc() as i64,
            s => s.to_i64(),
        },
        other => return err(format!("int() argument must be a number, not '{}'", other.type_name())),
    }))
}

fn to_float(v: &Value) -> R<Value> {
    Ok(Value::Float(match v {
        Value::Int(i) => *i as f64,
        Value::Bool(b) => *b as i64 as f64,
        Value::Float(f) => *f,
        Value::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "inf" | "+inf" | "infinity" => f64::INFINITY,
            "-inf" | "-infinity" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            t => t.parse().or_else(|_| err(format!("could not convert string to float: '{s}'")))?,
        },
        Value::Tensor(t) => rt(t.item())?.to_f64(),
        other => return err(format!("float() argument must be a number, not '{}'", other.type_name())),
    }))
}

fn min_max(name: &str, args: Vec<Value>, want: Ordering) -> R<Value> {
    let items = if args.len() == 1 {
        match &args[0] {
            Value::List(l) => l.borrow().clone(),
            Value::Tuple(t) => t.to_vec(),
            Value::Tensor(_) => return super::operators::rt_op(name, &args),
            other => return err(format!("'{}' object is not iterable", other.type_name())),
        }
    } else {
        args
    };
    let mut best: Option<Value> = None;
    for v in items {
        best = Some(match best {
            None => v,
            Some(b) => match value_cmp(&v, &b) {
                Some(o) if o == want => v,
                Some(_) => b,
                None => return err(format!("'{name}' of values that cannot be compared ({}, {})", v.type_name(), b.type_name())),
            },
        });
    }
    best.map_or_else(|| err(format!("{name}() arg is an empty sequence")), Ok)
}

/// `isinstance(v, T)` for builtin types and classes.
fn is_instance(v: &Value, t: &Value) -> bool {
    match t {
        Value::Tuple(ts) => ts.iter().any(|t| is_instance(v, t)),
        Value::Builtin(n) => matches!(
            (&**n, v),
            ("int", Value::Int(_))
                | ("float", Value::Float(_))
                | ("bool", Value::Bool(_))
                | ("str", Value::Str(_))
                | ("list", Value::List(_))
                | ("tuple", Value::Tuple(_))
                | ("dict", Value::Dict(_))
                | ("torch.Tensor", Value::Tensor(_))
        ),
        Value::Namespace(n) => matches!(
            (&**n, v),
            ("typing.List", Value::List(_)) | ("typing.Tuple", Value::Tuple(_)) | ("typing.Dict", Value::Dict(_))
        ),
        Value::Class(c) => match v {
            Value::Object(o) => {
                let mut k = Some(o.class.clone());
                while let Some(cls) = k {
                    if Rc::ptr_eq(&cls, c) || (c.kind == super::ClassKind::ModuleBase && cls.is_module()) {
                        return true;
                    }
                    k = cls.base.clone();
                }
                false
            }
            _ => false,
        },
        _ => false,
    }
}

impl Interp {
    /// Calls a builtin function by name.
    pub(crate) fn call_builtin(&self, name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        if let Some(rest) = name.strip_prefix("ns:") {
            return self.call_namespace_fn(rest, args, kwargs);
        }
        let kw = |k: &str| kwargs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        Ok(match name {
            "__noop__" => Value::None,
            "len" => {
                want_args(name, &args, 1, 1)?;
                Value::Int(match &args[0] {
                    Value::List(l) => l.borrow().len(),
                    Value::Tuple(t) => t.len(),
                    Value::Str(s) => s.chars().count(),
                    Value::Dict(d) => d.borrow().entries.len(),
                    Value::Tensor(t) => match t.shape().first() {
                        Some(&n) => n,
                        None => return err("len() of a 0-d tensor"),
                    },
                    Value::Object(o) => o.children().len(),
                    other => return err(format!("object of type '{}' has no len()", other.type_name())),
                } as i64)
            }
            "range" => {
                want_args(name, &args, 1, 3)?;
                let ints: Vec<i64> = args
                    .iter()
                    .map(|a| match a {
                        Value::Int(i) => Ok(*i),
                        Value::Bool(b) => Ok(*b as i64),
                        o => err(format!("range() arguments must be int, not {}", o.type_name())),
                    })
                    .collect::<R<_>>()?;
                let (start, stop, step) = match ints.as_slice() {
                    [n] => (0, *n, 1),
                    [a, b] => (*a, *b, 1),
                    [a, b, c] => (*a, *b, *c),
                    _ => unreachable!("checked by want_args"),
                };
                if step == 0 {
                    return err("range() arg 3 must not be zero");
                }
                let mut v = Vec::new();
                let mut i = start;
                while (step > 0 && i < stop) || (step < 0 && i > stop) {
                    v.push(Value::Int(i));
                    i += step;
                }
                Value::list(v)
            }
            "print" => {
                let sep = kw("sep").map_or(" ".to_string(), |v| to_str(&v));
                let end = kw("end").map_or("\n".to_string(), |v| to_str(&v));
                let line: Vec<String> = args.iter().map(|a| self.display(a)).collect();
                let mut out = self.stdout.borrow_mut();
                // A closed stdout is not the program's error.
                let _ = write!(out, "{}{end}", line.join(&sep));
                Value::None
            }
            "int" => args.first().map_or(Ok(Value::Int(0)), to_int)?,
            "float" => args.first().map_or(Ok(Value::Float(0.0)), to_float)?,
            "bool" => Value::Bool(args.first().map_or(Ok(false), |v| v.truthy().or_else(err))?),
            "str" => Value::str(&args.first().map_or(String::new(), |v| self.display(v))),
            "list" => Value::list(args.first().map_or(Ok(Vec::new()), |v| self.iterate(v))?),
            "tuple" => Value::tuple(args.first().map_or(Ok(Vec::new()), |v| self.iterate(v))?),
            "dict" => {
                let mut d = Dict::default();
                if let Some(v) = args.first() {
                    for item in self.iterate(v)? {
                        let kv = self.iterate(&item)?;
                        if kv.len() != 2 {
                            return err("dict() needs (key, value) pairs");
                        }
                        d.insert(kv[0].clone(), kv[1].clone());
                    }
                }
                for (k, v) in kwargs {
                    d.insert(Value::str(&k), v);
                }
                Value::Dict(Rc::new(RefCell::new(d)))
            }
            "min" => min_max("min", args, Ordering::Less)?,
            "max" => min_max("max", args, Ordering::Greater)?,
            "abs" => match args.first() {
                Some(Value::Int(i)) => Value::Int(i.wrapping_abs()),
                Some(Value::Bool(b)) => Value::Int(*b as i64),
                Some(Value::Float(f)) => Value::Float(f.abs()),
                Some(t @ Value::Tensor(_)) => super::operators::rt_op("abs", std::slice::from_ref(t))?,
                _ => return err("abs() needs one number or tensor"),
            },
            "sum" => {
                want_args(name, &args, 1, 2)?;
                let mut acc = args.get(1).cloned().unwrap_or(Value::Int(0));
                for v in self.iterate(&args[0])? {
                    acc = self.binary_op(crate::syntax::ast::BinOp::Add, acc, v)?;
                }
                acc
            }
            "isinstance" => {
                want_args(name, &args, 2, 2)?;
                Value::Bool(is_instance(&args[0], &args[1]))
            }
            "enumerate" => {
                let start = args.get(1).cloned().or(kw("start")).and_then(|v| as_index(&v)).unwrap_or(0);
                let items = self.iterate(args.first().unwrap_or(&Value::None))?;
                Value::list(items.into_iter().enumerate().map(|(i, v)| Value::tuple(vec![Value::Int(start + i as i64), v])).collect())
            }
            "zip" => {
                let seqs: Vec<Vec<Value>> = args.iter().map(|a| self.iterate(a)).collect::<R<_>>()?;
                let n = seqs.iter().map(Vec::len).min().unwrap_or(0);
                Value::list((0..n).map(|i| Value::tuple(seqs.iter().map(|s| s[i].clone()).collect())).collect())
            }
            "sorted" => {
                let mut items = self.iterate(args.first().unwrap_or(&Value::None))?;
                sort_values(&mut items)?;
                if kw("reverse").is_some_and(|v| v.truthy().unwrap_or(false)) {
                    items.reverse();
                }
                Value::list(items)
            }
            "reversed" => {
                let mut items = self.iterate(args.first().unwrap_or(&Value::None))?;
                items.reverse();
                Value::list(items)
            }
            "any" | "all" => {
                let items = self.iterate(args.first().unwrap_or(&Value::None))?;
                let want = name == "any";
                let mut r = !want;
                for v in items {
                    if v.truthy().or_else(err)? == want {
                        r = want;
                        break;
                    }
                }
                Value::Bool(r)
            }
            "round" => match (args.first(), args.get(1)) {
                (Some(Value::Float(f)), None) => Value::Int(round_half_even(*f) as i64),
                (Some(Value::Float(f)), Some(Value::Int(n))) => {
                    let p = 10f64.powi(*n as i32);
                    Value::Float(round_half_even(f * p) / p)
                }
                (Some(v @ (Value::Int(_) | Value::Bool(_))), _) => to_int(v)?,
                (Some(t @ Value::Tensor(_)), _) => super::operators::rt_op("round", std::slice::from_ref(t))?,
                _ => return err("round() needs a number"),
            },
            "divmod" => {
                want_args(name, &args, 2, 2)?;
                let q = self.binary_op(crate::syntax::ast::BinOp::FloorDiv, args[0].clone(), args[1].clone())?;
                let r = self.binary_op(crate::syntax::ast::BinOp::Mod, args[0].clone(), args[1].clone())?;
                Value::tuple(vec![q, r])
            }
            "pow" => {
                want_args(name, &args, 2, 2)?;
                self.binary_op(crate::syntax::ast::BinOp::Pow, args[0].clone(), args[1].clone())?
            }
            "getattr" | "hasattr" => {
                want_args(name, &args, 2, 3)?;
                let attr = to_str(&args[1]);
                match (self.get_attr(&args[0], &attr), name) {
                    (Ok(_), "hasattr") => Value::Bool(true),
                    (Err(_), "hasattr") => Value::Bool(false),
                    (Ok(v), _) => v,
                    (Err(e), _) => match args.get(2) {
                        Some(d) => d.clone(),
                        None => return Err(e),
                    },
                }
            }
            "ord" => match args.first() {
                Some(Value::Str(s)) if s.chars().count() == 1 => Value::Int(s.chars().next().map_or(0, |c| c as i64)),
                _ => return err("ord() expected a character"),
            },
            "chr" => match args.first().and_then(as_index).and_then(|i| u32::try_from(i).ok()).and_then(char::from_u32) {
                Some(c) => Value::str(c.encode_utf8(&mut [0; 4])),
                None => return err("chr() arg not in range"),
            },
            "super" => return err("super() is only supported as `super().method(...)`"),
            exc if exc.ends_with("Error") || exc == "Exception" => {
                let msg = args.first().map(to_str).unwrap_or_default();
                Value::str(&if msg.is_empty() { exc.to_string() } else { format!("{exc}: {msg}") })
            }
            other => return err(format!("builtin `{other}` is not supported")),
        })
    }

    /// `str(v)` / `print(v)`: tensors print their values.
    pub(crate) fn display(&self, v: &Value) -> String {
        match v {
            Value::Tensor(t) => format_tensor(t),
            Value::List(l) => format!("[{}]", l.borrow().iter().map(|x| self.display_item(x)).collect::<Vec<_>>().join(", ")),
            Value::Tuple(t) if t.len() != 1 => format!("({})", t.iter().map(|x| self.display_item(x)).collect::<Vec<_>>().join(", ")),
            _ => to_str(v),
        }
    }

    fn display_item(&self, v: &Value) -> String {
        match v {
            Value::Tensor(t) => format_tensor(t),
            _ => repr(v),
        }
    }

    /// The items of an iterable value (`for x in v`).
    pub(crate) fn iterate(&self, v: &Value) -> R<Vec<Value>> {
        Ok(match v {
            Value::List(l) => l.borrow().clone(),
            Value::Tuple(t) => t.to_vec(),
            Value::Str(s) => s.chars().map(|c| Value::str(c.encode_utf8(&mut [0; 4]))).collect(),
            Value::Dict(d) => d.borrow().entries.iter().map(|(k, _)| k.clone()).collect(),
            Value::Tensor(t) => {
                if t.ndim() == 0 {
                    return err("iteration over a 0-d tensor");
                }
                self.iterate(&super::operators::rt_op("unbind", &[v.clone()])?)?
            }
            Value::Object(o) => match o.class.kind {
                super::ClassKind::ModuleDict => o.children().into_iter().map(|(k, _)| Value::str(&k)).collect(),
                _ => o.children().into_iter().map(|(_, m)| Value::Object(m)).collect(),
            },
            other => return err(format!("'{}' object is not iterable", other.type_name())),
        })
    }
}

use std::io::Write;

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

/// Sorts values in Python order; mixed types are an error.
pub(crate) fn sort_values(items: &mut [Value]) -> R<()> {
    let mut bad = false;
    items.sort_by(|a, b| {
        value_cmp(a, b).unwrap_or_else(|| {
            bad = true;
            Ordering::Equal
        })
    });
    if bad {
        return err("'<' not supported between the list's elements");
    }
    Ok(())
}

/// A short text form of a tensor's values (for `print`).
fn format_tensor(t: &Tensor) -> String {
    let vals: Vec<f64> = t.contiguous_as(tsc_runtime::DType::F64).to_vec::<f64>();
    fn rec(vals: &[f64], shape: &[usize], is_float: bool) -> String {
        match shape.split_first() {
            None => match vals.first() {
                Some(v) if is_float => format!("{v:.4}"),
                Some(v) => format!("{}", *v as i64),
                None => String::new(),
            },
            Some((&n, rest)) => {
                let inner: usize = rest.iter().product();
                let parts: Vec<String> = (0..n).map(|i| rec(&vals[i * inner..(i + 1) * inner], rest, is_float)).collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }
    format!("tensor({})", rec(&vals, t.shape(), t.dtype().is_float()))
}
