//! Implicit GEMM: `c = epi(a · B)` with `a` a [`PackedA`] and the `B`
//! operand never materialized: micro-panel `j`'s row at k-step `q` is the
//! `NR` floats at `base[starts[j] + taps[q]..]`. A stride-1 convolution
//! whose output rows hold whole micro-panels reads its zero-padded input
//! this way (`starts`: each panel's first output position, `taps`: each
//! (channel, ky, kx)'s offset), where im2col would first write the input
//! out `kh·kw` times over (`conv/packed.rs`: a sixth of the CNN workload).
//!
//! AVX-512 only (the 12×32 tile of `packed/avx512.rs`, reading its rows through
//! the tap offsets); elsewhere [`gemm_indirect`] declines and the caller
//! packs. The k blocks, the per-output FMA order and the store are those
//! of `packed.rs`, so the results are the same bits as packing `B` first.

#[cfg(target_arch = "x86_64")]
use super::packed::avx512;
use super::packed::{k_block_len, row_tiles, wide_tiles, Epilogue, PackedA, Store, MR, NR};

/// `c = epi(a · B)` for the `m × starts.len()·NR` block of `c` at row
/// stride `ldc`, `B` as in the module doc; `false` (nothing written)
/// without AVX-512.
///
/// # Safety
/// `c` is valid for writes at `i·ldc + j` for every `i < m`,
/// `j < starts.len()·NR`, and nothing else accesses those floats during
/// the call.
pub(crate) unsafe fn gemm_indirect(
    a: &PackedA,
    base: &[f32],
    starts: &[usize],
    taps: &[usize],
    c: *mut f32,
    ldc: usize,
    epi: Epilogue,
) -> bool {
    if !wide_tiles() {
        return false;
    }
    let (m, k, n) = (a.m(), a.k(), starts.len() * NR);
    assert_eq!(taps.len(), k, "gemm_indirect: one tap per k-step");
    let reach = taps.iter().max().map_or(0, |t| t + NR);
    assert!(
        starts.iter().all(|&s| s + reach <= base.len()),
        "gemm_indirect: a panel reads past its input"
    );
    epi.check("gemm_indirect", m, n, ldc);
    if m == 0 || n == 0 || k == 0 {
        // `gemm_packed_a` has the k = 0 store; nothing to gain here.
        return false;
    }
    #[cfg(not(target_arch = "x86_64"))]
    return false;
    let kc_len = k_block_len(k);
    #[cfg(target_arch = "x86_64")]
    for jp in (0..starts.len()).step_by(2) {
        // A pair of micro-panels; a last single one runs with no columns
        // in the second half.
        let pair = jp + 1 < starts.len();
        let b0 = base[starts[jp]..].as_ptr();
        let (b1, nr) = if pair {
            (base[starts[jp + 1]..].as_ptr(), NR)
        } else {
            (b0, 0)
        };
        let mut p0 = 0;
        while p0 < k {
            let kc = kc_len.min(k - p0);
            let blocks = (p0 == 0, p0 + kc == k);
            for (ip, r0, mr) in row_tiles(m, true) {
                let store = Store::for_tile(epi, blocks, (r0, mr[0] + mr[1]), ldc, jp * NR);
                let panel = |ip: usize| &a.panels()[(ip * k + p0) * MR..(ip * k + p0 + kc) * MR];
                let a1 = if mr[1] > 0 { panel(ip + 1) } else { panel(ip) };
                // SAFETY: AVX-512F is present (`wide_tiles`); every k-step's
                // row lies inside `base` (asserted); the tile (mr[0] + mr[1]
                // rows, NR + nr columns) is inside the caller's block of c.
                unsafe {
                    avx512::tile_at(
                        [panel(ip), a1],
                        mr,
                        b0,
                        b1,
                        Some(&taps[p0..p0 + kc]),
                        c.add(r0 * ldc + jp * NR),
                        ldc,
                        store,
                        nr,
                    )
                };
            }
            p0 += kc;
        }
    }
    true
}
