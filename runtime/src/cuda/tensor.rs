//! Tensors on CUDA devices: the process-wide device table, moving tensors
//! between the host and devices (`Tensor::to_device`), and the host
//! mirrors through which `dispatch.rs` runs CPU ops on CUDA tensors.
//!
//! A CUDA tensor is an ordinary [`Tensor`] (dtype, shape, strides, offset)
//! over a [`Storage`] whose elements are a [`GpuBuffer`]; views are made
//! by the same code as on the CPU and never copy.

use super::device::{CudaDevice, GpuBuffer};
use crate::storage::{Buffer, Storage};
use crate::{Device, Error, Result, Tensor};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The opened devices, by ordinal: each is opened once per process.
static DEVICES: OnceLock<Mutex<HashMap<usize, Arc<CudaDevice>>>> = OnceLock::new();

/// Device `cuda:ordinal`, opened on first use; `Err` says why it cannot be.
pub fn device(ordinal: usize) -> std::result::Result<Arc<CudaDevice>, String> {
    let table = DEVICES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut t = table.lock().map_err(|_| "cuda: device table poisoned".to_string())?;
    if let Some(d) = t.get(&ordinal) {
        return Ok(d.clone());
    }
    let d = Arc::new(CudaDevice::open(ordinal)?);
    t.insert(ordinal, d.clone());
    Ok(d)
}

/// Waits until all work queued on `device` is done (nothing for the CPU,
/// or a CUDA device never opened).
pub fn synchronize(device: Device) -> Result<()> {
    let Device::Cuda(i) = device else { return Ok(()) };
    let opened = DEVICES.get().and_then(|t| t.lock().ok().and_then(|t| t.get(&i).cloned()));
    match opened {
        Some(d) => d.synchronize().map_err(|e| err("synchronize", e)),
        None => Ok(()),
    }
}

/// A device error as the op error of `op`.
pub(crate) fn err(op: &str, e: impl std::fmt::Display) -> Error {
    Error::op(op, e)
}

impl Tensor {
    /// This tensor on `device`: itself when it is already there, else a
    /// copy (contiguous on a CUDA device; the same view of the downloaded
    /// storage on the CPU). Errors name the device and why it is unusable.
    pub fn to_device(&self, device: Device) -> Result<Tensor> {
        let here = self.device();
        if here == device {
            return Ok(self.clone());
        }
        match (here, device) {
            (Device::Cpu, Device::Cuda(i)) => {
                let dev = super::device(i).map_err(|e| err("to", format!("device cuda:{i} is not available: {e}")))?;
                upload(&dev, self)
            }
            (Device::Cuda(_), Device::Cpu) => download(self),
            (Device::Cuda(_), Device::Cuda(_)) => download(self)?.to_device(device),
            (Device::Cpu, Device::Cpu) => Ok(self.clone()),
        }
    }

    /// The device buffer and its device, for a CUDA tensor.
    pub fn gpu(&self) -> Option<&crate::storage::GpuMem> {
        self.storage().gpu()
    }
}

/// A contiguous copy of host tensor `t` on `dev`.
pub(crate) fn upload(dev: &Arc<CudaDevice>, t: &Tensor) -> Result<Tensor> {
    let c = t.contiguous();
    let g = c.storage().read();
    let bytes = g.as_bytes();
    let size = c.dtype().size();
    let lo = c.offset() * size;
    let window = bytes.get(lo..lo + c.numel() * size).ok_or_else(|| err("to", "internal: a tensor view reaches past its storage"))?;
    let buf = dev.upload_raw(c.dtype(), window).map_err(|e| err("to", e))?;
    drop(g);
    from_gpu(dev.clone(), buf, t.shape())
}

/// A contiguous CUDA tensor of `shape` over all of `buf`.
pub(crate) fn from_gpu(dev: Arc<CudaDevice>, buf: GpuBuffer, shape: &[usize]) -> Result<Tensor> {
    let strides = crate::shape::contiguous_strides(shape);
    Tensor::from_storage(Arc::new(Storage::cuda(dev, buf)), shape, &strides, 0)
}

/// The host storage holding a copy of CUDA storage `s`'s elements.
pub(crate) fn download_storage(s: &Storage) -> Result<Storage> {
    let gpu = s.gpu().ok_or_else(|| err("cpu", "internal: not a CUDA storage"))?;
    let bytes = gpu.dev.download_raw(&gpu.read()).map_err(|e| err("cpu", e))?;
    // Device memory holds what `Buffer::as_bytes` uploaded or the kernels
    // wrote: little-endian, as every CUDA host is.
    let buf = crate::io::bytes_to_buffer(s.dtype(), &bytes).ok_or_else(|| err("cpu", "internal: a device buffer of partial elements"))?;
    Ok(Storage::new(buf))
}

/// CUDA tensor `t` on the host: the same view of a downloaded copy of its
/// storage.
fn download(t: &Tensor) -> Result<Tensor> {
    let host = Arc::new(download_storage(t.storage())?);
    Tensor::from_storage(host, t.shape(), t.strides(), t.offset())
}

/// Overwrites CUDA storage `s` with host buffer `b` (same dtype and length).
pub(crate) fn write_back(s: &Storage, b: &Buffer) -> Result<()> {
    let gpu = s.gpu().ok_or_else(|| err("copy_", "internal: not a CUDA storage"))?;
    let mut g = gpu.write();
    gpu.dev.write_raw(&mut g, b.as_bytes()).map_err(|e| err("copy_", e))
}
