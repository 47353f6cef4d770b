//! `Value`: what flows in and out of ops — tensors, Python scalars, strings,
//! lists, tuples, `None`, dtypes and devices. The executor's value slots and
//! the op registry's arguments are `Value`s.

use crate::{DType, Device, Scalar, Tensor};
use std::fmt;

#[derive(Clone, Debug)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Tensor(Tensor),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    DType(DType),
    Device(Device),
}

impl Value {
    /// The Python-level type name, for error messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float".into(),
            Value::Str(_) => "str".into(),
            Value::Tensor(_) => "Tensor".into(),
            Value::List(v) => match v.first() {
                Some(x) => format!("List[{}]", x.type_name()),
                None => "List".into(),
            },
            Value::Tuple(v) => {
                let parts: Vec<String> = v.iter().map(|x| x.type_name()).collect();
                format!("Tuple[{}]", parts.join(", "))
            }
            Value::DType(_) => "dtype".into(),
            Value::Device(_) => "device".into(),
        }
    }

    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }

    pub fn into_tensor(self) -> Option<Tensor> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// A Python number (`bool`, `int`, `float`) as a `Scalar`.
    pub fn as_scalar(&self) -> Option<Scalar> {
        match *self {
            Value::Bool(b) => Some(Scalar::Bool(b)),
            Value::Int(i) => Some(Scalar::Int(i)),
            Value::Float(f) => Some(Scalar::Float(f)),
            _ => None,
        }
    }

    /// Items of a list or tuple.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }
}

impl From<Tensor> for Value {
    fn from(t: Tensor) -> Self {
        Value::Tensor(t)
    }
}
impl From<Scalar> for Value {
    fn from(s: Scalar) -> Self {
        match s {
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::Int(i),
            Scalar::Float(f) => Value::Float(f),
        }
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}
impl From<Vec<i64>> for Value {
    fn from(v: Vec<i64>) -> Self {
        Value::List(v.into_iter().map(Value::Int).collect())
    }
}
impl From<Vec<Tensor>> for Value {
    fn from(v: Vec<Tensor>) -> Self {
        Value::List(v.into_iter().map(Value::Tensor).collect())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Tensor(t) => write!(f, "{t:?}"),
            Value::List(v) | Value::Tuple(v) => {
                let (open, close) = if matches!(self, Value::List(_)) { ("[", "]") } else { ("(", ")") };
                f.write_str(open)?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(close)
            }
            Value::DType(d) => write!(f, "torch.{d}"),
            Value::Device(d) => write!(f, "device(type='{d}')"),
        }
    }
}
