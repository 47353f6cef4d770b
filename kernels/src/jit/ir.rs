//! The portable kernel IR: one fused elementwise loop body, in SSA form,
//! over operands that are decided only when the kernel runs.
//!
//! ```text
//! kernel(2) {            // two operands: %p0, %p1
//!   v0 = param 0         // operand 0 at the current output element
//!   v1 = const 0.5
//!   v2 = mul v0 v1
//!   v3 = param 1
//!   v4 = gt v2 v3        // a mask
//!   v5 = select v4 v2 v3
//!   outputs v5
//! }
//! ```
//!
//! An operand is a tensor (read at the current output element, broadcast
//! PyTorch's way) or a scalar (the same number at every element); which
//! one, and each tensor's strides, the backend learns when it specializes
//! the kernel for a call. The IR has no dtype either: a backend computes in
//! the dtype it specializes for (the CPU JIT: float32).
//!
//! Invariants (checked by [`Kernel::check`], which the `.tsg` loader runs,
//! and assumed by the backends):
//! - an instruction uses only values defined before it (`insts[i]` defines
//!   value `i`);
//! - every value is a number or a mask: `Compare` defines masks, `Select`
//!   takes a mask first and numbers after, every other instruction takes and
//!   defines numbers;
//! - `param k` has `k < num_params`; outputs are numbers, at least one.
//!
//! Semantics are PyTorch's on float32, NaN included: `relu`, `max`, `min`
//! propagate NaN (as `torch.relu`, `torch.maximum` do); `Compare` with NaN
//! is false except `Ne`. Approximations in a backend are bounded as
//! `spec/kernels.md` says.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A fused elementwise kernel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    /// How many operands it takes.
    pub num_params: u32,
    /// The body: value `i` is defined by `insts[i]`.
    pub insts: Vec<Inst>,
    /// The values written to the outputs, in order.
    pub outputs: Vec<u32>,
}

/// One instruction; operands are value indices.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Inst {
    /// Operand `k` at the current element.
    Param(u32),
    /// A number (rounded to the compute dtype).
    Const(f64),
    Unary(UnaryOp, u32),
    Binary(BinaryOp, u32, u32),
    /// A mask: the comparison of two numbers.
    Compare(CmpOp, u32, u32),
    /// `mask ? a : b`.
    Select(u32, u32, u32),
}

/// Unary math, PyTorch's functions of the same name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryOp {
    Neg,
    Abs,
    Exp,
    Log,
    Sqrt,
    Rsqrt,
    Reciprocal,
    Tanh,
    Sigmoid,
    Relu,
    Erf,
    /// `gelu(x)` (erf form).
    Gelu,
    /// `gelu(x, approximate='tanh')`.
    GeluTanh,
    Silu,
    Floor,
    Ceil,
    Trunc,
}

/// Binary math on numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `torch.maximum` (NaN wins).
    Max,
    /// `torch.minimum` (NaN wins).
    Min,
}

/// Comparisons, giving masks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// What a value is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    Mask,
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 17] = [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Reciprocal,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Relu,
        UnaryOp::Erf,
        UnaryOp::Gelu,
        UnaryOp::GeluTanh,
        UnaryOp::Silu,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Trunc,
    ];

    /// The text name (`exp`, `gelu_tanh`).
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Abs => "abs",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Rsqrt => "rsqrt",
            UnaryOp::Reciprocal => "reciprocal",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::Erf => "erf",
            UnaryOp::Gelu => "gelu",
            UnaryOp::GeluTanh => "gelu_tanh",
            UnaryOp::Silu => "silu",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
            UnaryOp::Trunc => "trunc",
        }
    }
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 6] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Max, BinaryOp::Min];

    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
        }
    }
}

impl CmpOp {
    pub const ALL: [CmpOp; 6] = [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge];

    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }
}

impl Inst {
    /// The values it reads.
    pub fn operands(&self) -> Vec<u32> {
        match *self {
            Inst::Param(_) | Inst::Const(_) => vec![],
            Inst::Unary(_, a) => vec![a],
            Inst::Binary(_, a, b) | Inst::Compare(_, a, b) => vec![a, b],
            Inst::Select(m, a, b) => vec![m, a, b],
        }
    }

    /// What it defines.
    pub fn kind(&self) -> Kind {
        match self {
            Inst::Compare(..) => Kind::Mask,
            _ => Kind::Number,
        }
    }
}

impl Kernel {
    /// Checks the invariants in the module doc; the error names the first
    /// broken one.
    pub fn check(&self) -> Result<(), String> {
        let kind_of = |v: u32, at: usize| -> Result<Kind, String> {
            if (v as usize) < at {
                Ok(self.insts[v as usize].kind())
            } else {
                Err(format!("kernel: v{at} uses v{v}, which is not defined before it"))
            }
        };
        for (i, inst) in self.insts.iter().enumerate() {
            let want = |v: u32, k: Kind| -> Result<(), String> {
                if kind_of(v, i)? == k {
                    Ok(())
                } else {
                    Err(format!("kernel: v{i} needs v{v} to be a {}", if k == Kind::Mask { "mask" } else { "number" }))
                }
            };
            match *inst {
                Inst::Param(k) if k >= self.num_params => {
                    return Err(format!("kernel: v{i} reads operand {k} of {}", self.num_params))
                }
                Inst::Param(_) | Inst::Const(_) => {}
                Inst::Unary(_, a) => want(a, Kind::Number)?,
                Inst::Binary(_, a, b) | Inst::Compare(_, a, b) => {
                    want(a, Kind::Number)?;
                    want(b, Kind::Number)?;
                }
                Inst::Select(m, a, b) => {
                    want(m, Kind::Mask)?;
                    want(a, Kind::Number)?;
                    want(b, Kind::Number)?;
                }
            }
        }
        if self.outputs.is_empty() {
            return Err("kernel: no outputs".into());
        }
        for &o in &self.outputs {
            if kind_of(o, self.insts.len())? != Kind::Number {
                return Err(format!("kernel: output v{o} is a mask"));
            }
        }
        Ok(())
    }

    /// For each output, which operands it reads (directly or through other
    /// values), as a bit set over operand indices (`num_params <= 64` is
    /// assumed by callers that use this; larger operand numbers saturate
    /// to "all").
    pub fn output_params(&self) -> Vec<u64> {
        let mut reads = vec![0u64; self.insts.len()];
        for (i, inst) in self.insts.iter().enumerate() {
            reads[i] = match *inst {
                Inst::Param(k) if k < 64 => 1 << k,
                Inst::Param(_) => u64::MAX,
                _ => inst.operands().iter().fold(0, |acc, &v| acc | reads.get(v as usize).copied().unwrap_or(0)),
            };
        }
        self.outputs.iter().map(|&o| reads.get(o as usize).copied().unwrap_or(0)).collect()
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "kernel({}) {{", self.num_params)?;
        for (i, inst) in self.insts.iter().enumerate() {
            write!(f, "  v{i} = ")?;
            match *inst {
                Inst::Param(k) => writeln!(f, "param {k}")?,
                Inst::Const(c) => writeln!(f, "const {c:?}")?,
                Inst::Unary(op, a) => writeln!(f, "{} v{a}", op.name())?,
                Inst::Binary(op, a, b) => writeln!(f, "{} v{a} v{b}", op.name())?,
                Inst::Compare(op, a, b) => writeln!(f, "{} v{a} v{b}", op.name())?,
                Inst::Select(m, a, b) => writeln!(f, "select v{m} v{a} v{b}")?,
            }
        }
        let outs: Vec<String> = self.outputs.iter().map(|o| format!("v{o}")).collect();
        writeln!(f, "  outputs {}", outs.join(" "))?;
        f.write_str("}")
    }
}
