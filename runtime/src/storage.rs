//! Typed CPU buffers, the `Element` trait that connects Rust types to
//! `DType`s, and `Storage`: a buffer shared (`Arc`) by every view of it.
//!
//! A buffer's elements are a [`Data<T>`] (`storage/data.rs`): an owned
//! `Vec<T>` or a read-only window into a memory-mapped file (the weights of
//! a loaded `.tsg`), copied on the first write.
//!
//! Invariant: a `Storage`'s buffer never changes length or dtype after
//! creation; views index into it with (offset, strides) that the tensor
//! constructor checked against that length.

mod data;

pub use data::Data;

use crate::{DType, Device};
use half::{bf16, f16};
use memmap2::Mmap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

impl GpuMem {
    /// Shared access to the device buffer (a poisoned lock still reads).
    pub fn read(&self) -> RwLockReadGuard<'_, crate::cuda::GpuBuffer> {
        self.buf.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive access to the device buffer (in-place writes).
    pub fn write(&self) -> RwLockWriteGuard<'_, crate::cuda::GpuBuffer> {
        self.buf.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// A typed CPU buffer (owned, or a window into a mapped file: see [`Data`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Buffer {
    Bool(Data<bool>),
    U8(Data<u8>),
    I8(Data<i8>),
    I16(Data<i16>),
    I32(Data<i32>),
    I64(Data<i64>),
    F16(Data<f16>),
    BF16(Data<bf16>),
    F32(Data<f32>),
    F64(Data<f64>),
}

/// Applies `$body` with `$v` bound to the inner [`Data`] of a buffer
/// (which derefs to a slice), whatever its type.
#[macro_export]
macro_rules! with_buffer {
    ($buf:expr, $v:ident => $body:expr) => {
        match $buf {
            $crate::Buffer::Bool($v) => $body,
            $crate::Buffer::U8($v) => $body,
            $crate::Buffer::I8($v) => $body,
            $crate::Buffer::I16($v) => $body,
            $crate::Buffer::I32($v) => $body,
            $crate::Buffer::I64($v) => $body,
            $crate::Buffer::F16($v) => $body,
            $crate::Buffer::BF16($v) => $body,
            $crate::Buffer::F32($v) => $body,
            $crate::Buffer::F64($v) => $body,
        }
    };
}

impl Buffer {
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::Bool(_) => DType::Bool,
            Buffer::U8(_) => DType::U8,
            Buffer::I8(_) => DType::I8,
            Buffer::I16(_) => DType::I16,
            Buffer::I32(_) => DType::I32,
            Buffer::I64(_) => DType::I64,
            Buffer::F16(_) => DType::F16,
            Buffer::BF16(_) => DType::BF16,
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
        }
    }

    pub fn len(&self) -> usize {
        with_buffer!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A zero-filled buffer.
    pub fn zeros(dtype: DType, len: usize) -> Buffer {
        match dtype {
            DType::Bool => Buffer::Bool(vec![false; len].into()),
            DType::U8 => Buffer::U8(vec![0; len].into()),
            DType::I8 => Buffer::I8(vec![0; len].into()),
            DType::I16 => Buffer::I16(vec![0; len].into()),
            DType::I32 => Buffer::I32(vec![0; len].into()),
            DType::I64 => Buffer::I64(vec![0; len].into()),
            DType::F16 => Buffer::F16(vec![f16::ZERO; len].into()),
            DType::BF16 => Buffer::BF16(vec![bf16::ZERO; len].into()),
            DType::F32 => Buffer::F32(vec![0.0; len].into()),
            DType::F64 => Buffer::F64(vec![0.0; len].into()),
        }
    }

    /// A buffer of `len` elements of `dtype` that is a window into `map`
    /// from byte `offset`, read in the machine's byte order, without
    /// copying. `None` (copy instead) for `bool` (arbitrary bytes are not
    /// valid `bool`s), or when the bytes are out of the map's bounds or
    /// misaligned for the element type. The caller checks the byte order.
    pub(crate) fn map_window(dtype: DType, map: &Arc<Mmap>, offset: usize, len: usize) -> Option<Buffer> {
        Some(match dtype {
            DType::Bool => return None,
            DType::U8 => Buffer::U8(Data::map_window(map, offset, len)?),
            DType::I8 => Buffer::I8(Data::map_window(map, offset, len)?),
            DType::I16 => Buffer::I16(Data::map_window(map, offset, len)?),
            DType::I32 => Buffer::I32(Data::map_window(map, offset, len)?),
            DType::I64 => Buffer::I64(Data::map_window(map, offset, len)?),
            DType::F16 => Buffer::F16(Data::map_window(map, offset, len)?),
            DType::BF16 => Buffer::BF16(Data::map_window(map, offset, len)?),
            DType::F32 => Buffer::F32(Data::map_window(map, offset, len)?),
            DType::F64 => Buffer::F64(Data::map_window(map, offset, len)?),
        })
    }

    /// Whether the elements are a window into a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        with_buffer!(self, v => v.is_mapped())
    }

    /// For a mapped buffer: the whole mapped file and the byte offset of
    /// the elements in it.
    pub fn map_location(&self) -> Option<(&[u8], usize)> {
        with_buffer!(self, v => v.map_location())
    }

    pub fn slice<T: Element>(&self) -> Option<&[T]> {
        T::slice(self)
    }

    /// The elements' bytes in the machine's order (`bool` as 0/1 bytes).
    pub fn as_bytes(&self) -> &[u8] {
        fn raw<T: Element>(v: &[T]) -> &[u8] {
            // SAFETY: every element type is plain data without padding
            // (`bool` is one byte holding 0 or 1).
            unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
        }
        with_buffer!(self, v => raw(v))
    }

    /// Mutable elements; a mapped window is copied first (copy-on-write).
    pub fn slice_mut<T: Element>(&mut self) -> Option<&mut [T]> {
        T::slice_mut(self)
    }
}

/// A Rust type that is the element of some `DType`.
///
/// Conversions follow PyTorch's casts: float → int truncates toward zero,
/// anything → bool is `!= 0`, bool → number is 0/1.
pub trait Element: Copy + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    const DTYPE: DType;
    /// The elements when `b` holds this type.
    fn slice(b: &Buffer) -> Option<&[Self]>;
    /// Mutable elements when `b` holds this type; a mapped window becomes
    /// an owned copy first (the map is never written).
    fn slice_mut(b: &mut Buffer) -> Option<&mut [Self]>;
    /// An owned buffer of this type.
    fn into_buffer(v: Vec<Self>) -> Buffer;
    /// The elements as an owned `Vec` (copied out of a mapped window), or
    /// the buffer back when it holds another type.
    fn from_buffer(b: Buffer) -> Result<Vec<Self>, Buffer>;
    fn to_f64(self) -> f64;
    fn to_i64(self) -> i64;
    fn to_bool(self) -> bool;
    fn from_f64(v: f64) -> Self;
    fn from_i64(v: i64) -> Self;
    fn from_bool(v: bool) -> Self;
    /// Converts from another element type with PyTorch's cast rules.
    #[inline]
    fn cast_from<U: Element>(u: U) -> Self {
        match U::DTYPE.category() {
            crate::Category::Float => Self::from_f64(u.to_f64()),
            crate::Category::Int => Self::from_i64(u.to_i64()),
            crate::Category::Bool => Self::from_bool(u.to_bool()),
        }
    }
}

macro_rules! element_common {
    ($t:ty, $variant:ident) => {
        const DTYPE: DType = DType::$variant;
        #[inline]
        fn slice(b: &Buffer) -> Option<&[Self]> {
            match b {
                Buffer::$variant(v) => Some(&v[..]),
                _ => None,
            }
        }
        #[inline]
        fn slice_mut(b: &mut Buffer) -> Option<&mut [Self]> {
            match b {
                Buffer::$variant(v) => Some(&mut v[..]),
                _ => None,
            }
        }
        fn into_buffer(v: Vec<Self>) -> Buffer {
            Buffer::$variant(v.into())
        }
        fn from_buffer(b: Buffer) -> Result<Vec<Self>, Buffer> {
            match b {
                Buffer::$variant(v) => Ok(v.into_vec()),
                other => Err(other),
            }
        }
    };
}

macro_rules! int_element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            element_common!($t, $variant);
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn to_bool(self) -> bool {
                self != 0
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                // Out-of-range float → int is undefined in C++; wrap through
                // int64 as x86 PyTorch builds do for small types.
                (v as i64) as $t
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn from_bool(v: bool) -> Self {
                v as $t
            }
        }
    };
}
int_element!(u8, U8);
int_element!(i8, I8);
int_element!(i16, I16);
int_element!(i32, I32);
int_element!(i64, I64);

impl Element for bool {
    element_common!(bool, Bool);
    #[inline]
    fn to_f64(self) -> f64 {
        self as i64 as f64
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn to_bool(self) -> bool {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline]
    fn from_bool(v: bool) -> Self {
        v
    }
}

macro_rules! float_element {
    ($t:ty, $variant:ident, $to:expr, $from:expr) => {
        impl Element for $t {
            element_common!($t, $variant);
            #[inline]
            fn to_f64(self) -> f64 {
                ($to)(self)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                ($to)(self) as i64
            }
            #[inline]
            fn to_bool(self) -> bool {
                ($to)(self) != 0.0
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                ($from)(v)
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                ($from)(v as f64)
            }
            #[inline]
            fn from_bool(v: bool) -> Self {
                ($from)(v as i64 as f64)
            }
        }
    };
}
float_element!(f32, F32, |x: f32| x as f64, |v: f64| v as f32);
float_element!(f64, F64, |x: f64| x, |v: f64| v);
float_element!(f16, F16, |x: f16| x.to_f64(), f16::from_f64);
float_element!(bf16, BF16, |x: bf16| x.to_f64(), bf16::from_f64);

/// Converts a whole buffer to another dtype.
pub fn cast_buffer(b: &Buffer, to: DType) -> Buffer {
    if b.dtype() == to {
        return b.clone();
    }
    with_buffer!(b, v => cast_slice(v, to))
}

/// `src` as a buffer of dtype `to`, with PyTorch's cast rules;
/// float16/bfloat16 to float32 is vectorized.
pub fn cast_slice<U: Element>(src: &[U], to: DType) -> Buffer {
    macro_rules! conv {
        ($t:ty) => {
            <$t>::into_buffer(src.iter().map(|&u| <$t>::cast_from(u)).collect())
        };
    }
    match to {
        DType::Bool => conv!(bool),
        DType::U8 => conv!(u8),
        DType::I8 => conv!(i8),
        DType::I16 => conv!(i16),
        DType::I32 => conv!(i32),
        DType::I64 => conv!(i64),
        DType::F16 => conv!(f16),
        DType::BF16 => conv!(bf16),
        DType::F32 => match U::DTYPE {
            DType::F32 => U::into_buffer(src.to_vec()),
            DType::F16 | DType::BF16 => widen(src),
            _ => conv!(f32),
        },
        DType::F64 => conv!(f64),
    }
}

/// float16 or bfloat16 elements as float32 (exact), with `half`'s
/// vectorized slice conversion.
fn widen<U: Element>(src: &[U]) -> Buffer {
    use half::slice::HalfFloatSliceExt;
    // SAFETY: `convert_to_f32_slice` writes every element.
    let mut out: Vec<f32> = unsafe { crate::alloc::uninit_vec(src.len()) };
    let (ptr, len) = (src.as_ptr(), src.len());
    // SAFETY: an element type's DTYPE names it, so `U` is `f16` (`bf16`)
    // exactly when its DTYPE is F16 (BF16).
    match U::DTYPE {
        DType::F16 => unsafe { std::slice::from_raw_parts(ptr.cast::<f16>(), len) }.convert_to_f32_slice(&mut out),
        _ => unsafe { std::slice::from_raw_parts(ptr.cast::<bf16>(), len) }.convert_to_f32_slice(&mut out),
    }
    f32::into_buffer(out)
}

/// Memory shared by a tensor and all its views: a host [`Buffer`], or
/// device memory on a CUDA device.
///
/// Invariant: a CUDA storage's host buffer is empty (it only carries the
/// dtype); its elements live in [`Storage::gpu`]. Ops read host buffers
/// only: `cuda::dispatch` keeps CUDA tensors away from the CPU ops.
#[derive(Debug)]
pub struct Storage {
    buf: RwLock<Buffer>,
    device: Device,
    gpu: Option<GpuMem>,
}

/// The device memory of a CUDA storage.
#[derive(Debug)]
pub struct GpuMem {
    pub dev: Arc<crate::cuda::CudaDevice>,
    pub buf: RwLock<crate::cuda::GpuBuffer>,
}

impl Storage {
    pub fn new(buf: Buffer) -> Storage {
        Storage { buf: RwLock::new(buf), device: Device::Cpu, gpu: None }
    }

    /// A storage holding `buf` on `dev`.
    pub fn cuda(dev: Arc<crate::cuda::CudaDevice>, buf: crate::cuda::GpuBuffer) -> Storage {
        let device = Device::Cuda(dev.ordinal());
        let host = Buffer::zeros(buf.dtype(), 0);
        Storage { buf: RwLock::new(host), device, gpu: Some(GpuMem { dev, buf: RwLock::new(buf) }) }
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// The device memory of a CUDA storage.
    pub fn gpu(&self) -> Option<&GpuMem> {
        self.gpu.as_ref()
    }

    /// Shared read access. A poisoned lock (a panic while writing) is an
    /// internal bug; the data is still returned.
    pub fn read(&self) -> RwLockReadGuard<'_, Buffer> {
        self.buf.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Exclusive write access (in-place ops).
    pub fn write(&self) -> RwLockWriteGuard<'_, Buffer> {
        self.buf.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn len(&self) -> usize {
        match &self.gpu {
            Some(g) => g.read().len(),
            None => self.read().len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dtype(&self) -> DType {
        self.read().dtype()
    }

    /// Whether the buffer is (still) a window into a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        self.read().is_mapped()
    }
}
