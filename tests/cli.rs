//! The CLI contract (`shared/DESIGN.md` §5) through the real `tsc` binary:
//! named inputs with 0-d tensors for numbers, output naming (`output`,
//! `output.0`, ...; numbers as 0-d int64/float64/bool), script runs without
//! `--entry`, `tsc check`, `tsc bench --json`, errors as non-zero exits
//! with `file:line:col` on stderr, and `tsc exec` on `.tsg` files built in
//! the test from IR text (`emit` + `artifact::save`), `--device`: the conventions of
//! `run`, and clean errors for corrupt files and bad inputs; `tsc exec
//! --profile --trace` on a compiled loop (the table's call counts, the
//! trace's nesting, outputs unchanged).

use std::path::PathBuf;
use std::process::Command;
use tsc::compiler::{parse_with_blobs, to_program};
use tsc::runtime::io;
use tsc::runtime::program::{artifact, Meta};
use tsc::{DType, Scalar, Tensor};

const PROGRAM: &str = r#"import torch
from typing import Tuple


def stats(x: torch.Tensor, scale: float, n: int, flag: bool) -> Tuple[torch.Tensor, int, float, bool]:
    y = x * scale
    return y, n + 1, scale * 2.0, not flag


def broken(x: torch.Tensor) -> torch.Tensor:
    return x + undefined_name


if __name__ == "__main__":
    print("script", int(torch.ones(3).sum()))
"#;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("tsc-cli-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        Dir(d)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tsc(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tsc")).args(args).output().expect("run tsc");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn setup(tag: &str) -> (Dir, String, String) {
    let d = Dir::new(tag);
    let src = d.path("prog.py");
    std::fs::write(&src, PROGRAM).expect("write program");
    let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3]).expect("x");
    let inputs = vec![
        ("x".to_string(), x),
        ("scale".to_string(), Tensor::scalar(Scalar::Float(0.5), DType::F32)),
        ("n".to_string(), Tensor::scalar(Scalar::Int(41), DType::I64)),
        ("flag".to_string(), Tensor::scalar(Scalar::Bool(true), DType::Bool)),
    ];
    let inp = d.path("in.safetensors");
    io::save(&inp, &inputs).expect("save inputs");
    (d, src, inp)
}

#[test]
fn run_names_outputs_and_converts_numbers() {
    let (d, src, inp) = setup("run");
    let out = d.path("out.safetensors");
    let (ok, _, err) = tsc(&["run", &src, "--entry", "stats", "--inputs", &inp, "--output", &out]);
    assert!(ok, "{err}");
    let outs = io::load(&out).expect("outputs");
    let get = |n: &str| outs.iter().find(|(k, _)| k == n).unwrap_or_else(|| panic!("no {n}")).1.clone();
    assert_eq!(get("output.0").to_vec::<f32>(), vec![0.5, -1.0, 1.5]);
    let n = get("output.1");
    assert_eq!((n.dtype(), n.shape().len(), n.item().expect("item").to_i64()), (DType::I64, 0, 42));
    let f = get("output.2");
    assert_eq!((f.dtype(), f.item().expect("item").to_f64()), (DType::F64, 1.0));
    let b = get("output.3");
    assert_eq!((b.dtype(), b.item().expect("item").to_bool()), (DType::Bool, false));
}

#[test]
fn device_flag_runs_there_or_says_why_not() {
    let (d, src, inp) = setup("device");
    let (ok, _, err) = tsc(&["run", &src, "--entry", "stats", "--inputs", &inp, "--device", "tpu"]);
    assert!(!ok && err.contains("unknown device `tpu`"), "{err}");
    let out = d.path("out.safetensors");
    let (ok, _, err) = tsc(&["run", &src, "--entry", "stats", "--inputs", &inp, "--output", &out, "--device", "cuda"]);
    if ok {
        // A GPU: the same outputs, back on the CPU.
        let outs = io::load(&out).expect("outputs");
        let y = &outs.iter().find(|(k, _)| k == "output.0").expect("output.0").1;
        assert_eq!(y.to_vec::<f32>(), vec![0.5, -1.0, 1.5]);
    } else {
        assert!(err.contains("cuda:0 is not available") && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn script_mode_without_entry_runs_main_block() {
    let (_d, src, _) = setup("script");
    let (ok, out, err) = tsc(&["run", &src]);
    assert!(ok, "{err}");
    assert_eq!(out, "script 3\n");
}

/// Int `<<`, `>>`, `&`, `|`, `^` compile (script mode) and give Python's
/// values, as eager mode does; a negative shift count is Python's error.
#[test]
fn int_bit_ops_compile() {
    let d = Dir::new("bits");
    let src = d.path("bits.py");
    std::fs::write(&src, BITS).expect("write program");
    let inp = d.path("in.safetensors");
    io::save(&inp, &[("n".to_string(), Tensor::scalar(Scalar::Int(5), DType::I64))]).expect("save inputs");
    let tsg = d.path("bits.tsg");
    let (ok, _, err) = tsc(&["compile", &src, "--entry", "bits", "-o", &tsg]);
    assert!(ok, "{err}");
    // (1 << 4) - 1, 5 >> 1, -5 >> 1 (floor), 5 & 6, 5 | 8, 5 ^ 5, 5 >> 70
    let want = [15i64, 2, -3, 4, 13, 0, 0];
    for (mode, args) in [("script", vec!["exec", &tsg]), ("eager", vec!["run", &src, "--entry", "bits"])] {
        let out = d.path(&format!("{mode}.safetensors"));
        let mut args = args.clone();
        args.extend(["--inputs", &inp, "--output", &out]);
        let (ok, _, err) = tsc(&args);
        assert!(ok, "{mode}: {err}");
        let outs = io::load(&out).expect("outputs");
        for (i, w) in want.iter().enumerate() {
            let t = &outs.iter().find(|(k, _)| *k == format!("output.{i}")).expect("output").1;
            assert_eq!(t.item().expect("item").to_i64(), *w, "{mode}: output.{i}");
        }
    }
    let bad = d.path("bad.safetensors");
    io::save(&bad, &[("n".to_string(), Tensor::scalar(Scalar::Int(-1), DType::I64))]).expect("save inputs");
    let (ok, _, err) = tsc(&["exec", &tsg, "--inputs", &bad, "--output", &d.path("o.safetensors")]);
    assert!(!ok && err.contains("negative shift count"), "{err}");
}

const BITS: &str = r#"import torch
from typing import Tuple


def bits(n: int) -> Tuple[int, int, int, int, int, int, int]:
    return (1 << (n - 1)) - 1, n >> 1, -n >> 1, n & 6, n | 8, n ^ 5, n >> 70
"#;

/// `model.half()`, `.to(dtype)`, `.to(device, dtype=)`, `.to(tensor)`,
/// `.float()`, `.double()`: floating-point parameters and buffers change
/// dtype in place (integer buffers stay), the module is returned, and a
/// non-float dtype is PyTorch's error. Expected lines are PyTorch 2.x's.
#[test]
fn module_dtype_conversions() {
    let d = Dir::new("module-dtype");
    let src = d.path("m.py");
    std::fs::write(&src, MODULE_DTYPES).expect("write program");
    let (ok, out, err) = tsc(&["run", &src]);
    assert!(!ok, "m.to(torch.int32) must fail");
    let want = "torch.float16 torch.float16 torch.int64\ntorch.float16\ntorch.float64\ntorch.bfloat16\ntorch.float32 torch.float16\n";
    assert_eq!(out, want, "{err}");
    assert!(err.contains("nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int32") && err.contains("m.py:24:5"), "{err}");
}

const MODULE_DTYPES: &str = r#"import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.fc(x))


if __name__ == "__main__":
    m = Net().eval()
    m.half()
    print(m.fc.weight.dtype, m.bn.running_var.dtype, m.bn.num_batches_tracked.dtype)
    print(m(torch.ones(4, 3, dtype=torch.float16)).dtype)
    m.to(torch.float64)
    print(m.fc.bias.dtype)
    print(m.to("cpu", dtype=torch.bfloat16).bn.weight.dtype)
    print(m.float().fc.weight.dtype, m.double().to(torch.ones(1, dtype=torch.float16)).fc.weight.dtype)
    m.to(torch.int32)
"#;

#[test]
fn errors_exit_non_zero_with_a_location() {
    let (d, src, inp) = setup("err");
    let out = d.path("o.safetensors");
    let (ok, _, err) = tsc(&["run", &src, "--entry", "broken", "--inputs", &inp, "--output", &out]);
    assert!(!ok);
    assert!(err.contains("prog.py:11:16") && err.contains("undefined name 'undefined_name'"), "{err}");
    let (ok, _, err) = tsc(&["check", &src]);
    assert!(!ok && err.contains("prog.py:11:16"), "{err}");
    let (ok, _, err) = tsc(&["run", &src, "--entry", "stats", "--inputs", &d.path("missing.safetensors")]);
    assert!(!ok && err.contains("missing.safetensors"), "{err}");
    let (ok, _, err) = tsc(&["run", &src, "--entry", "nope", "--inputs", &inp]);
    assert!(!ok && err.contains("<--entry>:1:1") && err.contains("'nope'"), "{err}");
}

#[test]
fn bench_prints_one_json_object() {
    let (_d, src, inp) = setup("bench");
    let (ok, out, err) = tsc(&["bench", &src, "--entry", "stats", "--inputs", &inp, "--mode", "eager", "--iters", "3", "--warmup", "1", "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert!(v["median_s"].as_f64().is_some_and(|m| m > 0.0) && v["min_s"].is_number() && v["iters"] == 3, "{out}");
}

// ---- `tsc exec` on graphs built here: IR text → `emit` → `.tsg` ----

/// `stats` of `PROGRAM` as IR, with its `x * w` weight a named constant.
const STATS_IR: &str = "\
graph(%x : Tensor, %scale : float, %n : int, %flag : bool):
  @w = tensor<f32, [3]>
  %w : Tensor<f32, [3]> = const @w
  %xw : Tensor = aten.mul.Tensor(%x, %w)
  %y : Tensor = aten.mul.Scalar(%xw, %scale)
  %one : int = const 1
  %m : int = scalar.add(%n, %one)
  %two : float = const 2.0
  %s2 : float = scalar.mul(%scale, %two)
  %nf : bool = scalar.not(%flag)
  %zero : int = const 0
  %neg : bool = scalar.lt(%n, %zero)
  %r : Tuple[Tensor, int, float, bool] = if(%neg)
    ^1():
      %msg : str = const \"ValueError: n must be non-negative\"
      raise(%msg)  # prog.py:6:9
      %u : Tuple[Tensor, int, float, bool] = uninitialized
      -> (%u)
    ^2():
      %t : Tuple[Tensor, int, float, bool] = tuple_construct(%y, %m, %s2, %nf)
      -> (%t)
  return (%r)
";

fn build_tsg(d: &Dir, file: &str, ir: &str, inputs: &[&str]) -> String {
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 1.0], &[3]).expect("w");
    let g = parse_with_blobs(ir, &std::collections::HashMap::from([("w".to_string(), w)])).expect("parse IR");
    let names: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
    let e = to_program(&g, &names).expect("emit");
    let path = d.path(file);
    artifact::save(&path, &e.program, &Meta::default(), &e.tensors).expect("save .tsg");
    path
}

#[test]
fn exec_runs_a_compiled_graph_with_the_run_conventions() {
    let (d, _, inp) = setup("exec");
    let tsg = build_tsg(&d, "stats.tsg", STATS_IR, &["x", "scale", "n", "flag"]);
    let out = d.path("out.safetensors");
    let (ok, _, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &out]);
    assert!(ok, "{err}");
    let outs = io::load(&out).expect("outputs");
    let names: Vec<&str> = outs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["output.0", "output.1", "output.2", "output.3"]);
    // The same values, dtypes and names as `tsc run` (x * [1, 2, 1] * 0.5).
    assert_eq!(outs[0].1.to_vec::<f32>(), vec![0.5, -2.0, 1.5]);
    let n = &outs[1].1;
    assert_eq!((n.dtype(), n.shape().len(), n.item().expect("item").to_i64()), (DType::I64, 0, 42));
    assert_eq!((outs[2].1.dtype(), outs[2].1.item().expect("item").to_f64()), (DType::F64, 1.0));
    assert_eq!((outs[3].1.dtype(), outs[3].1.item().expect("item").to_bool()), (DType::Bool, false));
}

#[test]
fn exec_names_a_single_output_output() {
    let d = Dir::new("exec1");
    let tsg = build_tsg(&d, "neg.tsg", "graph(%x : Tensor):\n  %y : Tensor = aten.neg(%x)\n  return (%y)\n", &["x"]);
    let inp = d.path("in.safetensors");
    io::save(&inp, &[("x".to_string(), Tensor::from_vec(vec![1i64, -2], &[2]).expect("x"))]).expect("save");
    let out = d.path("out.safetensors");
    let (ok, _, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &out]);
    assert!(ok, "{err}");
    let outs = io::load(&out).expect("outputs");
    assert_eq!((outs.len(), outs[0].0.as_str(), outs[0].1.to_vec::<i64>()), (1, "output", vec![-1, 2]));
}

/// A failed `tsc exec`: non-zero exit, the message on stderr, no panic.
fn exec_err(tsg: &str, inputs: &str, out: &str) -> String {
    let (ok, _, err) = tsc(&["exec", tsg, "--inputs", inputs, "--output", out]);
    assert!(!ok, "expected a failure");
    assert!(err.starts_with("error: ") && !err.contains("panicked"), "{err}");
    err
}

#[test]
fn exec_errors_are_clean() {
    let (d, _, inp) = setup("exec-err");
    let tsg = build_tsg(&d, "stats.tsg", STATS_IR, &["x", "scale", "n", "flag"]);
    let out = d.path("out.safetensors");
    let bytes = std::fs::read(&tsg).expect("read .tsg");
    // Corrupt files: garbage, truncated, a newer format version.
    let bad = d.path("bad.tsg");
    std::fs::write(&bad, b"definitely not a graph").expect("write");
    let e = exec_err(&bad, &inp, &out);
    assert!(e.contains("bad.tsg") && e.contains("not a .tsg file"), "{e}");
    std::fs::write(&bad, &bytes[..bytes.len() - 5]).expect("write");
    assert!(exec_err(&bad, &inp, &out).contains("bad.tsg"));
    let mut newer = bytes.clone();
    newer[4..8].copy_from_slice(&9u32.to_le_bytes());
    std::fs::write(&bad, &newer).expect("write");
    assert!(exec_err(&bad, &inp, &out).contains("version 9 is newer than this tsc (supports up to 3)"));
    assert!(exec_err(&d.path("missing.tsg"), &inp, &out).contains("missing.tsg"));
    // Inputs: one missing, one of the wrong dtype for an `int`, one unknown.
    let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3]).expect("x");
    let with = |n: Tensor, extra: bool| {
        let mut v = vec![("x".to_string(), x.clone()), ("scale".to_string(), Tensor::scalar(Scalar::Float(0.5), DType::F32))];
        v.push(("n".to_string(), n));
        v.push(("flag".to_string(), Tensor::scalar(Scalar::Bool(true), DType::Bool)));
        if extra {
            v.push(("bogus".to_string(), x.clone()));
        }
        let p = d.path("in2.safetensors");
        io::save(&p, &v).expect("save inputs");
        p
    };
    let missing = d.path("in3.safetensors");
    io::save(&missing, &[("x".to_string(), x.clone())]).expect("save inputs");
    let e = exec_err(&tsg, &missing, &out);
    assert!(e.contains("missing input `scale`") && e.contains("x, scale, n, flag"), "{e}");
    let e = exec_err(&tsg, &with(Tensor::scalar(Scalar::Float(41.0), DType::F32), false), &out);
    assert!(e.contains("input `n` must be an int (or a one-element integer tensor, e.g. 0-d int64), not a float32 tensor of shape []"), "{e}");
    let e = exec_err(&tsg, &with(Tensor::scalar(Scalar::Int(1), DType::I64), true), &out);
    assert!(e.contains("unexpected input `bogus`"), "{e}");
    // A program error carries its source location.
    let e = exec_err(&tsg, &with(Tensor::scalar(Scalar::Int(-1), DType::I64), false), &out);
    assert!(e.contains("ValueError: n must be non-negative at prog.py:6:9"), "{e}");
}

// ---- `tsc exec --profile` / `--trace` ----

const LOOP_PROGRAM: &str = r#"import torch


def repeat(x: torch.Tensor, w: torch.Tensor, n: int) -> torch.Tensor:
    for i in range(n):
        x = torch.tanh(torch.mm(x, w)) * 0.5
    return x
"#;

/// The profile table's rows as `(op, calls)`.
fn table_rows(stderr: &str) -> Vec<(String, u64)> {
    let mut lines = stderr.lines().skip_while(|l| !l.trim_start().starts_with("self ms"));
    assert!(lines.next().is_some(), "no table header in:\n{stderr}");
    lines
        .take_while(|l| !l.contains("total:"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 5 && f[3].ends_with('%'), "bad row `{l}`");
            (f[4].to_string(), f[2].parse().unwrap_or_else(|_| panic!("calls in `{l}`")))
        })
        .collect()
}

fn calls(rows: &[(String, u64)], op: &str) -> u64 {
    rows.iter().find(|(o, _)| o == op || o.starts_with(&format!("{op}["))).unwrap_or_else(|| panic!("no {op} row in {rows:?}")).1
}

#[test]
fn exec_profile_prints_a_table_and_writes_a_nested_trace() {
    const TRIP: u64 = 7;
    let d = Dir::new("profile");
    let src = d.path("loop.py");
    std::fs::write(&src, LOOP_PROGRAM).expect("write program");
    let tsg = d.path("loop.tsg");
    let (ok, _, err) = tsc(&["compile", &src, "--entry", "repeat", "-o", &tsg]);
    assert!(ok, "{err}");
    let x = Tensor::from_vec((0..12).map(|i| i as f32 / 10.0).collect(), &[3, 4]).expect("x");
    let w = Tensor::from_vec((0..16).map(|i| (i % 5) as f32 / 4.0 - 0.5).collect(), &[4, 4]).expect("w");
    let inp = d.path("in.safetensors");
    io::save(&inp, &[("x".to_string(), x), ("w".to_string(), w), ("n".to_string(), Tensor::scalar(Scalar::Int(TRIP as i64), DType::I64))]).expect("save inputs");
    let (plain, profiled, trace) = (d.path("plain.safetensors"), d.path("prof.safetensors"), d.path("t.json"));
    let (ok, plain_out, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &plain]);
    assert!(ok && !err.contains("self ms"), "{err}");
    let (ok, out, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &profiled, "--profile", "--trace", &trace]);
    assert!(ok, "{err}");
    assert_eq!(out, plain_out, "stdout is unchanged by --profile");
    let (a, b) = (io::load(&plain).expect("outputs"), io::load(&profiled).expect("outputs"));
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].0.as_str(), a[0].1.to_vec::<f32>()), (b[0].0.as_str(), b[0].1.to_vec::<f32>()), "same outputs with --profile");
    // The table: the loop body's ops once per iteration, the loop once
    // (`tanh · 0.5` is one fused kernel, unless $TSC_NO_FUSE turned fusion off).
    let rows = table_rows(&err);
    let unfused = std::env::var("TSC_NO_FUSE").is_ok_and(|v| !v.is_empty() && v != "0");
    let body = if unfused { "tanh" } else { "Fused" };
    assert_eq!((calls(&rows, "mm"), calls(&rows, body), calls(&rows, "Loop")), (TRIP, TRIP, 1), "{err}");
    assert!(err.contains("loop.py:6:"), "rows carry source locations:\n{err}");
    // The trace: complete events, properly nested, one `mm` per iteration inside the loop.
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&trace).expect("trace file")).expect("trace JSON");
    let ev = v["traceEvents"].as_array().expect("traceEvents");
    let span = |e: &serde_json::Value| {
        assert_eq!(e["ph"], "X", "{e}");
        let (ts, dur) = (e["ts"].as_f64().expect("ts"), e["dur"].as_f64().expect("dur"));
        assert!(dur >= 0.0, "{e}");
        (ts, ts + dur)
    };
    let spans: Vec<(f64, f64)> = ev.iter().map(span).collect();
    const EPS: f64 = 1e-3;
    let inside = |(s, e): (f64, f64), (ps, pe): (f64, f64)| ps - EPS <= s && e <= pe + EPS;
    for (i, &a) in spans.iter().enumerate() {
        for &b in &spans[i + 1..] {
            let disjoint = a.1 <= b.0 + EPS || b.1 <= a.0 + EPS;
            assert!(disjoint || inside(a, b) || inside(b, a), "events {a:?} and {b:?} overlap without nesting");
        }
    }
    let named = |n: &str| ev.iter().filter(|e| e["name"] == n).map(span).collect::<Vec<_>>();
    let (mms, loops, runs) = (named("mm"), named("Loop"), named("run"));
    assert_eq!((mms.len() as u64, loops.len(), runs.len()), (TRIP, 1, 1));
    assert!(mms.iter().all(|&m| inside(m, loops[0])), "every mm lies within the loop");
    assert!(spans.iter().all(|&s| inside(s, runs[0])), "every event lies within the run");
    assert!(ev.iter().filter(|e| e["name"] == "mm").all(|e| e["args"]["loc"].as_str().is_some_and(|l| l.contains("loop.py:6:"))));
    // --trace alone profiles without a table; --runs N counts N calls.
    let (ok, _, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &profiled, "--trace", &trace, "--runs", "2"]);
    assert!(ok && !err.contains("self ms"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&trace).expect("trace file")).expect("trace JSON");
    assert_eq!(v["traceEvents"].as_array().map(|ev| ev.iter().filter(|e| e["name"] == "mm").count()), Some(2 * TRIP as usize));
    let (ok, _, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &profiled, "--profile", "--runs", "3"]);
    assert!(ok, "{err}");
    assert_eq!(calls(&table_rows(&err), "mm"), 3 * TRIP, "{err}");
    let (ok, _, err) = tsc(&["exec", &tsg, "--inputs", &inp, "--output", &profiled, "--runs", "3"]);
    assert!(!ok && err.contains("--runs needs --profile or --trace"), "{err}");
}
