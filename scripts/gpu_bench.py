"""The benchmark workloads of shared/bench on the GPU, for scripts/gpu-check.sh:
PyTorch eager on CUDA (CUDA events, median of 20 after 3 warm-ups) next to
`tsc bench --mode script --device cuda` (median of 20 after 3, each call
ending with a device synchronize). Writes weights (torch.manual_seed(0)
before building the module, eval mode) and inputs (torch.randn, seed 1) as
safetensors with a small writer of its own (no `safetensors` package
needed), then prints one markdown table row per workload.

usage: gpu_bench.py BENCH_DIR TSC OUT_DIR"""
import json
import os
import struct
import subprocess
import sys
import time

import torch

BENCH, TSC, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}


def save(tensors, path):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def torch_ms(f, args):
    with torch.no_grad():
        for _ in range(3):
            f(*args)
        torch.cuda.synchronize()
        times = []
        for _ in range(20):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            f(*args)
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
    return sorted(times)[len(times) // 2]


def tsc_cmd(w, wpath, ipath, mode, iters, warmup):
    cmd = [TSC, "bench", os.path.join(BENCH, w["file"]), "--entry", w["entry"], "--inputs", ipath, "--mode", mode,
           "--device", "cuda", "--iters", str(iters), "--warmup", str(warmup), "--json"]
    return cmd + (["--weights", wpath] if wpath else [])


def fallbacks(w, wpath, ipath):
    """The ops of one call that ran through the host (TSC_CUDA_LOG_FALLBACK)."""
    env = dict(os.environ, TSC_CUDA_LOG_FALLBACK="1")
    try:
        p = subprocess.run(tsc_cmd(w, wpath, ipath, "script", 1, 0), capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        return ["(timed out)"]
    return [l[len("cuda fallback: "):] for l in p.stderr.splitlines() if l.startswith("cuda fallback: ")]


def tsc_ms(w, wpath, ipath, mode, timeout):
    cmd = tsc_cmd(w, wpath, ipath, mode, 20, 3)
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout}s"
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:160]
    return json.loads(p.stdout)["median_s"] * 1e3, f"{time.time() - t0:.1f}s wall"


def main():
    manifest = json.load(open(os.path.join(BENCH, "workloads.json")))
    os.makedirs(OUT, exist_ok=True)
    print("| workload | PyTorch eager (ms) | tsc script (ms) | tsc / PyTorch | note |")
    print("|---|---|---|---|---|")
    fb = []
    for w in manifest["workloads"]:
        ns = {"__name__": "bench_model"}
        src = os.path.join(BENCH, w["file"])
        exec(compile(open(src).read(), src, "exec"), ns)
        torch.manual_seed(manifest.get("weight_seed", 0))
        model = eval(w["entry"], ns)
        wpath = None
        if w["kind"] == "module":
            model.eval()
            wpath = os.path.join(OUT, w["name"] + ".weights.safetensors")
            save(model.state_dict(), wpath)
        g = torch.Generator().manual_seed(manifest.get("input_seed", 1))
        inputs = {}
        for inp in w["inputs"]:
            dt = getattr(torch, inp["dtype"])
            inputs[inp["name"]] = torch.zeros(inp["shape"], dtype=dt) if inp.get("init") == "zeros" else torch.randn(inp["shape"], generator=g).to(dt)
        ipath = os.path.join(OUT, w["name"] + ".inputs.safetensors")
        save(inputs, ipath)
        if w["kind"] == "module":
            model = model.cuda()
        args = [inputs[i["name"]].cuda() for i in w["inputs"]]
        try:
            ref = torch_ms(model, args)
        except Exception as e:  # noqa: BLE001
            ref = None
            print(f"<!-- torch {w['name']}: {e} -->")
        ms, note = tsc_ms(w, wpath, ipath, "script", 120)
        ratio = f"{ms / ref:.2f}" if ms and ref else "-"
        fmt = lambda x: f"{x:.3f}" if x is not None else "-"  # noqa: E731
        print(f"| {w['name']} | {fmt(ref)} | {fmt(ms)} | {ratio} | {note} |", flush=True)
        fb.append((w["name"], fallbacks(w, wpath, ipath)))
    print()
    print("Ops that ran through the host (one call, script mode):")
    for name, ops in fb:
        print(f"- {name}: " + ("none" if not ops else "; ".join(ops)))


main()
