//! Convolutions over contiguous NCHW buffers (conv1d is conv2d with H = 1).
//!
//! - General and grouped convs with AVX2+FMA: the packed GEMM
//!   (`packed.rs`): im2col straight into the microkernel's panels per tile
//!   of output rows (stride 1 on AVX-512: read in place, implicit GEMM);
//!   bias, a residual add and ReLU in the tile store
//!   ([`ConvEpilogue`]; the other paths apply them after the product).
//! - Otherwise: per image and group, im2col into a `[c_in/g·kh·kw, oh·ow]`
//!   buffer and one GEMM (the `gemm` crate) with the group's weights
//!   (1×1, stride 1, no padding skips im2col: the input is the matrix).
//!   Batches are split over the rayon pool by image (single-threaded GEMMs,
//!   one column buffer per worker); a single image uses a threaded GEMM.
//! - Stride-1 3×3 convs with 16+ channels on AVX-512: Winograd
//!   F(2×2, 3×3) (`winograd.rs`), 16 GEMMs on the packed microkernel with
//!   2.25× fewer multiplies, the epilogue in the inverse transform's store.
//! - Depthwise-style convs (one input channel per group, `groups > 1`):
//!   a direct kernel (`depthwise.rs`), parallel over output planes.
//! - Transposed convs: [`conv_transpose2d_f32`] (GEMM + col2im).

mod depthwise;
mod im2col;
mod packed;
#[cfg(test)]
mod shortcut_tests;
#[cfg(test)]
mod tests;
mod transpose;
#[cfg(target_arch = "x86_64")]
mod winograd;
#[cfg(target_arch = "x86_64")]
mod winograd_weights;

pub use transpose::{conv_transpose2d_f32, ConvTranspose2dParams};

use crate::gemm::{gemm_strided_c, gemm_with, MatRef, Threads};
use crate::parallel;
use rayon::prelude::*;

/// Geometry of a 2-D convolution. Padding is (begin, end) per spatial dim so
/// PyTorch's asymmetric `padding='same'` fits.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub pad_h: (usize, usize),
    pub pad_w: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
}

impl Conv2dParams {
    /// Output (height, width); the caller checked they are positive.
    pub fn out_hw(&self) -> (usize, usize) {
        let eff_h = self.dilation.0 * (self.kh - 1) + 1;
        let eff_w = self.dilation.1 * (self.kw - 1) + 1;
        let oh = (self.h + self.pad_h.0 + self.pad_h.1 - eff_h) / self.stride.0 + 1;
        let ow = (self.w + self.pad_w.0 + self.pad_w.1 - eff_w) / self.stride.1 + 1;
        (oh, ow)
    }

    /// Panics with a message unless the geometry is consistent (the checks
    /// behind [`Conv2dParams::out_hw`]'s precondition).
    fn validate(&self) {
        assert!(
            self.groups > 0
                && self.c_in.is_multiple_of(self.groups)
                && self.c_out.is_multiple_of(self.groups),
            "conv2d: groups {} must divide c_in {} and c_out {}",
            self.groups,
            self.c_in,
            self.c_out
        );
        assert!(self.kh > 0 && self.kw > 0, "conv2d: empty kernel");
        assert!(
            self.stride.0 > 0 && self.stride.1 > 0 && self.dilation.0 > 0 && self.dilation.1 > 0,
            "conv2d: stride and dilation must be positive"
        );
        let eff_h = self.dilation.0 * (self.kh - 1) + 1;
        let eff_w = self.dilation.1 * (self.kw - 1) + 1;
        assert!(
            self.h + self.pad_h.0 + self.pad_h.1 >= eff_h
                && self.w + self.pad_w.0 + self.pad_w.1 >= eff_w,
            "conv2d: kernel larger than the padded input"
        );
    }

    /// Multiply-accumulates of the whole convolution.
    pub fn macs(&self) -> usize {
        let (oh, ow) = self.out_hw();
        self.n * self.c_out * oh * ow * (self.c_in / self.groups.max(1)) * self.kh * self.kw
    }
}

/// `out[n, c_out, oh, ow]` = conv(input `[n, c_in, h, w]`, weight
/// `[c_out, c_in/groups, kh, kw]`) + bias `[c_out]`.
pub fn conv2d_f32(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    conv2d_with(p, input, weight, bias, ConvEpilogue::default(), out, true)
}

/// What runs on a convolution's output before it is stored:
/// `relu?(conv + residual)`, in the GEMM's tile store where the packed
/// path runs (no pass over the output of its own), rounded as the ops run
/// apart.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConvEpilogue<'a> {
    /// Added to the output, laid out as it (`[n, c_out, oh, ow]`,
    /// contiguous): a residual connection.
    pub residual: Option<&'a [f32]>,
    /// ReLU last (`F.relu`: NaN stays NaN, -0 becomes 0).
    pub relu: bool,
}

/// [`conv2d_f32`] followed by `epi`.
pub fn conv2d_fused_f32(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    out: &mut [f32],
) {
    conv2d_with(p, input, weight, bias, epi, out, true)
}

/// A 1×1 convolution with no padding at another conv's stride, reading
/// that conv's input: a residual block's projection shortcut
/// (`[c_out, c_in, 1, 1]` weights) beside the block's first conv
/// ([`conv2d_with_shortcut_f32`]).
#[derive(Clone, Copy, Debug)]
pub struct Shortcut<'a> {
    pub c_out: usize,
    pub weight: &'a [f32],
    pub bias: Option<&'a [f32]>,
}

impl Shortcut<'_> {
    /// The shortcut's geometry beside `p`: the same input and stride.
    pub fn params(&self, p: &Conv2dParams) -> Conv2dParams {
        Conv2dParams {
            c_out: self.c_out,
            kh: 1,
            kw: 1,
            pad_h: (0, 0),
            pad_w: (0, 0),
            dilation: (1, 1),
            groups: 1,
            ..*p
        }
    }

    /// The tap `(ky, kx)` of `p`'s kernel that reads, for each output, the
    /// input the shortcut reads, if `p` is ungrouped, off the Winograd
    /// path, and of the shortcut's output size.
    #[cfg(target_arch = "x86_64")]
    fn tap(&self, p: &Conv2dParams) -> Option<(usize, usize)> {
        let at = |pad: usize, dil: usize, k: usize| {
            (pad.is_multiple_of(dil) && pad / dil < k).then_some(pad / dil)
        };
        let same_size = self.params(p).out_hw() == p.out_hw();
        if p.groups != 1 || !same_size || winograd::applies(p) {
            return None;
        }
        Some((
            at(p.pad_h.0, p.dilation.0, p.kh)?,
            at(p.pad_w.0, p.dilation.1, p.kw)?,
        ))
    }
}

/// [`conv2d_fused_f32`] into `out`, and `s`'s convolution of the same
/// input (no epilogue) into `short_out` (`[n, s.c_out, oh, ow]`). Where
/// the packed path runs `p` and one of its taps reads what the shortcut
/// reads, both come from one pass over the input windows (the shortcut's
/// pad and copy saved); else the two run in turn. The results are the
/// same bits either way.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_with_shortcut_f32(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    out: &mut [f32],
    s: Shortcut,
    short_out: &mut [f32],
) {
    let sp = s.params(p);
    sp.validate();
    let (oh, ow) = sp.out_hw();
    assert!(
        s.weight.len() >= s.c_out * p.c_in,
        "conv2d: shortcut weight too short"
    );
    assert!(
        short_out.len() >= p.n * s.c_out * oh * ow,
        "conv2d: shortcut output too short"
    );
    if let Some(b) = s.bias {
        assert!(b.len() >= s.c_out, "conv2d: shortcut bias too short");
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(tap) = s.tap(p) {
        check(p, input, weight, bias, epi, out);
        let s = Shortcut {
            bias: s.bias.map(|b| &b[..s.c_out]),
            ..s
        };
        let short = Some((s, &mut short_out[..p.n * s.c_out * oh * ow], tap));
        let empty = p.n * p.c_out * s.c_out * oh * ow == 0;
        if !empty && packed::conv(p, input, weight, bias, epi, out, short).is_some() {
            return;
        }
    }
    conv2d_with(p, input, weight, bias, epi, out, true);
    conv2d_with(
        &sp,
        input,
        s.weight,
        s.bias,
        ConvEpilogue::default(),
        short_out,
        true,
    );
}

/// The convolution on the packed GEMM when `packed` allows it and the CPU
/// has AVX2+FMA, else on the `gemm` crate (tests run both).
fn conv2d_with(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    out: &mut [f32],
    packed: bool,
) {
    check(p, input, weight, bias, epi, out);
    let (oh, ow) = p.out_hw();
    let (cig, ohw) = (p.c_in / p.groups, oh * ow);
    let out = &mut out[..p.n * p.c_out * ohw];
    if out.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if packed && winograd::conv(p, input, weight, bias, epi, out).is_some() {
        return; // the epilogue ran in the inverse transform's store
    }
    if cig == 1 && p.groups > 1 {
        depthwise::conv(p, input, weight, bias, out);
    } else if packed && packed::conv(p, input, weight, bias, epi, out, None).is_some() {
        return; // the epilogue ran in the tile store
    } else {
        gemm_path(p, input, weight, bias, out);
    }
    if let Some(r) = epi.residual {
        out.iter_mut().zip(r).for_each(|(v, r)| *v += r);
    }
    if epi.relu {
        out.iter_mut().for_each(|v| *v = crate::gemm::relu(*v));
    }
}

/// Panics with a message unless `p` is consistent and the slices hold
/// the convolution's operands.
fn check(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    epi: ConvEpilogue,
    out: &[f32],
) {
    p.validate();
    let (oh, ow) = p.out_hw();
    let ohw = oh * ow;
    let kk = p.c_in / p.groups * p.kh * p.kw;
    assert!(
        input.len() >= p.n * p.c_in * p.h * p.w,
        "conv2d: input too short"
    );
    assert!(weight.len() >= p.c_out * kk, "conv2d: weight too short");
    assert!(out.len() >= p.n * p.c_out * ohw, "conv2d: output too short");
    if let Some(b) = bias {
        assert!(b.len() >= p.c_out, "conv2d: bias too short");
    }
    if let Some(r) = epi.residual {
        assert!(r.len() >= p.n * p.c_out * ohw, "conv2d: residual too short");
    }
}

/// Runs the work items `0..items` of the convolution `p` (each writing
/// outputs no other item writes): on every core when there are two or
/// more and the conv is big enough to pay for the hand-off, else in order
/// on this thread. The packed and Winograd paths split their work this way.
fn run_items(p: &Conv2dParams, items: usize, item: impl Fn(usize) + Sync) {
    if items >= 2 && p.macs() >= 1 << 20 && rayon::current_num_threads() > 1 {
        parallel::for_each_index(items, item);
    } else {
        (0..items).for_each(item);
    }
}

/// im2col + the `gemm` crate, per image (see the module doc).
fn gemm_path(
    p: &Conv2dParams,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let (oh, ow) = p.out_hw();
    let img = p.c_out * oh * ow;
    let parallel_images = p.n >= 2 && rayon::current_num_threads() > 1 && p.macs() >= 1 << 20;
    if parallel_images {
        out.par_chunks_mut(img).enumerate().for_each(|(i, o)| {
            parallel::with_scratch(|col| image(p, i, input, weight, bias, o, col, Threads::Single))
        });
    } else {
        parallel::with_scratch(|col| {
            for (i, o) in out.chunks_mut(img).enumerate() {
                image(p, i, input, weight, bias, o, col, Threads::Auto);
            }
        });
    }
}

/// Floats of im2col columns per GEMM (640 KiB): bigger column buffers are
/// split into equal tiles of output rows so each stays in L2 (1 MiB here).
/// Measured on the CNN shapes: 32→32 at 32×32 (1.2 MB of columns) gains
/// ~15% from two tiles; smaller tiles slow the 64→64 16×16 conv down.
const COL_TILE_FLOATS: usize = 160 << 10;

/// One image: bias into the output, then per group and tile of output rows
/// im2col + GEMM (1×1/stride-1/no-pad convs use the input directly).
#[allow(clippy::too_many_arguments)]
fn image(
    p: &Conv2dParams,
    ni: usize,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    out: &mut [f32],
    col: &mut Vec<f32>,
    threads: Threads,
) {
    let (oh, ow) = p.out_hw();
    let (cig, cog, hw, ohw) = (p.c_in / p.groups, p.c_out / p.groups, p.h * p.w, oh * ow);
    let kk = cig * p.kh * p.kw;
    let x = &input[ni * p.c_in * hw..(ni + 1) * p.c_in * hw];
    let direct =
        p.kh == 1 && p.kw == 1 && p.stride == (1, 1) && p.pad_h == (0, 0) && p.pad_w == (0, 0);
    let beta = match bias {
        Some(b) => {
            for (co, o) in out.chunks_mut(ohw).enumerate() {
                o.fill(b[co]);
            }
            1.0
        }
        None => 0.0,
    };
    let tiles = (kk * ohw).div_ceil(COL_TILE_FLOATS).clamp(1, oh.max(1));
    let tile_rows = oh.div_ceil(tiles).max(1);
    for g in 0..p.groups {
        let xg = &x[g * cig * hw..(g + 1) * cig * hw];
        let a = MatRef {
            data: weight,
            offset: g * cog * kk,
            rs: kk,
            cs: 1,
        };
        let og = &mut out[g * cog * ohw..(g + 1) * cog * ohw];
        if direct {
            let b = MatRef {
                data: xg,
                offset: 0,
                rs: ohw,
                cs: 1,
            };
            gemm_with(threads, cog, ohw, kk, a, b, og, 1.0, beta);
            continue;
        }
        let mut oy0 = 0;
        while oy0 < oh {
            let oy1 = (oy0 + tile_rows).min(oh);
            let tn = (oy1 - oy0) * ow;
            im2col::im2col(p, xg, oy0, oy1, col);
            let b = MatRef {
                data: col,
                offset: 0,
                rs: tn,
                cs: 1,
            };
            if tn == ohw {
                gemm_with(threads, cog, ohw, kk, a, b, og, 1.0, beta);
            } else {
                gemm_strided_c(cog, tn, kk, a, b, &mut og[oy0 * ow..], ohw, 1.0, beta);
            }
            oy0 = oy1;
        }
    }
}
