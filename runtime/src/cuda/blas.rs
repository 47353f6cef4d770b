//! Float32, float16 and bfloat16 (batched) matrix products through cuBLAS
//! (`cublasGemmStridedBatchedEx`, float32 compute) on the device's stream.
//!
//! Tensors are row-major; cuBLAS is column-major. A row-major `m×n` result
//! `C` is the column-major `n×m` matrix `Cᵀ = Bᵀ·Aᵀ`, so the call passes
//! `B` first. Each operand is used in place when one of its two matrix
//! strides is 1 (row-major, or a transposed view such as `linear`'s `Wᵀ`,
//! which becomes cuBLAS's `T` flag); the caller copies other layouts to
//! contiguous first ([`MatLayout::of`] returns `None` for them).
//!
//! cuBLAS's default math mode is kept: full float32, no TF32, as PyTorch's
//! default (`torch.backends.cuda.matmul.allow_tf32 = False`); float16 and
//! bfloat16 products accumulate in float32 and round once, as PyTorch's.

use super::device::{CudaDevice, GpuBuffer};
use super::guard;
use crate::DType;
use cudarc::cublas::sys::cublasOperation_t::{CUBLAS_OP_N, CUBLAS_OP_T};
use cudarc::cublas::CudaBlas;

/// How a `rows×cols` matrix (one per batch) lies in a buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MatLayout {
    /// Element offset of the first matrix.
    pub offset: usize,
    /// Elements between consecutive matrices of the batch (0: broadcast).
    pub batch_stride: usize,
    /// Row-major (`[r][c]` at `r·ld + c`) or column-major (`c·ld + r`).
    pub row_major: bool,
    pub ld: usize,
}

impl MatLayout {
    /// The layout of a `rows×cols` matrix with strides `(rs, cs)`, or
    /// `None` when neither stride is 1 with a leading dimension cuBLAS
    /// accepts. Strides of size-1 dims do not matter and are normalized.
    pub fn of(rows: usize, cols: usize, rs: usize, cs: usize, offset: usize, batch_stride: usize) -> Option<MatLayout> {
        let cs = if cols <= 1 { 1 } else { cs };
        let rs = if rows <= 1 { cols.max(1) } else { rs };
        if cs == 1 && rs >= cols.max(1) {
            Some(MatLayout { offset, batch_stride, row_major: true, ld: rs })
        } else if rs == 1 && cs >= rows.max(1) {
            Some(MatLayout { offset, batch_stride, row_major: false, ld: cs })
        } else {
            None
        }
    }

    /// One past the last element a batch of `batch` `rows×cols` matrices reads.
    fn reach(&self, batch: usize, rows: usize, cols: usize) -> usize {
        if batch == 0 || rows == 0 || cols == 0 {
            return self.offset;
        }
        let last = if self.row_major { (rows - 1) * self.ld + cols - 1 } else { (cols - 1) * self.ld + rows - 1 };
        self.offset + (batch - 1) * self.batch_stride + last + 1
    }
}

impl CudaDevice {
    fn blas(&self) -> Result<&CudaBlas, String> {
        self.blas
            .get_or_init(|| guard("cuBLAS", || CudaBlas::new(self.stream.clone()).map_err(|e| format!("cuBLAS: creating the handle failed: {e}"))))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `C[b] = A[b] · B[b]` for `b < batch`: `A` is `m×k`, `B` is `k×n`;
    /// returns the contiguous `batch×m×n` result, of the operands' dtype
    /// (float32, float16 or bfloat16; float32 accumulation). With `acc`
    /// (of that dtype, or float32 for a float16/bfloat16 product), the
    /// product is added to it (`C = A·B + acc`) and `acc` is the result.
    /// Asynchronous.
    #[allow(clippy::too_many_arguments)]
    pub fn matmul(&self, batch: usize, m: usize, k: usize, n: usize, a: (&GpuBuffer, MatLayout), b: (&GpuBuffer, MatLayout), acc: Option<GpuBuffer>) -> Result<GpuBuffer, String> {
        use cudarc::cublas::sys::{cublasComputeType_t::CUBLAS_COMPUTE_32F, cublasGemmAlgo_t, cudaDataType_t};
        let total = batch.checked_mul(m).and_then(|x| x.checked_mul(n)).ok_or("cuda: matmul result too large")?;
        let dtype = a.0.dtype();
        let ty_of = |d: DType| match d {
            DType::F32 => Ok(cudaDataType_t::CUDA_R_32F),
            DType::F16 => Ok(cudaDataType_t::CUDA_R_16F),
            DType::BF16 => Ok(cudaDataType_t::CUDA_R_16BF),
            d => Err(format!("cuda: matmul of {d}, not float32, float16 or bfloat16")),
        };
        let ty = ty_of(dtype)?;
        for (name, (buf, lay), r, c) in [("A", a, m, k), ("B", b, k, n)] {
            if buf.dtype() != dtype {
                return Err(format!("cuda: matmul operand {name} is {}, not {dtype}", buf.dtype()));
            }
            if lay.reach(batch, r, c) > buf.len() {
                return Err(format!("cuda: matmul operand {name} reaches past its buffer"));
            }
        }
        // A float16/bfloat16 product may add to a float32 accumulator.
        let c_dtype = acc.as_ref().map_or(dtype, GpuBuffer::dtype);
        if let Some(acc) = &acc {
            if (c_dtype != dtype && c_dtype != DType::F32) || acc.len() != total {
                return Err(format!("cuda: matmul accumulator is {acc:?}, not {total} elements of {dtype} or float32"));
            }
        }
        let as_int = |x: usize| i32::try_from(x).map_err(|_| format!("cuda: matmul dimension {x} is over cuBLAS's int range"));
        if total == 0 || k == 0 {
            // Nothing to multiply (or an empty sum: zeros, plus `acc`).
            return acc.map_or_else(|| self.alloc_zeros(dtype, total), Ok);
        }
        let beta = if acc.is_some() { 1.0f32 } else { 0.0 };
        // SAFETY: cuBLAS writes every element of C (beta = 0), or reads and
        // writes `acc`, which is initialized.
        let c = match acc {
            Some(acc) => acc,
            None => unsafe { self.alloc_uninit(dtype, total) }?,
        };
        let c_ty = ty_of(c_dtype)?;
        let (ab, al) = a;
        let (bb, bl) = b;
        let op = |row_major: bool| if row_major { CUBLAS_OP_N } else { CUBLAS_OP_T };
        let (m_, n_, k_) = (as_int(n)?, as_int(m)?, as_int(k)?);
        let (lda, ldb, ldc) = (as_int(bl.ld.max(1))?, as_int(al.ld.max(1))?, as_int(n.max(1))?);
        let batch_ = as_int(batch)?;
        let size = dtype.size() as u64;
        let blas = self.blas()?;
        let (pa, pb, pc) = (bb.raw_ptr(&self.stream) + bl.offset as u64 * size, ab.raw_ptr(&self.stream) + al.offset as u64 * size, c.raw_ptr(&self.stream));
        let alpha = 1.0f32;
        guard("cuBLAS", || {
            // SAFETY: the layouts were checked to stay inside the buffers;
            // C holds batch·m·n elements with ldc = n; alpha and beta are
            // float32, as CUBLAS_COMPUTE_32F takes them.
            unsafe {
                cudarc::cublas::result::gemm_strided_batched_ex(
                    *blas.handle(),
                    op(bl.row_major),
                    op(al.row_major),
                    m_,
                    n_,
                    k_,
                    (&alpha as *const f32).cast(),
                    pa as *const _,
                    ty,
                    lda,
                    bl.batch_stride as i64,
                    pb as *const _,
                    ty,
                    ldb,
                    al.batch_stride as i64,
                    (&beta as *const f32).cast(),
                    pc as *mut _,
                    c_ty,
                    ldc,
                    (m * n) as i64,
                    batch_,
                    CUBLAS_COMPUTE_32F,
                    cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
                )
            }
            .map_err(|e| format!("cuBLAS: {dtype} gemm failed: {e}"))
        })?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        // A contiguous 2×3: row-major with ld 3.
        assert_eq!(MatLayout::of(2, 3, 3, 1, 0, 6), Some(MatLayout { offset: 0, batch_stride: 6, row_major: true, ld: 3 }));
        // Its transpose, a 3×2 view with strides (1, 3): column-major, ld 3.
        assert_eq!(MatLayout::of(3, 2, 1, 3, 0, 0), Some(MatLayout { offset: 0, batch_stride: 0, row_major: false, ld: 3 }));
        // A row vector with a junk row stride, and a column with a junk column stride.
        assert!(MatLayout::of(1, 4, 0, 1, 0, 0).is_some_and(|l| l.row_major && l.ld == 4));
        assert!(MatLayout::of(4, 1, 1, 0, 0, 0).is_some());
        // Every other step: needs a copy.
        assert_eq!(MatLayout::of(2, 3, 6, 2, 0, 0), None);
        // Overlapping rows (ld < cols) are not a cuBLAS layout.
        assert_eq!(MatLayout::of(2, 3, 2, 1, 0, 0), None);
    }

    #[test]
    fn reach() {
        let l = MatLayout::of(2, 3, 3, 1, 5, 6).unwrap();
        assert_eq!(l.reach(2, 2, 3), 5 + 6 + 6);
        let t = MatLayout::of(3, 2, 1, 3, 0, 0).unwrap();
        assert_eq!(t.reach(4, 3, 2), 6);
        assert_eq!(l.reach(0, 2, 3), 5);
    }
}
