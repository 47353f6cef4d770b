//! Binary arithmetic with PyTorch's semantics: `add sub rsub mul div
//! true_divide floor_divide remainder fmod pow` (Tensor and Python-number
//! operands, `alpha`, `rounding_mode`), integer floor/trunc division and
//! remainders that reject a zero divisor (PyTorch's "ZeroDivisionError"),
//! float floor division and remainders with Python's sign rules.
//!
//! Every op promotes with `torch.result_type` and runs on the shared engine
//! in `elementwise.rs`; the float-valued and bitwise ops live in
//! `binary_math.rs`.

use super::elementwise::{map_kinds, result_type, Float, Plan, ScalarMode};
use super::{Args, OpDef, Operand};
use crate::{bail, ensure, DType, Result, Scalar, Tensor, Value};
use std::sync::atomic::{AtomicBool, Ordering};

#[path = "binary_math.rs"]
mod math;
pub use math::*;

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", run: run_add },
    OpDef { schema: "add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", run: run_add },
    OpDef { schema: "sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", run: run_sub },
    OpDef { schema: "sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", run: run_sub },
    OpDef { schema: "subtract.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", run: run_sub },
    OpDef { schema: "subtract.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", run: run_sub },
    OpDef { schema: "rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor", run: run_rsub },
    OpDef { schema: "rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor", run: run_rsub },
    OpDef { schema: "mul.Tensor(Tensor self, Tensor other) -> Tensor", run: run_mul },
    OpDef { schema: "mul.Scalar(Tensor self, Scalar other) -> Tensor", run: run_mul },
    OpDef { schema: "multiply.Tensor(Tensor self, Tensor other) -> Tensor", run: run_mul },
    OpDef { schema: "multiply.Scalar(Tensor self, Scalar other) -> Tensor", run: run_mul },
    OpDef { schema: "div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode=None) -> Tensor", run: run_div },
    OpDef { schema: "div.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode=None) -> Tensor", run: run_div },
    OpDef { schema: "divide.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode=None) -> Tensor", run: run_div },
    OpDef { schema: "divide.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode=None) -> Tensor", run: run_div },
    OpDef { schema: "true_divide.Tensor(Tensor self, Tensor other) -> Tensor", run: run_true_divide },
    OpDef { schema: "true_divide.Scalar(Tensor self, Scalar other) -> Tensor", run: run_true_divide },
    OpDef { schema: "floor_divide(Tensor self, Tensor other) -> Tensor", run: run_floor_divide },
    OpDef { schema: "floor_divide.Scalar(Tensor self, Scalar other) -> Tensor", run: run_floor_divide },
    OpDef { schema: "remainder.Tensor(Tensor self, Tensor other) -> Tensor", run: run_remainder },
    OpDef { schema: "remainder.Scalar(Tensor self, Scalar other) -> Tensor", run: run_remainder },
    OpDef { schema: "remainder.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", run: run_remainder },
    OpDef { schema: "fmod.Tensor(Tensor self, Tensor other) -> Tensor", run: run_fmod },
    OpDef { schema: "fmod.Scalar(Tensor self, Scalar other) -> Tensor", run: run_fmod },
    OpDef { schema: "pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor", run: run_pow },
    OpDef { schema: "pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", run: run_pow },
    OpDef { schema: "pow.Scalar(Scalar self, Tensor exponent) -> Tensor", run: run_pow },
    OpDef { schema: "maximum(Tensor self, Tensor other) -> Tensor", run: math::run_maximum },
    OpDef { schema: "minimum(Tensor self, Tensor other) -> Tensor", run: math::run_minimum },
    OpDef { schema: "max.other(Tensor self, Tensor other) -> Tensor", run: math::run_maximum },
    OpDef { schema: "min.other(Tensor self, Tensor other) -> Tensor", run: math::run_minimum },
    OpDef { schema: "fmax(Tensor self, Tensor other) -> Tensor", run: math::run_fmax },
    OpDef { schema: "fmin(Tensor self, Tensor other) -> Tensor", run: math::run_fmin },
    OpDef { schema: "atan2(Tensor self, Tensor other) -> Tensor", run: math::run_atan2 },
    OpDef { schema: "arctan2(Tensor self, Tensor other) -> Tensor", run: math::run_atan2 },
    OpDef { schema: "hypot(Tensor self, Tensor other) -> Tensor", run: math::run_hypot },
    OpDef { schema: "copysign.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_copysign },
    OpDef { schema: "copysign.Scalar(Tensor self, Scalar other) -> Tensor", run: math::run_copysign },
    OpDef { schema: "logaddexp(Tensor self, Tensor other) -> Tensor", run: math::run_logaddexp },
    OpDef { schema: "xlogy.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_xlogy },
    OpDef { schema: "xlogy.Scalar_Self(Scalar self, Tensor other) -> Tensor", run: math::run_xlogy },
    OpDef { schema: "xlogy.Scalar_Other(Tensor self, Scalar other) -> Tensor", run: math::run_xlogy },
    OpDef { schema: "bitwise_and.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_bitwise_and },
    OpDef { schema: "bitwise_and.Scalar(Tensor self, Scalar other) -> Tensor", run: math::run_bitwise_and },
    OpDef { schema: "bitwise_and.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", run: math::run_bitwise_and },
    OpDef { schema: "bitwise_or.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_bitwise_or },
    OpDef { schema: "bitwise_or.Scalar(Tensor self, Scalar other) -> Tensor", run: math::run_bitwise_or },
    OpDef { schema: "bitwise_or.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", run: math::run_bitwise_or },
    OpDef { schema: "bitwise_xor.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_bitwise_xor },
    OpDef { schema: "bitwise_xor.Scalar(Tensor self, Scalar other) -> Tensor", run: math::run_bitwise_xor },
    OpDef { schema: "bitwise_xor.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", run: math::run_bitwise_xor },
    OpDef { schema: "bitwise_left_shift.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_left_shift },
    OpDef { schema: "bitwise_left_shift.Tensor_Scalar(Tensor self, Scalar other) -> Tensor", run: math::run_left_shift },
    OpDef { schema: "bitwise_left_shift.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", run: math::run_left_shift },
    OpDef { schema: "bitwise_right_shift.Tensor(Tensor self, Tensor other) -> Tensor", run: math::run_right_shift },
    OpDef { schema: "bitwise_right_shift.Tensor_Scalar(Tensor self, Scalar other) -> Tensor", run: math::run_right_shift },
    OpDef { schema: "bitwise_right_shift.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", run: math::run_right_shift },
    OpDef { schema: "addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor", run: math::run_addcmul },
    OpDef { schema: "addcdiv(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor", run: math::run_addcdiv },
    OpDef { schema: "lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor", run: math::run_lerp },
    OpDef { schema: "lerp.Tensor(Tensor self, Tensor end, Tensor weight) -> Tensor", run: math::run_lerp },
];

/// `fn $name(args)` calling the two-operand op `$f(operand 0, operand 1)`.
macro_rules! run_binary {
    ($($name:ident => $f:path),* $(,)?) => {$(
        pub(crate) fn $name(a: &Args) -> Result<Value> {
            Ok(Value::Tensor($f(&a.operand(0)?, &a.operand(1)?)?))
        }
    )*};
}
pub(crate) use run_binary;

run_binary!(
    run_mul => mul,
    run_true_divide => true_divide,
    run_floor_divide => floor_divide,
    run_remainder => remainder,
    run_fmod => fmod,
    run_pow => pow,
);

fn run_add(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(add(&a.operand(0)?, &a.operand(1)?, a.scalar(2)?)?))
}
fn run_sub(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(sub(&a.operand(0)?, &a.operand(1)?, a.scalar(2)?)?))
}
fn run_rsub(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(rsub(&a.operand(0)?, &a.operand(1)?, a.scalar(2)?)?))
}
fn run_div(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(div(&a.operand(0)?, &a.operand(1)?, a.opt_str(2)?)?))
}

// ----- add / sub --------------------------------------------------------

/// `a + alpha * b`.
pub fn add(a: &Operand, b: &Operand, alpha: Scalar) -> Result<Tensor> {
    add_scaled("add", a, b, alpha)
}

/// `a - alpha * b` (bool operands are an error, as in PyTorch).
pub fn sub(a: &Operand, b: &Operand, alpha: Scalar) -> Result<Tensor> {
    check_no_bool("sub", a, b)?;
    add_scaled("sub", a, b, negate(alpha))
}

/// `b - alpha * a` (`torch.rsub`).
pub fn rsub(a: &Operand, b: &Operand, alpha: Scalar) -> Result<Tensor> {
    check_no_bool("rsub", a, b)?;
    add_scaled("rsub", b, a, negate(alpha))
}

fn negate(s: Scalar) -> Scalar {
    match s {
        Scalar::Int(i) => Scalar::Int(i.wrapping_neg()),
        Scalar::Float(f) => Scalar::Float(-f),
        b => b,
    }
}

fn check_no_bool(op: &str, a: &Operand, b: &Operand) -> Result<()> {
    ensure!(
        a.dtype() != DType::Bool && b.dtype() != DType::Bool,
        op,
        "subtraction with a bool tensor is not supported; use `~` or `logical_not()` to invert a mask, `^` or `logical_xor()` for two masks"
    );
    Ok(())
}

/// PyTorch's `alpha_check`.
fn check_alpha(op: &str, dtype: DType, alpha: Scalar) -> Result<()> {
    ensure!(
        !matches!(alpha, Scalar::Bool(_)) || dtype == DType::Bool,
        op,
        "boolean alpha is only supported for bool results, not {dtype}"
    );
    ensure!(
        dtype.is_float() || !alpha.is_float(),
        op,
        "for integral input tensors ({dtype}), argument alpha must not be a floating point number"
    );
    Ok(())
}

fn add_scaled(op: &'static str, a: &Operand, b: &Operand, alpha: Scalar) -> Result<Tensor> {
    let plan = Plan::new(op, [a, b])?;
    let out = plan.common();
    check_alpha(op, out, alpha)?;
    if !matches!(alpha, Scalar::Bool(_)) && alpha.to_f64() == 1.0 {
        return map_kinds!(plan, out, |x, y| {
            float: x + y,
            int: x.wrapping_add(y),
            bool: x | y,
        });
    }
    let (af, ai, ab) = (alpha.to_f64(), alpha.to_i64(), alpha.to_bool());
    map_kinds!(plan, out, |x, y| {
        float: axpy(x, y, af),
        int: x.wrapping_add(ai.wrapping_mul(y)),
        bool: x | (ab & y),
    })
}

#[inline(always)]
fn axpy<F: Float>(x: F, y: F, alpha: f64) -> F {
    x + F::of(alpha) * y
}

// ----- mul / div --------------------------------------------------------

/// `a * b` (bool: logical and).
pub fn mul(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::with_dtype("mul", [a, b], result_type(&[a, b]), ScalarMode::Opmath)?;
    let out = plan.common();
    map_kinds!(plan, out, |x, y| {
        float: x * y,
        int: x.wrapping_mul(y),
        bool: x & y,
    })
}

/// `torch.div` with `rounding_mode` None (true division), `"trunc"` or `"floor"`.
pub fn div(a: &Operand, b: &Operand, rounding_mode: Option<&str>) -> Result<Tensor> {
    match rounding_mode {
        None => true_div("div", a, b),
        Some("trunc") => div_trunc("div", a, b),
        Some("floor") => div_floor("div", a, b),
        Some(m) => bail!("div", "expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"),
    }
}

/// True division: integer and bool operands divide as float32.
pub fn true_divide(a: &Operand, b: &Operand) -> Result<Tensor> {
    true_div("true_divide", a, b)
}

/// `a // b`: floor division (integers reject a zero divisor).
pub fn floor_divide(a: &Operand, b: &Operand) -> Result<Tensor> {
    div_floor("floor_divide", a, b)
}

fn true_div(op: &'static str, a: &Operand, b: &Operand) -> Result<Tensor> {
    let out = float_result(&[a, b]);
    let plan = Plan::with_dtype(op, [a, b], out, ScalarMode::Opmath)?;
    map_kinds!(plan, out, |x, y| {
        float: x / y,
    })
}

/// The result type, with integers and bool promoted to float32 (the
/// default dtype): what `div`, `atan2`, `copysign`, `xlogy` return.
pub fn float_result(operands: &[&Operand]) -> DType {
    let d = result_type(operands);
    if d.is_float() {
        d
    } else {
        DType::F32
    }
}

/// Runs an integer kernel that must not see a zero divisor: the loop
/// records the zero (a closure cannot return an error) and the op fails
/// after it, as PyTorch raises "ZeroDivisionError".
fn with_zero_check(op: &str, f: impl FnOnce(&AtomicBool) -> Result<Tensor>) -> Result<Tensor> {
    let zero = AtomicBool::new(false);
    let r = f(&zero)?;
    ensure!(!zero.load(Ordering::Relaxed), op, "ZeroDivisionError: integer division by zero");
    Ok(r)
}

#[inline(always)]
fn int_div(zero: &AtomicBool, x: i64, y: i64, f: impl Fn(i64, i64) -> i64) -> i64 {
    if y == 0 {
        zero.store(true, Ordering::Relaxed);
        0
    } else {
        f(x, y)
    }
}

fn div_trunc(op: &'static str, a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new(op, [a, b])?;
    let out = plan.common();
    with_zero_check(op, |zero| {
        map_kinds!(plan, out, |x, y| {
            float: (x / y).trunc(),
            int: int_div(zero, x, y, i64::wrapping_div),
        })
    })
}

fn div_floor(op: &'static str, a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new(op, [a, b])?;
    let out = plan.common();
    with_zero_check(op, |zero| {
        map_kinds!(plan, out, |x, y| {
            float: floor_div_float(x, y),
            int: int_div(zero, x, y, floor_div_int),
        })
    })
}

/// PyTorch's `div_floor_floating`: floor of the exact quotient, computed
/// from `fmod` so that `a // b` and `a % b` agree.
#[inline(always)]
pub fn floor_div_float<F: Float>(a: F, b: F) -> F {
    if b == F::ZERO {
        return a / b;
    }
    let m = a % b;
    let mut d = (a - m) / b;
    if m != F::ZERO && (b < F::ZERO) != (m < F::ZERO) {
        d = d - F::ONE;
    }
    if d == F::ZERO {
        return F::ZERO.copysign(a / b);
    }
    let f = d.floor();
    if d - f > F::HALF {
        f + F::ONE
    } else {
        f
    }
}

/// Floor division of integers (`b != 0`).
#[inline(always)]
pub fn floor_div_int(a: i64, b: i64) -> i64 {
    let q = a.wrapping_div(b);
    if (a < 0) != (b < 0) && q.wrapping_mul(b) != a {
        q - 1
    } else {
        q
    }
}

// ----- remainder / fmod -------------------------------------------------

/// Python's `%`: the result has the sign of the divisor.
pub fn remainder(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("remainder", [a, b])?;
    let out = plan.common();
    with_zero_check("remainder", |zero| {
        map_kinds!(plan, out, |x, y| {
            float: rem_float(x, y),
            int: int_div(zero, x, y, rem_int),
        })
    })
}

/// C's `fmod`: the result has the sign of the dividend.
pub fn fmod(a: &Operand, b: &Operand) -> Result<Tensor> {
    let plan = Plan::new("fmod", [a, b])?;
    let out = plan.common();
    with_zero_check("fmod", |zero| {
        map_kinds!(plan, out, |x, y| {
            float: x % y,
            int: int_div(zero, x, y, i64::wrapping_rem),
        })
    })
}

#[inline(always)]
fn rem_float<F: Float>(a: F, b: F) -> F {
    let m = a % b;
    if m != F::ZERO && (b < F::ZERO) != (m < F::ZERO) {
        m + b
    } else {
        m
    }
}

#[inline(always)]
fn rem_int(a: i64, b: i64) -> i64 {
    let m = a.wrapping_rem(b);
    if m != 0 && (b < 0) != (m < 0) {
        m + b
    } else {
        m
    }
}

// ----- pow --------------------------------------------------------------

/// `base ** exponent` for Tensor^Tensor, Tensor^Scalar and Scalar^Tensor.
/// Integer results use exact integer powers (wrapping); a negative Python
/// int exponent of an integer tensor is an error, a negative element of an
/// integer exponent tensor gives PyTorch's 0 / ±1.
pub fn pow(base: &Operand, exponent: &Operand) -> Result<Tensor> {
    let plan = Plan::new("pow", [base, exponent])?;
    let out = plan.common();
    if let Operand::Scalar(e) = exponent {
        ensure!(
            out.is_float() || e.to_f64() >= 0.0,
            "pow",
            "integers to negative integer powers are not allowed (exponent {e}, dtype {out})"
        );
        if out.is_float() {
            let e = e.to_f64();
            return if e == 2.0 {
                map_kinds!(plan, out, |x, _e| { float: x * x, })
            } else if e == 3.0 {
                map_kinds!(plan, out, |x, _e| { float: x * x * x, })
            } else {
                map_kinds!(plan.cost(8), out, |x, y| { float: x.powf(y), })
            };
        }
    }
    map_kinds!(plan.cost(8), out, |x, y| {
        float: x.powf(y),
        int: powi(x, y),
    })
}

/// Integer power by squaring (wrapping), with PyTorch's rule for negative
/// exponents: 1 for base 1, ±1 for base -1, 0 otherwise.
#[inline(always)]
pub fn powi(mut base: i64, mut exp: i64) -> i64 {
    if exp < 0 {
        return match base {
            1 => 1,
            -1 if exp % 2 != 0 => -1,
            -1 => 1,
            _ => 0,
        };
    }
    let mut r: i64 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            r = r.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_floor_and_remainder_follow_python() {
        for (a, b) in [(7, 2), (-7, 2), (7, -2), (-7, -2), (6, 3), (-6, 3), (0, -5)] {
            assert_eq!(floor_div_int(a, b), (a as f64 / b as f64).floor() as i64, "{a} // {b}");
            assert_eq!(floor_div_int(a, b) * b + rem_int(a, b), a);
        }
        assert_eq!(floor_div_int(i64::MIN, -1), i64::MIN);
    }

    #[test]
    fn float_floor_division_matches_fmod() {
        assert_eq!(floor_div_float(-7.0f64, 2.0), -4.0);
        assert_eq!(floor_div_float(7.5f32, -2.0), -4.0);
        assert!(floor_div_float(-0.0f64, 1.0).is_sign_negative());
        assert_eq!(floor_div_float(1.0f64, 0.0), f64::INFINITY);
        assert_eq!(rem_float(-5.0f64, f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn integer_powers() {
        assert_eq!(powi(3, 4), 81);
        assert_eq!(powi(-1, -3), -1);
        assert_eq!(powi(-1, -2), 1);
        assert_eq!(powi(5, -1), 0);
        assert_eq!(powi(2, 64), 0);
    }
}
