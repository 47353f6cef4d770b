"""PyTorch eager on the same GPU, for scripts/gpu-check.sh: the pointwise
workload (the 9-op GELU-tanh chain over 16M float32) and F.gelu(tanh).
Prints `timing: torch ...` lines (ms per call, CUDA events, median of 20)."""
import torch
import torch.nn.functional as F


def chain(x):
    x3 = x * x * x
    inner = (x + 0.044715 * x3) * 0.7978845608028654
    return 0.5 * x * (1.0 + torch.tanh(inner))


def bench(name, f, x):
    for _ in range(3):
        f(x)
    times = []
    for _ in range(20):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        f(x)
        b.record()
        torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
    ms = sorted(times)[len(times) // 2]
    gbs = 2 * x.numel() * 4 / (ms * 1e-3) / 1e9
    print(f"timing: torch {name} 16M: {ms:.3f} ms ({gbs:.0f} GB/s of one read + one write)")


x = torch.randn(16 << 20, device="cuda")
print("timing: torch", torch.__version__, torch.cuda.get_device_name())
bench("eager gelu_tanh_chain (9 ops)", chain, x)
bench("F.gelu(tanh)", lambda t: F.gelu(t, approximate="tanh"), x)
