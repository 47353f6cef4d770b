//! Ops with device kernels, for float32, float16 and bfloat16 CUDA tensors:
//! elementwise math, comparisons (bool results), dtype casts and copies
//! (one-instruction kernel-IR kernels through `launch.rs`), masks
//! (`masked_fill`, `where`), softmax, log_softmax and layer_norm over the
//! last dim (row kernels), eval `batch_norm`, `cat`/`stack` as device
//! copies; matrix products (`products.rs`, cuBLAS), convolution
//! (`conv.rs`), `triu`/`tril` (`triangle.rs`) and `*_like`/`new_*`
//! fills (`fill.rs`). [`run`] returns `None` for any
//! other op or argument (another dtype, an unsupported option, a
//! layout cuBLAS cannot take), and `dispatch.rs` runs the CPU op instead.
//!
//! Results are fresh contiguous tensors on the operands' device, of
//! PyTorch's result dtype. Kernels compute in float32 whatever the storage
//! (float16/bfloat16 widen exactly) and round once per stored element, as
//! PyTorch's CUDA kernels do with their float32 "opmath".

use super::device::{CudaDevice, GpuBuffer};
use super::launch::{can_store, GpuOperand};
use super::products::{linear, matmul};
use super::tensor::{err, from_gpu};
use crate::dtype::promote_types;
use crate::ops::{Args, Overload};
use crate::shape::{broadcast_all, broadcast_strides};
use crate::{DType, Device, Result, Tensor, Value};
use std::sync::{Arc, RwLockReadGuard};
use tsc_kernels::jit::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp, UnaryOp};

/// The op on the device, or `None` when there is no device kernel for it.
pub fn run(ov: &Overload, a: &Args) -> Result<Option<Value>> {
    let t = |i| float_cuda(a.vals.get(i));
    let out = match a.op {
        "add" | "sub" | "mul" | "div" | "maximum" | "minimum" => binary(a)?,
        "eq" | "ne" | "not_equal" | "lt" | "less" | "le" | "less_equal" | "gt" | "greater" | "ge" | "greater_equal" => compare(a)?,
        "contiguous" | "clone" => match copyable(a.vals.first()) {
            Some(x) if a.op == "contiguous" && x.is_contiguous() => Some(x.clone()),
            Some(x) => Some(copy(x)?),
            None => None,
        },
        "float" | "half" | "bfloat16" | "bool" => match copyable(a.vals.first()) {
            Some(x) if a.vals.len() == 1 => match DType::from_name(a.op) {
                Some(d) => cast(x, d)?,
                None => None,
            },
            _ => None,
        },
        "type_as" => match (copyable(a.vals.first()), a.vals.get(1)) {
            (Some(x), Some(Value::Tensor(other))) => cast(x, other.dtype())?,
            _ => None,
        },
        "reshape" | "flatten" => return reshape(ov, a),
        "matmul" | "mm" | "bmm" => match (t(0), t(1)) {
            (Some(x), Some(y)) if x.dtype() == y.dtype() && (a.op == "matmul" || (x.ndim() == y.ndim() && x.ndim() == if a.op == "mm" { 2 } else { 3 })) => matmul(x, y)?,
            _ => None,
        },
        "linear" => linear(a)?,
        "masked_fill" => masked_fill(a)?,
        "where" => where_(a)?,
        "batch_norm" => batch_norm(a)?,
        "cat" | "stack" => cat(a)?,
        "conv2d" => super::conv::conv2d(a)?,
        "adaptive_avg_pool2d" => super::conv::adaptive_avg_pool2d(a)?,
        "triu" | "tril" => super::triangle::triangle(a, a.op == "triu")?,
        "zeros_like" | "ones_like" | "empty_like" | "full_like" | "new_zeros" | "new_ones" | "new_empty" | "new_full" => super::fill::like(a)?,
        "softmax" | "log_softmax" => softmax(a)?,
        "layer_norm" => layer_norm(a)?,
        "gelu" => match (t(0), a.str(1)) {
            (Some(x), Ok("none")) => Some(unary(x, UnaryOp::Gelu)?),
            (Some(x), Ok("tanh")) => Some(unary(x, UnaryOp::GeluTanh)?),
            _ => None,
        },
        // `relu(x, inplace=False)` and friends: only the functional form.
        name => match (unary_op(name), t(0), a.vals.get(1..).unwrap_or_default()) {
            (Some(op), Some(x), [] | [Value::Bool(false)]) => Some(unary(x, op)?),
            _ => None,
        },
    };
    Ok(out.map(Value::Tensor))
}

/// Whether device kernels compute with `dtype` (in float32).
fn is_float(dtype: DType) -> bool {
    matches!(dtype, DType::F32 | DType::F16 | DType::BF16)
}

/// `v` when it is a float32, float16 or bfloat16 tensor on a CUDA device.
pub(super) fn float_cuda(v: Option<&Value>) -> Option<&Tensor> {
    match v {
        Some(Value::Tensor(t)) if is_float(t.dtype()) && t.device() != Device::Cpu => Some(t),
        _ => None,
    }
}

/// `v` when it is a CUDA tensor that the copy kernel reads and writes in
/// its own dtype (a float or `bool` tensor).
fn copyable(v: Option<&Value>) -> Option<&Tensor> {
    match v {
        Some(Value::Tensor(t)) if can_store(t.dtype()) && t.device() != Device::Cpu => Some(t),
        _ => None,
    }
}

/// PyTorch's result dtype of a float op over `ins`: the promotion of the
/// float tensors with dims (of the 0-d ones when there are none); numbers
/// and masks do not count. `None` without a float tensor.
pub(super) fn float_result(ins: &[In]) -> Option<DType> {
    let of = |zero_d: bool| {
        ins.iter()
            .filter_map(|i| match i {
                In::T(t) if is_float(t.dtype()) && (t.ndim() == 0) == zero_d => Some(t.dtype()),
                _ => None,
            })
            .reduce(promote_types)
    };
    of(false).or_else(|| of(true))
}

/// `v` when it is a `bool` tensor on a CUDA device (read by kernels as
/// 0.0/1.0, a byte operand of `launch.rs`).
fn bool_cuda(v: Option<&Value>) -> Option<&Tensor> {
    match v {
        Some(Value::Tensor(t)) if t.dtype() == DType::Bool && t.device() != Device::Cpu => Some(t),
        _ => None,
    }
}

/// A float CUDA tensor or a Python number, as a launch operand.
fn number_or_float(v: Option<&Value>) -> Option<In<'_>> {
    match v {
        Some(Value::Int(i)) => Some(In::S(*i as f32)),
        Some(Value::Float(f)) => Some(In::S(*f as f32)),
        v => float_cuda(v).map(In::T),
    }
}

fn unary_op(name: &str) -> Option<UnaryOp> {
    Some(match name {
        "neg" | "negative" => UnaryOp::Neg,
        "abs" => UnaryOp::Abs,
        "exp" => UnaryOp::Exp,
        "log" => UnaryOp::Log,
        "sqrt" => UnaryOp::Sqrt,
        "rsqrt" => UnaryOp::Rsqrt,
        "reciprocal" => UnaryOp::Reciprocal,
        "tanh" => UnaryOp::Tanh,
        "sigmoid" => UnaryOp::Sigmoid,
        "relu" => UnaryOp::Relu,
        "erf" => UnaryOp::Erf,
        "silu" => UnaryOp::Silu,
        "floor" => UnaryOp::Floor,
        "ceil" => UnaryOp::Ceil,
        "trunc" => UnaryOp::Trunc,
        _ => return None,
    })
}

/// An operand of a launch: a CUDA tensor (of a dtype `launch.rs` reads) or
/// a number.
#[derive(Copy, Clone)]
pub(crate) enum In<'a> {
    T(&'a Tensor),
    S(f32),
}

/// Runs `kernel` over `shape` on `ins` and returns its outputs, of `dtype`
/// and shaped `shape` (`per_row` outputs of a row kernel: `shape` with the
/// last dim 1).
pub(crate) fn launch(kernel: &Kernel, shape: &[usize], ins: &[In], dtype: DType) -> Result<Vec<Tensor>> {
    let (dev, outs) = launch_buffers(kernel, shape, ins, dtype)?;
    let per_row = kernel.per_row_outputs();
    let row_shape: Vec<usize> = match shape.split_last() {
        Some((_, outer)) => outer.iter().copied().chain([1]).collect(),
        None => Vec::new(),
    };
    outs.into_iter()
        .enumerate()
        .map(|(j, b)| from_gpu(dev.clone(), b, if kernel.is_row() && per_row[j] { &row_shape } else { shape }))
        .collect()
}

/// [`launch`]'s device and output buffers.
fn launch_buffers(kernel: &Kernel, shape: &[usize], ins: &[In], dtype: DType) -> Result<(Arc<CudaDevice>, Vec<GpuBuffer>)> {
    let dev = device_of(ins)?;
    let guards: Vec<Option<RwLockReadGuard<GpuBuffer>>> = ins
        .iter()
        .map(|i| match i {
            In::T(t) => t.gpu().map(|g| g.read()),
            In::S(_) => None,
        })
        .collect();
    let strides: Vec<Vec<i64>> = ins
        .iter()
        .map(|i| match i {
            In::T(t) => broadcast_strides(t.shape(), t.strides(), shape).into_iter().map(|s| s as i64).collect(),
            In::S(_) => Vec::new(),
        })
        .collect();
    let mut operands = Vec::with_capacity(ins.len());
    for ((i, g), s) in ins.iter().zip(&guards).zip(&strides) {
        operands.push(match (i, g) {
            (In::T(t), Some(g)) => GpuOperand::Tensor { buf: g, offset: t.offset(), strides: s },
            (In::S(x), _) => GpuOperand::Scalar(*x),
            (In::T(_), None) => return Err(err("cuda", "internal: a CUDA tensor without device memory")),
        });
    }
    let outs = dev.launch_as(kernel, shape, &operands, dtype).map_err(|e| err("cuda", e))?;
    drop(operands);
    drop(guards);
    Ok((dev, outs))
}

fn device_of(ins: &[In]) -> Result<Arc<CudaDevice>> {
    ins.iter()
        .find_map(|i| match i {
            In::T(t) => t.gpu().map(|g| g.dev.clone()),
            In::S(_) => None,
        })
        .ok_or_else(|| err("cuda", "internal: a launch without a CUDA tensor"))
}

/// The one output of `kernel`, of the float result dtype of `ins`.
pub(super) fn one(kernel: &Kernel, shape: &[usize], ins: &[In]) -> Result<Tensor> {
    one_as(kernel, shape, ins, float_result(ins).unwrap_or(DType::F32))
}

/// The one output of `kernel`, of `dtype`.
pub(super) fn one_as(kernel: &Kernel, shape: &[usize], ins: &[In], dtype: DType) -> Result<Tensor> {
    launch(kernel, shape, ins, dtype)?.pop().ok_or_else(|| err("cuda", "internal: a kernel without outputs"))
}

fn unary(x: &Tensor, op: UnaryOp) -> Result<Tensor> {
    let k = Kernel { num_params: 1, insts: vec![Inst::Param(0), Inst::Unary(op, 0)], outputs: vec![1] };
    one(&k, x.shape(), &[In::T(x)])
}

/// The kernel that stores its one operand: by the launch's shape and
/// output dtype, a copy, a broadcast or a cast.
fn identity() -> Kernel {
    Kernel { num_params: 1, insts: vec![Inst::Param(0)], outputs: vec![0] }
}

/// A contiguous device copy of `x` (a float or `bool` tensor).
pub(super) fn copy(x: &Tensor) -> Result<Tensor> {
    one_as(&identity(), x.shape(), &[In::T(x)], x.dtype())
}

/// The accumulator a product with bias `t` adds to: `t` broadcast to
/// `shape` in a fresh contiguous buffer, float32 for a float16/bfloat16 `t`.
/// cuBLAS then adds the product to it in float32 and [`narrowed`] rounds
/// the sum once: with a narrow accumulator cuBLAS may round the product
/// before adding the bias (an H100 gave 0 for a bfloat16 `linear` whose
/// bias cancels the product to 1.2e-3).
pub(super) fn bias_accumulator(t: &Tensor, shape: &[usize]) -> Result<GpuBuffer> {
    let dtype = if matches!(t.dtype(), DType::F16 | DType::BF16) { DType::F32 } else { t.dtype() };
    launch_buffers(&identity(), shape, &[In::T(t)], dtype)?.1.pop().ok_or_else(|| err("cuda", "internal: a kernel without outputs"))
}

/// A product's buffer as a tensor of `dtype`: a float32 [`bias_accumulator`]
/// rounded to the operands' float16/bfloat16.
pub(super) fn narrowed(dev: Arc<CudaDevice>, buf: GpuBuffer, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let t = from_gpu(dev, buf, shape)?;
    cast(&t, dtype)?.ok_or_else(|| err("cuda", format!("internal: no device cast from {} to {dtype}", t.dtype())))
}

/// `x.to(dtype)` on the device, for float and `bool` tensors (`x` itself
/// when it already has that dtype); `None` for other dtypes.
pub(crate) fn cast(x: &Tensor, dtype: DType) -> Result<Option<Tensor>> {
    if x.dtype() == dtype {
        return Ok(Some(x.clone()));
    }
    if !can_store(x.dtype()) || !can_store(dtype) {
        return Ok(None);
    }
    one_as(&identity(), x.shape(), &[In::T(x)], dtype).map(Some)
}

/// `add`/`sub` (alpha 1), `mul`, `div` (no rounding mode), `maximum`,
/// `minimum` of a float CUDA tensor and a float CUDA tensor or a Python
/// number.
fn binary(a: &Args) -> Result<Option<Tensor>> {
    let op = match a.op {
        "add" => BinaryOp::Add,
        "sub" => BinaryOp::Sub,
        "mul" => BinaryOp::Mul,
        "div" => BinaryOp::Div,
        "maximum" => BinaryOp::Max,
        _ => BinaryOp::Min,
    };
    match a.vals.get(2) {
        None | Some(Value::None) => {}
        Some(Value::Int(1)) if matches!(op, BinaryOp::Add | BinaryOp::Sub) => {}
        Some(_) => return Ok(None),
    }
    let Some((shape, ins)) = tensor_and_other(a)? else { return Ok(None) };
    let k = Kernel { num_params: 2, insts: vec![Inst::Param(0), Inst::Param(1), Inst::Binary(op, 0, 1)], outputs: vec![2] };
    one(&k, &shape, &ins).map(Some)
}

/// A float CUDA tensor (argument 0) and a float CUDA tensor or a number
/// (argument 1), with their broadcast shape; `None` for other arguments.
fn tensor_and_other<'a>(a: &'a Args) -> Result<Option<(Vec<usize>, [In<'a>; 2])>> {
    let (Some(x), Some(other)) = (float_cuda(a.vals.first()), number_or_float(a.vals.get(1))) else { return Ok(None) };
    let shape = match &other {
        In::T(y) => broadcast_all(a.op, &[x.shape(), y.shape()])?,
        In::S(_) => x.shape().to_vec(),
    };
    Ok(Some((shape, [In::T(x), other])))
}

/// `eq`/`ne`/`lt`/`le`/`gt`/`ge` (and their aliases) of a float CUDA
/// tensor and a float CUDA tensor or a Python number: a `bool` tensor.
/// Every float dtype widens exactly to float32, so comparing there is
/// comparing in the promoted dtype.
fn compare(a: &Args) -> Result<Option<Tensor>> {
    let op = match a.op {
        "eq" => CmpOp::Eq,
        "ne" | "not_equal" => CmpOp::Ne,
        "lt" | "less" => CmpOp::Lt,
        "le" | "less_equal" => CmpOp::Le,
        "gt" | "greater" => CmpOp::Gt,
        _ => CmpOp::Ge,
    };
    let Some((shape, ins)) = tensor_and_other(a)? else { return Ok(None) };
    use Inst::*;
    let insts = vec![Param(0), Param(1), Compare(op, 0, 1), Const(1.0), Const(0.0), Select(2, 3, 4)];
    one_as(&Kernel { num_params: 2, insts, outputs: vec![5] }, &shape, &ins, DType::Bool).map(Some)
}

/// `select(mask != 0, a, b)` over the broadcast shape of `ins`
/// (mask, a, b), of `dtype`, or `None` unless that shape is `want` (when given).
fn select3(ins: [In; 3], want: Option<&[usize]>, dtype: DType) -> Result<Option<Tensor>> {
    let shapes: Vec<&[usize]> = ins
        .iter()
        .filter_map(|i| match i {
            In::T(t) => Some(t.shape()),
            In::S(_) => None,
        })
        .collect();
    let shape = broadcast_all("where", &shapes)?;
    if want.is_some_and(|w| w != shape.as_slice()) {
        return Ok(None);
    }
    use Inst::*;
    let insts = vec![Param(0), Const(0.0), Compare(CmpOp::Ne, 0, 1), Param(1), Param(2), Select(2, 3, 4)];
    one_as(&Kernel { num_params: 3, insts, outputs: vec![5] }, &shape, &ins, dtype).map(Some)
}

/// `masked_fill(x, mask, value)`: a float `x`, a `bool` mask, a number
/// (or a float 0-d CUDA tensor); the result has `x`'s dtype.
fn masked_fill(a: &Args) -> Result<Option<Tensor>> {
    let (Some(x), Some(m)) = (float_cuda(a.vals.first()), bool_cuda(a.vals.get(1))) else { return Ok(None) };
    let value = match number_or_float(a.vals.get(2)) {
        Some(In::T(v)) if v.ndim() != 0 => return Ok(None),
        Some(v) => v,
        None => return Ok(None),
    };
    select3([In::T(m), value, In::T(x)], Some(x.shape()), x.dtype())
}

/// `where(cond, a, b)`: a `bool` condition, float tensors or numbers (at
/// least one float tensor, whose promoted dtype is the result's).
fn where_(a: &Args) -> Result<Option<Tensor>> {
    let Some(c) = bool_cuda(a.vals.first()) else { return Ok(None) };
    let (Some(x), Some(y)) = (number_or_float(a.vals.get(1)), number_or_float(a.vals.get(2))) else { return Ok(None) };
    let Some(dtype) = float_result(&[x, y]) else { return Ok(None) };
    select3([In::T(c), x, y], None, dtype)
}

/// `batch_norm` in eval mode (running statistics given, `training`
/// false): `(x - mean)·rsqrt(var + eps)·w + b` per channel (dim 1).
fn batch_norm(a: &Args) -> Result<Option<Tensor>> {
    // `batch_norm(input, running_mean, running_var, weight, bias, training,
    // momentum, eps)`; the 9-parameter `batch_norm.native` orders them otherwise.
    let Some(x) = float_cuda(a.vals.first()).filter(|_| a.vals.len() == 8) else { return Ok(None) };
    let (Ok(false), Some(c)) = (a.bool(5), x.shape().get(1).copied()) else { return Ok(None) };
    // The per-channel operands as [1, C, 1, ...] views.
    let channel = |i: usize| -> Result<Option<Option<Tensor>>> {
        match a.vals.get(i) {
            None | Some(Value::None) => Ok(Some(None)),
            v => match float_cuda(v) {
                Some(t) if t.shape() == [c] => {
                    let mut shape = vec![1; x.ndim()];
                    let mut strides = vec![0; x.ndim()];
                    shape[1] = c;
                    strides[1] = t.strides()[0];
                    Ok(Some(Some(t.as_strided(&shape, &strides, t.offset())?)))
                }
                _ => Ok(None),
            },
        }
    };
    let (Some(Some(mean)), Some(Some(var)), Some(w), Some(b)) = (channel(1)?, channel(2)?, channel(3)?, channel(4)?) else { return Ok(None) };
    let eps = a.float(7)?;
    use Inst::*;
    let insts = vec![
        Param(0),
        Param(1),
        Binary(BinaryOp::Sub, 0, 1),
        Param(2),
        Const(eps),
        Binary(BinaryOp::Add, 3, 4),
        Unary(UnaryOp::Rsqrt, 5),
        Binary(BinaryOp::Mul, 2, 6),
    ];
    with_affine(insts, vec![In::T(x), In::T(&mean), In::T(&var)], w.as_ref(), b.as_ref(), x)
}

/// Runs a normalization kernel of `x` whose last value is `y`, extended to
/// `y·w + b` (each when given) with `w` and `b` as the next operands; the
/// result has `x`'s shape and dtype.
fn with_affine<'a>(mut insts: Vec<Inst>, mut ins: Vec<In<'a>>, w: Option<&'a Tensor>, b: Option<&'a Tensor>, x: &Tensor) -> Result<Option<Tensor>> {
    for (t, op) in [(w, BinaryOp::Mul), (b, BinaryOp::Add)] {
        if let Some(t) = t {
            let y = insts.len() as u32 - 1;
            insts.push(Inst::Param(ins.len() as u32));
            insts.push(Inst::Binary(op, y, insts.len() as u32 - 1));
            ins.push(In::T(t));
        }
    }
    let out = insts.len() as u32 - 1;
    one_as(&Kernel { num_params: ins.len() as u32, insts, outputs: vec![out] }, x.shape(), &ins, x.dtype()).map(Some)
}

/// The most device copies one `cat` makes (one per input per outer index).
const MAX_CAT_COPIES: usize = 1024;

/// `cat`/`stack` of contiguous CUDA tensors of one dtype and shape
/// (except along `dim`, for `cat`): range copies on the device.
fn cat(a: &Args) -> Result<Option<Tensor>> {
    let Ok(ts) = a.tensors(0) else { return Ok(None) };
    let Some(first) = ts.first() else { return Ok(None) };
    let stack = a.op == "stack";
    let rank = first.ndim() + stack as usize;
    let dim = a.int(1)?;
    let d = if dim < 0 { dim + rank as i64 } else { dim };
    if d < 0 || d as usize >= rank.max(1) || ts.iter().any(|t| t.device() != first.device() || t.dtype() != first.dtype() || !t.is_contiguous() || t.numel() == 0) {
        return Ok(None);
    }
    let d = d as usize;
    // Each input as [outer, len_k, inner].
    let shape_of = |t: &Tensor| -> Vec<usize> {
        let mut s = t.shape().to_vec();
        if stack {
            s.insert(d, 1);
        }
        s
    };
    let base = shape_of(first);
    if ts.iter().any(|t| {
        let s = shape_of(t);
        s.len() != base.len() || s.iter().zip(&base).enumerate().any(|(i, (x, y))| i != d && x != y)
    }) {
        return Ok(None);
    }
    let outer: usize = base[..d].iter().product();
    let inner: usize = base[d + 1..].iter().product();
    let total: usize = ts.iter().map(|t| shape_of(t)[d]).sum();
    if outer * ts.len() > MAX_CAT_COPIES {
        return Ok(None);
    }
    let Some(g0) = first.gpu() else { return Ok(None) };
    let dev = g0.dev.clone();
    // SAFETY: the copies below write every element (the inputs tile the output).
    let mut out = unsafe { dev.alloc_uninit(first.dtype(), outer * total * inner) }.map_err(|e| err(a.op, e))?;
    let mut at = 0;
    for t in &ts {
        let len = shape_of(t)[d] * inner;
        let Some(g) = t.gpu() else { return Ok(None) };
        let src = g.read();
        for o in 0..outer {
            dev.copy_range(&src, t.offset() + o * len, &mut out, o * total * inner + at, len).map_err(|e| err(a.op, e))?;
        }
        at += len;
    }
    let mut shape = base;
    shape[d] = total;
    from_gpu(dev, out, &shape).map(Some)
}

/// `reshape`/`flatten`: a view when the strides allow, else of a device copy.
fn reshape(ov: &Overload, a: &Args) -> Result<Option<Value>> {
    let Some(Value::Tensor(x)) = a.vals.first() else { return Ok(None) };
    if x.is_contiguous() {
        // Only viewed: the CPU op reads no elements.
        return (ov.run)(a).map(Some);
    }
    if !can_store(x.dtype()) {
        return Ok(None);
    }
    let mut vals = a.vals.clone();
    vals[0] = Value::Tensor(copy(x)?);
    (ov.run)(&Args { op: a.op, vals }).map(Some)
}

/// The row kernel of `softmax`/`log_softmax(x, dim=-1)`.
fn softmax(a: &Args) -> Result<Option<Tensor>> {
    let Some(x) = float_cuda(a.vals.first()) else { return Ok(None) };
    let last = x.ndim() as i64 - 1;
    match (a.opt_int(1)?, a.vals.get(3)) {
        (Some(d), None | Some(Value::None)) if d == last || d == -1 && x.ndim() > 0 => {}
        _ => return Ok(None),
    }
    if x.shape().last() == Some(&0) || x.numel() == 0 {
        return Ok(None);
    }
    use Inst::*;
    let mut insts = vec![Param(0), Reduce(ReduceOp::Max, 0), Binary(BinaryOp::Sub, 0, 1), Unary(UnaryOp::Exp, 2), Reduce(ReduceOp::Sum, 3)];
    if a.op == "softmax" {
        insts.push(Binary(BinaryOp::Div, 3, 4));
    } else {
        insts.extend([Unary(UnaryOp::Log, 4), Binary(BinaryOp::Sub, 2, 5)]);
    }
    let out = insts.len() as u32 - 1;
    one_as(&Kernel { num_params: 1, insts, outputs: vec![out] }, x.shape(), &[In::T(x)], x.dtype()).map(Some)
}

/// The row kernel of `layer_norm(x, [n], weight, bias, eps)` over the last dim.
fn layer_norm(a: &Args) -> Result<Option<Tensor>> {
    let Some(x) = float_cuda(a.vals.first()) else { return Ok(None) };
    let n = match a.ints(1)?.as_slice() {
        [n] if x.shape().last().map(|&l| l as i64) == Some(*n) && *n > 0 => *n as usize,
        _ => return Ok(None),
    };
    let eps = a.float(4)?;
    let affine = |i: usize| match a.vals.get(i) {
        None | Some(Value::None) => Ok(None),
        v => match float_cuda(v) {
            Some(t) if t.shape() == [n] && t.dtype() == x.dtype() => Ok(Some(t)),
            _ => Err(()),
        },
    };
    let (Ok(w), Ok(b)) = (affine(2), affine(3)) else { return Ok(None) };
    use Inst::*;
    // x, mean, d = x - mean, var, rstd, y = d * rstd [* w] [+ b]
    let insts = vec![
        Param(0),
        Reduce(ReduceOp::Sum, 0),
        RowLen,
        Binary(BinaryOp::Div, 1, 2),
        Binary(BinaryOp::Sub, 0, 3),
        Binary(BinaryOp::Mul, 4, 4),
        Reduce(ReduceOp::Sum, 5),
        Binary(BinaryOp::Div, 6, 2),
        Const(eps),
        Binary(BinaryOp::Add, 7, 8),
        Unary(UnaryOp::Rsqrt, 9),
        Binary(BinaryOp::Mul, 4, 10),
    ];
    with_affine(insts, vec![In::T(x)], w, b, x)
}
