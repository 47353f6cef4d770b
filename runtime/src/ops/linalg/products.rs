//! Products that are not plain matrix products: `outer`/`ger` and `kron`
//! (elementwise products of broadcast views, with type promotion),
//! `cross`, `trace`, and `tensordot` (a permute-and-flatten onto one GEMM).

use super::batched::{product, Batch, Ring};
use crate::iter::coalesce;
use crate::shape::{broadcast_shapes, wrap_dim, wrap_dims};
use crate::{bail, ensure, promote_types, DType, Result, Scalar, Tensor};

/// `a * b` for two views of the same shape, computed in `dtype`'s compute
/// type (bool: logical and) and returned as a contiguous `dtype` tensor of
/// `out_shape` (same element count and order).
fn mul_views(op: &str, a: &Tensor, b: &Tensor, dtype: DType, out_shape: &[usize]) -> Result<Tensor> {
    fn go<E: Ring>(a: &Tensor, b: &Tensor, out_shape: &[usize]) -> Result<Tensor> {
        let (av, bv) = (a.to_vec::<E>(), b.to_vec::<E>());
        Tensor::from_vec(av.into_iter().zip(bv).map(|(x, y)| x.mul(y)).collect(), out_shape)
    }
    let t = match dtype.compute() {
        DType::Bool => go::<bool>(a, b, out_shape)?,
        DType::I64 => go::<i64>(a, b, out_shape)?,
        DType::F32 => go::<f32>(a, b, out_shape)?,
        DType::F64 => go::<f64>(a, b, out_shape)?,
        d => bail!(op, "internal: no compute type {d}"),
    };
    Ok(t.to_dtype(dtype))
}

/// `torch.outer` / `torch.ger`: `out[i, j] = a[i]·b[j]`, with type promotion.
pub fn outer(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    ensure!(a.ndim() == 1, "outer", "Expected 1-D argument self, but got {}-D", a.ndim());
    ensure!(b.ndim() == 1, "outer", "Expected 1-D argument vec2, but got {}-D", b.ndim());
    let (m, n) = (a.shape()[0], b.shape()[0]);
    let av = a.as_strided(&[m, n], &[a.strides()[0], 0], a.offset())?;
    let bv = b.as_strided(&[m, n], &[0, b.strides()[0]], b.offset())?;
    mul_views("outer", &av, &bv, promote_types(a.dtype(), b.dtype()), &[m, n])
}

/// `torch.kron`: the Kronecker product (shapes padded with leading 1s).
pub fn kron(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let nd = a.ndim().max(b.ndim());
    let pad = |t: &Tensor| -> (Vec<usize>, Vec<usize>) {
        let k = nd - t.ndim();
        let shape = std::iter::repeat_n(1, k).chain(t.shape().iter().copied()).collect();
        let strides = std::iter::repeat_n(0, k).chain(t.strides().iter().copied()).collect();
        (shape, strides)
    };
    let ((sa, ta), (sb, tb)) = (pad(a), pad(b));
    // Interleave: dims (a0, b0, a1, b1, ...) so the row-major result is the
    // Kronecker layout [a0·b0, a1·b1, ...].
    let mut shape = Vec::with_capacity(2 * nd);
    let (mut st_a, mut st_b) = (Vec::with_capacity(2 * nd), Vec::with_capacity(2 * nd));
    for i in 0..nd {
        shape.extend([sa[i], sb[i]]);
        st_a.extend([if sa[i] == 1 { 0 } else { ta[i] }, 0]);
        st_b.extend([0, if sb[i] == 1 { 0 } else { tb[i] }]);
    }
    let av = a.as_strided(&shape, &st_a, a.offset())?;
    let bv = b.as_strided(&shape, &st_b, b.offset())?;
    let out: Vec<usize> = (0..nd).map(|i| sa[i] * sb[i]).collect();
    mul_views("kron", &av, &bv, promote_types(a.dtype(), b.dtype()), &out)
}

/// `torch.cross`: the 3-vector cross product along `dim` (default: the
/// first dim of size 3 of `input`), broadcasting the other dims.
pub fn cross(a: &Tensor, b: &Tensor, dim: Option<i64>) -> Result<Tensor> {
    let op = "cross";
    ensure!(a.dtype() == b.dtype(), op, "expected scalar type {} but found {}", a.dtype(), b.dtype());
    ensure!(
        a.ndim() == b.ndim(),
        op,
        "linalg.cross: inputs must have the same number of dimensions (got shapes {:?} and {:?})",
        a.shape(),
        b.shape()
    );
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let d = match dim {
        Some(d) => wrap_dim(op, d, shape.len())?,
        None => match a.shape().iter().position(|&s| s == 3) {
            Some(d) => d,
            None => bail!(op, "no dimension of size 3 in input of shape {:?}", a.shape()),
        },
    };
    ensure!(
        a.ndim() > 0 && a.shape()[d] == 3 && b.shape()[d] == 3,
        op,
        "linalg.cross: inputs dimension {d} must have length 3. Got {:?} and {:?}",
        a.shape(),
        b.shape()
    );
    let (av, bv) = (a.broadcast_to(&shape)?, b.broadcast_to(&shape)?);
    let inner: usize = shape[d + 1..].iter().product();
    fn go<E: Ring>(a: &Tensor, b: &Tensor, shape: &[usize], inner: usize) -> Result<Tensor> {
        let (x, y) = (a.to_vec::<E>(), b.to_vec::<E>());
        let mut out = vec![E::default(); x.len()];
        for base in (0..x.len()).step_by(3 * inner.max(1)) {
            for i in base..base + inner {
                let at = |v: &[E], c: usize| v[i + c * inner];
                for c in 0..3 {
                    let (p, q) = ((c + 1) % 3, (c + 2) % 3);
                    out[i + c * inner] = at(&x, p).mul(at(&y, q)).sub(at(&x, q).mul(at(&y, p)));
                }
            }
        }
        Tensor::from_vec(out, shape)
    }
    let t = match a.dtype().compute() {
        DType::I64 => go::<i64>(&av, &bv, &shape, inner)?,
        DType::F32 => go::<f32>(&av, &bv, &shape, inner)?,
        DType::F64 => go::<f64>(&av, &bv, &shape, inner)?,
        d => bail!(op, "not implemented for '{d}'"),
    };
    Ok(t.to_dtype(a.dtype()))
}

/// `torch.trace`: the sum of the main diagonal of a matrix (integer inputs
/// give int64, as `sum` does).
pub fn trace(x: &Tensor) -> Result<Tensor> {
    ensure!(x.ndim() == 2, "trace", "expected a matrix, but got tensor with dim {} (shape {:?})", x.ndim(), x.shape());
    let n = x.shape()[0].min(x.shape()[1]);
    let diag = x.as_strided(&[n], &[x.strides()[0] + x.strides()[1]], x.offset())?;
    match x.dtype().category() {
        crate::Category::Bool => bail!("trace", "not implemented for 'Bool'"),
        crate::Category::Int => {
            let s = diag.to_vec::<i64>().into_iter().fold(0i64, i64::wrapping_add);
            Ok(Tensor::scalar(Scalar::Int(s), DType::I64))
        }
        crate::Category::Float => {
            let s: f64 = diag.to_vec::<f64>().into_iter().sum();
            Ok(Tensor::scalar(Scalar::Float(s), x.dtype()))
        }
    }
}

/// A 2-D (or `batch ++ [rows, cols]`) view of `t` seen with geometry
/// (`shape`, `strides`): dims `[batch..split)` flatten into rows and
/// `[split..)` into columns. A view when each group collapses to one evenly
/// strided dim, else a contiguous copy.
pub(crate) fn grouped_matrix(t: &Tensor, shape: &[usize], strides: &[usize], batch: usize, split: usize) -> Result<Tensor> {
    let rows: usize = shape[batch..split].iter().product();
    let cols: usize = shape[split..].iter().product();
    let view = t.as_strided(shape, strides, t.offset())?;
    let (r, [rs]) = coalesce(&shape[batch..split], [&strides[batch..split]]);
    let (c, [cs]) = coalesce(&shape[split..], [&strides[split..]]);
    let mut out_shape = shape[..batch].to_vec();
    out_shape.extend([rows, cols]);
    if r.len() <= 1 && c.len() <= 1 {
        let mut st = strides[..batch].to_vec();
        st.extend([rs.first().copied().unwrap_or(0), cs.first().copied().unwrap_or(0)]);
        return view.as_strided(&out_shape, &st, t.offset());
    }
    let dense = view.contiguous();
    let st = crate::shape::contiguous_strides(&out_shape);
    dense.as_strided(&out_shape, &st, dense.offset())
}

/// `torch.tensordot`: contracts dims `dims_a` of `a` with `dims_b` of `b`
/// (a contracted size of 1 on one side broadcasts, as in PyTorch). The
/// result has `a`'s free dims then `b`'s.
pub fn tensordot(a: &Tensor, b: &Tensor, dims_a: &[i64], dims_b: &[i64]) -> Result<Tensor> {
    let op = "tensordot";
    ensure!(dims_a.len() == dims_b.len(), op, "both dimension lists should have same length ({dims_a:?} and {dims_b:?})");
    ensure!(a.dtype() == b.dtype(), op, "both inputs should have same dtype, got {} and {}", a.dtype(), b.dtype());
    let da = wrap_dims(op, dims_a, a.ndim())?;
    let db = wrap_dims(op, dims_b, b.ndim())?;
    ensure!(
        da.iter().all(|&d| d < a.ndim()) && db.iter().all(|&d| d < b.ndim()),
        op,
        "dims {dims_a:?} and {dims_b:?} do not fit shapes {:?} and {:?}",
        a.shape(),
        b.shape()
    );
    // Contracted dims: the common size, stride 0 on a size-1 side.
    let mut k_size = Vec::with_capacity(da.len());
    let (mut k_sa, mut k_sb) = (Vec::new(), Vec::new());
    for (&i, &j) in da.iter().zip(&db) {
        let (s1, s2) = (a.shape()[i], b.shape()[j]);
        let size = if s2 == 1 {
            s1
        } else if s1 == 1 {
            s2
        } else {
            ensure!(
                s1 == s2,
                op,
                "contracted dimensions need to match, but first has size {s1} in dim {i} and second has size {s2} in dim {j} (shapes {:?} and {:?})",
                a.shape(),
                b.shape()
            );
            s1
        };
        k_size.push(size);
        k_sa.push(if s1 == size { a.strides()[i] } else { 0 });
        k_sb.push(if s2 == size { b.strides()[j] } else { 0 });
    }
    let free_a: Vec<usize> = (0..a.ndim()).filter(|d| !da.contains(d)).collect();
    let free_b: Vec<usize> = (0..b.ndim()).filter(|d| !db.contains(d)).collect();
    let shape_a: Vec<usize> = free_a.iter().map(|&d| a.shape()[d]).chain(k_size.iter().copied()).collect();
    let str_a: Vec<usize> = free_a.iter().map(|&d| a.strides()[d]).chain(k_sa).collect();
    let shape_b: Vec<usize> = k_size.iter().copied().chain(free_b.iter().map(|&d| b.shape()[d])).collect();
    let str_b: Vec<usize> = k_sb.into_iter().chain(free_b.iter().map(|&d| b.strides()[d])).collect();
    let ma = grouped_matrix(a, &shape_a, &str_a, 0, free_a.len())?;
    let mb = grouped_matrix(b, &shape_b, &str_b, 0, k_size.len())?;
    let out: Vec<usize> = free_a.iter().map(|&d| a.shape()[d]).chain(free_b.iter().map(|&d| b.shape()[d])).collect();
    product(op, &ma, &mb, None, Scalar::Int(1), Batch::Separate, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kron_matches_definition() {
        let a = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let b = Tensor::from_vec(vec![1i64, 10, 100], &[3]).unwrap();
        assert_eq!(kron(&a, &b).unwrap().to_vec::<i64>(), vec![1, 10, 100, 2, 20, 200]);
    }

    #[test]
    fn tensordot_contracts_broadcast_dims() {
        let a = Tensor::from_vec(vec![1f32, 2.], &[2, 1]).unwrap();
        let b = Tensor::from_vec(vec![1f32, 1., 1., 1., 1., 1.], &[3, 2]).unwrap();
        let r = tensordot(&a, &b, &[1], &[0]).unwrap();
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(r.to_vec::<f32>(), vec![3., 3., 6., 6.]);
    }
}
