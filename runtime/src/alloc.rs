//! [`CachingAlloc`]: a global allocator that keeps freed large blocks for
//! the next allocation of the same size class, the CPU counterpart of a GPU
//! caching allocator (and of ONNX Runtime's arena, XLA's BFC allocator).
//!
//! Why: a model call allocates its large tensors afresh and frees them when
//! they die. The system allocator returns blocks over its mmap threshold to
//! the kernel at once, so the next call takes one page fault per 4 KiB it
//! touches: for a 64 MiB output that is 16K faults, more time than the math
//! (`shared/bench/README.md`, the `pointwise` workload). Kept blocks are
//! already mapped, so a steady-state call faults nothing.
//!
//! How:
//! - Blocks of at least [`MIN_CACHED`] bytes with alignment <= 64 are
//!   rounded up to a size class (8 classes per power of two, so at most
//!   12.5% is wasted) and taken from / returned to that class's free list,
//!   an intrusive list threaded through the free blocks themselves (the
//!   allocator never allocates for its own bookkeeping). Classes from
//!   [`PAGE_MIN`] up are whole pages, page-aligned; smaller ones are
//!   64-byte aligned. The small classes are for speed, not faults: glibc
//!   serves blocks above its per-thread cache (~1 KiB) from its bins, with
//!   coalescing on free and fastbin consolidation on the next such
//!   allocation; a 4 KiB tensor cost ~1 µs of `malloc`/`free` per op, 44%
//!   of a loop of 1024-float adds (`perf`), against one uncontended lock
//!   here.
//! - Fresh blocks of at least [`HUGE_MIN`] bytes are aligned to 2 MiB and
//!   marked for transparent huge pages on Linux (`madvise(MADV_HUGEPAGE)`),
//!   so even the first touch takes one fault per 2 MiB. A fresh block
//!   asked for zeroed is zeroed by dropping its pages (`MADV_DONTNEED`),
//!   not by writing it: writing faulted every page in, as small pages,
//!   before the owner's first write (a quarter of `tsc compile`'s time
//!   for a GPT block: 92 ms, against 69 ms now).
//! - The free lists hold at most [`CachingAlloc::limit`] bytes in all
//!   (default [`DEFAULT_LIMIT`]); a block freed beyond that goes back to the
//!   system. [`CachingAlloc::release`] empties them.
//! - Smaller blocks (alignment <= 16) come from per-thread free lists of
//!   16-byte classes (`small.rs`): no lock, no glibc bin work.
//! - Everything else (more strictly aligned, or beyond the largest class)
//!   goes to `System` as is.
//!
//! Invariant: a block in a class's free list was allocated from `System`
//! with [`class_layout`] of that class, and nothing else points into it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

mod small;

/// The smallest block that is cached: just above glibc's per-thread cache
/// (blocks up to 1032 bytes), which is as fast as a free list.
pub const MIN_CACHED: usize = 1 << 10;
/// The smallest class of whole pages: glibc's default mmap threshold, so
/// no block the system allocator would map afresh (and fault in again on
/// every call: an attention block's 768 KiB scores did) bypasses the cache,
/// and a fresh zeroed one can be zeroed by dropping its pages.
pub const PAGE_MIN: usize = 1 << 17;
/// The smallest block given 2 MiB alignment and huge pages.
pub const HUGE_MIN: usize = 4 << 20;
/// Bytes the free lists may hold by default.
pub const DEFAULT_LIMIT: usize = 2 << 30;

const HUGE_ALIGN: usize = 2 << 20;
/// The alignment of every cached block (the smallest page size).
const PAGE: usize = 4096;
const MIN_LOG: u32 = MIN_CACHED.trailing_zeros();
/// Classes per power of two.
const SUB: usize = 8;
/// Powers of two covered: `MIN_CACHED` .. 2^(MIN_LOG + POWERS) bytes.
const POWERS: usize = 27;
const CLASSES: usize = POWERS * SUB;

/// The caching allocator; install it with
/// `#[global_allocator] static A: tsc_runtime::CachingAlloc = tsc_runtime::CachingAlloc;`.
pub struct CachingAlloc;

/// A free list: blocks linked through their first word.
struct FreeList {
    head: *mut u8,
}

// SAFETY: the list owns the free blocks it links; it is only touched under
// its mutex.
unsafe impl Send for FreeList {}

static FREE: [Mutex<FreeList>; CLASSES] = [const { Mutex::new(FreeList { head: ptr::null_mut() }) }; CLASSES];
static CACHED: AtomicUsize = AtomicUsize::new(0);
static LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_LIMIT);

/// The size class of a request of `size` bytes (>= `MIN_CACHED`): its index
/// and its rounded size, or `None` beyond the largest class.
fn class_of(size: usize) -> Option<(usize, usize)> {
    let log = usize::BITS - 1 - size.leading_zeros();
    let step = 1usize << (log - SUB.trailing_zeros());
    let rounded = size.checked_add(step - 1)? & !(step - 1);
    let rlog = usize::BITS - 1 - rounded.leading_zeros();
    let sub = (rounded >> (rlog - SUB.trailing_zeros())) & (SUB - 1);
    let index = (rlog - MIN_LOG) as usize * SUB + sub;
    (index < CLASSES).then_some((index, rounded))
}

/// Zeroes the `len` bytes at `p` by dropping their pages (`MADV_DONTNEED`:
/// in private anonymous memory, where the system allocator's blocks live,
/// they come back as zero pages on first touch), or by writing zeros if
/// the kernel refuses.
///
/// # Safety
/// `[p, p + len)` is an allocated block of ours, page-aligned and a whole
/// number of pages.
#[cfg(target_os = "linux")]
unsafe fn zero_pages(p: *mut u8, len: usize) {
    // SAFETY: the range is ours (the caller's contract).
    if unsafe { libc::madvise(p.cast(), len, libc::MADV_DONTNEED) } != 0 {
        // SAFETY: as above.
        unsafe { ptr::write_bytes(p, 0, len) };
    }
}

/// The layout every block of a class is allocated with: from [`PAGE_MIN`]
/// page-aligned (a class is a whole number of pages, so `fresh` can drop a
/// block's pages), huge blocks aligned to a huge page, smaller ones to 64.
fn class_layout(rounded: usize) -> Layout {
    let align = if rounded >= HUGE_MIN {
        HUGE_ALIGN
    } else if rounded >= PAGE_MIN {
        PAGE
    } else {
        64
    };
    // Classes are far below isize::MAX, so this never falls back.
    Layout::from_size_align(rounded, align).unwrap_or(Layout::new::<u8>())
}

/// Where a layout's blocks come from.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Served {
    /// A per-thread small class (`small.rs`).
    Small(usize),
    /// A shared cached class: its index and rounded size.
    Cached(usize, usize),
    /// `System`, as asked (over-aligned or beyond the largest class).
    System,
}

fn served(layout: Layout) -> Served {
    if let Some(class) = small::class(layout) {
        return Served::Small(class);
    }
    cached_class(layout).map_or(Served::System, |(index, rounded)| Served::Cached(index, rounded))
}

/// The class a layout is served from, if it is cached.
fn cached_class(layout: Layout) -> Option<(usize, usize)> {
    if layout.size() < MIN_CACHED || layout.align() > 64 {
        return None;
    }
    class_of(layout.size())
}

fn lock(index: usize) -> std::sync::MutexGuard<'static, FreeList> {
    FREE[index].lock().unwrap_or_else(|e| e.into_inner())
}

impl CachingAlloc {
    /// The most bytes the free lists hold.
    pub fn limit() -> usize {
        LIMIT.load(Ordering::Relaxed)
    }

    /// Sets the most bytes the free lists may hold (0 turns caching off;
    /// blocks already kept stay until [`CachingAlloc::release`]).
    pub fn set_limit(bytes: usize) {
        LIMIT.store(bytes, Ordering::Relaxed);
    }

    /// Bytes held in the free lists now.
    pub fn cached() -> usize {
        CACHED.load(Ordering::Relaxed)
    }

    /// Returns every kept block to the system.
    pub fn release() {
        for (index, list) in FREE.iter().enumerate() {
            let mut l = list.lock().unwrap_or_else(|e| e.into_inner());
            while !l.head.is_null() {
                let block = l.head;
                // SAFETY: a free block starts with the pointer to the next.
                l.head = unsafe { block.cast::<*mut u8>().read() };
                let rounded = class_size(index);
                CACHED.fetch_sub(rounded, Ordering::Relaxed);
                // SAFETY: the invariant in the module doc.
                unsafe { System.dealloc(block, class_layout(rounded)) };
            }
        }
    }

    /// A fresh block of a class from the system. On Linux a huge block is
    /// marked for huge pages before anything touches it (a page faulted
    /// in before the hint stays small), and a zeroed block is zeroed by
    /// dropping its pages (`MADV_DONTNEED`: they come back as zero pages
    /// on first touch) rather than by writing every byte, which would
    /// fault the whole block in at once.
    unsafe fn fresh(rounded: usize, zeroed: bool) -> *mut u8 {
        let layout = class_layout(rounded);
        if rounded < PAGE_MIN {
            // SAFETY: the layout has a non-zero size.
            return unsafe { if zeroed { System.alloc_zeroed(layout) } else { System.alloc(layout) } };
        }
        #[cfg(target_os = "linux")]
        {
            // SAFETY: the layout has a non-zero size.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                if rounded >= HUGE_MIN {
                    // A hint: failure (no THP support) changes nothing.
                    // SAFETY: [p, p + rounded) is the block just allocated.
                    unsafe { libc::madvise(p.cast(), rounded, libc::MADV_HUGEPAGE) };
                }
                if zeroed {
                    // SAFETY: the block just allocated with `class_layout`.
                    unsafe { zero_pages(p, rounded) };
                }
            }
            p
        }
        // SAFETY: the layout has a non-zero size.
        #[cfg(not(target_os = "linux"))]
        unsafe {
            if zeroed {
                System.alloc_zeroed(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    /// A kept block of class `index`, if there is one.
    fn take(index: usize, rounded: usize) -> Option<*mut u8> {
        let mut l = lock(index);
        if l.head.is_null() {
            return None;
        }
        let block = l.head;
        // SAFETY: a free block starts with the pointer to the next.
        l.head = unsafe { block.cast::<*mut u8>().read() };
        CACHED.fetch_sub(rounded, Ordering::Relaxed);
        Some(block)
    }

    /// Keeps a block of class `index`, or frees it beyond the limit.
    unsafe fn give(block: *mut u8, index: usize, rounded: usize) {
        if CACHED.fetch_add(rounded, Ordering::Relaxed) + rounded > Self::limit() {
            CACHED.fetch_sub(rounded, Ordering::Relaxed);
            // SAFETY: the block came from `fresh` with this class's layout.
            unsafe { System.dealloc(block, class_layout(rounded)) };
            return;
        }
        let mut l = lock(index);
        // SAFETY: the block is ours, at least `MIN_CACHED` bytes and 64-byte aligned.
        unsafe { block.cast::<*mut u8>().write(l.head) };
        l.head = block;
    }
}

/// The rounded size of class `index`.
fn class_size(index: usize) -> usize {
    let (power, sub) = (index / SUB, index % SUB);
    let base = 1usize << (MIN_LOG as usize + power);
    base + sub * (base / SUB)
}

// SAFETY: every block handed out is either `System`'s for the caller's
// layout, or a block of at least the requested size and alignment that no
// one else holds (taken from a free list, or fresh).
unsafe impl GlobalAlloc for CachingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match served(layout) {
            // SAFETY: the class is `small::class`'s.
            Served::Small(class) => unsafe { small::alloc(class) },
            Served::Cached(index, rounded) => Self::take(index, rounded).unwrap_or_else(|| unsafe { Self::fresh(rounded, false) }),
            // SAFETY: as `GlobalAlloc::alloc`.
            Served::System => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match served(layout) {
            // SAFETY: the class is `small::class`'s; a non-null block holds
            // at least `layout.size()` bytes.
            Served::Small(class) => unsafe {
                let block = small::alloc(class);
                if !block.is_null() {
                    ptr::write_bytes(block, 0, layout.size());
                }
                block
            },
            Served::Cached(index, rounded) => match Self::take(index, rounded) {
                Some(block) => {
                    // SAFETY: the block holds at least `layout.size()` bytes.
                    unsafe { ptr::write_bytes(block, 0, layout.size()) };
                    block
                }
                // SAFETY: a fresh block from `calloc` is zero.
                None => unsafe { Self::fresh(rounded, true) },
            },
            // SAFETY: as `GlobalAlloc::alloc_zeroed`.
            Served::System => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match served(layout) {
            // SAFETY: `alloc` served this layout from this small class.
            Served::Small(class) => unsafe { small::dealloc(block, class) },
            // SAFETY: `alloc` served this layout from this class.
            Served::Cached(index, rounded) => unsafe { Self::give(block, index, rounded) },
            // SAFETY: as `GlobalAlloc::dealloc`.
            Served::System => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `new_size` with the old alignment is a valid layout (the caller's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (served(layout), served(new_layout)) {
            // SAFETY: as `GlobalAlloc::realloc`; both are `System`'s.
            (Served::System, Served::System) => return unsafe { System.realloc(block, layout, new_size) },
            // The class's block already has room.
            (old, new) if old == new => return block,
            _ => {}
        }
        // SAFETY: as `alloc`, `dealloc`; the copy covers what both hold.
        unsafe {
            let fresh = self.alloc(new_layout);
            if !fresh.is_null() {
                ptr::copy_nonoverlapping(block, fresh, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
            fresh
        }
    }
}

/// Element types with no invalid bit patterns and no drop glue: any bytes
/// are a value of them (not `bool`).
pub(crate) trait Plain: Copy {}
impl Plain for f32 {}
impl Plain for f64 {}
impl Plain for half::f16 {}
impl Plain for half::bf16 {}
impl Plain for i64 {}

/// A vector of `n` elements whose values are unspecified, for an output
/// that is written in full before it is read: it skips the memset of
/// `vec![0.0; n]`, a whole extra pass over a large output (26% of the
/// `norm_softmax` workload's time, measured with `perf`). The block comes
/// from the allocator as is (from [`CachingAlloc`]'s free lists: a block
/// freed by an earlier call, already mapped).
///
/// # Safety
/// The caller writes every element before any element is read, and drops
/// the vector unread if it cannot (an error on the way).
///
/// This hands out `&mut [T]` over memory not yet written, as tract and
/// candle do for their outputs (clippy's `uninit_vec` lint, allowed here
/// only). The fully principled form is kernels that write through
/// `&mut [MaybeUninit<T>]`; until the kernel APIs take that, this is
/// limited to `Plain` types and to callers that provably write everything.
#[allow(clippy::uninit_vec)]
pub(crate) unsafe fn uninit_vec<T: Plain>(n: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    // SAFETY: the capacity is `n`; `T: Plain` has no invalid values and no
    // drop glue, and the caller writes every element before reading it.
    unsafe { v.set_len(n) };
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_by_at_most_an_eighth_and_invert() {
        let mut last = 0;
        for size in [MIN_CACHED, MIN_CACHED + 1, 3 << 20, (64 << 20) - 1, 64 << 20, (64 << 20) + 1, 1 << 35] {
            let (index, rounded) = class_of(size).unwrap();
            assert!(rounded >= size && rounded - size <= size / SUB, "{size} -> {rounded}");
            assert_eq!(class_size(index), rounded, "class {index}");
            assert!(index >= last);
            last = index;
        }
        assert_eq!(class_of(MIN_CACHED), Some((0, MIN_CACHED)));
        assert_eq!(class_of(1 << 20), Some((10 * SUB, 1 << 20)));
        assert_eq!(class_of((1 << 20) + 1).map(|c| c.1), Some((1 << 20) + (1 << 17)));
        assert_eq!(class_of(usize::MAX), None);
    }

    #[test]
    fn class_layouts_have_the_class_size() {
        for index in 0..CLASSES {
            let l = class_layout(class_size(index));
            assert_eq!(l.size(), class_size(index));
            assert!(l.align() >= 64 && (l.size() < HUGE_MIN || l.align() == HUGE_ALIGN), "class {index}: {l:?}");
            assert!(l.size() < PAGE_MIN || l.size() % PAGE == 0 && l.align() >= PAGE, "class {index}: {l:?}");
        }
    }

    #[test]
    fn a_freed_block_is_reused_and_zeroed_on_request() {
        let a = CachingAlloc;
        let layout = Layout::from_size_align((5 << 20) - 4096, 8).unwrap();
        // SAFETY: plain allocator calls on a valid layout.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null());
            ptr::write_bytes(p, 0xAB, layout.size());
            a.dealloc(p, layout);
            // Another test may take it first; if not, it comes back zeroed.
            let q = a.alloc_zeroed(layout);
            assert!((0..layout.size()).step_by(4093).all(|i| *q.add(i) == 0));
            // Growing within the class keeps the block.
            let r = a.realloc(q, layout, 5 << 20);
            assert_eq!(r, q);
            // Growing past it moves the block and keeps the bytes.
            *r.add(100) = 7;
            let s = a.realloc(r, Layout::from_size_align(5 << 20, 8).unwrap(), 6 << 20);
            assert_ne!(s, r);
            assert_eq!(*s.add(100), 7);
            a.dealloc(s, Layout::from_size_align(6 << 20, 8).unwrap());
        }
    }

    #[test]
    fn small_classes_are_reused_and_zeroed_on_request() {
        let a = CachingAlloc;
        for size in [MIN_CACHED, 4096, 5000, PAGE_MIN - 1] {
            let layout = Layout::from_size_align(size, 32).unwrap();
            // SAFETY: plain allocator calls on a valid layout.
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null() && p as usize % 64 == 0, "{size}");
                ptr::write_bytes(p, 0xAB, size);
                a.dealloc(p, layout);
                let q = a.alloc_zeroed(layout);
                assert!((0..size).all(|i| *q.add(i) == 0), "{size}");
                a.dealloc(q, layout);
            }
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dropped_pages_read_as_zero() {
        for rounded in [PAGE_MIN, class_size(10 * SUB)] {
            let layout = class_layout(rounded);
            // SAFETY: a block of the class's layout, freed with it.
            unsafe {
                let p = System.alloc(layout);
                assert!(!p.is_null());
                ptr::write_bytes(p, 0xAB, rounded);
                zero_pages(p, rounded);
                assert!((0..rounded).step_by(1021).chain([rounded - 1]).all(|i| *p.add(i) == 0), "{rounded}");
                System.dealloc(p, layout);
            }
        }
    }

    #[test]
    fn small_and_overaligned_blocks_are_not_cached() {
        assert_eq!(cached_class(Layout::from_size_align(1000, 8).unwrap()), None);
        assert_eq!(cached_class(Layout::from_size_align(8 << 20, 4096).unwrap()), None);
        assert!(cached_class(Layout::from_size_align(8 << 20, 64).unwrap()).is_some());
    }
}
