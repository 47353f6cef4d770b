//! Matrix products of float32, float16 and bfloat16 CUDA tensors through
//! cuBLAS (`blas.rs`): `matmul` (batch dims broadcast), `mm`, `bmm` and
//! `linear`.

use super::blas::MatLayout;
use super::native::{bias_accumulator, float_cuda, narrowed};
use super::tensor::err;
use crate::ops::Args;
use crate::shape::{broadcast_all, broadcast_strides};
use crate::{Result, Tensor, Value};

/// `linear(x, w, b)`: `x @ wᵀ` on cuBLAS. A bias `[out]` is first
/// broadcast into an accumulator, which the product is added to (one
/// rounding, as PyTorch's `addmm`).
pub(super) fn linear(a: &Args) -> Result<Option<Tensor>> {
    let (Some(x), Some(w)) = (float_cuda(a.vals.first()), float_cuda(a.vals.get(1))) else { return Ok(None) };
    if w.ndim() != 2 || x.ndim() < 2 || x.dtype() != w.dtype() {
        return Ok(None);
    }
    let wt = w.as_strided(&[w.shape()[1], w.shape()[0]], &[w.strides()[1], w.strides()[0]], w.offset())?;
    let bias = match a.vals.get(2) {
        None | Some(Value::None) => None,
        v => match float_cuda(v) {
            Some(b) if b.dtype() == x.dtype() && b.shape() == [w.shape()[0]] => Some(b),
            _ => return Ok(None),
        },
    };
    matmul_bias(x, &wt, bias)
}

/// `matmul` of two float CUDA tensors of one dtype and rank ≥ 2 (batch
/// dims broadcast), when each operand's batch dims collapse to one stride.
pub(super) fn matmul(x: &Tensor, y: &Tensor) -> Result<Option<Tensor>> {
    matmul_bias(x, y, None)
}

/// [`matmul`], plus `bias` (of the result's dtype, broadcast to its shape)
/// when given: broadcast into an accumulator ([`bias_accumulator`]), which
/// the product is added to.
fn matmul_bias(x: &Tensor, y: &Tensor, bias: Option<&Tensor>) -> Result<Option<Tensor>> {
    let (xr, yr) = (x.ndim(), y.ndim());
    if xr < 2 || yr < 2 {
        return Ok(None);
    }
    let (m, k, k2, n) = (x.shape()[xr - 2], x.shape()[xr - 1], y.shape()[yr - 2], y.shape()[yr - 1]);
    if k != k2 {
        return Err(err("matmul", format!("mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})")));
    }
    let batch_shape = broadcast_all("matmul", &[&x.shape()[..xr - 2], &y.shape()[..yr - 2]])?;
    let batch: usize = batch_shape.iter().product();
    let lay = |t: &Tensor, rows: usize, cols: usize| -> Option<MatLayout> {
        let r = t.ndim();
        let bs = batch_stride(&t.shape()[..r - 2], &t.strides()[..r - 2], &batch_shape)?;
        MatLayout::of(rows, cols, t.strides()[r - 2], t.strides()[r - 1], t.offset(), bs)
    };
    // A batch of one matrix row-major in rows (x contiguous, y 2-d): fold
    // the batch into m for one large product.
    let (Some(xl), Some(yl)) = (lay(x, m, k), lay(y, k, n)) else { return Ok(None) };
    let (gx, gy) = (x.gpu(), y.gpu());
    let (Some(gx), Some(gy)) = (gx, gy) else { return Ok(None) };
    let fold = yr == 2 && xl.row_major && xl.ld == k && xl.batch_stride == m * k && batch > 1;
    let shape: Vec<usize> = batch_shape.iter().copied().chain([m, n]).collect();
    let acc = bias.map(|b| bias_accumulator(b, &shape)).transpose()?;
    let (bx, by) = (gx.read(), gy.read());
    let buf = if fold {
        let xl1 = MatLayout { batch_stride: 0, ..xl };
        gx.dev.matmul(1, batch * m, k, n, (&bx, xl1), (&by, yl), acc)
    } else {
        gx.dev.matmul(batch, m, k, n, (&bx, xl), (&by, yl), acc)
    }
    .map_err(|e| err("matmul", e))?;
    drop((bx, by));
    narrowed(gx.dev.clone(), buf, &shape, x.dtype()).map(Some)
}

/// The one element stride between consecutive matrices of a tensor whose
/// batch dims (`shape`, `strides`) broadcast to `batch`: 0 when all are
/// broadcast, else `None` unless they walk as one dim.
fn batch_stride(shape: &[usize], strides: &[usize], batch: &[usize]) -> Option<usize> {
    let bs = broadcast_strides(shape, strides, batch);
    let dims: Vec<(usize, usize)> = batch.iter().copied().zip(bs).filter(|&(d, _)| d != 1).collect();
    if dims.iter().all(|&(_, s)| s == 0) {
        return Some(0);
    }
    let inner = dims.last()?.1;
    let mut expect = inner;
    for &(d, s) in dims.iter().rev() {
        if s != expect {
            return None;
        }
        expect = s * d;
    }
    Some(inner)
}

#[cfg(test)]
mod tests {
    use super::batch_stride;

    #[test]
    fn batch_strides() {
        // [2, 3] batches of 4×5 matrices, contiguous: stride 20.
        assert_eq!(batch_stride(&[2, 3], &[60, 20], &[2, 3]), Some(20));
        // A 2-d operand broadcast over the batch.
        assert_eq!(batch_stride(&[], &[], &[2, 3]), Some(0));
        // Broadcast along one batch dim only: not one stride.
        assert_eq!(batch_stride(&[1, 3], &[0, 20], &[2, 3]), None);
        // Size-1 dims do not matter.
        assert_eq!(batch_stride(&[2, 1], &[20, 7], &[2, 1]), Some(20));
    }
}
