//! Matrix-vector products for the m = 1 / n = 1 cases of GEMM (batch-1
//! linear layers), which the `gemm` crate handles 2-3× slower than memory
//! bandwidth allows. Two layouts of the streamed matrix `M[k×n]`:
//!
//! - **dot form** (`M(p, j)` at `j·ld + p`, each output's column contiguous,
//!   e.g. a transposed `nn.Linear` weight): `y[j] = x · row_j`, four rows at
//!   a time sharing the loads of `x`;
//! - **axpy form** (`M(p, j)` at `p·ld + j`, rows contiguous): `y += x[p]·row_p`,
//!   eight rows per pass over an L1-resident slice of `y`.
//!
//! Both split over outputs (rows of the dot form, column ranges of the axpy
//! form), so every output is computed by one thread in a fixed order: the
//! result does not depend on the thread count. AVX2+FMA when present
//! (8 f32 / 4 f64 lanes), the same code on scalars otherwise.

use rayon::prelude::*;

use super::SendPtr;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The element types GEMM supports (f32, f64; sealed).
pub trait Elem:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + PartialEq
    + Default
    + 'static
    + std::ops::Mul<Output = Self>
    + std::ops::Add<Output = Self>
{
    const ZERO: Self;
    /// `self·b + c`, one rounding.
    fn mul_add(self, b: Self, c: Self) -> Self;
    #[doc(hidden)]
    fn dot_rows(x: &[Self], w: &[Self], ld: usize, y: &mut [Self]);
    #[doc(hidden)]
    fn axpy_cols(x: &[Self], w: &[Self], ld: usize, j0: usize, y: &mut [Self]);
}

/// Vector of lanes of an [`Elem`].
trait Lanes<T>: Copy {
    const W: usize;
    fn zero() -> Self;
    fn splat(v: T) -> Self;
    /// # Safety
    /// `p..p+W` readable.
    unsafe fn load(p: *const T) -> Self;
    /// # Safety
    /// `p..p+W` writable.
    unsafe fn store(self, p: *mut T);
    fn fma(self, b: Self, c: Self) -> Self;
    fn add(self, o: Self) -> Self;
    fn hsum(self) -> T;
    /// Hints the cache line at `p` into L1 (no-op for scalars). `p` may
    /// point anywhere: a prefetch never faults.
    #[inline(always)]
    fn prefetch(_p: *const T) {}
}

macro_rules! scalar_lanes {
    ($t:ty) => {
        impl Lanes<$t> for $t {
            const W: usize = 1;
            #[inline(always)]
            fn zero() -> Self {
                0.0
            }
            #[inline(always)]
            fn splat(v: $t) -> Self {
                v
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self {
                // SAFETY: forwarded contract.
                unsafe { *p }
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $t) {
                // SAFETY: forwarded contract.
                unsafe { *p = self }
            }
            #[inline(always)]
            fn fma(self, b: Self, c: Self) -> Self {
                self.mul_add(b, c)
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn hsum(self) -> $t {
                self
            }
        }
    };
}
scalar_lanes!(f32);
scalar_lanes!(f64);

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Lanes;
    use crate::simd::{F32x8, VecF32};
    use std::arch::x86_64::*;

    impl Lanes<f32> for F32x8 {
        const W: usize = 8;
        #[inline(always)]
        fn zero() -> Self {
            <F32x8 as VecF32>::splat(0.0)
        }
        #[inline(always)]
        fn splat(v: f32) -> Self {
            <F32x8 as VecF32>::splat(v)
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
        fn fma(self, b: Self, c: Self) -> Self {
            VecF32::mul_add(self, b, c)
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            VecF32::add(self, o)
        }
        #[inline(always)]
        fn hsum(self) -> f32 {
            F32x8::hsum(self)
        }
        #[inline(always)]
        fn prefetch(p: *const f32) {
            // SAFETY: prefetch is a hint; it does not access memory
            // architecturally and never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
        }
    }

    /// Four f64 lanes; same contract as [`F32x8`] (AVX2+FMA code only).
    #[derive(Copy, Clone)]
    pub(super) struct F64x4(__m256d);

    // SAFETY (all methods): AVX2/FMA are available wherever this type is
    // used (see above); loads and stores forward the caller's contract.
    impl Lanes<f64> for F64x4 {
        const W: usize = 4;
        #[inline(always)]
        fn zero() -> Self {
            F64x4(unsafe { _mm256_setzero_pd() })
        }
        #[inline(always)]
        fn splat(v: f64) -> Self {
            F64x4(unsafe { _mm256_set1_pd(v) })
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            F64x4(unsafe { _mm256_loadu_pd(p) })
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            unsafe { _mm256_storeu_pd(p, self.0) }
        }
        #[inline(always)]
        fn fma(self, b: Self, c: Self) -> Self {
            F64x4(unsafe { _mm256_fmadd_pd(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F64x4(unsafe { _mm256_add_pd(self.0, o.0) })
        }
        #[inline(always)]
        fn hsum(self) -> f64 {
            unsafe {
                let lo = _mm256_castpd256_pd128(self.0);
                let hi = _mm256_extractf128_pd::<1>(self.0);
                let s = _mm_add_pd(lo, hi);
                _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)))
            }
        }
        #[inline(always)]
        fn prefetch(p: *const f64) {
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p as *const i8) }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot_rows_f32(x: &[f32], w: &[f32], ld: usize, y: &mut [f32]) {
        super::dot_rows_generic::<f32, F32x8>(x, w, ld, y)
    }
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot_rows_f64(x: &[f64], w: &[f64], ld: usize, y: &mut [f64]) {
        super::dot_rows_generic::<f64, F64x4>(x, w, ld, y)
    }
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy_cols_f32(x: &[f32], w: &[f32], ld: usize, j0: usize, y: &mut [f32]) {
        super::axpy_cols_generic::<f32, F32x8>(x, w, ld, j0, y)
    }
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy_cols_f64(x: &[f64], w: &[f64], ld: usize, j0: usize, y: &mut [f64]) {
        super::axpy_cols_generic::<f64, F64x4>(x, w, ld, j0, y)
    }
}

macro_rules! elem_impl {
    ($t:ty, $dot:ident, $axpy:ident) => {
        impl Elem for $t {
            const ZERO: Self = 0.0;
            #[inline(always)]
            fn mul_add(self, b: Self, c: Self) -> Self {
                <$t>::mul_add(self, b, c)
            }
            fn dot_rows(x: &[Self], w: &[Self], ld: usize, y: &mut [Self]) {
                #[cfg(target_arch = "x86_64")]
                if crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU has AVX2 and FMA (checked above).
                    return unsafe { avx2::$dot(x, w, ld, y) };
                }
                dot_rows_generic::<$t, $t>(x, w, ld, y)
            }
            fn axpy_cols(x: &[Self], w: &[Self], ld: usize, j0: usize, y: &mut [Self]) {
                #[cfg(target_arch = "x86_64")]
                if crate::simd::has_avx2_fma() {
                    // SAFETY: the CPU has AVX2 and FMA (checked above).
                    return unsafe { avx2::$axpy(x, w, ld, j0, y) };
                }
                axpy_cols_generic::<$t, $t>(x, w, ld, j0, y)
            }
        }
    };
}
elem_impl!(f32, dot_rows_f32, axpy_cols_f32);
elem_impl!(f64, dot_rows_f64, axpy_cols_f64);

/// Offset (elements) added to the dot form's prefetch position in the next
/// group's rows (0: the same column the current rows are at).
const PREFETCH_AHEAD: usize = 0;

/// Dot of `x[..k]` with `R` rows `w[r·ld..r·ld + k]`, two vector
/// accumulators per row, then the scalar tail in order. The per-row
/// arithmetic is the same for every `R`, so grouping never changes bits.
#[inline(always)]
fn dot_group<T: Elem, V: Lanes<T>, const R: usize>(x: &[T], w: &[T], ld: usize, out: &mut [T]) {
    let k = x.len();
    let wv = V::W;
    // Every row r < R reads w[r·ld .. r·ld + k]; the caller sized `w` for it.
    assert!(R == 0 || w.len() >= (R - 1) * ld + k);
    let (xp, wp) = (x.as_ptr(), w.as_ptr());
    let mut acc = [[V::zero(); 2]; R];
    let mut p = 0;
    // SAFETY (loads): p + 2·wv <= k, and row r's elements r·ld + p.. are in
    // bounds by the assert above.
    while p + 2 * wv <= k {
        let x0 = unsafe { V::load(xp.add(p)) };
        let x1 = unsafe { V::load(xp.add(p + wv)) };
        for r in 0..R {
            // The same position in the next group's rows: rows are streamed
            // one after another, and each starts a new page the hardware
            // prefetcher has not seen yet.
            V::prefetch(wp.wrapping_add((R + r) * ld + p + PREFETCH_AHEAD));
        }
        for (r, a) in acc.iter_mut().enumerate() {
            let row = unsafe { wp.add(r * ld + p) };
            a[0] = unsafe { V::load(row) }.fma(x0, a[0]);
            a[1] = unsafe { V::load(row.add(wv)) }.fma(x1, a[1]);
        }
        p += 2 * wv;
    }
    if p + wv <= k {
        let x0 = unsafe { V::load(xp.add(p)) };
        for (r, a) in acc.iter_mut().enumerate() {
            a[0] = unsafe { V::load(wp.add(r * ld + p)) }.fma(x0, a[0]);
        }
        p += wv;
    }
    for (r, a) in acc.iter().enumerate() {
        let mut s = a[0].add(a[1]).hsum();
        let row = &w[r * ld..r * ld + k];
        for q in p..k {
            s = x[q].mul_add(row[q], s);
        }
        out[r] = s;
    }
}

/// `y[j] = Σ_p x[p]·w[j·ld + p]` for `j < y.len()`.
#[inline(always)]
fn dot_rows_generic<T: Elem, V: Lanes<T>>(x: &[T], w: &[T], ld: usize, y: &mut [T]) {
    let n = y.len();
    let mut j = 0;
    while j + 4 <= n {
        dot_group::<T, V, 4>(x, &w[j * ld..], ld, &mut y[j..j + 4]);
        j += 4;
    }
    while j < n {
        dot_group::<T, V, 1>(x, &w[j * ld..], ld, &mut y[j..j + 1]);
        j += 1;
    }
}

/// One pass of `R` rows (`p0..p0+R`) over `y`: `y[c] += Σ_r x[p0+r]·row_r[c]`,
/// each output accumulated in row order with FMAs. `R` is a constant so the
/// row loop unrolls and the row pointers and broadcasts stay in registers.
#[inline(always)]
fn axpy_pass<T: Elem, V: Lanes<T>, const R: usize>(
    x: &[T],
    w: &[T],
    ld: usize,
    j0: usize,
    p0: usize,
    y: &mut [T],
) {
    let n = y.len();
    let wv = V::W;
    // Rows p0..p0+R each read w[p·ld + j0 .. p·ld + j0 + n].
    assert!(R > 0 && w.len() >= (p0 + R - 1) * ld + j0 + n && x.len() >= p0 + R);
    let mut xs = [V::zero(); R];
    let mut rp = [w.as_ptr(); R];
    for r in 0..R {
        xs[r] = V::splat(x[p0 + r]);
        // SAFETY: in bounds by the assert above.
        rp[r] = unsafe { w.as_ptr().add((p0 + r) * ld + j0) };
    }
    let yp = y.as_mut_ptr();
    let mut c = 0;
    // SAFETY (loads/stores): c + wv <= n; every row pointer covers n elements.
    while c + wv <= n {
        let mut acc = unsafe { V::load(yp.add(c)) };
        for r in 0..R {
            acc = unsafe { V::load(rp[r].add(c)) }.fma(xs[r], acc);
        }
        unsafe { acc.store(yp.add(c)) };
        c += wv;
    }
    for cc in c..n {
        let mut acc = y[cc];
        for r in 0..R {
            acc = x[p0 + r].mul_add(w[(p0 + r) * ld + j0 + cc], acc);
        }
        y[cc] = acc;
    }
}

/// `y[c] = Σ_p x[p]·w[p·ld + j0 + c]` for `c < y.len()`: passes of eight
/// rows over `y` (then single rows); each output is accumulated in `p`
/// order with FMAs whatever the grouping.
#[inline(always)]
fn axpy_cols_generic<T: Elem, V: Lanes<T>>(x: &[T], w: &[T], ld: usize, j0: usize, y: &mut [T]) {
    y.fill(T::ZERO);
    if y.is_empty() {
        return;
    }
    let k = x.len();
    let mut p = 0;
    while p + 8 <= k {
        axpy_pass::<T, V, 8>(x, w, ld, j0, p, y);
        p += 8;
    }
    while p < k {
        axpy_pass::<T, V, 1>(x, w, ld, j0, p, y);
        p += 1;
    }
}

/// Matrix elements from which a GEMV is split over the rayon pool. Waking
/// the pool costs more than it saves below ~2 MiB of f32 weights: 256×1024
/// (`lstm_loop`'s weights) took 22.6 µs on one thread against 27–34 µs on
/// two; 512×1024 is even (`examples`-style probe, 2 cores, 2026-11-27).
const PARALLEL_MIN_ELEMS: usize = 1 << 19;
/// Matrix elements from which a dot-form GEMV smaller than that is split in
/// two with [`crate::parallel::hot::pair`] instead (64K floats, 256 KiB:
/// ~3 µs of work per half against ~0.1 µs to hand one to a spinning thread).
const HOT_MIN_ELEMS: usize = 1 << 16;

/// `y[j] = Σ_p x[p]·w[j·ld + p]`, split over rows when big.
pub(super) fn dot_form<T: Elem>(x: &[T], w: &[T], ld: usize, y: &mut [T], parallel: bool) {
    let (n, k) = (y.len(), x.len());
    let threads = rayon::current_num_threads();
    if !parallel || threads <= 1 || n * k < HOT_MIN_ELEMS || n < 8 {
        return T::dot_rows(x, w, ld, y);
    }
    // Two threads: the hot helper at any size. After a rayon broadcast the
    // pool's workers keep spinning for a while, and on two cores one of
    // them shares the caller's core: the next serial op ran up to 10x
    // slower (`mlp_b1`'s 4096-float `gelu`: 80 µs after the GEMV, 8 µs
    // with one worker).
    if n * k < PARALLEL_MIN_ELEMS || threads == 2 {
        // Two halves of whole groups of four rows, always split the same
        // way (each half of a loop's weights stays in one core's cache).
        let out = SendPtr(y.as_mut_ptr());
        return crate::parallel::halves(n, 4, &|start, end| {
            // SAFETY: the halves are disjoint and inside `y`, which
            // outlives the call.
            let yc = unsafe { std::slice::from_raw_parts_mut(out.get().add(start), end - start) };
            T::dot_rows(x, &w[start * ld..], ld, yc)
        });
    }
    // One block of whole groups of four rows per thread, thread i always
    // taking block i: a matrix used call after call (a loop's weights)
    // stays split the same way, each part in one core's cache.
    let rows = n.div_ceil(threads).next_multiple_of(4);
    let out = SendPtr(y.as_mut_ptr());
    rayon::broadcast(|ctx| {
        let start = (ctx.index() * rows).min(n);
        let len = rows.min(n - start);
        if len == 0 {
            return;
        }
        // SAFETY: blocks `start..start + len` are disjoint per thread index
        // and inside `y`, which outlives the broadcast.
        let yc = unsafe { std::slice::from_raw_parts_mut(out.get().add(start), len) };
        T::dot_rows(x, &w[start * ld..], ld, yc)
    });
}

/// `y[j] = Σ_p x[p]·w[p·ld + j]`, split over column ranges when big.
pub(super) fn axpy_form<T: Elem>(x: &[T], w: &[T], ld: usize, y: &mut [T], parallel: bool) {
    let (n, k) = (y.len(), x.len());
    let threads = rayon::current_num_threads();
    if !parallel || threads <= 1 || n * k < PARALLEL_MIN_ELEMS || n < 128 {
        return T::axpy_cols(x, w, ld, 0, y);
    }
    let cols = n.div_ceil(threads * 2).next_multiple_of(64).max(64);
    y.par_chunks_mut(cols)
        .enumerate()
        .for_each(|(i, yc)| T::axpy_cols(x, w, ld, i * cols, yc));
}
