//! The safe side of a call: checks the operands, collapses the iteration
//! space to rows, classifies each operand's row stride (the specialization
//! key), and walks the rows (an index odometer giving each operand's row
//! base) calling the compiled row function, split over the rayon pool when
//! the work is large.

use super::codegen::{Class, RowFn};
use super::Operand;

/// The call after collapsing: `dims` (outermost first, the last is the
/// row; never empty) and each operand's strides over them (`None`: scalar).
pub(super) struct Layout {
    pub dims: Vec<usize>,
    pub strides: Vec<Option<Vec<isize>>>,
}

impl Layout {
    /// Merges dims d, d+1 when every tensor has `stride[d] == stride[d+1] ·
    /// shape[d+1]`, drops size-1 dims (the output is contiguous, so it
    /// merges wherever the inputs do).
    pub fn new(shape: &[usize], operands: &[Operand]) -> Layout {
        let tensors: Vec<Option<&[isize]>> = operands
            .iter()
            .map(|o| match o {
                Operand::Tensor { strides, .. } => Some(*strides),
                Operand::Scalar(_) => None,
            })
            .collect();
        let mut dims: Vec<usize> = Vec::new();
        let mut strides: Vec<Option<Vec<isize>>> = tensors.iter().map(|t| t.map(|_| Vec::new())).collect();
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 {
                continue;
            }
            let merge = !dims.is_empty()
                && tensors.iter().zip(&strides).all(|(t, s)| match (t, s) {
                    (Some(t), Some(s)) => s.last().copied() == t[d].checked_mul(size as isize),
                    _ => true,
                });
            if merge {
                if let Some(last) = dims.last_mut() {
                    *last *= size;
                }
                for (t, s) in tensors.iter().zip(strides.iter_mut()) {
                    if let (Some(t), Some(s)) = (t, s) {
                        if let Some(l) = s.last_mut() {
                            *l = t[d];
                        }
                    }
                }
            } else {
                dims.push(size);
                for (t, s) in tensors.iter().zip(strides.iter_mut()) {
                    if let (Some(t), Some(s)) = (t, s) {
                        s.push(t[d]);
                    }
                }
            }
        }
        if dims.is_empty() {
            dims.push(1);
            for s in strides.iter_mut().flatten() {
                s.push(0);
            }
        }
        Layout { dims, strides }
    }

    /// The row stride class of every operand: the specialization key.
    pub fn classes(&self) -> Vec<Class> {
        let row = self.dims.len() - 1;
        self.strides
            .iter()
            .map(|s| match s.as_ref().map(|s| s[row]) {
                None => Class::Scalar,
                Some(0) => Class::Broadcast,
                Some(1) => Class::Contiguous,
                Some(_) => Class::Strided,
            })
            .collect()
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

/// Elements (weighted by kernel cost) below which a call stays on the
/// calling thread.
const MIN_PARALLEL_WORK: usize = 1 << 16;

/// Runs `f` over every element of `layout`.
///
/// # Safety
/// As `CpuKernel::run`; `outs[j]` has `numel` elements and `f` was compiled
/// for `layout.classes()`.
pub(super) unsafe fn run(
    f: RowFn,
    layout: &Layout,
    ins: &[*const f32],
    scalars: &[f32],
    outs: &[*mut f32],
    cost: usize,
) {
    let numel: usize = layout.dims.iter().product();
    let ptrs = Ptrs { ins, outs };
    let threads = rayon::current_num_threads();
    if numel.saturating_mul(cost.max(1)) < MIN_PARALLEL_WORK || threads <= 1 {
        // SAFETY: forwarded from the caller.
        unsafe { run_range(f, layout, ptrs, scalars, 0, numel) };
        return;
    }
    // Chunks of whole 64-element groups (vector loops stay aligned).
    let chunk = numel.div_ceil(threads * 4).next_multiple_of(64);
    rayon::scope(|s| {
        let mut start = 0;
        while start < numel {
            let end = (start + chunk).min(numel);
            // SAFETY: forwarded; the ranges are disjoint.
            s.spawn(move |_| unsafe { run_range(f, layout, ptrs, scalars, start, end) });
            start = end;
        }
    });
}

/// Computes flat output elements `start..end`, a row piece at a time.
unsafe fn run_range(f: RowFn, layout: &Layout, p: Ptrs, scalars: &[f32], start: usize, end: usize) {
    let rank = layout.dims.len();
    let n = layout.dims[rank - 1];
    let (row, mut col) = (start / n, start % n);
    // The odometer over the outer dims and each operand's row-base offset.
    let mut idx = vec![0usize; rank - 1];
    let mut rest = row;
    for d in (0..rank - 1).rev() {
        idx[d] = rest % layout.dims[d];
        rest /= layout.dims[d];
    }
    let off = |idx: &[usize], s: &Option<Vec<isize>>| -> isize {
        s.as_ref().map_or(0, |s| idx.iter().zip(s).map(|(&i, &st)| i as isize * st).sum())
    };
    let mut base: Vec<isize> = layout.strides.iter().map(|s| off(&idx, s)).collect();
    let row_strides: Vec<isize> = layout.strides.iter().map(|s| s.as_ref().map_or(0, |s| s[rank - 1])).collect();
    let mut ins = p.ins.to_vec();
    let mut outs = p.outs.to_vec();
    let mut pos = start;
    while pos < end {
        let len = (n - col).min(end - pos);
        for (k, i) in ins.iter_mut().enumerate() {
            *i = p.ins[k].wrapping_offset(base[k] + col as isize * row_strides[k]);
        }
        for (j, o) in outs.iter_mut().enumerate() {
            *o = p.outs[j].wrapping_add(pos);
        }
        // SAFETY: the caller guarantees every addressed input element is
        // readable and outputs `pos..pos+len` are writable; `f` reads
        // `ins`/`row_strides`/`scalars` only at the indices of its operands.
        unsafe { f(len, ins.as_ptr(), row_strides.as_ptr(), scalars.as_ptr(), outs.as_ptr()) };
        pos += len;
        col = 0;
        // Advance the odometer.
        for d in (0..rank - 1).rev() {
            idx[d] += 1;
            if idx[d] < layout.dims[d] {
                break;
            }
            idx[d] = 0;
        }
        if pos < end {
            for (k, s) in layout.strides.iter().enumerate() {
                base[k] = off(&idx, s);
            }
        }
    }
}
