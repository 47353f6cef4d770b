//! Advanced-indexing plans: where each element of an indexing result lives
//! in the indexed tensor's storage, and the gather / put loops over them.
//!
//! A [`Plan`] describes the result as `outer.len()` blocks of `inner`
//! elements: block `i` starts at storage offset `outer[i]` and its elements
//! are at `outer[i] + rel[j]` (or `outer[i] + j` when the block is one
//! contiguous run). `x[idx]`, `index`, `index_put_`, `index_select`,
//! `gather`, `take`, `scatter` ... all reduce to such a plan.

use crate::iter::{coalesce, for_each_run};
use crate::shape::broadcast_all;
use crate::storage::Element;
use crate::{bail, dispatch_dtype, ensure, DType, Error, Result, Tensor};
use tsc_kernels::parallel::map_chunks_mut;

/// Storage offsets of a strided view, in row-major order.
pub(crate) fn offsets(shape: &[usize], strides: &[usize], base: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(shape.iter().product());
    for_each_run(shape, [strides], [base], |[o], len, [s]| out.extend((0..len).map(|i| o + i * s)));
    out
}

/// Wraps a possibly negative index into `0..size`, or the PyTorch error.
pub(crate) fn wrap_index(op: &str, v: i64, dim: usize, size: usize) -> Result<usize> {
    let n = size as i64;
    if v < -n || v >= n {
        bail!(op, "index {v} is out of bounds for dimension {dim} with size {size}");
    }
    Ok(if v < 0 { (v + n) as usize } else { v as usize })
}

/// Index values of an integer index tensor (int64 or int32 unless `long_only`).
pub(crate) fn index_values(op: &str, t: &Tensor, long_only: bool) -> Result<Vec<i64>> {
    let ok = t.dtype() == DType::I64 || (!long_only && t.dtype() == DType::I32);
    ensure!(
        ok,
        op,
        "expected an index tensor of dtype {}, got {}",
        if long_only { "int64" } else { "int64 or int32" },
        t.dtype()
    );
    Ok(t.to_vec::<i64>())
}

/// The result geometry of an indexing operation.
pub(crate) struct Plan {
    /// Shape of the indexing result.
    pub shape: Vec<usize>,
    outer: Vec<usize>,
    rel: Option<Vec<usize>>,
    inner: usize,
}

impl Plan {
    /// One element per offset (the plan of `gather`, `take`, ...).
    pub fn elements(shape: &[usize], offsets: Vec<usize>) -> Plan {
        Plan { shape: shape.to_vec(), outer: offsets, rel: None, inner: 1 }
    }

    /// The plan of `x[indices]` where `indices[d]` indexes dim `d` of `x`
    /// (`None`: the whole dim) with an int64/int32 tensor. Index tensors are
    /// broadcast together; the broadcast dims replace the indexed dims in
    /// place when those are adjacent, else they go first (NumPy's rule).
    pub fn new(op: &str, x: &Tensor, indices: &[Option<Tensor>]) -> Result<Plan> {
        let nd = x.ndim();
        ensure!(
            indices.len() <= nd,
            op,
            "too many indices for tensor of dimension {nd} (got {}) of shape {:?}",
            indices.len(),
            x.shape()
        );
        let adv: Vec<(usize, &Tensor)> = indices.iter().enumerate().filter_map(|(d, t)| t.as_ref().map(|t| (d, t))).collect();
        ensure!(!adv.is_empty(), op, "at least one index must be a tensor");
        for (_, t) in &adv {
            ensure!(
                matches!(t.dtype(), DType::I64 | DType::I32),
                op,
                "tensors used as indices must be long, int, byte or bool tensors, got {}",
                t.dtype()
            );
        }
        let shapes: Vec<&[usize]> = adv.iter().map(|(_, t)| t.shape()).collect();
        let bshape = broadcast_all(op, &shapes).map_err(|_| {
            Error::op(op, format!("shape mismatch: indexing tensors could not be broadcast together with shapes {shapes:?}"))
        })?;
        let nb: usize = bshape.iter().product();
        let mut boff = vec![0usize; nb];
        for &(d, t) in &adv {
            let vals = t.broadcast_to(&bshape)?.to_vec::<i64>();
            let (size, stride) = (x.shape()[d], x.strides()[d]);
            for (o, &v) in boff.iter_mut().zip(&vals) {
                *o += wrap_index(op, v, d, size)? * stride;
            }
        }
        let adjacent = adv.windows(2).all(|w| w[1].0 == w[0].0 + 1);
        let (first, last) = (adv[0].0, adv[adv.len() - 1].0);
        let rest = (0..nd).filter(|d| indices.get(*d).is_none_or(|t| t.is_none()));
        let (pre, post): (Vec<usize>, Vec<usize>) = rest.partition(|&d| adjacent && d < first);
        debug_assert!(!adjacent || post.iter().all(|&d| d > last));
        let geo = |ds: &[usize]| -> (Vec<usize>, Vec<usize>) {
            (ds.iter().map(|&d| x.shape()[d]).collect(), ds.iter().map(|&d| x.strides()[d]).collect())
        };
        let (pre_shape, pre_strides) = geo(&pre);
        let (post_shape, post_strides) = geo(&post);
        let pre_offs = offsets(&pre_shape, &pre_strides, x.offset());
        let mut outer = Vec::with_capacity(pre_offs.len() * nb);
        for p in &pre_offs {
            outer.extend(boff.iter().map(|b| p + b));
        }
        let mut shape = pre_shape;
        shape.extend_from_slice(&bshape);
        shape.extend_from_slice(&post_shape);
        let (cs, [cst]) = coalesce(&post_shape, [&post_strides]);
        let (rel, inner) = match (cs.as_slice(), cst.as_slice()) {
            ([], _) if !post_shape.contains(&0) => (None, 1),
            ([n], [1]) => (None, *n),
            _ => {
                let r = offsets(&post_shape, &post_strides, 0);
                let n = r.len();
                (Some(r), n)
            }
        };
        Ok(Plan { shape, outer, rel, inner })
    }

    fn total(&self) -> usize {
        self.outer.len() * self.inner
    }

    /// A new contiguous tensor with the planned elements of `x`.
    pub fn gather(&self, x: &Tensor) -> Result<Tensor> {
        let total = self.total();
        let g = x.storage().read();
        let buf = dispatch_dtype!(x.dtype(), T => {
            let src = g.slice::<T>().ok_or_else(|| Error::op("index", "storage dtype mismatch"))?;
            let mut out = vec![T::from_i64(0); total];
            if total > 0 {
                map_chunks_mut(&mut out, 1, |start, chunk| self.gather_into(src, start, chunk));
            }
            T::into_buffer(out)
        });
        Tensor::from_buffer(buf, &self.shape)
    }

    /// Fills `out` with result elements `start..start + out.len()`.
    fn gather_into<T: Element>(&self, src: &[T], start: usize, out: &mut [T]) {
        let n = self.inner;
        let (mut o, mut r) = (start / n, start % n);
        let mut k = 0;
        while k < out.len() {
            let base = self.outer[o];
            let take = (n - r).min(out.len() - k);
            let dst = &mut out[k..k + take];
            match &self.rel {
                None => dst.copy_from_slice(&src[base + r..base + r + take]),
                Some(rel) => {
                    for (d, &ro) in dst.iter_mut().zip(&rel[r..r + take]) {
                        *d = src[base + ro];
                    }
                }
            }
            k += take;
            r = 0;
            o += 1;
        }
    }

    /// Writes `values` (the result's shape, `x`'s dtype, row-major) into the
    /// planned elements of `x` in order, so the last of duplicate positions
    /// wins; with `reduce` each element is combined with what is there.
    pub fn put(&self, x: &Tensor, values: &Tensor, reduce: Reduce) -> Result<()> {
        ensure!(
            values.shape() == self.shape.as_slice() && values.dtype() == x.dtype(),
            "index_put_",
            "internal: values {:?} {} do not fit the plan {:?} {}",
            values.shape(),
            values.dtype(),
            self.shape,
            x.dtype()
        );
        dispatch_dtype!(x.dtype(), T => {
            // Copy first: `values` may share storage with `x`.
            let vals = values.to_vec::<T>();
            let mut g = x.storage().write();
            let dst = g.slice_mut::<T>().ok_or_else(|| Error::op("index_put_", "storage dtype mismatch"))?;
            self.put_from(dst, &vals, reduce);
        });
        Ok(())
    }

    fn put_from<T: Element>(&self, dst: &mut [T], vals: &[T], reduce: Reduce) {
        let n = self.inner;
        for (i, &base) in self.outer.iter().enumerate() {
            let v = &vals[i * n..(i + 1) * n];
            match (&self.rel, reduce) {
                (None, Reduce::None) => dst[base..base + n].copy_from_slice(v),
                (None, _) => {
                    for (d, &s) in dst[base..base + n].iter_mut().zip(v) {
                        *d = reduce.apply(*d, s);
                    }
                }
                (Some(rel), _) => {
                    for (&ro, &s) in rel.iter().zip(v) {
                        dst[base + ro] = reduce.apply(dst[base + ro], s);
                    }
                }
            }
        }
    }
}

/// How a write combines with the value already in place.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Reduce {
    /// Overwrite.
    None,
    Add,
    Mul,
    Max,
    Min,
}

impl Reduce {
    /// Combines `old` and `new` in the element type's arithmetic (integers
    /// wrap, bools act as or/and, NaN propagates through max/min).
    #[inline]
    pub fn apply<T: Element>(self, old: T, new: T) -> T {
        use crate::Category::*;
        match (self, T::DTYPE.category()) {
            (Reduce::None, _) => new,
            (Reduce::Add, Float) => T::from_f64(old.to_f64() + new.to_f64()),
            (Reduce::Add, Int) => T::from_i64(old.to_i64().wrapping_add(new.to_i64())),
            (Reduce::Add, Bool) | (Reduce::Max, Bool) => T::from_bool(old.to_bool() || new.to_bool()),
            (Reduce::Mul, Float) => T::from_f64(old.to_f64() * new.to_f64()),
            (Reduce::Mul, Int) => T::from_i64(old.to_i64().wrapping_mul(new.to_i64())),
            (Reduce::Mul, Bool) | (Reduce::Min, Bool) => T::from_bool(old.to_bool() && new.to_bool()),
            (Reduce::Max, Float) | (Reduce::Min, Float) => {
                let (a, b) = (old.to_f64(), new.to_f64());
                if a.is_nan() || b.is_nan() {
                    T::from_f64(f64::NAN)
                } else if (self == Reduce::Max) == (b > a) {
                    new
                } else {
                    old
                }
            }
            (Reduce::Max, Int) => {
                if new.to_i64() > old.to_i64() {
                    new
                } else {
                    old
                }
            }
            (Reduce::Min, Int) => {
                if new.to_i64() < old.to_i64() {
                    new
                } else {
                    old
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_indices_stay_in_place_separated_go_first() {
        let x = Tensor::zeros(&[2, 3, 4, 5], DType::F32).unwrap();
        let i = Tensor::from_vec(vec![0i64, 1], &[2]).unwrap();
        let p = Plan::new("index", &x, &[None, Some(i.clone()), Some(i.clone())]).unwrap();
        assert_eq!(p.shape, vec![2, 2, 5]);
        let p = Plan::new("index", &x, &[Some(i.clone()), None, Some(i)]).unwrap();
        assert_eq!(p.shape, vec![2, 3, 5]);
    }

    #[test]
    fn gather_and_put_round_trip() {
        let x = Tensor::from_vec((0..12).collect::<Vec<i64>>(), &[3, 4]).unwrap();
        let i = Tensor::from_vec(vec![2i64, -3], &[2]).unwrap();
        let p = Plan::new("index", &x, &[None, Some(i)]).unwrap();
        let g = p.gather(&x).unwrap();
        assert_eq!(g.to_vec::<i64>(), vec![2, 1, 6, 5, 10, 9]);
        p.put(&x, &g, Reduce::Add).unwrap();
        assert_eq!(x.to_vec::<i64>(), vec![0, 2, 4, 3, 4, 10, 12, 7, 8, 18, 20, 11]);
        let bad = Tensor::from_vec(vec![3i64], &[1]).unwrap();
        assert!(Plan::new("index", &x, &[Some(bad)]).is_err());
    }
}
