//! Staged kernels (`jit/cpu/stage.rs`) against the unstaged Cranelift
//! code, bit for bit.

use super::{run, specials, Input};
use crate::jit::cpu::CpuKernel;
use crate::jit::ir::{BinaryOp, Inst, Kernel, UnaryOp};

/// Staged kernels (`stage.rs`: transcendental ops in sixteen-lane native
/// code between Cranelift loops) give the bits of the unstaged ones: one
/// and three levels of heavy ops, heavy values and operands as outputs,
/// the five heavy ops of an LSTM cell, contiguous, strided, broadcast and
/// scalar operands, rows shorter and longer than a tile, and more heavy
/// ops or outputs than a kernel may stage (it then runs unstaged).
#[test]
fn staged_kernels_keep_the_bits() {
    use Inst::*;
    use UnaryOp::*;
    let gelu_chain = Kernel {
        num_params: 1,
        insts: vec![
            Param(0),
            Const(0.044715),
            Const(0.7978845608028654),
            Const(0.5),
            Const(1.0),
            Binary(BinaryOp::Mul, 0, 0),
            Binary(BinaryOp::Mul, 5, 0),
            Binary(BinaryOp::Mul, 6, 1),
            Binary(BinaryOp::Add, 0, 7),
            Binary(BinaryOp::Mul, 8, 2),
            Unary(Tanh, 9),
            Binary(BinaryOp::Add, 10, 4),
            Binary(BinaryOp::Mul, 0, 3),
            Binary(BinaryOp::Mul, 12, 11),
        ],
        outputs: vec![13],
    };
    // i, f, g, o gates, the cell and a scalar: (h, c', sigmoid(i), c).
    let lstm = Kernel {
        num_params: 6,
        insts: vec![
            Param(0),
            Param(1),
            Param(2),
            Param(3),
            Param(4),
            Param(5),
            Binary(BinaryOp::Mul, 0, 5),
            Unary(Sigmoid, 6),
            Unary(Sigmoid, 1),
            Unary(Tanh, 2),
            Unary(Sigmoid, 3),
            Binary(BinaryOp::Mul, 8, 4),
            Binary(BinaryOp::Mul, 7, 9),
            Binary(BinaryOp::Add, 11, 12),
            Unary(Tanh, 13),
            Binary(BinaryOp::Mul, 10, 14),
        ],
        outputs: vec![15, 13, 7, 4],
    };
    // exp(tanh(exp(x)·y) - erf(y)) + gelu(x), and silu, log, gelu_tanh.
    let deep = Kernel {
        num_params: 2,
        insts: vec![
            Param(0),
            Param(1),
            Unary(Exp, 0),
            Binary(BinaryOp::Mul, 2, 1),
            Unary(Tanh, 3),
            Unary(Erf, 1),
            Binary(BinaryOp::Sub, 4, 5),
            Unary(Exp, 6),
            Unary(Gelu, 0),
            Binary(BinaryOp::Add, 7, 8),
            Unary(Silu, 1),
            Unary(Abs, 0),
            Unary(Log, 11),
            Unary(GeluTanh, 12),
        ],
        outputs: vec![9, 10, 13],
    };
    let mut many = Kernel {
        num_params: 1,
        insts: vec![Param(0)],
        outputs: vec![],
    };
    for i in 0..9 {
        many.insts.push(Unary(Tanh, i));
    }
    many.outputs.push(9);
    // More outputs than the stage loop keeps on the stack.
    let wide = Kernel {
        num_params: 1,
        insts: vec![Param(0), Unary(Tanh, 0)],
        outputs: vec![1; 17],
    };
    let mut s = 0x9e37_79b9u32;
    let mut draw = |n: usize| -> Vec<f32> {
        let sp = specials();
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                match s % 8 {
                    0 => sp[(s >> 8) as usize % sp.len()],
                    _ => (s >> 8) as f32 / (1u32 << 24) as f32 * 24.0 - 12.0,
                }
            })
            .collect()
    };
    let vectors = crate::simd::has_avx512f() || crate::simd::has_avx2_fma();
    // Runs long enough for the output's streaming stores (`STREAM_MIN`),
    // split between two threads or not.
    let big = (1usize << 22) + 37;
    let input = [Input::dense(draw(big), &[big])];
    let (a, b) = (
        CpuKernel::new(gelu_chain.clone()).expect("valid"),
        CpuKernel::unstaged(gelu_chain.clone()).expect("valid"),
    );
    let (got, want) = (
        run(&a, &[big], &input).expect("run"),
        run(&b, &[big], &input).expect("run"),
    );
    assert!(
        got[0]
            .iter()
            .zip(&want[0])
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())),
        "long runs"
    );
    for (k, staged) in [
        (gelu_chain, true),
        (lstm, true),
        (deep, true),
        (many, false),
        (wide, false),
    ] {
        let (a, b) = (
            CpuKernel::new(k.clone()).expect("valid"),
            CpuKernel::unstaged(k).expect("valid"),
        );
        assert_eq!(a.is_staged(), staged && vectors, "{}", a.kernel());
        let m = a.kernel().num_params as usize;
        for n in [1usize, 255, 1000, 1023, 1024, 1025, 3001] {
            for shape in [vec![n], vec![3, n]] {
                let numel: usize = shape.iter().product();
                let mut inputs: Vec<Input> =
                    (0..m).map(|_| Input::dense(draw(numel), &shape)).collect();
                if shape.len() == 2 && m > 1 {
                    // Operand 1 strided along the row, the last one broadcast over it.
                    inputs[1] = Input::Tensor {
                        data: draw(numel),
                        strides: vec![1, 3],
                    };
                    inputs[m - 1] = Input::Tensor {
                        data: draw(3),
                        strides: vec![1, 0],
                    };
                }
                if m == 6 {
                    inputs[5] = Input::Scalar(0.75);
                }
                let (got, want) = (
                    run(&a, &shape, &inputs).expect("run"),
                    run(&b, &shape, &inputs).expect("run"),
                );
                for (j, (g, w)) in got.iter().zip(&want).enumerate() {
                    for (e, (x, y)) in g.iter().zip(w).enumerate() {
                        assert!(
                            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                            "{}\nshape {shape:?} output {j} element {e}: staged {x:e}, unstaged {y:e}",
                            a.kernel()
                        );
                    }
                }
            }
        }
    }
}
