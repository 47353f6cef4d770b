//! Reductions: `sum mean prod nansum nanmean`, `max min` (full and with a
//! dim, the latter returning indices), `amax amin aminmax`, `argmax argmin`,
//! `all any count_nonzero`, `logsumexp`. Result dtypes follow PyTorch:
//! sums and products of integers and bools are int64, `mean` needs a float
//! (or `dtype=`), `all`/`any` give bool (uint8 stays uint8), NaN wins in
//! max/min, and ops without an identity reject empty reductions.
//!
//! The shared machinery (geometry, row loops, numeric traits) is in
//! `reduce/engine.rs`; statistics (`var`, `norm`, `median`, ...) are in
//! `reduce_stats.rs`.

pub(crate) mod engine;

use self::engine::{
    dispatch_compute, dispatch_float, dispatch_num, map_rows, opt_dims, pair, plan, reduce_to, require_float,
    require_nonempty, split_pairs, with_rows, Cmp, Float, Fold, Num, Reduction,
};
use super::{Args, OpDef};
use crate::shape::{wrap_dim, wrap_dims};
use crate::{bail, DType, Element, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "sum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_sum },
    OpDef { schema: "sum.int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_sum },
    OpDef { schema: "mean(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_mean },
    OpDef { schema: "mean.int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_mean },
    OpDef { schema: "nansum(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_nansum },
    OpDef { schema: "nansum.int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_nansum },
    OpDef { schema: "nanmean(Tensor self, int[]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_nanmean },
    OpDef { schema: "nanmean.int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_nanmean },
    OpDef { schema: "prod(Tensor self, *, ScalarType? dtype=None) -> Tensor", run: run_prod_all },
    OpDef { schema: "prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor", run: run_prod },
    OpDef { schema: "max(Tensor self) -> Tensor", run: run_max_all },
    OpDef { schema: "max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)", run: run_max_dim },
    OpDef { schema: "min(Tensor self) -> Tensor", run: run_min_all },
    OpDef { schema: "min.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)", run: run_min_dim },
    OpDef { schema: "amax(Tensor self, int[] dim=[], bool keepdim=False) -> Tensor", run: run_amax },
    OpDef { schema: "amax.int(Tensor self, int dim, bool keepdim=False) -> Tensor", run: run_amax },
    OpDef { schema: "amin(Tensor self, int[] dim=[], bool keepdim=False) -> Tensor", run: run_amin },
    OpDef { schema: "amin.int(Tensor self, int dim, bool keepdim=False) -> Tensor", run: run_amin },
    OpDef { schema: "aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (Tensor, Tensor)", run: run_aminmax },
    OpDef { schema: "argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", run: run_argmax },
    OpDef { schema: "argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor", run: run_argmin },
    OpDef { schema: "all(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor", run: run_all },
    OpDef { schema: "all.int(Tensor self, int dim, bool keepdim=False) -> Tensor", run: run_all },
    OpDef { schema: "any(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor", run: run_any },
    OpDef { schema: "any.int(Tensor self, int dim, bool keepdim=False) -> Tensor", run: run_any },
    OpDef { schema: "count_nonzero(Tensor self, int[]? dim=None) -> Tensor", run: run_count_nonzero },
    OpDef { schema: "count_nonzero.int(Tensor self, int dim) -> Tensor", run: run_count_nonzero },
    OpDef { schema: "logsumexp(Tensor self, int[] dim, bool keepdim=False) -> Tensor", run: run_logsumexp },
    OpDef { schema: "logsumexp.int(Tensor self, int dim, bool keepdim=False) -> Tensor", run: run_logsumexp },
];

// ----- folds -------------------------------------------------------------------

/// Σ with the number of terms; `SKIP_NAN` drops NaNs (`nansum`, `nanmean`).
struct SumFold<const SKIP_NAN: bool>;

impl<T: Num, const SKIP_NAN: bool> Fold<T> for SumFold<SKIP_NAN> {
    type Acc = (T, usize);
    fn fold(&self, run: &[T], _: usize) -> (T, usize) {
        if !SKIP_NAN {
            return (T::sum(run), run.len());
        }
        let (mut s, mut n) = (T::ZERO, 0);
        let mut buf = [T::ZERO; 256];
        for block in run.chunks(256) {
            for (b, &x) in buf.iter_mut().zip(block) {
                *b = if x.is_nan() { T::ZERO } else { x };
                n += usize::from(!x.is_nan());
            }
            s = s.add(T::sum(&buf[..block.len()]));
        }
        (s, n)
    }
    fn merge(&self, a: (T, usize), b: (T, usize)) -> (T, usize) {
        (a.0.add(b.0), a.1 + b.1)
    }
}

struct ProdFold;

impl<T: Num> Fold<T> for ProdFold {
    type Acc = T;
    fn fold(&self, run: &[T], _: usize) -> T {
        run.iter().fold(T::ONE, |a, &x| a.mul(x))
    }
    fn merge(&self, a: T, b: T) -> T {
        a.mul(b)
    }
}

/// Whether `x` beats `best` for a max (`MAX`) or min fold.
#[inline]
fn better<T: Cmp, const MAX: bool>(x: T, best: T) -> bool {
    if MAX {
        x > best
    } else {
        x < best
    }
}

/// max (`MAX`) or min; the first NaN wins.
struct ExtremeFold<const MAX: bool>;

impl<T: Cmp, const MAX: bool> Fold<T> for ExtremeFold<MAX> {
    type Acc = T;
    fn fold(&self, run: &[T], _: usize) -> T {
        let mut best = if MAX { T::LOWEST } else { T::HIGHEST };
        for &x in run {
            if x.is_nan() {
                return x;
            }
            if better::<T, MAX>(x, best) {
                best = x;
            }
        }
        best
    }
    fn merge(&self, a: T, b: T) -> T {
        if a.is_nan() || (!b.is_nan() && !better::<T, MAX>(b, a)) {
            a
        } else {
            b
        }
    }
}

/// (value, index) of the max (`MAX`) or min: first occurrence on ties, the
/// first NaN when there is one.
struct ArgFold<const MAX: bool>;

impl<T: Cmp, const MAX: bool> Fold<T> for ArgFold<MAX> {
    type Acc = (T, usize);
    fn fold(&self, run: &[T], base: usize) -> (T, usize) {
        let Some(&first) = run.first() else {
            return (if MAX { T::LOWEST } else { T::HIGHEST }, base);
        };
        let (mut best, mut at) = (first, 0);
        if first.is_nan() {
            return (first, base);
        }
        for (i, &x) in run.iter().enumerate().skip(1) {
            if x.is_nan() {
                return (x, base + i);
            }
            if better::<T, MAX>(x, best) {
                best = x;
                at = i;
            }
        }
        (best, base + at)
    }
    fn merge(&self, a: (T, usize), b: (T, usize)) -> (T, usize) {
        if a.0.is_nan() || (!b.0.is_nan() && !better::<T, MAX>(b.0, a.0)) {
            a
        } else {
            b
        }
    }
}

/// `all` (`ALL`) or `any` over truth values.
struct TruthFold<const ALL: bool>;

impl<T: Element, const ALL: bool> Fold<T> for TruthFold<ALL> {
    type Acc = bool;
    fn fold(&self, run: &[T], _: usize) -> bool {
        if ALL {
            run.iter().all(|x| x.to_bool())
        } else {
            run.iter().any(|x| x.to_bool())
        }
    }
    fn merge(&self, a: bool, b: bool) -> bool {
        if ALL {
            a && b
        } else {
            a || b
        }
    }
}

struct CountFold;

impl<T: Element> Fold<T> for CountFold {
    type Acc = i64;
    fn fold(&self, run: &[T], _: usize) -> i64 {
        run.iter().filter(|x| x.to_bool()).count() as i64
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

// ----- sums and products ---------------------------------------------------------

/// The dtype of an integer/bool sum or product without `dtype=`: int64.
fn accumulate_dtype(d: DType) -> DType {
    if d.is_float() {
        d
    } else {
        DType::I64
    }
}

/// `x` converted to `dtype=` first, as PyTorch does before reducing.
fn cast_input(x: &Tensor, dtype: Option<DType>) -> Tensor {
    dtype.map_or_else(|| x.clone(), |d| x.to_dtype(d))
}

/// `sum`/`nansum` (`SKIP_NAN`) over `red` in the compute type of `out`.
fn sum_in<const SKIP_NAN: bool>(x: &Tensor, red: &Reduction, out: DType) -> Result<Tensor> {
    let f = SumFold::<SKIP_NAN>;
    let t = dispatch_num!(out, T => reduce_to::<T, _, T>(x, red, &f, |a| a.0)?);
    Ok(t.to_dtype(out))
}

/// `torch.sum(x, dim, keepdim, dtype=)`; `dims` `None` or empty = all dims.
pub fn sum(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    let red = plan("sum", x, dims, keepdim)?;
    sum_in::<false>(&cast_input(x, dtype), &red, dtype.unwrap_or(accumulate_dtype(x.dtype())))
}

/// `torch.nansum`: `sum` treating NaN as zero.
pub fn nansum(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    let red = plan("nansum", x, dims, keepdim)?;
    sum_in::<true>(&cast_input(x, dtype), &red, dtype.unwrap_or(accumulate_dtype(x.dtype())))
}

/// `mean`/`nanmean` (`SKIP_NAN`): float input or float `dtype=` required.
fn mean_in<const SKIP_NAN: bool>(op: &str, x: &Tensor, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    let out = dtype.unwrap_or(x.dtype());
    let what = if dtype.is_some() { "the dtype= argument" } else { "the input dtype (pass dtype= to reduce integers)" };
    require_float(op, out, what)?;
    let red = plan(op, x, dims, keepdim)?;
    let x = cast_input(x, dtype);
    let f = SumFold::<SKIP_NAN>;
    let n = red.inner;
    let t = dispatch_float!(out, T => reduce_to::<T, _, T>(&x, &red, &f, |(s, k)| {
        let count = if SKIP_NAN { k } else { n };
        s.div(T::from_f64(count as f64))
    })?);
    Ok(t.to_dtype(out))
}

/// `torch.mean`: the sum over the count (NaN for an empty reduction).
pub fn mean(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    mean_in::<false>("mean", x, dims, keepdim, dtype)
}

/// `torch.nanmean`: the mean of the non-NaN elements.
pub fn nanmean(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    mean_in::<true>("nanmean", x, dims, keepdim, dtype)
}

/// `torch.prod(x, dim, keepdim, dtype=)`; `dim` `None` = all elements.
pub fn prod(x: &Tensor, dim: Option<i64>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
    let dims: Vec<i64> = dim.into_iter().collect();
    let red = plan("prod", x, Some(&dims), keepdim && dim.is_some())?;
    let out = dtype.unwrap_or(accumulate_dtype(x.dtype()));
    let x = cast_input(x, dtype);
    let t = dispatch_num!(out, T => reduce_to::<T, _, T>(&x, &red, &ProdFold, |a| a)?);
    Ok(t.to_dtype(out))
}

// ----- max / min ---------------------------------------------------------------------

/// `amax`/`amin` (`MAX`) over `dims` (empty = all).
fn extreme<const MAX: bool>(op: &str, x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let red = plan(op, x, Some(dims), keepdim)?;
    if dims.is_empty() {
        require_nonempty(op, x, None)?;
    } else {
        require_nonempty(op, x, Some(&wrap_dims(op, dims, x.ndim())?))?;
    }
    let f = ExtremeFold::<MAX>;
    let t = dispatch_compute!(x.dtype(), T => reduce_to::<T, _, T>(x, &red, &f, |a| a)?);
    Ok(t.to_dtype(x.dtype()))
}

/// `torch.amax(x, dim=[], keepdim)`: NaN propagates; empty dims = all.
pub fn amax(x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    extreme::<true>("amax", x, dims, keepdim)
}

/// `torch.amin(x, dim=[], keepdim)`.
pub fn amin(x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    extreme::<false>("amin", x, dims, keepdim)
}

/// `torch.max(x)`: the largest element (error when empty).
pub fn max(x: &Tensor) -> Result<Tensor> {
    require_nonempty("max", x, None)?;
    extreme::<true>("max", x, &[], false)
}

/// `torch.min(x)`.
pub fn min(x: &Tensor) -> Result<Tensor> {
    require_nonempty("min", x, None)?;
    extreme::<false>("min", x, &[], false)
}

/// (values, indices) of the max/min along `dim`.
fn extreme_dim<const MAX: bool>(op: &str, x: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(op, dim, x.ndim())?;
    require_nonempty(op, x, Some(&[d]))?;
    let red = Reduction::along(x.shape(), d, keepdim);
    let f = ArgFold::<MAX>;
    dispatch_compute!(x.dtype(), T => {
        let accs = with_rows::<T, _>(x, &red, |data| engine::fold_rows(data, red.outer, red.inner, &f))?;
        split_pairs(accs.into_iter().map(|(v, i)| (v, i as i64)).collect(), &red.out_shape, x.dtype())
    })
}

/// `torch.max(x, dim, keepdim)` → (values, indices); first index on ties.
pub fn max_dim(x: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    extreme_dim::<true>("max", x, dim, keepdim)
}

/// `torch.min(x, dim, keepdim)` → (values, indices).
pub fn min_dim(x: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    extreme_dim::<false>("min", x, dim, keepdim)
}

/// `argmax`/`argmin` (`MAX`); `dim` `None` = index into the flattened tensor.
fn arg_extreme<const MAX: bool>(op: &str, x: &Tensor, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
    if x.dtype() == DType::Bool {
        bail!(op, "does not support bool input");
    }
    let red = match dim {
        Some(d) => {
            let d = wrap_dim(op, d, x.ndim())?;
            require_nonempty(op, x, Some(&[d]))?;
            Reduction::along(x.shape(), d, keepdim)
        }
        None => {
            require_nonempty(op, x, None)?;
            plan(op, x, None, keepdim)?
        }
    };
    let f = ArgFold::<MAX>;
    dispatch_compute!(x.dtype(), T => reduce_to::<T, _, i64>(x, &red, &f, |(_, i)| i as i64))
}

/// `torch.argmax(x, dim=None, keepdim=False)`.
pub fn argmax(x: &Tensor, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
    arg_extreme::<true>("argmax", x, dim, keepdim)
}

/// `torch.argmin(x, dim=None, keepdim=False)`.
pub fn argmin(x: &Tensor, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
    arg_extreme::<false>("argmin", x, dim, keepdim)
}

/// `torch.aminmax(x, dim=None, keepdim=False)` → (min, max).
pub fn aminmax(x: &Tensor, dim: Option<i64>, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let dims: Vec<i64> = dim.into_iter().collect();
    if dim.is_none() && x.numel() == 0 {
        bail!("aminmax", "cannot compute aminmax over an empty tensor (shape {:?}): the operation has no identity", x.shape());
    }
    Ok((extreme::<false>("aminmax", x, &dims, keepdim)?, extreme::<true>("aminmax", x, &dims, keepdim)?))
}

// ----- truth reductions --------------------------------------------------------------

/// `all`/`any` (`ALL`): `dims` `None` = all dims, an empty list = none.
fn truth<const ALL: bool>(op: &str, x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    let dims = match dims {
        None => (0..x.ndim()).collect(),
        Some(d) => wrap_dims(op, d, x.ndim())?,
    };
    let red = Reduction::new(x.shape(), &dims, keepdim);
    let f = TruthFold::<ALL>;
    let t = crate::dispatch_dtype!(x.dtype(), T => reduce_to::<T, _, bool>(x, &red, &f, |a| a)?);
    Ok(if x.dtype() == DType::U8 { t.to_dtype(DType::U8) } else { t })
}

/// `torch.all(x, dim=None, keepdim=False)`: bool (uint8 for uint8 input).
pub fn all(x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    truth::<true>("all", x, dims, keepdim)
}

/// `torch.any(x, dim=None, keepdim=False)`.
pub fn any(x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    truth::<false>("any", x, dims, keepdim)
}

/// `torch.count_nonzero(x, dim=None)` → int64.
pub fn count_nonzero(x: &Tensor, dims: Option<&[i64]>) -> Result<Tensor> {
    let red = plan("count_nonzero", x, dims, false)?;
    crate::dispatch_dtype!(x.dtype(), T => reduce_to::<T, _, i64>(x, &red, &CountFold, |a| a))
}

// ----- logsumexp ---------------------------------------------------------------------

/// log Σ exp(row), shifted by the row max (by 0 when that is ±inf).
fn logsumexp_row<T: Float>(row: &[T]) -> T {
    let mut m = T::LOWEST;
    for &v in row {
        if v.is_nan() {
            return v;
        }
        if v > m {
            m = v;
        }
    }
    if m.is_infinite() {
        m = T::ZERO;
    }
    let mut buf = [T::ZERO; 256];
    let mut s = T::ZERO;
    for block in row.chunks(256) {
        for (b, &v) in buf.iter_mut().zip(block) {
            *b = v.sub(m).exp();
        }
        s = s.add(T::sum(&buf[..block.len()]));
    }
    s.ln().add(m)
}

/// `torch.logsumexp(x, dim, keepdim)`; integer input gives float32.
pub fn logsumexp(x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    if dims.is_empty() {
        bail!("logsumexp", "dim must name at least one dim (got an empty list)");
    }
    let red = plan("logsumexp", x, Some(dims), keepdim)?;
    let out = if x.dtype().is_float() { x.dtype() } else { DType::F32 };
    let t = dispatch_float!(out, T => {
        let v = with_rows::<T, _>(x, &red, |d| map_rows(d, red.outer, red.inner, logsumexp_row::<T>))?;
        Tensor::from_vec(v, &red.out_shape)?
    });
    Ok(t.to_dtype(out))
}

// ----- schema wrappers ---------------------------------------------------------------

fn run_sum(a: &Args) -> Result<Value> {
    Ok(sum(a.tensor(0)?, opt_dims(a, 1)?.as_deref(), a.bool(2)?, a.opt_dtype(3)?)?.into())
}
fn run_mean(a: &Args) -> Result<Value> {
    Ok(mean(a.tensor(0)?, opt_dims(a, 1)?.as_deref(), a.bool(2)?, a.opt_dtype(3)?)?.into())
}
fn run_nansum(a: &Args) -> Result<Value> {
    Ok(nansum(a.tensor(0)?, opt_dims(a, 1)?.as_deref(), a.bool(2)?, a.opt_dtype(3)?)?.into())
}
fn run_nanmean(a: &Args) -> Result<Value> {
    Ok(nanmean(a.tensor(0)?, opt_dims(a, 1)?.as_deref(), a.bool(2)?, a.opt_dtype(3)?)?.into())
}
fn run_prod_all(a: &Args) -> Result<Value> {
    Ok(prod(a.tensor(0)?, None, false, a.opt_dtype(1)?)?.into())
}
fn run_prod(a: &Args) -> Result<Value> {
    Ok(prod(a.tensor(0)?, Some(a.int(1)?), a.bool(2)?, a.opt_dtype(3)?)?.into())
}
fn run_max_all(a: &Args) -> Result<Value> {
    Ok(max(a.tensor(0)?)?.into())
}
fn run_min_all(a: &Args) -> Result<Value> {
    Ok(min(a.tensor(0)?)?.into())
}
fn run_max_dim(a: &Args) -> Result<Value> {
    let (v, i) = max_dim(a.tensor(0)?, a.int(1)?, a.bool(2)?)?;
    Ok(pair(v, i))
}
fn run_min_dim(a: &Args) -> Result<Value> {
    let (v, i) = min_dim(a.tensor(0)?, a.int(1)?, a.bool(2)?)?;
    Ok(pair(v, i))
}
fn run_amax(a: &Args) -> Result<Value> {
    Ok(amax(a.tensor(0)?, &opt_dims(a, 1)?.unwrap_or_default(), a.bool(2)?)?.into())
}
fn run_amin(a: &Args) -> Result<Value> {
    Ok(amin(a.tensor(0)?, &opt_dims(a, 1)?.unwrap_or_default(), a.bool(2)?)?.into())
}
fn run_aminmax(a: &Args) -> Result<Value> {
    let (lo, hi) = aminmax(a.tensor(0)?, a.opt_int(1)?, a.bool(2)?)?;
    Ok(pair(lo, hi))
}
fn run_argmax(a: &Args) -> Result<Value> {
    Ok(argmax(a.tensor(0)?, a.opt_int(1)?, a.bool(2)?)?.into())
}
fn run_argmin(a: &Args) -> Result<Value> {
    Ok(argmin(a.tensor(0)?, a.opt_int(1)?, a.bool(2)?)?.into())
}
fn run_all(a: &Args) -> Result<Value> {
    Ok(all(a.tensor(0)?, opt_dims(a, 1)?.as_deref(), a.bool(2)?)?.into())
}
fn run_any(a: &Args) -> Result<Value> {
    Ok(any(a.tensor(0)?, opt_dims(a, 1)?.as_deref(), a.bool(2)?)?.into())
}
fn run_count_nonzero(a: &Args) -> Result<Value> {
    Ok(count_nonzero(a.tensor(0)?, opt_dims(a, 1)?.as_deref())?.into())
}
fn run_logsumexp(a: &Args) -> Result<Value> {
    Ok(logsumexp(a.tensor(0)?, &opt_dims(a, 1)?.unwrap_or_default(), a.bool(2)?)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn sum_of_a_long_row_is_accurate() {
        let n = 1 << 20;
        let x = Tensor::from_vec(vec![0.1f32; n], &[n]).unwrap();
        let s = sum(&x, None, false, None).unwrap().to_vec::<f64>()[0];
        assert!((s - 0.1f32 as f64 * n as f64).abs() < 1e-2, "{s}");
    }

    #[test]
    fn argmax_takes_the_first_tie_and_nan_wins() {
        let x = t(&[1., 3., 3., 0.], &[4]);
        assert_eq!(argmax(&x, None, false).unwrap().to_vec::<i64>(), vec![1]);
        let y = t(&[1., f32::NAN, 3., f32::NAN], &[4]);
        assert_eq!(argmax(&y, Some(0), false).unwrap().to_vec::<i64>(), vec![1]);
        assert!(max(&y).unwrap().to_vec::<f32>()[0].is_nan());
    }

    #[test]
    fn empty_reductions() {
        let e = Tensor::zeros(&[0, 3], DType::F32).unwrap();
        assert_eq!(sum(&e, Some(&[0]), false, None).unwrap().to_vec::<f32>(), vec![0.; 3]);
        assert_eq!(prod(&e, Some(0), false, None).unwrap().to_vec::<f32>(), vec![1.; 3]);
        assert!(max(&e).is_err());
        assert!(amax(&e, &[0], false).is_err());
        assert_eq!(amax(&e, &[1], false).unwrap().shape(), &[0]);
    }

    #[test]
    fn parallel_and_serial_argmax_agree() {
        let n = 300_000;
        let mut v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32).collect();
        v[123_456] = 5000.0;
        v[223_456] = 5000.0;
        let x = Tensor::from_vec(v, &[n]).unwrap();
        assert_eq!(argmax(&x, None, false).unwrap().to_vec::<i64>(), vec![123_456]);
    }
}
