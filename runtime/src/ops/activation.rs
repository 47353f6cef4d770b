//! Activation functions with `torch.nn.functional`'s names, arguments and
//! numerics: `relu relu6 gelu silu mish leaky_relu elu selu celu softplus
//! hardtanh hardswish hardsigmoid softsign tanhshrink hardshrink softshrink
//! threshold logsigmoid glu prelu rrelu` (eval mode).
//!
//! Schemas use F's spellings (`input`, `inplace=False`); `inplace=True`
//! writes the result into the input and returns it. `relu`, `relu6`,
//! `hardtanh` and `threshold` also take integer tensors (kept); `softsign`
//! and `tanhshrink` give float32 for them; the rest need floats. Elementwise
//! loops run on the unary-map engine of `unary.rs`.

use super::unary::{float_map, float_only, float_zip, int_map, real, reject_bool, require_float, CHEAP, TRANSCENDENTAL};
use super::{Args, OpDef};
use crate::shape::wrap_dim;
use crate::{bail, ensure, DType, Result, Tensor, Value};
use tsc_kernels::unary::Unary;

/// SELU's constants (Klambauer et al.), as in PyTorch.
const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

/// `max(x, 0)` (NaN stays NaN); integer dtypes are kept.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    reject_bool("relu", x)?;
    if x.dtype().is_int() {
        return int_map("relu", x, CHEAP, |v| v.max(0));
    }
    float_map(x, Some(Unary::Relu), CHEAP, real!(|v| if v > R::c(0.0) || v.is_nan() { v } else { R::c(0.0) }))
}

/// `clamp(x, min_val, max_val)`, NaN kept; for integer tensors the bounds
/// are truncated to integers first (as PyTorch casts the Scalars).
pub fn hardtanh(x: &Tensor, min_val: f64, max_val: f64) -> Result<Tensor> {
    reject_bool("hardtanh", x)?;
    ensure!(min_val <= max_val, "hardtanh", "min_val ({min_val}) cannot be greater than max_val ({max_val})");
    if x.dtype().is_int() {
        let (lo, hi) = (min_val as i64, max_val as i64);
        return int_map("hardtanh", x, CHEAP, move |v| v.clamp(lo, hi));
    }
    float_map(x, None, CHEAP, real!(|v| v.clamp_nan(R::c(min_val), R::c(max_val))))
}

/// `hardtanh(x, 0, 6)`.
pub fn relu6(x: &Tensor) -> Result<Tensor> {
    hardtanh(x, 0.0, 6.0)
}

/// `x·Φ(x)` with `approximate = "none"` (erf) or `"tanh"`.
pub fn gelu(x: &Tensor, approximate: &str) -> Result<Tensor> {
    match approximate {
        "none" => float_only(
            "gelu",
            x,
            Some(Unary::Gelu),
            TRANSCENDENTAL,
            real!(|v| v * R::c(0.5) * (R::c(1.0) + (v * R::c(std::f64::consts::FRAC_1_SQRT_2)).sp_erf())),
        ),
        "tanh" => {
            // sqrt(2/π) and the cubic coefficient of the tanh approximation.
            let beta = std::f64::consts::SQRT_2 * std::f64::consts::FRAC_2_SQRT_PI * 0.5;
            let kappa = 0.044715;
            float_only(
                "gelu",
                x,
                Some(Unary::GeluTanh),
                TRANSCENDENTAL,
                real!(|v| {
                    let inner = R::c(beta) * (v + R::c(kappa) * v * v * v);
                    R::c(0.5) * v * (R::c(1.0) + inner.tanh())
                }),
            )
        }
        other => bail!("gelu", "approximate argument must be either 'none' or 'tanh', got '{other}'"),
    }
}

/// `x·sigmoid(x)`.
pub fn silu(x: &Tensor) -> Result<Tensor> {
    float_only("silu", x, Some(Unary::Silu), TRANSCENDENTAL, real!(|v| v / (R::c(1.0) + (-v).exp())))
}

/// `x·tanh(softplus(x))`.
pub fn mish(x: &Tensor) -> Result<Tensor> {
    float_only("mish", x, None, TRANSCENDENTAL, real!(|v| v * v.exp().ln_1p().tanh()))
}

/// `x > 0 ? x : x·negative_slope`.
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Result<Tensor> {
    float_only("leaky_relu", x, None, CHEAP, real!(|v| if v > R::c(0.0) { v } else { v * R::c(negative_slope) }))
}

/// `x > 0 ? scale·x : alpha·scale·(exp(input_scale·x) - 1)`.
pub fn elu(x: &Tensor, alpha: f64, scale: f64, input_scale: f64) -> Result<Tensor> {
    elu_named("elu", x, alpha, scale, input_scale)
}

fn elu_named(op: &str, x: &Tensor, alpha: f64, scale: f64, input_scale: f64) -> Result<Tensor> {
    let neg = alpha * scale;
    float_only(
        op,
        x,
        None,
        TRANSCENDENTAL,
        real!(|v| if v <= R::c(0.0) { (v * R::c(input_scale)).exp_m1() * R::c(neg) } else { v * R::c(scale) }),
    )
}

/// `elu` with SELU's fixed alpha and scale.
pub fn selu(x: &Tensor) -> Result<Tensor> {
    elu_named("selu", x, SELU_ALPHA, SELU_SCALE, 1.0)
}

/// `max(0, x) + min(0, alpha·(exp(x/alpha) - 1))`; alpha 0 is an error.
pub fn celu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    ensure!(alpha != 0.0, "celu", "alpha cannot be 0 for CELU");
    elu_named("celu", x, alpha, 1.0, 1.0 / alpha)
}

/// `log(1 + exp(beta·x)) / beta`, or `x` where `beta·x > threshold`.
pub fn softplus(x: &Tensor, beta: f64, threshold: f64) -> Result<Tensor> {
    float_only(
        "softplus",
        x,
        None,
        TRANSCENDENTAL,
        real!(|v| {
            let z = v * R::c(beta);
            if z > R::c(threshold) {
                v
            } else {
                z.exp().ln_1p() / R::c(beta)
            }
        }),
    )
}

/// `x·relu6(x + 3)/6`.
pub fn hardswish(x: &Tensor) -> Result<Tensor> {
    float_only("hardswish", x, None, CHEAP, real!(|v| v * (v + R::c(3.0)).clamp_nan(R::c(0.0), R::c(6.0)) / R::c(6.0)))
}

/// `relu6(x + 3)/6`.
pub fn hardsigmoid(x: &Tensor) -> Result<Tensor> {
    float_only("hardsigmoid", x, None, CHEAP, real!(|v| (v + R::c(3.0)).clamp_nan(R::c(0.0), R::c(6.0)) / R::c(6.0)))
}

/// `x / (1 + |x|)`; integer inputs give float32 (it is a composite in PyTorch).
pub fn softsign(x: &Tensor) -> Result<Tensor> {
    reject_bool("softsign", x)?;
    float_map(x, None, CHEAP, real!(|v| v / (R::c(1.0) + v.abs())))
}

/// `x - tanh(x)`; integer inputs give float32.
pub fn tanhshrink(x: &Tensor) -> Result<Tensor> {
    reject_bool("tanhshrink", x)?;
    float_map(x, None, TRANSCENDENTAL, real!(|v| v - v.tanh()))
}

/// `0` where `-lambd ≤ x ≤ lambd`, else `x`. For half types PyTorch
/// rounds `lambd` to the tensor's dtype before comparing.
pub fn hardshrink(x: &Tensor, lambd: f64) -> Result<Tensor> {
    let lambd = match x.dtype() {
        DType::F16 => half::f16::from_f64(lambd).to_f64(),
        DType::BF16 => half::bf16::from_f64(lambd).to_f64(),
        _ => lambd,
    };
    float_only(
        "hardshrink",
        x,
        None,
        CHEAP,
        real!(|v| if v >= R::c(-lambd) && v <= R::c(lambd) { R::c(0.0) } else { v }),
    )
}

/// `x ∓ lambd` outside `[-lambd, lambd]`, `0` inside (NaN kept); `lambd ≥ 0`.
pub fn softshrink(x: &Tensor, lambd: f64) -> Result<Tensor> {
    require_float("softshrink", x)?;
    ensure!(lambd >= 0.0, "softshrink", "lambd must be greater or equal to 0, but found {lambd}");
    float_map(
        x,
        None,
        CHEAP,
        real!(|v| {
            let l = R::c(lambd);
            if v > l {
                v - l
            } else if v < -l {
                v + l
            } else {
                v * R::c(0.0)
            }
        }),
    )
}

/// `x <= threshold ? value : x`; integer tensors compare and fill with the
/// truncated scalars.
pub fn threshold(x: &Tensor, threshold: f64, value: f64) -> Result<Tensor> {
    reject_bool("threshold", x)?;
    if x.dtype().is_int() {
        let (t, val) = (threshold as i64, value as i64);
        return int_map("threshold", x, CHEAP, move |v| if v <= t { val } else { v });
    }
    float_map(x, None, CHEAP, real!(|v| if v <= R::c(threshold) { R::c(value) } else { v }))
}

/// `log(sigmoid(x))`, computed stably as `min(0, x) - log1p(exp(-|x|))`.
pub fn logsigmoid(x: &Tensor) -> Result<Tensor> {
    float_only(
        "logsigmoid",
        x,
        None,
        TRANSCENDENTAL,
        real!(|v| {
            let m = if v < R::c(0.0) { v } else { R::c(0.0) };
            m - (-v.abs()).exp().ln_1p()
        }),
    )
}

/// `a·sigmoid(b)` where `a`, `b` are the two halves of `x` along `dim`.
pub fn glu(x: &Tensor, dim: i64) -> Result<Tensor> {
    ensure!(x.ndim() > 0, "glu", "glu does not support 0-d tensors because the halving size must be even");
    let d = wrap_dim("glu", dim, x.ndim())?;
    let n = x.shape()[d];
    ensure!(n.is_multiple_of(2), "glu", "halving dimension must be even, but dimension {d} is size {n}");
    require_float("glu", x)?;
    let mut shape = x.shape().to_vec();
    shape[d] = n / 2;
    let a = x.as_strided(&shape, x.strides(), x.offset())?;
    let b = if n == 0 { a.clone() } else { x.as_strided(&shape, x.strides(), x.offset() + n / 2 * x.strides()[d])? };
    float_zip(&a, &b, TRANSCENDENTAL, real!(|u, v| u * (R::c(1.0) / (R::c(1.0) + (-v).exp()))))
}

/// `x > 0 ? x : w·x` with one weight or one per channel (dim 1; inputs with
/// fewer than 2 dims have one channel). `weight` must have `x`'s dtype.
pub fn prelu(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    require_float("prelu", x)?;
    ensure!(
        weight.dtype() == x.dtype(),
        "prelu",
        "type promotion is not supported: input is {} but weight is {}",
        x.dtype(),
        weight.dtype()
    );
    ensure!(weight.ndim() <= 1, "prelu", "expected `weight` to be a scalar or 1-D tensor, but got {} dims", weight.ndim());
    let channels = if x.ndim() >= 2 { x.shape()[1] } else { 1 };
    let k = weight.numel();
    ensure!(
        k == 1 || k == channels,
        "prelu",
        "mismatch of parameter numbers and input channel size: {k} weights for {channels} channels (input shape {:?})",
        x.shape()
    );
    let mut strides = vec![0; x.ndim()];
    if k != 1 {
        strides[1] = weight.strides()[0];
    }
    let w = weight.as_strided(x.shape(), &strides, weight.offset())?;
    float_zip(x, &w, CHEAP, real!(|v, a| if v > R::c(0.0) { v } else { a * v }))
}

/// Eval-mode `rrelu`: `leaky_relu` with slope `(lower + upper) / 2`.
/// Training mode (random slopes) is not supported.
pub fn rrelu(x: &Tensor, lower: f64, upper: f64, training: bool) -> Result<Tensor> {
    ensure!(!training, "rrelu", "training=True (random slopes) is not supported; use training=False");
    require_float("rrelu", x)?;
    leaky_relu(x, (lower + upper) / 2.0)
}

// ----- registry ------------------------------------------------------------

/// Returns `r`, or writes it into the input (argument 0) when argument
/// `flag` (`inplace`) is true.
fn finish(a: &Args, flag: usize, r: Tensor) -> Result<Value> {
    if !a.bool(flag)? {
        return Ok(Value::Tensor(r));
    }
    let x = a.tensor(0)?;
    x.assign(&r)?;
    Ok(Value::Tensor(x.clone()))
}

/// `OpDef` for `name(Tensor input, bool inplace=False) -> Tensor` running `f`.
macro_rules! with_inplace {
    ($name:literal, $f:path) => {
        OpDef { schema: concat!($name, "(Tensor input, bool inplace=False) -> Tensor"), run: |a| finish(a, 1, $f(a.tensor(0)?)?) }
    };
}

pub(crate) const OPS: &[OpDef] = &[
    with_inplace!("relu", relu),
    with_inplace!("relu6", relu6),
    OpDef { schema: "gelu(Tensor input, str approximate='none') -> Tensor", run: |a| Ok(gelu(a.tensor(0)?, a.str(1)?)?.into()) },
    with_inplace!("silu", silu),
    with_inplace!("mish", mish),
    OpDef {
        schema: "leaky_relu(Tensor input, float negative_slope=0.01, bool inplace=False) -> Tensor",
        run: |a| finish(a, 2, leaky_relu(a.tensor(0)?, a.float(1)?)?),
    },
    OpDef {
        schema: "elu(Tensor input, float alpha=1.0, bool inplace=False) -> Tensor",
        run: |a| finish(a, 2, elu(a.tensor(0)?, a.float(1)?, 1.0, 1.0)?),
    },
    OpDef {
        schema: "elu.scaled(Tensor input, float alpha=1.0, float scale=1.0, float input_scale=1.0) -> Tensor",
        run: |a| Ok(elu(a.tensor(0)?, a.float(1)?, a.float(2)?, a.float(3)?)?.into()),
    },
    with_inplace!("selu", selu),
    OpDef {
        schema: "celu(Tensor input, float alpha=1.0, bool inplace=False) -> Tensor",
        run: |a| finish(a, 2, celu(a.tensor(0)?, a.float(1)?)?),
    },
    OpDef {
        schema: "softplus(Tensor input, float beta=1.0, float threshold=20.0) -> Tensor",
        run: |a| Ok(softplus(a.tensor(0)?, a.float(1)?, a.float(2)?)?.into()),
    },
    OpDef {
        schema: "hardtanh(Tensor input, float min_val=-1.0, float max_val=1.0, bool inplace=False) -> Tensor",
        run: |a| finish(a, 3, hardtanh(a.tensor(0)?, a.float(1)?, a.float(2)?)?),
    },
    with_inplace!("hardswish", hardswish),
    with_inplace!("hardsigmoid", hardsigmoid),
    OpDef { schema: "softsign(Tensor input) -> Tensor", run: |a| Ok(softsign(a.tensor(0)?)?.into()) },
    OpDef { schema: "tanhshrink(Tensor input) -> Tensor", run: |a| Ok(tanhshrink(a.tensor(0)?)?.into()) },
    OpDef {
        schema: "hardshrink(Tensor input, float lambd=0.5) -> Tensor",
        run: |a| Ok(hardshrink(a.tensor(0)?, a.float(1)?)?.into()),
    },
    OpDef {
        schema: "softshrink(Tensor input, float lambd=0.5) -> Tensor",
        run: |a| Ok(softshrink(a.tensor(0)?, a.float(1)?)?.into()),
    },
    OpDef {
        schema: "threshold(Tensor input, float threshold, float value, bool inplace=False) -> Tensor",
        run: |a| finish(a, 3, threshold(a.tensor(0)?, a.float(1)?, a.float(2)?)?),
    },
    OpDef { schema: "logsigmoid(Tensor input) -> Tensor", run: |a| Ok(logsigmoid(a.tensor(0)?)?.into()) },
    OpDef { schema: "glu(Tensor input, int dim=-1) -> Tensor", run: |a| Ok(glu(a.tensor(0)?, a.int(1)?)?.into()) },
    OpDef { schema: "prelu(Tensor input, Tensor weight) -> Tensor", run: |a| Ok(prelu(a.tensor(0)?, a.tensor(1)?)?.into()) },
    OpDef {
        schema: "rrelu(Tensor input, float lower=0.125, float upper=0.3333333333333333, bool training=False, bool inplace=False) -> Tensor",
        run: |a| finish(a, 4, rrelu(a.tensor(0)?, a.float(1)?, a.float(2)?, a.bool(3)?)?),
    },
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
    fn inplace_flag_writes_into_the_input() {
        let x = t(vec![-1.0, 2.0]);
        let r = call("relu", &[Value::Tensor(x.clone())], &[("inplace", Value::Bool(true))]).unwrap();
        assert!(r.as_tensor().unwrap().same_storage(&x));
        assert_eq!(x.to_vec::<f32>(), vec![0.0, 2.0]);
        let y = t(vec![-1.0]);
        call("leaky_relu_", &[Value::Tensor(y.clone()), Value::Float(0.5)], &[]).unwrap();
        assert_eq!(y.to_vec::<f32>(), vec![-0.5]);
    }

    #[test]
    fn elu_overloads_bind_scale_keywords() {
        let x = t(vec![-1.0]);
        let r = call("elu", &[Value::Tensor(x)], &[("scale", Value::Float(2.0))]).unwrap();
        let want = 2.0 * ((-1.0f64).exp() - 1.0);
        assert!((r.as_tensor().unwrap().to_vec::<f64>()[0] - want).abs() < 1e-6);
    }

    #[test]
    fn glu_and_prelu_check_their_arguments() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).unwrap();
        assert!(glu(&x, 0).is_err());
        assert!(glu(&x, 1).is_err());
        let w = Tensor::from_vec(vec![0.25f32, 0.5], &[2]).unwrap();
        let m = Tensor::from_vec(vec![-1.0f32, -1.0, -4.0, 4.0], &[2, 2]).unwrap();
        assert_eq!(prelu(&m, &w).unwrap().to_vec::<f32>(), vec![-0.25, -0.5, -1.0, 4.0]);
        assert!(prelu(&x, &w).is_err());
        assert!(gelu(&x, "fast").is_err());
    }
}
