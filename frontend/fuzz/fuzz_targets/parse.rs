//! Fuzz target `parse`: any bytes go through `source_from_bytes` and, when
//! they are UTF-8, through `parse`, the diagnostics renderer and both AST
//! printers; a file that parses cleanly is then type-checked (every
//! top-level function, after running only its imports and `def`s). The
//! property is the frontend's contract: no panic, no stack overflow, no
//! hang, whatever the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::rc::Rc;
use tsc_frontend::diag::render_all;
use tsc_frontend::driver::check_declarations;
use tsc_frontend::syntax::printer::{dump, unparse};
use tsc_frontend::syntax::{parse, source_from_bytes};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = source_from_bytes("fuzz.py", data) else {
        return;
    };
    let (module, diags) = parse(&file);
    let _ = render_all(&diags, &file);
    let _ = dump(&module);
    let _ = unparse(&module);
    if diags.is_empty() {
        let _ = check_declarations(Rc::new(file), module);
    }
});
