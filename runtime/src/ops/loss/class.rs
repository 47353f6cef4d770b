//! Classification losses over a class dim: `nll_loss` on log-probabilities
//! and `cross_entropy` on logits (`log_softmax` then NLL), for inputs
//! `(C)`, `(N, C)` and `(N, C, d1, ...)` with class-index targets (int64 or
//! uint8, `ignore_index`, per-class `weight`, `label_smoothing`) or, for
//! `cross_entropy`, class-probability targets of the input's shape.

use super::super::nn::common::{Lanes, Reduction};
use super::super::nn::log_softmax;
use super::super::Args;
use crate::{bail, promote_types, DType, Result, Scalar, Tensor, Value};

/// The options of [`cross_entropy`] (and [`nll_loss`], which ignores
/// `label_smoothing`).
#[derive(Clone, Copy, Debug)]
pub struct CrossEntropyArgs<'a> {
    pub weight: Option<&'a Tensor>,
    pub ignore_index: i64,
    pub reduction: Reduction,
    pub label_smoothing: f64,
}

/// Where the classes of an input sit: lanes along the class dim, and the
/// shape of one loss per sample.
struct Classes {
    lanes: Lanes,
    sample_shape: Vec<usize>,
}

impl Classes {
    fn new(op: &str, input: &Tensor) -> Result<Classes> {
        if input.ndim() == 0 {
            bail!(op, "expected an input with 1 or more dims, got a 0-d tensor");
        }
        let class_dim = if input.ndim() == 1 { 0 } else { 1 };
        let lanes = Lanes::new(op, input.shape(), class_dim as i64)?;
        let mut sample_shape = input.shape().to_vec();
        sample_shape.remove(class_dim);
        Ok(Classes { lanes, sample_shape })
    }
    fn count(&self) -> usize {
        self.lanes.n
    }
}

/// Checks the class-index target's dtype, shape and values; returns the
/// targets (one per sample) and the shape of an unreduced loss.
fn class_targets(op: &str, input: &Tensor, target: &Tensor, cls: &Classes, ignore_index: i64) -> Result<(Vec<i64>, Vec<usize>)> {
    if !matches!(target.dtype(), DType::I64 | DType::U8) {
        bail!(op, "expected the target dtype to be int64 or uint8, got {}", target.dtype());
    }
    let ok = match input.ndim() {
        1 => target.ndim() <= 1 && target.numel() == 1,
        2 => target.ndim() == 1 && target.shape()[0] == input.shape()[0],
        _ => target.shape() == cls.sample_shape.as_slice(),
    };
    if !ok {
        bail!(op, "target of shape {:?} doesn't match the input of shape {:?} (expected {:?})", target.shape(), input.shape(), cls.sample_shape);
    }
    let t = target.to_vec::<i64>();
    let c = cls.count() as i64;
    if let Some(bad) = t.iter().find(|&&v| v != ignore_index && (v < 0 || v >= c)) {
        bail!(op, "target {bad} is out of bounds for {c} classes");
    }
    Ok((t, target.shape().to_vec()))
}

/// The per-class weights (default 1), checked against the class count and dtype.
fn class_weights(op: &str, weight: Option<&Tensor>, c: usize, dtype: Option<DType>) -> Result<Vec<f64>> {
    let Some(w) = weight else { return Ok(vec![1.0; c]) };
    if w.ndim() != 1 || w.numel() != c {
        bail!(op, "weight tensor should be defined either for all {c} classes or no classes, got shape {:?}", w.shape());
    }
    if let Some(d) = dtype {
        if w.dtype() != d {
            bail!(op, "expected the weight dtype to be {d}, got {}", w.dtype());
        }
    }
    Ok(w.to_vec::<f64>())
}

/// Unreduced NLL per sample, and the weight each sample counts with
/// (0 for ignored targets).
fn nll_terms(logp: &[f64], cls: &Classes, t: &[i64], w: &[f64], ignore_index: i64) -> (Vec<f64>, Vec<f64>) {
    let l = cls.lanes;
    t.iter()
        .enumerate()
        .map(|(s, &ti)| {
            if ti == ignore_index {
                return (0.0, 0.0);
            }
            let wt = w[ti as usize];
            (-wt * logp[l.base(s) + ti as usize * l.inner], wt)
        })
        .unzip()
}

fn reduce(red: Reduction, loss: Vec<f64>, denom: f64, shape: &[usize], dtype: DType) -> Result<Tensor> {
    match red {
        Reduction::None => red.apply(loss, shape, dtype),
        Reduction::Sum => Ok(Tensor::scalar(Scalar::Float(loss.iter().sum()), dtype)),
        Reduction::Mean => Ok(Tensor::scalar(Scalar::Float(loss.iter().sum::<f64>() / denom), dtype)),
    }
}

/// `F.nll_loss(input, target, weight, ignore_index, reduction)`: `mean`
/// divides by the summed weights of the non-ignored targets.
pub fn nll_loss(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, ignore_index: i64, red: Reduction) -> Result<Tensor> {
    let op = "nll_loss";
    let dt = input.dtype();
    if !dt.is_float() {
        bail!(op, "input must be floating point, got {dt}");
    }
    let cls = Classes::new(op, input)?;
    let (t, tshape) = class_targets(op, input, target, &cls, ignore_index)?;
    let w = class_weights(op, weight, cls.count(), Some(dt))?;
    let (loss, wt) = nll_terms(&input.to_vec::<f64>(), &cls, &t, &w, ignore_index);
    reduce(red, loss, wt.iter().sum(), &tshape, dt)
}

/// `F.cross_entropy(input, target, weight, ignore_index, reduction,
/// label_smoothing)`: class indices when the shapes differ, class
/// probabilities when target has the input's shape.
pub fn cross_entropy(input: &Tensor, target: &Tensor, a: &CrossEntropyArgs) -> Result<Tensor> {
    let op = "cross_entropy";
    if a.label_smoothing > 1.0 {
        bail!(op, "label_smoothing must be between 0.0 and 1.0, got {}", a.label_smoothing);
    }
    if !input.dtype().is_float() {
        bail!(op, "input must be floating point, got {}", input.dtype());
    }
    let cls = Classes::new(op, input)?;
    let class_dim = if input.ndim() == 1 { 0 } else { 1 };
    let logp = log_softmax(input, class_dim, None)?.to_vec::<f64>();
    if input.shape() == target.shape() {
        probability_targets(op, input, target, &cls, &logp, a)
    } else {
        index_targets(op, input, target, &cls, &logp, a)
    }
}

fn index_targets(op: &str, input: &Tensor, target: &Tensor, cls: &Classes, logp: &[f64], a: &CrossEntropyArgs) -> Result<Tensor> {
    let dt = input.dtype();
    let (t, tshape) = class_targets(op, input, target, cls, a.ignore_index)?;
    let w = class_weights(op, a.weight, cls.count(), Some(dt))?;
    let (nll, wt) = nll_terms(logp, cls, &t, &w, a.ignore_index);
    let nll_denom: f64 = wt.iter().sum();
    let ls = a.label_smoothing;
    if ls <= 0.0 {
        return reduce(a.reduction, nll, nll_denom, &tshape, dt);
    }
    let l = cls.lanes;
    let smooth: Vec<f64> = t
        .iter()
        .enumerate()
        .map(|(s, &ti)| if ti == a.ignore_index { 0.0 } else { -(0..l.n).map(|c| logp[l.base(s) + c * l.inner] * w[c]).sum::<f64>() })
        .collect();
    // The smoothing term's mean divides by the weights of the kept targets
    // (or their count without weights), as ATen does.
    let smooth_denom = if a.weight.is_some() { nll_denom } else { t.iter().filter(|&&ti| ti != a.ignore_index).count() as f64 };
    let c = cls.count() as f64;
    match a.reduction {
        Reduction::None => {
            let v = nll.iter().zip(&smooth).map(|(n, s)| (1.0 - ls) * n + s * (ls / c)).collect();
            Reduction::None.apply(v, &tshape, dt)
        }
        Reduction::Sum => {
            let v = (1.0 - ls) * nll.iter().sum::<f64>() + smooth.iter().sum::<f64>() * (ls / c);
            Ok(Tensor::scalar(Scalar::Float(v), dt))
        }
        Reduction::Mean => {
            let v = (1.0 - ls) * (nll.iter().sum::<f64>() / nll_denom) + (smooth.iter().sum::<f64>() / smooth_denom) * (ls / c);
            Ok(Tensor::scalar(Scalar::Float(v), dt))
        }
    }
}

fn probability_targets(op: &str, input: &Tensor, target: &Tensor, cls: &Classes, logp: &[f64], a: &CrossEntropyArgs) -> Result<Tensor> {
    if !target.dtype().is_float() {
        bail!(op, "expected a floating point target for class probabilities, got {}", target.dtype());
    }
    if a.ignore_index >= 0 {
        bail!(op, "ignore_index is not supported for floating point (probability) targets");
    }
    let w = class_weights(op, a.weight, cls.count(), None)?;
    let mut dt = promote_types(input.dtype(), target.dtype());
    if let Some(wt) = a.weight {
        dt = promote_types(dt, wt.dtype());
    }
    let c = cls.count() as f64;
    let ls = a.label_smoothing;
    let tv: Vec<f64> = target.to_vec::<f64>().into_iter().map(|v| if ls > 0.0 { v * (1.0 - ls) + ls / c } else { v }).collect();
    let l = cls.lanes;
    let loss: Vec<f64> = (0..l.count()).map(|s| -(0..l.n).map(|k| logp[l.base(s) + k * l.inner] * tv[l.base(s) + k * l.inner] * w[k]).sum::<f64>()).collect();
    let samples = if cls.count() == 0 { 0.0 } else { (input.numel() / cls.count()) as f64 };
    reduce(a.reduction, loss, samples, &cls.sample_shape, dt)
}

// ----- schema wrappers ------------------------------------------------------------

pub(super) fn nll_loss_op(a: &Args) -> Result<Value> {
    let red = Reduction::legacy(a.op, a.opt_bool(3)?, a.opt_bool(5)?, a.str(6)?)?;
    Ok(Value::Tensor(nll_loss(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, a.int(4)?, red)?))
}

pub(super) fn cross_entropy_op(a: &Args) -> Result<Value> {
    let args = CrossEntropyArgs {
        weight: a.opt_tensor(2)?,
        ignore_index: a.int(4)?,
        reduction: Reduction::legacy(a.op, a.opt_bool(3)?, a.opt_bool(5)?, a.str(6)?)?,
        label_smoothing: a.float(7)?,
    };
    Ok(Value::Tensor(cross_entropy(a.tensor(0)?, a.tensor(1)?, &args)?))
}
