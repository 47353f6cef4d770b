//! Tolerances for row kernels, derived from the `spec/kernels.md` bounds:
//! a float64 evaluation of one row (the same arithmetic as
//! `Kernel::eval_row_f64`) that carries, next to each value, a bound on how
//! far the CPU backend's float32 result may be from it. First-order error
//! propagation: every float32 operation adds half an ulp (`U·|v|`, plus a
//! denormal ulp), a unary op its spec bound plus its input's error times the
//! function's Lipschitz constant over the input's interval, a row sum the
//! spec's summation bound `K(n)·U·Σ|x_i|` plus its terms' errors. A bound is
//! `inf` where the float32 computation may overflow, divide by an
//! uncertain zero or leave a function's domain: the element is then not
//! compared (the tests count those). NaN and infinite reference values carry
//! no error when they come from exact inputs: they must match exactly.

use crate::jit::ir::{Inst, Kernel, ReduceOp, UnaryOp};
use crate::jit::reference::{binary, compare, reduce, unary};

/// The unit roundoff of float32, 2^-24.
pub const U: f64 = 1.0 / 16_777_216.0;
/// One denormal ulp: the absolute rounding error floor.
const TINY: f64 = 1.5e-45;

/// The multiple of `U·Σ|x_i|` that bounds a float32 row sum of `n` terms
/// with `unroll` f32x4 accumulators (spec/kernels.md): each term goes
/// through at most ⌊n/(4·unroll)⌋ additions in its lane, `unroll - 1` more
/// from the single-vector loop, log2(unroll) + 2 in the pairwise combine of
/// copies and lanes, and 3 tail additions.
pub fn sum_k(n: usize, unroll: usize) -> f64 {
    (n / (4 * unroll) + unroll + 6) as f64
}

/// The spec's (rel, abs) bound of a unary op (rounding included).
fn unary_bound(op: UnaryOp) -> (f64, f64) {
    use UnaryOp::*;
    match op {
        Exp | Log => (3e-7, 3e-45),
        Tanh | Sigmoid | Erf | Gelu | GeluTanh | Silu => (1e-6, 1e-7),
        Sqrt | Rsqrt | Reciprocal => (1.2e-7, 1.5e-45),
        Neg | Abs | Relu | Floor | Ceil | Trunc => (0.0, 0.0),
    }
}

/// A bound on |op(a + δ) - op(a)| for |δ| <= e (e > 0).
fn propagated(op: UnaryOp, a: f64, e: f64) -> f64 {
    use UnaryOp::*;
    let inf = f64::INFINITY;
    match op {
        Neg | Abs | Relu => e,
        Tanh | Sigmoid | Erf | Gelu | GeluTanh | Silu => 1.2 * e,
        Exp => (a + e).exp() * e,
        Log if a - e > 0.0 => e / (a - e),
        Sqrt if a - e > 0.0 => 0.5 * e / (a - e).sqrt(),
        Sqrt => e.sqrt() + (a.abs() + e).sqrt() - a.abs().sqrt(),
        Rsqrt if a - e > 0.0 => 0.5 * e * (a - e).powf(-1.5),
        Reciprocal if a.abs() > e => e / (a.abs() * (a.abs() - e)),
        Floor | Ceil | Trunc if unary(op, a - e) == unary(op, a + e) => 0.0,
        _ => inf,
    }
}

/// A value and the bound on the backend's distance from it.
#[derive(Copy, Clone, Debug)]
pub struct Est {
    pub v: f64,
    pub e: f64,
}

/// Whether a non-finite result is certain: a NaN operand that is exactly
/// NaN, or every non-finite operand exact and (`signs`: for products,
/// quotients and functions) every finite one exact or keeping its sign.
fn certain(ops: &[Est], signs: bool) -> bool {
    ops.iter().any(|o| o.v.is_nan() && o.e == 0.0)
        || ops.iter().all(|o| {
            if o.v.is_finite() {
                !signs || o.e == 0.0 || o.v.abs() > o.e
            } else {
                o.e == 0.0
            }
        })
}

/// The result of one float32 operation: `v` with the operands' propagated
/// error `prop` (`exact`: a non-finite `v` is [`certain`]).
fn rounded(v: f64, prop: f64, exact: bool, round: bool) -> Est {
    let e = if !v.is_finite() {
        if exact {
            0.0
        } else {
            f64::INFINITY
        }
    } else if v.abs() + prop > f32::MAX as f64 {
        f64::INFINITY
    } else if round {
        prop + U * v.abs() + TINY
    } else {
        prop
    };
    Est { v, e }
}

/// `x · e`, 0 when `e` is 0 (so an infinite `x` with an exact `e` is exact).
fn scaled(x: f64, e: f64) -> f64 {
    if e == 0.0 {
        0.0
    } else {
        x.abs() * e
    }
}

/// Each output over one row of `n` elements (`params[k]`: operand k along
/// the row), as `Kernel::eval_row_f64` lays them out, with its bound.
/// `unroll`: the CPU kernel's f32x4 accumulators per reduction.
pub fn row_bounds(k: &Kernel, params: &[Vec<f64>], n: usize, unroll: usize) -> Vec<Vec<Est>> {
    let m = n.max(1);
    let mut vals: Vec<Vec<Est>> = Vec::with_capacity(k.insts.len());
    // Per mask: the comparison and whether rounding may flip it.
    let mut masks: Vec<Vec<(bool, bool)>> = Vec::with_capacity(k.insts.len());
    let uniform = k.uniform();
    for inst in &k.insts {
        let at = |v: u32, j: usize| vals[v as usize][j];
        let mut mask = vec![];
        let val: Vec<Est> = match *inst {
            Inst::Param(p) => (0..m)
                .map(|j| Est {
                    v: if n == 0 {
                        f64::NAN
                    } else {
                        params[p as usize][j]
                    },
                    e: 0.0,
                })
                .collect(),
            Inst::Const(c) => vec![
                Est {
                    v: c,
                    e: (c - c as f32 as f64).abs(),
                };
                m
            ],
            Inst::RowLen => vec![
                Est {
                    v: n as f64,
                    e: 0.0
                };
                m
            ],
            Inst::Unary(op, a) => (0..m)
                .map(|j| {
                    let x = at(a, j);
                    let v = unary(op, x.v);
                    let prop = if x.e == 0.0 {
                        0.0
                    } else {
                        propagated(op, x.v, x.e)
                    };
                    let (rel, abs) = unary_bound(op);
                    let own = if rel == 0.0 {
                        0.0
                    } else {
                        (rel * v.abs()).max(abs)
                    };
                    rounded(v, prop + own, certain(&[x], true), false)
                })
                .collect(),
            Inst::Binary(op, a, b) => (0..m).map(|j| binary_est(op, at(a, j), at(b, j))).collect(),
            Inst::Compare(op, a, b) => {
                mask = (0..m)
                    .map(|j| {
                        let (x, y) = (at(a, j), at(b, j));
                        let (err, gap) = (x.e + y.e, (x.v - y.v).abs());
                        (
                            compare(op, x.v, y.v),
                            err > 0.0 && (gap.is_nan() || gap <= err),
                        )
                    })
                    .collect();
                vec![Est { v: 0.0, e: 0.0 }; m]
            }
            Inst::Select(c, a, b) => (0..m)
                .map(|j| {
                    let (pick, unsure) = masks[c as usize][j];
                    let (x, y) = (at(a, j), at(b, j));
                    let mut r = if pick { x } else { y };
                    if unsure {
                        r.e = x.e.max(y.e) + (x.v - y.v).abs();
                        if r.e.is_nan() {
                            r.e = f64::INFINITY;
                        }
                    }
                    r
                })
                .collect(),
            Inst::Reduce(op, a) if uniform[a as usize] => {
                let x = at(a, 0);
                let r = match (n, op) {
                    (0, _) => Est {
                        v: op.identity(),
                        e: 0.0,
                    },
                    (_, ReduceOp::Sum) => {
                        let v = n as f64 * x.v;
                        rounded(v, scaled(n as f64, x.e), certain(&[x], false), true)
                    }
                    _ => x,
                };
                vec![r; m]
            }
            Inst::Reduce(op, a) => {
                let xs = &vals[a as usize][..n];
                let v = reduce(op, &xs.iter().map(|x| x.v).collect::<Vec<_>>());
                let exact = certain(xs, false);
                let worst = xs.iter().map(|x| x.e).fold(0.0, f64::max);
                let r = match op {
                    ReduceOp::Sum => {
                        let mass: f64 = xs
                            .iter()
                            .filter(|x| x.v.is_finite())
                            .map(|x| x.v.abs() + x.e)
                            .sum();
                        let terms: f64 = xs.iter().map(|x| x.e).sum();
                        let mut r = rounded(v, terms + sum_k(n, unroll) * U * mass, exact, false);
                        // Partial sums may overflow in float32 (inf - inf: NaN).
                        if mass > f32::MAX as f64 {
                            r.e = f64::INFINITY;
                        }
                        r
                    }
                    ReduceOp::Max | ReduceOp::Min => rounded(v, worst, exact, false),
                };
                vec![r; m]
            }
        };
        vals.push(val);
        masks.push(mask);
    }
    let per_row = k.per_row_outputs();
    k.outputs
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

fn binary_est(op: crate::jit::ir::BinaryOp, x: Est, y: Est) -> Est {
    use crate::jit::ir::BinaryOp::*;
    let v = binary(op, x.v, y.v);
    let exact = certain(&[x, y], matches!(op, Mul | Div));
    let prop = match op {
        Add | Sub => x.e + y.e,
        Mul => scaled(y.v, x.e) + scaled(x.v, y.e) + x.e * y.e,
        Div if y.e == 0.0 => scaled(1.0 / y.v, x.e),
        Div if y.v.abs() > y.e => (x.e + scaled(v, y.e)) / (y.v.abs() - y.e),
        Div => f64::INFINITY,
        Max | Min => x.e.max(y.e),
    };
    let prop = if prop.is_nan() { f64::INFINITY } else { prop };
    rounded(v, prop, exact, !matches!(op, Max | Min))
}

/// Whether `got` is within `want ± e` (NaN matches NaN, infinities must be
/// equal); `None` when the bound is infinite (not compared).
pub fn within(got: f32, want: f64, e: f64) -> Option<bool> {
    if !e.is_finite() {
        return None;
    }
    if want.is_nan() || got.is_nan() {
        return Some(want.is_nan() && got.is_nan());
    }
    if want.is_infinite() || got.is_infinite() {
        return Some(got as f64 == want);
    }
    Some((got as f64 - want).abs() <= e)
}
