"""The benchmark workloads of shared/bench on the GPU, for scripts/gpu-check.sh:
PyTorch eager on CUDA next to `tsc bench --mode script --device cuda`,
both timed the same two ways (median of 20 calls after 3 warm-ups): between
CUDA events recorded before and after the call, and wall clock to the end of
a device synchronize. Writes weights (torch.manual_seed(0)
before building the module, eval mode) and inputs (torch.randn, seed 1) as
safetensors with a small writer of its own (no `safetensors` package
needed), then prints one markdown table row per workload.

Then the same in float16 and bfloat16 (`model.half()` / `.bfloat16()` in
both: tsc's entry gets the same call, weights are saved in that dtype,
float inputs cast), with the outputs of `tsc run --device cuda` (eager) and
`tsc compile` + `tsc exec --device cuda` (script) against PyTorch's on the
GPU: the max abs difference over the max |PyTorch output|.

usage: gpu_bench.py BENCH_DIR TSC OUT_DIR [float32|narrow|all]"""
import json
import os
import struct
import subprocess
import sys
import time

import torch

BENCH, TSC, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
WHAT = sys.argv[4] if len(sys.argv) > 4 else "all"
NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL",
         torch.float16: "F16", torch.bfloat16: "BF16"}
DTYPES = {v: k for k, v in NAMES.items()}


def raw(t):
    t = t.detach().contiguous().cpu()
    return (t.view(torch.int16) if t.dtype in (torch.float16, torch.bfloat16) else t).numpy().tobytes()


def load(path):
    """A safetensors file as a dict of CPU tensors (no `safetensors` needed)."""
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    out = {}
    for name, h in json.loads(data[8:8 + n]).items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        dt = DTYPES[h["dtype"]]
        blob = bytearray(data[8 + n + a:8 + n + b])
        wide = torch.int16 if dt in (torch.float16, torch.bfloat16) else dt
        out[name] = torch.frombuffer(blob, dtype=wide).view(dt).reshape(h["shape"]) if blob else torch.zeros(h["shape"], dtype=dt)
    return out


def save(tensors, path):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = raw(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def torch_ms(f, args):
    """Median ms per call: between CUDA events, and wall clock to the end of
    a synchronize."""
    with torch.no_grad():
        for _ in range(3):
            f(*args)
        torch.cuda.synchronize()
        times, walls = [], []
        for _ in range(20):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            t0 = time.perf_counter()
            a.record()
            f(*args)
            b.record()
            torch.cuda.synchronize()
            walls.append((time.perf_counter() - t0) * 1e3)
            times.append(a.elapsed_time(b))
    return sorted(times)[len(times) // 2], sorted(walls)[len(walls) // 2]


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
        return (None, None), f"timed out after {timeout}s"
    if p.returncode != 0:
        return (None, None), (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:160]
    r = json.loads(p.stdout)
    return (r["events_median_s"] * 1e3, r["median_s"] * 1e3), f"{time.time() - t0:.1f}s wall"


def build(w, manifest, dtype):
    """The workload's PyTorch callable on the GPU, its weights and inputs
    files, and the GPU inputs, in `dtype` (float tensors only)."""
    ns = {"__name__": "bench_model"}
    src = os.path.join(BENCH, w["file"])
    exec(compile(open(src).read(), src, "exec"), ns)
    torch.manual_seed(manifest.get("weight_seed", 0))
    model = eval(w["entry"], ns)
    tag = "" if dtype == torch.float32 else "." + NAMES[dtype]
    wpath = None
    if w["kind"] == "module":
        model = model.eval().to(dtype)
        wpath = os.path.join(OUT, w["name"] + tag + ".weights.safetensors")
        save(model.state_dict(), wpath)
    g = torch.Generator().manual_seed(manifest.get("input_seed", 1))
    inputs = {}
    for inp in w["inputs"]:
        dt = getattr(torch, inp["dtype"])
        x = torch.zeros(inp["shape"], dtype=dt) if inp.get("init") == "zeros" else torch.randn(inp["shape"], generator=g).to(dt)
        inputs[inp["name"]] = x.to(dtype) if x.is_floating_point() else x
    ipath = os.path.join(OUT, w["name"] + tag + ".inputs.safetensors")
    save(inputs, ipath)
    if w["kind"] == "module":
        model = model.cuda()
    return model, wpath, ipath, [inputs[i["name"]].cuda() for i in w["inputs"]]


def run_ok(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError((p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:160])


def narrow():
    """float16 and bfloat16: time and accuracy against PyTorch on the GPU."""
    manifest = json.load(open(os.path.join(BENCH, "workloads.json")))
    print("| workload | dtype | PyTorch eager (ms) | tsc script (ms) | tsc / PyTorch | max abs diff eager / script (max abs of PyTorch's output) |")
    print("|---|---|---|---|---|---|")
    fb = []
    for dtype, call in [(torch.float16, "half"), (torch.bfloat16, "bfloat16")]:
        for w in manifest["workloads"]:
            if w["name"] in ("mlp_b1", "small_ops"):
                continue
            model, wpath, ipath, args = build(w, manifest, dtype)
            ww = dict(w, entry=w["entry"] + f".{call}()" if w["kind"] == "module" else w["entry"])
            try:
                ref = torch_ms(model, args)
                with torch.no_grad():
                    want = model(*args)
                want = (want[0] if isinstance(want, (tuple, list)) else want).float().cpu()
            except Exception as e:  # noqa: BLE001
                print(f"| {w['name']} | {NAMES[dtype]} | torch: {str(e)[:80]} | | | |", flush=True)
                continue
            ref = ref[0]
            ms, note = tsc_ms(ww, wpath, ipath, "script", 120)
            ms = ms[0]
            diffs = []
            src = os.path.join(BENCH, w["file"])
            for mode in ("eager", "script"):
                out = os.path.join(OUT, f"{w['name']}.{NAMES[dtype]}.{mode}.out.safetensors")
                wargs = ["--weights", wpath] if wpath else []
                try:
                    if mode == "eager":
                        run_ok([TSC, "run", src, "--entry", ww["entry"], *wargs, "--inputs", ipath, "--output", out, "--device", "cuda"])
                    else:
                        tsg = out + ".tsg"
                        run_ok([TSC, "compile", src, "--entry", ww["entry"], *wargs, "-o", tsg])
                        run_ok([TSC, "exec", tsg, "--inputs", ipath, "--output", out, "--device", "cuda"])
                    got = load(out)
                    got = got.get("output", got.get("output.0"))
                    bad = "" if got.dtype == dtype else f" (dtype {got.dtype})"
                    diffs.append(f"{(got.float() - want).abs().max().item():.3g}{bad}")
                except Exception as e:  # noqa: BLE001
                    diffs.append(f"error: {str(e)[:100]}")
            ratio = f"{ms / ref:.2f}" if ms and ref else "-"
            fmt = lambda x: f"{x:.3f}" if x is not None else note  # noqa: E731
            print(f"| {w['name']} | {NAMES[dtype]} | {ref:.3f} | {fmt(ms)} | {ratio} | {' / '.join(diffs)} ({want.abs().max().item():.3g}) |", flush=True)
            fb.append((f"{w['name']} {NAMES[dtype]}", fallbacks(ww, wpath, ipath)))
    print()
    print("Ops that ran through the host (one call, script mode):")
    for name, ops in fb:
        print(f"- {name}: " + ("none" if not ops else "; ".join(ops)))


def main():
    manifest = json.load(open(os.path.join(BENCH, "workloads.json")))
    os.makedirs(OUT, exist_ok=True)
    print("| workload | PyTorch eager (ms) | tsc script (ms) | tsc / PyTorch | wall with synchronize: PyTorch / tsc (ms) | note |")
    print("|---|---|---|---|---|---|")
    fb = []
    for w in manifest["workloads"]:
        model, wpath, ipath, args = build(w, manifest, torch.float32)
        try:
            ref, ref_wall = torch_ms(model, args)
        except Exception as e:  # noqa: BLE001
            ref = ref_wall = None
            print(f"<!-- torch {w['name']}: {e} -->")
        (ms, wall), note = tsc_ms(w, wpath, ipath, "script", 120)
        ratio = f"{ms / ref:.2f}" if ms and ref else "-"
        fmt = lambda x: f"{x:.3f}" if x is not None else "-"  # noqa: E731
        print(f"| {w['name']} | {fmt(ref)} | {fmt(ms)} | {ratio} | {fmt(ref_wall)} / {fmt(wall)} | {note} |", flush=True)
        fb.append((w["name"], fallbacks(w, wpath, ipath)))
    print()
    print("Ops that ran through the host (one call, script mode):")
    for name, ops in fb:
        print(f"- {name}: " + ("none" if not ops else "; ".join(ops)))


if WHAT in ("float32", "all"):
    main()
if WHAT in ("narrow", "all"):
    os.makedirs(OUT, exist_ok=True)
    print()
    narrow()
