"""The example models on the GPU, for scripts/gpu-check.sh: each
examples/NAME.py runs eagerly (`tsc run --device cuda`) and compiled
(`tsc compile`, then `tsc exec --device cuda`), and its outputs must match
PyTorch's stored in examples/data/NAME.expected.safetensors within 1e-4
(cuBLAS sums in another order than the CPU). Prints one line per example
and mode with the max abs difference; exits 1 if any differs or fails.

usage: gpu_examples.py TSC OUT_DIR  (needs numpy and safetensors.numpy)"""
import os
import subprocess
import sys

from safetensors.numpy import load_file

TSC, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
bad = 0
for name in ["mlp", "lenet", "lstm", "control", "gpt2_block"]:
    data = os.path.join("examples", "data", name)
    entry = open(data + ".entry").read().strip()
    src = os.path.join("examples", name + ".py")
    w, i = data + ".weights.safetensors", data + ".inputs.safetensors"
    eager_out, script_out, tsg = (os.path.join(OUT, f"{name}.{k}") for k in ("eager.safetensors", "script.safetensors", "tsg"))
    runs = {
        "eager": [[TSC, "run", src, "--entry", entry, "--weights", w, "--inputs", i, "--output", eager_out, "--device", "cuda"]],
        "script": [[TSC, "compile", src, "--entry", entry, "--weights", w, "-o", tsg],
                   [TSC, "exec", tsg, "--inputs", i, "--output", script_out, "--device", "cuda"]],
    }
    want = load_file(data + ".expected.safetensors")
    for mode, cmds in runs.items():
        err = next((p.stderr.strip() for p in (subprocess.run(c, capture_output=True, text=True, timeout=120) for c in cmds)
                    if p.returncode != 0), None)
        if err is not None:
            print(f"example {name} {mode}: FAIL: {err[-300:]}")
            bad += 1
            continue
        got = load_file(eager_out if mode == "eager" else script_out)
        diff = max(float(abs(got[k].astype("float64") - want[k].astype("float64")).max(initial=0.0)) for k in want)
        ok = set(got) == set(want) and diff <= 1e-4
        bad += not ok
        print(f"example {name} {mode} on cuda: {'ok' if ok else 'FAIL'} (max abs diff {diff:.2e})")
sys.exit(1 if bad else 0)
