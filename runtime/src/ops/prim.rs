//! Python scalar and container ops as registry ops, so the executor runs
//! `i + 1`, `n // 2`, `len(xs)` and `xs[i]` like any other op. Names and
//! overloads follow TorchScript (`aten::add.int`, `aten::floordiv.float`,
//! `aten::Int.Tensor`, `aten::len.t`, `aten::__getitem__.t`,
//! `aten::__range_length`); the semantics are Python's:
//!
//! - `int` is a 64-bit integer that wraps on overflow, as in TorchScript;
//! - `//` and `%` use floor semantics (`7 // -2 == -4`, `-7 % 3 == 2`), and a
//!   zero divisor is a `ZeroDivisionError` (an `Error::Op`);
//! - `/` is true division (`int / int -> float`);
//! - `int ** int` is an `int` for a non-negative exponent and a `float` for a
//!   negative one (`2 ** -1 == 0.5`), so `pow.int` returns `Scalar`;
//! - mixed `int`/`float` arguments bind to the `float` overload (the schema
//!   binder converts the int), giving a float as in Python.
//!
//! Strings compare by code point (`lt.str`, ...). Non-numeric builtins
//! (list slicing, `Optional` unwrapping, `print`, `device`) are in
//! `prim_builtins.rs`.
//!
//! Every overload here is registered after the tensor overloads of the same
//! name (this family is last in `families()`), so binding still prefers
//! tensors. Containers are values in the runtime: `append.t` returns the
//! extended list (the program threads it on as a new SSA value).

use super::{Args, OpDef};
use crate::{bail, Error, Result, Scalar, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "add.int(int a, int b) -> int", run: |a| int2(a, i64::wrapping_add) },
    OpDef { schema: "add.float(float a, float b) -> float", run: |a| float2(a, |x, y| x + y) },
    OpDef { schema: "add.str(str a, str b) -> str", run: add_str },
    OpDef { schema: "sub.int(int a, int b) -> int", run: |a| int2(a, i64::wrapping_sub) },
    OpDef { schema: "sub.float(float a, float b) -> float", run: |a| float2(a, |x, y| x - y) },
    OpDef { schema: "mul.int(int a, int b) -> int", run: |a| int2(a, i64::wrapping_mul) },
    OpDef { schema: "mul.float(float a, float b) -> float", run: |a| float2(a, |x, y| x * y) },
    OpDef { schema: "div.int(int a, int b) -> float", run: div },
    OpDef { schema: "div.float(float a, float b) -> float", run: div },
    OpDef { schema: "floordiv.int(int a, int b) -> int", run: floordiv_int },
    OpDef { schema: "floordiv.float(float a, float b) -> float", run: floordiv_float },
    OpDef { schema: "remainder.int(int a, int b) -> int", run: remainder_int },
    OpDef { schema: "remainder.float(float a, float b) -> float", run: remainder_float },
    OpDef { schema: "pow.int(int a, int b) -> Scalar", run: pow_int },
    OpDef { schema: "bitand.int(int a, int b) -> int", run: |a| int2(a, |x, y| x & y) },
    OpDef { schema: "bitor.int(int a, int b) -> int", run: |a| int2(a, |x, y| x | y) },
    OpDef { schema: "bitxor.int(int a, int b) -> int", run: |a| int2(a, |x, y| x ^ y) },
    OpDef { schema: "lshift.int(int a, int b) -> int", run: |a| Ok(Value::Int(py_shift(a.int(0)?, a.int(1)?, true)?)) },
    OpDef { schema: "rshift.int(int a, int b) -> int", run: |a| Ok(Value::Int(py_shift(a.int(0)?, a.int(1)?, false)?)) },
    OpDef { schema: "pow.float(float a, float b) -> float", run: pow_float },
    OpDef { schema: "neg.int(int a) -> int", run: |a| Ok(Value::Int(a.int(0)?.wrapping_neg())) },
    OpDef { schema: "neg.float(float a) -> float", run: |a| Ok(Value::Float(-a.float(0)?)) },
    OpDef { schema: "abs.int(int a) -> int", run: |a| Ok(Value::Int(a.int(0)?.wrapping_abs())) },
    OpDef { schema: "abs.float(float a) -> float", run: |a| Ok(Value::Float(a.float(0)?.abs())) },
    OpDef { schema: "min.int(int a, int b) -> int", run: |a| int2(a, i64::min) },
    OpDef { schema: "min.float(float a, float b) -> float", run: |a| float2(a, py_min) },
    OpDef { schema: "max.int(int a, int b) -> int", run: |a| int2(a, i64::max) },
    OpDef { schema: "max.float(float a, float b) -> float", run: |a| float2(a, py_max) },
    // comparisons
    OpDef { schema: "eq.int(int a, int b) -> bool", run: |a| cmp_int(a, |x, y| x == y) },
    OpDef { schema: "eq.float(float a, float b) -> bool", run: |a| cmp_float(a, |x, y| x == y) },
    OpDef { schema: "eq.bool(bool a, bool b) -> bool", run: |a| Ok(Value::Bool(a.bool(0)? == a.bool(1)?)) },
    OpDef { schema: "eq.str(str a, str b) -> bool", run: |a| Ok(Value::Bool(a.str(0)? == a.str(1)?)) },
    OpDef { schema: "ne.int(int a, int b) -> bool", run: |a| cmp_int(a, |x, y| x != y) },
    OpDef { schema: "ne.float(float a, float b) -> bool", run: |a| cmp_float(a, |x, y| x != y) },
    OpDef { schema: "ne.bool(bool a, bool b) -> bool", run: |a| Ok(Value::Bool(a.bool(0)? != a.bool(1)?)) },
    OpDef { schema: "ne.str(str a, str b) -> bool", run: |a| Ok(Value::Bool(a.str(0)? != a.str(1)?)) },
    OpDef { schema: "lt.int(int a, int b) -> bool", run: |a| cmp_int(a, |x, y| x < y) },
    OpDef { schema: "lt.float(float a, float b) -> bool", run: |a| cmp_float(a, |x, y| x < y) },
    OpDef { schema: "le.int(int a, int b) -> bool", run: |a| cmp_int(a, |x, y| x <= y) },
    OpDef { schema: "le.float(float a, float b) -> bool", run: |a| cmp_float(a, |x, y| x <= y) },
    OpDef { schema: "gt.int(int a, int b) -> bool", run: |a| cmp_int(a, |x, y| x > y) },
    OpDef { schema: "gt.float(float a, float b) -> bool", run: |a| cmp_float(a, |x, y| x > y) },
    OpDef { schema: "ge.int(int a, int b) -> bool", run: |a| cmp_int(a, |x, y| x >= y) },
    OpDef { schema: "ge.float(float a, float b) -> bool", run: |a| cmp_float(a, |x, y| x >= y) },
    OpDef { schema: "lt.str(str a, str b) -> bool", run: |a| Ok(Value::Bool(a.str(0)? < a.str(1)?)) },
    OpDef { schema: "le.str(str a, str b) -> bool", run: |a| Ok(Value::Bool(a.str(0)? <= a.str(1)?)) },
    OpDef { schema: "gt.str(str a, str b) -> bool", run: |a| Ok(Value::Bool(a.str(0)? > a.str(1)?)) },
    OpDef { schema: "ge.str(str a, str b) -> bool", run: |a| Ok(Value::Bool(a.str(0)? >= a.str(1)?)) },
    OpDef { schema: "__not__(bool self) -> bool", run: |a| Ok(Value::Bool(!a.bool(0)?)) },
    OpDef { schema: "__and__.bool(bool a, bool b) -> bool", run: |a| Ok(Value::Bool(a.bool(0)? & a.bool(1)?)) },
    OpDef { schema: "__or__.bool(bool a, bool b) -> bool", run: |a| Ok(Value::Bool(a.bool(0)? | a.bool(1)?)) },
    OpDef { schema: "__is__(Any self, Any obj) -> bool", run: |a| Ok(Value::Bool(a.value(0)? == a.value(1)?)) },
    OpDef { schema: "__isnot__(Any self, Any obj) -> bool", run: |a| Ok(Value::Bool(a.value(0)? != a.value(1)?)) },
    // casts: `int(x)`, `float(x)`, `bool(x)` (capitalized as in TorchScript,
    // apart from the tensor methods `x.int()`, `x.float()`, `x.bool()`)
    OpDef { schema: "Int.Scalar(Scalar a) -> int", run: |a| to_int(a.scalar(0)?).map(Value::Int) },
    OpDef { schema: "Int.Tensor(Tensor a) -> int", run: |a| to_int(item(a, "int")?).map(Value::Int) },
    OpDef { schema: "Float.Scalar(Scalar a) -> float", run: |a| Ok(Value::Float(a.scalar(0)?.to_f64())) },
    OpDef { schema: "Float.Tensor(Tensor a) -> float", run: |a| Ok(Value::Float(item(a, "float")?.to_f64())) },
    OpDef { schema: "Bool.Scalar(Scalar a) -> bool", run: |a| Ok(Value::Bool(a.scalar(0)?.to_bool())) },
    OpDef { schema: "Bool.Tensor(Tensor a) -> bool", run: |a| Ok(Value::Bool(item(a, "bool")?.to_bool())) },
    // containers
    OpDef { schema: "len.Tensor(Tensor self) -> int", run: len_tensor },
    OpDef { schema: "len.t(Any[] a) -> int", run: |a| Ok(Value::Int(seq(a, 0)?.len() as i64)) },
    OpDef { schema: "len.str(str s) -> int", run: |a| Ok(Value::Int(a.str(0)?.chars().count() as i64)) },
    OpDef { schema: "__getitem__.t(Any[] list, int idx) -> Any", run: getitem },
    OpDef { schema: "append.t(Any[] self, Any el) -> Any[]", run: append },
    OpDef { schema: "__range_length(int lo, int hi, int step) -> int", run: range_length },
    OpDef { schema: "__derive_index(int index, int start, int step) -> int", run: derive_index },
];

fn int2(a: &Args, f: fn(i64, i64) -> i64) -> Result<Value> {
    Ok(Value::Int(f(a.int(0)?, a.int(1)?)))
}

fn float2(a: &Args, f: fn(f64, f64) -> f64) -> Result<Value> {
    Ok(Value::Float(f(a.float(0)?, a.float(1)?)))
}

fn cmp_int(a: &Args, f: fn(&i64, &i64) -> bool) -> Result<Value> {
    Ok(Value::Bool(f(&a.int(0)?, &a.int(1)?)))
}

fn cmp_float(a: &Args, f: fn(&f64, &f64) -> bool) -> Result<Value> {
    Ok(Value::Bool(f(&a.float(0)?, &a.float(1)?)))
}

/// Python's `min(a, b)`: `b` only when `b < a` (so a NaN `a` wins).
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Python's `max(a, b)`: `b` only when `b > a`.
fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

fn zero_division(op: &str, what: &str) -> Error {
    Error::op(op, format!("ZeroDivisionError: {what}"))
}

fn add_str(a: &Args) -> Result<Value> {
    Ok(Value::Str(format!("{}{}", a.str(0)?, a.str(1)?)))
}

/// True division; both overloads compute in f64 (`int / int -> float`).
fn div(a: &Args) -> Result<Value> {
    let (x, y) = (a.float(0)?, a.float(1)?);
    if y == 0.0 {
        let what = if matches!(a.value(0)?, Value::Int(_)) && matches!(a.value(1)?, Value::Int(_)) {
            "division by zero"
        } else {
            "float division by zero"
        };
        return Err(zero_division(a.op, what));
    }
    Ok(Value::Float(x / y))
}

/// `a // b` on ints: the floor of the quotient (wrapping for `MIN // -1`).
pub fn py_floordiv(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let q = a.wrapping_div(b);
    Some(if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) { q - 1 } else { q })
}

/// `a % b` on ints: the result has the sign of `b`.
pub fn py_mod(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let r = a.wrapping_rem(b);
    Some(if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r })
}

/// CPython's `float_divmod`: `(a // b, a % b)` for floats, `None` when `b == 0`.
pub fn py_divmod_float(a: f64, b: f64) -> Option<(f64, f64)> {
    if b == 0.0 {
        return None;
    }
    let mut m = a % b;
    let mut d = (a - m) / b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
            d -= 1.0;
        }
    } else {
        m = 0f64.copysign(b);
    }
    let q = if d != 0.0 {
        let f = d.floor();
        if d - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        0f64.copysign(a / b)
    };
    Some((q, m))
}

fn floordiv_int(a: &Args) -> Result<Value> {
    let r = py_floordiv(a.int(0)?, a.int(1)?);
    r.map(Value::Int).ok_or_else(|| zero_division(a.op, "integer division or modulo by zero"))
}

fn floordiv_float(a: &Args) -> Result<Value> {
    let r = py_divmod_float(a.float(0)?, a.float(1)?);
    r.map(|(q, _)| Value::Float(q)).ok_or_else(|| zero_division(a.op, "float floor division by zero"))
}

fn remainder_int(a: &Args) -> Result<Value> {
    let r = py_mod(a.int(0)?, a.int(1)?);
    r.map(Value::Int).ok_or_else(|| zero_division(a.op, "integer division or modulo by zero"))
}

fn remainder_float(a: &Args) -> Result<Value> {
    let r = py_divmod_float(a.float(0)?, a.float(1)?);
    r.map(|(_, m)| Value::Float(m)).ok_or_else(|| zero_division(a.op, "float modulo by zero"))
}

/// `a ** b` on ints: exact (wrapping) for `b >= 0`, a float for `b < 0`.
pub fn py_pow_int(a: i64, b: i64) -> Result<Scalar> {
    if b < 0 {
        if a == 0 {
            bail!("pow", "ZeroDivisionError: 0.0 cannot be raised to a negative power");
        }
        return Ok(Scalar::Float((a as f64).powf(b as f64)));
    }
    let (mut base, mut e, mut acc) = (a, b as u64, 1i64);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        e >>= 1;
    }
    Ok(Scalar::Int(acc))
}

/// `a << b` (`left`) or `a >> b` on ints: a negative count is Python's
/// `ValueError`; a left shift keeps the low 64 bits (wrapping, as `*`
/// does), so 64 or more gives 0; a right shift floors (`>> 64` or more
/// gives 0 or -1), as Python's.
pub fn py_shift(a: i64, b: i64, left: bool) -> Result<i64> {
    if b < 0 {
        bail!(if left { "lshift" } else { "rshift" }, "ValueError: negative shift count");
    }
    Ok(match (left, u32::try_from(b)) {
        (true, Ok(n)) if n < 64 => a.wrapping_shl(n),
        (true, _) => 0,
        (false, Ok(n)) if n < 64 => a >> n,
        (false, _) => a >> 63,
    })
}

fn pow_int(a: &Args) -> Result<Value> {
    py_pow_int(a.int(0)?, a.int(1)?).map(Value::from)
}

/// `a ** b` on floats, with Python's errors where C's `pow` would give a
/// special value.
fn pow_float(a: &Args) -> Result<Value> {
    let (x, y) = (a.float(0)?, a.float(1)?);
    if x == 0.0 && y < 0.0 {
        bail!(a.op, "ZeroDivisionError: 0.0 cannot be raised to a negative power");
    }
    if x < 0.0 && x.is_finite() && y.is_finite() && y.fract() != 0.0 {
        bail!(a.op, "a negative number raised to a fractional power is complex ({x} ** {y}), which tsc does not support");
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        bail!(a.op, "OverflowError: ({x} ** {y}) is out of the float range");
    }
    Ok(Value::Float(r))
}

/// `int(x)`: truncation toward zero; NaN, infinities and floats outside
/// the int64 range are errors, as Python's `int()` of them cannot be an i64.
pub fn to_int(s: Scalar) -> Result<i64> {
    match s {
        Scalar::Float(f) if f.is_nan() => bail!("int", "ValueError: cannot convert float NaN to integer"),
        Scalar::Float(f) if !(i64::MIN as f64..-(i64::MIN as f64)).contains(&f) => {
            bail!("int", "OverflowError: cannot convert float {f} to a 64-bit integer")
        }
        s => Ok(s.to_i64()),
    }
}

/// The value of a one-element tensor, for `int(t)`, `float(t)`, `bool(t)`.
fn item(a: &Args, what: &str) -> Result<Scalar> {
    let t = a.tensor(0)?;
    if t.numel() != 1 {
        bail!(what, "only a tensor with one element can be converted to a Python scalar (this one has {})", t.numel());
    }
    t.item()
}

fn seq<'a>(a: &'a Args, i: usize) -> Result<&'a [Value]> {
    a.value(i)?.as_seq().ok_or_else(|| Error::op(a.op, format!("internal: argument {i} should be a list")))
}

fn len_tensor(a: &Args) -> Result<Value> {
    let t = a.tensor(0)?;
    match t.shape().first() {
        Some(&n) => Ok(Value::Int(n as i64)),
        None => bail!("len", "TypeError: len() of a 0-d tensor"),
    }
}

/// A Python index into a sequence of `len` items (negative counts from the end).
pub fn wrap_index(idx: i64, len: usize) -> Option<usize> {
    let n = i64::try_from(len).ok()?;
    let i = if idx < 0 { idx.checked_add(n)? } else { idx };
    (0..n).contains(&i).then_some(i as usize)
}

fn getitem(a: &Args) -> Result<Value> {
    let items = seq(a, 0)?;
    let idx = a.int(1)?;
    match wrap_index(idx, items.len()) {
        Some(i) => Ok(items[i].clone()),
        None => bail!(a.op, "IndexError: list index {idx} out of range for a list of {} items", items.len()),
    }
}

fn append(a: &Args) -> Result<Value> {
    let mut items = seq(a, 0)?.to_vec();
    items.push(a.value(1)?.clone());
    Ok(Value::List(items))
}

/// The trip count of `range(lo, hi, step)`.
pub fn py_range_length(lo: i64, hi: i64, step: i64) -> Option<i64> {
    if step == 0 {
        return None;
    }
    let (lo, hi, step) = (lo as i128, hi as i128, step as i128);
    let n = if step > 0 && lo < hi {
        (hi - lo - 1) / step + 1
    } else if step < 0 && lo > hi {
        (lo - hi - 1) / (-step) + 1
    } else {
        0
    };
    // |hi - lo| < 2^64 and |step| >= 1, so `n` fits an i64 unless step is ±1
    // over the whole range, which no loop of a real program reaches.
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

fn range_length(a: &Args) -> Result<Value> {
    match py_range_length(a.int(0)?, a.int(1)?, a.int(2)?) {
        Some(n) => Ok(Value::Int(n)),
        None => bail!("range", "ValueError: range() arg 3 must not be zero"),
    }
}

/// The loop variable of iteration `index` of `range(start, _, step)`.
fn derive_index(a: &Args) -> Result<Value> {
    Ok(Value::Int(a.int(1)?.wrapping_add(a.int(0)?.wrapping_mul(a.int(2)?))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::call;
    use crate::{DType, Tensor};

    fn c(name: &str, args: &[Value]) -> Result<Value> {
        call(name, args, &[])
    }
    fn i(v: i64) -> Value {
        Value::Int(v)
    }
    fn f(v: f64) -> Value {
        Value::Float(v)
    }

    #[test]
    fn floor_division_and_modulo_follow_python() {
        assert_eq!(c("floordiv", &[i(7), i(-2)]).unwrap(), i(-4));
        assert_eq!(c("floordiv", &[i(-7), i(2)]).unwrap(), i(-4));
        assert_eq!(c("floordiv", &[i(-7), i(-2)]).unwrap(), i(3));
        assert_eq!(c("floordiv", &[i(7), i(2)]).unwrap(), i(3));
        assert_eq!(c("remainder", &[i(-7), i(3)]).unwrap(), i(2));
        assert_eq!(c("remainder", &[i(7), i(-3)]).unwrap(), i(-2));
        assert_eq!(c("remainder", &[i(-7), i(-3)]).unwrap(), i(-1));
        assert_eq!(c("floordiv", &[f(7.0), f(-2.0)]).unwrap(), f(-4.0));
        assert_eq!(c("floordiv", &[i(7), f(-2.0)]).unwrap(), f(-4.0));
        assert_eq!(c("remainder", &[f(-7.0), f(3.0)]).unwrap(), f(2.0));
        assert_eq!(c("remainder", &[f(7.5), f(-2.0)]).unwrap(), f(-0.5));
        // -0.0 keeps the divisor's sign, as in CPython.
        let z = c("remainder", &[f(4.0), f(-2.0)]).unwrap();
        assert!(matches!(z, Value::Float(x) if x == 0.0 && x.is_sign_negative()));
        assert_eq!(py_floordiv(i64::MIN, -1), Some(i64::MIN));
        assert_eq!(py_mod(i64::MIN, -1), Some(0));
    }

    #[test]
    fn zero_divisors_are_errors() {
        for (op, args) in [
            ("floordiv", vec![i(1), i(0)]),
            ("remainder", vec![i(1), i(0)]),
            ("floordiv", vec![f(1.0), f(0.0)]),
            ("remainder", vec![f(1.0), f(0.0)]),
            ("div", vec![i(1), i(0)]),
            ("div", vec![f(1.0), f(0.0)]),
            ("pow", vec![i(0), i(-1)]),
            ("pow", vec![f(0.0), f(-1.0)]),
        ] {
            let e = c(op, &args).unwrap_err();
            assert!(matches!(&e, Error::Op { .. }), "{op}: {e}");
            assert!(e.to_string().contains("ZeroDivisionError"), "{op}: {e}");
        }
    }

    #[test]
    fn arithmetic_types_and_wrapping() {
        assert_eq!(c("add", &[i(2), i(3)]).unwrap(), i(5));
        assert_eq!(c("add", &[i(2), f(0.5)]).unwrap(), f(2.5));
        assert_eq!(c("add", &[f(0.5), i(2)]).unwrap(), f(2.5));
        assert_eq!(c("add", &[i(i64::MAX), i(1)]).unwrap(), i(i64::MIN));
        assert_eq!(c("mul", &[i(i64::MAX), i(2)]).unwrap(), i(-2));
        assert_eq!(c("sub", &[i(i64::MIN), i(1)]).unwrap(), i(i64::MAX));
        assert_eq!(c("neg", &[i(i64::MIN)]).unwrap(), i(i64::MIN));
        assert_eq!(c("div", &[i(7), i(2)]).unwrap(), f(3.5));
        assert_eq!(c("add", &[Value::from("a"), Value::from("b")]).unwrap(), Value::from("ab"));
        assert_eq!(c("max", &[i(3), i(-3)]).unwrap(), i(3));
        assert_eq!(c("min", &[f(1.0), i(0)]).unwrap(), f(0.0));
        assert_eq!(c("abs", &[i(-4)]).unwrap(), i(4));
    }

    #[test]
    fn powers() {
        assert_eq!(c("pow", &[i(2), i(-1)]).unwrap(), f(0.5));
        assert_eq!(c("pow", &[i(2), i(10)]).unwrap(), i(1024));
        assert_eq!(c("pow", &[i(-3), i(3)]).unwrap(), i(-27));
        assert_eq!(c("pow", &[i(2), i(64)]).unwrap(), i(0));
        assert_eq!(c("pow", &[i(3), i(0)]).unwrap(), i(1));
        assert_eq!(c("pow", &[f(2.0), i(-2)]).unwrap(), f(0.25));
        assert!(c("pow", &[f(-8.0), f(1.0 / 3.0)]).is_err());
        assert!(c("pow", &[f(10.0), f(400.0)]).unwrap_err().to_string().contains("OverflowError"));
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(c("lt", &[i(1), i(2)]).unwrap(), Value::Bool(true));
        assert_eq!(c("ge", &[i(1), f(1.5)]).unwrap(), Value::Bool(false));
        assert_eq!(c("eq", &[f(f64::NAN), f(f64::NAN)]).unwrap(), Value::Bool(false));
        assert_eq!(c("ne", &[Value::from("x"), Value::from("y")]).unwrap(), Value::Bool(true));
        // Strings order by code point, as in Python.
        assert_eq!(c("lt", &[Value::from("Z"), Value::from("a")]).unwrap(), Value::Bool(true));
        assert_eq!(c("ge", &[Value::from("é"), Value::from("z")]).unwrap(), Value::Bool(true));
        assert_eq!(c("le", &[Value::from("ab"), Value::from("a")]).unwrap(), Value::Bool(false));
        assert_eq!(c("eq", &[Value::Bool(true), Value::Bool(true)]).unwrap(), Value::Bool(true));
        assert_eq!(c("__not__", &[Value::Bool(true)]).unwrap(), Value::Bool(false));
        assert_eq!(c("__is__", &[Value::None, Value::None]).unwrap(), Value::Bool(true));
        assert_eq!(c("__isnot__", &[i(1), Value::None]).unwrap(), Value::Bool(true));
    }

    #[test]
    fn tensor_overloads_still_win() {
        let t = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let r = c("add", &[Value::Tensor(t.clone()), i(1)]).unwrap();
        assert_eq!(r.as_tensor().unwrap().to_vec::<i64>(), vec![2, 3]);
        let r = c("remainder", &[i(-7), Value::Tensor(t)]).unwrap();
        assert_eq!(r.as_tensor().unwrap().to_vec::<i64>(), vec![0, 1]);
    }

    #[test]
    fn casts() {
        assert_eq!(c("Int", &[f(-2.7)]).unwrap(), i(-2));
        assert_eq!(c("Int", &[Value::Bool(true)]).unwrap(), i(1));
        assert!(c("Int", &[f(f64::NAN)]).is_err());
        assert!(c("Int", &[f(1e19)]).is_err());
        assert_eq!(c("Int", &[f(i64::MIN as f64)]).unwrap(), i(i64::MIN));
        assert_eq!(c("Float", &[i(3)]).unwrap(), f(3.0));
        assert_eq!(c("Bool", &[f(0.0)]).unwrap(), Value::Bool(false));
        let t = Tensor::scalar(Scalar::Float(2.5), DType::F32);
        assert_eq!(c("Int", &[Value::Tensor(t.clone())]).unwrap(), i(2));
        assert_eq!(c("Float", &[Value::Tensor(t.clone())]).unwrap(), f(2.5));
        assert_eq!(c("Bool", &[Value::Tensor(t)]).unwrap(), Value::Bool(true));
        let t2 = Tensor::zeros(&[2], DType::F32).unwrap();
        assert!(c("Int", &[Value::Tensor(t2)]).is_err());
    }

    #[test]
    fn containers() {
        let l = Value::List(vec![i(1), i(2), i(3)]);
        assert_eq!(c("len", std::slice::from_ref(&l)).unwrap(), i(3));
        assert_eq!(c("len", &[Value::Tuple(vec![i(1)])]).unwrap(), i(1));
        assert_eq!(c("len", &[Value::from("héllo")]).unwrap(), i(5));
        assert_eq!(c("__getitem__", &[l.clone(), i(-1)]).unwrap(), i(3));
        assert!(c("__getitem__", &[l.clone(), i(3)]).is_err());
        assert!(c("__getitem__", &[l.clone(), i(i64::MIN)]).is_err());
        assert_eq!(c("append", &[l, i(4)]).unwrap(), Value::List(vec![i(1), i(2), i(3), i(4)]));
        let t = Tensor::zeros(&[4, 2], DType::F32).unwrap();
        assert_eq!(c("len", &[Value::Tensor(t)]).unwrap(), i(4));
        assert!(c("len", &[Value::Tensor(Tensor::zeros(&[], DType::F32).unwrap())]).is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(py_range_length(0, 10, 3), Some(4));
        assert_eq!(py_range_length(10, 0, -3), Some(4));
        assert_eq!(py_range_length(0, 0, 1), Some(0));
        assert_eq!(py_range_length(5, 0, 1), Some(0));
        assert_eq!(py_range_length(0, 1, 0), None);
        assert_eq!(py_range_length(i64::MIN, i64::MAX, i64::MAX), Some(3));
        assert_eq!(c("__derive_index", &[i(2), i(10), i(-3)]).unwrap(), i(4));
        assert!(c("__range_length", &[i(0), i(1), i(0)]).is_err());
    }
}
