//! The portable kernel IR: one fused loop body, in SSA form, over operands
//! that are decided only when the kernel runs. A kernel is elementwise, or a
//! *row kernel* when it reduces over rows (softmax, layer_norm, `sum(-1)`
//! with what comes before and after it).
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
//! ## Row kernels
//!
//! `reduce_sum`/`reduce_max`/`reduce_min` fold a number over the *row*: the
//! last dim of the iteration shape (a rank-0 shape is one row of one
//! element); `rowlen` is that dim's length. A value is *row-uniform* when it
//! depends only on constants, `rowlen` and reductions
//! ([`Kernel::uniform`]); the rest vary along the row. A row kernel
//! ([`Kernel::is_row`]) writes a row-varying output at every element and a
//! row-uniform one once per row (the iteration shape with its last dim 1, as
//! PyTorch's `keepdim=True`). An elementwise kernel writes every output at
//! every element.
//!
//! ```text
//! kernel(1) {            // softmax over the last dim
//!   v0 = param 0
//!   v1 = reduce_max v0
//!   v2 = sub v0 v1
//!   v3 = exp v2
//!   v4 = reduce_sum v3
//!   v5 = div v3 v4
//!   outputs v5
//! }
//! ```
//!
//! The kernel's reductions match PyTorch's only where the shapes do: each
//! reduction must read a value of the full iteration shape, and each output
//! must have the shape the kernel writes. [`Kernel::row_shape`] checks that
//! for the operand shapes of a call; a caller runs the unfused ops where it
//! fails.
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
//! Semantics are PyTorch's on float32, NaN included: `relu`, `max`, `min`,
//! `reduce_max`, `reduce_min` propagate NaN (as `torch.relu`,
//! `torch.maximum`, `torch.amax` do); `Compare` with NaN is false except
//! `Ne`. The sum of an empty row is 0, its max -inf and its min +inf. Approximations in a backend are bounded as
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
    /// The number folded over the row (row-uniform).
    Reduce(ReduceOp, u32),
    /// The row length, as a number (row-uniform).
    RowLen,
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

/// Folds over a row.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceOp {
    Sum,
    /// `torch.amax` (NaN wins).
    Max,
    /// `torch.amin` (NaN wins).
    Min,
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
    pub const ALL: [BinaryOp; 6] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Max,
        BinaryOp::Min,
    ];

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
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];

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

impl ReduceOp {
    pub const ALL: [ReduceOp; 3] = [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min];

    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "reduce_sum",
            ReduceOp::Max => "reduce_max",
            ReduceOp::Min => "reduce_min",
        }
    }

    /// The fold of an empty row.
    pub fn identity(self) -> f64 {
        match self {
            ReduceOp::Sum => 0.0,
            ReduceOp::Max => f64::NEG_INFINITY,
            ReduceOp::Min => f64::INFINITY,
        }
    }
}

impl Inst {
    /// The values it reads.
    pub fn operands(&self) -> Vec<u32> {
        match *self {
            Inst::Param(_) | Inst::Const(_) | Inst::RowLen => vec![],
            Inst::Unary(_, a) | Inst::Reduce(_, a) => vec![a],
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
                Err(format!(
                    "kernel: v{at} uses v{v}, which is not defined before it"
                ))
            }
        };
        for (i, inst) in self.insts.iter().enumerate() {
            let want = |v: u32, k: Kind| -> Result<(), String> {
                if kind_of(v, i)? == k {
                    Ok(())
                } else {
                    Err(format!(
                        "kernel: v{i} needs v{v} to be a {}",
                        if k == Kind::Mask { "mask" } else { "number" }
                    ))
                }
            };
            match *inst {
                Inst::Param(k) if k >= self.num_params => {
                    return Err(format!(
                        "kernel: v{i} reads operand {k} of {}",
                        self.num_params
                    ))
                }
                Inst::Param(_) | Inst::Const(_) | Inst::RowLen => {}
                Inst::Unary(_, a) | Inst::Reduce(_, a) => want(a, Kind::Number)?,
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
                _ => inst.operands().iter().fold(0, |acc, &v| {
                    acc | reads.get(v as usize).copied().unwrap_or(0)
                }),
            };
        }
        self.outputs
            .iter()
            .map(|&o| reads.get(o as usize).copied().unwrap_or(0))
            .collect()
    }
}

impl Kernel {
    /// The operands read only as masks, as a bit set: every use of the
    /// operand (at least one, not an output) is `ne` against the constant
    /// 0. A `bool` tensor may feed such an operand as 0 and 1 and nothing
    /// else can tell (`masked_fill` with a mask from outside the kernel).
    pub fn mask_params(&self) -> u64 {
        let zero = |v: u32| matches!(self.insts.get(v as usize), Some(Inst::Const(c)) if *c == 0.0);
        let mut ok = 0u64;
        for (i, inst) in self.insts.iter().enumerate() {
            let Inst::Param(k) = *inst else { continue };
            let i = i as u32;
            let mut uses = self
                .insts
                .iter()
                .filter(|u| u.operands().contains(&i))
                .peekable();
            let only_masks = uses.peek().is_some()
                && uses.all(|u| matches!(*u, Inst::Compare(CmpOp::Ne, a, b) if (a == i && zero(b)) || (b == i && zero(a))));
            if k < 64 && only_masks && !self.outputs.contains(&i) {
                ok |= 1 << k;
            }
        }
        ok
    }

    /// Whether it reduces over rows (has `reduce_*` or `rowlen`).
    pub fn is_row(&self) -> bool {
        self.insts
            .iter()
            .any(|i| matches!(i, Inst::Reduce(..) | Inst::RowLen))
    }

    /// For each value, whether it is row-uniform (module doc). Every value of
    /// a kernel that passes `check` gets an answer; out-of-range operands
    /// count as varying.
    pub fn uniform(&self) -> Vec<bool> {
        let mut u = vec![false; self.insts.len()];
        for (i, inst) in self.insts.iter().enumerate() {
            u[i] = match inst {
                Inst::Param(_) => false,
                Inst::Const(_) | Inst::RowLen | Inst::Reduce(..) => true,
                _ => inst
                    .operands()
                    .iter()
                    .all(|&v| u.get(v as usize).copied().unwrap_or(false)),
            };
        }
        u
    }

    /// For each output, whether the kernel writes it once per row (a
    /// row-uniform output of a row kernel) instead of at every element.
    pub fn per_row_outputs(&self) -> Vec<bool> {
        let row = self.is_row();
        let u = self.uniform();
        self.outputs
            .iter()
            .map(|&o| row && u.get(o as usize).copied().unwrap_or(false))
            .collect()
    }

    /// The iteration shape of a row kernel called on operands of these
    /// shapes (`None`: a scalar operand), when the kernel computes exactly
    /// what the unfused ops would: the shapes broadcast, every reduction
    /// reads a value of the full iteration shape (PyTorch's `keepdim`
    /// reduction of the last dim gives the shape of a `reduce_*`), and every
    /// output has the shape the kernel writes it in. `Err` says which
    /// condition failed; the kernel must pass `check`.
    pub fn row_shape(&self, shapes: &[Option<&[usize]>]) -> Result<Vec<usize>, String> {
        let mut full: Vec<usize> = Vec::new();
        for s in shapes.iter().flatten() {
            full = broadcast(&full, s)
                .ok_or_else(|| format!("kernel: shapes {full:?} and {s:?} do not broadcast"))?;
        }
        let mut val: Vec<Vec<usize>> = Vec::with_capacity(self.insts.len());
        for (i, inst) in self.insts.iter().enumerate() {
            let shape = match *inst {
                Inst::Param(k) => shapes
                    .get(k as usize)
                    .copied()
                    .flatten()
                    .map(<[usize]>::to_vec)
                    .unwrap_or_default(),
                Inst::Const(_) | Inst::RowLen => Vec::new(),
                Inst::Reduce(_, a) => {
                    let s = &val[a as usize];
                    if *s != full {
                        return Err(format!("kernel: v{i} reduces a value of shape {s:?}, the rows have shape {full:?}"));
                    }
                    let mut s = s.clone();
                    if let Some(last) = s.last_mut() {
                        *last = 1;
                    }
                    s
                }
                _ => {
                    let mut s: Vec<usize> = Vec::new();
                    for v in inst.operands() {
                        s = broadcast(&s, &val[v as usize])
                            .ok_or_else(|| format!("kernel: v{i}: shapes do not broadcast"))?;
                    }
                    s
                }
            };
            val.push(shape);
        }
        let per_row = self.per_row_outputs();
        for (j, &o) in self.outputs.iter().enumerate() {
            let mut want = full.clone();
            if per_row[j] {
                if let Some(last) = want.last_mut() {
                    *last = 1;
                }
            }
            if val[o as usize] != want {
                return Err(format!(
                    "kernel: output {j} has shape {:?}, the kernel writes {want:?}",
                    val[o as usize]
                ));
            }
        }
        Ok(full)
    }
}

/// PyTorch's broadcast of two shapes.
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| {
        if i + s.len() >= n {
            s[i + s.len() - n]
        } else {
            1
        }
    };
    (0..n)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect()
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
                Inst::Reduce(op, a) => writeln!(f, "{} v{a}", op.name())?,
                Inst::RowLen => writeln!(f, "rowlen")?,
            }
        }
        let outs: Vec<String> = self.outputs.iter().map(|o| format!("v{o}")).collect();
        writeln!(f, "  outputs {}", outs.join(" "))?;
        f.write_str("}")
    }
}
