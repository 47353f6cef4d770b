//! Sorting and searching: `sort argsort msort topk` (stable; NaN sorts as
//! the largest value), `searchsorted bucketize` (batched rows, `right`/
//! `side`, `sorter`), `histc bincount`, `unique` (sorted, with inverse and
//! counts).

use super::reduce::engine::{dispatch_compute, dispatch_float, order, pair, rows_into, with_rows, Cmp, Float, Num, Reduction};
use super::{Args, OpDef};
use crate::shape::wrap_dim;
use crate::{bail, ensure, DType, Element, Result, Scalar, Tensor, Value};
use std::cmp::Ordering;
use tsc_kernels::parallel::map_chunks_mut;

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "sort(Tensor self, int dim=-1, bool descending=False, bool? stable=False) -> (Tensor, Tensor)", run: run_sort },
    OpDef { schema: "argsort(Tensor self, int dim=-1, bool descending=False, bool stable=False) -> Tensor", run: run_argsort },
    OpDef { schema: "msort(Tensor self) -> Tensor", run: run_msort },
    OpDef { schema: "topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor, Tensor)", run: run_topk },
    OpDef {
        schema: "searchsorted(Tensor sorted_sequence, Tensor input, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor",
        run: run_searchsorted,
    },
    OpDef {
        schema: "searchsorted.Scalar(Tensor sorted_sequence, Scalar input, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor",
        run: run_searchsorted,
    },
    OpDef { schema: "bucketize(Tensor input, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor", run: run_bucketize },
    OpDef { schema: "bucketize.Scalar(Scalar input, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor", run: run_bucketize },
    OpDef { schema: "histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0) -> Tensor", run: run_histc },
    OpDef { schema: "bincount(Tensor self, Tensor? weights=None, int minlength=0) -> Tensor", run: run_bincount },
    OpDef {
        schema: "unique(Tensor self, bool sorted=True, bool return_inverse=False, bool return_counts=False, int? dim=None) -> Any",
        run: run_unique,
    },
];

// ----- sort, argsort, topk --------------------------------------------------------------

/// Ascending (NaN last) or descending (NaN first) order of values.
#[inline]
fn cmp_dir<T: Cmp>(a: T, b: T, descending: bool) -> Ordering {
    if descending {
        order(b, a)
    } else {
        order(a, b)
    }
}

/// Stable sort of a row into (value, original index) pairs.
fn sort_row<T: Cmp>(row: &[T], descending: bool, out: &mut [(T, i64)]) {
    for ((o, &v), i) in out.iter_mut().zip(row).zip(0i64..) {
        *o = (v, i);
    }
    out.sort_by(|a, b| cmp_dir(a.0, b.0, descending));
}

/// The `k` largest (or smallest) of a row, best first, ties by index.
fn topk_row<T: Cmp>(row: &[T], largest: bool, out: &mut [(T, i64)]) {
    let k = out.len();
    let mut all: Vec<(T, i64)> = row.iter().copied().zip(0i64..).collect();
    let cmp = |a: &(T, i64), b: &(T, i64)| cmp_dir(a.0, b.0, largest).then(a.1.cmp(&b.1));
    if k < all.len() {
        all.select_nth_unstable_by(k, cmp);
    }
    all.truncate(k);
    all.sort_by(cmp);
    out.copy_from_slice(&all);
}

/// Shared driver of `sort` and `topk`: `row_fn` fills `len` pairs per row.
macro_rules! pairs_along {
    ($op:expr, $x:expr, $dim:expr, $len:expr, $T:ident, ($row:ident, $out:ident) => $body:expr) => {{
        let x: &Tensor = $x;
        let d = wrap_dim($op, $dim, x.ndim())?;
        let red = Reduction::along(x.shape(), d, true);
        let len: usize = $len;
        dispatch_compute!(x.dtype(), $T => {
            let mut res = vec![(<$T>::default(), 0i64); red.outer * len];
            with_rows::<$T, _>(x, &red, |data| rows_into(data, red.inner, &mut res, len, |$row: &[$T], $out: &mut [($T, i64)]| $body))?;
            let (vals, idx): (Vec<$T>, Vec<i64>) = res.into_iter().unzip();
            let vals = red.restore(vals, x.shape(), d, len)?.to_dtype(x.dtype());
            Ok::<_, crate::Error>((vals, red.restore(idx, x.shape(), d, len)?))
        })
    }};
}

/// `torch.sort(x, dim=-1, descending=False)` → (values, indices); always
/// stable, NaN largest.
pub fn sort(x: &Tensor, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
    let n = if x.ndim() == 0 { 1 } else { x.shape()[wrap_dim("sort", dim, x.ndim())?] };
    pairs_along!("sort", x, dim, n, T, (row, out) => sort_row::<T>(row, descending, out))
}

/// `torch.argsort(x, dim=-1, descending=False)`.
pub fn argsort(x: &Tensor, dim: i64, descending: bool) -> Result<Tensor> {
    Ok(sort(x, dim, descending)?.1)
}

/// `torch.msort(x)`: values sorted along dim 0.
pub fn msort(x: &Tensor) -> Result<Tensor> {
    Ok(sort(x, 0, false)?.0)
}

/// `torch.topk(x, k, dim=-1, largest=True, sorted=True)` → (values,
/// indices), always in sorted order.
pub fn topk(x: &Tensor, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim("topk", dim, x.ndim())?;
    let n = if x.ndim() == 0 { 1 } else { x.shape()[d] };
    ensure!(k >= 0 && k as usize <= n, "topk", "k = {k} is out of range for dim {dim} of size {n}");
    pairs_along!("topk", x, dim, k as usize, T, (row, out) => topk_row::<T>(row, largest, out))
}

// ----- searchsorted, bucketize -------------------------------------------------------------

/// PyTorch's lower/upper bound: NaN values land after every boundary.
#[inline]
fn bound<T: Cmp>(seq: &[T], sorter: Option<&[i64]>, val: T, right: bool) -> i64 {
    let (mut lo, mut hi) = (0usize, seq.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let m = match sorter {
            Some(s) => seq[s[mid] as usize],
            None => seq[mid],
        };
        let after = if right { !(m > val) } else { !(m >= val) };
        if after {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo as i64
}

/// The compute type searches compare in: float64 when either side is a
/// float, else int64.
fn search_dtype(a: DType, b: DType) -> DType {
    if a.is_float() || b.is_float() {
        DType::F64
    } else {
        DType::I64
    }
}

/// Checks the shapes of `searchsorted` and returns (rows, boundaries per
/// row, values per row).
fn search_geometry(seq: &Tensor, input: &Tensor, sorter: Option<&Tensor>) -> Result<(usize, usize, usize)> {
    let op = "searchsorted";
    ensure!(seq.ndim() >= 1, op, "boundaries tensor should have positive dimension, but got 0 dimension");
    let m = seq.shape()[seq.ndim() - 1];
    if let Some(s) = sorter {
        ensure!(s.shape() == seq.shape(), op, "sorter {:?} and boundaries {:?} must have the same shape", s.shape(), seq.shape());
        ensure!(s.dtype() == DType::I64, op, "sorter must be a tensor of long dtype, got {}", s.dtype());
    }
    if seq.ndim() == 1 {
        return Ok((1, m, input.numel()));
    }
    let lead = &seq.shape()[..seq.ndim() - 1];
    ensure!(
        input.ndim() == seq.ndim() && &input.shape()[..input.ndim() - 1] == lead,
        op,
        "boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries {:?} and input value {:?} must match",
        seq.shape(),
        input.shape()
    );
    Ok((lead.iter().product(), m, input.shape()[input.ndim() - 1]))
}

/// `torch.searchsorted(sorted_sequence, input, out_int32, right, side, sorter)`.
pub fn searchsorted(seq: &Tensor, input: &Tensor, out_int32: bool, right: bool, side: Option<&str>, sorter: Option<&Tensor>) -> Result<Tensor> {
    let op = "searchsorted";
    let right = match side {
        None => right,
        Some("right") => true,
        Some("left") => {
            ensure!(!right, op, "side and right can't be set to opposites, got side of left while right was True");
            false
        }
        Some(s) => bail!(op, "side can only be 'left' or 'right' but got {s}"),
    };
    let (_rows, m, k) = search_geometry(seq, input, sorter)?;
    let sorter = sorter.map(|s| s.to_vec::<i64>());
    if let Some(s) = &sorter {
        ensure!(s.iter().all(|&v| v >= 0 && (v as usize) < m), op, "sorter index out of range (boundaries have {m} per row)");
    }
    let mut out = vec![0i64; input.numel()];
    let ct = search_dtype(seq.dtype(), input.dtype());
    dispatch_compute!(ct, T => {
        let s: Vec<T> = seq.to_vec::<T>();
        let v: Vec<T> = input.to_vec::<T>();
        let cost = (usize::BITS - m.leading_zeros()) as usize;
        map_chunks_mut(&mut out, cost, |start, part| {
            for (j, o) in part.iter_mut().enumerate() {
                let i = start + j;
                let r = if k == 0 { 0 } else { i / k };
                let so = sorter.as_ref().map(|s| &s[r * m..(r + 1) * m]);
                *o = bound(&s[r * m..(r + 1) * m], so, v[i], right);
            }
        });
    });
    let t = Tensor::from_vec(out, input.shape())?;
    Ok(if out_int32 { t.to_dtype(DType::I32) } else { t })
}

/// `torch.bucketize(input, boundaries, out_int32=False, right=False)`:
/// 1-D boundaries only.
pub fn bucketize(input: &Tensor, boundaries: &Tensor, out_int32: bool, right: bool) -> Result<Tensor> {
    ensure!(boundaries.ndim() == 1, "bucketize", "boundaries tensor must be 1 dimension, but got dim({})", boundaries.ndim());
    searchsorted(boundaries, input, out_int32, right, None, None)
}

// ----- histc, bincount ------------------------------------------------------------------------

/// The outer edges of `histc`: `[min, max]`, else the data's range, widened
/// by one each way when empty.
fn histc_range(x: &Tensor, min: f64, max: f64) -> Result<(f64, f64)> {
    let (mut lo, mut hi) = (min, max);
    if lo == hi && x.numel() > 0 {
        let (a, b) = super::reduce::aminmax(x, None, false)?;
        lo = a.item()?.to_f64();
        hi = b.item()?.to_f64();
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    ensure!(lo.is_finite() && hi.is_finite(), "histc", "range of [{lo}, {hi}] is not finite");
    ensure!(lo < hi, "histc", "max must be larger than min");
    Ok((lo, hi))
}

/// `torch.histc(x, bins=100, min=0, max=0)`: counts in `bins` equal bins
/// (float input; the result has its dtype). Values outside the range and
/// NaN are ignored; the max lands in the last bin.
pub fn histc(x: &Tensor, bins: i64, min: f64, max: f64) -> Result<Tensor> {
    ensure!(x.dtype().is_float(), "histc", "not implemented for {} tensors (floats only)", x.dtype());
    ensure!(bins > 0, "histc", "bins must be > 0, but got {bins}");
    let (lo, hi) = histc_range(x, min, max)?;
    let nb = bins as usize;
    let counts = dispatch_float!(x.dtype(), T => {
        // Edges and bin arithmetic in the input's precision, as PyTorch.
        let (l, h, nbt) = (T::from_f64(lo), T::from_f64(hi), T::from_f64(bins as f64));
        let span = h.sub(l);
        let mut c = vec![0.0f64; nb];
        x.with_slice::<T, _>(|v| {
            for &e in v {
                if e >= l && e <= h {
                    let pos = e.sub(l).mul(nbt).div(span).to_f64() as usize;
                    c[pos.min(nb - 1)] += 1.0;
                }
            }
        });
        c
    });
    Ok(Tensor::from_vec(counts, &[nb])?.to_dtype(x.dtype()))
}

/// `torch.bincount(x, weights=None, minlength=0)`: x 1-D, non-negative ints.
/// int64 counts, or sums of weights (float32 for float32 weights, else float64).
pub fn bincount(x: &Tensor, weights: Option<&Tensor>, minlength: i64) -> Result<Tensor> {
    let op = "bincount";
    ensure!(x.dtype().is_int(), op, "not implemented for {} tensors (integers only)", x.dtype());
    ensure!(minlength >= 0, op, "minlength should be >= 0, got {minlength}");
    let v = x.to_vec::<i64>();
    ensure!(x.ndim() == 1 && v.iter().all(|&i| i >= 0), op, "bincount only supports 1-d non-negative integral inputs (shape {:?})", x.shape());
    let len = v.iter().map(|&i| i as usize + 1).max().unwrap_or(0).max(minlength as usize);
    crate::shape::checked_numel(op, &[len])?;
    let Some(w) = weights else {
        let mut c = vec![0i64; len];
        v.iter().for_each(|&i| c[i as usize] += 1);
        return Tensor::from_vec(c, &[len]);
    };
    ensure!(w.ndim() == 1 && w.numel() == v.len(), op, "weights {:?} should be 1-d and have the same length as input {:?}", w.shape(), x.shape());
    if w.dtype() == DType::F32 {
        let mut c = vec![0.0f32; len];
        w.with_slice::<f32, _>(|ws| v.iter().zip(ws).for_each(|(&i, &wi)| c[i as usize] += wi));
        return Tensor::from_vec(c, &[len]);
    }
    let mut c = vec![0.0f64; len];
    w.with_slice::<f64, _>(|ws| v.iter().zip(ws).for_each(|(&i, &wi)| c[i as usize] += wi));
    Tensor::from_vec(c, &[len])
}

// ----- unique ----------------------------------------------------------------------------------

/// Sorted distinct values (each NaN distinct), the inverse map and counts.
fn unique_of<T: Cmp>(v: &[T]) -> (Vec<T>, Vec<i64>, Vec<i64>) {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| order(v[a], v[b]));
    let (mut vals, mut inv, mut counts) = (Vec::new(), vec![0i64; v.len()], Vec::<i64>::new());
    for (k, &i) in idx.iter().enumerate() {
        if k == 0 || v[idx[k - 1]] != v[i] {
            vals.push(v[i]);
            counts.push(0);
        }
        inv[i] = vals.len() as i64 - 1;
        if let Some(c) = counts.last_mut() {
            *c += 1;
        }
    }
    (vals, inv, counts)
}

/// `torch.unique(x, sorted=True, return_inverse=False, return_counts=False)`
/// → (values, inverse (x's shape), counts); the values are always sorted.
pub fn unique(x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    dispatch_compute!(x.dtype(), T => {
        let (vals, inv, counts) = x.with_slice::<T, _>(unique_of::<T>);
        let n = vals.len();
        Ok((Tensor::from_vec(vals, &[n])?.to_dtype(x.dtype()), Tensor::from_vec(inv, x.shape())?, Tensor::from_vec(counts, &[n])?))
    })
}

// ----- schema wrappers -----------------------------------------------------------------------

fn run_sort(a: &Args) -> Result<Value> {
    let (v, i) = sort(a.tensor(0)?, a.int(1)?, a.bool(2)?)?;
    Ok(pair(v, i))
}
fn run_argsort(a: &Args) -> Result<Value> {
    Ok(argsort(a.tensor(0)?, a.int(1)?, a.bool(2)?)?.into())
}
fn run_msort(a: &Args) -> Result<Value> {
    Ok(msort(a.tensor(0)?)?.into())
}
fn run_topk(a: &Args) -> Result<Value> {
    let (v, i) = topk(a.tensor(0)?, a.int(1)?, a.int(2)?, a.bool(3)?)?;
    Ok(pair(v, i))
}

/// A `Tensor` or `Scalar` search input as a tensor: a float number takes the
/// boundaries' float dtype (float32 for integer boundaries), an int int64.
fn search_input(a: &Args, i: usize, boundaries: &Tensor) -> Result<Tensor> {
    Ok(match a.value(i)? {
        Value::Tensor(t) => t.clone(),
        _ => match a.scalar(i)? {
            Scalar::Float(f) => {
                let d = if boundaries.dtype().is_float() { boundaries.dtype() } else { DType::F32 };
                Tensor::scalar(Scalar::Float(f), d)
            }
            s => Tensor::scalar(Scalar::Int(s.to_i64()), DType::I64),
        },
    })
}

fn run_searchsorted(a: &Args) -> Result<Value> {
    let seq = a.tensor(0)?;
    let input = search_input(a, 1, seq)?;
    Ok(searchsorted(seq, &input, a.bool(2)?, a.bool(3)?, a.opt_str(4)?, a.opt_tensor(5)?)?.into())
}
fn run_bucketize(a: &Args) -> Result<Value> {
    let input = search_input(a, 0, a.tensor(1)?)?;
    Ok(bucketize(&input, a.tensor(1)?, a.bool(2)?, a.bool(3)?)?.into())
}
fn run_histc(a: &Args) -> Result<Value> {
    Ok(histc(a.tensor(0)?, a.int(1)?, a.scalar(2)?.to_f64(), a.scalar(3)?.to_f64())?.into())
}
fn run_bincount(a: &Args) -> Result<Value> {
    Ok(bincount(a.tensor(0)?, a.opt_tensor(1)?, a.int(2)?)?.into())
}
fn run_unique(a: &Args) -> Result<Value> {
    ensure!(a.opt_int(4)?.is_none(), "unique", "unique with dim= is not supported");
    let (vals, inv, counts) = unique(a.tensor(0)?)?;
    let (want_inv, want_counts) = (a.bool(2)?, a.bool(3)?);
    if !want_inv && !want_counts {
        return Ok(vals.into());
    }
    let mut out = vec![Value::Tensor(vals)];
    if want_inv {
        out.push(Value::Tensor(inv));
    }
    if want_counts {
        out.push(Value::Tensor(counts));
    }
    Ok(Value::Tuple(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_is_stable_with_nan_largest() {
        let mut out = [(0.0f32, 0i64); 5];
        sort_row(&[2., f32::NAN, 1., 2., 1.], false, &mut out);
        assert_eq!(out.map(|p| p.1), [2, 4, 0, 3, 1]);
        sort_row(&[2., f32::NAN, 1., 2., 1.], true, &mut out);
        assert_eq!(out.map(|p| p.1), [1, 0, 3, 2, 4]);
    }

    #[test]
    fn bounds_match_pytorch_on_nan() {
        let b = [1.0f64, 2.0, f64::NAN];
        assert_eq!(bound(&b, None, f64::NAN, false), 3);
        assert_eq!(bound(&b, None, 1.0, false), 0);
        assert_eq!(bound(&b, None, 1.0, true), 1);
    }

    #[test]
    fn unique_counts_and_inverse() {
        let (v, inv, c) = unique_of(&[3i64, 1, 2, 1, 3]);
        assert_eq!((v, inv, c), (vec![1, 2, 3], vec![2, 0, 1, 0, 2], vec![2, 1, 2]));
    }
}
