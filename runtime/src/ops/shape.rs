//! Ops: shape and view ops. Everything here returns a view that shares
//! storage with its input (built with `Tensor::as_strided`), except
//! `reshape`/`flatten` when no view exists, `contiguous` on a strided
//! input and `clone`: `view`, `reshape`, `flatten`, `unflatten`,
//! `squeeze`, `unsqueeze`, `permute`, `transpose`, `t`, `movedim`,
//! `expand`, `narrow`, `select`, `slice`, `unbind`, `diagonal`.
//! Copying reorderings (`flip`, `roll`, `repeat`, `tril`, `diag`, ...) live
//! in `shape_copy.rs`.

use super::{Args, OpDef};
use crate::shape::{contiguous_strides, infer_shape, wrap_dim, wrap_dims, wrap_insert_dim};
use crate::{bail, ensure, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "view(Tensor self, int[] size) -> Tensor", run: run_view },
    OpDef { schema: "view_as(Tensor self, Tensor other) -> Tensor", run: run_view_as },
    OpDef { schema: "reshape(Tensor self, int[] shape) -> Tensor", run: run_reshape },
    OpDef { schema: "reshape_as(Tensor self, Tensor other) -> Tensor", run: run_reshape_as },
    OpDef { schema: "flatten.using_ints(Tensor self, int start_dim=0, int end_dim=-1) -> Tensor", run: run_flatten },
    OpDef { schema: "unflatten.int(Tensor self, int dim, int[] sizes) -> Tensor", run: run_unflatten },
    OpDef { schema: "squeeze(Tensor self) -> Tensor", run: run_squeeze },
    OpDef { schema: "squeeze.dim(Tensor self, int dim) -> Tensor", run: run_squeeze_dim },
    OpDef { schema: "squeeze.dims(Tensor self, int[]? dim) -> Tensor", run: run_squeeze_dims },
    OpDef { schema: "unsqueeze(Tensor self, int dim) -> Tensor", run: run_unsqueeze },
    OpDef { schema: "permute(Tensor self, int[] dims) -> Tensor", run: run_permute },
    OpDef { schema: "transpose.int(Tensor self, int dim0, int dim1) -> Tensor", run: run_transpose },
    OpDef { schema: "swapdims(Tensor self, int dim0, int dim1) -> Tensor", run: run_transpose },
    OpDef { schema: "swapaxes(Tensor self, int axis0, int axis1) -> Tensor", run: run_transpose },
    OpDef { schema: "t(Tensor self) -> Tensor", run: run_t },
    OpDef { schema: "movedim.int(Tensor self, int source, int destination) -> Tensor", run: run_movedim_int },
    OpDef { schema: "movedim.intlist(Tensor self, int[] source, int[] destination) -> Tensor", run: run_movedim },
    OpDef { schema: "moveaxis.int(Tensor self, int source, int destination) -> Tensor", run: run_movedim_int },
    OpDef { schema: "moveaxis.intlist(Tensor self, int[] source, int[] destination) -> Tensor", run: run_movedim },
    OpDef { schema: "contiguous(Tensor self, *, Any? memory_format=None) -> Tensor", run: run_contiguous },
    OpDef { schema: "clone(Tensor self, *, Any? memory_format=None) -> Tensor", run: run_clone },
    OpDef { schema: "expand(Tensor self, int[] size, *, bool implicit=False) -> Tensor", run: run_expand },
    OpDef { schema: "expand_as(Tensor self, Tensor other) -> Tensor", run: run_expand_as },
    OpDef { schema: "narrow(Tensor self, int dim, int start, int length) -> Tensor", run: run_narrow },
    OpDef { schema: "narrow.Tensor(Tensor self, int dim, Tensor start, int length) -> Tensor", run: run_narrow_tensor },
    OpDef { schema: "select.int(Tensor self, int dim, int index) -> Tensor", run: run_select },
    OpDef { schema: "slice.Tensor(Tensor self, int dim=0, int? start=None, int? end=None, int step=1) -> Tensor", run: run_slice },
    OpDef { schema: "unbind.int(Tensor self, int dim=0) -> Tensor[]", run: run_unbind },
    OpDef { schema: "diagonal(Tensor self, int offset=0, int dim1=0, int dim2=1) -> Tensor", run: run_diagonal },
];

// ----- schema wrappers ----------------------------------------------------

fn run_view(a: &Args) -> Result<Value> {
    Ok(view(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_view_as(a: &Args) -> Result<Value> {
    Ok(view(a.tensor(0)?, &dims_i64(a.tensor(1)?.shape()))?.into())
}
fn run_reshape(a: &Args) -> Result<Value> {
    Ok(reshape(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_reshape_as(a: &Args) -> Result<Value> {
    Ok(reshape(a.tensor(0)?, &dims_i64(a.tensor(1)?.shape()))?.into())
}
fn run_flatten(a: &Args) -> Result<Value> {
    Ok(flatten(a.tensor(0)?, a.int(1)?, a.int(2)?)?.into())
}
fn run_unflatten(a: &Args) -> Result<Value> {
    Ok(unflatten(a.tensor(0)?, a.int(1)?, &a.ints(2)?)?.into())
}
fn run_squeeze(a: &Args) -> Result<Value> {
    Ok(squeeze(a.tensor(0)?).into())
}
fn run_squeeze_dim(a: &Args) -> Result<Value> {
    Ok(squeeze_dims(a.tensor(0)?, &[a.int(1)?])?.into())
}
fn run_squeeze_dims(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    Ok(match a.opt_ints(1)? {
        Some(d) => squeeze_dims(x, &d)?,
        None => squeeze(x),
    }
    .into())
}
fn run_unsqueeze(a: &Args) -> Result<Value> {
    Ok(unsqueeze(a.tensor(0)?, a.int(1)?)?.into())
}
fn run_permute(a: &Args) -> Result<Value> {
    Ok(permute(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_transpose(a: &Args) -> Result<Value> {
    Ok(transpose(a.tensor(0)?, a.int(1)?, a.int(2)?)?.into())
}
fn run_t(a: &Args) -> Result<Value> {
    Ok(t(a.tensor(0)?)?.into())
}
fn run_movedim_int(a: &Args) -> Result<Value> {
    Ok(movedim(a.tensor(0)?, &[a.int(1)?], &[a.int(2)?])?.into())
}
fn run_movedim(a: &Args) -> Result<Value> {
    Ok(movedim(a.tensor(0)?, &a.ints(1)?, &a.ints(2)?)?.into())
}
fn run_contiguous(a: &Args) -> Result<Value> {
    Ok(a.tensor(0)?.contiguous().into())
}
fn run_clone(a: &Args) -> Result<Value> {
    Ok(clone(a.tensor(0)?).into())
}
fn run_expand(a: &Args) -> Result<Value> {
    Ok(expand(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_expand_as(a: &Args) -> Result<Value> {
    Ok(expand(a.tensor(0)?, &dims_i64(a.tensor(1)?.shape()))?.into())
}
fn run_narrow(a: &Args) -> Result<Value> {
    Ok(narrow(a.tensor(0)?, a.int(1)?, a.int(2)?, a.int(3)?)?.into())
}
fn run_narrow_tensor(a: &Args) -> Result<Value> {
    let start = a.tensor(2)?;
    ensure!(
        start.ndim() == 0 && start.dtype().is_int(),
        "narrow",
        "start must be a 0-dim integral tensor, got {}-dim {}",
        start.ndim(),
        start.dtype()
    );
    Ok(narrow(a.tensor(0)?, a.int(1)?, start.item()?.to_i64(), a.int(3)?)?.into())
}
fn run_select(a: &Args) -> Result<Value> {
    Ok(select(a.tensor(0)?, a.int(1)?, a.int(2)?)?.into())
}
fn run_slice(a: &Args) -> Result<Value> {
    Ok(slice(a.tensor(0)?, a.int(1)?, a.opt_int(2)?, a.opt_int(3)?, a.int(4)?)?.into())
}
fn run_unbind(a: &Args) -> Result<Value> {
    Ok(unbind(a.tensor(0)?, a.int(1)?)?.into())
}
fn run_diagonal(a: &Args) -> Result<Value> {
    Ok(diagonal(a.tensor(0)?, a.int(1)?, a.int(2)?, a.int(3)?)?.into())
}

/// A shape as the `int[]` an op takes.
pub(crate) fn dims_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

// ----- view / reshape -----------------------------------------------------

/// Strides that let a tensor of (`old_shape`, `old_strides`) be viewed as
/// `new_shape` without copying, or `None` when the new shape would need a
/// dim that spans two non-contiguous chunks (PyTorch's `computeStride`).
pub fn view_strides(old_shape: &[usize], old_strides: &[usize], new_shape: &[usize]) -> Option<Vec<usize>> {
    if old_shape.is_empty() {
        return Some(vec![1; new_shape.len()]);
    }
    let numel: usize = old_shape.iter().product();
    if numel == 0 {
        if old_shape == new_shape {
            return Some(old_strides.to_vec());
        }
        return Some(contiguous_strides(new_shape));
    }
    let mut new_strides = vec![0usize; new_shape.len()];
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last()?;
    let mut tensor_numel = 1usize;
    let mut view_numel = 1usize;
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel *= old_shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1 && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

/// Resolves a `view`/`reshape` target, with PyTorch's message for the
/// ambiguous `-1` of an empty tensor.
fn target_shape(op: &str, x: &Tensor, size: &[i64]) -> Result<Vec<usize>> {
    let n = x.numel();
    if n == 0 && size.contains(&-1) && size.contains(&0) {
        bail!(
            op,
            "cannot reshape tensor of 0 elements into shape {size:?} because the unspecified dimension size -1 can be any value and is ambiguous"
        );
    }
    infer_shape(op, size, n)
}

/// `x.view(size)`: a view with a new shape; fails when the strides don't allow one.
pub fn view(x: &Tensor, size: &[i64]) -> Result<Tensor> {
    let shape = target_shape("view", x, size)?;
    match view_strides(x.shape(), x.strides(), &shape) {
        Some(st) => x.as_strided(&shape, &st, x.offset()),
        None => bail!(
            "view",
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces); input shape {:?} strides {:?}, target {size:?}. Use .reshape(...) instead.",
            x.shape(),
            x.strides()
        ),
    }
}

/// `x.reshape(shape)`: a view when one exists, else a contiguous copy.
pub fn reshape(x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    let shape = target_shape("reshape", x, shape)?;
    reshape_to(x, &shape)
}

/// `reshape` to an already resolved shape (same numel).
pub(crate) fn reshape_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    match view_strides(x.shape(), x.strides(), shape) {
        Some(st) => x.as_strided(shape, &st, x.offset()),
        None => {
            let c = x.contiguous();
            c.as_strided(shape, &contiguous_strides(shape), c.offset())
        }
    }
}

/// `torch.flatten(x, start_dim, end_dim)`.
pub fn flatten(x: &Tensor, start_dim: i64, end_dim: i64) -> Result<Tensor> {
    let s = wrap_dim("flatten", start_dim, x.ndim())?;
    let e = wrap_dim("flatten", end_dim, x.ndim())?;
    ensure!(s <= e, "flatten", "start_dim {start_dim} cannot come after end_dim {end_dim} for shape {:?}", x.shape());
    if x.ndim() == 0 {
        return reshape_to(x, &[1]);
    }
    if s == e {
        return Ok(x.clone());
    }
    let sh = x.shape();
    let mut shape: Vec<usize> = sh[..s].to_vec();
    shape.push(sh[s..=e].iter().product());
    shape.extend_from_slice(&sh[e + 1..]);
    reshape_to(x, &shape)
}

/// `x.unflatten(dim, sizes)`: splits one dim into `sizes` (one may be -1).
pub fn unflatten(x: &Tensor, dim: i64, sizes: &[i64]) -> Result<Tensor> {
    ensure!(!sizes.is_empty(), "unflatten", "sizes must be non-empty");
    let d = wrap_dim("unflatten", dim, x.ndim())?;
    ensure!(x.ndim() > 0, "unflatten", "cannot unflatten a 0-dim tensor");
    let n = x.shape()[d];
    let inner = infer_shape("unflatten", sizes, n).map_err(|_| {
        crate::Error::op("unflatten", format!("provided sizes {sizes:?} don't multiply up to the size of dim {dim} ({n}) in the input tensor"))
    })?;
    let mut shape = x.shape()[..d].to_vec();
    shape.extend_from_slice(&inner);
    shape.extend_from_slice(&x.shape()[d + 1..]);
    view(x, &dims_i64(&shape))
}

// ----- squeeze / unsqueeze / permute ----------------------------------------

/// Removes the given dims from a view's geometry.
fn drop_dims(x: &Tensor, drop: impl Fn(usize) -> bool) -> Result<Tensor> {
    let (mut shape, mut strides) = (Vec::new(), Vec::new());
    for i in 0..x.ndim() {
        if !drop(i) {
            shape.push(x.shape()[i]);
            strides.push(x.strides()[i]);
        }
    }
    x.as_strided(&shape, &strides, x.offset())
}

/// `x.squeeze()`: drops every size-1 dim.
pub fn squeeze(x: &Tensor) -> Tensor {
    drop_dims(x, |i| x.shape()[i] == 1).unwrap_or_else(|_| x.clone())
}

/// `x.squeeze(dims)`: drops those of `dims` that have size 1.
pub fn squeeze_dims(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let ds = wrap_dims("squeeze", dims, x.ndim())?;
    if x.ndim() == 0 {
        return Ok(x.clone());
    }
    drop_dims(x, |i| ds.contains(&i) && x.shape()[i] == 1)
}

/// `x.unsqueeze(dim)`: inserts a size-1 dim.
pub fn unsqueeze(x: &Tensor, dim: i64) -> Result<Tensor> {
    let d = wrap_insert_dim("unsqueeze", dim, x.ndim())?;
    let (mut shape, mut strides) = (x.shape().to_vec(), x.strides().to_vec());
    let st = if d >= x.ndim() { 1 } else { shape[d] * strides[d] };
    shape.insert(d, 1);
    strides.insert(d, st);
    x.as_strided(&shape, &strides, x.offset())
}

/// `x.permute(dims)`.
pub fn permute(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    ensure!(
        dims.len() == x.ndim(),
        "permute",
        "number of dims {dims:?} doesn't match the {}-dim input of shape {:?}",
        x.ndim(),
        x.shape()
    );
    let ds = wrap_dims("permute", dims, x.ndim())?;
    permute_wrapped(x, &ds)
}

/// Permutes with already-wrapped, distinct dims.
pub(crate) fn permute_wrapped(x: &Tensor, ds: &[usize]) -> Result<Tensor> {
    let shape: Vec<usize> = ds.iter().map(|&d| x.shape()[d]).collect();
    let strides: Vec<usize> = ds.iter().map(|&d| x.strides()[d]).collect();
    x.as_strided(&shape, &strides, x.offset())
}

/// `x.transpose(dim0, dim1)` (also `swapdims`, `swapaxes`).
pub fn transpose(x: &Tensor, dim0: i64, dim1: i64) -> Result<Tensor> {
    let a = wrap_dim("transpose", dim0, x.ndim())?;
    let b = wrap_dim("transpose", dim1, x.ndim())?;
    if x.ndim() == 0 {
        return Ok(x.clone());
    }
    let mut perm: Vec<usize> = (0..x.ndim()).collect();
    perm.swap(a, b);
    permute_wrapped(x, &perm)
}

/// `x.t()`: transpose of a matrix; 0-d and 1-d tensors are returned as they are.
pub fn t(x: &Tensor) -> Result<Tensor> {
    ensure!(x.ndim() <= 2, "t", "expects a tensor with <= 2 dimensions, but self is {}D", x.ndim());
    if x.ndim() < 2 {
        return Ok(x.clone());
    }
    transpose(x, 0, 1)
}

/// `x.movedim(source, destination)`.
pub fn movedim(x: &Tensor, source: &[i64], destination: &[i64]) -> Result<Tensor> {
    ensure!(
        source.len() == destination.len(),
        "movedim",
        "source {source:?} and destination {destination:?} must contain the same number of dims"
    );
    let n = x.ndim();
    let src = wrap_dims("movedim", source, n)?;
    let dst = wrap_dims("movedim", destination, n)?;
    if n == 0 {
        return Ok(x.clone());
    }
    let mut perm: Vec<Option<usize>> = vec![None; n];
    for (&s, &d) in src.iter().zip(&dst) {
        perm[d] = Some(s);
    }
    let mut rest = (0..n).filter(|i| !src.contains(i));
    let perm: Vec<usize> = perm.into_iter().map(|p| p.or_else(|| rest.next()).unwrap_or(0)).collect();
    permute_wrapped(x, &perm)
}

/// `x.clone()`: a fresh contiguous copy.
pub fn clone(x: &Tensor) -> Tensor {
    x.copy_as(x.dtype())
}

// ----- expand ----------------------------------------------------------------

/// `x.expand(sizes)`: broadcast view; `-1` keeps a dim's size.
pub fn expand(x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
    let nd = x.ndim();
    ensure!(
        sizes.len() >= nd,
        "expand",
        "the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({nd}); sizes {sizes:?}, tensor shape {:?}",
        sizes.len(),
        x.shape()
    );
    let lead = sizes.len() - nd;
    let mut shape = vec![0usize; sizes.len()];
    let mut strides = vec![0usize; sizes.len()];
    for (i, &s) in sizes.iter().enumerate() {
        if i < lead {
            ensure!(s >= 0, "expand", "the expanded size {s} isn't allowed in a leading, non-existing dimension {i}");
            shape[i] = s as usize;
            continue;
        }
        let (have, st) = (x.shape()[i - lead], x.strides()[i - lead]);
        if s == -1 || s as usize == have {
            shape[i] = have;
            strides[i] = st;
        } else {
            ensure!(
                have == 1 && s >= 0,
                "expand",
                "the expanded size of the tensor ({s}) must match the existing size ({have}) at non-singleton dimension {i}; target sizes {sizes:?}, tensor sizes {:?}",
                x.shape()
            );
            shape[i] = s as usize;
        }
    }
    x.as_strided(&shape, &strides, x.offset())
}

// ----- narrow / select / slice / unbind / diagonal ----------------------------

/// A view with dim `d` restricted to `start..start+len` (step `step`).
fn restrict(x: &Tensor, d: usize, start: usize, len: usize, step: usize) -> Result<Tensor> {
    let (mut shape, mut strides) = (x.shape().to_vec(), x.strides().to_vec());
    let off = x.offset() + if len > 0 { start * strides[d] } else { 0 };
    shape[d] = len;
    strides[d] *= step;
    x.as_strided(&shape, &strides, off)
}

/// `x.narrow(dim, start, length)`; a negative `start` counts from the end.
pub fn narrow(x: &Tensor, dim: i64, start: i64, length: i64) -> Result<Tensor> {
    ensure!(x.ndim() > 0, "narrow", "cannot be applied to a 0-dim tensor");
    let d = wrap_dim("narrow", dim, x.ndim())?;
    let n = x.shape()[d] as i64;
    ensure!(length >= 0, "narrow", "length must be non-negative, got {length}");
    ensure!(
        (-n..=n).contains(&start),
        "narrow",
        "start out of range (expected to be in range of [{}, {n}], but got {start})",
        -n
    );
    let s = if start < 0 { start + n } else { start };
    ensure!(length <= n - s, "narrow", "start ({s}) + length ({length}) exceeds dimension size ({n}) of dim {dim}");
    restrict(x, d, s as usize, length as usize, 1)
}

/// `x.select(dim, index)`: removes `dim`, keeping position `index` (negative counts from the end).
pub fn select(x: &Tensor, dim: i64, index: i64) -> Result<Tensor> {
    ensure!(x.ndim() > 0, "select", "cannot be applied to a 0-dim tensor");
    let d = wrap_dim("select", dim, x.ndim())?;
    let n = x.shape()[d] as i64;
    ensure!(
        (-n..n).contains(&index),
        "select",
        "index {index} is out of bounds for dimension {d} with size {n} (tensor shape {:?})",
        x.shape()
    );
    let i = if index < 0 { index + n } else { index } as usize;
    let off = x.offset() + i * x.strides()[d];
    drop_dims(x, |k| k == d).and_then(|v| v.as_strided(v.shape(), v.strides(), off))
}

/// `aten::slice(x, dim, start, end, step)` with Python's clamping of
/// out-of-range and negative bounds; `step` must be positive.
pub fn slice(x: &Tensor, dim: i64, start: Option<i64>, end: Option<i64>, step: i64) -> Result<Tensor> {
    ensure!(x.ndim() > 0, "slice", "cannot be applied to a 0-dim tensor");
    ensure!(step > 0, "slice", "step must be positive, got {step}");
    let d = wrap_dim("slice", dim, x.ndim())?;
    let n = x.shape()[d] as i64;
    let clamp = |v: i64| -> i64 {
        let v = if v < 0 { v.saturating_add(n) } else { v };
        v.clamp(0, n)
    };
    let s = clamp(start.unwrap_or(0));
    let e = clamp(end.unwrap_or(n)).max(s);
    let len = if e > s { (e - s - 1) / step + 1 } else { 0 };
    restrict(x, d, s as usize, len as usize, step as usize)
}

/// `x.unbind(dim)`: every `select(dim, i)`.
pub fn unbind(x: &Tensor, dim: i64) -> Result<Vec<Tensor>> {
    ensure!(x.ndim() > 0, "unbind", "dimension specified as {dim} but tensor has no dimensions");
    let d = wrap_dim("unbind", dim, x.ndim())?;
    (0..x.shape()[d] as i64).map(|i| select(x, d as i64, i)).collect()
}

/// `x.diagonal(offset, dim1, dim2)`: view of a diagonal, moved to the last dim.
pub fn diagonal(x: &Tensor, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
    let a = wrap_dim("diagonal", dim1, x.ndim())?;
    let b = wrap_dim("diagonal", dim2, x.ndim())?;
    ensure!(x.ndim() >= 2, "diagonal", "needs at least 2 dims, got shape {:?}", x.shape());
    ensure!(a != b, "diagonal", "diagonal dimensions cannot be identical {dim1}, {dim2}");
    let (na, nb) = (x.shape()[a] as i64, x.shape()[b] as i64);
    let len = if offset >= 0 { na.min(nb - offset) } else { (na + offset).min(nb) }.max(0) as usize;
    let (sa, sb) = (x.strides()[a], x.strides()[b]);
    let mut off = x.offset();
    if len > 0 {
        off += if offset >= 0 { offset as usize * sb } else { offset.unsigned_abs() as usize * sa };
    }
    let v = drop_dims(x, |k| k == a || k == b)?;
    let (mut shape, mut strides) = (v.shape().to_vec(), v.strides().to_vec());
    shape.push(len);
    strides.push(sa + sb);
    x.as_strided(&shape, &strides, off)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DType, Scalar};

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), shape).unwrap()
    }

    #[test]
    fn views_alias_their_base() {
        let x = arange(12, &[3, 4]);
        let col = select(&x, 1, -1).unwrap();
        col.assign(&Tensor::scalar(Scalar::Int(-1), DType::I64)).unwrap();
        let d = diagonal(&x, 1, 0, 1).unwrap();
        d.assign(&Tensor::scalar(Scalar::Int(9), DType::I64)).unwrap();
        assert_eq!(x.to_vec::<i64>(), vec![0, 9, 2, -1, 4, 5, 9, -1, 8, 9, 10, 9]);
        let tv = view(&t(&x).unwrap().contiguous(), &[12]).unwrap();
        assert!(!tv.same_storage(&x));
        assert!(view(&t(&x).unwrap(), &[12]).is_err());
        assert!(reshape(&x, &[2, -1]).unwrap().same_storage(&x));
    }

    #[test]
    fn view_strides_matches_pytorch() {
        // [3, 4] transposed to [4, 3] strides [1, 4]: splitting dim 0 is fine, merging is not.
        assert_eq!(view_strides(&[4, 3], &[1, 4], &[2, 2, 3]), Some(vec![2, 1, 4]));
        assert_eq!(view_strides(&[4, 3], &[1, 4], &[12]), None);
        assert_eq!(view_strides(&[2, 1, 3], &[3, 7, 1], &[6]), Some(vec![1]));
        assert_eq!(view_strides(&[], &[], &[1, 1]), Some(vec![1, 1]));
    }

    #[test]
    fn movedim_fills_the_rest_in_order() {
        let x = Tensor::zeros(&[2, 3, 4], DType::F32).unwrap();
        assert_eq!(movedim(&x, &[0, 1], &[2, 0]).unwrap().shape(), &[3, 4, 2]);
        assert_eq!(movedim(&x, &[-1], &[0]).unwrap().shape(), &[4, 2, 3]);
    }

    #[test]
    fn slice_clamps_like_python() {
        let x = arange(10, &[10]);
        assert_eq!(slice(&x, 0, Some(-3), None, 1).unwrap().to_vec::<i64>(), vec![7, 8, 9]);
        assert_eq!(slice(&x, 0, Some(-100), Some(100), 4).unwrap().to_vec::<i64>(), vec![0, 4, 8]);
        assert_eq!(slice(&x, 0, Some(8), Some(2), 1).unwrap().numel(), 0);
        assert!(slice(&x, 0, None, None, 0).is_err());
        assert_eq!(slice(&x, 0, Some(i64::MIN), Some(i64::MAX), i64::MAX).unwrap().to_vec::<i64>(), vec![0]);
    }

    #[test]
    fn extreme_arguments_are_errors_not_panics() {
        let x = arange(6, &[2, 3]);
        assert!(narrow(&x, 1, 1, i64::MAX).is_err());
        assert!(narrow(&x, 1, i64::MIN, 1).is_err());
        assert!(select(&x, 0, i64::MIN).is_err());
        assert!(expand(&x, &[i64::MAX, 2, 3]).is_err());
        assert!(diagonal(&x, i64::MIN, 0, 1).unwrap().numel() == 0);
        assert!(super::super::shape_copy::repeat(&x, &[i64::MAX, 2]).is_err());
        assert!(super::super::shape_copy::diag(&arange(2, &[2]), i64::MAX).is_err());
    }

    proptest::proptest! {
        #[test]
        fn reshape_preserves_row_major_order(a in 1usize..5, b in 1usize..5, c in 1usize..5) {
            let x = arange(a * b * c, &[a, b, c]);
            let p = permute(&x, &[2, 0, 1]).unwrap();
            let r = reshape(&p, &[-1]).unwrap();
            proptest::prop_assert_eq!(r.to_vec::<i64>(), p.to_vec::<i64>());
            if let Some(st) = view_strides(p.shape(), p.strides(), &[c * a, b]) {
                let v = p.as_strided(&[c * a, b], &st, 0).unwrap();
                proptest::prop_assert_eq!(v.to_vec::<i64>(), p.to_vec::<i64>());
            }
        }
    }
}
