//! Statements and structured control flow.
//!
//! Early exits are flag variables in the frame: `return` sets `$ret` (and
//! the value `$rv`), `break` sets `$brk`, `continue` sets `$cont`, `raise`
//! sets `$exc`. After each statement, a flag that is statically true ends
//! the block; a flag that is a graph value wraps the rest of the block in
//! `if flag: (skip) else: (rest)`. Loops carry `$ret`/`$rv` and stop when
//! `$brk` or `$ret` is set. So `while`, `break`, `continue` and early
//! `return` all become plain `if`/`loop` nodes.
//!
//! `for` over something of known length (a `ModuleList`, a tuple, a virtual
//! list, a short constant `range`) is unrolled; over a graph list, a tensor
//! or a `range` with graph bounds it is a `loop` node.

use super::merge::RAISED;
use super::iter::Iter;
use super::{annotation_type, generalize, Frame, IrValue, Lower, LV};
use crate::interp::{Value, R};
use crate::syntax::ast::{self, Expr, ExprKind, Stmt, StmtKind as K};
use std::collections::BTreeSet;
use tsc_compiler::{Literal, Op, ScalarOp, Type};

pub(crate) const RET: &str = "$ret";
pub(crate) const RV: &str = "$rv";
pub(crate) const BRK: &str = "$brk";
pub(crate) const CONT: &str = "$cont";

/// A condition: known while compiling, or a graph `bool`.
pub(crate) enum Cond {
    Static(bool),
    Dyn(IrValue),
}

/// List methods that change the list (lowered functionally: the variable
/// is rebound to the new list).
pub(crate) const LIST_MUTATORS: &[&str] = &["append", "extend", "insert", "pop", "reverse", "clear", "remove", "sort"];

impl Lower<'_> {
    /// Lowers a statement list, guarding what follows an early exit.
    pub(crate) fn block(&mut self, f: &mut Frame, body: &[Stmt]) -> R<()> {
        for (i, s) in body.iter().enumerate() {
            self.stmt(f, s)?;
            match exit_state(f, &[RAISED, RET, BRK, CONT]) {
                Exit::Never => {}
                Exit::Always => return Ok(()),
                Exit::Maybe(flag, c) => {
                    let rest = &body[i + 1..];
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let (fl, fl2) = (flag.clone(), flag);
                    return self.branch(
                        f,
                        c,
                        move |_, f| {
                            f.vars.insert(fl, LV::bool(true));
                            Ok(())
                        },
                        move |me, f| {
                            f.vars.insert(fl2, LV::bool(false));
                            me.block(f, rest)
                        },
                    );
                }
            }
        }
        Ok(())
    }

    fn stmt(&mut self, f: &mut Frame, s: &Stmt) -> R<()> {
        self.trace_check()?;
        self.at = (f.file.clone(), s.span);
        match &s.kind {
            K::Expr(e) => {
                if !matches!(e.kind, ExprKind::Str(_)) {
                    self.expr(f, e)?;
                }
            }
            K::Assign { targets, value } => {
                let v = self.expr(f, value)?;
                for t in targets {
                    self.assign(f, t, v.clone())?;
                }
            }
            K::AnnAssign { target, annotation, value } => {
                if let Some(value) = value {
                    let mut v = self.expr(f, value)?;
                    if let (LV::List(items, None), Some(Type::List(e))) = (&v, annotation_type(annotation)) {
                        v = LV::List(items.clone(), Some(generalize(&e)));
                    }
                    self.assign(f, target, v)?;
                }
            }
            K::AugAssign { target, op, value } => self.aug_assign(f, target, *op, value)?,
            K::If { test, body, orelse } => self.if_stmt(f, test, body, orelse)?,
            K::For { target, iter, body, orelse } => {
                no_else(self, orelse)?;
                let it = self.expr(f, iter)?;
                match self.iteration(&it)? {
                    Iter::Static(items) => {
                        let saved = take_loop_flags(f);
                        let r = self.unroll(f, target, &items, body);
                        restore_loop_flags(f, saved);
                        r?
                    }
                    Iter::Dyn { trip, get } => {
                        let cond0 = self.literal(Literal::Bool(true));
                        self.loop_stmt(f, trip, cond0, body, &mut |me, f, i| {
                            let item = me.get(&get, i)?;
                            me.assign(f, target, item)?;
                            me.block(f, body)?;
                            me.continue_cond(f, None)
                        })?
                    }
                }
            }
            K::While { test, body, orelse } if self.tracing() => {
                no_else(self, orelse)?;
                self.trace_while(f, test, body)?
            }
            K::While { test, body, orelse } => {
                no_else(self, orelse)?;
                let c = self.expr(f, test)?;
                self.at = (f.file.clone(), test.span);
                let cond0 = match self.cond(&c)? {
                    Cond::Static(false) => return Ok(()),
                    c => self.cond_value(c),
                };
                let trip = self.literal(Literal::Int(i64::MAX));
                self.loop_stmt(f, trip, cond0, body, &mut |me, f, _| {
                    me.block(f, body)?;
                    me.continue_cond(f, Some(test))
                })?
            }
            K::Break => {
                f.vars.insert(BRK.into(), LV::bool(true));
            }
            K::Continue => {
                f.vars.insert(CONT.into(), LV::bool(true));
            }
            K::Pass => {}
            K::Return(e) => {
                let v = match e {
                    Some(e) => self.expr(f, e)?,
                    None => LV::none(),
                };
                f.vars.insert(RV.into(), v);
                f.vars.insert(RET.into(), LV::bool(true));
            }
            K::Assert { test, msg } => self.assert(f, test, msg.as_ref())?,
            K::Raise { exc, .. } => {
                let m = match exc {
                    Some(e) => self.message(f, e),
                    None => "RuntimeError".into(),
                };
                self.raise(f, m);
            }
            _ => return self.fail("this statement cannot be compiled"),
        }
        Ok(())
    }

    /// Emits a `raise` and marks the rest of the block dead.
    fn raise(&mut self, f: &mut Frame, message: String) {
        let m = self.literal(Literal::Str(message));
        self.node(Op::Raise, vec![m], Vec::new());
        f.vars.insert(RAISED.into(), LV::bool(true));
    }

    /// The text of an exception: `ValueError: ...` with the parts that are
    /// known while compiling (others shown as `?`).
    fn message(&self, f: &Frame, e: &Expr) -> String {
        let name = |e: &Expr| e.dotted().map(|d| d.join(".")).unwrap_or_else(|| "Exception".into());
        match &e.kind {
            ExprKind::Call { func, args } => match args.first() {
                Some(a) => format!("{}: {}", name(func), self.text(f, &a.value)),
                None => name(func),
            },
            _ => name(e),
        }
    }

    /// A message expression as text, `?` for what only the run knows.
    fn text(&self, f: &Frame, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Str(s) => s.clone(),
            ExprKind::Binary { op: ast::BinOp::Add, left, right } => self.text(f, left) + &self.text(f, right),
            ExprKind::Call { func, args } if matches!(&func.kind, ExprKind::Name(n) if n == "str") && args.len() == 1 => {
                self.text(f, &args[0].value)
            }
            ExprKind::Int(i) => i.to_string(),
            ExprKind::Name(n) => match f.vars.get(n) {
                Some(LV::S(v)) => self.interp.display(v),
                _ => "?".into(),
            },
            _ => "?".into(),
        }
    }

    fn assert(&mut self, f: &mut Frame, test: &Expr, msg: Option<&Expr>) -> R<()> {
        let c = self.expr(f, test)?;
        let message = match msg {
            Some(m) => format!("AssertionError: {}", self.text(f, m)),
            None => "AssertionError".into(),
        };
        match self.cond(&c)? {
            Cond::Static(true) => {}
            Cond::Static(false) => self.raise(f, message),
            Cond::Dyn(c) => self.branch(f, c, |_, _| Ok(()), |me, f| {
                me.raise(f, message);
                Ok(())
            })?,
        }
        let (then_names, _) = refinements(test);
        self.unwrap_vars(f, &then_names);
        Ok(())
    }

    fn if_stmt(&mut self, f: &mut Frame, test: &Expr, body: &[Stmt], orelse: &[Stmt]) -> R<()> {
        let c = self.expr(f, test)?;
        self.at = (f.file.clone(), test.span);
        match self.cond(&c)? {
            Cond::Static(true) => self.block(f, body),
            Cond::Static(false) => self.block(f, orelse),
            Cond::Dyn(c) => {
                let (tn, en) = refinements(test);
                self.branch(
                    f,
                    c,
                    |me, f| {
                        me.unwrap_vars(f, &tn);
                        me.block(f, body)
                    },
                    |me, f| {
                        me.unwrap_vars(f, &en);
                        me.block(f, orelse)
                    },
                )
            }
        }
    }

    /// Replaces `Optional` graph variables named in `names` by their
    /// unwrapped values (TorchScript's refinement after `x is not None`).
    /// The merge turns a narrowing that one path only made back into the
    /// optional.
    pub(crate) fn unwrap_vars(&mut self, f: &mut Frame, names: &[String]) {
        for n in names {
            if let Some(LV::D(v)) = f.vars.get(n).cloned() {
                if let Type::Optional(inner) = self.g.ty(v).clone() {
                    let u = self.node1(Op::OptionalUnwrap, vec![v], generalize(&inner));
                    f.vars.insert(n.clone(), LV::D(u));
                }
            }
        }
    }

    /// Lowers a `loop` node over `body` (carrying what it assigns).
    fn loop_stmt(
        &mut self,
        f: &mut Frame,
        trip: IrValue,
        cond0: IrValue,
        body: &[Stmt],
        step: &mut dyn FnMut(&mut Self, &mut Frame, IrValue) -> R<IrValue>,
    ) -> R<()> {
        let saved = take_loop_flags(f);
        let mut names = BTreeSet::new();
        assigned(body, &mut names);
        if contains_return(body) {
            f.vars.entry(RET.into()).or_insert(LV::bool(false));
            names.insert(RV.into());
            names.insert(RET.into());
        }
        let carried: Vec<String> = names.into_iter().filter(|n| f.vars.contains_key(n) || n == RV).collect();
        let r = self.dyn_loop(f, trip, cond0, &carried, step);
        restore_loop_flags(f, saved);
        r
    }

    /// The loop condition at the end of an iteration: no `break`/`return`,
    /// and for `while`, the test (evaluated only when still running).
    fn continue_cond(&mut self, f: &mut Frame, test: Option<&Expr>) -> R<IrValue> {
        let stop = exit_state(f, &[RAISED, RET, BRK]);
        let Some(test) = test else {
            return Ok(match stop {
                Exit::Never => self.literal(Literal::Bool(true)),
                Exit::Always => self.literal(Literal::Bool(false)),
                Exit::Maybe(_, c) => {
                    let any = self.any_flag(f, &[RET, BRK]).unwrap_or(c);
                    self.node1(Op::Scalar(ScalarOp::Not), vec![any], Type::Bool)
                }
            });
        };
        match stop {
            Exit::Always => Ok(self.literal(Literal::Bool(false))),
            Exit::Never => {
                let c = self.expr(f, test)?;
                let c = self.cond(&c)?;
                Ok(self.cond_value(c))
            }
            Exit::Maybe(_, c) => {
                let any = self.any_flag(f, &[RET, BRK]).unwrap_or(c);
                let v = self.branch_value(
                    f,
                    any,
                    |_, _| Ok(LV::bool(false)),
                    |me, f| {
                        let c = me.expr(f, test)?;
                        let c = me.cond(&c)?;
                        Ok(LV::D(me.cond_value(c)))
                    },
                )?;
                self.mat(&v)
            }
        }
    }

    /// `a or b or ...` over the flags that are graph values.
    fn any_flag(&mut self, f: &Frame, flags: &[&str]) -> Option<IrValue> {
        let vals: Vec<IrValue> = flags.iter().filter_map(|fl| if let Some(LV::D(v)) = f.vars.get(*fl) { Some(*v) } else { None }).collect();
        let (first, rest) = vals.split_first()?;
        Some(rest.iter().fold(*first, |acc, &v| self.node1(Op::Scalar(ScalarOp::Or), vec![acc, v], Type::Bool)))
    }

    /// Unrolls a loop over `items`.
    fn unroll(&mut self, f: &mut Frame, target: &Expr, items: &[LV], body: &[Stmt]) -> R<()> {
        let Some((first, rest)) = items.split_first() else { return Ok(()) };
        self.assign(f, target, first.clone())?;
        self.block(f, body)?;
        f.vars.insert(CONT.into(), LV::bool(false));
        match exit_state(f, &[RAISED, RET, BRK]) {
            Exit::Always => Ok(()),
            Exit::Never => self.unroll(f, target, rest, body),
            Exit::Maybe(flag, c) => {
                let (fl, fl2) = (flag.clone(), flag);
                self.branch(
                    f,
                    c,
                    move |_, f| {
                        f.vars.insert(fl, LV::bool(true));
                        Ok(())
                    },
                    move |me, f| {
                        f.vars.insert(fl2, LV::bool(false));
                        me.unroll(f, target, rest, body)
                    },
                )
            }
        }
    }

    /// The result of a function whose body has been lowered.
    pub(crate) fn function_result(&mut self, f: &mut Frame) -> R<LV> {
        match f.vars.get(RET).cloned() {
            None | Some(LV::S(Value::Bool(false))) => Ok(LV::none()),
            Some(LV::S(_)) => Ok(f.vars.get(RV).cloned().unwrap_or(LV::none())),
            Some(LV::D(r)) => {
                let always = f.ret_ty.as_ref().is_some_and(|t| !matches!(t, Type::None | Type::Optional(_)));
                let rv = f.vars.get(RV).cloned().unwrap_or(LV::none());
                if always {
                    return Ok(rv);
                }
                self.branch_value(f, r, |_, _| Ok(rv), |_, _| Ok(LV::none()))
            }
            Some(_) => self.fail("internal: bad return flag"),
        }
    }

    /// Truthiness (in a trace: the example run's).
    pub(crate) fn cond(&mut self, v: &LV) -> R<Cond> {
        match self.cond_of(v)? {
            Cond::Dyn(c) if self.tracing() => Ok(self.trace_cond(c)),
            c => Ok(c),
        }
    }

    fn cond_of(&mut self, v: &LV) -> R<Cond> {
        Ok(match v {
            LV::S(s) => Cond::Static(s.truthy().or_else(|e| self.fail(e))?),
            LV::List(items, _) | LV::Tuple(items) => Cond::Static(!items.is_empty()),
            LV::D(x) => Cond::Dyn(match self.g.ty(*x).clone() {
                Type::Bool => *x,
                Type::Int | Type::Float => self.node1(Op::Scalar(ScalarOp::BoolCast), vec![*x], Type::Bool),
                Type::Tensor(_) => self.aten1("Bool", "Tensor", vec![*x], Type::Bool)?,
                Type::Optional(_) => {
                    let n = self.node1(Op::IsNone, vec![*x], Type::Bool);
                    self.node1(Op::Scalar(ScalarOp::Not), vec![n], Type::Bool)
                }
                Type::List(_) => {
                    let n = self.node1(Op::ListLen, vec![*x], Type::Int);
                    self.node1(Op::Scalar(ScalarOp::BoolCast), vec![n], Type::Bool)
                }
                Type::None => return Ok(Cond::Static(false)),
                t => return self.fail(format!("a {t} cannot be used as a condition")),
            }),
            LV::Method(..) | LV::Range(_) | LV::Enumerate(..) | LV::Zip(_) => Cond::Static(true),
        })
    }

    pub(crate) fn cond_value(&mut self, c: Cond) -> IrValue {
        match c {
            Cond::Static(b) => self.literal(Literal::Bool(b)),
            Cond::Dyn(v) => v,
        }
    }
}

fn no_else(l: &Lower, orelse: &[Stmt]) -> R<()> {
    if orelse.is_empty() {
        Ok(())
    } else {
        l.fail("`else` on a loop cannot be compiled")
    }
}

enum Exit {
    Never,
    Always,
    /// The flag that may be set, and its graph value.
    Maybe(String, IrValue),
}

fn exit_state(f: &Frame, flags: &[&str]) -> Exit {
    if flags.iter().any(|fl| matches!(f.vars.get(*fl), Some(LV::S(Value::Bool(true))))) {
        return Exit::Always;
    }
    for fl in flags {
        if let Some(LV::D(v)) = f.vars.get(*fl) {
            return Exit::Maybe(fl.to_string(), *v);
        }
    }
    Exit::Never
}

/// Sets aside the enclosing loop's `break`/`continue` flags (a nested loop
/// has its own, starting false).
pub(crate) fn take_loop_flags(f: &mut Frame) -> [Option<LV>; 2] {
    let saved = [f.vars.remove(BRK), f.vars.remove(CONT)];
    f.vars.insert(BRK.into(), LV::bool(false));
    f.vars.insert(CONT.into(), LV::bool(false));
    saved
}

pub(crate) fn restore_loop_flags(f: &mut Frame, saved: [Option<LV>; 2]) {
    f.vars.remove(BRK);
    f.vars.remove(CONT);
    for (name, v) in [BRK, CONT].into_iter().zip(saved) {
        if let Some(v) = v {
            f.vars.insert(name.into(), v);
        }
    }
}

/// Names a statement list may rebind (assignment targets, loop targets,
/// lists changed by a mutating method or item assignment).
pub(crate) fn assigned(body: &[Stmt], out: &mut BTreeSet<String>) {
    fn target(t: &Expr, out: &mut BTreeSet<String>) {
        match &t.kind {
            ExprKind::Name(n) => {
                out.insert(n.clone());
            }
            ExprKind::Tuple(ts) | ExprKind::List(ts) => ts.iter().for_each(|t| target(t, out)),
            ExprKind::Subscript { value, .. } => target(value, out),
            ExprKind::Starred(t) => target(t, out),
            _ => {}
        }
    }
    for s in body {
        match &s.kind {
            K::Assign { targets, .. } => targets.iter().for_each(|t| target(t, out)),
            K::AnnAssign { target: t, .. } | K::AugAssign { target: t, .. } => target(t, out),
            K::Expr(Expr { kind: ExprKind::Call { func, .. }, .. }) => {
                if let ExprKind::Attribute { value, attr } = &func.kind {
                    if LIST_MUTATORS.contains(&attr.name.as_str()) {
                        target(value, out);
                    }
                }
            }
            K::If { body, orelse, .. } => {
                assigned(body, out);
                assigned(orelse, out);
            }
            K::For { target: t, body, .. } => {
                target(t, out);
                assigned(body, out);
            }
            K::While { body, .. } => assigned(body, out),
            _ => {}
        }
    }
}

fn contains_return(body: &[Stmt]) -> bool {
    body.iter().any(|s| match &s.kind {
        K::Return(_) => true,
        K::If { body, orelse, .. } => contains_return(body) || contains_return(orelse),
        K::For { body, .. } | K::While { body, .. } => contains_return(body),
        _ => false,
    })
}

/// The variables a condition proves are not `None`: (when true, when false).
pub(crate) fn refinements(test: &Expr) -> (Vec<String>, Vec<String>) {
    match &test.kind {
        ExprKind::Compare { left, ops } if ops.len() == 1 && matches!(ops[0].1.kind, ExprKind::None) => {
            let ExprKind::Name(n) = &left.kind else { return (vec![], vec![]) };
            match ops[0].0 {
                ast::CmpOp::IsNot | ast::CmpOp::NotEq => (vec![n.clone()], vec![]),
                ast::CmpOp::Is | ast::CmpOp::Eq => (vec![], vec![n.clone()]),
                _ => (vec![], vec![]),
            }
        }
        ExprKind::BoolOp { op: ast::BoolOp::And, values } => {
            (values.iter().flat_map(|v| refinements(v).0).collect(), vec![])
        }
        ExprKind::BoolOp { op: ast::BoolOp::Or, values } => {
            (vec![], values.iter().flat_map(|v| refinements(v).1).collect())
        }
        ExprKind::Unary { op: ast::UnaryOp::Not, operand } => {
            let (t, e) = refinements(operand);
            (e, t)
        }
        _ => (vec![], vec![]),
    }
}
