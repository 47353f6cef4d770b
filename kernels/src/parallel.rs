//! Splitting loops across the rayon pool once the work is big enough to pay
//! for the hand-off (a few µs); small inputs stay on the calling thread.

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
pub fn map_chunks_mut<T: Send>(out: &mut [T], cost_per_elem: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let len = out.len();
    let work = len.saturating_mul(cost_per_elem.max(1));
    let threads = rayon::current_num_threads();
    if work < MIN_PARALLEL_ELEMS || threads <= 1 {
        f(0, out);
        return;
    }
    let chunk = len.div_ceil(threads * 4).max(1);
    rayon::scope(|s| {
        let f = &f;
        for (i, part) in out.chunks_mut(chunk).enumerate() {
            s.spawn(move |_| f(i * chunk, part));
        }
    });
}
