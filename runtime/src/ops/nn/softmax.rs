//! `softmax`, `log_softmax` and `softmin` along one dim. The last-dim
//! contiguous case runs whole rows through `tsc_kernels::rows` (f32); other
//! dims run a column-wise loop over each `[n, inner]` block so every pass
//! reads memory in order.

use super::common::{par_rows, require_float, row_max, with_float, Float, Lanes};
use crate::{DType, Result, Tensor};

#[derive(Copy, Clone, PartialEq, Eq)]
enum Kind {
    Softmax,
    LogSoftmax,
}

/// `torch.softmax(x, dim, dtype)`: `x` is cast to `dtype` first when given.
pub fn softmax(x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    run("softmax", x, dim, dtype, Kind::Softmax, false)
}

/// `torch.log_softmax(x, dim, dtype)`.
pub fn log_softmax(x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    run("log_softmax", x, dim, dtype, Kind::LogSoftmax, false)
}

/// `F.softmin(x, dim, dtype)` = `softmax(-x)`.
pub fn softmin(x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    run("softmin", x, dim, dtype, Kind::Softmax, true)
}

/// The implicit dim `F.softmax(x)` picks when none is given (deprecated in PyTorch).
pub(crate) fn legacy_softmax_dim(ndim: usize) -> i64 {
    if matches!(ndim, 0 | 1 | 3) {
        0
    } else {
        1
    }
}

fn run(op: &str, x: &Tensor, dim: i64, dtype: Option<DType>, kind: Kind, negate: bool) -> Result<Tensor> {
    let x = match dtype {
        Some(d) => x.to_dtype(d),
        None => x.clone(),
    };
    let dt = require_float(op, &x, "input")?;
    let lanes = Lanes::new(op, x.shape(), dim)?;
    with_float!(dt.compute(), T => {
        let out = if negate {
            let v: Vec<T> = x.to_vec::<T>().into_iter().map(|a| -a).collect();
            compute(&v, lanes, kind)
        } else {
            x.with_slice::<T, _>(|v| compute(v, lanes, kind))
        };
        super::common::finish(out, x.shape(), dt)
    })
}

fn compute<T: Float>(x: &[T], l: Lanes, kind: Kind) -> Vec<T> {
    // SAFETY: both branches write every element (whole rows or whole
    // `[n, inner]` blocks) before `out` is returned.
    let mut out = unsafe { crate::alloc::uninit_vec::<T>(x.len()) };
    if l.inner == 1 {
        par_rows(x, &mut out, l.n, |xi, o| match kind {
            Kind::Softmax => T::softmax_rows(xi, o, l.n),
            Kind::LogSoftmax => T::log_softmax_rows(xi, o, l.n),
        });
    } else {
        par_rows(x, &mut out, l.n * l.inner, |xi, o| {
            for (xb, ob) in xi.chunks(l.n * l.inner).zip(o.chunks_mut(l.n * l.inner)) {
                columns(xb, ob, l.inner, kind);
            }
        });
    }
    out
}

/// Softmax over the rows of an `[n, inner]` block, column by column.
fn columns<T: Float>(x: &[T], out: &mut [T], inner: usize, kind: Kind) {
    let mut max = vec![T::NEG_INF; inner];
    for r in x.chunks(inner) {
        for (m, &v) in max.iter_mut().zip(r) {
            *m = m.fmax(v);
        }
    }
    for m in max.iter_mut() {
        *m = row_max(&[*m]);
    }
    let mut sum = vec![0.0f64; inner];
    for (r, o) in x.chunks(inner).zip(out.chunks_mut(inner)) {
        for i in 0..inner {
            let e = (r[i] - max[i]).exp();
            sum[i] += e.f();
            if kind == Kind::Softmax {
                o[i] = e;
            }
        }
    }
    match kind {
        Kind::Softmax => {
            let inv: Vec<T> = sum.iter().map(|&s| T::c(s)).collect();
            for o in out.chunks_mut(inner) {
                for (oi, &s) in o.iter_mut().zip(&inv) {
                    *oi = *oi / s;
                }
            }
        }
        Kind::LogSoftmax => {
            let lse: Vec<T> = sum.iter().zip(&max).map(|(&s, &m)| T::c(s).ln() + m).collect();
            for (r, o) in x.chunks(inner).zip(out.chunks_mut(inner)) {
                for i in 0..inner {
                    o[i] = r[i] - lse[i];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_and_row_paths_agree() {
        let v: Vec<f64> = (0..24).map(|i| ((i * 7) % 11) as f64 * 0.3 - 1.0).collect();
        let x = Tensor::from_vec(v, &[2, 3, 4]).unwrap();
        let a = softmax(&x, 1, None).unwrap().to_vec::<f64>();
        // Same softmax through the last-dim path on the transposed view.
        let t = x.as_strided(&[2, 4, 3], &[12, 1, 4], 0).unwrap();
        let b = softmax(&t, 2, None).unwrap().to_vec::<f64>();
        for o in 0..2 {
            for c in 0..3 {
                for i in 0..4 {
                    let ai = a[o * 12 + c * 4 + i];
                    let bi = b[o * 12 + i * 3 + c];
                    assert!((ai - bi).abs() < 1e-12);
                }
            }
        }
    }
}
