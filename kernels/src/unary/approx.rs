//! The f32 approximations behind [`super::unary_f32`], written once over
//! [`VecF32`] so the AVX2 lanes and the scalar path compute the same bits.
//!
//! Coefficients were fitted with `kernels/tools/fit_poly.py` (weighted
//! minimax on the stated intervals, rounded to f32); the error bounds are in
//! the parent module's doc and are checked by its tests.

use crate::simd::VecF32;

/// Horner evaluation, highest degree first.
#[inline(always)]
fn poly<V: VecF32, const N: usize>(x: V, c: &[f32; N]) -> V {
    let mut acc = V::splat(c[0]);
    let mut i = 1;
    while i < N {
        acc = acc.mul_add(x, V::splat(c[i]));
        i += 1;
    }
    acc
}

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `n · LN2_HI` is exact for |n| < 2^15.
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;

/// e^r = 1 + r + r²·P(r) on |r| ≤ ln2/2.
const EXP_P: [f32; 6] =
    [1.979_036_5e-4, 1.394_465_2e-3, 8.333_497e-3, 4.166_629_5e-2, 1.666_666_6e-1, 0.5];

/// ln(1+f) = f - f²/2 + f³·P(f) on f ∈ [√½ - 1, √2 - 1].
const LOG_P: [f32; 8] = [
    -7.634_558e-2,
    1.276_167_8e-1,
    -1.316_020_8e-1,
    1.420_174_7e-1,
    -1.662_335_4e-1,
    2.000_122_7e-1,
    -2.500_082_3e-1,
    3.333_333_1e-1,
];

/// tanh(x) = x + x³·P(x²) on |x| < 0.625.
const TANH_SMALL: f32 = 0.625;
const TANH_P: [f32; 6] = [2.142_944_8e-3, -8.177_38e-3, 2.170_069_7e-2, -5.394_676_3e-2, 1.333_320_6e-1, -3.333_333_1e-1];

/// erf(x) = x + x·P(x²) on |x| < 0.921875.
pub(crate) const ERF_SMALL: f32 = 0.921_875;
const ERF_P: [f32; 7] = [
    8.370_042e-5,
    -8.142_69e-4,
    5.201_031e-3,
    -2.685_939_7e-2,
    1.128_369_6e-1,
    -3.761_263_5e-1,
    1.283_791_7e-1,
];

/// ln(erfc(t)) = Q(t) on t ∈ [0.921875, 6].
const ERFC_T_MAX: f32 = 6.0;
const ERFC_Q: [f32; 12] = [
    1.047_217_2e-9,
    -3.447_488_3e-8,
    3.996_714_2e-7,
    -3.724_562_7e-7,
    -4.410_066e-5,
    6.253_561e-4,
    -4.924_232e-3,
    2.686_556_8e-2,
    -1.107_770_4e-1,
    -6.311_803_5e-1,
    -1.130_560_5,
    3.898_054_4e-4,
];

/// e^x. exp(x ≥ 88.73) = inf, exp(x ≤ -103.98) = 0, denormal results are
/// produced (one rounding), NaN → NaN.
#[inline(always)]
pub(crate) fn exp<V: VecF32>(x: V) -> V {
    let x = x.clamp(-104.0, 89.0);
    let n = x.mul(V::splat(LOG2E)).round();
    let r = n.mul_add(V::splat(-LN2_HI), x);
    let r = n.mul_add(V::splat(-LN2_LO), r);
    let p = poly(r, &EXP_P);
    let y = p.mul(r).mul_add(r, r).add(V::splat(1.0));
    // 2^n as 2^n1 · 2^n2 so n ∈ [-150, 129] never leaves the normal range;
    // the first product is exact, the second rounds once (also to denormals).
    let n1 = n.mul(V::splat(0.5)).round();
    let n2 = n.sub(n1);
    y.mul(n1.pow2i()).mul(n2.pow2i())
}

/// Natural logarithm: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
#[inline(always)]
pub(crate) fn log<V: VecF32>(x: V) -> V {
    let tiny = x.lt(V::splat(f32::MIN_POSITIVE));
    let xs = V::select(tiny, x.mul(V::splat(8_388_608.0)), x); // 2^23
    let (e, m) = xs.split_exp();
    let e = V::select(tiny, e.sub(V::splat(23.0)), e);
    let big = V::splat(std::f32::consts::SQRT_2).lt(m);
    let m = V::select(big, m.mul(V::splat(0.5)), m);
    let e = V::select(big, e.add(V::splat(1.0)), e);
    let f = m.sub(V::splat(1.0));
    let f2 = f.mul(f);
    let p = poly(f, &LOG_P);
    let y = p.mul(f).mul_add(f2, e.mul(V::splat(LN2_LO)));
    let y = f2.mul_add(V::splat(-0.5), y);
    let r = f.add(y);
    let r = e.mul_add(V::splat(LN2_HI), r);
    let r = V::select(x.eq(V::splat(f32::INFINITY)), x, r);
    let r = V::select(x.eq(V::splat(0.0)), V::splat(f32::NEG_INFINITY), r);
    V::select(x.ge(V::splat(0.0)), r, V::splat(f32::NAN))
}

/// tanh; saturates to exactly ±1 (|x| ≥ 9.01), keeps -0.
#[inline(always)]
pub(crate) fn tanh<V: VecF32>(x: V) -> V {
    let ax = x.abs();
    let s = x.mul(x);
    let small = poly(s, &TANH_P).mul_add(x.mul(s), x);
    let e = exp(ax.add(ax));
    let large = V::splat(1.0).sub(V::splat(2.0).div(e.add(V::splat(1.0))));
    V::select(ax.lt(V::splat(TANH_SMALL)), small, large.copysign(x))
}

/// 1 / (1 + e^-x), as e^-|x| / (1 + e^-|x|) for x < 0 (no overflow, full
/// relative accuracy down to the denormal range).
#[inline(always)]
pub(crate) fn sigmoid<V: VecF32>(x: V) -> V {
    let e = exp(V::splat(0.0).sub(x.abs()));
    let num = V::select(x.ge(V::splat(0.0)), V::splat(1.0), e);
    num.div(e.add(V::splat(1.0)))
}

/// x · sigmoid(x); silu(-inf) = NaN as in PyTorch.
#[inline(always)]
pub(crate) fn silu<V: VecF32>(x: V) -> V {
    let e = exp(V::splat(0.0).sub(x.abs()));
    let num = V::select(x.ge(V::splat(0.0)), x, x.mul(e));
    num.div(e.add(V::splat(1.0)))
}

/// erfc(t) for t ≥ 0.921875 (t is clamped to 6; callers handle t > 6).
#[inline(always)]
fn erfc_large<V: VecF32>(t: V) -> V {
    exp(poly(t.clamp(ERF_SMALL, ERFC_T_MAX), &ERFC_Q))
}

/// erf; ±1 exactly for |x| ≥ 3.92, keeps -0.
#[inline(always)]
pub(crate) fn erf<V: VecF32>(x: V) -> V {
    let t = x.abs();
    let small = poly(x.mul(x), &ERF_P).mul_add(x, x);
    let large = V::splat(1.0).sub(erfc_large(t)).copysign(x);
    V::select(t.lt(V::splat(ERF_SMALL)), small, large)
}

/// gelu(approximate='none') = x·Φ(x), Φ(x) = erfc(-x/√2)/2. For x < 0 the
/// tail uses erfc directly (no 1 + erf cancellation). gelu(-inf) = NaN as
/// in PyTorch.
#[inline(always)]
pub(crate) fn gelu<V: VecF32>(x: V) -> V {
    let u = x.mul(V::splat(std::f32::consts::FRAC_1_SQRT_2));
    let t = u.abs();
    let erf_small = poly(u.mul(u), &ERF_P).mul_add(u, u);
    let phi_small = erf_small.mul_add(V::splat(0.5), V::splat(0.5));
    let h = erfc_large(t).mul(V::splat(0.5));
    let h = V::select(t.lt(V::splat(ERFC_T_MAX)), h, V::splat(0.0));
    let phi_large = V::select(u.ge(V::splat(0.0)), V::splat(1.0).sub(h), h);
    x.mul(V::select(t.lt(V::splat(ERF_SMALL)), phi_small, phi_large))
}

/// gelu(approximate='tanh') = x/2·(1 + tanh(z)), z = √(2/π)(x + 0.044715x³),
/// evaluated as x·sigmoid(2z) (the same function, no cancellation).
#[inline(always)]
pub(crate) fn gelu_tanh<V: VecF32>(x: V) -> V {
    const C1: f32 = 1.595_769_1; // 2·√(2/π)
    const C2: f32 = 0.071_354_82; // 2·√(2/π)·0.044715
    let w = x.mul(x.mul(x).mul_add(V::splat(C2), V::splat(C1)));
    let e = exp(V::splat(0.0).sub(w.abs()));
    let num = V::select(w.ge(V::splat(0.0)), x, x.mul(e));
    num.div(e.add(V::splat(1.0)))
}

/// max(x, 0) keeping NaN and -0 as PyTorch's relu does.
#[inline(always)]
pub(crate) fn relu<V: VecF32>(x: V) -> V {
    V::select(x.lt(V::splat(0.0)), V::splat(0.0), x)
}
