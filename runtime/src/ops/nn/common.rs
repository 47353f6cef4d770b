//! Shared machinery of the nn families (`nn`, `norm`, `loss`): the float
//! trait their loops are generic over (f32 and f64, with the f32 kernel
//! hooks of `tsc_kernels`), the dispatch from a dtype to its compute float,
//! "lanes" (the 1-D slices of a tensor along one dim), row-parallel loops,
//! the losses' `reduction` argument and the dtype checks of parameters.
//!
//! Sums accumulate in f64 whatever the element type, so f32 results stay
//! within PyTorch's tolerance for long rows.

use crate::shape::wrap_dim;
use crate::{bail, DType, Element, Result, Scalar, Tensor};
use rayon::prelude::*;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};
use tsc_kernels::gemm::MatRef;
use tsc_kernels::parallel::MIN_PARALLEL_ELEMS;

/// The float types the nn loops compute in (f16/bf16 compute in f32).
pub(crate) trait Float:
    Element
    + crate::alloc::Plain
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
{
    const ZERO: Self;
    const ONE: Self;
    const NEG_INF: Self;
    /// `torch.finfo(dtype).eps`.
    const EPS: Self;
    fn c(v: f64) -> Self;
    fn f(self) -> f64;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    /// NaN-ignoring maximum (as `f32::max`).
    fn fmax(self, o: Self) -> Self;
    /// `c = beta·c + alpha·a·b` (`c` row-major m×n).
    #[allow(clippy::too_many_arguments)]
    fn gemm(m: usize, n: usize, k: usize, a: MatRef<Self>, b: MatRef<Self>, c: &mut [Self], alpha: Self, beta: Self);
    /// Softmax of each contiguous row of `cols` elements.
    fn softmax_rows(x: &[Self], out: &mut [Self], cols: usize);
    /// log_softmax of each contiguous row of `cols` elements.
    fn log_softmax_rows(x: &[Self], out: &mut [Self], cols: usize);
    /// layer_norm of each contiguous row (biased variance).
    fn layer_norm_rows(x: &[Self], out: &mut [Self], cols: usize, w: Option<&[Self]>, b: Option<&[Self]>, eps: Self);
}

macro_rules! float_impl {
    ($t:ty, $gemm:path, $softmax:expr, $log_softmax:expr, $layer_norm:expr) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INF: Self = <$t>::NEG_INFINITY;
            const EPS: Self = <$t>::EPSILON;
            #[inline]
            fn c(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn f(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn fmax(self, o: Self) -> Self {
                <$t>::max(self, o)
            }
            fn gemm(m: usize, n: usize, k: usize, a: MatRef<Self>, b: MatRef<Self>, c: &mut [Self], alpha: Self, beta: Self) {
                $gemm(m, n, k, a, b, c, alpha, beta)
            }
            fn softmax_rows(x: &[Self], out: &mut [Self], cols: usize) {
                $softmax(x, out, cols)
            }
            fn log_softmax_rows(x: &[Self], out: &mut [Self], cols: usize) {
                $log_softmax(x, out, cols)
            }
            fn layer_norm_rows(x: &[Self], out: &mut [Self], cols: usize, w: Option<&[Self]>, b: Option<&[Self]>, eps: Self) {
                $layer_norm(x, out, cols, w, b, eps)
            }
        }
    };
}

float_impl!(
    f32,
    tsc_kernels::gemm::gemm_f32,
    tsc_kernels::rows::softmax_rows_f32,
    tsc_kernels::rows::log_softmax_rows_f32,
    tsc_kernels::rows::layer_norm_rows_f32
);
float_impl!(
    f64,
    tsc_kernels::gemm::gemm_f64,
    softmax_rows_generic::<f64>,
    log_softmax_rows_generic::<f64>,
    layer_norm_rows_generic::<f64>
);

/// Expands `$body` with `$T` bound to the compute float of a float dtype
/// (`f64` for float64, `f32` otherwise).
macro_rules! with_float {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => {
                type $T = f32;
                $body
            }
        }
    };
}
pub(crate) use with_float;

/// The row max used to stabilise exp: `-inf` rows use 0 so that they give
/// NaN (softmax of all `-inf` is NaN in PyTorch).
#[inline]
pub(crate) fn row_max<T: Float>(r: &[T]) -> T {
    let m = r.iter().fold(T::NEG_INF, |a, &b| a.fmax(b));
    if m == T::NEG_INF {
        T::ZERO
    } else {
        m
    }
}

/// Softmax of each row (the f64 path; f32 goes through `tsc_kernels::rows`).
pub(crate) fn softmax_rows_generic<T: Float>(x: &[T], out: &mut [T], cols: usize) {
    if cols == 0 {
        return;
    }
    for (r, o) in x.chunks(cols).zip(out.chunks_mut(cols)) {
        let m = row_max(r);
        let mut s = 0.0f64;
        for (oi, &v) in o.iter_mut().zip(r) {
            *oi = (v - m).exp();
            s += oi.f();
        }
        let s = T::c(s);
        for oi in o.iter_mut() {
            *oi = *oi / s;
        }
    }
}

/// log_softmax of each row.
pub(crate) fn log_softmax_rows_generic<T: Float>(x: &[T], out: &mut [T], cols: usize) {
    if cols == 0 {
        return;
    }
    for (r, o) in x.chunks(cols).zip(out.chunks_mut(cols)) {
        let m = row_max(r);
        let s: f64 = r.iter().map(|&v| (v - m).exp().f()).sum();
        let l = T::c(s).ln() + m;
        for (oi, &v) in o.iter_mut().zip(r) {
            *oi = v - l;
        }
    }
}

/// layer_norm of each row (the f64 path).
pub(crate) fn layer_norm_rows_generic<T: Float>(x: &[T], out: &mut [T], cols: usize, w: Option<&[T]>, b: Option<&[T]>, eps: T) {
    if cols == 0 {
        return;
    }
    for (r, o) in x.chunks(cols).zip(out.chunks_mut(cols)) {
        let (mean, var) = moments(r);
        let rstd = 1.0 / (var.max(0.0) + eps.f()).sqrt();
        for (j, (oi, &v)) in o.iter_mut().zip(r).enumerate() {
            let mut y = T::c((v.f() - mean) * rstd);
            if let Some(w) = w {
                y = y * w[j];
            }
            if let Some(b) = b {
                y += b[j];
            }
            *oi = y;
        }
    }
}

/// Mean and biased variance of a slice (two passes in f64).
pub(crate) fn moments<T: Float>(r: &[T]) -> (f64, f64) {
    let n = r.len() as f64;
    let mean = r.iter().map(|v| v.f()).sum::<f64>() / n;
    let var = r.iter().map(|v| (v.f() - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

// ----- dtypes and results -------------------------------------------------

/// Errors unless `t` has a floating dtype (PyTorch's "not implemented for 'Long'").
pub(crate) fn require_float(op: &str, t: &Tensor, what: &str) -> Result<DType> {
    if !t.dtype().is_float() {
        bail!(op, "{what} must be a floating point tensor, got {}", t.dtype());
    }
    Ok(t.dtype())
}

/// A result tensor of `shape` from compute values, rounded to `dtype`.
pub(crate) fn finish<T: Float>(v: Vec<T>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    Ok(Tensor::from_vec(v, shape)?.to_dtype(dtype))
}

/// `v` rounded to the precision of float dtype `dtype`.
pub(crate) fn round_to(v: f64, dtype: DType) -> f64 {
    match dtype {
        DType::F16 => half::f16::from_f64(v).to_f64(),
        DType::BF16 => half::bf16::from_f64(v).to_f64(),
        DType::F32 => v as f32 as f64,
        _ => v,
    }
}

/// The elements of `t` in row-major order as `T`.
pub(crate) fn values<T: Float>(t: &Tensor) -> Vec<T> {
    t.to_vec::<T>()
}

/// The optional parameter as a contiguous `Vec<T>`.
pub(crate) fn opt_values<T: Float>(t: Option<&Tensor>) -> Option<Vec<T>> {
    t.map(values::<T>)
}

/// PyTorch's CPU mixed-dtype rule for normalization parameters: all given
/// parameters share one dtype, which is the input's, or float32 when the
/// input is float16/bfloat16.
pub(crate) fn check_params(op: &str, input: DType, params: &[(&str, Option<&Tensor>)]) -> Result<()> {
    let mut seen: Option<DType> = None;
    for (name, p) in params {
        let Some(p) = p else { continue };
        let d = p.dtype();
        let ok = d == input || (d == DType::F32 && matches!(input, DType::F16 | DType::BF16));
        if !ok || seen.is_some_and(|s| s != d) {
            bail!(op, "mixed dtype: {name} has dtype {d} but the input is {input} (parameters must match the input, or be float32 for a float16/bfloat16 input)");
        }
        seen = Some(d);
    }
    Ok(())
}

/// A 1-D parameter of `n` elements (weight/bias/running stats), or an error naming it.
pub(crate) fn check_vec(op: &str, name: &str, t: Option<&Tensor>, n: usize) -> Result<()> {
    if let Some(t) = t {
        if t.ndim() != 1 || t.numel() != n {
            bail!(op, "expected {name} to be a vector of {n} elements, got shape {:?}", t.shape());
        }
    }
    Ok(())
}

// ----- lanes ---------------------------------------------------------------

/// `(outer, size, inner)` of `shape` around `dim` (a 0-d shape is `(1, 1, 1)`).
pub(crate) fn split_dim(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    if shape.is_empty() {
        return (1, 1, 1);
    }
    let outer = shape[..dim].iter().product();
    let inner = shape[dim + 1..].iter().product();
    (outer, shape[dim], inner)
}

/// The geometry of the lanes of a contiguous tensor along one dim: lane
/// `l` (`0..outer*inner`) starts at `base(l)` and steps by `inner`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes {
    pub outer: usize,
    pub n: usize,
    pub inner: usize,
}

impl Lanes {
    /// Lanes of `shape` along `dim` (possibly negative).
    pub fn new(op: &str, shape: &[usize], dim: i64) -> Result<Lanes> {
        let d = wrap_dim(op, dim, shape.len())?;
        let (outer, n, inner) = split_dim(shape, d);
        Ok(Lanes { outer, n, inner })
    }
    pub fn count(&self) -> usize {
        self.outer * self.inner
    }
    #[inline]
    pub fn base(&self, lane: usize) -> usize {
        (lane / self.inner) * self.n * self.inner + lane % self.inner
    }
    /// `f(base, stride)` for every lane, collected in lane order (the order
    /// of the result of reducing the dim away); parallel when large.
    pub fn map<R: Send>(&self, f: impl Fn(usize, usize) -> R + Sync) -> Vec<R> {
        let count = self.count();
        if self.inner == 0 {
            return Vec::new();
        }
        if count.saturating_mul(self.n) >= MIN_PARALLEL_ELEMS && count > 1 {
            (0..count).into_par_iter().map(|l| f(self.base(l), self.inner)).collect()
        } else {
            (0..count).map(|l| f(self.base(l), self.inner)).collect()
        }
    }
}

/// Runs `f(rows_in, rows_out)` over blocks of whole rows of `row` elements
/// (`out.len()` a multiple of `row`), in parallel when the work is large.
pub(crate) fn par_rows<T: Send + Sync, U: Send>(x: &[T], out: &mut [U], row: usize, f: impl Fn(&[T], &mut [U]) + Sync) {
    if row == 0 || out.is_empty() {
        return;
    }
    let rows = out.len() / row;
    let threads = rayon::current_num_threads();
    if out.len() < MIN_PARALLEL_ELEMS || rows < 2 || threads < 2 {
        f(x, out);
        return;
    }
    let per = rows.div_ceil(threads * 4).max(1) * row;
    out.par_chunks_mut(per).zip(x.par_chunks(per)).for_each(|(o, i)| f(i, o));
}

/// Runs `f(row_index, row)` over the rows of `out` (each `row` long), in
/// parallel when the work is large.
pub(crate) fn for_rows<U: Send>(out: &mut [U], row: usize, f: impl Fn(usize, &mut [U]) + Sync) {
    if row == 0 {
        return;
    }
    if out.len() >= MIN_PARALLEL_ELEMS && out.len() / row > 1 {
        out.par_chunks_mut(row).enumerate().for_each(|(i, o)| f(i, o));
    } else {
        out.chunks_mut(row).enumerate().for_each(|(i, o)| f(i, o));
    }
}

/// The p-norm of a lane as `torch.linalg.vector_norm` computes it
/// (`p = 0` counts non-zeros, `±inf` take max/min of `|x|`).
pub(crate) fn lane_norm<T: Float>(x: &[T], base: usize, stride: usize, n: usize, p: f64) -> f64 {
    let it = (0..n).map(|j| x[base + j * stride].f().abs());
    if p == 2.0 {
        it.map(|a| a * a).sum::<f64>().sqrt()
    } else if p == 1.0 {
        it.sum()
    } else if p == 0.0 {
        it.filter(|&a| a != 0.0).count() as f64
    } else if p == f64::INFINITY {
        it.fold(if n == 0 { 0.0 } else { f64::NEG_INFINITY }, nan_max)
    } else if p == f64::NEG_INFINITY {
        it.fold(f64::INFINITY, |a, b| if b.is_nan() || a.is_nan() { f64::NAN } else { a.min(b) })
    } else {
        it.map(|a| a.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// NaN-propagating max.
#[inline]
pub(crate) fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

// ----- loss reductions -----------------------------------------------------

/// A loss's `reduction`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reduction {
    None,
    Mean,
    Sum,
}

impl Reduction {
    /// `'none' | 'mean' | 'sum'`, anything else is an error.
    pub(crate) fn parse(op: &str, s: &str) -> Result<Reduction> {
        match s {
            "none" => Ok(Reduction::None),
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            _ => bail!(op, "{s} is not a valid value for reduction (expected 'none', 'mean' or 'sum')"),
        }
    }

    /// The reduction with the deprecated `size_average`/`reduce` flags
    /// applied (`_Reduction.legacy_get_string`) when either is given.
    pub(crate) fn legacy(op: &str, size_average: Option<bool>, reduce: Option<bool>, reduction: &str) -> Result<Reduction> {
        if size_average.is_none() && reduce.is_none() {
            return Reduction::parse(op, reduction);
        }
        Ok(match (size_average.unwrap_or(true), reduce.unwrap_or(true)) {
            (_, false) => Reduction::None,
            (true, true) => Reduction::Mean,
            (false, true) => Reduction::Sum,
        })
    }

    /// Applies the reduction to per-element losses of `shape`, giving a
    /// tensor of `dtype` (`mean` of nothing is NaN, as in PyTorch).
    pub(crate) fn apply<T: Float>(self, v: Vec<T>, shape: &[usize], dtype: DType) -> Result<Tensor> {
        match self {
            Reduction::None => finish(v, shape, dtype),
            Reduction::Sum => scalar_result(sum(&v), dtype),
            Reduction::Mean => scalar_result(sum(&v) / v.len() as f64, dtype),
        }
    }
}

/// A 0-d result of `dtype`.
pub(crate) fn scalar_result(v: f64, dtype: DType) -> Result<Tensor> {
    Ok(Tensor::scalar(Scalar::Float(v), dtype))
}

/// Sum in f64.
pub(crate) fn sum<T: Float>(v: &[T]) -> f64 {
    if v.len() >= MIN_PARALLEL_ELEMS {
        v.par_chunks(MIN_PARALLEL_ELEMS).map(|c| c.iter().map(|x| x.f()).sum::<f64>()).sum()
    } else {
        v.iter().map(|x| x.f()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_cover_every_element_once() {
        for shape in [vec![2usize, 3, 4], vec![5], vec![1, 1], vec![3, 0, 2]] {
            for d in 0..shape.len() {
                let l = Lanes::new("t", &shape, d as i64).unwrap();
                let mut seen = vec![0; shape.iter().product()];
                for b in l.map(|b, s| (b, s)) {
                    for j in 0..l.n {
                        seen[b.0 + j * b.1] += 1;
                    }
                }
                assert!(seen.iter().all(|&c| c == 1), "{shape:?} dim {d}");
            }
        }
    }

    #[test]
    fn legacy_reduction_flags() {
        assert_eq!(Reduction::legacy("t", None, None, "sum").unwrap(), Reduction::Sum);
        assert_eq!(Reduction::legacy("t", Some(false), None, "none").unwrap(), Reduction::Sum);
        assert_eq!(Reduction::legacy("t", None, Some(false), "mean").unwrap(), Reduction::None);
        assert!(Reduction::parse("t", "avg").is_err());
    }

    #[test]
    fn norms_match_definitions() {
        let x = [3.0f64, -4.0, 0.0];
        assert_eq!(lane_norm(&x, 0, 1, 3, 2.0), 5.0);
        assert_eq!(lane_norm(&x, 0, 1, 3, 1.0), 7.0);
        assert_eq!(lane_norm(&x, 0, 1, 3, 0.0), 2.0);
        assert_eq!(lane_norm(&x, 0, 1, 3, f64::INFINITY), 4.0);
        assert_eq!(lane_norm(&x, 0, 1, 3, f64::NEG_INFINITY), 0.0);
    }
}
