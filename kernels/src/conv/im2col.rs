//! im2col / col2im for NCHW planes, with contiguous copies for stride 1.

use super::Conv2dParams;

/// The output columns `ox` whose input column `ox·s + off` lies in `[0, len)`
/// (`off` may be negative): a half-open range clamped to `[0, out_len)`.
#[inline]
pub(super) fn valid_range(out_len: usize, s: usize, off: isize, len: usize) -> (usize, usize) {
    // ox·s + off >= 0  <=>  ox >= ceil(-off / s)
    let lo = if off >= 0 {
        0
    } else {
        ((-off) as usize).div_ceil(s)
    };
    // ox·s + off <= len - 1  <=>  ox <= (len - 1 - off) / s
    let top = len as isize - 1 - off;
    let hi = if top < 0 { 0 } else { top as usize / s + 1 };
    let hi = hi.min(out_len);
    (lo.min(hi), hi)
}

/// Fills `col` (resized to `[cig·kh·kw, (oy1-oy0)·ow]`) with the columns of
/// output rows `oy0..oy1` from one group's input planes `x` (`[cig, h, w]`);
/// out-of-bounds taps are zero.
pub(super) fn im2col(p: &Conv2dParams, x: &[f32], oy0: usize, oy1: usize, col: &mut Vec<f32>) {
    let (_, ow) = p.out_hw();
    let (cig, hw, tn) = (p.c_in / p.groups, p.h * p.w, (oy1 - oy0) * ow);
    col.resize(cig * p.kh * p.kw * tn, 0.0);
    let (sh, sw) = p.stride;
    let (dh, dw) = p.dilation;
    if p.stride == (1, 1) && ow == p.w {
        return im2col_same_width(p, x, oy0, oy1, col);
    }
    for ci in 0..cig {
        let plane = &x[ci * hw..(ci + 1) * hw];
        for ky in 0..p.kh {
            for kx in 0..p.kw {
                let r = (ci * p.kh + ky) * p.kw + kx;
                let dst = &mut col[r * tn..(r + 1) * tn];
                let xoff = (kx * dw) as isize - p.pad_w.0 as isize;
                let (lo, hi) = valid_range(ow, sw, xoff, p.w);
                for oy in oy0..oy1 {
                    let d = &mut dst[(oy - oy0) * ow..(oy - oy0 + 1) * ow];
                    let iy = (oy * sh + ky * dh) as isize - p.pad_h.0 as isize;
                    if iy < 0 || iy >= p.h as isize || lo >= hi {
                        d.fill(0.0);
                        continue;
                    }
                    let src = &plane[iy as usize * p.w..(iy as usize + 1) * p.w];
                    d[..lo].fill(0.0);
                    d[hi..].fill(0.0);
                    let start = (lo * sw) as isize + xoff;
                    if sw == 1 {
                        d[lo..hi].copy_from_slice(&src[start as usize..start as usize + (hi - lo)]);
                    } else {
                        for (j, v) in d[lo..hi].iter_mut().enumerate() {
                            *v = src[(start + (j * sw) as isize) as usize];
                        }
                    }
                }
            }
        }
    }
}

/// Stride 1 with output width = input width (e.g. 3×3 'same' convs): for a
/// tap (ky, kx), the element of output pixel j is input element j + off for
/// a constant `off`, so the valid rows are one contiguous copy; the columns
/// that wrapped around a row edge are zeroed afterwards.
fn im2col_same_width(p: &Conv2dParams, x: &[f32], oy0: usize, oy1: usize, col: &mut [f32]) {
    let (oh, ow) = p.out_hw();
    let (cig, hw, w) = (p.c_in / p.groups, p.h * p.w, p.w);
    let tn = (oy1 - oy0) * ow;
    // Local index of global output pixel j is j - base.
    let base = oy0 * ow;
    let (dh, dw) = p.dilation;
    for ci in 0..cig {
        let plane = &x[ci * hw..(ci + 1) * hw];
        for ky in 0..p.kh {
            // Valid output rows: 0 <= oy + ky·dh - pad_top < h.
            let yoff = (ky * dh) as isize - p.pad_h.0 as isize;
            let (ylo, yhi) = valid_range(oh, 1, yoff, p.h);
            let (ylo, yhi) = (ylo.clamp(oy0, oy1), yhi.clamp(oy0, oy1));
            for kx in 0..p.kw {
                let r = (ci * p.kh + ky) * p.kw + kx;
                let dst = &mut col[r * tn..(r + 1) * tn];
                let xoff = (kx * dw) as isize - p.pad_w.0 as isize;
                let (xlo, xhi) = valid_range(ow, 1, xoff, w);
                if ylo >= yhi || xlo >= xhi {
                    dst.fill(0.0);
                    continue;
                }
                dst[..ylo * ow - base].fill(0.0);
                dst[yhi * ow - base..].fill(0.0);
                // dst[j] = plane[j + off] for j in the valid rows, clipped so
                // that j + off stays inside the plane (the clipped elements
                // are edge columns, zeroed below).
                let off = yoff * w as isize + xoff;
                let d0 = ((ylo * ow) as isize).max(-off) as usize;
                let d1 = ((yhi * ow) as isize).min(hw as isize - off) as usize;
                if d0 < d1 {
                    let s0 = (d0 as isize + off) as usize;
                    dst[d0 - base..d1 - base].copy_from_slice(&plane[s0..s0 + (d1 - d0)]);
                }
                for oy in ylo..yhi {
                    let row = &mut dst[oy * ow - base..(oy + 1) * ow - base];
                    for v in &mut row[..xlo] {
                        *v = 0.0;
                    }
                    for v in &mut row[xhi..] {
                        *v = 0.0;
                    }
                }
            }
        }
    }
}
