//! The safe side of a call: checks the operands, collapses the iteration
//! space to rows, classifies each operand's row stride (the specialization
//! key), and walks the rows (an index odometer giving each operand's row
//! base) calling the compiled row function, split over the rayon pool when
//! the work is large.
//!
//! The hot path allocates nothing for rank <= [`MAX_RANK`] and <=
//! [`MAX_OPERANDS`] operands/outputs ([`Buf`] keeps them on the stack);
//! beyond that it falls back to `Vec`s.

use std::ops::{Deref, DerefMut};

use super::codegen::{Class, RowFn};
use super::Operand;

/// Ranks kept on the stack.
pub(super) const MAX_RANK: usize = 8;
/// Operands (and outputs) kept on the stack.
pub(super) const MAX_OPERANDS: usize = 16;

/// A fixed inline array of up to `N` elements, or a `Vec` beyond.
pub(super) enum Buf<T: Copy, const N: usize> {
    Inline([T; N], usize),
    Heap(Vec<T>),
}

impl<T: Copy, const N: usize> Buf<T, N> {
    /// `len` copies of `v`.
    #[inline(always)]
    pub fn filled(len: usize, v: T) -> Self {
        if len <= N {
            Buf::Inline([v; N], len)
        } else {
            Buf::Heap(vec![v; len])
        }
    }

    /// Empty; `fill` only initializes the inline storage.
    #[inline(always)]
    pub fn empty(fill: T) -> Self {
        Buf::Inline([fill; N], 0)
    }

    #[inline(always)]
    pub fn from_iter_fill(fill: T, it: impl ExactSizeIterator<Item = T>) -> Self {
        let mut b = Buf::filled(it.len(), fill);
        for (s, v) in b.iter_mut().zip(it) {
            *s = v;
        }
        b
    }

    #[inline(always)]
    pub fn push(&mut self, v: T) {
        match self {
            Buf::Inline(a, len) if *len < N => {
                a[*len] = v;
                *len += 1;
            }
            Buf::Inline(a, len) => {
                let mut h = a[..*len].to_vec();
                h.push(v);
                *self = Buf::Heap(h);
            }
            Buf::Heap(h) => h.push(v),
        }
    }
}

impl<T: Copy, const N: usize> Deref for Buf<T, N> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        match self {
            Buf::Inline(a, len) => &a[..*len],
            Buf::Heap(h) => h,
        }
    }
}

impl<T: Copy, const N: usize> DerefMut for Buf<T, N> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Buf::Inline(a, len) => &mut a[..*len],
            Buf::Heap(h) => h,
        }
    }
}

/// The call after collapsing: `dims` (outermost first, the last is the
/// row; never empty) and each operand's strides over them (scalars: 0).
pub(super) struct Layout<'a> {
    pub dims: Buf<usize, MAX_RANK>,
    /// Operand k's stride over dim d is `strides[k * cap + d]` (borrowed
    /// from the caller's stack, so the layout stays small to move).
    strides: &'a [isize],
    cap: usize,
    tensor: Buf<bool, MAX_OPERANDS>,
}

/// Stride storage (`operands · max(rank, 1)` entries) kept on the stack.
pub(super) const INLINE_STRIDES: usize = MAX_RANK * MAX_OPERANDS;

/// The stride storage `Layout::new` needs for `shape` and `m` operands.
pub(super) fn strides_len(shape: &[usize], m: usize) -> usize {
    m * shape.len().max(1)
}

impl<'a> Layout<'a> {
    /// Merges dims d, d+1 when every tensor has `stride[d] == stride[d+1] ·
    /// shape[d+1]`, drops size-1 dims (the output is contiguous, so it
    /// merges wherever the inputs do). `numel` is the product of `shape`.
    #[inline(always)]
    /// `store` holds [`strides_len`] zeros.
    pub fn new(
        shape: &[usize],
        operands: &[Operand],
        numel: usize,
        store: &'a mut [isize],
    ) -> Layout<'a> {
        let m = operands.len();
        let tensor = Buf::from_iter_fill(
            false,
            operands.iter().map(|o| matches!(o, Operand::Tensor { .. })),
        );
        // Fast path: every tensor is contiguous or constant (all strides 0
        // over the non-1 dims): one row of `numel`, as the merging gives.
        if numel > 1 {
            let simple = operands.iter().zip(store.iter_mut()).all(|(o, r)| match o {
                Operand::Scalar(_) => true,
                Operand::Tensor { strides, .. } => {
                    let (mut want, mut contiguous, mut zero) = (1isize, true, true);
                    for (&size, &st) in shape.iter().zip(strides.iter()).rev() {
                        if size == 1 {
                            continue;
                        }
                        contiguous &= st == want;
                        zero &= st == 0;
                        want = want.wrapping_mul(size as isize);
                    }
                    *r = if contiguous { 1 } else { 0 };
                    contiguous || zero
                }
            });
            if simple {
                let mut dims = Buf::empty(0);
                dims.push(numel);
                return Layout {
                    dims,
                    strides: &store[..m],
                    cap: 1,
                    tensor,
                };
            }
        }
        let cap = shape.len().max(1);
        let mut dims: Buf<usize, MAX_RANK> = Buf::empty(0);
        let strides = store;
        strides.fill(0);
        collapse(&mut dims, strides, cap, shape, operands);
        if dims.is_empty() {
            dims.push(1);
        }
        Layout {
            dims,
            strides,
            cap,
            tensor,
        }
    }

    /// The layout of a row kernel's call: the outer dims (all but the last
    /// of `shape`) collapsed as [`Layout::new`] does, then the row (the last
    /// dim, kept even when it has size 0 or 1; a rank-0 shape is one row of
    /// one element). `store` holds [`strides_len`] entries.
    pub fn rows(shape: &[usize], operands: &[Operand], store: &'a mut [isize]) -> Layout<'a> {
        let tensor = Buf::from_iter_fill(
            false,
            operands.iter().map(|o| matches!(o, Operand::Tensor { .. })),
        );
        let cap = shape.len().max(1);
        let mut dims: Buf<usize, MAX_RANK> = Buf::empty(0);
        let strides = store;
        strides.fill(0);
        let outer = shape.len().saturating_sub(1);
        collapse(&mut dims, strides, cap, &shape[..outer], operands);
        let r = dims.len();
        dims.push(shape.last().copied().unwrap_or(1));
        if let Some(last) = shape.len().checked_sub(1) {
            for (k, o) in operands.iter().enumerate() {
                if let Operand::Tensor { strides: t, .. } = o {
                    strides[k * cap + r] = t[last];
                }
            }
        }
        Layout {
            dims,
            strides,
            cap,
            tensor,
        }
    }

    /// Operand k's stride over collapsed dim d (0 for a scalar).
    #[inline]
    fn stride(&self, k: usize, d: usize) -> isize {
        self.strides[k * self.cap + d]
    }

    /// The row stride class of every operand: the specialization key.
    #[inline(always)]
    pub fn classes(&self) -> Buf<Class, MAX_OPERANDS> {
        let row = self.dims.len() - 1;
        Buf::from_iter_fill(
            Class::Scalar,
            self.tensor
                .iter()
                .enumerate()
                .map(|(k, &t)| match (t, self.stride(k, row)) {
                    (false, _) => Class::Scalar,
                    (true, 0) => Class::Broadcast,
                    (true, 1) => Class::Contiguous,
                    (true, _) => Class::Strided,
                }),
        )
    }
}

/// Appends the dims of `shape` to `dims`, dropping size-1 dims and merging
/// dim d into the previous one when every tensor has `stride[prev] ==
/// stride[d] · shape[d]`; operand k's stride over collapsed dim `r` goes to
/// `strides[k * cap + r]`.
fn collapse(
    dims: &mut Buf<usize, MAX_RANK>,
    strides: &mut [isize],
    cap: usize,
    shape: &[usize],
    operands: &[Operand],
) {
    for (d, &size) in shape.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let r = dims.len();
        let merge = r > 0
            && operands.iter().enumerate().all(|(k, o)| match o {
                Operand::Tensor { strides: t, .. } => {
                    Some(strides[k * cap + r - 1]) == t[d].checked_mul(size as isize)
                }
                Operand::Scalar(_) => true,
            });
        let at = if merge {
            dims[r - 1] *= size;
            r - 1
        } else {
            dims.push(size);
            r
        };
        for (k, o) in operands.iter().enumerate() {
            if let Operand::Tensor { strides: t, .. } = o {
                strides[k * cap + at] = t[d];
            }
        }
    }
}

/// Raw pointers handed to worker threads.
#[derive(Copy, Clone)]
struct Ptrs<'a> {
    ins: &'a [*const f32],
    outs: &'a [*mut f32],
}
// SAFETY: the caller of `CpuKernel::run` guarantees the inputs are valid
// for reads for the whole call and the outputs are distinct slices; each
// thread writes a disjoint element range of the outputs.
unsafe impl Send for Ptrs<'_> {}
unsafe impl Sync for Ptrs<'_> {}

/// Elements (weighted by kernel cost) below which a call stays off the
/// rayon pool.
const MIN_PARALLEL_WORK: usize = 1 << 16;
/// Weighted elements from which a call below [`MIN_PARALLEL_WORK`] is
/// split in two with [`crate::parallel::hot::pair`] (an LSTM step's gates:
/// 256 elements of three sigmoids and two tanh, ~2 µs).
const HOT_PAIR_WORK: usize = 1 << 12;

/// Computes one run of an elementwise kernel: `(n, ins, strides, scalars,
/// outs)` as a row function takes them (`codegen`'s ABI, without the
/// scratch): a compiled function, or the tile loop of a staged kernel
/// (`stage.rs`).
pub(super) trait RowCall: Sync {
    /// # Safety
    /// As the row function's: the pointers address `n` elements of every
    /// operand and output along the row.
    unsafe fn call(&self, n: usize, ins: *const *const f32, strides: *const isize, scalars: *const f32, outs: *const *mut f32);
}

impl RowCall for RowFn {
    #[inline(always)]
    unsafe fn call(&self, n: usize, ins: *const *const f32, strides: *const isize, scalars: *const f32, outs: *const *mut f32) {
        // SAFETY: forwarded from the caller.
        unsafe { self(n, ins, strides, scalars, outs, std::ptr::null_mut()) }
    }
}

/// Runs `f` over every element of `layout`.
///
/// # Safety
/// As `CpuKernel::run`; `outs[j]` has `numel` elements and `f` computes the
/// kernel for `layout.classes()`.
pub(super) unsafe fn run(
    f: &impl RowCall,
    layout: &Layout<'_>,
    ins: &[*const f32],
    scalars: &[f32],
    outs: &[*mut f32],
    cost: usize,
) {
    let numel: usize = layout.dims.iter().product();
    let ptrs = Ptrs { ins, outs };
    // Chunks of whole 64-element groups (vector loops stay aligned).
    let chunk = |threads: usize| numel.div_ceil(threads * 4).next_multiple_of(64);
    // SAFETY: forwarded from the caller; the ranges are disjoint.
    in_pieces(numel, numel.saturating_mul(cost.max(1)), 64, chunk, |start, end| unsafe {
        run_range(f, layout, ptrs, scalars, start, end)
    });
}

/// Calls `f(start, end)` over pieces of `0..total`: once for all of it when
/// the `work` is small (such calls never touch the rayon pool), there is one
/// thread or one item; in two halves (the first a multiple of `align`) on
/// the hot pair when it is mid-sized or the pool has two threads;
/// else in pieces of `chunk(threads)` items spread over the pool.
fn in_pieces(total: usize, work: usize, align: usize, chunk: impl FnOnce(usize) -> usize, f: impl Fn(usize, usize) + Sync) {
    let threads = if work < HOT_PAIR_WORK || total < 2 { 1 } else { rayon::current_num_threads() };
    if threads <= 1 {
        f(0, total);
        return;
    }
    // Two threads: the hot pair at any size (no rayon worker left spinning
    // beside the next op: `parallel::for_each_index`).
    if work < MIN_PARALLEL_WORK || threads == 2 {
        return crate::parallel::halves(total, align, &f);
    }
    let chunk = chunk(threads).max(1);
    let f = &f;
    rayon::scope(|s| {
        let mut start = 0;
        while start < total {
            let end = (start + chunk).min(total);
            s.spawn(move |_| f(start, end));
            start = end;
        }
    });
}

/// Computes flat output elements `start..end`, a row piece at a time.
unsafe fn run_range(
    f: &impl RowCall,
    layout: &Layout<'_>,
    p: Ptrs,
    scalars: &[f32],
    start: usize,
    end: usize,
) {
    let rank = layout.dims.len();
    let n = layout.dims[rank - 1];
    let m = p.ins.len();
    let row_strides: Buf<isize, MAX_OPERANDS> =
        Buf::from_iter_fill(0, (0..m).map(|k| layout.stride(k, rank - 1)));
    if rank == 1 {
        // One row (the common, collapsed case): no odometer.
        let ins: Buf<*const f32, MAX_OPERANDS> = Buf::from_iter_fill(
            std::ptr::null(),
            p.ins
                .iter()
                .zip(row_strides.iter())
                .map(|(&i, &s)| i.wrapping_offset(start as isize * s)),
        );
        let outs: Buf<*mut f32, MAX_OPERANDS> = Buf::from_iter_fill(
            std::ptr::null_mut(),
            p.outs.iter().map(|&o| o.wrapping_add(start)),
        );
        // SAFETY: as below.
        unsafe { f.call(end - start, ins.as_ptr(), row_strides.as_ptr(), scalars.as_ptr(), outs.as_ptr()) };
        return;
    }
    let (row, mut col) = (start / n, start % n);
    let mut odo = Odometer::at(layout, row, m);
    let mut ins: Buf<*const f32, MAX_OPERANDS> =
        Buf::from_iter_fill(std::ptr::null(), p.ins.iter().copied());
    let mut outs: Buf<*mut f32, MAX_OPERANDS> =
        Buf::from_iter_fill(std::ptr::null_mut(), p.outs.iter().copied());
    let mut pos = start;
    while pos < end {
        let len = (n - col).min(end - pos);
        for (k, i) in ins.iter_mut().enumerate() {
            *i = p.ins[k].wrapping_offset(odo.base[k] + col as isize * row_strides[k]);
        }
        for (j, o) in outs.iter_mut().enumerate() {
            *o = p.outs[j].wrapping_add(pos);
        }
        // SAFETY: the caller guarantees every addressed input element is
        // readable and outputs `pos..pos+len` are writable; `f` reads
        // `ins`/`row_strides`/`scalars` only at the indices of its operands.
        unsafe { f.call(len, ins.as_ptr(), row_strides.as_ptr(), scalars.as_ptr(), outs.as_ptr()) };
        pos += len;
        col = 0;
        odo.step(layout);
    }
}

/// The index over the outer dims (all but the row) and each operand's
/// offset at the start of that row.
struct Odometer {
    idx: Buf<usize, MAX_RANK>,
    base: Buf<isize, MAX_OPERANDS>,
}

impl Odometer {
    /// At row `row` (row-major over the outer dims) of `m` operands.
    #[inline(always)]
    fn at(layout: &Layout<'_>, row: usize, m: usize) -> Odometer {
        let outer = &layout.dims[..layout.dims.len() - 1];
        let mut idx: Buf<usize, MAX_RANK> = Buf::filled(outer.len(), 0);
        let mut rest = row;
        for d in (0..outer.len()).rev() {
            idx[d] = rest % outer[d];
            rest /= outer[d];
        }
        let base = Buf::from_iter_fill(
            0,
            (0..m).map(|k| {
                idx.iter()
                    .enumerate()
                    .map(|(d, &i)| (i as isize).wrapping_mul(layout.stride(k, d)))
                    .fold(0isize, isize::wrapping_add)
            }),
        );
        Odometer { idx, base }
    }

    /// To the next row (past the last one: back to row 0).
    #[inline(always)]
    fn step(&mut self, layout: &Layout<'_>) {
        for d in (0..self.idx.len()).rev() {
            let size = layout.dims[d];
            self.idx[d] += 1;
            if self.idx[d] < size {
                for (k, b) in self.base.iter_mut().enumerate() {
                    *b = b.wrapping_add(layout.stride(k, d));
                }
                return;
            }
            self.idx[d] = 0;
            for (k, b) in self.base.iter_mut().enumerate() {
                *b = b.wrapping_sub((size as isize - 1).wrapping_mul(layout.stride(k, d)));
            }
        }
    }
}

/// Runs the row function of a row kernel over every row of `layout` (the
/// last dim is the row, `n` elements, possibly 0): full outputs at `r · n`,
/// per-row outputs (`per_row[j]`) at `r` for row `r`. Splits the rows over
/// the rayon pool when `rows · n · cost` is large. Each thread passes `f` a
/// row scratch of `scratch` floats (none when 0).
///
/// # Safety
/// As `CpuKernel::run`; output j has `rows` elements if `per_row[j]`, else
/// `rows · n`, and `f` was compiled for `layout.classes()` and, when
/// `scratch > 0`, with a row scratch of at most `scratch` floats.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn run_rows(
    f: RowFn,
    layout: &Layout<'_>,
    ins: &[*const f32],
    scalars: &[f32],
    outs: &[*mut f32],
    per_row: &[bool],
    cost: usize,
    scratch: usize,
) {
    let rank = layout.dims.len();
    let n = layout.dims[rank - 1];
    let rows: usize = layout.dims[..rank - 1].iter().product();
    let ptrs = Ptrs { ins, outs };
    let work = rows.saturating_mul(n.max(1)).saturating_mul(cost.max(1));
    // SAFETY: forwarded from the caller; the row ranges are disjoint.
    in_pieces(rows, work, 1, |threads| rows.div_ceil(threads * 4), |start, end| {
        with_scratch(scratch, |s| unsafe {
            run_row_range(f, layout, ptrs, scalars, per_row, s, start, end)
        })
    });
}

/// Calls `f` with this thread's row scratch of at least `len` floats (null
/// when `len` is 0).
fn with_scratch(len: usize, f: impl FnOnce(*mut f32)) {
    if len == 0 {
        return f(std::ptr::null_mut());
    }
    crate::parallel::with_scratch(|buf| {
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        f(buf.as_mut_ptr())
    })
}

/// Computes rows `start..end` (row-major over the outer dims), one call of
/// `f` per row.
#[allow(clippy::too_many_arguments)]
unsafe fn run_row_range(
    f: RowFn,
    layout: &Layout<'_>,
    p: Ptrs,
    scalars: &[f32],
    per_row: &[bool],
    scratch: *mut f32,
    start: usize,
    end: usize,
) {
    let rank = layout.dims.len();
    let n = layout.dims[rank - 1];
    let m = p.ins.len();
    let row_strides: Buf<isize, MAX_OPERANDS> =
        Buf::from_iter_fill(0, (0..m).map(|k| layout.stride(k, rank - 1)));
    let mut odo = Odometer::at(layout, start, m);
    let mut ins: Buf<*const f32, MAX_OPERANDS> =
        Buf::from_iter_fill(std::ptr::null(), p.ins.iter().copied());
    let mut outs: Buf<*mut f32, MAX_OPERANDS> =
        Buf::from_iter_fill(std::ptr::null_mut(), p.outs.iter().copied());
    for r in start..end {
        for (k, i) in ins.iter_mut().enumerate() {
            *i = p.ins[k].wrapping_offset(odo.base[k]);
        }
        for (j, o) in outs.iter_mut().enumerate() {
            *o = p.outs[j].wrapping_add(if per_row[j] { r } else { r * n });
        }
        // SAFETY: the caller guarantees every addressed input element is
        // readable and this row's outputs are writable; `f` reads
        // `ins`/`row_strides`/`scalars` only at the indices of its operands.
        unsafe {
            f(
                n,
                ins.as_ptr(),
                row_strides.as_ptr(),
                scalars.as_ptr(),
                outs.as_ptr(),
                scratch,
            )
        };
        odo.step(layout);
    }
}
