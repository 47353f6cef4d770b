//! Matrix products on strided operands.
//!
//! `C[m×n] = beta·C + alpha·A[m×k]·B[k×n]` where A and B are described by a
//! slice, an offset and row/column strides in elements (so transposed and
//! sliced views need no copy) and C is contiguous row-major.

/// A strided matrix operand.
#[derive(Copy, Clone, Debug)]
pub struct MatRef<'a, T> {
    pub data: &'a [T],
    pub offset: usize,
    /// Stride between rows, in elements.
    pub rs: usize,
    /// Stride between columns, in elements.
    pub cs: usize,
}

/// `c = beta·c + alpha·a·b` in f32. `c` is row-major `m×n`.
/// Callers guarantee every addressed element of `a`/`b` is in bounds.
pub fn gemm_f32(m: usize, n: usize, k: usize, a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32], alpha: f32, beta: f32) {
    naive(m, n, k, a, b, c, alpha, beta)
}

/// `c = beta·c + alpha·a·b` in f64.
pub fn gemm_f64(m: usize, n: usize, k: usize, a: MatRef<f64>, b: MatRef<f64>, c: &mut [f64], alpha: f64, beta: f64) {
    naive(m, n, k, a, b, c, alpha, beta)
}

fn naive<T>(m: usize, n: usize, k: usize, a: MatRef<T>, b: MatRef<T>, c: &mut [T], alpha: T, beta: T)
where
    T: Copy + Default + PartialEq + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::default();
            for p in 0..k {
                acc = acc + a.data[a.offset + i * a.rs + p * a.cs] * b.data[b.offset + p * b.rs + j * b.cs];
            }
            let prev = if beta == T::default() { T::default() } else { beta * c[i * n + j] };
            c[i * n + j] = prev + alpha * acc;
        }
    }
}
