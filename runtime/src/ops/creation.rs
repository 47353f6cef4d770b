//! Ops: tensor creation — `zeros`, `ones`, `empty`, `full`, `scalar_tensor`,
//! `eye`, `tensor` (from nested lists), the `*_like` forms (`zeros_like`,
//! `ones_like`, `empty_like`, `full_like`), the `new_*` methods, and (in
//! `creation/range.rs`) `arange`, `linspace`, `logspace`. The random
//! creators (`rand`, `randn_like`, ...) live in `random.rs`.
//!
//! PyTorch's rules: the default dtype is float32 (`full` infers bool /
//! int64 / float32 from its fill value, `tensor` from its data, `arange`
//! int64 for integer arguments); fill values are range-checked as c10's
//! `Scalar::to<T>` does ("value cannot be converted to type ... without
//! overflow"); `*_like` results keep the layout of a dense input (as
//! `empty_like`'s preserve format does); `device` may only be the CPU.
//! `empty` returns zeros.

mod range;

pub use range::{arange, linspace, logspace};

use super::convert::{convert, tolist};
use super::{Args, OpDef};
use crate::shape::{checked_numel, contiguous_strides};
use crate::{bail, ensure, promote_types, Buffer, DType, Device, Element, Result, Scalar, Tensor, Value};

// ----- shared argument helpers (also used by `random.rs`, `convert.rs`) --

/// A `size` argument: every dim must be non-negative.
pub(crate) fn size_arg(op: &str, dims: &[i64]) -> Result<Vec<usize>> {
    dims.iter()
        .map(|&d| match usize::try_from(d) {
            Ok(v) => Ok(v),
            Err(_) => bail!(op, "Dimension size must be non-negative, got {d} in size {dims:?}"),
        })
        .collect()
}

/// The optional `device` argument at index `i` of a factory function
/// (`None`: the default device). The `*_like`/`new_*` ops get here only
/// with CPU inputs (`cuda::dispatch` runs those with CUDA inputs), so
/// `None` means the input's device, the CPU.
pub(crate) fn device_arg(op: &str, a: &Args, i: usize) -> Result<Device> {
    let like = op.ends_with("_like") || op.starts_with("new_");
    match a.value(i)? {
        Value::None if like => Ok(Device::Cpu),
        Value::None => Ok(crate::device::default_device()),
        Value::Device(d) => Ok(*d),
        other => bail!(op, "internal: expected a device, got {}", other.type_name()),
    }
}

/// PyTorch's `is_non_overlapping_and_dense`: the strides are a permutation
/// of contiguous strides (size-1 dims may have any stride).
pub(crate) fn is_non_overlapping_and_dense(shape: &[usize], strides: &[usize]) -> bool {
    if shape.len() == 1 {
        return shape[0] < 2 || strides[0] == 1;
    }
    let mut perm: Vec<usize> = (0..shape.len()).collect();
    perm.sort_by_key(|&d| (shape[d] < 2, strides[d]));
    let mut required = 1;
    for d in perm {
        if shape[d] < 2 {
            return true;
        }
        if strides[d] != required {
            return false;
        }
        required *= shape[d];
    }
    true
}

/// The strides `empty_like(t)` gives: `t`'s own when it is dense and
/// non-overlapping, else contiguous ones.
pub(crate) fn dense_like_strides(t: &Tensor) -> Vec<usize> {
    if is_non_overlapping_and_dense(t.shape(), t.strides()) {
        t.strides().to_vec()
    } else {
        contiguous_strides(t.shape())
    }
}

/// A tensor over `buf` (numel elements in memory order) with `shape` and
/// the dense `strides`.
pub(crate) fn tensor_in_layout(buf: Buffer, shape: &[usize], strides: &[usize]) -> Result<Tensor> {
    let n = buf.len();
    Tensor::from_buffer(buf, &[n])?.as_strided(shape, strides, 0)
}

/// The inclusive range of an integer dtype.
fn int_range(dtype: DType) -> (i64, i64) {
    match dtype {
        DType::U8 => (0, 255),
        DType::I8 => (-128, 127),
        DType::I16 => (-32768, 32767),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The finite range of a float dtype.
fn float_max(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => 65504.0,
        DType::BF16 => 3.3895313892515355e38,
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    }
}

/// c10's overflow check for storing `s` as `dtype` (`checked_convert`):
/// integers must fit (negative ints may wrap into uint8), floats must be
/// finite-in-range or infinite, NaN only into float types. Bool never fails;
/// float targets are only checked when `check_floats`.
pub(crate) fn check_fits(op: &str, s: Scalar, dtype: DType, check_floats: bool) -> Result<()> {
    let ok = match (s, dtype) {
        (Scalar::Bool(_), _) | (_, DType::Bool) => true,
        (_, d) if d.is_float() && !check_floats => true,
        (Scalar::Int(v), DType::U8) => v <= 255 && v >= -255,
        (Scalar::Int(v), d) if d.is_int() => {
            let (lo, hi) = int_range(d);
            v >= lo && v <= hi
        }
        (Scalar::Int(v), d) => (v as f64).abs() <= float_max(d),
        (Scalar::Float(v), d) if d.is_float() => v.is_infinite() || v.is_nan() || v.abs() <= float_max(d),
        (Scalar::Float(v), d) => {
            let (lo, hi) = int_range(d);
            !v.is_nan() && v >= lo as f64 && v <= hi as f64
        }
    };
    ensure!(ok, op, "value {s} cannot be converted to type {dtype} without overflow");
    Ok(())
}

/// `s` as an element of type `T` (c10's `Scalar::to<T>` after the check).
pub(crate) fn scalar_as<T: Element>(s: Scalar) -> T {
    match s {
        Scalar::Bool(b) => T::from_bool(b),
        Scalar::Int(i) => convert::<i64, T>(i),
        Scalar::Float(f) => convert::<f64, T>(f),
    }
}

/// `n` copies of `s` as `dtype`, range-checked.
fn filled(op: &str, dtype: DType, n: usize, s: Scalar) -> Result<Buffer> {
    check_fits(op, s, dtype, true)?;
    Ok(crate::dispatch_dtype!(dtype, T => T::into_buffer(vec![scalar_as::<T>(s); n])))
}

/// The dtype of a Python number: bool, int64 or the default float32.
fn scalar_dtype(s: Scalar) -> DType {
    match s {
        Scalar::Bool(_) => DType::Bool,
        Scalar::Int(_) => DType::I64,
        Scalar::Float(_) => DType::F32,
    }
}

// ----- the ops ----------------------------------------------------------

/// `torch.zeros(size, dtype)`.
pub fn zeros(size: &[usize], dtype: DType) -> Result<Tensor> {
    Tensor::zeros(size, dtype)
}

/// `torch.ones(size, dtype)`.
pub fn ones(size: &[usize], dtype: DType) -> Result<Tensor> {
    full(size, Scalar::Int(1), Some(dtype))
}

/// `torch.full(size, fill_value, dtype)`; without a dtype it follows the value.
pub fn full(size: &[usize], value: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    let dtype = dtype.unwrap_or(scalar_dtype(value));
    let n = checked_numel("full", size)?;
    Tensor::from_buffer(filled("full", dtype, n, value)?, size)
}

/// `torch.scalar_tensor(s, dtype=float32)`.
pub fn scalar_tensor(s: Scalar, dtype: DType) -> Result<Tensor> {
    full(&[], s, Some(dtype))
}

/// `torch.eye(n, m)`: ones on the main diagonal.
pub fn eye(n: i64, m: Option<i64>, dtype: DType) -> Result<Tensor> {
    ensure!(n >= 0, "eye", "n must be greater or equal to 0, got {n}");
    let m = m.unwrap_or(n);
    ensure!(m >= 0, "eye", "m must be greater or equal to 0, got {m}");
    let (n, m) = (n as usize, m as usize);
    let total = checked_numel("eye", &[n, m])?;
    fn go<T: Element>(total: usize, n: usize, m: usize) -> Buffer {
        let mut v = vec![T::from_bool(false); total];
        for i in 0..n.min(m) {
            v[i * m + i] = T::from_bool(true);
        }
        T::into_buffer(v)
    }
    Tensor::from_buffer(crate::dispatch_dtype!(dtype, T => go::<T>(total, n, m)), &[n, m])
}

/// `torch.full_like(input, fill_value, dtype)`, laid out like `input`.
pub fn full_like(input: &Tensor, value: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    let dtype = dtype.unwrap_or(input.dtype());
    let buf = filled("full_like", dtype, input.numel(), value)?;
    tensor_in_layout(buf, input.shape(), &dense_like_strides(input))
}

/// `torch.zeros_like(input, dtype)` (also `empty_like`).
pub fn zeros_like(input: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    full_like(input, Scalar::Int(0), dtype)
}

/// `torch.ones_like(input, dtype)`.
pub fn ones_like(input: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    full_like(input, Scalar::Int(1), dtype)
}

/// `self.new_full(size, fill_value, dtype)`: `self`'s dtype unless given.
pub fn new_full(t: &Tensor, size: &[usize], value: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    full(size, value, Some(dtype.unwrap_or(t.dtype())))
}

// ----- torch.tensor -----------------------------------------------------

/// What `torch.tensor` learns from walking its data.
#[derive(Default)]
struct Walk {
    shape: Vec<usize>,
    leaf_depth: Option<usize>,
    leaves: Vec<Scalar>,
    dtype: Option<DType>,
}

impl Walk {
    fn visit(&mut self, v: &Value, dim: usize, fixed: Option<DType>) -> Result<()> {
        let op = "tensor";
        match v {
            Value::List(items) | Value::Tuple(items) => {
                ensure!(self.leaf_depth.is_none_or(|d| dim < d), op, "expected a number at dim {dim} but got a sequence");
                if dim == self.shape.len() {
                    self.shape.push(items.len());
                } else if self.shape[dim] != items.len() {
                    bail!(op, "expected sequence of length {} at dim {dim} (got {})", self.shape[dim], items.len());
                }
                items.iter().try_for_each(|x| self.visit(x, dim + 1, fixed))
            }
            Value::Tensor(t) => {
                let nested = tolist(t);
                self.visit(&nested, dim, Some(fixed.unwrap_or(t.dtype())))
            }
            v => {
                let Some(s) = v.as_scalar() else {
                    bail!(op, "could not infer the dtype of {}", v.type_name());
                };
                ensure!(dim == self.shape.len(), op, "expected a sequence at dim {dim} but got a number");
                ensure!(self.leaf_depth.is_none_or(|d| d == dim), op, "ragged nested sequence");
                self.leaf_depth = Some(dim);
                let d = fixed.unwrap_or(scalar_dtype(s));
                self.dtype = Some(self.dtype.map_or(d, |cur| promote_types(cur, d)));
                self.leaves.push(s);
                Ok(())
            }
        }
    }
}

/// `torch.tensor(data, dtype)`: nested lists/tuples of numbers (or 0-d
/// tensors), or a tensor (copied). The dtype is inferred as PyTorch does:
/// all bool → bool, ints → int64, any float → float32, tensors → theirs.
pub fn tensor(data: &Value, dtype: Option<DType>) -> Result<Tensor> {
    if let Value::Tensor(t) = data {
        return Ok(super::convert::cast(t, dtype.unwrap_or(t.dtype())));
    }
    let mut w = Walk::default();
    w.visit(data, 0, None)?;
    let dtype = dtype.or(w.dtype).unwrap_or(DType::F32);
    for &s in &w.leaves {
        check_fits("tensor", s, dtype, false)?;
    }
    fn go<T: Element>(leaves: &[Scalar]) -> Buffer {
        T::into_buffer(leaves.iter().map(|&s| scalar_as::<T>(s)).collect())
    }
    Tensor::from_buffer(crate::dispatch_dtype!(dtype, T => go::<T>(&w.leaves)), &w.shape)
}

// ----- schema wrappers --------------------------------------------------

fn dtype_or(a: &Args, i: usize, default: DType) -> Result<DType> {
    Ok(a.opt_dtype(i)?.unwrap_or(default))
}

/// [`full`] on `dev`. On a CUDA device the value, converted and
/// range-checked as `full` does, is written by one memset: no host buffer
/// and no host-to-device copy in the middle of a forward.
fn full_on(dev: Device, size: &[usize], value: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    if dev != Device::Cpu {
        let one = full(&[], value, dtype)?;
        checked_numel("full", size)?;
        if let Some(t) = crate::cuda::filled(dev, &one, size)? {
            return Ok(t);
        }
    }
    full(size, value, dtype)?.to_device(dev)
}

/// [`new_full`] on `dev` (see [`full_on`]).
fn new_full_on(dev: Device, t: &Tensor, size: &[usize], value: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    full_on(dev, size, value, Some(dtype.unwrap_or(t.dtype())))
}

fn run_zeros(a: &Args) -> Result<Value> {
    let dev = device_arg("zeros", a, 2)?;
    full_on(dev, &size_arg("zeros", &a.ints(0)?)?, Scalar::Int(0), Some(dtype_or(a, 1, DType::F32)?)).map(Value::Tensor)
}
fn run_ones(a: &Args) -> Result<Value> {
    let dev = device_arg("ones", a, 2)?;
    full_on(dev, &size_arg("ones", &a.ints(0)?)?, Scalar::Int(1), Some(dtype_or(a, 1, DType::F32)?)).map(Value::Tensor)
}
fn run_full(a: &Args) -> Result<Value> {
    let dev = device_arg("full", a, 3)?;
    full_on(dev, &size_arg("full", &a.ints(0)?)?, a.scalar(1)?, a.opt_dtype(2)?).map(Value::Tensor)
}
fn run_scalar_tensor(a: &Args) -> Result<Value> {
    let dev = device_arg("scalar_tensor", a, 2)?;
    full_on(dev, &[], a.scalar(0)?, Some(dtype_or(a, 1, DType::F32)?)).map(Value::Tensor)
}
fn run_eye(a: &Args) -> Result<Value> {
    let dev = device_arg("eye", a, 2)?;
    eye(a.int(0)?, None, dtype_or(a, 1, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_eye_m(a: &Args) -> Result<Value> {
    let dev = device_arg("eye", a, 3)?;
    eye(a.int(0)?, Some(a.int(1)?), dtype_or(a, 2, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_zeros_like(a: &Args) -> Result<Value> {
    let dev = device_arg("zeros_like", a, 2)?;
    zeros_like(a.tensor(0)?, a.opt_dtype(1)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_ones_like(a: &Args) -> Result<Value> {
    let dev = device_arg("ones_like", a, 2)?;
    ones_like(a.tensor(0)?, a.opt_dtype(1)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_full_like(a: &Args) -> Result<Value> {
    let dev = device_arg("full_like", a, 3)?;
    full_like(a.tensor(0)?, a.scalar(1)?, a.opt_dtype(2)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_new_zeros(a: &Args) -> Result<Value> {
    let dev = device_arg("new_zeros", a, 3)?;
    new_full_on(dev, a.tensor(0)?, &size_arg("new_zeros", &a.ints(1)?)?, Scalar::Int(0), a.opt_dtype(2)?).map(Value::Tensor)
}
fn run_new_ones(a: &Args) -> Result<Value> {
    let dev = device_arg("new_ones", a, 3)?;
    new_full_on(dev, a.tensor(0)?, &size_arg("new_ones", &a.ints(1)?)?, Scalar::Int(1), a.opt_dtype(2)?).map(Value::Tensor)
}
fn run_new_full(a: &Args) -> Result<Value> {
    let dev = device_arg("new_full", a, 4)?;
    new_full_on(dev, a.tensor(0)?, &size_arg("new_full", &a.ints(1)?)?, a.scalar(2)?, a.opt_dtype(3)?).map(Value::Tensor)
}
fn run_tensor(a: &Args) -> Result<Value> {
    let dev = device_arg("tensor", a, 2)?;
    tensor(a.value(0)?, a.opt_dtype(1)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_arange(a: &Args) -> Result<Value> {
    let dev = device_arg("arange", a, 2)?;
    arange(Scalar::Int(0), a.scalar(0)?, Scalar::Int(1), a.opt_dtype(1)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_arange_start(a: &Args) -> Result<Value> {
    let dev = device_arg("arange", a, 3)?;
    arange(a.scalar(0)?, a.scalar(1)?, Scalar::Int(1), a.opt_dtype(2)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_arange_start_step(a: &Args) -> Result<Value> {
    let dev = device_arg("arange", a, 4)?;
    arange(a.scalar(0)?, a.scalar(1)?, a.scalar(2)?, a.opt_dtype(3)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_linspace(a: &Args) -> Result<Value> {
    let dev = device_arg("linspace", a, 4)?;
    linspace(a.scalar(0)?, a.scalar(1)?, a.int(2)?, dtype_or(a, 3, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_logspace(a: &Args) -> Result<Value> {
    let dev = device_arg("logspace", a, 5)?;
    logspace(a.scalar(0)?, a.scalar(1)?, a.int(2)?, a.float(3)?, dtype_or(a, 4, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}

/// `size` ops share one shape of schema; `$extra` are the params after `size`.
macro_rules! sized {
    ($name:literal, $extra:literal) => {
        concat!($name, "(int[] size", $extra, ", *, ScalarType? dtype=None, Device? device=None) -> Tensor")
    };
}
macro_rules! like {
    ($name:literal, $extra:literal) => {
        concat!($name, "(Tensor input", $extra, ", *, ScalarType? dtype=None, Device? device=None) -> Tensor")
    };
}
macro_rules! new {
    ($name:literal, $extra:literal) => {
        concat!($name, "(Tensor self, int[] size", $extra, ", *, ScalarType? dtype=None, Device? device=None) -> Tensor")
    };
}
pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: sized!("zeros", ""), run: run_zeros },
    OpDef { schema: sized!("ones", ""), run: run_ones },
    OpDef { schema: sized!("empty", ""), run: run_zeros },
    OpDef { schema: sized!("full", ", Scalar fill_value"), run: run_full },
    OpDef { schema: "scalar_tensor(Scalar s, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_scalar_tensor },
    OpDef { schema: "eye(int n, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_eye },
    OpDef { schema: "eye.m(int n, int m, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_eye_m },
    OpDef { schema: like!("zeros_like", ""), run: run_zeros_like },
    OpDef { schema: like!("ones_like", ""), run: run_ones_like },
    OpDef { schema: like!("empty_like", ""), run: run_zeros_like },
    OpDef { schema: like!("full_like", ", Scalar fill_value"), run: run_full_like },
    OpDef { schema: new!("new_zeros", ""), run: run_new_zeros },
    OpDef { schema: new!("new_ones", ""), run: run_new_ones },
    OpDef { schema: new!("new_empty", ""), run: run_new_zeros },
    OpDef { schema: new!("new_full", ", Scalar fill_value"), run: run_new_full },
    OpDef { schema: "tensor(Any data, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_tensor },
    OpDef { schema: "arange(Scalar end, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_arange },
    OpDef { schema: "arange.start(Scalar start, Scalar end, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_arange_start },
    OpDef {
        schema: "arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_arange_start_step,
    },
    OpDef {
        schema: "linspace(Scalar start, Scalar end, int steps, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_linspace,
    },
    OpDef {
        schema: "logspace(Scalar start, Scalar end, int steps, float base=10.0, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_logspace,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_layouts() {
        assert!(is_non_overlapping_and_dense(&[2, 3], &[1, 2]));
        assert!(is_non_overlapping_and_dense(&[2, 1, 3], &[3, 100, 1]));
        assert!(!is_non_overlapping_and_dense(&[2, 3], &[6, 2]));
        assert!(!is_non_overlapping_and_dense(&[2, 3], &[0, 1]));
        assert!(is_non_overlapping_and_dense(&[], &[]));
    }

    #[test]
    fn fill_checks_follow_c10() {
        assert!(check_fits("full", Scalar::Int(-1), DType::U8, true).is_ok());
        assert!(check_fits("full", Scalar::Int(-256), DType::U8, true).is_err());
        assert!(check_fits("full", Scalar::Float(-0.5), DType::U8, true).is_err());
        assert!(check_fits("full", Scalar::Float(f64::INFINITY), DType::F16, true).is_ok());
        assert!(check_fits("full", Scalar::Float(70000.0), DType::F16, true).is_err());
        assert!(check_fits("full", Scalar::Float(f64::NAN), DType::I32, true).is_err());
        assert!(check_fits("full", Scalar::Float(2.7), DType::Bool, true).is_ok());
    }

    #[test]
    fn tensor_rejects_ragged_data() {
        let l = |v: Vec<Value>| Value::List(v);
        let ragged = l(vec![l(vec![Value::Int(1), Value::Int(2)]), l(vec![Value::Int(3)])]);
        assert!(tensor(&ragged, None).is_err());
        let mixed = l(vec![Value::Int(1), l(vec![Value::Int(2)])]);
        assert!(tensor(&mixed, None).is_err());
        let t = tensor(&l(vec![Value::Bool(true), Value::Int(2)]), None).unwrap();
        assert_eq!((t.dtype(), t.to_vec::<i64>()), (DType::I64, vec![1, 2]));
    }
}
