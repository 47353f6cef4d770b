//! Tensors of one repeated value made on the device: the factories on a
//! CUDA device (`zeros`, `ones`, `full`, `scalar_tensor`, through
//! `ops::creation`) and `*_like`/`new_*` of a CUDA tensor. One
//! stream-ordered memset each: no host buffer, no host-to-device copy and,
//! for `*_like`/`new_*`, no download of the input (the host path reads
//! every argument back).

use super::tensor::{device, err, from_gpu};
use crate::ops::creation::{full, size_arg};
use crate::ops::Args;
use crate::{DType, Device, Result, Scalar, Tensor, Value};

/// A contiguous CUDA tensor of `shape` on `dev`, every element the one
/// element of the host tensor `one` (converted and range-checked by the
/// caller); `None` when `dev` is the CPU or no memset writes that element
/// (an 8-byte value whose halves differ).
pub fn filled(dev: Device, one: &Tensor, shape: &[usize]) -> Result<Option<Tensor>> {
    let Device::Cuda(i) = dev else {
        return Ok(None);
    };
    let cuda =
        device(i).map_err(|e| err("full", format!("device cuda:{i} is not available: {e}")))?;
    let elem = {
        let one = one.contiguous();
        let g = one.storage().read();
        let size = one.dtype().size();
        let lo = one.offset() * size;
        g.as_bytes().get(lo..lo + size).map(<[u8]>::to_vec)
    };
    let elem = elem.ok_or_else(|| err("full", "internal: the fill value is not one element"))?;
    let n = crate::shape::checked_numel("full", shape)?;
    match cuda
        .filled(one.dtype(), n, &elem)
        .map_err(|e| err("full", e))?
    {
        Some(buf) => from_gpu(cuda, buf, shape).map(Some),
        None => Ok(None),
    }
}

/// `zeros_like`, `ones_like`, `empty_like`, `full_like`, `new_zeros`,
/// `new_ones`, `new_empty`, `new_full` of a CUDA tensor, on its device
/// (unless `device=` names another); `None` otherwise.
pub(super) fn like(a: &Args) -> Result<Option<Tensor>> {
    let Some(Value::Tensor(x)) = a.vals.first() else {
        return Ok(None);
    };
    let new = a.op.starts_with("new_");
    let fill_at = usize::from(new) + 1;
    let (value, rest) = match a.op {
        "zeros_like" | "empty_like" | "new_zeros" | "new_empty" => (Scalar::Int(0), fill_at),
        "ones_like" | "new_ones" => (Scalar::Int(1), fill_at),
        "full_like" | "new_full" => (a.scalar(fill_at)?, fill_at + 1),
        _ => return Ok(None),
    };
    let dev = match a.vals.get(rest + 1) {
        None | Some(Value::None) => x.device(),
        Some(Value::Device(d)) => *d,
        Some(_) => return Ok(None),
    };
    let dtype: DType = a.opt_dtype(rest)?.unwrap_or(x.dtype());
    let shape = if new {
        size_arg(a.op, &a.ints(1)?)?
    } else {
        x.shape().to_vec()
    };
    filled(dev, &full(&[], value, Some(dtype))?, &shape)
}
