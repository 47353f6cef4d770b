//! Loads a compiled graph (`.tsg`) with `tsc::load` and runs it once,
//! printing each output's name, shape and dtype.
//!
//! ```text
//! cargo run --release --example run_tsg -- MODEL.tsg INPUTS.safetensors
//! cargo run --release --example run_tsg -- MODEL.tsg x=2x64
//! ```
//!
//! Inputs come from a safetensors file whose names are the graph's input
//! names, or are made up from the signature: a tensor input is float32
//! ones of the shape given as `NAME=2x64` (default `[1]`), an `int`,
//! `float` or `bool` input is `1`, `1.0` or `true`.

use std::error::Error;
use tsc::runtime::io;
use tsc::runtime::program::IoKind;
use tsc::{DType, Scalar, Tensor};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        return Err("usage: run_tsg MODEL.tsg [INPUTS.safetensors | NAME=2x3 ...]".into());
    };
    let model = tsc::load(path)?;
    println!("{path}: inputs ({}), {} outputs, made by {:?}", model.input_names().join(", "), model.num_outputs(), model.meta().producer);
    let inputs = match args.get(1) {
        Some(f) if f.ends_with(".safetensors") => io::load(f)?,
        _ => made_up_inputs(&model, &args[1..])?,
    };
    for (name, t) in model.forward_tensors(&inputs)? {
        println!("{name}: shape {:?} dtype {}", t.shape(), t.dtype().name());
    }
    Ok(())
}

/// Ones by the signature, with tensor shapes from `NAME=2x3` arguments.
fn made_up_inputs(model: &tsc::Model, specs: &[String]) -> Result<Vec<(String, Tensor)>, Box<dyn Error>> {
    let mut shapes = std::collections::HashMap::new();
    for s in specs {
        let (name, dims) = s.split_once('=').ok_or_else(|| format!("`{s}`: expected NAME=2x3"))?;
        let dims: Result<Vec<usize>, _> = dims.split('x').filter(|d| !d.is_empty()).map(str::parse).collect();
        shapes.insert(name.to_string(), dims.map_err(|e| format!("`{s}`: {e}"))?);
    }
    let mut inputs = Vec::new();
    for d in model.inputs() {
        let t = match d.kind {
            IoKind::Tensor => Tensor::full(shapes.get(&d.name).map_or(&[1][..], Vec::as_slice), Scalar::Float(1.0), DType::F32)?,
            IoKind::Int => Tensor::scalar(Scalar::Int(1), DType::I64),
            IoKind::Float => Tensor::scalar(Scalar::Float(1.0), DType::F32),
            IoKind::Bool => Tensor::scalar(Scalar::Bool(true), DType::Bool),
        };
        inputs.push((d.name.clone(), t));
    }
    Ok(inputs)
}
