//! Golden tests for the type checker's rejections: every program in
//! `tests/reject/` names its entry on the first line (`# entry: EXPR`) and
//! must be rejected before it runs, with exactly the rendered diagnostics in
//! the neighbouring `.stderr` file. `TSC_BLESS=1` rewrites the goldens.

mod common;

use std::path::Path;
use tsc_frontend::driver;

fn rejection(path: &str) -> Result<String, String> {
    let entry = common::entry_of(path)?;
    let program = match driver::load(path, "reject") {
        Ok(p) => p,
        Err(rendered) => return Ok(rendered),
    };
    let entry = match program.entry(&entry) {
        Ok(e) => e,
        Err(rendered) => return Ok(rendered),
    };
    match program.check(&entry) {
        Ok(()) => Err(format!("{path}: the checker accepted a program TorchScript rejects")),
        Err(rendered) => Ok(rendered),
    }
}

#[test]
fn rejected_programs_match_their_goldens() {
    let bless = std::env::var_os("TSC_BLESS").is_some();
    let names = common::py_files("tests/reject");
    assert!(names.len() >= 25, "at least 25 rejected programs, found {}", names.len());
    let mut failures = Vec::new();
    for path in &names {
        let got = match rejection(path) {
            Ok(g) => g,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let golden = Path::new(path).with_extension("stderr");
        if bless {
            std::fs::write(&golden, &got).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            failures.push(format!("{path}: diagnostics differ from {}\n--- want\n{want}\n--- got\n{got}", golden.display()));
        }
        // Every diagnostic points into the program with a line and column.
        if !got.contains(&format!("{path}:")) {
            failures.push(format!("{path}: no `file:line:col` in\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
