//! Direct convolution for one input channel per group (depthwise convs and
//! their channel-multiplier variant): each output plane accumulates
//! `kh·kw` shifted, scaled rows of its input plane; with stride 1 the inner
//! loop is a contiguous multiply-add that LLVM vectorizes. Parallel over
//! output planes.

use super::im2col::valid_range;
use super::Conv2dParams;
use crate::parallel;

pub(super) fn conv(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let (oh, ow) = p.out_hw();
    let ohw = oh * ow;
    let cost = p.kh * p.kw;
    parallel::map_rows_mut(out, ohw, cost, |q0, planes| {
        for (dq, o) in planes.chunks_mut(ohw).enumerate() {
            plane(p, q0 + dq, input, weight, bias, o);
        }
    });
}

/// Output plane `q` (= image·c_out + co).
fn plane(
    p: &Conv2dParams,
    q: usize,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    o: &mut [f32],
) {
    let (oh, ow) = p.out_hw();
    let (ni, co) = (q / p.c_out, q % p.c_out);
    let ci = co / (p.c_out / p.groups);
    let hw = p.h * p.w;
    let x = &input[(ni * p.c_in + ci) * hw..(ni * p.c_in + ci + 1) * hw];
    o.fill(bias.map_or(0.0, |b| b[co]));
    let (sh, sw) = p.stride;
    let (dh, dw) = p.dilation;
    for ky in 0..p.kh {
        for kx in 0..p.kw {
            let wv = weight[(co * p.kh + ky) * p.kw + kx];
            let xoff = (kx * dw) as isize - p.pad_w.0 as isize;
            let (lo, hi) = valid_range(ow, sw, xoff, p.w);
            if lo >= hi {
                continue;
            }
            for oy in 0..oh {
                let iy = (oy * sh + ky * dh) as isize - p.pad_h.0 as isize;
                if iy < 0 || iy >= p.h as isize {
                    continue;
                }
                let src = &x[iy as usize * p.w..(iy as usize + 1) * p.w];
                let dst = &mut o[oy * ow + lo..oy * ow + hi];
                let start = ((lo * sw) as isize + xoff) as usize;
                if sw == 1 {
                    for (d, &s) in dst.iter_mut().zip(&src[start..start + (hi - lo)]) {
                        *d += wv * s;
                    }
                } else {
                    for (j, d) in dst.iter_mut().enumerate() {
                        *d += wv * src[start + j * sw];
                    }
                }
            }
        }
    }
}
