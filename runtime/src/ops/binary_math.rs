//! The rest of the binary family, with PyTorch's semantics:
//! `maximum minimum fmax fmin` (+ `max`/`min` of two tensors),
//! float-valued ops `atan2 hypot copysign logaddexp xlogy`, integer
//! `bitwise_and/or/xor` and shifts, and the fused ternaries `addcmul
//! addcdiv lerp`. A submodule of `binary.rs`, whose table registers these ops.

use super::{float_result, run_binary};
use crate::ops::elementwise::{cast_like, map_kinds, max_nan, min_nan, not_implemented, Float, Plan, ScalarMode};
use crate::ops::{Args, Operand};
use crate::{ensure, DType, Result, Scalar, Tensor, Value};


run_binary!(
    run_maximum => maximum,
    run_minimum => minimum,
    run_fmax => fmax,
    run_fmin => fmin,
    run_atan2 => atan2,
    run_hypot => hypot,
    run_copysign => copysign,
    run_logaddexp => logaddexp,
    run_xlogy => xlogy,
    run_bitwise_and => bitwise_and,
    run_bitwise_or => bitwise_or,
    run_bitwise_xor => bitwise_xor,
    run_left_shift => bitwise_left_shift,
    run_right_shift => bitwise_right_shift,
);

pub(crate) fn run_addcmul(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(addcmul(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.scalar(3)?)?))
}
pub(crate) fn run_addcdiv(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(addcdiv(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.scalar(3)?)?))
}
pub(crate) fn run_lerp(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(lerp(a.tensor(0)?, a.tensor(1)?, &a.operand(2)?)?))
}

// ----- maximum / minimum ------------------------------------------------

/// Elementwise maximum; NaN if either is NaN.
pub fn maximum(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("maximum", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| {
        float: max_nan(x, y),
        int: x.max(y),
        bool: x | y,
    })
}

/// Elementwise minimum; NaN if either is NaN.
pub fn minimum(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("minimum", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| {
        float: min_nan(x, y),
        int: x.min(y),
        bool: x & y,
    })
}

/// Elementwise maximum ignoring NaN (NaN only when both are).
pub fn fmax(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("fmax", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| {
        float: if x.is_nan() || (!y.is_nan() && x < y) { y } else { x },
        int: x.max(y),
        bool: x | y,
    })
}

/// Elementwise minimum ignoring NaN (NaN only when both are).
pub fn fmin(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("fmin", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| {
        float: if x.is_nan() || (!y.is_nan() && y < x) { y } else { x },
        int: x.min(y),
        bool: x & y,
    })
}

// ----- float-valued ops -------------------------------------------------

/// A plan whose integer/bool operands are promoted to float32.
fn float_plan(op: &'static str, a: &Operand, b: &Operand) -> Result<(Plan<2>, DType)> {
    let out = float_result(&[a, b]);
    Ok((Plan::with_dtype(op, [a, b], out, ScalarMode::Common)?, out))
}

/// A plan for an op with float kernels only (integer inputs are an error).
fn float_only_plan(op: &'static str, a: &Operand, b: &Operand) -> Result<(Plan<2>, DType)> {
    let plan = Plan::new(op, [a, b])?;
    let out = plan.common();
    if !out.is_float() {
        return Err(not_implemented(op, out));
    }
    Ok((plan, out))
}

/// `atan2(a, b)`: the angle of the point (b, a).
pub fn atan2(a: &Operand, b: &Operand) -> Result<Tensor> {
    let (plan, out) = float_plan("atan2", a, b)?;
    map_kinds!(plan.cost(10), out, |y, x| { float: y.atan2(x), })
}

/// `sqrt(a² + b²)` without undue overflow (float inputs only).
pub fn hypot(a: &Operand, b: &Operand) -> Result<Tensor> {
    let (plan, out) = float_only_plan("hypot", a, b)?;
    map_kinds!(plan.cost(4), out, |x, y| { float: x.hypot(y), })
}

/// The magnitude of `a` with the sign of `b` (integers promote to float32).
pub fn copysign(a: &Operand, b: &Operand) -> Result<Tensor> {
    let (plan, out) = float_plan("copysign", a, b)?;
    map_kinds!(plan, out, |x, y| { float: x.copysign(y), })
}

/// `log(exp(a) + exp(b))` computed stably (float inputs only).
pub fn logaddexp(a: &Operand, b: &Operand) -> Result<Tensor> {
    let (plan, out) = float_only_plan("logaddexp", a, b)?;
    map_kinds!(plan.cost(10), out, |x, y| { float: logaddexp_float(x, y), })
}

#[inline(always)]
fn logaddexp_float<F: Float>(a: F, b: F) -> F {
    if a.is_infinite() && a == b {
        return a;
    }
    let m = if a < b { b } else { a };
    m + (-(a - b).abs()).exp().ln_1p()
}

/// `a * log(b)`, 0 where `a == 0` (unless `b` is NaN).
pub fn xlogy(a: &Operand, b: &Operand) -> Result<Tensor> {
    let (plan, out) = float_plan("xlogy", a, b)?;
    map_kinds!(plan.cost(8), out, |x, y| { float: xlogy_float(x, y), })
}

#[inline(always)]
fn xlogy_float<F: Float>(x: F, y: F) -> F {
    if y.is_nan() {
        F::NAN
    } else if x == F::ZERO {
        F::ZERO
    } else {
        x * y.ln()
    }
}

// ----- bitwise ----------------------------------------------------------

/// Bitwise and (logical for bool); integer and bool dtypes only.
pub fn bitwise_and(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("bitwise_and", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| { int: x & y, bool: x & y, })
}

/// Bitwise or (logical for bool); integer and bool dtypes only.
pub fn bitwise_or(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("bitwise_or", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| { int: x | y, bool: x | y, })
}

/// Bitwise xor (logical for bool); integer and bool dtypes only.
pub fn bitwise_xor(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("bitwise_xor", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| { int: x ^ y, bool: x ^ y, })
}

/// `a << b` on integers; shifting by a negative amount or by at least the
/// width gives 0. Computed in int64 and wrapped back, which agrees with
/// PyTorch's per-dtype rule for every narrower type.
pub fn bitwise_left_shift(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("bitwise_left_shift", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| { int: if (0..64).contains(&y) { x.wrapping_shl(y as u32) } else { 0 }, })
}

/// `a >> b` on integers (arithmetic for signed); a negative or too-large
/// shift gives the sign fill.
pub fn bitwise_right_shift(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("bitwise_right_shift", [a, b])?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| { int: x >> if (0..64).contains(&y) { y } else { 63 }, })
}

// ----- addcmul / addcdiv / lerp -------------------------------------------

/// `self + value * tensor1 * tensor2` (value truncated for integer results).
pub fn addcmul(s: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    let plan = Plan::new("addcmul", [&s.into(), &t1.into(), &t2.into()])?;
    let out = plan.common();
    let (vf, vi) = (value.to_f64(), value.to_i64());
    map_kinds!(plan, out, |x, a, b| {
        float: x + cast_like(vf, a) * a * b,
        int: x.wrapping_add(vi.wrapping_mul(a).wrapping_mul(b)),
    })
}

/// `self + value * tensor1 / tensor2`; integer division is rejected.
pub fn addcdiv(s: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    ensure!(
        t1.dtype().is_float() || t2.dtype().is_float(),
        "addcdiv",
        "integer division with addcdiv is not supported (tensor1 {}, tensor2 {}); use true division",
        t1.dtype(),
        t2.dtype()
    );
    let plan = Plan::new("addcdiv", [&s.into(), &t1.into(), &t2.into()])?;
    let out = plan.common();
    let vf = value.to_f64();
    map_kinds!(plan, out, |x, a, b| { float: x + cast_like(vf, a) * a / b, })
}

/// `self + weight * (end - self)`, with PyTorch's formulation for
/// `|weight| >= 0.5`. `end` (and a non-0-d tensor weight) must have the
/// dtype of `self`, a floating dtype.
pub fn lerp(s: &Tensor, end: &Tensor, weight: &Operand) -> Result<Tensor> {
    let out = s.dtype();
    ensure!(end.dtype() == out, "lerp", "expected dtype {out} for `end` but got dtype {}", end.dtype());
    if let Operand::Tensor(w) = weight {
        ensure!(w.ndim() == 0 || w.dtype() == out, "lerp", "expected dtype {out} for `weight` but got dtype {}", w.dtype());
    }
    if !out.is_float() {
        return Err(not_implemented("lerp", out));
    }
    match weight {
        Operand::Scalar(w) => {
            let w = w.to_f64();
            let plan = Plan::with_dtype("lerp", [&s.into(), &end.into()], out, ScalarMode::Common)?;
            map_kinds!(plan, out, |x, e| { float: lerp_float(x, e, cast_like(w, x)), })
        }
        Operand::Tensor(_) => {
            let plan = Plan::with_dtype("lerp", [&s.into(), &end.into(), weight], out, ScalarMode::Common)?;
            map_kinds!(plan, out, |x, e, w| { float: lerp_float(x, e, w), })
        }
    }
}

#[inline(always)]
fn lerp_float<F: Float>(s: F, e: F, w: F) -> F {
    if w.abs() < F::HALF {
        s + w * (e - s)
    } else {
        e - (e - s) * (F::ONE - w)
    }
}
