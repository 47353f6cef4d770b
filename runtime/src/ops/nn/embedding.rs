//! Index-driven layers: `embedding` (row gather, with `max_norm`
//! renormalizing the used rows of the weight in place), `one_hot`, and the
//! pure data movements `pixel_shuffle` / `pixel_unshuffle`.

use super::common::{lane_norm, with_float, Float};
use crate::{bail, dispatch_dtype, DType, Element, Result, Tensor};

/// The indices as i64, checked to be int32/int64 and inside `0..rows`.
fn indices(op: &str, idx: &Tensor, rows: usize) -> Result<Vec<i64>> {
    if !matches!(idx.dtype(), DType::I32 | DType::I64) {
        bail!(op, "expected the indices to be int64 or int32, got {}", idx.dtype());
    }
    let v = idx.to_vec::<i64>();
    if let Some(bad) = v.iter().find(|&&i| i < 0 || i as usize >= rows) {
        bail!(op, "index {bad} is out of range for a weight with {rows} rows");
    }
    Ok(v)
}

/// `F.embedding(input, weight, padding_idx, max_norm, norm_type)`: rows of
/// `weight` (2-D) picked by the int32/int64 `input`; the result has shape
/// `input.shape + [embedding_dim]`. `padding_idx` only affects gradients
/// here but is range-checked as in PyTorch.
pub fn embedding(input: &Tensor, weight: &Tensor, padding_idx: Option<i64>, max_norm: Option<f64>, norm_type: f64) -> Result<Tensor> {
    let op = "embedding";
    if weight.ndim() != 2 {
        bail!(op, "'weight' must be 2-D, got shape {:?}", weight.shape());
    }
    let (rows, dim) = (weight.shape()[0], weight.shape()[1]);
    if let Some(p) = padding_idx {
        if p >= rows as i64 || p < -(rows as i64) {
            bail!(op, "padding_idx {p} must be within num_embeddings ({rows})");
        }
    }
    let idx = indices(op, input, rows)?;
    if let Some(m) = max_norm {
        renorm(weight, &idx, m, norm_type)?;
    }
    let mut shape = input.shape().to_vec();
    shape.push(dim);
    let w = weight.contiguous();
    dispatch_dtype!(w.dtype(), T => w.with_slice::<T, _>(|src| {
        Tensor::from_vec(gather_rows(src, dim, &idx), &shape)
    }))
}

fn gather_rows<T: Element>(w: &[T], dim: usize, idx: &[i64]) -> Vec<T> {
    let mut out = Vec::with_capacity(idx.len() * dim);
    for &i in idx {
        let r = i as usize * dim;
        out.extend_from_slice(&w[r..r + dim]);
    }
    out
}

/// `torch.embedding_renorm_`: every row used by `idx` whose `norm_type`
/// norm exceeds `max_norm` is scaled to `max_norm / (norm + 1e-7)`, in place.
fn renorm(weight: &Tensor, idx: &[i64], max_norm: f64, norm_type: f64) -> Result<()> {
    if !weight.dtype().is_float() {
        bail!("embedding", "max_norm needs a floating point weight, got {}", weight.dtype());
    }
    let mut rows: Vec<usize> = idx.iter().map(|&i| i as usize).collect();
    rows.sort_unstable();
    rows.dedup();
    let dim = weight.shape()[1];
    let (rs, cs) = (weight.strides()[0], weight.strides()[1]);
    with_float!(weight.dtype().compute(), T => {
        let w = weight.to_vec::<T>();
        for r in rows {
            let norm = lane_norm(&w, r * dim, 1, dim, norm_type);
            if norm > max_norm {
                let scale = max_norm / (norm + 1e-7);
                let row: Vec<T> = w[r * dim..(r + 1) * dim].iter().map(|&v| T::c(v.f() * scale)).collect();
                let view = weight.as_strided(&[dim], &[cs], weight.offset() + r * rs)?;
                view.assign(&Tensor::from_vec(row, &[dim])?)?;
            }
        }
        Ok(())
    })
}

/// `F.one_hot(tensor, num_classes=-1)`: int64 in, int64 out with a new last
/// dim of `num_classes` (`-1`: one more than the largest value).
pub fn one_hot(t: &Tensor, num_classes: i64) -> Result<Tensor> {
    let op = "one_hot";
    if t.dtype() != DType::I64 {
        bail!(op, "one_hot is only applicable to index tensors of type int64, got {}", t.dtype());
    }
    let v = t.to_vec::<i64>();
    let classes = if num_classes == -1 {
        match v.iter().max() {
            Some(&m) => m.saturating_add(1),
            None => bail!(op, "can not infer the total number of classes from an empty tensor"),
        }
    } else {
        num_classes
    };
    if v.iter().any(|&i| i < 0) {
        bail!(op, "class values must be non-negative");
    }
    if v.iter().any(|&i| i >= classes) || (classes < 0 && !v.is_empty()) {
        bail!(op, "class values must be smaller than num_classes ({classes})");
    }
    if classes < 0 {
        bail!(op, "num_classes must be -1 or non-negative, got {num_classes}");
    }
    let c = classes as usize;
    let mut shape = t.shape().to_vec();
    shape.push(c);
    let mut out = vec![0i64; crate::shape::checked_numel(op, &shape)?];
    for (k, &i) in v.iter().enumerate() {
        out[k * c + i as usize] = 1;
    }
    Tensor::from_vec(out, &shape)
}

/// `F.pixel_shuffle(x, r)`: `(*, C·r², H, W)` → `(*, C, H·r, W·r)`.
pub fn pixel_shuffle(x: &Tensor, r: i64) -> Result<Tensor> {
    shuffle("pixel_shuffle", x, r, true)
}

/// `F.pixel_unshuffle(x, r)`: `(*, C, H·r, W·r)` → `(*, C·r², H, W)`.
pub fn pixel_unshuffle(x: &Tensor, r: i64) -> Result<Tensor> {
    shuffle("pixel_unshuffle", x, r, false)
}

/// Both shuffles as one strided view (split dims, permute) copied out.
fn shuffle(op: &str, x: &Tensor, r: i64, up: bool) -> Result<Tensor> {
    let nd = x.ndim();
    if nd < 3 {
        bail!(op, "expects input to have at least 3 dimensions, got shape {:?}", x.shape());
    }
    if r <= 0 {
        bail!(op, "the scale factor must be greater than 0, got {r}");
    }
    let r = r as usize;
    let Some(rr) = r.checked_mul(r).filter(|&rr| rr <= isize::MAX as usize) else {
        bail!(op, "the scale factor {r} is too large");
    };
    let (sh, st) = (x.shape(), x.strides());
    let (c, h, w) = (sh[nd - 3], sh[nd - 2], sh[nd - 1]);
    let (sc, shs, sw) = (st[nd - 3], st[nd - 2], st[nd - 1]);
    let (mut shape, mut strides) = (sh[..nd - 3].to_vec(), st[..nd - 3].to_vec());
    let out_tail: [usize; 3] = if up {
        if c % rr != 0 {
            bail!(op, "the channel dim {c} must be divisible by the square of the upscale factor {r}");
        }
        // (C', r, r, H, W) viewed as (C', H, r, W, r).
        let co = c / rr;
        shape.extend([co, h, r, w, r]);
        strides.extend([sc * rr, shs, sc * r, sw, sc]);
        [co, h * r, w * r]
    } else {
        if h % r != 0 || w % r != 0 {
            bail!(op, "the height {h} and width {w} must be divisible by the downscale factor {r}");
        }
        // (C, H', r, W', r) viewed as (C, r, r, H', W').
        let (ho, wo) = (h / r, w / r);
        shape.extend([c, r, r, ho, wo]);
        strides.extend([sc, shs, sw, shs * r, sw * r]);
        [c * rr, ho, wo]
    };
    let view = x.as_strided(&shape, &strides, x.offset())?;
    let data = view.copy_as(x.dtype());
    let mut out_shape = sh[..nd - 3].to_vec();
    out_shape.extend(out_tail);
    data.as_strided(&out_shape, &crate::shape::contiguous_strides(&out_shape), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_sizes_are_errors() {
        let t = Tensor::from_vec(vec![0i64, i64::MAX], &[2]).unwrap();
        assert!(one_hot(&t, -1).is_err());
        assert!(one_hot(&Tensor::from_vec(vec![0i64], &[1]).unwrap(), 1 << 62).is_err());
        let x = Tensor::zeros(&[1, 4, 2, 2], DType::F32).unwrap();
        assert!(pixel_shuffle(&x, 1 << 40).is_err());
        assert!(pixel_unshuffle(&x, i64::MAX).is_err());
    }

    #[test]
    fn max_norm_renormalizes_used_rows_in_place() {
        let w = Tensor::from_vec(vec![3.0f32, 4.0, 0.3, 0.4], &[2, 2]).unwrap();
        let idx = Tensor::from_vec(vec![0i64, 1, 0], &[3]).unwrap();
        let out = embedding(&idx, &w, None, Some(1.0), 2.0).unwrap().to_vec::<f32>();
        let wv = w.to_vec::<f32>();
        assert!((wv[0] - 0.6).abs() < 1e-5 && (wv[1] - 0.8).abs() < 1e-5);
        assert_eq!(&wv[2..], &[0.3, 0.4]);
        assert_eq!(out[..2], wv[..2]);
    }
}
