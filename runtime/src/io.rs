//! safetensors load/save of named tensors (every dtype the runtime has),
//! through the `safetensors` crate. A malformed file is an error naming the
//! file and what is wrong, never a panic.

use crate::storage::{Buffer, Element};
use crate::{DType, Error, Result, Tensor};
use half::{bf16, f16};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use memmap2::Mmap;
use std::path::Path;
use std::sync::Arc;

fn io_err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), msg: msg.to_string() }
}

fn to_st(d: DType) -> StDtype {
    match d {
        DType::Bool => StDtype::BOOL,
        DType::U8 => StDtype::U8,
        DType::I8 => StDtype::I8,
        DType::I16 => StDtype::I16,
        DType::I32 => StDtype::I32,
        DType::I64 => StDtype::I64,
        DType::F16 => StDtype::F16,
        DType::BF16 => StDtype::BF16,
        DType::F32 => StDtype::F32,
        DType::F64 => StDtype::F64,
    }
}

fn from_st(d: StDtype) -> Option<DType> {
    Some(match d {
        StDtype::BOOL => DType::Bool,
        StDtype::U8 => DType::U8,
        StDtype::I8 => DType::I8,
        StDtype::I16 => DType::I16,
        StDtype::I32 => DType::I32,
        StDtype::I64 => DType::I64,
        StDtype::F16 => DType::F16,
        StDtype::BF16 => DType::BF16,
        StDtype::F32 => DType::F32,
        StDtype::F64 => DType::F64,
        _ => return None,
    })
}

/// Little-endian bytes of a buffer.
pub fn buffer_to_bytes(b: &Buffer) -> Vec<u8> {
    match b {
        Buffer::Bool(v) => v.iter().map(|&x| x as u8).collect(),
        Buffer::U8(v) => v.to_vec(),
        Buffer::I8(v) => v.iter().map(|&x| x as u8).collect(),
        Buffer::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Buffer::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Buffer::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Buffer::F16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Buffer::BF16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Buffer::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        Buffer::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

/// A buffer from little-endian bytes; `None` when the length is not a
/// multiple of the element size or a bool byte is not 0/1.
pub fn bytes_to_buffer(dtype: DType, bytes: &[u8]) -> Option<Buffer> {
    fn chunks<T: Element, const N: usize>(bytes: &[u8], f: fn([u8; N]) -> T) -> Option<Buffer> {
        if bytes.len() % N != 0 {
            return None;
        }
        let n = bytes.len() / N;
        if cfg!(target_endian = "little") && std::mem::size_of::<T>() == N {
            // The bytes are the elements in the machine's order: one copy.
            let mut v: Vec<T> = Vec::with_capacity(n);
            // SAFETY: `T` (an integer or float type here, never `bool`)
            // has size `N` and every bit pattern is a value; the vector
            // has room for the `n·N` bytes copied, which initialize it.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr().cast::<u8>(), n * N);
                v.set_len(n);
            }
            return Some(T::into_buffer(v));
        }
        let v: Vec<T> = bytes.chunks_exact(N).map(|c| f(c.try_into().unwrap_or([0; N]))).collect();
        Some(T::into_buffer(v))
    }
    match dtype {
        DType::Bool => {
            if bytes.iter().any(|&b| b > 1) {
                return None;
            }
            Some(Buffer::Bool(bytes.iter().map(|&b| b == 1).collect()))
        }
        DType::U8 => Some(Buffer::U8(bytes.to_vec().into())),
        DType::I8 => Some(Buffer::I8(bytes.iter().map(|&b| b as i8).collect())),
        DType::I16 => chunks(bytes, i16::from_le_bytes),
        DType::I32 => chunks(bytes, i32::from_le_bytes),
        DType::I64 => chunks(bytes, i64::from_le_bytes),
        DType::F16 => chunks(bytes, f16::from_le_bytes),
        DType::BF16 => chunks(bytes, bf16::from_le_bytes),
        DType::F32 => chunks(bytes, f32::from_le_bytes),
        DType::F64 => chunks(bytes, f64::from_le_bytes),
    }
}

/// A buffer of `nbytes` bytes of `dtype` at byte `offset` of `map`, used in
/// place: `None` (the caller copies) on a big-endian machine (the files
/// are little-endian), for `bool`, and for a misaligned or out-of-bounds
/// window (`Buffer::map_window` checks those).
pub(crate) fn le_window(map: &Arc<Mmap>, offset: usize, dtype: DType, nbytes: usize) -> Option<Buffer> {
    if !cfg!(target_endian = "little") {
        return None;
    }
    Buffer::map_window(dtype, map, offset, nbytes / dtype.size())
}

/// Parses safetensors bytes into named tensors, sorted by name.
pub fn load_bytes(bytes: &[u8], path: &Path) -> Result<Vec<(String, Tensor)>> {
    parse(bytes, None, path)
}

/// [`load_bytes`]; where `bytes` is all of `map`, tensors are windows into
/// it where [`le_window`] allows.
fn parse(bytes: &[u8], map: Option<&Arc<Mmap>>, path: &Path) -> Result<Vec<(String, Tensor)>> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| io_err(path, format!("not a valid safetensors file: {e}")))?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        let dtype = from_st(view.dtype())
            .ok_or_else(|| io_err(path, format!("tensor `{name}` has unsupported dtype {:?}", view.dtype())))?;
        let data = view.data();
        let offset = data.as_ptr() as usize - bytes.as_ptr() as usize;
        let buf = match map.and_then(|m| le_window(m, offset, dtype, data.len())) {
            Some(b) => b,
            None => bytes_to_buffer(dtype, data)
                .ok_or_else(|| io_err(path, format!("tensor `{name}`: data is not valid {dtype}")))?,
        };
        let t = Tensor::from_buffer(buf, view.shape()).map_err(|e| io_err(path, format!("tensor `{name}`: {e}")))?;
        out.push((name, t));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Loads a safetensors file. The file is memory-mapped and its tensors
/// are windows into the map (no copy; writing to one copies it first),
/// except those `le_window` declines, which are copied.
pub fn load(path: impl AsRef<Path>) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    if file.metadata().map_err(|e| io_err(path, e))?.len() == 0 {
        return load_bytes(&[], path);
    }
    // SAFETY: as for a `.tsg` (`program::artifact::load`): mapped
    // read-only, never written through, every window read as a type for
    // which every bit pattern is valid; another process rewriting the file
    // while its tensors are alive is the documented hazard of a mapped file.
    let map = Arc::new(unsafe { Mmap::map(&file) }.map_err(|e| io_err(path, e))?);
    parse(&map, Some(&map), path)
}

/// Serializes named tensors to safetensors bytes.
pub fn save_bytes(tensors: &[(String, Tensor)]) -> Result<Vec<u8>> {
    let data: Vec<(String, DType, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| {
            let c = t.contiguous();
            let g = c.storage().read();
            let all = buffer_to_bytes(&g);
            let es = t.dtype().size();
            let bytes = all[c.offset() * es..(c.offset() + c.numel()) * es].to_vec();
            (n.clone(), t.dtype(), t.shape().to_vec(), bytes)
        })
        .collect();
    let views: Result<Vec<(String, TensorView)>> = data
        .iter()
        .map(|(n, d, s, b)| {
            TensorView::new(to_st(*d), s.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| Error::op("save", format!("tensor `{n}`: {e}")))
        })
        .collect();
    safetensors::tensor::serialize(views?, None).map_err(|e| Error::op("save", e))
}

/// Writes named tensors to a safetensors file.
pub fn save(path: impl AsRef<Path>, tensors: &[(String, Tensor)]) -> Result<()> {
    let path = path.as_ref();
    let bytes = save_bytes(tensors)?;
    std::fs::write(path, bytes).map_err(|e| io_err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_dtype() {
        let mut ts = Vec::new();
        for (i, d) in DType::ALL.iter().enumerate() {
            let t = Tensor::from_vec(vec![0i64, 1, 0, 1, 1, 0], &[2, 3]).unwrap().to_dtype(*d);
            ts.push((format!("t{i}"), t));
        }
        let bytes = save_bytes(&ts).unwrap();
        let back = load_bytes(&bytes, Path::new("mem")).unwrap();
        for ((n1, a), (n2, b)) in ts.iter().zip(&back) {
            assert_eq!(n1, n2);
            assert_eq!(a.dtype(), b.dtype());
            assert_eq!(a.shape(), b.shape());
            assert_eq!(a.to_vec::<f64>(), b.to_vec::<f64>());
        }
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(load_bytes(b"\x05\x00\x00\x00\x00\x00\x00\x00{abc}", Path::new("x")).is_err());
        assert!(load_bytes(b"", Path::new("x")).is_err());
        assert!(load_bytes(&[0xff; 16], Path::new("x")).is_err());
    }
}
