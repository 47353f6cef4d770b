//! The reference semantics of the kernel IR: one element at a time, in
//! float64 with the standard library's math. Backends are tested against
//! it, and the `spec/kernels.md` bounds are measured from it.

use super::ir::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp, UnaryOp};
use crate::unary::erf_f64;

/// `op(x)` in float64.
pub fn unary(op: UnaryOp, x: f64) -> f64 {
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Reciprocal => 1.0 / x,
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Sigmoid => sigmoid(x),
        UnaryOp::Relu => {
            if x > 0.0 || x.is_nan() {
                x
            } else {
                0.0
            }
        }
        UnaryOp::Erf => erf_f64(x),
        UnaryOp::Gelu => 0.5 * x * (1.0 + erf_f64(x / std::f64::consts::SQRT_2)),
        UnaryOp::GeluTanh => {
            let k = (2.0 / std::f64::consts::PI).sqrt();
            0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
        }
        UnaryOp::Silu => x * sigmoid(x),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
        UnaryOp::Trunc => x.trunc(),
    }
}

/// `op(a, b)` in float64.
pub fn binary(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Max if a.is_nan() || b.is_nan() => f64::NAN,
        BinaryOp::Min if a.is_nan() || b.is_nan() => f64::NAN,
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
    }
}

/// `op(a, b)`.
pub fn compare(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// `op` folded over `xs` in float64 (NaN wins for max and min).
pub fn reduce(op: ReduceOp, xs: &[f64]) -> f64 {
    xs.iter().fold(op.identity(), |acc, &x| match op {
        ReduceOp::Sum => acc + x,
        ReduceOp::Max => binary(BinaryOp::Max, acc, x),
        ReduceOp::Min => binary(BinaryOp::Min, acc, x),
    })
}

impl Kernel {
    /// The outputs over one row of `n` elements: `params[k]` is operand k
    /// along the row (`n` numbers). A per-row output
    /// ([`Kernel::per_row_outputs`]) is one number, the others `n`. For an
    /// elementwise kernel this is `eval_f64` at each element.
    pub fn eval_row_f64(&self, params: &[&[f64]], n: usize) -> Vec<Vec<f64>> {
        // Values are computed at max(n, 1) positions so that a per-row value
        // of an empty row (the fold's identity) has somewhere to live.
        let (m, nan) = (n.max(1), [f64::NAN]);
        let mut vals: Vec<Vec<f64>> = Vec::with_capacity(self.insts.len());
        let mut masks: Vec<Vec<bool>> = Vec::with_capacity(self.insts.len());
        for inst in &self.insts {
            let v = |k: u32| &vals[k as usize];
            let each = |f: &dyn Fn(usize) -> f64| (0..m).map(f).collect::<Vec<f64>>();
            let (val, mask) = match *inst {
                Inst::Param(k) => (
                    if n == 0 {
                        nan.to_vec()
                    } else {
                        params[k as usize].to_vec()
                    },
                    vec![],
                ),
                Inst::Const(c) => (vec![c; m], vec![]),
                Inst::RowLen => (vec![n as f64; m], vec![]),
                Inst::Unary(op, a) => (each(&|j| unary(op, v(a)[j])), vec![]),
                Inst::Binary(op, a, b) => (each(&|j| binary(op, v(a)[j], v(b)[j])), vec![]),
                Inst::Compare(op, a, b) => (
                    vec![0.0; m],
                    (0..m).map(|j| compare(op, v(a)[j], v(b)[j])).collect(),
                ),
                Inst::Select(k, a, b) => (
                    each(&|j| {
                        if masks[k as usize][j] {
                            v(a)[j]
                        } else {
                            v(b)[j]
                        }
                    }),
                    vec![],
                ),
                Inst::Reduce(op, a) => (vec![reduce(op, &v(a)[..n]); m], vec![]),
            };
            vals.push(val);
            masks.push(mask);
        }
        let per_row = self.per_row_outputs();
        self.outputs
            .iter()
            .zip(per_row)
            .map(|(&o, one)| {
                let v = &vals[o as usize];
                if one {
                    vec![v[0]]
                } else {
                    v[..n].to_vec()
                }
            })
            .collect()
    }

    /// The outputs at one element whose operands are `params`
    /// (`params.len() == num_params`; the kernel must pass `check`). A row
    /// kernel sees a row of one element.
    pub fn eval_f64(&self, params: &[f64]) -> Vec<f64> {
        let mut vals = vec![0.0f64; self.insts.len()];
        let mut masks = vec![false; self.insts.len()];
        for (i, inst) in self.insts.iter().enumerate() {
            let v = |k: u32| vals[k as usize];
            match *inst {
                Inst::Param(k) => vals[i] = params[k as usize],
                Inst::Const(c) => vals[i] = c,
                Inst::Unary(op, a) => vals[i] = unary(op, v(a)),
                Inst::Binary(op, a, b) => vals[i] = binary(op, v(a), v(b)),
                Inst::Compare(op, a, b) => masks[i] = compare(op, v(a), v(b)),
                Inst::Select(m, a, b) => vals[i] = if masks[m as usize] { v(a) } else { v(b) },
                Inst::Reduce(_, a) => vals[i] = v(a),
                Inst::RowLen => vals[i] = 1.0,
            }
        }
        self.outputs.iter().map(|&o| vals[o as usize]).collect()
    }
}
