//! The engine behind every matrix product of the linalg family: numeric
//! traits for the compute types, and a batched GEMM over strided tensor
//! views that borrows the operands' storage (transposed, sliced and
//! broadcast views cost no copy) and calls `tsc_kernels::gemm`.
//!
//! Compute types: f32 (also for f16/bf16, rounded back), f64, and i64 (all
//! integer types, wrapping like PyTorch's integer GEMM, cast back).

use crate::iter::{coalesce, for_each_run};
use crate::{bail, Element, Error, Result, Scalar, Tensor};
use tsc_kernels::gemm::{gemm_with, MatRef, Threads};
use tsc_kernels::parallel;

/// Arithmetic of a compute type (`bool` multiplies as logical and, adds as or).
pub(crate) trait Ring: Element + Default {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// A Python number converted with PyTorch's rules (floats truncate for ints).
    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Bool(b) => Self::from_bool(b),
            Scalar::Int(i) => Self::from_i64(i),
            Scalar::Float(f) => Self::from_f64(f),
        }
    }
}

macro_rules! float_ring {
    ($t:ty) => {
        impl Ring for $t {
            #[inline]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline]
            fn mul(self, o: Self) -> Self {
                self * o
            }
        }
    };
}
float_ring!(f32);
float_ring!(f64);

impl Ring for i64 {
    #[inline]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline]
    fn sub(self, o: Self) -> Self {
        self.wrapping_sub(o)
    }
    #[inline]
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
}

impl Ring for bool {
    #[inline]
    fn add(self, o: Self) -> Self {
        self | o
    }
    #[inline]
    fn sub(self, o: Self) -> Self {
        self ^ o
    }
    #[inline]
    fn mul(self, o: Self) -> Self {
        self & o
    }
}

/// A compute type with a matrix product.
pub(crate) trait Acc: Ring {
    /// `c = beta·c + alpha·a·b`, `c` row-major `m×n`; `k > 0`.
    #[allow(clippy::too_many_arguments)]
    fn gemm(threads: Threads, m: usize, n: usize, k: usize, a: MatRef<Self>, b: MatRef<Self>, c: &mut [Self], alpha: Self, beta: Self);
}

impl Acc for f32 {
    fn gemm(threads: Threads, m: usize, n: usize, k: usize, a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32], alpha: f32, beta: f32) {
        gemm_with(threads, m, n, k, a, b, c, alpha, beta)
    }
}

impl Acc for f64 {
    fn gemm(threads: Threads, m: usize, n: usize, k: usize, a: MatRef<f64>, b: MatRef<f64>, c: &mut [f64], alpha: f64, beta: f64) {
        gemm_with(threads, m, n, k, a, b, c, alpha, beta)
    }
}

impl Acc for i64 {
    fn gemm(_: Threads, m: usize, n: usize, k: usize, a: MatRef<i64>, b: MatRef<i64>, c: &mut [i64], alpha: i64, beta: i64) {
        let mut acc = vec![0i64; n];
        for i in 0..m {
            acc.iter_mut().for_each(|x| *x = 0);
            for p in 0..k {
                let av = a.data[a.offset + i * a.rs + p * a.cs];
                let brow = b.offset + p * b.rs;
                for (j, x) in acc.iter_mut().enumerate() {
                    *x = x.wrapping_add(av.wrapping_mul(b.data[brow + j * b.cs]));
                }
            }
            for (cj, x) in c[i * n..(i + 1) * n].iter_mut().zip(&acc) {
                *cj = beta.wrapping_mul(*cj).wrapping_add(alpha.wrapping_mul(*x));
            }
        }
    }
}

/// Runs `$body` with `$E` bound to the compute type of `$dtype` (an error
/// naming `$op` for bool, which PyTorch's products reject).
macro_rules! dispatch_acc {
    ($op:expr, $dtype:expr, $E:ident => $body:expr) => {
        match $dtype.compute() {
            $crate::DType::F32 => {
                type $E = f32;
                $body
            }
            $crate::DType::F64 => {
                type $E = f64;
                $body
            }
            $crate::DType::I64 => {
                type $E = i64;
                $body
            }
            d => $crate::bail!($op, "not implemented for '{}'", d),
        }
    };
}
pub(crate) use dispatch_acc;

/// `t` as compute type `E`: itself when it already is, else a converted
/// contiguous copy.
pub(crate) fn as_compute<E: Element>(t: &Tensor) -> Tensor {
    if t.dtype() == E::DTYPE {
        return t.clone();
    }
    dense_cast::<E>(t).unwrap_or_else(|| t.copy_as(E::DTYPE))
}

/// `t` converted to `E` with its strides kept, when its elements fill one
/// storage window densely in some dim order (a transpose or permutation of
/// a contiguous block, such as `linear`'s weight view): the window is cast
/// in memory order, not gathered in logical order (which strides through
/// memory).
fn dense_cast<E: Element>(t: &Tensor) -> Option<Tensor> {
    if t.device() != crate::Device::Cpu || t.numel() == 0 || !crate::ops::creation::is_non_overlapping_and_dense(t.shape(), t.strides()) {
        return None;
    }
    let (lo, n) = (t.offset(), t.numel());
    let g = t.storage().read();
    let buf = crate::with_buffer!(&*g, v => crate::storage::cast_slice(v.get(lo..lo + n)?, E::DTYPE));
    drop(g);
    Tensor::from_storage(std::sync::Arc::new(crate::storage::Storage::new(buf)), t.shape(), t.strides(), 0).ok()
}

/// How the batch of products is combined.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Batch {
    /// One `m×n` result per batch entry.
    Separate,
    /// All products summed into one `m×n` result (`addbmm`).
    Sum,
}

/// `c = beta·c + alpha·Σ a[i]·b[i]` (or one product per batch entry) where
/// `a` is `batch ++ [m, k]` and `b` is `batch ++ [k, n]`, both of dtype `E`
/// with the same batch shape (broadcast batch dims have stride 0). `c` is
/// contiguous: `batch ++ [m, n]`, or `[m, n]` for `Batch::Sum`.
pub(crate) fn bmm_into<E: Acc>(a: &Tensor, b: &Tensor, c: &mut [E], alpha: E, beta: E, mode: Batch) -> Result<()> {
    let nd = a.ndim();
    if nd < 2 || b.ndim() != nd || a.shape()[..nd - 2] != b.shape()[..nd - 2] || a.shape()[nd - 1] != b.shape()[nd - 2] {
        bail!("matmul", "internal: batched operands {:?} and {:?} do not fit", a.shape(), b.shape());
    }
    let (m, k, n) = (a.shape()[nd - 2], a.shape()[nd - 1], b.shape()[nd - 1]);
    if c.is_empty() {
        return Ok(());
    }
    let batch = &a.shape()[..nd - 2];
    let bsz: usize = batch.iter().product();
    if k == 0 || bsz == 0 {
        // Nothing to multiply: c = beta·c.
        let zero = E::default();
        c.iter_mut().for_each(|x| *x = if beta == zero { zero } else { beta.mul(*x) });
        return Ok(());
    }
    let ga = a.storage().read();
    let gb = if b.same_storage(a) { None } else { Some(b.storage().read()) };
    let internal = || Error::op("matmul", "internal: operand storage is not of the compute dtype");
    let da: &[E] = ga.slice::<E>().ok_or_else(internal)?;
    let db: &[E] = match &gb {
        Some(g) => g.slice::<E>().ok_or_else(internal)?,
        None => da,
    };
    let (sa, sb) = (a.strides(), b.strides());
    let mat_a = |off: usize| MatRef { data: da, offset: off, rs: sa[nd - 2], cs: sa[nd - 1] };
    let mat_b = |off: usize| MatRef { data: db, offset: off, rs: sb[nd - 2], cs: sb[nd - 1] };
    if mode == Batch::Separate {
        if let Some(rs) = folded_rows(a, b) {
            // b is shared by every batch entry and a's rows are evenly spaced:
            // the whole batch is one (bsz·m)×k by k×n product.
            let fa = MatRef { data: da, offset: a.offset(), rs, cs: sa[nd - 1] };
            E::gemm(Threads::Auto, bsz * m, n, k, fa, mat_b(b.offset()), c, alpha, beta);
            return Ok(());
        }
    }
    let mut offs = Vec::with_capacity(bsz);
    for_each_run(batch, [&sa[..nd - 2], &sb[..nd - 2]], [a.offset(), b.offset()], |[oa, ob], len, [ia, ib]| {
        offs.extend((0..len).map(|i| (oa + i * ia, ob + i * ib)));
    });
    match mode {
        Batch::Sum => {
            for (i, &(oa, ob)) in offs.iter().enumerate() {
                let bt = if i == 0 { beta } else { E::from_i64(1) };
                E::gemm(Threads::Auto, m, n, k, mat_a(oa), mat_b(ob), c, alpha, bt);
            }
        }
        Batch::Separate => {
            if bsz == 1 {
                let (oa, ob) = offs[0];
                E::gemm(Threads::Auto, m, n, k, mat_a(oa), mat_b(ob), c, alpha, beta);
            } else {
                // Whole products per thread, each on one thread; on two
                // threads the caller and the hot helper (no rayon worker
                // left spinning beside the op that follows).
                parallel::map_rows_mut(c, m * n, k, |first, part| {
                    for (cc, &(oa, ob)) in part.chunks_mut(m * n).zip(&offs[first..]) {
                        E::gemm(Threads::Single, m, n, k, mat_a(oa), mat_b(ob), cc, alpha, beta);
                    }
                });
            }
        }
    }
    Ok(())
}

/// When `b` is the same matrix for every batch entry and `a`'s
/// `batch ++ [m]` dims collapse into one evenly strided row dim, the row
/// stride of that collapsed dim.
fn folded_rows(a: &Tensor, b: &Tensor) -> Option<usize> {
    let nd = a.ndim();
    if nd <= 2 {
        return None;
    }
    let shared = (0..nd - 2).all(|i| b.shape()[i] == 1 || b.strides()[i] == 0);
    if !shared {
        return None;
    }
    let (shape, [strides]) = coalesce(&a.shape()[..nd - 1], [&a.strides()[..nd - 1]]);
    match shape.len() {
        0 => Some(0),
        1 => Some(strides[0]),
        _ => None,
    }
}

/// `alpha·a@b + beta·init` as a new tensor of `out_shape` and `a`'s dtype,
/// for `a`: `batch ++ [m, k]`, `b`: `batch ++ [k, n]` (same dtype, same
/// batch shape). `out_shape` is `batch ++ [m, n]` (`[m, n]` when the batch
/// is summed) with the dims of 1-D operands possibly dropped; `init`
/// broadcasts to it, and with `beta == 0` it is not read (NaN does not leak).
pub(crate) fn product(
    op: &str,
    a: &Tensor,
    b: &Tensor,
    init: Option<(&Tensor, Scalar)>,
    alpha: Scalar,
    mode: Batch,
    out_shape: &[usize],
) -> Result<Tensor> {
    let dtype = a.dtype();
    dispatch_acc!(op, dtype, E => product_as::<E>(op, a, b, init, alpha, mode, out_shape))
}

fn product_as<E: Acc>(
    op: &str,
    a: &Tensor,
    b: &Tensor,
    init: Option<(&Tensor, Scalar)>,
    alpha: Scalar,
    mode: Batch,
    out_shape: &[usize],
) -> Result<Tensor> {
    let numel: usize = out_shape.iter().product();
    let (mut c, beta) = match init {
        Some((t, beta)) => {
            let view = t.broadcast_to(out_shape).map_err(|_| {
                Error::op(op, format!("the input of shape {:?} cannot be broadcast to the result shape {out_shape:?}", t.shape()))
            })?;
            if beta.to_f64() == 0.0 {
                (vec![E::default(); numel], E::default())
            } else {
                (view.to_vec::<E>(), E::from_scalar(beta))
            }
        }
        None => (vec![E::default(); numel], E::default()),
    };
    let dtype = a.dtype();
    let (a, b) = (as_compute::<E>(a), as_compute::<E>(b));
    bmm_into(&a, &b, &mut c, E::from_scalar(alpha), beta, mode)?;
    Ok(Tensor::from_vec(c, out_shape)?.to_dtype(dtype))
}
