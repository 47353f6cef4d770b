//! The checker's types — TorchScript's: `Tensor int float bool str None`,
//! `List[T] Tuple[..] Optional[T] Dict[K, V]`, module instances, callables
//! — plus `Unknown`, which accepts and is accepted by everything (used where
//! an op's result type is not static, e.g. `item()`).
//!
//! Types come from annotations, from live values (a module's attributes
//! after its eager `__init__`, module-level constants) and from op schemas.

use crate::interp::value::{Class, Func, Object, Value};
use crate::syntax::ast::{self, ExprKind};
use std::fmt;
use std::rc::Rc;
use tsc_runtime::ops::Ty;

#[derive(Clone)]
pub enum Type {
    Tensor,
    Int,
    Float,
    Bool,
    Str,
    None,
    DType,
    Device,
    /// `int | float | bool` (an op's `Scalar`, e.g. what `item()` returns).
    Number,
    List(Box<Type>),
    Tuple(Vec<Type>),
    Optional(Box<Type>),
    Dict(Box<Type>, Box<Type>),
    /// A module instance: attributes are known from its eager construction.
    Module(Rc<Object>),
    Func(Rc<Func>),
    Method(Rc<Object>, Rc<Func>),
    Class(Rc<Class>),
    /// A builtin function or op (`len`, `ns:torch.relu`).
    Builtin(Rc<str>),
    /// `receiver.method` for builtin methods (`x.view`, `xs.append`).
    BoundBuiltin(Box<Type>, Rc<str>),
    Namespace(Rc<str>),
    Unknown,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Tensor => f.write_str("Tensor"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::Str => f.write_str("str"),
            Type::None => f.write_str("None"),
            Type::DType => f.write_str("dtype"),
            Type::Device => f.write_str("Device"),
            Type::Number => f.write_str("number"),
            Type::List(t) => write!(f, "List[{t}]"),
            Type::Tuple(ts) => {
                let parts: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
                write!(f, "Tuple[{}]", parts.join(", "))
            }
            Type::Optional(t) => write!(f, "Optional[{t}]"),
            Type::Dict(k, v) => write!(f, "Dict[{k}, {v}]"),
            Type::Module(o) => write!(f, "{}", o.class.name),
            Type::Func(func) => write!(f, "function {}", func.qualname),
            Type::Method(_, func) => write!(f, "method {}", func.qualname),
            Type::Class(c) => write!(f, "class {}", c.name),
            Type::Builtin(n) => write!(f, "builtin {}", n.trim_start_matches("ns:")),
            Type::BoundBuiltin(t, n) => write!(f, "method {t}.{n}"),
            Type::Namespace(n) => write!(f, "module {n}"),
            Type::Unknown => f.write_str("Any"),
        }
    }
}

impl Type {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Type::Unknown)
    }

    /// Whether a value of type `from` may be used where `self` is expected
    /// (TorchScript: `int` where `float` is expected, `T`/`None` for `Optional[T]`).
    pub fn accepts(&self, from: &Type) -> bool {
        use Type::*;
        match (self, from) {
            (Unknown, _) | (_, Unknown) => true,
            (Tensor, Tensor) | (Int, Int) | (Bool, Bool) | (Str, Str) | (None, None) | (DType, DType) | (Device, Device) => true,
            (Float, Float | Int) => true,
            (Number, Int | Float | Bool | Number) | (Int | Float | Bool, Number) => true,
            (Optional(_), None) => true,
            (Optional(t), Optional(u)) => t.accepts(u),
            (Optional(t), u) => t.accepts(u),
            (List(t), List(u)) => t.accepts(u) || matches!(**u, Unknown),
            (Tuple(ts), Tuple(us)) => ts.len() == us.len() && ts.iter().zip(us).all(|(t, u)| t.accepts(u)),
            (Dict(k, v), Dict(k2, v2)) => k.accepts(k2) && v.accepts(v2),
            (Module(a), Module(b)) => Rc::ptr_eq(&a.class, &b.class),
            _ => false,
        }
    }

    /// The common type of two branches, if any.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        use Type::*;
        Some(match (self, other) {
            (Unknown, t) | (t, Unknown) => t.clone(),
            (None, Optional(t)) | (Optional(t), None) => Optional(t.clone()),
            (None, t) | (t, None) if !matches!(t, None) => Optional(Box::new(t.clone())),
            (Optional(t), u) | (u, Optional(t)) if t.accepts(u) => Optional(t.clone()),
            (List(t), List(u)) => List(Box::new(t.unify(u)?)),
            (Tuple(ts), Tuple(us)) if ts.len() == us.len() => {
                Tuple(ts.iter().zip(us).map(|(t, u)| t.unify(u)).collect::<Option<_>>()?)
            }
            (Number, t @ (Int | Float | Bool)) | (t @ (Int | Float | Bool), Number) => t.clone(),
            (a, b) if a.accepts(b) && b.accepts(a) => a.clone(),
            _ => return Option::None,
        })
    }

    /// The type of a live value (module attributes, module-level constants).
    pub fn of_value(v: &Value) -> Type {
        match v {
            Value::None => Type::None,
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Str(_) => Type::Str,
            Value::Tensor(_) => Type::Tensor,
            Value::DType(_) => Type::DType,
            Value::Device(_) => Type::Device,
            Value::List(l) => {
                let l = l.borrow();
                let elem = l.iter().map(Type::of_value).reduce(|a, b| a.unify(&b).unwrap_or(Type::Unknown));
                Type::List(Box::new(elem.unwrap_or(Type::Unknown)))
            }
            Value::Tuple(t) => Type::Tuple(t.iter().map(Type::of_value).collect()),
            Value::Dict(d) => {
                let d = d.borrow();
                let k = d.entries.first().map_or(Type::Unknown, |(k, _)| Type::of_value(k));
                let v = d.entries.first().map_or(Type::Unknown, |(_, v)| Type::of_value(v));
                Type::Dict(Box::new(k), Box::new(v))
            }
            Value::Object(o) => Type::Module(o.clone()),
            Value::Func(f) => Type::Func(f.clone()),
            Value::Method(o, f) => Type::Method(o.clone(), f.clone()),
            Value::Class(c) => Type::Class(c.clone()),
            Value::Builtin(n) => Type::Builtin(n.clone()),
            Value::BoundBuiltin(r, n) => Type::BoundBuiltin(Box::new(Type::of_value(r)), n.clone()),
            Value::Namespace(n) => Type::Namespace(n.clone()),
        }
    }

    /// The type an op schema's type stands for.
    pub fn of_schema(t: &Ty) -> Type {
        match t {
            Ty::Tensor => Type::Tensor,
            Ty::Scalar => Type::Number,
            Ty::Int => Type::Int,
            Ty::Float => Type::Float,
            Ty::Bool => Type::Bool,
            Ty::Str => Type::Str,
            Ty::DType => Type::DType,
            Ty::Device => Type::Device,
            Ty::Any => Type::Unknown,
            Ty::None => Type::None,
            Ty::List(t, _) => Type::List(Box::new(Type::of_schema(t))),
            Ty::Optional(t) => Type::Optional(Box::new(Type::of_schema(t))),
            Ty::Tuple(ts) => Type::Tuple(ts.iter().map(Type::of_schema).collect()),
        }
    }

    /// Whether an argument of this type can bind to a schema parameter
    /// (`int[2]` also takes one int; a `Tuple` of ints is an `int[]`).
    pub fn fits_schema(&self, t: &Ty) -> bool {
        match (t, self) {
            (_, Type::Unknown) | (Ty::Any, _) => true,
            (Ty::List(e, Some(_)), x) if !matches!(x, Type::List(_) | Type::Tuple(_)) => x.fits_schema(e),
            (Ty::List(e, _), Type::List(x)) => x.fits_schema(e),
            (Ty::List(e, _), Type::Tuple(xs)) => xs.iter().all(|x| x.fits_schema(e)),
            (Ty::Optional(_), Type::None) => true,
            (Ty::Optional(t), Type::Optional(x)) => x.fits_schema(t),
            (Ty::Optional(t), x) => x.fits_schema(t),
            (Ty::Device, Type::Str) => true,
            (Ty::Tuple(ts), Type::Tuple(xs)) => ts.len() == xs.len() && ts.iter().zip(xs).all(|(t, x)| x.fits_schema(t)),
            (t, x) => Type::of_schema(t).accepts(x),
        }
    }
}

/// The type an annotation names (`Tensor`, `List[int]`, `Optional[Tensor]`,
/// `torch.Tensor`); `None` when the annotation is not a type of the subset.
pub fn from_annotation(e: &ast::Expr) -> Option<Type> {
    if let Some(d) = e.dotted() {
        return Some(match d.last().copied()? {
            "Tensor" => Type::Tensor,
            "int" => Type::Int,
            "float" => Type::Float,
            "bool" => Type::Bool,
            "str" => Type::Str,
            "None" => Type::None,
            "device" => Type::Device,
            "dtype" => Type::DType,
            "Any" => Type::Unknown,
            "List" => Type::List(Box::new(Type::Unknown)),
            "Dict" => Type::Dict(Box::new(Type::Unknown), Box::new(Type::Unknown)),
            "Tuple" => Type::Unknown,
            _ => return None,
        });
    }
    match &e.kind {
        ExprKind::None => Some(Type::None),
        ExprKind::Str(s) => {
            // A string annotation (`"Tensor"`) is the type it spells.
            let file = crate::syntax::span::SourceFile::new("<annotation>", s.as_str());
            let (m, diags) = crate::syntax::parse(&file);
            match (diags.is_empty(), m.body.first().map(|s| &s.kind)) {
                (true, Some(ast::StmtKind::Expr(inner))) => from_annotation(inner),
                _ => None,
            }
        }
        ExprKind::Subscript { value, index } => {
            let base = value.dotted()?;
            let args: Vec<&ast::Expr> = match &index.kind {
                ExprKind::Tuple(items) => items.iter().collect(),
                _ => vec![&**index],
            };
            let arg = |i: usize| args.get(i).and_then(|a| from_annotation(a));
            Some(match *base.last()? {
                "List" => Type::List(Box::new(arg(0)?)),
                "Optional" => Type::Optional(Box::new(arg(0)?)),
                "Dict" => Type::Dict(Box::new(arg(0)?), Box::new(arg(1)?)),
                "Final" => arg(0)?,
                "Tuple" => {
                    if let [a] = args.as_slice() {
                        if let ExprKind::Tuple(items) = &a.kind {
                            if items.is_empty() {
                                return Some(Type::Tuple(Vec::new()));
                            }
                        }
                    }
                    Type::Tuple(args.iter().map(|a| from_annotation(a)).collect::<Option<_>>()?)
                }
                _ => return None,
            })
        }
        _ => None,
    }
}
