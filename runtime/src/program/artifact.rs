//! The `.tsg` artifact: a compiled program and its weights in one file
//! (layout and rules in `spec/file-format.md`):
//!
//! ```text
//! 0   "TSG\0"            magic
//! 4   u32 LE             format version (1)
//! 8   u64 LE             header length H
//! 16  H bytes            header: bincode of `Header`
//!     zero padding       to a multiple of 64
//! D   tensor data        raw little-endian, each tensor 64-byte aligned
//!                        (offsets relative to D); the file ends with the
//!                        last tensor
//! ```
//!
//! Loading memory-maps the file and validates everything before it builds a
//! tensor or a plan: magic, version, every length and offset with checked
//! arithmetic, dtype names, shapes against byte counts, alignment, overlap,
//! zero padding, bool bytes, then the program (`Plan::with_tensors`). A corrupt or hostile
//! file is an `Error::Io`, never a panic or an out-of-bounds read.
//!
//! The runtime's storage is an owned `Vec` per dtype, so tensor data is
//! copied out of the map (once, at load); the map is dropped before
//! `load` returns.

use super::codec;
use super::plan::Plan;
use super::schema::ProgramDef;
use crate::io::{buffer_to_bytes, bytes_to_buffer};
use crate::{DType, Error, Result, Tensor};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const MAGIC: [u8; 4] = *b"TSG\0";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// Alignment of the data section and of every tensor in it.
pub const ALIGN: u64 = 64;
/// Magic + version + header length.
const PREAMBLE: usize = 16;

/// The file header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub program: ProgramDef,
    /// The tensor table: `ConstDef::Tensor { table_index }` indexes it.
    pub tensors: Vec<TensorEntry>,
    pub meta: Meta,
}

/// Where one tensor's data lies in the data section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorEntry {
    pub name: String,
    /// PyTorch's dtype name (`float32`, `int64`, `bool`, ...).
    pub dtype: String,
    pub shape: Vec<u64>,
    /// Byte offset from the start of the data section; a multiple of 64.
    pub offset: u64,
    pub nbytes: u64,
}

/// What produced the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// `tsc <version>`.
    pub producer: String,
    pub source_hash: String,
    /// The `--entry` expression.
    pub entry: String,
}

/// A loaded artifact: the header, the tensor table's tensors (in table
/// order) and the validated plan.
pub struct Loaded {
    pub header: Header,
    pub tensors: Vec<Tensor>,
    pub plan: Plan,
}

fn align_up(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|x| x / ALIGN * ALIGN)
}

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Io { path: path.display().to_string(), msg: msg.to_string() }
}

/// Little-endian bytes of a tensor's elements in row-major order.
fn tensor_bytes(t: &Tensor) -> Vec<u8> {
    let c = t.contiguous();
    let es = c.dtype().size();
    let all = buffer_to_bytes(&c.storage().read());
    all.get(c.offset() * es..(c.offset() + c.numel()) * es).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Serializes a program and its tensor table into `.tsg` bytes. The program
/// is validated first: an artifact that would not load is not written.
pub fn to_bytes(program: &ProgramDef, meta: &Meta, tensors: &[(String, Tensor)]) -> Result<Vec<u8>> {
    let table: Vec<Tensor> = tensors.iter().map(|(_, t)| t.clone()).collect();
    Plan::with_tensors(program, &table)?;
    let mut entries = Vec::with_capacity(tensors.len());
    let mut data: Vec<u8> = Vec::new();
    for (name, t) in tensors {
        let bytes = tensor_bytes(t);
        data.resize(data.len().next_multiple_of(ALIGN as usize), 0);
        let shape = t.shape().iter().map(|&d| d as u64).collect();
        entries.push(TensorEntry { name: name.clone(), dtype: t.dtype().name().to_string(), shape, offset: data.len() as u64, nbytes: bytes.len() as u64 });
        data.extend_from_slice(&bytes);
    }
    let header = Header { program: program.clone(), tensors: entries, meta: meta.clone() };
    assemble(&header, &data)
}

/// Lays out a file from a header and a data section as given, validating
/// neither (for tests and tools that need a malformed file; `to_bytes` is
/// the way to write a good one).
pub fn assemble(header: &Header, data: &[u8]) -> Result<Vec<u8>> {
    let hbytes = codec::encode(header).map_err(|e| Error::op("save", format!("cannot encode the header: {e}")))?;
    let mut out = Vec::with_capacity(PREAMBLE + hbytes.len() + ALIGN as usize + data.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(hbytes.len() as u64).to_le_bytes());
    out.extend_from_slice(&hbytes);
    out.resize(out.len().next_multiple_of(ALIGN as usize), 0);
    out.extend_from_slice(data);
    Ok(out)
}

/// Writes a `.tsg` file.
pub fn save(path: impl AsRef<Path>, program: &ProgramDef, meta: &Meta, tensors: &[(String, Tensor)]) -> Result<()> {
    let path = path.as_ref();
    let bytes = to_bytes(program, meta, tensors)?;
    std::fs::write(path, bytes).map_err(|e| err(path, e))
}

/// Loads a `.tsg` file (memory-mapped, validated, tensors copied out).
pub fn load(path: impl AsRef<Path>) -> Result<Loaded> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| err(path, e))?;
    let len = file.metadata().map_err(|e| err(path, e))?.len();
    if len < PREAMBLE as u64 {
        return from_bytes(&std::fs::read(path).map_err(|e| err(path, e))?, path);
    }
    // SAFETY: the map is only read, within its length, while `from_bytes`
    // runs; everything it returns is copied out. As with any mapped file,
    // another process truncating the file meanwhile is outside our control.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| err(path, e))?;
    from_bytes(&map, path)
}

/// Parses and validates `.tsg` bytes; `path` names the file in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Loaded> {
    let (header, data) = split(bytes, path)?;
    let tensors = read_tensors(&header.tensors, data, path)?;
    let plan = Plan::with_tensors(&header.program, &tensors).map_err(|e| err(path, format!("invalid program: {e}")))?;
    Ok(Loaded { header, tensors, plan })
}

/// Checks the preamble and padding, decodes the header, returns it with
/// the data section.
fn split<'a>(bytes: &'a [u8], path: &Path) -> Result<(Header, &'a [u8])> {
    let (Some(magic), Some(version), Some(hlen)) = (bytes.get(0..4), bytes.get(4..8), bytes.get(8..16)) else {
        return Err(err(path, format!("not a .tsg file: {} bytes is too short for the preamble", bytes.len())));
    };
    if magic != MAGIC {
        return Err(err(path, "not a .tsg file (bad magic bytes)"));
    }
    let version = u32::from_le_bytes(version.try_into().unwrap_or_default());
    if version > FORMAT_VERSION {
        return Err(err(path, format!("file format version {version} is newer than this tsc (supports up to {FORMAT_VERSION})")));
    }
    if version == 0 {
        return Err(err(path, "file format version 0 does not exist"));
    }
    let hlen = u64::from_le_bytes(hlen.try_into().unwrap_or_default());
    let rest = (bytes.len() - PREAMBLE) as u64;
    if hlen > rest {
        return Err(err(path, format!("header length {hlen} exceeds the {rest} bytes after the preamble (truncated file?)")));
    }
    let hend = PREAMBLE + hlen as usize;
    let header: Header = codec::decode(&bytes[PREAMBLE..hend]).map_err(|e| err(path, format!("corrupt header: {e}")))?;
    let data_start = align_up(hend as u64).and_then(|d| usize::try_from(d).ok()).filter(|&d| d <= bytes.len());
    let data_start = data_start.ok_or_else(|| err(path, "the file ends inside the header padding (truncated file?)"))?;
    if bytes[hend..data_start].iter().any(|&b| b != 0) {
        return Err(err(path, "the padding after the header is not zero"));
    }
    Ok((header, &bytes[data_start..]))
}

/// Validates the tensor table against the data section, then builds the
/// tensors (only once no two overlap, so they copy at most the file's size).
fn read_tensors(entries: &[TensorEntry], data: &[u8], path: &Path) -> Result<Vec<Tensor>> {
    let mut checked: Vec<(DType, Vec<usize>, u64, u64, usize)> = Vec::with_capacity(entries.len());
    let mut names = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        let bad = |msg: String| err(path, format!("tensor `{}`: {msg}", e.name));
        if !names.insert(e.name.as_str()) {
            return Err(bad("name appears twice in the tensor table".into()));
        }
        let dtype = DType::from_name(&e.dtype).filter(|d| d.name() == e.dtype).ok_or_else(|| bad(format!("unknown dtype `{}`", e.dtype)))?;
        let shape: Option<Vec<usize>> = e.shape.iter().map(|&d| usize::try_from(d).ok()).collect();
        let shape = shape.ok_or_else(|| bad("a dim does not fit this machine".into()))?;
        let want = e.shape.iter().try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d));
        if want != Some(e.nbytes) {
            return Err(bad(format!("shape {:?} of {dtype} does not take {} bytes", e.shape, e.nbytes)));
        }
        if e.offset % ALIGN != 0 {
            return Err(bad(format!("offset {} is not a multiple of {ALIGN}", e.offset)));
        }
        let end = e.offset.checked_add(e.nbytes).filter(|&end| end <= data.len() as u64);
        let end = end.ok_or_else(|| bad(format!("bytes {}+{} lie outside the {}-byte data section", e.offset, e.nbytes, data.len())))?;
        checked.push((dtype, shape, e.offset, end, i));
    }
    let mut spans: Vec<(u64, u64, usize)> = checked.iter().map(|c| (c.2, c.3, c.4)).collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        if w[1].0 < w[0].1 {
            let (a, b) = (&entries[w[0].2].name, &entries[w[1].2].name);
            return Err(err(path, format!("tensors `{a}` and `{b}` overlap")));
        }
    }
    let data_end = spans.iter().map(|s| s.1).max().unwrap_or(0);
    if data_end != data.len() as u64 {
        return Err(err(path, format!("{} bytes after the last tensor (corrupt or padded file)", data.len() as u64 - data_end)));
    }
    let mut covered = 0u64;
    for &(start, end, _) in &spans {
        // In bounds: every span lies inside `data` (checked above).
        if data[covered as usize..start as usize].iter().any(|&b| b != 0) {
            return Err(err(path, format!("the padding before byte {start} of the data section is not zero")));
        }
        covered = end;
    }
    let mut tensors = Vec::with_capacity(checked.len());
    for (dtype, shape, start, end, i) in checked {
        let bad = |msg: String| err(path, format!("tensor `{}`: {msg}", entries[i].name));
        // In bounds: `end <= data.len()` was checked above.
        let bytes = data.get(start as usize..end as usize).ok_or_else(|| bad("out of bounds".into()))?;
        let buf = bytes_to_buffer(dtype, bytes).ok_or_else(|| bad(format!("data is not valid {dtype}")))?;
        tensors.push(Tensor::from_buffer(buf, &shape).map_err(|x| bad(x.to_string()))?);
    }
    Ok(tensors)
}
