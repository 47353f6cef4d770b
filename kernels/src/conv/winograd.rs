//! Winograd F(2×2, 3×3) for stride-1, undilated, ungrouped 3×3
//! convolutions on AVX-512 (Lavin & Gray, "Fast Algorithms for
//! Convolutional Neural Networks", 2016). Each 2×2 block of outputs
//! (a *tile*, read from a 4×4 window of the padded input) takes 16
//! multiplies per channel pair instead of 36: the product is 16 GEMMs
//! `M_ξ = U_ξ·V_ξ` (`c_out × c_in` by `c_in × tiles`) on the packed
//! microkernel, 2.25× fewer FLOPs than the direct convolution.
//!
//! - Weights: `U = G·g·Gᵀ` per channel pair (in f64, rounded once), packed
//!   into the microkernel's row panels, one matrix per `ξ`, and kept
//!   across calls (`winograd_weights.rs`).
//! - Input, per work item and channel: the horizontal transform `d·B` of
//!   each input row runs on 16 tiles at once (even and odd columns split
//!   with two permutes; masked loads supply the zero padding), into an
//!   L1-sized buffer laid out by tile; the vertical `Bᵀ·(d·B)` then writes
//!   the GEMMs' `B` panels.
//! - Output, per channel: `Aᵀ·M·A` on 16 tiles at once plus the bias, then
//!   the 2×2 blocks are interleaved back into rows with two permutes, the
//!   residual added and ReLU applied in the same masked store.
//!
//! A work item is a run of tile rows (across images when they are small)
//! whose transformed input and product, `16·(c_in + c_out)` floats per
//! tile, fit [`ITEM_FLOATS`], so they stay in L2 between the passes. Tiles
//! are laid out `txp` per tile row: the row's tile count rounded up to a
//! power of two below 16 and to a multiple of 16 above, so a 16-lane
//! vector never straddles a `B` panel. Convs whose rounding wastes more
//! than an eighth of the lanes stay on the direct path, as do small
//! channel counts (the GEMMs would be too shallow or too narrow) and CPUs
//! without AVX-512.
//!
//! Each output comes from one tile of one item with the same operations in
//! the same order whatever the batch, item size or thread count, so the
//! bits depend on none of them. They differ from the direct convolution's
//! by rounding: the transforms add at most four values per step and `G`'s
//! halves are exact (`spec/kernels.md` states the bound the tests check).

use super::{Conv2dParams, ConvEpilogue};
use crate::gemm::{gemm_packed_a, Epilogue, PackedA, NR};
use crate::parallel;

/// Floats of transformed input and product per work item (512 KiB, a
/// quarter of this machine's L2 per core). On the CNN workload's three
/// shapes 512 KiB ran 5–15% faster than 1 MiB and 20–30% faster than
/// 2 MiB; at 256 KiB the 128-channel conv's items shrink to one panel of
/// tiles and it ran 50% slower (every item re-reads all 16 `U_ξ`).
const ITEM_FLOATS: usize = 128 << 10;

/// Fewest input and output channels: the 16 GEMMs are `c_in` deep, and
/// the transforms cost per channel what a `c_out`-row GEMM column does.
/// The CNN workload's 32-channel convs gain 25%; its stem (3 input
/// channels) stays direct. Counts between were not measured.
const MIN_CHANNELS: usize = 16;

/// Lanes per vector: one `B` panel.
const L: usize = 16;
const _: () = assert!(NR == L, "a tile vector is one B panel");

/// How a convolution's tiles are laid out (see the module doc).
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Tile rows per image and tiles per tile row.
    ty: usize,
    tx: usize,
    /// Lanes per tile row (`tx` rounded up).
    txp: usize,
    /// Tile rows per work item (`rows·txp` is a multiple of 16).
    rows: usize,
}

impl Plan {
    fn new(p: &Conv2dParams) -> Option<Plan> {
        let shape = p.kh == 3
            && p.kw == 3
            && p.stride == (1, 1)
            && p.dilation == (1, 1)
            && p.groups == 1
            && p.c_in >= MIN_CHANNELS
            && p.c_out >= MIN_CHANNELS;
        if !shape || !crate::simd::has_avx512f() || !crate::simd::has_avx2_fma() {
            return None;
        }
        let (oh, ow) = p.out_hw();
        let (ty, tx) = (oh.div_ceil(2), ow.div_ceil(2));
        let txp = if tx >= L {
            tx.next_multiple_of(L)
        } else {
            tx.next_power_of_two()
        };
        if txp * 7 > tx * 8 {
            return None;
        }
        let align = (L / txp).max(1);
        let total = p.n * ty;
        let fit = ITEM_FLOATS / (L * (p.c_in + p.c_out) * txp);
        // At least two items per thread when the batch allows it.
        let spread = total.div_ceil(2 * rayon::current_num_threads());
        let rows = fit.min(spread).max(1).next_multiple_of(align);
        Some(Plan { ty, tx, txp, rows })
    }
}

/// Whether [`conv`] takes `p` (tests check their cases reach it).
pub(super) fn applies(p: &Conv2dParams) -> bool {
    Plan::new(p).is_some()
}

/// `out = epi(conv(input, weight) + bias)` by Winograd F(2×2, 3×3);
/// `None` (nothing written) where the module doc's conditions do not hold.
/// The caller validated `p` and the slice lengths.
pub(super) fn conv(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    out: &mut [f32],
) -> Option<()> {
    let plan = Plan::new(p)?;
    let u = super::winograd_weights::transformed(p.c_in, p.c_out, weight)?;
    let total = p.n * plan.ty;
    let items = total.div_ceil(plan.rows);
    let dst = crate::gemm::SendPtr(out.as_mut_ptr());
    let item = |i: usize| {
        let (r0, r1) = (i * plan.rows, ((i + 1) * plan.rows).min(total));
        parallel::with_scratch(|scratch| {
            // SAFETY: item i writes the output rows of tile rows r0..r1
            // (rows 2·t and 2·t + 1 of each of their images' planes), which
            // no other item writes; `out` holds the whole output (checked
            // by the caller), and the CPU has AVX-512F (`Plan::new`).
            unsafe { item_rows(p, &plan, input, &u, bias, epi, r0, r1, dst.get(), scratch) }
        })
    };
    super::run_items(p, items, item);
    Some(())
}

/// Tile rows `r0..r1` (of all images' `n·ty`): transform, 16 GEMMs,
/// inverse transform and epilogue.
///
/// # Safety
/// `out` is the whole `[n, c_out, oh, ow]` output and nothing else
/// accesses these tile rows' output rows during the call; the CPU has
/// AVX-512F.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn item_rows(
    p: &Conv2dParams,
    plan: &Plan,
    input: &[f32],
    u: &[PackedA],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    r0: usize,
    r1: usize,
    out: *mut f32,
    scratch: &mut Vec<f32>,
) {
    let (ci_n, co_n) = (p.c_in, p.c_out);
    let z = Strides::new(((r1 - r0) * plan.txp).next_multiple_of(L), ci_n, co_n);
    let tp = z.tp;
    let (v_len, m_len) = (L * z.vs, L * z.ms);
    scratch.resize(v_len + m_len + (L + 8 + 4) * z.hs + L, 0.0);
    // Whole cache lines for the 16-float rows and panels.
    let skew = scratch.as_ptr().align_offset(64).min(L - 1);
    let (v, rest) = scratch[skew..].split_at_mut(v_len);
    let (m, rest) = rest.split_at_mut(m_len);
    let (hd, rest) = rest.split_at_mut(L * z.hs);
    let (sv, yc) = rest.split_at_mut(8 * z.hs);
    let segs = segments(plan, r0, r1);
    for ci in 0..ci_n {
        for s in &segs {
            let plane = &input[(s.img * ci_n + ci) * p.h * p.w..][..p.h * p.w];
            // SAFETY: AVX-512F (the caller's contract); `hd` holds 16·hs.
            unsafe { rows_forward(p, plan, plane, s, z.hs, hd) };
        }
        // SAFETY: as above; `v` holds 16 matrices of tp/16 panels × ci_n
        // at stride vs.
        unsafe { columns_forward(hd, &z, ci, ci_n, v) };
    }
    for (xi, a) in u.iter().enumerate() {
        // SAFETY: `m` holds 16 blocks of co_n × tp (row stride tp) at
        // stride ms.
        unsafe {
            gemm_packed_a(
                a,
                tp,
                &v[xi * z.vs..][..ci_n * tp],
                m.as_mut_ptr().add(xi * z.ms),
                tp,
                Epilogue::default(),
            )
        };
    }
    let (oh, ow) = p.out_hw();
    for co in 0..co_n {
        let b = bias.map_or(0.0, |b| b[co]);
        // SAFETY: AVX-512F; `sv` holds 8·hs floats, `yc` 4·hs.
        unsafe { inverse(m, co, &z, b, sv, yc) };
        for s in &segs {
            let at = (s.img * co_n + co) * oh * ow;
            let res = epi.residual.map(|r| &r[at..at + oh * ow]);
            // SAFETY: the plane at `at` is the output's; these tile rows'
            // output rows are this item's (the caller's contract).
            unsafe { store_rows(plan, oh, ow, s, z.hs, yc, res, epi.relu, out.add(at)) };
        }
    }
}

/// An item's lanes (`tp`, a multiple of 16) and buffer strides in floats:
/// rows of the horizontal transform and of the inverse's outputs (`hs`),
/// matrices `V_ξ` (`vs`) and `M_ξ` (`ms`). Each is padded by one cache
/// line: at the power-of-two strides of the CNN's shapes the 16 streams a
/// transform reads or writes shared L1 sets, and the transforms ran 3×
/// slower.
struct Strides {
    tp: usize,
    hs: usize,
    vs: usize,
    ms: usize,
}

impl Strides {
    fn new(tp: usize, ci_n: usize, co_n: usize) -> Strides {
        Strides {
            tp,
            hs: tp + L,
            vs: ci_n * tp + L,
            ms: co_n * tp + L,
        }
    }
}

/// Tile rows `t0..t1` of image `img`, at lane `lane0` of the item.
struct Segment {
    img: usize,
    t0: usize,
    t1: usize,
    lane0: usize,
}

/// The item's tile rows `r0..r1`, split where an image ends.
fn segments(plan: &Plan, r0: usize, r1: usize) -> Vec<Segment> {
    let mut segs = Vec::new();
    let mut r = r0;
    while r < r1 {
        let (img, t0) = (r / plan.ty, r % plan.ty);
        let t1 = plan.ty.min(t0 + (r1 - r));
        segs.push(Segment {
            img,
            t0,
            t1,
            lane0: (r - r0) * plan.txp,
        });
        r += t1 - t0;
    }
    segs
}

use crate::simd::lanes::{even_odd, mask as lane_mask};
use std::arch::x86_64::*;

/// The horizontal transform `d·B` of every input row a segment's tiles
/// read, for one channel `plane` (`[h, w]`): row `r` of tile `(t, x)`,
/// column `c` goes to `hd[(r·4 + c)·hs + lane]`, where the tile's lane is
/// `lane0 + (t - t0)·txp + x`. Rows shared by two tile rows are computed
/// once and stored twice.
///
/// # Safety
/// AVX-512F; `hd` holds `16·hs` floats and the segment's lanes are
/// < hs - 16.
#[target_feature(enable = "avx512f")]
unsafe fn rows_forward(
    p: &Conv2dParams,
    plan: &Plan,
    plane: &[f32],
    s: &Segment,
    hs: usize,
    hd: &mut [f32],
) {
    let (w, pl) = (p.w as isize, p.pad_w.0 as isize);
    let store_mask = lane_mask(0, plan.txp.min(L) as isize);
    let hd = hd.as_mut_ptr();
    for x0 in (0..plan.txp).step_by(L) {
        // Input column of lane 0's d0, d1 / d2, d3 and the lane after,
        // and which of each load's lanes are inside the row.
        let base = 2 * x0 as isize - pl;
        let offs = [0, 16, 2, 18].map(|o| base + o);
        let masks = offs.map(|o| lane_mask(-o, w - o));
        for y in 2 * s.t0..2 * s.t1 + 2 {
            let iy = y as isize - p.pad_h.0 as isize;
            let [a0, a1, b0, b1] = if (0..p.h as isize).contains(&iy) {
                let row = plane[iy as usize * p.w..].as_ptr();
                // SAFETY: the masks keep the lanes inside the row.
                std::array::from_fn(|k| unsafe {
                    _mm512_maskz_loadu_ps(masks[k], row.wrapping_offset(offs[k]))
                })
            } else {
                [_mm512_setzero_ps(); 4]
            };
            let ((d0, d1), (d2, d3)) = (even_odd(a0, a1), even_odd(b0, b1));
            let h = [
                _mm512_sub_ps(d0, d2),
                _mm512_add_ps(d1, d2),
                _mm512_sub_ps(d2, d1),
                _mm512_sub_ps(d1, d3),
            ];
            // Tile rows reading this row: t = y/2 (row r = y%2) and
            // t = y/2 - 1 (row r = y%2 + 2), where inside the segment.
            for t in [y / 2, (y / 2).wrapping_sub(1)] {
                if t < s.t0 || t >= s.t1 {
                    continue;
                }
                let r = y - 2 * t;
                let lane = s.lane0 + (t - s.t0) * plan.txp + x0;
                for (c, hc) in h.iter().enumerate() {
                    // SAFETY: lane + 16 ≤ hs (the caller's contract).
                    unsafe {
                        _mm512_mask_storeu_ps(hd.add((r * 4 + c) * hs + lane), store_mask, *hc)
                    };
                }
            }
        }
    }
}

/// The vertical transform `Bᵀ·(d·B)` of 16 tiles at a time, for input
/// channel `ci`: writes k-step `ci` of every `B` panel of the 16 matrices
/// `V_ξ` (`v[ξ·vs + (panel·ci_n + ci)·16 + lane]`).
///
/// # Safety
/// AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn columns_forward(hd: &[f32], z: &Strides, ci: usize, ci_n: usize, v: &mut [f32]) {
    assert!(hd.len() >= L * z.hs && v.len() >= L * z.vs && ci < ci_n && z.vs >= ci_n * z.tp);
    let (hd, v, hs, vs) = (hd.as_ptr(), v.as_mut_ptr(), z.hs, z.vs);
    // Column by column: eight streams per loop, not 32 (the pointers of
    // all 16 rows and 16 matrices at once spilled to the stack).
    for c in 0..4 {
        for j in 0..z.tp / L {
            // SAFETY (loads and stores): inside the lengths asserted above.
            let [h0, h1, h2, h3] = std::array::from_fn(|r| unsafe {
                _mm512_loadu_ps(hd.add((r * 4 + c) * hs + j * L))
            });
            let col = [
                _mm512_sub_ps(h0, h2),
                _mm512_add_ps(h1, h2),
                _mm512_sub_ps(h2, h1),
                _mm512_sub_ps(h1, h3),
            ];
            for (i, vi) in col.into_iter().enumerate() {
                unsafe { _mm512_storeu_ps(v.add((i * 4 + c) * vs + (j * ci_n + ci) * L), vi) };
            }
        }
    }
}

/// `Aᵀ·M·A + bias` of output channel `co` for every tile: output `(i, j)`
/// of the tile at `lane` goes to `yc[(2·i + j)·hs + lane]`. In two passes
/// of few streams each (as [`columns_forward`]): the vertical `Aᵀ·M` into
/// `s` (8 rows of `hs`), then the horizontal `(Aᵀ·M)·A`.
///
/// # Safety
/// AVX-512F; `m` holds the 16 blocks `M_ξ` (`co_n × tp` at `ξ·ms`).
#[target_feature(enable = "avx512f")]
unsafe fn inverse(m: &[f32], co: usize, z: &Strides, bias: f32, s: &mut [f32], yc: &mut [f32]) {
    assert!(m.len() >= L * z.ms && (co + 1) * z.tp <= z.ms);
    assert!(s.len() >= 8 * z.hs && yc.len() >= 4 * z.hs);
    let (m, s, yc, hs, tp) = (m.as_ptr(), s.as_mut_ptr(), yc.as_mut_ptr(), z.hs, z.tp);
    // SAFETY (every load and store): inside the lengths asserted above.
    for c in 0..4 {
        for j in 0..tp / L {
            let [m0, m1, m2, m3] = std::array::from_fn(|i| unsafe {
                _mm512_loadu_ps(m.add((i * 4 + c) * z.ms + co * tp + j * L))
            });
            let s0 = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
            let s1 = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
            unsafe {
                _mm512_storeu_ps(s.add(c * hs + j * L), s0);
                _mm512_storeu_ps(s.add((4 + c) * hs + j * L), s1);
            }
        }
    }
    let b = _mm512_set1_ps(bias);
    for i in 0..2 {
        for j in 0..tp / L {
            let [s0, s1, s2, s3] = std::array::from_fn(|c| unsafe {
                _mm512_loadu_ps(s.add((i * 4 + c) * hs + j * L))
            });
            let y0 = _mm512_add_ps(_mm512_add_ps(s0, s1), s2);
            let y1 = _mm512_sub_ps(_mm512_sub_ps(s1, s2), s3);
            unsafe {
                _mm512_storeu_ps(yc.add(2 * i * hs + j * L), _mm512_add_ps(y0, b));
                _mm512_storeu_ps(yc.add((2 * i + 1) * hs + j * L), _mm512_add_ps(y1, b));
            }
        }
    }
}

/// Writes one output plane's rows for a segment's tiles from `yc`
/// ([`inverse`]'s layout): outputs `(i, 0)` and `(i, 1)` of 16 tiles are
/// interleaved into 32 consecutive floats of output row `2·t + i`, the
/// residual (laid out as the plane) added and ReLU applied; rows and
/// columns past the output (odd sizes) are not written.
///
/// # Safety
/// AVX-512F; `out` is valid for the plane's `oh·ow` floats; the
/// segment's lanes are < hs - 16.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn store_rows(
    plan: &Plan,
    oh: usize,
    ow: usize,
    s: &Segment,
    hs: usize,
    yc: &[f32],
    res: Option<&[f32]>,
    relu: bool,
    out: *mut f32,
) {
    assert!(yc.len() >= 4 * hs && res.is_none_or(|r| r.len() >= oh * ow));
    let lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    let zero = _mm512_setzero_ps();
    let yc = yc.as_ptr();
    for t in s.t0..s.t1 {
        let lane = s.lane0 + (t - s.t0) * plan.txp;
        for i in 0..2 {
            let oy = 2 * t + i;
            if oy >= oh {
                continue;
            }
            for x0 in (0..plan.tx).step_by(L) {
                // SAFETY: lane + x0 + 16 ≤ hs, so 16 floats from there
                // are in `yc` (4·hs floats).
                let (a, b) = unsafe {
                    (
                        _mm512_loadu_ps(yc.add(2 * i * hs + lane + x0)),
                        _mm512_loadu_ps(yc.add((2 * i + 1) * hs + lane + x0)),
                    )
                };
                for (half, idx) in [lo, hi].into_iter().enumerate() {
                    let col = 2 * x0 + half * L;
                    let n = ow.saturating_sub(col).min(L);
                    if n == 0 {
                        continue;
                    }
                    let mask = lane_mask(0, n as isize);
                    let at = oy * ow + col;
                    let mut y = _mm512_permutex2var_ps(a, idx, b);
                    if let Some(r) = res {
                        // SAFETY: the n floats from `at` are in the plane.
                        y = _mm512_add_ps(y, unsafe {
                            _mm512_maskz_loadu_ps(mask, r.as_ptr().add(at))
                        });
                    }
                    if relu {
                        let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(y, y);
                        y = _mm512_mask_blend_ps(nan, _mm512_max_ps(y, zero), y);
                    }
                    // SAFETY: as the residual's load.
                    unsafe { _mm512_mask_storeu_ps(out.add(at), mask, y) };
                }
            }
        }
    }
}
