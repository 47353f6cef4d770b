//! Reference evaluation of one node on runtime values: runtime ops through
//! the eager op library (`AtenOp::eval`), scalar ops through
//! `ScalarOp::eval`, lists and tuples as values. The tracer computes every
//! recorded node with it; tests use it as an oracle. Control flow (`if`,
//! `loop`) is the caller's: it walks blocks.

use crate::graph::{ConstValue, Graph};
use crate::op::{Literal, Op};
use tsc_runtime::Value as Rt;

/// The runtime value of a literal.
pub fn literal_value(l: &Literal) -> Rt {
    match l {
        Literal::Int(i) => Rt::Int(*i),
        Literal::Float(f) => Rt::Float(*f),
        Literal::Bool(b) => Rt::Bool(*b),
        Literal::Str(s) => Rt::Str(s.clone()),
        Literal::None => Rt::None,
        Literal::DType(d) => Rt::DType(*d),
        Literal::Device(d) => Rt::Device(*d),
    }
}

/// The literal for a scalar runtime value.
pub fn to_literal(v: &Rt) -> Result<Literal, String> {
    Ok(match v {
        Rt::Int(i) => Literal::Int(*i),
        Rt::Float(f) => Literal::Float(*f),
        Rt::Bool(b) => Literal::Bool(*b),
        Rt::Str(s) => Literal::Str(s.clone()),
        Rt::None => Literal::None,
        Rt::DType(d) => Literal::DType(*d),
        Rt::Device(d) => Literal::Device(*d),
        other => return Err(format!("not a scalar: {}", other.type_name())),
    })
}

/// Evaluates `op` (of graph `g`, for constants) on `ins`; returns one value
/// per output (`n_out` of them).
pub fn eval_op(g: &Graph, op: &Op, ins: &[Rt], n_out: usize) -> Result<Vec<Rt>, String> {
    let seq = |v: &Rt| -> Result<Vec<Rt>, String> {
        match v {
            Rt::List(items) | Rt::Tuple(items) => Ok(items.clone()),
            other => Err(format!("expected a list or tuple, got {}", other.type_name())),
        }
    };
    let index = |i: i64, n: usize| -> Result<usize, String> {
        let j = if i < 0 { i + n as i64 } else { i };
        if (0..n as i64).contains(&j) {
            Ok(j as usize)
        } else {
            Err("list index out of range".into())
        }
    };
    Ok(match op {
        Op::Literal(l) => vec![literal_value(l)],
        Op::Const(c) => vec![match &g.constant(*c).value {
            ConstValue::Tensor(t) => Rt::Tensor(t.clone()),
            other => literal_value(&Literal::from_const(other).ok_or("bad constant")?),
        }],
        Op::Aten(a) => match (a.eval(ins)?, n_out) {
            (_, 0) => Vec::new(),
            (Rt::Tuple(items), k) if k > 1 => items,
            (r, _) => vec![r],
        },
        Op::Scalar(s) => vec![literal_value(&s.eval(&ins.iter().map(to_literal).collect::<Result<Vec<_>, _>>()?)?)],
        Op::ListConstruct => vec![Rt::List(ins.to_vec())],
        Op::TupleConstruct => vec![Rt::Tuple(ins.to_vec())],
        Op::ListUnpack | Op::TupleUnpack => {
            let items = seq(&ins[0])?;
            if items.len() != n_out {
                return Err(format!("expected {n_out} values to unpack, got {}", items.len()));
            }
            items
        }
        Op::TupleIndex(i) => vec![seq(&ins[0])?.get(*i as usize).cloned().ok_or("tuple index out of range")?],
        Op::ListIndex => match &ins[1] {
            Rt::Int(i) => {
                let items = seq(&ins[0])?;
                vec![items[index(*i, items.len())?].clone()]
            }
            _ => return Err("list indices must be integers".into()),
        },
        Op::ListLen => vec![Rt::Int(seq(&ins[0])?.len() as i64)],
        Op::ListSlice => {
            let items = seq(&ins[0])?;
            let bound = |v: &Rt| if let Rt::Int(i) = v { Some(*i) } else { None };
            let Rt::Int(step) = ins[3] else { return Err("slice step must be an int".into()) };
            let pos = slice_positions(items.len(), bound(&ins[1]), bound(&ins[2]), step)?;
            vec![Rt::List(pos.into_iter().map(|p| items[p].clone()).collect())]
        }
        Op::OptionalUnwrap => match &ins[0] {
            Rt::None => return Err("unwrapping an Optional that is None".into()),
            v => vec![v.clone()],
        },
        Op::IsNone => vec![Rt::Bool(matches!(ins[0], Rt::None))],
        Op::Uninitialized => vec![Rt::None],
        Op::Print => Vec::new(),
        Op::Raise => {
            return Err(match &ins[0] {
                Rt::Str(s) => s.clone(),
                _ => "exception".into(),
            })
        }
        Op::If | Op::Loop | Op::Fused | Op::ListAppend | Op::ListSetItem => {
            return Err(format!("`{}` is not evaluated node by node", op.name()));
        }
    })
}

/// Positions selected by Python's `seq[lo:hi:step]` on a sequence of `n`.
pub fn slice_positions(n: usize, lo: Option<i64>, hi: Option<i64>, step: i64) -> Result<Vec<usize>, String> {
    if step == 0 {
        return Err("slice step cannot be zero".into());
    }
    let n = n as i64;
    let clamp = |v: i64, lo_lim: i64, hi_lim: i64| v.clamp(lo_lim, hi_lim);
    let norm = |v: i64| if v < 0 { v + n } else { v };
    let (start, stop) = if step > 0 {
        (lo.map_or(0, |v| clamp(norm(v), 0, n)), hi.map_or(n, |v| clamp(norm(v), 0, n)))
    } else {
        (lo.map_or(n - 1, |v| clamp(norm(v), -1, n - 1)), hi.map_or(-1, |v| clamp(norm(v), -1, n - 1)))
    };
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(i as usize);
        i += step;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_slices() {
        assert_eq!(slice_positions(5, None, None, 1).unwrap(), vec![0, 1, 2, 3, 4]);
        assert_eq!(slice_positions(5, Some(-2), None, 1).unwrap(), vec![3, 4]);
        assert_eq!(slice_positions(5, None, None, -2).unwrap(), vec![4, 2, 0]);
        assert_eq!(slice_positions(5, Some(1), Some(100), 2).unwrap(), vec![1, 3]);
        assert!(slice_positions(5, None, None, 0).is_err());
    }

    #[test]
    fn containers_and_errors() {
        let g = Graph::new();
        let l = Rt::List(vec![Rt::Int(1), Rt::Int(2), Rt::Int(3)]);
        assert!(matches!(eval_op(&g, &Op::ListIndex, &[l.clone(), Rt::Int(-1)], 1).unwrap()[..], [Rt::Int(3)]));
        assert!(eval_op(&g, &Op::ListIndex, &[l.clone(), Rt::Int(3)], 1).is_err());
        assert!(matches!(eval_op(&g, &Op::ListLen, &[l.clone()], 1).unwrap()[..], [Rt::Int(3)]));
        assert!(eval_op(&g, &Op::OptionalUnwrap, &[Rt::None], 1).is_err());
        assert!(eval_op(&g, &Op::Raise, &[Rt::Str("ValueError: x".into())], 0).unwrap_err().contains("ValueError"));
        assert_eq!(eval_op(&g, &Op::ListUnpack, &[l], 2).unwrap_err(), "expected 2 values to unpack, got 3");
    }
}
