//! Criterion benchmarks of tensor-level ops through the registry
//! (`cargo bench -p tsc-runtime`): what a user of the eager op library pays,
//! allocation of the result included, next to the raw kernels in
//! `kernels/benches`. Also the per-call overhead of a tiny op.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;
use tsc_runtime::{call, Tensor, Value};

fn ramp(n: usize, shape: &[usize]) -> Value {
    let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0).collect();
    Value::Tensor(Tensor::from_vec(v, shape).expect("shape matches"))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ops");
    g.sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));

    let n = 16 << 20;
    let (a, b) = (ramp(n, &[4096, 4096]), ramp(n, &[4096, 4096]));
    g.throughput(Throughput::Bytes((n * 12) as u64));
    g.bench_function("add_16M", |bn| bn.iter(|| call("add", &[a.clone(), b.clone()], &[]).expect("add")));
    g.throughput(Throughput::Bytes((n * 8) as u64));
    g.bench_function("gelu_16M", |bn| bn.iter(|| call("gelu", &[a.clone()], &[]).expect("gelu")));

    let rows = ramp(4096 * 1024, &[4096, 1024]);
    g.throughput(Throughput::Bytes((4096 * 1024 * 8) as u64));
    g.bench_function("softmax_4096x1024", |bn| {
        bn.iter(|| call("softmax", &[rows.clone(), Value::Int(-1)], &[]).expect("softmax"))
    });
    let shape = Value::List(vec![Value::Int(1024)]);
    g.bench_function("layer_norm_4096x1024", |bn| {
        bn.iter(|| call("layer_norm", &[rows.clone(), shape.clone()], &[]).expect("layer_norm"))
    });

    let small = ramp(256, &[16, 16]);
    g.throughput(Throughput::Elements(1));
    g.bench_function("mul_scalar_16x16_overhead", |bn| {
        bn.iter(|| call("mul", &[small.clone(), Value::Float(1.5)], &[]).expect("mul"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
