//! Python operators on values: arithmetic with Python's int/float rules
//! (`//` and `%` floor, `/` always float, `**` of a negative int exponent is
//! float), tensor operators routed to the runtime's ops exactly as
//! `torch.Tensor`'s dunder methods do (`2 - x` is `rsub`, `2 / x` is
//! `x.reciprocal() * 2`), comparisons, membership, `in`-place forms, and
//! subscripting of lists, tuples, strings, dicts and tensors.

use super::eval::{Index, IndexPart};
use super::value::{key_eq, Value};
use super::{err, rt, Interp, R};
use crate::syntax::ast::{BinOp, CmpOp, UnaryOp};
use std::cmp::Ordering;
use tsc_runtime::ops::index::IndexItem;
use tsc_runtime::{ops, DType, Scalar, Tensor, Value as RV};

/// A Python number.
#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    match *v {
        Value::Bool(b) => Some(Num::I(b as i64)),
        Value::Int(i) => Some(Num::I(i)),
        Value::Float(f) => Some(Num::F(f)),
        _ => None,
    }
}

fn as_f(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

/// Python's float floor-mod: the result has the divisor's sign.
fn fmod_floor(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && ((r < 0.0) != (b < 0.0)) {
        r + b
    } else {
        r
    }
}

fn int_binary(op: BinOp, a: i64, b: i64) -> R<Value> {
    Ok(match op {
        BinOp::Add => Value::Int(a.wrapping_add(b)),
        BinOp::Sub => Value::Int(a.wrapping_sub(b)),
        BinOp::Mul => Value::Int(a.wrapping_mul(b)),
        BinOp::Div => {
            if b == 0 {
                return err("ZeroDivisionError: division by zero");
            }
            Value::Float(a as f64 / b as f64)
        }
        BinOp::FloorDiv | BinOp::Mod => {
            if b == 0 {
                return err("ZeroDivisionError: integer division or modulo by zero");
            }
            let q = a.wrapping_div(b);
            let r = a.wrapping_rem(b);
            let (q, r) = if r != 0 && ((r < 0) != (b < 0)) { (q - 1, r + b) } else { (q, r) };
            Value::Int(if op == BinOp::FloorDiv { q } else { r })
        }
        BinOp::Pow => {
            if b < 0 {
                Value::Float((a as f64).powf(b as f64))
            } else {
                Value::Int(a.wrapping_pow(u32::try_from(b).unwrap_or(u32::MAX)))
            }
        }
        BinOp::BitAnd => Value::Int(a & b),
        BinOp::BitOr => Value::Int(a | b),
        BinOp::BitXor => Value::Int(a ^ b),
        BinOp::LShift | BinOp::RShift => match tsc_runtime::ops::prim::py_shift(a, b, op == BinOp::LShift) {
            Ok(v) => Value::Int(v),
            Err(e) => return err(e.to_string()),
        },
        BinOp::MatMul => return err("unsupported operand type(s) for @: 'int' and 'int'"),
    })
}

fn float_binary(op: BinOp, a: f64, b: f64) -> R<Value> {
    Ok(Value::Float(match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => {
            if b == 0.0 {
                return err("ZeroDivisionError: float division by zero");
            }
            a / b
        }
        BinOp::FloorDiv => {
            if b == 0.0 {
                return err("ZeroDivisionError: float floor division by zero");
            }
            ((a - fmod_floor(a, b)) / b).round()
        }
        BinOp::Mod => {
            if b == 0.0 {
                return err("ZeroDivisionError: float modulo");
            }
            fmod_floor(a, b)
        }
        BinOp::Pow => a.powf(b),
        _ => return err(format!("unsupported operand type(s) for {}: 'float' and 'float'", op.symbol())),
    }))
}

pub(crate) fn tensor_op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
        BinOp::FloorDiv => "floor_divide",
        BinOp::Mod => "remainder",
        BinOp::Pow => "pow",
        BinOp::MatMul => "matmul",
        BinOp::BitAnd => "bitwise_and",
        BinOp::BitOr => "bitwise_or",
        BinOp::BitXor => "bitwise_xor",
        BinOp::LShift => "bitwise_left_shift",
        BinOp::RShift => "bitwise_right_shift",
    }
}

/// Calls a runtime op on interpreter values.
pub(crate) fn rt_op(name: &str, args: &[Value]) -> R<Value> {
    let args: Vec<RV> = args.iter().map(super::builtins::to_rt).collect::<R<_>>()?;
    Ok(super::builtins::from_rt(rt(ops::call(name, &args, &[]))?))
}

fn sequence_repeat(items: &[Value], n: i64) -> Vec<Value> {
    let n = n.max(0) as usize;
    let mut out = Vec::with_capacity(items.len() * n);
    for _ in 0..n {
        out.extend(items.iter().cloned());
    }
    out
}

impl Interp {
    pub(crate) fn binary_op(&self, op: BinOp, a: Value, b: Value) -> R<Value> {
        if let (Some(x), Some(y)) = (num(&a), num(&b)) {
            if let (Value::Bool(p), Value::Bool(q), BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor) = (&a, &b, op) {
                return Ok(Value::Bool(match op {
                    BinOp::BitAnd => p & q,
                    BinOp::BitOr => p | q,
                    _ => p ^ q,
                }));
            }
            return match (x, y) {
                (Num::I(x), Num::I(y)) => int_binary(op, x, y),
                _ => float_binary(op, as_f(x), as_f(y)),
            };
        }
        match (&a, &b, op) {
            (Value::Tensor(_), _, _) => op_tensor_left(op, a, b),
            (_, Value::Tensor(t), _) if num(&a).is_some() => scalar_tensor(op, &a, t, b.clone()),
            (Value::Str(x), Value::Str(y), BinOp::Add) => Ok(Value::str(&format!("{x}{y}"))),
            (Value::Str(x), Value::Int(n), BinOp::Mul) => Ok(Value::str(&x.repeat((*n).max(0) as usize))),
            (Value::List(x), Value::List(y), BinOp::Add) => {
                let mut v = x.borrow().clone();
                v.extend(y.borrow().iter().cloned());
                Ok(Value::list(v))
            }
            (Value::Tuple(x), Value::Tuple(y), BinOp::Add) => Ok(Value::tuple(x.iter().chain(y.iter()).cloned().collect())),
            (Value::List(x), Value::Int(n), BinOp::Mul) => Ok(Value::list(sequence_repeat(&x.borrow(), *n))),
            (Value::Int(n), Value::List(x), BinOp::Mul) => Ok(Value::list(sequence_repeat(&x.borrow(), *n))),
            (Value::Tuple(x), Value::Int(n), BinOp::Mul) => Ok(Value::tuple(sequence_repeat(x, *n))),
            (Value::Str(s), _, BinOp::Mod) => Ok(Value::str(&super::builtins::percent_format(s, &b)?)),
            _ => err(format!(
                "unsupported operand type(s) for {}: '{}' and '{}'",
                op.symbol(),
                a.type_name(),
                b.type_name()
            )),
        }
    }

    /// `a op= b`: tensors and lists are updated in place, as Python does.
    pub(crate) fn inplace_op(&self, op: BinOp, a: Value, b: Value) -> R<Value> {
        match (&a, op) {
            (Value::Tensor(_), BinOp::MatMul | BinOp::LShift | BinOp::RShift) => self.binary_op(op, a, b),
            (Value::Tensor(_), _) => rt_op(&format!("{}_", tensor_op_name(op)), &[a, b]),
            (Value::List(l), BinOp::Add) => {
                let items = self.iterate(&b)?;
                l.borrow_mut().extend(items);
                Ok(a)
            }
            _ => self.binary_op(op, a, b),
        }
    }

    pub(crate) fn unary_op(&self, op: UnaryOp, v: Value) -> R<Value> {
        match (op, &v) {
            (UnaryOp::Neg, Value::Int(i)) => Ok(Value::Int(i.wrapping_neg())),
            (UnaryOp::Neg, Value::Bool(b)) => Ok(Value::Int(-(*b as i64))),
            (UnaryOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
            (UnaryOp::Pos, Value::Int(_) | Value::Float(_)) => Ok(v),
            (UnaryOp::Pos, Value::Bool(b)) => Ok(Value::Int(*b as i64)),
            (UnaryOp::Invert, Value::Int(i)) => Ok(Value::Int(!i)),
            (UnaryOp::Invert, Value::Bool(b)) => Ok(Value::Int(!(*b as i64))),
            (UnaryOp::Neg, Value::Tensor(_)) => rt_op("neg", &[v]),
            (UnaryOp::Pos, Value::Tensor(_)) => Ok(v),
            (UnaryOp::Invert, Value::Tensor(_)) => rt_op("bitwise_not", &[v]),
            _ => err(format!("bad operand type for unary {}: '{}'", op.symbol(), v.type_name())),
        }
    }

    pub(crate) fn compare_op(&self, op: CmpOp, a: &Value, b: &Value) -> R<Value> {
        let tensor_name = |op: CmpOp| match op {
            CmpOp::Eq => Some("eq"),
            CmpOp::NotEq => Some("ne"),
            CmpOp::Lt => Some("lt"),
            CmpOp::LtE => Some("le"),
            CmpOp::Gt => Some("gt"),
            CmpOp::GtE => Some("ge"),
            _ => None,
        };
        match op {
            CmpOp::Is => return Ok(Value::Bool(is_same(a, b))),
            CmpOp::IsNot => return Ok(Value::Bool(!is_same(a, b))),
            CmpOp::In => return Ok(Value::Bool(self.contains(b, a)?)),
            CmpOp::NotIn => return Ok(Value::Bool(!self.contains(b, a)?)),
            _ => {}
        }
        let name = tensor_name(op).unwrap_or("eq");
        match (a, b) {
            (Value::Tensor(_), Value::Tensor(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
                return rt_op(name, &[a.clone(), b.clone()]);
            }
            (Value::Int(_) | Value::Float(_) | Value::Bool(_), Value::Tensor(_)) => {
                let flipped = match op {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::LtE => CmpOp::GtE,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::GtE => CmpOp::LtE,
                    o => o,
                };
                return rt_op(tensor_name(flipped).unwrap_or("eq"), &[b.clone(), a.clone()]);
            }
            _ => {}
        }
        let ord = match op {
            CmpOp::Eq => return Ok(Value::Bool(value_eq(a, b))),
            CmpOp::NotEq => return Ok(Value::Bool(!value_eq(a, b))),
            _ => value_cmp(a, b).ok_or_else(|| {
                Box::new(super::Exc {
                    message: format!("'{}' not supported between '{}' and '{}'", op.symbol(), a.type_name(), b.type_name()),
                    loc: None,
                    trace: Vec::new(),
                })
            })?,
        };
        Ok(Value::Bool(match op {
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::LtE => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        }))
    }

    /// `needle in haystack`.
    fn contains(&self, hay: &Value, needle: &Value) -> R<bool> {
        Ok(match hay {
            Value::Str(s) => match needle {
                Value::Str(n) => s.contains(&**n),
                _ => return err("'in <string>' requires string as left operand"),
            },
            Value::List(v) => v.borrow().iter().any(|x| value_eq(x, needle)),
            Value::Tuple(v) => v.iter().any(|x| value_eq(x, needle)),
            Value::Dict(d) => d.borrow().position(needle).is_some(),
            Value::Object(o) => o.get(&super::builtins::to_str(needle)).is_some(),
            Value::Tensor(_) => rt_op("eq", &[hay.clone(), needle.clone()])
                .and_then(|t| rt_op("any", &[t]))
                .and_then(|t| t.truthy().or_else(err))?,
            other => return err(format!("argument of type '{}' is not iterable", other.type_name())),
        })
    }

    /// `obj[index]`.
    pub(crate) fn get_item(&self, obj: &Value, idx: Index) -> R<Value> {
        match obj {
            Value::Tensor(t) => Ok(Value::Tensor(rt(ops::index::getitem(t, &tensor_index(&idx)?))?)),
            Value::List(v) => seq_index(&v.borrow(), &idx, Value::list),
            Value::Tuple(v) => seq_index(v, &idx, Value::tuple),
            Value::Str(s) => {
                let chars: Vec<Value> = s.chars().map(|c| Value::str(c.encode_utf8(&mut [0; 4]))).collect();
                seq_index(&chars, &idx, |v| Value::str(&v.iter().map(super::builtins::to_str).collect::<String>()))
            }
            Value::Dict(d) => {
                let key = single(&idx)?;
                d.borrow().get(&key).cloned().ok_or_else(|| {
                    Box::new(super::Exc { message: format!("KeyError: {}", super::builtins::repr(&key)), loc: None, trace: Vec::new() })
                })
            }
            Value::Object(o) => self.container_item(o, &idx),
            // `List[int]` in `torch.jit.annotate(List[int], [])`.
            Value::Namespace(_) => Ok(obj.clone()),
            other => err(format!("'{}' object is not subscriptable", other.type_name())),
        }
    }

    /// `obj[index] = v`.
    pub(crate) fn set_item(&self, obj: &Value, idx: Index, v: Value) -> R<()> {
        match obj {
            Value::Tensor(t) => {
                let operand = match v {
                    Value::Tensor(x) => ops::Operand::Tensor(x),
                    other => match super::builtins::to_scalar(&other) {
                        Some(s) => ops::Operand::Scalar(s),
                        None => return err(format!("cannot assign a {} to a tensor element", other.type_name())),
                    },
                };
                rt(ops::index::setitem(t, &tensor_index(&idx)?, &operand))
            }
            Value::List(l) => {
                let i = single(&idx)?;
                let mut l = l.borrow_mut();
                let n = l.len();
                let Some(i) = super::builtins::as_index(&i).and_then(|i| norm_index(i, n)) else {
                    return err("list assignment index out of range");
                };
                l[i] = v;
                Ok(())
            }
            Value::Dict(d) => {
                d.borrow_mut().insert(single(&idx)?, v);
                Ok(())
            }
            other => err(format!("'{}' object does not support item assignment", other.type_name())),
        }
    }
}

fn is_same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::None, _) | (_, Value::None) => false,
        (Value::Object(x), Value::Object(y)) => std::rc::Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => std::rc::Rc::ptr_eq(x, y),
        _ => key_eq(a, b),
    }
}

/// Python `==` on non-tensor values.
pub(crate) fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| value_eq(p, q))
        }
        (Value::Tuple(x), Value::Tuple(y)) => x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| value_eq(p, q)),
        (Value::DType(x), Value::DType(y)) => x == y,
        (Value::Device(x), Value::Device(y)) => x == y,
        _ => key_eq(a, b),
    }
}

/// Python ordering of numbers, strings and sequences (lexicographic).
pub(crate) fn value_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return match (x, y) {
            (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
            _ => as_f(x).partial_cmp(&as_f(y)),
        };
    }
    let seq = |x: &[Value], y: &[Value]| -> Option<Ordering> {
        for (p, q) in x.iter().zip(y) {
            match value_cmp(p, q)? {
                Ordering::Equal => {}
                o => return Some(o),
            }
        }
        Some(x.len().cmp(&y.len()))
    };
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::List(x), Value::List(y)) => seq(&x.borrow(), &y.borrow()),
        (Value::Tuple(x), Value::Tuple(y)) => seq(x, y),
        _ => None,
    }
}

fn op_tensor_left(op: BinOp, a: Value, b: Value) -> R<Value> {
    match b {
        Value::Tensor(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => rt_op(tensor_op_name(op), &[a, b]),
        other => err(format!("unsupported operand type(s) for {}: 'Tensor' and '{}'", op.symbol(), other.type_name())),
    }
}

/// `scalar op tensor`, as `torch.Tensor`'s reflected dunders compute it.
fn scalar_tensor(op: BinOp, s: &Value, t: &Tensor, tv: Value) -> R<Value> {
    match op {
        BinOp::Add | BinOp::Mul | BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => rt_op(tensor_op_name(op), &[tv, s.clone()]),
        BinOp::Sub => rt_op("rsub", &[tv, s.clone()]),
        BinOp::Div => {
            let r = rt_op("reciprocal", &[tv])?;
            rt_op("mul", &[r, s.clone()])
        }
        BinOp::Pow | BinOp::Mod => rt_op(tensor_op_name(op), &[s.clone(), tv]),
        BinOp::FloorDiv => {
            let sc = super::builtins::to_scalar(s).unwrap_or(Scalar::Int(0));
            let dtype = tsc_runtime::ResultType::new().tensor(t.dtype(), t.ndim()).scalar(sc).finish();
            let st = Tensor::scalar(sc, dtype);
            rt_op("floor_divide", &[Value::Tensor(st), tv])
        }
        _ => err(format!("unsupported operand type(s) for {}: '{}' and 'Tensor'", op.symbol(), s.type_name())),
    }
}

fn single(idx: &Index) -> R<Value> {
    match (idx.tuple, idx.parts.as_slice()) {
        (false, [IndexPart::Value(v)]) => Ok(v.clone()),
        (true, parts) if parts.iter().all(|p| matches!(p, IndexPart::Value(_))) => Ok(Value::tuple(
            parts.iter().map(|p| if let IndexPart::Value(v) = p { v.clone() } else { Value::None }).collect(),
        )),
        _ => err("this index is only valid for tensors"),
    }
}

fn norm_index(i: i64, n: usize) -> Option<usize> {
    let j = if i < 0 { i + n as i64 } else { i };
    (0..n as i64).contains(&j).then_some(j as usize)
}

/// Python's slice semantics: the selected positions of a length-`n` sequence.
pub(crate) fn slice_positions(n: usize, lo: Option<i64>, hi: Option<i64>, step: Option<i64>) -> R<Vec<usize>> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return err("slice step cannot be zero");
    }
    let n = n as i64;
    let clamp = |x: i64, lo_b: i64, hi_b: i64| if x < 0 { (x + n).max(lo_b) } else { x.min(hi_b) };
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, end) = (lo.map_or(0, |x| clamp(x, 0, n)), hi.map_or(n, |x| clamp(x, 0, n)));
        while i < end {
            out.push(i as usize);
            i += step;
        }
    } else {
        let (mut i, end) = (lo.map_or(n - 1, |x| clamp(x, -1, n - 1)), hi.map_or(-1, |x| clamp(x, -1, n - 1)));
        while i > end {
            out.push(i as usize);
            i += step;
        }
    }
    Ok(out)
}

fn seq_index(items: &[Value], idx: &Index, make: impl Fn(Vec<Value>) -> Value) -> R<Value> {
    match (idx.tuple, idx.parts.as_slice()) {
        (false, [IndexPart::Value(v)]) => {
            let Some(i) = super::builtins::as_index(v) else {
                return err(format!("indices must be integers or slices, not {}", v.type_name()));
            };
            match norm_index(i, items.len()) {
                Some(i) => Ok(items[i].clone()),
                None => err(format!("index {i} is out of range for a sequence of length {}", items.len())),
            }
        }
        (false, [IndexPart::Slice(lo, hi, st)]) => {
            Ok(make(slice_positions(items.len(), *lo, *hi, *st)?.into_iter().map(|i| items[i].clone()).collect()))
        }
        _ => err("a sequence index must be one integer or slice"),
    }
}

/// Converts an evaluated subscript to the runtime's tensor index.
fn tensor_index(idx: &Index) -> R<Vec<IndexItem>> {
    idx.parts
        .iter()
        .map(|p| {
            Ok(match p {
                IndexPart::Slice(a, b, c) => IndexItem::Slice(*a, *b, *c),
                IndexPart::Ellipsis => IndexItem::Ellipsis,
                IndexPart::Value(Value::None) => IndexItem::None,
                IndexPart::Value(Value::Bool(b)) => IndexItem::Tensor(Tensor::scalar(Scalar::Bool(*b), DType::Bool)),
                IndexPart::Value(Value::Int(i)) => IndexItem::Int(*i),
                IndexPart::Value(Value::Tensor(t)) => IndexItem::Tensor(t.clone()),
                IndexPart::Value(v @ (Value::List(_) | Value::Tuple(_))) => {
                    match rt(ops::call("tensor", &[super::builtins::to_rt(v)?], &[]))? {
                        RV::Tensor(t) => IndexItem::Tensor(t),
                        _ => return err("bad list index"),
                    }
                }
                IndexPart::Value(v) => return err(format!("a tensor cannot be indexed with a {}", v.type_name())),
            })
        })
        .collect()
}
