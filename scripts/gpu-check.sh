#!/usr/bin/env bash
# The GPU check, in two halves (the GPU machine has no Rust and no network):
#
#   scripts/gpu-check.sh build        on the dev machine: builds the release test
#                                     binary of runtime/tests/cuda.rs and the tsc
#                                     CLI into gpu-bin/ (gitignored, < 60 MiB)
#   scripts/gpu-check.sh run OUTDIR   on the GPU machine, from the repo root with
#                                     gpu-bin/ carried along: finds libnvrtc.so.13
#                                     and libcublas.so.13 in the Python `nvidia`
#                                     packages, runs the GPU tests with
#                                     TSC_REQUIRE_CUDA=1, writes OUTDIR/report.md
#                                     (and OUTDIR/gpu-check.log). A few minutes.
#
# The device tool copies the tracked files and the carried gpu-bin/ (64 MiB
# in all); tests/reference/data (~66 MB) does not fit beside gpu-bin, and the
# GPU check does not read it: move it aside for the `run` call, then back.
#
# Exit status of `run`: 0 when every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."

build() {
  set -e
  local target="${CARGO_TARGET_DIR:-target}"
  rm -rf gpu-bin
  mkdir -p gpu-bin
  cargo build --release -p tsc --bin tsc
  # The test executable's path, from cargo's JSON messages.
  local exe
  local t
  for t in cuda cuda_tensors; do
    exe=$(cargo test --release -p tsc-runtime --test "$t" --no-run --message-format=json |
      T="$t" python3 -c '
import json, os, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == os.environ["T"] and m.get("executable"):
        print(m["executable"])
')
    [ -n "$exe" ] || { echo "gpu-check: no test executable for runtime/tests/$t.rs" >&2; exit 1; }
    cp "$exe" "gpu-bin/runtime-$t-tests"
  done
  cp "$target/release/tsc" gpu-bin/tsc
  # The conformance cases and the benchmark workloads (no inputs: the GPU
  # machine makes them), from the shared folder beside the checkout.
  cp -r ../shared/conformance gpu-bin/conformance
  mkdir -p gpu-bin/bench
  cp -r ../shared/bench/models ../shared/bench/workloads.json gpu-bin/bench/
  # Symbols and line tables are not needed there; keep the folder small.
  strip --strip-all gpu-bin/runtime-*-tests gpu-bin/tsc 2>/dev/null || true
  {
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "runtime-cuda-tests: runtime/tests/cuda.rs; runtime-cuda_tensors-tests: runtime/tests/cuda_tensors.rs"
    echo "tsc: target/release/tsc"
  } >gpu-bin/BUILD-INFO
  du -sh gpu-bin
  local kib
  kib=$(du -sk gpu-bin | cut -f1)
  [ "$kib" -lt $((60 * 1024)) ] || { echo "gpu-check: gpu-bin/ is ${kib} KiB, over 60 MiB" >&2; exit 1; }
}

# The directories holding libnvrtc.so.13 and libcublas.so.13, ':'-joined:
# first the Python `nvidia` packages (PyTorch's CUDA 13 libraries), then a
# bounded search of the usual prefixes; and libcuda.so.1's, only if the
# loader cannot find the driver by itself (never CUDA's compat or stub copies).
find_cuda_libs() {
  timeout 20 python3 - <<'EOF' 2>/dev/null
import ctypes, glob, os, site, sys
roots = []
try:
    import nvidia
    roots += list(nvidia.__path__)
except Exception:
    pass
for p in site.getsitepackages() + [site.getusersitepackages()]:
    roots.append(os.path.join(p, "nvidia"))
roots += ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"]
dirs = []
for name in ("libnvrtc.so.13", "libcublas.so.13"):
    for r in roots:
        hits = sorted(glob.glob(os.path.join(r, "**", name), recursive=True))
        if hits:
            d = os.path.dirname(hits[0])
            if d not in dirs:
                dirs.append(d)
            break
try:
    ctypes.CDLL("libcuda.so.1")
except OSError:
    for d in ("/usr/local/nvidia/lib64", "/usr/local/nvidia/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"):
        if os.path.exists(os.path.join(d, "libcuda.so.1")):
            dirs.append(d)
            break
print(":".join(dirs))
EOF
}

run() {
  local out="${1:?usage: scripts/gpu-check.sh run OUTDIR}"
  mkdir -p "$out"
  local log="$out/gpu-check.log" report="$out/report.md" status=0
  : >"$log"
  local steps=()

  # step NAME SECONDS CMD...: runs CMD under `timeout`, appends to the log.
  step() {
    local name="$1" secs="$2"
    shift 2
    local t0 rc
    t0=$(date +%s)
    echo "=== $name: $*" >>"$log"
    timeout "$secs" "$@" >>"$log" 2>&1
    rc=$?
    local dt=$(($(date +%s) - t0))
    local verdict=PASS
    [ "$rc" -eq 0 ] || { verdict="FAIL (exit $rc$([ "$rc" -eq 124 ] && echo ', timed out'))"; status=1; }
    echo "=== $name: $verdict in ${dt}s" >>"$log"
    steps+=("| $name | \`$*\` | $verdict | ${dt}s |")
  }

  [ -x gpu-bin/runtime-cuda-tests ] || { echo "gpu-check: gpu-bin/runtime-cuda-tests missing (run 'build' first and carry gpu-bin/)" >&2; exit 2; }
  local libs
  libs=$(find_cuda_libs)
  export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" >>"$log"

  # Step budgets (seconds) add up to under 10 minutes, one device call; the
  # conformance modes come from $GPU_CHECK_MODES (default: script).
  local modes="${GPU_CHECK_MODES:-script}"
  step "nvidia-smi" 20 nvidia-smi
  step "gpu tests" 60 env TSC_REQUIRE_CUDA=1 TSC_REQUIRE_NVRTC=1 \
    gpu-bin/runtime-cuda-tests --nocapture --test-threads=1
  step "gpu tensor tests" 60 env TSC_REQUIRE_CUDA=1 \
    gpu-bin/runtime-cuda_tensors-tests --nocapture --test-threads=1
  step "pytorch baseline" 40 python3 scripts/torch_gpu_baseline.py
  local shim=""
  python3 -c "import safetensors.numpy" 2>/dev/null || shim="$PWD/scripts/pyshim"
  step "examples on cuda" 60 env PYTHONPATH="$shim" python3 scripts/gpu_examples.py gpu-bin/tsc "$out/examples"
  step "workloads" 120 sh -c "python3 scripts/gpu_bench.py gpu-bin/bench gpu-bin/tsc '$out/bench' float32 > '$out/workloads.md'"
  step "workloads float16/bfloat16" 100 sh -c "python3 scripts/gpu_bench.py gpu-bin/bench gpu-bin/tsc '$out/bench' narrow > '$out/workloads-narrow.md'"
  # Host time per op of one host-bound workload (the launches are
  # asynchronous: this is what the executor and the launches cost).
  local g="gpu-bin/bench/models/gpt_block.py" gw="$out/bench/gpt_block.weights.safetensors" gi="$out/bench/gpt_block.inputs.safetensors"
  step "profile gpt_block on cuda" 30 sh -c "gpu-bin/tsc compile '$g' --entry 'GPTBlock(768, 12, 4)' --weights '$gw' -o '$out/gpt_block.tsg' &&
    gpu-bin/tsc exec '$out/gpt_block.tsg' --inputs '$gi' --output '$out/gpt_block.out.safetensors' --device cuda --profile --runs 50 2> '$out/profile-gpt_block.txt'; rc=\$?; rm -f '$out/gpt_block.tsg'; exit \$rc"
  # Conformance on the GPU: the same CLI calls with TSC_DEVICE=cuda.
  step "conformance cuda ($modes)" 120 env TSC_DEVICE=cuda PYTHONPATH="$shim" python3 gpu-bin/conformance/run.py \
    --tsc gpu-bin/tsc --modes "$modes" --jobs 12 --timeout 60 --json "$out/conformance-cuda.json"

  {
    echo "# GPU check report"
    echo
    echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname)"
    echo "- binaries: $(tr '\n' ';' <gpu-bin/BUILD-INFO 2>/dev/null)"
    echo "- GPU: $(timeout 10 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
    echo "- libraries found: \`${libs:-none}\`"
    echo "- overall: $([ "$status" -eq 0 ] && echo PASS || echo FAIL)"
    echo
    echo "| step | command | result | time |"
    echo "|---|---|---|---|"
    printf '%s\n' "${steps[@]}"
    echo
    echo "## Tests"
    echo '```'
    grep -E '^test |^test result:|panicked|skipped:' "$log" || echo "(no test lines)"
    echo '```'
    echo
    echo "## Failures"
    echo '```'
    grep -E -A4 'panicked at' "$log" || echo "(none)"
    echo '```'
    echo
    echo "## Device, NVRTC and accuracy"
    echo '```'
    grep -oE '(gpu device: |nvrtc [0-9]|gpu check |cuda::available\(\)).*' "$log" || echo "(none)"
    echo '```'
    echo
    echo "## Timing"
    echo '```'
    grep -oE 'timing: .*' "$log" || echo "(none)"
    echo '```'
    echo
    echo "## Conformance"
    echo '```'
    grep -E 'FAIL|PANIC|CRASH|TIMEOUT|passed' "$log" | tail -80 || echo "(none)"
    echo '```'
    echo
    echo "## Examples (cuda)"
    echo '```'
    grep -E '^example ' "$log" || echo "(none)"
    echo '```'
    echo
    echo "## Workloads (cuda)"
    cat "$out/workloads.md" 2>/dev/null || echo "(none)"
    echo
    echo "## Profile of gpt_block on cuda (host time per op, 50 calls)"
    echo '```'
    head -40 "$out/profile-gpt_block.txt" 2>/dev/null || echo "(none)"
    echo '```'
    echo
    echo "## Workloads in float16 and bfloat16 (cuda)"
    cat "$out/workloads-narrow.md" 2>/dev/null || echo "(none)"
    echo
    echo "Full output: gpu-check.log"
  } >"$report"
  cat "$report"
  return "$status"
}

case "${1:-}" in
  build) build ;;
  run) shift; run "$@" ;;
  *) echo "usage: scripts/gpu-check.sh build | run OUTDIR" >&2; exit 2 ;;
esac
