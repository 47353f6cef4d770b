//! Elementwise binary ops and sums on contiguous slices.
//!
//! The loops are plain Rust that LLVM vectorizes; each is compiled twice
//! (baseline x86-64 and AVX2+FMA, picked at run time) and split over the
//! rayon pool for big inputs. Results do not depend on the path or on the
//! thread count: elementwise ops are exact IEEE operations, and the sums use
//! fixed block boundaries combined in a fixed order.

use crate::parallel;
use rayon::prelude::*;

/// Elementwise binary operations. `Max`/`Min` follow `torch.maximum` /
/// `torch.minimum`: NaN in either input gives NaN; on ties (including
/// `-0` vs `+0`) the left operand is returned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
}

trait Op {
    fn f(a: f32, b: f32) -> f32;
}

macro_rules! ops {
    ($($name:ident => |$a:ident, $b:ident| $e:expr),* $(,)?) => {$(
        struct $name;
        impl Op for $name {
            #[inline(always)]
            fn f($a: f32, $b: f32) -> f32 {
                $e
            }
        }
    )*};
}

ops! {
    AddOp => |a, b| a + b,
    SubOp => |a, b| a - b,
    MulOp => |a, b| a * b,
    DivOp => |a, b| a / b,
    MaxOp => |a, b| {
        let r = if a < b { b } else { a };
        if b.is_nan() { b } else { r }
    },
    MinOp => |a, b| {
        let r = if b < a { b } else { a };
        if b.is_nan() { b } else { r }
    },
}

macro_rules! with_op {
    ($op:expr, $go:ident, $($arg:expr),*) => {
        match $op {
            Binary::Add => $go::<AddOp>($($arg),*),
            Binary::Sub => $go::<SubOp>($($arg),*),
            Binary::Mul => $go::<MulOp>($($arg),*),
            Binary::Div => $go::<DivOp>($($arg),*),
            Binary::Max => $go::<MaxOp>($($arg),*),
            Binary::Min => $go::<MinOp>($($arg),*),
        }
    };
}

/// `out[i] = op(a[i], b[i])`. The three slices have equal length (only the
/// common prefix is written otherwise).
pub fn binary_f32(op: Binary, a: &[f32], b: &[f32], out: &mut [f32]) {
    debug_assert!(a.len() == out.len() && b.len() == out.len());
    let n = out.len().min(a.len()).min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    parallel::map_chunks_mut(&mut out[..n], 1, |s, o| {
        let e = s + o.len();
        with_op!(op, zip_dispatch, &a[s..e], &b[s..e], o)
    });
}

/// `out[i] = op(a[i], s)`.
pub fn binary_scalar_f32(op: Binary, a: &[f32], s: f32, out: &mut [f32]) {
    debug_assert_eq!(a.len(), out.len());
    let n = out.len().min(a.len());
    let a = &a[..n];
    parallel::map_chunks_mut(&mut out[..n], 1, |st, o| {
        with_op!(op, scalar_dispatch, &a[st..st + o.len()], s, o)
    });
}

#[inline(always)]
fn zip_body<O: Op>(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = O::f(x, y);
    }
}

#[inline(always)]
fn scalar_body<O: Op>(a: &[f32], s: f32, out: &mut [f32]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = O::f(x, s);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn zip_avx2<O: Op>(a: &[f32], b: &[f32], out: &mut [f32]) {
    zip_body::<O>(a, b, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn scalar_avx2<O: Op>(a: &[f32], s: f32, out: &mut [f32]) {
    scalar_body::<O>(a, s, out)
}

fn zip_dispatch<O: Op>(a: &[f32], b: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { zip_avx2::<O>(a, b, out) };
    }
    zip_body::<O>(a, b, out)
}

fn scalar_dispatch<O: Op>(a: &[f32], s: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { scalar_avx2::<O>(a, s, out) };
    }
    scalar_body::<O>(a, s, out)
}

/// Elements per block: summed with independent lane accumulators, then the
/// block sums are combined in f64 in order (so each f32 accumulator chain is
/// only `BLOCK / LANES` = 32 additions long).
const BLOCK_F32: usize = 2048;
const LANES_F32: usize = 64;
const BLOCK_F64: usize = 1024;
const LANES_F64: usize = 32;
/// Blocks per parallel task (fixed, so the result is independent of the
/// number of threads).
const BLOCKS_PER_TASK: usize = 64;

#[inline(always)]
fn block_sum_f32(x: &[f32]) -> f64 {
    let mut acc = [0.0f32; LANES_F32];
    let mut chunks = x.chunks_exact(LANES_F32);
    for c in &mut chunks {
        for i in 0..LANES_F32 {
            acc[i] += c[i];
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += v;
    }
    // Pairwise fold of the lanes in f64.
    let mut w = [0.0f64; LANES_F32];
    for i in 0..LANES_F32 {
        w[i] = acc[i] as f64;
    }
    let mut width = LANES_F32;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            w[i] += w[i + width];
        }
    }
    w[0]
}

#[inline(always)]
fn block_sum_f64(x: &[f64]) -> f64 {
    let mut acc = [0.0f64; LANES_F64];
    let mut chunks = x.chunks_exact(LANES_F64);
    for c in &mut chunks {
        for i in 0..LANES_F64 {
            acc[i] += c[i];
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += v;
    }
    let mut width = LANES_F64;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] += acc[i + width];
        }
    }
    acc[0]
}

/// Neumaier-compensated running sum (of block sums, in order).
#[derive(Default)]
struct Compensated {
    s: f64,
    c: f64,
}

impl Compensated {
    #[inline(always)]
    fn add(&mut self, v: f64) {
        let t = self.s + v;
        self.c += if self.s.abs() >= v.abs() {
            (self.s - t) + v
        } else {
            (v - t) + self.s
        };
        self.s = t;
    }
    fn total(&self) -> f64 {
        self.s + self.c
    }
}

// Explicit loops (no iterator adapters) so everything inlines into the
// AVX2 instantiations below.
#[inline(always)]
fn sum_f32_body(x: &[f32]) -> f64 {
    let mut acc = Compensated::default();
    for blk in x.chunks(BLOCK_F32) {
        acc.add(block_sum_f32(blk));
    }
    acc.total()
}

#[inline(always)]
fn sum_f64_body(x: &[f64]) -> f64 {
    let mut acc = Compensated::default();
    for blk in x.chunks(BLOCK_F64) {
        acc.add(block_sum_f64(blk));
    }
    acc.total()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sum_f32_avx2(x: &[f32]) -> f64 {
    sum_f32_body(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sum_f64_avx2(x: &[f64]) -> f64 {
    sum_f64_body(x)
}

fn sum_f32_seq(x: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { sum_f32_avx2(x) };
    }
    sum_f32_body(x)
}

fn sum_f64_seq(x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { sum_f64_avx2(x) };
    }
    sum_f64_body(x)
}

/// Sum of an f32 slice, accumulated as 64 f32 lanes over 2048-element
/// blocks whose sums are added in f64 (compensated): the error is about
/// 32·2^-24·Σ|x| in the worst case and far smaller typically. The result is
/// rounded once to f32 and does not depend on the thread count.
pub fn sum_f32(x: &[f32]) -> f32 {
    sum_f32_as_f64(x) as f32
}

/// [`sum_f32`] before its final rounding (for callers that divide by n for a
/// mean, say).
pub fn sum_f32_as_f64(x: &[f32]) -> f64 {
    let task = BLOCK_F32 * BLOCKS_PER_TASK;
    if x.len() < 2 * task || rayon::current_num_threads() <= 1 {
        return sum_f32_seq(x);
    }
    let parts: Vec<f64> = x.par_chunks(task).map(sum_f32_seq).collect();
    let mut acc = Compensated::default();
    parts.iter().for_each(|&v| acc.add(v));
    acc.total()
}

/// Sum of an f64 slice: 32 lanes over 1024-element blocks, block sums added
/// with compensation; independent of the thread count.
pub fn sum_f64(x: &[f64]) -> f64 {
    let task = BLOCK_F64 * BLOCKS_PER_TASK;
    if x.len() < 2 * task || rayon::current_num_threads() <= 1 {
        return sum_f64_seq(x);
    }
    let parts: Vec<f64> = x.par_chunks(task).map(sum_f64_seq).collect();
    let mut acc = Compensated::default();
    parts.iter().for_each(|&v| acc.add(v));
    acc.total()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 8.0 - 4.0
            })
            .collect()
    }

    #[test]
    fn binary_ops_match_scalar_definition() {
        for n in [0usize, 1, 3, 7, 8, 17, 33, 65, 1000, 100_003] {
            let mut a = inputs(n, 1);
            let b = inputs(n, 2);
            if n > 3 {
                a[1] = f32::NAN;
                a[2] = -0.0;
                a[3] = 0.0;
            }
            let mut bb = b.clone();
            if n > 3 {
                bb[0] = f32::NAN;
                bb[2] = 0.0;
                bb[3] = -0.0;
            }
            for op in [
                Binary::Add,
                Binary::Sub,
                Binary::Mul,
                Binary::Div,
                Binary::Max,
                Binary::Min,
            ] {
                let want = |x: f32, y: f32| match op {
                    Binary::Add => x + y,
                    Binary::Sub => x - y,
                    Binary::Mul => x * y,
                    Binary::Div => x / y,
                    Binary::Max if x.is_nan() || y.is_nan() => f32::NAN,
                    Binary::Min if x.is_nan() || y.is_nan() => f32::NAN,
                    Binary::Max => {
                        if y > x {
                            y
                        } else {
                            x
                        }
                    }
                    Binary::Min => {
                        if y < x {
                            y
                        } else {
                            x
                        }
                    }
                };
                let mut out = vec![1.0f32; n];
                binary_f32(op, &a, &bb, &mut out);
                for i in 0..n {
                    let w = want(a[i], bb[i]);
                    assert!(
                        out[i].to_bits() == w.to_bits() || (w.is_nan() && out[i].is_nan()),
                        "{op:?} {} {}",
                        a[i],
                        bb[i]
                    );
                }
                binary_scalar_f32(op, &a, 0.5, &mut out);
                for i in 0..n {
                    let w = want(a[i], 0.5);
                    assert!(out[i].to_bits() == w.to_bits() || (w.is_nan() && out[i].is_nan()));
                }
            }
        }
        // PyTorch: maximum(-0., 0.) = -0., maximum(0., -0.) = 0.
        let mut o = [0.0f32; 2];
        binary_f32(Binary::Max, &[-0.0, 0.0], &[0.0, -0.0], &mut o);
        assert_eq!((o[0].to_bits(), o[1].to_bits()), ((-0.0f32).to_bits(), 0));
    }

    #[test]
    fn sums_are_accurate_and_thread_independent() {
        for n in [0usize, 1, 5, 63, 64, 65, 2047, 2049, 300_001, 1 << 20] {
            let x = inputs(n, 7);
            let exact: f64 = x.iter().map(|&v| v as f64).sum();
            let abs: f64 = x.iter().map(|&v| (v as f64).abs()).sum();
            let got = sum_f32(&x);
            assert!(
                (got as f64 - exact).abs() <= 1e-7 * abs + 1e-30,
                "n={n}: {got} vs {exact}"
            );
            let single = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map(|p| p.install(|| sum_f32(&x)));
            if let Ok(s) = single {
                assert_eq!(s.to_bits(), got.to_bits());
            }
            let xd: Vec<f64> = x.iter().map(|&v| v as f64 * 1.000001).collect();
            let exact_d: f64 = xd.iter().sum();
            let got_d = sum_f64(&xd);
            assert!(
                (got_d - exact_d).abs() <= 1e-13 * abs.max(1.0),
                "n={n}: {got_d} vs {exact_d}"
            );
        }
        // Cancellation: large terms that sum to a small value.
        let x = [1e8f32, 1.0, -1e8, 1.0];
        assert_eq!(sum_f32(&x), 2.0);
        assert_eq!(sum_f64(&[1e17, 1.0, -1e17, 1.0]), 2.0);
    }
}
