//! Staged elementwise kernels: the transcendental ops of a kernel run as
//! sixteen-lane native code between Cranelift loops.
//!
//! Cranelift lowers only 128-bit vectors on x86-64, so a tanh in a JIT loop
//! costs about fifteen f32x4 instructions per four elements: the GELU-tanh
//! chain over 16M floats was compute-bound at 2.5× its memory time. The
//! same formulas in Rust under `#[target_feature(enable = "avx512f")]`
//! (`unary::native_inplace`) do sixteen lanes per instruction.
//!
//! [`Staged::split`] cuts an elementwise kernel at those ops (`native`).
//! A heavy op's level is one more than the deepest heavy op it depends on;
//! stage j computes the inputs of the level-(j+1) ops (recomputing the
//! cheap values it needs from the operands, reading earlier heavy results
//! as extra contiguous operands), the native code then maps them in place,
//! and the last stage computes the kernel's outputs. A run of `n` elements
//! goes through the stages a [`TILE`] at a time, in buffers on the stack,
//! so the intermediates stay in L1.
//!
//! The native functions compute operation for operation what
//! `jit/cpu/math.rs` emits, so a staged kernel gives the same bits as the
//! unstaged one (`staged_kernels_keep_the_bits`).

use std::mem::MaybeUninit;

use super::codegen::{Class, RowFn};
use super::driver::{RowCall, MAX_OPERANDS};
use super::CpuKernel;
use crate::jit::ir::{Inst, Kernel, UnaryOp};
use crate::unary::{native_inplace, Native, Unary};

/// Elements per tile: a tile's buffers take `4 · TILE` bytes each.
///
/// The GELU-tanh chain over 16M floats (2 threads) took 7.3 ms with 256,
/// 7.5 with 512, 8.3 with 1024 and 7.9 with 128: the stages alternate
/// between memory-bound and compute-bound code, and short tiles overlap
/// them better.
const TILE: usize = 256;
/// The most heavy ops a staged kernel hands to native code.
const MAX_STAGED: usize = 8;
/// The most stages (so the most levels of heavy ops plus one).
pub(super) const MAX_STAGES: usize = 4;
/// Runs of at least this many elements (8 MiB) with one output store it
/// with non-temporal (streaming) stores from a tile buffer: a normal store
/// first reads each line it writes, a third of the memory traffic of a
/// one-input kernel. `pointwise` (16M floats, two runs of 8M) 7.4–7.6 →
/// 6.2–6.6 ms. Smaller outputs may still be in cache for the next op.
const STREAM_MIN: usize = 1 << 21;
/// Rows shorter than this run the unstaged code: `lstm_loop`'s cell (five
/// heavy ops over rows of 256) took 1 µs a step longer staged.
pub(super) const MIN_ROW: usize = 1024;

/// The native function with the JIT's bits for `op`, if any.
fn native(op: UnaryOp) -> Option<Native> {
    Some(match op {
        UnaryOp::Tanh => Native::TanhRational,
        UnaryOp::Exp => Native::Of(Unary::Exp),
        UnaryOp::Log => Native::Of(Unary::Log),
        UnaryOp::Sigmoid => Native::Of(Unary::Sigmoid),
        UnaryOp::Silu => Native::Of(Unary::Silu),
        UnaryOp::Erf => Native::Of(Unary::Erf),
        UnaryOp::Gelu => Native::Of(Unary::Gelu),
        UnaryOp::GeluTanh => Native::Of(Unary::GeluTanh),
        _ => return None,
    })
}

/// An elementwise kernel cut into stages at its heavy ops.
pub(super) struct Staged {
    /// The kernel's operands; stage j takes these and then `reads[j]`
    /// tile buffers (buffer b holds heavy op b's result).
    params: usize,
    outputs: usize,
    stages: Vec<CpuKernel>,
    reads: Vec<usize>,
    /// After stage j (not the last): the buffers it wrote and the function
    /// mapped over each.
    natives: Vec<Vec<(usize, Native)>>,
}

impl Staged {
    /// Splits `kernel` when it is elementwise, has 1 to [`MAX_STAGED`]
    /// heavy ops in at most `MAX_STAGES - 1` levels, the operands and
    /// buffers (and the outputs) fit [`MAX_OPERANDS`], and the CPU has the
    /// native code.
    pub fn split(kernel: &Kernel) -> Option<Staged> {
        let cpu_ok = crate::simd::has_avx512f() || crate::simd::has_avx2_fma();
        if !cpu_ok || kernel.is_row() {
            return None;
        }
        let insts = &kernel.insts;
        let mut live = vec![false; insts.len()];
        for &o in &kernel.outputs {
            live[o as usize] = true;
        }
        for i in (0..insts.len()).rev() {
            if live[i] {
                for a in insts[i].operands() {
                    live[a as usize] = true;
                }
            }
        }
        // The level of each value: the deepest heavy op it depends on.
        let mut level = vec![0usize; insts.len()];
        let mut heavy = Vec::new();
        for (i, inst) in insts.iter().enumerate() {
            level[i] = inst
                .operands()
                .into_iter()
                .map(|a| level[a as usize])
                .max()
                .unwrap_or(0);
            if let Inst::Unary(op, input) = *inst {
                if let (Some(f), true) = (native(op), live[i]) {
                    level[i] += 1;
                    heavy.push((level[i], i, f, input));
                }
            }
        }
        let levels = heavy.iter().map(|h| h.0).max()?;
        let params = kernel.num_params as usize;
        if heavy.len() > MAX_STAGED
            || levels >= MAX_STAGES
            || params + heavy.len() > MAX_OPERANDS
            || kernel.outputs.len() > MAX_OPERANDS
        {
            return None;
        }
        heavy.sort_unstable_by_key(|h| (h.0, h.1));
        // buffer[value] = Some(b) for heavy op b.
        let mut buffer = vec![None; insts.len()];
        for (b, &(_, i, _, _)) in heavy.iter().enumerate() {
            buffer[i] = Some(b);
        }
        let (mut stages, mut reads, mut natives) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..=levels {
            let read = heavy.iter().take_while(|h| h.0 <= j).count();
            let (roots, after): (Vec<u32>, Vec<(usize, Native)>) = if j < levels {
                heavy
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.0 == j + 1)
                    .map(|(b, &(_, _, f, input))| (input, (b, f)))
                    .unzip()
            } else {
                (kernel.outputs.clone(), Vec::new())
            };
            let stage = extract(kernel, &roots, |v| buffer[v].filter(|&b| b < read));
            stages.push(CpuKernel::build(stage, false).ok()?);
            reads.push(read);
            natives.push(after);
        }
        Some(Staged {
            params,
            outputs: kernel.outputs.len(),
            stages,
            reads,
            natives,
        })
    }

    /// Each stage's compiled code for a call whose operands have `classes`
    /// (the buffers are contiguous operands after them).
    pub fn specializations(
        &self,
        classes: &[Class],
    ) -> Result<[Option<RowFn>; MAX_STAGES], String> {
        let mut fns = [None; MAX_STAGES];
        let mut all = [Class::Contiguous; MAX_OPERANDS];
        all[..classes.len()].copy_from_slice(classes);
        for (j, k) in self.stages.iter().enumerate() {
            fns[j] = Some(k.specialization(&all[..self.params + self.reads[j]], false)?);
        }
        Ok(fns)
    }

    /// The stages' compiled specializations and their compile time.
    pub fn compile_stats(&self) -> (usize, std::time::Duration) {
        self.stages
            .iter()
            .map(CpuKernel::compile_stats)
            .fold(Default::default(), |(n, t), (m, u)| (n + m, t + u))
    }
}

/// The kernel computing `roots` from the operands, where a value `v` with
/// `from_buffer(v) = Some(b)` is read as operand `num_params + b` instead.
fn extract(kernel: &Kernel, roots: &[u32], from_buffer: impl Fn(usize) -> Option<usize>) -> Kernel {
    let insts = &kernel.insts;
    let mut need = vec![false; insts.len()];
    for &r in roots {
        need[r as usize] = true;
    }
    for i in (0..insts.len()).rev() {
        if need[i] && from_buffer(i).is_none() {
            for a in insts[i].operands() {
                need[a as usize] = true;
            }
        }
    }
    let mut new = vec![0u32; insts.len()];
    let mut out = Vec::new();
    for (i, inst) in insts.iter().enumerate() {
        if !need[i] {
            continue;
        }
        let m = |v: u32| new[v as usize];
        out.push(match (from_buffer(i), *inst) {
            (Some(b), _) => Inst::Param(kernel.num_params + b as u32),
            (None, Inst::Unary(op, a)) => Inst::Unary(op, m(a)),
            (None, Inst::Reduce(op, a)) => Inst::Reduce(op, m(a)),
            (None, Inst::Binary(op, a, b)) => Inst::Binary(op, m(a), m(b)),
            (None, Inst::Compare(op, a, b)) => Inst::Compare(op, m(a), m(b)),
            (None, Inst::Select(c, a, b)) => Inst::Select(m(c), m(a), m(b)),
            (None, other) => other,
        });
        new[i] = out.len() as u32 - 1;
    }
    let buffers = (0..insts.len())
        .filter_map(&from_buffer)
        .max()
        .map_or(0, |b| b + 1);
    Kernel {
        num_params: kernel.num_params + buffers as u32,
        insts: out,
        outputs: roots.iter().map(|&r| new[r as usize]).collect(),
    }
}

/// A staged kernel's row call: the stages' code for one layout.
pub(super) struct StagedCall<'a> {
    pub staged: &'a Staged,
    pub fns: [Option<RowFn>; MAX_STAGES],
}

impl RowCall for StagedCall<'_> {
    unsafe fn call(
        &self,
        n: usize,
        ins: *const *const f32,
        strides: *const isize,
        scalars: *const f32,
        outs: *const *mut f32,
    ) {
        let st = self.staged;
        let m = st.params;
        let mut tiles = MaybeUninit::<[f32; TILE * (MAX_STAGED + 1)]>::uninit();
        let base = tiles.as_mut_ptr().cast::<f32>();
        let buf = |b: usize| base.wrapping_add(b * TILE);
        let mut ins2 = [std::ptr::null::<f32>(); MAX_OPERANDS];
        let mut strides2 = [1isize; MAX_OPERANDS];
        let mut scalars2 = [0f32; MAX_OPERANDS];
        let mut outs2 = [std::ptr::null_mut::<f32>(); MAX_OPERANDS];
        // SAFETY: the caller passes `m` operand slots (the kernel's count).
        unsafe {
            std::ptr::copy_nonoverlapping(strides, strides2.as_mut_ptr(), m);
            std::ptr::copy_nonoverlapping(scalars, scalars2.as_mut_ptr(), m);
        }
        for (b, p) in ins2[m..].iter_mut().enumerate().take(MAX_STAGED) {
            *p = buf(b);
        }
        // The last buffer stages a tile of the one output for `stream_store`.
        let stream = st.outputs == 1 && n >= STREAM_MIN && crate::simd::has_avx512f();
        let mut t0 = 0;
        while t0 < n {
            let len = (n - t0).min(TILE);
            for (k, p) in ins2[..m].iter_mut().enumerate() {
                // SAFETY: slot k < m exists; the offset stays inside operand
                // k's row (or is never dereferenced: scalars, broadcasts).
                *p = unsafe { (*ins.add(k)).wrapping_offset(t0 as isize * strides2[k]) };
            }
            for (j, f) in self.fns.iter().map_while(|f| *f).enumerate() {
                let after = st.natives.get(j).filter(|a| !a.is_empty());
                match after {
                    Some(after) => {
                        for (o, &(b, _)) in outs2.iter_mut().zip(after) {
                            *o = buf(b);
                        }
                    }
                    None if stream => outs2[0] = buf(MAX_STAGED),
                    None => {
                        for (q, o) in outs2[..st.outputs].iter_mut().enumerate() {
                            // SAFETY: the caller passes every output's slot;
                            // elements t0.. of the run are writable.
                            *o = unsafe { (*outs.add(q)).add(t0) };
                        }
                    }
                }
                // SAFETY: stage j's operands are the kernel's (offset to this
                // tile) and its `reads[j]` buffers, which earlier stages
                // filled for `len` elements; its outputs are buffers of TILE
                // floats or the caller's outputs at t0..t0 + len.
                unsafe {
                    f(
                        len,
                        ins2.as_ptr(),
                        strides2.as_ptr(),
                        scalars2.as_ptr(),
                        outs2.as_ptr(),
                        std::ptr::null_mut(),
                    )
                };
                for &(b, g) in after.into_iter().flatten() {
                    // SAFETY: stage j just wrote `len` floats to buffer b.
                    let x = unsafe { std::slice::from_raw_parts_mut(buf(b), len) };
                    let done = native_inplace(g, x);
                    debug_assert!(done, "Staged::split checked the CPU");
                }
            }
            if stream {
                // SAFETY: the last stage wrote `len` floats to the staging
                // buffer; elements t0..t0 + len of the output are writable;
                // the CPU has AVX-512F (checked above).
                unsafe { stream_store((*outs).add(t0), buf(MAX_STAGED), len) };
            }
            t0 += len;
        }
        if stream {
            // Streaming stores are weakly ordered: fence them before the
            // join hands the output to another thread.
            // SAFETY: SSE is part of x86-64.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                std::arch::x86_64::_mm_sfence()
            };
        }
    }
}

/// Copies `len` floats from `src` to `dst` with non-temporal stores where
/// `dst` is 64-byte aligned (plain stores before and after).
///
/// # Safety
/// AVX-512F is present; `len` floats are readable at `src` and writable at
/// `dst`, and the ranges do not overlap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn stream_store(dst: *mut f32, src: *const f32, len: usize) {
    use std::arch::x86_64::{_mm512_loadu_ps, _mm512_stream_ps};
    let head = (dst.align_offset(64)).min(len);
    // SAFETY: every index is below `len` (the caller's contract); the
    // vector stores go to 64-byte aligned addresses.
    unsafe {
        std::ptr::copy_nonoverlapping(src, dst, head);
        let mut i = head;
        while i + 16 <= len {
            _mm512_stream_ps(dst.add(i), _mm512_loadu_ps(src.add(i)));
            i += 16;
        }
        std::ptr::copy_nonoverlapping(src.add(i), dst.add(i), len - i);
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn stream_store(_: *mut f32, _: *const f32, _: usize) {}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn stream_store_copies_every_float() {
        if !crate::simd::has_avx512f() {
            return;
        }
        let src: Vec<f32> = (0..1100).map(|i| i as f32 * 0.5 - 7.0).collect();
        for offset in 0..17 {
            for len in [0usize, 1, 15, 16, 17, 100, 1000] {
                let mut dst = vec![f32::NAN; 1100 + 17];
                // SAFETY: AVX-512F is present; `len` floats fit both sides.
                unsafe { super::stream_store(dst.as_mut_ptr().add(offset), src.as_ptr(), len) };
                assert!(
                    dst[..offset].iter().all(|v| v.is_nan()),
                    "wrote before the start"
                );
                assert_eq!(
                    &dst[offset..offset + len],
                    &src[..len],
                    "offset {offset} len {len}"
                );
                assert!(
                    dst[offset + len..].iter().all(|v| v.is_nan()),
                    "wrote past the end"
                );
            }
        }
    }
}
