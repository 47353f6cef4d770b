//! Splitting loops across the rayon pool once the work is big enough to pay
//! for the hand-off (a few µs); small inputs stay on the calling thread.
//! With two threads (this project's 2-core machines) a split is two halves
//! on the caller and the [`hot`] helper instead: rayon's workers spin for a
//! while after a job, and one of them then shares the caller's core.
//! Also each thread's reusable float buffer ([`with_scratch`]), and a
//! helper thread kept hot for jobs too small for the pool ([`hot`]).

pub mod hot;

/// Runs `f` with this thread's reusable float buffer (conv's im2col
/// columns, the JIT's row scratch), so such buffers are allocated (and
/// zeroed) once per thread rather than per call. Falls back to a fresh
/// buffer if the thread's buffer is already in use (a conv running inside
/// another one's rayon wait). Buffers above 64 MiB are released afterwards.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Vec<f32>) -> R) -> R {
    use std::cell::RefCell;
    thread_local! {
        static BUF: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    }
    BUF.with(|c| match c.try_borrow_mut() {
        Ok(mut v) => {
            let r = f(&mut v);
            if v.capacity() > 16 << 20 {
                *v = Vec::new();
            }
            r
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// Runs `f(i)` for every `i < n` on the pool: on two threads as two
/// halves, the caller's and [`hot`]'s helper's (a rayon hand-off leaves a
/// worker spinning on the caller's core after the job, slowing the serial
/// op that follows; see `gemm/gemv.rs`), else one rayon task per index.
pub fn for_each_index(n: usize, f: impl Fn(usize) + Sync) {
    use rayon::prelude::*;
    if rayon::current_num_threads() == 2 {
        return halves(n, 1, &|a, b| (a..b).for_each(&f));
    }
    (0..n).into_par_iter().for_each(&f);
}

/// `f(start, end)` over the two halves of `0..len` (the first a multiple of
/// `align`), on the caller and [`hot`]'s helper: the two-thread pool's
/// split, which leaves no rayon worker spinning on the caller's core
/// ([`for_each_index`]).
pub(crate) fn halves(len: usize, align: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    let half = len.div_ceil(2).next_multiple_of(align.max(1)).min(len);
    hot::pair(&|h| {
        if h == 0 {
            f(0, half)
        } else if half < len {
            f(half, len)
        }
    });
}

/// A raw pointer that may cross into other threads (each writes a
/// disjoint block; see the SAFETY notes at the use sites).
pub(crate) struct SendPtr<T>(pub(crate) *mut T);
// By hand: a derive would ask `T: Copy`; the pointer is copyable for any `T`.
impl<T> Clone for SendPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SendPtr<T> {}
// SAFETY: only used for disjoint writes within a parallel region that the
// owning &mut borrow outlives.
unsafe impl<T: Send> Send for SendPtr<T> {}
unsafe impl<T: Send> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// The pointer (a method, so closures capture the `Send` wrapper).
    pub(crate) fn get(self) -> *mut T {
        self.0
    }
}

/// Elements below which elementwise work stays on one thread.
pub const MIN_PARALLEL_ELEMS: usize = 1 << 15;

/// Runs `f(start, end)` over disjoint chunks covering `0..len`, in parallel
/// when `len * cost_per_elem` is large enough.
pub fn for_chunks(len: usize, cost_per_elem: usize, f: impl Fn(usize, usize) + Sync) {
    let work = len.saturating_mul(cost_per_elem.max(1));
    let threads = rayon::current_num_threads();
    if work < MIN_PARALLEL_ELEMS || threads <= 1 {
        f(0, len);
        return;
    }
    if threads == 2 {
        return halves(len, 1, &f);
    }
    let chunks = threads * 4;
    let chunk = len.div_ceil(chunks).max(1);
    rayon::scope(|s| {
        let f = &f;
        let mut start = 0;
        while start < len {
            let end = (start + chunk).min(len);
            s.spawn(move |_| f(start, end));
            start = end;
        }
    });
}

/// Like [`for_chunks`] but hands each chunk a disjoint mutable slice of `out`.
pub fn map_chunks_mut<T: Send>(
    out: &mut [T],
    cost_per_elem: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let len = out.len();
    let work = len.saturating_mul(cost_per_elem.max(1));
    let threads = rayon::current_num_threads();
    if work < MIN_PARALLEL_ELEMS || threads <= 1 {
        f(0, out);
        return;
    }
    if threads == 2 {
        let base = SendPtr(out.as_mut_ptr());
        // SAFETY: the halves are disjoint ranges of `out`, which outlives the call.
        return halves(len, 1, &|a, b| {
            f(a, unsafe {
                std::slice::from_raw_parts_mut(base.get().add(a), b - a)
            })
        });
    }
    let chunk = len.div_ceil(threads * 4).max(1);
    rayon::scope(|s| {
        let f = &f;
        for (i, part) in out.chunks_mut(chunk).enumerate() {
            s.spawn(move |_| f(i * chunk, part));
        }
    });
}

/// Like [`map_chunks_mut`] but every chunk holds whole rows of `row_len`
/// elements: `f(first_row, rows)` gets a slice whose length is a multiple
/// of `row_len` (a trailing partial row, if any, comes last on its own).
pub fn map_rows_mut<T: Send>(
    out: &mut [T],
    row_len: usize,
    cost_per_elem: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let len = out.len();
    if row_len == 0 || len == 0 {
        return;
    }
    let rows = len.div_ceil(row_len);
    let work = len.saturating_mul(cost_per_elem.max(1));
    let threads = rayon::current_num_threads();
    if work < MIN_PARALLEL_ELEMS || threads <= 1 || rows == 1 {
        f(0, out);
        return;
    }
    if threads == 2 {
        let base = SendPtr(out.as_mut_ptr());
        // SAFETY: the halves (whole rows) are disjoint ranges of `out`,
        // which outlives the call.
        return halves(len, row_len, &|a, b| {
            f(a / row_len, unsafe {
                std::slice::from_raw_parts_mut(base.get().add(a), b - a)
            })
        });
    }
    let rows_per_chunk = rows.div_ceil(threads * 4).max(1);
    let chunk = rows_per_chunk * row_len;
    rayon::scope(|s| {
        let f = &f;
        for (i, part) in out.chunks_mut(chunk).enumerate() {
            s.spawn(move |_| f(i * rows_per_chunk, part));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn chunks_cover_everything_once() {
        for len in [0usize, 1, 7, 1000, 100_000, 1 << 20] {
            let seen = AtomicUsize::new(0);
            for_chunks(len, 1, |a, b| {
                assert!(a <= b && b <= len);
                seen.fetch_add(b - a, Ordering::Relaxed);
            });
            assert_eq!(seen.load(Ordering::Relaxed), len);
            let mut v = vec![0usize; len];
            map_chunks_mut(&mut v, 1, |start, c| {
                c.iter_mut().enumerate().for_each(|(i, x)| *x = start + i)
            });
            assert!(v.iter().enumerate().all(|(i, &x)| i == x));
        }
    }

    #[test]
    fn rows_are_never_split() {
        for (rows, row_len) in [(0usize, 3usize), (1, 5), (3, 7), (10_000, 33), (5, 100_000)] {
            let mut v = vec![usize::MAX; rows * row_len];
            map_rows_mut(&mut v, row_len, 4, |r0, c| {
                assert_eq!(c.len() % row_len, 0);
                for (i, x) in c.iter_mut().enumerate() {
                    *x = r0 + i / row_len;
                }
            });
            assert!(v.iter().enumerate().all(|(i, &x)| x == i / row_len));
        }
        map_rows_mut(&mut [0u8; 4], 0, 1, |_, _| panic!("row_len 0 does nothing"));
    }
}
