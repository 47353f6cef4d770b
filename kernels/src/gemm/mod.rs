//! Matrix products on strided operands.
//!
//! `C[m×n] = beta·C + alpha·A[m×k]·B[k×n]` where A and B are described by a
//! slice, an offset and row/column strides in elements (so transposed and
//! sliced views need no copy) and C is contiguous row-major.
//!
//! General shapes go to the `gemm` crate (AVX2/AVX-512 microkernels), always
//! with `Parallelism::None`: below 2^20 multiply-adds on the calling thread,
//! above that split here into one block of columns (or rows, whichever
//! dimension is larger) per rayon thread. The crate's own rayon split gave
//! 1024³ the same speed but m = 64 only ~1.1× on two cores; the block split
//! gives ~2× (see `benches/README.md`). Matrix-vector shapes (m = 1, or
//! n = 1) whose matrix operand is contiguous along one dimension use the own
//! bandwidth-bound GEMV (`gemv.rs`). `beta == 0` never reads C (NaN garbage in
//! C is ignored, as in BLAS); k = 0 gives `C = beta·C`.
//!
//! Operand bounds are checked up front in O(1) (the largest addressed
//! element of each operand), with real asserts rather than debug asserts:
//! the check is what makes the unsafe calls into the crate sound for safe
//! callers, and it costs nothing next to a product.

mod gemv;
mod indirect;
mod packed;
#[cfg(test)]
mod tests;

pub use gemv::Elem;
pub use packed::{gemm_packed, gemm_packed_bias, Epilogue, PackedA, PackedB, MR, NR};
pub(crate) use indirect::gemm_indirect;
pub(crate) use packed::{gemm_packed_a, relu};
#[cfg(test)]
pub(crate) use packed::narrow_only;

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

/// Whether a product may use the rayon pool.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Threads {
    /// Parallel once the product is big enough (the default).
    Auto,
    /// Always on the calling thread (for callers that already parallelize
    /// over independent products, e.g. a batch).
    Single,
}

/// A batch-1 `linear` and the `add` of its result to `residual`:
/// `y[j] = (bias[j] + Σ_p x[p]·w[j·k + p]) + residual[j]` for a row-major
/// `[n, k]` weight (`k = x.len()`, `n = y.len()`). For `n, k ≥ 2` these are
/// the bits of the two ops run apart (`gemm_f32` of `x` by `wᵀ` over an
/// output filled with the bias and beta 1, which runs the same
/// matrix-vector product, then the add), with no pass of its own for the
/// add.
pub fn linear_vec_add_f32(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    residual: &[f32],
    y: &mut [f32],
) {
    let (n, k) = (y.len(), x.len());
    assert!(
        w.len() >= n * k && residual.len() >= n && bias.is_none_or(|b| b.len() >= n),
        "linear_vec_add_f32: operands too short"
    );
    gemv::dot_form(x, &w[..n * k], k, y, true);
    match bias {
        Some(b) => y
            .iter_mut()
            .zip(b)
            .zip(residual)
            .for_each(|((v, b), r)| *v = (b + *v) + r),
        None => y.iter_mut().zip(residual).for_each(|(v, r)| *v += r),
    }
}

/// `c = beta·c + alpha·a·b` in f32. `c` is row-major `m×n`.
/// Callers guarantee every addressed element of `a`/`b` is in bounds
/// (checked; out-of-bounds operands panic).
#[allow(clippy::too_many_arguments)]
pub fn gemm_f32(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<f32>,
    b: MatRef<f32>,
    c: &mut [f32],
    alpha: f32,
    beta: f32,
) {
    gemm_with(Threads::Auto, m, n, k, a, b, c, alpha, beta)
}

/// `c = beta·c + alpha·a·b` in f64.
#[allow(clippy::too_many_arguments)]
pub fn gemm_f64(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: &mut [f64],
    alpha: f64,
    beta: f64,
) {
    gemm_with(Threads::Auto, m, n, k, a, b, c, alpha, beta)
}

/// [`gemm_f32`]/[`gemm_f64`] with an explicit threading choice.
#[allow(clippy::too_many_arguments)]
pub fn gemm_with<T: Elem>(
    threads: Threads,
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<T>,
    b: MatRef<T>,
    c: &mut [T],
    alpha: T,
    beta: T,
) {
    assert!(
        m.checked_mul(n).is_some_and(|mn| mn <= c.len()),
        "gemm: c has {} elements, fewer than m·n = {m}·{n}",
        c.len()
    );
    let mn = m * n;
    check_operand("a", &a, m, k);
    check_operand("b", &b, k, n);
    let c = &mut c[..mn];
    if mn == 0 {
        return;
    }
    if k == 0 {
        scale(c, beta);
        return;
    }
    let parallel = threads == Threads::Auto;
    if m == 1
        && try_gemv(
            k,
            Vector {
                data: a.data,
                offset: a.offset,
                stride: a.cs,
            },
            b.offset,
            b.rs,
            b.cs,
            b.data,
            c,
            alpha,
            beta,
            parallel,
        )
    {
        return;
    }
    if n == 1
        && try_gemv(
            k,
            Vector {
                data: b.data,
                offset: b.offset,
                stride: b.rs,
            },
            a.offset,
            a.cs,
            a.rs,
            a.data,
            c,
            alpha,
            beta,
            parallel,
        )
    {
        return;
    }
    let threads = rayon::current_num_threads();
    if !parallel || threads <= 1 || (m * n).saturating_mul(k) < PARALLEL_MIN_MACS {
        return gemm_crate(m, n, k, a, b, c, alpha, beta);
    }
    // Split the larger of m and n into one block per thread and run the
    // gemm crate single-threaded on each: its own rayon split scales poorly
    // for small m (m = 64: 1.1× on 2 threads against ~2× this way).
    let split_cols = n >= m;
    let dim = if split_cols { n } else { m };
    let blocks = threads.min(dim / 32).max(1);
    if blocks == 1 {
        return gemm_crate(m, n, k, a, b, c, alpha, beta);
    }
    let step = dim.div_ceil(blocks).next_multiple_of(16);
    let cp = SendPtr(c.as_mut_ptr());
    rayon::scope(|s| {
        let mut start = 0;
        while start < dim {
            let len = step.min(dim - start);
            s.spawn(move |_| {
                let cp = cp;
                if split_cols {
                    let b = MatRef {
                        offset: b.offset + start * b.cs,
                        ..b
                    };
                    // SAFETY: columns start..start+len of the m×n row-major
                    // c; blocks are disjoint, so no element is shared between
                    // threads, and c outlives the scope.
                    unsafe { gemm_crate_raw(m, len, k, a, b, cp.0.add(start), n, alpha, beta) };
                } else {
                    let a = MatRef {
                        offset: a.offset + start * a.rs,
                        ..a
                    };
                    // SAFETY: rows start..start+len of c, disjoint as above.
                    unsafe { gemm_crate_raw(len, n, k, a, b, cp.0.add(start * n), n, alpha, beta) };
                }
            });
            start += len;
        }
    });
}

/// Single-threaded `c = beta·c + alpha·a·b` into an m×n block of a
/// row-major matrix with row stride `ldc` (the block starts at `c[0]`), for
/// callers that tile an output (e.g. conv over rows of output pixels).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_strided_c(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<f32>,
    b: MatRef<f32>,
    c: &mut [f32],
    ldc: usize,
    alpha: f32,
    beta: f32,
) {
    check_operand("a", &a, m, k);
    check_operand("b", &b, k, n);
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        ldc >= n && c.len() >= (m - 1) * ldc + n,
        "gemm: strided c too short"
    );
    if k == 0 {
        for row in c.chunks_mut(ldc).take(m) {
            scale(&mut row[..n], beta);
        }
        return;
    }
    // SAFETY: a and b were checked; c holds the m×n block with row stride
    // ldc (asserted) and is a unique &mut.
    unsafe { gemm_crate_raw(m, n, k, a, b, c.as_mut_ptr(), ldc, alpha, beta) }
}

pub(crate) use crate::parallel::SendPtr;

/// The gemm crate on the whole (already validated) problem, one thread.
#[allow(clippy::too_many_arguments)]
fn gemm_crate<T: Elem>(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<T>,
    b: MatRef<T>,
    c: &mut [T],
    alpha: T,
    beta: T,
) {
    // SAFETY: c is a unique &mut of m·n elements (row stride n); the operand
    // bounds were checked by the caller (see gemm_crate_raw).
    unsafe { gemm_crate_raw(m, n, k, a, b, c.as_mut_ptr(), n, alpha, beta) }
}

/// # Safety
/// `check_operand` must have accepted `a` (m×k) and `b` (k×n) — for a block,
/// the block lies inside the checked operand; `c..` must address an m×n
/// row-major block with row stride `ldc` that nothing else accesses during
/// the call.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_crate_raw<T: Elem>(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    ldc: usize,
    alpha: T,
    beta: T,
) {
    let st = |dim: usize, s: usize| if dim <= 1 { 1 } else { s as isize };
    // SAFETY: for every i < m, p < k the element a.offset + i·a.rs + p·a.cs
    // lies inside a.data (checked by the caller; strides are unsigned, so
    // the largest address is the checked maximum), likewise b for p < k,
    // j < n. Strides of dimensions > 1 are at most a slice length, hence
    // ≤ isize::MAX; singleton dimensions get stride 1 and are never stepped.
    // c is exclusive to this call (caller's contract), so it cannot overlap
    // a or b (shared borrows). The gemm crate computes
    // dst = alpha·dst + beta·lhs·rhs (reversed naming) and reads dst only
    // when read_dst is true, which we pass only for beta != 0.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            1,
            st(m, ldc),
            beta != T::ZERO,
            a.data.as_ptr().add(a.offset),
            st(k, a.cs),
            st(m, a.rs),
            b.data.as_ptr().add(b.offset),
            st(n, b.cs),
            st(k, b.rs),
            beta,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// Multiply-accumulates (m·n·k) from which the gemm crate gets rayon threads.
const PARALLEL_MIN_MACS: usize = 1 << 20;

/// Panics unless every element `offset + i·rs + j·cs` (i < rows, j < cols)
/// is inside `data` (O(1): the largest one is checked).
fn check_operand<T>(name: &str, x: &MatRef<T>, rows: usize, cols: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    let last = (rows - 1)
        .checked_mul(x.rs)
        .and_then(|r| (cols - 1).checked_mul(x.cs).and_then(|c| r.checked_add(c)))
        .and_then(|d| d.checked_add(x.offset));
    match last {
        Some(l) if l < x.data.len() => {}
        _ => panic!(
            "gemm: operand {name} ({rows}×{cols}, offset {}, strides {}/{}) exceeds its {} elements",
            x.offset,
            x.rs,
            x.cs,
            x.data.len()
        ),
    }
}

/// `c = beta·c`, with beta = 0 writing zeros (never reading c).
fn scale<T: Elem>(c: &mut [T], beta: T) {
    if beta == T::ZERO {
        c.fill(T::ZERO);
    } else {
        for v in c.iter_mut() {
            *v = beta * *v;
        }
    }
}

/// A strided vector view.
struct Vector<'a, T> {
    data: &'a [T],
    offset: usize,
    stride: usize,
}

/// `y[j] = beta·y[j] + alpha·Σ_p x[p]·M(p, j)` with `M(p, j)` at
/// `off + p·ps + j·js` in `w`, for `j < y.len()`, when M is contiguous along
/// p or j; returns false (doing nothing) otherwise. Bounds were checked by
/// the caller (`check_operand` on the same operands).
#[allow(clippy::too_many_arguments)]
fn try_gemv<T: Elem>(
    k: usize,
    x: Vector<T>,
    off: usize,
    ps: usize,
    js: usize,
    w: &[T],
    y: &mut [T],
    alpha: T,
    beta: T,
    parallel: bool,
) -> bool {
    let n = y.len();
    let (axpy, ld) = if js == 1 || n == 1 {
        (true, ps)
    } else if ps == 1 || k == 1 {
        (false, js)
    } else {
        return false;
    };
    let gathered: Vec<T>;
    let xs: &[T] = if x.stride == 1 || k == 1 {
        &x.data[x.offset..x.offset + k]
    } else {
        gathered = (0..k).map(|p| x.data[x.offset + p * x.stride]).collect();
        &gathered
    };
    let w = &w[off..];
    let mut acc = vec![T::ZERO; n];
    if axpy {
        gemv::axpy_form(xs, w, ld, &mut acc, parallel);
    } else {
        gemv::dot_form(xs, w, ld, &mut acc, parallel);
    }
    if beta == T::ZERO {
        for (o, &s) in y.iter_mut().zip(&acc) {
            *o = alpha * s;
        }
    } else {
        for (o, &s) in y.iter_mut().zip(&acc) {
            *o = beta * *o + alpha * s;
        }
    }
    true
}
