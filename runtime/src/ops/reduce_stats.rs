//! Statistical reductions: `var std var_mean std_mean` (with `unbiased` or
//! `correction=`), `norm` and `vector_norm` (any order incl. ±inf, 0 and
//! `'fro'`), `median nanmedian kthvalue mode` (values and indices, with
//! PyTorch's choice of index on ties), `quantile nanquantile`.
//!
//! Moments accumulate in float64 (two-pass per run, runs merged with Chan's
//! formula), as PyTorch's CPU kernels do for float32.

use super::reduce::engine::{
    dispatch_compute, dispatch_float, map_rows, opt_dims, order, pair, plan, reduce_to, require_nonempty, rows_into, split_pairs,
    with_rows, Cmp, Float, Fold, Num, Reduction,
};
use super::{Args, OpDef};
use crate::shape::{wrap_dim, wrap_dims};
use crate::{bail, ensure, promote_types, DType, Element, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "var(Tensor self, bool unbiased=True) -> Tensor", run: run_stat::<VAR, ALL> },
    OpDef { schema: "var.dim(Tensor self, int[]? dim, bool unbiased=True, bool keepdim=False) -> Tensor", run: run_stat::<VAR, DIM> },
    OpDef { schema: "var.dim_int(Tensor self, int dim, bool unbiased=True, bool keepdim=False) -> Tensor", run: run_stat::<VAR, DIM> },
    OpDef { schema: "var.correction(Tensor self, int[]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> Tensor", run: run_stat::<VAR, CORR> },
    OpDef { schema: "var.correction_int(Tensor self, int dim, *, Scalar? correction=None, bool keepdim=False) -> Tensor", run: run_stat::<VAR, CORR> },
    OpDef { schema: "std(Tensor self, bool unbiased=True) -> Tensor", run: run_stat::<STD, ALL> },
    OpDef { schema: "std.dim(Tensor self, int[]? dim, bool unbiased=True, bool keepdim=False) -> Tensor", run: run_stat::<STD, DIM> },
    OpDef { schema: "std.dim_int(Tensor self, int dim, bool unbiased=True, bool keepdim=False) -> Tensor", run: run_stat::<STD, DIM> },
    OpDef { schema: "std.correction(Tensor self, int[]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> Tensor", run: run_stat::<STD, CORR> },
    OpDef { schema: "std.correction_int(Tensor self, int dim, *, Scalar? correction=None, bool keepdim=False) -> Tensor", run: run_stat::<STD, CORR> },
    OpDef { schema: "var_mean(Tensor self, bool unbiased=True) -> (Tensor, Tensor)", run: run_stat::<VAR_MEAN, ALL> },
    OpDef { schema: "var_mean.dim(Tensor self, int[]? dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<VAR_MEAN, DIM> },
    OpDef { schema: "var_mean.dim_int(Tensor self, int dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<VAR_MEAN, DIM> },
    OpDef { schema: "var_mean.correction(Tensor self, int[]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<VAR_MEAN, CORR> },
    OpDef { schema: "var_mean.correction_int(Tensor self, int dim, *, Scalar? correction=None, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<VAR_MEAN, CORR> },
    OpDef { schema: "std_mean(Tensor self, bool unbiased=True) -> (Tensor, Tensor)", run: run_stat::<STD_MEAN, ALL> },
    OpDef { schema: "std_mean.dim(Tensor self, int[]? dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<STD_MEAN, DIM> },
    OpDef { schema: "std_mean.dim_int(Tensor self, int dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<STD_MEAN, DIM> },
    OpDef { schema: "std_mean.correction(Tensor self, int[]? dim=None, *, Scalar? correction=None, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<STD_MEAN, CORR> },
    OpDef { schema: "std_mean.correction_int(Tensor self, int dim, *, Scalar? correction=None, bool keepdim=False) -> (Tensor, Tensor)", run: run_stat::<STD_MEAN, CORR> },
    OpDef { schema: "norm(Tensor self, Scalar? p=2, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_norm },
    OpDef { schema: "norm.int(Tensor self, Scalar? p=2, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_norm },
    OpDef { schema: "norm.str(Tensor self, str p, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_norm },
    OpDef { schema: "norm.str_int(Tensor self, str p, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_norm },
    OpDef { schema: "vector_norm(Tensor self, Scalar ord=2, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_vector_norm },
    OpDef { schema: "vector_norm.int(Tensor self, Scalar ord=2, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_vector_norm },
    OpDef { schema: "median(Tensor self) -> Tensor", run: run_median_all::<false> },
    OpDef { schema: "median.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)", run: run_median_dim::<false> },
    OpDef { schema: "nanmedian(Tensor self) -> Tensor", run: run_median_all::<true> },
    OpDef { schema: "nanmedian.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)", run: run_median_dim::<true> },
    OpDef { schema: "kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False) -> (Tensor, Tensor)", run: run_kthvalue },
    OpDef { schema: "mode(Tensor self, int dim=-1, bool keepdim=False) -> (Tensor, Tensor)", run: run_mode },
    OpDef {
        schema: "quantile(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor",
        run: run_quantile::<false>,
    },
    OpDef {
        schema: "quantile.scalar(Tensor self, float q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor",
        run: run_quantile::<false>,
    },
    OpDef {
        schema: "nanquantile(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor",
        run: run_quantile::<true>,
    },
    OpDef {
        schema: "nanquantile.scalar(Tensor self, float q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor",
        run: run_quantile::<true>,
    },
];

// ----- variance -------------------------------------------------------------------

/// Count, mean and sum of squared deviations of a run (float64).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

struct MomentFold;

impl<T: Float> Fold<T> for MomentFold {
    type Acc = Moments;
    fn fold(&self, run: &[T], _: usize) -> Moments {
        if run.is_empty() {
            return Moments::default();
        }
        let n = run.len() as f64;
        let mean = run.iter().map(|x| x.to_f64()).sum::<f64>() / n;
        let m2 = run.iter().map(|x| (x.to_f64() - mean).powi(2)).sum();
        Moments { n, mean, m2 }
    }
    fn merge(&self, a: Moments, b: Moments) -> Moments {
        if a.n == 0.0 {
            return b;
        }
        if b.n == 0.0 {
            return a;
        }
        let n = a.n + b.n;
        let d = b.mean - a.mean;
        Moments { n, mean: a.mean + d * b.n / n, m2: a.m2 + b.m2 + d * d * a.n * b.n / n }
    }
}

/// Which statistic a `run_stat` overload computes.
const VAR: u8 = 0;
const STD: u8 = 1;
const VAR_MEAN: u8 = 2;
const STD_MEAN: u8 = 3;
/// Overload forms: `(self, unbiased)`, `(self, dim, unbiased, keepdim)`,
/// `(self, dim, *, correction, keepdim)`.
const ALL: u8 = 0;
const DIM: u8 = 1;
const CORR: u8 = 2;

/// Per-output moments of `x` over `dims` (float input only).
fn moments(op: &str, x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<(Reduction, Vec<Moments>)> {
    ensure!(x.dtype().is_float(), op, "std and var only support floating point dtypes, got {}", x.dtype());
    let red = plan(op, x, dims, keepdim)?;
    let m = dispatch_float!(x.dtype(), T => with_rows::<T, _>(x, &red, |d| super::reduce::engine::fold_rows(d, red.outer, red.inner, &MomentFold))?);
    Ok((red, m))
}

/// Variance (or its square root) and mean tensors from moments.
fn finish_moments(x: &Tensor, red: &Reduction, m: &[Moments], correction: f64, sqrt: bool) -> Result<(Tensor, Tensor)> {
    let var: Vec<f64> = m
        .iter()
        .map(|m| {
            let v = m.m2 / (m.n - correction).max(0.0);
            if sqrt {
                v.sqrt()
            } else {
                v
            }
        })
        .collect();
    let mean: Vec<f64> = m.iter().map(|m| if m.n == 0.0 { f64::NAN } else { m.mean }).collect();
    let to = |v: Vec<f64>| -> Result<Tensor> { Ok(Tensor::from_vec(v, &red.out_shape)?.to_dtype(x.dtype())) };
    Ok((to(var)?, to(mean)?))
}

/// `torch.var(x, dim, correction=, keepdim)`: Σ(x-mean)² / max(0, N - correction).
pub fn var(x: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
    let (red, m) = moments("var", x, dims, keepdim)?;
    Ok(finish_moments(x, &red, &m, correction, false)?.0)
}

/// `torch.std`: the square root of `var`.
pub fn std(x: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
    let (red, m) = moments("std", x, dims, keepdim)?;
    Ok(finish_moments(x, &red, &m, correction, true)?.0)
}

/// `torch.var_mean` → (var, mean).
pub fn var_mean(x: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let (red, m) = moments("var_mean", x, dims, keepdim)?;
    finish_moments(x, &red, &m, correction, false)
}

/// `torch.std_mean` → (std, mean).
pub fn std_mean(x: &Tensor, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let (red, m) = moments("std_mean", x, dims, keepdim)?;
    finish_moments(x, &red, &m, correction, true)
}

// ----- norms ----------------------------------------------------------------------

/// The kinds of vector norm by order.
const COUNT: u8 = 0;
const ABS_SUM: u8 = 1;
const SQ_SUM: u8 = 2;
const POW_SUM: u8 = 3;
const MAX_ABS: u8 = 4;
const MIN_ABS: u8 = 5;

/// Σ f(|x|) in float64 for the finite orders, max/min |x| for ±inf.
struct NormFold<const KIND: u8> {
    p: f64,
}

impl<T: Float, const KIND: u8> Fold<T> for NormFold<KIND> {
    type Acc = f64;
    fn fold(&self, run: &[T], _: usize) -> f64 {
        let it = run.iter().map(|x| x.to_f64().abs());
        match KIND {
            COUNT => it.filter(|&a| a != 0.0).count() as f64,
            ABS_SUM => it.sum(),
            SQ_SUM => it.map(|a| a * a).sum(),
            POW_SUM => it.map(|a| a.powf(self.p)).sum(),
            _ => {
                let mut best = if KIND == MAX_ABS { 0.0 } else { f64::INFINITY };
                for a in it {
                    if a.is_nan() {
                        return a;
                    }
                    if (KIND == MAX_ABS && a > best) || (KIND == MIN_ABS && a < best) {
                        best = a;
                    }
                }
                best
            }
        }
    }
    fn merge(&self, a: f64, b: f64) -> f64 {
        match KIND {
            MAX_ABS | MIN_ABS if a.is_nan() || b.is_nan() => f64::NAN,
            MAX_ABS => a.max(b),
            MIN_ABS => a.min(b),
            _ => a + b,
        }
    }
}

/// Folds `x` (compute type `T`) with a norm fold and finishes each result.
fn norm_with<T: Float, const KIND: u8>(x: &Tensor, red: &Reduction, p: f64, fin: impl Fn(f64) -> f64) -> Result<Tensor> {
    reduce_to::<T, _, T>(x, red, &NormFold::<KIND> { p }, |a| T::from_f64(fin(a)))
}

/// `torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None)`.
pub fn vector_norm(x: &Tensor, ord: f64, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    let op = "vector_norm";
    ensure!(x.dtype().is_float(), op, "expected a floating point tensor as input, got {}", x.dtype());
    if let Some(d) = dtype {
        ensure!(d.is_float(), op, "dtype should be floating point, got {d}");
        ensure!(promote_types(x.dtype(), d) == d, op, "the input dtype {} cannot be converted to dtype {d} without narrowing", x.dtype());
    }
    let out = dtype.unwrap_or(x.dtype());
    let red = plan(op, x, dims, keepdim)?;
    if ord < 0.0 || ord == f64::INFINITY {
        let reduced = match dims {
            Some(d) if !d.is_empty() => Some(wrap_dims(op, d, x.ndim())?),
            _ => None,
        };
        require_nonempty(op, x, reduced.as_deref()).map_err(|_| {
            crate::Error::op(op, format!("cannot compute the {ord} norm over an empty dimension of shape {:?}: no identity", x.shape()))
        })?;
    }
    let x = x.to_dtype(out);
    let t = dispatch_float!(out, T => match ord {
        o if o == 0.0 => norm_with::<T, COUNT>(&x, &red, o, |a| a)?,
        o if o == 1.0 => norm_with::<T, ABS_SUM>(&x, &red, o, |a| a)?,
        o if o == 2.0 => norm_with::<T, SQ_SUM>(&x, &red, o, f64::sqrt)?,
        o if o == f64::INFINITY => norm_with::<T, MAX_ABS>(&x, &red, o, |a| a)?,
        o if o == f64::NEG_INFINITY => norm_with::<T, MIN_ABS>(&x, &red, o, |a| a)?,
        o => norm_with::<T, POW_SUM>(&x, &red, o, |a| a.powf(1.0 / o))?,
    });
    Ok(t.to_dtype(out))
}

/// `torch.norm(x, p=2, dim=None, keepdim=False, dtype=None)` with a numeric
/// order; see `norm_str` for `'fro'`.
pub fn norm(x: &Tensor, p: f64, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    vector_norm(x, p, dims, keepdim, dtype).map_err(|e| rename(e, "norm"))
}

/// `torch.norm` with a string order: `'fro'` is the 2-norm over up to two
/// dims; `'nuc'` (needs an SVD) is not supported.
pub fn norm_str(x: &Tensor, p: &str, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    match p {
        "fro" => {
            ensure!(dims.is_none_or(|d| d.len() <= 2), "norm", "'fro' norm takes at most 2 dims, got {dims:?}");
            norm(x, 2.0, dims, keepdim, dtype)
        }
        "nuc" => bail!("norm", "the nuclear norm ('nuc') is not supported"),
        other => bail!("norm", "unknown norm order '{other}' (expected a number, 'fro' or 'nuc')"),
    }
}

fn rename(e: crate::Error, op: &str) -> crate::Error {
    match e {
        crate::Error::Op { msg, .. } => crate::Error::op(op, msg),
        other => other,
    }
}

// ----- order statistics -------------------------------------------------------------

/// The median of a row and its index: the first NaN if there is one (unless
/// `ignore_nan`), else the ((n-1)/2)-th of the rows sorted by (value, index)
/// as PyTorch's `nth_element` with index tie-break picks.
fn median_row<T: Cmp>(row: &[T], ignore_nan: bool) -> (T, i64) {
    if row.is_empty() {
        return (T::default(), 0);
    }
    if !ignore_nan {
        if let Some(i) = row.iter().position(|v| v.is_nan()) {
            return (row[i], i as i64);
        }
    }
    let nans = row.iter().filter(|v| v.is_nan()).count();
    if nans == row.len() {
        let i = introselect_all_equivalent(row.len());
        return (row[i], i as i64);
    }
    let k = (row.len() - nans - 1) / 2;
    let mut idx: Vec<usize> = (0..row.len()).collect();
    idx.select_nth_unstable_by(k, |&i, &j| order(row[i], row[j]).then(i.cmp(&j)));
    (row[idx[k]], idx[k] as i64)
}

/// The index libstdc++'s `nth_element(first, first, last, comp)` leaves in
/// front when `comp` holds for no pair (an all-NaN row in `nanmedian`):
/// median-of-three moves the middle element first, then the unguarded
/// partition swaps pairs from both ends until they meet.
fn introselect_all_equivalent(n: usize) -> usize {
    let mut idx: Vec<usize> = (0..n).collect();
    let (first, mut last) = (0, n);
    while last - first > 3 {
        idx.swap(first, first + (last - first) / 2);
        let (mut lo, mut hi) = (first + 1, last);
        loop {
            hi -= 1;
            if lo >= hi {
                break;
            }
            idx.swap(lo, hi);
            lo += 1;
        }
        last = lo;
    }
    idx[first]
}

/// The lower median of all elements (NaN if any is NaN, unless `ignore_nan`).
pub fn median(x: &Tensor, ignore_nan: bool) -> Result<Tensor> {
    let op = if ignore_nan { "nanmedian" } else { "median" };
    ensure!(x.dtype() != DType::Bool, op, "not implemented for bool tensors");
    let red = Reduction::new(x.shape(), &(0..x.ndim()).collect::<Vec<_>>(), false);
    let t = dispatch_compute!(x.dtype(), T => {
        let v = with_rows::<T, _>(x, &red, |d| {
            if d.is_empty() { T::from_f64(f64::NAN) } else { median_row(d, ignore_nan).0 }
        })?;
        Tensor::from_vec(vec![v], &[])?
    });
    Ok(t.to_dtype(x.dtype()))
}

/// (values, indices) along `dim`: `$body` maps each row `$row` (in the
/// compute type `$T` of `x`) to a (value, index) pair.
macro_rules! select_rows {
    ($op:expr, $x:expr, $dim:expr, $keepdim:expr, $T:ident, $row:ident => $body:expr) => {{
        let x: &Tensor = $x;
        let d = wrap_dim($op, $dim, x.ndim())?;
        require_nonempty($op, x, Some(&[d]))?;
        let red = Reduction::along(x.shape(), d, $keepdim);
        dispatch_compute!(x.dtype(), $T => {
            let v = with_rows::<$T, _>(x, &red, |data| map_rows(data, red.outer, red.inner, |$row: &[$T]| $body))?;
            split_pairs(v, &red.out_shape, x.dtype())
        })
    }};
}

/// `torch.median(x, dim, keepdim)` → (values, indices).
pub fn median_dim(x: &Tensor, dim: i64, keepdim: bool, ignore_nan: bool) -> Result<(Tensor, Tensor)> {
    let op = if ignore_nan { "nanmedian" } else { "median" };
    ensure!(x.dtype() != DType::Bool, op, "not implemented for bool tensors");
    select_rows!(op, x, dim, keepdim, T, row => median_row::<T>(row, ignore_nan))
}

/// PyTorch's quickselect (Sedgewick partitioning, median-of-three pivot,
/// NaN largest) on `vals`/`idx`, so ties resolve to the same index.
fn quick_select<T: Cmp>(vals: &mut [T], idx: &mut [i64], k: usize) {
    let gt = |a: T, b: T| (a.is_nan() && !b.is_nan()) || a > b;
    let swap = |v: &mut [T], ix: &mut [i64], i: usize, j: usize| {
        v.swap(i, j);
        ix.swap(i, j);
    };
    let (mut l, mut r) = (0usize, vals.len().saturating_sub(1));
    loop {
        if r <= l {
            return;
        }
        if r == l + 1 {
            if gt(vals[l], vals[r]) {
                swap(vals, idx, l, r);
            }
            return;
        }
        let p = (l + r) / 2;
        swap(vals, idx, p, l + 1);
        if gt(vals[l + 1], vals[r]) {
            swap(vals, idx, l + 1, r);
        }
        if gt(vals[l], vals[r]) {
            swap(vals, idx, l, r);
        }
        if gt(vals[l + 1], vals[l]) {
            swap(vals, idx, l + 1, l);
        }
        let (mut i, mut j) = (l + 1, r);
        let piv = vals[l];
        loop {
            i += 1;
            while gt(piv, vals[i]) {
                i += 1;
            }
            j -= 1;
            while gt(vals[j], piv) {
                j -= 1;
            }
            if j < i {
                break;
            }
            swap(vals, idx, i, j);
        }
        swap(vals, idx, l, j);
        if j <= k {
            l = i;
        }
        if j >= k {
            r = j - 1;
        }
    }
}

fn kth_row<T: Cmp>(row: &[T], k: usize) -> (T, i64) {
    let mut vals = row.to_vec();
    let mut idx: Vec<i64> = (0..row.len() as i64).collect();
    quick_select(&mut vals, &mut idx, k);
    (vals[k], idx[k])
}

/// `torch.kthvalue(x, k, dim=-1, keepdim=False)`: the k-th smallest (1-based).
pub fn kthvalue(x: &Tensor, k: i64, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let op = "kthvalue";
    ensure!(x.dtype() != DType::Bool, op, "not implemented for bool tensors");
    let d = wrap_dim(op, dim, x.ndim())?;
    let size = if x.ndim() == 0 { 1 } else { x.shape()[d] };
    ensure!(k >= 1 && k as usize <= size, op, "k = {k} is out of range for dim {dim} of size {size}");
    let k = (k - 1) as usize;
    select_rows!(op, x, dim, keepdim, T, row => kth_row::<T>(row, k))
}

/// The most frequent value of a row (the smallest on ties) and the last
/// index where it occurs.
fn mode_row<T: Cmp>(row: &[T]) -> (T, i64) {
    let mut s: Vec<(T, i64)> = row.iter().copied().zip(0..).collect();
    s.sort_by(|a, b| order(a.0, b.0));
    let (mut best, mut freq, mut run) = ((T::default(), 0), 0, 0);
    for i in 0..s.len() {
        run += 1;
        if i + 1 == s.len() || s[i].0 != s[i + 1].0 {
            if run > freq {
                best = s[i];
                freq = run;
            }
            run = 0;
        }
    }
    best
}

/// `torch.mode(x, dim=-1, keepdim=False)` → (values, indices).
pub fn mode(x: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    select_rows!("mode", x, dim, keepdim, T, row => mode_row::<T>(row))
}

// ----- quantiles ----------------------------------------------------------------------

/// How `quantile` picks between the two neighbouring order statistics.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Interp {
    Linear,
    Lower,
    Higher,
    Midpoint,
    Nearest,
}

fn interp(s: &str) -> Result<Interp> {
    Ok(match s {
        "linear" => Interp::Linear,
        "lower" => Interp::Lower,
        "higher" => Interp::Higher,
        "midpoint" => Interp::Midpoint,
        "nearest" => Interp::Nearest,
        other => bail!("quantile", "interpolation must be one of linear, lower, higher, midpoint or nearest, but got {other}"),
    })
}

/// PyTorch's `lerp`: exact at both ends.
fn lerp<T: Float>(a: T, b: T, w: T) -> T {
    if w.abs().to_f64() < 0.5 {
        a.add(w.mul(b.sub(a)))
    } else {
        b.sub(b.sub(a).mul(T::ONE.sub(w)))
    }
}

/// Quantiles `qs` of one row (sorted in place, NaN last), rank arithmetic in `T`.
fn quantile_row<T: Float>(row: &mut [T], qs: &[T], how: Interp, ignore_nan: bool, out: &mut [T]) {
    row.sort_by(|a, b| order(*a, *b));
    let n = row.len();
    let valid = row.iter().filter(|v| !v.is_nan()).count();
    for (o, &q) in out.iter_mut().zip(qs) {
        let rank = if ignore_nan {
            let r = q.mul(T::from_f64(valid as f64 - 1.0));
            if r < T::ZERO {
                T::ZERO
            } else {
                r
            }
        } else if valid < n {
            T::from_f64((n - 1) as f64)
        } else {
            q.mul(T::from_f64((n - 1) as f64))
        };
        let r = rank.to_f64();
        let r = match how {
            Interp::Lower => r.floor(),
            Interp::Higher => r.ceil(),
            Interp::Nearest => r.round_ties_even(),
            Interp::Linear | Interp::Midpoint => r,
        };
        let below = (r as usize).min(n - 1);
        *o = match how {
            Interp::Linear | Interp::Midpoint => {
                let above = (r.ceil() as usize).min(n - 1);
                let w = if how == Interp::Midpoint { T::from_f64(0.5) } else { T::from_f64(r).sub(T::from_f64(below as f64)) };
                lerp(row[below], row[above], w)
            }
            _ => row[below],
        };
    }
}

/// `torch.quantile(x, q, dim=None, keepdim=False, interpolation='linear')`
/// with a 0-d or 1-d `q` (a 1-d `q` adds a leading dim); `nanquantile`
/// with `ignore_nan`.
pub fn quantile(x: &Tensor, q: &Tensor, dim: Option<i64>, keepdim: bool, interpolation: &str, ignore_nan: bool) -> Result<Tensor> {
    let op = if ignore_nan { "nanquantile" } else { "quantile" };
    ensure!(x.numel() > 0, op, "input tensor must be non-empty");
    ensure!(q.ndim() <= 1, op, "q must be a scalar or 1D tensor, got shape {:?}", q.shape());
    ensure!(matches!(x.dtype(), DType::F32 | DType::F64), op, "input tensor must be either float or double dtype, got {}", x.dtype());
    ensure!(q.dtype() == x.dtype(), op, "q tensor must be same dtype as the input tensor ({} vs {})", q.dtype(), x.dtype());
    let how = interp(interpolation)?;
    let qv = q.to_vec::<f64>();
    ensure!(qv.iter().all(|v| (0.0..=1.0).contains(v)), op, "q values must be in the range [0, 1]");
    let dims = match dim {
        Some(d) => vec![wrap_dim(op, d, x.ndim())?],
        None => (0..x.ndim()).collect(),
    };
    let red = Reduction::new(x.shape(), &dims, keepdim);
    let nq = qv.len();
    let t = dispatch_float!(x.dtype(), T => {
        let qs: Vec<T> = qv.iter().map(|&v| T::from_f64(v)).collect();
        let mut res = vec![T::ZERO; red.outer * nq];
        with_rows::<T, _>(x, &red, |data| {
            rows_into(data, red.inner, &mut res, nq, |row, o| quantile_row(&mut row.to_vec(), &qs, how, ignore_nan, o))
        })?;
        // [outer, nq] → [nq, outer]
        let mut shape = vec![nq];
        shape.extend_from_slice(&red.out_shape);
        let mut tr = vec![T::ZERO; res.len()];
        for (i, v) in res.into_iter().enumerate() {
            tr[(i % nq.max(1)) * red.outer + i / nq.max(1)] = v;
        }
        if q.ndim() == 0 {
            shape.remove(0);
        }
        Tensor::from_vec(tr, &shape)?
    });
    Ok(t)
}

/// `quantile` with a float `q` (checked to lie in [0, 1]).
pub fn quantile_scalar(x: &Tensor, q: f64, dim: Option<i64>, keepdim: bool, interpolation: &str, ignore_nan: bool) -> Result<Tensor> {
    let op = if ignore_nan { "nanquantile" } else { "quantile" };
    ensure!((0.0..=1.0).contains(&q), op, "q must be in the range [0, 1] but got {q}");
    let qt = Tensor::from_vec(vec![q], &[])?.to_dtype(if x.dtype().is_float() { x.dtype() } else { DType::F32 });
    quantile(x, &qt, dim, keepdim, interpolation, ignore_nan)
}

// ----- schema wrappers ---------------------------------------------------------------

fn run_stat<const KIND: u8, const FORM: u8>(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let unbiased = |b: bool| if b { 1.0 } else { 0.0 };
    let (dims, correction, keepdim) = match FORM {
        ALL => (None, unbiased(a.bool(1)?), false),
        DIM => (opt_dims(a, 1)?, unbiased(a.bool(2)?), a.bool(3)?),
        _ => (opt_dims(a, 1)?, a.opt_scalar(2)?.map_or(1.0, |s| s.to_f64()), a.bool(3)?),
    };
    let dims = dims.as_deref();
    Ok(match KIND {
        VAR => var(x, dims, correction, keepdim)?.into(),
        STD => std(x, dims, correction, keepdim)?.into(),
        VAR_MEAN => {
            let (v, m) = var_mean(x, dims, correction, keepdim)?;
            pair(v, m)
        }
        _ => {
            let (s, m) = std_mean(x, dims, correction, keepdim)?;
            pair(s, m)
        }
    })
}

fn run_norm(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let (dims, keepdim, dtype) = (opt_dims(a, 2)?, a.bool(3)?, a.opt_dtype(4)?);
    let dims = dims.as_deref();
    Ok(match a.value(1)? {
        Value::Str(p) => norm_str(x, p, dims, keepdim, dtype)?,
        _ => norm(x, a.opt_scalar(1)?.map_or(2.0, |s| s.to_f64()), dims, keepdim, dtype)?,
    }
    .into())
}

fn run_vector_norm(a: &Args) -> Result<Value> {
    Ok(vector_norm(a.tensor(0)?, a.scalar(1)?.to_f64(), opt_dims(a, 2)?.as_deref(), a.bool(3)?, a.opt_dtype(4)?)?.into())
}

fn run_median_all<const IGNORE_NAN: bool>(a: &Args) -> Result<Value> {
    Ok(median(a.tensor(0)?, IGNORE_NAN)?.into())
}

fn run_median_dim<const IGNORE_NAN: bool>(a: &Args) -> Result<Value> {
    let (v, i) = median_dim(a.tensor(0)?, a.int(1)?, a.bool(2)?, IGNORE_NAN)?;
    Ok(pair(v, i))
}

fn run_kthvalue(a: &Args) -> Result<Value> {
    let (v, i) = kthvalue(a.tensor(0)?, a.int(1)?, a.int(2)?, a.bool(3)?)?;
    Ok(pair(v, i))
}

fn run_mode(a: &Args) -> Result<Value> {
    let (v, i) = mode(a.tensor(0)?, a.int(1)?, a.bool(2)?)?;
    Ok(pair(v, i))
}

fn run_quantile<const IGNORE_NAN: bool>(a: &Args) -> Result<Value> {
    let (x, dim, keepdim, how) = (a.tensor(0)?, a.opt_int(2)?, a.bool(3)?, a.str(4)?);
    Ok(match a.value(1)? {
        Value::Tensor(q) => quantile(x, q, dim, keepdim, how, IGNORE_NAN)?,
        _ => quantile_scalar(x, a.float(1)?, dim, keepdim, how, IGNORE_NAN)?,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_select_matches_pytorch_on_ties() {
        // torch.kthvalue(tensor([3., 1, 2, 1]), 2) -> (1., index 3)
        assert_eq!(kth_row(&[3.0f32, 1., 2., 1.], 1), (1.0, 3));
    }

    #[test]
    fn median_picks_by_value_then_index() {
        // torch.tensor([2., 1, 2, 1, 3]).median(0) -> (2., index 0)
        assert_eq!(median_row(&[2.0f32, 1., 2., 1., 3.], false), (2.0, 0));
        let r = median_row(&[1.0f32, f32::NAN, 2.], false);
        assert!(r.0.is_nan() && r.1 == 1);
    }

    #[test]
    fn mode_prefers_smallest_value_and_last_index() {
        assert_eq!(mode_row(&[3.0f32, 1., 1., 2., 3., 3., 1.]), (1.0, 6));
    }

    #[test]
    fn moments_merge_like_one_pass() {
        let v: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.37).sin()).collect();
        let whole = MomentFold.fold(&v[..], 0);
        let parts = Fold::<f64>::merge(&MomentFold, MomentFold.fold(&v[..300], 0), MomentFold.fold(&v[300..], 300));
        assert!((whole.m2 - parts.m2).abs() < 1e-9 && (whole.mean - parts.mean).abs() < 1e-12);
    }
}
