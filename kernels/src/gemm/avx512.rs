//! The packed GEMM's AVX-512 tiles: `mr` rows (one row panel of `A`,
//! up to [`MR`]) or two row panels at once (10 to 12 rows), by two
//! adjacent `B` micro-panels (32 columns, one 512-bit load of each per
//! k-step). A tile keeps its accumulators in registers (24 of the 32 zmm
//! for 12 rows), then stores them through [`Store`]: the bias, `c` when
//! accumulating, the residual, ReLU.
//!
//! Two row panels per tile halve the `B` loads and the tile overhead per
//! FMA: measured on 2 cores, the 64×1024×4096 product went from 268–298
//! to 284–324 GFLOP/s, the CNN's convs ran 5–12% faster and `mlp_b64`
//! 5–8% (`benches/README.md`). Every output is still one FMA per k-step
//! in order, so the bits are those of the 6-row tile and the AVX2 kernel.

use super::packed::{RowPanel, Store, MR, NR};
use std::arch::x86_64::*;

/// One tile of `mr` rows (`1..=MR`) and `NR + nr` columns (`0 <= nr <=
/// NR`) of `c` (row stride `ldc`): columns `0..NR` from micro-panel `b0`,
/// the rest from `b1`; `c (+)= a·b` over `a.len() / MR` k-steps, then the
/// store. Micro-panel rows of k-step `p` are read at `b0 + offs[p]` and
/// `b1 + offs[p]` (an implicit-GEMM convolution's taps into its padded
/// input), or at `p·NR` when `offs` is `None`.
///
/// # Safety
/// AVX-512F is present; the tile is writable (and `st.residual` readable
/// over it); for every k-step `p < a.len() / MR`, `NR` floats at each of
/// those addresses are readable (`offs` has that many entries).
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn tile_at(
    a: &[f32],
    b0: *const f32,
    b1: *const f32,
    offs: Option<&[usize]>,
    c: *mut f32,
    ldc: usize,
    st: Store,
    mr: usize,
    nr: usize,
) {
    let (a, c, st) = ([a, a], [c, c], [st, st]);
    // SAFETY: forwarded; each kernel reads the first `R` rows of a panel
    // and, with no second panel, neither reads nor writes for it.
    unsafe {
        match mr {
            6 => rows::<6, 0>(a, b0, b1, offs, c, ldc, st, nr),
            5 => rows::<5, 0>(a, b0, b1, offs, c, ldc, st, nr),
            4 => rows::<4, 0>(a, b0, b1, offs, c, ldc, st, nr),
            3 => rows::<3, 0>(a, b0, b1, offs, c, ldc, st, nr),
            2 => rows::<2, 0>(a, b0, b1, offs, c, ldc, st, nr),
            _ => rows::<1, 0>(a, b0, b1, offs, c, ldc, st, nr),
        }
    }
}

/// Two row panels' tiles (`a[i]`, `c[i]`, `st[i]`, `mr[i]`) over the same
/// micro-panels, as two [`tile_at`] calls: in one tile of up to 12 rows
/// when both panels have 5 or 6 rows (so every panel of 25 or more rows,
/// split evenly), else one after the other.
///
/// # Safety
/// As [`tile_at`], for each of the two panels; `a[0].len() == a[1].len()`.
#[allow(clippy::too_many_arguments)]
unsafe fn tile2_at(
    a: [&[f32]; 2],
    b0: *const f32,
    b1: *const f32,
    offs: Option<&[usize]>,
    c: [*mut f32; 2],
    ldc: usize,
    st: [Store; 2],
    mr: [usize; 2],
    nr: usize,
) {
    // SAFETY: forwarded.
    unsafe {
        match mr {
            [6, 6] => rows::<6, 6>(a, b0, b1, offs, c, ldc, st, nr),
            [6, 5] => rows::<6, 5>(a, b0, b1, offs, c, ldc, st, nr),
            [5, 6] => rows::<5, 6>(a, b0, b1, offs, c, ldc, st, nr),
            [5, 5] => rows::<5, 5>(a, b0, b1, offs, c, ldc, st, nr),
            _ => {
                tile_at(a[0], b0, b1, offs, c[0], ldc, st[0], mr[0], nr);
                tile_at(a[1], b0, b1, offs, c[1], ldc, st[1], mr[1], nr);
            }
        }
    }
}

/// One k block of a column of tiles: every row panel of `rows` against
/// micro-panels `b0`, `b1` (as [`tile_at`]), two row panels per tile
/// while there are two. `panel` gives a row panel's part of `A`, its tile
/// of `c`, its store and its rows.
///
/// # Safety
/// As [`tile_at`] for every row panel's tile.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn row_tiles<'a>(
    rows: &[RowPanel],
    panel: impl Fn(&RowPanel) -> (&'a [f32], *mut f32, Store<'a>, usize),
    b0: *const f32,
    b1: *const f32,
    offs: Option<&[usize]>,
    ldc: usize,
    nr: usize,
) {
    for pair in rows.chunks(2) {
        let (a0, c0, st0, mr0) = panel(&pair[0]);
        // SAFETY: forwarded.
        unsafe {
            if let Some(rp1) = pair.get(1) {
                let (a1, c1, st1, mr1) = panel(rp1);
                let (a, c, st, mr) = ([a0, a1], [c0, c1], [st0, st1], [mr0, mr1]);
                tile2_at(a, b0, b1, offs, c, ldc, st, mr, nr)
            } else {
                tile_at(a0, b0, b1, offs, c0, ldc, st0, mr0, nr)
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

/// The first `R0` rows of panel `a[0]` and the first `R1` of `a[1]` (none:
/// `R1 = 0`), each prefetching its store's share of the next `B`.
///
/// # Safety
/// As [`tile2_at`] for the rows named.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn rows<const R0: usize, const R1: usize>(
    a: [&[f32]; 2],
    b0: *const f32,
    b1: *const f32,
    offs: Option<&[usize]>,
    c: [*mut f32; 2],
    ldc: usize,
    st: [Store; 2],
    nr: usize,
) {
    let steps = a[0].len() / MR;
    assert!(R0 <= MR && R1 <= MR && a[1].len() >= steps * MR);
    let (a0, a1) = (a[0].as_ptr(), a[1].as_ptr());
    let mut acc0 = [[_mm512_setzero_ps(); 2]; R0];
    let mut acc1 = [[_mm512_setzero_ps(); 2]; R1];
    let lines = |s: &Store| s.next_b.map_or((b0, 0), |n| (n.as_ptr(), n.len() / NR));
    let ((pf0, lines0), (pf1, lines1)) = (lines(&st[0]), lines(&st[1]));
    let lines1 = if R1 > 0 { lines1 } else { 0 };
    for p in 0..steps {
        // SAFETY: line `p` of each prefetched run is in bounds; the `B`
        // rows are readable (the caller's contract); `p·MR + i` is inside
        // both panels for `i < MR` (asserted).
        unsafe {
            if p < lines0 {
                _mm_prefetch::<_MM_HINT_T0>(pf0.add(p * NR).cast());
            }
            if p < lines1 {
                _mm_prefetch::<_MM_HINT_T0>(pf1.add(p * NR).cast());
            }
            let off = match offs {
                Some(o) => *o.get_unchecked(p),
                None => p * NR,
            };
            let (x0, x1) = (_mm512_loadu_ps(b0.add(off)), _mm512_loadu_ps(b1.add(off)));
            for (i, row) in acc0.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*a0.add(p * MR + i));
                row[0] = _mm512_fmadd_ps(x, x0, row[0]);
                row[1] = _mm512_fmadd_ps(x, x1, row[1]);
            }
            for (i, row) in acc1.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*a1.add(p * MR + i));
                row[0] = _mm512_fmadd_ps(x, x0, row[0]);
                row[1] = _mm512_fmadd_ps(x, x1, row[1]);
            }
        }
    }
    // SAFETY: each panel's tile is writable (the caller's contract).
    unsafe {
        store(acc0, c[0], ldc, st[0], nr);
        store(acc1, c[1], ldc, st[1], nr);
    }
}

/// Writes a tile's accumulators through `st`: the bias, `c` when adding,
/// the residual, ReLU.
///
/// Always inlined into [`rows`] (which enables AVX-512F for it): a call
/// would keep the accumulators in memory through the k loop.
///
/// # Safety
/// AVX-512F is present; the `R` rows of `NR + nr` floats from `c` (row
/// stride `ldc`) are writable, and readable in `st.residual`.
#[inline(always)]
unsafe fn store<const R: usize>(
    mut acc: [[__m512; 2]; R],
    c: *mut f32,
    ldc: usize,
    st: Store,
    nr: usize,
) {
    if let Some(bias) = st.bias {
        for (row, &v) in acc.iter_mut().zip(bias) {
            let v = _mm512_set1_ps(v);
            row[0] = _mm512_add_ps(row[0], v);
            row[1] = _mm512_add_ps(row[1], v);
        }
    }
    // The second half's columns: `nr` of NR.
    let m1: __mmask16 = if nr >= NR { 0xffff } else { (1u16 << nr) - 1 };
    if let Some(cb) = st.col_bias {
        assert!(cb.len() >= NR + nr);
        // SAFETY: NR + nr floats of `cb` are readable (asserted).
        let (v0, v1) = unsafe {
            (
                _mm512_loadu_ps(cb.as_ptr()),
                _mm512_maskz_loadu_ps(m1, cb.as_ptr().add(NR)),
            )
        };
        for row in acc.iter_mut() {
            row[0] = _mm512_add_ps(row[0], v0);
            row[1] = _mm512_add_ps(row[1], v1);
        }
    }
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: row i of the tile is writable for NR + nr floats (the
        // caller's contract); the masked accesses touch only those.
        unsafe {
            let cp = c.add(i * ldc);
            let (mut c0, mut c1) = (row[0], row[1]);
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
