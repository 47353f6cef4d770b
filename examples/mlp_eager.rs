//! Runs `examples/mlp.py`'s MLP end to end on the eager op library: loads
//! the PyTorch `state_dict` (safetensors), runs forward op by op through the
//! op registry — the same calls the interpreter makes — and checks the
//! result against PyTorch's output stored beside it.
//!
//! `cargo run --release --example mlp_eager`

use std::collections::HashMap;
use std::path::Path;
use tsc::runtime::{io, ops, Tensor, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let w: HashMap<String, Tensor> = io::load(data.join("mlp.weights.safetensors"))?.into_iter().collect();
    let x = io::load(data.join("mlp.inputs.safetensors"))?.remove(0).1;
    let expected = io::load(data.join("mlp.expected.safetensors"))?.remove(0).1;

    let param = |k: &str| w.get(k).cloned().map(Value::Tensor).ok_or(format!("missing weight {k}"));
    let linear = |x: Value, layer: &str| -> Result<Value, Box<dyn std::error::Error>> {
        Ok(ops::call("linear", &[x, param(&format!("{layer}.weight"))?, param(&format!("{layer}.bias"))?], &[])?)
    };
    let gelu = |x: Value| ops::call("gelu", &[x], &[]);

    let h = gelu(linear(Value::Tensor(x), "fc1")?)?;
    let h = gelu(linear(h, "fc2")?)?;
    let y = ops::call("log_softmax", &[linear(h, "fc3")?], &[("dim", Value::Int(-1))])?;
    let y = y.into_tensor().ok_or("log_softmax returned a non-tensor")?;

    println!("output {:?}:", y.shape());
    let (got, want) = (y.to_vec::<f32>(), expected.to_vec::<f32>());
    for row in got.chunks(y.shape()[1]) {
        println!("  {row:?}");
    }
    let max_diff = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    println!("max |tsc - PyTorch| = {max_diff:.2e}");
    if max_diff > 1e-5 {
        return Err(format!("result differs from PyTorch by {max_diff}").into());
    }
    println!("matches PyTorch");
    Ok(())
}
