//! `Data<T>`: the elements of one `Buffer` variant: either an owned
//! `Vec<T>` or a read-only window into a shared memory map (the weights of
//! a `.tsg` file, used where they lie without copying).
//!
//! Invariants of a mapped window (checked by [`Data::map_window`], its only
//! constructor, and relied on by every read):
//! - its bytes `offset .. offset + len * size_of::<T>()` lie inside the map;
//! - its first byte is aligned for `T`;
//! - `T` is [`Pod`]: every bit pattern is a valid `T` (so `bool` can never
//!   be mapped; its bytes are copied and validated instead);
//! - nothing ever writes through it: the map is read-only, and
//!   [`DerefMut`] first replaces the window with an owned copy
//!   (copy-on-write), so an in-place op on a weight changes the tensor but
//!   neither the file nor another load of it;
//! - the `Arc` keeps the map alive as long as any window (or clone) of it.
//!
//! Reads cost one branch per `deref` (owned or mapped), not per element:
//! kernels take the slice once and loop over it.

use memmap2::Mmap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Element types for which every bit pattern is a valid value, so a window
/// of arbitrary file bytes may be read as `[Self]`.
///
/// # Safety
/// Implement only for plain integer/float types without invalid bit
/// patterns or padding (never `bool`, `char`, references or enums).
pub(crate) unsafe trait Pod: Copy + 'static {}
// SAFETY: integers and IEEE floats accept every bit pattern; `f16`/`bf16`
// are `#[repr(transparent)]` wrappers of `u16`.
unsafe impl Pod for u8 {}
unsafe impl Pod for i8 {}
unsafe impl Pod for i16 {}
unsafe impl Pod for i32 {}
unsafe impl Pod for i64 {}
unsafe impl Pod for half::f16 {}
unsafe impl Pod for half::bf16 {}
unsafe impl Pod for f32 {}
unsafe impl Pod for f64 {}

/// A window of `len` elements starting at byte `offset` of `map`.
#[derive(Clone)]
struct Window {
    map: Arc<Mmap>,
    offset: usize,
    len: usize,
}

enum Repr<T> {
    Owned(Vec<T>),
    Mapped(Window),
}

/// The elements of a buffer: owned, or a read-only window into a shared
/// memory map (see the module doc). Derefs to `[T]`; mutable access turns
/// a window into an owned copy first.
pub struct Data<T> {
    repr: Repr<T>,
}

impl<T> Data<T> {
    /// Whether the elements are a window into a memory map (not yet copied).
    pub fn is_mapped(&self) -> bool {
        matches!(self.repr, Repr::Mapped(_))
    }

    /// For a mapped window: the whole mapped file and the byte offset of
    /// this window in it (for tests and diagnostics).
    pub fn map_location(&self) -> Option<(&[u8], usize)> {
        match &self.repr {
            Repr::Owned(_) => None,
            Repr::Mapped(w) => Some((&w.map[..], w.offset)),
        }
    }
}

impl<T: Copy> Data<T> {
    /// The elements as an owned `Vec` (copied out of a mapped window).
    pub fn into_vec(self) -> Vec<T> {
        match self.repr {
            Repr::Owned(v) => v,
            Repr::Mapped(_) => self.to_vec(),
        }
    }

    /// The owned `Vec`, copying a mapped window into one first.
    pub fn make_owned(&mut self) -> &mut Vec<T> {
        if self.is_mapped() {
            self.repr = Repr::Owned(self.to_vec());
        }
        match &mut self.repr {
            Repr::Owned(v) => v,
            Repr::Mapped(_) => unreachable!("Data::make_owned: the window was replaced by a copy above"),
        }
    }
}

impl<T> Data<T> {
    /// A window of `len` elements of `T` starting at byte `offset` of
    /// `map`, read in the machine's byte order. `None` (the caller copies
    /// instead) when the bytes do not lie inside the map or are not aligned
    /// for `T`. An empty window is an owned empty `Vec` (nothing to map).
    pub(crate) fn map_window(map: &Arc<Mmap>, offset: usize, len: usize) -> Option<Data<T>>
    where
        T: Pod,
    {
        let end = len.checked_mul(std::mem::size_of::<T>()).and_then(|n| n.checked_add(offset))?;
        if end > map.len() {
            return None;
        }
        if len == 0 {
            return Some(Data::from(Vec::new()));
        }
        // In bounds: `offset < end <= map.len()`.
        let first = map[offset..].as_ptr();
        if (first as usize) % std::mem::align_of::<T>() != 0 {
            return None;
        }
        Some(Data { repr: Repr::Mapped(Window { map: map.clone(), offset, len }) })
    }
}

impl<T> Deref for Data<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match &self.repr {
            Repr::Owned(v) => v,
            // SAFETY: `map_window` (the only constructor of a window, and
            // only for `T: Pod`) checked that the `len * size_of::<T>()`
            // bytes at `offset` lie inside the map and that the first is
            // aligned for `T`; every bit pattern is a valid `T`. The map is
            // mapped read-only, never moves, lives as long as the `Arc`
            // this borrow holds, and no `&mut` to it exists (`DerefMut`
            // copies first). As with every memory-mapped file, another
            // process modifying or truncating the file while it is mapped
            // is outside the program's control (see spec/file-format.md).
            Repr::Mapped(w) => unsafe { std::slice::from_raw_parts(w.map.as_ptr().add(w.offset).cast::<T>(), w.len) },
        }
    }
}

impl<T: Copy> DerefMut for Data<T> {
    /// Copy-on-write: a mapped window becomes an owned copy first, so a
    /// write never reaches the (read-only) map.
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.make_owned()
    }
}

impl<T: Clone> Clone for Data<T> {
    /// An owned buffer is copied; a mapped window shares the map.
    fn clone(&self) -> Self {
        let repr = match &self.repr {
            Repr::Owned(v) => Repr::Owned(v.clone()),
            Repr::Mapped(w) => Repr::Mapped(w.clone()),
        };
        Data { repr }
    }
}

impl<T: fmt::Debug> fmt::Debug for Data<T> {
    /// The elements, as a `Vec` prints them (mapped or not).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: PartialEq> PartialEq for Data<T> {
    /// Equal elements, wherever they live.
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> Default for Data<T> {
    fn default() -> Self {
        Data::from(Vec::new())
    }
}

impl<T> From<Vec<T>> for Data<T> {
    #[inline]
    fn from(v: Vec<T>) -> Self {
        Data { repr: Repr::Owned(v) }
    }
}

impl<T> FromIterator<T> for Data<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Data::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<'a, T> IntoIterator for &'a Data<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map of a temporary file holding `bytes`.
    fn map_of(bytes: &[u8], tag: &str) -> Arc<Mmap> {
        let path = std::env::temp_dir().join(format!("tsc-data-test-{tag}-{}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: a private temporary file nobody else writes.
        let map = unsafe { Mmap::map(&file) }.unwrap();
        std::fs::remove_file(&path).unwrap();
        Arc::new(map)
    }

    fn le_f32(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn a_window_reads_in_place_and_writes_copy() {
        let map = map_of(&le_f32(&[1.0, 2.0, 3.0, 4.0]), "cow");
        let mut d = Data::<f32>::map_window(&map, 4, 3).unwrap();
        assert!(d.is_mapped());
        assert_eq!(&*d, &[2.0, 3.0, 4.0]);
        assert_eq!(d.as_ptr().cast::<u8>(), map[4..].as_ptr());
        let c = d.clone();
        assert!(c.is_mapped() && c.as_ptr() == d.as_ptr(), "a clone shares the map");
        assert_eq!(d.map_location().map(|(m, o)| (m.len(), o)), Some((16, 4)));
        d[0] = -1.0;
        assert!(!d.is_mapped());
        assert_eq!(&*d, &[-1.0, 3.0, 4.0]);
        assert_eq!(&*c, &[2.0, 3.0, 4.0], "the clone still reads the map");
        assert_eq!(&map[4..8], &2.0f32.to_le_bytes(), "the map is untouched");
        assert_eq!(c.clone().into_vec(), vec![2.0, 3.0, 4.0]);
        assert_eq!(c, Data::from(vec![2.0, 3.0, 4.0]));
        assert_eq!(format!("{c:?}"), "[2.0, 3.0, 4.0]");
    }

    #[test]
    fn bad_windows_are_refused() {
        let map = map_of(&[0u8; 64], "bad");
        assert!(Data::<f32>::map_window(&map, 1, 2).is_none(), "misaligned");
        assert!(Data::<f64>::map_window(&map, 4, 1).is_none(), "misaligned for f64");
        assert!(Data::<f32>::map_window(&map, 60, 2).is_none(), "past the end");
        assert!(Data::<f32>::map_window(&map, usize::MAX - 2, 1).is_none(), "overflow");
        assert!(Data::<i64>::map_window(&map, 0, usize::MAX / 4).is_none(), "overflow");
        assert!(Data::<u8>::map_window(&map, 3, 61).is_some_and(|d| d.is_mapped()), "bytes need no alignment");
        assert!(Data::<f32>::map_window(&map, 64, 0).is_some_and(|d| !d.is_mapped() && d.is_empty()));
    }
}
