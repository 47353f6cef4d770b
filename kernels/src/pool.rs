//! Pooling over contiguous NCHW buffers, one plane at a time; planes are
//! split over the rayon pool when the input is big.

use crate::parallel;

/// Geometry of a 2-D pooling window.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pool2dParams {
    /// Batch × channels (pooling is per plane).
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub pad: (usize, usize),
    pub dilation: (usize, usize),
    /// Output size, computed by the caller with PyTorch's ceil_mode rule.
    pub oh: usize,
    pub ow: usize,
}

/// Max pooling; padding counts as -inf. NaN propagates.
pub fn max_pool2d_f32(p: &Pool2dParams, input: &[f32], out: &mut [f32]) {
    let cost = p.kh * p.kw;
    planes(
        p.planes,
        p.h * p.w,
        p.oh * p.ow,
        input,
        out,
        cost,
        |src, o| max_plane(p, src, o),
    );
}

fn max_plane(p: &Pool2dParams, src: &[f32], out: &mut [f32]) {
    for y in 0..p.oh {
        for x in 0..p.ow {
            let mut m = f32::NEG_INFINITY;
            for ky in 0..p.kh {
                let iy = (y * p.stride.0 + ky * p.dilation.0) as isize - p.pad.0 as isize;
                if iy < 0 || iy >= p.h as isize {
                    continue;
                }
                for kx in 0..p.kw {
                    let ix = (x * p.stride.1 + kx * p.dilation.1) as isize - p.pad.1 as isize;
                    if ix < 0 || ix >= p.w as isize {
                        continue;
                    }
                    let v = src[iy as usize * p.w + ix as usize];
                    if v > m || v.is_nan() {
                        m = v;
                    }
                }
            }
            out[y * p.ow + x] = m;
        }
    }
}

/// Average pooling (dilation ignored, as PyTorch has none for avg_pool2d).
/// `count_include_pad` counts padded cells that lie inside the padded input;
/// `divisor_override` replaces the divisor when set.
pub fn avg_pool2d_f32(
    p: &Pool2dParams,
    input: &[f32],
    out: &mut [f32],
    count_include_pad: bool,
    divisor_override: Option<usize>,
) {
    let cost = p.kh * p.kw;
    planes(
        p.planes,
        p.h * p.w,
        p.oh * p.ow,
        input,
        out,
        cost,
        |src, o| avg_plane(p, src, o, count_include_pad, divisor_override),
    );
}

fn avg_plane(
    p: &Pool2dParams,
    src: &[f32],
    out: &mut [f32],
    count_include_pad: bool,
    divisor_override: Option<usize>,
) {
    for y in 0..p.oh {
        for x in 0..p.ow {
            let y0 = (y * p.stride.0) as isize - p.pad.0 as isize;
            let x0 = (x * p.stride.1) as isize - p.pad.1 as isize;
            let y1 = (y0 + p.kh as isize).min((p.h + p.pad.0) as isize);
            let x1 = (x0 + p.kw as isize).min((p.w + p.pad.1) as isize);
            let pool_size = ((y1 - y0) * (x1 - x0)) as usize;
            let (ys, xs) = (y0.max(0), x0.max(0));
            let (ye, xe) = (y1.min(p.h as isize), x1.min(p.w as isize));
            let mut s = 0.0f32;
            for iy in ys..ye {
                for ix in xs..xe {
                    s += src[iy as usize * p.w + ix as usize];
                }
            }
            let div = match divisor_override {
                Some(d) => d,
                None if count_include_pad => pool_size,
                None => ((ye - ys).max(0) * (xe - xs).max(0)) as usize,
            };
            out[y * p.ow + x] = s / div.max(1) as f32;
        }
    }
}

/// Adaptive average pooling to `oh×ow` with PyTorch's window rule
/// (start = floor(i·H/oh), end = ceil((i+1)·H/oh)).
pub fn adaptive_avg_pool2d_f32(
    planes: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    input: &[f32],
    out: &mut [f32],
) {
    if oh == 0 || ow == 0 {
        return;
    }
    let cost = (h * w).div_ceil(oh * ow).max(1);
    self::planes(planes, h * w, oh * ow, input, out, cost, |src, o| {
        adaptive_plane(h, w, oh, ow, src, o)
    });
}

fn adaptive_plane(h: usize, w: usize, oh: usize, ow: usize, src: &[f32], out: &mut [f32]) {
    for y in 0..oh {
        let (ys, ye) = (y * h / oh, ((y + 1) * h).div_ceil(oh));
        for x in 0..ow {
            let (xs, xe) = (x * w / ow, ((x + 1) * w).div_ceil(ow));
            let s = if xs == 0 && xe == w {
                // Whole rows: one contiguous run (global pooling).
                window_sum(std::iter::once(&src[ys * w..ye * w]))
            } else {
                window_sum((ys..ye).map(|iy| &src[iy * w + xs..iy * w + xe]))
            };
            out[y * ow + x] = s / ((ye - ys) * (xe - xs)).max(1) as f32;
        }
    }
}

/// The sum of `runs`, in eight interleaved partial sums (so the adds
/// vectorize and do not wait on each other: a global average pool over
/// the CNN's 8×8 planes, summed one float after another, took 1% of the
/// workload), then pairwise.
fn window_sum<'a>(runs: impl Iterator<Item = &'a [f32]>) -> f32 {
    let mut acc = [0.0f32; 8];
    for run in runs {
        let mut chunks = run.chunks_exact(8);
        for c in &mut chunks {
            acc.iter_mut().zip(c).for_each(|(a, v)| *a += v);
        }
        acc.iter_mut()
            .zip(chunks.remainder())
            .for_each(|(a, v)| *a += v);
    }
    let [a, b, c, d, e, f, g, h] = acc;
    ((a + b) + (c + d)) + ((e + f) + (g + h))
}

/// Runs `f(input_plane, output_plane)` for every plane, in parallel when the
/// work (`output elements · cost`) is big enough.
fn planes(
    n: usize,
    in_len: usize,
    out_len: usize,
    input: &[f32],
    out: &mut [f32],
    cost: usize,
    f: impl Fn(&[f32], &mut [f32]) + Sync,
) {
    if n == 0 || out_len == 0 {
        return;
    }
    assert!(
        input.len() >= n * in_len,
        "pool: input has {} elements, need {}",
        input.len(),
        n * in_len
    );
    assert!(
        out.len() >= n * out_len,
        "pool: output has {} elements, need {}",
        out.len(),
        n * out_len
    );
    parallel::map_rows_mut(&mut out[..n * out_len], out_len, cost, |p0, o| {
        for (i, op) in o.chunks_mut(out_len).enumerate() {
            let q = p0 + i;
            f(&input[q * in_len..(q + 1) * in_len], op);
        }
    });
}

#[cfg(test)]
mod tests;
