//! Element types and PyTorch's type-promotion rules
//! (`torch.promote_types`, `torch.result_type` with 0-d tensors and Python
//! scalars as in c10's `ResultTypeState`).

use std::fmt;

/// The element type of a tensor.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I8,
    I16,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

/// Kind of a dtype, ordered as PyTorch orders categories for promotion.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Int,
    Float,
}

impl DType {
    pub const ALL: [DType; 10] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => Category::Int,
            DType::F16 | DType::BF16 | DType::F32 | DType::F64 => Category::Float,
        }
    }

    pub fn is_float(self) -> bool {
        self.category() == Category::Float
    }

    /// Integral, not bool.
    pub fn is_int(self) -> bool {
        self.category() == Category::Int
    }

    /// PyTorch's name (`torch.float32` prints as `float32`).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Parses a dtype name as PyTorch spells it, aliases included
    /// (`float`, `double`, `long`, `int`, `half`, `short`, `uint8` ...).
    pub fn from_name(s: &str) -> Option<DType> {
        let s = s.strip_prefix("torch.").unwrap_or(s);
        Some(match s {
            "bool" => DType::Bool,
            "uint8" => DType::U8,
            "int8" => DType::I8,
            "int16" | "short" => DType::I16,
            "int32" | "int" => DType::I32,
            "int64" | "long" => DType::I64,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => return None,
        })
    }

    /// The safetensors spelling (`F32`, `I64`, `BOOL` ...).
    pub fn safetensors_name(self) -> &'static str {
        match self {
            DType::Bool => "BOOL",
            DType::U8 => "U8",
            DType::I8 => "I8",
            DType::I16 => "I16",
            DType::I32 => "I32",
            DType::I64 => "I64",
            DType::F16 => "F16",
            DType::BF16 => "BF16",
            DType::F32 => "F32",
            DType::F64 => "F64",
        }
    }

    /// The dtype arithmetic is carried out in: float16/bfloat16 compute in
    /// float32 (and round back), every integer type in int64 (and wraps back).
    pub fn compute(self) -> DType {
        match self {
            DType::F16 | DType::BF16 => DType::F32,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 => DType::I64,
            d => d,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `torch.promote_types(a, b)`.
pub fn promote_types(a: DType, b: DType) -> DType {
    use DType::*;
    if a == b {
        return a;
    }
    match (a.category(), b.category()) {
        (Category::Bool, _) => b,
        (_, Category::Bool) => a,
        (Category::Float, Category::Float) => {
            if matches!((a, b), (F16, BF16) | (BF16, F16)) {
                F32
            } else {
                a.max(b)
            }
        }
        (Category::Float, _) => a,
        (_, Category::Float) => b,
        (Category::Int, Category::Int) => {
            // uint8 with a signed type needs the next wider signed type.
            match (a, b) {
                (U8, I8) | (I8, U8) => I16,
                (U8, x) | (x, U8) => x,
                _ => a.max(b),
            }
        }
    }
}

/// Accumulates the operands of an op to compute `torch.result_type`.
///
/// PyTorch keeps three separate results: tensors with dims, 0-d tensors and
/// Python scalars ("wrapped numbers"); a lower-priority group only matters
/// when it is of a higher category (bool < int < float).
#[derive(Default, Clone, Copy, Debug)]
pub struct ResultType {
    dim: Option<DType>,
    zero: Option<DType>,
    wrapped: Option<DType>,
}

fn update(slot: &mut Option<DType>, d: DType) {
    *slot = Some(match *slot {
        None => d,
        Some(s) => promote_types(s, d),
    });
}

fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (Some(h), _) if h.is_float() => Some(h),
        (Some(h), Some(l)) if h == DType::Bool || l.is_float() => Some(promote_types(h, l)),
        (None, Some(l)) => Some(l),
        (h, _) => h,
    }
}

impl ResultType {
    pub fn new() -> Self {
        Self::default()
    }
    /// A tensor operand with `ndim` dims.
    pub fn tensor(mut self, dtype: DType, ndim: usize) -> Self {
        update(if ndim == 0 { &mut self.zero } else { &mut self.dim }, dtype);
        self
    }
    /// A Python scalar operand: bool → bool, int → int64, float → float32
    /// (the default dtype).
    pub fn scalar(mut self, s: crate::Scalar) -> Self {
        let d = match s {
            crate::Scalar::Bool(_) => DType::Bool,
            crate::Scalar::Int(_) => DType::I64,
            crate::Scalar::Float(_) => DType::F32,
        };
        update(&mut self.wrapped, d);
        self
    }
    /// The promoted dtype (float32 when nothing was added).
    pub fn finish(self) -> DType {
        combine(self.dim, combine(self.zero, self.wrapped)).unwrap_or(DType::F32)
    }
}
