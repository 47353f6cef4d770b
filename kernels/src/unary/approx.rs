//! The f32 approximations behind [`super::unary_f32`], written once over
//! [`VecF32`] so the AVX2 lanes and the scalar path compute the same bits.
//!
//! Coefficients were fitted with `kernels/tools/fit_poly.py` (weighted
//! minimax on the stated intervals, rounded to f32); the error bounds are in
//! the parent module's doc and are checked by its tests.

// Coefficients are written as the fitter printed them; each literal rounds
// to the intended f32.
#![allow(clippy::excessive_precision)]

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
pub(crate) const LN2_HI: f32 = 0.693_359_375;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;

/// e^r = 1 + r + r²·P(r) on |r| ≤ ln2/2.
const EXP_P: [f32; 6] = [
    1.979_036_5e-4,
    1.394_465_2e-3,
    8.333_497e-3,
    4.166_629_5e-2,
    1.666_666_6e-1,
    0.5,
];

/// ln(1+f) = f - f²/2 + f³·P(f) on f ∈ [√½ - 1, √2 - 1].
pub(crate) const LOG_P: [f32; 8] = [
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
pub(crate) const TANH_SMALL: f32 = 0.625;
pub(crate) const TANH_P: [f32; 6] = [
    2.142_944_8e-3,
    -8.177_38e-3,
    2.170_069_7e-2,
    -5.394_676_3e-2,
    1.333_320_6e-1,
    -3.333_333_1e-1,
];

/// erf(x) = x + x·P(x²) on |x| < 0.921875.
pub(crate) const ERF_SMALL: f32 = 0.921_875;
pub(crate) const ERF_P: [f32; 7] = [
    8.370_042e-5,
    -8.142_69e-4,
    5.201_031e-3,
    -2.685_939_7e-2,
    1.128_369_6e-1,
    -3.761_263_5e-1,
    1.283_791_7e-1,
];

/// ln(erfc(t)) = Q(t - 0.921875) on t ∈ [0.921875, 6] (centred at the low
/// end, where erf and gelu need the most accuracy from it).
pub(crate) const ERFC_T_MAX: f32 = 6.0;
pub(crate) const ERFC_Q: [f32; 12] = [
    1.047_217_2e-9,
    -2.385_544_6e-8,
    1.308_050_3e-7,
    1.760_505_1e-6,
    -3.761_124_8e-5,
    3.533_019_3e-4,
    -2.237_749_3e-3,
    1.094_101_6e-2,
    -4.487_055_2e-2,
    -8.329_773_5e-1,
    -2.508_013_7,
    -1.648_561_8,
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

/// e^x for callers whose results stay normal or saturate harmlessly: the
/// input is clamped to [-87.3, 88.7] (results from 1.2e-38 to 3.4e38, never
/// denormal, 0 or inf) and 2^n is built in one step. Same polynomial and
/// accuracy as [`exp`] inside that range; about six operations cheaper.
#[inline(always)]
fn exp_normal<V: VecF32>(x: V) -> V {
    let x = x.clamp(-87.3, 88.7);
    let n = x.mul(V::splat(LOG2E)).round();
    let r = n.mul_add(V::splat(-LN2_HI), x);
    let r = n.mul_add(V::splat(-LN2_LO), r);
    let p = poly(r, &EXP_P);
    p.mul(r).mul_add(r, r).add(V::splat(1.0)).mul(n.pow2i())
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

/// The rational tanh of the kernel JIT, fitted by `kernels/tools/fit_tanh.py`
/// on [0, 9] (highest degree first, in x²). At ±9.05 it gives exactly ±1,
/// as tanh does in f32 from 9.01 on.
pub(crate) const TANH_CLAMP: f32 = 9.05;
pub(crate) const TANH_RP: [f32; 5] = [
    1.335_584_8e-8,
    2.060_904_3e-5,
    3.495_548_2e-3,
    1.338_098_2e-1,
    1.0,
];
pub(crate) const TANH_RQ: [f32; 5] = [
    7.776_781_7e-7,
    3.285_594_9e-4,
    2.587_679_8e-2,
    4.671_429_7e-1,
    1.0,
];

/// tanh as x·P(x²)/Q(x²) on x clamped to ±[`TANH_CLAMP`], the result clamped
/// to ±1: operation for operation what `jit/cpu/math.rs` emits (so the
/// same bits), for the kernels the JIT stages through sixteen-lane code.
#[inline(always)]
pub(crate) fn tanh_rational<V: VecF32>(x: V) -> V {
    let x = x.clamp(-TANH_CLAMP, TANH_CLAMP);
    let s = x.mul(x);
    let p = poly(s, &TANH_RP);
    let q = poly(s, &TANH_RQ);
    x.mul(p).div(q).clamp(-1.0, 1.0)
}

/// tanh; saturates to exactly ±1 (|x| ≥ 9.01), keeps -0.
#[inline(always)]
pub(crate) fn tanh<V: VecF32>(x: V) -> V {
    let ax = x.abs();
    let s = x.mul(x);
    // |x³P| < |x| here, so the sign of x is the sign of the result (and
    // copysign keeps tanh(-0) = -0, which the fma alone would not).
    let small = poly(s, &TANH_P).mul_add(x.mul(s), x).copysign(x);
    // For |x| ≥ 44.4 exp_normal saturates at 3.4e38; 2/(e+1) is then
    // below 2^-25 and the result rounds to exactly 1 either way.
    let e = exp_normal(ax.add(ax));
    let large = V::splat(1.0).sub(V::splat(2.0).div(e.add(V::splat(1.0))));
    V::select(ax.lt(V::splat(TANH_SMALL)), small, large.copysign(x))
}

/// `num / (1 + e^-w)` for w ≥ -80 and `num · e^w` below (same value: there
/// 1 + e^w rounds to 1), so e^-w never overflows and tiny results keep
/// their relative accuracy down to the denormal range.
#[inline(always)]
fn over_one_plus_exp<V: VecF32>(w: V, num: V) -> V {
    let big = w.ge(V::splat(-80.0));
    let e = exp(V::select(big, V::splat(0.0).sub(w), w));
    let num = V::select(big, num, num.mul(e));
    num.div(e.add(V::splat(1.0)))
}

/// 1 / (1 + e^-x).
#[inline(always)]
pub(crate) fn sigmoid<V: VecF32>(x: V) -> V {
    over_one_plus_exp(x, V::splat(1.0))
}

/// x · sigmoid(x); silu(-inf) = NaN as in PyTorch.
#[inline(always)]
pub(crate) fn silu<V: VecF32>(x: V) -> V {
    over_one_plus_exp(x, x)
}

/// erfc(t) for t ≥ 0.921875 (t is clamped to 6; callers handle t > 6).
#[inline(always)]
fn erfc_large<V: VecF32>(t: V) -> V {
    // Q ∈ [-37.7, -1.6] here: the result is always a normal float.
    exp_normal(poly(
        t.clamp(ERF_SMALL, ERFC_T_MAX).sub(V::splat(ERF_SMALL)),
        &ERFC_Q,
    ))
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
    over_one_plus_exp(w, x)
}

/// max(x, 0) keeping NaN and -0 as PyTorch's relu does.
#[inline(always)]
pub(crate) fn relu<V: VecF32>(x: V) -> V {
    V::select(x.lt(V::splat(0.0)), V::splat(0.0), x)
}
