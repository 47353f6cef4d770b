//! What a `for` loop iterates: items known while compiling (unrolled) or
//! a trip count and a way to get the `i`-th item (a `loop` node). In a
//! trace every iteration is of the first kind: the example run's items.

use super::{IrValue, Lower, LV};
use crate::interp::{Value, R};
use crate::syntax::ast;
use tsc_compiler::{Literal, Op, ScalarOp, Type};

/// `range`s at most this long are unrolled when their bounds are constants.
const UNROLL_MAX: i64 = 8;

/// What a `for` loop iterates.
pub(crate) enum Iter {
    Static(Vec<LV>),
    Dyn { trip: IrValue, get: Get },
}

/// How the `i`-th item of a dynamic iteration is computed.
pub(crate) enum Get {
    Range { lo: LV, step: LV },
    ListItem(IrValue),
    TensorRow(IrValue),
    Enumerate(Box<Get>, i64),
    Zip(Vec<Get>),
}

impl Lower<'_> {
    /// What iterating `v` means (in a trace: always the example's items).
    pub(crate) fn iteration(&mut self, v: &LV) -> R<Iter> {
        match self.iteration_of(v)? {
            Iter::Dyn { trip, get } if self.tracing() => match self.trace_trip(trip) {
                Some(n) => {
                    let mut items = Vec::new();
                    for i in 0..n {
                        let i = self.literal(Literal::Int(i));
                        items.push(self.get(&get, i)?);
                    }
                    Ok(Iter::Static(items))
                }
                None => Ok(Iter::Dyn { trip, get }),
            },
            it => Ok(it),
        }
    }

    fn iteration_of(&mut self, v: &LV) -> R<Iter> {
        Ok(match v {
            LV::List(items, _) | LV::Tuple(items) => Iter::Static(items.clone()),
            LV::Range(b) => {
                let [lo, hi, step] = b.as_ref();
                match (lo, hi, step) {
                    (LV::S(Value::Int(a)), LV::S(Value::Int(b)), LV::S(Value::Int(s))) => {
                        if *s == 0 {
                            return self.fail("range() arg 3 must not be zero");
                        }
                        let n = if *s > 0 { (b - a + s - 1).div_euclid(*s) } else { (a - b - s - 1).div_euclid(-s) }.max(0);
                        if n <= UNROLL_MAX {
                            Iter::Static((0..n).map(|i| LV::int(a + i * s)).collect())
                        } else {
                            Iter::Dyn { trip: self.literal(Literal::Int(n)), get: Get::Range { lo: lo.clone(), step: step.clone() } }
                        }
                    }
                    _ => {
                        let ins = vec![self.mat(lo)?, self.mat(hi)?, self.mat(step)?];
                        let trip = self.aten1("__range_length", "", ins, Type::Int)?;
                        Iter::Dyn { trip, get: Get::Range { lo: lo.clone(), step: step.clone() } }
                    }
                }
            }
            LV::S(Value::Tensor(_)) | LV::D(_) => {
                let x = self.mat(v)?;
                match self.g.ty(x).clone() {
                    Type::List(_) => {
                        let trip = self.node1(Op::ListLen, vec![x], Type::Int);
                        Iter::Dyn { trip, get: Get::ListItem(x) }
                    }
                    Type::Tensor(_) => {
                        let zero = self.literal(Literal::Int(0));
                        let trip = self.aten1("size", "int", vec![x, zero], Type::Int)?;
                        Iter::Dyn { trip, get: Get::TensorRow(x) }
                    }
                    Type::Tuple(ts) => {
                        let items = self.node(Op::TupleUnpack, vec![x], ts);
                        Iter::Static(items.into_iter().map(LV::D).collect())
                    }
                    t => return self.fail(format!("cannot iterate over a {t}")),
                }
            }
            LV::S(s) => Iter::Static(self.interp.iterate(s).or_else(|e| self.fail(e.message))?.into_iter().map(LV::S).collect()),
            LV::Enumerate(x, start) => match self.iteration(x)? {
                Iter::Static(items) => {
                    Iter::Static(items.into_iter().enumerate().map(|(i, v)| LV::Tuple(vec![LV::int(start + i as i64), v])).collect())
                }
                Iter::Dyn { trip, get } => Iter::Dyn { trip, get: Get::Enumerate(Box::new(get), *start) },
            },
            LV::Zip(xs) => {
                let mut trip: Option<IrValue> = None;
                let mut gets = Vec::new();
                for x in xs {
                    let (t, g) = match self.iteration(x)? {
                        Iter::Dyn { trip, get } => (trip, get),
                        Iter::Static(items) => {
                            let l = self.mat(&LV::List(items.clone(), None))?;
                            (self.literal(Literal::Int(items.len() as i64)), Get::ListItem(l))
                        }
                    };
                    trip = Some(match trip {
                        None => t,
                        Some(prev) => {
                            let m = self.select(ast::CmpOp::Lt, LV::D(prev), LV::D(t))?;
                            self.mat(&m)?
                        }
                    });
                    gets.push(g);
                }
                match trip {
                    Some(trip) => Iter::Dyn { trip, get: Get::Zip(gets) },
                    None => Iter::Static(Vec::new()),
                }
            }
            LV::Method(..) => return self.fail("cannot iterate over a method"),
        })
    }

    /// The `i`-th item of a dynamic iteration.
    pub(crate) fn get(&mut self, g: &Get, i: IrValue) -> R<LV> {
        Ok(match g {
            Get::Range { lo, step } => match (lo, step) {
                (LV::S(Value::Int(0)), LV::S(Value::Int(1))) => LV::D(i),
                _ => {
                    let ins = vec![i, self.mat(lo)?, self.mat(step)?];
                    LV::D(self.aten1("__derive_index", "", ins, Type::Int)?)
                }
            },
            Get::ListItem(l) => {
                let Type::List(e) = self.g.ty(*l).clone() else { return self.fail("internal: not a list") };
                LV::D(self.node1(Op::ListIndex, vec![*l, i], *e))
            }
            Get::TensorRow(t) => {
                let zero = self.literal(Literal::Int(0));
                LV::D(self.aten1("select", "int", vec![*t, zero, i], Type::tensor())?)
            }
            Get::Enumerate(inner, start) => {
                let index = if *start == 0 { LV::D(i) } else { self.scalar(ScalarOp::Add, vec![LV::D(i), LV::int(*start)])? };
                LV::Tuple(vec![index, self.get(inner, i)?])
            }
            Get::Zip(gs) => LV::Tuple(gs.iter().map(|g| self.get(g, i)).collect::<R<_>>()?),
        })
    }

}
