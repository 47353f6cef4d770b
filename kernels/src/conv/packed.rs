//! Convolution on the packed GEMM (`gemm/packed.rs`), for CPUs with
//! AVX2+FMA: each group's weights are packed once per call into the
//! microkernel's row panels (`[c_out/g, c_in/g·kh·kw]`, a few hundred KiB
//! at most); per tile of output rows, the input rows it reads are copied
//! once into a zero-padded buffer, from which the `B` panels (im2col's
//! columns in panel order) are filled with no bounds checks: with stride 1
//! each panel row is one or two fixed-size copies of 8 floats. With stride
//! 1 and whole 16-wide panels per output row, the AVX-512 tile reads the
//! padded rows in place instead (`gemm/indirect.rs`, no panels written).
//! The tile store adds the bias and applies ReLU.
//!
//! Measured on the CNN workload's 3×3 convs (2 cores), im2col into a
//! row-major buffer and a packing pass took a third of the time.
//!
//! Work items are (image, tile of output rows), spread over the pool, so a
//! batch of one still uses every core once it has several tiles. Each
//! output is computed by one item in a fixed order: results do not depend
//! on the thread count.

use super::{Conv2dParams, ConvEpilogue, Shortcut};
use crate::gemm::{gemm_indirect, gemm_packed_a, Epilogue, MatRef, PackedA, SendPtr, NR};
use crate::parallel;

/// Floats of packed columns per tile (640 KiB), the im2col path's tile.
/// L2 per core differs between the machines this ran on (512 KiB to
/// 2 MiB, `lscpu`), so a smaller tile may do better on the 32×32 convs
/// on some; not measured yet. The implicit-GEMM path writes no panels.
const COL_TILE_FLOATS: usize = 160 << 10;

/// A 1×1 convolution computed from the same input windows
/// ([`super::conv2d_with_shortcut_f32`]): its weights packed, its bias, its
/// output `[n, m, oh, ow]`, and the tap `(ky, kx)` of the main kernel whose
/// inputs it reads.
struct Side<'a> {
    a: PackedA,
    bias: Option<&'a [f32]>,
    out: SendPtr<f32>,
    tap: (usize, usize),
}

/// `out = epi(conv(input, weight) + bias)`, and `short`'s convolution
/// into its slice when given (ungrouped; it reads what tap `(ky, kx)` of
/// `p`'s kernel reads, at `p`'s output size); `None` (nothing written)
/// without AVX2+FMA. The caller validated `p` and the slice lengths.
pub(super) fn conv(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    out: &mut [f32],
    short: Option<(Shortcut, &mut [f32], (usize, usize))>,
) -> Option<()> {
    let (oh, ow) = p.out_hw();
    let (cig, cog, ohw) = (p.c_in / p.groups, p.c_out / p.groups, oh * ow);
    let kk = cig * p.kh * p.kw;
    let groups: Vec<PackedA> = (0..p.groups)
        .map(|g| {
            PackedA::new(
                cog,
                kk,
                MatRef {
                    data: weight,
                    offset: g * cog * kk,
                    rs: kk,
                    cs: 1,
                },
            )
        })
        .collect::<Option<_>>()?;
    let side = match short {
        Some((s, o, tap)) => {
            assert!(p.groups == 1, "conv2d: a shortcut beside a grouped conv");
            let w = MatRef {
                data: s.weight,
                offset: 0,
                rs: p.c_in,
                cs: 1,
            };
            Some(Side {
                a: PackedA::new(s.c_out, p.c_in, w)?,
                bias: s.bias,
                out: SendPtr(o.as_mut_ptr()),
                tap,
            })
        }
        None => None,
    };
    // Row tiles: columns within COL_TILE_FLOATS, and at least two items per
    // thread when the batch alone does not give that many.
    let min_items = 2 * rayon::current_num_threads();
    let mut tiles = (kk * ohw)
        .div_ceil(COL_TILE_FLOATS)
        .max(min_items.div_ceil(p.n));
    tiles = tiles.clamp(1, oh.max(1));
    let tile_rows = oh.div_ceil(tiles).max(1);
    let tiles = oh.div_ceil(tile_rows);
    let dst = crate::gemm::SendPtr(out.as_mut_ptr());
    let item = |i: usize| {
        let (img, t) = (i / tiles, i % tiles);
        let (oy0, oy1) = (t * tile_rows, ((t + 1) * tile_rows).min(oh));
        parallel::with_scratch(|scratch| {
            // SAFETY: item (img, t) writes rows oy0..oy1 of every output
            // plane of image `img`, which no other item writes; `out` holds
            // the whole output (the caller checked its length).
            unsafe {
                tile(
                    p,
                    input,
                    &groups,
                    bias,
                    epi,
                    side.as_ref(),
                    img,
                    oy0,
                    oy1,
                    dst.get(),
                    scratch,
                )
            }
        })
    };
    let items = p.n * tiles;
    super::run_items(p, items, item);
    Some(())
}

/// Output rows `oy0..oy1` of every channel of image `img` (and of the
/// side convolution's).
///
/// # Safety
/// `out` is the whole `[n, c_out, oh, ow]` output, `side`'s its whole
/// output, and nothing else accesses those rows during the call.
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
    p: &Conv2dParams,
    input: &[f32],
    groups: &[PackedA],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    side: Option<&Side>,
    img: usize,
    oy0: usize,
    oy1: usize,
    out: *mut f32,
    scratch: &mut Vec<f32>,
) {
    let (oh, ow) = p.out_hw();
    let (cig, hw, ohw) = (p.c_in / p.groups, p.h * p.w, oh * ow);
    let g = Window::new(p, oy0, oy1);
    let kk = cig * p.kh * p.kw;
    let panels_len = g.tn.div_ceil(NR) * NR * kk;
    scratch.resize(cig * g.rows * g.row_len() + panels_len, 0.0);
    let (padded, panels) = scratch.split_at_mut(cig * g.rows * g.row_len());
    let (pos, taps) = (g.positions(p), g.taps(p));
    // With stride 1 (or 2, columns split by parity) and whole micro-panels
    // per output row, each panel's positions are consecutive: the product
    // reads the padded input in place (implicit GEMM) where the AVX-512
    // tile is available.
    let starts: Vec<usize> = if (p.stride.1 == 1 || g.split) && ow % NR == 0 {
        pos.iter().step_by(NR).copied().collect()
    } else {
        Vec::new()
    };
    // SAFETY (every product): rows oy0..oy1 of the planes at `c`, at row
    // stride ohw, are this item's (the caller's contract).
    let product = |a: &PackedA,
                   taps: &[usize],
                   padded: &[f32],
                   panels: &mut [f32],
                   c: *mut f32,
                   epi: Epilogue| unsafe {
        if starts.is_empty() || !gemm_indirect(a, padded, &starts, taps, c, ohw, epi) {
            let panels = &mut panels[..g.tn.div_ceil(NR) * NR * taps.len()];
            fill_panels(padded, &pos, taps, panels);
            gemm_packed_a(a, g.tn, panels, c, ohw, epi);
        }
    };
    for (gi, a) in groups.iter().enumerate() {
        g.pad(
            p,
            &input[(img * p.c_in + gi * cig) * hw..][..cig * hw],
            padded,
        );
        let cog = a.m();
        let at = (img * p.c_out + gi * cog) * ohw + oy0 * ow;
        let tile_epi = Epilogue {
            row_bias: bias.map(|b| &b[gi * cog..(gi + 1) * cog]),
            col_bias: None,
            residual: epi.residual.map(|r| &r[at..]),
            relu: epi.relu,
        };
        product(a, &taps, padded, panels, unsafe { out.add(at) }, tile_epi);
    }
    if let Some(s) = side {
        // One tap per input channel: the one `s.tap` of the kernel reads.
        let (ky, kx) = s.tap;
        let taps: Vec<usize> = (0..cig)
            .map(|ci| (ci * g.rows + ky * p.dilation.0) * g.row_len() + g.col(kx * p.dilation.1))
            .collect();
        let at = img * s.a.m() * ohw + oy0 * ow;
        let side_epi = Epilogue {
            row_bias: s.bias,
            col_bias: None,
            residual: None,
            relu: false,
        };
        product(
            &s.a,
            &taps,
            padded,
            panels,
            unsafe { s.out.get().add(at) },
            side_epi,
        );
    }
}

/// The input window of output rows `oy0..oy1`: `rows` padded rows of
/// `wp` floats per channel, starting at input row `y0` (may be negative).
/// With `split` (horizontal stride 2, no horizontal dilation, output rows
/// of whole micro-panels) each row is stored as its even columns, then its
/// odd ones, `half` floats each: the columns a tap reads for consecutive
/// outputs are then consecutive, so the implicit GEMM reads them in place
/// (the stride-2 32→64 conv: 1.34–1.48 → 1.13–1.23 ms). Half-panel rows
/// stay unsplit: their panels are filled either way, and splitting made
/// the 64→128 conv 3% slower.
struct Window {
    tn: usize,
    rows: usize,
    wp: usize,
    y0: isize,
    split: bool,
    half: usize,
}

impl Window {
    fn new(p: &Conv2dParams, oy0: usize, oy1: usize) -> Window {
        let (_, ow) = p.out_hw();
        let eff_h = p.dilation.0 * (p.kh - 1) + 1;
        Window {
            tn: (oy1 - oy0) * ow,
            rows: (oy1 - oy0 - 1) * p.stride.0 + eff_h,
            wp: p.w + p.pad_w.0 + p.pad_w.1,
            y0: (oy0 * p.stride.0) as isize - p.pad_h.0 as isize,
            split: p.stride.1 == 2 && p.dilation.1 == 1 && ow % NR == 0,
            half: (p.w + p.pad_w.0 + p.pad_w.1).div_ceil(2),
        }
    }

    /// Floats per stored row.
    fn row_len(&self) -> usize {
        if self.split {
            2 * self.half
        } else {
            self.wp
        }
    }

    /// Where padded column `x` of a row is stored.
    fn col(&self, x: usize) -> usize {
        if self.split {
            x / 2 + (x % 2) * self.half
        } else {
            x
        }
    }

    /// Copies the window of each channel of `x` (`[cig, h, w]`) into
    /// `padded`, zeros outside the input. Rows with zero columns on their
    /// sides are zeroed by one fill of the whole window first (a fill per
    /// side per row, one float each, before: the stride-2 64→128 conv with
    /// its shortcut went from 1.44 to 1.40 ms); split rows are written
    /// whole.
    fn pad(&self, p: &Conv2dParams, x: &[f32], padded: &mut [f32]) {
        let (hw, len) = (p.h * p.w, self.row_len());
        let zero_sides = !self.split && len > p.w;
        if zero_sides {
            padded.fill(0.0);
        }
        // Window rows r0..r1 read input rows iy0..iy1; the others are zero.
        let r0 = (-self.y0).clamp(0, self.rows as isize) as usize;
        let r1 = (p.h as isize - self.y0).clamp(r0 as isize, self.rows as isize) as usize;
        let iy0 = (self.y0 + r0 as isize) as usize;
        for (plane, dst) in x.chunks(hw).zip(padded.chunks_mut(self.rows * len)) {
            let (head, rest) = dst.split_at_mut(r0 * len);
            let (inside, tail) = rest.split_at_mut((r1 - r0) * len);
            if !zero_sides {
                head.fill(0.0);
                tail.fill(0.0);
            }
            let src = &plane[iy0 * p.w..(iy0 + r1 - r0) * p.w];
            if self.split {
                split_columns(src, p.w, p.pad_w.0, inside, len);
                continue;
            }
            copy_rows(src, p.w, p.pad_w.0, inside, len);
        }
    }

    /// Offset in a padded channel of each output position's first tap.
    fn positions(&self, p: &Conv2dParams) -> Vec<usize> {
        let (_, ow) = p.out_hw();
        let mut pos = Vec::with_capacity(self.tn);
        for r in 0..self.tn / ow.max(1) {
            let row = r * p.stride.0 * self.row_len();
            pos.extend((0..ow).map(|ox| row + self.col(ox * p.stride.1)));
        }
        pos
    }

    /// Offset in the padded window of each k-step's tap (channel, ky, kx).
    fn taps(&self, p: &Conv2dParams) -> Vec<usize> {
        let cig = p.c_in / p.groups;
        let mut taps = Vec::with_capacity(cig * p.kh * p.kw);
        for ci in 0..cig {
            for ky in 0..p.kh {
                for kx in 0..p.kw {
                    let row = (ci * self.rows + ky * p.dilation.0) * self.row_len();
                    taps.push(row + self.col(kx * p.dilation.1));
                }
            }
        }
        taps
    }
}

/// Each row of `w` floats of `src` into the row of `len` floats of `dst`
/// at the same index, from column `pad` on.
fn copy_rows(src: &[f32], w: usize, pad: usize, dst: &mut [f32], len: usize) {
    assert!(
        pad + w <= len && src.len() / w.max(1) == dst.len() / len.max(1),
        "copy_rows: one row of dst per row of src"
    );
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx512f() {
        // SAFETY: AVX-512F is present; the rows fit (asserted).
        return unsafe { copy_rows_avx512(src, w, pad, dst, len) };
    }
    for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(len)) {
        d[pad..][..w].copy_from_slice(s);
    }
}

/// [`copy_rows`] 16 floats of every row at a time, masked at the row's
/// end (a `memcpy` call per row before: the 1×1 stride-2 64→128 conv went
/// from 0.209 to 0.192 ms).
///
/// # Safety
/// AVX-512F is present; `src` has `w` floats per row of `dst`'s `len`,
/// and `pad + w <= len`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn copy_rows_avx512(src: &[f32], w: usize, pad: usize, dst: &mut [f32], len: usize) {
    use crate::simd::lanes::mask;
    use std::arch::x86_64::*;
    let rows = dst.len() / len.max(1);
    for i in (0..w).step_by(16) {
        let m = mask(0, (w - i) as isize);
        for r in 0..rows {
            // SAFETY: lanes below `w - i` of row `r`, inside both slices.
            unsafe {
                let v = _mm512_maskz_loadu_ps(m, src.as_ptr().add(r * w + i));
                _mm512_mask_storeu_ps(dst.as_mut_ptr().add(r * len + pad + i), m, v);
            }
        }
    }
}

/// Each row of `w` floats of `src` into the row of `len` floats of `dst`
/// at the same index, as its even then its odd columns, `len / 2` each:
/// `dst_row[i] = line[2i]`, `dst_row[len / 2 + i] = line[2i + 1]` of the
/// row `line` that is the source row after `pad` zeros, zeros past its end.
fn split_columns(src: &[f32], w: usize, pad: usize, dst: &mut [f32], len: usize) {
    assert!(
        len % 2 == 0 && src.len() / w.max(1) == dst.len() / len.max(1),
        "split_columns: one row of dst per row of src"
    );
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx512f() {
        // SAFETY: AVX-512F is present; the rows match (asserted).
        return unsafe { split_columns_avx512(src, w, pad, dst, len) };
    }
    split_columns_scalar(src, w, pad, dst, len)
}

fn split_columns_scalar(src: &[f32], w: usize, pad: usize, dst: &mut [f32], len: usize) {
    for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(len)) {
        let at = |j: usize| {
            j.checked_sub(pad)
                .and_then(|i| s.get(i))
                .copied()
                .unwrap_or(0.0)
        };
        let (even, odd) = d.split_at_mut(len / 2);
        for (i, (e, o)) in even.iter_mut().zip(odd).enumerate() {
            (*e, *o) = (at(2 * i), at(2 * i + 1));
        }
    }
}

/// [`split_columns`] 16 outputs of every row at a time: two masked loads
/// straight from the source row (the padding is the masked-off lanes),
/// two permutes, two masked stores, with the masks made once per run of
/// rows. (Before, a call per row copied it into a padded line first: the
/// stride-2 32→64 conv went from 1.17 to 1.08 ms, its 1×1 shortcut alone
/// from 0.25 to 0.24.)
///
/// # Safety
/// AVX-512F is present; `src` has `w` floats per row of `dst`'s `len`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn split_columns_avx512(src: &[f32], w: usize, pad: usize, dst: &mut [f32], len: usize) {
    use crate::simd::lanes::{even_odd, mask};
    use std::arch::x86_64::*;
    let (half, rows) = (len / 2, dst.len() / len.max(1));
    let (wi, padi) = (w as isize, pad as isize);
    for i in (0..half).step_by(16) {
        // Line position `j` is `src_row[j - pad]`: lanes outside `0..w`
        // are masked off, never read, so the pointer may leave the row.
        let j = 2 * i as isize;
        let (m0, m1) = (
            mask(padi - j, wi + padi - j),
            mask(padi - j - 16, wi + padi - j - 16),
        );
        let m = mask(0, (half - i) as isize);
        for r in 0..rows {
            let s = src.as_ptr().wrapping_add(r * w).wrapping_offset(j - padi);
            // SAFETY: the unmasked lanes read `src[r·w + j - pad + l]`
            // with `0 <= j - pad + l < w`; the stores are masked to the
            // row's halves.
            unsafe {
                let (a, b) = (
                    _mm512_maskz_loadu_ps(m0, s),
                    _mm512_maskz_loadu_ps(m1, s.wrapping_add(16)),
                );
                let (e, o) = even_odd(a, b);
                let d = dst.as_mut_ptr().add(r * len + i);
                _mm512_mask_storeu_ps(d, m, e);
                _mm512_mask_storeu_ps(d.add(half), m, o);
            }
        }
    }
}

/// Fills the `B` panels: panel `jp`, k-step `q`, lane `l` is
/// `padded[taps[q] + pos[jp·NR + l]]` (zero past the last position). A half
/// panel of 8 positions in one output row at stride 1 or 2 is a fixed-size
/// copy (stride 2: 15 floats, every other one kept), with no bounds checks
/// per element.
fn fill_panels(padded: &[f32], pos: &[usize], taps: &[usize], panels: &mut [f32]) {
    const H: usize = NR / 2;
    let k = taps.len();
    for (jp, panel) in panels.chunks_mut(k * NR).enumerate() {
        let pj = &pos[jp * NR..pos.len().min((jp + 1) * NR)];
        // (first offset, step) of a half panel whose offsets are evenly spaced.
        let run = |h: usize| {
            let s = pj.get(h * H..(h + 1) * H)?;
            let span = s[H - 1].wrapping_sub(s[0]);
            [1, 2]
                .into_iter()
                .find(|&st| span == st * (H - 1))
                .map(|st| (s[0], st))
        };
        let halves = [run(0), run(1)];
        for (&t, dst) in taps.iter().zip(panel.chunks_exact_mut(NR)) {
            for (h, d) in dst.chunks_exact_mut(H).enumerate() {
                let d: &mut [f32; H] = d.try_into().expect("chunks_exact_mut(H)");
                match halves[h] {
                    Some((start, 1)) => *d = padded[t + start..][..H].try_into().expect("H floats"),
                    Some((start, _)) => {
                        let s: &[f32; 2 * H - 1] = padded[t + start..][..2 * H - 1]
                            .try_into()
                            .expect("2H-1 floats");
                        *d = std::array::from_fn(|l| s[2 * l]);
                    }
                    None => {
                        for (l, v) in d.iter_mut().enumerate() {
                            *v = pj.get(h * H + l).map_or(0.0, |&o| padded[t + o]);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_columns_vector_and_scalar_agree() {
        for w in [1usize, 5, 16, 17, 31, 32, 33, 64] {
            for pad in 0..4 {
                for right in 0..3 {
                    let rows = 3;
                    let src: Vec<f32> = (0..rows * w).map(|i| i as f32 + 1.0).collect();
                    let len = 2 * (w + pad + right).div_ceil(2);
                    let mut want = vec![f32::NAN; rows * len];
                    split_columns_scalar(&src, w, pad, &mut want, len);
                    for (r, d) in want.chunks(len).enumerate() {
                        let at = |j: usize| {
                            if j >= pad && j - pad < w {
                                src[r * w + j - pad]
                            } else {
                                0.0
                            }
                        };
                        let line: Vec<f32> = (0..len)
                            .step_by(2)
                            .map(at)
                            .chain((1..len).step_by(2).map(at))
                            .collect();
                        assert_eq!(d, line, "w {w} pad {pad} row {r}");
                    }
                    let mut got = vec![f32::NAN; rows * len];
                    split_columns(&src, w, pad, &mut got, len);
                    assert_eq!(got, want, "w {w} pad {pad} right {right}");
                }
            }
        }
    }
}
