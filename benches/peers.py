"""Peer numbers for the kernel benchmarks: the shapes of
`kernels/benches/kernels.rs`, measured in PyTorch (CPU) and numpy.

    python benches/peers.py            # markdown table
    python benches/peers.py --json     # one JSON object

PyTorch runs with torch.set_num_threads(2) (the machine's cores); numpy's
BLAS uses its default threads (also 2 here) and its ufuncs are single
threaded. Every timing is the median of repeated runs after a warm-up, into
preallocated outputs (`out=`) wherever the library offers one; otherwise the
allocation is part of the time and the row says so. Units: GEMM/conv in
GFLOP/s (2 per multiply-add), memory-bound kernels in GB/s of bytes read +
written (decimal), the same accounting as the criterion benches.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)


def median_time(fn, min_reps=10, min_seconds=1.0, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    times.sort()
    return times[len(times) // 2]


def rnd(*shape):
    g = np.random.default_rng(0)
    return (g.random(shape, dtype=np.float32) * 4 - 2).astype(np.float32)


rows = []  # (workload, unit, torch value, numpy value, note)


def add(workload, unit, amount, t_torch, t_numpy, note=""):
    rate = lambda t: None if t is None else amount / t / 1e9
    rows.append((workload, unit, rate(t_torch), rate(t_numpy), note))


def gemm_rows():
    for m, k, n, wt in [(1024, 1024, 1024, False), (64, 1024, 4096, False), (1, 1024, 4096, False), (1, 1024, 4096, True), (1, 4096, 1024, True), (1, 4096, 4096, True)]:
        a = rnd(m, k)
        b = rnd(n, k).T if wt else rnd(k, n)  # Wᵀ view of an nn.Linear weight
        ta, tb = torch.from_numpy(a), torch.from_numpy(np.ascontiguousarray(b.T)).T if wt else torch.from_numpy(b)
        tc = torch.empty(m, n)
        c = np.empty((m, n), np.float32)
        tt = median_time(lambda: torch.mm(ta, tb, out=tc))
        tn = median_time(lambda: np.matmul(a, b, out=c))
        add(f"sgemm {m}x{k}x{n} ({'B=Wᵀ' if wt else 'B row-major'})", "GFLOP/s", 2 * m * k * n, tt, tn)


def conv_rows():
    for name, cin, hw, cout, s in [("stem 3→32 32×32", 3, 32, 32, 1), ("32→32 32×32", 32, 32, 32, 1), ("64→64 16×16", 64, 16, 64, 1), ("32→64 32×32 stride 2", 32, 32, 64, 2)]:
        x = torch.from_numpy(rnd(32, cin, hw, hw))
        w = torch.from_numpy(rnd(cout, cin, 3, 3))
        oh = (hw + 2 - 3) // s + 1
        macs = 32 * cout * oh * oh * cin * 9
        with torch.no_grad():
            tt = median_time(lambda: F.conv2d(x, w, stride=s, padding=1))
        add(f"conv2d batch 32, {name}, 3×3", "GFLOP/s", 2 * macs, tt, None, "torch allocates the output")


def elementwise_rows():
    n = 16 << 20
    a, b = rnd(n), rnd(n)
    out = np.empty(n, np.float32)
    t1, t2 = np.empty(n, np.float32), np.empty(n, np.float32)
    ta, tb, to = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out.copy())

    add("copy 16M f32 (64 MiB)", "GB/s", 8 * n, median_time(lambda: to.copy_(ta)), median_time(lambda: np.copyto(out, a)))
    add("add 16M", "GB/s", 12 * n, median_time(lambda: torch.add(ta, tb, out=to)), median_time(lambda: np.add(a, b, out=out)))
    add("relu 16M", "GB/s", 8 * n, median_time(lambda: torch.clamp(ta, min=0, out=to)), median_time(lambda: np.maximum(a, 0, out=out)))
    add("exp 16M", "GB/s", 8 * n, median_time(lambda: torch.exp(ta, out=to)), median_time(lambda: np.exp(a, out=out)))
    add("tanh 16M", "GB/s", 8 * n, median_time(lambda: torch.tanh(ta, out=to)), median_time(lambda: np.tanh(a, out=out)))

    def np_gelu_tanh():
        np.multiply(a, a, out=t1)
        np.multiply(t1, 0.044715, out=t1)
        np.add(t1, 1.0, out=t1)
        np.multiply(t1, a, out=t1)
        np.multiply(t1, 0.7978845608, out=t1)
        np.tanh(t1, out=t1)
        np.add(t1, 1.0, out=t1)
        np.multiply(t1, 0.5, out=t1)
        np.multiply(t1, a, out=out)

    def np_silu():
        np.negative(a, out=t1)
        np.exp(t1, out=t1)
        np.add(t1, 1.0, out=t1)
        np.divide(a, t1, out=out)

    add("gelu (erf) 16M", "GB/s", 8 * n, median_time(lambda: torch.ops.aten.gelu.out(ta, approximate="none", out=to)), None, "numpy has no erf")
    add("gelu (tanh) 16M", "GB/s", 8 * n, median_time(lambda: torch.ops.aten.gelu.out(ta, approximate="tanh", out=to)), median_time(np_gelu_tanh), "numpy: ufunc chain with out=")
    add("silu 16M", "GB/s", 8 * n, median_time(lambda: torch.ops.aten.silu.out(ta, out=to)), median_time(np_silu), "numpy: ufunc chain with out=")
    add("sum 16M", "GB/s", 4 * n, median_time(lambda: torch.sum(ta)), median_time(lambda: np.sum(a)))


def row_rows():
    r, c = 4096, 1024
    x = rnd(r, c)
    tx = torch.from_numpy(x)
    to = torch.empty(r, c)
    w, bb = torch.from_numpy(rnd(c)), torch.from_numpy(rnd(c))
    out = np.empty((r, c), np.float32)
    mx = np.empty((r, 1), np.float32)
    sm = np.empty((r, 1), np.float32)

    def np_softmax():
        np.max(x, axis=1, keepdims=True, out=mx)
        np.subtract(x, mx, out=out)
        np.exp(out, out=out)
        np.sum(out, axis=1, keepdims=True, out=sm)
        np.divide(out, sm, out=out)

    def np_layer_norm():
        np.mean(x, axis=1, keepdims=True, out=mx)
        np.subtract(x, mx, out=out)
        np.mean(np.square(out), axis=1, keepdims=True, out=sm)
        np.add(sm, 1e-5, out=sm)
        np.sqrt(sm, out=sm)
        np.divide(out, sm, out=out)
        np.multiply(out, w.numpy(), out=out)
        np.add(out, bb.numpy(), out=out)

    add("softmax 4096×1024", "GB/s", 8 * r * c, median_time(lambda: torch.ops.aten._softmax.out(tx, -1, False, out=to)), median_time(np_softmax), "numpy: ufunc chain with out=")
    add("log_softmax 4096×1024", "GB/s", 8 * r * c, median_time(lambda: torch.ops.aten._log_softmax.out(tx, -1, False, out=to)), None)
    add("layer_norm 4096×1024", "GB/s", 8 * r * c, median_time(lambda: F.layer_norm(tx, (c,), w, bb, 1e-5)), median_time(np_layer_norm), "torch allocates the output; numpy: ufunc chain")


def main():
    gemm_rows()
    conv_rows()
    elementwise_rows()
    row_rows()
    if "--json" in sys.argv:
        print(json.dumps({"torch": torch.__version__, "numpy": np.__version__, "rows": rows}, ensure_ascii=False))
        return
    fmt = lambda v: "—" if v is None else f"{v:.1f}"
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    print("| workload | PyTorch | numpy | unit | note |")
    print("|---|---|---|---|---|")
    for w, u, t, n, note in rows:
        print(f"| {w} | {fmt(t)} | {fmt(n)} | {u} | {note} |")


if __name__ == "__main__":
    main()
