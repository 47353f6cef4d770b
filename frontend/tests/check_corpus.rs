//! The checker on real programs: every top-level function of every corpus
//! file (the conformance cases and benchmark models) type-checks cleanly,
//! except in the `*_reject_*` files, which must be rejected. Guards against
//! false rejections of valid TorchScript.

mod common;

use std::rc::Rc;
use tsc_frontend::driver::check_declarations;
use tsc_frontend::syntax::{parse, span::SourceFile};

#[test]
fn corpus_functions_check_as_torchscript_would() {
    let paths = common::py_files("tests/corpus");
    assert!(paths.len() >= 60, "corpus has {} files", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).expect("read corpus file");
        let file = Rc::new(SourceFile::new(path.clone(), text));
        let (module, diags) = parse(&file);
        assert!(diags.is_empty(), "{path} does not parse");
        let result = check_declarations(file, module);
        let reject = path.contains("_reject_");
        match (reject, result) {
            (false, Err(e)) => failures.push(format!("{path}: valid TorchScript rejected:\n{e}")),
            // Module-level functions of reject cases; method-only rejections
            // need a constructed module and are covered by the conformance run.
            (true, Ok(())) if !path.contains("modulelist") && !path.contains("attr_type") => {
                failures.push(format!("{path}: accepted, but TorchScript rejects it"))
            }
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
