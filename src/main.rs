//! The `tsc` command-line tool. The contract outside tools call is in
//! `shared/DESIGN.md` §5: `run`, `check`, `compile`,
//! `exec`, `bench`. Errors go to stderr with a non-zero exit code; problems
//! in the program are reported with `file:line:col` and the source line.

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;
use std::time::Instant;
use tsc::frontend::driver::{self, Entry, Program};
use tsc::Tensor;

/// Keeps freed large tensors' memory for the next call (`runtime/src/alloc.rs`).
#[global_allocator]
static ALLOC: tsc::runtime::CachingAlloc = tsc::runtime::CachingAlloc;

#[derive(Parser)]
#[command(name = "tsc", version, about = "TorchScript successor: run, check, compile and execute PyTorch-style model files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct EntryArgs {
    /// The model file (TorchScript subset of Python).
    file: String,
    /// A function name or a module constructor call, e.g. `MLP(64, 128, 10)`.
    #[arg(long)]
    entry: Option<String>,
    /// A safetensors `state_dict` for a module entry (strict loading).
    #[arg(long)]
    weights: Option<String>,
}

/// How to lower: script or trace mode (one eager run on example inputs), with or without fusion.
#[derive(clap::Args)]
struct TraceArgs {
    /// Keep every elementwise op a node of its own (no fused kernels); also on when $TSC_NO_FUSE is
    /// set to anything but `0` or empty (to run a whole test suite or the conformance cases unfused).
    #[arg(long = "no-fuse")]
    no_fuse: bool,
    /// Trace instead of script (needs --inputs).
    #[arg(long)]
    trace: bool,
    /// Make every trace warning (a branch, loop or value that depended on tensor data) an error.
    #[arg(long, requires = "trace")]
    strict: bool,
    /// Example inputs for the trace (safetensors).
    #[arg(long)]
    inputs: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the entry eagerly on named inputs (or, without --entry, run the file as a script).
    Run {
        #[command(flatten)]
        e: EntryArgs,
        #[arg(long)]
        inputs: Option<String>,
        #[arg(long)]
        output: Option<String>,
        /// Where to run: `cpu`, `cuda` or `cuda:N` (default: $TSC_DEVICE, else `cpu`). Inputs and
        /// weights move there, and it is the default device of tensors the program creates
        /// (as after `torch.set_default_device`).
        #[arg(long)]
        device: Option<String>,
    },
    /// Type-check the entry and everything it calls (or every annotated function).
    Check {
        #[command(flatten)]
        e: EntryArgs,
    },
    /// Compile the entry to a `.tsg` graph (script or --trace mode).
    Compile {
        #[command(flatten)]
        e: EntryArgs,
        #[command(flatten)]
        t: TraceArgs,
        /// The `.tsg` file to write.
        #[arg(short = 'o')]
        out: String,
    },
    /// Print the entry's graph IR (optimized; `--print-after=lower` for the raw lowering).
    Ir {
        #[command(flatten)]
        e: EntryArgs,
        #[command(flatten)]
        t: TraceArgs,
        /// Print the graph after this pass (each time it runs); `lower` prints the unoptimized graph.
        #[arg(long = "print-after")]
        print_after: Option<String>,
        /// Also write the graph as Graphviz DOT to this file.
        #[arg(long)]
        dot: Option<String>,
    },
    /// Execute a compiled `.tsg` graph on named inputs; write named outputs.
    Exec {
        /// The compiled graph.
        graph: String,
        /// A safetensors file whose names are the graph's input names
        /// (`int`/`float`/`bool` inputs as 0-d int64/float32/bool tensors).
        #[arg(long)]
        inputs: String,
        /// Where to write the outputs (`output`, or `output.0`, `output.1`, ...).
        #[arg(long)]
        output: String,
        /// Print a per-node profile to stderr: self time (without the nodes nested in it), total
        /// time, calls and share of the run, slowest first. Profiling runs the graph once
        /// unprofiled first (a warm-up that also compiles the JIT kernels; its outputs are the
        /// ones written), then profiles --runs more calls on freshly read inputs.
        #[arg(long)]
        profile: bool,
        /// Write the profiled calls as a Chrome trace (Trace Event JSON: one event per node
        /// execution, for chrome://tracing or ui.perfetto.dev) to this file; profiles like
        /// --profile but prints the table only with --profile.
        #[arg(long, value_name = "FILE.json")]
        trace: Option<String>,
        /// How many calls to profile after the warm-up (with --profile or --trace; default 1).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        runs: Option<u64>,
        /// Where to run: `cpu`, `cuda` or `cuda:N` (default: $TSC_DEVICE, else `cpu`). Inputs and
        /// weights move there, and it is the default device of tensors the program creates
        /// (as after `torch.set_default_device`).
        #[arg(long)]
        device: Option<String>,
    },
    /// Time the entry: median and minimum seconds per call.
    Bench {
        #[command(flatten)]
        e: EntryArgs,
        #[arg(long)]
        inputs: String,
        #[arg(long, value_enum, default_value = "eager")]
        mode: Mode,
        #[arg(long, default_value_t = 20)]
        iters: usize,
        #[arg(long, default_value_t = 3)]
        warmup: usize,
        /// Print one JSON object `{"median_s", "min_s", "iters"}`.
        #[arg(long)]
        json: bool,
        /// Script mode without fused kernels.
        #[arg(long = "no-fuse")]
        no_fuse: bool,
        /// Where to run: `cpu`, `cuda` or `cuda:N` (default: $TSC_DEVICE, else `cpu`). Inputs and
        /// weights move there, and it is the default device of tensors the program creates
        /// (as after `torch.set_default_device`).
        #[arg(long)]
        device: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Mode {
    Eager,
    Script,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::FAILURE
        }
    }
}

/// Loads the program, resolves and checks the entry, loads weights.
fn prepare(e: &EntryArgs, entry: &str) -> Result<(Program, Entry), String> {
    let program = driver::load(&e.file, module_name(&e.file))?;
    let ent = program.entry(entry)?;
    if let Some(w) = &e.weights {
        program.load_weights(&ent, w)?;
    }
    program.check(&ent)?;
    Ok((program, ent))
}

/// Lowers and optimizes the entry; trace warnings go to stderr.
fn compile(program: &Program, ent: &Entry, t: &TraceArgs, print_after: Option<&str>) -> Result<tsc::compile::Compiled, String> {
    let examples = match (t.trace, &t.inputs) {
        (false, _) => None,
        (true, Some(path)) => Some(read_inputs(path)?),
        (true, None) => return Err("error: --trace needs --inputs (the example inputs)".into()),
    };
    let no_fuse = t.no_fuse || std::env::var("TSC_NO_FUSE").is_ok_and(|v| !v.is_empty() && v != "0");
    let opts = tsc::compile::Options { trace: examples.as_deref().map(|x| (x, t.strict)), print_after, no_fuse };
    let c = tsc::compile::compile(program, ent, &opts)?;
    eprint!("{}", c.warnings.concat());
    Ok(c)
}

fn module_name(path: &str) -> &str {
    std::path::Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or("model")
}

/// Named input tensors from a safetensors file (`run`, `exec`, `bench`).
fn read_inputs(path: &str) -> Result<Vec<(String, Tensor)>, String> {
    tsc::runtime::io::load(path).map_err(|e| format!("error: {e}"))
}

/// Writes named outputs to a safetensors file, or without one prints each
/// output's shape and dtype (`run`, `exec`).
fn write_outputs(path: Option<&str>, outs: &[(String, Tensor)]) -> Result<(), String> {
    match path {
        Some(p) => tsc::runtime::io::save(p, outs).map_err(|e| format!("error: {e}")),
        None => {
            for (n, t) in outs {
                println!("{n}: shape {:?} dtype {}", t.shape(), t.dtype().name());
            }
            Ok(())
        }
    }
}

/// `tsc exec --profile` / `--trace`: `runs` profiled calls after the
/// (unprofiled) call that wrote the outputs, each on inputs read afresh
/// (a graph may write into its inputs); the table to stderr, the trace to
/// a file.
fn exec_profiled(model: &tsc::Model, graph: &str, inputs: &str, runs: u64, table: bool, trace: Option<&str>) -> Result<(), String> {
    use tsc::runtime::program::{profile, Profiler};
    // Without --trace keep no events (the table needs none).
    let mut prof = Profiler::with_max_events(if trace.is_some() { profile::DEFAULT_MAX_EVENTS } else { 0 });
    for _ in 0..runs {
        let args = read_inputs(inputs)?;
        model.forward_tensors_profiled(&args, &mut prof).map_err(|e| format!("error: {e}"))?;
    }
    if table {
        let calls = if runs == 1 { "1 call".to_string() } else { format!("{runs} calls") };
        eprintln!("profile of {graph}: {calls} after one unprofiled warm-up call (which compiled the JIT kernels)");
        eprint!("{}", prof.table());
    }
    if let Some(path) = trace {
        let cannot = |e: std::io::Error| format!("error: cannot write {path}: {e}");
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(cannot)?);
        prof.write_chrome_trace(&mut w).map_err(cannot)?;
        std::io::Write::flush(&mut w).map_err(cannot)?;
    }
    Ok(())
}

/// The `--device` argument, else `$TSC_DEVICE`, else the CPU; it becomes the
/// default device of factory functions.
fn select_device(arg: Option<&str>) -> Result<tsc::Device, String> {
    let env = std::env::var("TSC_DEVICE").ok().filter(|s| !s.is_empty());
    let (text, from) = match (arg, env.as_deref()) {
        (Some(a), _) => (a, "--device"),
        (None, Some(e)) => (e, "TSC_DEVICE"),
        (None, None) => return Ok(tsc::Device::Cpu),
    };
    let d = tsc::Device::parse(text).ok_or_else(|| format!("error: {from}: unknown device `{text}` (expected cpu, cuda or cuda:N)"))?;
    // Factory functions without `device=` follow, as after `torch.set_default_device`.
    tsc::runtime::device::set_default_device(d);
    Ok(d)
}

/// Named tensors moved to `device`.
fn to_device(ts: Vec<(String, Tensor)>, device: tsc::Device) -> Result<Vec<(String, Tensor)>, String> {
    ts.into_iter().map(|(n, t)| t.to_device(device).map(|t| (n, t)).map_err(|e| format!("error: {e}"))).collect()
}

fn need_entry(e: &EntryArgs) -> Result<&str, String> {
    e.entry.as_deref().ok_or_else(|| "error: --entry is required".to_string())
}

fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Run { e, inputs, output, device: dev } => {
            let dev = select_device(dev.as_deref())?;
            let Some(entry) = &e.entry else {
                if inputs.is_some() || output.is_some() || e.weights.is_some() {
                    return Err("error: --inputs, --output and --weights need --entry".into());
                }
                driver::load(&e.file, "__main__")?;
                return Ok(());
            };
            let (program, ent) = prepare(&e, entry)?;
            let inputs = match &inputs {
                Some(p) => read_inputs(p)?,
                None => Vec::new(),
            };
            program.to_device(&ent, dev)?;
            let outs = to_device(program.run(&ent, &to_device(inputs, dev)?)?, tsc::Device::Cpu)?;
            write_outputs(output.as_deref(), &outs)
        }
        Command::Check { e } => match &e.entry {
            Some(entry) => {
                prepare(&e, entry)?;
                Ok(())
            }
            None => driver::check_file(&e.file),
        },
        Command::Compile { e, t, out } => {
            let entry = need_entry(&e)?;
            let (program, ent) = prepare(&e, entry)?;
            let c = compile(&program, &ent, &t, None)?;
            tsc::compile::save(&out, &program, &c, entry)
        }
        Command::Ir { e, t, print_after, dot } => {
            let entry = need_entry(&e)?;
            let (program, ent) = prepare(&e, entry)?;
            let g = compile(&program, &ent, &t, print_after.as_deref())?.graph;
            if print_after.is_none() {
                print!("{g}");
            }
            if let Some(path) = dot {
                std::fs::write(&path, tsc::compiler::dot::to_dot(&g)).map_err(|err| format!("error: cannot write {path}: {err}"))?;
            }
            Ok(())
        }
        Command::Exec { graph, inputs, output, profile, trace, runs, device: dev } => {
            if runs.is_some() && !profile && trace.is_none() {
                return Err("error: --runs needs --profile or --trace".into());
            }
            let dev = select_device(dev.as_deref())?;
            let model = tsc::load(&graph).and_then(|m| m.to_device(dev)).map_err(|e| format!("error: {e}"))?;
            let args = read_inputs(&inputs)?;
            let outs = model.forward_tensors(&args).map_err(|e| format!("error: {e}"))?;
            write_outputs(Some(output.as_str()), &outs)?;
            if profile || trace.is_some() {
                exec_profiled(&model, &graph, &inputs, runs.unwrap_or(1), profile, trace.as_deref())?;
            }
            Ok(())
        }
        Command::Bench { e, inputs, mode, iters, warmup, json, no_fuse, device: dev } => {
            let dev = select_device(dev.as_deref())?;
            let (program, ent) = prepare(&e, need_entry(&e)?)?;
            let inputs = read_inputs(&inputs)?;
            // Weights and inputs move to the device once, outside the timed calls.
            let inputs = to_device(inputs, dev)?;
            let mut step: Box<dyn FnMut() -> Result<(), String>> = match mode {
                Mode::Eager => {
                    program.to_device(&ent, dev)?;
                    Box::new(|| program.run(&ent, &inputs).map(drop))
                }
                Mode::Script => {
                    let c = compile(&program, &ent, &TraceArgs { trace: false, strict: false, inputs: None, no_fuse }, None)?;
                    let emitted = tsc::compile::emit(&program, &c)?;
                    let tensors: Vec<Tensor> = emitted.tensors.into_iter().map(|(_, t)| t).collect();
                    let mut plan = tsc::runtime::program::Plan::with_tensors(&emitted.program, &tensors).map_err(|e| format!("error: {e}"))?;
                    plan.to_device(dev).map_err(|e| format!("error: {e}"))?;
                    let args: Vec<(String, tsc::Value)> = inputs.iter().map(|(n, t)| (n.clone(), tsc::Value::Tensor(t.clone()))).collect();
                    Box::new(move || plan.run(&args).map(drop).map_err(|e| format!("error: {e}")))
                }
            };
            bench_report(time_calls(dev, &mut *step, warmup, iters.max(1))?, json);
            Ok(())
        }
    }
}

/// Per-call seconds of `step` after `warmup` calls: wall clock, each call
/// ending with the device idle (as PyTorch benchmarks do); on a CUDA device
/// also the stream time between CUDA events recorded before and after the
/// call (as PyTorch's CUDA-event timings, which leave out the synchronize).
fn time_calls(dev: tsc::Device, step: &mut dyn FnMut() -> Result<(), String>, warmup: usize, iters: usize) -> Result<(Vec<f64>, Vec<f64>), String> {
    let sync = || tsc::runtime::cuda::synchronize(dev).map_err(|e| format!("error: {e}"));
    let cuda = match dev {
        tsc::Device::Cuda(i) => Some(tsc::runtime::cuda::device(i).map_err(|e| format!("error: {e}"))?),
        tsc::Device::Cpu => None,
    };
    for _ in 0..warmup {
        step()?;
        sync()?;
    }
    let (mut wall, mut events) = (Vec::with_capacity(iters), Vec::new());
    for _ in 0..iters {
        let t0 = Instant::now();
        match &cuda {
            Some(d) => {
                let mut res = Ok(());
                let ms = d.time_ms(|_| {
                    res = step();
                    Ok(())
                });
                res?;
                events.push(f64::from(ms.map_err(|e| format!("error: {e}"))?) * 1e-3);
            }
            None => step()?,
        }
        sync()?;
        wall.push(t0.elapsed().as_secs_f64());
    }
    Ok((wall, events))
}

/// Prints the medians (and the wall minimum) of [`time_calls`]'s times.
fn bench_report((mut wall, mut events): (Vec<f64>, Vec<f64>), json: bool) {
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (med, min) = (median(&mut wall), wall[0]);
    let ev = (!events.is_empty()).then(|| median(&mut events));
    if json {
        let ev = ev.map(|e| format!(", \"events_median_s\": {e:e}")).unwrap_or_default();
        println!("{{\"median_s\": {med:e}, \"min_s\": {min:e}, \"iters\": {}{ev}}}", wall.len());
    } else {
        let ev = ev.map(|e| format!("; {:.3} ms between CUDA events", e * 1e3)).unwrap_or_default();
        println!("median {:.3} ms, min {:.3} ms over {} iterations{ev}", med * 1e3, min * 1e3, wall.len());
    }
}
