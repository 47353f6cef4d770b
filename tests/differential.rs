//! Every example program runs three ways through the CLI contract — eager
//! (`tsc run`), script (`tsc compile` + `tsc exec`, with fused kernels and
//! with `--no-fuse`) and trace
//! (`tsc compile --trace` + `tsc exec`, where a trace is valid) — and each
//! must match PyTorch's outputs stored in `examples/data/` (made by
//! `examples/make_data.py`). A program whose control flow depends on tensor
//! data must make the tracer warn, and `--strict` must refuse it.

use std::path::{Path, PathBuf};
use std::process::Command;
use tsc::runtime::io;
use tsc::{DType, Tensor};

/// (example, whether a trace of it is valid for other inputs)
const EXAMPLES: &[(&str, bool)] = &[("mlp", true), ("lenet", true), ("lstm", true), ("gpt2_block", true), ("control", false)];

fn tsc(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tsc")).args(args).output().expect("run tsc");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.code().is_some(), "tsc {args:?} was killed by a signal:\n{stderr}");
    assert!(!stderr.contains("panicked"), "tsc {args:?} panicked:\n{stderr}");
    (out.status.success(), stderr)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tsc-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn data(name: &str, what: &str) -> String {
    format!("examples/data/{name}.{what}")
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    let a = a.contiguous_as(DType::F64).to_vec::<f64>();
    let b = b.contiguous_as(DType::F64).to_vec::<f64>();
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn check_outputs(name: &str, mode: &str, path: &Path) {
    let got = io::load(path).unwrap_or_else(|e| panic!("{name} ({mode}): reading outputs: {e}"));
    let want = io::load(data(name, "expected.safetensors")).expect("expected outputs");
    assert_eq!(got.len(), want.len(), "{name} ({mode}): number of outputs");
    for (n, w) in &want {
        let g = &got.iter().find(|(k, _)| k == n).unwrap_or_else(|| panic!("{name} ({mode}): no output {n}")).1;
        assert_eq!(g.shape(), w.shape(), "{name} ({mode}): {n} shape");
        let d = max_abs_diff(g, w);
        assert!(d <= 1e-5, "{name} ({mode}): {n} differs from PyTorch by {d}");
    }
}

/// `tsc compile` (with `extra` flags) then `tsc exec`; returns the
/// compiler's stderr.
fn compile_and_exec(name: &str, mode: &str, extra: &[&str]) -> String {
    let entry = std::fs::read_to_string(data(name, "entry")).expect("entry file");
    let file = format!("examples/{name}.py");
    let weights = data(name, "weights.safetensors");
    let inputs = data(name, "inputs.safetensors");
    let graph = scratch(&format!("{name}.{mode}.tsg"));
    let out = scratch(&format!("{name}.{mode}.out.safetensors"));
    let mut args = vec!["compile", file.as_str(), "--entry", entry.trim(), "--weights", weights.as_str()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", graph.to_str().unwrap()]);
    let (ok, stderr) = tsc(&args);
    assert!(ok, "{name}: tsc compile ({mode}) failed:\n{stderr}");
    let (ok, err) = tsc(&["exec", graph.to_str().unwrap(), "--inputs", inputs.as_str(), "--output", out.to_str().unwrap()]);
    assert!(ok, "{name}: tsc exec ({mode}) failed:\n{err}");
    check_outputs(name, mode, &out);
    stderr
}

#[test]
fn eager_script_and_trace_agree_with_pytorch() {
    for &(name, trace_valid) in EXAMPLES {
        let entry = std::fs::read_to_string(data(name, "entry")).expect("entry file");
        let out = scratch(&format!("{name}.eager.out.safetensors"));
        let (ok, err) = tsc(&[
            "run",
            &format!("examples/{name}.py"),
            "--entry",
            entry.trim(),
            "--weights",
            &data(name, "weights.safetensors"),
            "--inputs",
            &data(name, "inputs.safetensors"),
            "--output",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{name}: tsc run failed:\n{err}");
        check_outputs(name, "eager", &out);
        compile_and_exec(name, "script", &[]);
        compile_and_exec(name, "script-unfused", &["--no-fuse"]);
        if trace_valid {
            let warnings = compile_and_exec(name, "trace", &["--trace", "--inputs", &data(name, "inputs.safetensors")]);
            assert!(!warnings.contains("warning"), "{name}: a valid trace warned:\n{warnings}");
        }
    }
}

#[test]
fn a_data_dependent_trace_warns_and_strict_refuses_it() {
    let inputs = data("control", "inputs.safetensors");
    // On the example inputs the trace happens to be right: it keeps the
    // path the data took, and says so for each decision.
    let warnings = compile_and_exec("control", "trace", &["--trace", "--inputs", &inputs]);
    assert!(warnings.contains("warning: this branch depended on tensor data"), "no branch warning:\n{warnings}");
    assert!(warnings.contains("control.py:34:16"), "the loop's `break` condition is not named:\n{warnings}");
    assert!(warnings.contains("float() read tensor data"), "the data read in first_above is not named:\n{warnings}");
    assert!(warnings.contains("control.py:15:12"), "first_above's condition is not named:\n{warnings}");

    let entry = std::fs::read_to_string(data("control", "entry")).expect("entry file");
    let graph = scratch("control.strict.tsg");
    let (ok, err) = tsc(&[
        "compile",
        "examples/control.py",
        "--entry",
        entry.trim(),
        "--weights",
        &data("control", "weights.safetensors"),
        "--trace",
        "--strict",
        "--inputs",
        &inputs,
        "-o",
        graph.to_str().unwrap(),
    ]);
    assert!(!ok, "--strict accepted a data-dependent trace");
    assert!(err.contains("error: this branch depended on tensor data") && err.contains("(--strict)"), "{err}");
    assert!(!graph.exists(), "--strict still wrote the graph");
}

/// The IR text of every example's graph — as lowered, and as optimized —
/// parses back to the same graph (tensor constants by name).
#[test]
fn every_example_graph_round_trips_through_its_text() {
    use std::collections::HashMap;
    use tsc::compiler::{parse_with_blobs, passes, ConstValue};
    use tsc::frontend::{driver, lower};
    for &(name, _) in EXAMPLES {
        let entry = std::fs::read_to_string(data(name, "entry")).expect("entry file");
        let program = driver::load(&format!("examples/{name}.py"), name).unwrap_or_else(|e| panic!("{e}"));
        let ent = program.entry(entry.trim()).unwrap_or_else(|e| panic!("{e}"));
        program.load_weights(&ent, &data(name, "weights.safetensors")).unwrap_or_else(|e| panic!("{e}"));
        let mut g = lower::script(&program, &ent).unwrap_or_else(|e| panic!("{name}: {e}")).graph;
        for stage in ["lowered", "optimized"] {
            if stage == "optimized" {
                passes::optimize(&mut g).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            let blobs: HashMap<String, Tensor> = g
                .consts
                .iter()
                .filter_map(|c| match &c.value {
                    ConstValue::Tensor(t) => Some((c.name.clone(), t.clone())),
                    _ => None,
                })
                .collect();
            let text = g.to_string();
            let back = parse_with_blobs(&text, &blobs).unwrap_or_else(|e| panic!("{name} ({stage}): {e}\n{text}"));
            assert!(back == g, "{name} ({stage}): the parsed graph differs\n{text}\n---\n{back}");
            assert_eq!(back.to_string(), text, "{name} ({stage}): printing is not stable");
        }
    }
}
