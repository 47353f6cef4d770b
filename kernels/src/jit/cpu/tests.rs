//! Tests of the CPU JIT against `Kernel::eval_f64`: every op, special
//! values, layouts (broadcast, strided, transposed, scalars, rank 0, empty,
//! rows split across threads), multiple outputs, errors, and random kernels
//! over random layouts (proptest). The accuracy sweeps behind
//! `spec/kernels.md` are in [`accuracy`], staged kernels in [`staged`].

mod accuracy;
mod staged;

use super::{CpuKernel, Operand};
use crate::jit::ir::{BinaryOp, CmpOp, Inst, Kernel, UnaryOp};
use proptest::prelude::*;

/// An operand's storage: `data` read at `sum(idx[d] * strides[d])`.
#[derive(Clone, Debug)]
pub(super) enum Input {
    Tensor { data: Vec<f32>, strides: Vec<isize> },
    Scalar(f32),
}

impl Input {
    /// A contiguous tensor of `shape`.
    pub(super) fn dense(data: Vec<f32>, shape: &[usize]) -> Input {
        Input::Tensor {
            data,
            strides: contiguous_strides(shape),
        }
    }
    pub(super) fn at(&self, idx: &[usize]) -> f32 {
        match self {
            Input::Scalar(x) => *x,
            Input::Tensor { data, strides } => {
                let off: isize = idx.iter().zip(strides).map(|(&i, &s)| i as isize * s).sum();
                data[off as usize]
            }
        }
    }
}

pub(super) fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut s = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for d in (0..shape.len()).rev() {
        s[d] = acc;
        acc *= shape[d] as isize;
    }
    s
}

/// Runs `k` on `inputs` over `shape`; one vector per output.
pub(super) fn run(
    k: &CpuKernel,
    shape: &[usize],
    inputs: &[Input],
) -> Result<Vec<Vec<f32>>, String> {
    let numel: usize = shape.iter().product();
    let ops: Vec<Operand> = inputs
        .iter()
        .map(|i| match i {
            Input::Scalar(x) => Operand::Scalar(*x),
            Input::Tensor { data, strides } => Operand::Tensor {
                ptr: data.as_ptr(),
                strides,
            },
        })
        .collect();
    let mut outs = vec![vec![f32::NAN; numel]; k.kernel().outputs.len()];
    let mut refs: Vec<&mut [f32]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
    // SAFETY: every tensor's strides address inside its data (the tests
    // build them so), and the outputs are fresh vectors.
    unsafe { k.run(shape, &ops, &mut refs)? };
    Ok(outs)
}

/// Every index of `shape` in row-major order.
pub(super) fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let numel: usize = shape.iter().product();
    let mut out = Vec::with_capacity(numel);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..numel {
        out.push(idx.clone());
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

/// `got` matches `want` within max(rel·|want|, abs) (both 0: `got` is
/// `want` rounded to f32); NaN matches NaN, ±0 match each other,
/// infinities must be equal.
pub(super) fn close(got: f32, want: f64, rel: f64, abs: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if rel == 0.0 && abs == 0.0 {
        return got == want as f32;
    }
    // A finite result may round to ±inf in f32 (or stop just short of it).
    if got.is_infinite() || want.is_infinite() {
        return got == want as f32;
    }
    (got as f64 - want).abs() <= (rel * want.abs()).max(abs)
}

fn kernel(num_params: u32, insts: Vec<Inst>, outputs: Vec<u32>) -> CpuKernel {
    CpuKernel::new(Kernel {
        num_params,
        insts,
        outputs,
    })
    .expect("test kernel is valid")
}

/// Checks `k` over `shape` against the reference within (rel, abs).
fn check(k: &CpuKernel, shape: &[usize], inputs: &[Input], rel: f64, abs: f64) {
    let outs = run(k, shape, inputs).expect("run");
    for (e, idx) in indices(shape).iter().enumerate() {
        let params: Vec<f64> = inputs.iter().map(|i| i.at(idx) as f64).collect();
        let want = k.kernel().eval_f64(&params);
        for (j, w) in want.iter().enumerate() {
            let got = outs[j][e];
            assert!(
                close(got, *w, rel, abs),
                "{}\nshape {shape:?} at {idx:?} params {params:?}: out {j} = {got}, want {w}",
                k.kernel()
            );
        }
    }
}

/// Values that exercise the special cases of binary ops and compares.
pub(super) fn specials() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        3.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-40,
        -1e-40,
    ];
    v.extend([
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        7.0,
        7.0,
        -3.0,
        1e30,
        -1e-30,
    ]);
    v
}

#[test]
fn cpu_kernel_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CpuKernel>();
}

#[test]
fn binary_ops_are_exact() {
    let s = specials();
    let n = s.len();
    let a: Vec<f32> = (0..n * n).map(|i| s[i / n]).collect();
    let b: Vec<f32> = (0..n * n).map(|i| s[i % n]).collect();
    for op in BinaryOp::ALL {
        let k = kernel(
            2,
            vec![Inst::Param(0), Inst::Param(1), Inst::Binary(op, 0, 1)],
            vec![2],
        );
        // Lengths 1..=n*n cover the vector loops and the scalar tail.
        for len in [n * n, 5, 1] {
            let ins = [
                Input::dense(a[..len].to_vec(), &[len]),
                Input::dense(b[..len].to_vec(), &[len]),
            ];
            check(&k, &[len], &ins, 0.0, 0.0);
        }
    }
}

#[test]
fn compares_and_select() {
    let s = specials();
    let n = s.len();
    let a: Vec<f32> = (0..n * n).map(|i| s[i / n]).collect();
    let b: Vec<f32> = (0..n * n).map(|i| s[i % n]).collect();
    for op in CmpOp::ALL {
        // select(a op b, a, b): also shows which one was picked for ±0.
        let insts = vec![
            Inst::Param(0),
            Inst::Param(1),
            Inst::Compare(op, 0, 1),
            Inst::Const(1.0),
            Inst::Const(0.0),
            Inst::Select(2, 3, 4),
        ];
        let k = kernel(2, insts, vec![5]);
        let ins = [
            Input::dense(a.clone(), &[n * n]),
            Input::dense(b.clone(), &[n * n]),
        ];
        check(&k, &[n * n], &ins, 0.0, 0.0);
        check(
            &k,
            &[3],
            &[Input::dense(a[..3].to_vec(), &[3]), Input::Scalar(0.5)],
            0.0,
            0.0,
        );
    }
}

#[test]
fn special_values() {
    let inf = f32::INFINITY;
    let cases: &[(UnaryOp, f32, f32)] = &[
        (UnaryOp::Exp, 89.0, inf),
        (UnaryOp::Exp, -104.0, 0.0),
        (UnaryOp::Exp, -inf, 0.0),
        (UnaryOp::Exp, inf, inf),
        (UnaryOp::Log, 0.0, -inf),
        (UnaryOp::Log, -0.0, -inf),
        (UnaryOp::Log, inf, inf),
        (UnaryOp::Tanh, inf, 1.0),
        (UnaryOp::Tanh, -inf, -1.0),
        (UnaryOp::Sigmoid, -inf, 0.0),
        (UnaryOp::Sigmoid, inf, 1.0),
        (UnaryOp::Erf, inf, 1.0),
        (UnaryOp::Erf, -inf, -1.0),
        (UnaryOp::Gelu, inf, inf),
        (UnaryOp::GeluTanh, inf, inf),
        (UnaryOp::Silu, inf, inf),
        (UnaryOp::Relu, -inf, 0.0),
        (UnaryOp::Sqrt, inf, inf),
        (UnaryOp::Rsqrt, 0.0, inf),
        (UnaryOp::Reciprocal, -0.0, -inf),
    ];
    for &(op, x, want) in cases {
        let k = kernel(1, vec![Inst::Param(0), Inst::Unary(op, 0)], vec![1]);
        for len in [1usize, 4, 16] {
            let out = run(&k, &[len], &[Input::dense(vec![x; len], &[len])]).expect("run");
            assert!(
                out[0].iter().all(|&y| y == want),
                "{}({x}) = {:?}, want {want}",
                op.name(),
                out[0]
            );
        }
    }
    let nan_in = [UnaryOp::ALL.as_slice()].concat();
    for op in nan_in {
        let k = kernel(1, vec![Inst::Param(0), Inst::Unary(op, 0)], vec![1]);
        let out = run(&k, &[5], &[Input::dense(vec![f32::NAN; 5], &[5])]).expect("run");
        assert!(
            out[0].iter().all(|y| y.is_nan()),
            "{}(NaN) = {:?}",
            op.name(),
            out[0]
        );
    }
    for op in [UnaryOp::Log, UnaryOp::Sqrt] {
        let k = kernel(1, vec![Inst::Param(0), Inst::Unary(op, 0)], vec![1]);
        let out = run(&k, &[5], &[Input::dense(vec![-1.0; 5], &[5])]).expect("run");
        assert!(
            out[0].iter().all(|y| y.is_nan()),
            "{}(-1) = {:?}",
            op.name(),
            out[0]
        );
    }
}

#[test]
fn tiny_inputs_keep_relative_accuracy() {
    let xs: Vec<f32> = (0..200)
        .map(|i| 1e-20f32 * 1.3f32.powi(i) * if i % 2 == 0 { 1.0 } else { -1.0 })
        .filter(|x| x.abs() < 1e-2)
        .collect();
    for op in [UnaryOp::Tanh, UnaryOp::Erf] {
        let k = kernel(1, vec![Inst::Param(0), Inst::Unary(op, 0)], vec![1]);
        check(
            &k,
            &[xs.len()],
            &[Input::dense(xs.clone(), &[xs.len()])],
            1e-6,
            0.0,
        );
    }
    let k = kernel(
        1,
        vec![Inst::Param(0), Inst::Unary(UnaryOp::Tanh, 0)],
        vec![1],
    );
    let y = run(&k, &[1], &[Input::dense(vec![1e-5], &[1])]).expect("run")[0][0];
    assert!((y as f64 / 1e-5 - 1.0).abs() < 1e-6, "tanh(1e-5) = {y}");
}

/// out0 = a·b + c, out1 = max(a, c) - b, out2 = tanh(a) (three outputs).
fn three_outputs() -> CpuKernel {
    use Inst::*;
    let insts = vec![
        Param(0),
        Param(1),
        Param(2),
        Binary(BinaryOp::Mul, 0, 1),
        Binary(BinaryOp::Add, 3, 2),
        Binary(BinaryOp::Max, 0, 2),
        Binary(BinaryOp::Sub, 5, 1),
        Unary(UnaryOp::Tanh, 0),
    ];
    kernel(3, insts, vec![4, 6, 7])
}

pub(super) fn ramp(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            (((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32
                / (1u32 << 24) as f32)
                * 4.0
                - 2.0
        })
        .collect()
}

#[test]
fn layouts() {
    let k = three_outputs();
    // Broadcast: a is [3, 1, 5] stored, b is [17] (missing leading dims), c scalar.
    let shape = [3, 17, 5];
    let a = Input::Tensor {
        data: ramp(15, 1),
        strides: vec![5, 0, 1],
    };
    let b = Input::Tensor {
        data: ramp(17, 2),
        strides: vec![0, 1, 0],
    };
    check(
        &k,
        &shape,
        &[a.clone(), b.clone(), Input::Scalar(0.25)],
        1e-6,
        1e-6,
    );
    // Transposed: c is stored as [5, 17, 3].
    let c = Input::Tensor {
        data: ramp(255, 3),
        strides: vec![1, 3, 51],
    };
    check(&k, &shape, &[a, b, c], 1e-6, 1e-6);
    // Sliced: every other column of a [4, 2050] buffer; rows of 1023.
    let s = Input::Tensor {
        data: ramp(4 * 2050, 4),
        strides: vec![2050, 2],
    };
    let d = Input::dense(ramp(4 * 1023, 5), &[4, 1023]);
    check(
        &k,
        &[4, 1023],
        &[s.clone(), d.clone(), Input::Scalar(-1.0)],
        1e-6,
        1e-6,
    );
    check(&k, &[4, 1023], &[d, Input::Scalar(2.0), s], 1e-6, 1e-6);
    // Rank 0 and rows shorter than a vector.
    check(
        &k,
        &[],
        &[
            Input::dense(vec![0.5], &[]),
            Input::Scalar(3.0),
            Input::dense(vec![-1.0], &[]),
        ],
        1e-6,
        1e-6,
    );
    for n in [1usize, 2, 3, 5, 7] {
        let shape = [2, n];
        check(
            &k,
            &shape,
            &[
                Input::dense(ramp(2 * n, 6), &shape),
                Input::dense(ramp(2 * n, 7), &shape),
                Input::Scalar(1.0),
            ],
            1e-6,
            1e-6,
        );
    }
    // Size-1 dims everywhere, a zero-size shape.
    let shape = [1, 3, 1, 1];
    check(
        &k,
        &shape,
        &[
            Input::dense(ramp(3, 8), &shape),
            Input::Scalar(1.0),
            Input::Scalar(2.0),
        ],
        1e-6,
        1e-6,
    );
    let out = run(
        &k,
        &[4, 0, 3],
        &[
            Input::dense(vec![], &[4, 0, 3]),
            Input::Scalar(1.0),
            Input::Scalar(1.0),
        ],
    )
    .expect("run");
    assert!(out.iter().all(|o| o.is_empty()));
    let (specs, _) = k.compile_stats();
    assert!(specs >= 4, "several specializations were compiled: {specs}");
}

#[test]
fn big_calls_split_across_threads() {
    let k = three_outputs();
    // One long row (split inside the row) and long broadcast rows.
    let n = 1 << 19;
    check(
        &k,
        &[n],
        &[
            Input::dense(ramp(n, 1), &[n]),
            Input::dense(ramp(n, 2), &[n]),
            Input::Scalar(0.5),
        ],
        1e-6,
        1e-6,
    );
    let shape = [3, 100_003];
    let a = Input::Tensor {
        data: ramp(100_003, 3),
        strides: vec![0, 1],
    };
    let c = Input::Tensor {
        data: ramp(3, 4),
        strides: vec![1, 0],
    };
    check(
        &k,
        &shape,
        &[a, Input::dense(ramp(300_009, 5), &shape), c],
        1e-6,
        1e-6,
    );
    // Many short rows, strided.
    let shape = [40_000, 3];
    let t = Input::Tensor {
        data: ramp(120_000, 6),
        strides: vec![1, 40_000],
    };
    check(
        &k,
        &shape,
        &[
            t,
            Input::Scalar(1.5),
            Input::dense(ramp(120_000, 7), &shape),
        ],
        1e-6,
        1e-6,
    );
}

#[test]
fn bad_calls_are_errors() {
    let k = three_outputs();
    let x = [0.0f32; 4];
    let t = Operand::Tensor {
        ptr: x.as_ptr(),
        strides: &[1],
    };
    let mut o = [vec![0.0f32; 4], vec![0.0; 4], vec![0.0; 4]];
    let mut short = [vec![0.0f32; 4], vec![0.0; 3], vec![0.0; 4]];
    let mut outs: Vec<&mut [f32]> = o.iter_mut().map(|v| v.as_mut_slice()).collect();
    // SAFETY: the calls are rejected before any memory is read.
    unsafe {
        assert!(k.run(&[4], &[t, t], &mut outs).is_err());
        assert!(k.run(&[4], &[t, t, t], &mut outs[..2]).is_err());
        assert!(k.run(&[4, 1], &[t, t, t], &mut outs).is_err());
        assert!(k
            .run(&[usize::MAX, 3], &[Operand::Scalar(1.0); 3], &mut outs)
            .is_err());
        let mut s: Vec<&mut [f32]> = short.iter_mut().map(|v| v.as_mut_slice()).collect();
        assert!(k.run(&[4], &[t, t, t], &mut s).is_err());
        assert!(k.run(&[4], &[t, t, t], &mut outs).is_ok());
    }
    let bad = Kernel {
        num_params: 1,
        insts: vec![Inst::Param(1)],
        outputs: vec![0],
    };
    assert!(CpuKernel::new(bad).is_err());
}

// ---- random kernels over random layouts ----

/// Well-conditioned ops for random bodies (no poles, no log/sqrt domains).
pub(super) const RAND_UNARY: [UnaryOp; 9] = [
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Relu,
    UnaryOp::Tanh,
    UnaryOp::Sigmoid,
    UnaryOp::Silu,
    UnaryOp::Erf,
    UnaryOp::GeluTanh,
    UnaryOp::Gelu,
];
pub(super) const RAND_BINARY: [BinaryOp; 5] = [
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Max,
    BinaryOp::Min,
];

/// A random valid body: params first, then ops over earlier values.
fn arb_kernel() -> impl Strategy<Value = Kernel> {
    (
        1u32..=4,
        prop::collection::vec((0u8..10, any::<u32>(), any::<u32>(), any::<u32>()), 1..12),
        1usize..=3,
    )
        .prop_map(|(np, ops, nout)| {
            let mut insts: Vec<Inst> = (0..np).map(Inst::Param).collect();
            let mut numbers: Vec<u32> = (0..np).collect();
            for (kind, a, b, c) in ops {
                let pick = |r: u32| numbers[r as usize % numbers.len()];
                let i = insts.len() as u32;
                match kind {
                    0..=3 => {
                        insts.push(Inst::Binary(RAND_BINARY[a as usize % 5], pick(b), pick(c)))
                    }
                    4..=6 => insts.push(Inst::Unary(RAND_UNARY[a as usize % 9], pick(b))),
                    7 => insts.push(Inst::Const(((a % 2001) as f64 - 1000.0) / 250.0)),
                    _ => {
                        insts.push(Inst::Compare(CmpOp::ALL[a as usize % 6], pick(b), pick(c)));
                        insts.push(Inst::Select(
                            i,
                            pick(c.rotate_left(7)),
                            pick(b.rotate_left(13)),
                        ));
                        numbers.push(i + 1);
                        continue;
                    }
                }
                numbers.push(i);
            }
            let outputs = (0..nout)
                .map(|j| numbers[numbers.len() - 1 - j % numbers.len()])
                .collect();
            Kernel {
                num_params: np,
                insts,
                outputs,
            }
        })
}

/// Per element: the largest magnitude any value reaches and whether a
/// compare is a near-tie (then rounding may pick the other branch).
fn conditioning(k: &Kernel, params: &[f64]) -> (f64, bool) {
    use crate::jit::reference::{binary, compare, unary};
    let mut vals = vec![0.0f64; k.insts.len()];
    let mut masks = vec![false; k.insts.len()];
    let (mut big, mut tie) = (1.0f64, false);
    for (i, inst) in k.insts.iter().enumerate() {
        let v = |j: u32| vals[j as usize];
        vals[i] = match *inst {
            Inst::Param(p) => params[p as usize],
            Inst::Const(c) => c,
            Inst::Unary(op, a) => unary(op, v(a)),
            Inst::Binary(op, a, b) => binary(op, v(a), v(b)),
            Inst::Compare(op, a, b) => {
                tie |= (v(a) - v(b)).abs() <= 1e-3 * big;
                masks[i] = compare(op, v(a), v(b));
                0.0
            }
            Inst::Select(m, a, b) => {
                if masks[m as usize] {
                    v(a)
                } else {
                    v(b)
                }
            }
            // Random kernels here are elementwise.
            Inst::Reduce(_, a) => v(a),
            Inst::RowLen => 1.0,
        };
        big = big.max(vals[i].abs());
    }
    (big, tie)
}

/// A random operand layout for `shape`: scalar, dense, broadcast (size-1 or
/// missing dims), padded (sliced) or permuted (transposed) storage.
pub(super) fn arb_input(shape: Vec<usize>) -> impl Strategy<Value = Input> {
    let rank = shape.len();
    (
        0u8..6,
        prop::collection::vec(any::<bool>(), rank),
        Just(shape),
        any::<u64>(),
        -3.0f32..3.0,
    )
        .prop_map(|(kind, mask, shape, seed, x)| {
            if kind == 0 {
                return Input::Scalar(x);
            }
            // Storage dims: broadcast dims have size 1, padded dims one more.
            let mut order: Vec<usize> = (0..shape.len()).collect();
            if kind == 4 {
                order.reverse();
            }
            let sizes: Vec<usize> = (0..shape.len())
                .map(|d| match kind {
                    2 if mask[d] => 1,
                    3 if mask[d] => shape[d] + 2,
                    _ => shape[d],
                })
                .collect();
            let mut strides = vec![0isize; shape.len()];
            let mut acc = 1isize;
            for &d in order.iter().rev() {
                strides[d] = if sizes[d] == 1 && shape[d] != 1 {
                    0
                } else {
                    acc
                };
                acc *= sizes[d] as isize;
            }
            let len = acc as usize;
            let data = (0..len)
                .map(|i| {
                    (((i as u64 + 1).wrapping_mul(seed | 1) >> 40) as f32 / (1u64 << 24) as f32)
                        * 6.0
                        - 3.0
                })
                .collect();
            Input::Tensor { data, strides }
        })
}

fn arb_shape() -> impl Strategy<Value = Vec<usize>> {
    (
        prop::collection::vec(prop::sample::select(vec![1usize, 2, 3, 5, 17]), 0..=4),
        any::<bool>(),
    )
        .prop_map(|(mut s, long)| {
            if long && !s.is_empty() {
                s.truncate(3);
                let last = s.len() - 1;
                s[last] = 1023;
            }
            s
        })
}

fn arb_case() -> impl Strategy<Value = (Kernel, Vec<usize>, Vec<Input>)> {
    (arb_kernel(), arb_shape()).prop_flat_map(|(k, shape)| {
        let inputs = prop::collection::vec(arb_input(shape.clone()), k.num_params as usize);
        (Just(k), Just(shape), inputs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn random_kernels_match_reference((k, shape, inputs) in arb_case()) {
        let ck = CpuKernel::new(k.clone()).map_err(TestCaseError::fail)?;
        let outs = run(&ck, &shape, &inputs).map_err(TestCaseError::fail)?;
        for (e, idx) in indices(&shape).iter().enumerate() {
            let params: Vec<f64> = inputs.iter().map(|i| i.at(idx) as f64).collect();
            let (big, tie) = conditioning(&k, &params);
            if tie || big > 1e6 {
                continue;
            }
            for (j, w) in k.eval_f64(&params).iter().enumerate() {
                let got = outs[j][e];
                prop_assert!(close(got, *w, 1e-5, 1e-5 * big), "{k}\nshape {shape:?} at {idx:?} params {params:?}: out {j} = {got}, want {w}");
            }
        }
    }
}

#[test]
fn fma_detection_and_cache() {
    #[cfg(target_arch = "x86_64")]
    {
        let want = std::is_x86_feature_detected!("avx") && std::is_x86_feature_detected!("fma");
        assert_eq!(super::codegen::host_isa().expect("host isa").1, want);
    }
    let k = three_outputs();
    let ins = [
        Input::dense(ramp(9, 1), &[9]),
        Input::Scalar(1.0),
        Input::dense(ramp(9, 2), &[9]),
    ];
    for _ in 0..3 {
        run(&k, &[9], &ins).expect("run");
    }
    run(
        &k,
        &[3, 3],
        &[
            Input::dense(ramp(9, 1), &[3, 3]),
            Input::Scalar(1.0),
            Input::dense(ramp(9, 2), &[3, 3]),
        ],
    )
    .expect("run");
    assert_eq!(
        k.compile_stats().0,
        1,
        "same classes after collapsing: one specialization"
    );
}

/// Past the stack arrays of the hot path: rank > 8 (transposed so nothing
/// collapses), > 16 operands and outputs, and more specializations than the
/// lock-free slots.
#[test]
fn beyond_fixed_arrays() {
    // rank 10 of 2s, a reversed-stride (transposed) operand and a dense one.
    let shape = [2usize; 10];
    let rev: Vec<isize> = contiguous_strides(&shape).into_iter().rev().collect();
    let k = three_outputs();
    let t = Input::Tensor {
        data: ramp(1024, 1),
        strides: rev.clone(),
    };
    check(
        &k,
        &shape,
        &[
            t.clone(),
            Input::dense(ramp(1024, 2), &shape),
            Input::Scalar(0.5),
        ],
        1e-6,
        1e-6,
    );
    // 20 operands summed, 18 outputs (each the running sum), mixed layouts.
    let n = 20u32;
    let mut insts: Vec<Inst> = (0..n).map(Inst::Param).collect();
    let mut acc = 0u32;
    let mut outputs = vec![];
    for i in 1..n {
        insts.push(Inst::Binary(BinaryOp::Add, acc, i));
        acc = insts.len() as u32 - 1;
        if i >= 2 {
            outputs.push(acc);
        }
    }
    assert!(outputs.len() > 16);
    let k = kernel(n, insts, outputs);
    let shape = [3usize, 2, 2, 2, 2, 2, 2, 2, 2, 5];
    let numel: usize = shape.iter().product();
    let inputs: Vec<Input> = (0..n)
        .map(|i| match i % 4 {
            0 => Input::dense(ramp(numel, i), &shape),
            1 => Input::Scalar(i as f32 * 0.25),
            2 => {
                let mut s = contiguous_strides(&shape);
                s.swap(0, 9);
                let data_len = 1 + shape
                    .iter()
                    .zip(&s)
                    .map(|(&d, &st)| (d - 1) * st as usize)
                    .sum::<usize>();
                Input::Tensor {
                    data: ramp(data_len, i),
                    strides: s,
                }
            }
            _ => Input::Tensor {
                data: ramp(5, i),
                strides: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1].to_vec(),
            },
        })
        .collect();
    check(&k, &shape, &inputs, 1e-5, 1e-5);
    // The same kernel over many layouts: more than the lock-free slots.
    let k = three_outputs();
    let classes = [
        Input::dense(ramp(64, 1), &[64]),
        Input::Scalar(1.5),
        Input::Tensor {
            data: ramp(1, 2),
            strides: vec![0],
        },
        Input::Tensor {
            data: ramp(128, 3),
            strides: vec![2],
        },
    ];
    for round in 0..2 {
        for a in &classes {
            for b in &classes[..3] {
                for c in &classes[1..] {
                    check(&k, &[64], &[a.clone(), b.clone(), c.clone()], 1e-6, 1e-6);
                }
            }
        }
        assert_eq!(
            k.compile_stats().0,
            4 * 3 * 3,
            "round {round}: one specialization per layout"
        );
    }
}
