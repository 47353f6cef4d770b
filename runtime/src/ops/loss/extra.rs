//! Less common losses of `torch.nn.functional`: `triplet_margin_loss`
//! (on `pairwise_distance`), `poisson_nll_loss` (with the Stirling term of
//! `full`), `gaussian_nll_loss` (heteroscedastic or homoscedastic `var`,
//! as F's Python code checks it) and `multilabel_soft_margin_loss`.

use super::super::nn::common::Reduction;
use super::super::nn::pairwise_distance;
use super::super::Args;
use super::{bcast, legacy_at, ok};
use crate::{bail, DType, Result, ResultType, Scalar, Tensor, Value};

/// The options of [`triplet_margin_loss`] (F's defaults: 1, 2, 1e-6, false).
#[derive(Clone, Copy, Debug)]
pub struct TripletOptions {
    pub margin: f64,
    pub p: f64,
    pub eps: f64,
    pub swap: bool,
}

/// `F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap)`:
/// `max(0, margin + d(a, p) - d(a, n))` with `d` the `p`-norm pairwise
/// distance (`swap`: `d(a, n)` may be replaced by the smaller `d(p, n)`).
pub fn triplet_margin_loss(anchor: &Tensor, positive: &Tensor, negative: &Tensor, o: &TripletOptions, red: Reduction) -> Result<Tensor> {
    let op = "triplet_margin_loss";
    let TripletOptions { margin, p, eps, swap } = *o;
    if margin <= 0.0 {
        bail!(op, "margin must be greater than 0, got {margin}");
    }
    if anchor.ndim() != positive.ndim() || anchor.ndim() != negative.ndim() {
        bail!(op, "anchor, positive and negative must have the same number of dims, got {:?}, {:?} and {:?}", anchor.shape(), positive.shape(), negative.shape());
    }
    let d_pos = pairwise_distance(anchor, positive, p, eps, false)?;
    let mut d_neg = pairwise_distance(anchor, negative, p, eps, false)?;
    if swap {
        let d_swap = pairwise_distance(positive, negative, p, eps, false)?;
        let (s, v) = bcast(op, &[&d_neg, &d_swap])?;
        let m: Vec<f64> = v[0].iter().zip(&v[1]).map(|(a, b)| if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(*b) }).collect();
        d_neg = Tensor::from_vec(m, &s)?.to_dtype(crate::promote_types(d_neg.dtype(), d_swap.dtype()));
    }
    let dt = crate::promote_types(d_pos.dtype(), d_neg.dtype());
    let (shape, v) = bcast(op, &[&d_pos, &d_neg])?;
    let loss = v[0].iter().zip(&v[1]).map(|(dp, dn)| (margin + dp - dn).max(0.0)).collect();
    red.apply(loss, &shape, dt)
}

/// `F.poisson_nll_loss(input, target, log_input, full, eps)`:
/// `exp(x) - t·x` (log input) or `x - t·ln(x + eps)`, plus
/// `t·ln t - t + ½·ln(2πt)` for `t > 1` when `full`.
pub fn poisson_nll_loss(input: &Tensor, target: &Tensor, log_input: bool, full: bool, eps: f64, red: Reduction) -> Result<Tensor> {
    let op = "poisson_nll_loss";
    let fin = if input.dtype().is_float() { input.dtype() } else { DType::F32 };
    let dt = ResultType::new().tensor(fin, input.ndim()).tensor(target.dtype(), target.ndim()).finish();
    let dt = if dt.is_float() { dt } else { DType::F32 };
    let (shape, v) = bcast(op, &[input, target])?;
    let loss = v[0]
        .iter()
        .zip(&v[1])
        .map(|(&x, &t)| {
            let base = if log_input { x.exp() - t * x } else { x - t * (x + eps).ln() };
            let stirling = if full && t > 1.0 { t * t.ln() - t + 0.5 * (2.0 * std::f64::consts::PI * t).ln() } else { 0.0 };
            base + stirling
        })
        .collect();
    red.apply(loss, &shape, dt)
}

/// `F.gaussian_nll_loss(input, target, var, full, eps)`:
/// `½·(ln max(var, eps) + (x - t)² / max(var, eps))` (+ `½·ln 2π` when
/// `full`); `var` has the input's shape, or lacks/has size 1 in one dim.
pub fn gaussian_nll_loss(input: &Tensor, target: &Tensor, var: &Tensor, full: bool, eps: f64, red: Reduction) -> Result<Tensor> {
    let op = "gaussian_nll_loss";
    if var.to_vec::<f64>().iter().any(|&v| v < 0.0) {
        bail!(op, "var has negative entries");
    }
    let var = if var.shape() == input.shape() {
        var.clone()
    } else if input.ndim() > 0 && &input.shape()[..input.ndim() - 1] == var.shape() {
        let mut s = var.shape().to_vec();
        s.push(1);
        let vc = var.contiguous();
        vc.as_strided(&s, &crate::shape::contiguous_strides(&s), vc.offset())?
    } else if input.ndim() == var.ndim() && input.shape().iter().zip(var.shape()).filter(|(a, b)| a != b).map(|(_, b)| b).sum::<usize>() == 1 {
        var.clone()
    } else {
        bail!(op, "var of shape {:?} is of incorrect size for an input of shape {:?}", var.shape(), input.shape());
    };
    let dt = [input, target, &var].iter().fold(ResultType::new(), |r, t| r.tensor(t.dtype(), t.ndim())).finish();
    let dt = if dt.is_float() { dt } else { DType::F32 };
    let (shape, v) = bcast(op, &[input, target, &var])?;
    let c = if full { 0.5 * (2.0 * std::f64::consts::PI).ln() } else { 0.0 };
    let loss = (0..v[0].len())
        .map(|i| {
            let s = v[2][i].max(eps);
            0.5 * (s.ln() + (v[0][i] - v[1][i]).powi(2) / s) + c
        })
        .collect();
    red.apply(loss, &shape, dt)
}

/// `F.multilabel_soft_margin_loss(input, target, weight)`: the per-class
/// logistic loss `-(t·logσ(x) + (1-t)·logσ(-x))` (times `weight`) averaged
/// over the last (class) dim, then reduced over samples.
pub fn multilabel_soft_margin_loss(input: &Tensor, target: &Tensor, weight: Option<&Tensor>, red: Reduction) -> Result<Tensor> {
    let op = "multilabel_soft_margin_loss";
    if !input.dtype().is_float() {
        bail!(op, "input must be floating point, got {}", input.dtype());
    }
    let mut ops = vec![input, target];
    ops.extend(weight);
    let dt = ops.iter().fold(ResultType::new(), |r, t| r.tensor(t.dtype(), t.ndim())).finish();
    let (shape, v) = bcast(op, &ops)?;
    let ls = |z: f64| z.min(0.0) - (-z.abs()).exp().ln_1p();
    let c = shape.last().copied().unwrap_or(1);
    let per: Vec<f64> = (0..v[0].len())
        .map(|i| {
            let (x, t) = (v[0][i], v[1][i]);
            let l = -(t * ls(x) + (1.0 - t) * ls(-x));
            if weight.is_some() {
                l * v[2][i]
            } else {
                l
            }
        })
        .collect();
    let row_shape = &shape[..shape.len().saturating_sub(1)];
    let rows: Vec<f64> = if c == 0 {
        vec![f64::NAN; row_shape.iter().product()]
    } else {
        per.chunks(c).map(|r| r.iter().sum::<f64>() / c as f64).collect()
    };
    red.apply(rows, row_shape, dt)
}

// ----- schema wrappers -------------------------------------------------------------

pub(super) fn triplet_op(a: &Args) -> Result<Value> {
    let (t0, t1, t2) = (a.tensor(0)?, a.tensor(1)?, a.tensor(2)?);
    let o = TripletOptions { margin: a.float(3)?, p: a.float(4)?, eps: a.float(5)?, swap: a.bool(6)? };
    ok(triplet_margin_loss(t0, t1, t2, &o, legacy_at(a, 7)?)?)
}

pub(super) fn poisson_op(a: &Args) -> Result<Value> {
    let red = Reduction::legacy(a.op, a.opt_bool(4)?, a.opt_bool(6)?, a.str(7)?)?;
    ok(poisson_nll_loss(a.tensor(0)?, a.tensor(1)?, a.bool(2)?, a.bool(3)?, a.float(5)?, red)?)
}

pub(super) fn gaussian_op(a: &Args) -> Result<Value> {
    let input = a.tensor(0)?;
    let var = match a.value(2)? {
        Value::Tensor(t) => t.clone(),
        Value::Float(f) => {
            if *f < 0.0 {
                bail!(a.op, "var has negative entries");
            }
            // `var * ones_like(input)`: a float tensor even for an integer input.
            let dt = if input.dtype().is_float() { input.dtype() } else { DType::F32 };
            Tensor::full(input.shape(), Scalar::Float(*f), dt)?
        }
        other => bail!(a.op, "var must be a Tensor or a float, got {}", other.type_name()),
    };
    ok(gaussian_nll_loss(input, a.tensor(1)?, &var, a.bool(3)?, a.float(4)?, Reduction::parse(a.op, a.str(5)?)?)?)
}

pub(super) fn multilabel_soft_margin_op(a: &Args) -> Result<Value> {
    ok(multilabel_soft_margin_loss(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, legacy_at(a, 3)?)?)
}
