//! GEMM/GEMV against an f64 reference: odd shapes, zero dimensions,
//! transposed and offset operands, alpha/beta handling, and a proptest over
//! random shapes and strides.

use super::*;
use proptest::prelude::*;

fn fill(n: usize, seed: u64) -> Vec<f32> {
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

/// Row-major or transposed storage of a `rows×cols` matrix with padding
/// between rows/columns and a leading offset.
fn layout(
    rows: usize,
    cols: usize,
    trans: bool,
    pad: usize,
    off: usize,
    seed: u64,
) -> (Vec<f32>, usize, usize) {
    let (rs, cs) = if trans {
        (1, rows + pad)
    } else {
        (cols + pad, 1)
    };
    let len = off
        + if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        };
    (fill(len, seed), rs, cs)
}

#[allow(clippy::too_many_arguments)]
fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool, pad: usize, alpha: f32, beta: f32) {
    let (ad, ars, acs) = layout(m, k, ta, pad, 3, (m * 7 + k) as u64);
    let (bd, brs, bcs) = layout(k, n, tb, pad, 5, (k * 11 + n) as u64);
    let a = MatRef {
        data: &ad,
        offset: 3,
        rs: ars,
        cs: acs,
    };
    let b = MatRef {
        data: &bd,
        offset: 5,
        rs: brs,
        cs: bcs,
    };
    let c0 = fill(m * n, 42);
    let mut c = c0.clone();
    if beta == 0.0 {
        c.iter_mut().for_each(|v| *v = f32::NAN); // must be ignored
    }
    gemm_f32(m, n, k, a, b, &mut c, alpha, beta);
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            let mut sa = 0.0f64;
            for p in 0..k {
                let x = ad[3 + i * ars + p * acs] as f64 * bd[5 + p * brs + j * bcs] as f64;
                s += x;
                sa += x.abs();
            }
            let prev = if beta == 0.0 {
                0.0
            } else {
                beta as f64 * c0[i * n + j] as f64
            };
            let want = prev + alpha as f64 * s;
            let tol = 2e-6 * (alpha.abs() as f64 * sa + prev.abs()) + 1e-6;
            let got = c[i * n + j] as f64;
            assert!(
                (got - want).abs() <= tol,
                "m={m} n={n} k={k} ta={ta} tb={tb} [{i},{j}]: {got} vs {want}"
            );
        }
    }
    // f64 path on the same data
    let a64: Vec<f64> = ad.iter().map(|&v| v as f64).collect();
    let b64: Vec<f64> = bd.iter().map(|&v| v as f64).collect();
    let mut c64: Vec<f64> = c0.iter().map(|&v| v as f64).collect();
    let a = MatRef {
        data: &a64,
        offset: 3,
        rs: ars,
        cs: acs,
    };
    let b = MatRef {
        data: &b64,
        offset: 5,
        rs: brs,
        cs: bcs,
    };
    gemm_f64(m, n, k, a, b, &mut c64, alpha as f64, beta as f64);
    for i in 0..m {
        for j in 0..n {
            let mut s = 0.0f64;
            for p in 0..k {
                s += a64[3 + i * ars + p * acs] * b64[5 + p * brs + j * bcs];
            }
            let prev = if beta == 0.0 {
                0.0
            } else {
                beta as f64 * c0[i * n + j] as f64
            };
            let want = prev + alpha as f64 * s;
            assert!(
                (c64[i * n + j] - want).abs() <= 1e-12 * (1.0 + want.abs() + k as f64),
                "f64 m={m} n={n} k={k}"
            );
        }
    }
}

#[test]
fn gemm_odd_shapes_all_layouts() {
    let sizes = [1usize, 2, 3, 17, 33, 65];
    for &m in &sizes {
        for &n in &sizes {
            for &k in &[1usize, 3, 17, 65] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    check(m, n, k, ta, tb, 0, 1.0, 0.0);
                }
            }
        }
    }
}

#[test]
fn gemm_alpha_beta_padding() {
    for (alpha, beta) in [(1.0, 1.0), (0.5, -2.0), (-1.5, 0.0), (2.0, 0.25)] {
        for pad in [0usize, 3] {
            check(17, 33, 9, false, true, pad, alpha, beta);
            check(1, 65, 33, false, true, pad, alpha, beta);
            check(1, 65, 33, false, false, pad, alpha, beta);
            check(33, 1, 65, false, false, pad, alpha, beta);
            check(33, 1, 65, true, false, pad, alpha, beta);
        }
    }
}

#[test]
fn gemv_large_shapes_parallel_paths() {
    // Big enough for the parallel split, with tails in every dimension.
    check(1, 1037, 515, false, false, 0, 1.0, 0.0); // axpy form
    check(1, 1037, 515, false, true, 0, 1.0, 0.0); // dot form (B = Wᵀ)
    check(1031, 1, 517, false, false, 1, 1.0, 0.5); // n = 1, A row-major: dot form
    check(1031, 1, 517, true, false, 1, 1.0, 0.5); // n = 1, A column-major: axpy form
    check(1, 300, 300, true, true, 2, 1.0, 0.0); // strided x (gathered)
    check(129, 257, 131, true, true, 0, 1.0, 0.0); // gemm crate, parallel
    // Below the pool's size, above the hot pair's: two halves, the second
    // one ending in a partial group of four rows.
    check(1, 1027, 255, false, true, 0, 1.0, 0.0);
    check(301, 1, 257, false, false, 1, 1.0, 0.5);
}

#[test]
fn gemm_zero_dims() {
    let a = [1.0f32; 8];
    let b = [1.0f32; 8];
    fn mr(d: &[f32]) -> MatRef<'_, f32> {
        MatRef {
            data: d,
            offset: 0,
            rs: 2,
            cs: 1,
        }
    }
    // m = 0 / n = 0: nothing written, empty c is fine.
    gemm_f32(0, 2, 2, mr(&a), mr(&b), &mut [], 1.0, 0.0);
    gemm_f32(2, 0, 2, mr(&a), mr(&b), &mut [], 1.0, 0.0);
    // k = 0: c = beta·c; beta = 0 ignores NaN in c.
    let mut c = [f32::NAN, 1.0, 2.0, 3.0];
    gemm_f32(2, 2, 0, mr(&[]), mr(&[]), &mut c, 1.0, 0.0);
    assert_eq!(c, [0.0; 4]);
    let mut c = [1.0f32, 2.0, 3.0, 4.0];
    gemm_f32(2, 2, 0, mr(&[]), mr(&[]), &mut c, 1.0, 0.5);
    assert_eq!(c, [0.5, 1.0, 1.5, 2.0]);
}

#[test]
fn gemv_matches_across_thread_counts() {
    let (k, n) = (777usize, 1029usize);
    let x = fill(k, 1);
    let w = fill(k * n, 2);
    for (rs, cs) in [(n, 1), (1, k)] {
        let b = MatRef {
            data: &w,
            offset: 0,
            rs,
            cs,
        };
        let a = MatRef {
            data: &x,
            offset: 0,
            rs: k,
            cs: 1,
        };
        let mut c1 = vec![0.0f32; n];
        gemm_f32(1, n, k, a, b, &mut c1, 1.0, 0.0);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
        if let Ok(pool) = pool {
            let mut c2 = vec![0.0f32; n];
            pool.install(|| gemm_f32(1, n, k, a, b, &mut c2, 1.0, 0.0));
            assert_eq!(c1, c2);
        }
        let mut c3 = vec![0.0f32; n];
        gemm_with(Threads::Single, 1, n, k, a, b, &mut c3, 1.0, 0.0);
        assert_eq!(c1, c3);
    }
}

#[test]
fn gemm_rejects_out_of_bounds_operand() {
    // An operand that reaches past its slice is a caller bug: the bounds
    // assert in front of the unsafe call must fire instead of reading out of bounds.
    let r = std::panic::catch_unwind(|| {
        let a = [1.0f32; 4];
        let mut c = [0.0f32; 4];
        gemm_f32(
            2,
            2,
            3,
            MatRef {
                data: &a,
                offset: 0,
                rs: 3,
                cs: 1,
            },
            MatRef {
                data: &a,
                offset: 0,
                rs: 2,
                cs: 1,
            },
            &mut c,
            1.0,
            0.0,
        );
    });
    let msg = r.expect_err("out-of-bounds operand must be rejected");
    let text = msg
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| msg.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(text.contains("exceeds"), "unexpected panic message: {text}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn gemm_random_shapes_and_strides(m in 0usize..40, n in 0usize..40, k in 0usize..40, ta: bool, tb: bool, pad in 0usize..4, beta_on: bool) {
        check(m, n, k, ta, tb, pad, 1.25, if beta_on { 0.75 } else { 0.0 });
    }
}

/// `a·b` in f64, row-major m×n, for strided f32 operands.
fn reference(m: usize, n: usize, k: usize, a: &MatRef<f32>, b: &MatRef<f32>) -> Vec<f64> {
    let mut c = vec![0.0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k)
                .map(|p| a.data[a.offset + i * a.rs + p * a.cs] as f64 * b.data[b.offset + p * b.rs + j * b.cs] as f64)
                .sum();
        }
    }
    c
}

/// The packed GEMM against an f64 reference: edge tiles in m and n, k over
/// several KC blocks, a Linear weight (`B = Wᵀ`) and a row-major `B`,
/// strided `A`, accumulation, k = 0, several column groups, on one thread
/// and on the pool (the same bits).
#[test]
fn packed_gemm_matches_reference() {
    let cases = [(1, 1, 1), (5, 17, 3), (6, 16, 256), (13, 33, 257), (64, 100, 600), (130, 70, 40), (64, 300, 700), (7, 48, 5), (3, 31, 9), (10, 40, 50), (11, 64, 330), (12, 33, 70)];
    for (m, n, k) in cases {
        let a_data = fill(m * k * 2 + 3, 3);
        let a = MatRef { data: &a_data, offset: 3, rs: 2 * k, cs: 2 };
        let w = fill(n * k, 4);
        for b in [MatRef { data: &w, offset: 0, rs: 1, cs: k }, MatRef { data: &w, offset: 0, rs: n, cs: 1 }] {
            let Some(packed) = PackedB::new(k, n, b) else { return }; // no AVX2: callers use gemm_f32
            let want = reference(m, n, k, &a, &b);
            let mut c = vec![f32::NAN; m * n];
            gemm_packed(m, a, &packed, &mut c, false);
            for (i, (&got, &w)) in c.iter().zip(&want).enumerate() {
                assert!((got as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()) * (k as f64).sqrt(), "{m}x{n}x{k} at {i}: {got} vs {w}");
            }
            let mut acc = vec![1.0f32; m * n];
            gemm_packed(m, a, &packed, &mut acc, true);
            for (&x, &y) in acc.iter().zip(&c) {
                assert!((x - (y + 1.0)).abs() <= 1e-5 * (1.0 + y.abs()), "accumulate: {x} vs {y} + 1");
            }
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
            let mut one = vec![0.0f32; m * n];
            pool.install(|| gemm_packed(m, a, &packed, &mut one, false));
            assert_eq!(one, c, "{m}x{n}x{k}: thread count changed the bits");
            // The AVX2 kernel alone (where AVX-512 pairs micro-panels).
            let mut narrow = vec![0.0f32; m * n];
            super::narrow_only(|| gemm_packed(m, a, &packed, &mut narrow, false));
            assert_eq!(narrow, c, "{m}x{n}x{k}: the kernel width changed the bits");
            // A column bias in the tile store: the bits of accumulating
            // into rows that hold the bias, with both kernel widths.
            let bias = fill(n, 5);
            let mut want = bias.repeat(m);
            gemm_packed(m, a, &packed, &mut want, true);
            let mut got = vec![f32::NAN; m * n];
            gemm_packed_bias(m, a, &packed, &mut got, &bias);
            assert_eq!(got, want, "{m}x{n}x{k}: bias in the store");
            let mut narrow = vec![f32::NAN; m * n];
            super::narrow_only(|| gemm_packed_bias(m, a, &packed, &mut narrow, &bias));
            assert_eq!(narrow, want, "{m}x{n}x{k}: bias in the AVX2 store");
        }
    }
    let empty = PackedB::new(0, 3, MatRef { data: &[], offset: 0, rs: 3, cs: 1 });
    if let Some(p) = empty {
        let mut c = [f32::NAN; 6];
        gemm_packed(2, MatRef { data: &[], offset: 0, rs: 0, cs: 1 }, &p, &mut c, false);
        assert_eq!(c, [0.0; 6]);
        gemm_packed_bias(2, MatRef { data: &[], offset: 0, rs: 0, cs: 1 }, &p, &mut c, &[1.0, 2.0, 3.0]);
        assert_eq!(c, [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    }
}

#[test]
fn linear_vec_add_is_the_two_ops_run_apart() {
    // Small (one thread), the hot pair's halves, the pool's split; with
    // and without a bias.
    for (n, k) in [(2, 2), (37, 19), (1024, 256), (1027, 515)] {
        let (x, w, b, r) = (fill(k, 1), fill(n * k, 2), fill(n, 3), fill(n, 4));
        for bias in [Some(&b[..]), None] {
            let mut want = match bias {
                Some(b) => b.to_vec(),
                None => vec![0.0; n],
            };
            let beta = if bias.is_some() { 1.0 } else { 0.0 };
            let a = MatRef {
                data: &x,
                offset: 0,
                rs: k,
                cs: 1,
            };
            let wt = MatRef {
                data: &w,
                offset: 0,
                rs: 1,
                cs: k,
            };
            gemm_f32(1, n, k, a, wt, &mut want, 1.0, beta);
            want.iter_mut().zip(&r).for_each(|(v, r)| *v += r);
            let mut y = vec![f32::NAN; n];
            linear_vec_add_f32(&x, &w, bias, &r, &mut y);
            assert!(
                y.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{n}×{k} bias {}",
                bias.is_some()
            );
        }
    }
}
