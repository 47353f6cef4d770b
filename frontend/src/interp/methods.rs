//! Attributes and methods of values: tensors (`x.shape`, `x.view(...)`:
//! any runtime op called with `x` first), lists, strings, dicts, tuples;
//! module objects are in `module.rs`.

use super::builtins::{as_index, sort_values, to_str};
use super::operators::value_eq as eq;
use super::namespaces::call_op;
use super::value::{Dict, Value};
use super::{err, Interp, R};
use std::cell::RefCell;
use std::rc::Rc;
use tsc_runtime::ops;

fn bound(recv: &Value, name: &str) -> Value {
    Value::BoundBuiltin(Box::new(recv.clone()), Rc::from(name))
}

const LIST_METHODS: &[&str] =
    &["append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy", "clear"];
const STR_METHODS: &[&str] = &[
    "split", "strip", "lstrip", "rstrip", "lower", "upper", "replace", "startswith", "endswith", "find", "rfind",
    "join", "format", "isdigit", "isalpha", "isspace", "count", "index", "title", "capitalize", "zfill",
];
const DICT_METHODS: &[&str] = &["keys", "values", "items", "get", "pop", "update", "setdefault", "clear", "copy"];
/// Tensor methods that are not ops of the registry (the checker reads this list too).
pub(crate) const TENSOR_EXTRA: &[&str] = &["copy_", "requires_grad_", "new_zeros", "new_ones", "new_full", "new_empty", "new_tensor"];

impl Interp {
    /// `v.name`.
    pub(crate) fn get_attr(&self, v: &Value, name: &str) -> R<Value> {
        let missing = || err(format!("'{}' object has no attribute '{name}'", v.type_name()));
        match v {
            Value::Object(o) => self.object_attr(o, name),
            Value::Namespace(ns) => match self.namespace_attr(ns, name) {
                Some(x) => Ok(x),
                None => err(format!("module '{ns}' has no attribute '{name}' (or tsc does not support it yet)")),
            },
            Value::Tensor(t) => Ok(match name {
                "shape" => Value::list(t.shape().iter().map(|&d| Value::Int(d as i64)).collect()),
                "dtype" => Value::DType(t.dtype()),
                "device" => Value::Device(t.device()),
                "ndim" => Value::Int(t.ndim() as i64),
                "T" | "mT" if t.ndim() <= 2 || name == "mT" => {
                    if name == "T" {
                        call_op("t", vec![v.clone()], vec![], 1)?
                    } else {
                        call_op("transpose", vec![v.clone(), Value::Int(-2), Value::Int(-1)], vec![], 1)?
                    }
                }
                "data" => v.clone(),
                "is_cuda" | "requires_grad" => Value::Bool(false),
                "grad" => Value::None,
                _ if ops::registry().contains(name) || TENSOR_EXTRA.contains(&name) => bound(v, name),
                _ => return missing(),
            }),
            Value::List(_) if LIST_METHODS.contains(&name) => Ok(bound(v, name)),
            Value::Str(_) if STR_METHODS.contains(&name) => Ok(bound(v, name)),
            Value::Dict(_) if DICT_METHODS.contains(&name) => Ok(bound(v, name)),
            Value::Tuple(t) if t.len() == 2 && matches!(name, "values" | "indices") => Ok(t[(name == "indices") as usize].clone()),
            Value::Tuple(_) if matches!(name, "index" | "count") => Ok(bound(v, name)),
            Value::DType(d) if name == "is_floating_point" => Ok(Value::Bool(d.is_float())),
            Value::Device(d) if name == "type" => Ok(Value::str(if *d == tsc_runtime::Device::Cpu { "cpu" } else { "cuda" })),
            Value::Class(c) => match c.method(name).map(Value::Func).or_else(|| c.class_attr(name)) {
                Some(x) => Ok(x),
                None => missing(),
            },
            _ => missing(),
        }
    }

    /// `v.name = x`.
    pub(crate) fn set_attr(&self, v: &Value, name: &str, x: Value) -> R<()> {
        match v {
            Value::Object(o) => self.set_object_attr(o, name, x),
            other => err(format!("cannot set attribute '{name}' of a {}", other.type_name())),
        }
    }

    /// Calls `recv.name(...)` for a builtin method.
    pub(crate) fn call_method(&self, recv: &Value, name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        match recv {
            Value::Tensor(_) => self.tensor_method(recv, name, args, kwargs),
            Value::List(l) => list_method(self, l, name, args, kwargs),
            Value::Str(s) => str_method(self, s, name, &args),
            Value::Dict(d) => dict_method(d, name, args),
            Value::Tuple(t) => match name {
                "index" => position(t, args.first()),
                _ => Ok(Value::Int(t.iter().filter(|x| args.first().is_some_and(|a| eq(x, a))).count() as i64)),
            },
            Value::Object(o) => self.module_method(o, name, args, kwargs),
            other => err(format!("'{}' has no method '{name}'", other.type_name())),
        }
    }

    fn tensor_method(&self, recv: &Value, name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(recv.clone());
        let Value::Tensor(t) = recv else { return err("internal: tensor method on a non-tensor") };
        match name {
            "requires_grad_" => return Ok(recv.clone()),
            "copy_" => {
                let Some(Value::Tensor(src)) = args.first() else { return err("copy_() needs a tensor") };
                let src = super::rt(src.broadcast_to(t.shape()))?;
                super::rt(t.assign(&src))?;
                return Ok(recv.clone());
            }
            "new_zeros" | "new_ones" | "new_empty" | "new_full" | "new_tensor" => {
                let op = match name {
                    "new_zeros" => "zeros",
                    "new_ones" => "ones",
                    "new_empty" => "empty",
                    "new_full" => "full",
                    _ => "tensor",
                };
                let mut kwargs = kwargs;
                if !kwargs.iter().any(|(k, _)| k == "dtype") {
                    kwargs.push(("dtype".into(), Value::DType(t.dtype())));
                }
                return call_op(op, args, kwargs, 0);
            }
            _ => {}
        }
        all.extend(args);
        call_op(name, all, kwargs, 1)
    }
}

fn position(items: &[Value], x: Option<&Value>) -> R<Value> {
    match x.and_then(|x| items.iter().position(|i| eq(i, x))) {
        Some(i) => Ok(Value::Int(i as i64)),
        None => err("ValueError: value is not in list"),
    }
}

fn list_method(interp: &Interp, l: &Rc<RefCell<Vec<Value>>>, name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
    let arg = |i: usize| args.get(i).cloned().map_or_else(|| err(format!("list.{name}() is missing an argument")), Ok);
    match name {
        "append" => l.borrow_mut().push(arg(0)?),
        "extend" => {
            let items = interp.iterate(&arg(0)?)?;
            l.borrow_mut().extend(items);
        }
        "insert" => {
            let n = l.borrow().len() as i64;
            let i = as_index(&arg(0)?).unwrap_or(0);
            let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
            l.borrow_mut().insert(i as usize, arg(1)?);
        }
        "pop" => {
            let mut v = l.borrow_mut();
            let n = v.len() as i64;
            let i = args.first().and_then(as_index).unwrap_or(-1);
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                return err("IndexError: pop index out of range");
            }
            return Ok(v.remove(j as usize));
        }
        "remove" => {
            let x = arg(0)?;
            let mut v = l.borrow_mut();
            match v.iter().position(|i| eq(i, &x)) {
                Some(i) => {
                    v.remove(i);
                }
                None => return err("ValueError: list.remove(x): x not in list"),
            }
        }
        "index" => return position(&l.borrow(), args.first()),
        "count" => return Ok(Value::Int(l.borrow().iter().filter(|x| args.first().is_some_and(|a| eq(x, a))).count() as i64)),
        "sort" => {
            let mut v = l.borrow().clone();
            sort_values(&mut v)?;
            if kwargs.iter().any(|(k, r)| k == "reverse" && r.truthy().unwrap_or(false)) {
                v.reverse();
            }
            *l.borrow_mut() = v;
        }
        "reverse" => l.borrow_mut().reverse(),
        "copy" => return Ok(Value::list(l.borrow().clone())),
        "clear" => l.borrow_mut().clear(),
        _ => return err(format!("list has no method '{name}'")),
    }
    Ok(Value::None)
}

fn str_method(interp: &Interp, s: &str, name: &str, args: &[Value]) -> R<Value> {
    let sarg = |i: usize| match args.get(i) {
        Some(Value::Str(x)) => Ok(x.to_string()),
        Some(o) => err(format!("str.{name}() needs a string argument, got {}", o.type_name())),
        None => err(format!("str.{name}() is missing an argument")),
    };
    let strip_set = |i: usize| args.get(i).and_then(|a| if let Value::Str(x) = a { Some(x.to_string()) } else { None });
    let strs = |v: Vec<&str>| Value::list(v.into_iter().map(Value::str).collect());
    Ok(match name {
        "split" => match args.first() {
            None | Some(Value::None) => strs(s.split_whitespace().collect()),
            Some(_) => {
                let sep = sarg(0)?;
                if sep.is_empty() {
                    return err("ValueError: empty separator");
                }
                strs(s.split(sep.as_str()).collect())
            }
        },
        "strip" | "lstrip" | "rstrip" => {
            let set = strip_set(0);
            let pat = |c: char| set.as_ref().map_or(c.is_whitespace(), |cs| cs.contains(c));
            Value::str(match name {
                "strip" => s.trim_matches(pat),
                "lstrip" => s.trim_start_matches(pat),
                _ => s.trim_end_matches(pat),
            })
        }
        "lower" => Value::str(&s.to_lowercase()),
        "upper" => Value::str(&s.to_uppercase()),
        "title" | "capitalize" => {
            let mut out = String::new();
            let mut start = true;
            for c in s.chars() {
                if start && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
                start = if name == "title" { !c.is_alphabetic() } else { false };
            }
            Value::str(&out)
        }
        "replace" => Value::str(&s.replace(&sarg(0)?, &sarg(1)?)),
        "startswith" => Value::Bool(s.starts_with(&sarg(0)?)),
        "endswith" => Value::Bool(s.ends_with(&sarg(0)?)),
        "find" | "rfind" | "index" => {
            let pat = sarg(0)?;
            let pos = if name == "rfind" { s.rfind(&pat) } else { s.find(&pat) };
            match pos {
                Some(b) => Value::Int(s[..b].chars().count() as i64),
                None if name == "index" => return err("ValueError: substring not found"),
                None => Value::Int(-1),
            }
        }
        "count" => Value::Int(s.matches(&sarg(0)?).count() as i64),
        "join" => {
            let items = interp.iterate(args.first().unwrap_or(&Value::None))?;
            let parts: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::Str(x) => Ok(x.to_string()),
                    o => err(format!("sequence item: expected str instance, {} found", o.type_name())),
                })
                .collect::<R<_>>()?;
            Value::str(&parts.join(s))
        }
        "format" => {
            let mut out = String::new();
            let mut rest = s;
            let mut i = 0;
            while let Some(p) = rest.find("{}") {
                out.push_str(&rest[..p]);
                out.push_str(&args.get(i).map(|v| interp.display(v)).unwrap_or_default());
                i += 1;
                rest = &rest[p + 2..];
            }
            out.push_str(rest);
            Value::str(&out)
        }
        "isdigit" => Value::Bool(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        "isalpha" => Value::Bool(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isspace" => Value::Bool(!s.is_empty() && s.chars().all(char::is_whitespace)),
        "zfill" => {
            let w = args.first().and_then(as_index).unwrap_or(0).max(0) as usize;
            let n = s.chars().count();
            Value::str(&format!("{}{s}", "0".repeat(w.saturating_sub(n))))
        }
        _ => return err(format!("str has no method '{name}'")),
    })
}

fn dict_method(d: &Rc<RefCell<Dict>>, name: &str, args: Vec<Value>) -> R<Value> {
    let key = || args.first().cloned().map_or_else(|| err(format!("dict.{name}() is missing an argument")), Ok);
    Ok(match name {
        "keys" => Value::list(d.borrow().entries.iter().map(|(k, _)| k.clone()).collect()),
        "values" => Value::list(d.borrow().entries.iter().map(|(_, v)| v.clone()).collect()),
        "items" => Value::list(d.borrow().entries.iter().map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()])).collect()),
        "get" => d.borrow().get(&key()?).cloned().unwrap_or_else(|| args.get(1).cloned().unwrap_or(Value::None)),
        "pop" => {
            let k = key()?;
            let pos = d.borrow().position(&k);
            match pos {
                Some(i) => d.borrow_mut().entries.remove(i).1,
                None => match args.get(1) {
                    Some(v) => v.clone(),
                    None => return err(format!("KeyError: {}", to_str(&k))),
                },
            }
        }
        "setdefault" => {
            let k = key()?;
            let existing = d.borrow().get(&k).cloned();
            match existing {
                Some(v) => v,
                None => {
                    let v = args.get(1).cloned().unwrap_or(Value::None);
                    d.borrow_mut().insert(k, v.clone());
                    v
                }
            }
        }
        "update" => {
            if let Some(Value::Dict(other)) = args.first() {
                let entries = other.borrow().entries.clone();
                let mut me = d.borrow_mut();
                for (k, v) in entries {
                    me.insert(k, v);
                }
            }
            Value::None
        }
        "clear" => {
            d.borrow_mut().entries.clear();
            Value::None
        }
        "copy" => Value::Dict(Rc::new(RefCell::new(d.borrow().clone()))),
        _ => return err(format!("dict has no method '{name}'")),
    })
}
