//! IR types. A tensor type carries what is known statically: its dtype
//! (or not) and its shape (or not), each dim a constant, a named symbol
//! shared across the graph (`B`, `T`) or unknown (`?`).
//!
//! Text: `Tensor`, `Tensor<f32>`, `Tensor<f32, [B, 128, ?]>`, `Tensor<?, [2]>`,
//! `int`, `float`, `bool`, `str`, `None`, `Device`, `dtype`, `List[int]`,
//! `Tuple[Tensor, int]`, `Optional[Tensor]`, `Dict[str, Tensor]`.
//!
//! Subtyping ([`Type::refines`]) is TorchScript's, extended to tensor
//! refinements: a more precise tensor type refines a less precise one, `T`
//! and `None` refine `Optional[T]`, and containers are invariant except for
//! tensor refinement inside them.

use std::fmt;
use tsc_runtime::DType;

/// One dimension of a tensor shape.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    Const(u64),
    /// A named symbolic size; equal names are equal sizes within a graph.
    Sym(String),
    Unknown,
}

/// What is known about a tensor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct TensorType {
    pub dtype: Option<DType>,
    pub shape: Option<Vec<Dim>>,
}

/// An IR type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Tensor(TensorType),
    Int,
    Float,
    Bool,
    Str,
    None,
    Device,
    DType,
    List(Box<Type>),
    Tuple(Vec<Type>),
    Optional(Box<Type>),
    Dict(Box<Type>, Box<Type>),
}

impl Type {
    /// `Tensor` with nothing known.
    pub fn tensor() -> Type {
        Type::Tensor(TensorType::default())
    }

    /// `Tensor<dtype, [dims]>` with every dim constant.
    pub fn tensor_of(dtype: DType, shape: &[usize]) -> Type {
        Type::Tensor(TensorType { dtype: Some(dtype), shape: Some(shape.iter().map(|&d| Dim::Const(d as u64)).collect()) })
    }

    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn optional(t: Type) -> Type {
        Type::Optional(Box::new(t))
    }

    pub fn is_tensor(&self) -> bool {
        matches!(self, Type::Tensor(_))
    }

    /// A Python number: `int`, `float` or `bool`.
    pub fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Bool)
    }

    /// Whether a value of type `self` may be used where `want` is expected.
    pub fn refines(&self, want: &Type) -> bool {
        match (self, want) {
            (Type::Tensor(a), Type::Tensor(b)) => a.refines(b),
            (Type::None, Type::Optional(_)) => true,
            (Type::Optional(a), Type::Optional(b)) => a.refines(b),
            (a, Type::Optional(b)) => a.refines(b),
            (Type::List(a), Type::List(b)) => a.refines(b),
            (Type::Tuple(a), Type::Tuple(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.refines(y)),
            (Type::Dict(ka, va), Type::Dict(kb, vb)) => ka == kb && va.refines(vb),
            (a, b) => a == b,
        }
    }
}

impl TensorType {
    /// Whether every fact `want` states about a tensor also holds in `self`.
    pub fn refines(&self, want: &TensorType) -> bool {
        let dtype_ok = want.dtype.is_none() || self.dtype == want.dtype;
        let shape_ok = match (&self.shape, &want.shape) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| *y == Dim::Unknown || x == y),
        };
        dtype_ok && shape_ok
    }
}

/// A name as the text form spells value names and symbolic dims: ASCII
/// letters, digits, `_` and `.`, starting with a letter or `_`.
pub fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

impl Type {
    /// Why the type cannot be printed and parsed back, or used as written:
    /// a symbolic dim that is not a name, a dict key that is not
    /// `str`/`int`/`float`/`bool`/`Tensor`.
    pub fn malformed(&self) -> Option<String> {
        match self {
            Type::Tensor(t) => t.shape.iter().flatten().find_map(|d| match d {
                Dim::Sym(s) if !is_name(s) => Some(format!("symbolic dim `{s}` is not a name")),
                _ => None,
            }),
            Type::List(t) | Type::Optional(t) => t.malformed(),
            Type::Tuple(ts) => ts.iter().find_map(Type::malformed),
            Type::Dict(k, v) => match **k {
                Type::Str | Type::Int | Type::Float | Type::Bool | Type::Tensor(_) => v.malformed(),
                _ => Some(format!("dict key type {k} is not str, int, float, bool or Tensor")),
            },
            _ => None,
        }
    }
}

/// The short dtype spelling of the text form (`f32`, `i64`, `bool` ...).
pub fn dtype_short(d: DType) -> &'static str {
    match d {
        DType::Bool => "bool",
        DType::U8 => "u8",
        DType::I8 => "i8",
        DType::I16 => "i16",
        DType::I32 => "i32",
        DType::I64 => "i64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

/// Inverse of [`dtype_short`].
pub fn dtype_from_short(s: &str) -> Option<DType> {
    DType::ALL.into_iter().find(|d| dtype_short(*d) == s)
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Const(n) => write!(f, "{n}"),
            Dim::Sym(s) => f.write_str(s),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

fn comma_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, t) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{t}")?;
    }
    Ok(())
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tensor")?;
        let dtype = self.dtype.map_or("?", dtype_short);
        match &self.shape {
            None if self.dtype.is_none() => Ok(()),
            None => write!(f, "<{dtype}>"),
            Some(dims) => {
                write!(f, "<{dtype}, [")?;
                comma_list(f, dims)?;
                f.write_str("]>")
            }
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Tensor(t) => write!(f, "{t}"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::Str => f.write_str("str"),
            Type::None => f.write_str("None"),
            Type::Device => f.write_str("Device"),
            Type::DType => f.write_str("dtype"),
            Type::List(t) => write!(f, "List[{t}]"),
            Type::Optional(t) => write!(f, "Optional[{t}]"),
            Type::Dict(k, v) => write!(f, "Dict[{k}, {v}]"),
            Type::Tuple(ts) => {
                f.write_str("Tuple[")?;
                comma_list(f, ts)?;
                f.write_str("]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_text_spelling() {
        let t = Type::Tensor(TensorType {
            dtype: Some(DType::F32),
            shape: Some(vec![Dim::Sym("B".into()), Dim::Const(128), Dim::Unknown]),
        });
        assert_eq!(t.to_string(), "Tensor<f32, [B, 128, ?]>");
        assert_eq!(Type::tensor().to_string(), "Tensor");
        assert_eq!(Type::Tuple(vec![Type::tensor(), Type::Int]).to_string(), "Tuple[Tensor, int]");
        assert_eq!(Type::optional(Type::list(Type::Int)).to_string(), "Optional[List[int]]");
    }

    #[test]
    fn refinement() {
        let f32_4 = Type::tensor_of(DType::F32, &[4]);
        assert!(f32_4.refines(&Type::tensor()));
        assert!(!Type::tensor().refines(&f32_4));
        assert!(Type::None.refines(&Type::optional(Type::tensor())));
        assert!(f32_4.refines(&Type::optional(Type::tensor())));
        assert!(!Type::Int.refines(&Type::Float));
        assert!(Type::list(f32_4).refines(&Type::list(Type::tensor())));
    }
}
