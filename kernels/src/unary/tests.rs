//! Accuracy tests for the unary kernels: every function over a sweep of the
//! f32 bit patterns plus dense ranges and edge cases, against f64
//! references; the bounds asserted here are the ones stated in the module doc.

use super::*;

unsafe extern "C" {
    // The C library's double-precision erf/erfc (glibc: < 1 ulp in f64).
    fn erf(x: f64) -> f64;
    fn erfc(x: f64) -> f64;
}

fn c_erf(x: f64) -> f64 {
    // SAFETY: pure libm functions.
    unsafe { erf(x) }
}
fn c_erfc(x: f64) -> f64 {
    // SAFETY: as above.
    unsafe { erfc(x) }
}

/// f64 reference for each function.
pub(super) fn reference(f: Unary, x: f64) -> f64 {
    match f {
        Unary::Exp => x.exp(),
        Unary::Log => x.ln(),
        Unary::Tanh => x.tanh(),
        Unary::Sigmoid => {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                x.exp() / (1.0 + x.exp())
            }
        }
        Unary::Silu => {
            if x == f64::NEG_INFINITY {
                f64::NAN
            } else if x >= 0.0 {
                x / (1.0 + (-x).exp())
            } else {
                x * x.exp() / (1.0 + x.exp())
            }
        }
        Unary::Gelu => {
            if x == f64::NEG_INFINITY {
                f64::NAN
            } else {
                x * 0.5 * c_erfc(-x / std::f64::consts::SQRT_2)
            }
        }
        Unary::GeluTanh => {
            if x == f64::NEG_INFINITY {
                return f64::NAN;
            }
            let z = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
            // x/2·(1 + tanh z) = x·sigmoid(2z), written without cancellation.
            if z >= 0.0 {
                x / (1.0 + (-2.0 * z).exp())
            } else {
                x * (2.0 * z).exp() / (1.0 + (2.0 * z).exp())
            }
        }
        Unary::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        Unary::Erf => c_erf(x),
    }
}

/// Error of `got` against `want` in ulps of `want` rounded to f32 (denormal
/// ulp 2^-149). Infinities and NaN must match exactly (∞ error otherwise).
pub(super) fn ulp_err(got: f32, want: f64) -> f64 {
    if want.is_nan() || got.is_nan() {
        return if want.is_nan() && got.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let w32 = want as f32;
    if w32.is_infinite() || got.is_infinite() {
        return if got == w32 { 0.0 } else { f64::INFINITY };
    }
    let a = (w32 as f64).abs();
    let ulp = if a < f32::MIN_POSITIVE as f64 {
        2f64.powi(-149)
    } else {
        2f64.powi(a.log2().floor() as i32 - 23)
    };
    (got as f64 - want).abs() / ulp
}

/// Test inputs: a stride through all bit patterns, dense ranges, specials.
pub(super) fn inputs() -> Vec<f32> {
    let mut v: Vec<f32> = (0..=u32::MAX).step_by(1021).map(f32::from_bits).collect();
    v.extend((-200_000..=200_000).map(|i| i as f32 * 5e-5)); // [-10, 10]
    v.extend((-20_000..=20_000).map(|i| i as f32 * 1e-2)); // [-200, 200]
    for edge in [
        0.625f32,
        0.921875,
        0.921875 * std::f32::consts::SQRT_2,
        6.0,
        6.0 * std::f32::consts::SQRT_2,
        88.72,
        87.33,
        103.97,
        9.01,
        3.92,
    ] {
        let b = edge.to_bits();
        for d in 0..2000u32 {
            for s in [1.0f32, -1.0] {
                v.push(s * f32::from_bits(b - 1000 + d));
            }
        }
    }
    v.extend([
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::MAX,
        f32::MIN,
        1.0,
        -1.0,
    ]);
    v
}

/// Asserted bound for `f` at `x` as (max ulps, absolute-error allowance):
/// an error passes when it is within the ulp bound OR below the absolute
/// allowance (used only where the module doc says so).
pub(super) fn bound(f: Unary, x: f32) -> (f64, f64) {
    match f {
        Unary::Relu => (0.0, 0.0),
        Unary::Log => (1.0, 0.0),
        Unary::Exp | Unary::Erf => (1.5, 0.0),
        Unary::Tanh => (2.0, 0.0),
        Unary::Sigmoid => (2.5, 0.0),
        Unary::Silu => (2.5, if x < -87.0 { 1e-38 } else { 0.0 }),
        // Left tails: the f32 rounding of the argument of e^-|w| is
        // magnified by |w| ~ x²; below the cutoffs the results are < 3e-16.
        Unary::Gelu | Unary::GeluTanh if x >= 0.0 => (2.0, 0.0),
        Unary::Gelu if x >= -8.4 => (4.0 + 2.5 * (x as f64).powi(2), 0.0),
        Unary::GeluTanh if x >= -10.0 => (4.0 + 2.5 * (x as f64).powi(2), 0.0),
        Unary::Gelu | Unary::GeluTanh => (0.0, 3e-16),
    }
}

const ALL: [Unary; 9] = [
    Unary::Exp,
    Unary::Log,
    Unary::Tanh,
    Unary::Sigmoid,
    Unary::Gelu,
    Unary::GeluTanh,
    Unary::Silu,
    Unary::Relu,
    Unary::Erf,
];

fn check(f: Unary, xs: &[f32], ys: &[f32], path: &str) -> f64 {
    let mut worst = 0.0f64;
    for (&x, &y) in xs.iter().zip(ys) {
        let want = reference(f, x as f64);
        let e = ulp_err(y, want);
        let (ulps, abs) = bound(f, x);
        let ok = e <= ulps || (want.is_finite() && (y as f64 - want).abs() <= abs);
        assert!(
            ok,
            "{f:?} ({path}) at x = {x:e} ({:#x}): got {y:e}, want {want:e}, {e:.3} ulp",
            x.to_bits()
        );
        if e.is_finite() && abs == 0.0 {
            worst = worst.max(e);
        }
    }
    worst
}

#[test]
fn unary_error_bounds_vector_and_scalar() {
    let xs = inputs();
    let mut out = vec![0.0f32; xs.len()];
    let mut scalar = vec![0.0f32; xs.len()];
    for f in ALL {
        unary_f32(f, &xs, &mut out);
        let w = check(f, &xs, &out, "slice");
        map_scalar_dispatch(f, &xs, &mut scalar);
        let ws = check(f, &xs, &scalar, "scalar");
        eprintln!("{f:?}: max {w:.3} ulp (slice), {ws:.3} ulp (scalar)");
        // The slice path (16 lanes with AVX-512F) and, where it runs, the
        // 8-lane path give the scalar path's bits.
        let mut paths = vec![("slice", out.clone())];
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx2_fma() {
            let mut eight = vec![0.0f32; xs.len()];
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            unsafe { with_kernel!(f, map_avx2, &xs, &mut eight) };
            paths.push(("avx2", eight));
        }
        for (path, got) in &paths {
            for (i, (a, b)) in got.iter().zip(&scalar).enumerate() {
                assert!(
                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                    "{f:?}: the {path} path differs from the scalar one at {}",
                    xs[i]
                );
            }
        }
    }
}

fn map_scalar_dispatch(f: Unary, x: &[f32], out: &mut [f32]) {
    with_kernel!(f, map_scalar, x, out)
}

#[test]
fn special_values() {
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    let s = unary_scalar_f32;
    assert_eq!(s(Unary::Exp, 89.0), inf);
    assert_eq!(s(Unary::Exp, 88.73), inf);
    assert!(s(Unary::Exp, 88.72) < inf);
    assert_eq!(s(Unary::Exp, -104.0), 0.0);
    assert_eq!(s(Unary::Exp, -inf), 0.0);
    assert!(s(Unary::Exp, -100.0) > 0.0 && s(Unary::Exp, -100.0) < f32::MIN_POSITIVE);
    assert_eq!(s(Unary::Exp, 0.0), 1.0);
    assert_eq!(s(Unary::Log, 0.0), -inf);
    assert_eq!(s(Unary::Log, -0.0), -inf);
    assert!(s(Unary::Log, -1.0).is_nan());
    assert_eq!(s(Unary::Log, inf), inf);
    assert_eq!(s(Unary::Log, 1.0), 0.0);
    for f in ALL {
        assert!(s(f, nan).is_nan(), "{f:?}(NaN)");
    }
    assert_eq!(s(Unary::Tanh, 10.0), 1.0);
    assert_eq!(s(Unary::Tanh, -inf), -1.0);
    assert_eq!(s(Unary::Tanh, -0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(s(Unary::Erf, 4.0), 1.0);
    assert_eq!(s(Unary::Erf, -inf), -1.0);
    assert_eq!(s(Unary::Sigmoid, -inf), 0.0);
    assert_eq!(s(Unary::Sigmoid, inf), 1.0);
    assert_eq!(s(Unary::Sigmoid, 0.0), 0.5);
    assert!(s(Unary::Silu, -inf).is_nan());
    assert!(s(Unary::Gelu, -inf).is_nan());
    assert!(s(Unary::GeluTanh, -inf).is_nan());
    assert_eq!(s(Unary::Gelu, inf), inf);
    assert_eq!(s(Unary::GeluTanh, inf), inf);
    assert_eq!(s(Unary::Silu, inf), inf);
    assert_eq!(s(Unary::Relu, -0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(s(Unary::Relu, -3.0), 0.0);
}

#[test]
fn odd_lengths_and_inplace_match() {
    for n in [0usize, 1, 3, 7, 8, 9, 17, 33, 65, 1000, 70_001] {
        let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 6.0).collect();
        for f in ALL {
            let mut out = vec![0.0f32; n];
            unary_f32(f, &x, &mut out);
            let mut inp = x.clone();
            unary_inplace_f32(f, &mut inp);
            for i in 0..n {
                assert_eq!(out[i].to_bits(), inp[i].to_bits());
                assert_eq!(out[i].to_bits(), unary_scalar_f32(f, x[i]).to_bits());
            }
        }
    }
}

#[test]
fn erf_f64_matches_libm() {
    let mut x = -7.0f64;
    let mut worst = 0.0f64;
    while x <= 7.0 {
        let (got, want) = (erf_f64(x), c_erf(x));
        let rel = (got - want).abs() / want.abs().max(1e-300);
        worst = worst.max(rel);
        assert!(rel <= 2e-15, "erf_f64({x}) = {got}, libm {want}");
        x += 0.000731;
    }
    eprintln!("erf_f64 max relative error {worst:.2e}");
    assert!(erf_f64(f64::NAN).is_nan());
    assert_eq!(erf_f64(f64::INFINITY), 1.0);
    assert_eq!(erf_f64(f64::NEG_INFINITY), -1.0);
}

#[test]
fn gelu_tail_relative_error() {
    // The x < -1 tails of both gelus pass through e^-|w| with |w| up to ~70,
    // which magnifies the f32 rounding of the argument; report and bound the
    // relative error there (the module doc quotes these numbers).
    for (f, lo, limit) in [(Unary::Gelu, -8.4f32, 2e-5), (Unary::GeluTanh, -9.5, 2e-5)] {
        let xs: Vec<f32> = (0..200_000)
            .map(|i| -1.0 + (lo + 1.0) * i as f32 / 200_000.0)
            .collect();
        let mut out = vec![0.0f32; xs.len()];
        unary_f32(f, &xs, &mut out);
        let mut worst = 0.0f64;
        for (&x, &y) in xs.iter().zip(&out) {
            let want = reference(f, x as f64);
            worst = worst.max(((y as f64 - want) / want).abs());
        }
        eprintln!("{f:?}: tail max relative error {worst:.2e} on [{lo}, -1]");
        assert!(worst <= limit, "{f:?}: {worst}");
    }
}
