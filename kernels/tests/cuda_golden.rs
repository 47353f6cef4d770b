//! Golden files of the CUDA C that `jit::cuda::cuda_source` emits
//! (`tests/golden/cuda/*.cu`): the text is the runtime's launch ABI, so any
//! change to it is reviewed here. `TSC_BLESS=1` rewrites the goldens.

use std::path::PathBuf;
use tsc_kernels::jit::cuda::{cuda_source, cuda_source_typed, CudaOperand, CudaOutput};
use tsc_kernels::jit::{BinaryOp, CmpOp, Inst, Kernel, ReduceOp, UnaryOp};

/// Compares `actual` with `tests/golden/cuda/<file>`, or rewrites it under `TSC_BLESS=1`.
fn check(file: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/cuda")
        .join(file);
    if std::env::var_os("TSC_BLESS").is_some() {
        std::fs::write(&path, actual).expect("writing a golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs (TSC_BLESS=1 rewrites it); emitted:\n{actual}",
        path.display()
    );
}

use CudaOperand::{Scalar, Tensor};

/// `gelu(x, approximate='tanh')` spelled out as the decomposition PyTorch's
/// tracer records: x*x*x, *0.044715, +x, *sqrt(2/pi), tanh, +1, *0.5*x.
pub fn gelu_tanh_chain() -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 1,
        insts: vec![
            Param(0),                      // v0 = x
            Binary(BinaryOp::Mul, 0, 0),   // v1 = x*x
            Binary(BinaryOp::Mul, 1, 0),   // v2 = x*x*x
            Const(0.044715),               // v3
            Binary(BinaryOp::Mul, 2, 3),   // v4
            Binary(BinaryOp::Add, 4, 0),   // v5
            Const(0.7978845608028654),     // v6
            Binary(BinaryOp::Mul, 5, 6),   // v7
            Unary(UnaryOp::Tanh, 7),       // v8
            Const(1.0),                    // v9
            Binary(BinaryOp::Add, 8, 9),   // v10
            Const(0.5),                    // v11
            Binary(BinaryOp::Mul, 11, 0),  // v12
            Binary(BinaryOp::Mul, 12, 10), // v13
        ],
        outputs: vec![13],
    }
}

#[test]
fn gelu_tanh_chain_tensor() {
    check(
        "gelu_tanh_chain.cu",
        &cuda_source(&gelu_tanh_chain(), "tsc_gelu_chain", &[Tensor]).unwrap(),
    );
}

#[test]
fn where_max_with_scalar() {
    use Inst::*;
    // out0 = p0 > p1 ? p0 : max(p1, p2);  out1 = relu(p0) - p1; p1 a scalar.
    let k = Kernel {
        num_params: 3,
        insts: vec![
            Param(0),
            Param(1),
            Param(2),
            Compare(CmpOp::Gt, 0, 1),
            Binary(BinaryOp::Max, 1, 2),
            Select(3, 0, 4),
            Unary(UnaryOp::Relu, 0),
            Binary(BinaryOp::Sub, 6, 1),
        ],
        outputs: vec![5, 7],
    };
    check(
        "where_max_scalar.cu",
        &cuda_source(&k, "tsc_where_max", &[Tensor, Scalar, Tensor]).unwrap(),
    );
}

#[test]
fn all_scalar_sigmoid() {
    use Inst::*;
    let k = Kernel {
        num_params: 1,
        insts: vec![Param(0), Unary(UnaryOp::Sigmoid, 0)],
        outputs: vec![1],
    };
    check(
        "sigmoid_scalar.cu",
        &cuda_source(&k, "tsc_sigmoid_s", &[Scalar]).unwrap(),
    );
}

// ---- row kernels ----

/// softmax over the last dim: max pass, sum-of-exp pass, storing pass.
pub fn softmax() -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Reduce(ReduceOp::Max, 0),
            Binary(BinaryOp::Sub, 0, 1),
            Unary(UnaryOp::Exp, 2),
            Reduce(ReduceOp::Sum, 3),
            Binary(BinaryOp::Div, 3, 4),
        ],
        outputs: vec![5],
    }
}

/// layer_norm(x, w, b, eps = 1e-5) with the biased variance.
pub fn layer_norm() -> Kernel {
    use BinaryOp::{Add, Div, Mul, Sub};
    use Inst::*;
    Kernel {
        num_params: 3,
        insts: vec![
            Param(0),                 // v0 = x
            Reduce(ReduceOp::Sum, 0), // v1
            RowLen,                   // v2
            Binary(Div, 1, 2),        // v3 = mean
            Binary(Sub, 0, 3),        // v4 = x - mean
            Binary(Mul, 4, 4),        // v5
            Reduce(ReduceOp::Sum, 5), // v6
            Binary(Div, 6, 2),        // v7 = var
            Const(1e-5),              // v8
            Binary(Add, 7, 8),        // v9
            Unary(UnaryOp::Rsqrt, 9), // v10
            Binary(Mul, 4, 10),       // v11
            Param(1),                 // v12 = w
            Binary(Mul, 11, 12),      // v13
            Param(2),                 // v14 = b
            Binary(Add, 13, 14),      // v15
        ],
        outputs: vec![15],
    }
}

/// `(x.sum(-1, keepdim=True), x.mean(-1, keepdim=True), x.amax(-1, keepdim=True), x - mean)`:
/// per-row outputs from one pass next to a full output.
pub fn sum_mean_amax() -> Kernel {
    use Inst::*;
    Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Reduce(ReduceOp::Sum, 0),
            RowLen,
            Binary(BinaryOp::Div, 1, 2),
            Reduce(ReduceOp::Max, 0),
            Binary(BinaryOp::Sub, 0, 3),
        ],
        outputs: vec![1, 3, 4, 5],
    }
}

#[test]
fn softmax_rows() {
    check(
        "softmax_rows.cu",
        &cuda_source(&softmax(), "tsc_softmax", &[Tensor]).unwrap(),
    );
}

#[test]
fn layer_norm_rows() {
    check(
        "layer_norm_rows.cu",
        &cuda_source(&layer_norm(), "tsc_layer_norm", &[Tensor, Tensor, Scalar]).unwrap(),
    );
}

#[test]
fn sum_mean_amax_rows() {
    check(
        "sum_mean_amax_rows.cu",
        &cuda_source(&sum_mean_amax(), "tsc_sum_mean", &[Tensor]).unwrap(),
    );
}

/// float16 in, float16 out: a row kernel reads binary16, computes in
/// float32 and rounds once per stored element.
#[test]
fn softmax_rows_half() {
    check(
        "softmax_rows_half.cu",
        &cuda_source_typed(&softmax(), "tsc_softmax_h", &[CudaOperand::Half], &[CudaOutput::F16]).unwrap(),
    );
}

/// `(a < b, a.bfloat16())` of bfloat16 and float32 operands: a `bool`
/// output (the mask as 1.0/0.0, since a kernel output is a number) and a
/// bfloat16 one.
#[test]
fn compare_to_bool_and_bf16() {
    use Inst::*;
    let k = Kernel {
        num_params: 2,
        insts: vec![Param(0), Param(1), Compare(CmpOp::Lt, 0, 1), Const(1.0), Const(0.0), Select(2, 3, 4)],
        outputs: vec![5, 0],
    };
    check(
        "compare_bool_bf16.cu",
        &cuda_source_typed(
            &k,
            "tsc_lt",
            &[CudaOperand::BFloat16, Tensor],
            &[CudaOutput::Bool, CudaOutput::BF16],
        )
        .unwrap(),
    );
    let err = cuda_source_typed(&k, "tsc_lt", &[Tensor, Tensor], &[CudaOutput::Bool]).unwrap_err();
    assert!(err.contains("2 outputs, 1 output types"), "{err}");
}
