//! Ops: indexing along a dim and by masks: `index_select`, `gather`,
//! `scatter` (src / value, optional `reduce`), `scatter_add`,
//! `scatter_reduce`, `index_add`, `index_fill`, `masked_select`,
//! `masked_scatter`, `take`, `take_along_dim`, `nonzero`, `argwhere`.
//! Results are fresh tensors; the in-place forms (`scatter_`, ...) derive.

use super::index_plan::{index_values, offsets, wrap_index, Plan, Reduce};
use super::shape::{narrow, reshape_to, select};
use super::{Args, OpDef, Operand};
use crate::shape::{broadcast_shapes, wrap_dim};
use crate::storage::Element;
use crate::{bail, dispatch_dtype, ensure, DType, Error, Result, Scalar, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "index_select(Tensor self, int dim, Tensor index) -> Tensor", run: run_index_select },
    OpDef { schema: "gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor", run: run_gather },
    OpDef { schema: "scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", run: run_scatter },
    OpDef { schema: "scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor", run: run_scatter },
    OpDef { schema: "scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor", run: run_scatter },
    OpDef {
        schema: "scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor",
        run: run_scatter,
    },
    OpDef { schema: "scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", run: run_scatter_add },
    OpDef {
        schema: "scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor",
        run: run_scatter_reduce,
    },
    OpDef { schema: "index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor", run: run_index_add },
    OpDef { schema: "index_fill.int_Scalar(Tensor self, int dim, Tensor index, Scalar value) -> Tensor", run: run_index_fill },
    OpDef { schema: "index_fill.int_Tensor(Tensor self, int dim, Tensor index, Tensor value) -> Tensor", run: run_index_fill },
    OpDef { schema: "masked_select(Tensor self, Tensor mask) -> Tensor", run: run_masked_select },
    OpDef { schema: "masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor", run: run_masked_scatter },
    OpDef { schema: "take(Tensor self, Tensor index) -> Tensor", run: run_take },
    OpDef { schema: "take_along_dim(Tensor self, Tensor indices, int? dim=None) -> Tensor", run: run_take_along_dim },
    OpDef { schema: "nonzero(Tensor self) -> Tensor", run: run_nonzero },
    OpDef { schema: "nonzero.tuple(Tensor self, *, bool as_tuple) -> Any", run: run_nonzero_tuple },
    OpDef { schema: "argwhere(Tensor self) -> Tensor", run: run_nonzero },
];

// ----- schema wrappers ----------------------------------------------------

fn run_index_select(a: &Args) -> Result<Value> {
    Ok(index_select(a.tensor(0)?, a.int(1)?, a.tensor(2)?)?.into())
}
fn run_gather(a: &Args) -> Result<Value> {
    Ok(gather(a.tensor(0)?, a.int(1)?, a.tensor(2)?)?.into())
}
fn run_scatter(a: &Args) -> Result<Value> {
    let reduce = match a.vals.get(4) {
        Some(Value::Str(r)) => match r.as_str() {
            "add" => Reduce::Add,
            "multiply" => Reduce::Mul,
            _ => bail!("scatter", "reduce argument must be either add or multiply, got {r}"),
        },
        _ => Reduce::None,
    };
    Ok(scatter(a.tensor(0)?, a.int(1)?, a.tensor(2)?, &a.operand(3)?, reduce)?.into())
}
fn run_scatter_add(a: &Args) -> Result<Value> {
    Ok(scatter(a.tensor(0)?, a.int(1)?, a.tensor(2)?, &a.operand(3)?, Reduce::Add)?.into())
}
fn run_scatter_reduce(a: &Args) -> Result<Value> {
    Ok(scatter_reduce(a.tensor(0)?, a.int(1)?, a.tensor(2)?, a.tensor(3)?, a.str(4)?, a.bool(5)?)?.into())
}
fn run_index_add(a: &Args) -> Result<Value> {
    Ok(index_add(a.tensor(0)?, a.int(1)?, a.tensor(2)?, a.tensor(3)?, a.scalar(4)?)?.into())
}
fn run_index_fill(a: &Args) -> Result<Value> {
    Ok(index_fill(a.tensor(0)?, a.int(1)?, a.tensor(2)?, &a.operand(3)?)?.into())
}
fn run_masked_select(a: &Args) -> Result<Value> {
    Ok(masked_select(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_masked_scatter(a: &Args) -> Result<Value> {
    Ok(masked_scatter(a.tensor(0)?, a.tensor(1)?, a.tensor(2)?)?.into())
}
fn run_take(a: &Args) -> Result<Value> {
    Ok(take(a.tensor(0)?, a.tensor(1)?)?.into())
}
fn run_take_along_dim(a: &Args) -> Result<Value> {
    Ok(take_along_dim(a.tensor(0)?, a.tensor(1)?, a.opt_int(2)?)?.into())
}
fn run_nonzero(a: &Args) -> Result<Value> {
    Ok(nonzero(a.tensor(0)?)?.into())
}
fn run_nonzero_tuple(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    if !a.bool(1)? {
        return Ok(nonzero(x)?.into());
    }
    let nz = nonzero(&at_least_1d(x)?)?;
    let cols: Result<Vec<Tensor>> = (0..nz.shape()[1]).map(|j| Ok(select(&nz, 1, j as i64)?.contiguous())).collect();
    Ok(Value::Tuple(cols?.into_iter().map(Value::Tensor).collect()))
}

// ----- helpers --------------------------------------------------------------

/// A 0-d tensor viewed as 1-d (dim-wise ops treat scalars as `[1]`).
fn at_least_1d(t: &Tensor) -> Result<Tensor> {
    if t.ndim() == 0 {
        reshape_to(t, &[1])
    } else {
        Ok(t.clone())
    }
}

/// The geometry of an indexed tensor: shape, strides, storage offset.
type Geo<'a> = (&'a [usize], &'a [usize], usize);

fn geo(t: &Tensor) -> Geo<'_> {
    (t.shape(), t.strides(), t.offset())
}

/// Storage offsets in a tensor of geometry `x` of the positions of an index
/// of shape `ishape` along dim `d`: every coordinate is the index
/// position's own, except dim `d`, which is the index value (negative
/// values wrap when `wrap`).
fn along_dim(op: &str, x: Geo, d: usize, ishape: &[usize], idx: &[i64], wrap: bool) -> Result<Vec<usize>> {
    let (shape, strides, offset) = x;
    let mut st = strides.to_vec();
    st[d] = 0;
    let base = offsets(ishape, &st, offset);
    let (size, s) = (shape[d], strides[d]);
    base.iter()
        .zip(idx)
        .map(|(&b, &v)| {
            ensure!(wrap || v >= 0, op, "index {v} is out of bounds for dimension {d} with size {size}");
            Ok(b + wrap_index(op, v, d, size)? * s)
        })
        .collect()
}

/// A contiguous geometry for `shape` seen as at least 1-d.
fn contiguous_1d(shape: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let s = if shape.is_empty() { vec![1] } else { shape.to_vec() };
    let st = crate::shape::contiguous_strides(&s);
    (s, st)
}

/// Checks `index` fits `other` in every dim (except `skip`), as scatter/gather require.
fn check_no_larger(op: &str, index: &[usize], other: &[usize], skip: Option<usize>, what: &str) -> Result<()> {
    ensure!(
        index.len() == other.len(),
        op,
        "index tensor must have the same number of dimensions as {what} tensor ({index:?} vs {other:?})"
    );
    for k in (0..index.len()).filter(|&k| Some(k) != skip) {
        ensure!(
            index[k] <= other[k],
            op,
            "size does not match at dimension {k}: expected index {index:?} to be no larger than {what} {other:?}{}",
            skip.map(|d| format!(" apart from dimension {d}")).unwrap_or_default()
        );
    }
    Ok(())
}

// ----- index_select / gather / take ------------------------------------------

/// `x.index_select(dim, index)`: the slices at `index` (1-d, non-negative) along `dim`.
pub fn index_select(x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    ensure!(index.ndim() <= 1, "index_select", "index is supposed to be a vector, got shape {:?}", index.shape());
    let vals = index_values("index_select", index, false)?;
    let d = wrap_dim("index_select", dim, x.ndim())?;
    if x.ndim() == 0 {
        ensure!(vals.len() == 1, "index_select", "index to scalar can have only 1 value, got {} value(s)", vals.len());
        ensure!(vals[0] == 0, "index_select", "index out of range in self");
        return Ok(x.copy_as(x.dtype()));
    }
    let n = x.shape()[d] as i64;
    if let Some(v) = vals.iter().find(|&&v| v < 0 || v >= n) {
        bail!("index_select", "index {v} out of range in self (dim {d} has size {n})");
    }
    let mut per_dim = vec![None; d];
    per_dim.push(Some(reshape_to(index, &[vals.len()])?));
    Plan::new("index_select", x, &per_dim)?.gather(x)
}

/// `x.gather(dim, index)`: `out[i][j] = x[i][index[i][j]]` (for dim 1).
pub fn gather(x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    let vals = index_values("gather", index, false)?;
    let d = wrap_dim("gather", dim, x.ndim())?;
    let (x1, i1) = (at_least_1d(x)?, at_least_1d(index)?);
    check_no_larger("gather", i1.shape(), x1.shape(), Some(d), "input")?;
    let offs = along_dim("gather", geo(&x1), d, i1.shape(), &vals, false)?;
    Plan::elements(index.shape(), offs).gather(&x1)
}

/// Storage offset of row-major position `flat` of a strided view.
fn unravel(x: &Tensor, mut flat: usize) -> usize {
    let mut off = x.offset();
    for d in (0..x.ndim()).rev() {
        let n = x.shape()[d];
        off += (flat % n) * x.strides()[d];
        flat /= n;
    }
    off
}

/// `torch.take(x, index)`: elements of the flattened `x` (negative indices wrap).
pub fn take(x: &Tensor, index: &Tensor) -> Result<Tensor> {
    ensure!(index.dtype() == DType::I64, "take", "expected a long tensor for index, but got {}", index.dtype());
    let n = x.numel() as i64;
    let offs: Result<Vec<usize>> = index
        .to_vec::<i64>()
        .into_iter()
        .map(|v| {
            ensure!((-n..n).contains(&v), "take", "out of range: tried to access index {v} on a tensor of {n} elements");
            Ok(unravel(x, if v < 0 { v + n } else { v } as usize))
        })
        .collect();
    Plan::elements(index.shape(), offs?).gather(x)
}

/// `torch.take_along_dim(x, indices, dim)`: `gather` after broadcasting all
/// dims but `dim`; without `dim`, over the flattened tensor.
pub fn take_along_dim(x: &Tensor, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
    ensure!(
        indices.dtype() == DType::I64,
        "take_along_dim",
        "dtype of indices should be Long but got {}",
        indices.dtype()
    );
    let Some(dim) = dim else {
        // PyTorch uses `view(-1)` here, so a non-viewable input is an error.
        let flat = |t: &Tensor| super::shape::view(t, &[-1]);
        return gather(&flat(x)?, 0, &flat(indices)?);
    };
    ensure!(
        x.ndim() == indices.ndim(),
        "take_along_dim",
        "input and indices should have the same number of dimensions, but got {} dimensions for input, and {} dimensions for indices",
        x.ndim(),
        indices.ndim()
    );
    let d = wrap_dim("take_along_dim", dim, x.ndim())?;
    let (x1, i1) = (at_least_1d(x)?, at_least_1d(indices)?);
    let mut xs = x1.shape().to_vec();
    xs[d] = i1.shape()[d];
    let ishape = broadcast_shapes("take_along_dim", &xs, i1.shape())?;
    let mut xshape = ishape.clone();
    xshape[d] = x1.shape()[d];
    let xb = x1.broadcast_to(&xshape)?;
    let ib = i1.broadcast_to(&ishape)?;
    let offs = along_dim("take_along_dim", geo(&xb), d, &ishape, &ib.to_vec::<i64>(), true)?;
    let out_shape = if x.ndim() == 0 { vec![] } else { ishape };
    Plan::elements(&out_shape, offs).gather(&xb)
}

// ----- scatter family ----------------------------------------------------------

/// Writes `vals` to `dst[offs[k]]` in order, combined by `reduce`; when
/// `!include_self` the first write to a position replaces what was there.
/// With `mean`, each written position is then divided by its count.
fn scatter_into<T: Element>(dst: &mut [T], offs: &[usize], vals: &[T], reduce: Reduce, include_self: bool, mean: bool) {
    let mut count = vec![0u32; if mean || !include_self { dst.len() } else { 0 }];
    for (&o, &v) in offs.iter().zip(vals) {
        dst[o] = if !include_self && count[o] == 0 { v } else { reduce.apply(dst[o], v) };
        if let Some(c) = count.get_mut(o) {
            *c += 1;
        }
    }
    if mean {
        for (x, &c) in dst.iter_mut().zip(&count).filter(|(_, &c)| c > 0) {
            let n = c as i64 + i64::from(include_self);
            *x = if T::DTYPE.is_float() { T::from_f64(x.to_f64() / n as f64) } else { T::from_i64(x.to_i64().div_euclid(n)) };
        }
    }
}

/// A fresh contiguous copy of `x` with `vals` scattered into it at `offs`
/// (offsets into the copy, whose storage offset is 0).
fn scatter_copy(x: &Tensor, offs: &[usize], vals: &Tensor, reduce: Reduce, include_self: bool, mean: bool) -> Result<Tensor> {
    let out = x.copy_as(x.dtype());
    dispatch_dtype!(x.dtype(), T => {
        let v = vals.to_vec::<T>();
        let mut g = out.storage().write();
        let dst = g.slice_mut::<T>().ok_or_else(|| Error::op("scatter", "storage dtype mismatch"))?;
        scatter_into(dst, offs, &v, reduce, include_self, mean);
    });
    Ok(out)
}

/// Offsets (into a contiguous copy of `x`) and values of a scatter along `dim`.
fn scatter_plan(op: &str, x: &Tensor, dim: i64, index: &Tensor, src: &Operand) -> Result<(Vec<usize>, Tensor)> {
    let idx = index_values(op, index, false)?;
    let d = wrap_dim(op, dim, x.ndim())?;
    let (xs, xst) = contiguous_1d(x.shape());
    let i1 = at_least_1d(index)?;
    check_no_larger(op, i1.shape(), &xs, Some(d), "self")?;
    let vals = match src {
        Operand::Tensor(s) => {
            ensure!(s.dtype() == x.dtype(), op, "expected self.dtype ({}) to be equal to src.dtype ({})", x.dtype(), s.dtype());
            let s1 = at_least_1d(s)?;
            check_no_larger(op, i1.shape(), s1.shape(), None, "src")?;
            s1.as_strided(i1.shape(), s1.strides(), s1.offset())?
        }
        Operand::Scalar(v) => Tensor::scalar(*v, x.dtype()).broadcast_to(i1.shape())?,
    };
    let offs = along_dim(op, (&xs, &xst, 0), d, i1.shape(), &idx, false)?;
    Ok((offs, vals))
}

/// `x.scatter(dim, index, src)`: `out[i][index[i][j]] = src[i][j]` (dim 1),
/// optionally combined by `reduce` (add / multiply).
pub fn scatter(x: &Tensor, dim: i64, index: &Tensor, src: &Operand, reduce: Reduce) -> Result<Tensor> {
    let (offs, vals) = scatter_plan("scatter", x, dim, index, src)?;
    scatter_copy(x, &offs, &vals, reduce, true, false)
}

/// `x.scatter_reduce(dim, index, src, reduce, include_self)` with reduce
/// `sum`, `prod`, `mean`, `amax` or `amin`.
pub fn scatter_reduce(x: &Tensor, dim: i64, index: &Tensor, src: &Tensor, reduce: &str, include_self: bool) -> Result<Tensor> {
    let r = match reduce {
        "sum" | "mean" => Reduce::Add,
        "prod" => Reduce::Mul,
        "amax" => Reduce::Max,
        "amin" => Reduce::Min,
        _ => bail!("scatter_reduce", "reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"),
    };
    let (offs, vals) = scatter_plan("scatter_reduce", x, dim, index, &Operand::Tensor(src.clone()))?;
    scatter_copy(x, &offs, &vals, r, include_self, reduce == "mean")
}

/// `x.index_add(dim, index, source, alpha)`: adds `alpha * source` slices at `index` along `dim`.
pub fn index_add(x: &Tensor, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<Tensor> {
    let op = "index_add";
    ensure!(index.ndim() <= 1, op, "index must be a vector, got shape {:?}", index.shape());
    let idx = index_values(op, index, false)?;
    ensure!(x.dtype() == source.dtype(), op, "self ({}) and source ({}) must have the same scalar type", x.dtype(), source.dtype());
    let d = wrap_dim(op, dim, x.ndim())?;
    let (xs, xst) = contiguous_1d(x.shape());
    let s1 = at_least_1d(source)?;
    let same = s1.ndim() == xs.len() && (0..xs.len()).all(|k| k == d || s1.shape()[k] == xs[k]);
    ensure!(
        same,
        op,
        "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = {:?} source.shape = {:?}",
        x.shape(),
        source.shape()
    );
    ensure!(
        idx.len() == s1.shape()[d],
        op,
        "number of indices ({}) should be equal to source.size(dim): ({}), for dim: {dim}",
        idx.len(),
        s1.shape()[d]
    );
    // The index value of every source position, then its offset in a contiguous copy.
    let mut ishape = vec![1; s1.ndim()];
    ishape[d] = idx.len();
    let per_pos = Tensor::from_vec(idx, &ishape)?.broadcast_to(s1.shape())?.to_vec::<i64>();
    let offs = along_dim(op, (&xs, &xst, 0), d, s1.shape(), &per_pos, false)?;
    let vals = scaled(source, alpha)?;
    scatter_copy(x, &offs, &vals, Reduce::Add, true, false)
}

/// `alpha * t` in `t`'s dtype (an int dtype truncates a float `alpha`).
fn scaled(t: &Tensor, alpha: Scalar) -> Result<Tensor> {
    if alpha == Scalar::Int(1) || alpha == Scalar::Bool(true) {
        return Ok(t.clone());
    }
    let buf = dispatch_dtype!(t.dtype(), T => {
        let a = match alpha {
            Scalar::Float(f) => T::from_f64(f),
            Scalar::Int(i) => T::from_i64(i),
            Scalar::Bool(b) => T::from_bool(b),
        };
        T::into_buffer(t.to_vec::<T>().into_iter().map(|v| Reduce::Mul.apply(v, a)).collect())
    });
    Tensor::from_buffer(buf, t.shape())
}

/// `x.index_fill(dim, index, value)`: sets the slices at `index` (int64,
/// negative wraps) along `dim` to `value` (a number or a 0-d tensor).
pub fn index_fill(x: &Tensor, dim: i64, index: &Tensor, value: &Operand) -> Result<Tensor> {
    let op = "index_fill";
    ensure!(index.ndim() <= 1, op, "index has to be a vector or a scalar, got shape {:?}", index.shape());
    let idx = index_values(op, index, true)?;
    let v = match value {
        Operand::Scalar(s) => Tensor::scalar(*s, x.dtype()),
        Operand::Tensor(t) => {
            ensure!(t.ndim() == 0, op, "only supports a 0-dimensional value tensor, but got tensor with {} dimension(s)", t.ndim());
            t.clone()
        }
    };
    let d = wrap_dim(op, dim, x.ndim())?;
    let out = x.copy_as(x.dtype());
    let o1 = at_least_1d(&out)?;
    let size = o1.shape()[d];
    for &i in &idx {
        let j = wrap_index(op, i, d, size)?;
        select(&o1, d as i64, j as i64)?.assign(&v)?;
    }
    Ok(out)
}

// ----- masks --------------------------------------------------------------------

fn check_bool_mask(op: &str, mask: &Tensor) -> Result<()> {
    ensure!(mask.dtype() == DType::Bool, op, "expected a bool tensor for mask, got {}", mask.dtype());
    Ok(())
}

/// `torch.masked_select(x, mask)`: the elements where the broadcast mask is true, as 1-d.
pub fn masked_select(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    check_bool_mask("masked_select", mask)?;
    let shape = broadcast_shapes("masked_select", x.shape(), mask.shape())?;
    let xb = x.broadcast_to(&shape)?;
    let m = mask.broadcast_to(&shape)?.to_vec::<bool>();
    let offs: Vec<usize> = offsets(xb.shape(), xb.strides(), xb.offset()).into_iter().zip(&m).filter(|(_, &b)| b).map(|(o, _)| o).collect();
    Plan::elements(&[offs.len()], offs).gather(&xb)
}

/// `x.masked_scatter(mask, source)`: positions where `mask` is true take
/// consecutive elements of `source`.
pub fn masked_scatter(x: &Tensor, mask: &Tensor, source: &Tensor) -> Result<Tensor> {
    let op = "masked_scatter";
    check_bool_mask(op, mask)?;
    ensure!(x.dtype() == source.dtype(), op, "expected self and source to have same dtypes but got {} and {}", x.dtype(), source.dtype());
    let shape = broadcast_shapes(op, x.shape(), mask.shape())?;
    let m = mask.broadcast_to(&shape)?.to_vec::<bool>();
    let pos: Vec<usize> = m.iter().enumerate().filter(|(_, &b)| b).map(|(i, _)| i).collect();
    ensure!(source.numel() >= pos.len(), op, "number of elements of source ({}) < number of ones in mask ({})", source.numel(), pos.len());
    let base = x.broadcast_to(&shape)?;
    let vals = narrow(&reshape_to(source, &[source.numel()])?, 0, 0, pos.len() as i64)?;
    scatter_copy(&base, &pos, &vals, Reduce::None, true, false)
}

/// `torch.nonzero(x)`: the coordinates of nonzero (and NaN) elements, `[n, ndim]` int64.
pub fn nonzero(x: &Tensor) -> Result<Tensor> {
    let m = x.to_vec::<bool>();
    let nd = x.ndim();
    let n = m.iter().filter(|&&b| b).count();
    let mut out = Vec::with_capacity(n * nd);
    let mut coord = vec![0i64; nd];
    for &b in &m {
        if b {
            out.extend_from_slice(&coord);
        }
        for d in (0..nd).rev() {
            coord[d] += 1;
            if coord[d] < x.shape()[d] as i64 {
                break;
            }
            coord[d] = 0;
        }
    }
    Tensor::from_vec(out, &[n, nd])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), shape).unwrap()
    }
    fn long(v: &[i64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn gather_scatter_inverse() {
        let x = arange(6, &[2, 3]);
        let i = long(&[2, 0, 1, 1], &[2, 2]);
        assert_eq!(gather(&x, 1, &i).unwrap().to_vec::<i64>(), vec![2, 0, 4, 4]);
        let s = scatter(&x, 1, &i, &Operand::Scalar(Scalar::Int(-1)), Reduce::None).unwrap();
        assert_eq!(s.to_vec::<i64>(), vec![-1, 1, -1, 3, -1, 5]);
        let src = long(&[10, 20, 30, 40], &[2, 2]);
        let a = scatter(&x, 1, &i, &Operand::Tensor(src), Reduce::Add).unwrap();
        assert_eq!(a.to_vec::<i64>(), vec![20, 1, 12, 3, 74, 5]);
        assert!(gather(&x, 1, &long(&[3], &[1, 1])).is_err());
    }

    #[test]
    fn scatter_reduce_mean_floors_ints() {
        let x = long(&[0, 1], &[2]);
        let r = scatter_reduce(&x, 0, &long(&[0, 0], &[2]), &long(&[1, -4], &[2]), "mean", false).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![-2, 1]);
    }

    #[test]
    fn nonzero_and_masks() {
        let x = Tensor::from_vec(vec![0f32, 1., f32::NAN, 0.], &[2, 2]).unwrap();
        assert_eq!(nonzero(&x).unwrap().to_vec::<i64>(), vec![0, 1, 1, 0]);
        let m = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        assert_eq!(masked_select(&arange(4, &[2, 2]), &m).unwrap().to_vec::<i64>(), vec![0, 2]);
        let ms = masked_scatter(&arange(4, &[2, 2]), &m, &long(&[7, 8, 9], &[3])).unwrap();
        assert_eq!(ms.to_vec::<i64>(), vec![7, 1, 8, 3]);
    }
}
