//! Running a registry op on CUDA tensors. `ops::invoke` sends every call
//! whose arguments hold a CUDA tensor here:
//!
//! 1. Ops that only look at geometry or move tensors between devices
//!    (views, `size`, `to`, `cpu`, ...) run their ordinary implementation:
//!    it never reads elements, so the result is a view of the same device
//!    memory (`METADATA_OPS`).
//! 2. Otherwise all tensors must be on one device (0-d CPU tensors
//!    excepted, as in PyTorch), and `native.rs` runs the op on the device
//!    when it has a kernel for it (elementwise math, masks, row kernels,
//!    products, convolution, joins, copies).
//! 3. Anything else runs on the CPU through host mirrors: each CUDA storage
//!    the arguments use is downloaded once (so views of one storage still
//!    alias), the CPU op runs, storages it wrote are written back, and
//!    tensor results move to the device (a result that is a view of an
//!    argument becomes the same view of the device storage). Slow but
//!    exact: every op works on CUDA tensors, with the CPU's numbers.

use super::tensor::{download_storage, err, upload, write_back};
use crate::ops::{Args, Overload};
use crate::storage::{Buffer, Storage};
use crate::{Device, Result, Tensor, Value};
use std::sync::Arc;

/// Ops whose implementation reads no elements.
const METADATA_OPS: &[&str] = &[
    "to", "cpu", "cuda", "prim_device", "size", "dim", "numel", "prim_dtype", "view", "transpose", "permute", "unsqueeze",
    "squeeze", "expand", "expand_as", "t", "select", "slice", "narrow", "unbind", "split", "chunk", "movedim", "detach", "view_as",
    "is_floating_point", "len", "getitem", "__getitem__", "append", "_unwrap_optional",
];

/// Whether `v` holds a tensor on a CUDA device (lists and tuples searched).
pub fn holds_cuda(v: &Value) -> bool {
    match v {
        Value::Tensor(t) => t.device() != Device::Cpu,
        Value::List(vs) | Value::Tuple(vs) => vs.iter().any(holds_cuda),
        _ => false,
    }
}

/// Runs `ov` on `args`, some of which are CUDA tensors.
pub fn dispatch(ov: &Overload, args: &Args) -> Result<Value> {
    if METADATA_OPS.contains(&args.op) {
        return (ov.run)(args);
    }
    let device = common_device(args.op, &args.vals)?;
    if let Some(v) = super::native::run(ov, args)? {
        return Ok(v);
    }
    log_fallback(args);
    HOST_RUNS.with(|n| n.set(n.get() + 1));
    on_host(ov, args, device)
}

thread_local! {
    static HOST_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many ops with CUDA arguments this thread has run through the host
/// (module doc, 3): tests use it to check that an op ran on the device.
pub fn host_runs() -> usize {
    HOST_RUNS.with(|n| n.get())
}

/// With `TSC_CUDA_LOG_FALLBACK=1`: prints each op (with its argument
/// dtypes) the first time it runs through the host, to find the ops that
/// want a device kernel.
fn log_fallback(args: &Args) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static ON: OnceLock<bool> = OnceLock::new();
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    if !*ON.get_or_init(|| std::env::var("TSC_CUDA_LOG_FALLBACK").is_ok_and(|v| v == "1")) {
        return;
    }
    let sig: Vec<String> = args
        .vals
        .iter()
        .map(|v| match v {
            Value::Tensor(t) => format!("{}{:?}@{}", t.dtype(), t.shape(), t.device()),
            v => v.type_name(),
        })
        .collect();
    let key = format!("{}({})", args.op, sig.join(", "));
    if let Ok(mut seen) = SEEN.lock() {
        if seen.get_or_insert_with(HashSet::new).insert(key.clone()) {
            eprintln!("cuda fallback: {key}");
        }
    }
}

/// The one CUDA device of the tensors in `vals`; `Err` as PyTorch's when
/// they are on several (0-d CPU tensors go with any device).
fn common_device(op: &str, vals: &[Value]) -> Result<Device> {
    fn walk(v: &Value, found: &mut Vec<Device>) {
        match v {
            Value::Tensor(t) if !(t.device() == Device::Cpu && t.ndim() == 0) => {
                if !found.contains(&t.device()) {
                    found.push(t.device());
                }
            }
            Value::List(vs) | Value::Tuple(vs) => vs.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    vals.iter().for_each(|v| walk(v, &mut found));
    found.sort_by_key(|d| matches!(d, Device::Cpu));
    match found.as_slice() {
        [d] => Ok(*d),
        [a, b, ..] => Err(err(op, format!("Expected all tensors to be on the same device, but found at least two devices, {a} and {b}!"))),
        [] => Err(err(op, "internal: no CUDA tensor among the arguments")),
    }
}

/// A CUDA storage and its downloaded copy.
struct Mirror {
    device: Arc<Storage>,
    host: Arc<Storage>,
    before: Buffer,
}

/// Runs the CPU op on host mirrors of the CUDA arguments (module doc, 3).
fn on_host(ov: &Overload, args: &Args, device: Device) -> Result<Value> {
    let mut mirrors: Vec<Mirror> = Vec::new();
    let vals = args.vals.iter().map(|v| to_host(v, &mut mirrors)).collect::<Result<Vec<_>>>()?;
    let out = (ov.run)(&Args { op: args.op, vals })?;
    for m in &mirrors {
        let now = m.host.read();
        if *now != m.before {
            write_back(&m.device, &now)?;
        }
    }
    let Device::Cuda(i) = device else { return Ok(out) };
    let dev = super::device(i).map_err(|e| err(args.op, e))?;
    to_device(out, &mirrors, &dev)
}

fn to_host(v: &Value, mirrors: &mut Vec<Mirror>) -> Result<Value> {
    Ok(match v {
        Value::Tensor(t) if t.device() != Device::Cpu => {
            let k = match mirrors.iter().position(|m| Arc::ptr_eq(&m.device, t.storage())) {
                Some(k) => k,
                None => {
                    let host = download_storage(t.storage())?;
                    let before = host.read().clone();
                    mirrors.push(Mirror { device: t.storage().clone(), host: Arc::new(host), before });
                    mirrors.len() - 1
                }
            };
            Value::Tensor(Tensor::from_storage(mirrors[k].host.clone(), t.shape(), t.strides(), t.offset())?)
        }
        Value::List(vs) => Value::List(vs.iter().map(|v| to_host(v, mirrors)).collect::<Result<_>>()?),
        Value::Tuple(vs) => Value::Tuple(vs.iter().map(|v| to_host(v, mirrors)).collect::<Result<_>>()?),
        v => v.clone(),
    })
}

fn to_device(v: Value, mirrors: &[Mirror], dev: &Arc<super::CudaDevice>) -> Result<Value> {
    Ok(match v {
        Value::Tensor(t) if t.device() != Device::Cpu => Value::Tensor(t),
        Value::Tensor(t) => match mirrors.iter().find(|m| Arc::ptr_eq(&m.host, t.storage())) {
            Some(m) => Value::Tensor(Tensor::from_storage(m.device.clone(), t.shape(), t.strides(), t.offset())?),
            None => Value::Tensor(upload(dev, &t)?),
        },
        Value::List(vs) => Value::List(vs.into_iter().map(|v| to_device(v, mirrors, dev)).collect::<Result<_>>()?),
        Value::Tuple(vs) => Value::Tuple(vs.into_iter().map(|v| to_device(v, mirrors, dev)).collect::<Result<_>>()?),
        v => v,
    })
}

/// `dst.assign(src)` where either is on a CUDA device: through the host
/// (see [`mutate_on_host`]).
pub fn assign(dst: &Tensor, src: &Tensor) -> Result<()> {
    let src = src.to_device(Device::Cpu)?;
    mutate_on_host(dst, |h| h.assign(&src))
}

/// Runs `f` on a host view of `x` (a CPU tensor: itself); for a CUDA
/// tensor the view is of a downloaded copy of its storage, written back
/// after `f` succeeds.
pub fn mutate_on_host(x: &Tensor, f: impl FnOnce(&Tensor) -> Result<()>) -> Result<()> {
    if x.device() == Device::Cpu {
        return f(x);
    }
    let host = Arc::new(download_storage(x.storage())?);
    f(&Tensor::from_storage(host.clone(), x.shape(), x.strides(), x.offset())?)?;
    let buf = host.read();
    write_back(x.storage(), &buf)
}
