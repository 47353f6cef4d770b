//! im2col / col2im for NCHW planes, with contiguous copies for stride 1.

use super::Conv2dParams;

/// The output columns `ox` whose input column `ox·s + off` lies in `[0, len)`
/// (`off` may be negative): a half-open range clamped to `[0, out_len)`.
#[inline]
pub(super) fn valid_range(out_len: usize, s: usize, off: isize, len: usize) -> (usize, usize) {
    // ox·s + off >= 0  <=>  ox >= ceil(-off / s)
    let lo = if off >= 0 { 0 } else { ((-off) as usize).div_ceil(s) };
    // ox·s + off <= len - 1  <=>  ox <= (len - 1 - off) / s
    let top = len as isize - 1 - off;
    let hi = if top < 0 { 0 } else { top as usize / s + 1 };
    let hi = hi.min(out_len);
    (lo.min(hi), hi)
}

/// Fills `col` (resized to `[cig·kh·kw, oh·ow]`) from one group's input
/// planes `x` (`[cig, h, w]`); out-of-bounds taps are zero.
pub(super) fn im2col(p: &Conv2dParams, x: &[f32], col: &mut Vec<f32>) {
    let (oh, ow) = p.out_hw();
    let (cig, hw, ohw) = (p.c_in / p.groups, p.h * p.w, oh * ow);
    col.resize(cig * p.kh * p.kw * ohw, 0.0);
    let (sh, sw) = p.stride;
    let (dh, dw) = p.dilation;
    for ci in 0..cig {
        let plane = &x[ci * hw..(ci + 1) * hw];
        for ky in 0..p.kh {
            for kx in 0..p.kw {
                let r = (ci * p.kh + ky) * p.kw + kx;
                let dst = &mut col[r * ohw..(r + 1) * ohw];
                let xoff = (kx * dw) as isize - p.pad_w.0 as isize;
                let (lo, hi) = valid_range(ow, sw, xoff, p.w);
                for oy in 0..oh {
                    let d = &mut dst[oy * ow..(oy + 1) * ow];
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
