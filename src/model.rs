//! `tsc::load` and [`Model`]: a compiled graph (`.tsg`) loaded, validated
//! and ready to run, with the CLI contract's conventions (`shared/DESIGN.md`
//! §5) for named tensors in and out: an `int`/`float`/`bool` input is a
//! one-element tensor of that category (converted by the runtime's
//! `Plan::run`, which also names missing and unexpected inputs); outputs are named `output` (one
//! value) or `output.0`, `output.1`, … (a tuple or list, or several
//! results), and numbers come back as 0-d int64/float64/bool tensors, as
//! `tsc run` writes them.

use std::path::Path;
use tsc_runtime::program::{artifact, IoDef, Loaded, Meta, Profiler};
use tsc_runtime::program::IoKind;
use tsc_runtime::{DType, Device, Error, Scalar, Tensor, Value};

/// A loaded `.tsg` program and its weights. Immutable: runs share it.
pub struct Model {
    loaded: Loaded,
    device: Device,
}

/// Loads and validates a `.tsg` file. A missing, corrupt, truncated or
/// newer-format file is an `Error::Io` naming the file and the problem.
pub fn load(path: impl AsRef<Path>) -> Result<Model, Error> {
    artifact::load(path).map(|loaded| Model { loaded, device: Device::Cpu })
}

fn err(msg: String) -> Error {
    Error::op("program", msg)
}

impl Model {
    /// The entry's parameters in order: name and kind.
    pub fn inputs(&self) -> &[IoDef] {
        self.loaded.plan.inputs()
    }

    /// The entry's parameter names in order.
    pub fn input_names(&self) -> Vec<&str> {
        self.inputs().iter().map(|d| d.name.as_str()).collect()
    }

    /// How many values `forward` returns.
    pub fn num_outputs(&self) -> usize {
        self.loaded.plan.num_outputs()
    }

    /// What produced the file.
    pub fn meta(&self) -> &Meta {
        &self.loaded.header.meta
    }

    /// Runs the program on values by input name; returns its results. An
    /// `int`/`float`/`bool` input may also be a one-element tensor.
    pub fn forward(&self, inputs: &[(&str, Value)]) -> Result<Vec<Value>, Error> {
        let owned: Vec<(String, Value)> = inputs.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        self.loaded.plan.run(&owned)
    }

    /// The model with its weights on `device` (`cpu`, `cuda:N`): later
    /// calls move tensor inputs there and run there. Errors say why the
    /// device cannot be used.
    pub fn to_device(mut self, device: Device) -> Result<Model, Error> {
        self.loaded.plan.to_device(device)?;
        self.device = device;
        Ok(self)
    }

    /// The device the model runs on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Runs the program on named tensors (numbers as one-element tensors)
    /// and names its results as the CLI does; results are on the CPU.
    pub fn forward_tensors(&self, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, Error> {
        let args = self.args(inputs)?;
        to_cpu(name_outputs(&self.loaded.plan.run(&args)?)?)
    }

    /// `forward_tensors`, timing every node it executes into `prof`
    /// (`tsc exec --profile`; `prof.table()`, `prof.chrome_trace()`).
    pub fn forward_tensors_profiled(&self, inputs: &[(String, Tensor)], prof: &mut Profiler) -> Result<Vec<(String, Tensor)>, Error> {
        let args = self.args(inputs)?;
        to_cpu(name_outputs(&self.loaded.plan.run_profiled(&args, prof)?)?)
    }

    /// Named inputs as values; tensor parameters on the model's device.
    fn args(&self, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Value)>, Error> {
        inputs
            .iter()
            .map(|(n, t)| {
                let tensor_param = self.inputs().iter().any(|d| &d.name == n && d.kind == IoKind::Tensor);
                let t = if tensor_param { t.to_device(self.device)? } else { t.clone() };
                Ok((n.clone(), Value::Tensor(t)))
            })
            .collect()
    }
}

/// Named tensors moved to the CPU.
pub fn to_cpu(outs: Vec<(String, Tensor)>) -> Result<Vec<(String, Tensor)>, Error> {
    outs.into_iter().map(|(n, t)| Ok((n, t.to_device(Device::Cpu)?))).collect()
}

/// Names a program's results: one result → `output` (a tuple or list
/// result → `output.0`, `output.1`, …), several → `output.0`, …; nested
/// containers add `.i` again; numbers become 0-d int64/float64/bool tensors.
pub fn name_outputs(results: &[Value]) -> Result<Vec<(String, Tensor)>, Error> {
    let mut out = Vec::new();
    match results {
        [one] => name("output", one, &mut out)?,
        many => {
            for (i, v) in many.iter().enumerate() {
                name(&format!("output.{i}"), v, &mut out)?;
            }
        }
    }
    Ok(out)
}

fn name(prefix: &str, v: &Value, out: &mut Vec<(String, Tensor)>) -> Result<(), Error> {
    let t = match v {
        Value::Tensor(t) => t.clone(),
        Value::Int(i) => Tensor::scalar(Scalar::Int(*i), DType::I64),
        Value::Float(f) => Tensor::scalar(Scalar::Float(*f), DType::F64),
        Value::Bool(b) => Tensor::scalar(Scalar::Bool(*b), DType::Bool),
        Value::Tuple(items) | Value::List(items) => {
            for (i, x) in items.iter().enumerate() {
                name(&format!("{prefix}.{i}"), x, out)?;
            }
            return Ok(());
        }
        other => return Err(err(format!("result `{prefix}` is a {}, which has no tensor form", other.type_name()))),
    };
    out.push((prefix.to_string(), t));
    Ok(())
}
