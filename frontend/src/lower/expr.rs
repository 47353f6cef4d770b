//! Expressions: names, attributes, indexing, operators, comparisons,
//! `and`/`or`, conditional expressions, literals and list comprehensions.
//!
//! Operands known while compiling are computed by the interpreter's own
//! operators (so the semantics are the eager ones); anything involving a
//! graph value becomes a runtime op (tensors, named as `torch.Tensor`'s
//! dunders name them) or a scalar op.

use super::iter::Iter;
use super::stmt::{refinements, Cond};
use super::{generalize, Frame, IrValue, Lower, LV};
use crate::interp::eval::{Index, IndexPart};
use crate::interp::operators::{slice_positions, tensor_op_name};
use crate::interp::{builtins, Value, R};
use crate::syntax::ast::{self, BinOp, CmpOp, Expr, ExprKind, UnaryOp};
use tsc_compiler::{Literal, Op, ScalarOp, Type};

/// One part of an index expression.
pub(crate) enum Part {
    Value(LV),
    Slice(LV, LV, LV),
    Ellipsis,
}

impl Lower<'_> {
    pub(crate) fn expr(&mut self, f: &mut Frame, e: &Expr) -> R<LV> {
        let saved = std::mem::replace(&mut self.at, (f.file.clone(), e.span));
        let r = self.expr_at(f, e);
        self.at = saved;
        r
    }

    fn expr_at(&mut self, f: &mut Frame, e: &Expr) -> R<LV> {
        Ok(match &e.kind {
            ExprKind::Name(n) => self.lookup(f, n)?,
            ExprKind::Int(i) => LV::int(*i),
            ExprKind::Float(x) => LV::S(Value::Float(*x)),
            ExprKind::Str(s) => LV::S(Value::str(s)),
            ExprKind::Bool(b) => LV::bool(*b),
            ExprKind::None => LV::none(),
            ExprKind::Attribute { value, attr } => {
                let v = self.expr(f, value)?;
                self.attr(&v, &attr.name)?
            }
            ExprKind::Call { func, args } => self.call_expr(f, func, args)?,
            ExprKind::Subscript { value, index } => {
                let base = self.expr(f, value)?;
                let parts = self.index_parts(f, index)?;
                self.subscript(&base, parts)?
            }
            ExprKind::Unary { op, operand } => {
                let v = self.expr(f, operand)?;
                self.unary(*op, v)?
            }
            ExprKind::Binary { op, left, right } => {
                let a = self.expr(f, left)?;
                let b = self.expr(f, right)?;
                self.binop(*op, a, b)?
            }
            ExprKind::BoolOp { op, values } => self.bool_op(f, *op, values)?,
            ExprKind::Compare { left, ops } => {
                let mut l = self.expr(f, left)?;
                let mut acc: Option<LV> = None;
                for (op, right) in ops {
                    let r = self.expr(f, right)?;
                    let c = self.compare(*op, &l, &r)?;
                    acc = Some(match acc {
                        None => c,
                        Some(prev) => self.and(prev, c)?,
                    });
                    l = r;
                }
                acc.unwrap_or(LV::bool(true))
            }
            ExprKind::IfExp { test, body, orelse } => {
                let c = self.expr(f, test)?;
                match self.cond(&c)? {
                    Cond::Static(true) => self.expr(f, body)?,
                    Cond::Static(false) => self.expr(f, orelse)?,
                    Cond::Dyn(c) => {
                        let (tn, en) = refinements(test);
                        self.branch_value(
                            f,
                            c,
                            |me, f| {
                                me.unwrap_vars(f, &tn);
                                me.expr(f, body)
                            },
                            |me, f| {
                                me.unwrap_vars(f, &en);
                                me.expr(f, orelse)
                            },
                        )?
                    }
                }
            }
            ExprKind::List(items) => LV::List(self.items(f, items)?, None),
            ExprKind::Tuple(items) => LV::Tuple(self.items(f, items)?),
            ExprKind::ListComp { elt, generators } => self.list_comp(f, elt, generators)?,
            ExprKind::Dict(_) => return self.fail("dict values cannot be compiled yet (use them in eager mode)"),
            _ => return self.fail("this expression cannot be compiled"),
        })
    }

    fn items(&mut self, f: &mut Frame, items: &[Expr]) -> R<Vec<LV>> {
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            match &i.kind {
                ExprKind::Starred(inner) => {
                    let v = self.expr(f, inner)?;
                    match self.iteration(&v)? {
                        Iter::Static(xs) => out.extend(xs),
                        Iter::Dyn { .. } => return self.fail("`*` of a value whose length is only known at run time cannot be compiled"),
                    }
                }
                _ => out.push(self.expr(f, i)?),
            }
        }
        Ok(out)
    }

    pub(crate) fn lookup(&self, f: &Frame, n: &str) -> R<LV> {
        if let Some(v) = f.vars.get(n) {
            return Ok(v.clone());
        }
        if let Some(v) = f.globals.borrow().get(n) {
            return Ok(LV::S(v.clone()));
        }
        match builtins::builtin(n) {
            Some(v) => Ok(LV::S(v)),
            None => self.fail(format!("name '{n}' is not defined")),
        }
    }

    /// `v.name`.
    pub(crate) fn attr(&mut self, v: &LV, name: &str) -> R<LV> {
        match v {
            LV::S(s) => Ok(LV::S(self.interp.attr(s, name).or_else(|e| self.fail(e.message))?)),
            LV::Tuple(items) if items.len() == 2 && matches!(name, "values" | "indices") => Ok(items[(name == "indices") as usize].clone()),
            LV::List(..) => Ok(LV::Method(Box::new(v.clone()), name.into())),
            LV::D(x) => match self.g.ty(*x).clone() {
                Type::Tensor(_) => Ok(match name {
                    "shape" => LV::D(self.aten1("size", "", vec![*x], Type::list(Type::Int))?),
                    "ndim" => LV::D(self.aten1("dim", "", vec![*x], Type::Int)?),
                    "T" => LV::D(self.aten1("t", "", vec![*x], Type::tensor())?),
                    "mT" => self.call_op("transpose", vec![v.clone(), LV::int(-2), LV::int(-1)], vec![], 1)?,
                    "data" => v.clone(),
                    "is_cuda" | "requires_grad" => LV::bool(false),
                    "grad" => LV::none(),
                    "dtype" => LV::D(self.aten1("prim_dtype", "", vec![*x], Type::DType)?),
                    "device" => LV::D(self.aten1("prim_device", "", vec![*x], Type::Device)?),
                    _ => LV::Method(Box::new(v.clone()), name.into()),
                }),
                Type::List(_) => Ok(LV::Method(Box::new(v.clone()), name.into())),
                t => self.fail(format!("a {t} has no attribute '{name}'")),
            },
            _ => self.fail(format!("this value has no attribute '{name}'")),
        }
    }

    fn index_parts(&mut self, f: &mut Frame, index: &Expr) -> R<(Vec<Part>, bool)> {
        let (exprs, tuple): (Vec<&Expr>, bool) = match &index.kind {
            ExprKind::Tuple(items) => (items.iter().collect(), true),
            _ => (vec![index], false),
        };
        let parts = exprs.into_iter().map(|e| self.part(f, e)).collect::<R<Vec<_>>>()?;
        Ok((parts, tuple))
    }

    /// One component of a subscript.
    pub(crate) fn part(&mut self, f: &mut Frame, e: &Expr) -> R<Part> {
        Ok(match &e.kind {
            ExprKind::Slice { lower, upper, step } => {
                let mut b = |x: &Option<Box<Expr>>| -> R<LV> {
                    match x {
                        Some(x) => self.expr(f, x),
                        None => Ok(LV::none()),
                    }
                };
                Part::Slice(b(lower)?, b(upper)?, b(step)?)
            }
            ExprKind::Ellipsis => Part::Ellipsis,
            _ => Part::Value(self.expr(f, e)?),
        })
    }

    /// `base[parts]`.
    fn subscript(&mut self, base: &LV, (parts, tuple): (Vec<Part>, bool)) -> R<LV> {
        let static_index = || -> Option<Index> {
            let mut out = Vec::new();
            for p in &parts {
                out.push(match p {
                    Part::Value(v) => IndexPart::Value(v.as_static()?),
                    Part::Ellipsis => IndexPart::Ellipsis,
                    Part::Slice(a, b, c) => {
                        let i = |v: &LV| match v {
                            LV::S(Value::None) => Some(None),
                            LV::S(x) => builtins::as_index(x).map(Some),
                            _ => None,
                        };
                        IndexPart::Slice(i(a)?, i(b)?, i(c)?)
                    }
                });
            }
            Some(Index { parts: out, tuple })
        };
        let is_tensor = self.ty(base).is_some_and(|t| t.is_tensor());
        if is_tensor {
            return self.tensor_index(base, &parts);
        }
        match (base, static_index()) {
            (LV::S(s), Some(idx)) => Ok(LV::S(self.interp.get_item(s, idx).or_else(|e| self.fail(e.message))?)),
            (LV::List(items, h), Some(idx)) => Ok(match seq_index(items, &idx) {
                Some(Ok(v)) => v,
                Some(Err(sub)) => LV::List(sub, h.clone()),
                None => return self.fail("list index out of range"),
            }),
            (LV::Tuple(items), Some(idx)) => Ok(match seq_index(items, &idx) {
                Some(Ok(v)) => v,
                Some(Err(sub)) => LV::Tuple(sub),
                None => return self.fail("tuple index out of range"),
            }),
            _ => {
                let x = self.mat(base)?;
                match (self.g.ty(x).clone(), parts.as_slice()) {
                    (Type::List(e), [Part::Value(i)]) => {
                        let i = self.mat(i)?;
                        Ok(LV::D(self.node1(Op::ListIndex, vec![x, i], *e)))
                    }
                    (t @ Type::List(_), [Part::Slice(a, b, c)]) => {
                        let c = if matches!(c, LV::S(Value::None)) { LV::int(1) } else { c.clone() };
                        let ins = vec![x, self.mat(a)?, self.mat(b)?, self.mat(&c)?];
                        Ok(LV::D(self.node1(Op::ListSlice, ins, t)))
                    }
                    (Type::Tuple(ts), [Part::Value(LV::S(Value::Int(i)))]) => {
                        let n = ts.len() as i64;
                        let j = if *i < 0 { i + n } else { *i };
                        match ts.get(j as usize) {
                            Some(t) if j >= 0 => Ok(LV::D(self.node1(Op::TupleIndex(j as u32), vec![x], t.clone()))),
                            _ => self.fail("tuple index out of range"),
                        }
                    }
                    (t, _) => self.fail(format!("a {t} cannot be indexed this way in compiled code")),
                }
            }
        }
    }

    /// `x[...]` on a tensor: the runtime's `getitem` with the index encoded
    /// as a tuple of items (a slice is a `(start, stop, step)` tuple).
    fn tensor_index(&mut self, base: &LV, parts: &[Part]) -> R<LV> {
        let x = self.mat(base)?;
        let idx = self.index_tuple(parts)?;
        Ok(LV::D(self.aten1("getitem", "", vec![x, idx], Type::tensor())?))
    }

    pub(crate) fn index_tuple(&mut self, parts: &[Part]) -> R<IrValue> {
        let mut items = Vec::new();
        for p in parts {
            items.push(match p {
                Part::Value(v) => self.mat(v)?,
                Part::Ellipsis => self.literal(Literal::Str("...".into())),
                Part::Slice(a, b, c) => {
                    let ins = vec![self.mat(a)?, self.mat(b)?, self.mat(c)?];
                    let t = Type::Tuple(ins.iter().map(|&v| self.g.ty(v).clone()).collect());
                    self.node1(Op::TupleConstruct, ins, t)
                }
            });
        }
        let t = Type::Tuple(items.iter().map(|&v| generalize(self.g.ty(v))).collect());
        Ok(self.node1(Op::TupleConstruct, items, t))
    }

    pub(crate) fn unary(&mut self, op: UnaryOp, v: LV) -> R<LV> {
        let ty = self.ty(&v);
        if op == UnaryOp::Not {
            return Ok(match self.cond(&v)? {
                Cond::Static(b) => LV::bool(!b),
                Cond::Dyn(c) => LV::D(self.node1(Op::Scalar(ScalarOp::Not), vec![c], Type::Bool)),
            });
        }
        if let (Some(s), false) = (v.as_static(), ty.as_ref().is_some_and(Type::is_tensor)) {
            return Ok(LV::S(self.interp.unary_op(op, s).or_else(|e| self.fail(e.message))?));
        }
        match (op, ty) {
            (UnaryOp::Pos, _) => Ok(v),
            (UnaryOp::Neg, Some(Type::Tensor(_))) => self.call_op("neg", vec![v], vec![], 1),
            (UnaryOp::Invert, Some(Type::Tensor(_))) => self.call_op("bitwise_not", vec![v], vec![], 1),
            (UnaryOp::Neg, Some(t)) if t.is_number() => self.scalar(ScalarOp::Neg, vec![v]),
            (op, t) => self.fail(format!("bad operand for unary {}: {}", op.symbol(), t.map_or("?".into(), |t| t.to_string()))),
        }
    }

    /// A scalar op on lowered operands.
    pub(crate) fn scalar(&mut self, op: ScalarOp, args: Vec<LV>) -> R<LV> {
        let ins = args.iter().map(|a| self.mat(a)).collect::<R<Vec<_>>>()?;
        let tys: Vec<Type> = ins.iter().map(|&v| self.g.ty(v).clone()).collect();
        let refs: Vec<&Type> = tys.iter().collect();
        let t = op.result_type(&refs).or_else(|e| self.fail(format!("`{}`: {e}", op.name())))?;
        Ok(LV::D(self.node1(Op::Scalar(op), ins, t)))
    }

    pub(crate) fn binop(&mut self, op: BinOp, a: LV, b: LV) -> R<LV> {
        let (ta, tb) = (self.ty(&a), self.ty(&b));
        let tensor = |t: &Option<Type>| t.as_ref().is_some_and(Type::is_tensor);
        if !tensor(&ta) && !tensor(&tb) {
            if let (Some(x), Some(y)) = (a.as_static(), b.as_static()) {
                return Ok(LV::S(self.interp.binary_op(op, x, y).or_else(|e| self.fail(e.message))?));
            }
        }
        if tensor(&ta) {
            return self.call_op(tensor_op_name(op), vec![a, b], vec![], 1);
        }
        if tensor(&tb) && ta.as_ref().is_some_and(Type::is_number) {
            return match op {
                BinOp::Add | BinOp::Mul | BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => self.call_op(tensor_op_name(op), vec![b, a], vec![], 1),
                BinOp::Sub => self.call_op("rsub", vec![b, a], vec![], 1),
                BinOp::Div => {
                    let r = self.call_op("reciprocal", vec![b], vec![], 1)?;
                    self.call_op("mul", vec![r, a], vec![], 1)
                }
                BinOp::Pow | BinOp::Mod => self.call_op(tensor_op_name(op), vec![a, b], vec![], 1),
                _ => self.fail(format!("`{}` of a number and a tensor cannot be compiled", op.symbol())),
            };
        }
        let as_seq = |v: &LV| match v {
            LV::List(items, _) | LV::Tuple(items) => Some(items.clone()),
            LV::S(Value::List(l)) => Some(l.borrow().iter().cloned().map(LV::S).collect()),
            LV::S(Value::Tuple(t)) => Some(t.iter().cloned().map(LV::S).collect()),
            _ => None,
        };
        let is_tuple = matches!(a, LV::Tuple(_) | LV::S(Value::Tuple(_)));
        match (op, as_seq(&a), as_seq(&b), &b) {
            (BinOp::Add, Some(mut x), Some(y), _) => {
                x.extend(y);
                return Ok(if is_tuple { LV::Tuple(x) } else { LV::List(x, None) });
            }
            (BinOp::Mul, Some(x), None, LV::S(Value::Int(n))) => {
                let v: Vec<LV> = (0..(*n).max(0)).flat_map(|_| x.iter().cloned()).collect();
                return Ok(if is_tuple { LV::Tuple(v) } else { LV::List(v, None) });
            }
            _ => {}
        }
        let sop = match op {
            BinOp::Add => ScalarOp::Add,
            BinOp::Sub => ScalarOp::Sub,
            BinOp::Mul => ScalarOp::Mul,
            BinOp::Div => ScalarOp::TrueDiv,
            BinOp::FloorDiv => ScalarOp::FloorDiv,
            BinOp::Mod => ScalarOp::Mod,
            BinOp::Pow => ScalarOp::Pow,
            BinOp::BitAnd if ta == Some(Type::Bool) && tb == Some(Type::Bool) => ScalarOp::And,
            BinOp::BitOr if ta == Some(Type::Bool) && tb == Some(Type::Bool) => ScalarOp::Or,
            BinOp::BitAnd => ScalarOp::BitAnd,
            BinOp::BitOr => ScalarOp::BitOr,
            BinOp::BitXor => ScalarOp::BitXor,
            BinOp::LShift => ScalarOp::Shl,
            BinOp::RShift => ScalarOp::Shr,
            _ => return self.fail(format!("`{}` on these operands cannot be compiled", op.symbol())),
        };
        self.scalar(sop, vec![a, b])
    }

    /// `a and b` on two conditions already evaluated (comparison chains).
    fn and(&mut self, a: LV, b: LV) -> R<LV> {
        Ok(match (self.cond(&a)?, self.cond(&b)?) {
            (Cond::Static(false), _) | (_, Cond::Static(false)) => LV::bool(false),
            (Cond::Static(true), _) => b,
            (_, Cond::Static(true)) => a,
            (Cond::Dyn(x), Cond::Dyn(y)) => LV::D(self.node1(Op::Scalar(ScalarOp::And), vec![x, y], Type::Bool)),
        })
    }

    /// `a and b and ...` / `a or b or ...`, short-circuiting: a graph
    /// condition makes an `if` (so `x is not None and x.sum() > 0` is safe).
    fn bool_op(&mut self, f: &mut Frame, op: ast::BoolOp, values: &[Expr]) -> R<LV> {
        let Some((first, rest)) = values.split_first() else { return Ok(LV::bool(op == ast::BoolOp::And)) };
        let left = self.expr(f, first)?;
        if rest.is_empty() {
            return Ok(left);
        }
        let and = op == ast::BoolOp::And;
        match self.cond(&left)? {
            Cond::Static(b) if b != and => Ok(left),
            Cond::Static(_) => self.bool_op(f, op, rest),
            Cond::Dyn(c) => {
                let (tn, en) = refinements(first);
                let names = if and { tn } else { en };
                let rest_value = |me: &mut Self, f: &mut Frame| -> R<LV> {
                    me.unwrap_vars(f, &names);
                    let v = me.bool_op(f, op, rest)?;
                    let c = me.cond(&v)?;
                    Ok(LV::D(me.cond_value(c)))
                };
                let short = |_: &mut Self, _: &mut Frame| -> R<LV> { Ok(LV::bool(!and)) };
                if and {
                    self.branch_value(f, c, rest_value, short)
                } else {
                    self.branch_value(f, c, short, rest_value)
                }
            }
        }
    }

    pub(crate) fn compare(&mut self, op: CmpOp, a: &LV, b: &LV) -> R<LV> {
        let (ta, tb) = (self.ty(a), self.ty(b));
        let tensor = |t: &Option<Type>| t.as_ref().is_some_and(Type::is_tensor);
        match op {
            CmpOp::Is | CmpOp::IsNot | CmpOp::Eq | CmpOp::NotEq if matches!(b, LV::S(Value::None)) || matches!(a, LV::S(Value::None)) => {
                let other = if matches!(b, LV::S(Value::None)) { a } else { b };
                let negate = matches!(op, CmpOp::IsNot | CmpOp::NotEq);
                let is_none = match other {
                    LV::S(s) => LV::bool(matches!(s, Value::None)),
                    LV::D(x) => match self.g.ty(*x) {
                        Type::None => LV::bool(true),
                        Type::Optional(_) => LV::D(self.node1(Op::IsNone, vec![*x], Type::Bool)),
                        _ => LV::bool(false),
                    },
                    _ => LV::bool(false),
                };
                return if negate { self.unary(UnaryOp::Not, is_none) } else { Ok(is_none) };
            }
            CmpOp::In | CmpOp::NotIn => {
                let found = match (a.as_static(), b.as_static()) {
                    (Some(x), Some(y)) => LV::S(self.interp.compare_op(CmpOp::In, &x, &y).or_else(|e| self.fail(e.message))?),
                    _ => match b {
                        LV::List(items, _) | LV::Tuple(items) => {
                            let mut acc = LV::bool(false);
                            for it in items.clone() {
                                let eq = self.compare(CmpOp::Eq, a, &it)?;
                                acc = self.or(acc, eq)?;
                            }
                            acc
                        }
                        _ => return self.fail("`in` on a value only known at run time cannot be compiled yet"),
                    },
                };
                return if op == CmpOp::NotIn { self.unary(UnaryOp::Not, found) } else { Ok(found) };
            }
            _ => {}
        }
        if !tensor(&ta) && !tensor(&tb) {
            if let (Some(x), Some(y)) = (a.as_static(), b.as_static()) {
                return Ok(LV::S(self.interp.compare_op(op, &x, &y).or_else(|e| self.fail(e.message))?));
            }
        }
        let name = match op {
            CmpOp::Eq | CmpOp::Is => "eq",
            CmpOp::NotEq | CmpOp::IsNot => "ne",
            CmpOp::Lt => "lt",
            CmpOp::LtE => "le",
            CmpOp::Gt => "gt",
            _ => "ge",
        };
        if tensor(&ta) {
            return self.call_op(name, vec![a.clone(), b.clone()], vec![], 1);
        }
        if tensor(&tb) {
            let flipped = match name {
                "lt" => "gt",
                "le" => "ge",
                "gt" => "lt",
                "ge" => "le",
                n => n,
            };
            return self.call_op(flipped, vec![b.clone(), a.clone()], vec![], 1);
        }
        let sop = match name {
            "eq" => ScalarOp::Eq,
            "ne" => ScalarOp::Ne,
            "lt" => ScalarOp::Lt,
            "le" => ScalarOp::Le,
            "gt" => ScalarOp::Gt,
            _ => ScalarOp::Ge,
        };
        self.scalar(sop, vec![a.clone(), b.clone()])
    }

    fn or(&mut self, a: LV, b: LV) -> R<LV> {
        Ok(match (self.cond(&a)?, self.cond(&b)?) {
            (Cond::Static(true), _) | (_, Cond::Static(true)) => LV::bool(true),
            (Cond::Static(false), _) => b,
            (_, Cond::Static(false)) => a,
            (Cond::Dyn(x), Cond::Dyn(y)) => LV::D(self.node1(Op::Scalar(ScalarOp::Or), vec![x, y], Type::Bool)),
        })
    }

    /// `[elt for target in iter if cond ...]`: unrolled over a known
    /// length, a loop appending to a graph list otherwise.
    fn list_comp(&mut self, f: &mut Frame, elt: &Expr, gens: &[ast::Comprehension]) -> R<LV> {
        let acc = format!("$lc{}", f.vars.keys().filter(|k| k.starts_with("$lc")).count());
        f.vars.insert(acc.clone(), LV::List(Vec::new(), None));
        self.comp_level(f, &acc, elt, gens)?;
        Ok(f.vars.remove(&acc).unwrap_or(LV::List(Vec::new(), None)))
    }

    fn comp_level(&mut self, f: &mut Frame, acc: &str, elt: &Expr, gens: &[ast::Comprehension]) -> R<()> {
        let Some((g, rest)) = gens.split_first() else {
            let v = self.expr(f, elt)?;
            return self.list_push(f, acc, v);
        };
        let it = self.expr(f, &g.iter)?;
        let one = |me: &mut Self, f: &mut Frame, item: LV| -> R<()> {
            me.assign(f, &g.target, item)?;
            me.comp_filtered(f, acc, elt, &g.ifs, rest)
        };
        match self.iteration(&it)? {
            Iter::Static(items) => {
                for item in items {
                    one(self, f, item)?;
                }
                Ok(())
            }
            Iter::Dyn { trip, get } => {
                let l = f.vars.get(acc).cloned().unwrap_or(LV::List(Vec::new(), None));
                let d = self.mat(&l)?;
                f.vars.insert(acc.into(), LV::D(d));
                let cond0 = self.literal(Literal::Bool(true));
                self.dyn_loop(f, trip, cond0, &[acc.to_string()], &mut |me, f, i| {
                    let item = me.get(&get, i)?;
                    one(me, f, item)?;
                    Ok(me.literal(Literal::Bool(true)))
                })
            }
        }
    }

    fn comp_filtered(&mut self, f: &mut Frame, acc: &str, elt: &Expr, ifs: &[Expr], rest: &[ast::Comprehension]) -> R<()> {
        let Some((test, more)) = ifs.split_first() else { return self.comp_level(f, acc, elt, rest) };
        let c = self.expr(f, test)?;
        match self.cond(&c)? {
            Cond::Static(false) => Ok(()),
            Cond::Static(true) => self.comp_filtered(f, acc, elt, more, rest),
            Cond::Dyn(c) => {
                let (tn, _) = refinements(test);
                let then = |me: &mut Self, f: &mut Frame| {
                    me.unwrap_vars(f, &tn);
                    me.comp_filtered(f, acc, elt, more, rest)
                };
                self.branch(f, c, then, |_, _| Ok(()))
            }
        }
    }

    /// `name.append(v)`, functionally: the variable is rebound.
    pub(crate) fn list_push(&mut self, f: &mut Frame, name: &str, v: LV) -> R<()> {
        let cur = f.vars.get(name).cloned();
        let new = self.list_append(cur, v)?;
        f.vars.insert(name.into(), new);
        Ok(())
    }

    pub(crate) fn list_append(&mut self, list: Option<LV>, v: LV) -> R<LV> {
        Ok(match list {
            Some(LV::List(mut items, h)) => {
                items.push(v);
                LV::List(items, h)
            }
            Some(LV::S(Value::List(l))) => {
                let mut items: Vec<LV> = l.borrow().iter().cloned().map(LV::S).collect();
                items.push(v);
                LV::List(items, None)
            }
            Some(LV::D(x)) => {
                let t = self.g.ty(x).clone();
                let item = self.mat(&v)?;
                LV::D(self.aten1("append", "t", vec![x, item], t)?)
            }
            _ => return self.fail("append() on something that is not a list"),
        })
    }
}

/// A static index into a known-length sequence: an item (`Ok`) or a slice
/// (`Err`), or `None` when out of range.
fn seq_index(items: &[LV], idx: &Index) -> Option<Result<LV, Vec<LV>>> {
    let n = items.len() as i64;
    match idx.parts.as_slice() {
        [IndexPart::Value(v)] if !idx.tuple => {
            let i = builtins::as_index(v)?;
            let j = if i < 0 { i + n } else { i };
            (0..n).contains(&j).then(|| Ok(items[j as usize].clone()))
        }
        [IndexPart::Slice(a, b, c)] if !idx.tuple => {
            let pos = slice_positions(items.len(), *a, *b, *c).ok()?;
            Some(Err(pos.into_iter().map(|p| items[p].clone()).collect()))
        }
        _ => None,
    }
}
