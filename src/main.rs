//! The `tsc` command-line tool. The contract outside tools call is in
//! `shared/DESIGN.md` §5: `run`, `check`, `compile`,
//! `exec`, `bench`. Errors go to stderr with a non-zero exit code; problems
//! in the program are reported with `file:line:col` and the source line.

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;
use std::time::Instant;
use tsc::frontend::driver::{self, Entry, Program};
use tsc::Tensor;

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
        #[arg(long)]
        trace: bool,
        #[arg(long)]
        inputs: Option<String>,
        #[arg(short = 'o')]
        out: String,
    },
    /// Execute a compiled `.tsg` graph.
    Exec {
        graph: String,
        #[arg(long)]
        inputs: String,
        #[arg(long)]
        output: String,
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

fn module_name(path: &str) -> &str {
    std::path::Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or("model")
}

fn read_inputs(path: &str) -> Result<Vec<(String, Tensor)>, String> {
    tsc::runtime::io::load(path).map_err(|e| format!("error: {e}"))
}

fn need_entry(e: &EntryArgs) -> Result<&str, String> {
    e.entry.as_deref().ok_or_else(|| "error: --entry is required".to_string())
}

fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Run { e, inputs, output } => {
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
            let outs = program.run(&ent, &inputs)?;
            match output {
                Some(p) => tsc::runtime::io::save(&p, &outs).map_err(|e| format!("error: {e}")),
                None => {
                    for (n, t) in &outs {
                        println!("{n}: shape {:?} dtype {}", t.shape(), t.dtype().name());
                    }
                    Ok(())
                }
            }
        }
        Command::Check { e } => match &e.entry {
            Some(entry) => {
                prepare(&e, entry)?;
                Ok(())
            }
            None => driver::check_file(&e.file),
        },
        Command::Compile { e, .. } => {
            need_entry(&e)?;
            Err("error: `tsc compile` (script and trace modes) is not built yet; use `tsc run` for eager execution".into())
        }
        Command::Exec { .. } => Err("error: `tsc exec` is not built yet (no .tsg format yet)".into()),
        Command::Bench { e, inputs, mode, iters, warmup, json } => {
            if mode == Mode::Script {
                return Err("error: --mode script is not built yet; use --mode eager".into());
            }
            let (program, ent) = prepare(&e, need_entry(&e)?)?;
            let inputs = read_inputs(&inputs)?;
            for _ in 0..warmup {
                program.run(&ent, &inputs)?;
            }
            let mut times = Vec::with_capacity(iters.max(1));
            for _ in 0..iters.max(1) {
                let t0 = Instant::now();
                program.run(&ent, &inputs)?;
                times.push(t0.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            let min = times[0];
            if json {
                println!("{{\"median_s\": {median:e}, \"min_s\": {min:e}, \"iters\": {}}}", times.len());
            } else {
                println!("median {:.3} ms, min {:.3} ms over {} iterations", median * 1e3, min * 1e3, times.len());
            }
            Ok(())
        }
    }
}
