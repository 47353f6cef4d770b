//! Runtime errors raised inside a checked program: the message, the source
//! line that raised it with a caret, and the call stack, compared with the
//! rendered `.stderr` goldens in `tests/runtime/` (`TSC_BLESS=1` rewrites
//! them). Also strict weight loading: every problem names the key and shapes.

mod common;

use std::collections::HashMap;
use std::path::Path;
use tsc_frontend::driver;
use tsc_runtime::{DType, Tensor};

fn run_error(path: &str) -> Result<String, String> {
    let entry = common::entry_of(path)?;
    let program = driver::load(path, "runtime").map_err(|e| format!("{path}: load failed:\n{e}"))?;
    let entry = program.entry(&entry).map_err(|e| format!("{path}: entry failed:\n{e}"))?;
    program.check(&entry).map_err(|e| format!("{path}: the checker rejected it:\n{e}"))?;
    match program.run(&entry, &[]) {
        Ok(_) => Err(format!("{path}: ran without the expected error")),
        Err(rendered) => Ok(rendered),
    }
}

#[test]
fn runtime_errors_point_at_the_source_with_a_call_stack() {
    let bless = std::env::var_os("TSC_BLESS").is_some();
    let paths = common::py_files("tests/runtime");
    let mut failures = Vec::new();
    for path in &paths {
        let got = match run_error(path) {
            Ok(g) => g,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let golden = Path::new(path).with_extension("stderr");
        if bless {
            std::fs::write(&golden, &got).expect("write golden");
        } else if std::fs::read_to_string(&golden).unwrap_or_default() != got {
            failures.push(format!("{path}: differs from {}:\n{got}", golden.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const NET: &str = "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(3, 2)\n        self.bn = nn.BatchNorm1d(2)\n\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n        return self.bn(self.fc(x))\n";

fn load_with(weights: &[(&str, &[usize])]) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("tsc-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let src = dir.join("net.py");
    std::fs::write(&src, NET).map_err(|e| e.to_string())?;
    let tensors: Vec<(String, Tensor)> =
        weights.iter().map(|(k, s)| (k.to_string(), Tensor::zeros(s, DType::F32).expect("zeros"))).collect();
    let w = dir.join(format!("w{}.safetensors", weights.len()));
    tsc_runtime::io::save(&w, &tensors).map_err(|e| e.to_string())?;
    let program = driver::load(src.to_str().ok_or("path")?, "net")?;
    let entry = program.entry("Net()")?;
    program.load_weights(&entry, w.to_str().ok_or("path")?)
}

#[test]
fn weights_load_strictly_like_load_state_dict() {
    let full: HashMap<&str, &[usize]> = [
        ("fc.weight", &[2usize, 3][..]),
        ("fc.bias", &[2][..]),
        ("bn.weight", &[2][..]),
        ("bn.bias", &[2][..]),
        ("bn.running_mean", &[2][..]),
        ("bn.running_var", &[2][..]),
    ]
    .into_iter()
    .collect();
    let all: Vec<(&str, &[usize])> = full.iter().map(|(k, v)| (*k, *v)).collect();
    // `num_batches_tracked` may be absent, as in PyTorch.
    load_with(&all).expect("complete weights load");
    let mut with_counter = all.clone();
    with_counter.push(("bn.num_batches_tracked", &[]));
    load_with(&with_counter).expect("num_batches_tracked is accepted");

    let missing: Vec<_> = all.iter().copied().filter(|(k, _)| *k != "fc.bias").collect();
    let e = load_with(&missing).unwrap_err();
    assert!(e.contains("missing key \"fc.bias\""), "{e}");

    let mut unexpected = all.clone();
    unexpected.push(("fc.scale", &[2]));
    let e = load_with(&unexpected).unwrap_err();
    assert!(e.contains("unexpected key \"fc.scale\""), "{e}");

    let wrong: Vec<_> = all.iter().map(|(k, s)| if *k == "fc.weight" { (*k, &[3usize, 2][..]) } else { (*k, *s) }).collect();
    let e = load_with(&wrong).unwrap_err();
    assert!(e.contains("size mismatch for \"fc.weight\"") && e.contains("[3, 2]") && e.contains("[2, 3]"), "{e}");
}
