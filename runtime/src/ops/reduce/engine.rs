//! The engine under every reduction, scan and sort: it moves the dims an op
//! works along innermost (a permuted view), hands the data over as a
//! contiguous `[outer, inner]` block in the op's compute type (borrowed when
//! the layout and dtype already fit, gathered once otherwise), and runs a
//! tight loop per output row, in parallel over rows when the work is big
//! (and inside a row when there are fewer rows than threads).
//!
//! Also here: the numeric traits the loops are generic over (`Cmp`, `Num`,
//! `Float`), the pairwise sum, and small argument helpers shared by the
//! reduction families.

use crate::ops::Args;
use crate::shape::{contiguous_strides, wrap_dims};
use crate::{DType, Element, Result, Tensor, Value};
use rayon::prelude::*;
use tsc_kernels::parallel::{map_chunks_mut, MIN_PARALLEL_ELEMS};

// ----- geometry ------------------------------------------------------------

/// Geometry of a reduction over some dims of a shape.
#[derive(Clone, Debug)]
pub(crate) struct Reduction {
    /// Result shape: reduced dims dropped, or kept as size 1 with `keepdim`.
    pub out_shape: Vec<usize>,
    /// Number of results (product of the kept dims).
    pub outer: usize,
    /// Elements folded into each result (product of the reduced dims).
    pub inner: usize,
    /// Kept dims in order, then reduced dims in order.
    perm: Vec<usize>,
}

impl Reduction {
    /// Reduces `shape` over `dims` (wrapped, without repeats). Dims past the
    /// shape (dim 0 of a 0-d tensor) are ignored.
    pub fn new(shape: &[usize], dims: &[usize], keepdim: bool) -> Reduction {
        let reduced = |d: usize| dims.contains(&d);
        let nd = shape.len();
        let mut perm: Vec<usize> = (0..nd).filter(|&d| !reduced(d)).collect();
        perm.extend((0..nd).filter(|&d| reduced(d)));
        let out_shape = (0..nd)
            .filter_map(|d| match (reduced(d), keepdim) {
                (false, _) => Some(shape[d]),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        let outer = (0..nd).filter(|&d| !reduced(d)).map(|d| shape[d]).product();
        let inner = (0..nd).filter(|&d| reduced(d)).map(|d| shape[d]).product();
        Reduction { out_shape, outer, inner, perm }
    }

    /// Reduces along a single (already wrapped) dim.
    pub fn along(shape: &[usize], dim: usize, keepdim: bool) -> Reduction {
        Reduction::new(shape, &[dim], keepdim)
    }

    /// `x` viewed with the kept dims first and the reduced dims last.
    fn permuted(&self, x: &Tensor) -> Result<Tensor> {
        let shape: Vec<usize> = self.perm.iter().map(|&d| x.shape()[d]).collect();
        let strides: Vec<usize> = self.perm.iter().map(|&d| x.strides()[d]).collect();
        x.as_strided(&shape, &strides, x.offset())
    }

    /// Puts row results computed in permuted order (kept dims, then the one
    /// reduced dim `dim`, with `len` entries per row) back in `shape`'s dim
    /// order, with `dim` resized to `len`.
    pub fn restore<T: Element>(&self, rows: Vec<T>, shape: &[usize], dim: usize, len: usize) -> Result<Tensor> {
        let mut out_shape = shape.to_vec();
        if dim < out_shape.len() {
            out_shape[dim] = len;
        }
        let pshape: Vec<usize> = self.perm.iter().map(|&d| out_shape[d]).collect();
        let res = Tensor::from_vec(rows, &pshape)?;
        let pstrides = contiguous_strides(&pshape);
        let mut strides = vec![0; out_shape.len()];
        for (k, &d) in self.perm.iter().enumerate() {
            strides[d] = pstrides[k];
        }
        Ok(res.as_strided(&out_shape, &strides, 0)?.contiguous())
    }
}

/// Wraps reduction dims; `None` or an empty list mean every dim.
pub(crate) fn dims_or_all(op: &str, ndim: usize, dims: Option<&[i64]>) -> Result<Vec<usize>> {
    match dims {
        Some(d) if !d.is_empty() => wrap_dims(op, d, ndim),
        _ => Ok((0..ndim).collect()),
    }
}

/// The reduction of `x` over `dims` (`None`/empty = all) with `keepdim`.
pub(crate) fn plan(op: &str, x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Reduction> {
    Ok(Reduction::new(x.shape(), &dims_or_all(op, x.ndim(), dims)?, keepdim))
}

/// Errors when some output would reduce over zero elements (ops without
/// an identity: max, min, argmax, ...), naming the empty dim as PyTorch does.
pub(crate) fn require_nonempty(op: &str, x: &Tensor, dims: Option<&[usize]>) -> Result<()> {
    match dims {
        None => crate::ensure!(
            x.numel() > 0,
            op,
            "Expected reduction dim to be specified for input.numel() == 0 (shape {:?}); the operation has no identity",
            x.shape()
        ),
        Some(ds) => {
            for &d in ds {
                if d < x.ndim() && x.shape()[d] == 0 {
                    crate::bail!(op, "Expected reduction dim {d} to have non-zero size (shape {:?}); the operation has no identity", x.shape());
                }
            }
        }
    }
    Ok(())
}

// ----- data access and row loops ------------------------------------------

/// Calls `f` with `x`'s elements as `T`, laid out `[outer, inner]` for
/// `red` (borrowed when already so laid out with dtype `T`).
pub(crate) fn with_rows<T: Element, R>(x: &Tensor, red: &Reduction, f: impl FnOnce(&[T]) -> R) -> Result<R> {
    Ok(red.permuted(x)?.with_slice::<T, R>(f))
}

/// `f` of each `inner`-long row of `data`, in parallel when big.
pub(crate) fn map_rows<T: Sync, O: Copy + Send + Default>(data: &[T], outer: usize, inner: usize, f: impl Fn(&[T]) -> O + Sync) -> Vec<O> {
    let mut out = vec![O::default(); outer];
    map_chunks_mut(&mut out, inner.max(1), |start, part| {
        for (k, o) in part.iter_mut().enumerate() {
            let r = start + k;
            *o = f(&data[r * inner..(r + 1) * inner]);
        }
    });
    out
}

/// Runs `f(row_in, row_out)` over matching rows of `data` (`n_in` long) and
/// `out` (`n_out` long), in parallel when big.
pub(crate) fn rows_into<T: Sync, O: Send>(data: &[T], n_in: usize, out: &mut [O], n_out: usize, f: impl Fn(&[T], &mut [O]) + Sync) {
    if n_out == 0 {
        return;
    }
    let rows = out.len() / n_out;
    let input = |r: usize| &data[r * n_in..(r + 1) * n_in];
    if rows > 1 && rows * (n_in.max(n_out)) >= MIN_PARALLEL_ELEMS && rayon::current_num_threads() > 1 {
        let min_rows = (MIN_PARALLEL_ELEMS / n_in.max(n_out).max(1)).max(1);
        out.par_chunks_mut(n_out).with_min_len(min_rows).enumerate().for_each(|(r, o)| f(input(r), o));
    } else {
        for (r, o) in out.chunks_mut(n_out).enumerate() {
            f(input(r), o);
        }
    }
}

/// A reduction that can fold any run of a row and merge partial results,
/// so one long row can be split across threads.
pub(crate) trait Fold<T>: Sync {
    type Acc: Copy + Send + Sync;
    /// Folds `run`, whose first element is element `base` of its row.
    fn fold(&self, run: &[T], base: usize) -> Self::Acc;
    /// Merges partial results; `a` covers elements before `b`'s.
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
}

/// One accumulator per row of `data` (`[outer, inner]`).
pub(crate) fn fold_rows<T: Sync, F: Fold<T>>(data: &[T], outer: usize, inner: usize, f: &F) -> Vec<F::Acc> {
    let threads = rayon::current_num_threads();
    if outer < threads && inner >= 2 * MIN_PARALLEL_ELEMS && threads > 1 {
        return (0..outer).map(|r| fold_split(&data[r * inner..(r + 1) * inner], threads, f)).collect();
    }
    if outer == 0 {
        return Vec::new();
    }
    let mut out: Vec<Option<F::Acc>> = vec![None; outer];
    map_chunks_mut(&mut out, inner.max(1), |start, part| {
        for (k, o) in part.iter_mut().enumerate() {
            let r = start + k;
            *o = Some(f.fold(&data[r * inner..(r + 1) * inner], 0));
        }
    });
    out.into_iter().map(|a| a.unwrap_or_else(|| f.fold(&[], 0))).collect()
}

/// Folds one long row in parallel chunks and merges them in order.
fn fold_split<T: Sync, F: Fold<T>>(row: &[T], threads: usize, f: &F) -> F::Acc {
    let chunk = row.len().div_ceil(threads * 4).max(1);
    let mut parts: Vec<Option<F::Acc>> = vec![None; row.len().div_ceil(chunk)];
    map_chunks_mut(&mut parts, chunk, |start, slots| {
        for (k, s) in slots.iter_mut().enumerate() {
            let lo = (start + k) * chunk;
            let hi = (lo + chunk).min(row.len());
            *s = Some(f.fold(&row[lo..hi], lo));
        }
    });
    parts.into_iter().flatten().reduce(|a, b| f.merge(a, b)).unwrap_or_else(|| f.fold(&[], 0))
}

/// Folds `x` over `red` in compute type `T` and maps each accumulator to an
/// element of the result (shape `red.out_shape`).
pub(crate) fn reduce_to<T: Element, F: Fold<T>, O: Element>(x: &Tensor, red: &Reduction, f: &F, fin: impl Fn(F::Acc) -> O) -> Result<Tensor> {
    let accs = with_rows::<T, _>(x, red, |d| fold_rows(d, red.outer, red.inner, f))?;
    Tensor::from_vec(accs.into_iter().map(fin).collect(), &red.out_shape)
}

// ----- numeric traits --------------------------------------------------------

/// Compute types with an order: `f32 f64 i64 bool` (NaN is the only
/// unordered value; reductions treat it as winning, sorts as largest).
pub(crate) trait Cmp: Element + PartialOrd + Default {
    const LOWEST: Self;
    const HIGHEST: Self;
    fn is_nan(self) -> bool;
    /// Total order with NaN largest (sorting).
    #[inline]
    fn total_lt(self, o: Self) -> bool {
        if self.is_nan() {
            false
        } else {
            o.is_nan() || self < o
        }
    }
}

/// `Cmp::total_lt` as an `Ordering` (NaNs equal to each other, above all numbers).
#[inline]
pub(crate) fn order<T: Cmp>(a: T, b: T) -> std::cmp::Ordering {
    if a.total_lt(b) {
        std::cmp::Ordering::Less
    } else if b.total_lt(a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// Arithmetic compute types `f32 f64 i64` (integers wrap like PyTorch's).
pub(crate) trait Num: Cmp {
    const ZERO: Self;
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// Sum of a slice: float32 accumulates in float64 (as accurate as
    /// PyTorch's cascade sum), the rest pairwise in their own type.
    #[inline]
    fn sum(v: &[Self]) -> Self {
        pairwise_sum(v)
    }
}

/// Float compute types `f32 f64`.
pub(crate) trait Float: Num {
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn abs(self) -> Self;
    fn is_infinite(self) -> bool;
    fn sub(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
}

macro_rules! float_traits {
    ($t:ty, $sum:ident) => {
        impl Cmp for $t {
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
        impl Num for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline]
            fn sum(v: &[Self]) -> Self {
                $sum(v)
            }
        }
        impl Float for $t {
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn is_infinite(self) -> bool {
                <$t>::is_infinite(self)
            }
            #[inline]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline]
            fn div(self, o: Self) -> Self {
                self / o
            }
        }
    };
}
float_traits!(f32, sum_f32_wide);
float_traits!(f64, pairwise_sum);

/// Σ of float32 values in eight float64 lanes, rounded once.
fn sum_f32_wide(v: &[f32]) -> f32 {
    let mut lanes = [0.0f64; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            lanes[k] += c[k] as f64;
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&x| x as f64).sum();
    (lanes.iter().sum::<f64>() + tail) as f32
}

impl Cmp for i64 {
    const LOWEST: Self = i64::MIN;
    const HIGHEST: Self = i64::MAX;
    #[inline]
    fn is_nan(self) -> bool {
        false
    }
}
impl Num for i64 {
    const ZERO: Self = 0;
    const ONE: Self = 1;
    #[inline]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline]
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
}
impl Cmp for bool {
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    #[inline]
    fn is_nan(self) -> bool {
        false
    }
}

/// Expands `$body` with `$T` bound to the compute type of `$dtype`
/// (`f32 f64 i64 bool`; `f16`/`bf16` compute in `f32`, ints in `i64`).
macro_rules! dispatch_compute {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype.compute() {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            _ => {
                type $T = i64;
                $body
            }
        }
    };
}
pub(crate) use dispatch_compute;

/// Like `dispatch_compute!` for numeric ops: bool computes in `i64`.
macro_rules! dispatch_num {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype.compute() {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            _ => {
                type $T = i64;
                $body
            }
        }
    };
}
pub(crate) use dispatch_num;

/// Expands `$body` with `$T` = `f64` for float64 and `f32` otherwise (the
/// float ops: everything but float64 computes in float32).
macro_rules! dispatch_float {
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
pub(crate) use dispatch_float;

/// Sum of a slice: eight lanes over blocks, halves combined pairwise, so the
/// rounding error grows like log(n) as in PyTorch's cascade sum.
pub(crate) fn pairwise_sum<T: Num>(v: &[T]) -> T {
    const BLOCK: usize = 512;
    if v.len() > BLOCK {
        let mid = (v.len() / 2).next_multiple_of(8);
        return pairwise_sum(&v[..mid]).add(pairwise_sum(&v[mid..]));
    }
    let mut lanes = [T::ZERO; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            lanes[k] = lanes[k].add(c[k]);
        }
    }
    let mut tail = T::ZERO;
    for &x in chunks.remainder() {
        tail = tail.add(x);
    }
    let a = lanes[0].add(lanes[4]).add(lanes[1].add(lanes[5]));
    let b = lanes[2].add(lanes[6]).add(lanes[3].add(lanes[7]));
    a.add(b).add(tail)
}

// ----- argument and result helpers ------------------------------------------

/// A `dim` argument that may be an int, a list of ints or `None`.
pub(crate) fn opt_dims(a: &Args, i: usize) -> Result<Option<Vec<i64>>> {
    match a.value(i)? {
        Value::None => Ok(None),
        Value::Int(d) => Ok(Some(vec![*d])),
        _ => a.ints(i).map(Some),
    }
}

/// A `(values, indices)`-style tuple result.
pub(crate) fn pair(a: Tensor, b: Tensor) -> Value {
    Value::Tuple(vec![Value::Tensor(a), Value::Tensor(b)])
}

/// Splits `(value, index)` results into a values tensor of `dtype` and an
/// int64 indices tensor, both of shape `shape`.
pub(crate) fn split_pairs<T: Element>(v: Vec<(T, i64)>, shape: &[usize], dtype: DType) -> Result<(Tensor, Tensor)> {
    let (vals, idx): (Vec<T>, Vec<i64>) = v.into_iter().unzip();
    Ok((Tensor::from_vec(vals, shape)?.to_dtype(dtype), Tensor::from_vec(idx, shape)?))
}

/// Errors unless `dtype` is a floating type (ops like `mean`, `var`).
pub(crate) fn require_float(op: &str, dtype: DType, what: &str) -> Result<()> {
    crate::ensure!(dtype.is_float(), op, "{what} must be a floating point dtype, got {dtype}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn geometry_moves_reduced_dims_last() {
        let r = Reduction::new(&[2, 3, 4], &[1], false);
        assert_eq!((r.out_shape.clone(), r.outer, r.inner), (vec![2, 4], 8, 3));
        assert_eq!(r.perm, vec![0, 2, 1]);
        let k = Reduction::new(&[2, 3, 4], &[0, 2], true);
        assert_eq!((k.out_shape, k.outer, k.inner), (vec![1, 3, 1], 3, 8));
        let z = Reduction::new(&[], &[0], false);
        assert_eq!((z.out_shape, z.outer, z.inner), (vec![], 1, 1));
    }

    #[test]
    fn rows_follow_the_permutation() {
        let t = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
        let r = Reduction::new(t.shape(), &[0], false);
        let v = with_rows::<f32, _>(&t, &r, |d| d.to_vec()).unwrap();
        assert_eq!(v, vec![0., 3., 1., 4., 2., 5.]);
    }

    #[test]
    fn restore_inverts_the_permutation() {
        let t = Tensor::from_vec((0..6).map(|v| v as i64).collect(), &[2, 3]).unwrap();
        let r = Reduction::along(t.shape(), 0, true);
        let rows = with_rows::<i64, _>(&t, &r, |d| d.to_vec()).unwrap();
        let back = r.restore(rows, t.shape(), 0, 2).unwrap();
        assert_eq!(back.to_vec::<i64>(), t.to_vec::<i64>());
    }

    struct Sum;
    impl Fold<i64> for Sum {
        type Acc = i64;
        fn fold(&self, run: &[i64], _: usize) -> i64 {
            pairwise_sum(run)
        }
        fn merge(&self, a: i64, b: i64) -> i64 {
            a + b
        }
    }

    proptest! {
        #[test]
        fn pairwise_sum_is_exact_on_ints(v in proptest::collection::vec(-1000i64..1000, 0..3000)) {
            prop_assert_eq!(pairwise_sum(&v), v.iter().sum::<i64>());
        }

        #[test]
        fn fold_rows_matches_a_plain_loop(outer in 0usize..5, inner in 0usize..200) {
            let data: Vec<i64> = (0..(outer * inner) as i64).collect();
            let got = fold_rows(&data, outer, inner, &Sum);
            let want: Vec<i64> = (0..outer).map(|r| data[r * inner..(r + 1) * inner].iter().sum()).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn long_rows_split_and_merge() {
        let data: Vec<i64> = (0..200_000).collect();
        assert_eq!(fold_rows(&data, 1, data.len(), &Sum), vec![data.iter().sum::<i64>()]);
    }
}
