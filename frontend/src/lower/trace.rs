//! Trace mode: the script lowering run on example inputs, with every graph
//! value's concrete value computed alongside (`compiler::eval`). Where
//! script mode would emit control flow, the trace decides by the concrete
//! value and keeps only the path taken, as `torch.jit.trace` does — but it
//! says so: a condition, loop trip count or `int()`/`float()`/`bool()`/
//! `.item()` whose value came from tensor *data* is reported as a warning
//! naming the source line (an error with `--strict`). Values read from
//! shapes (`x.size(0)`, `x.shape`) are computed by the graph, so they stay
//! symbolic.
//!
//! Taint rule: a non-tensor value is data-dependent when an op computes it
//! from a tensor (`Bool.Tensor`, `item`, a comparison's `is_nonzero`) or
//! from a data-dependent value — except shape queries (`size`, `dim`, ...),
//! which read no tensor data. Scalar entry parameters count as data.

use super::stmt::Cond;
use super::{Lower, LV};
use crate::diag::Diagnostic;
use crate::interp::{builtins, Exc, Value, PRELUDE_NAME, R};
use std::collections::{HashMap, HashSet};
use tsc_compiler::eval::eval_op;
use tsc_compiler::{Node, Op, Value as IrValue};
use tsc_runtime::Value as Rt;

/// Ops that read a tensor's metadata, not its elements.
const SHAPE_OPS: &[&str] = &["size", "dim", "numel", "len", "ndimension", "nelement", "prim_dtype", "prim_device"];

/// Bounds an unrolled `while` in a trace.
const MAX_TRACE_ITERS: usize = 100_000;

/// Concrete values and data dependence of the graph being traced.
#[derive(Default)]
pub(crate) struct Trace {
    vals: HashMap<IrValue, Rt>,
    tainted: HashSet<IrValue>,
    /// Rendered warnings, in order, without repeats.
    pub warnings: Vec<String>,
    /// The first failure of the example run (reported at the next statement).
    pub error: Option<Box<Exc>>,
}

impl Lower<'_> {
    pub(crate) fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// Sets the concrete value of a graph input.
    pub(crate) fn trace_input(&mut self, v: IrValue, x: Rt) {
        if let Some(tr) = &mut self.trace {
            tr.vals.insert(v, x);
            tr.tainted.insert(v);
        }
    }

    /// Computes the concrete outputs of node `n` (trace mode).
    pub(crate) fn trace_node(&mut self, n: Node) {
        let Some(mut tr) = self.trace.take() else { return };
        if tr.error.is_none() {
            let node = self.g.node(n);
            let ins: Option<Vec<Rt>> = node.inputs.iter().map(|v| tr.vals.get(v).cloned()).collect();
            let result = match ins {
                Some(ins) => eval_op(&self.g, &node.op, &ins, node.outputs.len()),
                None => Err(format!("internal: `{}` has an operand without a traced value", node.op.name())),
            };
            match result {
                Ok(outs) => {
                    let shape_query = matches!(&node.op, Op::Aten(a) if SHAPE_OPS.contains(&a.name()));
                    let reads_tensor = node.inputs.iter().any(|v| self.g.ty(*v).is_tensor());
                    let from_data = node.inputs.iter().any(|v| tr.tainted.contains(v));
                    for (&o, v) in node.outputs.iter().zip(outs) {
                        if !shape_query && !self.g.ty(o).is_tensor() && (reads_tensor || from_data) {
                            tr.tainted.insert(o);
                        }
                        tr.vals.insert(o, v);
                    }
                }
                Err(e) => tr.error = Some(Box::new(Exc { message: e, loc: Some(self.at.clone()), trace: Vec::new() })),
            }
        }
        self.trace = Some(tr);
    }

    /// Fails with the example run's first error, if there was one.
    pub(crate) fn trace_check(&mut self) -> R<()> {
        match self.trace.as_mut().and_then(|t| t.error.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn concrete(&self, v: IrValue) -> Option<(Rt, bool)> {
        let tr = self.trace.as_ref()?;
        Some((tr.vals.get(&v)?.clone(), tr.tainted.contains(&v)))
    }

    /// A warning at the current location (at the user's call when inside
    /// a builtin nn layer), once per location and message.
    fn warn(&mut self, msg: String) {
        let (file, span) = match (&self.anchor, self.at.0.name == PRELUDE_NAME) {
            (Some(a), true) => a.clone(),
            _ => self.at.clone(),
        };
        let text = Diagnostic::warning(msg, span).render(&file);
        if let Some(tr) = &mut self.trace {
            if !tr.warnings.contains(&text) {
                tr.warnings.push(text);
            }
        }
    }

    /// In a trace, a graph condition becomes the value the example run saw.
    pub(crate) fn trace_cond(&mut self, c: IrValue) -> Cond {
        match self.concrete(c) {
            Some((Rt::Bool(b), tainted)) => {
                if tainted {
                    self.warn(format!(
                        "this branch depended on tensor data; the trace keeps only the path taken (here: {b})"
                    ));
                }
                Cond::Static(b)
            }
            _ => Cond::Dyn(c),
        }
    }

    /// In a trace, a loop's trip count is the example run's.
    pub(crate) fn trace_trip(&mut self, trip: IrValue) -> Option<i64> {
        match self.concrete(trip)? {
            (Rt::Int(n), tainted) => {
                if tainted {
                    self.warn(format!(
                        "this loop's trip count depended on tensor data; the trace unrolls it {n} times"
                    ));
                }
                Some(n)
            }
            _ => None,
        }
    }

    /// In a trace, a number read from tensor data is baked in as a constant.
    pub(crate) fn trace_bake(&mut self, v: LV, what: &str) -> LV {
        let LV::D(x) = v else { return v };
        match self.concrete(x) {
            Some((c, true)) if !matches!(c, Rt::Tensor(_)) => {
                let shown = builtins::from_rt(c);
                self.warn(format!(
                    "{what} read tensor data; the trace keeps the value {} as a constant",
                    self.interp.display(&shown)
                ));
                LV::S(shown)
            }
            _ => v,
        }
    }

    /// `while` in a trace: unrolled by the example run's conditions.
    pub(crate) fn trace_while(&mut self, f: &mut super::Frame, test: &crate::syntax::ast::Expr, body: &[crate::syntax::ast::Stmt]) -> R<()> {
        use super::stmt::{restore_loop_flags, take_loop_flags, BRK, CONT, RET};
        let saved = take_loop_flags(f);
        for i in 0..=MAX_TRACE_ITERS {
            let c = self.expr(f, test)?;
            if let Cond::Static(false) = self.cond(&c)? {
                break;
            }
            if i == MAX_TRACE_ITERS {
                return self.fail(format!("the traced `while` loop ran more than {MAX_TRACE_ITERS} times"));
            }
            f.vars.insert(CONT.into(), LV::bool(false));
            self.block(f, body)?;
            let stop = [super::merge::RAISED, RET, BRK].iter().any(|fl| matches!(f.vars.get(*fl), Some(LV::S(Value::Bool(true)))));
            if stop {
                break;
            }
        }
        restore_loop_flags(f, saved);
        Ok(())
    }
}
