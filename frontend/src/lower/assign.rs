//! Assignment: names, unpacking, item assignment, augmented assignment.
//!
//! A tensor's `x[i] = v` and `x += y` write in place (`setitem`, `add_`),
//! as in PyTorch; a list's `xs[i] = v` and `xs += ys` rebuild the (virtual)
//! list and rebind the variable.

use super::expr::Part;
use super::{Frame, Lower, LV};
use crate::interp::{Value, R};
use crate::syntax::ast::{BinOp, Expr, ExprKind};
use tsc_compiler::{Op, Type};

impl Lower<'_> {
    pub(crate) fn assign(&mut self, f: &mut Frame, target: &Expr, v: LV) -> R<()> {
        match &target.kind {
            ExprKind::Name(n) => {
                f.vars.insert(n.clone(), v);
            }
            ExprKind::Tuple(ts) | ExprKind::List(ts) => {
                let items = self.unpack(&v, ts.len())?;
                for (t, x) in ts.iter().zip(items) {
                    self.assign(f, t, x)?;
                }
            }
            ExprKind::Subscript { value, index } => {
                let base = self.expr(f, value)?;
                let parts = match &index.kind {
                    ExprKind::Tuple(items) => items.iter().map(|i| self.part(f, i)).collect::<R<Vec<_>>>()?,
                    _ => vec![self.part(f, index)?],
                };
                self.set_item(f, value, &base, parts, v)?;
            }
            ExprKind::Attribute { .. } => {
                return self.fail("assigning to an attribute inside compiled code is not supported (modules are frozen)");
            }
            _ => return self.fail("this assignment target cannot be compiled"),
        }
        Ok(())
    }

    /// `n` values out of `v` (`a, b = v`).
    pub(crate) fn unpack(&mut self, v: &LV, n: usize) -> R<Vec<LV>> {
        let check = |me: &Self, got: usize| if got == n { Ok(()) } else { me.fail(format!("expected {n} values to unpack, got {got}")) };
        match v {
            LV::Tuple(items) | LV::List(items, _) => {
                check(self, items.len())?;
                Ok(items.clone())
            }
            LV::S(s @ (Value::List(_) | Value::Tuple(_))) => {
                let items = self.interp.iterate(s).or_else(|e| self.fail(e.message))?;
                check(self, items.len())?;
                Ok(items.into_iter().map(LV::S).collect())
            }
            _ => {
                let x = self.mat(v)?;
                Ok(match self.g.ty(x).clone() {
                    Type::Tuple(ts) => {
                        check(self, ts.len())?;
                        self.node(Op::TupleUnpack, vec![x], ts)
                    }
                    Type::List(e) => self.node(Op::ListUnpack, vec![x], vec![*e; n]),
                    Type::Tensor(_) => {
                        let zero = self.literal(tsc_compiler::Literal::Int(0));
                        let rows = self.aten1("unbind", "int", vec![x, zero], Type::list(Type::tensor()))?;
                        self.node(Op::ListUnpack, vec![rows], vec![Type::tensor(); n])
                    }
                    t => return self.fail(format!("cannot unpack a {t}")),
                }
                .into_iter()
                .map(LV::D)
                .collect())
            }
        }
    }

    /// `base[parts] = v`.
    fn set_item(&mut self, f: &mut Frame, base_expr: &Expr, base: &LV, parts: Vec<Part>, v: LV) -> R<()> {
        if self.ty(base).is_some_and(|t| t.is_tensor()) {
            let x = self.mat(base)?;
            let idx = self.index_tuple(&parts)?;
            let val = self.mat(&v)?;
            self.aten1("setitem", "", vec![x, idx, val], Type::tensor())?;
            return Ok(());
        }
        let ExprKind::Name(n) = &base_expr.kind else {
            return self.fail("item assignment to this value cannot be compiled");
        };
        let items = match base {
            LV::List(items, h) => Some((items.clone(), h.clone())),
            LV::S(Value::List(l)) => Some((l.borrow().iter().cloned().map(LV::S).collect(), None)),
            _ => None,
        };
        match (items, parts.as_slice()) {
            (Some((mut items, h)), [Part::Value(LV::S(Value::Int(i)))]) => {
                let len = items.len() as i64;
                let j = if *i < 0 { i + len } else { *i };
                if !(0..len).contains(&j) {
                    return self.fail("list assignment index out of range");
                }
                items[j as usize] = v;
                f.vars.insert(n.clone(), LV::List(items, h));
                Ok(())
            }
            _ => self.fail("item assignment to a list only known at run time cannot be compiled yet"),
        }
    }

    /// `target op= value`: in place for tensors, rebinding otherwise.
    pub(crate) fn aug_assign(&mut self, f: &mut Frame, target: &Expr, op: BinOp, value: &Expr) -> R<()> {
        let cur = match &target.kind {
            ExprKind::Name(n) => self.lookup(f, n)?,
            ExprKind::Subscript { .. } => self.expr(f, target)?,
            _ => return self.fail("augmented assignment to this target cannot be compiled"),
        };
        let rhs = self.expr(f, value)?;
        let inplace = self.ty(&cur).is_some_and(|t| t.is_tensor()) && !matches!(op, BinOp::MatMul | BinOp::LShift | BinOp::RShift);
        let new = if inplace {
            let name = format!("{}_", crate::interp::operators::tensor_op_name(op));
            self.call_op(&name, vec![cur, rhs], Vec::new(), 1)?
        } else {
            self.binop(op, cur, rhs)?
        };
        self.assign(f, target, new)
    }
}
