//! One CUDA device: a context and one stream, typed device buffers,
//! copies, event timing, and the cache of NVRTC-compiled modules that
//! `launch.rs` (kernel-IR kernels) and `blas.rs` use.
//!
//! Memory comes from the stream-ordered allocator (`cuMemAllocAsync`) of
//! the device's default pool, whose release threshold `open` raises so
//! that freed blocks stay cached in the pool between calls (the driver's
//! caching allocator, like PyTorch's). Event tracking is off: all work runs
//! on the one stream, in order.

use super::nvrtc::{compile, Image};
use super::{available, guard};
use crate::DType;
use cudarc::driver::sys::{CUdevice_attribute, CUevent_flags};
use cudarc::driver::{CudaContext, CudaFunction, CudaSlice, CudaStream, CudaView, CudaViewMut};
use cudarc::nvrtc::Ptx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A CUDA context on one device, with one stream that every call here uses.
pub struct CudaDevice {
    pub(super) ctx: Arc<CudaContext>,
    pub(super) stream: Arc<CudaStream>,
    ordinal: usize,
    arch: String,
    name: String,
    pub(super) multiprocessors: u32,
    /// Loaded kernels by (generated source, kernel name).
    kernels: Mutex<HashMap<(String, String), Arc<Loaded>>>,
    /// Loaded kernel-IR kernels by specialization (`launch.rs`).
    pub(super) launches: super::kernel_cache::LaunchCache,
    /// The cuBLAS handle, made on first use (`blas.rs`).
    pub(super) blas: std::sync::OnceLock<Result<cudarc::cublas::CudaBlas, String>>,
}

/// The two kernels of one generated source: `NAME` and `NAME_contig`.
pub(super) struct Loaded {
    pub strided: CudaFunction,
    pub contig: CudaFunction,
}

/// A buffer of `len` elements of one dtype in device memory (bytes, viewed
/// as the element type by the kernels). Holds at least one byte of
/// allocation, so an empty buffer is valid too.
pub struct GpuBuffer {
    data: CudaSlice<u8>,
    len: usize,
    dtype: DType,
}

impl std::fmt::Debug for GpuBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuBuffer({} x {})", self.dtype, self.len)
    }
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaDevice({}, {})", self.name, self.arch)
    }
}

impl GpuBuffer {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The elements from `offset` on as `T`, which must have the dtype's
    /// size (a float16/bfloat16 buffer as `u16` bits, a bool one as `u8`).
    pub(super) fn view<T: cudarc::driver::DeviceRepr>(&self, offset: usize) -> Result<CudaView<'_, T>, String> {
        if std::mem::size_of::<T>() != self.dtype.size() || offset > self.len {
            return Err(format!("cuda: a {}-byte view at {offset} of a {} buffer of {}", std::mem::size_of::<T>(), self.dtype, self.len));
        }
        // SAFETY: the allocation holds `len` elements of `T`'s size
        // (aligned: the driver aligns allocations to 256 bytes).
        let all = unsafe { self.data.transmute::<T>(self.len) }.ok_or("cuda: buffer smaller than its length")?;
        Ok(all.slice(offset..))
    }

    /// All elements as mutable `T` (of the dtype's size, as [`Self::view`]).
    pub(super) fn view_mut<T: cudarc::driver::DeviceRepr>(&mut self) -> Result<CudaViewMut<'_, T>, String> {
        if std::mem::size_of::<T>() != self.dtype.size() {
            return Err(format!("cuda: a {}-byte output view of a {} buffer", std::mem::size_of::<T>(), self.dtype));
        }
        // SAFETY: as in `view`.
        unsafe { self.data.transmute_mut::<T>(self.len) }.ok_or_else(|| "cuda: buffer smaller than its length".into())
    }

    /// The raw device address of element 0 (for driver calls cudarc does
    /// not wrap, such as 3-d copies).
    pub(super) fn raw_ptr(&self, stream: &CudaStream) -> cudarc::driver::sys::CUdeviceptr {
        use cudarc::driver::DevicePtr;
        // Event tracking is off (`open`), so the guard orders nothing.
        self.data.device_ptr(stream).0
    }
}

fn as_bytes(data: &[f32]) -> &[u8] {
    // SAFETY: any f32 is 4 plain bytes.
    unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data)) }
}

pub(super) fn drv<T>(what: &str, r: Result<T, cudarc::driver::DriverError>) -> Result<T, String> {
    r.map_err(|e| format!("cuda: {what} failed: {e}"))
}

impl CudaDevice {
    /// Opens device `ordinal` (its primary context and default stream).
    pub fn open(ordinal: usize) -> Result<CudaDevice, String> {
        available()?;
        guard("cuda: open", || {
            let ctx = drv("creating the context", CudaContext::new(ordinal))?;
            let (major, minor) = drv("reading the compute capability", ctx.compute_capability())?;
            let name = drv("reading the device name", ctx.name())?;
            let sms = drv(
                "reading the multiprocessor count",
                ctx.attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
            )?;
            // SAFETY: everything runs on the one stream below, in order, so
            // the per-buffer events that order multiple streams are not needed.
            unsafe { ctx.disable_event_tracking() };
            keep_pool_memory(ordinal);
            let stream = ctx.default_stream();
            Ok(CudaDevice {
                ctx,
                stream,
                ordinal,
                arch: format!("sm_{major}{minor}"),
                name,
                multiprocessors: sms.max(1) as u32,
                kernels: Mutex::new(HashMap::new()),
                launches: Default::default(),
                blas: std::sync::OnceLock::new(),
            })
        })
    }

    /// The device's ordinal (`N` of `cuda:N`).
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    /// The NVRTC architecture of the device, e.g. `sm_90` for an H100.
    pub fn arch(&self) -> &str {
        &self.arch
    }

    /// The device's name, e.g. `NVIDIA H100 80GB HBM3`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many distinct kernel sources have been compiled and loaded.
    pub fn loaded_kernels(&self) -> usize {
        self.kernels.lock().map(|k| k.len()).unwrap_or(0)
    }

    /// Copies float32 `data` to a new device buffer.
    pub fn upload(&self, data: &[f32]) -> Result<GpuBuffer, String> {
        self.upload_raw(DType::F32, as_bytes(data))
    }

    /// Copies `bytes` (elements of `dtype` in the machine's order) to a new
    /// device buffer.
    pub fn upload_raw(&self, dtype: DType, bytes: &[u8]) -> Result<GpuBuffer, String> {
        let size = dtype.size();
        if bytes.len() % size != 0 {
            return Err(format!("cuda: {} bytes are not whole {dtype} elements", bytes.len()));
        }
        // SAFETY: every byte is written by the copy below.
        let mut buf = unsafe { self.alloc_uninit(dtype, bytes.len() / size) }?;
        if !bytes.is_empty() {
            guard("cuda: upload", || drv("host-to-device copy", self.stream.memcpy_htod(bytes, &mut buf.data)))?;
        }
        Ok(buf)
    }

    /// A new float32 device buffer of `len` zeros.
    pub fn alloc(&self, len: usize) -> Result<GpuBuffer, String> {
        self.alloc_zeros(DType::F32, len)
    }

    /// A new device buffer of `len` zero bytes' elements of `dtype`.
    pub fn alloc_zeros(&self, dtype: DType, len: usize) -> Result<GpuBuffer, String> {
        let bytes = len.checked_mul(dtype.size()).ok_or("cuda: allocation size overflows")?;
        guard("cuda: alloc", || {
            let data = drv("allocation", self.stream.alloc_zeros::<u8>(bytes.max(1)))?;
            Ok(GpuBuffer { data, len, dtype })
        })
    }

    /// A new device buffer of `len` elements of `dtype`, not initialized.
    ///
    /// # Safety
    /// The caller writes every element before anything reads it.
    pub(crate) unsafe fn alloc_uninit(&self, dtype: DType, len: usize) -> Result<GpuBuffer, String> {
        let bytes = len.checked_mul(dtype.size()).ok_or("cuda: allocation size overflows")?;
        guard("cuda: alloc", || {
            // SAFETY: the caller's contract.
            let data = drv("allocation", unsafe { self.stream.alloc::<u8>(bytes.max(1)) })?;
            Ok(GpuBuffer { data, len, dtype })
        })
    }

    /// A new buffer of `len` elements of `dtype`, each the bytes `elem`
    /// (see [`CudaDevice::fill`]); `None` when no memset writes `elem`.
    pub fn filled(&self, dtype: DType, len: usize, elem: &[u8]) -> Result<Option<GpuBuffer>, String> {
        if memset_period(elem).is_none() {
            return Ok(None);
        }
        // SAFETY: `fill` writes every element.
        let mut buf = unsafe { self.alloc_uninit(dtype, len) }?;
        self.fill(&mut buf, 0..len, elem)?;
        Ok(Some(buf))
    }

    /// Sets elements `range` of `buf` to the bytes `elem` (one element's,
    /// `buf.dtype().size()` of them) by one stream-ordered memset. `elem`
    /// must repeat with a period of 1, 2 or 4 bytes (not an 8-byte value
    /// whose halves differ).
    pub fn fill(&self, buf: &mut GpuBuffer, range: std::ops::Range<usize>, elem: &[u8]) -> Result<(), String> {
        let size = buf.dtype.size();
        if elem.len() != size {
            return Err(format!("cuda: a {} fill value of {} bytes", buf.dtype, elem.len()));
        }
        if range.start > range.end || range.end > buf.len {
            return Err(format!("cuda: fill of elements {range:?} of a buffer of {}", buf.len));
        }
        let period = memset_period(elem).ok_or_else(|| format!("cuda: no memset writes the {}-byte value {elem:?}", elem.len()))?;
        let bytes = range.len() * size;
        if bytes == 0 {
            return Ok(());
        }
        let (ptr, stream) = (buf.raw_ptr(&self.stream) + (range.start * size) as u64, self.stream.cu_stream());
        guard("cuda: fill", || {
            use cudarc::driver::sys;
            // SAFETY: `ptr` starts `bytes` inside `buf`, which outlives the
            // stream-ordered write (buffers are freed on this stream).
            let r = unsafe {
                match period {
                    1 => sys::cuMemsetD8Async(ptr, elem[0], bytes, stream),
                    2 => sys::cuMemsetD16Async(ptr, u16::from_ne_bytes([elem[0], elem[1]]), bytes / 2, stream),
                    _ => sys::cuMemsetD32Async(ptr, u32::from_ne_bytes([elem[0], elem[1], elem[2], elem[3]]), bytes / 4, stream),
                }
            };
            drv("memset", r.result())
        })
    }

    /// Copies a float32 `buf` back to the host (waits for the stream).
    pub fn download(&self, buf: &GpuBuffer) -> Result<Vec<f32>, String> {
        if buf.dtype != DType::F32 {
            return Err(format!("cuda: download of a {} buffer as float32", buf.dtype));
        }
        let bytes = self.download_raw(buf)?;
        Ok(bytes.chunks_exact(4).map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Copies `buf`'s elements back to the host as bytes (waits for the stream).
    pub fn download_raw(&self, buf: &GpuBuffer) -> Result<Vec<u8>, String> {
        let n = buf.len * buf.dtype.size();
        let mut out = vec![0u8; n];
        if n > 0 {
            guard("cuda: download", || {
                drv("device-to-host copy", self.stream.memcpy_dtoh(&buf.data.slice(0..n), &mut out))?;
                drv("stream synchronize", self.stream.synchronize())
            })?;
        }
        Ok(out)
    }

    /// Overwrites all of `dst` with `bytes` (the same length and dtype).
    pub fn write_raw(&self, dst: &mut GpuBuffer, bytes: &[u8]) -> Result<(), String> {
        if bytes.len() != dst.len * dst.dtype.size() {
            return Err(format!("cuda: writing {} bytes into a {} buffer of {}", bytes.len(), dst.dtype, dst.len));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        guard("cuda: upload", || {
            let mut view = dst.data.slice_mut(0..bytes.len());
            drv("host-to-device copy", self.stream.memcpy_htod(bytes, &mut view))?;
            // The host bytes may be freed when this returns.
            drv("stream synchronize", self.stream.synchronize())
        })
    }

    /// Copies elements `src[so..so + len]` to `dst[dof..dof + len]` (same dtype).
    pub fn copy_range(&self, src: &GpuBuffer, so: usize, dst: &mut GpuBuffer, dof: usize, len: usize) -> Result<(), String> {
        let size = src.dtype.size();
        if src.dtype != dst.dtype || so + len > src.len || dof + len > dst.len {
            return Err(format!("cuda: copy of {len} elements from {so} of {:?} to {dof} of {:?}", src, dst));
        }
        if len == 0 {
            return Ok(());
        }
        guard("cuda: copy", || {
            let from = src.data.slice(so * size..(so + len) * size);
            let mut to = dst.data.slice_mut(dof * size..(dof + len) * size);
            drv("device-to-device copy", self.stream.memcpy_dtod(&from, &mut to))
        })
    }

    /// A device-side copy of all of `src`.
    pub fn duplicate(&self, src: &GpuBuffer) -> Result<GpuBuffer, String> {
        let n = src.len * src.dtype.size();
        // SAFETY: the copy writes every byte.
        let mut out = unsafe { self.alloc_uninit(src.dtype, src.len) }?;
        if n > 0 {
            guard("cuda: copy", || drv("device-to-device copy", self.stream.memcpy_dtod(&src.data.slice(0..n), &mut out.data.slice_mut(0..n))))?;
        }
        Ok(out)
    }

    /// Waits until all work on the stream is done.
    pub fn synchronize(&self) -> Result<(), String> {
        guard("cuda: synchronize", || drv("stream synchronize", self.stream.synchronize()))
    }

    /// Milliseconds the stream spends on the work `f` enqueues, measured
    /// with CUDA events (waits for it to finish).
    pub fn time_ms(&self, f: impl FnOnce(&CudaDevice) -> Result<(), String>) -> Result<f32, String> {
        let flags = Some(CUevent_flags::CU_EVENT_DEFAULT);
        let start = guard("cuda: event", || drv("event record", self.stream.record_event(flags)))?;
        f(self)?;
        guard("cuda: event", || {
            let end = drv("event record", self.stream.record_event(flags))?;
            drv("event synchronize", end.synchronize())?;
            drv("event elapsed time", start.elapsed_ms(&end))
        })
    }

    /// The kernels `name` and `name_contig` of `src`, compiled and loaded
    /// on first use.
    pub(super) fn load(&self, src: &str, name: &str) -> Result<Arc<Loaded>, String> {
        let key = (src.to_string(), name.to_string());
        if let Some(l) = self.kernels.lock().map_err(|_| "cuda: kernel cache poisoned")?.get(&key) {
            return Ok(l.clone());
        }
        let compiled = compile(src, &self.arch)?;
        let ptx = match compiled.image {
            Image::Cubin(bytes) => Ptx::from_binary(bytes),
            Image::Ptx(text) => Ptx::from_src(text),
        };
        let loaded = guard("cuda: load module", || {
            let module = drv("module load", self.ctx.load_module(ptx))?;
            let strided = drv("function lookup", module.load_function(name))?;
            let contig = drv("function lookup", module.load_function(&format!("{name}_contig")))?;
            Ok(Arc::new(Loaded { strided, contig }))
        })?;
        self.kernels.lock().map_err(|_| "cuda: kernel cache poisoned")?.insert(key, loaded.clone());
        Ok(loaded)
    }
}

/// The shortest period (1, 2 or 4 bytes) with which `elem` repeats.
fn memset_period(elem: &[u8]) -> Option<usize> {
    [1, 2, 4].into_iter().find(|&p| p <= elem.len() && elem.len().is_multiple_of(p) && elem.chunks(p).all(|c| c == &elem[..p]))
}

/// Raises the release threshold of `ordinal`'s default memory pool so
/// that memory freed back to it stays reserved for the next allocation
/// instead of returning to the driver at every synchronization. Best
/// effort: without it, allocation still works, only slower.
fn keep_pool_memory(ordinal: usize) {
    use cudarc::driver::sys;
    let mut pool = std::ptr::null_mut();
    // SAFETY: plain driver calls with out-pointers to locals; the context
    // of `ordinal` is current (made by `CudaContext::new`).
    unsafe {
        let mut dev = 0;
        if sys::cuDeviceGet(&mut dev, ordinal as i32) != sys::CUresult::CUDA_SUCCESS {
            return;
        }
        if sys::cuDeviceGetDefaultMemPool(&mut pool, dev) != sys::CUresult::CUDA_SUCCESS {
            return;
        }
        let mut threshold: u64 = u64::MAX;
        let _ = sys::cuMemPoolSetAttribute(
            pool,
            sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
            (&mut threshold as *mut u64).cast(),
        );
    }
}
