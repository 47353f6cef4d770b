//! Per-thread free lists for the small blocks of [`super::CachingAlloc`]
//! (under [`super::MIN_CACHED`] bytes, alignment at most [`STEP`]): shape
//! and stride vectors, argument lists, boxed values.
//!
//! Why: an op on a small tensor allocates a dozen of these and frees them
//! again. glibc's per-thread cache keeps seven blocks per size, so the
//! rest went through `_int_malloc`/`_int_free` (and `calloc` never uses the
//! cache): 34% of a loop of unfused 1024-float binary ops and 16% of
//! `lstm_loop`'s main thread (`perf`).
//!
//! How: a size class per [`STEP`] bytes; each thread keeps up to [`KEEP`]
//! free blocks per class in an intrusive list (the next pointer lives in
//! the free block), with no lock. A block freed on another thread joins
//! that thread's list, which is fine: every block of a class comes from
//! `System` with [`block_layout`] of the class. A thread's lists go back to
//! `System` when the thread exits; frees after that go straight to it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Bytes per class, and the alignment of every small block.
pub(super) const STEP: usize = 16;
/// Classes: blocks of `STEP`, `2·STEP`, ... bytes, below `MIN_CACHED`.
const CLASSES: usize = super::MIN_CACHED / STEP;
/// Free blocks a thread keeps per class (beyond that, frees go to `System`).
const KEEP: u32 = 32;

struct Lists {
    head: [*mut u8; CLASSES],
    count: [u32; CLASSES],
}

impl Drop for Lists {
    fn drop(&mut self) {
        for (class, head) in self.head.iter_mut().enumerate() {
            while !head.is_null() {
                let block = *head;
                // SAFETY: a free block starts with the pointer to the next,
                // and came from `System` with the class's layout.
                unsafe {
                    *head = block.cast::<*mut u8>().read();
                    System.dealloc(block, block_layout(class));
                }
            }
        }
    }
}

thread_local! {
    static LISTS: UnsafeCell<Lists> = const {
        UnsafeCell::new(Lists { head: [ptr::null_mut(); CLASSES], count: [0; CLASSES] })
    };
}

/// The small class serving `layout`, if any.
pub(super) fn class(layout: Layout) -> Option<usize> {
    (layout.size() < super::MIN_CACHED && layout.align() <= STEP)
        .then(|| layout.size().saturating_sub(1) / STEP)
}

/// The layout every block of `class` is allocated with.
fn block_layout(class: usize) -> Layout {
    // (class + 1)·STEP <= MIN_CACHED with a power-of-two alignment: valid.
    Layout::from_size_align((class + 1) * STEP, STEP).unwrap_or(Layout::new::<u8>())
}

/// A block of `class`: this thread's last freed one, else a fresh one.
///
/// # Safety
/// `class < CLASSES` (from [`class`]).
pub(super) unsafe fn alloc(class: usize) -> *mut u8 {
    let kept = LISTS.try_with(|lists| {
        // SAFETY: only this thread touches its lists, and nothing here
        // allocates (no reentry).
        let l = unsafe { &mut *lists.get() };
        let block = l.head[class];
        if !block.is_null() {
            // SAFETY: a free block starts with the pointer to the next.
            l.head[class] = unsafe { block.cast::<*mut u8>().read() };
            l.count[class] -= 1;
        }
        block
    });
    match kept {
        Ok(block) if !block.is_null() => block,
        // SAFETY: the layout has a non-zero size.
        _ => unsafe { System.alloc(block_layout(class)) },
    }
}

/// Keeps `block` of `class` for this thread, or frees it.
///
/// # Safety
/// `block` came from [`alloc`] with the same `class` and is not used again.
pub(super) unsafe fn dealloc(block: *mut u8, class: usize) {
    let kept = LISTS.try_with(|lists| {
        // SAFETY: as in `alloc`.
        let l = unsafe { &mut *lists.get() };
        if l.count[class] >= KEEP {
            return false;
        }
        // SAFETY: the block holds at least STEP bytes, aligned to STEP.
        unsafe { block.cast::<*mut u8>().write(l.head[class]) };
        l.head[class] = block;
        l.count[class] += 1;
        true
    });
    if kept != Ok(true) {
        // SAFETY: every block of a class comes from `System` with its layout.
        unsafe { System.dealloc(block, block_layout(class)) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_every_small_size() {
        for size in 1..super::super::MIN_CACHED {
            let c = class(Layout::from_size_align(size, 8).unwrap()).unwrap();
            assert!(
                c < CLASSES
                    && block_layout(c).size() >= size
                    && block_layout(c).size() < size + STEP,
                "{size}"
            );
        }
        assert_eq!(
            class(Layout::from_size_align(super::super::MIN_CACHED, 8).unwrap()),
            None
        );
        assert_eq!(class(Layout::from_size_align(64, 32).unwrap()), None);
    }

    #[test]
    fn blocks_are_reused_per_thread_up_to_the_limit() {
        // SAFETY: blocks of one class, each freed once.
        unsafe {
            let p = alloc(3);
            ptr::write_bytes(p, 0xAB, 64);
            dealloc(p, 3);
            assert_eq!(alloc(3), p, "the last freed block comes back first");
            let blocks: Vec<*mut u8> = (0..KEEP + 8).map(|_| alloc(3)).collect();
            for &b in &blocks {
                ptr::write_bytes(b, 0xCD, 64);
            }
            for &b in &blocks {
                dealloc(b, 3);
            }
            LISTS.with(|l| assert_eq!((*l.get()).count[3], KEEP));
            // Another thread frees a block of ours into its own lists, and
            // returns them to the system when it exits.
            let q = alloc(5) as usize;
            std::thread::spawn(move || dealloc(q as *mut u8, 5))
                .join()
                .unwrap();
            dealloc(p, 3);
        }
    }
}
