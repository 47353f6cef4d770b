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
//! in float32 (the mean shifted by the row's first element and kept as a
//! hi + lo pair), the lanes folded in f64.

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

/// Σ f(x[i]) over the row with four vector accumulators (lanes folded in
/// f64), prefetching `next` every 32 elements when `PREFETCH`.
#[inline(always)]
fn row_sum<V: VecF32, const PREFETCH: bool>(x: &[f32], f: impl Fn(V) -> V, g: impl Fn(f32) -> f32, next: *const f32) -> f64 {
    let n = x.len();
    let w = V::LANES;
    let p = x.as_ptr();
    let mut acc = [V::splat(0.0); 4];
    let mut i = 0;
    // SAFETY (all loads): indices stay below n = x.len().
    while i + 4 * w <= n {
        if PREFETCH && V::LANES > 1 {
            for off in (0..4 * w).step_by(32) {
                prefetch_ahead::<V>(next, i + off);
            }
        }
        for (k, a) in acc.iter_mut().enumerate() {
            *a = a.add(f(unsafe { V::load(p.add(i + k * w)) }));
        }
        i += 4 * w;
    }
    while i + w <= n {
        acc[0] = acc[0].add(f(unsafe { V::load(p.add(i)) }));
        i += w;
    }
    let lanes = acc.iter().map(|a| a.reduce_add() as f64).sum::<f64>();
    lanes + x[i..].iter().map(|&v| g(v) as f64).sum::<f64>()
}

/// layer_norm of one row, in float32 SIMD: the mean is the first element
/// plus the mean of the differences from it (summed in float32, so a row
/// far from zero loses no digits to its offset), kept as a hi + lo pair of
/// floats; the biased variance is a second pass over `(x - hi) - lo`; the
/// normalization `((x - hi) - lo) · inv` then `· w` and `+ b`. A row with a
/// NaN or an infinity gives NaN everywhere, as PyTorch's.
#[inline(always)]
fn layer_norm_row<V: VecF32>(
    x: &[f32],
    o: &mut [f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
    next: *const f32,
) {
    let n = x.len();
    let Some(&first) = x.first() else { return };
    let fv = V::splat(first);
    let shifted = row_sum::<V, false>(x, |v| v.sub(fv), |v| v - first, next);
    let mean = first as f64 + shifted / n as f64;
    let hi = mean as f32;
    let lo = (mean - hi as f64) as f32;
    let (hv, lv) = (V::splat(hi), V::splat(lo));
    let dev = |v: V| v.sub(hv).sub(lv);
    let var = row_sum::<V, true>(x, |v| { let d = dev(v); d.mul(d) }, |v| { let d = (v - hi) - lo; d * d }, next) / n as f64;
    let inv = (1.0 / (var + eps as f64).sqrt()) as f32;
    let iv = V::splat(inv);
    let w = V::LANES;
    let (p, q) = (x.as_ptr(), o.as_mut_ptr());
    let zeros = [0.0f32; 0];
    let (wt, bs) = (weight.map(|w| &w[..n]), bias.map(|b| &b[..n]));
    let (wp, bp) = (wt.unwrap_or(&zeros).as_ptr(), bs.unwrap_or(&zeros).as_ptr());
    let mut i = 0;
    // SAFETY (loads/stores): i + w <= n, and x, o, and the weight and
    // bias when present hold n elements.
    while i + w <= n {
        let mut y = dev(unsafe { V::load(p.add(i)) }).mul(iv);
        if wt.is_some() {
            y = y.mul(unsafe { V::load(wp.add(i)) });
        }
        if bs.is_some() {
            y = y.add(unsafe { V::load(bp.add(i)) });
        }
        unsafe { y.store(q.add(i)) };
        i += w;
    }
    for j in i..n {
        let mut y = ((x[j] - hi) - lo) * inv;
        if let Some(w) = wt {
            y *= w[j];
        }
        if let Some(b) = bs {
            y += b[j];
        }
        o[j] = y;
    }
}

#[cfg(test)]
mod tests;
