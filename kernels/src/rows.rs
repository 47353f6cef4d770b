//! Row-wise fused kernels over a contiguous `[rows, cols]` buffer: softmax,
//! log_softmax and layer_norm read each row once from memory (later passes
//! hit L1/L2) and write it once. Vectorized with the crate's SIMD layer
//! (AVX2 when present) and split over the rayon pool by whole rows.
//!
//! Semantics follow PyTorch: a row whose maximum is -inf (all -inf) or +inf
//! gives NaN everywhere (exp(-inf - -inf) = NaN), NaN anywhere in a row makes
//! the whole row NaN. Accuracy: exp is the crate's ≤ 1.5-ulp exp, sums are
//! f32 over 4×LANES accumulators, softmax multiplies by the reciprocal of the
//! sum (as PyTorch does); layer_norm's mean and biased variance are two-pass
//! in f64 and the normalization is done in f64 before rounding.

use crate::parallel;
use crate::simd::VecF32;
use crate::unary::approx;

/// Numerically stable softmax of each row. `x` and `out` hold the same
/// whole number of rows.
pub fn softmax_rows_f32(x: &[f32], out: &mut [f32], cols: usize) {
    run_rows(x, out, cols, 3, Kind::Softmax);
}

/// log_softmax of each row: `(x - max) - ln Σ exp(x - max)`.
pub fn log_softmax_rows_f32(x: &[f32], out: &mut [f32], cols: usize) {
    run_rows(x, out, cols, 3, Kind::LogSoftmax);
}

/// layer_norm of each row: (x - mean) / sqrt(var + eps) · weight + bias,
/// with the biased variance.
pub fn layer_norm_rows_f32(
    x: &[f32],
    out: &mut [f32],
    cols: usize,
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
) {
    check_params(cols, weight, bias);
    run_rows(x, out, cols, 4, Kind::LayerNorm { weight, bias, eps });
}

/// Panics unless `weight` and `bias` (when given) cover a row of `cols`.
fn check_params(cols: usize, weight: Option<&[f32]>, bias: Option<&[f32]>) {
    for (name, p) in [("weight", weight), ("bias", bias)] {
        if let Some(p) = p {
            assert!(
                p.len() >= cols,
                "layer_norm: {name} has {} < {cols} elements",
                p.len()
            );
        }
    }
}

/// `softmax(layer_norm(row))` of each row, the normalized row kept in a
/// scratch row (in L1) between the two: the same bits as
/// [`layer_norm_rows_f32`] then [`softmax_rows_f32`], with `x` read from
/// memory once and `out` written once.
pub fn layer_norm_softmax_rows_f32(
    x: &[f32],
    out: &mut [f32],
    cols: usize,
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
) {
    check_params(cols, weight, bias);
    run_rows(x, out, cols, 7, Kind::LayerNormSoftmax { weight, bias, eps });
}

#[derive(Copy, Clone)]
enum Kind<'a> {
    Softmax,
    LogSoftmax,
    LayerNorm {
        weight: Option<&'a [f32]>,
        bias: Option<&'a [f32]>,
        eps: f32,
    },
    LayerNormSoftmax {
        weight: Option<&'a [f32]>,
        bias: Option<&'a [f32]>,
        eps: f32,
    },
}

fn run_rows(x: &[f32], out: &mut [f32], cols: usize, cost: usize, kind: Kind) {
    if cols == 0 {
        return;
    }
    debug_assert_eq!(x.len(), out.len());
    let rows = x.len().min(out.len()) / cols;
    let n = rows * cols;
    let x = &x[..n];
    parallel::map_rows_mut(&mut out[..n], cols, cost, |r0, o| {
        let xs = &x[r0 * cols..r0 * cols + o.len()];
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx512f() && crate::simd::has_avx2_fma() {
            // SAFETY: the CPU has AVX-512F (checked above).
            unsafe { rows_avx512(xs, o, cols, kind) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if crate::simd::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            unsafe { rows_avx2(xs, o, cols, kind) };
            return;
        }
        rows_generic::<f32>(xs, o, cols, kind);
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn rows_avx512(x: &[f32], out: &mut [f32], cols: usize, kind: Kind) {
    rows_generic::<crate::simd::F32x16>(x, out, cols, kind)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2(x: &[f32], out: &mut [f32], cols: usize, kind: Kind) {
    rows_generic::<crate::simd::F32x8>(x, out, cols, kind)
}

#[inline(always)]
fn rows_generic<V: VecF32>(x: &[f32], out: &mut [f32], cols: usize, kind: Kind) {
    let mut scratch = match kind {
        Kind::LayerNormSoftmax { .. } => vec![0.0; cols],
        _ => Vec::new(),
    };
    for (r, o) in x.chunks_exact(cols).zip(out.chunks_exact_mut(cols)) {
        // The next row (possibly past this chunk: prefetching never faults)
        // is prefetched while this one is computed in cache, so memory and
        // arithmetic overlap instead of alternating.
        let next = r.as_ptr().wrapping_add(cols);
        match kind {
            Kind::Softmax => softmax_row::<V>(r, o, next),
            Kind::LogSoftmax => log_softmax_row::<V>(r, o, next),
            Kind::LayerNorm { weight, bias, eps } => {
                layer_norm_row::<V>(r, o, weight, bias, eps, next)
            }
            Kind::LayerNormSoftmax { weight, bias, eps } => {
                layer_norm_row::<V>(r, &mut scratch, weight, bias, eps, next);
                softmax_row::<V>(&scratch, o, next);
            }
        }
    }
}

/// Prefetches the cache lines of `next[i..i + 32]` (128 bytes).
#[inline(always)]
fn prefetch_ahead<V: VecF32>(next: *const f32, i: usize) {
    V::prefetch(next.wrapping_add(i));
    V::prefetch(next.wrapping_add(i + 16));
}

/// Row maximum (4 vector accumulators).
#[inline(always)]
fn row_max<V: VecF32>(x: &[f32]) -> f32 {
    let n = x.len();
    let w = V::LANES;
    let p = x.as_ptr();
    let mut acc = [V::splat(f32::NEG_INFINITY); 4];
    let mut i = 0;
    // SAFETY (all loads): indices stay below n = x.len().
    while i + 4 * w <= n {
        for (k, a) in acc.iter_mut().enumerate() {
            *a = a.max_fast(unsafe { V::load(p.add(i + k * w)) });
        }
        i += 4 * w;
    }
    while i + w <= n {
        acc[0] = acc[0].max_fast(unsafe { V::load(p.add(i)) });
        i += w;
    }
    let mut m = acc[0]
        .max_fast(acc[1])
        .max_fast(acc[2].max_fast(acc[3]))
        .reduce_max();
    for &v in &x[i..] {
        // NaN-propagating: a NaN element makes the row NaN anyway.
        m = if v > m || v.is_nan() { v } else { m };
    }
    m
}

/// Σ exp(x - m), optionally storing each exp into `o`.
#[inline(always)]
fn exp_sum<V: VecF32, const STORE: bool>(
    x: &[f32],
    o: &mut [f32],
    m: f32,
    next: *const f32,
) -> f32 {
    let n = x.len();
    let w = V::LANES;
    let (p, q) = (x.as_ptr(), o.as_mut_ptr());
    let mv = V::splat(m);
    let mut acc = [V::splat(0.0); 4];
    let mut i = 0;
    // SAFETY (loads/stores): indices stay below n; `o` has n elements.
    while i + 4 * w <= n {
        if w == 8 {
            prefetch_ahead::<V>(next, i);
        }
        for (k, a) in acc.iter_mut().enumerate() {
            let e = approx::exp(unsafe { V::load(p.add(i + k * w)) }.sub(mv));
            if STORE {
                unsafe { e.store(q.add(i + k * w)) };
            }
            *a = a.add(e);
        }
        i += 4 * w;
    }
    while i + w <= n {
        let e = approx::exp(unsafe { V::load(p.add(i)) }.sub(mv));
        if STORE {
            unsafe { e.store(q.add(i)) };
        }
        acc[0] = acc[0].add(e);
        i += w;
    }
    let mut s = acc[0].add(acc[1]).add(acc[2].add(acc[3])).reduce_add();
    for j in i..n {
        let e = approx::exp(x[j] - m);
        if STORE {
            o[j] = e;
        }
        s += e;
    }
    s
}

#[inline(always)]
fn softmax_row<V: VecF32>(x: &[f32], o: &mut [f32], next: *const f32) {
    let m = row_max::<V>(x);
    let s = exp_sum::<V, true>(x, o, m, next);
    let inv = 1.0 / s;
    let iv = V::splat(inv);
    let n = o.len();
    let w = V::LANES;
    let q = o.as_mut_ptr();
    let mut i = 0;
    while i + w <= n {
        // SAFETY: i + w <= n = o.len().
        unsafe { V::load(q.add(i)).mul(iv).store(q.add(i)) };
        i += w;
    }
    for v in &mut o[i..] {
        *v *= inv;
    }
}

#[inline(always)]
fn log_softmax_row<V: VecF32>(x: &[f32], o: &mut [f32], next: *const f32) {
    let m = row_max::<V>(x);
    let s = exp_sum::<V, false>(x, o, m, next);
    let l = s.ln();
    let (mv, lv) = (V::splat(m), V::splat(l));
    let n = x.len();
    let w = V::LANES;
    let (p, q) = (x.as_ptr(), o.as_mut_ptr());
    let mut i = 0;
    while i + w <= n {
        // SAFETY: i + w <= n, both slices have n elements.
        unsafe { V::load(p.add(i)).sub(mv).sub(lv).store(q.add(i)) };
        i += w;
    }
    for j in i..n {
        o[j] = (x[j] - m) - l;
    }
}

#[inline(always)]
fn layer_norm_row<V: VecF32>(
    x: &[f32],
    o: &mut [f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
    next: *const f32,
) {
    const L: usize = 8;
    let n = x.len();
    let mut acc = [0.0f64; L];
    let mut chunks = x.chunks_exact(L);
    for c in &mut chunks {
        for k in 0..L {
            acc[k] += c[k] as f64;
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|&v| v as f64).sum();
    let mean = (acc.iter().sum::<f64>() + tail) / n as f64;
    let mut acc = [0.0f64; L];
    let mut chunks = x.chunks_exact(L);
    for (j, c) in (&mut chunks).enumerate() {
        if V::LANES > 1 && j % 4 == 0 {
            prefetch_ahead::<V>(next, j * L);
        }
        for k in 0..L {
            let d = c[k] as f64 - mean;
            acc[k] += d * d;
        }
    }
    let tail: f64 = chunks
        .remainder()
        .iter()
        .map(|&v| (v as f64 - mean) * (v as f64 - mean))
        .sum();
    let var = (acc.iter().sum::<f64>() + tail) / n as f64;
    let inv = 1.0 / (var + eps as f64).sqrt();
    let norm = |v: f32| ((v as f64 - mean) * inv) as f32;
    match (weight, bias) {
        (Some(w), Some(b)) => {
            for (((oi, &v), &wi), &bi) in o.iter_mut().zip(x).zip(&w[..n]).zip(&b[..n]) {
                *oi = norm(v) * wi + bi;
            }
        }
        (Some(w), None) => {
            for ((oi, &v), &wi) in o.iter_mut().zip(x).zip(&w[..n]) {
                *oi = norm(v) * wi;
            }
        }
        (None, Some(b)) => {
            for ((oi, &v), &bi) in o.iter_mut().zip(x).zip(&b[..n]) {
                *oi = norm(v) + bi;
            }
        }
        (None, None) => {
            for (oi, &v) in o.iter_mut().zip(x) {
                *oi = norm(v);
            }
        }
    }
}

#[cfg(test)]
mod tests;
