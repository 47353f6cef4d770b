//! The `.tsg` artifact: a compiled program and its weights in one file
//! (layout and rules in `spec/file-format.md`):
//!
//! ```text
//! 0   "TSG\0"            magic
//! 4   u32 LE             format version (1, 2 or 3)
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
//! Zero-copy weights: `load` maps the file once (`Arc<Mmap>`) and, after
//! all of the validation above, gives each tensor a buffer that is a
//! read-only window into the map ([`crate::storage::Data`]) instead of a
//! copy. The map lives as long as any tensor (or clone, or view) of it.
//! A tensor is copied instead when
//! - the machine is not little-endian (the file's elements are),
//! - its dtype is `bool` (arbitrary bytes are not valid `bool`s; the copy
//!   validates each byte as 0 or 1),
//! - its window is not aligned for the element type (the format aligns
//!   every tensor to 64 bytes and maps start on a page, so this is only
//!   defensive), or it is empty.
//! [`from_bytes`] (bytes not from a map: the fuzz target, tests) always
//! copies. Invariants of a window: it lies inside the map, is aligned, its
//! element type accepts every bit pattern, and it is never written: the
//! map is read-only and the first write to a tensor (an in-place op) turns
//! its buffer into an owned copy, so the file and other loads of it never
//! change. As with any memory-mapped file, the file must not be modified
//! or truncated while tensors loaded from it are alive.

use super::codec;
use super::plan::Plan;
use super::schema::ProgramDef;
use crate::io::bytes_to_buffer;
use crate::{Buffer, DType, Error, Result, Tensor};
use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

pub const MAGIC: [u8; 4] = *b"TSG\0";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 3;
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

/// Writes `t`'s elements, row-major, as little-endian bytes: on a
/// little-endian host the storage's own bytes, else converted in chunks
/// (no copy of the whole tensor either way).
fn write_tensor(w: &mut impl Write, t: &Tensor) -> std::io::Result<()> {
    let c = t.contiguous();
    let r = c.offset()..c.offset() + c.numel();
    let storage = c.storage().read();
    if cfg!(target_endian = "little") {
        let size = c.dtype().size();
        let bytes = storage.as_bytes().get(r.start * size..r.end * size);
        return w.write_all(bytes.ok_or_else(|| std::io::Error::other("a tensor's elements are not in host memory"))?);
    }
    fn go<T: Copy, const N: usize>(w: &mut impl Write, v: Option<&[T]>, f: fn(T) -> [u8; N]) -> std::io::Result<()> {
        let v = v.ok_or_else(|| std::io::Error::other("a tensor's elements are not in host memory"))?;
        let mut buf = Vec::with_capacity(CHUNK_ELEMS * N);
        for chunk in v.chunks(CHUNK_ELEMS) {
            buf.clear();
            chunk.iter().for_each(|&x| buf.extend_from_slice(&f(x)));
            w.write_all(&buf)?;
        }
        Ok(())
    }
    match &*storage {
        Buffer::Bool(v) => go(w, v.get(r), |x| [x as u8]),
        Buffer::U8(v) => go(w, v.get(r), |x| [x]),
        Buffer::I8(v) => go(w, v.get(r), i8::to_le_bytes),
        Buffer::I16(v) => go(w, v.get(r), i16::to_le_bytes),
        Buffer::I32(v) => go(w, v.get(r), i32::to_le_bytes),
        Buffer::I64(v) => go(w, v.get(r), i64::to_le_bytes),
        Buffer::F16(v) => go(w, v.get(r), |x| x.to_le_bytes()),
        Buffer::BF16(v) => go(w, v.get(r), |x| x.to_le_bytes()),
        Buffer::F32(v) => go(w, v.get(r), f32::to_le_bytes),
        Buffer::F64(v) => go(w, v.get(r), f64::to_le_bytes),
    }
}

/// Elements converted to bytes at a time by [`write_tensor`].
const CHUNK_ELEMS: usize = 1 << 14;

/// Serializes a program and its tensor table into `.tsg` bytes. The program
/// is validated first: an artifact that would not load is not written.
pub fn to_bytes(program: &ProgramDef, meta: &Meta, tensors: &[(String, Tensor)]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_artifact(&mut out, program, meta, tensors, Path::new("<memory>"))?;
    Ok(out)
}

/// Validates and writes a `.tsg` to `w`: the header (tensor offsets laid
/// out ahead), then each tensor straight from its storage. `path` names
/// the destination in errors.
fn write_artifact(w: &mut impl Write, program: &ProgramDef, meta: &Meta, tensors: &[(String, Tensor)], path: &Path) -> Result<()> {
    let table: Vec<Tensor> = tensors.iter().map(|(_, t)| t.clone()).collect();
    Plan::with_tensors(program, &table)?;
    let mut entries = Vec::with_capacity(tensors.len());
    let mut end = 0u64;
    for (name, t) in tensors {
        let offset = end.next_multiple_of(ALIGN);
        let nbytes = (t.numel() * t.dtype().size()) as u64;
        let shape = t.shape().iter().map(|&d| d as u64).collect();
        entries.push(TensorEntry { name: name.clone(), dtype: t.dtype().name().to_string(), shape, offset, nbytes });
        end = offset + nbytes;
    }
    let header = Header { program: program.clone(), tensors: entries, meta: meta.clone() };
    let hbytes = codec::encode(&header).map_err(|e| Error::op("save", format!("cannot encode the header: {e}")))?;
    let pad = |w: &mut dyn Write, from: u64| w.write_all(&[0u8; ALIGN as usize][..(from.next_multiple_of(ALIGN) - from) as usize]);
    let mut written = || -> std::io::Result<()> {
        let head = preamble(&hbytes, FORMAT_VERSION);
        w.write_all(&head)?;
        pad(w, head.len() as u64)?;
        let mut at = 0u64;
        for ((_, t), e) in tensors.iter().zip(&header.tensors) {
            pad(w, at)?;
            write_tensor(w, t)?;
            at = e.offset + e.nbytes;
        }
        w.flush()
    };
    written().map_err(|e| err(path, e))
}

/// Lays out a file from a header and a data section as given, validating
/// neither (for tests and tools that need a malformed file; `to_bytes` is
/// the way to write a good one).
pub fn assemble(header: &Header, data: &[u8]) -> Result<Vec<u8>> {
    let hbytes = codec::encode(header).map_err(|e| Error::op("save", format!("cannot encode the header: {e}")))?;
    Ok(assemble_version(&hbytes, data, FORMAT_VERSION))
}

/// The file bytes for an encoded header of format `version`.
fn assemble_version(hbytes: &[u8], data: &[u8], version: u32) -> Vec<u8> {
    let mut out = preamble(hbytes, version);
    out.resize(out.len().next_multiple_of(ALIGN as usize), 0);
    out.extend_from_slice(data);
    out
}

/// Magic, version, header length and the encoded header (the data section
/// starts at the next multiple of [`ALIGN`]).
fn preamble(hbytes: &[u8], version: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREAMBLE + hbytes.len() + ALIGN as usize);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(hbytes.len() as u64).to_le_bytes());
    out.extend_from_slice(hbytes);
    out
}

/// Writes a `.tsg` file: into a temporary file beside `path`, then renamed
/// over it, so a process that has the old file loaded (its weights are
/// windows into the old file's map) keeps reading the old contents instead
/// of a file truncated under it.
pub fn save(path: impl AsRef<Path>, program: &ProgramDef, meta: &Meta, tensors: &[(String, Tensor)]) -> Result<()> {
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = path.as_ref();
    let name = path.file_name().ok_or_else(|| err(path, "not a file name"))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tmp.push(format!(".{}-{n}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp);
    let written = std::fs::File::create(&tmp)
        .map_err(|e| err(path, e))
        .and_then(|f| write_artifact(&mut std::io::BufWriter::with_capacity(1 << 20, f), program, meta, tensors, path))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| err(path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Loads a `.tsg` file: memory-mapped and validated; the tensors are
/// windows into the map where possible (see the module doc), else copies.
pub fn load(path: impl AsRef<Path>) -> Result<Loaded> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| err(path, e))?;
    let len = file.metadata().map_err(|e| err(path, e))?.len();
    if len < PREAMBLE as u64 {
        return from_bytes(&std::fs::read(path).map_err(|e| err(path, e))?, path);
    }
    // SAFETY: `Mmap::map` is unsafe because the mapped bytes can change if
    // the file is modified (or truncated) by someone else while mapped. We
    // map read-only, never write through the map (writes to a tensor copy
    // it first), validate every byte we interpret before creating any
    // window, and only ever read windows as types for which every bit
    // pattern is valid; the remaining hazard, another process rewriting or
    // truncating the file while its tensors are alive, is the documented
    // contract of loading a memory-mapped file (spec/file-format.md).
    let map = Arc::new(unsafe { Mmap::map(&file) }.map_err(|e| err(path, e))?);
    parse(Source::Map(&map, 0), path)
}

/// Parses and validates `.tsg` bytes; `path` names the file in errors.
/// The tensors are copies (the bytes are only borrowed).
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Loaded> {
    parse(Source::Bytes(bytes), path)
}

/// The bytes of a file being parsed.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Borrowed bytes: tensors are copied out.
    Bytes(&'a [u8]),
    /// A shared map, the file starting at the given byte: tensors may be
    /// windows into it.
    Map(&'a Arc<Mmap>, usize),
}

impl<'a> Source<'a> {
    fn bytes(self) -> &'a [u8] {
        match self {
            Source::Bytes(b) => b,
            Source::Map(m, start) => m.get(start..).unwrap_or_default(),
        }
    }
}

fn parse(src: Source<'_>, path: &Path) -> Result<Loaded> {
    let bytes = src.bytes();
    let (header, data) = split(bytes, path)?;
    // Where the data section starts in the map (`data` is a suffix of `bytes`).
    let window = match src {
        Source::Map(map, start) => Some((map, start + (bytes.len() - data.len()))),
        Source::Bytes(_) => None,
    };
    let tensors = read_tensors(&header.tensors, data, path, window)?;
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
    let body = &bytes[PREAMBLE..hend];
    let header = match version {
        1 => codec::decode::<v1::Header>(body).map(v1::Header::upgrade),
        // Version 3 only appended `Inst` variants: a version-2 header decodes as is.
        _ => codec::decode::<Header>(body),
    };
    let header = header.map_err(|e| err(path, format!("corrupt header: {e}")))?;
    let data_start = align_up(hend as u64).and_then(|d| usize::try_from(d).ok()).filter(|&d| d <= bytes.len());
    let data_start = data_start.ok_or_else(|| err(path, "the file ends inside the header padding (truncated file?)"))?;
    if bytes[hend..data_start].iter().any(|&b| b != 0) {
        return Err(err(path, "the padding after the header is not zero"));
    }
    Ok((header, &bytes[data_start..]))
}

/// Validates the tensor table against the data section, then builds the
/// tensors (only once no two overlap, so they copy at most the file's
/// size). With `map` (the map holding `data`, and the byte of the map where
/// `data` starts), a tensor's buffer is a window into it where allowed.
fn read_tensors(entries: &[TensorEntry], data: &[u8], path: &Path, map: Option<(&Arc<Mmap>, usize)>) -> Result<Vec<Tensor>> {
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
    // The last check (bool bytes are 0 or 1) for every tensor before any
    // buffer, window or copy, is built.
    for &(dtype, _, start, end, i) in &checked {
        let bytes = data.get(start as usize..end as usize).unwrap_or_default();
        if dtype == DType::Bool && bytes.iter().any(|&b| b > 1) {
            return Err(err(path, format!("tensor `{}`: data is not valid {dtype}", entries[i].name)));
        }
    }
    let mut tensors = Vec::with_capacity(checked.len());
    for (dtype, shape, start, end, i) in checked {
        let bad = |msg: String| err(path, format!("tensor `{}`: {msg}", entries[i].name));
        // In bounds: `end <= data.len()` was checked above.
        let bytes = data.get(start as usize..end as usize).ok_or_else(|| bad("out of bounds".into()))?;
        let mapped = map.and_then(|(m, base)| crate::io::le_window(m, base + start as usize, dtype, bytes.len()));
        let buf = match mapped {
            Some(buf) => buf,
            None => bytes_to_buffer(dtype, bytes).ok_or_else(|| bad(format!("data is not valid {dtype}")))?,
        };
        tensors.push(Tensor::from_buffer(buf, &shape).map_err(|x| bad(x.to_string()))?);
    }
    Ok(tensors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{BlockDef, IoDef, IoKind, NodeDef, OpCode};

    /// `def f(n: int): return -n`, with a tensor table it does not use.
    fn file(tensors: &[(String, Tensor)]) -> Vec<u8> {
        let p = ProgramDef {
            blocks: vec![BlockDef { params: vec![0], nodes: vec![NodeDef { op: OpCode::Call { name: "neg".into() }, inputs: vec![0], outputs: vec![1], blocks: vec![], loc: None }], results: vec![1] }],
            inputs: vec![IoDef { name: "n".into(), kind: IoKind::Int, slot: 0 }],
            outputs: vec![1],
            consts: vec![],
            locs: vec![],
            num_slots: 2,
            kernels: vec![],
        };
        to_bytes(&p, &Meta::default(), tensors).unwrap()
    }

    /// A version-1 file (no kernels in the program) still loads and runs.
    #[test]
    fn version_1_files_load() {
        let Ok(loaded) = parse(Source::Bytes(&file(&[])), Path::new("v2.tsg")) else { panic!("a good file") };
        let p = loaded.header.program;
        let program = v1::Program { blocks: p.blocks, inputs: p.inputs, outputs: p.outputs, consts: p.consts, locs: p.locs, num_slots: p.num_slots };
        let header = v1::Header { program, tensors: vec![], meta: Meta::default() };
        let mut bytes = assemble_version(&codec::encode(&header).unwrap(), &[], 1);
        let Ok(l) = parse(Source::Bytes(&bytes), Path::new("v1.tsg")) else { panic!("a version-1 file loads") };
        assert!(l.header.program.kernels.is_empty());
        let out = l.plan.run(&[("n".into(), crate::Value::Int(4))]).unwrap();
        assert!(matches!(out[..], [crate::Value::Int(-4)]));
        bytes[4] = 4;
        let Err(e) = parse(Source::Bytes(&bytes), Path::new("v4.tsg")) else { panic!("a version-4 file is refused") };
        let e = e.to_string();
        assert!(e.contains("version 4 is newer than this tsc (supports up to 3)"), "{e}");
    }

    /// A file whose every tensor window is misaligned (the file starts at
    /// byte 1 of the map) still loads: the tensors are copied, except
    /// bytes, which need no alignment.
    #[test]
    fn misaligned_windows_are_copied() {
        let tensors = vec![
            ("w".to_string(), Tensor::from_vec(vec![1.5f32, -2.0, 3.25], &[3]).unwrap()),
            ("i".to_string(), Tensor::from_vec(vec![7i64, -8], &[2]).unwrap()),
            ("b".to_string(), Tensor::from_vec(vec![3u8, 4, 5], &[3]).unwrap()),
        ];
        let good = file(&tensors);
        let path = std::env::temp_dir().join(format!("tsc-misaligned-test-{}.tsg", std::process::id()));
        for (shift, aligned) in [(1usize, false), (64, true)] {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(&good);
            std::fs::write(&path, &bytes).unwrap();
            let f = std::fs::File::open(&path).unwrap();
            // SAFETY: a private temporary file nobody else writes.
            let map = Arc::new(unsafe { Mmap::map(&f) }.unwrap());
            let l = parse(Source::Map(&map, shift), &path).unwrap();
            assert_eq!(l.tensors.len(), 3);
            for (t, (_, want)) in l.tensors.iter().zip(&tensors) {
                assert_eq!(t.to_vec::<f64>(), want.to_vec::<f64>());
                assert_eq!(t.is_mapped(), aligned || t.dtype() == DType::U8, "{t:?} at shift {shift}");
            }
            assert_eq!(l.plan.run(&[("n".into(), crate::Value::Int(3))]).unwrap(), vec![crate::Value::Int(-3)]);
        }
        std::fs::remove_file(&path).unwrap();
    }

    /// `save` streams exactly the bytes of `to_bytes`; views (a transpose,
    /// an offset slice) are written row-major, every dtype little-endian,
    /// and each tensor starts on an `ALIGN` boundary of the data section.
    #[test]
    fn save_writes_the_bytes_of_to_bytes() {
        let m = Tensor::from_vec((0..12).map(|i| i as f32 * 0.5 - 2.0).collect::<Vec<_>>(), &[3, 4]).unwrap();
        let tensors = vec![
            ("t".to_string(), m.as_strided(&[4, 3], &[1, 4], 0).unwrap()),
            ("s".to_string(), m.as_strided(&[2, 2], &[4, 1], 5).unwrap()),
            ("h".to_string(), m.to_dtype(DType::F16)),
            ("q".to_string(), Tensor::from_vec(vec![true, false, true], &[3]).unwrap()),
            ("i".to_string(), Tensor::from_vec(vec![-7i64, 1 << 40], &[2]).unwrap()),
        ];
        let bytes = file(&tensors);
        let path = std::env::temp_dir().join(format!("tsc-save-test-{}.tsg", std::process::id()));
        let p = parse(Source::Bytes(&bytes), &path).unwrap().header.program;
        save(&path, &p, &Meta::default(), &tensors).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let l = load(&path).unwrap();
        for (t, (name, want)) in l.tensors.iter().zip(&tensors) {
            assert_eq!((t.shape(), t.dtype()), (want.shape(), want.dtype()), "{name}");
            assert_eq!(t.to_vec::<f64>(), want.to_vec::<f64>(), "{name}");
        }
        assert!(l.header.tensors.iter().all(|e| e.offset % ALIGN == 0));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn from_bytes_copies() {
        let bytes = file(&[("w".to_string(), Tensor::from_vec(vec![1.0f32; 4], &[4]).unwrap())]);
        let l = from_bytes(&bytes, Path::new("t.tsg")).unwrap();
        assert!(!l.tensors[0].is_mapped());
    }
}

/// Version 1 of the header: the program had no `kernels` (version 2
/// appended that field and the `Fused` opcode, so the rest decodes as is).
mod v1 {
    use super::{Meta, TensorEntry};
    use crate::program::schema::{BlockDef, ConstDef, IoDef, ProgramDef};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    pub struct Header {
        pub(in super::super) program: Program,
        pub(in super::super) tensors: Vec<TensorEntry>,
        pub(in super::super) meta: Meta,
    }

    #[derive(Serialize, Deserialize)]
    pub(in super::super) struct Program {
        pub(in super::super) blocks: Vec<BlockDef>,
        pub(in super::super) inputs: Vec<IoDef>,
        pub(in super::super) outputs: Vec<u32>,
        pub(in super::super) consts: Vec<ConstDef>,
        pub(in super::super) locs: Vec<String>,
        pub(in super::super) num_slots: u32,
    }

    impl Header {
        pub fn upgrade(self) -> super::Header {
            let p = self.program;
            let program = ProgramDef { blocks: p.blocks, inputs: p.inputs, outputs: p.outputs, consts: p.consts, locs: p.locs, kernels: Vec::new(), num_slots: p.num_slots };
            super::Header { program, tensors: self.tensors, meta: self.meta }
        }
    }
}
