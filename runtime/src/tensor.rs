//! `Tensor`: a strided view (dtype, shape, strides, offset) of shared
//! `Storage`. Cloning a tensor is cheap and aliases the same memory, as do
//! views (`view`, `transpose`, slicing); `contiguous` copies when needed.
//!
//! Invariant: every element a tensor can address
//! (`offset + Σ (shape[i]-1)·strides[i]`) lies inside its storage; the only
//! constructor of views, `as_strided`, checks it.

use crate::iter::{for_each_run, gather, scatter};
use crate::shape::{broadcast_shapes, broadcast_strides, checked_numel, contiguous_strides};
use crate::storage::{cast_buffer, Buffer, Element, Storage};
use crate::{bail, with_buffer, DType, Device, Result, Scalar};
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub struct Tensor {
    storage: Arc<Storage>,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

impl Tensor {
    // ----- construction -------------------------------------------------

    /// A contiguous tensor over a whole buffer.
    pub fn from_buffer(buf: Buffer, shape: &[usize]) -> Result<Tensor> {
        let n = checked_numel("tensor", shape)?;
        if n != buf.len() {
            bail!("tensor", "shape {shape:?} needs {n} elements but the data has {}", buf.len());
        }
        Ok(Tensor {
            dtype: buf.dtype(),
            storage: Arc::new(Storage::new(buf)),
            shape: shape.to_vec(),
            strides: contiguous_strides(shape),
            offset: 0,
        })
    }

    pub fn from_vec<T: Element>(v: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        Tensor::from_buffer(T::into_buffer(v), shape)
    }

    /// A view of `storage` (of any device), checked to stay in bounds.
    pub fn from_storage(storage: Arc<Storage>, shape: &[usize], strides: &[usize], offset: usize) -> Result<Tensor> {
        let base = Tensor { dtype: storage.dtype(), storage, shape: vec![0], strides: vec![1], offset: 0 };
        base.as_strided(shape, strides, offset)
    }

    /// A 0-d tensor holding `s` as `dtype`.
    pub fn scalar(s: Scalar, dtype: DType) -> Tensor {
        Tensor::full(&[], s, dtype).expect("a 0-d tensor always fits")
    }

    /// A 0-d tensor with the dtype PyTorch gives a Python number
    /// (`bool`, `int64`, `float32`).
    pub fn from_scalar(s: Scalar) -> Tensor {
        let d = match s {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F32,
        };
        Tensor::scalar(s, d)
    }

    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Tensor> {
        let n = checked_numel("zeros", shape)?;
        Tensor::from_buffer(Buffer::zeros(dtype, n), shape)
    }

    pub fn full(shape: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
        let n = checked_numel("full", shape)?;
        fn fill<T: Element>(n: usize, s: Scalar) -> Buffer {
            let v = match s {
                Scalar::Bool(b) => T::from_bool(b),
                Scalar::Int(i) => T::from_i64(i),
                Scalar::Float(f) => T::from_f64(f),
            };
            T::into_buffer(vec![v; n])
        }
        let buf = crate::dispatch_dtype!(dtype, T => fill::<T>(n, value));
        Tensor::from_buffer(buf, shape)
    }

    // ----- metadata -----------------------------------------------------

    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }
    pub fn offset(&self) -> usize {
        self.offset
    }
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn device(&self) -> Device {
        self.storage.device()
    }
    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }
    /// Whether the data is (still) a read-only window into a memory-mapped
    /// file (a weight of a loaded `.tsg`); the first write copies it.
    pub fn is_mapped(&self) -> bool {
        self.storage.is_mapped()
    }
    /// Whether two tensors share memory.
    pub fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// `size(dim)` with a possibly negative dim.
    pub fn size(&self, dim: i64) -> Result<usize> {
        let d = crate::shape::wrap_dim("size", dim, self.ndim())?;
        if self.ndim() == 0 {
            bail!("size", "a 0-d tensor has no dim {dim}");
        }
        Ok(self.shape[d])
    }

    /// Row-major contiguous (size-1 dims may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for i in (0..self.ndim()).rev() {
            if self.shape[i] != 1 {
                if self.strides[i] != expected {
                    return false;
                }
                expected *= self.shape[i];
            }
        }
        true
    }

    // ----- views --------------------------------------------------------

    /// A view of the same storage with new geometry, checked to stay in bounds.
    pub fn as_strided(&self, shape: &[usize], strides: &[usize], offset: usize) -> Result<Tensor> {
        if shape.len() != strides.len() {
            bail!("as_strided", "shape {shape:?} and strides {strides:?} differ in length");
        }
        checked_numel("as_strided", shape)?;
        if !shape.contains(&0) {
            let mut last = offset;
            for (&d, &s) in shape.iter().zip(strides) {
                last = match (d - 1).checked_mul(s).and_then(|x| x.checked_add(last)) {
                    Some(v) => v,
                    None => bail!("as_strided", "view {shape:?} with strides {strides:?} overflows"),
                };
            }
            let len = self.storage.len();
            if last >= len {
                bail!(
                    "as_strided",
                    "view {shape:?} with strides {strides:?} at offset {offset} reaches element {last} of a storage of {len}"
                );
            }
        }
        Ok(Tensor {
            storage: self.storage.clone(),
            dtype: self.dtype,
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset,
        })
    }

    /// This tensor broadcast (as a view with 0 strides) to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let b = broadcast_shapes("expand", &self.shape, shape)?;
        if b != shape {
            bail!("expand", "the shape {:?} cannot be expanded to {shape:?}", self.shape);
        }
        let strides = broadcast_strides(&self.shape, &self.strides, shape);
        Ok(Tensor { shape: shape.to_vec(), strides, ..self.clone() })
    }

    // ----- data access --------------------------------------------------

    /// The elements in row-major order, converted to `T` with PyTorch's
    /// cast rules. A CUDA tensor is downloaded first (empty if the device
    /// fails; `to_device(Device::Cpu)` reports why).
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        if self.device() != Device::Cpu {
            return self.to_device(Device::Cpu).map(|h| h.to_vec()).unwrap_or_default();
        }
        let g = self.storage.read();
        fn go<U: Element, T: Element>(src: &[U], t: &Tensor) -> Vec<T> {
            gather(src, &t.shape, &t.strides, t.offset, T::cast_from)
        }
        with_buffer!(&*g, v => go(v, self))
    }

    /// Calls `f` with the elements as a contiguous `&[T]`, borrowing the
    /// storage when the tensor is already contiguous with element type `T`
    /// and copying (and casting) otherwise.
    pub fn with_slice<T: Element, R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        if self.device() != Device::Cpu {
            return f(&self.to_vec::<T>());
        }
        if self.dtype == T::DTYPE && self.is_contiguous() {
            let g = self.storage.read();
            if let Some(s) = g.slice::<T>() {
                return f(&s[self.offset..self.offset + self.numel()]);
            }
        }
        f(&self.to_vec::<T>())
    }

    /// Contiguous copy (or `self` when already contiguous).
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        self.copy_as(self.dtype)
    }

    /// A fresh contiguous copy with dtype `dtype`. A CUDA tensor's copy is
    /// made on the host and moved back (left on the host if the device fails).
    pub fn copy_as(&self, dtype: DType) -> Tensor {
        if self.device() != Device::Cpu {
            return match self.to_device(Device::Cpu) {
                Ok(h) => {
                    let c = h.copy_as(dtype);
                    c.to_device(self.device()).unwrap_or(c)
                }
                Err(_) => Tensor::zeros(&self.shape, dtype).unwrap_or_else(|_| self.clone()),
            };
        }
        let g = self.storage.read();
        fn go<U: Element>(src: &[U], t: &Tensor) -> Buffer {
            U::into_buffer(gather(src, &t.shape, &t.strides, t.offset, |x| x))
        }
        let buf = with_buffer!(&*g, v => go(v, self));
        let buf = if dtype == self.dtype { buf } else { cast_buffer(&buf, dtype) };
        Tensor::from_buffer(buf, &self.shape).expect("numel matches")
    }

    /// `to(dtype)`: `self` when the dtype already matches, else a converted copy.
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype {
            self.clone()
        } else {
            self.copy_as(dtype)
        }
    }

    /// Contiguous with the given dtype (no copy when it already is).
    pub fn contiguous_as(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype {
            self.contiguous()
        } else {
            self.copy_as(dtype)
        }
    }

    /// The value of a one-element tensor.
    pub fn item(&self) -> Result<Scalar> {
        if self.numel() != 1 {
            bail!("item", "a tensor with {} elements cannot be converted to a Python number", self.numel());
        }
        if self.device() != Device::Cpu {
            return self.to_device(Device::Cpu)?.item();
        }
        let g = self.storage.read();
        fn get<T: Element>(v: &[T], off: usize) -> Scalar {
            let x = v[off];
            match T::DTYPE.category() {
                crate::Category::Float => Scalar::Float(x.to_f64()),
                crate::Category::Int => Scalar::Int(x.to_i64()),
                crate::Category::Bool => Scalar::Bool(x.to_bool()),
            }
        }
        Ok(with_buffer!(&*g, v => get(v, self.offset)))
    }

    /// Writes `src` (broadcast to this tensor's shape and cast to its dtype)
    /// into this tensor's memory: the primitive behind `copy_`, in-place ops
    /// and indexed assignment. Safe when `src` aliases `self`.
    pub fn assign(&self, src: &Tensor) -> Result<()> {
        if self.device() != Device::Cpu || src.device() != Device::Cpu {
            return crate::cuda::assign(self, src);
        }
        let src = src.broadcast_to(&self.shape).map_err(|_| {
            crate::Error::op("copy_", format!("source of shape {:?} cannot be written into a view of shape {:?}", src.shape, self.shape))
        })?;
        // Materialize first: the source may overlap the destination, and a
        // read guard on our own storage must be gone before we take the write lock.
        let data = src.contiguous_as(self.dtype);
        let snapshot = data.same_storage(self).then(|| data.storage.read().clone());
        let sg = if snapshot.is_none() { Some(data.storage.read()) } else { None };
        let sref: &Buffer = match (&snapshot, &sg) {
            (Some(b), _) => b,
            (None, Some(g)) => g,
            (None, None) => unreachable!("assign: one of snapshot/guard is set"),
        };
        let mut g = self.storage.write();
        fn put<T: Element>(dst: &mut Buffer, src: &Buffer, t: &Tensor, soff: usize) {
            let (Some(d), Some(s)) = (dst.slice_mut::<T>(), src.slice::<T>()) else {
                unreachable!("assign: dtypes were unified before writing")
            };
            scatter(d, &t.shape, &t.strides, t.offset, &s[soff..soff + t.numel()]);
        }
        crate::dispatch_dtype!(self.dtype, T => put::<T>(&mut g, sref, self, data.offset));
        Ok(())
    }

    /// Calls `f` for each innermost run of this tensor's elements
    /// (offset into storage, run length, stride).
    pub fn for_each_run(&self, f: impl FnMut(usize, usize, usize)) {
        let mut f = f;
        for_each_run(&self.shape, [&self.strides], [self.offset], |[o], n, [s]| f(o, n, s));
    }
}

/// Expands `$body` once per dtype with `$T` bound to the element type.
#[macro_export]
macro_rules! dispatch_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => { type $T = bool; $body }
            $crate::DType::U8 => { type $T = u8; $body }
            $crate::DType::I8 => { type $T = i8; $body }
            $crate::DType::I16 => { type $T = i16; $body }
            $crate::DType::I32 => { type $T = i32; $body }
            $crate::DType::I64 => { type $T = i64; $body }
            $crate::DType::F16 => { type $T = half::f16; $body }
            $crate::DType::BF16 => { type $T = half::bf16; $body }
            $crate::DType::F32 => { type $T = f32; $body }
            $crate::DType::F64 => { type $T = f64; $body }
        }
    };
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tensor(shape={:?}, dtype={}", self.shape, self.dtype)?;
        if self.numel() <= 16 {
            write!(f, ", data={:?}", self.to_vec::<f64>())?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_share_storage_and_assign_writes_through() {
        let t = Tensor::from_vec((0..6).map(|x| x as f32).collect(), &[2, 3]).unwrap();
        let col = t.as_strided(&[2], &[3], 1).unwrap(); // t[:, 1]
        col.assign(&Tensor::from_scalar(Scalar::Float(-1.0))).unwrap();
        assert_eq!(t.to_vec::<f32>(), vec![0., -1., 2., 3., -1., 5.]);
    }

    #[test]
    fn out_of_bounds_view_is_an_error() {
        let t = Tensor::zeros(&[4], DType::F32).unwrap();
        assert!(t.as_strided(&[3], &[2], 0).is_err());
        assert!(t.as_strided(&[2], &[2], 1).is_ok());
    }

    #[test]
    fn overlapping_assign_uses_a_snapshot() {
        let t = Tensor::from_vec(vec![1i64, 2, 3, 4], &[4]).unwrap();
        let a = t.as_strided(&[3], &[1], 1).unwrap();
        let b = t.as_strided(&[3], &[1], 0).unwrap();
        a.assign(&b).unwrap();
        assert_eq!(t.to_vec::<i64>(), vec![1, 1, 2, 3]);
    }
}
