//! Criterion benchmarks of the CPU JIT (`cargo bench -p tsc-kernels --bench
//! jit`): the pointwise GELU-tanh chain (9 ops) over 16M floats on 1 and 2
//! threads (memory-bound: 128 MB moved; ~4 ms at 34 GB/s), over 256 floats
//! (per-call overhead), with the main loop unrolled ×1, ×2 and ×4, and the
//! compile time of one specialization. The hand-written AVX2 `gelu_tanh`
//! over 16M is the baseline. Row kernels (`jit_rows`): softmax and
//! layer_norm + softmax (`norm_softmax`) over 4096×1024 on 1 and 2 threads
//! against the hand-written softmax, and their compile times.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use tsc_kernels::jit::cpu::{compile_time, Class, CpuKernel, Operand};
use tsc_kernels::jit::{BinaryOp, Inst, Kernel, ReduceOp, UnaryOp};

/// 0.5·x·(1 + tanh(0.7978845608028654·(x + 0.044715·x³))) as 9 ops.
fn gelu_chain() -> Kernel {
    use BinaryOp::{Add, Mul};
    use Inst::*;
    let insts = vec![
        Param(0),
        Binary(Mul, 0, 0),
        Binary(Mul, 1, 0),
        Const(0.044715),
        Binary(Mul, 2, 3),
        Binary(Add, 4, 0),
        Const(0.7978845608028654),
        Binary(Mul, 5, 6),
        Unary(UnaryOp::Tanh, 7),
        Const(1.0),
        Binary(Add, 8, 9),
        Const(0.5),
        Binary(Mul, 10, 11),
        Binary(Mul, 12, 0),
    ];
    Kernel {
        num_params: 1,
        insts,
        outputs: vec![13],
    }
}

fn data(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32 * 8.0 - 4.0
        })
        .collect()
}

fn call(k: &CpuKernel, x: &[f32], out: &mut [f32]) {
    let strides = [1isize];
    let ops = [Operand::Tensor {
        ptr: x.as_ptr(),
        strides: &strides,
    }];
    // SAFETY: x holds out.len() contiguous floats.
    unsafe { k.run(&[x.len()], &ops, &mut [out]) }.expect("jit run");
}

fn bench_gelu(c: &mut Criterion) {
    let mut g = c.benchmark_group("jit_gelu_chain");
    for unroll in [1usize, 2, 4] {
        let k = CpuKernel::with_unroll(gelu_chain(), unroll).expect("valid kernel");
        let n = 16 << 20;
        let (x, mut out) = (data(n), vec![0.0f32; n]);
        g.throughput(Throughput::Bytes(8 * n as u64));
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            g.bench_function(format!("16M/{threads}t/x{unroll}"), |b| {
                pool.install(|| b.iter(|| call(&k, &x, &mut out)))
            });
        }
        let (x, mut out) = (data(256), vec![0.0f32; 256]);
        g.throughput(Throughput::Elements(256));
        g.bench_function(format!("256/x{unroll}"), |b| {
            b.iter(|| call(&k, black_box(&x), &mut out))
        });
    }
    // Baseline: the hand-written AVX2 gelu_tanh (8 lanes, no JIT).
    let n = 16 << 20;
    let (x, mut out) = (data(n), vec![0.0f32; n]);
    g.throughput(Throughput::Bytes(8 * n as u64));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        g.bench_function(format!("16M/{threads}t/handwritten_avx2"), |b| {
            pool.install(|| {
                b.iter(|| {
                    tsc_kernels::unary::unary_f32(tsc_kernels::unary::Unary::GeluTanh, &x, &mut out)
                })
            })
        });
    }
    g.finish();
    // The model's per-call kernel: 5 ops on 16x16 (x·a + b, tanh, ·c, − y).
    let small = {
        use Inst::*;
        let insts = vec![
            Param(0),
            Param(1),
            Param(2),
            Param(3),
            Param(4),
            Binary(BinaryOp::Mul, 0, 1),
            Binary(BinaryOp::Add, 5, 2),
            Unary(UnaryOp::Tanh, 6),
            Binary(BinaryOp::Mul, 7, 3),
            Binary(BinaryOp::Sub, 8, 4),
        ];
        CpuKernel::new(Kernel {
            num_params: 5,
            insts,
            outputs: vec![9],
        })
        .expect("valid kernel")
    };
    let (x, y, mut out) = (data(256), data(256), vec![0.0f32; 256]);
    let st = [16isize, 1];
    c.bench_function("jit_small/5op_16x16", |b| {
        b.iter(|| {
            let ops = [
                Operand::Tensor {
                    ptr: black_box(&x).as_ptr(),
                    strides: &st,
                },
                Operand::Scalar(0.5),
                Operand::Scalar(0.25),
                Operand::Scalar(2.0),
                Operand::Tensor {
                    ptr: y.as_ptr(),
                    strides: &st,
                },
            ];
            // SAFETY: x and y hold 16x16 contiguous floats.
            unsafe { small.run(&[16, 16], &ops, &mut [&mut out]) }.expect("jit run")
        })
    });
    // Pure per-call overhead: the same kernel over one element.
    let st1 = [1isize, 1];
    c.bench_function("jit_small/5op_1x1", |b| {
        b.iter(|| {
            let ops = [
                Operand::Tensor {
                    ptr: black_box(&x).as_ptr(),
                    strides: &st1,
                },
                Operand::Scalar(0.5),
                Operand::Scalar(0.25),
                Operand::Scalar(2.0),
                Operand::Tensor {
                    ptr: y.as_ptr(),
                    strides: &st1,
                },
            ];
            // SAFETY: x and y hold at least one float.
            unsafe { small.run(&[1, 1], &ops, &mut [&mut out[..1]]) }.expect("jit run")
        })
    });
    let k = gelu_chain();
    c.bench_function("jit_compile/gelu_chain", |b| {
        b.iter(|| compile_time(&k, &[Class::Contiguous]).expect("compile"))
    });
}

/// softmax over the row: `exp(x - max) / sum(exp(x - max))`.
fn softmax_insts(x: u32, at: u32) -> Vec<Inst> {
    use Inst::*;
    vec![
        Reduce(ReduceOp::Max, x),
        Binary(BinaryOp::Sub, x, at),
        Unary(UnaryOp::Exp, at + 1),
        Reduce(ReduceOp::Sum, at + 2),
        Binary(BinaryOp::Div, at + 2, at + 3),
    ]
}

fn softmax() -> Kernel {
    let mut insts = vec![Inst::Param(0)];
    insts.extend(softmax_insts(0, 1));
    Kernel {
        num_params: 1,
        insts,
        outputs: vec![5],
    }
}

/// layer_norm(x, w, b, 1e-5) (operands x, w, b), then softmax: the
/// `norm_softmax` workload as one row kernel.
fn norm_softmax() -> Kernel {
    use BinaryOp::{Add, Div, Mul, Sub};
    use Inst::*;
    let mut insts = vec![
        Param(0),
        Reduce(ReduceOp::Sum, 0),
        RowLen,
        Binary(Div, 1, 2),
        Binary(Sub, 0, 3),
        Binary(Mul, 4, 4),
        Reduce(ReduceOp::Sum, 5),
        Binary(Div, 6, 2),
        Const(1e-5),
        Binary(Add, 7, 8),
        Unary(UnaryOp::Rsqrt, 9),
        Binary(Mul, 4, 10),
        Param(1),
        Binary(Mul, 11, 12),
        Param(2),
        Binary(Add, 13, 14),
    ];
    insts.extend(softmax_insts(15, 16));
    Kernel {
        num_params: 3,
        insts,
        outputs: vec![20],
    }
}

/// Row kernels over 4096×1024 (32 MiB read + written: ~1 ms at 34 GB/s)
/// on 1 and 2 threads, the hand-written softmax as the baseline, and the
/// compile time of each row kernel's contiguous specialization.
fn bench_rows(c: &mut Criterion) {
    let (rows, n) = (4096usize, 1024usize);
    let x = data(rows * n);
    let w: Vec<f32> = data(n).iter().map(|v| 1.0 + v / 8.0).collect();
    let b: Vec<f32> = data(n).iter().map(|v| v / 4.0).collect();
    let mut out = vec![0.0f32; rows * n];
    let mut g = c.benchmark_group("jit_rows");
    g.throughput(Throughput::Bytes(8 * (rows * n) as u64));
    let sm = CpuKernel::new(softmax()).expect("valid kernel");
    let ns = CpuKernel::new(norm_softmax()).expect("valid kernel");
    let full = [n as isize, 1];
    let row = [0isize, 1];
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        g.bench_function(format!("softmax_4096x1024/{threads}t"), |bch| {
            pool.install(|| {
                bch.iter(|| {
                    let ops = [Operand::Tensor {
                        ptr: x.as_ptr(),
                        strides: &full,
                    }];
                    // SAFETY: x holds rows·n contiguous floats.
                    unsafe { sm.run(&[rows, n], &ops, &mut [&mut out]) }.expect("jit run")
                })
            })
        });
        g.bench_function(format!("norm_softmax_4096x1024/{threads}t"), |bch| {
            pool.install(|| {
                bch.iter(|| {
                    let ops = [
                        Operand::Tensor {
                            ptr: x.as_ptr(),
                            strides: &full,
                        },
                        Operand::Tensor {
                            ptr: w.as_ptr(),
                            strides: &row,
                        },
                        Operand::Tensor {
                            ptr: b.as_ptr(),
                            strides: &row,
                        },
                    ];
                    // SAFETY: x holds rows·n floats, w and b n each.
                    unsafe { ns.run(&[rows, n], &ops, &mut [&mut out]) }.expect("jit run")
                })
            })
        });
        g.bench_function(format!("softmax_4096x1024/{threads}t/handwritten"), |bch| {
            pool.install(|| bch.iter(|| tsc_kernels::rows::softmax_rows_f32(&x, &mut out, n)))
        });
    }
    g.finish();
    for (name, k, classes) in [
        ("softmax", softmax(), vec![Class::Contiguous]),
        (
            "norm_softmax",
            norm_softmax(),
            vec![Class::Contiguous, Class::Contiguous, Class::Contiguous],
        ),
    ] {
        c.bench_function(&format!("jit_compile/{name}"), |bch| {
            bch.iter(|| compile_time(&k, &classes).expect("compile"))
        });
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_gelu, bench_rows
}
criterion_main!(benches);
