//! Comparisons and selection with PyTorch's semantics: `eq ne lt le gt ge`
//! (and their aliases) against tensors or Python numbers, producing bool;
//! `logical_and/or/xor`; `where` and `masked_fill` (with c10's
//! overflow-checked scalar conversion); `clamp`/`clip`, `clamp_min`,
//! `clamp_max` (NaN propagates, PyTorch's range rules for integer bounds);
//! `isclose`, `allclose`, `equal`.
//!
//! Everything compares in the promoted dtype (`torch.result_type`), so
//! `int8_tensor > 1000` compares against `1000 as i8` exactly as PyTorch does.

use super::elementwise::{check_scalar_fits, int_range, map_kinds, max_nan, min_nan, not_implemented, result_type, Float, Plan, ScalarMode};
use super::{Args, OpDef, Operand};
use crate::{ensure, DType, Result, Scalar, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "eq.Tensor(Tensor self, Tensor other) -> Tensor", run: run_eq },
    OpDef { schema: "eq.Scalar(Tensor self, Scalar other) -> Tensor", run: run_eq },
    OpDef { schema: "ne.Tensor(Tensor self, Tensor other) -> Tensor", run: run_ne },
    OpDef { schema: "ne.Scalar(Tensor self, Scalar other) -> Tensor", run: run_ne },
    OpDef { schema: "not_equal.Tensor(Tensor self, Tensor other) -> Tensor", run: run_ne },
    OpDef { schema: "not_equal.Scalar(Tensor self, Scalar other) -> Tensor", run: run_ne },
    OpDef { schema: "lt.Tensor(Tensor self, Tensor other) -> Tensor", run: run_lt },
    OpDef { schema: "lt.Scalar(Tensor self, Scalar other) -> Tensor", run: run_lt },
    OpDef { schema: "less.Tensor(Tensor self, Tensor other) -> Tensor", run: run_lt },
    OpDef { schema: "less.Scalar(Tensor self, Scalar other) -> Tensor", run: run_lt },
    OpDef { schema: "le.Tensor(Tensor self, Tensor other) -> Tensor", run: run_le },
    OpDef { schema: "le.Scalar(Tensor self, Scalar other) -> Tensor", run: run_le },
    OpDef { schema: "less_equal.Tensor(Tensor self, Tensor other) -> Tensor", run: run_le },
    OpDef { schema: "less_equal.Scalar(Tensor self, Scalar other) -> Tensor", run: run_le },
    OpDef { schema: "gt.Tensor(Tensor self, Tensor other) -> Tensor", run: run_gt },
    OpDef { schema: "gt.Scalar(Tensor self, Scalar other) -> Tensor", run: run_gt },
    OpDef { schema: "greater.Tensor(Tensor self, Tensor other) -> Tensor", run: run_gt },
    OpDef { schema: "greater.Scalar(Tensor self, Scalar other) -> Tensor", run: run_gt },
    OpDef { schema: "ge.Tensor(Tensor self, Tensor other) -> Tensor", run: run_ge },
    OpDef { schema: "ge.Scalar(Tensor self, Scalar other) -> Tensor", run: run_ge },
    OpDef { schema: "greater_equal.Tensor(Tensor self, Tensor other) -> Tensor", run: run_ge },
    OpDef { schema: "greater_equal.Scalar(Tensor self, Scalar other) -> Tensor", run: run_ge },
    OpDef { schema: "logical_and(Tensor self, Tensor other) -> Tensor", run: run_logical_and },
    OpDef { schema: "logical_or(Tensor self, Tensor other) -> Tensor", run: run_logical_or },
    OpDef { schema: "logical_xor(Tensor self, Tensor other) -> Tensor", run: run_logical_xor },
    OpDef { schema: "where.self(Tensor condition, Tensor self, Tensor other) -> Tensor", run: run_where },
    OpDef { schema: "where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor", run: run_where },
    OpDef { schema: "where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor", run: run_where },
    OpDef { schema: "where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor", run: run_where },
    // `torch.where(condition, input, other)` spells the second argument `input`.
    OpDef { schema: "where.input(Tensor condition, Any input, Any other) -> Tensor", run: run_where },
    OpDef { schema: "masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor", run: run_masked_fill },
    OpDef { schema: "masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor", run: run_masked_fill },
    OpDef { schema: "clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", run: run_clamp },
    OpDef { schema: "clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", run: run_clamp },
    // A Python number next to a tensor bound (`clamp(x, 0, t)`).
    OpDef { schema: "clamp.Mixed(Tensor self, Any min=None, Any max=None) -> Tensor", run: run_clamp },
    OpDef { schema: "clip(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", run: run_clip },
    OpDef { schema: "clip.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", run: run_clip },
    OpDef { schema: "clip.Mixed(Tensor self, Any min=None, Any max=None) -> Tensor", run: run_clip },
    OpDef { schema: "clamp_min(Tensor self, Scalar min) -> Tensor", run: run_clamp_min },
    OpDef { schema: "clamp_min.Tensor(Tensor self, Tensor min) -> Tensor", run: run_clamp_min },
    OpDef { schema: "clamp_max(Tensor self, Scalar max) -> Tensor", run: run_clamp_max },
    OpDef { schema: "clamp_max.Tensor(Tensor self, Tensor max) -> Tensor", run: run_clamp_max },
    OpDef {
        schema: "isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False) -> Tensor",
        run: run_isclose,
    },
    OpDef {
        schema: "allclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False) -> bool",
        run: run_allclose,
    },
    OpDef { schema: "equal(Tensor self, Tensor other) -> bool", run: run_equal },
];

super::binary::run_binary!(
    run_eq => eq,
    run_ne => ne,
    run_lt => lt,
    run_le => le,
    run_gt => gt,
    run_ge => ge,
    run_logical_and => logical_and,
    run_logical_or => logical_or,
    run_logical_xor => logical_xor,
);

fn run_where(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(r#where(a.tensor(0)?, &a.operand(1)?, &a.operand(2)?)?))
}
fn run_masked_fill(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(masked_fill(a.tensor(0)?, a.tensor(1)?, &a.operand(2)?)?))
}
fn opt_operand(a: &Args, i: usize) -> Result<Option<Operand>> {
    match a.value(i)? {
        Value::None => Ok(None),
        _ => a.operand(i).map(Some),
    }
}
fn run_clamp_as(a: &Args, op: &'static str) -> Result<Value> {
    let (min, max) = (opt_operand(a, 1)?, opt_operand(a, 2)?);
    Ok(Value::Tensor(clamp_op(op, a.tensor(0)?, min.as_ref(), max.as_ref())?))
}
fn run_clamp(a: &Args) -> Result<Value> {
    run_clamp_as(a, "clamp")
}
fn run_clip(a: &Args) -> Result<Value> {
    run_clamp_as(a, "clip")
}
fn run_clamp_min(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(clamp_op("clamp_min", a.tensor(0)?, Some(&a.operand(1)?), None)?))
}
fn run_clamp_max(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(clamp_op("clamp_max", a.tensor(0)?, None, Some(&a.operand(1)?))?))
}
fn run_isclose(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(isclose(a.tensor(0)?, a.tensor(1)?, a.float(2)?, a.float(3)?, a.bool(4)?)?))
}
fn run_allclose(a: &Args) -> Result<Value> {
    Ok(Value::Bool(allclose(a.tensor(0)?, a.tensor(1)?, a.float(2)?, a.float(3)?, a.bool(4)?)?))
}
fn run_equal(a: &Args) -> Result<Value> {
    Ok(Value::Bool(equal(a.tensor(0)?, a.tensor(1)?)?))
}

// ----- comparisons ------------------------------------------------------

macro_rules! comparison {
    ($($(#[$doc:meta])* $name:ident, $cmp:tt;)*) => {$(
        $(#[$doc])*
        pub fn $name(a: &Operand, b: &Operand) -> Result<Tensor> {
            let plan = Plan::new(stringify!($name), [a, b])?;
            map_kinds!(plan, DType::Bool, |x, y| {
                float: x $cmp y,
                int: x $cmp y,
                bool: x $cmp y,
            })
        }
    )*};
}

comparison! {
    /// `a == b` (NaN is unequal to everything).
    eq, ==;
    /// `a != b`.
    ne, !=;
    /// `a < b`.
    lt, <;
    /// `a <= b`.
    le, <=;
    /// `a > b`.
    gt, >;
    /// `a >= b`.
    ge, >=;
}

macro_rules! logical {
    ($($(#[$doc:meta])* $name:ident, $op:tt;)*) => {$(
        $(#[$doc])*
        pub fn $name(a: &Operand, b: &Operand) -> Result<Tensor> {
            let plan = Plan::new(stringify!($name), [a, b])?;
            map_kinds!(plan, DType::Bool, |x, y| {
                float: (x != 0.0) $op (y != 0.0),
                int: (x != 0) $op (y != 0),
                bool: x $op y,
            })
        }
    )*};
}

logical! {
    /// Both nonzero.
    logical_and, &;
    /// Either nonzero.
    logical_or, |;
    /// Exactly one nonzero.
    logical_xor, ^;
}

// ----- where / masked_fill ------------------------------------------------

/// `torch.where(condition, a, b)`: `a` where `condition` (a bool tensor) is
/// true, else `b`; the result has the promoted dtype of `a` and `b`, and a
/// Python number must fit it (PyTorch does not check float16/bfloat16:
/// too-large numbers become infinities there).
pub fn r#where(condition: &Tensor, a: &Operand, b: &Operand) -> Result<Tensor> {
    ensure!(
        condition.dtype() == DType::Bool,
        "where",
        "expected condition to be a bool tensor, but got a tensor with dtype {}",
        condition.dtype()
    );
    let out = result_type(&[a, b]);
    let fill_check = if matches!(out, DType::F16 | DType::BF16) { DType::F64 } else { out };
    for o in [a, b] {
        if let Operand::Scalar(s) = o {
            check_scalar_fits("where", *s, fill_check)?;
        }
    }
    select(Plan::with_dtype("where", [&condition.into(), a, b], out, ScalarMode::Common)?)
}

/// `self` with `value` where `mask` (bool, broadcast with `self`) is true.
/// `value` is a Python number or a 0-d tensor and must fit `self`'s dtype.
pub fn masked_fill(x: &Tensor, mask: &Tensor, value: &Operand) -> Result<Tensor> {
    ensure!(
        mask.dtype() == DType::Bool,
        "masked_fill",
        "only supports boolean masks, but got mask with dtype {}",
        mask.dtype()
    );
    let v = match value {
        Operand::Scalar(s) => *s,
        Operand::Tensor(t) => {
            ensure!(
                t.ndim() == 0,
                "masked_fill",
                "only supports a 0-dimensional value tensor, but got tensor with {} dimension(s)",
                t.ndim()
            );
            t.item()?
        }
    };
    let out = x.dtype();
    check_scalar_fits("masked_fill", v, out)?;
    let operands = [&mask.into(), &x.into(), &Operand::Scalar(v)];
    // The result is `select(mask, value, self)`.
    let plan = Plan::with_dtype("masked_fill", [operands[0], operands[2], operands[1]], out, ScalarMode::Common)?;
    select(plan)
}

/// Runs `condition ? a : b` over a plan of (condition, a, b).
fn select(plan: Plan<3>) -> Result<Tensor> {
    let out = plan.common();
    map_kinds!(plan, out, |c, x, y| {
        float: if c != 0.0 { x } else { y },
        int: if c != 0 { x } else { y },
        bool: if c { x } else { y },
    })
}

// ----- clamp --------------------------------------------------------------

/// `min(max(x, min), max)` with either bound optional (not both absent):
/// the result dtype promotes over `x` and the bounds; NaN in `x` or a
/// bound gives NaN; `min > max` gives `max`.
pub fn clamp(x: &Tensor, min: Option<&Operand>, max: Option<&Operand>) -> Result<Tensor> {
    clamp_op("clamp", x, min, max)
}

/// `clamp(x, min=min)`.
pub fn clamp_min(x: &Tensor, min: &Operand) -> Result<Tensor> {
    clamp_op("clamp_min", x, Some(min), None)
}

/// `clamp(x, max=max)`.
pub fn clamp_max(x: &Tensor, max: &Operand) -> Result<Tensor> {
    clamp_op("clamp_max", x, None, Some(max))
}

fn clamp_op(op: &'static str, x: &Tensor, min: Option<&Operand>, max: Option<&Operand>) -> Result<Tensor> {
    ensure!(min.is_some() || max.is_some(), op, "at least one of 'min' or 'max' must not be None");
    let xo = Operand::from(x);
    let mut all: Vec<&Operand> = vec![&xo];
    all.extend(min);
    all.extend(max);
    let out = result_type(&all);
    if out == DType::Bool {
        return Err(not_implemented(op, out));
    }
    // Python-number bounds (PyTorch's Scalar overload) are range-checked.
    let scalar_bounds = min.into_iter().chain(max).all(|o| matches!(o, Operand::Scalar(_)));
    let bound = |o: Option<&Operand>, is_min: bool| -> Result<Option<Operand>> {
        match o {
            Some(Operand::Scalar(s)) if scalar_bounds => scalar_bound(op, *s, out, is_min).map(Some),
            other => Ok(other.cloned()),
        }
    };
    let (lo, hi) = (bound(min, true)?, bound(max, false)?);
    match (&lo, &hi) {
        (Some(lo), Some(hi)) => {
            let plan = Plan::with_dtype(op, [&xo, lo, hi], out, ScalarMode::Common)?;
            map_kinds!(plan, out, |v, l, h| {
                float: min_nan(max_nan(v, l), h),
                int: v.max(l).min(h),
            })
        }
        (Some(lo), None) => {
            let plan = Plan::with_dtype(op, [&xo, lo], out, ScalarMode::Common)?;
            map_kinds!(plan, out, |v, l| { float: max_nan(v, l), int: v.max(l), })
        }
        (None, Some(hi)) => {
            let plan = Plan::with_dtype(op, [&xo, hi], out, ScalarMode::Common)?;
            map_kinds!(plan, out, |v, h| { float: min_nan(v, h), int: v.min(h), })
        }
        (None, None) => Err(crate::Error::op(op, "at least one of 'min' or 'max' must not be None")),
    }
}

/// A Python-number clamp bound for result dtype `out`: for integer results
/// a `min` above the type's range (or a `max` below it) is an error and the
/// bound saturates into the range; for floats it must convert without
/// overflow.
fn scalar_bound(op: &str, s: Scalar, out: DType, is_min: bool) -> Result<Operand> {
    if let Some((lo, hi)) = int_range(out) {
        let v = s.to_i64();
        let (name, bad) = if is_min { ("min", v > hi) } else { ("max", v < lo) };
        ensure!(!bad, op, "clamp {name} value {v} is outside the representable range of {out}");
        return Ok(Operand::Scalar(Scalar::Int(v.clamp(lo, hi))));
    }
    check_scalar_fits(op, s, out)?;
    Ok(Operand::Scalar(s))
}

// ----- isclose / allclose / equal -------------------------------------------

/// `|a - b| <= atol + rtol * |b|` (or exactly equal; NaNs equal when
/// `equal_nan`), computed like PyTorch in the dtype of the inputs, which
/// must match; integer and bool inputs compare in float32.
pub fn isclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    ensure!(a.dtype() == b.dtype(), "isclose", "{} did not match {}", a.dtype(), b.dtype());
    ensure!(rtol >= 0.0, "isclose", "rtol must be greater than or equal to zero, but got {rtol}");
    ensure!(atol >= 0.0, "isclose", "atol must be greater than or equal to zero, but got {atol}");
    if !a.dtype().is_float() && (rtol != 0.0 || atol != 0.0) {
        return isclose(&a.to_dtype(DType::F32), &b.to_dtype(DType::F32), rtol, atol, equal_nan);
    }
    let plan = Plan::new("isclose", [&a.into(), &b.into()])?;
    let exact = rtol == 0.0 && atol == 0.0;
    let tol = Tol { rtol, atol, equal_nan, exact };
    let round = RoundTo(plan.common());
    map_kinds!(plan, DType::Bool, |x, y| {
        float: tol.close_float(x, y, &round),
        int: x == y,
        bool: x == y,
    })
}

/// `isclose(...).all()`.
pub fn allclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<bool> {
    let c = isclose(a, b, rtol, atol, equal_nan)?;
    Ok(c.with_slice::<bool, _>(|v| v.iter().all(|&x| x)))
}

/// Same shape and equal elements (after promotion); never broadcasts.
pub fn equal(a: &Tensor, b: &Tensor) -> Result<bool> {
    if a.shape() != b.shape() {
        return Ok(false);
    }
    let e = eq(&a.into(), &b.into())?;
    Ok(e.with_slice::<bool, _>(|v| v.iter().all(|&x| x)))
}

struct Tol {
    rtol: f64,
    atol: f64,
    equal_nan: bool,
    exact: bool,
}

impl Tol {
    /// PyTorch's steps, each rounded to the input dtype: `close = a == b`,
    /// `| (equal_nan & both NaN)`, `| isfinite(|a-b|) & |a-b| <= atol + |rtol*b|`.
    #[inline(always)]
    fn close_float<F: Float>(&self, x: F, y: F, round: &RoundTo) -> bool {
        if x == y || (self.equal_nan && x.is_nan() && y.is_nan()) {
            return true;
        }
        if self.exact {
            return false;
        }
        let allowed = round.apply(round.apply(F::of(self.atol)) + round.apply(F::of(self.rtol) * y).abs());
        let actual = round.apply(x - y).abs();
        actual.is_finite() && actual <= allowed
    }
}

/// Rounds a compute value to a float16/bfloat16 common dtype (identity
/// for float32/float64), emulating PyTorch's per-op rounding.
struct RoundTo(DType);

impl RoundTo {
    #[inline(always)]
    fn apply<F: Float>(&self, v: F) -> F {
        match self.0 {
            DType::F16 => F::of(half::f16::from_f64(v.to_f64()).to_f64()),
            DType::BF16 => F::of(half::bf16::from_f64(v.to_f64()).to_f64()),
            _ => v,
        }
    }
}
