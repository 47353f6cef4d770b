//! A minimal SIMD layer: the crate-private `VecF32` trait over "some f32 lanes", with an
//! AVX2+FMA implementation (`F32x8`, x86-64 only) and a one-lane scalar one
//! (`f32`). Approximations and row kernels are written once, generic over the
//! trait, and instantiated inside `#[target_feature(enable = "avx2,fma")]`
//! functions (so every `#[inline(always)]` helper and intrinsic is inlined
//! into AVX2 code) or as plain scalar code. Both implementations use fused
//! multiply-add, so a loop tail done with the scalar instance gives the same
//! bits as the vector lanes would.
//!
//! The machine this was tuned on (Zen 4 under a hypervisor) exposes AVX2 and
//! FMA but not AVX-512 to guests, so AVX2 is the widest path here.

/// True when the CPU has AVX2 and FMA (checked once; the std macro caches).
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// True when the CPU has AVX-512F (checked once; the std macro caches).
#[inline]
pub fn has_avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Lane-wise f32 operations the kernels need. Comparisons are ordered
/// (false when either side is NaN).
pub(crate) trait VecF32: Copy {
    type Mask: Copy;
    const LANES: usize;
    fn splat(v: f32) -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    /// `self * b + c` with one rounding.
    fn mul_add(self, b: Self, c: Self) -> Self;
    fn abs(self) -> Self;
    /// Magnitude of `self`, sign bit of `sign`.
    fn copysign(self, sign: Self) -> Self;
    /// Clamps into `[lo, hi]`; NaN stays NaN.
    fn clamp(self, lo: f32, hi: f32) -> Self;
    /// Maximum for reductions (NaN handling unspecified: callers' later
    /// arithmetic propagates NaN anyway).
    fn max_fast(self, o: Self) -> Self;
    /// Round to nearest, ties to even.
    fn round(self) -> Self;
    fn lt(self, o: Self) -> Self::Mask;
    fn ge(self, o: Self) -> Self::Mask;
    fn eq(self, o: Self) -> Self::Mask;
    /// `m ? a : b` per lane.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    /// `2^n` for lanes holding integers in `[-126, 127]`.
    fn pow2i(self) -> Self;
    /// For positive normal lanes: `(e, m)` with `self = 2^e · m`, `m ∈ [1, 2)`.
    /// Other lanes give unspecified finite values (callers select them away).
    fn split_exp(self) -> (Self, Self);
    /// Loads `LANES` floats.
    ///
    /// # Safety
    /// `p..p+LANES` must be readable.
    unsafe fn load(p: *const f32) -> Self;
    /// Stores `LANES` floats.
    ///
    /// # Safety
    /// `p..p+LANES` must be writable.
    unsafe fn store(self, p: *mut f32);
    /// Sum of the lanes.
    fn reduce_add(self) -> f32;
    /// Maximum of the lanes (NaN handling unspecified, as `max_fast`).
    fn reduce_max(self) -> f32;
    /// Hints the cache line at `p` into the caches (no-op for scalars). `p`
    /// may point anywhere: a prefetch never faults.
    #[inline(always)]
    fn prefetch(_p: *const f32) {}
}

impl VecF32 for f32 {
    type Mask = bool;
    const LANES: usize = 1;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self * o
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        self / o
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        f32::mul_add(self, b, c)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn copysign(self, sign: Self) -> Self {
        f32::copysign(self, sign)
    }
    #[inline(always)]
    fn clamp(self, lo: f32, hi: f32) -> Self {
        if self < lo {
            lo
        } else if self > hi {
            hi
        } else {
            self
        }
    }
    #[inline(always)]
    fn max_fast(self, o: Self) -> Self {
        if self > o {
            self
        } else {
            o
        }
    }
    #[inline(always)]
    fn round(self) -> Self {
        self.round_ties_even()
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self < o
    }
    #[inline(always)]
    fn ge(self, o: Self) -> bool {
        self >= o
    }
    #[inline(always)]
    fn eq(self, o: Self) -> bool {
        self == o
    }
    #[inline(always)]
    fn select(m: bool, a: Self, b: Self) -> Self {
        if m {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn pow2i(self) -> Self {
        f32::from_bits(((self as i32 + 127) as u32) << 23)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees p is readable.
        unsafe { *p }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees p is writable.
        unsafe { *p = self }
    }
    #[inline(always)]
    fn reduce_add(self) -> f32 {
        self
    }
    #[inline(always)]
    fn reduce_max(self) -> f32 {
        self
    }
    #[inline(always)]
    fn split_exp(self) -> (Self, Self) {
        let b = self.to_bits();
        let e = ((b >> 23) & 0xff) as i32 - 127;
        (e as f32, f32::from_bits((b & 0x007f_ffff) | 0x3f80_0000))
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use avx2::F32x8;
#[cfg(target_arch = "x86_64")]
pub(crate) use avx512::F32x16;

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::VecF32;
    use std::arch::x86_64::*;

    /// Eight f32 lanes in an AVX register. Only use inside functions
    /// compiled with `#[target_feature(enable = "avx2,fma")]` after checking
    /// [`super::has_avx2_fma`]: the methods are `#[inline(always)]` wrappers
    /// around AVX2/FMA intrinsics.
    #[derive(Copy, Clone)]
    pub(crate) struct F32x8(pub __m256);

    impl F32x8 {
        /// # Safety
        /// `p..p+8` must be readable; AVX must be available.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 8 readable floats (unaligned is fine).
            F32x8(unsafe { _mm256_loadu_ps(p) })
        }
        /// # Safety
        /// `p..p+8` must be writable; AVX must be available.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 8 writable floats.
            unsafe { _mm256_storeu_ps(p, self.0) }
        }
        /// Sum of the eight lanes.
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            // SAFETY: only reached from AVX2 code (see the type's doc).
            unsafe {
                let lo = _mm256_castps256_ps128(self.0);
                let hi = _mm256_extractf128_ps::<1>(self.0);
                let s = _mm_add_ps(lo, hi);
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_add_ss(s, _mm_movehdup_ps(s));
                _mm_cvtss_f32(s)
            }
        }
        /// Maximum of the eight lanes (x86 max semantics).
        #[inline(always)]
        pub fn hmax(self) -> f32 {
            // SAFETY: as `hsum`.
            unsafe {
                let lo = _mm256_castps256_ps128(self.0);
                let hi = _mm256_extractf128_ps::<1>(self.0);
                let s = _mm_max_ps(lo, hi);
                let s = _mm_max_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_max_ss(s, _mm_movehdup_ps(s));
                _mm_cvtss_f32(s)
            }
        }
    }

    // SAFETY (every method below): the intrinsics need AVX/AVX2/FMA, which
    // the type's contract guarantees at every use site; none touches memory.
    impl VecF32 for F32x8 {
        type Mask = __m256;
        const LANES: usize = 8;
        #[inline(always)]
        fn splat(v: f32) -> Self {
            F32x8(unsafe { _mm256_set1_ps(v) })
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x8(unsafe { _mm256_add_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            F32x8(unsafe { _mm256_sub_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x8(unsafe { _mm256_mul_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            F32x8(unsafe { _mm256_div_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            F32x8(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn abs(self) -> Self {
            F32x8(unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0) })
        }
        #[inline(always)]
        fn copysign(self, sign: Self) -> Self {
            unsafe {
                let s = _mm256_set1_ps(-0.0);
                F32x8(_mm256_or_ps(
                    _mm256_andnot_ps(s, self.0),
                    _mm256_and_ps(s, sign.0),
                ))
            }
        }
        #[inline(always)]
        fn clamp(self, lo: f32, hi: f32) -> Self {
            // maxps/minps return the second operand when either is NaN, so
            // putting `self` second lets NaN through.
            unsafe {
                F32x8(_mm256_min_ps(
                    _mm256_set1_ps(hi),
                    _mm256_max_ps(_mm256_set1_ps(lo), self.0),
                ))
            }
        }
        #[inline(always)]
        fn max_fast(self, o: Self) -> Self {
            F32x8(unsafe { _mm256_max_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn round(self) -> Self {
            F32x8(unsafe {
                _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)
            })
        }
        #[inline(always)]
        fn lt(self, o: Self) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn ge(self, o: Self) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn eq(self, o: Self) -> __m256 {
            unsafe { _mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn select(m: __m256, a: Self, b: Self) -> Self {
            F32x8(unsafe { _mm256_blendv_ps(b.0, a.0, m) })
        }
        #[inline(always)]
        fn pow2i(self) -> Self {
            unsafe {
                let n = _mm256_cvtps_epi32(self.0);
                let b = _mm256_slli_epi32::<23>(_mm256_add_epi32(n, _mm256_set1_epi32(127)));
                F32x8(_mm256_castsi256_ps(b))
            }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: forwarded contract.
            unsafe { F32x8::load(p) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: forwarded contract.
            unsafe { F32x8::store(self, p) }
        }
        #[inline(always)]
        fn reduce_add(self) -> f32 {
            self.hsum()
        }
        #[inline(always)]
        fn reduce_max(self) -> f32 {
            self.hmax()
        }
        #[inline(always)]
        fn prefetch(p: *const f32) {
            // A hint only: no architectural memory access, never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
        }
        #[inline(always)]
        fn split_exp(self) -> (Self, Self) {
            unsafe {
                let b = _mm256_castps_si256(self.0);
                let e = _mm256_sub_epi32(_mm256_srli_epi32::<23>(b), _mm256_set1_epi32(127));
                let m = _mm256_or_si256(
                    _mm256_and_si256(b, _mm256_set1_epi32(0x007f_ffff)),
                    _mm256_set1_epi32(0x3f80_0000),
                );
                (F32x8(_mm256_cvtepi32_ps(e)), F32x8(_mm256_castsi256_ps(m)))
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::VecF32;
    use std::arch::x86_64::*;

    /// Sixteen f32 lanes in an AVX-512 register; the contract of
    /// [`super::F32x8`] with `avx512f` (checked by [`super::has_avx512f`])
    /// in place of AVX2.
    #[derive(Copy, Clone)]
    pub(crate) struct F32x16(pub __m512);

    // SAFETY (every method below): the intrinsics need AVX-512F, which the
    // type's contract guarantees at every use site; only `load`/`store`
    // touch memory, under their callers' contracts.
    impl VecF32 for F32x16 {
        type Mask = __mmask16;
        const LANES: usize = 16;
        #[inline(always)]
        fn splat(v: f32) -> Self {
            F32x16(unsafe { _mm512_set1_ps(v) })
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x16(unsafe { _mm512_add_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn sub(self, o: Self) -> Self {
            F32x16(unsafe { _mm512_sub_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x16(unsafe { _mm512_mul_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn div(self, o: Self) -> Self {
            F32x16(unsafe { _mm512_div_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            F32x16(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn abs(self) -> Self {
            F32x16(unsafe { _mm512_abs_ps(self.0) })
        }
        #[inline(always)]
        fn copysign(self, sign: Self) -> Self {
            unsafe {
                let mag = _mm512_set1_epi32(0x7fff_ffff);
                let b = _mm512_or_si512(
                    _mm512_and_si512(_mm512_castps_si512(self.0), mag),
                    _mm512_andnot_si512(mag, _mm512_castps_si512(sign.0)),
                );
                F32x16(_mm512_castsi512_ps(b))
            }
        }
        #[inline(always)]
        fn clamp(self, lo: f32, hi: f32) -> Self {
            // As F32x8: `self` second lets NaN through.
            unsafe {
                F32x16(_mm512_min_ps(
                    _mm512_set1_ps(hi),
                    _mm512_max_ps(_mm512_set1_ps(lo), self.0),
                ))
            }
        }
        #[inline(always)]
        fn max_fast(self, o: Self) -> Self {
            F32x16(unsafe { _mm512_max_ps(self.0, o.0) })
        }
        #[inline(always)]
        fn round(self) -> Self {
            F32x16(unsafe {
                _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)
            })
        }
        #[inline(always)]
        fn lt(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn ge(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn eq(self, o: Self) -> __mmask16 {
            unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0) }
        }
        #[inline(always)]
        fn select(m: __mmask16, a: Self, b: Self) -> Self {
            F32x16(unsafe { _mm512_mask_blend_ps(m, b.0, a.0) })
        }
        #[inline(always)]
        fn pow2i(self) -> Self {
            unsafe {
                let n = _mm512_cvtps_epi32(self.0);
                let b = _mm512_slli_epi32::<23>(_mm512_add_epi32(n, _mm512_set1_epi32(127)));
                F32x16(_mm512_castsi512_ps(b))
            }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 16 readable floats.
            F32x16(unsafe { _mm512_loadu_ps(p) })
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 16 writable floats.
            unsafe { _mm512_storeu_ps(p, self.0) }
        }
        #[inline(always)]
        fn reduce_add(self) -> f32 {
            unsafe { _mm512_reduce_add_ps(self.0) }
        }
        #[inline(always)]
        fn reduce_max(self) -> f32 {
            unsafe { _mm512_reduce_max_ps(self.0) }
        }
        #[inline(always)]
        fn prefetch(p: *const f32) {
            // A hint only: no architectural memory access, never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
        }
        #[inline(always)]
        fn split_exp(self) -> (Self, Self) {
            unsafe {
                let b = _mm512_castps_si512(self.0);
                let e = _mm512_sub_epi32(_mm512_srli_epi32::<23>(b), _mm512_set1_epi32(127));
                let m = _mm512_or_si512(
                    _mm512_and_si512(b, _mm512_set1_epi32(0x007f_ffff)),
                    _mm512_set1_epi32(0x3f80_0000),
                );
                (
                    F32x16(_mm512_cvtepi32_ps(e)),
                    F32x16(_mm512_castsi512_ps(m)),
                )
            }
        }
    }
}

/// AVX-512 lane helpers for code written with raw intrinsics (the
/// convolutions' transforms and column splits).
#[cfg(target_arch = "x86_64")]
pub(crate) mod lanes {
    use std::arch::x86_64::*;

    /// The lanes `lo..hi` (clamped to `0..16`) of a 16-lane mask.
    pub(crate) fn mask(lo: isize, hi: isize) -> __mmask16 {
        let (lo, hi) = (lo.clamp(0, 16), hi.clamp(0, 16));
        if hi <= lo {
            0
        } else {
            (((1u32 << (hi - lo)) - 1) << lo) as __mmask16
        }
    }

    /// The even and the odd floats of the 32 in `a` then `b`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(crate) fn even_odd(a: __m512, b: __m512) -> (__m512, __m512) {
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        (
            _mm512_permutex2var_ps(a, even, b),
            _mm512_permutex2var_ps(a, odd, b),
        )
    }
}
