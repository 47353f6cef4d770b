//! The eager interpreter: runs a parsed program statement by statement on
//! the runtime's ops, the way Python runs the same file with PyTorch.
//!
//! - `value.rs`: values (Python objects of the subset), modules, classes.
//! - `exec.rs`: statements and calls; `eval.rs`: expressions;
//!   `operators.rs`: `+ - * ...`, comparisons and indexing on values.
//! - `builtins.rs`: `len`, `range`, `print`, ... and the `torch`/`F`/`math`
//!   namespaces; `methods.rs`: methods of str, list, dict and tensors.
//! - `module.rs`: `nn.Module` behaviour (attribute registration,
//!   containers, `state_dict`, strict weight loading, `train`/`eval`).
//!
//! The builtin `nn` layers (`nn.Linear`, ...) are not Rust code: they are
//! Python in `prelude/nn.py`, loaded like a user file, so they run, type
//! check and compile exactly like user modules.
//!
//! Errors carry the innermost source location plus the call stack.

pub mod builtins;
pub(crate) mod eval;
mod exec;
pub(crate) mod methods;
pub(crate) mod namespaces;
pub mod module;
pub(crate) mod operators;
pub mod value;

use crate::diag::Diagnostic;
use crate::syntax::span::{SourceFile, Span};
use crate::syntax::{self, ast};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
pub use value::{AttrKind, Class, ClassKind, Object, Value};

/// A runtime error: message, the innermost location and the call stack
/// (outermost call first).
#[derive(Debug, Clone)]
pub struct Exc {
    pub message: String,
    pub loc: Option<(Rc<SourceFile>, Span)>,
    pub trace: Vec<(Rc<SourceFile>, Span, String)>,
}

pub type R<T> = Result<T, Box<Exc>>;

/// An error with no location yet (the evaluator adds the innermost span).
pub fn err<T>(message: impl Into<String>) -> R<T> {
    Err(Box::new(Exc { message: message.into(), loc: None, trace: Vec::new() }))
}

impl Exc {
    /// Renders like rustc: the innermost line of the user's program with a
    /// caret, then each call site. An error inside a builtin `nn` layer is
    /// shown at the user's call of the layer, with the layer's line as a note.
    pub fn render(&self) -> String {
        let Some((mut file, mut span)) = self.loc.clone() else {
            return format!("error: {}\n", self.message);
        };
        let mut trace = self.trace.as_slice();
        let mut notes = Vec::new();
        while file.name == PRELUDE_NAME {
            let Some(((f, s, _), rest)) = trace.split_first() else { break };
            notes.push(format!("raised inside a builtin nn layer at {}: {}", file.location(span), file.line_text(file.line_col(span.start).0).trim()));
            (file, span, trace) = (f.clone(), *s, rest);
        }
        let mut d = Diagnostic::error(self.message.clone(), span);
        for n in notes {
            d = d.note(n);
        }
        for (f, s, name) in trace {
            d = d.note(format!("called from `{name}` at {}: {}", f.location(*s), f.line_text(f.line_col(s.start).0).trim()));
        }
        d.render(&file)
    }
}

/// Attaches a location to an error that has none.
pub(crate) fn at<T>(r: R<T>, file: &Rc<SourceFile>, span: Span) -> R<T> {
    r.map_err(|mut e| {
        if e.loc.is_none() {
            e.loc = Some((file.clone(), span));
        }
        e
    })
}

/// Converts a runtime error to an interpreter error.
pub(crate) fn rt<T>(r: tsc_runtime::Result<T>) -> R<T> {
    r.or_else(|e| err(e.to_string()))
}

pub type Globals = Rc<RefCell<HashMap<String, Value>>>;

/// Where names live while a body runs.
pub(crate) struct Frame {
    pub file: Rc<SourceFile>,
    pub globals: Globals,
    /// `None` at module level (assignments go to the globals).
    pub locals: Option<HashMap<String, Value>>,
    /// The class whose method is running (for `super()`).
    pub class: Option<Rc<Class>>,
    /// `self` of the running method.
    pub this: Option<Value>,
    /// The running function's name (`<module>` at top level), for traces.
    pub name: String,
}

/// The interpreter: the builtin classes, the nn prelude and per-run state.
pub struct Interp {
    pub(crate) module_base: Rc<Class>,
    pub(crate) containers: [Rc<Class>; 3],
    pub(crate) prelude: Globals,
    /// Tensors wrapped by `nn.Parameter(...)`, kept until assigned to a module.
    pub(crate) pending_params: RefCell<Vec<tsc_runtime::Tensor>>,
    pub(crate) depth: std::cell::Cell<usize>,
    /// Where `print` writes.
    pub stdout: RefCell<Box<dyn std::io::Write>>,
}

/// Python's default recursion limit is 1000; eager code here is shallow.
const MAX_DEPTH: usize = 200;

impl Interp {
    /// A fresh interpreter with the nn prelude loaded.
    pub fn new() -> Result<Interp, String> {
        let base = |name: &str, kind| {
            Rc::new(Class {
                name: name.into(),
                kind,
                base: None,
                methods: HashMap::new(),
                class_attrs: RefCell::new(Vec::new()),
                def: None,
            })
        };
        let interp = Interp {
            module_base: base("Module", ClassKind::ModuleBase),
            containers: [
                base("Sequential", ClassKind::Sequential),
                base("ModuleList", ClassKind::ModuleList),
                base("ModuleDict", ClassKind::ModuleDict),
            ],
            prelude: Rc::new(RefCell::new(HashMap::new())),
            pending_params: RefCell::new(Vec::new()),
            depth: std::cell::Cell::new(0),
            stdout: RefCell::new(Box::new(std::io::stdout())),
        };
        let (file, module) = prelude_ast()?;
        let file = Rc::new(file.clone());
        let globals = interp.prelude.clone();
        interp.run_module(&file, module, globals).map_err(|e| e.render())?;
        Ok(interp)
    }

    /// Runs a file's module-level statements in `globals` (`__name__` set by the caller).
    pub fn run_module(&self, file: &Rc<SourceFile>, module: &ast::Module, globals: Globals) -> R<()> {
        let mut frame = Frame { file: file.clone(), globals, locals: None, class: None, this: None, name: "<module>".into() };
        for stmt in &module.body {
            match self.exec(&mut frame, stmt)? {
                exec::Flow::Normal => {}
                _ => return at(err("`return`, `break` or `continue` outside a function or loop"), file, stmt.span),
            }
        }
        Ok(())
    }

    /// Evaluates an expression (the CLI's `--entry`) in a file's globals.
    pub fn eval_in(&self, file: &Rc<SourceFile>, expr: &ast::Expr, globals: Globals) -> R<Value> {
        let mut frame = Frame { file: file.clone(), globals, locals: None, class: None, this: None, name: "<module>".into() };
        self.eval(&mut frame, expr)
    }

    /// `v.name`, as the program would read it.
    pub fn attr(&self, v: &Value, name: &str) -> R<Value> {
        self.get_attr(v, name)
    }

    /// Calls any callable value with positional and keyword arguments.
    pub fn call_value(&self, f: &Value, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        self.call(f, args, kwargs)
    }
}

/// The prelude, parsed once per process.
fn prelude_ast() -> Result<&'static (SourceFile, ast::Module), String> {
    static AST: std::sync::OnceLock<Result<(SourceFile, ast::Module), String>> = std::sync::OnceLock::new();
    AST.get_or_init(|| {
        let file = SourceFile::new(PRELUDE_NAME, PRELUDE);
        let (module, diags) = syntax::parse(&file);
        match diags.first() {
            Some(d) => Err(d.render(&file)),
            None => Ok((file, module)),
        }
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The prelude's file name in messages.
pub const PRELUDE_NAME: &str = "<nn prelude>";

/// The builtin nn layers, written in the language itself.
pub const PRELUDE: &str = include_str!("../prelude/nn.py");
