//! Joining paths: the variables two branches leave behind become the
//! outputs of an `if` node, and the variables a loop body reassigns become
//! its carried values.
//!
//! A variable holding the *same* lowered value on both paths (a value from
//! before the branch, an equal static) is left alone; a tuple or list of
//! equal length is joined element by element, so it stays virtual; anything
//! else is materialized on each path and joined into one output. A variable
//! set on one path only gets an `uninitialized` value on the other (the
//! checker guarantees it is not read there). A branch that always raises
//! contributes nothing: the other branch's variables win.

use super::{generalize, join, Frame, IrValue, Lower, LV};
use crate::interp::{Value, R};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use tsc_compiler::{Op, Type};

/// The flag a `raise` sets: the rest of the block is dead.
pub(crate) const RAISED: &str = "$exc";

/// How one variable's two values combine.
enum Shape {
    Same(LV),
    /// Different values (either may be absent: set on one path only).
    Leaf(Option<LV>, Option<LV>),
    Tuple(Vec<Shape>),
    List(Vec<Shape>, Option<Type>),
}

/// Whether two lowered values are certainly the same value.
pub(crate) fn same(a: &LV, b: &LV) -> bool {
    match (a, b) {
        (LV::D(x), LV::D(y)) => x == y,
        (LV::S(x), LV::S(y)) => same_static(x, y),
        (LV::List(xs, _), LV::List(ys, _)) | (LV::Tuple(xs), LV::Tuple(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (LV::Method(r, n), LV::Method(s, m)) => n == m && same(r, s),
        _ => false,
    }
}

fn same_static(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::DType(x), Value::DType(y)) => x == y,
        (Value::Device(x), Value::Device(y)) => x == y,
        (Value::Tensor(x), Value::Tensor(y)) => same_tensor(x, y),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_static(p, q)),
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Rc::ptr_eq(x, y),
        (Value::Method(o, f), Value::Method(p, g)) => Rc::ptr_eq(o, p) && Rc::ptr_eq(f, g),
        (Value::Class(x), Value::Class(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) | (Value::Namespace(x), Value::Namespace(y)) => x == y,
        _ => false,
    }
}


fn leaves<'s>(s: &'s Shape, out: &mut Vec<(&'s Option<LV>, &'s Option<LV>)>) {
    match s {
        Shape::Same(_) => {}
        Shape::Leaf(a, b) => out.push((a, b)),
        Shape::Tuple(xs) | Shape::List(xs, _) => xs.iter().for_each(|x| leaves(x, out)),
    }
}

fn rebuild(s: &Shape, outs: &mut impl Iterator<Item = IrValue>) -> LV {
    match s {
        Shape::Same(v) => v.clone(),
        Shape::Leaf(..) => LV::D(outs.next().expect("one output per leaf")),
        Shape::Tuple(xs) => LV::Tuple(xs.iter().map(|x| rebuild(x, outs)).collect()),
        Shape::List(xs, h) => LV::List(xs.iter().map(|x| rebuild(x, outs)).collect(), h.clone()),
    }
}

/// The same view of the same storage.
pub(crate) fn same_tensor(a: &tsc_runtime::Tensor, b: &tsc_runtime::Tensor) -> bool {
    a.same_storage(b) && a.shape() == b.shape() && a.strides() == b.strides() && a.offset() == b.offset()
}

pub(crate) fn raised(vars: &BTreeMap<String, LV>) -> bool {
    matches!(vars.get(RAISED), Some(LV::S(Value::Bool(true))))
}

/// The path certainly raised or returned.
fn dead(vars: &BTreeMap<String, LV>) -> bool {
    raised(vars) || matches!(vars.get(super::stmt::RET), Some(LV::S(Value::Bool(true))))
}

impl Lower<'_> {
    fn shape(&self, a: Option<&LV>, b: Option<&LV>) -> Shape {
        match (a, b) {
            (Some(a), Some(b)) if same(a, b) => Shape::Same(a.clone()),
            // An `Optional` narrowed on one path only: the optional itself.
            (Some(LV::D(x)), Some(LV::D(y))) if self.unwraps(*y, *x) => Shape::Same(LV::D(*x)),
            (Some(LV::D(x)), Some(LV::D(y))) if self.unwraps(*x, *y) => Shape::Same(LV::D(*y)),
            (Some(LV::Tuple(xs)), Some(LV::Tuple(ys))) if xs.len() == ys.len() => {
                Shape::Tuple(xs.iter().zip(ys).map(|(x, y)| self.shape(Some(x), Some(y))).collect())
            }
            (Some(LV::List(xs, h)), Some(LV::List(ys, _))) if xs.len() == ys.len() => {
                Shape::List(xs.iter().zip(ys).map(|(x, y)| self.shape(Some(x), Some(y))).collect(), h.clone())
            }
            (a, b) => Shape::Leaf(a.cloned(), b.cloned()),
        }
    }

    /// `u` is `optional_unwrap(x)`.
    fn unwraps(&self, u: IrValue, x: IrValue) -> bool {
        self.g.def_node(u).is_some_and(|n| self.g.node(n).op == Op::OptionalUnwrap && self.g.node(n).inputs == [x])
    }

    /// The shape when only one path (`live`) continues; `live_is_else`
    /// says which side of the `if` it is.
    fn one_live(&self, before: Option<&LV>, live: Option<&LV>, live_is_else: bool) -> Shape {
        match (before, live) {
            (Some(b), Some(l)) if same(b, l) => Shape::Same(l.clone()),
            (_, None) => Shape::Leaf(None, None),
            (_, Some(l)) if live_is_else => Shape::Leaf(None, Some(l.clone())),
            (_, Some(l)) => Shape::Leaf(Some(l.clone()), None),
        }
    }

    /// `uninitialized` of type `t`, in the current block.
    pub(crate) fn uninit(&mut self, t: Type) -> IrValue {
        self.node1(Op::Uninitialized, Vec::new(), t)
    }

    /// Lowers a two-way branch on `c`: each closure lowers one path into its
    /// own block; the variables are joined into the `if` node's outputs.
    pub(crate) fn branch(
        &mut self,
        f: &mut Frame,
        c: IrValue,
        then: impl FnOnce(&mut Self, &mut Frame) -> R<()>,
        els: impl FnOnce(&mut Self, &mut Frame) -> R<()>,
    ) -> R<()> {
        let at = self.at.clone();
        let before = f.vars.clone();
        let outer = self.cur;
        let tb = self.g.add_block();
        self.cur = tb;
        then(self, f)?;
        let tv = std::mem::replace(&mut f.vars, before.clone());
        let eb = self.g.add_block();
        self.cur = eb;
        els(self, f)?;
        let ev = std::mem::take(&mut f.vars);
        // A path that raised or returned leaves only its return value
        // behind: its other variables are dead after the branch.
        let (t_dead, e_dead) = (dead(&tv), dead(&ev));
        let both_raise = raised(&tv) && raised(&ev);
        let names: BTreeSet<String> = tv.keys().chain(ev.keys()).cloned().collect();
        let mut merged = BTreeMap::new();
        let mut pending = Vec::new();
        for name in names {
            let exit_flag = name == super::stmt::RET || name == super::stmt::RV;
            let s = match (t_dead && !exit_flag, e_dead && !exit_flag) {
                (true, true) => match before.get(&name) {
                    Some(v) => Shape::Same(v.clone()),
                    None => continue,
                },
                (true, false) => self.one_live(before.get(&name), ev.get(&name), true),
                (false, true) => self.one_live(before.get(&name), tv.get(&name), false),
                (false, false) => self.shape(tv.get(&name), ev.get(&name)),
            };
            match s {
                Shape::Same(v) => {
                    merged.insert(name, v);
                }
                Shape::Leaf(None, None) => {}
                s => pending.push((name, s)),
            }
        }
        let (mut tres, mut eres, mut types) = (Vec::new(), Vec::new(), Vec::new());
        let mut keep = Vec::new();
        for (name, s) in pending {
            let mut ls = Vec::new();
            leaves(&s, &mut ls);
            // A variable that cannot be a graph value (a module, a function)
            // and is set on one path only is dropped: it cannot be read after.
            let one_sided_static = ls.iter().any(|(a, b)| a.as_ref().or(b.as_ref()).is_some_and(|v| self.ty(v).is_none()));
            if one_sided_static && ls.iter().all(|(a, b)| a.is_none() || b.is_none()) {
                continue;
            }
            for (a, b) in ls {
                self.cur = tb;
                let av = a.as_ref().map(|a| self.mat(a)).transpose()?;
                self.cur = eb;
                let bv = b.as_ref().map(|b| self.mat(b)).transpose()?;
                let ta = av.map(|v| generalize(self.g.ty(v)));
                let tb_ = bv.map(|v| generalize(self.g.ty(v)));
                let t = match (&ta, &tb_) {
                    (Some(x), Some(y)) => match join(x, y) {
                        Some(t) => t,
                        None => return self.fail(format!("variable `{name}` is {x} on one branch and {y} on the other")),
                    },
                    (Some(x), None) | (None, Some(x)) => x.clone(),
                    (None, None) => continue,
                };
                self.cur = tb;
                let av = match av {
                    Some(v) => v,
                    None => self.uninit(t.clone()),
                };
                self.cur = eb;
                let bv = match bv {
                    Some(v) => v,
                    None => self.uninit(t.clone()),
                };
                tres.push(av);
                eres.push(bv);
                types.push(t);
            }
            keep.push((name, s));
        }
        self.g.set_results(tb, tres);
        self.g.set_results(eb, eres);
        self.cur = outer;
        self.at = at;
        let outs = self.control_node(Op::If, vec![c], types, vec![tb, eb]);
        let mut it = outs.into_iter();
        for (name, s) in keep {
            merged.insert(name, rebuild(&s, &mut it));
        }
        if both_raise {
            merged.insert(RAISED.into(), LV::bool(true));
        }
        f.vars = merged;
        Ok(())
    }

    /// A two-way branch that yields one value: `then`/`els` lower a path
    /// each and return its value, which the `if` joins like a variable.
    pub(crate) fn branch_value(
        &mut self,
        f: &mut Frame,
        c: IrValue,
        then: impl FnOnce(&mut Self, &mut Frame) -> R<LV>,
        els: impl FnOnce(&mut Self, &mut Frame) -> R<LV>,
    ) -> R<LV> {
        const VALUE: &str = "$value";
        self.branch(
            f,
            c,
            |me, f| {
                let v = then(me, f)?;
                f.vars.insert(VALUE.into(), v);
                Ok(())
            },
            |me, f| {
                let v = els(me, f)?;
                f.vars.insert(VALUE.into(), v);
                Ok(())
            },
        )?;
        Ok(f.vars.remove(VALUE).unwrap_or(LV::none()))
    }

    /// Appends an `if`/`loop` node owning `blocks`; returns its outputs.
    pub(crate) fn control_node(&mut self, op: Op, ins: Vec<IrValue>, outs: Vec<Type>, blocks: Vec<tsc_compiler::Block>) -> Vec<IrValue> {
        let n = self.g.append_node_with_blocks(self.cur, op, ins, outs, blocks);
        let loc = self.loc();
        self.g.set_loc(n, loc);
        self.g.node(n).outputs.clone()
    }

    /// Lowers a loop node: `trip` iterations at most, while the condition
    /// holds (`cond0` first, then what `body` returns). `carried` names the
    /// variables the body may reassign; their types are found by lowering
    /// the body until they are stable (a `None` that becomes a tensor makes
    /// an `Optional[Tensor]`).
    pub(crate) fn dyn_loop(
        &mut self,
        f: &mut Frame,
        trip: IrValue,
        cond0: IrValue,
        carried: &[String],
        body: &mut dyn FnMut(&mut Self, &mut Frame, IrValue) -> R<IrValue>,
    ) -> R<()> {
        let at = self.at.clone();
        let before = f.vars.clone();
        let declared: Vec<Option<LV>> = carried.iter().map(|n| before.get(n).cloned()).collect();
        let mut types: Vec<Option<Type>> = declared.iter().map(|v| v.as_ref().and_then(|v| self.ty(v))).collect();
        for (n, (d, t)) in carried.iter().zip(declared.iter().zip(&types)) {
            if d.is_some() && t.is_none() {
                return self.fail(format!("variable `{n}` cannot change inside a loop (it is not a graph value)"));
            }
        }
        // A variable first set inside the loop: the return value has the
        // declared return type; others start as tensors (retyped below).
        let ret_default = f.ret_ty.clone().map(|t| generalize(&t)).unwrap_or_else(Type::tensor);
        for (n, t) in carried.iter().zip(types.iter_mut()) {
            if t.is_none() {
                *t = Some(if n == "$rv" { ret_default.clone() } else { Type::tensor() });
            }
        }
        let mut types: Vec<Type> = types.into_iter().map(|t| t.unwrap_or_else(Type::tensor)).collect();
        for attempt in 0..4 {
            let snapshot = self.g.clone();
            let outer = self.cur;
            let mut inits = Vec::new();
            for (d, t) in declared.iter().zip(&types) {
                inits.push(match d {
                    Some(v) => self.mat(v)?,
                    None => self.uninit(t.clone()),
                });
            }
            let bb = self.g.add_block();
            let iter = self.g.add_block_param(bb, Type::Int);
            f.vars = before.clone();
            for (n, t) in carried.iter().zip(&types) {
                let p = self.g.add_block_param(bb, t.clone());
                f.vars.insert(n.clone(), LV::D(p));
            }
            self.cur = bb;
            let cond = body(self, f, iter)?;
            let mut outs = Vec::new();
            for (n, t) in carried.iter().zip(&types) {
                outs.push(match f.vars.get(n).cloned() {
                    Some(v) => self.mat(&v)?,
                    None => self.uninit(t.clone()),
                });
            }
            let mut changed = false;
            for (i, &o) in outs.iter().enumerate() {
                let got = generalize(self.g.ty(o));
                if !got.refines(&types[i]) {
                    types[i] = match (join(&types[i], &got), &declared[i]) {
                        (_, None) => got,
                        (Some(t), _) => t,
                        (None, _) => {
                            return self.fail(format!("variable `{}` is {} before the loop and {got} inside it", carried[i], types[i]))
                        }
                    };
                    changed = true;
                }
            }
            if changed && attempt < 3 {
                self.g = snapshot;
                self.cur = outer;
                continue;
            }
            let mut results = vec![cond];
            results.extend(outs);
            self.g.set_results(bb, results);
            self.cur = outer;
            self.at = at.clone();
            let mut ins = vec![trip, cond0];
            ins.extend(inits);
            let outs = self.control_node(Op::Loop, ins, types, vec![bb]);
            f.vars = before;
            for (n, v) in carried.iter().zip(outs) {
                f.vars.insert(n.clone(), LV::D(v));
            }
            return Ok(());
        }
        self.fail("the types of the loop's variables do not settle")
    }
}
