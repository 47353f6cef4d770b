//! Ops: losses of `torch.nn.functional`, with their `reduction`
//! (`'none' | 'mean' | 'sum'`, plus the deprecated `size_average`/`reduce`
//! flags) and PyTorch's dtype rules per loss:
//!
//! - `mse_loss`, `l1_loss`, `smooth_l1_loss`, `huber_loss` (with the
//!   optional elementwise `weight` of `F`): operands broadcast first;
//!   `l1_loss` also works on integers (`mean` then errors, as in PyTorch);
//! - `binary_cross_entropy` (log clamped at -100), `..._with_logits`
//!   (`pos_weight`), `kl_div` (incl. `batchmean`, `log_target`),
//!   `margin_ranking_loss`, `hinge_embedding_loss`, `soft_margin_loss`,
//!   `cosine_embedding_loss`;
//! - `triplet_margin_loss`, `poisson_nll_loss`, `gaussian_nll_loss`,
//!   `multilabel_soft_margin_loss` in `loss/extra.rs`;
//! - `nll_loss` and `cross_entropy` (class indices incl. K-dim targets,
//!   `ignore_index`, `label_smoothing`, probability targets) live in
//!   `loss/class.rs`.
//!
//! Elementwise losses compute in f64 and round once to the result dtype.

mod class;
mod extra;

pub use class::{cross_entropy, nll_loss, CrossEntropyArgs};
pub use extra::{gaussian_nll_loss, multilabel_soft_margin_loss, poisson_nll_loss, triplet_margin_loss, TripletOptions};

pub use super::nn::common::Reduction;
use super::{Args, OpDef};
use crate::shape::broadcast_all;
use crate::{bail, promote_types, DType, Result, ResultType, Scalar, Tensor, Value};

/// The trailing `(size_average, reduce, reduction)` of most `F` losses.
macro_rules! legacy {
    () => {
        "bool? size_average=None, bool? reduce=None, str reduction='mean'"
    };
}

pub(crate) const OPS: &[OpDef] = &[
    OpDef {
        schema: "mse_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean', Tensor? weight=None) -> Tensor",
        run: mse_loss_op,
    },
    OpDef {
        schema: "l1_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean', Tensor? weight=None) -> Tensor",
        run: l1_loss_op,
    },
    OpDef {
        schema: "smooth_l1_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean', float beta=1.0) -> Tensor",
        run: smooth_l1_loss_op,
    },
    OpDef {
        schema: "huber_loss(Tensor input, Tensor target, str reduction='mean', float delta=1.0, Tensor? weight=None) -> Tensor",
        run: huber_loss_op,
    },
    OpDef {
        schema: "binary_cross_entropy(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
        run: bce_op,
    },
    OpDef {
        schema: "binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, bool? reduce=None, str reduction='mean', Tensor? pos_weight=None) -> Tensor",
        run: bce_logits_op,
    },
    OpDef {
        schema: "kl_div(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean', bool log_target=False) -> Tensor",
        run: kl_div_op,
    },
    OpDef {
        schema: concat!("margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin=0.0, ", legacy!(), ") -> Tensor"),
        run: margin_ranking_loss_op,
    },
    OpDef { schema: concat!("hinge_embedding_loss(Tensor input, Tensor target, float margin=1.0, ", legacy!(), ") -> Tensor"), run: hinge_op },
    OpDef { schema: concat!("soft_margin_loss(Tensor input, Tensor target, ", legacy!(), ") -> Tensor"), run: soft_margin_op },
    OpDef {
        schema: concat!("cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin=0.0, ", legacy!(), ") -> Tensor"),
        run: cosine_embedding_op,
    },
    OpDef {
        schema: "nll_loss(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, int ignore_index=-100, bool? reduce=None, str reduction='mean') -> Tensor",
        run: class::nll_loss_op,
    },
    OpDef {
        schema: "cross_entropy(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, int ignore_index=-100, bool? reduce=None, str reduction='mean', float label_smoothing=0.0) -> Tensor",
        run: class::cross_entropy_op,
    },
    OpDef {
        schema: concat!(
            "triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1.0, float p=2.0, float eps=1e-06, bool swap=False, ",
            legacy!(),
            ") -> Tensor"
        ),
        run: extra::triplet_op,
    },
    OpDef {
        schema: "poisson_nll_loss(Tensor input, Tensor target, bool log_input=True, bool full=False, bool? size_average=None, float eps=1e-08, bool? reduce=None, str reduction='mean') -> Tensor",
        run: extra::poisson_op,
    },
    OpDef {
        schema: "gaussian_nll_loss(Tensor input, Tensor target, Any var, bool full=False, float eps=1e-06, str reduction='mean') -> Tensor",
        run: extra::gaussian_op,
    },
    OpDef {
        schema: concat!("multilabel_soft_margin_loss(Tensor input, Tensor target, Tensor? weight=None, ", legacy!(), ") -> Tensor"),
        run: extra::multilabel_soft_margin_op,
    },
];

// ----- shared helpers -----------------------------------------------------------

/// The operands broadcast together, as f64 values.
fn bcast(op: &str, ts: &[&Tensor]) -> Result<(Vec<usize>, Vec<Vec<f64>>)> {
    let shapes: Vec<&[usize]> = ts.iter().map(|t| t.shape()).collect();
    let shape = broadcast_all(op, &shapes)?;
    let vals = ts.iter().map(|t| Ok(t.broadcast_to(&shape)?.to_vec::<f64>())).collect::<Result<Vec<_>>>()?;
    Ok((shape, vals))
}

/// `t` broadcast into `shape` (an in-place op's operand: it may not grow it).
fn into_shape(op: &str, t: &Tensor, shape: &[usize], what: &str) -> Result<Vec<f64>> {
    match t.broadcast_to(shape) {
        Ok(b) => Ok(b.to_vec::<f64>()),
        Err(_) => bail!(op, "{what} of shape {:?} doesn't broadcast to the loss shape {shape:?}", t.shape()),
    }
}

fn require_float_dtype(op: &str, d: DType, what: &str) -> Result<()> {
    if !d.is_float() {
        bail!(op, "{what} must be floating point, got {d}");
    }
    Ok(())
}

/// F's pure-Python weighted path of `mse_loss`/`l1_loss`/`huber_loss`:
/// `loss * weight` (`loss` holds f64 values of the loss dtype `dtype`),
/// reduced; `mean` is `sum(loss·w) / sum(w)` (`ratio`) or the plain mean.
fn weighted(op: &str, loss: &Tensor, dtype: DType, input: &Tensor, w: &Tensor, red: Reduction, ratio: bool) -> Result<Tensor> {
    if w.shape() != input.shape() {
        bail!(op, "weights of shape {:?} and input of shape {:?} must have the same size", w.shape(), input.shape());
    }
    let (shape, v) = bcast(op, &[loss, w])?;
    let prod: Vec<f64> = v[0].iter().zip(&v[1]).map(|(a, b)| a * b).collect();
    let dt = promote_types(dtype, w.dtype());
    if red == Reduction::Mean && ratio {
        let wsum: f64 = w.to_vec::<f64>().iter().sum();
        return scalar(prod.iter().sum::<f64>() / wsum, dt);
    }
    red.apply(prod, &shape, dt)
}

fn scalar(v: f64, dtype: DType) -> Result<Tensor> {
    Ok(Tensor::scalar(Scalar::Float(v), dtype))
}

// ----- regression losses --------------------------------------------------------

/// `F.mse_loss`: `(x - t)²`.
pub fn mse_loss(input: &Tensor, target: &Tensor, red: Reduction, weight: Option<&Tensor>) -> Result<Tensor> {
    let op = "mse_loss";
    let dt = promote_types(input.dtype(), target.dtype());
    require_float_dtype(op, dt, "the promoted dtype of input and target")?;
    let (shape, v) = bcast(op, &[input, target])?;
    let loss: Vec<f64> = v[0].iter().zip(&v[1]).map(|(x, t)| (x - t) * (x - t)).collect();
    match weight {
        Some(w) => weighted(op, &Tensor::from_vec(loss, &shape)?, dt, input, w, red, true),
        None => red.apply(loss, &shape, dt),
    }
}

/// `F.l1_loss`: `|x - t|`; integer operands keep an integer result.
pub fn l1_loss(input: &Tensor, target: &Tensor, red: Reduction, weight: Option<&Tensor>) -> Result<Tensor> {
    let op = "l1_loss";
    if input.dtype() == DType::Bool || target.dtype() == DType::Bool {
        bail!(op, "subtraction with a bool tensor is not supported");
    }
    let dt = promote_types(input.dtype(), target.dtype());
    let (shape, v) = bcast(op, &[input, target])?;
    let loss: Vec<f64> = v[0].iter().zip(&v[1]).map(|(x, t)| (x - t).abs()).collect();
    if let Some(w) = weight {
        return weighted(op, &Tensor::from_vec(loss, &shape)?, dt, input, w, red, true);
    }
    int_aware_reduce(op, loss, &shape, dt, red)
}

/// A reduction where an integer dtype sums to int64 and cannot be averaged.
fn int_aware_reduce(op: &str, loss: Vec<f64>, shape: &[usize], dt: DType, red: Reduction) -> Result<Tensor> {
    if dt.is_float() {
        return red.apply(loss, shape, dt);
    }
    match red {
        Reduction::None => red.apply(loss, shape, dt),
        Reduction::Sum => Ok(Tensor::scalar(Scalar::Int(loss.iter().sum::<f64>() as i64), DType::I64)),
        Reduction::Mean => bail!(op, "mean(): could not infer the output dtype from an integer input ({dt})"),
    }
}

/// `F.smooth_l1_loss`: `0.5·z²/beta` below `beta`, `z - 0.5·beta` above
/// (`beta = 0` is `l1_loss`).
pub fn smooth_l1_loss(input: &Tensor, target: &Tensor, red: Reduction, beta: f64) -> Result<Tensor> {
    let op = "smooth_l1_loss";
    if beta < 0.0 {
        bail!(op, "smooth_l1_loss does not support negative values for beta, got {beta}");
    }
    if beta == 0.0 {
        return l1_loss(input, target, red, None);
    }
    let dt = promote_types(input.dtype(), target.dtype());
    require_float_dtype(op, dt, "the promoted dtype of input and target")?;
    let (shape, v) = bcast(op, &[input, target])?;
    let loss = v[0].iter().zip(&v[1]).map(|(x, t)| (x - t).abs()).map(|z| if z < beta { 0.5 * z * z / beta } else { z - 0.5 * beta }).collect();
    red.apply(loss, &shape, dt)
}

/// `F.huber_loss`: `0.5·z²` below `delta`, `delta·(z - 0.5·delta)` above;
/// the result has the input's dtype.
pub fn huber_loss(input: &Tensor, target: &Tensor, red: Reduction, delta: f64, weight: Option<&Tensor>) -> Result<Tensor> {
    let op = "huber_loss";
    if delta <= 0.0 {
        bail!(op, "huber_loss does not support non-positive values for delta, got {delta}");
    }
    let dt = input.dtype();
    require_float_dtype(op, dt, "input")?;
    let (shape, v) = bcast(op, &[input, target])?;
    let loss: Vec<f64> = v[0]
        .iter()
        .zip(&v[1])
        .map(|(x, t)| (x - t).abs())
        .map(|z| if z < delta { 0.5 * z * z } else { delta * (z - 0.5 * delta) })
        .collect();
    match weight {
        Some(w) => weighted(op, &Tensor::from_vec(loss, &shape)?, dt, input, w, red, false),
        None => red.apply(loss, &shape, dt),
    }
}

// ----- probabilistic losses ---------------------------------------------------------

/// `F.binary_cross_entropy`: `-w·(t·max(ln x, -100) + (1-t)·max(ln(1-x), -100))`;
/// input and target have the same shape and dtype, values in [0, 1].
pub fn binary_cross_entropy(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: Reduction) -> Result<Tensor> {
    let op = "binary_cross_entropy";
    if input.shape() != target.shape() {
        bail!(op, "target size {:?} must be the same as the input size {:?}", target.shape(), input.shape());
    }
    if input.dtype() != target.dtype() {
        bail!(op, "found target dtype {} but expected {}", target.dtype(), input.dtype());
    }
    let dt = input.dtype();
    require_float_dtype(op, dt, "input")?;
    let (x, t) = (input.to_vec::<f64>(), target.to_vec::<f64>());
    if x.iter().any(|v| !(0.0..=1.0).contains(v)) {
        bail!(op, "all elements of input should be between 0 and 1");
    }
    if t.iter().any(|v| !(0.0..=1.0).contains(v)) {
        bail!(op, "all elements of target should be between 0 and 1");
    }
    let mut loss: Vec<f64> = x.iter().zip(&t).map(|(&x, &t)| (t - 1.0) * (-x).ln_1p().max(-100.0) - t * x.ln().max(-100.0)).collect();
    if let Some(w) = weight {
        let w = into_shape(op, w, input.shape(), "weight")?;
        loss.iter_mut().zip(&w).for_each(|(l, w)| *l *= w);
    }
    red.apply(loss, input.shape(), dt)
}

/// `log(sigmoid(x))`, stable for large |x|.
fn log_sigmoid(x: f64) -> f64 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

/// `F.binary_cross_entropy_with_logits`:
/// `w·((1-t)·x - (1 + (pos_weight-1)·t)·log_sigmoid(x))`; the result has
/// the target's dtype.
pub fn binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, pos_weight: Option<&Tensor>, red: Reduction) -> Result<Tensor> {
    let op = "binary_cross_entropy_with_logits";
    if input.shape() != target.shape() {
        bail!(op, "target size {:?} must be the same as the input size {:?}", target.shape(), input.shape());
    }
    require_float_dtype(op, input.dtype(), "input")?;
    require_float_dtype(op, target.dtype(), "target")?;
    let shape = input.shape();
    let (x, t) = (input.to_vec::<f64>(), target.to_vec::<f64>());
    let lw: Vec<f64> = match pos_weight {
        Some(pw) => {
            let (s, v) = bcast(op, &[pw, target])?;
            if s != shape {
                bail!(op, "pos_weight of shape {:?} doesn't broadcast to the input shape {shape:?}", pw.shape());
            }
            v[0].iter().zip(&v[1]).map(|(p, t)| (p - 1.0) * t + 1.0).collect()
        }
        None => vec![1.0; x.len()],
    };
    let mut loss: Vec<f64> = x.iter().zip(&t).zip(&lw).map(|((&x, &t), &lw)| (1.0 - t) * x - lw * log_sigmoid(x)).collect();
    if let Some(w) = weight {
        let w = into_shape(op, w, shape, "weight")?;
        loss.iter_mut().zip(&w).for_each(|(l, w)| *l *= w);
    }
    red.apply(loss, shape, target.dtype())
}

/// The `reduction` of `F.kl_div`, which adds `'batchmean'`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KlReduction {
    Plain(Reduction),
    BatchMean,
}

/// `F.kl_div(input, target)`: `t·(ln t - x)` (`xlogy(t, t) - t·x`), or
/// `exp(t)·(t - x)` with `log_target`.
pub fn kl_div(input: &Tensor, target: &Tensor, red: KlReduction, log_target: bool) -> Result<Tensor> {
    let op = "kl_div";
    if !input.dtype().is_float() || !target.dtype().is_float() {
        bail!(op, "integral inputs are not supported (got {} and {})", input.dtype(), target.dtype());
    }
    let dt = ResultType::new().tensor(input.dtype(), input.ndim()).tensor(target.dtype(), target.ndim()).finish();
    let (shape, v) = bcast(op, &[input, target])?;
    let xlogy = |a: f64, b: f64| if b.is_nan() { f64::NAN } else if a == 0.0 { 0.0 } else { a * b.ln() };
    let loss: Vec<f64> =
        v[0].iter().zip(&v[1]).map(|(&x, &t)| if log_target { t.exp() * (t - x) } else { xlogy(t, t) - t * x }).collect();
    match red {
        KlReduction::Plain(r) => r.apply(loss, &shape, dt),
        KlReduction::BatchMean => {
            let s: f64 = loss.iter().sum();
            let n = if input.ndim() == 0 { 1.0 } else { input.shape()[0] as f64 };
            scalar(s / n, dt)
        }
    }
}

// ----- margin losses ------------------------------------------------------------------

/// `F.margin_ranking_loss`: `max(0, -t·(x1 - x2) + margin)`.
pub fn margin_ranking_loss(input1: &Tensor, input2: &Tensor, target: &Tensor, margin: f64, red: Reduction) -> Result<Tensor> {
    let op = "margin_ranking_loss";
    if input1.ndim() != input2.ndim() || input1.ndim() != target.ndim() {
        bail!(op, "all input tensors should have the same number of dims, got {:?}, {:?} and {:?}", input1.shape(), input2.shape(), target.shape());
    }
    if target.dtype() == DType::Bool {
        bail!(op, "negation of a bool target is not supported");
    }
    let dt = ResultType::new()
        .tensor(input1.dtype(), input1.ndim())
        .tensor(input2.dtype(), input2.ndim())
        .tensor(target.dtype(), target.ndim())
        .scalar(Scalar::Float(margin))
        .finish();
    let (shape, v) = bcast(op, &[input1, input2, target])?;
    let loss = (0..v[0].len()).map(|i| (-v[2][i] * (v[0][i] - v[1][i]) + margin).max(0.0)).collect();
    red.apply(loss, &shape, dt)
}

/// `F.hinge_embedding_loss`: `x` where `t == 1`, `max(0, margin - x)`
/// where `t == -1` (both terms for other targets); integer inputs keep
/// their dtype (and truncate `margin`).
pub fn hinge_embedding_loss(input: &Tensor, target: &Tensor, margin: f64, red: Reduction) -> Result<Tensor> {
    let op = "hinge_embedding_loss";
    let dt = input.dtype();
    if dt == DType::Bool {
        bail!(op, "subtraction with a bool input is not supported");
    }
    let m = if dt.is_float() { margin } else { margin.trunc() };
    let (shape, v) = bcast(op, &[input, target])?;
    let loss = v[0]
        .iter()
        .zip(&v[1])
        .map(|(&x, &t)| {
            let clamp = if t != 1.0 { (m - x).max(0.0) } else { 0.0 };
            clamp + if t != -1.0 { x } else { 0.0 }
        })
        .collect();
    int_aware_reduce(op, loss, &shape, dt, red)
}

/// `F.soft_margin_loss`: `ln(1 + exp(-t·x))`; the target broadcasts into
/// the input's shape and the result has the input's dtype.
pub fn soft_margin_loss(input: &Tensor, target: &Tensor, red: Reduction) -> Result<Tensor> {
    let op = "soft_margin_loss";
    require_float_dtype(op, input.dtype(), "input")?;
    let t = into_shape(op, target, input.shape(), "target")?;
    let loss = input.to_vec::<f64>().iter().zip(&t).map(|(&x, &t)| (-x * t).exp().ln_1p()).collect();
    red.apply(loss, input.shape(), input.dtype())
}

/// `F.cosine_embedding_loss`: `1 - cos` where `t == 1`,
/// `max(0, cos - margin)` where `t == -1`, with the cosine taken over dim
/// 1 of 2-D inputs (1-D target) or dim 0 of 1-D inputs (0-d target).
pub fn cosine_embedding_loss(input1: &Tensor, input2: &Tensor, target: &Tensor, margin: f64, red: Reduction) -> Result<Tensor> {
    let op = "cosine_embedding_loss";
    let td = target.ndim();
    if td > 1 {
        bail!(op, "0D or 1D target tensor expected, multi-target not supported, got shape {:?}", target.shape());
    }
    if input1.ndim() != td + 1 || input2.ndim() != td + 1 {
        bail!(op, "a {td}D target expects {}D inputs, got shapes {:?} and {:?}", td + 1, input1.shape(), input2.shape());
    }
    let common = promote_types(input1.dtype(), input2.dtype());
    let dt = if common.is_float() { common } else { DType::F32 };
    let (shape, v) = bcast(op, &[input1, input2])?;
    let (rows, cols) = if td == 1 { (shape[0], shape[1]) } else { (1, shape[0]) };
    let cos: Vec<f64> = (0..rows)
        .map(|r| {
            let (a, b) = (&v[0][r * cols..(r + 1) * cols], &v[1][r * cols..(r + 1) * cols]);
            let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let m1: f64 = a.iter().map(|x| x * x).sum::<f64>() + 1e-12;
            let m2: f64 = b.iter().map(|x| x * x).sum::<f64>() + 1e-12;
            dot / (m1 * m2).sqrt()
        })
        .collect();
    let cos_shape: Vec<usize> = if td == 1 { vec![rows] } else { vec![] };
    let cos_t = Tensor::from_vec(cos, &cos_shape)?;
    let (oshape, cv) = bcast(op, &[&cos_t, target])?;
    let loss = cv[0]
        .iter()
        .zip(&cv[1])
        .map(|(&c, &t)| if t == 1.0 { 1.0 - c } else if t == -1.0 { (c - margin).max(0.0) } else { 0.0 })
        .collect();
    red.apply(loss, &oshape, dt)
}

// ----- schema wrappers ------------------------------------------------------------------

fn ok(t: Tensor) -> Result<Value> {
    Ok(Value::Tensor(t))
}

/// The reduction from `size_average`, `reduce`, `reduction` at `i..i+3`.
fn legacy_at(a: &Args, i: usize) -> Result<Reduction> {
    Reduction::legacy(a.op, a.opt_bool(i)?, a.opt_bool(i + 1)?, a.str(i + 2)?)
}

fn mse_loss_op(a: &Args) -> Result<Value> {
    ok(mse_loss(a.tensor(0)?, a.tensor(1)?, legacy_at(a, 2)?, a.opt_tensor(5)?)?)
}
fn l1_loss_op(a: &Args) -> Result<Value> {
    ok(l1_loss(a.tensor(0)?, a.tensor(1)?, legacy_at(a, 2)?, a.opt_tensor(5)?)?)
}
fn smooth_l1_loss_op(a: &Args) -> Result<Value> {
    ok(smooth_l1_loss(a.tensor(0)?, a.tensor(1)?, legacy_at(a, 2)?, a.float(5)?)?)
}
fn huber_loss_op(a: &Args) -> Result<Value> {
    ok(huber_loss(a.tensor(0)?, a.tensor(1)?, Reduction::parse(a.op, a.str(2)?)?, a.float(3)?, a.opt_tensor(4)?)?)
}
fn bce_op(a: &Args) -> Result<Value> {
    ok(binary_cross_entropy(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, legacy_at(a, 3)?)?)
}
fn bce_logits_op(a: &Args) -> Result<Value> {
    ok(binary_cross_entropy_with_logits(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, a.opt_tensor(6)?, legacy_at(a, 3)?)?)
}
fn kl_div_op(a: &Args) -> Result<Value> {
    let (sa, rd, s) = (a.opt_bool(2)?, a.opt_bool(3)?, a.str(4)?);
    let red = if sa.is_none() && rd.is_none() && s == "batchmean" {
        KlReduction::BatchMean
    } else {
        KlReduction::Plain(Reduction::legacy(a.op, sa, rd, s)?)
    };
    ok(kl_div(a.tensor(0)?, a.tensor(1)?, red, a.bool(5)?)?)
}
fn margin_ranking_loss_op(a: &Args) -> Result<Value> {
    ok(margin_ranking_loss(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.float(3)?, legacy_at(a, 4)?)?)
}
fn hinge_op(a: &Args) -> Result<Value> {
    ok(hinge_embedding_loss(a.tensor(0)?, a.tensor(1)?, a.float(2)?, legacy_at(a, 3)?)?)
}
fn soft_margin_op(a: &Args) -> Result<Value> {
    ok(soft_margin_loss(a.tensor(0)?, a.tensor(1)?, legacy_at(a, 2)?)?)
}
fn cosine_embedding_op(a: &Args) -> Result<Value> {
    ok(cosine_embedding_loss(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?, a.float(3)?, legacy_at(a, 4)?)?)
}
