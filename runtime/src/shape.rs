//! Shape arithmetic with PyTorch's rules: broadcasting, negative-dim
//! wrapping, contiguous strides, `-1` inference in `reshape`.

use crate::{bail, Result};

/// Number of elements of a shape (1 for a 0-d tensor).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Number of elements, or an error when the shape is too large to lay
/// out: the product of the dims with zeros counted as one (what contiguous
/// strides multiply, so it must fit even for an empty tensor) overflows or
/// exceeds `isize::MAX / 16`.
pub fn checked_numel(op: &str, shape: &[usize]) -> Result<usize> {
    let mut span: usize = 1;
    for &d in shape {
        match span.checked_mul(d.max(1)) {
            Some(v) => span = v,
            None => bail!(op, "shape {shape:?} has too many elements"),
        }
    }
    if span > isize::MAX as usize / 16 {
        bail!(op, "shape {shape:?} has too many elements");
    }
    Ok(numel(shape))
}

/// Row-major strides of a contiguous tensor of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1);
    }
    strides
}

/// Wraps a possibly negative dim into `0..ndim` (`ndim` 0 accepts -1 and 0,
/// as PyTorch does for scalars).
pub fn wrap_dim(op: &str, dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        bail!(op, "dim {dim} is out of range for a tensor with {ndim} dims (expected -{n}..{})", n - 1);
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}

/// Wraps a dim for inserting a new axis (`unsqueeze`, `stack`): range `-(ndim+1)..=ndim`.
pub fn wrap_insert_dim(op: &str, dim: i64, ndim: usize) -> Result<usize> {
    wrap_dim(op, dim, ndim + 1)
}

/// Wraps a list of dims, rejecting repeats.
pub fn wrap_dims(op: &str, dims: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let w = wrap_dim(op, d, ndim)?;
        if out.contains(&w) {
            bail!(op, "dim {d} appears more than once in {dims:?}");
        }
        out.push(w);
    }
    Ok(out)
}

/// The broadcast shape of two shapes (numpy/PyTorch rules).
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            bail!(
                op,
                "shapes {a:?} and {b:?} cannot be broadcast: size {da} vs {db} at dim {}",
                i as i64 - n as i64
            );
        };
    }
    Ok(out)
}

/// Broadcast shape of many shapes.
pub fn broadcast_all(op: &str, shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = Vec::new();
    for s in shapes {
        out = broadcast_shapes(op, &out, s)?;
    }
    Ok(out)
}

/// Strides that view a tensor of (`shape`, `strides`) as `out_shape`
/// (broadcast dims get stride 0). The caller checked broadcastability.
pub fn broadcast_strides(shape: &[usize], strides: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let n = out_shape.len();
    let k = shape.len();
    let mut out = vec![0; n];
    for i in 0..k {
        let o = n - k + i;
        out[o] = if shape[i] == 1 && out_shape[o] != 1 { 0 } else { strides[i] };
    }
    out
}

/// Resolves a `reshape`/`view` target with at most one `-1`.
pub fn infer_shape(op: &str, target: &[i64], numel: usize) -> Result<Vec<usize>> {
    let mut infer = None;
    let mut known: usize = 1;
    for (i, &d) in target.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                bail!(op, "only one dimension can be inferred in {target:?}");
            }
            infer = Some(i);
        } else if d < 0 {
            bail!(op, "invalid shape dimension {d} in {target:?}");
        } else {
            known = known.saturating_mul(d as usize);
        }
    }
    let mut out: Vec<usize> = target.iter().map(|&d| d.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 || numel % known != 0 {
                bail!(op, "shape {target:?} is invalid for input of size {numel}");
            }
            out[i] = numel / known;
        }
        None => {
            if known != numel {
                bail!(op, "shape {target:?} is invalid for input of size {numel}");
            }
        }
    }
    Ok(out)
}
