//! The packed GEMM's AVX2+FMA tile: `mr` rows (one row panel of `A`, up
//! to [`MR`]) by one `B` micro-panel of [`NR`] columns, 12 ymm
//! accumulators; the kernel where AVX-512 is absent, and for a lone last
//! micro-panel where it is present (`avx512.rs` pairs the others).

use super::packed::{Store, MR, NR};
use std::arch::x86_64::*;

/// One `mr×nr` tile (<= 6×16) of `c` (row stride `ldc`): `c (+)= a·b`
/// over `a.len() / MR` k-steps, then the store's bias and ReLU.
///
/// # Safety
/// AVX2 and FMA are present (the packed operand's constructor checked);
/// the tile is writable; `b.len() / NR == a.len() / MR`; `1 <= mr <= MR`.
pub(super) unsafe fn tile(
    a: &[f32],
    b: &[f32],
    c: *mut f32,
    ldc: usize,
    st: Store,
    mr: usize,
    nr: usize,
) {
    // SAFETY: forwarded; each kernel reads the first `R` rows of a panel.
    unsafe {
        match mr {
            6 => rows::<6>(a, b, c, ldc, st, nr),
            5 => rows::<5>(a, b, c, ldc, st, nr),
            4 => rows::<4>(a, b, c, ldc, st, nr),
            3 => rows::<3>(a, b, c, ldc, st, nr),
            2 => rows::<2>(a, b, c, ldc, st, nr),
            _ => rows::<1>(a, b, c, ldc, st, nr),
        }
    }
}

/// `x > 0 || x is NaN ? x : 0`, as the runtime's `relu` (-0 becomes 0,
/// NaN stays).
#[target_feature(enable = "avx2,fma")]
fn relu(x: __m256) -> __m256 {
    let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x);
    _mm256_blendv_ps(_mm256_max_ps(x, _mm256_setzero_ps()), x, nan)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn rows<const R: usize>(
    a: &[f32],
    b: &[f32],
    c: *mut f32,
    ldc: usize,
    st: Store,
    nr: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; R];
    // Only the tiles that have a next micro-panel to pull in prefetch.
    let (pf, pf_lines) = st.next_b.map_or((b, 0), |n| (n, n.len() / NR));
    for (p, (av, bv)) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).enumerate() {
        if p < pf_lines {
            // SAFETY: line `p` of `pf` is in bounds.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(pf.as_ptr().add(p * NR).cast()) };
        }
        // SAFETY: `bv` holds NR = 16 floats.
        let (b0, b1) = unsafe {
            (
                _mm256_loadu_ps(bv.as_ptr()),
                _mm256_loadu_ps(bv.as_ptr().add(8)),
            )
        };
        for (row, &x) in acc.iter_mut().zip(av) {
            let x = _mm256_set1_ps(x);
            row[0] = _mm256_fmadd_ps(x, b0, row[0]);
            row[1] = _mm256_fmadd_ps(x, b1, row[1]);
        }
    }
    if let Some(bias) = st.bias {
        for (row, &v) in acc.iter_mut().zip(bias) {
            let v = _mm256_set1_ps(v);
            row[0] = _mm256_add_ps(row[0], v);
            row[1] = _mm256_add_ps(row[1], v);
        }
    }
    let full = nr == NR;
    if let Some(cb) = st.col_bias {
        let mut v = [0f32; NR];
        v[..nr].copy_from_slice(&cb[..nr]);
        // SAFETY: `v` holds NR = 16 floats.
        let (v0, v1) = unsafe {
            (
                _mm256_loadu_ps(v.as_ptr()),
                _mm256_loadu_ps(v.as_ptr().add(8)),
            )
        };
        for row in acc.iter_mut() {
            row[0] = _mm256_add_ps(row[0], v0);
            row[1] = _mm256_add_ps(row[1], v1);
        }
    }
    let mut tmp = [0f32; NR];
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: row i of the tile is writable for `nr` floats (the
        // caller's contract); a partial row goes through `tmp`.
        unsafe {
            let cp = c.add(i * ldc);
            let dst = if full { cp } else { tmp.as_mut_ptr() };
            if st.add && !full {
                std::ptr::copy_nonoverlapping(cp, dst, nr);
            }
            let (mut c0, mut c1) = (row[0], row[1]);
            if st.add {
                c0 = _mm256_add_ps(c0, _mm256_loadu_ps(dst));
                c1 = _mm256_add_ps(c1, _mm256_loadu_ps(dst.add(8)));
            }
            if let Some(res) = st.residual {
                let mut r = [0f32; NR];
                r[..nr].copy_from_slice(&res[i * ldc..][..nr]);
                c0 = _mm256_add_ps(c0, _mm256_loadu_ps(r.as_ptr()));
                c1 = _mm256_add_ps(c1, _mm256_loadu_ps(r.as_ptr().add(8)));
            }
            if st.relu {
                c0 = relu(c0);
                c1 = relu(c1);
            }
            _mm256_storeu_ps(dst, c0);
            _mm256_storeu_ps(dst.add(8), c1);
            if !full {
                std::ptr::copy_nonoverlapping(dst, cp, nr);
            }
        }
    }
}
