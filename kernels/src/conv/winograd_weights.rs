//! Winograd F(2×2, 3×3) weights, `U = G·g·Gᵀ` packed as GEMM row panels,
//! with a small cache across calls: a model's conv weights are the same
//! tensors every call, and transforming and packing a 128→128 conv's took
//! a fifth of the convolution (0.33 of 1.8 ms, on one thread).
//!
//! An entry is found by the weights' address and shape and used only when
//! it holds a bitwise copy of the weights it was made from (one
//! `memcmp`), so weights changed in place, or freed and another
//! tensor allocated there, are transformed afresh. The least recently used
//! entries go beyond [`CACHE_BYTES`].

use crate::gemm::{MatRef, PackedA};
use std::sync::{Arc, Mutex};

/// Most bytes of weights and transforms the cache keeps.
const CACHE_BYTES: usize = 64 << 20;

/// The 16 matrices `U_ξ[co][ci] = (G·g·Gᵀ)_ξ` of a `[c_out, c_in, 3, 3]`
/// weight, packed; `None` without AVX2+FMA.
pub(super) type Transformed = Arc<Vec<PackedA>>;

struct Entry {
    addr: usize,
    c_in: usize,
    c_out: usize,
    weights: Vec<f32>,
    u: Transformed,
}

impl Entry {
    fn bytes(&self) -> usize {
        // The copy plus 16 packed matrices.
        4 * (self.weights.len() + 16 * self.c_in * self.c_out)
    }
}

/// Most recently used first.
static CACHE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The transformed weights of `weight` (`[c_out, c_in, 3, 3]`, at least
/// that long), from the cache when it holds these exact weights.
pub(super) fn transformed(c_in: usize, c_out: usize, weight: &[f32]) -> Option<Transformed> {
    let w = &weight[..c_out * c_in * 9];
    let addr = w.as_ptr() as usize;
    let same = |e: &Entry| {
        e.addr == addr && (e.c_in, e.c_out) == (c_in, c_out) && bits(&e.weights) == bits(w)
    };
    {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(same) {
            let e = cache.remove(i);
            let u = e.u.clone();
            cache.insert(0, e);
            return Some(u);
        }
    }
    let u = Arc::new(transform(c_in, c_out, w)?);
    let entry = Entry {
        addr,
        c_in,
        c_out,
        weights: w.to_vec(),
        u: u.clone(),
    };
    if entry.bytes() <= CACHE_BYTES {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|e| e.addr != addr);
        cache.insert(0, entry);
        let mut total = 0;
        cache.retain(|e| {
            total += e.bytes();
            total <= CACHE_BYTES
        });
    }
    Some(u)
}

/// The floats' bit patterns, so that slices compare as one `memcmp`
/// (`perf` of the CNN workload: an element-wise `to_bits` compare took
/// 1.05% of the samples, on one core while the other waited; `memcmp`
/// takes 0.20%).
fn bits(v: &[f32]) -> &[u32] {
    // SAFETY: f32 and u32 have the same size and alignment, and every
    // bit pattern is a valid u32.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u32>(), v.len()) }
}

/// Computes and packs `U` (in f64, rounded once per value).
fn transform(c_in: usize, c_out: usize, w: &[f32]) -> Option<Vec<PackedA>> {
    // u[(co·c_in + ci)·16 + ξ]: one channel pair's 16 values together.
    let mut u = vec![0.0f32; 16 * c_out * c_in];
    // One row or column of G·g: [g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2].
    let g3 = |a: f64, b: f64, c: f64| [a, (a + b + c) / 2.0, (a - b + c) / 2.0, c];
    for (g, up) in w.chunks_exact(9).zip(u.chunks_exact_mut(16)) {
        let cols: [[f64; 4]; 3] =
            std::array::from_fn(|kx| g3(g[kx] as f64, g[3 + kx] as f64, g[6 + kx] as f64));
        for (i, ui) in up.chunks_exact_mut(4).enumerate() {
            let row = g3(cols[0][i], cols[1][i], cols[2][i]);
            for (dst, v) in ui.iter_mut().zip(row) {
                *dst = v as f32;
            }
        }
    }
    (0..16)
        .map(|xi| {
            let a = MatRef {
                data: &u[..],
                offset: xi,
                rs: c_in * 16,
                cs: 16,
            };
            PackedA::new(c_out, c_in, a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_changed_in_place_are_transformed_again() {
        let mut w: Vec<f32> = (0..16 * 16 * 9).map(|i| (i % 7) as f32 - 3.0).collect();
        let a = transformed(16, 16, &w).unwrap();
        let b = transformed(16, 16, &w).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the same weights should hit the cache");
        w[100] += 1.0;
        let c = transformed(16, 16, &w).unwrap();
        assert!(!Arc::ptr_eq(&a, &c), "changed weights must not hit");
        // A different shape over the same address is another entry.
        let d = transformed(16, 8, &w).unwrap();
        assert_eq!(d[0].m(), 8);
    }
}
