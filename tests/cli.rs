//! The CLI contract (`shared/DESIGN.md` §5) through the real `tsc` binary:
//! named inputs with 0-d tensors for numbers, output naming (`output`,
//! `output.0`, ...; numbers as 0-d int64/float64/bool), script runs without
//! `--entry`, `tsc check`, `tsc bench --json`, and errors as non-zero exits
//! with `file:line:col` on stderr.

use std::path::PathBuf;
use std::process::Command;
use tsc::runtime::io;
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
fn script_mode_without_entry_runs_main_block() {
    let (_d, src, _) = setup("script");
    let (ok, out, err) = tsc(&["run", &src]);
    assert!(ok, "{err}");
    assert_eq!(out, "script 3\n");
}

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
