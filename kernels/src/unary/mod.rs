//! Float math on contiguous f32 slices (`out[i] = f(x[i])`), the hot loops
//! of the elementwise ops: vectorized (AVX2+FMA when the CPU has it, chosen
//! at run time; the same algorithm as scalar code otherwise) and split over
//! the rayon pool for big slices. The scalar path and the vector lanes use
//! the same fused multiply-adds, so results do not depend on the path, the
//! position in the slice or the thread count.
//!
//! # Accuracy
//!
//! Errors are measured against an f64 reference (std's f64 `exp`/`ln`/`tanh`,
//! the C library's `erf`/`erfc`) rounded to f32, in ulps of the reference's
//! f32 value (an ulp of a denormal is 2^-149), over a sweep of every 1021st
//! f32 bit pattern (both signs, all exponents, denormals, ±0, ±inf, NaN)
//! plus dense sweeps of [-10, 10], the branch boundaries and the
//! overflow/underflow edges. The bounds below are what the tests assert
//! (`unary::tests`); measured maxima are in brackets.
//!
//! | function | asserted bound | measured max |
//! |---|---|---|
//! | exp | ≤ 1.5 ulp | 0.97 |
//! | log | ≤ 1 ulp | 0.78 |
//! | tanh | ≤ 2 ulp | 1.24 |
//! | sigmoid | ≤ 2.5 ulp | 2.21 |
//! | silu | ≤ 2.5 ulp; x < -87 (denormal results): abs ≤ 1e-38 | 2.22 |
//! | erf | ≤ 1.5 ulp | 1.02 |
//! | gelu (erf) | x ≥ 0: ≤ 2 ulp; -8.4 ≤ x < 0: ≤ 4 + 2.5x² ulp; x < -8.4: abs ≤ 3e-16 (returns ∓0) | 1.64 (x ≥ 0), 3.6 on [-1.3, 0), rel. 5.9e-6 on [-8.4, -1] |
//! | gelu (tanh) | x ≥ 0: ≤ 2 ulp; -10 ≤ x < 0: ≤ 4 + 2.5x² ulp; x < -10: abs ≤ 3e-16 | 1.84 (x ≥ 0), 3.1 on [-1, 0), rel. 1.3e-5 on [-9.5, -1] |
//! | relu | exact | 0 |
//!
//! The gelu left tails lose accuracy because e^-|w| (|w| ~ x² there)
//! magnifies the f32 rounding of its argument; the values are small
//! (|gelu(x)| < 0.16 for x < -1), and PyTorch's own f32 formulas
//! (`0.5·x·(1 + erf(x/√2))`, `0.5·x·(1 + tanh(z))`) cancel there and are
//! worse (gelu(-10) is 0 in PyTorch, -7.6e-23 here).
//!
//! Special values follow PyTorch's CPU kernels: NaN in gives NaN out; exp(-inf)
//! = 0, exp(inf) = inf, exp(x ≥ 88.73) = inf, exp(x ≤ -103.98) = 0 with
//! denormal results in between; log(±0) = -inf, log(x<0) = NaN, log(inf) =
//! inf; tanh, erf: ±inf → ±1 and |x| large saturates to exactly ±1;
//! sigmoid(-inf) = 0, sigmoid(inf) = 1; silu(-inf), gelu(-inf) and
//! gelu_tanh(-inf) are NaN (PyTorch computes -inf·0 there too); relu keeps
//! NaN and -0.

pub(crate) mod approx;

use crate::parallel;
use crate::simd::VecF32;

/// The unary functions with a dedicated kernel.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unary {
    Exp,
    Log,
    Tanh,
    Sigmoid,
    /// gelu(approximate='none'): x·Φ(x) with erf.
    Gelu,
    /// gelu(approximate='tanh').
    GeluTanh,
    Silu,
    Relu,
    Erf,
}

impl Unary {
    /// Relative cost per element (for the parallel split).
    fn cost(self) -> usize {
        match self {
            Unary::Relu => 1,
            Unary::Exp | Unary::Log | Unary::Sigmoid | Unary::Silu => 2,
            Unary::Tanh | Unary::GeluTanh | Unary::Erf => 3,
            Unary::Gelu => 4,
        }
    }
}

/// `out[i] = f(x[i])`. `x` and `out` have equal length (only the common
/// prefix is written otherwise).
pub fn unary_f32(f: Unary, x: &[f32], out: &mut [f32]) {
    debug_assert_eq!(x.len(), out.len());
    let n = x.len().min(out.len());
    let x = &x[..n];
    parallel::map_chunks_mut(&mut out[..n], f.cost(), |start, o| {
        map(f, &x[start..start + o.len()], o)
    });
}

/// In place: `x[i] = f(x[i])`.
pub fn unary_inplace_f32(f: Unary, x: &mut [f32]) {
    parallel::map_chunks_mut(x, f.cost(), |_, o| map_inplace(f, o));
}

/// One element, with exactly the bits [`unary_f32`] gives for it.
pub fn unary_scalar_f32(f: Unary, x: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { scalar_fma(f, x) };
    }
    dispatch::<f32>(f, x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scalar_fma(f: Unary, x: f32) -> f32 {
    dispatch::<f32>(f, x)
}

#[inline(always)]
fn dispatch<V: VecF32>(f: Unary, x: V) -> V {
    match f {
        Unary::Exp => approx::exp(x),
        Unary::Log => approx::log(x),
        Unary::Tanh => approx::tanh(x),
        Unary::Sigmoid => approx::sigmoid(x),
        Unary::Gelu => approx::gelu(x),
        Unary::GeluTanh => approx::gelu_tanh(x),
        Unary::Silu => approx::silu(x),
        Unary::Relu => approx::relu(x),
        Unary::Erf => approx::erf(x),
    }
}

/// A function as a type, so each slice loop is monomorphized around it.
trait Kernel {
    fn apply<V: VecF32>(x: V) -> V;
}

macro_rules! kernels {
    ($($name:ident => $f:path),* $(,)?) => {$(
        struct $name;
        impl Kernel for $name {
            #[inline(always)]
            fn apply<V: VecF32>(x: V) -> V {
                $f(x)
            }
        }
    )*};
}

kernels! {
    ExpK => approx::exp,
    LogK => approx::log,
    TanhK => approx::tanh,
    SigmoidK => approx::sigmoid,
    GeluK => approx::gelu,
    GeluTanhK => approx::gelu_tanh,
    SiluK => approx::silu,
    ReluK => approx::relu,
    ErfK => approx::erf,
    TanhRationalK => approx::tanh_rational,
}

macro_rules! with_kernel {
    ($f:expr, $go:ident, $($arg:expr),*) => {
        match $f {
            Unary::Exp => $go::<ExpK>($($arg),*),
            Unary::Log => $go::<LogK>($($arg),*),
            Unary::Tanh => $go::<TanhK>($($arg),*),
            Unary::Sigmoid => $go::<SigmoidK>($($arg),*),
            Unary::Gelu => $go::<GeluK>($($arg),*),
            Unary::GeluTanh => $go::<GeluTanhK>($($arg),*),
            Unary::Silu => $go::<SiluK>($($arg),*),
            Unary::Relu => $go::<ReluK>($($arg),*),
            Unary::Erf => $go::<ErfK>($($arg),*),
        }
    };
}

/// One thread's share: the vector path when available, else scalar.
fn map(f: Unary, x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx512f() {
        // SAFETY: the CPU has AVX-512F (checked above).
        unsafe { with_kernel!(f, map_avx512, x, out) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        unsafe { with_kernel!(f, map_avx2, x, out) };
        return;
    }
    with_kernel!(f, map_scalar, x, out)
}

fn map_inplace(f: Unary, x: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx512f() {
        // SAFETY: the CPU has AVX-512F (checked above).
        unsafe { with_kernel!(f, inplace_avx512, x) };
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        unsafe { with_kernel!(f, inplace_avx2, x) };
        return;
    }
    with_kernel!(f, inplace_scalar, x)
}

/// What the kernel JIT hands to [`native_inplace`]: its own tanh (the
/// rational form) or one of the [`Unary`] functions, whose formulas it
/// shares.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Native {
    TanhRational,
    Of(Unary),
}

/// `x[i] = f(x[i])` on this thread, sixteen lanes at a time with AVX-512F,
/// else eight with AVX2+FMA (the same bits either way). Returns false, and
/// touches nothing, on a CPU with neither: the caller then keeps its own
/// code.
pub(crate) fn native_inplace(f: Native, x: &mut [f32]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::simd::has_avx512f() {
            // SAFETY: the CPU has AVX-512F (checked above).
            unsafe {
                match f {
                    Native::TanhRational => inplace_avx512::<TanhRationalK>(x),
                    Native::Of(u) => with_kernel!(u, inplace_avx512, x),
                }
            }
            return true;
        }
        if crate::simd::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            unsafe {
                match f {
                    Native::TanhRational => inplace_avx2::<TanhRationalK>(x),
                    Native::Of(u) => with_kernel!(u, inplace_avx2, x),
                }
            }
            return true;
        }
    }
    let _ = (f, x);
    false
}

/// The portable path (also the reference the tests hold the AVX2 path to).
fn map_scalar<K: Kernel>(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = K::apply(v);
    }
}

fn inplace_scalar<K: Kernel>(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = K::apply(*v);
    }
}

/// `out[i] = K(x[i])` for the whole vectors of `V` at the front of the
/// slices; returns how many elements that covered. Inlined into callers
/// that enable `V`'s target features.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn map_vectors<K: Kernel, V: VecF32>(x: &[f32], out: &mut [f32]) -> usize {
    let n = x.len().min(out.len());
    let mut i = 0;
    while i + V::LANES <= n {
        // SAFETY: i + LANES <= n <= len of both slices; the caller enabled
        // V's target features.
        unsafe { K::apply(V::load(x.as_ptr().add(i))).store(out.as_mut_ptr().add(i)) };
        i += V::LANES;
    }
    i
}

/// [`map_vectors`] in place.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn inplace_vectors<K: Kernel, V: VecF32>(x: &mut [f32]) -> usize {
    let (n, p) = (x.len(), x.as_mut_ptr());
    let mut i = 0;
    while i + V::LANES <= n {
        // SAFETY: i + LANES <= n; the load completes before the store; the
        // caller enabled V's target features.
        unsafe { K::apply(V::load(p.add(i))).store(p.add(i)) };
        i += V::LANES;
    }
    i
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn map_avx2<K: Kernel>(x: &[f32], out: &mut [f32]) {
    let n = x.len().min(out.len());
    let i = map_vectors::<K, crate::simd::F32x8>(x, out);
    for j in i..n {
        out[j] = K::apply(x[j]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn inplace_avx2<K: Kernel>(x: &mut [f32]) {
    let i = inplace_vectors::<K, crate::simd::F32x8>(x);
    for v in &mut x[i..] {
        *v = K::apply(*v);
    }
}

/// [`map_avx2`] on sixteen lanes: the same function per element (the
/// approximations are lane-wise), so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn map_avx512<K: Kernel>(x: &[f32], out: &mut [f32]) {
    let n = x.len().min(out.len());
    let i = map_vectors::<K, crate::simd::F32x16>(x, out);
    // SAFETY: AVX2 and FMA come with AVX-512F.
    unsafe { map_avx2::<K>(&x[i..n], &mut out[i..n]) }
}

/// [`inplace_avx2`] on sixteen lanes (the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn inplace_avx512<K: Kernel>(x: &mut [f32]) {
    let i = inplace_vectors::<K, crate::simd::F32x16>(x);
    // SAFETY: AVX2 and FMA come with AVX-512F.
    unsafe { inplace_avx2::<K>(&mut x[i..]) }
}

/// erf in f64: Maclaurin series for |x| < 2, a continued fraction for erfc
/// on [2, 6), ±1 beyond. Relative error ≤ 2e-15 against the C library's erf
/// (tested; measured 1.1e-15).
pub fn erf_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let ax = x.abs();
    let r = if ax < 2.0 {
        // Maclaurin series: erf(x) = 2/sqrt(pi) Σ (-1)^n x^(2n+1) / (n! (2n+1))
        let mut sum = 0.0f64;
        let mut term = ax;
        let x2 = ax * ax;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs().max(1e-300) {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x2 / n;
            if n > 200.0 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else if ax < 6.0 {
        // erfc via continued fraction (Lentz), converges fast for x ≥ 2.
        let x2 = ax * ax;
        let mut f = ax;
        let mut c = ax;
        let mut d = 0.0f64;
        for i in 1..200 {
            let an = i as f64 * 0.5;
            d = ax + an * d;
            d = 1.0 / d;
            c = ax + an / c;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - (-x2).exp() / (f * std::f64::consts::PI.sqrt())
    } else {
        1.0
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

#[cfg(test)]
mod tests;
