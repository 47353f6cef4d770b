//! The frontend's entry points for the CLI and the facade: load a program
//! (parse, run its module-level code), resolve `--entry`, type-check what it
//! reaches, bind named input tensors to its parameters and name its
//! outputs as the CLI contract says (`output`, `output.0`, ...).
//!
//! Every error comes back as rendered text (`file:line:col`, the source
//! line, a caret), ready for stderr.

use crate::interp::value::{Func, Object};
use crate::interp::{module, Globals, Interp, Value};
use crate::syntax::ast::{self, StmtKind};
use crate::syntax::span::SourceFile;
use crate::{check, syntax};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tsc_runtime::{DType, Scalar, Tensor};

/// A loaded program: its file, interpreter and module globals.
pub struct Program {
    pub file: Rc<SourceFile>,
    pub module: ast::Module,
    pub interp: Interp,
    pub globals: Globals,
}

/// What `--entry` named: a function, or a module instance (its `forward`).
pub enum Entry {
    Function(Rc<Func>),
    Module(Rc<Object>),
}

/// Reads and parses a file; syntax errors come back rendered.
pub fn parse_file(path: &str) -> Result<(Rc<SourceFile>, ast::Module), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("error: cannot read {path}: {e}\n"))?;
    let file = Rc::new(syntax::source_from_bytes(path, &bytes).map_err(|e| format!("error: {e}\n"))?);
    let (module, diags) = syntax::parse(&file);
    if !diags.is_empty() {
        return Err(crate::diag::render_all(&diags, &file));
    }
    Ok((file, module))
}

/// Parses a file and runs its module-level statements with `__name__` set
/// to `name` (`"__main__"` runs the `if __name__ == "__main__":` block).
pub fn load(path: &str, name: &str) -> Result<Program, String> {
    let (file, module) = parse_file(path)?;
    let interp = Interp::new()?;
    let globals: Globals = Rc::new(RefCell::new(HashMap::new()));
    globals.borrow_mut().insert("__name__".into(), Value::str(name));
    interp.run_module(&file, &module, globals.clone()).map_err(|e| e.render())?;
    Ok(Program { file, module, interp, globals })
}

impl Program {
    /// Evaluates the `--entry` expression (`gelu_chain`, `MLP(64, 128, 10)`).
    pub fn entry(&self, expr: &str) -> Result<Entry, String> {
        let src = Rc::new(SourceFile::new("<--entry>", expr));
        let (m, diags) = syntax::parse(&src);
        if !diags.is_empty() {
            return Err(crate::diag::render_all(&diags, &src));
        }
        let e = match m.body.as_slice() {
            [ast::Stmt { kind: StmtKind::Expr(e), .. }] => e,
            _ => return Err(format!("error: --entry must be one expression, got `{expr}`\n")),
        };
        match self.interp.eval_in(&src, e, self.globals.clone()).map_err(|e| e.render())? {
            Value::Func(f) => Ok(Entry::Function(f)),
            // Deployment runs inference: modules are put in eval mode, as
            // `model.eval()` does (dropout off, batch norm on running stats).
            Value::Object(o) if o.class.is_module() => {
                self.interp.call_value(&self.interp_attr(&o, "eval")?, Vec::new(), Vec::new()).map_err(|e| e.render())?;
                Ok(Entry::Module(o))
            }
            Value::Class(c) => Err(format!(
                "error: --entry `{expr}` is the class `{}`; construct it, e.g. `{}(...)`\n",
                c.name, c.name
            )),
            other => Err(format!("error: --entry `{expr}` is a {}, not a function or an nn.Module\n", other.type_name())),
        }
    }

    fn interp_attr(&self, o: &Rc<Object>, name: &str) -> Result<Value, String> {
        self.interp.attr(&Value::Object(o.clone()), name).map_err(|e| e.render())
    }

    /// Loads a safetensors `state_dict` into a module entry (strict).
    pub fn load_weights(&self, entry: &Entry, path: &str) -> Result<(), String> {
        let Entry::Module(o) = entry else {
            return Err("error: --weights given, but the entry is a function, not an nn.Module\n".into());
        };
        let tensors = tsc_runtime::io::load(path).map_err(|e| format!("error: {e}\n"))?;
        let map: HashMap<String, Tensor> = tensors.into_iter().collect();
        module::load_state_dict(o, &map).map_err(|e| format!("error: {path}: {e}\n"))
    }

    /// Moves a module entry's parameters and buffers to `device`
    /// (`model.to(device)`); a function entry has none.
    pub fn to_device(&self, entry: &Entry, device: tsc_runtime::Device) -> Result<(), String> {
        match entry {
            Entry::Module(o) => module::to_device(o, device).map_err(|e| format!("error: {e}\n")),
            _ => Ok(()),
        }
    }

    /// Type-checks everything the entry reaches (TorchScript's rules).
    pub fn check(&self, entry: &Entry) -> Result<(), String> {
        check::check_entry(self, entry)
    }

    /// The entry's callable and its parameters (without `self`).
    fn callable(&self, entry: &Entry) -> Result<(Value, Vec<ast::Param>), String> {
        match entry {
            Entry::Function(f) => Ok((Value::Func(f.clone()), f.def.params.clone())),
            Entry::Module(o) => match o.class.method("forward") {
                Some(f) => Ok((Value::Object(o.clone()), f.def.params.iter().skip(1).cloned().collect())),
                None => Err(format!("error: module `{}` has no forward()\n", o.class.name)),
            },
        }
    }

    /// Runs the entry on named inputs; returns named outputs.
    pub fn run(&self, entry: &Entry, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, String> {
        let (callee, params) = self.callable(entry)?;
        let mut args = Vec::new();
        for p in &params {
            let given = inputs.iter().find(|(n, _)| *n == p.name.name).map(|(_, t)| t.clone());
            let ann = p.annotation.as_ref().and_then(|a| a.dotted()).map(|d| d.join("."));
            let v = match given {
                Some(t) => input_value(&p.name.name, ann.as_deref(), t)?,
                None if p.default.is_some() => break,
                None if ann.as_deref().is_some_and(|a| a.starts_with("Optional")) => Value::None,
                None => return Err(format!("error: no input tensor named `{}` (the entry's parameter)\n", p.name.name)),
            };
            args.push(v);
        }
        for (n, _) in inputs {
            if !params.iter().any(|p| p.name.name == *n) {
                let names: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
                return Err(format!("error: input `{n}` matches no parameter of the entry (parameters: {})\n", names.join(", ")));
            }
        }
        let out = self.interp.call_value(&callee, args, Vec::new()).map_err(|e| e.render())?;
        let mut named = Vec::new();
        name_outputs("output", &out, &mut named)?;
        Ok(named)
    }
}

/// A 0-d input tensor becomes an `int`/`float`/`bool` where the parameter says so.
pub(crate) fn input_value(name: &str, ann: Option<&str>, t: Tensor) -> Result<Value, String> {
    let scalar = || -> Result<Scalar, String> {
        if t.numel() != 1 {
            return Err(format!("error: input `{name}` is annotated as a number but has shape {:?}\n", t.shape()));
        }
        t.item().map_err(|e| format!("error: input `{name}`: {e}\n"))
    };
    Ok(match ann {
        Some("int") => Value::Int(scalar()?.to_i64()),
        Some("float") => Value::Float(scalar()?.to_f64()),
        Some("bool") => Value::Bool(scalar()?.to_bool()),
        _ => Value::Tensor(t),
    })
}

/// Names outputs: a tensor → `prefix`; tuples/lists → `prefix.i`; numbers → 0-d tensors.
fn name_outputs(prefix: &str, v: &Value, out: &mut Vec<(String, Tensor)>) -> Result<(), String> {
    let t = match v {
        Value::Tensor(t) => t.clone(),
        Value::Int(i) => Tensor::scalar(Scalar::Int(*i), DType::I64),
        Value::Float(f) => Tensor::scalar(Scalar::Float(*f), DType::F64),
        Value::Bool(b) => Tensor::scalar(Scalar::Bool(*b), DType::Bool),
        Value::Tuple(items) => {
            for (i, x) in items.iter().enumerate() {
                name_outputs(&format!("{prefix}.{i}"), x, out)?;
            }
            return Ok(());
        }
        Value::List(items) => {
            for (i, x) in items.borrow().iter().enumerate() {
                name_outputs(&format!("{prefix}.{i}"), x, out)?;
            }
            return Ok(());
        }
        other => return Err(format!("error: the entry returned a {}, which has no tensor form\n", other.type_name())),
    };
    out.push((prefix.to_string(), t));
    Ok(())
}

/// Type-checks every top-level function of a source text without running
/// any statement but imports, `def` and `class` (the fuzz target's path:
/// arbitrary input must neither panic nor execute loops).
pub fn check_declarations(file: Rc<SourceFile>, module: ast::Module) -> Result<(), String> {
    let interp = Interp::new()?;
    let globals: Globals = Rc::new(RefCell::new(HashMap::new()));
    let decls = ast::Module {
        body: module
            .body
            .iter()
            .filter(|s| matches!(s.kind, StmtKind::Import(_) | StmtKind::ImportFrom { .. } | StmtKind::FunctionDef(_)))
            .cloned()
            .collect(),
    };
    interp.run_module(&file, &decls, globals.clone()).map_err(|e| e.render())?;
    let program = Program { file, module, interp, globals };
    check_functions(&program)
}

fn check_functions(program: &Program) -> Result<(), String> {
    let mut errors = String::new();
    for stmt in &program.module.body {
        if let StmtKind::FunctionDef(def) = &stmt.kind {
            let f = match program.globals.borrow().get(&def.name.name) {
                Some(Value::Func(f)) => f.clone(),
                _ => continue,
            };
            if let Err(e) = program.check(&Entry::Function(f)) {
                errors.push_str(&e);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `tsc check FILE` without an entry: loads the file (module-level code
/// runs, as an import would) and checks every top-level function.
pub fn check_file(path: &str) -> Result<(), String> {
    let stem = std::path::Path::new(path).file_stem().and_then(|s| s.to_str()).unwrap_or("model");
    check_functions(&load(path, stem)?)
}
