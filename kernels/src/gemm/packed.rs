//! f32 GEMM against a matrix packed once: `C = A·B (+ C)` where `B` is a
//! constant (an `nn.Linear` weight) laid out ahead of time in the
//! microkernel's panel order, so a call streams it without repacking.
//!
//! The `gemm` crate repacks `B` on every call, which at batch 64 costs about
//! as much as the arithmetic. Measured on 2 cores (AVX2, no AVX-512), 64
//! rows: 64×4096×4096 109 GFLOP/s against 65–72 for the crate, 64×1024×4096
//! 120 against 74; 128 rows: 128×768×3072 133 against 120.
//!
//! Layout: `B` (k×n) in panels of [`NR`] columns; panel `j` holds rows
//! `0..k`, each [`NR`] contiguous floats (columns past `n` are zero). `A` is
//! packed per call in panels of [`MR`] rows (k-major, rows past `m` zero).
//! The 6×16 microkernel keeps 12 AVX2 accumulators and runs [`KC`] k-steps
//! at a time; each thread of the pool takes a fixed range of `B`'s panels
//! (its part of the weights stays in its core's cache from call to call).
//! Without AVX2+FMA [`PackedB::new`] returns `None` and callers use
//! [`super::gemm_f32`].
//!
//! Each output is a sum over k in order in blocks of [`KC`] (FMA per step),
//! so results do not depend on the thread count.

use super::{MatRef, SendPtr};

/// Rows of the microkernel.
pub const MR: usize = 6;
/// Columns of the microkernel (two AVX2 vectors).
pub const NR: usize = 16;
/// k-steps per microkernel call.
pub const KC: usize = 256;

/// A `k×n` matrix packed for [`gemm_packed`].
#[derive(Debug)]
pub struct PackedB {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedB {
    /// Packs `b` (k×n, any strides); `None` without AVX2+FMA.
    pub fn new(k: usize, n: usize, b: MatRef<f32>) -> Option<PackedB> {
        if !crate::simd::has_avx2_fma() {
            return None;
        }
        super::check_operand("b", &b, k, n);
        let panels = n.div_ceil(NR);
        let mut data = vec![0f32; panels * k * NR];
        for (jp, panel) in data.chunks_mut((k * NR).max(1)).enumerate() {
            for (p, row) in panel.chunks_mut(NR).enumerate() {
                for (jj, v) in row.iter_mut().enumerate().take(n.saturating_sub(jp * NR)) {
                    *v = b.data[b.offset + p * b.rs + (jp * NR + jj) * b.cs];
                }
            }
        }
        Some(PackedB { k, n, data })
    }

    pub fn k(&self) -> usize {
        self.k
    }

    pub fn n(&self) -> usize {
        self.n
    }
}

/// `c = a·b` (or `c += a·b` when `accumulate`), `c` row-major `m×n`, `a`
/// `m×k` with any strides.
pub fn gemm_packed(m: usize, a: MatRef<f32>, b: &PackedB, c: &mut [f32], accumulate: bool) {
    let (k, n) = (b.k, b.n);
    assert!(m.checked_mul(n).is_some_and(|mn| mn <= c.len()), "gemm_packed: c has {} elements, fewer than {m}·{n}", c.len());
    super::check_operand("a", &a, m, k);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        return;
    }
    let ap = pack_a(m, k, a);
    let panels = n.div_ceil(NR);
    let threads = rayon::current_num_threads();
    let out = SendPtr(c.as_mut_ptr());
    let run = |j0: usize, j1: usize| {
        // SAFETY: `c` holds m·n floats (asserted); panel ranges are disjoint
        // per caller, so no output is written twice at once.
        unsafe { panels_range(m, n, k, &ap, &b.data, out.get(), accumulate, j0, j1) }
    };
    if threads <= 1 || (m * n).saturating_mul(k) < super::PARALLEL_MIN_MACS || panels < 2 {
        return run(0, panels);
    }
    let per = panels.div_ceil(threads);
    rayon::broadcast(|ctx| {
        let j0 = (ctx.index() * per).min(panels);
        run(j0, (j0 + per).min(panels));
    });
}

/// `a` in panels of [`MR`] rows: panel `i`, k-step `p` at `(i·k + p)·MR`.
fn pack_a(m: usize, k: usize, a: MatRef<f32>) -> Vec<f32> {
    let mut out = vec![0f32; m.div_ceil(MR) * k * MR];
    for (ip, panel) in out.chunks_mut(k * MR).enumerate() {
        for ii in 0..MR.min(m - ip * MR) {
            let row = a.offset + (ip * MR + ii) * a.rs;
            for p in 0..k {
                panel[p * MR + ii] = a.data[row + p * a.cs];
            }
        }
    }
    out
}

/// The panels `j0..j1` of `c`: for each panel, the k blocks in order, each
/// over every row panel (the `c` tile stays in L1 across the k blocks).
///
/// # Safety
/// `c` is valid for `m·n` floats; `ap`/`bp` are packed for `m, k` / `k, n`.
#[allow(clippy::too_many_arguments)]
unsafe fn panels_range(m: usize, n: usize, k: usize, ap: &[f32], bp: &[f32], c: *mut f32, accumulate: bool, j0: usize, j1: usize) {
    for jp in j0..j1 {
        let nr = NR.min(n - jp * NR);
        let mut p0 = 0;
        while p0 < k {
            let kc = KC.min(k - p0);
            for ip in 0..m.div_ceil(MR) {
                let mr = MR.min(m - ip * MR);
                let a = &ap[(ip * k + p0) * MR..(ip * k + p0 + kc) * MR];
                let b = &bp[(jp * k + p0) * NR..(jp * k + p0 + kc) * NR];
                let add = accumulate || p0 > 0;
                // SAFETY: the tile `ip, jp` (mr×nr at row stride n) is inside c.
                #[cfg(target_arch = "x86_64")]
                unsafe {
                    avx2::tile(a, b, c.add(ip * MR * n + jp * NR), n, add, mr, nr)
                };
            }
            p0 += kc;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{MR, NR};
    use std::arch::x86_64::*;

    /// One `mr×nr` tile (<= 6×16) of `c` (row stride `ldc`): `c (+)= a·b`
    /// over `a.len() / MR` k-steps.
    ///
    /// # Safety
    /// AVX2 and FMA are present (`PackedB::new` checked); the tile is
    /// writable; `b.len() / NR == a.len() / MR`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile(a: &[f32], b: &[f32], c: *mut f32, ldc: usize, add: bool, mr: usize, nr: usize) {
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        for (av, bv) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
            // SAFETY: `bv` holds NR = 16 floats.
            let (b0, b1) = unsafe { (_mm256_loadu_ps(bv.as_ptr()), _mm256_loadu_ps(bv.as_ptr().add(8))) };
            for (row, &x) in acc.iter_mut().zip(av) {
                let x = _mm256_set1_ps(x);
                row[0] = _mm256_fmadd_ps(x, b0, row[0]);
                row[1] = _mm256_fmadd_ps(x, b1, row[1]);
            }
        }
        if mr == MR && nr == NR {
            for (i, row) in acc.iter().enumerate() {
                // SAFETY: the full 6×16 tile is writable (the caller's contract).
                unsafe {
                    let cp = c.add(i * ldc);
                    let (mut c0, mut c1) = (row[0], row[1]);
                    if add {
                        c0 = _mm256_add_ps(c0, _mm256_loadu_ps(cp));
                        c1 = _mm256_add_ps(c1, _mm256_loadu_ps(cp.add(8)));
                    }
                    _mm256_storeu_ps(cp, c0);
                    _mm256_storeu_ps(cp.add(8), c1);
                }
            }
            return;
        }
        let mut tmp = [0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            // SAFETY: tmp holds MR·NR floats.
            unsafe {
                _mm256_storeu_ps(tmp.as_mut_ptr().add(i * NR), row[0]);
                _mm256_storeu_ps(tmp.as_mut_ptr().add(i * NR + 8), row[1]);
            }
        }
        for i in 0..mr {
            for j in 0..nr {
                // SAFETY: (i, j) is inside the tile.
                let cp = unsafe { c.add(i * ldc + j) };
                let v = tmp[i * NR + j];
                unsafe { *cp = if add { *cp + v } else { v } };
            }
        }
    }
}
