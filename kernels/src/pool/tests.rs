//! Pooling against independent per-output definitions (PyTorch's rules),
//! with padding, dilation, ceil-mode-sized outputs, NaN, and enough planes
//! for the parallel path.

use super::*;

fn fill(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919) % 1013) as f32 / 97.0 - 5.0)
        .collect()
}

/// Window of output (y, x) in input coordinates (before clipping).
fn taps(p: &Pool2dParams, y: usize, x: usize) -> Vec<(isize, isize)> {
    let mut v = Vec::new();
    for ky in 0..p.kh {
        for kx in 0..p.kw {
            v.push((
                (y * p.stride.0 + ky * p.dilation.0) as isize - p.pad.0 as isize,
                (x * p.stride.1 + kx * p.dilation.1) as isize - p.pad.1 as isize,
            ));
        }
    }
    v
}

#[allow(clippy::too_many_arguments)]
fn params(
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    pad: usize,
    dil: usize,
    ceil: bool,
) -> Pool2dParams {
    let o = |n: usize| {
        let eff = dil * (k - 1) + 1;
        let num = n + 2 * pad - eff;
        let mut out = if ceil {
            num.div_ceil(s) + 1
        } else {
            num / s + 1
        };
        // PyTorch: the last window must start inside the input or left padding.
        if ceil && (out - 1) * s >= n + pad {
            out -= 1;
        }
        out
    };
    Pool2dParams {
        planes,
        h,
        w,
        kh: k,
        kw: k,
        stride: (s, s),
        pad: (pad, pad),
        dilation: (dil, dil),
        oh: o(h),
        ow: o(w),
    }
}

#[test]
fn max_pool_matches_definition() {
    for (planes, h, w, k, s, pad, dil, ceil) in [
        (3, 7, 9, 3, 2, 1, 1, false),
        (2, 8, 8, 2, 2, 0, 1, false),
        (5, 10, 7, 3, 2, 1, 2, true),
        (600, 16, 16, 3, 2, 1, 1, true),
    ] {
        let p = params(planes, h, w, k, s, pad, dil, ceil);
        let mut x = fill(planes * h * w);
        x[5] = f32::NAN;
        let mut out = vec![0.0f32; planes * p.oh * p.ow];
        max_pool2d_f32(&p, &x, &mut out);
        for pl in 0..planes {
            for y in 0..p.oh {
                for xx in 0..p.ow {
                    let vals: Vec<f32> = taps(&p, y, xx)
                        .into_iter()
                        .filter(|&(iy, ix)| {
                            iy >= 0 && ix >= 0 && iy < h as isize && ix < w as isize
                        })
                        .map(|(iy, ix)| x[pl * h * w + iy as usize * w + ix as usize])
                        .collect();
                    let want = if vals.iter().any(|v| v.is_nan()) {
                        f32::NAN
                    } else {
                        vals.iter().cloned().fold(f32::NEG_INFINITY, f32::max)
                    };
                    let got = out[(pl * p.oh + y) * p.ow + xx];
                    assert!(
                        got == want || (got.is_nan() && want.is_nan()),
                        "{p:?} plane {pl} ({y},{xx})"
                    );
                }
            }
        }
    }
}

#[test]
fn avg_pool_matches_definition() {
    for (planes, h, w, k, s, pad, ceil) in [
        (3, 7, 9, 3, 2, 1, false),
        (2, 8, 8, 2, 2, 0, false),
        (4, 10, 7, 3, 2, 1, true),
        (600, 16, 16, 3, 1, 1, false),
    ] {
        let p = params(planes, h, w, k, s, pad, 1, ceil);
        let x = fill(planes * h * w);
        for (cip, div) in [(true, None), (false, None), (true, Some(5usize))] {
            let mut out = vec![0.0f32; planes * p.oh * p.ow];
            avg_pool2d_f32(&p, &x, &mut out, cip, div);
            for pl in 0..planes {
                for y in 0..p.oh {
                    for xx in 0..p.ow {
                        let t = taps(&p, y, xx);
                        // cells inside the padded input count with count_include_pad
                        let padded = t
                            .iter()
                            .filter(|&&(iy, ix)| iy < (h + pad) as isize && ix < (w + pad) as isize)
                            .count();
                        let valid: Vec<f32> = t
                            .iter()
                            .filter(|&&(iy, ix)| {
                                iy >= 0 && ix >= 0 && iy < h as isize && ix < w as isize
                            })
                            .map(|&(iy, ix)| x[pl * h * w + iy as usize * w + ix as usize])
                            .collect();
                        let d = div.unwrap_or(if cip { padded } else { valid.len() });
                        let want = valid.iter().map(|&v| v as f64).sum::<f64>() / d as f64;
                        let got = out[(pl * p.oh + y) * p.ow + xx] as f64;
                        assert!(
                            (got - want).abs() <= 1e-5,
                            "{p:?} cip={cip} ({y},{xx}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn adaptive_avg_pool_matches_definition() {
    for (planes, h, w, oh, ow) in [
        (3, 7, 9, 3, 4),
        (2, 5, 5, 1, 1),
        (2, 4, 6, 8, 7),
        (700, 8, 8, 1, 1),
        (3, 40, 25, 1, 1),
        (2, 9, 37, 2, 1),
    ] {
        let x = fill(planes * h * w);
        let mut out = vec![0.0f32; planes * oh * ow];
        adaptive_avg_pool2d_f32(planes, h, w, oh, ow, &x, &mut out);
        for pl in 0..planes {
            for y in 0..oh {
                for xx in 0..ow {
                    let (ys, ye) = ((y * h) / oh, ((y + 1) * h).div_ceil(oh));
                    let (xs, xe) = ((xx * w) / ow, ((xx + 1) * w).div_ceil(ow));
                    let mut s = 0.0f64;
                    for iy in ys..ye {
                        for ix in xs..xe {
                            s += x[pl * h * w + iy * w + ix] as f64;
                        }
                    }
                    let want = s / ((ye - ys) * (xe - xs)) as f64;
                    assert!((out[(pl * oh + y) * ow + xx] as f64 - want).abs() <= 1e-5);
                }
            }
        }
    }
    // zero planes / zero output: no panic
    adaptive_avg_pool2d_f32(0, 4, 4, 2, 2, &[], &mut []);
}
