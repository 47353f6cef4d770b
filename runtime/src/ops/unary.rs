//! Unary math ops with PyTorch's semantics: transcendental functions
//! (`exp`, `log`, `sin`, `sigmoid`, `erf`, ...), rounding (`floor`,
//! `round` incl. `decimals=`), sign and magnitude (`abs`, `neg`, `sign`),
//! classification (`isnan`, `isinf`, `signbit`, ...), `nan_to_num`,
//! `logical_not`, `bitwise_not`, `lgamma`/`digamma`/`erfinv`.
//!
//! Dtypes: float ops on integer/bool tensors give float32; `abs neg sign
//! floor ceil round trunc square` keep integer dtypes; f16/bf16 compute in
//! f32 and round back. The map engine lives in `unary/map.rs` (shared with
//! `activation.rs`), the special functions in `unary/special.rs`.

mod map;
mod special;

pub(crate) use map::{
    float_map, float_only, float_zip, int_map, keep_map, map, pred_map, real, reject_bool, require_float, Pair, Real,
    CHEAP, SPECIAL, TRANSCENDENTAL,
};

use super::{Args, OpDef};
use crate::{bail, DType, Result, Tensor, Value};
use tsc_kernels::unary::Unary;

/// Defines `pub fn $name(x: &Tensor) -> Result<Tensor>` for float ops
/// (integer and bool inputs give float32).
macro_rules! float_ops {
    ($($(#[$doc:meta])* $name:ident: $kernel:expr, $cost:expr, |$x:ident| $body:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(x: &Tensor) -> Result<Tensor> {
                float_map(x, $kernel, $cost, real!(|$x| $body))
            }
        )*
    };
}

float_ops! {
    exp: Some(Unary::Exp), TRANSCENDENTAL, |v| v.exp();
    exp2: None, TRANSCENDENTAL, |v| v.exp2();
    expm1: None, TRANSCENDENTAL, |v| v.exp_m1();
    log: Some(Unary::Log), TRANSCENDENTAL, |v| v.ln();
    log2: None, TRANSCENDENTAL, |v| v.log2();
    log10: None, TRANSCENDENTAL, |v| v.log10();
    log1p: None, TRANSCENDENTAL, |v| v.ln_1p();
    sqrt: None, CHEAP, |v| v.sqrt();
    /// `1 / sqrt(x)` (so `rsqrt(-0.0)` is `-inf`, as in PyTorch).
    rsqrt: None, CHEAP, |v| R::c(1.0) / v.sqrt();
    sin: None, TRANSCENDENTAL, |v| v.sin();
    cos: None, TRANSCENDENTAL, |v| v.cos();
    tan: None, TRANSCENDENTAL, |v| v.tan();
    asin: None, TRANSCENDENTAL, |v| v.asin();
    acos: None, TRANSCENDENTAL, |v| v.acos();
    atan: None, TRANSCENDENTAL, |v| v.atan();
    sinh: None, TRANSCENDENTAL, |v| v.sinh();
    cosh: None, TRANSCENDENTAL, |v| v.cosh();
    tanh: Some(Unary::Tanh), TRANSCENDENTAL, |v| v.tanh();
    asinh: None, TRANSCENDENTAL, |v| v.asinh();
    acosh: None, TRANSCENDENTAL, |v| v.acosh();
    atanh: None, TRANSCENDENTAL, |v| v.atanh();
    /// `1 / (1 + exp(-x))`.
    sigmoid: Some(Unary::Sigmoid), TRANSCENDENTAL, |v| R::c(1.0) / (R::c(1.0) + (-v).exp());
    erf: Some(Unary::Erf), TRANSCENDENTAL, |v| v.sp_erf();
    erfc: None, SPECIAL, |v| v.sp_erfc();
    /// Inverse of `erf` on [-1, 1] (±1 → ±inf, outside → NaN).
    erfinv: None, SPECIAL, |v| v.sp_erfinv();
    /// `ln|Γ(x)|`.
    lgamma: None, SPECIAL, |v| v.sp_lgamma();
    digamma: None, SPECIAL, |v| v.sp_digamma();
    reciprocal: None, CHEAP, |v| R::c(1.0) / v;
    /// `x · (π/180)`, the factor rounded to the compute type first.
    deg2rad: None, CHEAP, |v| v * R::c(std::f64::consts::PI / 180.0);
    rad2deg: None, CHEAP, |v| v * R::c(180.0 / std::f64::consts::PI);
}

// ----- ops that keep integer dtypes -------------------------------------

/// `-x`; integers wrap; bool is an error (PyTorch suggests `~` / `logical_not`).
pub fn neg(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::Bool {
        bail!("neg", "negation of a bool tensor is not supported; use `~` or logical_not() instead");
    }
    keep_map("neg", x, CHEAP, real!(|v| -v), i64::wrapping_neg)
}

/// `|x|`; integers wrap (`abs(i64::MIN)` stays `i64::MIN`).
pub fn abs(x: &Tensor) -> Result<Tensor> {
    keep_map("abs", x, CHEAP, real!(|v| v.abs()), i64::wrapping_abs)
}

pub fn floor(x: &Tensor) -> Result<Tensor> {
    keep_map("floor", x, CHEAP, real!(|v| v.floor()), |v| v)
}

pub fn ceil(x: &Tensor) -> Result<Tensor> {
    keep_map("ceil", x, CHEAP, real!(|v| v.ceil()), |v| v)
}

pub fn trunc(x: &Tensor) -> Result<Tensor> {
    keep_map("trunc", x, CHEAP, real!(|v| v.trunc()), |v| v)
}

/// Round half to even (`nearbyint`).
pub fn round(x: &Tensor) -> Result<Tensor> {
    keep_map("round", x, CHEAP, real!(|v| v.round_ties_even()), |v| v)
}

/// `round(x, decimals=d)`: `nearbyint(x·10^d) / 10^d` (for `d < 0`,
/// `nearbyint(x / 10^-d) · 10^-d`), in the tensor's float type. Floats only.
pub fn round_decimals(x: &Tensor, decimals: i64) -> Result<Tensor> {
    require_float("round", x)?;
    let p = 10f64.powf(decimals.unsigned_abs() as f64);
    if decimals >= 0 {
        float_map(x, None, CHEAP, real!(|v| (v * R::c(p)).round_ties_even() / R::c(p)))
    } else {
        float_map(x, None, CHEAP, real!(|v| (v / R::c(p)).round_ties_even() * R::c(p)))
    }
}

/// `x - trunc(x)`; floats only.
pub fn frac(x: &Tensor) -> Result<Tensor> {
    float_only("frac", x, None, CHEAP, real!(|v| v - v.trunc()))
}

/// `x * x`; integers wrap; bool gives int64 (as `pow(bool, 2)` does).
pub fn square(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::Bool {
        return map::<i64, i64>(x, CHEAP, |v| v * v);
    }
    keep_map("square", x, CHEAP, real!(|v| v * v), |v| v.wrapping_mul(v))
}

/// -1, 0 or 1 (NaN → 0, as PyTorch's `(0 < x) - (x < 0)`); bool is kept.
pub fn sign(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::Bool {
        return Ok(x.copy_as(DType::Bool));
    }
    let s = real!(|v| {
        let z = R::c(0.0);
        R::c(((z < v) as i32 - (v < z) as i32) as f64)
    });
    keep_map("sign", x, CHEAP, s, i64::signum)
}

/// `sgn`: `sign` for real tensors.
pub fn sgn(x: &Tensor) -> Result<Tensor> {
    sign(x)
}

/// `+x`: `x` itself (bool is an error, as in PyTorch).
pub fn positive(x: &Tensor) -> Result<Tensor> {
    if x.dtype() == DType::Bool {
        bail!("positive", "the `+` operator on a bool tensor is not supported");
    }
    Ok(x.clone())
}

// ----- predicates --------------------------------------------------------

pub fn isnan(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v.is_nan()), |_| false)
}

pub fn isinf(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v.is_infinite()), |_| false)
}

pub fn isfinite(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v.is_finite()), |_| true)
}

pub fn isposinf(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v == R::INFINITY), |_| false)
}

pub fn isneginf(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v == R::NEG_INFINITY), |_| false)
}

/// Whether the sign bit is set (`-0.0` and `-nan` count).
pub fn signbit(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v.is_sign_negative()), |v| v < 0)
}

/// All true: every supported dtype is real.
pub fn isreal(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|_v| true), |_| true)
}

/// `x == 0` as bool (NaN is "true", so its negation is false).
pub fn logical_not(x: &Tensor) -> Result<Tensor> {
    pred_map(x, real!(|v| v == R::c(0.0)), |v| v == 0)
}

/// `~x` on integer and bool tensors.
pub fn bitwise_not(x: &Tensor) -> Result<Tensor> {
    match x.dtype() {
        DType::Bool => map::<bool, bool>(x, CHEAP, |b| !b),
        d if d.is_int() => int_map("bitwise_not", x, CHEAP, |v| !v),
        d => bail!("bitwise_not", "not implemented for {d} tensors (needs an integer or bool dtype)"),
    }
}

/// The largest finite value of a float dtype, as f64.
fn finite_max(d: DType) -> f64 {
    match d {
        DType::F16 => half::f16::MAX.to_f64(),
        DType::BF16 => half::bf16::MAX.to_f64(),
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    }
}

/// Replaces NaN by `nan` (default 0), +inf by `posinf` and -inf by `neginf`
/// (default: the dtype's largest/lowest finite value). Non-float inputs are
/// returned as a copy.
pub fn nan_to_num(x: &Tensor, nan: Option<f64>, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Ok(x.copy_as(x.dtype()));
    }
    let big = finite_max(x.dtype());
    let (n, p, m) = (nan.unwrap_or(0.0), posinf.unwrap_or(big), neginf.unwrap_or(-big));
    float_map(
        x,
        None,
        CHEAP,
        real!(|v| if v.is_nan() {
            R::c(n)
        } else if v == R::INFINITY {
            R::c(p)
        } else if v == R::NEG_INFINITY {
            R::c(m)
        } else {
            v
        }),
    )
}

// ----- registry ------------------------------------------------------------

/// Runs a one-tensor op.
fn t1(a: &Args, f: fn(&Tensor) -> Result<Tensor>) -> Result<Value> {
    Ok(Value::Tensor(f(a.tensor(0)?)?))
}

/// `OpDef` for `name(Tensor self) -> Tensor` running `f`.
macro_rules! u {
    ($name:literal, $f:path) => {
        OpDef { schema: concat!($name, "(Tensor self) -> Tensor"), run: |a| t1(a, $f) }
    };
}

pub(crate) const OPS: &[OpDef] = &[
    u!("neg", neg),
    u!("negative", neg),
    u!("abs", abs),
    u!("absolute", abs),
    u!("exp", exp),
    u!("exp2", exp2),
    u!("expm1", expm1),
    u!("log", log),
    u!("log2", log2),
    u!("log10", log10),
    u!("log1p", log1p),
    u!("sqrt", sqrt),
    u!("rsqrt", rsqrt),
    u!("sin", sin),
    u!("cos", cos),
    u!("tan", tan),
    u!("asin", asin),
    u!("arcsin", asin),
    u!("acos", acos),
    u!("arccos", acos),
    u!("atan", atan),
    u!("arctan", atan),
    u!("sinh", sinh),
    u!("cosh", cosh),
    u!("tanh", tanh),
    u!("asinh", asinh),
    u!("arcsinh", asinh),
    u!("acosh", acosh),
    u!("arccosh", acosh),
    u!("atanh", atanh),
    u!("arctanh", atanh),
    u!("sigmoid", sigmoid),
    u!("erf", erf),
    u!("erfc", erfc),
    u!("erfinv", erfinv),
    u!("lgamma", lgamma),
    u!("digamma", digamma),
    u!("floor", floor),
    u!("ceil", ceil),
    u!("round", round),
    OpDef { schema: "round.decimals(Tensor self, *, int decimals) -> Tensor", run: |a| Ok(round_decimals(a.tensor(0)?, a.int(1)?)?.into()) },
    u!("trunc", trunc),
    u!("fix", trunc),
    u!("frac", frac),
    u!("sign", sign),
    u!("sgn", sgn),
    u!("reciprocal", reciprocal),
    u!("square", square),
    u!("positive", positive),
    u!("isnan", isnan),
    u!("isinf", isinf),
    u!("isfinite", isfinite),
    u!("isposinf", isposinf),
    u!("isneginf", isneginf),
    u!("isreal", isreal),
    u!("signbit", signbit),
    OpDef {
        schema: "nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor",
        run: |a| Ok(nan_to_num(a.tensor(0)?, a.opt_float(1)?, a.opt_float(2)?, a.opt_float(3)?)?.into()),
    },
    u!("logical_not", logical_not),
    u!("bitwise_not", bitwise_not),
    u!("deg2rad", deg2rad),
    u!("rad2deg", rad2deg),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::call;

    fn t(v: Vec<f32>) -> Tensor {
        let n = v.len();
        Tensor::from_vec(v, &[n]).unwrap()
    }

    #[test]
    fn round_is_half_to_even_with_decimals() {
        let x = t(vec![0.5, 1.5, 2.5, -0.5, 1.2345]);
        assert_eq!(round(&x).unwrap().to_vec::<f32>(), vec![0., 2., 2., -0., 1.]);
        let r = round_decimals(&t(vec![250.0, 150.0]), -2).unwrap();
        assert_eq!(r.to_vec::<f32>(), vec![200., 200.]);
        assert!(round_decimals(&Tensor::from_vec(vec![1i64], &[1]).unwrap(), 1).is_err());
    }

    #[test]
    fn integer_dtypes_are_kept_or_promoted() {
        let i = Tensor::from_vec(vec![-3i32, 0, 4], &[3]).unwrap();
        assert_eq!(abs(&i).unwrap().dtype(), DType::I32);
        assert_eq!(floor(&i).unwrap().to_vec::<i64>(), vec![-3, 0, 4]);
        assert_eq!(sqrt(&i).unwrap().dtype(), DType::F32);
        let b = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        assert!(neg(&b).is_err());
        assert_eq!(square(&b).unwrap().dtype(), DType::I64);
        assert!(bitwise_not(&t(vec![1.0])).is_err());
    }

    #[test]
    fn schemas_bind_and_inplace_is_derived() {
        let x = t(vec![1.0, 4.0]);
        call("sqrt_", &[Value::Tensor(x.clone())], &[]).unwrap();
        assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0]);
        let r = call("round", &[Value::Tensor(t(vec![1.26]))], &[("decimals", Value::Int(1))]).unwrap();
        assert!((r.as_tensor().unwrap().to_vec::<f32>()[0] - 1.3).abs() < 1e-6);
        let r = call("nan_to_num", &[Value::Tensor(t(vec![f32::NAN, f32::INFINITY]))], &[("nan", Value::Float(2.0))]).unwrap();
        assert_eq!(r.as_tensor().unwrap().to_vec::<f32>(), vec![2.0, f32::MAX]);
    }
}
