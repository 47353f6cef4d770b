//! The AVX-512 microkernel: one or two `A` row panels (up to 12 rows) by
//! two adjacent `B` micro-panels (32 columns). Two row panels keep 24 zmm
//! accumulators: per k-step two 512-bit loads of `B` feed 24 FMAs, where
//! one panel's 6×32 tile spends the same two loads on 12. The convs and
//! `nn.Linear` products of the `cnn`, `gpt_block` and `mlp_b64` workloads
//! ran 4–10% faster than on the 6×32 tile (`benches/README.md`).
//!
//! Each output's sum is the same chain of FMAs over k whichever tile
//! computes it, so one or two panels give the same bits.

use super::{Store, MR, NR};
use std::arch::x86_64::*;

/// One tile of `c` (row stride `ldc`): rows `0..mr[0]` from row panel
/// `a[0]`, then `mr[1]` rows (possibly none) from `a[1]`; columns
/// `0..NR` from micro-panel `b0`, the next `nr` (`0 <= nr <= NR`) from
/// `b1`. `c (+)= a·b` over `a[0].len() / MR` k-steps, then the store's
/// bias, residual and ReLU, as `avx2::tile`.
///
/// # Safety
/// AVX-512F is present; the tile is writable (and `st.residual` readable
/// over it); `b0.len() == b1.len()`, `b0.len() / NR == a[0].len() / MR`,
/// and `a[1].len() == a[0].len()` when `mr[1] > 0`.
#[allow(clippy::too_many_arguments)]
pub(in crate::gemm) unsafe fn tile(
    a: [&[f32]; 2],
    mr: [usize; 2],
    b0: &[f32],
    b1: &[f32],
    c: *mut f32,
    ldc: usize,
    st: Store,
    nr: usize,
) {
    assert!(b0.len() == b1.len() && b0.len() / NR == a[0].len() / MR);
    // SAFETY: forwarded; k-step p's rows are at p·NR in b0 and b1
    // (asserted above).
    unsafe { tile_at(a, mr, b0.as_ptr(), b1.as_ptr(), None, c, ldc, st, nr) }
}

/// As [`tile`], with the two micro-panels' rows of k-step `p` read at
/// `b0 + offs[p]` and `b1 + offs[p]` (an implicit-GEMM convolution's
/// taps into its padded input), or at `p·NR` when `offs` is `None`.
///
/// # Safety
/// AVX-512F is present; the tile is writable (and `st.residual` readable
/// over it); for every k-step `p < a[0].len() / MR`, `NR` floats at each
/// of those addresses are readable (`offs` has that many); `a[1].len() ==
/// a[0].len()` when `mr[1] > 0`.
#[allow(clippy::too_many_arguments)]
pub(in crate::gemm) unsafe fn tile_at(
    a: [&[f32]; 2],
    mr: [usize; 2],
    b0: *const f32,
    b1: *const f32,
    offs: Option<&[usize]>,
    c: *mut f32,
    ldc: usize,
    st: Store,
    nr: usize,
) {
    assert!(mr[1] == 0 || a[1].len() == a[0].len());
    // SAFETY (every arm): forwarded; each kernel reads the first `R0` rows
    // of panel a[0] and the first `R1` of a[1].
    unsafe {
        let a0 = a[0];
        match mr {
            [6, 6] => rows::<6, 6>(a, b0, b1, offs, c, ldc, st, nr),
            [6, 5] => rows::<6, 5>(a, b0, b1, offs, c, ldc, st, nr),
            [5, 6] => rows::<5, 6>(a, b0, b1, offs, c, ldc, st, nr),
            [5, 5] => rows::<5, 5>(a, b0, b1, offs, c, ldc, st, nr),
            [6, 0] => rows::<6, 0>([a0, a0], b0, b1, offs, c, ldc, st, nr),
            [5, 0] => rows::<5, 0>([a0, a0], b0, b1, offs, c, ldc, st, nr),
            [4, 0] => rows::<4, 0>([a0, a0], b0, b1, offs, c, ldc, st, nr),
            [3, 0] => rows::<3, 0>([a0, a0], b0, b1, offs, c, ldc, st, nr),
            [2, 0] => rows::<2, 0>([a0, a0], b0, b1, offs, c, ldc, st, nr),
            [1, 0] => rows::<1, 0>([a0, a0], b0, b1, offs, c, ldc, st, nr),
            // A pair with a panel of under 5 rows (only m = 7, 8, 9, 13,
            // 14 and 19 give one): the panels one after the other.
            [m0, m1] => {
                tile_at([a0, a0], [m0, 0], b0, b1, offs, c, ldc, st, nr);
                let below = st.below(m0, ldc);
                let c1 = c.add(m0 * ldc);
                tile_at([a[1], a[1]], [m1, 0], b0, b1, offs, c1, ldc, below, nr);
            }
        }
    }
}

/// `x > 0 || x is NaN ? x : 0` (-0 becomes 0, NaN stays).
#[target_feature(enable = "avx512f")]
fn relu(x: __m512) -> __m512 {
    let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x, x);
    _mm512_mask_blend_ps(nan, _mm512_max_ps(x, _mm512_setzero_ps()), x)
}

/// The kernel of [`tile_at`] for `R0` rows of `a[0]` and `R1` of `a[1]`.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn rows<const R0: usize, const R1: usize>(
    a: [&[f32]; 2],
    b0: *const f32,
    b1: *const f32,
    offs: Option<&[usize]>,
    c: *mut f32,
    ldc: usize,
    st: Store,
    nr: usize,
) {
    let mut acc0 = [[_mm512_setzero_ps(); 2]; R0];
    let mut acc1 = [[_mm512_setzero_ps(); 2]; R1];
    let (pf, pf_lines) = st.next_b.map_or((b0, 0), |n| (n.as_ptr(), n.len() / NR));
    let steps = a[0].chunks_exact(MR).zip(a[1].chunks_exact(MR));
    for (p, (av0, av1)) in steps.enumerate() {
        if p < pf_lines {
            // SAFETY: line `p` of `pf` is in bounds.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(pf.add(p * NR).cast()) };
        }
        let off = match offs {
            // SAFETY: `offs` has an entry per k-step (the contract).
            Some(o) => unsafe { *o.get_unchecked(p) },
            None => p * NR,
        };
        // SAFETY: NR floats at `off` from each panel are readable.
        let (x0, x1) = unsafe { (_mm512_loadu_ps(b0.add(off)), _mm512_loadu_ps(b1.add(off))) };
        for (row, &x) in acc0.iter_mut().zip(av0) {
            let x = _mm512_set1_ps(x);
            row[0] = _mm512_fmadd_ps(x, x0, row[0]);
            row[1] = _mm512_fmadd_ps(x, x1, row[1]);
        }
        for (row, &x) in acc1.iter_mut().zip(av1) {
            let x = _mm512_set1_ps(x);
            row[0] = _mm512_fmadd_ps(x, x0, row[0]);
            row[1] = _mm512_fmadd_ps(x, x1, row[1]);
        }
    }
    // The second half's columns: `nr` of NR.
    let m1: __mmask16 = if nr >= NR { 0xffff } else { (1u16 << nr) - 1 };
    let col_bias = st.col_bias.map(|cb| {
        assert!(cb.len() >= NR + nr);
        // SAFETY: NR + nr floats of `cb` are readable (asserted).
        unsafe {
            [
                _mm512_loadu_ps(cb.as_ptr()),
                _mm512_maskz_loadu_ps(m1, cb.as_ptr().add(NR)),
            ]
        }
    });
    // SAFETY: the tile's rows are writable (the caller's contract); the
    // second panel's are the R1 rows below the first's R0.
    unsafe {
        finish(acc0, 0, c, ldc, st, m1, col_bias);
        finish(acc1, R0, c, ldc, st, m1, col_bias);
    }
}

/// Stores rows `i0..i0 + R` of the tile from `acc`: the bias of row `i`
/// (`st.bias[i]`), the column bias, `c` when adding, the residual, ReLU.
/// Separate per row panel so that each loop has a constant trip count and
/// the accumulators stay in registers.
///
/// # Safety
/// AVX-512F; rows `i0..i0 + R` of the tile at `c` (row stride `ldc`) are
/// writable for `NR` floats plus those `m1` masks (and `st.residual`
/// readable there).
#[inline(always)]
unsafe fn finish<const R: usize>(
    acc: [[__m512; 2]; R],
    i0: usize,
    c: *mut f32,
    ldc: usize,
    st: Store,
    m1: __mmask16,
    col_bias: Option<[__m512; 2]>,
) {
    for (r, row) in acc.iter().enumerate() {
        let i = i0 + r;
        let (mut c0, mut c1) = (row[0], row[1]);
        // SAFETY: the caller's contract; masked accesses touch only the
        // tile's columns.
        unsafe {
            if let Some(bias) = st.bias {
                let v = _mm512_set1_ps(bias[i]);
                c0 = _mm512_add_ps(c0, v);
                c1 = _mm512_add_ps(c1, v);
            }
            if let Some([v0, v1]) = col_bias {
                c0 = _mm512_add_ps(c0, v0);
                c1 = _mm512_add_ps(c1, v1);
            }
            let cp = c.add(i * ldc);
            if st.add {
                c0 = _mm512_add_ps(c0, _mm512_loadu_ps(cp));
                c1 = _mm512_add_ps(c1, _mm512_maskz_loadu_ps(m1, cp.add(NR)));
            }
            if let Some(res) = st.residual {
                let rp = res.as_ptr().add(i * ldc);
                c0 = _mm512_add_ps(c0, _mm512_loadu_ps(rp));
                c1 = _mm512_add_ps(c1, _mm512_maskz_loadu_ps(m1, rp.add(NR)));
            }
            if st.relu {
                c0 = relu(c0);
                c1 = relu(c1);
            }
            _mm512_storeu_ps(cp, c0);
            _mm512_mask_storeu_ps(cp.add(NR), m1, c1);
        }
    }
}
