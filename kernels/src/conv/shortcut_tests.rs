//! [`conv2d_with_shortcut_f32`]: both outputs the same bits as the two
//! convolutions run apart (and near the direct f64 loops), on the fused
//! path (strided and 8-wide rows, larger kernels, dilation) and on the
//! fallbacks (Winograd-sized, grouped, a tap that reads elsewhere).

use super::tests::{fill, naive};
use super::*;

/// `(n, c_in, (h, w), c_out, short c_out, k, stride, pad, dilation, groups)`.
type Case = (
    usize,
    usize,
    (usize, usize),
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
);

fn bits_equal(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check(case: Case, fused: bool) {
    let (n, c_in, (h, w), c_out, s_out, k, stride, pad, dil, groups) = case;
    let p = Conv2dParams {
        n,
        c_in,
        h,
        w,
        c_out,
        kh: k,
        kw: k,
        stride: (stride, stride),
        pad_h: (pad, pad),
        pad_w: (pad, pad),
        dilation: (dil, dil),
        groups,
    };
    let x = fill(n * c_in * h * w, 11);
    let wt = fill(c_out * c_in / groups * k * k, 12);
    let b = fill(c_out, 13);
    let sw = fill(s_out * c_in, 14);
    let sb = fill(s_out, 15);
    let s = Shortcut {
        c_out: s_out,
        weight: &sw,
        bias: Some(&sb),
    };
    let sp = s.params(&p);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(s.tap(&p).is_some(), fused, "{p:?}: which path");
    let (oh, ow) = p.out_hw();
    let (soh, sow) = sp.out_hw();
    let res = fill(n * c_out * oh * ow, 16);
    let epi = ConvEpilogue {
        residual: Some(&res),
        relu: true,
    };
    let mut want = vec![f32::NAN; n * c_out * oh * ow];
    conv2d_fused_f32(&p, &x, &wt, Some(&b), epi, &mut want);
    let mut want_s = vec![f32::NAN; n * s_out * soh * sow];
    conv2d_f32(&sp, &x, &sw, Some(&sb), &mut want_s);
    let direct = naive(&sp, &x, &sw, Some(&sb));
    for (i, (&g, &r)) in want_s.iter().zip(&direct).enumerate() {
        assert!((g as f64 - r).abs() <= 1e-5, "{sp:?} at {i}: {g} vs {r}");
    }
    // AVX-512's implicit GEMM, and the AVX2 kernel filling panels.
    for narrow in [false, true] {
        let mut out = vec![f32::NAN; want.len()];
        let mut short = vec![f32::NAN; want_s.len()];
        let mut run =
            || conv2d_with_shortcut_f32(&p, &x, &wt, Some(&b), epi, &mut out, s, &mut short);
        if narrow {
            crate::gemm::narrow_only(run);
        } else {
            run();
        }
        assert!(bits_equal(&out, &want), "{p:?} narrow {narrow}: conv");
        assert!(
            bits_equal(&short, &want_s),
            "{p:?} narrow {narrow}: shortcut"
        );
    }
}

#[test]
fn shortcut_beside_a_conv_matches_the_two_run_apart() {
    let fused: &[Case] = &[
        // The CNN workload's blocks (batch cut): 16-wide rows split by
        // parity, then 8-wide rows filling panels.
        (2, 32, (32, 32), 64, 64, 3, 2, 1, 1, 1),
        (3, 64, (16, 16), 128, 128, 3, 2, 1, 1, 1),
        // Odd sizes, a shortcut narrower than the conv, one image.
        (1, 5, (13, 15), 7, 3, 3, 2, 1, 1, 1),
        // 5×5 at stride 2 (tap (2, 2)); 3×3 dilated 2 at stride 1 (tap
        // (1, 1) of the dilated kernel); too few channels for Winograd.
        (2, 6, (17, 17), 9, 4, 5, 2, 2, 1, 1),
        (1, 8, (12, 20), 8, 16, 3, 1, 2, 2, 1),
        (2, 3, (16, 16), 20, 20, 3, 1, 1, 1, 1),
    ];
    for &case in fused {
        check(case, true);
    }
    let apart: &[Case] = &[
        // Winograd takes the conv; a grouped conv; no padding (the
        // shortcut's output is larger).
        (2, 16, (16, 16), 16, 32, 3, 1, 1, 1, 1),
        (2, 8, (16, 16), 8, 8, 3, 2, 1, 1, 2),
        (1, 4, (10, 10), 8, 8, 3, 1, 0, 1, 1),
    ];
    for &case in apart {
        check(case, false);
    }
}
