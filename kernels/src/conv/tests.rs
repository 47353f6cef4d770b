//! Convolutions against direct f64 loops: strides, asymmetric padding,
//! dilation, groups, depthwise (with multiplier), 1×1 fast path, bias or
//! none, batches large enough for the parallel paths; transposed convs
//! against a scatter-form reference.

use super::*;

pub(super) fn fill(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

pub(super) fn naive(p: &Conv2dParams, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f64> {
    let (oh, ow) = p.out_hw();
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let mut out = vec![0.0f64; p.n * p.c_out * oh * ow];
    for n in 0..p.n {
        for co in 0..p.c_out {
            let g = co / cog;
            for y in 0..oh {
                for xx in 0..ow {
                    let mut acc = b.map_or(0.0, |b| b[co] as f64);
                    for ci in 0..cig {
                        for ky in 0..p.kh {
                            let iy =
                                (y * p.stride.0 + ky * p.dilation.0) as isize - p.pad_h.0 as isize;
                            if iy < 0 || iy >= p.h as isize {
                                continue;
                            }
                            for kx in 0..p.kw {
                                let ix = (xx * p.stride.1 + kx * p.dilation.1) as isize
                                    - p.pad_w.0 as isize;
                                if ix < 0 || ix >= p.w as isize {
                                    continue;
                                }
                                let iv = x[((n * p.c_in + g * cig + ci) * p.h + iy as usize) * p.w
                                    + ix as usize] as f64;
                                acc += iv * w[((co * cig + ci) * p.kh + ky) * p.kw + kx] as f64;
                            }
                        }
                    }
                    out[((n * p.c_out + co) * oh + y) * ow + xx] = acc;
                }
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn conv_case(
    n: usize,
    c_in: usize,
    hw: (usize, usize),
    c_out: usize,
    k: (usize, usize),
    stride: (usize, usize),
    pad_h: (usize, usize),
    pad_w: (usize, usize),
    dil: (usize, usize),
    groups: usize,
    with_bias: bool,
) {
    let p = Conv2dParams {
        n,
        c_in,
        h: hw.0,
        w: hw.1,
        c_out,
        kh: k.0,
        kw: k.1,
        stride,
        pad_h,
        pad_w,
        dilation: dil,
        groups,
    };
    let x = fill(n * c_in * hw.0 * hw.1, 1);
    let w = fill(c_out * c_in / groups * k.0 * k.1, 2);
    let b = fill(c_out, 3);
    let bias = if with_bias { Some(&b[..]) } else { None };
    let (oh, ow) = p.out_hw();
    let want = naive(&p, &x, &w, bias);
    let kk = (c_in / groups * k.0 * k.1) as f64;
    let res = fill(n * c_out * oh * ow, 4);
    // Both paths (packed GEMM where the CPU has it, the `gemm` crate), with
    // and without the residual and ReLU epilogues; the output starts as NaN
    // so a missed element fails.
    for packed in [true, false] {
        for (residual, relu) in [(false, false), (false, true), (true, false), (true, true)] {
            let epi = ConvEpilogue {
                residual: residual.then_some(&res[..]),
                relu,
            };
            let mut out = vec![f32::NAN; n * c_out * oh * ow];
            conv2d_with(&p, &x, &w, bias, epi, &mut out, packed);
            if packed {
                // The AVX2 kernel alone gives the same bits as AVX-512's pairs.
                let mut narrow = vec![f32::NAN; out.len()];
                crate::gemm::narrow_only(|| conv2d_with(&p, &x, &w, bias, epi, &mut narrow, true));
                assert!(
                    narrow
                        .iter()
                        .zip(&out)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{p:?}: kernel width changed the bits"
                );
            }
            for (i, (&g, &r)) in out.iter().zip(&want).enumerate() {
                let r = if residual { r + res[i] as f64 } else { r };
                let r = if relu { r.max(0.0) } else { r };
                assert!(
                    (g as f64 - r).abs() <= 1e-6 * kk.sqrt() * 4.0 + 1e-6,
                    "{p:?} packed {packed} residual {residual} relu {relu} at {i}: {g} vs {r}"
                );
            }
        }
    }
}

#[test]
fn conv2d_uneven_channels_and_stride_3() {
    // 37 output channels (7 row panels of 5 or 6 rows), stride 3
    // (neither packed copy path), asymmetric padding.
    conv_case(
        2,
        7,
        (19, 21),
        37,
        (3, 3),
        (3, 3),
        (1, 2),
        (2, 1),
        (1, 1),
        1,
        true,
    );
    conv_case(
        1,
        5,
        (8, 40),
        13,
        (1, 1),
        (2, 2),
        (0, 0),
        (0, 0),
        (1, 1),
        1,
        false,
    );
}

#[test]
fn relu_and_residual_epilogues_match_the_ops_run_apart() {
    let p = Conv2dParams {
        n: 2,
        c_in: 4,
        h: 5,
        w: 7,
        c_out: 9,
        kh: 3,
        kw: 3,
        stride: (1, 1),
        pad_h: (1, 1),
        pad_w: (1, 1),
        dilation: (1, 1),
        groups: 1,
    };
    let mut x = fill(2 * 4 * 35, 7);
    x[10] = f32::NAN;
    let w = fill(9 * 4 * 9, 8);
    let b = fill(9, 9);
    let (mut plain, mut fused) = (vec![0f32; 2 * 9 * 35], vec![0f32; 2 * 9 * 35]);
    conv2d_f32(&p, &x, &w, Some(&b), &mut plain);
    let relu = ConvEpilogue {
        residual: None,
        relu: true,
    };
    conv2d_fused_f32(&p, &x, &w, Some(&b), relu, &mut fused);
    let nans = plain.iter().filter(|v| v.is_nan()).count();
    assert!(
        nans > 0,
        "a NaN input reaches the outputs whose window holds it"
    );
    for (&a, &r) in plain.iter().zip(&fused) {
        if a.is_nan() {
            assert!(r.is_nan(), "relu(NaN) is NaN, as torch.relu");
        } else {
            assert_eq!(
                r.to_bits(),
                if a > 0.0 { a } else { 0.0 }.to_bits(),
                "-0 becomes +0"
            );
        }
    }
    // With a residual: the bits of `relu(conv + residual)` run apart.
    let res = fill(2 * 9 * 35, 10);
    let mut both = vec![0f32; 2 * 9 * 35];
    let epi = ConvEpilogue {
        residual: Some(&res),
        relu: true,
    };
    conv2d_fused_f32(&p, &x, &w, Some(&b), epi, &mut both);
    for ((&a, &r), &g) in plain.iter().zip(&res).zip(&both) {
        let want = crate::gemm::relu(a + r);
        assert!(
            g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
            "{g} vs relu({a} + {r})"
        );
    }
}

#[test]
fn implicit_gemm_geometries() {
    // Stride 1 with whole 16-wide micro-panels per output row: the product
    // reads the padded input in place on AVX-512 (`gemm/indirect.rs`),
    // against the naive sum and the AVX2 kernel's bits (`conv_case`).
    // k = 360: two k blocks; 5 output rows in tiles of 2, 2, 1: a last
    // single micro-panel.
    conv_case(
        1,
        40,
        (5, 16),
        13,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        true,
    );
    // Dilation 2, a 5×5 window reaching both paddings.
    conv_case(
        2,
        3,
        (6, 16),
        7,
        (3, 3),
        (1, 1),
        (2, 2),
        (2, 2),
        (2, 2),
        1,
        false,
    );
    // Groups, two micro-panels per row, 1×1.
    conv_case(
        2,
        8,
        (3, 32),
        8,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        2,
        true,
    );
    conv_case(
        1,
        6,
        (2, 48),
        5,
        (1, 1),
        (1, 1),
        (0, 0),
        (0, 0),
        (1, 1),
        1,
        true,
    );
}

#[test]
fn conv2d_geometries() {
    // CNN stem and a 64→64 block conv (small batch), stride-2 and 1×1 shortcut.
    conv_case(
        2,
        3,
        (32, 32),
        32,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        false,
    );
    conv_case(
        2,
        16,
        (16, 16),
        16,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        true,
    );
    conv_case(
        3,
        8,
        (17, 15),
        12,
        (3, 3),
        (2, 2),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        true,
    );
    conv_case(
        2,
        8,
        (16, 16),
        16,
        (1, 1),
        (2, 2),
        (0, 0),
        (0, 0),
        (1, 1),
        1,
        false,
    );
    conv_case(
        2,
        8,
        (9, 7),
        5,
        (1, 1),
        (1, 1),
        (0, 0),
        (0, 0),
        (1, 1),
        1,
        true,
    ); // im2col skipped
       // asymmetric padding ('same' with even kernel), dilation, rectangular kernels
    conv_case(
        1,
        4,
        (11, 13),
        6,
        (2, 4),
        (1, 1),
        (0, 1),
        (1, 2),
        (1, 1),
        1,
        true,
    );
    conv_case(
        2,
        4,
        (15, 12),
        3,
        (3, 2),
        (1, 2),
        (2, 2),
        (1, 1),
        (2, 3),
        1,
        false,
    );
    conv_case(
        1,
        3,
        (5, 5),
        2,
        (5, 5),
        (1, 1),
        (0, 0),
        (0, 0),
        (1, 1),
        1,
        true,
    ); // output 1×1
       // same-width im2col path: dilation, asymmetric/oversized padding
    conv_case(
        2,
        3,
        (9, 10),
        4,
        (3, 3),
        (1, 1),
        (2, 2),
        (2, 2),
        (2, 2),
        1,
        true,
    );
    conv_case(
        1,
        2,
        (7, 6),
        3,
        (3, 3),
        (1, 1),
        (0, 2),
        (1, 1),
        (1, 1),
        1,
        false,
    );
    conv_case(
        1,
        2,
        (1, 5),
        2,
        (3, 3),
        (1, 1),
        (2, 2),
        (1, 1),
        (1, 1),
        1,
        true,
    );
    conv_case(
        1,
        2,
        (4, 1),
        2,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        true,
    );
    // big enough for tiles of output rows (COL_TILE_FLOATS), with remainders
    conv_case(
        1,
        64,
        (35, 32),
        8,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        true,
    );
    conv_case(
        2,
        64,
        (65, 63),
        4,
        (3, 3),
        (2, 2),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        false,
    );
    conv_case(
        1,
        256,
        (20, 20),
        6,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        2,
        true,
    );
    // conv1d as H = 1
    conv_case(
        2,
        5,
        (1, 33),
        7,
        (1, 5),
        (1, 2),
        (0, 0),
        (2, 2),
        (1, 1),
        1,
        true,
    );
    // groups
    conv_case(
        2,
        8,
        (10, 10),
        12,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        4,
        true,
    );
    conv_case(
        1,
        6,
        (7, 9),
        6,
        (3, 3),
        (2, 1),
        (1, 0),
        (0, 1),
        (1, 2),
        2,
        false,
    );
    // depthwise, with multiplier, strided and dilated
    conv_case(
        2,
        16,
        (13, 11),
        16,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        16,
        true,
    );
    conv_case(
        2,
        8,
        (13, 11),
        16,
        (3, 3),
        (2, 2),
        (1, 1),
        (1, 1),
        (1, 1),
        8,
        false,
    );
    conv_case(
        1,
        4,
        (12, 12),
        4,
        (5, 5),
        (1, 1),
        (4, 4),
        (4, 4),
        (2, 2),
        4,
        true,
    );
    // single input channel without groups goes through GEMM
    conv_case(
        2,
        1,
        (9, 9),
        4,
        (3, 3),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 1),
        1,
        true,
    );
}

#[test]
fn conv2d_parallel_batch_matches_single_image() {
    // Enough work for the per-image parallel path; each image must equal
    // the same image convolved alone.
    let p = Conv2dParams {
        n: 8,
        c_in: 16,
        h: 16,
        w: 16,
        c_out: 32,
        kh: 3,
        kw: 3,
        stride: (1, 1),
        pad_h: (1, 1),
        pad_w: (1, 1),
        dilation: (1, 1),
        groups: 1,
    };
    let x = fill(8 * 16 * 256, 5);
    let w = fill(32 * 16 * 9, 6);
    let mut out = vec![0.0f32; 8 * 32 * 256];
    conv2d_f32(&p, &x, &w, None, &mut out);
    let one = Conv2dParams { n: 1, ..p };
    for i in 0..8 {
        let mut o = vec![0.0f32; 32 * 256];
        conv2d_f32(&one, &x[i * 16 * 256..(i + 1) * 16 * 256], &w, None, &mut o);
        let want = naive(&one, &x[i * 16 * 256..(i + 1) * 16 * 256], &w, None);
        for (j, (&g, &r)) in out[i * 32 * 256..(i + 1) * 32 * 256]
            .iter()
            .zip(&want)
            .enumerate()
        {
            assert!((g as f64 - r).abs() <= 1e-5, "image {i} at {j}");
            assert!((g - o[j]).abs() <= 1e-5);
        }
    }
}

#[test]
fn conv2d_empty_batch_is_a_no_op() {
    let p = Conv2dParams {
        n: 0,
        c_in: 3,
        h: 4,
        w: 4,
        c_out: 2,
        kh: 3,
        kw: 3,
        stride: (1, 1),
        pad_h: (1, 1),
        pad_w: (1, 1),
        dilation: (1, 1),
        groups: 1,
    };
    conv2d_f32(&p, &[], &[0.0; 54], None, &mut []);
}

fn naive_transpose(p: &ConvTranspose2dParams, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f64> {
    let (oh, ow) = p.out_hw().expect("valid");
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let mut out = vec![0.0f64; p.n * p.c_out * oh * ow];
    for n in 0..p.n {
        for co in 0..p.c_out {
            let v = b.map_or(0.0, |b| b[co] as f64);
            out[(n * p.c_out + co) * oh * ow..(n * p.c_out + co + 1) * oh * ow].fill(v);
        }
        for ci in 0..p.c_in {
            let g = ci / cig;
            for cl in 0..cog {
                let co = g * cog + cl;
                for iy in 0..p.h {
                    for ix in 0..p.w {
                        let xv = x[((n * p.c_in + ci) * p.h + iy) * p.w + ix] as f64;
                        for ky in 0..p.kh {
                            for kx in 0..p.kw {
                                let oy = (iy * p.stride.0 + ky * p.dilation.0) as isize
                                    - p.padding.0 as isize;
                                let ox = (ix * p.stride.1 + kx * p.dilation.1) as isize
                                    - p.padding.1 as isize;
                                if oy < 0 || ox < 0 || oy >= oh as isize || ox >= ow as isize {
                                    continue;
                                }
                                let wv = w[((ci * cog + cl) * p.kh + ky) * p.kw + kx] as f64;
                                out[((n * p.c_out + co) * oh + oy as usize) * ow + ox as usize] +=
                                    xv * wv;
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn conv_transpose2d_geometries() {
    #[rustfmt::skip]
    let cases = [
        // n, c_in, h, w, c_out, kh, kw, stride, padding, output_padding, dilation, groups
        (2, 4, 5, 6, 3, 3, 3, (2, 2), (1, 1), (1, 1), (1, 1), 1),
        (1, 3, 4, 4, 2, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),
        (2, 6, 7, 5, 4, 3, 2, (1, 3), (0, 1), (0, 2), (2, 1), 2),
        (1, 4, 3, 3, 8, 1, 1, (1, 1), (0, 0), (0, 0), (1, 1), 4),
        (3, 2, 9, 1, 2, 5, 1, (3, 1), (2, 0), (2, 0), (1, 1), 1),
        (4, 16, 8, 8, 8, 3, 3, (2, 2), (1, 1), (1, 1), (1, 1), 1),
    ];
    for (n, c_in, h, w, c_out, kh, kw, stride, padding, output_padding, dilation, groups) in cases {
        let p = ConvTranspose2dParams {
            n,
            c_in,
            h,
            w,
            c_out,
            kh,
            kw,
            stride,
            padding,
            output_padding,
            dilation,
            groups,
        };
        let x = fill(n * c_in * h * w, 7);
        let wt = fill(c_in * c_out / groups * kh * kw, 8);
        let b = fill(c_out, 9);
        for bias in [None, Some(&b[..])] {
            let (oh, ow) = p.out_hw().expect("valid");
            let mut out = vec![f32::NAN; n * c_out * oh * ow];
            conv_transpose2d_f32(&p, &x, &wt, bias, &mut out);
            let want = naive_transpose(&p, &x, &wt, bias);
            for (i, (&g, &r)) in out.iter().zip(&want).enumerate() {
                assert!((g as f64 - r).abs() <= 1e-5, "{p:?} at {i}: {g} vs {r}");
            }
        }
    }
    let bad = ConvTranspose2dParams {
        n: 1,
        c_in: 1,
        h: 1,
        w: 1,
        c_out: 1,
        kh: 1,
        kw: 1,
        stride: (1, 1),
        padding: (1, 1),
        output_padding: (0, 0),
        dilation: (1, 1),
        groups: 1,
    };
    assert_eq!(bad.out_hw(), None);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn winograd_geometries() {
    // Stride-1 3×3 convs with 16+ channels: odd sizes (partial tiles),
    // tile rows of 1–4 lanes (items across images), 15 tiles in 16 lanes,
    // more than 16 tiles a row, asymmetric and no padding, channel counts
    // off the microkernel's 6-row panels.
    let cases: &[(
        usize,
        usize,
        (usize, usize),
        usize,
        (usize, usize),
        (usize, usize),
    )] = &[
        (2, 16, (8, 8), 16, (1, 1), (1, 1)),
        (3, 17, (7, 15), 23, (1, 1), (1, 1)),
        (5, 16, (2, 2), 16, (1, 1), (1, 1)),
        (4, 20, (3, 7), 19, (0, 2), (2, 0)),
        (1, 16, (12, 30), 33, (1, 1), (1, 1)),
        (2, 32, (9, 62), 16, (1, 1), (1, 1)),
        (1, 24, (6, 66), 18, (0, 0), (0, 0)),
        (2, 128, (8, 8), 96, (1, 1), (1, 1)),
    ];
    for &(n, c_in, hw, c_out, pad_h, pad_w) in cases {
        let p = Conv2dParams {
            n,
            c_in,
            h: hw.0,
            w: hw.1,
            c_out,
            kh: 3,
            kw: 3,
            stride: (1, 1),
            pad_h,
            pad_w,
            dilation: (1, 1),
            groups: 1,
        };
        if crate::simd::has_avx512f() {
            assert!(winograd::applies(&p), "{p:?} should take Winograd");
        }
        conv_case(
            n,
            c_in,
            hw,
            c_out,
            (3, 3),
            (1, 1),
            pad_h,
            pad_w,
            (1, 1),
            1,
            true,
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn winograd_bits_do_not_depend_on_batch_or_threads() {
    // Items span images and their size follows the thread count; each
    // output must still come out the same.
    let p = Conv2dParams {
        n: 6,
        c_in: 32,
        h: 8,
        w: 8,
        c_out: 48,
        kh: 3,
        kw: 3,
        stride: (1, 1),
        pad_h: (1, 1),
        pad_w: (1, 1),
        dilation: (1, 1),
        groups: 1,
    };
    let (img_in, img_out) = (32 * 64, 48 * 64);
    let x = fill(6 * img_in, 7);
    let w = fill(48 * 32 * 9, 8);
    let b = fill(48, 9);
    let mut all = vec![f32::NAN; 6 * img_out];
    conv2d_f32(&p, &x, &w, Some(&b), &mut all);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut serial = vec![f32::NAN; 6 * img_out];
    one_thread.install(|| conv2d_f32(&p, &x, &w, Some(&b), &mut serial));
    let one = Conv2dParams { n: 1, ..p };
    for i in 0..6 {
        let mut o = vec![f32::NAN; img_out];
        conv2d_f32(&one, &x[i * img_in..][..img_in], &w, Some(&b), &mut o);
        let got = &all[i * img_out..][..img_out];
        assert!(
            o.iter().zip(got).all(|(a, b)| a.to_bits() == b.to_bits()),
            "image {i}"
        );
    }
    assert!(all
        .iter()
        .zip(&serial)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn stride_2_columns_split_by_parity() {
    // Horizontal stride 2 with whole 16-wide output rows stores the
    // window's even and odd columns apart (read in place by the implicit
    // GEMM; `conv_case`'s AVX2 run fills panels from them): odd heights
    // and widths, asymmetric padding, 1×1, an even kernel width, a
    // vertical stride other than 2; and half-panel rows, not split.
    let cases: &[(
        usize,
        usize,
        (usize, usize),
        usize,
        (usize, usize),
        (usize, usize),
        (usize, usize),
        (usize, usize),
    )] = &[
        (2, 8, (32, 32), 16, (3, 3), (2, 2), (1, 1), (1, 1)),
        (3, 16, (16, 16), 24, (3, 3), (2, 2), (1, 1), (1, 1)),
        (2, 8, (32, 32), 16, (1, 1), (2, 2), (0, 0), (0, 0)),
        (1, 5, (17, 64), 7, (3, 3), (2, 2), (1, 0), (0, 1)),
        (1, 6, (9, 31), 5, (2, 4), (1, 2), (0, 1), (2, 1)),
    ];
    for &(n, c_in, hw, c_out, k, stride, pad_h, pad_w) in cases {
        conv_case(n, c_in, hw, c_out, k, stride, pad_h, pad_w, (1, 1), 1, true);
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn winograd_non_finite_inputs_reach_the_outputs_that_read_them() {
    // One NaN and one +inf in the input: the outputs whose 3×3 windows
    // hold them are NaN (the NaN) or +inf (the infinity) directly; on the
    // Winograd path the same outputs and only those are NaN or non-finite
    // (its transforms add terms of both signs, so an infinity may come out
    // as inf - inf = NaN: `spec/kernels.md`).
    let p = Conv2dParams {
        n: 1,
        c_in: 16,
        h: 8,
        w: 8,
        c_out: 16,
        kh: 3,
        kw: 3,
        stride: (1, 1),
        pad_h: (1, 1),
        pad_w: (1, 1),
        dilation: (1, 1),
        groups: 1,
    };
    let mut x = fill(16 * 64, 11);
    // Positive weights, so the infinity cannot meet one of opposite sign.
    let w: Vec<f32> = fill(16 * 16 * 9, 12)
        .iter()
        .map(|v| v.abs() + 0.01)
        .collect();
    x[3 * 64 + 2 * 8 + 5] = f32::NAN; // channel 3, row 2, column 5
    x[7 * 64 + 6 * 8 + 1] = f32::INFINITY; // channel 7, row 6, column 1
    let mut direct = vec![0.0f32; 16 * 64];
    let mut wino = vec![0.0f32; 16 * 64];
    conv2d_with(
        &p,
        &x,
        &w,
        None,
        ConvEpilogue::default(),
        &mut direct,
        false,
    );
    conv2d_with(&p, &x, &w, None, ConvEpilogue::default(), &mut wino, true);
    if crate::simd::has_avx512f() {
        assert!(winograd::applies(&p));
    }
    for (i, (&d, &g)) in direct.iter().zip(&wino).enumerate() {
        let (y, xx) = ((i % 64) / 8, i % 8);
        let near = |r: usize, c: usize| y.abs_diff(r) <= 1 && xx.abs_diff(c) <= 1;
        let (nan, inf) = (near(2, 5), near(6, 1) && !near(2, 5));
        assert_eq!(
            (d.is_nan(), d == f32::INFINITY),
            (nan, inf),
            "direct at {i}: {d}"
        );
        let expected = if nan {
            g.is_nan()
        } else if inf {
            !g.is_finite()
        } else {
            g.is_finite()
        };
        assert!(expected, "Winograd at {i}: {g}");
    }
}
