//! The example models (`examples/*.py`) run end to end through the same
//! path as `tsc run`: load, construct the entry, load the PyTorch
//! `state_dict`, type-check, run, and match PyTorch's outputs stored in
//! `examples/data/` (made by `examples/make_data.py`).

use tsc::frontend::driver;
use tsc::runtime::io;
use tsc::{DType, Tensor};

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    let a = a.contiguous_as(DType::F64).to_vec::<f64>();
    let b = b.contiguous_as(DType::F64).to_vec::<f64>();
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn check_example(name: &str) {
    let data = format!("examples/data/{name}");
    let entry = std::fs::read_to_string(format!("{data}.entry")).expect("entry file");
    let program = driver::load(&format!("examples/{name}.py"), name).unwrap_or_else(|e| panic!("{e}"));
    let ent = program.entry(entry.trim()).unwrap_or_else(|e| panic!("{e}"));
    program.load_weights(&ent, &format!("{data}.weights.safetensors")).unwrap_or_else(|e| panic!("{e}"));
    program.check(&ent).unwrap_or_else(|e| panic!("{e}"));
    let inputs = io::load(format!("{data}.inputs.safetensors")).expect("inputs");
    let outputs = program.run(&ent, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let expected = io::load(format!("{data}.expected.safetensors")).expect("expected");
    assert_eq!(outputs.len(), expected.len(), "{name}: number of outputs");
    for (n, want) in &expected {
        let got = &outputs.iter().find(|(k, _)| k == n).unwrap_or_else(|| panic!("{name}: no output {n}")).1;
        assert_eq!(got.shape(), want.shape(), "{name}: {n} shape");
        let d = max_abs_diff(got, want);
        assert!(d <= 1e-5, "{name}: {n} differs from PyTorch by {d}");
    }
}

#[test]
fn mlp() {
    check_example("mlp");
}

#[test]
fn lenet() {
    check_example("lenet");
}

#[test]
fn hand_written_lstm() {
    check_example("lstm");
}

#[test]
fn gpt2_block() {
    check_example("gpt2_block");
}

#[test]
fn control_flow() {
    check_example("control");
}
