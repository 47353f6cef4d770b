//! Dropout: `dropout`, `alpha_dropout`, `feature_dropout` (whole channels),
//! `feature_alpha_dropout` and `F.dropout1d/2d/3d`, as ATen's
//! `_dropout_impl`: identity when not training or `p == 0` (the same
//! tensor), `x * 0` when `p == 1`, otherwise a Bernoulli(1-p) mask from the
//! global generator (`random::uniform_f32`).

use super::common::{with_float, Float};
use crate::ops::random::uniform_f32;
use crate::{bail, Result, Scalar, Tensor};

/// Which dropout.
#[derive(Copy, Clone, Debug)]
struct Variant {
    /// Mask whole channels: the noise has the first `feature` dims of the
    /// input and size 1 elsewhere (0 = elementwise).
    feature: usize,
    /// SELU-preserving alpha dropout instead of zeroing.
    alpha: bool,
}

const PLAIN: Variant = Variant { feature: 0, alpha: false };
const ALPHA: Variant = Variant { feature: 0, alpha: true };
const FEATURE: Variant = Variant { feature: 2, alpha: false };
const FEATURE_ALPHA: Variant = Variant { feature: 2, alpha: true };

/// `F.dropout(x, p, training)`.
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    apply("dropout", x, p, training, PLAIN)
}

/// `F.alpha_dropout(x, p, training)`: dropped elements take SELU's
/// negative saturation and the result is rescaled to keep mean and variance.
pub fn alpha_dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    apply("alpha_dropout", x, p, training, ALPHA)
}

/// `torch.feature_dropout(x, p, train)`: zeroes whole channels `x[n, c]`.
pub fn feature_dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    apply("feature_dropout", x, p, training, FEATURE)
}

/// `F.feature_alpha_dropout(x, p, training)`: alpha dropout of whole channels.
pub fn feature_alpha_dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    apply("feature_alpha_dropout", x, p, training, FEATURE_ALPHA)
}

/// Checks `p`, then runs the variant.
fn apply(op: &str, x: &Tensor, p: f64, training: bool, v: Variant) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        bail!(op, "dropout probability has to be between 0 and 1, but got {p}");
    }
    if p == 0.0 || !training || x.numel() == 0 {
        return Ok(x.clone());
    }
    if v.feature > 0 && x.ndim() < 2 {
        bail!(op, "feature dropout requires at least 2 dimensions in the input, got shape {:?}", x.shape());
    }
    if p == 1.0 {
        return times_zero(x);
    }
    if !x.dtype().is_float() {
        bail!(op, "result type Float can't be cast to the desired output type {}", x.dtype());
    }
    let noise_shape: Vec<usize> = if v.feature == 0 {
        x.shape().to_vec()
    } else {
        x.shape().iter().enumerate().map(|(i, &s)| if i < v.feature { s } else { 1 }).collect()
    };
    let keep: Vec<bool> = uniform_f32(noise_shape.iter().product()).into_iter().map(|u| (u as f64) < 1.0 - p).collect();
    let mask = Tensor::from_vec(keep, &noise_shape)?.broadcast_to(x.shape())?.to_vec::<bool>();
    with_float!(x.dtype().compute(), T => {
        let xv = x.to_vec::<T>();
        let out = masked::<T>(&xv, &mask, p, v.alpha);
        super::common::finish(out, x.shape(), x.dtype())
    })
}

/// `x * mask / (1-p)`, or the alpha-dropout affine map.
fn masked<T: Float>(x: &[T], mask: &[bool], p: f64, alpha: bool) -> Vec<T> {
    if alpha {
        const A: f64 = 1.758_099_340_847_376_6;
        let a = 1.0 / ((A * A * p + 1.0) * (1.0 - p)).sqrt();
        let b_drop = T::c(-A * a + A * a * p);
        let b_keep = T::c(A * a * p);
        let a = T::c(a);
        x.iter().zip(mask).map(|(&v, &k)| if k { v * a + b_keep } else { v * T::ZERO + b_drop }).collect()
    } else {
        let scale = T::c(1.0 / (1.0 - p));
        x.iter().zip(mask).map(|(&v, &k)| v * if k { scale } else { T::ZERO }).collect()
    }
}

/// `x * 0` in x's dtype (NaN and inf stay NaN, as in PyTorch).
fn times_zero(x: &Tensor) -> Result<Tensor> {
    if x.dtype().is_float() {
        with_float!(x.dtype().compute(), T => {
            let out: Vec<T> = x.to_vec::<T>().into_iter().map(|v| v * T::ZERO).collect();
            super::common::finish(out, x.shape(), x.dtype())
        })
    } else {
        Tensor::full(x.shape(), Scalar::Int(0), x.dtype())
    }
}

/// `F.dropout1d/2d/3d`: channel dropout where `spatial` is the number of
/// spatial dims (1, 2, 3); unbatched inputs mask their first dim.
pub(crate) fn channel_dropout(op: &str, x: &Tensor, p: f64, training: bool, spatial: usize) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        bail!(op, "dropout probability has to be between 0 and 1, but got {p}");
    }
    let nd = x.ndim();
    let batched = match spatial {
        1 => {
            if nd != 2 && nd != 3 {
                bail!(op, "expected a 2D or 3D input, got shape {:?}", x.shape());
            }
            nd == 3
        }
        // dropout2d treats every input as batched (a 3-D input is (N, C, L)).
        2 => true,
        _ => nd == 5,
    };
    let feature = if batched { 2 } else { 1 };
    if feature == 2 && nd < 2 {
        bail!(op, "feature dropout requires at least 2 dimensions in the input, got shape {:?}", x.shape());
    }
    apply(op, x, p, training, Variant { feature, alpha: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_about_one_minus_p_and_scales() {
        let x = Tensor::full(&[20000], Scalar::Float(1.0), crate::DType::F32).unwrap();
        let y = dropout(&x, 0.25, true).unwrap().to_vec::<f32>();
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
        assert!((kept - 0.75).abs() < 0.02, "kept {kept}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    }

    #[test]
    fn feature_dropout_masks_whole_channels() {
        let x = Tensor::full(&[4, 8, 5], Scalar::Float(1.0), crate::DType::F64).unwrap();
        let y = apply("feature_dropout", &x, 0.5, true, FEATURE).unwrap().to_vec::<f64>();
        for ch in y.chunks(5) {
            assert!(ch.iter().all(|&v| v == ch[0]));
        }
    }

    #[test]
    fn alpha_dropout_keeps_mean_and_variance() {
        let n = 40000;
        let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 1000.0 * 3.4641 - 1.7320).collect();
        let x = Tensor::from_vec(v, &[n]).unwrap();
        let y = apply("alpha_dropout", &x, 0.2, true, ALPHA).unwrap().to_vec::<f64>();
        let mean = y.iter().sum::<f64>() / n as f64;
        let var = y.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.1, "mean {mean} var {var}");
    }
}
