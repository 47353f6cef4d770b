//! The static type checker: TorchScript's rules, applied to everything the
//! entry reaches before anything runs.
//!
//! What gets checked is what TorchScript compiles: the entry function or
//! the module's `forward`, and every function, method and submodule
//! `forward` they call (module `__init__` and module-level code run eagerly
//! and are not checked, as in TorchScript). A module's attribute types come
//! from its live, constructed instance.
//!
//! Rules (each has a golden test in `frontend/tests/check/`):
//! - parameters without an annotation are `Tensor`; locals are inferred
//!   and keep one type (assigning another is an error);
//! - a variable used after an `if` must be defined on every path into it;
//! - `Optional[T]` is refined by `is None` / `is not None` tests and
//!   `assert x is not None`; a test on a value whose type is exactly `None`
//!   selects its branch statically (`if self.bias is not None`);
//! - a function annotated with a non-`None` return type returns on every
//!   path; unannotated functions return one type;
//! - calls are checked against the callee's parameters (count, names,
//!   types); ops against their schemas (`tsc_runtime::ops::schema`);
//! - `ModuleList`/`Sequential` indexing takes integer literals, and loops
//!   over them (unrolled) contain no `break`/`continue`;
//! - recursion, `*args`/`**kwargs`, `try`, `with`, `lambda`, `yield`,
//!   `global`, `del`, sets and f-strings are rejected.

mod calls;
mod expr;
mod stmt;
pub mod types;

use crate::diag::Diagnostic;
use crate::driver::{Entry, Program};
use crate::interp::value::{Func, Object};
use crate::syntax::span::SourceFile;
use std::collections::HashMap;
use std::rc::Rc;
use types::Type;

/// A local's type, and whether it is bound on every path reaching here.
#[derive(Clone)]
pub(crate) struct Binding {
    pub ty: Type,
    /// `Some(why)` when some path leaves it unbound (the note to print).
    pub maybe_unbound: Option<String>,
}

/// Local scope of the function being checked.
#[derive(Clone, Default)]
pub(crate) struct Env {
    pub vars: HashMap<String, Binding>,
}

/// One function being checked: where it lives and what it must return.
pub(crate) struct FnCtx {
    pub file: Rc<SourceFile>,
    pub func: Rc<Func>,
    pub ret: Option<Type>,
    pub returns: Vec<Type>,
    /// Enclosing loops, innermost last: `true` for unrolled loops over
    /// module containers (no `break`/`continue` there).
    pub loops: Vec<bool>,
}

pub(crate) struct Checker<'p> {
    pub program: &'p Program,
    pub errors: Vec<(Rc<SourceFile>, Diagnostic)>,
    /// Functions on the current call path (recursion detection), by address.
    pub stack: Vec<usize>,
    /// Return types of functions already checked (per function and `self`).
    pub done: HashMap<(usize, usize), Type>,
}

/// Checks the entry; all errors found come back rendered together.
pub fn check_entry(program: &Program, entry: &Entry) -> Result<(), String> {
    let mut c = Checker { program, errors: Vec::new(), stack: Vec::new(), done: HashMap::new() };
    match entry {
        Entry::Function(f) => {
            c.check_function(f, None, None);
        }
        Entry::Module(o) => {
            c.check_forward(o, None);
        }
    }
    if c.errors.is_empty() {
        return Ok(());
    }
    let mut out = String::new();
    for (file, d) in &c.errors {
        out.push_str(&d.render(file));
        out.push('\n');
    }
    Err(out)
}

fn key(f: &Rc<Func>, this: Option<&Rc<Object>>) -> (usize, usize) {
    (Rc::as_ptr(f) as usize, this.map_or(0, |o| Rc::as_ptr(o) as usize))
}

impl<'p> Checker<'p> {
    pub(crate) fn error(&mut self, file: &Rc<SourceFile>, d: Diagnostic) {
        // One error per location is enough (a bad name used twice on a line
        // would otherwise repeat).
        if !self.errors.iter().any(|(f, e)| Rc::ptr_eq(f, file) && e.span == d.span && e.message == d.message) {
            self.errors.push((file.clone(), d));
        }
    }

    /// Checks a module's `forward` (the call of a module instance).
    pub(crate) fn check_forward(&mut self, o: &Rc<Object>, call: Option<(&Rc<SourceFile>, crate::syntax::span::Span)>) -> Type {
        match o.class.method("forward") {
            Some(f) => self.check_function(&f, Some(o), call),
            None => Type::Unknown,
        }
    }

    /// Checks a function's body once (per `self` instance) and returns its
    /// return type. `call` is the call site, for the recursion error.
    pub(crate) fn check_function(
        &mut self,
        f: &Rc<Func>,
        this: Option<&Rc<Object>>,
        call: Option<(&Rc<SourceFile>, crate::syntax::span::Span)>,
    ) -> Type {
        let k = key(f, this);
        let declared = f.def.returns.as_ref().and_then(types::from_annotation);
        if self.stack.contains(&k.0) {
            if let Some((file, span)) = call {
                let d = Diagnostic::error(format!("function '{}' is called recursively; recursive calls are not supported", f.def.name.name), span)
                    .label("recursive call")
                    .secondary(f.def.name.span, "defined here")
                    .note("TorchScript compiles every call inline, so recursion (direct or mutual) is rejected");
                let file = file.clone();
                // Secondary label is in the callee's file; keep it only when it is the same file.
                let d = if Rc::ptr_eq(&file, &f.file) { d } else { Diagnostic { secondary: Vec::new(), ..d } };
                self.error(&file, d);
            }
            return declared.unwrap_or(Type::Unknown);
        }
        if let Some(t) = self.done.get(&k) {
            return t.clone();
        }
        self.stack.push(k.0);
        let ret = self.check_body(f, this, declared);
        self.stack.pop();
        self.done.insert(k, ret.clone());
        ret
    }

    fn check_body(&mut self, f: &Rc<Func>, this: Option<&Rc<Object>>, declared: Option<Type>) -> Type {
        use crate::syntax::ast::ParamKind;
        let file = f.file.clone();
        let mut env = Env::default();
        for (i, p) in f.def.params.iter().enumerate() {
            if matches!(p.kind, ParamKind::VarArgs | ParamKind::VarKw) {
                self.error(
                    &file,
                    Diagnostic::error("compiled functions can't take a variable number of arguments (`*args`, `**kwargs`)", p.span)
                        .label("variadic parameter")
                        .help("take a `List[Tensor]` (or a fixed number of parameters) instead"),
                );
                env.vars.insert(p.name.name.clone(), Binding { ty: Type::Unknown, maybe_unbound: None });
                continue;
            }
            let ty = match (i, this, &p.annotation) {
                (0, Some(o), _) => Type::Module(o.clone()),
                (_, _, Some(a)) => match types::from_annotation(a) {
                    Some(t) => t,
                    None => {
                        self.error(&file, Diagnostic::error(format!("unknown type `{}`", file.snippet(a.span)), a.span).label("not a type of the TorchScript subset"));
                        Type::Unknown
                    }
                },
                (_, _, None) => Type::Tensor,
            };
            env.vars.insert(p.name.name.clone(), Binding { ty, maybe_unbound: None });
        }
        let mut ctx = FnCtx { file: file.clone(), func: f.clone(), ret: declared.clone(), returns: Vec::new(), loops: Vec::new() };
        let errors_before = self.errors.len();
        let terminated = self.block(&mut ctx, &mut env, &f.def.body);
        // After another error in this body (e.g. `yield`), "does not return" is noise.
        let clean = self.errors.len() == errors_before;
        match &declared {
            Some(t) if clean && !terminated && !t.accepts(&Type::None) => {
                self.error(
                    &file,
                    Diagnostic::error(
                        format!("function '{}' is annotated to return {t} but does not return along all paths", f.def.name.name),
                        f.def.header,
                    )
                    .label("some path reaches the end of this function")
                    .help("add a `return` (or `raise`) at the end of every branch"),
                );
            }
            _ => {}
        }
        match declared {
            Some(t) => t,
            None => {
                let mut rets = std::mem::take(&mut ctx.returns);
                if !terminated {
                    rets.push(Type::None);
                }
                rets.into_iter().reduce(|a, b| a.unify(&b).unwrap_or(Type::Unknown)).unwrap_or(Type::None)
            }
        }
    }
}
