//! Ops: conversions and tensor metadata — `to` (dtype, device, other),
//! `type_as`, the cast methods (`float`, `double`, `half`, `bfloat16`,
//! `long`, `int`, `short`, `char`, `byte`, `bool`), `item`, `tolist`,
//! `detach`, `cpu`, `size`, `dim`, `ndimension`, `numel`, `nelement`,
//! `element_size`, `is_contiguous`, `is_floating_point`, `is_nonzero`.
//!
//! Element casts follow PyTorch's CPU kernels on x86-64 exactly:
//! float → int truncates toward zero; float → int64 that is NaN or out of
//! range gives `i64::MIN`; float → uint8/int8/int16/int32 goes through a
//! 32-bit conversion (`cvttss2si`: NaN/out of range → `i32::MIN`) and then
//! wraps, so `-1.5 → uint8` is 255 and `300.7 → uint8` is 44; anything → bool
//! is `!= 0` (NaN is true); int → int wraps; double/int64 → float16/bfloat16
//! round through float32 as c10 does (round-to-nearest-even each step).

use super::creation::{dense_like_strides, device_arg};
use super::{Args, OpDef};
use crate::iter::gather;
use crate::{bail, ensure, Buffer, Category, DType, Device, Element, Result, Tensor, Value};

// ----- element casts ----------------------------------------------------

/// `cvttsd2si` (32-bit): truncation; NaN and out-of-range give `i32::MIN`.
#[inline]
pub(crate) fn cvtt_i32(v: f64) -> i32 {
    if v > -2_147_483_649.0 && v < 2_147_483_648.0 {
        v as i32
    } else {
        i32::MIN
    }
}

/// `cvttsd2si` (64-bit): truncation; NaN and out-of-range give `i64::MIN`.
#[inline]
pub(crate) fn cvtt_i64(v: f64) -> i64 {
    if v >= -9_223_372_036_854_775_808.0 && v < 9_223_372_036_854_775_808.0 {
        v as i64
    } else {
        i64::MIN
    }
}

/// Converts one element the way PyTorch's x86-64 CPU kernels do
/// (`static_cast` with c10's float16/bfloat16 and x86 float → int rules).
#[inline]
pub(crate) fn convert<S: Element, D: Element>(x: S) -> D {
    match S::DTYPE.category() {
        Category::Bool => D::from_bool(x.to_bool()),
        Category::Int => {
            let v = x.to_i64();
            match D::DTYPE {
                DType::F16 | DType::BF16 | DType::F32 => D::from_f64(v as f32 as f64),
                _ => D::from_i64(v),
            }
        }
        Category::Float => {
            let v = x.to_f64();
            match D::DTYPE {
                DType::Bool => D::from_bool(v != 0.0),
                DType::I64 => D::from_i64(cvtt_i64(v)),
                DType::U8 | DType::I8 | DType::I16 | DType::I32 => D::from_i64(cvtt_i32(v) as i64),
                DType::F16 | DType::BF16 => D::from_f64(v as f32 as f64),
                _ => D::from_f64(v),
            }
        }
    }
}

/// Converts a contiguous slice, in parallel when it is large.
fn convert_slice<S: Element, D: Element>(src: &[S]) -> Vec<D> {
    let mut out: Vec<D> = vec![D::from_bool(false); src.len()];
    tsc_kernels::parallel::map_chunks_mut(&mut out, 1, |start, chunk| {
        let len = chunk.len();
        for (o, &x) in chunk.iter_mut().zip(&src[start..start + len]) {
            *o = convert::<S, D>(x);
        }
    });
    out
}

/// The elements of `view` (row-major) converted to `D`.
fn convert_view<S: Element, D: Element>(src: &[S], view: &Tensor) -> Vec<D> {
    if view.is_contiguous() {
        let off = view.offset();
        return convert_slice(&src[off..off + view.numel()]);
    }
    gather(src, view.shape(), view.strides(), view.offset(), convert::<S, D>)
}

/// `t` viewed with its dims ordered by decreasing stride: for a dense
/// tensor, reading this view row-major walks its memory in order.
fn memory_order_view(t: &Tensor, strides: &[usize]) -> Result<Tensor> {
    let mut dims: Vec<usize> = (0..t.ndim()).collect();
    dims.sort_by(|&a, &b| strides[b].cmp(&strides[a]));
    let shape: Vec<usize> = dims.iter().map(|&d| t.shape()[d]).collect();
    let st: Vec<usize> = dims.iter().map(|&d| t.strides()[d]).collect();
    t.as_strided(&shape, &st, t.offset())
}

/// A converted copy of `t` with dtype `dtype`, laid out as `empty_like`
/// would (dense tensors keep their strides, others become contiguous).
pub fn cast(t: &Tensor, dtype: DType) -> Tensor {
    let strides = dense_like_strides(t);
    let view = memory_order_view(t, &strides).unwrap_or_else(|_| t.clone());
    let buf = {
        let g = t.storage().read();
        fn go<S: Element>(src: &[S], view: &Tensor, dtype: DType) -> Buffer {
            crate::dispatch_dtype!(dtype, D => D::into_buffer(convert_view::<S, D>(src, view)))
        }
        crate::with_buffer!(&*g, v => go(v, &view, dtype))
    };
    let n = buf.len();
    Tensor::from_buffer(buf, &[n])
        .and_then(|b| b.as_strided(t.shape(), &strides, 0))
        .expect("a dense layout of numel elements fits its own buffer")
}

// ----- `to` and the cast methods ----------------------------------------

/// `self.to(dtype, copy=copy)`: `self` itself when nothing changes.
pub fn to(t: &Tensor, dtype: DType, copy: bool) -> Tensor {
    if dtype == t.dtype() && !copy {
        t.clone()
    } else {
        cast(t, dtype)
    }
}

/// `self.to(device, dtype)`: `self` when nothing changes, else a copy on
/// `device` (a dtype change of a CUDA tensor runs on the device where a
/// kernel can store the dtype, else on the host).
pub fn to_device(t: &Tensor, device: Device, dtype: Option<DType>, copy: bool) -> Result<Tensor> {
    let dtype = dtype.unwrap_or(t.dtype());
    if t.device() == Device::Cpu && device == Device::Cpu {
        return Ok(to(t, dtype, copy));
    }
    if t.device() == device && dtype == t.dtype() && !copy {
        return Ok(t.clone());
    }
    if t.device() == device && dtype != t.dtype() {
        if let Some(c) = crate::cuda::cast(t, dtype)? {
            return Ok(c);
        }
    }
    let moved = t.device() != device;
    let host = t.to_device(Device::Cpu)?;
    // A move already copied; `copy` asks for one copy, not two.
    to(&host, dtype, copy && !moved && device == Device::Cpu).to_device(device)
}

// ----- Python-level values ----------------------------------------------

/// `self.tolist()`: nested lists of Python numbers (a number for a 0-d tensor).
pub fn tolist(t: &Tensor) -> Value {
    fn go<T: Element>(v: &[T], shape: &[usize]) -> Value {
        match shape.split_first() {
            None => crate::Value::from(scalar_of(v[0])),
            Some((&n, rest)) => {
                let step: usize = rest.iter().product();
                Value::List((0..n).map(|i| go(&v[i * step..(i + 1) * step], rest)).collect())
            }
        }
    }
    fn scalar_of<T: Element>(x: T) -> crate::Scalar {
        match T::DTYPE.category() {
            Category::Float => crate::Scalar::Float(x.to_f64()),
            Category::Int => crate::Scalar::Int(x.to_i64()),
            Category::Bool => crate::Scalar::Bool(x.to_bool()),
        }
    }
    crate::dispatch_dtype!(t.dtype(), T => t.with_slice::<T, _>(|v| go(v, t.shape())))
}

/// `self.is_nonzero()`: the truth of a one-element tensor.
pub fn is_nonzero(t: &Tensor) -> Result<bool> {
    ensure!(t.numel() != 0, "is_nonzero", "Boolean value of Tensor with no values is ambiguous");
    ensure!(t.numel() == 1, "is_nonzero", "Boolean value of Tensor with more than one value ({:?}) is ambiguous", t.shape());
    Ok(t.item()?.to_bool())
}

// ----- schema wrappers --------------------------------------------------

fn run_to_dtype(a: &Args) -> Result<Value> {
    let t = a.tensor(0)?;
    to_device(t, t.device(), Some(a.dtype(1)?), a.bool(3)?).map(Value::Tensor)
}
fn run_to_device(a: &Args) -> Result<Value> {
    let device = device_arg("to", a, 1)?;
    to_device(a.tensor(0)?, device, a.opt_dtype(2)?, a.bool(4)?).map(Value::Tensor)
}
fn run_to_other(a: &Args) -> Result<Value> {
    let other = a.tensor(1)?;
    to_device(a.tensor(0)?, other.device(), Some(other.dtype()), a.bool(3)?).map(Value::Tensor)
}
fn run_cuda(a: &Args) -> Result<Value> {
    let device = match a.value(1)? {
        Value::Device(d @ Device::Cuda(_)) => *d,
        Value::None => Device::Cuda(0),
        other => bail!("cuda", "Invalid device, must be cuda device, got {}", describe_device(other)),
    };
    a.tensor(0)?.to_device(device).map(Value::Tensor)
}
fn describe_device(v: &Value) -> String {
    match v {
        Value::Device(d) => d.to_string(),
        v => v.type_name(),
    }
}
fn run_type_as(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(to(a.tensor(0)?, a.tensor(1)?.dtype(), false)))
}

macro_rules! cast_method {
    ($name:ident, $dtype:expr) => {
        fn $name(a: &Args) -> Result<Value> {
            Ok(Value::Tensor(to(a.tensor(0)?, $dtype, false)))
        }
    };
}
cast_method!(run_float, DType::F32);
cast_method!(run_double, DType::F64);
cast_method!(run_half, DType::F16);
cast_method!(run_bfloat16, DType::BF16);
cast_method!(run_long, DType::I64);
cast_method!(run_int, DType::I32);
cast_method!(run_short, DType::I16);
cast_method!(run_char, DType::I8);
cast_method!(run_byte, DType::U8);
cast_method!(run_bool, DType::Bool);

fn run_item(a: &Args) -> Result<Value> {
    Ok(Value::from(a.tensor(0)?.item()?))
}
fn run_tolist(a: &Args) -> Result<Value> {
    Ok(tolist(a.tensor(0)?))
}
fn run_identity(a: &Args) -> Result<Value> {
    Ok(Value::Tensor(a.tensor(0)?.clone()))
}
fn run_size(a: &Args) -> Result<Value> {
    Ok(Value::List(a.tensor(0)?.shape().iter().map(|&d| Value::Int(d as i64)).collect()))
}
fn run_size_dim(a: &Args) -> Result<Value> {
    Ok(Value::Int(a.tensor(0)?.size(a.int(1)?)? as i64))
}
/// `self.copy_(src)`: writes `src` (broadcast) into `self`'s elements.
fn run_copy_(a: &Args) -> Result<Value> {
    let x = a.tensor(0)?;
    x.assign(&a.tensor(1)?.broadcast_to(x.shape())?)?;
    Ok(x.clone().into())
}

fn run_dim(a: &Args) -> Result<Value> {
    Ok(Value::Int(a.tensor(0)?.ndim() as i64))
}
fn run_numel(a: &Args) -> Result<Value> {
    Ok(Value::Int(a.tensor(0)?.numel() as i64))
}
fn run_element_size(a: &Args) -> Result<Value> {
    Ok(Value::Int(a.tensor(0)?.dtype().size() as i64))
}
fn run_is_contiguous(a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.tensor(0)?.is_contiguous()))
}
fn run_is_floating_point(a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.tensor(0)?.dtype().is_float()))
}
fn run_is_nonzero(a: &Args) -> Result<Value> {
    is_nonzero(a.tensor(0)?).map(Value::Bool)
}

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "to.dtype(Tensor self, ScalarType dtype, bool non_blocking=False, bool copy=False) -> Tensor", run: run_to_dtype },
    OpDef {
        schema: "to.device(Tensor self, Device device, ScalarType? dtype=None, bool non_blocking=False, bool copy=False) -> Tensor",
        run: run_to_device,
    },
    OpDef { schema: "to.other(Tensor self, Tensor other, bool non_blocking=False, bool copy=False) -> Tensor", run: run_to_other },
    OpDef { schema: "type_as(Tensor self, Tensor other) -> Tensor", run: run_type_as },
    OpDef { schema: "float(Tensor self) -> Tensor", run: run_float },
    OpDef { schema: "double(Tensor self) -> Tensor", run: run_double },
    OpDef { schema: "half(Tensor self) -> Tensor", run: run_half },
    OpDef { schema: "bfloat16(Tensor self) -> Tensor", run: run_bfloat16 },
    OpDef { schema: "long(Tensor self) -> Tensor", run: run_long },
    OpDef { schema: "int(Tensor self) -> Tensor", run: run_int },
    OpDef { schema: "short(Tensor self) -> Tensor", run: run_short },
    OpDef { schema: "char(Tensor self) -> Tensor", run: run_char },
    OpDef { schema: "byte(Tensor self) -> Tensor", run: run_byte },
    OpDef { schema: "bool(Tensor self) -> Tensor", run: run_bool },
    OpDef { schema: "item(Tensor self) -> Scalar", run: run_item },
    OpDef { schema: "tolist(Tensor self) -> Any", run: run_tolist },
    OpDef { schema: "detach(Tensor self) -> Tensor", run: run_identity },
    OpDef { schema: "cpu(Tensor self) -> Tensor", run: |a| a.tensor(0)?.to_device(Device::Cpu).map(Value::Tensor) },
    OpDef { schema: "cuda(Tensor self, Device? device=None) -> Tensor", run: run_cuda },
    OpDef { schema: "size(Tensor self) -> int[]", run: run_size },
    OpDef { schema: "size.int(Tensor self, int dim) -> int", run: run_size_dim },
    OpDef { schema: "dim(Tensor self) -> int", run: run_dim },
    OpDef { schema: "ndimension(Tensor self) -> int", run: run_dim },
    OpDef { schema: "numel(Tensor self) -> int", run: run_numel },
    OpDef { schema: "nelement(Tensor self) -> int", run: run_numel },
    OpDef { schema: "element_size(Tensor self) -> int", run: run_element_size },
    OpDef { schema: "is_contiguous(Tensor self) -> bool", run: run_is_contiguous },
    OpDef { schema: "is_floating_point(Tensor self) -> bool", run: run_is_floating_point },
    OpDef { schema: "is_nonzero(Tensor self) -> bool", run: run_is_nonzero },
    OpDef { schema: "copy_(Tensor self, Tensor src, bool non_blocking=False) -> Tensor", run: run_copy_ },
    // `x.dtype` / `x.device` as graph ops (TorchScript's `prim::dtype`, `prim::device`)
    OpDef { schema: "prim_dtype(Tensor self) -> ScalarType", run: |a| Ok(Value::DType(a.tensor(0)?.dtype())) },
    OpDef { schema: "prim_device(Tensor self) -> Device", run: |a| Ok(Value::Device(a.tensor(0)?.device())) },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::contiguous_strides;

    #[test]
    fn casts_follow_x86() {
        assert_eq!(convert::<f32, u8>(-1.5), 255);
        assert_eq!(convert::<f32, u8>(300.7), 44);
        assert_eq!(convert::<f64, i32>(1e10), i32::MIN);
        assert_eq!(convert::<f64, i16>(1e10), 0);
        assert_eq!(convert::<f32, i64>(f32::NAN), i64::MIN);
        assert!(convert::<f32, bool>(f32::NAN));
        assert_eq!(convert::<i64, f32>((1 << 53) + 1), 9007199254740992.0);
    }

    #[test]
    fn cast_keeps_a_permuted_layout() {
        let t = Tensor::from_vec((0..6).map(|x| x as f32).collect(), &[2, 3]).unwrap();
        let tt = t.as_strided(&[3, 2], &[1, 3], 0).unwrap();
        let c = cast(&tt, DType::I64);
        assert_eq!(c.strides(), &[1, 3]);
        assert_eq!(c.to_vec::<i64>(), vec![0, 3, 1, 4, 2, 5]);
        let s = t.as_strided(&[2, 2], &[3, 2], 0).unwrap();
        assert_eq!(cast(&s, DType::F64).strides(), contiguous_strides(&[2, 2]).as_slice());
    }
}
