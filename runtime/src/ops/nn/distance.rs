//! Similarities between two broadcast tensors along a dim:
//! `cosine_similarity` (each side divided by its clamped 2-norm first, as
//! ATen does, so |result| ≤ 1) and `pairwise_distance` (`‖x1 - x2 + eps‖_p`
//! over the last dim).

use super::common::{lane_norm, round_to, with_float, Float, Lanes};
use crate::shape::{broadcast_shapes, wrap_dim};
use crate::{bail, DType, ResultType, Result, Tensor};

/// Both operands broadcast to a common shape, as `T` values.
fn broadcast_pair<T: Float>(op: &str, a: &Tensor, b: &Tensor) -> Result<(Vec<usize>, Vec<T>, Vec<T>)> {
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let av = a.broadcast_to(&shape)?.to_vec::<T>();
    let bv = b.broadcast_to(&shape)?.to_vec::<T>();
    Ok((shape, av, bv))
}

/// `shape` without dim `d` (or with it as 1 under `keepdim`); 0-d stays 0-d.
fn reduced_shape(shape: &[usize], d: usize, keepdim: bool) -> Vec<usize> {
    let mut s = shape.to_vec();
    if !s.is_empty() {
        if keepdim {
            s[d] = 1;
        } else {
            s.remove(d);
        }
    }
    s
}

/// `F.cosine_similarity(x1, x2, dim=1, eps=1e-8)`.
pub fn cosine_similarity(x1: &Tensor, x2: &Tensor, dim: i64, eps: f64) -> Result<Tensor> {
    let op = "cosine_similarity";
    let dt = ResultType::new().tensor(x1.dtype(), x1.ndim()).tensor(x2.dtype(), x2.ndim()).finish();
    if !dt.is_float() {
        bail!(op, "expected the common dtype to be floating point, got {dt} (from {} and {})", x1.dtype(), x2.dtype());
    }
    with_float!(dt.compute(), T => {
        let (shape, a, b) = broadcast_pair::<T>(op, x1, x2)?;
        let d = wrap_dim(op, dim, shape.len())?;
        let lanes = Lanes::new(op, &shape, dim)?;
        let out: Vec<T> = lanes.map(|base, st| {
            let n1 = lane_norm(&a, base, st, lanes.n, 2.0).max(eps);
            let n2 = lane_norm(&b, base, st, lanes.n, 2.0).max(eps);
            let s: f64 = (0..lanes.n).map(|j| (a[base + j * st].f() / n1) * (b[base + j * st].f() / n2)).sum();
            T::c(s)
        });
        super::common::finish(out, &reduced_shape(&shape, d, false), dt)
    })
}

/// `F.pairwise_distance(x1, x2, p=2, eps=1e-6, keepdim=False)`.
pub fn pairwise_distance(x1: &Tensor, x2: &Tensor, p: f64, eps: f64, keepdim: bool) -> Result<Tensor> {
    let op = "pairwise_distance";
    if x1.dtype() == DType::Bool && x2.dtype() == DType::Bool {
        bail!(op, "subtraction of two bool tensors is not supported");
    }
    let common = ResultType::new().tensor(x1.dtype(), x1.ndim()).tensor(x2.dtype(), x2.ndim()).finish();
    let dt = if common.is_float() { common } else { DType::F32 };
    let nd = x1.ndim().max(x2.ndim());
    with_float!(dt.compute(), T => {
        let (shape, a, b) = broadcast_pair::<f64>(op, x1, x2)?;
        // x1 - x2 rounds to the common dtype before eps is added.
        let diff: Vec<T> = a.iter().zip(&b).map(|(&u, &w)| T::c(round_to(round_to(u - w, common) + eps, dt))).collect();
        let dim = nd as i64 - 1;
        let d = wrap_dim(op, dim, nd)?;
        let lanes = Lanes::new(op, &shape, dim)?;
        let out: Vec<T> = lanes.map(|base, st| T::c(lane_norm(&diff, base, st, lanes.n, p)));
        super::common::finish(out, &reduced_shape(&shape, d, keepdim), dt)
    })
}
