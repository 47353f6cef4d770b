//! Convolutions over contiguous NCHW buffers (conv1d is conv2d with H = 1).

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
}

/// `out[n, c_out, oh, ow]` = conv(input `[n, c_in, h, w]`, weight
/// `[c_out, c_in/groups, kh, kw]`) + bias `[c_out]`.
pub fn conv2d_f32(p: &Conv2dParams, input: &[f32], weight: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    let (oh, ow) = p.out_hw();
    let cig = p.c_in / p.groups;
    let cog = p.c_out / p.groups;
    for n in 0..p.n {
        for co in 0..p.c_out {
            let g = co / cog;
            for y in 0..oh {
                for x in 0..ow {
                    let mut acc = bias.map_or(0.0, |b| b[co]);
                    for ci in 0..cig {
                        let cin = g * cig + ci;
                        for ky in 0..p.kh {
                            let iy = (y * p.stride.0 + ky * p.dilation.0) as isize - p.pad_h.0 as isize;
                            if iy < 0 || iy >= p.h as isize {
                                continue;
                            }
                            for kx in 0..p.kw {
                                let ix = (x * p.stride.1 + kx * p.dilation.1) as isize - p.pad_w.0 as isize;
                                if ix < 0 || ix >= p.w as isize {
                                    continue;
                                }
                                let iv = input[((n * p.c_in + cin) * p.h + iy as usize) * p.w + ix as usize];
                                let wv = weight[((co * cig + ci) * p.kh + ky) * p.kw + kx];
                                acc += iv * wv;
                            }
                        }
                    }
                    out[((n * p.c_out + co) * oh + y) * ow + x] = acc;
                }
            }
        }
    }
}
