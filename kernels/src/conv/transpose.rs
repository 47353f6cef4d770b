//! Transposed 2-D convolution (PyTorch's `conv_transpose2d`): per image and
//! group, one GEMM `col[cog·kh·kw, h·w] = W_gᵀ · x_g` (the weight is read
//! transposed in place through strides) and a col2im scatter-add into the
//! output, which starts as the bias. Parallel over images.

use super::im2col::valid_range;
use crate::parallel::with_scratch;
use crate::gemm::{gemm_with, MatRef, Threads};
use rayon::prelude::*;

/// Geometry of a transposed convolution, as `nn.ConvTranspose2d` takes it:
/// input `[n, c_in, h, w]`, weight `[c_in, c_out/groups, kh, kw]`, symmetric
/// `padding`, and `output_padding` added to one side of the output.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dParams {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub output_padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
}

impl ConvTranspose2dParams {
    /// Output (height, width) = `(in - 1)·stride - 2·padding +
    /// dilation·(k - 1) + output_padding + 1`, or `None` when that is not
    /// positive, an input dim is 0, or a stride/dilation/kernel dim is 0.
    pub fn out_hw(&self) -> Option<(usize, usize)> {
        let dim = |i: usize, s: usize, p: usize, d: usize, k: usize, op: usize| -> Option<usize> {
            if i == 0 || s == 0 || d == 0 || k == 0 {
                return None;
            }
            let full = (i - 1)
                .checked_mul(s)?
                .checked_add(d.checked_mul(k - 1)?)?
                .checked_add(op + 1)?;
            full.checked_sub(2 * p).filter(|&o| o > 0)
        };
        Some((
            dim(
                self.h,
                self.stride.0,
                self.padding.0,
                self.dilation.0,
                self.kh,
                self.output_padding.0,
            )?,
            dim(
                self.w,
                self.stride.1,
                self.padding.1,
                self.dilation.1,
                self.kw,
                self.output_padding.1,
            )?,
        ))
    }
}

/// `out[n, c_out, oh, ow]` = conv_transpose2d(input, weight) + bias.
/// Panics when the geometry is invalid ([`ConvTranspose2dParams::out_hw`]
/// is `None`, groups do not divide the channels) or a buffer is too short.
pub fn conv_transpose2d_f32(
    p: &ConvTranspose2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let Some((oh, ow)) = p.out_hw() else {
        panic!("conv_transpose2d: invalid geometry {p:?}");
    };
    assert!(
        p.groups > 0 && p.c_in.is_multiple_of(p.groups) && p.c_out.is_multiple_of(p.groups),
        "conv_transpose2d: groups {} must divide c_in {} and c_out {}",
        p.groups,
        p.c_in,
        p.c_out
    );
    let (cog, hw, ohw) = (p.c_out / p.groups, p.h * p.w, oh * ow);
    assert!(
        input.len() >= p.n * p.c_in * hw,
        "conv_transpose2d: input too short"
    );
    assert!(
        weight.len() >= p.c_in * cog * p.kh * p.kw,
        "conv_transpose2d: weight too short"
    );
    assert!(
        out.len() >= p.n * p.c_out * ohw,
        "conv_transpose2d: output too short"
    );
    if let Some(b) = bias {
        assert!(b.len() >= p.c_out, "conv_transpose2d: bias too short");
    }
    let out = &mut out[..p.n * p.c_out * ohw];
    if out.is_empty() {
        return;
    }
    let macs = p.n * p.c_in * hw * cog * p.kh * p.kw;
    let img = p.c_out * ohw;
    if p.n >= 2 && rayon::current_num_threads() > 1 && macs >= 1 << 20 {
        out.par_chunks_mut(img).enumerate().for_each(|(i, o)| {
            with_scratch(|col| image(p, (oh, ow), i, input, weight, bias, o, col, Threads::Single))
        });
    } else {
        with_scratch(|col| {
            for (i, o) in out.chunks_mut(img).enumerate() {
                image(p, (oh, ow), i, input, weight, bias, o, col, Threads::Auto);
            }
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn image(
    p: &ConvTranspose2dParams,
    (oh, ow): (usize, usize),
    ni: usize,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
    col: &mut Vec<f32>,
    threads: Threads,
) {
    let (cig, cog, hw, ohw) = (p.c_in / p.groups, p.c_out / p.groups, p.h * p.w, oh * ow);
    let kk = p.kh * p.kw;
    let rows = cog * kk;
    for (co, o) in out.chunks_mut(ohw).enumerate() {
        o.fill(bias.map_or(0.0, |b| b[co]));
    }
    col.resize(rows * hw, 0.0);
    let x = &input[ni * p.c_in * hw..(ni + 1) * p.c_in * hw];
    let (sh, sw) = p.stride;
    let (dh, dw) = p.dilation;
    for g in 0..p.groups {
        // W_g is [cig, cog·kh·kw] row-major; read it as its transpose.
        let a = MatRef {
            data: weight,
            offset: g * cig * rows,
            rs: 1,
            cs: rows,
        };
        let b = MatRef {
            data: x,
            offset: g * cig * hw,
            rs: hw,
            cs: 1,
        };
        gemm_with(threads, rows, hw, cig, a, b, col, 1.0, 0.0);
        let og = &mut out[g * cog * ohw..(g + 1) * cog * ohw];
        for c in 0..cog {
            let plane = &mut og[c * ohw..(c + 1) * ohw];
            for ky in 0..p.kh {
                for kx in 0..p.kw {
                    let r = (c * p.kh + ky) * p.kw + kx;
                    let src = &col[r * hw..(r + 1) * hw];
                    // ox = ix·sw + xoff must lie in [0, ow): a range of ix.
                    let xoff = (kx * dw) as isize - p.padding.1 as isize;
                    let (lo, hi) = valid_range(p.w, sw, xoff, ow);
                    if lo >= hi {
                        continue;
                    }
                    for iy in 0..p.h {
                        let oy = (iy * sh + ky * dh) as isize - p.padding.0 as isize;
                        if oy < 0 || oy >= oh as isize {
                            continue;
                        }
                        let srow = &src[iy * p.w + lo..iy * p.w + hi];
                        let drow = &mut plane[oy as usize * ow..(oy as usize + 1) * ow];
                        let start = ((lo * sw) as isize + xoff) as usize;
                        if sw == 1 {
                            for (d, &s) in drow[start..start + (hi - lo)].iter_mut().zip(srow) {
                                *d += s;
                            }
                        } else {
                            for (j, &s) in srow.iter().enumerate() {
                                drow[start + j * sw] += s;
                            }
                        }
                    }
                }
            }
        }
    }
}
