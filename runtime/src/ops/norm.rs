//! Ops: normalization layers — `batch_norm` (inference with running
//! stats; training with batch stats, updating the running stats in place),
//! `instance_norm`, `layer_norm`, `group_norm`, `rms_norm` and
//! `F.normalize`.
//!
//! Every layer computes statistics in f64 and applies
//! `y = x·scale + shift` per channel (`scale = rstd·w`,
//! `shift = b - mean·scale`), as ATen's CPU kernels do. Parameters follow
//! PyTorch's CPU mixed-dtype rule (same dtype as the input, or float32 for
//! a float16/bfloat16 input); results keep the input's dtype. `F.*` and
//! `torch.*` spell batch/instance/group norm differently: both are
//! registered (the `F` checks on batch size run only for the `F` form).

use super::nn::common::{
    check_params, check_vec, finish, for_rows, moments, opt_values, par_rows, require_float, round_to, with_float, Float, Lanes,
};
use super::{Args, OpDef};
use crate::{bail, Result, Tensor, Value};
use rayon::prelude::*;
use tsc_kernels::parallel::MIN_PARALLEL_ELEMS;

pub(crate) const OPS: &[OpDef] = &[
    OpDef {
        schema: "batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight=None, Tensor? bias=None, bool training=False, float momentum=0.1, float eps=1e-05) -> Tensor",
        run: batch_norm_f,
    },
    OpDef {
        schema: "batch_norm.native(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor",
        run: batch_norm_native,
    },
    OpDef {
        schema: "instance_norm(Tensor input, Tensor? running_mean=None, Tensor? running_var=None, Tensor? weight=None, Tensor? bias=None, bool use_input_stats=True, float momentum=0.1, float eps=1e-05) -> Tensor",
        run: instance_norm_f,
    },
    OpDef {
        schema: "instance_norm.native(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor",
        run: instance_norm_native,
    },
    OpDef {
        schema: "layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
        run: layer_norm_op,
    },
    OpDef {
        schema: "group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05) -> Tensor",
        run: group_norm_f,
    },
    OpDef {
        schema: "group_norm.native(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps, bool cudnn_enabled) -> Tensor",
        run: group_norm_native,
    },
    OpDef { schema: "rms_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, float? eps=None) -> Tensor", run: rms_norm_op },
    OpDef { schema: "normalize(Tensor input, float p=2.0, int dim=1, float eps=1e-12, Tensor? out=None) -> Tensor", run: normalize_op },
];

/// Affine parameters and running statistics of batch/instance norm.
#[derive(Clone, Copy, Debug, Default)]
pub struct NormArgs<'a> {
    pub weight: Option<&'a Tensor>,
    pub bias: Option<&'a Tensor>,
    pub running_mean: Option<&'a Tensor>,
    pub running_var: Option<&'a Tensor>,
    pub momentum: f64,
    pub eps: f64,
}

/// (mean, rstd or variance) per channel or row.
type Stats = Vec<(f64, f64)>;

/// An input viewed as `(a, c, b)` = (batch, channels, spatial elements).
#[derive(Clone, Copy, Debug)]
struct Layout {
    a: usize,
    c: usize,
    b: usize,
}

fn nc_layout(op: &str, x: &Tensor) -> Result<Layout> {
    if x.ndim() < 2 {
        bail!(op, "expected an input with at least 2 dims (N, C, ...), got shape {:?}", x.shape());
    }
    let s = x.shape();
    Ok(Layout { a: s[0], c: s[1], b: s[2..].iter().product() })
}

/// `y = x·scale + shift` with `scale = rstd·w[c]`, `shift = b[c] - mean·scale`
/// and `(mean, rstd) = stats[stat(a, c)]`.
fn affine<T: Float>(x: &[T], l: Layout, stats: &[(f64, f64)], stat: impl Fn(usize, usize) -> usize + Sync, w: Option<&[T]>, b: Option<&[T]>) -> Vec<T> {
    let mut out = vec![T::ZERO; x.len()];
    for_rows(&mut out, l.b, |r, o| {
        let (a, c) = (r / l.c, r % l.c);
        let (mean, rstd) = stats[stat(a, c)];
        let scale = rstd * w.map_or(1.0, |w| w[c].f());
        let shift = b.map_or(0.0, |b| b[c].f()) - mean * scale;
        for (oi, &v) in o.iter_mut().zip(&x[r * l.b..(r + 1) * l.b]) {
            *oi = T::c(v.f() * scale + shift);
        }
    });
    out
}

/// (mean, biased variance) of each contiguous row of `row` elements.
fn row_moments<T: Float>(x: &[T], row: usize) -> Vec<(f64, f64)> {
    if row == 0 {
        return Vec::new();
    }
    if x.len() >= MIN_PARALLEL_ELEMS {
        x.par_chunks(row).map(moments).collect()
    } else {
        x.chunks(row).map(moments).collect()
    }
}

/// (mean, biased variance) of each channel of an `(a, c, b)` layout.
fn channel_moments<T: Float>(x: &[T], l: Layout) -> Vec<(f64, f64)> {
    let one = |c: usize| {
        let blocks = || (0..l.a).map(move |a| &x[(a * l.c + c) * l.b..(a * l.c + c + 1) * l.b]);
        let n = (l.a * l.b) as f64;
        let mean = blocks().flat_map(|s| s.iter()).map(|v| v.f()).sum::<f64>() / n;
        let var = blocks().flat_map(|s| s.iter()).map(|v| (v.f() - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    };
    if x.len() >= MIN_PARALLEL_ELEMS {
        (0..l.c).into_par_iter().map(one).collect()
    } else {
        (0..l.c).map(one).collect()
    }
}

fn rstd(var: f64, eps: f64) -> f64 {
    1.0 / (var + eps).sqrt()
}

/// `running = (1 - momentum)·running + momentum·batch`, for the mean and
/// the (already unbiased) variance of each channel, written in place.
fn update_running(p: &NormArgs, stats: &[(f64, f64)]) -> Result<()> {
    let (Some(rm), Some(rv)) = (p.running_mean, p.running_var) else { return Ok(()) };
    let m = p.momentum;
    let (om, ov) = (rm.to_vec::<f64>(), rv.to_vec::<f64>());
    let nm: Vec<f64> = om.iter().zip(stats).map(|(&r, s)| (1.0 - m) * r + m * s.0).collect();
    let nv: Vec<f64> = ov.iter().zip(stats).map(|(&r, s)| (1.0 - m) * r + m * s.1).collect();
    rm.assign(&Tensor::from_vec(nm, rm.shape())?)?;
    rv.assign(&Tensor::from_vec(nv, rv.shape())?)
}

/// Checks weight/bias (C elements) and running stats (1-D, C elements).
fn check_nc_params(op: &str, x: &Tensor, l: Layout, p: &NormArgs) -> Result<()> {
    check_params(op, x.dtype(), &[("weight", p.weight), ("bias", p.bias), ("running_mean", p.running_mean), ("running_var", p.running_var)])?;
    for (name, t) in [("weight", p.weight), ("bias", p.bias)] {
        if t.is_some_and(|t| t.numel() != l.c) {
            bail!(op, "{name} should contain {} elements, got shape {:?}", l.c, t.map(|t| t.shape().to_vec()).unwrap_or_default());
        }
    }
    check_vec(op, "running_mean", p.running_mean, l.c)?;
    check_vec(op, "running_var", p.running_var, l.c)?;
    if p.running_mean.is_some() != p.running_var.is_some() {
        bail!(op, "running_mean and running_var must either both be None or neither be None");
    }
    Ok(())
}

/// `torch.batch_norm`: training normalizes with the batch statistics of
/// each channel (and updates the running stats); otherwise with the
/// running stats, which are then required.
pub fn batch_norm(x: &Tensor, p: &NormArgs, training: bool) -> Result<Tensor> {
    let op = "batch_norm";
    let dt = require_float(op, x, "input")?;
    let l = nc_layout(op, x)?;
    check_nc_params(op, x, l, p)?;
    if !training && p.running_mean.is_none() {
        bail!(op, "running_mean and running_var must be defined in evaluation mode");
    }
    if x.numel() == 0 {
        return Tensor::zeros(x.shape(), dt);
    }
    with_float!(dt.compute(), T => {
        let (w, b) = (opt_values::<T>(p.weight), opt_values::<T>(p.bias));
        // The running stats are written after the input's storage is released.
        let (out, batch) = x.with_slice::<T, _>(|xv| -> Result<(Vec<T>, Option<Stats>)> {
            if !training {
                return Ok((affine(xv, l, &running_stats(p)?, |_, c| c, w.as_deref(), b.as_deref()), None));
            }
            let m = channel_moments(xv, l);
            let n = (l.a * l.b) as f64;
            let unbiased = m.iter().map(|&(mu, v)| (mu, v * n / (n - 1.0))).collect();
            let stats: Vec<(f64, f64)> = m.into_iter().map(|(mu, v)| (mu, rstd(v, p.eps))).collect();
            Ok((affine(xv, l, &stats, |_, c| c, w.as_deref(), b.as_deref()), Some(unbiased)))
        })?;
        if let Some(u) = batch {
            update_running(p, &u)?;
        }
        finish(out, x.shape(), dt)
    })
}

/// (mean, rstd) per channel from the running stats.
fn running_stats(p: &NormArgs) -> Result<Vec<(f64, f64)>> {
    let (Some(rm), Some(rv)) = (p.running_mean, p.running_var) else {
        bail!("batch_norm", "running_mean and running_var must be defined in evaluation mode");
    };
    Ok(rm.to_vec::<f64>().into_iter().zip(rv.to_vec::<f64>()).map(|(m, v)| (m, rstd(v, p.eps))).collect())
}

/// `torch.instance_norm`: each (sample, channel) normalized over its
/// spatial elements (`use_input_stats`), or with the running stats.
pub fn instance_norm(x: &Tensor, p: &NormArgs, use_input_stats: bool) -> Result<Tensor> {
    let op = "instance_norm";
    let dt = require_float(op, x, "input")?;
    let l = nc_layout(op, x)?;
    check_nc_params(op, x, l, p)?;
    if !use_input_stats && p.running_mean.is_none() {
        bail!(op, "expected running_mean and running_var to be defined when use_input_stats is false");
    }
    if x.numel() == 0 {
        return Tensor::zeros(x.shape(), dt);
    }
    with_float!(dt.compute(), T => {
        let (w, b) = (opt_values::<T>(p.weight), opt_values::<T>(p.bias));
        let (out, batch) = x.with_slice::<T, _>(|xv| -> Result<(Vec<T>, Option<Stats>)> {
            if !use_input_stats {
                return Ok((affine(xv, l, &running_stats(p)?, |_, c| c, w.as_deref(), b.as_deref()), None));
            }
            let m = row_moments(xv, l.b);
            let running = instance_running(&m, l);
            let stats: Vec<(f64, f64)> = m.into_iter().map(|(mu, v)| (mu, rstd(v, p.eps))).collect();
            Ok((affine(xv, l, &stats, |a, c| a * l.c + c, w.as_deref(), b.as_deref()), Some(running)))
        })?;
        if let Some(r) = batch {
            update_running(p, &r)?;
        }
        finish(out, x.shape(), dt)
    })
}

/// Per-channel batch statistics of instance norm for the running stats:
/// the mean over samples of each instance's mean and unbiased variance.
fn instance_running(m: &[(f64, f64)], l: Layout) -> Vec<(f64, f64)> {
    let unbias = l.b as f64 / (l.b as f64 - 1.0);
    (0..l.c)
        .map(|c| {
            let (sm, sv) = (0..l.a).fold((0.0, 0.0), |(sm, sv), a| (sm + m[a * l.c + c].0, sv + m[a * l.c + c].1 * unbias));
            (sm / l.a as f64, sv / l.a as f64)
        })
        .collect()
}

/// Checks that `normalized_shape` is non-empty and ends `x`'s shape, and
/// that `weight`/`bias` have exactly that shape; returns the row length.
fn check_normalized(op: &str, x: &Tensor, ns: &[i64], params: &[(&str, Option<&Tensor>)]) -> Result<usize> {
    if ns.is_empty() {
        bail!(op, "expected normalized_shape to contain at least one element, got []");
    }
    let nd = x.ndim();
    let fits = ns.len() <= nd && ns.iter().zip(&x.shape()[nd - ns.len().min(nd)..]).all(|(&a, &b)| a >= 0 && a as usize == b);
    if !fits {
        let dims: Vec<String> = ns.iter().map(i64::to_string).collect();
        bail!(op, "given normalized_shape={ns:?}, expected an input with shape [*, {}], got {:?}", dims.join(", "), x.shape());
    }
    let want: Vec<usize> = ns.iter().map(|&d| d as usize).collect();
    for (name, t) in params {
        if let Some(t) = t {
            if t.shape() != want.as_slice() {
                bail!(op, "expected {name} to have the shape of normalized_shape {want:?}, got {:?}", t.shape());
            }
        }
    }
    Ok(want.iter().product())
}

/// `F.layer_norm(input, normalized_shape, weight, bias, eps)`: each row of
/// the trailing `normalized_shape` dims normalized with its mean and biased
/// variance (f32 rows go through `tsc_kernels::rows::layer_norm_rows_f32`).
pub fn layer_norm(x: &Tensor, normalized_shape: &[i64], weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    let op = "layer_norm";
    let dt = require_float(op, x, "input")?;
    let cols = check_normalized(op, x, normalized_shape, &[("weight", weight), ("bias", bias)])?;
    check_params(op, dt, &[("weight", weight), ("bias", bias)])?;
    with_float!(dt.compute(), T => {
        let (w, b) = (opt_values::<T>(weight), opt_values::<T>(bias));
        let out = x.with_slice::<T, _>(|xv| {
            // SAFETY: every row is normalized into `out` (`cols` divides its length).
            let mut out = unsafe { crate::alloc::uninit_vec::<T>(xv.len()) };
            par_rows(xv, &mut out, cols, |xi, o| T::layer_norm_rows(xi, o, cols, w.as_deref(), b.as_deref(), T::c(eps)));
            out
        });
        finish(out, x.shape(), dt)
    })
}

/// `F.group_norm(input, num_groups, weight, bias, eps)`: channels split
/// into `num_groups` groups, each normalized over its channels and
/// spatial elements per sample.
pub fn group_norm(x: &Tensor, num_groups: i64, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f64) -> Result<Tensor> {
    let op = "group_norm";
    let dt = require_float(op, x, "input")?;
    let l = nc_layout(op, x)?;
    if num_groups <= 0 {
        bail!(op, "expected num_groups to be greater than 0, got {num_groups}");
    }
    let g = num_groups as usize;
    if l.c % g != 0 {
        bail!(op, "expected the number of channels of input {:?} to be divisible by num_groups={g}", x.shape());
    }
    if l.b == 0 {
        bail!(op, "expected the spatial size (HxW) to be greater than 0, got input shape {:?}", x.shape());
    }
    check_vec(op, "weight", weight, l.c)?;
    check_vec(op, "bias", bias, l.c)?;
    check_params(op, dt, &[("weight", weight), ("bias", bias)])?;
    let cg = l.c / g;
    with_float!(dt.compute(), T => {
        let (w, b) = (opt_values::<T>(weight), opt_values::<T>(bias));
        let out = x.with_slice::<T, _>(|xv| {
            let stats: Vec<(f64, f64)> = row_moments(xv, cg * l.b).into_iter().map(|(m, v)| (m, rstd(v, eps))).collect();
            affine(xv, l, &stats, |a, c| a * g + c / cg, w.as_deref(), b.as_deref())
        });
        finish(out, x.shape(), dt)
    })
}

/// `F.rms_norm(input, normalized_shape, weight, eps)`: `x / sqrt(mean(x²) + eps) · w`
/// over the trailing dims; `eps` defaults to the machine epsilon of the
/// compute type (float32 for float16/bfloat16 inputs).
pub fn rms_norm(x: &Tensor, normalized_shape: &[i64], weight: Option<&Tensor>, eps: Option<f64>) -> Result<Tensor> {
    let op = "rms_norm";
    let dt = require_float(op, x, "input")?;
    let cols = check_normalized(op, x, normalized_shape, &[("weight", weight)])?;
    with_float!(dt.compute(), T => {
        let eps = eps.unwrap_or(T::EPS.f());
        let w = opt_values::<T>(weight);
        let out = x.with_slice::<T, _>(|xv| {
            let mut out = vec![T::ZERO; xv.len()];
            par_rows(xv, &mut out, cols, |xi, o| {
                for (r, orow) in xi.chunks(cols).zip(o.chunks_mut(cols)) {
                    let ms = r.iter().map(|v| v.f() * v.f()).sum::<f64>() / cols as f64;
                    let inv = rstd(ms, eps);
                    for (j, (oi, &v)) in orow.iter_mut().zip(r).enumerate() {
                        let y = T::c(v.f() * inv);
                        *oi = match &w { Some(w) => y * w[j], None => y };
                    }
                }
            });
            out
        });
        finish(out, x.shape(), dt)
    })
}

/// `F.normalize(input, p, dim, eps)`: `x / max(‖x‖_p, eps)` along `dim`.
pub fn normalize(x: &Tensor, p: f64, dim: i64, eps: f64) -> Result<Tensor> {
    let op = "normalize";
    let dt = require_float(op, x, "input")?;
    let lanes = Lanes::new(op, x.shape(), dim)?;
    with_float!(dt.compute(), T => {
        let xv = x.to_vec::<T>();
        // The norm is a tensor of the input's dtype before the clamp.
        let denom: Vec<f64> = lanes.map(|base, st| round_to(super::nn::common::lane_norm(&xv, base, st, lanes.n, p), dt).max(eps));
        let block = lanes.n * lanes.inner;
        let out: Vec<T> = xv.iter().enumerate().map(|(i, &v)| T::c(v.f() / denom[(i / block) * lanes.inner + i % lanes.inner])).collect();
        finish(out, x.shape(), dt)
    })
}

// ----- schema wrappers ---------------------------------------------------------

fn ok(t: Tensor) -> Result<Value> {
    Ok(Value::Tensor(t))
}

/// `F`'s `_verify_batch_size`: training needs more than one value per channel.
fn verify_batch_size(op: &str, x: &Tensor, sizes: &[usize]) -> Result<()> {
    let prods: usize = sizes.first().copied().unwrap_or(1) * sizes.iter().skip(2).product::<usize>();
    if prods == 1 {
        bail!(op, "expected more than 1 value per channel when training, got input shape {:?}", x.shape());
    }
    Ok(())
}

fn batch_norm_f(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let training = a.bool(5)?;
    if training {
        verify_batch_size("batch_norm", x, x.shape())?;
    }
    let p = NormArgs {
        running_mean: a.opt_tensor(1)?,
        running_var: a.opt_tensor(2)?,
        weight: a.opt_tensor(3)?,
        bias: a.opt_tensor(4)?,
        momentum: a.float(6)?,
        eps: a.float(7)?,
    };
    ok(batch_norm(x, &p, training)?)
}

fn batch_norm_native(a: &Args) -> Result<Value> {
    let p = NormArgs {
        weight: a.opt_tensor(1)?,
        bias: a.opt_tensor(2)?,
        running_mean: a.opt_tensor(3)?,
        running_var: a.opt_tensor(4)?,
        momentum: a.float(6)?,
        eps: a.float(7)?,
    };
    ok(batch_norm(a.tensor(0)?, &p, a.bool(5)?)?)
}

fn instance_norm_f(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let use_input_stats = a.bool(5)?;
    if use_input_stats && x.shape().iter().skip(2).product::<usize>() == 1 {
        bail!("instance_norm", "expected more than 1 spatial element when training, got input shape {:?}", x.shape());
    }
    let p = NormArgs {
        running_mean: a.opt_tensor(1)?,
        running_var: a.opt_tensor(2)?,
        weight: a.opt_tensor(3)?,
        bias: a.opt_tensor(4)?,
        momentum: a.float(6)?,
        eps: a.float(7)?,
    };
    ok(instance_norm(x, &p, use_input_stats)?)
}

fn instance_norm_native(a: &Args) -> Result<Value> {
    let p = NormArgs {
        weight: a.opt_tensor(1)?,
        bias: a.opt_tensor(2)?,
        running_mean: a.opt_tensor(3)?,
        running_var: a.opt_tensor(4)?,
        momentum: a.float(6)?,
        eps: a.float(7)?,
    };
    ok(instance_norm(a.tensor(0)?, &p, a.bool(5)?)?)
}

fn layer_norm_op(a: &Args) -> Result<Value> {
    ok(layer_norm(a.tensor(0)?, &a.ints(1)?, a.opt_tensor(2)?, a.opt_tensor(3)?, a.float(4)?)?)
}

fn group_norm_f(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let g = a.int(1)?;
    if x.ndim() >= 2 && g > 0 {
        let mut sizes = vec![x.shape()[0] * x.shape()[1] / g as usize, g as usize];
        sizes.extend(&x.shape()[2..]);
        verify_batch_size("group_norm", x, &sizes)?;
    }
    group_norm_native(a)
}

fn group_norm_native(a: &Args) -> Result<Value> {
    ok(group_norm(a.tensor(0)?, a.int(1)?, a.opt_tensor(2)?, a.opt_tensor(3)?, a.float(4)?)?)
}

fn rms_norm_op(a: &Args) -> Result<Value> {
    ok(rms_norm(a.tensor(0)?, &a.ints(1)?, a.opt_tensor(2)?, a.opt_float(3)?)?)
}

fn normalize_op(a: &Args) -> Result<Value> {
    let y = normalize(a.tensor(0)?, a.float(1)?, a.int(2)?, a.float(3)?)?;
    match a.opt_tensor(4)? {
        Some(out) => {
            if out.shape() != y.shape() {
                bail!("normalize", "out has shape {:?} but the result has shape {:?}", out.shape(), y.shape());
            }
            out.assign(&y)?;
            ok(out.clone())
        }
        None => ok(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_norm_training_updates_running_stats() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 5.0], &[4, 1]).unwrap();
        let rm = Tensor::from_vec(vec![0.0f32], &[1]).unwrap();
        let rv = Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
        let p = NormArgs { running_mean: Some(&rm), running_var: Some(&rv), momentum: 0.5, eps: 0.0, ..Default::default() };
        let y = batch_norm(&x, &p, true).unwrap().to_vec::<f32>();
        assert!(y.iter().sum::<f32>().abs() < 1e-5);
        // mean 2.75, unbiased var 2.9166..
        assert!((rm.to_vec::<f32>()[0] - 1.375).abs() < 1e-6);
        assert!((rv.to_vec::<f32>()[0] - (0.5 + 0.5 * 35.0 / 12.0)).abs() < 1e-5);
    }
}
