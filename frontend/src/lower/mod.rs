//! Script lowering: the entry of a loaded program → compiler IR, with its
//! control flow (TorchScript's `torch.jit.script`, then freezing).
//!
//! The lowering walks the AST the way the interpreter does, but over
//! *lowered values* ([`LV`]): a value is either known while compiling
//! (`S`: a module, a function, an `int` attribute, a parameter tensor) or
//! computed by the graph (`D`: an IR value). Python-level structure is
//! evaluated away — module attribute lookups, `ModuleList` iteration, calls
//! (inlined), conditions on static values — and only what depends on the
//! entry's inputs becomes nodes. A `tuple` or a list built by literals and
//! `append` stays *virtual* (a Rust vector of lowered values) until it has to
//! flow through dynamic control flow.
//!
//! - `stmt.rs`: statements; `if`, loops, `break`/`continue`/`return` as
//!   flag variables (`$brk`, `$cont`, `$ret`, `$rv`) that guard what follows
//!   them, so early exits become structured `if`/`loop` nodes.
//! - `merge.rs`: joining the variables of two branches into `if` outputs and
//!   of a loop body into carried values; `iter.rs`: what a `for` iterates.
//! - `assign.rs`: assignment targets; `trace.rs`: trace mode (concrete
//!   values of the example run, data-dependence warnings).
//! - `expr.rs`: expressions and operators; `call.rs`: calls — inlining of
//!   functions, methods and modules, builtins, and runtime ops bound to their
//!   schema by operand types.
//!
//! Invariants: every node gets the source location of the expression or
//! statement that produced it; tensor values are typed `Tensor` with nothing
//! known (shape propagation refines them later); parameters and buffers
//! become named constants (`fc1.weight`), one per tensor.

mod assign;
mod call;
mod expr;
mod iter;
mod merge;
mod stmt;
mod trace;

use crate::driver::{Entry, Program};
use crate::interp::value::Func;
use crate::interp::{err, Exc, Globals, Interp, Value, PRELUDE_NAME, R};
use crate::syntax::ast;
use crate::syntax::span::{SourceFile, Span};
use std::collections::BTreeMap;
use std::rc::Rc;
use tsc_compiler::{Block, ConstId, ConstValue, Graph, Literal, Loc, Op, Type};
use tsc_runtime::Tensor;

pub use tsc_compiler::Value as IrValue;

/// A lowered value.
#[derive(Clone)]
pub(crate) enum LV {
    /// Known while compiling.
    S(Value),
    /// Computed by the graph.
    D(IrValue),
    /// A list of known length (element type hint from an annotation).
    List(Vec<LV>, Option<Type>),
    Tuple(Vec<LV>),
    /// `recv.name` for a builtin method of a graph value or virtual list.
    Method(Box<LV>, String),
    /// `range(lo, hi, step)`.
    Range(Box<[LV; 3]>),
    /// `enumerate(x)` / `zip(xs...)` over something only known at run time.
    Enumerate(Box<LV>, i64),
    Zip(Vec<LV>),
}

impl LV {
    pub(crate) fn none() -> LV {
        LV::S(Value::None)
    }
    pub(crate) fn bool(b: bool) -> LV {
        LV::S(Value::Bool(b))
    }
    pub(crate) fn int(i: i64) -> LV {
        LV::S(Value::Int(i))
    }
    /// The static value, if the whole value is known (lists and tuples deeply).
    pub(crate) fn as_static(&self) -> Option<Value> {
        match self {
            LV::S(v) => Some(v.clone()),
            LV::List(items, _) => items.iter().map(LV::as_static).collect::<Option<Vec<_>>>().map(Value::list),
            LV::Tuple(items) => items.iter().map(LV::as_static).collect::<Option<Vec<_>>>().map(Value::tuple),
            _ => None,
        }
    }
}

/// Where names live while a function body is lowered.
pub(crate) struct Frame {
    pub file: Rc<SourceFile>,
    pub globals: Globals,
    /// Ordered, so that merges (and hence the graph) are deterministic.
    pub vars: BTreeMap<String, LV>,
    /// `Class.method`, for error traces.
    pub name: String,
    /// The declared return type, if any.
    pub ret_ty: Option<Type>,
}

/// The lowering state: the graph being built and where nodes go.
pub(crate) struct Lower<'p> {
    pub interp: &'p Interp,
    pub g: Graph,
    /// The block new nodes are appended to.
    pub cur: Block,
    /// Location of the expression being lowered.
    pub at: (Rc<SourceFile>, Span),
    /// While inside a builtin nn layer: the user's call of it, which is
    /// where its nodes are reported (runtime errors point at user code).
    anchor: Option<(Rc<SourceFile>, Span)>,
    /// Tensor constants already in the graph.
    consts: Vec<(Tensor, ConstId)>,
    /// `state_dict` names of the entry module's tensors.
    names: Vec<(String, Tensor)>,
    depth: usize,
    /// Trace mode: concrete values of the example run.
    trace: Option<trace::Trace>,
}

/// The result of lowering an entry.
pub struct Lowered {
    pub graph: Graph,
    /// The graph inputs' names (the entry's parameters).
    pub inputs: Vec<String>,
}

/// Inlining depth limit (recursion is rejected by the checker; this guards
/// mutual recursion through module calls).
const MAX_DEPTH: usize = 100;

/// Lowers the entry of `p` to IR (script mode).
pub fn script(p: &Program, entry: &Entry) -> Result<Lowered, String> {
    lower(p, entry, None).map(|(l, _)| l)
}

/// Traces the entry of `p` on example inputs; returns the graph and the
/// rendered warnings (each an error when `strict`).
pub fn trace(p: &Program, entry: &Entry, inputs: &[(String, Tensor)], strict: bool) -> Result<(Lowered, Vec<String>), String> {
    let (l, warnings) = lower(p, entry, Some(inputs))?;
    if strict && !warnings.is_empty() {
        let errors: Vec<String> = warnings.iter().map(|w| w.replacen("warning", "error", 1)).collect();
        return Err(format!("{}error: the trace is not valid for other inputs (--strict)\n", errors.concat()));
    }
    Ok((l, warnings))
}

fn lower(p: &Program, entry: &Entry, inputs: Option<&[(String, Tensor)]>) -> Result<(Lowered, Vec<String>), String> {
    let (func, this) = match entry {
        Entry::Function(f) => (f.clone(), None),
        Entry::Module(o) => match o.class.method("forward") {
            Some(f) => (f, Some(Value::Object(o.clone()))),
            None => return Err(format!("error: module `{}` has no forward()\n", o.class.name)),
        },
    };
    let names = match entry {
        Entry::Module(o) => crate::interp::module::state_dict(o),
        Entry::Function(_) => Vec::new(),
    };
    let mut l = Lower {
        interp: &p.interp,
        g: Graph::new(),
        cur: Block(0),
        at: (func.file.clone(), func.def.header),
        anchor: None,
        consts: Vec::new(),
        names,
        depth: 0,
        trace: inputs.map(|_| trace::Trace::default()),
    };
    let lowered = l.entry(&func, this, inputs.unwrap_or(&[])).map_err(|e| e.render())?;
    Ok((lowered, l.trace.map(|t| t.warnings).unwrap_or_default()))
}

impl Lower<'_> {
    fn entry(&mut self, func: &Rc<Func>, this: Option<Value>, examples: &[(String, Tensor)]) -> R<Lowered> {
        let mut args = Vec::new();
        let mut inputs = Vec::new();
        let skip = this.is_some() as usize;
        if let Some(t) = this {
            args.push(LV::S(t));
        }
        for p in func.def.params.iter().skip(skip) {
            self.at = (func.file.clone(), p.span);
            let ty = match &p.annotation {
                None => Type::tensor(),
                Some(a) => match annotation_type(a) {
                    Some(t @ (Type::Tensor(_) | Type::Int | Type::Float | Type::Bool)) => t,
                    _ => return self.fail(format!("entry parameter `{}` must be a Tensor, int, float or bool", p.name.name)),
                },
            };
            let v = self.g.add_block_param(Block(0), ty);
            self.g.set_value_name(v, &p.name.name);
            if self.tracing() {
                let Some((_, t)) = examples.iter().find(|(n, _)| *n == p.name.name) else {
                    return self.fail(format!("no example input named `{}` for the trace", p.name.name));
                };
                let ann = p.annotation.as_ref().and_then(|a| a.dotted()).map(|d| d.join("."));
                let x = crate::driver::input_value(&p.name.name, ann.as_deref(), t.clone()).or_else(|e| self.fail(e.trim_start_matches("error: ").trim_end()))?;
                let x = crate::interp::builtins::to_rt(&x)?;
                self.trace_input(v, x);
            }
            inputs.push(p.name.name.clone());
            args.push(LV::D(v));
        }
        let out = self.inline(func, args, Vec::new())?;
        self.at = (func.file.clone(), func.def.header);
        let v = self.mat(&out)?;
        self.trace_check()?;
        self.g.set_results(Block(0), vec![v]);
        Ok(Lowered { graph: std::mem::replace(&mut self.g, Graph::new()), inputs })
    }

    /// An error at the current location.
    pub(crate) fn fail<T>(&self, msg: impl Into<String>) -> R<T> {
        Err(Box::new(Exc { message: msg.into(), loc: Some(self.at.clone()), trace: Vec::new() }))
    }

    /// The IR location of the current expression.
    fn loc(&self) -> Loc {
        let (file, span) = match &self.anchor {
            Some(a) if self.at.0.name == PRELUDE_NAME => a,
            _ => &self.at,
        };
        let (line, col) = file.line_col(span.start);
        Loc { file: file.name.clone(), line: line as u32, col: col as u32 }
    }

    /// Appends a node at the current location; returns its outputs.
    pub(crate) fn node(&mut self, op: Op, ins: Vec<IrValue>, outs: Vec<Type>) -> Vec<IrValue> {
        let n = self.g.create_node(op, ins, outs);
        self.g.set_loc(n, self.loc());
        self.g.block_mut(self.cur).nodes.push(n);
        self.trace_node(n);
        self.g.node(n).outputs.clone()
    }

    pub(crate) fn node1(&mut self, op: Op, ins: Vec<IrValue>, out: Type) -> IrValue {
        self.node(op, ins, vec![out])[0]
    }

    pub(crate) fn literal(&mut self, l: Literal) -> IrValue {
        let t = l.ty();
        self.node1(Op::Literal(l), Vec::new(), t)
    }

    /// The type of a lowered value, if it is a runtime value.
    pub(crate) fn ty(&self, v: &LV) -> Option<Type> {
        Some(match v {
            LV::D(v) => generalize(self.g.ty(*v)),
            LV::S(s) => static_type(s)?,
            LV::List(items, hint) => Type::list(match (hint, items.first()) {
                (Some(t), _) => t.clone(),
                (None, None) => Type::tensor(),
                (None, Some(_)) => {
                    let mut t = self.ty(&items[0])?;
                    for i in &items[1..] {
                        t = join(&t, &self.ty(i)?)?;
                    }
                    t
                }
            }),
            LV::Tuple(items) => Type::Tuple(items.iter().map(|i| self.ty(i)).collect::<Option<_>>()?),
            LV::Method(..) | LV::Range(_) | LV::Enumerate(..) | LV::Zip(_) => return None,
        })
    }

    /// Makes `v` a graph value (literals, constants, list/tuple construction).
    pub(crate) fn mat(&mut self, v: &LV) -> R<IrValue> {
        Ok(match v {
            LV::D(v) => *v,
            LV::S(s) => match s {
                Value::None => self.literal(Literal::None),
                Value::Bool(b) => self.literal(Literal::Bool(*b)),
                Value::Int(i) => self.literal(Literal::Int(*i)),
                Value::Float(x) => self.literal(Literal::Float(*x)),
                Value::Str(x) => self.literal(Literal::Str(x.to_string())),
                Value::DType(d) => self.literal(Literal::DType(*d)),
                Value::Device(d) => self.literal(Literal::Device(*d)),
                Value::Tensor(t) => self.tensor_const(t),
                Value::List(items) => {
                    let items: Vec<LV> = items.borrow().iter().cloned().map(LV::S).collect();
                    return self.mat(&LV::List(items, None));
                }
                Value::Tuple(items) => return self.mat(&LV::Tuple(items.iter().cloned().map(LV::S).collect())),
                other => return self.fail(format!("a {} cannot be a value of a compiled graph", other.type_name())),
            },
            LV::List(items, _) => {
                let Some(t) = self.ty(v) else { return self.fail("list elements of different types") };
                let ins = items.iter().map(|i| self.mat(i)).collect::<R<Vec<_>>>()?;
                self.node1(Op::ListConstruct, ins, t)
            }
            LV::Tuple(items) => {
                let ins = items.iter().map(|i| self.mat(i)).collect::<R<Vec<_>>>()?;
                let t = Type::Tuple(ins.iter().map(|&v| generalize(self.g.ty(v))).collect());
                self.node1(Op::TupleConstruct, ins, t)
            }
            LV::Method(_, name) => return self.fail(format!("method `{name}` cannot be a value of a compiled graph")),
            LV::Range(_) | LV::Enumerate(..) | LV::Zip(_) => {
                return self.fail("an iterator cannot be a value of a compiled graph (use it in a for loop)")
            }
        })
    }

    /// A tensor constant, named by its `state_dict` key when it is one.
    fn tensor_const(&mut self, t: &Tensor) -> IrValue {
        use merge::same_tensor as same;
        let id = match self.consts.iter().find(|(c, _)| same(c, t)) {
            Some((_, id)) => *id,
            None => {
                let name = self.names.iter().find(|(_, x)| same(x, t)).map(|(n, _)| n.clone()).unwrap_or_default();
                let id = self.g.add_const(&name, ConstValue::Tensor(t.clone()));
                self.consts.push((t.clone(), id));
                id
            }
        };
        self.node1(Op::Const(id), Vec::new(), Type::tensor())
    }

    /// Inlines a call of a user function.
    pub(crate) fn inline(&mut self, func: &Rc<Func>, args: Vec<LV>, kwargs: Vec<(String, LV)>) -> R<LV> {
        if self.depth >= MAX_DEPTH {
            return self.fail(format!("`{}` calls itself (recursion cannot be compiled)", func.qualname));
        }
        let vars = call::bind_params(func, args, kwargs).or_else(|e| self.fail(e))?;
        let Some(globals) = func.globals() else { return err(format!("`{}` outlived its program", func.qualname)) };
        let ret_ty = func.def.returns.as_ref().and_then(annotation_type);
        let mut f = Frame { file: func.file.clone(), globals, vars, name: func.qualname.clone(), ret_ty };
        f.vars.insert(stmt::RET.into(), LV::bool(false));
        let saved = self.at.clone();
        let entering_prelude = func.file.name == PRELUDE_NAME && self.at.0.name != PRELUDE_NAME;
        let anchor = if entering_prelude { self.anchor.replace(saved.clone()) } else { self.anchor.clone() };
        self.depth += 1;
        let r = self.block(&mut f, &func.def.body).and_then(|()| self.function_result(&mut f));
        self.depth -= 1;
        self.anchor = anchor;
        self.at = saved;
        r
    }
}

/// The IR type of a static value, if it can be one.
fn static_type(v: &Value) -> Option<Type> {
    Some(match v {
        Value::None => Type::None,
        Value::Bool(_) => Type::Bool,
        Value::Int(_) => Type::Int,
        Value::Float(_) => Type::Float,
        Value::Str(_) => Type::Str,
        Value::Tensor(_) => Type::tensor(),
        Value::DType(_) => Type::DType,
        Value::Device(_) => Type::Device,
        Value::List(items) => {
            let items = items.borrow();
            let mut t = match items.first() {
                Some(x) => static_type(x)?,
                None => Type::tensor(),
            };
            for x in items.iter().skip(1) {
                t = join(&t, &static_type(x)?)?;
            }
            Type::list(t)
        }
        Value::Tuple(items) => Type::Tuple(items.iter().map(static_type).collect::<Option<_>>()?),
        _ => return None,
    })
}

/// Forgets what is known about tensors (dtype, shape): the lowering types
/// every tensor `Tensor`; shape propagation refines them.
pub(crate) fn generalize(t: &Type) -> Type {
    match t {
        Type::Tensor(_) => Type::tensor(),
        Type::List(e) => Type::list(generalize(e)),
        Type::Tuple(ts) => Type::Tuple(ts.iter().map(generalize).collect()),
        Type::Optional(e) => Type::optional(generalize(e)),
        other => other.clone(),
    }
}

/// The type of a variable that holds `a` on one path and `b` on another.
pub(crate) fn join(a: &Type, b: &Type) -> Option<Type> {
    Some(match (a, b) {
        _ if a == b => a.clone(),
        (Type::None, Type::Optional(_)) => b.clone(),
        (Type::Optional(_), Type::None) => a.clone(),
        (Type::None, t) | (t, Type::None) => Type::optional(t.clone()),
        (Type::Optional(x), t) | (t, Type::Optional(x)) => Type::optional(join(x, t)?),
        (Type::List(x), Type::List(y)) => Type::list(join(x, y)?),
        (Type::Tuple(xs), Type::Tuple(ys)) if xs.len() == ys.len() => {
            Type::Tuple(xs.iter().zip(ys).map(|(x, y)| join(x, y)).collect::<Option<_>>()?)
        }
        (Type::Tensor(_), Type::Tensor(_)) => Type::tensor(),
        _ => return None,
    })
}

/// The IR type an annotation names (`Tensor`, `int`, `List[int]`,
/// `Optional[Tensor]`, `Tuple[Tensor, Tensor]`), if it names one.
pub(crate) fn annotation_type(a: &ast::Expr) -> Option<Type> {
    use ast::ExprKind as K;
    match &a.kind {
        K::None => Some(Type::None),
        K::Name(_) | K::Attribute { .. } => Some(match a.dotted()?.last()? {
            &"Tensor" => Type::tensor(),
            &"int" => Type::Int,
            &"float" => Type::Float,
            &"bool" => Type::Bool,
            &"str" => Type::Str,
            &"dtype" => Type::DType,
            &"device" => Type::Device,
            _ => return None,
        }),
        K::Subscript { value, index } => {
            let head = *value.dotted()?.last()?;
            let args: Vec<&ast::Expr> = match &index.kind {
                K::Tuple(items) => items.iter().collect(),
                _ => vec![index.as_ref()],
            };
            match (head, args.as_slice()) {
                ("List", [t]) => Some(Type::list(annotation_type(t)?)),
                ("Optional", [t]) => Some(Type::optional(annotation_type(t)?)),
                ("Tuple", ts) => Some(Type::Tuple(ts.iter().map(|t| annotation_type(t)).collect::<Option<_>>()?)),
                _ => None,
            }
        }
        _ => None,
    }
}
