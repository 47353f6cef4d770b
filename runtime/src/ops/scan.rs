//! Scans along a dim: `cumsum cumprod` (integers and bools accumulate to
//! int64 unless `dtype=`; floats accumulate in float64 as PyTorch's CPU
//! kernels do), `cummax cummin` (values and the index of the running
//! extreme: the latest on ties, NaN sticks), `logcumsumexp` (floats only).
//!
//! Each scan moves its dim innermost, runs a tight loop per row (rows in
//! parallel when big) and puts the result back in the input's dim order.

use super::reduce::engine::{pair, rows_into, with_rows, Cmp, Float, Reduction};
use super::{Args, OpDef};
use crate::shape::wrap_dim;
use crate::{ensure, DType, Element, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", run: run_cumsum },
    OpDef { schema: "cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor", run: run_cumprod },
    OpDef { schema: "cummax(Tensor self, int dim) -> (Tensor, Tensor)", run: run_cummax },
    OpDef { schema: "cummin(Tensor self, int dim) -> (Tensor, Tensor)", run: run_cummin },
    OpDef { schema: "logcumsumexp(Tensor self, int dim) -> Tensor", run: run_logcumsumexp },
];

/// Scans each row of `x` along `dim` (read as `T`) into rows of `O`, then
/// restores `x`'s dim order. Returns the geometry and the permuted rows.
fn scan_rows<T: Element, O: Copy + Default + Send>(op: &str, x: &Tensor, dim: i64, f: impl Fn(&[T], &mut [O]) + Sync) -> Result<(Reduction, usize, Vec<O>)> {
    let d = wrap_dim(op, dim, x.ndim())?;
    let red = Reduction::along(x.shape(), d, true);
    let n = red.inner;
    let mut out = vec![O::default(); red.outer * n];
    with_rows::<T, _>(x, &red, |data| rows_into(data, n, &mut out, n, &f))?;
    Ok((red, d, out))
}

/// A scan producing one tensor of element type `O`.
fn scan<T: Element, O: Element + Default>(op: &str, x: &Tensor, dim: i64, f: impl Fn(&[T], &mut [O]) + Sync) -> Result<Tensor> {
    let (red, d, out) = scan_rows(op, x, dim, f)?;
    red.restore(out, x.shape(), d, red.inner)
}

/// Running sum (`PROD` false) or product of a float row, accumulated in f64.
fn cum_float<T: Element, const PROD: bool>(row: &[T], out: &mut [T]) {
    let mut acc = if PROD { 1.0 } else { 0.0 };
    for (o, &v) in out.iter_mut().zip(row) {
        acc = if PROD { acc * v.to_f64() } else { acc + v.to_f64() };
        *o = T::from_f64(acc);
    }
}

/// Running sum or product of an integer row (wrapping like int64 in C++).
fn cum_int<const PROD: bool>(row: &[i64], out: &mut [i64]) {
    let mut acc: i64 = if PROD { 1 } else { 0 };
    for (o, &v) in out.iter_mut().zip(row) {
        acc = if PROD { acc.wrapping_mul(v) } else { acc.wrapping_add(v) };
        *o = acc;
    }
}

fn cumulative<const PROD: bool>(op: &str, x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    let out = dtype.unwrap_or(if x.dtype().is_float() { x.dtype() } else { DType::I64 });
    let x = dtype.map_or_else(|| x.clone(), |d| x.to_dtype(d));
    let t = match out.compute() {
        DType::F64 => scan(op, &x, dim, cum_float::<f64, PROD>)?,
        DType::F32 => scan(op, &x, dim, cum_float::<f32, PROD>)?,
        _ => scan(op, &x, dim, cum_int::<PROD>)?,
    };
    Ok(t.to_dtype(out))
}

/// `torch.cumsum(x, dim, dtype=None)`.
pub fn cumsum(x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    cumulative::<false>("cumsum", x, dim, dtype)
}

/// `torch.cumprod(x, dim, dtype=None)`.
pub fn cumprod(x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    cumulative::<true>("cumprod", x, dim, dtype)
}

/// Running max (`MAX`) or min with its index: a later equal value takes
/// over, and once a NaN is seen every later NaN does.
fn cum_extreme<T: Cmp, const MAX: bool>(row: &[T], out: &mut [(T, i64)]) {
    let Some(&first) = row.first() else { return };
    let (mut best, mut at) = (first, 0i64);
    for ((o, &v), i) in out.iter_mut().zip(row).zip(0i64..) {
        let takes = if MAX { v >= best } else { v <= best };
        if v.is_nan() || (!best.is_nan() && takes) {
            best = v;
            at = i;
        }
        *o = (best, at);
    }
}

fn cum_extreme_op<const MAX: bool>(op: &str, x: &Tensor, dim: i64) -> Result<(Tensor, Tensor)> {
    super::reduce::engine::dispatch_compute!(x.dtype(), T => {
        let (red, d, out) = scan_rows(op, x, dim, cum_extreme::<T, MAX>)?;
        let (vals, idx): (Vec<T>, Vec<i64>) = out.into_iter().unzip();
        let vals = red.restore(vals, x.shape(), d, red.inner)?.to_dtype(x.dtype());
        Ok((vals, red.restore(idx, x.shape(), d, red.inner)?))
    })
}

/// `torch.cummax(x, dim)` → (values, indices).
pub fn cummax(x: &Tensor, dim: i64) -> Result<(Tensor, Tensor)> {
    cum_extreme_op::<true>("cummax", x, dim)
}

/// `torch.cummin(x, dim)` → (values, indices).
pub fn cummin(x: &Tensor, dim: i64) -> Result<(Tensor, Tensor)> {
    cum_extreme_op::<false>("cummin", x, dim)
}

/// log(exp(x) + exp(y)) as PyTorch's `_log_add_exp_helper` (NaN propagates,
/// equal infinities stay put).
#[inline]
fn log_add_exp<T: Float>(x: T, y: T) -> T {
    let (lo, hi) = if y.is_nan() {
        (y, y)
    } else if x < y {
        (x, y)
    } else {
        (y, x)
    };
    if lo != hi || !lo.is_infinite() {
        hi.add(lo.sub(hi).exp().ln_1p())
    } else {
        x
    }
}

fn logcumsumexp_row<T: Float>(row: &[T], out: &mut [T]) {
    let mut acc = T::LOWEST;
    for (o, &v) in out.iter_mut().zip(row) {
        acc = log_add_exp(v, acc);
        *o = acc;
    }
}

/// `torch.logcumsumexp(x, dim)`: floats only.
pub fn logcumsumexp(x: &Tensor, dim: i64) -> Result<Tensor> {
    let op = "logcumsumexp";
    ensure!(x.dtype().is_float(), op, "not implemented for {} tensors (floats only)", x.dtype());
    let t = match x.dtype() {
        DType::F64 => scan(op, x, dim, logcumsumexp_row::<f64>)?,
        _ => scan(op, x, dim, logcumsumexp_row::<f32>)?,
    };
    Ok(t.to_dtype(x.dtype()))
}

fn run_cumsum(a: &Args) -> Result<Value> {
    Ok(cumsum(a.tensor(0)?, a.int(1)?, a.opt_dtype(2)?)?.into())
}
fn run_cumprod(a: &Args) -> Result<Value> {
    Ok(cumprod(a.tensor(0)?, a.int(1)?, a.opt_dtype(2)?)?.into())
}
fn run_cummax(a: &Args) -> Result<Value> {
    let (v, i) = cummax(a.tensor(0)?, a.int(1)?)?;
    Ok(pair(v, i))
}
fn run_cummin(a: &Args) -> Result<Value> {
    let (v, i) = cummin(a.tensor(0)?, a.int(1)?)?;
    Ok(pair(v, i))
}
fn run_logcumsumexp(a: &Args) -> Result<Value> {
    Ok(logcumsumexp(a.tensor(0)?, a.int(1)?)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cummax_takes_later_ties_and_sticks_to_nan() {
        let mut out = [(0.0f32, 0i64); 5];
        cum_extreme::<f32, true>(&[1., 3., 2., 3., 1.], &mut out);
        assert_eq!(out.map(|p| p.1), [0, 1, 1, 3, 3]);
        cum_extreme::<f32, true>(&[1., f32::NAN, 3., f32::NAN, 5.], &mut out);
        assert_eq!(out.map(|p| p.1), [0, 1, 1, 3, 3]);
    }

    #[test]
    fn cumsum_along_dim_zero_restores_layout() {
        let x = Tensor::from_vec((0..6).collect::<Vec<i64>>(), &[2, 3]).unwrap();
        assert_eq!(cumsum(&x, 0, None).unwrap().to_vec::<i64>(), vec![0, 1, 2, 3, 5, 7]);
    }

    #[test]
    fn log_add_exp_handles_infinities() {
        assert_eq!(log_add_exp(f32::NEG_INFINITY, f32::NEG_INFINITY), f32::NEG_INFINITY);
        assert_eq!(log_add_exp(f32::INFINITY, 1.0), f32::INFINITY);
        assert!(log_add_exp(1.0f32, f32::NAN).is_nan());
    }
}
