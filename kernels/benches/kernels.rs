//! Criterion benchmarks of the hot kernels on the workload shapes
//! (`cargo bench -p tsc-kernels`; a few minutes). Throughput units:
//! GEMM/conv report FLOPs as "elements" (2 per multiply-add), memory-bound
//! kernels report bytes read + written (decimal GB/s). `benches/peers.py`
//! at the repository root measures the same shapes in PyTorch and numpy;
//! `benches/README.md` holds both sets of numbers.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use tsc_kernels::binary::{binary_f32, sum_f32, Binary};
use tsc_kernels::conv::{
    conv2d_f32, conv2d_with_shortcut_f32, Conv2dParams, ConvEpilogue, Shortcut,
};
use tsc_kernels::gemm::{gemm_f32, gemm_packed_bias, MatRef, PackedB};
use tsc_kernels::rows::{layer_norm_rows_f32, log_softmax_rows_f32, softmax_rows_f32};
use tsc_kernels::unary::{unary_f32, Unary};

fn data(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / (1u32 << 24) as f32 * 4.0 - 2.0
        })
        .collect()
}

/// `m×k×n`: A `[m,k]` row-major; B `[k,n]` row-major, or the transpose of a
/// `[n,k]` weight (`nn.Linear` layout) when `b_is_weight_t`.
fn bench_gemm_shape(c: &mut Criterion, m: usize, k: usize, n: usize, b_is_weight_t: bool) {
    let a = data(m * k, 1);
    let b = data(k * n, 2);
    let mut out = vec![0.0f32; m * n];
    let (rs, cs) = if b_is_weight_t { (1, k) } else { (n, 1) };
    let tag = if b_is_weight_t { "Wt" } else { "B" };
    let mut g = c.benchmark_group("sgemm");
    g.throughput(Throughput::Elements((2 * m * k * n) as u64));
    g.bench_function(format!("{m}x{k}x{n}_{tag}"), |bch| {
        bch.iter(|| {
            gemm_f32(
                m,
                n,
                k,
                MatRef {
                    data: &a,
                    offset: 0,
                    rs: k,
                    cs: 1,
                },
                MatRef {
                    data: &b,
                    offset: 0,
                    rs,
                    cs,
                },
                &mut out,
                1.0,
                0.0,
            );
            black_box(&out);
        })
    });
    if m == 1 {
        // Baseline: the gemm crate on the same GEMV (what gemm_f32 replaced).
        g.bench_function(format!("{m}x{k}x{n}_{tag}_gemm_crate"), |bch| {
            bch.iter(|| {
                // SAFETY: a is 1×k contiguous, b is k×n with strides (rs, cs)
                // inside its k·n elements, out has n elements.
                unsafe {
                    gemm::gemm(
                        1,
                        n,
                        k,
                        out.as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        a.as_ptr(),
                        1,
                        k as isize,
                        b.as_ptr(),
                        cs as isize,
                        rs as isize,
                        0.0f32,
                        1.0f32,
                        false,
                        false,
                        false,
                        gemm::Parallelism::Rayon(0),
                    )
                };
                black_box(&out);
            })
        });
    }
    g.finish();
}

/// `nn.Linear` on weights packed once (as the runtime's plan packs them):
/// `[m,k]` times the transpose of a `[n,k]` weight, plus the bias.
fn bench_linear_packed(c: &mut Criterion, m: usize, k: usize, n: usize) {
    let a = data(m * k, 1);
    let w = data(n * k, 2);
    let bias = data(n, 3);
    let wt = MatRef {
        data: &w,
        offset: 0,
        rs: 1,
        cs: k,
    };
    let Some(packed) = PackedB::new(k, n, wt) else {
        return; // no AVX2+FMA: the runtime uses the gemm crate
    };
    let mut out = vec![0.0f32; m * n];
    let mut g = c.benchmark_group("linear_packed");
    g.throughput(Throughput::Elements((2 * m * k * n) as u64));
    g.bench_function(format!("{m}x{k}x{n}"), |bch| {
        bch.iter(|| {
            let a = MatRef {
                data: black_box(&a),
                offset: 0,
                rs: k,
                cs: 1,
            };
            gemm_packed_bias(m, a, &packed, &mut out, &bias);
            black_box(&out);
        })
    });
}

fn bench_gemm(c: &mut Criterion) {
    // mlp_b64's three layers and gpt_block's QKV projection.
    bench_linear_packed(c, 64, 1024, 4096);
    bench_linear_packed(c, 64, 4096, 4096);
    bench_linear_packed(c, 64, 4096, 1024);
    bench_linear_packed(c, 128, 768, 2304);
    bench_gemm_shape(c, 1024, 1024, 1024, false);
    bench_gemm_shape(c, 64, 1024, 4096, false);
    bench_gemm_shape(c, 1, 1024, 4096, false);
    bench_gemm_shape(c, 1, 1024, 4096, true);
    bench_gemm_shape(c, 1, 4096, 1024, true);
    bench_gemm_shape(c, 1, 4096, 4096, true); // 64 MiB: beyond the 32 MiB L3
}

fn bench_conv(c: &mut Criterion) {
    let mut g = c.benchmark_group("conv2d");
    // The CNN workload (shared/bench/models/cnn.py), batch 32.
    for (name, c_in, hw, c_out, stride, ks) in [
        ("stem_3to32_32x32", 3, 32, 32, 1, 3),
        ("l1_32to32_32x32", 32, 32, 32, 1, 3),
        ("l2_64to64_16x16", 64, 16, 64, 1, 3),
        ("l3_128to128_8x8", 128, 8, 128, 1, 3),
        ("l2down_32to64_s2", 32, 32, 64, 2, 3),
        ("l3down_64to128_s2", 64, 16, 128, 2, 3),
        ("l2short_32to64_1x1_s2", 32, 32, 64, 2, 1),
        ("l3short_64to128_1x1_s2", 64, 16, 128, 2, 1),
    ] {
        let p = Conv2dParams {
            n: 32,
            c_in,
            h: hw,
            w: hw,
            c_out,
            kh: ks,
            kw: ks,
            stride: (stride, stride),
            pad_h: (ks / 2, ks / 2),
            pad_w: (ks / 2, ks / 2),
            dilation: (1, 1),
            groups: 1,
        };
        let x = data(32 * c_in * hw * hw, 3);
        let w = data(c_out * c_in * ks * ks, 4);
        let (oh, ow) = p.out_hw();
        let mut out = vec![0.0f32; 32 * c_out * oh * ow];
        g.throughput(Throughput::Elements(2 * p.macs() as u64));
        g.bench_function(name, |b| {
            b.iter(|| conv2d_f32(&p, black_box(&x), &w, None, &mut out))
        });
        // The stride-2 convs with their block's 1×1 shortcut in one pass.
        if stride == 2 && ks == 3 {
            let sw = data(c_out * c_in, 5);
            let s = Shortcut {
                c_out,
                weight: &sw,
                bias: None,
            };
            let mut short = out.clone();
            let epi = ConvEpilogue::default();
            g.throughput(Throughput::Elements(
                2 * (p.macs() + s.params(&p).macs()) as u64,
            ));
            g.bench_function(format!("{name}_with_shortcut"), |b| {
                b.iter(|| {
                    conv2d_with_shortcut_f32(
                        &p,
                        black_box(&x),
                        &w,
                        None,
                        epi,
                        &mut out,
                        s,
                        &mut short,
                    )
                })
            });
        }
    }
    g.finish();
}

fn bench_elementwise(c: &mut Criterion) {
    const N: usize = 16 << 20;
    let a = data(N, 5);
    let b = data(N, 6);
    let mut out = vec![0.0f32; N];
    let mut g = c.benchmark_group("elementwise_16M");
    g.throughput(Throughput::BytesDecimal((8 * N) as u64));
    // The machine's copy bandwidth: one memcpy, and split over the pool.
    g.bench_function("copy", |bch| {
        bch.iter(|| out.copy_from_slice(black_box(&a)))
    });
    g.bench_function("copy_2t", |bch| {
        bch.iter(|| {
            tsc_kernels::parallel::map_chunks_mut(&mut out, 1, |s, o| {
                o.copy_from_slice(&black_box(&a)[s..s + o.len()])
            })
        })
    });
    g.throughput(Throughput::BytesDecimal((12 * N) as u64));
    g.bench_function("add", |bch| {
        bch.iter(|| binary_f32(Binary::Add, black_box(&a), &b, &mut out))
    });
    g.throughput(Throughput::BytesDecimal((8 * N) as u64));
    for (name, f) in [
        ("relu", Unary::Relu),
        ("exp", Unary::Exp),
        ("tanh", Unary::Tanh),
        ("gelu", Unary::Gelu),
        ("gelu_tanh", Unary::GeluTanh),
        ("silu", Unary::Silu),
    ] {
        g.bench_function(name, |bch| {
            bch.iter(|| unary_f32(f, black_box(&a), &mut out))
        });
    }
    g.throughput(Throughput::BytesDecimal((4 * N) as u64));
    g.bench_function("sum", |bch| bch.iter(|| black_box(sum_f32(black_box(&a)))));
    g.finish();
}

fn bench_rows(c: &mut Criterion) {
    let (rows, cols) = (4096usize, 1024usize);
    let x = data(rows * cols, 7);
    let w = data(cols, 8);
    let bias = data(cols, 9);
    let mut out = vec![0.0f32; rows * cols];
    let mut g = c.benchmark_group("rows_4096x1024");
    g.throughput(Throughput::BytesDecimal((8 * rows * cols) as u64));
    g.bench_function("softmax", |b| {
        b.iter(|| softmax_rows_f32(black_box(&x), &mut out, cols))
    });
    g.bench_function("log_softmax", |b| {
        b.iter(|| log_softmax_rows_f32(black_box(&x), &mut out, cols))
    });
    g.bench_function("layer_norm", |b| {
        b.iter(|| layer_norm_rows_f32(black_box(&x), &mut out, cols, Some(&w), Some(&bias), 1e-5))
    });
    g.finish();
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
    targets = bench_gemm, bench_conv, bench_elementwise, bench_rows
}
criterion_main!(benches);
