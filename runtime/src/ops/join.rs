//! Ops: joining and splitting. `cat`/`concat`/`concatenate` (type promotion
//! across inputs, PyTorch's legacy skipping of 1-d empty tensors), `stack`,
//! `hstack`/`vstack`/`row_stack`/`dstack`/`column_stack`, `atleast_{1,2,3}d`,
//! `meshgrid`, `cartesian_prod`; and the splits, which return views:
//! `split` (size or sizes), `split_with_sizes`, `chunk`, `tensor_split`,
//! `hsplit`/`vsplit`/`dsplit`.

use super::shape::{expand, flatten, narrow, reshape_to, slice, unsqueeze};
use super::{Args, OpDef};
use crate::shape::{checked_numel, wrap_dim, wrap_insert_dim};
use crate::storage::{Buffer, Element};
use crate::{bail, dispatch_dtype, ensure, promote_types, DType, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "cat(Tensor[] tensors, int dim=0) -> Tensor", run: run_cat },
    OpDef { schema: "concat(Tensor[] tensors, int dim=0) -> Tensor", run: run_cat },
    OpDef { schema: "concatenate(Tensor[] tensors, int dim=0) -> Tensor", run: run_cat },
    OpDef { schema: "concatenate.axis(Tensor[] tensors, *, int axis) -> Tensor", run: run_cat },
    OpDef { schema: "stack(Tensor[] tensors, int dim=0) -> Tensor", run: run_stack },
    OpDef { schema: "hstack(Tensor[] tensors) -> Tensor", run: run_hstack },
    OpDef { schema: "vstack(Tensor[] tensors) -> Tensor", run: run_vstack },
    OpDef { schema: "row_stack(Tensor[] tensors) -> Tensor", run: run_vstack },
    OpDef { schema: "dstack(Tensor[] tensors) -> Tensor", run: run_dstack },
    OpDef { schema: "column_stack(Tensor[] tensors) -> Tensor", run: run_column_stack },
    OpDef { schema: "atleast_1d(Tensor self) -> Tensor", run: run_atleast::<1> },
    OpDef { schema: "atleast_1d.Sequence(Tensor[] tensors) -> Tensor[]", run: run_atleast_seq::<1> },
    OpDef { schema: "atleast_2d(Tensor self) -> Tensor", run: run_atleast::<2> },
    OpDef { schema: "atleast_2d.Sequence(Tensor[] tensors) -> Tensor[]", run: run_atleast_seq::<2> },
    OpDef { schema: "atleast_3d(Tensor self) -> Tensor", run: run_atleast::<3> },
    OpDef { schema: "atleast_3d.Sequence(Tensor[] tensors) -> Tensor[]", run: run_atleast_seq::<3> },
    OpDef { schema: "meshgrid(Tensor[] tensors, *, str? indexing=None) -> Tensor[]", run: run_meshgrid },
    OpDef { schema: "cartesian_prod(Tensor[] tensors) -> Tensor", run: run_cartesian_prod },
    OpDef { schema: "split.Tensor(Tensor self, int split_size, int dim=0) -> Tensor[]", run: run_split },
    OpDef { schema: "split.sizes(Tensor self, int[] split_size, int dim=0) -> Tensor[]", run: run_split_sizes },
    OpDef { schema: "split.py(Tensor tensor, int split_size_or_sections, int dim=0) -> Tensor[]", run: run_split },
    OpDef { schema: "split.py_sizes(Tensor tensor, int[] split_size_or_sections, int dim=0) -> Tensor[]", run: run_split_sizes },
    OpDef { schema: "split_with_sizes(Tensor self, int[] split_sizes, int dim=0) -> Tensor[]", run: run_split_sizes },
    OpDef { schema: "chunk(Tensor self, int chunks, int dim=0) -> Tensor[]", run: run_chunk },
    OpDef { schema: "tensor_split.sections(Tensor self, int sections, int dim=0) -> Tensor[]", run: run_tensor_split_sections },
    OpDef { schema: "tensor_split.indices(Tensor self, int[] indices, int dim=0) -> Tensor[]", run: run_tensor_split_indices },
    OpDef {
        schema: "tensor_split.tensor_indices_or_sections(Tensor self, Tensor tensor_indices_or_sections, int dim=0) -> Tensor[]",
        run: run_tensor_split_tensor,
    },
    OpDef { schema: "hsplit.int(Tensor self, int sections) -> Tensor[]", run: run_dir_split::<0> },
    OpDef { schema: "hsplit.array(Tensor self, int[] indices) -> Tensor[]", run: run_dir_split::<0> },
    OpDef { schema: "vsplit.int(Tensor self, int sections) -> Tensor[]", run: run_dir_split::<1> },
    OpDef { schema: "vsplit.array(Tensor self, int[] indices) -> Tensor[]", run: run_dir_split::<1> },
    OpDef { schema: "dsplit.int(Tensor self, int sections) -> Tensor[]", run: run_dir_split::<2> },
    OpDef { schema: "dsplit.array(Tensor self, int[] indices) -> Tensor[]", run: run_dir_split::<2> },
];

// ----- schema wrappers ----------------------------------------------------

fn run_cat(a: &Args) -> Result<Value> {
    Ok(cat(&a.tensors(0)?, a.int(1)?)?.into())
}
fn run_stack(a: &Args) -> Result<Value> {
    Ok(stack(&a.tensors(0)?, a.int(1)?)?.into())
}
fn run_hstack(a: &Args) -> Result<Value> {
    Ok(hstack(&a.tensors(0)?)?.into())
}
fn run_vstack(a: &Args) -> Result<Value> {
    Ok(vstack(&a.tensors(0)?)?.into())
}
fn run_dstack(a: &Args) -> Result<Value> {
    Ok(dstack(&a.tensors(0)?)?.into())
}
fn run_column_stack(a: &Args) -> Result<Value> {
    Ok(column_stack(&a.tensors(0)?)?.into())
}
fn run_atleast<const N: usize>(a: &Args) -> Result<Value> {
    Ok(atleast(a.tensor(0)?, N)?.into())
}
fn run_atleast_seq<const N: usize>(a: &Args) -> Result<Value> {
    let ts: Result<Vec<Tensor>> = a.tensors(0)?.iter().map(|t| atleast(t, N)).collect();
    Ok(ts?.into())
}
fn run_meshgrid(a: &Args) -> Result<Value> {
    Ok(meshgrid(&a.tensors(0)?, a.opt_str(1)?.unwrap_or("ij"))?.into())
}
fn run_cartesian_prod(a: &Args) -> Result<Value> {
    Ok(cartesian_prod(&a.tensors(0)?)?.into())
}
fn run_split(a: &Args) -> Result<Value> {
    Ok(split(a.tensor(0)?, a.int(1)?, a.int(2)?)?.into())
}
fn run_split_sizes(a: &Args) -> Result<Value> {
    Ok(split_with_sizes(a.tensor(0)?, &a.ints(1)?, a.int(2)?)?.into())
}
fn run_chunk(a: &Args) -> Result<Value> {
    Ok(chunk(a.tensor(0)?, a.int(1)?, a.int(2)?)?.into())
}
fn run_tensor_split_sections(a: &Args) -> Result<Value> {
    Ok(tensor_split_sections(a.tensor(0)?, a.int(1)?, a.int(2)?)?.into())
}
fn run_tensor_split_indices(a: &Args) -> Result<Value> {
    Ok(tensor_split_indices(a.tensor(0)?, &a.ints(1)?, a.int(2)?)?.into())
}
fn run_tensor_split_tensor(a: &Args) -> Result<Value> {
    let (x, t, dim) = (a.tensor(0)?, a.tensor(1)?, a.int(2)?);
    ensure!(
        t.dtype() == DType::I64,
        "tensor_split",
        "expected tensor_indices_or_sections to have dtype of long, but got {}",
        t.dtype()
    );
    Ok(match t.ndim() {
        0 => tensor_split_sections(x, t.item()?.to_i64(), dim)?,
        1 => tensor_split_indices(x, &t.to_vec::<i64>(), dim)?,
        n => bail!(
            "tensor_split",
            "expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, but got a tensor with {n} dims"
        ),
    }
    .into())
}
/// `hsplit` (K = 0), `vsplit` (K = 1), `dsplit` (K = 2).
fn run_dir_split<const K: usize>(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let (op, min_nd) = [("hsplit", 1), ("vsplit", 2), ("dsplit", 3)][K];
    ensure!(
        x.ndim() >= min_nd,
        op,
        "requires a tensor with at least {min_nd} dimension(s), but got a tensor with {} dimensions",
        x.ndim()
    );
    let dim = match K {
        0 if x.ndim() == 1 => 0,
        0 => 1,
        1 => 0,
        _ => 2,
    };
    Ok(match a.value(1)? {
        Value::Int(s) => {
            let n = x.shape()[dim] as i64;
            ensure!(
                *s != 0 && n % s == 0,
                op,
                "attempted to split along dimension {dim}, but the size of the dimension {n} is not divisible by the split_size {s}"
            );
            tensor_split_sections(x, *s, dim as i64)?
        }
        _ => tensor_split_indices(x, &a.ints(1)?, dim as i64)?,
    }
    .into())
}

// ----- cat / stack ----------------------------------------------------------

/// PyTorch's legacy rule: a 1-d tensor with no elements is ignored by `cat`.
fn cat_skipped(t: &Tensor) -> bool {
    t.ndim() == 1 && t.numel() == 0
}

/// `torch.cat(tensors, dim)`: result dtype is the promotion of all inputs.
pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    ensure!(!tensors.is_empty(), "cat", "expected a non-empty list of Tensors");
    if let Some(i) = tensors.iter().position(|t| t.ndim() == 0) {
        bail!("cat", "zero-dimensional tensor (at position {i}) cannot be concatenated");
    }
    let dtype = tensors.iter().skip(1).fold(tensors[0].dtype(), |d, t| promote_types(d, t.dtype()));
    let used: Vec<&Tensor> = tensors.iter().filter(|t| !cat_skipped(t)).collect();
    let Some(first) = used.first() else {
        return Tensor::zeros(&[0], dtype);
    };
    let d = wrap_dim("cat", dim, first.ndim())?;
    let mut shape = first.shape().to_vec();
    shape[d] = 0;
    for (i, t) in tensors.iter().enumerate().filter(|(_, t)| !cat_skipped(t)) {
        ensure!(
            t.ndim() == first.ndim(),
            "cat",
            "tensors must have same number of dimensions: got {} and {} (tensor number {i})",
            first.ndim(),
            t.ndim()
        );
        for k in (0..t.ndim()).filter(|&k| k != d) {
            ensure!(
                t.shape()[k] == first.shape()[k],
                "cat",
                "sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list",
                first.shape()[k],
                t.shape()[k]
            );
        }
        shape[d] += t.shape()[d];
    }
    checked_numel("cat", &shape)?;
    let outer: usize = shape[..d].iter().product();
    let parts: Vec<Tensor> = used.iter().map(|t| t.contiguous_as(dtype)).collect();
    let buf = dispatch_dtype!(dtype, T => interleave::<T>(&parts, outer)?);
    Tensor::from_buffer(buf, &shape)
}

/// Concatenates contiguous tensors (all of element type `T`): for each of
/// the `outer` positions, each part's slab in turn. One storage is read at
/// a time (parts may share storage).
fn interleave<T: Element>(parts: &[Tensor], outer: usize) -> Result<Buffer> {
    let widths: Vec<usize> = parts.iter().map(|p| p.numel() / outer.max(1)).collect();
    let row: usize = widths.iter().sum();
    let mut out: Vec<T> = vec![T::from_i64(0); row * outer];
    let mut col = 0;
    for (p, &w) in parts.iter().zip(&widths) {
        let g = p.storage().read();
        let s = g.slice::<T>().ok_or_else(|| crate::Error::op("cat", "storage dtype mismatch"))?;
        let s = &s[p.offset()..p.offset() + p.numel()];
        for o in 0..outer {
            out[o * row + col..o * row + col + w].copy_from_slice(&s[o * w..(o + 1) * w]);
        }
        col += w;
    }
    Ok(T::into_buffer(out))
}

/// `torch.stack(tensors, dim)`: joins equal-shaped tensors along a new dim.
pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    ensure!(!tensors.is_empty(), "stack", "expects a non-empty TensorList");
    let first = tensors[0].shape();
    for (i, t) in tensors.iter().enumerate() {
        ensure!(
            t.shape() == first,
            "stack",
            "expects each tensor to be equal size, but got {first:?} at entry 0 and {:?} at entry {i}",
            t.shape()
        );
    }
    let d = wrap_insert_dim("stack", dim, first.len())?;
    // Contiguous CPU tensors of one dtype (a loop's appended outputs) are
    // copied as they are: no view per tensor (a 100-step LSTM's stack
    // took 50–70 µs, most of it making views).
    let dtype = tensors[0].dtype();
    if tensors.iter().all(|t| t.dtype() == dtype && t.is_contiguous() && t.device() == crate::Device::Cpu) {
        let mut shape = first.to_vec();
        shape.insert(d, tensors.len());
        checked_numel("stack", &shape)?;
        let outer: usize = first[..d].iter().product();
        let buf = dispatch_dtype!(dtype, T => interleave::<T>(tensors, outer)?);
        return Tensor::from_buffer(buf, &shape);
    }
    let parts: Result<Vec<Tensor>> = tensors.iter().map(|t| unsqueeze(t, d as i64)).collect();
    cat(&parts?, d as i64)
}

/// `torch.atleast_{n}d` for n in 1..=3.
pub fn atleast(x: &Tensor, n: usize) -> Result<Tensor> {
    match (x.ndim(), n) {
        (0, _) => reshape_to(x, &vec![1; n]),
        (1, 2) => unsqueeze(x, 0),
        (1, 3) => unsqueeze(&unsqueeze(x, 0)?, -1),
        (2, 3) => unsqueeze(x, -1),
        _ => Ok(x.clone()),
    }
}

fn all_atleast(tensors: &[Tensor], n: usize) -> Result<Vec<Tensor>> {
    tensors.iter().map(|t| atleast(t, n)).collect()
}

/// `torch.hstack`: `cat` along dim 1 (dim 0 for 1-d inputs).
pub fn hstack(tensors: &[Tensor]) -> Result<Tensor> {
    let ts = all_atleast(tensors, 1)?;
    let dim = if ts.first().is_some_and(|t| t.ndim() == 1) { 0 } else { 1 };
    cat(&ts, dim)
}

/// `torch.vstack` / `row_stack`.
pub fn vstack(tensors: &[Tensor]) -> Result<Tensor> {
    cat(&all_atleast(tensors, 2)?, 0)
}

/// `torch.dstack`.
pub fn dstack(tensors: &[Tensor]) -> Result<Tensor> {
    cat(&all_atleast(tensors, 3)?, 2)
}

/// `torch.column_stack`: 0-d and 1-d inputs become columns.
pub fn column_stack(tensors: &[Tensor]) -> Result<Tensor> {
    let ts: Result<Vec<Tensor>> =
        tensors.iter().map(|t| if t.ndim() <= 1 { reshape_to(t, &[t.numel(), 1]) } else { Ok(t.clone()) }).collect();
    cat(&ts?, 1)
}

/// `torch.meshgrid(tensors, indexing)` with `indexing` "ij" or "xy"; views.
pub fn meshgrid(tensors: &[Tensor], indexing: &str) -> Result<Vec<Tensor>> {
    ensure!(!tensors.is_empty(), "meshgrid", "expects a non-empty TensorList");
    ensure!(
        indexing == "ij" || indexing == "xy",
        "meshgrid",
        "indexing must be one of \"xy\" or \"ij\", but received: {indexing}"
    );
    for t in tensors {
        ensure!(t.dtype() == tensors[0].dtype(), "meshgrid", "expects all tensors to have the same dtype");
        ensure!(t.ndim() <= 1, "meshgrid", "expected 0D or 1D tensor in the tensor list but got shape {:?}", t.shape());
    }
    let swap = indexing == "xy" && tensors.len() >= 2;
    let mut ts = tensors.to_vec();
    if swap {
        ts.swap(0, 1);
    }
    let shape: Vec<i64> = ts.iter().map(|t| t.numel() as i64).collect();
    let mut out = Vec::with_capacity(ts.len());
    for (i, t) in ts.iter().enumerate() {
        let mut vshape = vec![1usize; ts.len()];
        vshape[i] = t.numel();
        out.push(expand(&reshape_to(t, &vshape)?, &shape)?);
    }
    if swap {
        out.swap(0, 1);
    }
    Ok(out)
}

/// `torch.cartesian_prod(tensors)`: rows of every combination (1-d inputs).
pub fn cartesian_prod(tensors: &[Tensor]) -> Result<Tensor> {
    for t in tensors {
        ensure!(t.ndim() == 1, "cartesian_prod", "expects 1D tensors, got shape {:?}", t.shape());
    }
    if tensors.len() == 1 {
        return Ok(tensors[0].clone());
    }
    let grids = meshgrid(tensors, "ij")?;
    let flat: Result<Vec<Tensor>> = grids.iter().map(|g| flatten(g, 0, -1)).collect();
    stack(&flat?, 1)
}

// ----- splits ---------------------------------------------------------------

fn split_dim(op: &str, x: &Tensor, dim: i64) -> Result<usize> {
    ensure!(x.ndim() > 0, op, "expects at least a 1-dimensional tensor");
    wrap_dim(op, dim, x.ndim())
}

/// Views of consecutive pieces of the given sizes (which sum to the dim size).
fn pieces(x: &Tensor, d: usize, sizes: impl IntoIterator<Item = usize>) -> Result<Vec<Tensor>> {
    let mut start = 0;
    sizes
        .into_iter()
        .map(|s| {
            let p = narrow(x, d as i64, start as i64, s as i64);
            start += s;
            p
        })
        .collect()
}

/// `x.split(split_size, dim)`: pieces of `split_size` (the last may be smaller).
pub fn split(x: &Tensor, split_size: i64, dim: i64) -> Result<Vec<Tensor>> {
    let d = split_dim("split", x, dim)?;
    ensure!(split_size >= 0, "split", "split expects split_size be non-negative, but got split_size={split_size}");
    let n = x.shape()[d];
    let s = split_size as usize;
    ensure!(
        s != 0 || n == 0,
        "split",
        "split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
    );
    let count = if s == 0 { 1 } else { n.div_ceil(s).max(1) };
    pieces(x, d, (0..count).map(|i| s.min(n - (i * s).min(n))))
}

/// `x.split_with_sizes(sizes, dim)` (and `split` with a list).
pub fn split_with_sizes(x: &Tensor, sizes: &[i64], dim: i64) -> Result<Vec<Tensor>> {
    let d = split_dim("split_with_sizes", x, dim)?;
    ensure!(
        sizes.iter().all(|&s| s >= 0),
        "split_with_sizes",
        "expects split_sizes have only non-negative entries, but got split_sizes={sizes:?}"
    );
    let n = x.shape()[d];
    ensure!(
        sizes.iter().sum::<i64>() == n as i64,
        "split_with_sizes",
        "expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}"
    );
    pieces(x, d, sizes.iter().map(|&s| s as usize))
}

/// `x.chunk(chunks, dim)`: at most `chunks` pieces of size ceil(n / chunks).
pub fn chunk(x: &Tensor, chunks: i64, dim: i64) -> Result<Vec<Tensor>> {
    ensure!(x.ndim() > 0, "chunk", "expects at least a 1-dimensional tensor");
    ensure!(chunks > 0, "chunk", "expects `chunks` to be greater than 0, got: {chunks}");
    let d = wrap_dim("chunk", dim, x.ndim())?;
    let n = x.shape()[d];
    let size = n.div_ceil(chunks as usize);
    if size == 0 {
        return pieces(x, d, (0..chunks).map(|_| 0));
    }
    split(x, size as i64, dim)
}

/// `torch.tensor_split(x, sections, dim)`: `sections` nearly equal pieces.
pub fn tensor_split_sections(x: &Tensor, sections: i64, dim: i64) -> Result<Vec<Tensor>> {
    ensure!(
        x.ndim() > 0,
        "tensor_split",
        "expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
    );
    ensure!(sections > 0, "tensor_split", "number of sections must be larger than 0, got {sections}");
    let d = wrap_dim("tensor_split", dim, x.ndim())?;
    let (n, k) = (x.shape()[d], sections as usize);
    let (base, extra) = (n / k, n % k);
    pieces(x, d, (0..k).map(|i| base + usize::from(i < extra)))
}

/// `torch.tensor_split(x, indices, dim)`: pieces between the given indices
/// (clamped like Python slices).
pub fn tensor_split_indices(x: &Tensor, indices: &[i64], dim: i64) -> Result<Vec<Tensor>> {
    ensure!(
        x.ndim() > 0,
        "tensor_split",
        "expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
    );
    let d = wrap_dim("tensor_split", dim, x.ndim())? as i64;
    let mut out = Vec::with_capacity(indices.len() + 1);
    let mut start = 0;
    for &i in indices {
        out.push(slice(x, d, Some(start), Some(i), 1)?);
        start = i;
    }
    out.push(slice(x, d, Some(start), None, 1)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), shape).unwrap()
    }

    #[test]
    fn cat_promotes_and_interleaves() {
        let a = arange(4, &[2, 2]);
        let b = Tensor::from_vec(vec![0.5f32, 1.5], &[2, 1]).unwrap();
        let c = cat(&[a, b], 1).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.to_vec::<f32>(), vec![0., 1., 0.5, 2., 3., 1.5]);
    }

    #[test]
    fn stack_of_contiguous_tensors_is_cat_of_their_views() {
        // Parts of one storage, and a non-contiguous one (the view path).
        let x = arange(24, &[4, 6]);
        let rows = split(&x, 2, 0).unwrap();
        let t = super::super::shape::transpose(&arange(12, &[6, 2]), 0, 1).unwrap();
        for parts in [rows.clone(), vec![rows[0].clone(), t]] {
            for dim in [0, 1, 2, -1] {
                let got = stack(&parts, dim).unwrap();
                let views: Vec<Tensor> = parts.iter().map(|p| unsqueeze(p, dim).unwrap()).collect();
                let want = cat(&views, dim).unwrap();
                assert_eq!(got.shape(), want.shape(), "dim {dim}");
                assert_eq!(got.to_vec::<i64>(), want.to_vec::<i64>(), "dim {dim}");
            }
        }
    }

    #[test]
    fn splits_are_views() {
        let x = arange(10, &[10]);
        let ps = split(&x, 4, 0).unwrap();
        assert_eq!(ps.iter().map(|p| p.numel()).collect::<Vec<_>>(), vec![4, 4, 2]);
        assert!(ps.iter().all(|p| p.same_storage(&x)));
        let cs = chunk(&x, 4, 0).unwrap();
        assert_eq!(cs.iter().map(|p| p.numel()).collect::<Vec<_>>(), vec![3, 3, 3, 1]);
        let ts = tensor_split_indices(&x, &[1, 4, 20, 2], 0).unwrap();
        assert_eq!(ts.iter().map(|p| p.numel()).collect::<Vec<_>>(), vec![1, 3, 6, 0, 8]);
    }
}
