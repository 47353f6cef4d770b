//! The compile pipeline behind `tsc compile`, `tsc ir` and `tsc bench
//! --mode script`: lower the entry (script, or a trace on example inputs),
//! verify, optimize, and emit the runtime program with source lines for
//! its error locations.

use crate::compiler::emit::{self, Emitted};
use crate::compiler::{passes, verify, Graph};
use crate::frontend::driver::{Entry, Program};
use crate::frontend::lower;
use crate::runtime::program::{artifact, Meta};
use crate::Tensor;

/// How to lower the entry.
#[derive(Default)]
pub struct Options<'a> {
    /// Trace on these example inputs instead of scripting; `strict` makes
    /// every trace warning an error.
    pub trace: Option<(&'a [(String, Tensor)], bool)>,
    /// Print the graph after this pass each time it runs (`lower`: the
    /// graph before optimizing).
    pub print_after: Option<&'a str>,
    /// Leave elementwise ops unfused (no `fused` nodes, no kernels).
    pub no_fuse: bool,
}

/// An optimized graph with its input names and the trace's warnings.
pub struct Compiled {
    pub graph: Graph,
    pub inputs: Vec<String>,
    /// Rendered trace warnings (empty for script mode).
    pub warnings: Vec<String>,
}

/// Lowers and optimizes the entry of `program`.
pub fn compile(program: &Program, entry: &Entry, opts: &Options) -> Result<Compiled, String> {
    let (lowered, warnings) = match opts.trace {
        Some((inputs, strict)) => lower::trace(program, entry, inputs, strict)?,
        None => (lower::script(program, entry)?, Vec::new()),
    };
    let mut g = lowered.graph;
    verify(&g).map_err(|err| format!("error: internal: the lowered graph is invalid: {err}\n{g}"))?;
    match opts.print_after {
        Some("lower") => print!("{g}"),
        Some(p) if passes::pass_by_name(p).is_none() => {
            let names: Vec<&str> = passes::PASSES.iter().chain(passes::LATE).map(|(n, _)| *n).collect();
            return Err(format!("error: no pass `{p}` (passes: lower, {})", names.join(", ")));
        }
        _ => {}
    }
    let after = |name: &str, g: &Graph| {
        if opts.print_after == Some(name) {
            println!("; after {name}\n{g}");
        }
    };
    passes::optimize_with(&mut g, after).map_err(|err| format!("error: optimizing the graph failed: {err}"))?;
    if !opts.no_fuse {
        for &(name, pass) in passes::LATE {
            passes::run_pass(name, pass, &mut g).map_err(|err| format!("error: {name} failed: {err}"))?;
            after(name, &g);
        }
    }
    Ok(Compiled { graph: g, inputs: lowered.inputs, warnings })
}

/// The runtime program of a compiled graph; locations in the program's
/// file get their source line.
pub fn emit(program: &Program, c: &Compiled) -> Result<Emitted, String> {
    let file = &program.file;
    let line = |loc: &crate::compiler::Loc| (loc.file == file.name).then(|| file.line_text(loc.line as usize).trim().to_string());
    emit::to_program_with_source(&c.graph, &c.inputs, &line).map_err(|e| format!("error: {e}"))
}

/// Writes a compiled graph to a `.tsg` file.
pub fn save(path: &str, program: &Program, c: &Compiled, entry: &str) -> Result<(), String> {
    let e = emit(program, c)?;
    let meta = Meta { producer: format!("tsc {}", env!("CARGO_PKG_VERSION")), source_hash: fnv1a(&program.file.text), entry: entry.to_string() };
    artifact::save(path, &e.program, &meta, &e.tensors).map_err(|e| format!("error: {e}"))
}

/// FNV-1a (64-bit) of the source, in hex: identifies the source a file was
/// compiled from.
fn fnv1a(text: &str) -> String {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{h:016x}")
}
