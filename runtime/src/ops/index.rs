//! Python indexing (`x[idx]`, `x[idx] = v`) for the interpreter, with
//! PyTorch's semantics, plus the registered ops `index`, `index_put`
//! (`index_put_` derives) and `getitem` / `setitem`.
//!
//! Basic items (ints, slices, `None`, `...`, 0-d integer tensors) become
//! views; tensor items (int64/int32 indices, bool/uint8 masks, which count
//! as `nonzero()`) are advanced indices, gathered into a copy by an
//! `index_plan::Plan`. Ints select (they do not take part in advanced
//! indexing, as in PyTorch), so `x[idx, :, 0]` keeps `idx`'s dims in place.
//!
//! `getitem(Tensor self, Any indices)` / `setitem(Tensor self, Any indices,
//! Any value)` take the index as a `Value`: a list or tuple of items (or
//! one item that is neither) where an item is an int, a bool, `None`, the string `"..."` (Ellipsis),
//! a 3-tuple `(start, stop, step)` of ints/`None` (a slice), a tensor, or
//! a list of ints/bools (an index tensor). `setitem` writes into `self`
//! and returns it.

use super::index_plan::{Plan, Reduce};
use super::shape::{select, slice, unsqueeze};
use super::{Args, OpDef, Operand};
use crate::{bail, ensure, DType, Device, Error, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", run: run_index },
    OpDef {
        schema: "index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
        run: run_index_put,
    },
    OpDef { schema: "getitem(Tensor self, Any indices) -> Tensor", run: run_getitem },
    OpDef { schema: "setitem(Tensor self, Any indices, Any value) -> Tensor", run: run_setitem },
];

/// One item of a Python index expression. Python's `True`/`False` are
/// passed as 0-d bool tensors and a list of ints as an int64 tensor, which
/// is how PyTorch treats them.
#[derive(Clone, Debug)]
pub enum IndexItem {
    Int(i64),
    /// `start:stop:step`, each optional.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    None,
    Ellipsis,
    Tensor(Tensor),
}

fn run_index(a: &Args) -> Result<Value> {
    Ok(index(a.tensor(0)?, &a.opt_tensors(1)?)?.into())
}

fn run_index_put(a: &Args) -> Result<Value> {
    let (x, values) = (a.tensor(0)?, a.tensor(2)?);
    check_put_dtype(x, values)?;
    let out = x.copy_as(x.dtype());
    index_put_(&out, &a.opt_tensors(1)?, values, a.bool(3)?)?;
    Ok(out.into())
}

fn run_getitem(a: &Args) -> Result<Value> {
    Ok(getitem(a.tensor(0)?, &decode_items(a.value(1)?)?)?.into())
}

fn run_setitem(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    let value = match a.value(2)? {
        Value::Tensor(t) => Operand::Tensor(t.clone()),
        v => Operand::Scalar(v.as_scalar().ok_or_else(|| Error::op("setitem", format!("cannot assign a {}", v.type_name())))?),
    };
    setitem(x, &decode_items(a.value(1)?)?, &value)?;
    Ok(x.clone().into())
}

/// Decodes the `indices` argument of `getitem`/`setitem` (see the module doc).
pub fn decode_items(v: &Value) -> Result<Vec<IndexItem>> {
    match v {
        Value::List(items) | Value::Tuple(items) => items.iter().map(decode_item).collect(),
        other => Ok(vec![decode_item(other)?]),
    }
}

fn decode_item(v: &Value) -> Result<IndexItem> {
    let opt = |v: &Value| -> Result<Option<i64>> {
        match v {
            Value::None => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            other => bail!("getitem", "slice indices must be integers or None, not {}", other.type_name()),
        }
    };
    Ok(match v {
        Value::Int(i) => IndexItem::Int(*i),
        Value::Bool(b) => IndexItem::Tensor(Tensor::from_vec(vec![*b], &[])?),
        Value::None => IndexItem::None,
        Value::Str(s) if s == "..." => IndexItem::Ellipsis,
        Value::Tuple(p) if p.len() == 3 => IndexItem::Slice(opt(&p[0])?, opt(&p[1])?, opt(&p[2])?),
        Value::Tensor(t) => IndexItem::Tensor(t.clone()),
        Value::List(items) => IndexItem::Tensor(list_to_tensor(items)?),
        other => bail!("getitem", "only integers, slices, ellipsis, None and tensors are valid indices, got {}", other.type_name()),
    })
}

/// A Python list of ints (or bools) used as an index.
fn list_to_tensor(items: &[Value]) -> Result<Tensor> {
    if !items.is_empty() && items.iter().all(|v| matches!(v, Value::Bool(_))) {
        let b: Vec<bool> = items.iter().map(|v| matches!(v, Value::Bool(true))).collect();
        return Tensor::from_vec(b, &[items.len()]);
    }
    let ints: Option<Vec<i64>> = items.iter().map(|v| if let Value::Int(i) = v { Some(*i) } else { None }).collect();
    match ints {
        Some(v) => Tensor::from_vec(v, &[items.len()]),
        None => bail!("getitem", "a list index must hold only ints or only bools"),
    }
}

fn is_mask(t: &Tensor) -> bool {
    matches!(t.dtype(), DType::Bool | DType::U8)
}

fn is_index(t: &Tensor) -> bool {
    matches!(t.dtype(), DType::I64 | DType::I32)
}

/// The dims of the indexed tensor an item consumes.
fn consumed(item: &IndexItem) -> usize {
    match item {
        IndexItem::Int(_) | IndexItem::Slice(..) => 1,
        IndexItem::Tensor(t) if is_mask(t) => t.ndim(),
        IndexItem::Tensor(_) => 1,
        IndexItem::None | IndexItem::Ellipsis => 0,
    }
}

/// Puts `t` at position `d` of a per-dim index list.
fn record(adv: &mut Vec<Option<Tensor>>, d: usize, t: Tensor) {
    if adv.len() <= d {
        adv.resize(d + 1, None);
    }
    adv[d] = Some(t);
}

/// Records the `k` columns of `mask.nonzero()` as indices of dims `d..d+k` of `v`.
fn record_mask(v: &Tensor, adv: &mut Vec<Option<Tensor>>, d: usize, mask: &Tensor) -> Result<()> {
    let k = mask.ndim();
    let fits = d + k <= v.ndim() && v.shape()[d..d + k] == *mask.shape();
    if !fits {
        bail!(
            "index",
            "the shape of the mask {:?} at index {d} does not match the shape of the indexed tensor {:?} at index {d}",
            mask.shape(),
            v.shape()
        );
    }
    let nz = super::index_ops::nonzero(mask)?;
    for j in 0..k {
        record(adv, d + j, select(&nz, 1, j as i64)?);
    }
    Ok(())
}

/// Applies the basic items of `idx` to `x` as views; returns the view and
/// the advanced indices per dim of that view (empty when there are none).
fn basic_index(x: &Tensor, idx: &[IndexItem]) -> Result<(Tensor, Vec<Option<Tensor>>)> {
    let nd = x.ndim();
    let specified: usize = idx.iter().map(consumed).sum();
    ensure!(specified <= nd, "index", "too many indices for tensor of dimension {nd} (shape {:?})", x.shape());
    let mut v = x.clone();
    let mut adv: Vec<Option<Tensor>> = Vec::new();
    let mut d = 0usize;
    for item in idx {
        match item {
            IndexItem::Int(i) => v = select_item(&v, d, *i)?,
            IndexItem::Slice(start, stop, step) => {
                let step = step.unwrap_or(1);
                ensure!(step != 0, "index", "slice step cannot be zero");
                ensure!(step > 0, "index", "step must be greater than zero, got {step}");
                v = slice(&v, d as i64, *start, *stop, step)?;
                d += 1;
            }
            IndexItem::None => {
                v = unsqueeze(&v, d as i64)?;
                d += 1;
            }
            IndexItem::Ellipsis => d += nd - specified,
            IndexItem::Tensor(t) if t.ndim() == 0 && is_index(t) => v = select_item(&v, d, t.item()?.to_i64())?,
            IndexItem::Tensor(t) if t.ndim() == 0 && is_mask(t) => {
                v = unsqueeze(&v, d as i64)?;
                let hit = t.item()?.to_bool();
                record(&mut adv, d, Tensor::from_vec(if hit { vec![0i64] } else { vec![] }, &[usize::from(hit)])?);
                d += 1;
            }
            IndexItem::Tensor(t) if is_mask(t) => {
                record_mask(&v, &mut adv, d, t)?;
                d += t.ndim();
            }
            IndexItem::Tensor(t) => {
                ensure!(
                    is_index(t),
                    "index",
                    "tensors used as indices must be long, int, byte or bool tensors, got {}",
                    t.dtype()
                );
                record(&mut adv, d, t.clone());
                d += 1;
            }
        }
    }
    Ok((v, adv))
}

/// `select` for an integer index item, with Python's out-of-range message.
fn select_item(v: &Tensor, d: usize, i: i64) -> Result<Tensor> {
    ensure!(d < v.ndim(), "index", "too many indices for tensor of shape {:?}", v.shape());
    let n = v.shape()[d] as i64;
    ensure!((-n..n).contains(&i), "index", "index {i} is out of bounds for dimension {d} with size {n}");
    select(v, d as i64, i)
}

/// `x[idx]`: a view for basic indexing, a copy when advanced indices occur.
///
/// Basic indexing of a CUDA tensor is a view of its device memory; an
/// advanced gather runs on a host copy and moves back to the device.
pub fn getitem(x: &Tensor, idx: &[IndexItem]) -> Result<Tensor> {
    let (v, adv) = basic_index(x, idx)?;
    if adv.is_empty() {
        return Ok(v);
    }
    if x.device() != Device::Cpu || adv.iter().flatten().any(|t| t.device() != Device::Cpu) {
        let host = v.to_device(Device::Cpu)?;
        let adv = adv.iter().map(|t| t.as_ref().map(|t| t.to_device(Device::Cpu)).transpose()).collect::<Result<Vec<_>>>()?;
        let device = if x.device() != Device::Cpu { x.device() } else { adv.iter().flatten().map(Tensor::device).next().unwrap_or(Device::Cpu) };
        return Plan::new("index", &host, &adv)?.gather(&host)?.to_device(device);
    }
    Plan::new("index", &v, &adv)?.gather(&v)
}

/// `idx` with every index tensor on the CPU.
fn host_items(idx: &[IndexItem]) -> Result<Vec<IndexItem>> {
    idx.iter()
        .map(|i| match i {
            IndexItem::Tensor(t) => t.to_device(Device::Cpu).map(IndexItem::Tensor),
            other => Ok(other.clone()),
        })
        .collect()
}

/// Drops the leading size-1 dims of an assigned value, as PyTorch does.
fn strip_leading_ones(t: &Tensor) -> Result<Tensor> {
    let k = t.shape().iter().take_while(|&&d| d == 1).count();
    t.as_strided(&t.shape()[k..], &t.strides()[k..], t.offset())
}

/// `x[idx] = value`: the value is broadcast to the indexed shape; with
/// advanced indices and duplicate positions the last write wins.
pub fn setitem(x: &Tensor, idx: &[IndexItem], value: &Operand) -> Result<()> {
    let on_device = |t: &Tensor| t.device() != Device::Cpu;
    let index_on_device = idx.iter().any(|i| matches!(i, IndexItem::Tensor(t) if on_device(t)));
    if on_device(x) || index_on_device {
        // Written on a host copy of x's memory, then copied back.
        let value = match value {
            Operand::Tensor(t) => Operand::Tensor(t.to_device(Device::Cpu)?),
            s => s.clone(),
        };
        let idx = host_items(idx)?;
        return crate::cuda::mutate_on_host(x, |h| setitem(h, &idx, &value));
    }
    let (v, adv) = basic_index(x, idx)?;
    let val = match value {
        Operand::Scalar(s) => Tensor::scalar(*s, x.dtype()),
        Operand::Tensor(t) => strip_leading_ones(t)?,
    };
    if adv.is_empty() {
        let b = val.broadcast_to(v.shape()).map_err(|_| {
            Error::op("setitem", format!("value of shape {:?} cannot be broadcast to the indexed shape {:?}", val.shape(), v.shape()))
        })?;
        return v.assign(&b);
    }
    check_put_dtype(x, &val)?;
    index_put_(&v, &adv, &val, false)
}

fn check_put_dtype(x: &Tensor, values: &Tensor) -> Result<()> {
    ensure!(
        x.dtype() == values.dtype(),
        "index_put_",
        "Index put requires the source and destination dtypes match, got {} for the destination and {} for the source",
        x.dtype(),
        values.dtype()
    );
    Ok(())
}

/// Turns an `aten::index` list (a bool/uint8 mask covers as many dims as it
/// has) into one int index (or `None`) per dim.
fn per_dim(x: &Tensor, indices: &[Option<Tensor>]) -> Result<Vec<Option<Tensor>>> {
    let mut out = Vec::with_capacity(indices.len());
    for t in indices {
        match t {
            Some(m) if is_mask(m) => {
                ensure!(m.ndim() > 0, "index", "a 0-dim mask is only supported through Python indexing");
                let d = out.len();
                record_mask(x, &mut out, d, m)?;
            }
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

/// `aten::index(x, indices)`: advanced indexing with one optional index per dim.
pub fn index(x: &Tensor, indices: &[Option<Tensor>]) -> Result<Tensor> {
    ensure!(!indices.is_empty(), "index", "at least one index must be provided");
    let ind = per_dim(x, indices)?;
    Plan::new("index", x, &ind)?.gather(x)
}

/// `x.index_put_(indices, values, accumulate)`: writes `values` (broadcast
/// to the indexing result) into `x` in place; `accumulate` adds instead,
/// duplicates included.
pub fn index_put_(x: &Tensor, indices: &[Option<Tensor>], values: &Tensor, accumulate: bool) -> Result<()> {
    let ind = per_dim(x, indices)?;
    let plan = Plan::new("index_put_", x, &ind)?;
    let vals = values.broadcast_to(&plan.shape).map_err(|_| {
        Error::op(
            "index_put_",
            format!("shape mismatch: value tensor of shape {:?} cannot be broadcast to indexing result of shape {:?}", values.shape(), plan.shape),
        )
    })?;
    let vals = vals.to_dtype(x.dtype());
    plan.put(x, &vals, if accumulate { Reduce::Add } else { Reduce::None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scalar;
    use IndexItem as I;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), shape).unwrap()
    }
    fn long(v: &[i64]) -> I {
        I::Tensor(Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap())
    }

    // Expected values computed with torch 2.15 (`torch.arange(24).view(2, 3, 4)`).
    #[test]
    fn basic_indexing_returns_views() {
        let x = arange(24, &[2, 3, 4]);
        let v = getitem(&x, &[I::Int(-1), I::Slice(Some(1), None, Some(2)), I::None]).unwrap();
        assert_eq!(v.shape(), &[1, 1, 4]);
        assert_eq!(v.to_vec::<i64>(), vec![16, 17, 18, 19]);
        assert!(v.same_storage(&x));
        let e = getitem(&x, &[I::Ellipsis, I::Int(0)]).unwrap();
        assert_eq!(e.to_vec::<i64>(), vec![0, 4, 8, 12, 16, 20]);
        assert!(getitem(&x, &[I::Int(2)]).unwrap_err().to_string().contains("index 2 is out of bounds for dimension 0 with size 2"));
        assert!(getitem(&x, &[I::Int(0), I::Int(0), I::Int(0), I::Int(0)]).is_err());
    }

    #[test]
    fn advanced_indexing_matches_torch() {
        let x = arange(24, &[2, 3, 4]);
        // x[[1, 0], :, [3, -1]] -> [[15, 19, 23], [3, 7, 11]]
        let g = getitem(&x, &[long(&[1, 0]), I::Slice(None, None, None), long(&[3, -1])]).unwrap();
        assert_eq!(g.shape(), &[2, 3]);
        assert_eq!(g.to_vec::<i64>(), vec![15, 19, 23, 3, 7, 11]);
        // x[:, [2, 0], 1:3] -> shape [2, 2, 2]
        let g = getitem(&x, &[I::Slice(None, None, None), long(&[2, 0]), I::Slice(Some(1), Some(3), None)]).unwrap();
        assert_eq!(g.to_vec::<i64>(), vec![9, 10, 1, 2, 21, 22, 13, 14]);
        // x[x > 20] -> [21, 22, 23]
        let mask = Tensor::from_vec((0..24).map(|i| i > 20).collect::<Vec<bool>>(), &[2, 3, 4]).unwrap();
        assert_eq!(getitem(&x, &[I::Tensor(mask)]).unwrap().to_vec::<i64>(), vec![21, 22, 23]);
    }

    #[test]
    fn setitem_writes_through_and_last_duplicate_wins() {
        let x = Tensor::zeros(&[5], DType::F32).unwrap();
        let v = Tensor::from_vec(vec![1f32, 2., 3.], &[3]).unwrap();
        setitem(&x, &[long(&[1, 1, 1])], &Operand::Tensor(v)).unwrap();
        assert_eq!(x.to_vec::<f32>(), vec![0., 3., 0., 0., 0.]);
        setitem(&x, &[I::Slice(Some(3), None, None)], &Operand::Scalar(Scalar::Int(7))).unwrap();
        assert_eq!(x.to_vec::<f32>(), vec![0., 3., 0., 7., 7.]);
        let d = Tensor::from_vec(vec![1f64], &[1]).unwrap();
        assert!(setitem(&x, &[long(&[0])], &Operand::Tensor(d)).is_err());
    }

    #[test]
    fn setitem_from_an_overlapping_view_of_itself() {
        // x[1:] = x[:-1] and x[[0, 1]] = x[[2, 3]] read before writing.
        let x = arange(5, &[5]);
        let src = getitem(&x, &[I::Slice(None, Some(-1), None)]).unwrap();
        setitem(&x, &[I::Slice(Some(1), None, None)], &Operand::Tensor(src)).unwrap();
        assert_eq!(x.to_vec::<i64>(), vec![0, 0, 1, 2, 3]);
        let y = arange(4, &[4]);
        let view = getitem(&y, &[I::Slice(Some(2), None, None)]).unwrap();
        setitem(&y, &[long(&[0, 1])], &Operand::Tensor(view)).unwrap();
        assert_eq!(y.to_vec::<i64>(), vec![2, 3, 2, 3]);
    }
}
