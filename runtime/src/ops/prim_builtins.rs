//! Python builtins beyond numbers, as registry ops, for compiled programs:
//! list slicing (`slice.t`, Python's `xs[a:b:c]`), `Optional` unwrapping
//! (`_unwrap_optional`), `print`, and `device("cuda:0")`. Names follow
//! TorchScript (`aten::slice.t`, `aten::_unwrap_optional`, `aten::device`,
//! `prim::Print`); the semantics are Python's:
//!
//! - a slice clamps its bounds like `slice.indices(len)`: negative bounds
//!   count from the end, out-of-range bounds clip, a negative step walks
//!   backwards from the end, and a zero step is a `ValueError`;
//! - `print(values)` writes each value's `str()` separated by spaces and a
//!   newline to stdout (strings unquoted, floats as Python's `repr`,
//!   `True`/`False`/`None`, containers with their items' `repr`; tensors in
//!   the runtime's own form).
//!
//! Registered after `prim.rs` (see `families()`), so tensor overloads of
//! the same name (`slice.Tensor`) bind first.

use super::{Args, OpDef};
use crate::{bail, Device, Error, Result, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "slice.t(Any[] self, int? start=None, int? end=None, int step=1) -> Any[]", run: slice },
    OpDef { schema: "_unwrap_optional(Any optional) -> Any", run: unwrap_optional },
    OpDef { schema: "print(Any[] values) -> None", run: print },
    OpDef { schema: "device(str a) -> Device", run: device },
];

/// The indices `range(start, stop, step)` that `xs[start:stop:step]` takes
/// from a sequence of `len` items (CPython's `PySlice_AdjustIndices`);
/// `None` when `step` is zero.
pub fn py_slice_indices(len: usize, start: Option<i64>, stop: Option<i64>, step: i64) -> Option<Vec<usize>> {
    if step == 0 {
        return None;
    }
    let (len, step) = (len as i128, step as i128);
    let (lower, upper) = if step > 0 { (0, len) } else { (-1, len - 1) };
    let clamp = |b: Option<i64>, default: i128| match b.map(i128::from) {
        None => default,
        Some(b) if b < 0 => (b + len).max(lower),
        Some(b) => b.min(upper),
    };
    let (from, to) = if step > 0 { (clamp(start, lower), clamp(stop, upper)) } else { (clamp(start, upper), clamp(stop, lower)) };
    let mut out = Vec::new();
    let mut i = from;
    // `i` stays within [-1, len] while the condition holds, so it fits a usize.
    while (step > 0 && i < to) || (step < 0 && i > to) {
        out.push(i as usize);
        i += step;
    }
    Some(out)
}

fn slice(a: &Args) -> Result<Value> {
    let items = a.value(0)?.as_seq().ok_or_else(|| Error::op(a.op, "internal: argument 0 should be a list"))?;
    let Some(idx) = py_slice_indices(items.len(), a.opt_int(1)?, a.opt_int(2)?, a.int(3)?) else {
        bail!(a.op, "ValueError: slice step cannot be zero");
    };
    Ok(Value::List(idx.into_iter().map(|i| items[i].clone()).collect()))
}

fn unwrap_optional(a: &Args) -> Result<Value> {
    match a.value(0)? {
        Value::None => bail!(a.op, "unwrapping a None value"),
        v => Ok(v.clone()),
    }
}

fn print(a: &Args) -> Result<Value> {
    use std::io::Write;
    let items = a.value(0)?.as_seq().ok_or_else(|| Error::op(a.op, "internal: argument 0 should be a list"))?;
    let line: Vec<String> = items.iter().map(py_str).collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", line.join(" ")).map_err(|e| Error::op(a.op, format!("OSError: {e}")))?;
    Ok(Value::None)
}

fn device(a: &Args) -> Result<Value> {
    let s = a.str(0)?;
    match Device::parse(s) {
        Some(d) => Ok(Value::Device(d)),
        None => bail!(a.op, "RuntimeError: invalid device string: '{s}'"),
    }
}

/// Python's `str(v)`: a string as it is, everything else as `repr`.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        v => py_repr(v),
    }
}

/// Python's `repr(v)` for the runtime's values.
pub fn py_repr(v: &Value) -> String {
    let join = |items: &[Value]| items.iter().map(py_repr).collect::<Vec<_>>().join(", ");
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => py_float(*x),
        Value::Str(s) => py_str_repr(s),
        Value::List(items) => format!("[{}]", join(items)),
        Value::Tuple(items) if items.len() == 1 => format!("({},)", join(items)),
        Value::Tuple(items) => format!("({})", join(items)),
        Value::Device(Device::Cpu) => "device(type='cpu')".into(),
        Value::Device(Device::Cuda(i)) => format!("device(type='cuda', index={i})"),
        v => v.to_string(),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, an exponent below
/// 1e-4 and from 1e16 on (`1e-05`, `1e+16`), `inf`, `nan`.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `Debug` switches to exponent form at the same thresholds.
    let s = format!("{x:?}");
    match s.split_once('e') {
        Some((mant, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mant}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Python's `repr(str)`: single quotes unless the text has a `'` and no `"`.
fn py_str_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::call;

    fn ints(v: &[i64]) -> Value {
        Value::List(v.iter().map(|&i| Value::Int(i)).collect())
    }
    fn opt(v: Option<i64>) -> Value {
        v.map_or(Value::None, Value::Int)
    }

    /// Python: `list(range(10))[start:stop:step]`, listed from CPython.
    #[test]
    fn slices_follow_python() {
        let xs: Vec<i64> = (0..10).collect();
        let cases: &[(Option<i64>, Option<i64>, i64, &[i64])] = &[
            (None, None, 1, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            (Some(2), Some(5), 1, &[2, 3, 4]),
            (Some(-3), None, 1, &[7, 8, 9]),
            (None, Some(-7), 1, &[0, 1, 2]),
            (Some(-100), Some(100), 3, &[0, 3, 6, 9]),
            (None, None, -1, &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
            (Some(8), Some(2), -2, &[8, 6, 4]),
            (Some(100), Some(-100), -4, &[9, 5, 1]),
            (Some(5), Some(2), 1, &[]),
            (Some(i64::MIN), Some(i64::MAX), i64::MAX, &[0]),
            (Some(i64::MAX), Some(i64::MIN), i64::MIN, &[9]),
        ];
        for &(start, stop, step, want) in cases {
            let got = call("slice", &[ints(&xs), opt(start), opt(stop), Value::Int(step)], &[]).unwrap();
            assert_eq!(got, ints(want), "[{start:?}:{stop:?}:{step}]");
        }
        assert_eq!(py_slice_indices(0, None, None, -1), Some(vec![]));
        let e = call("slice", &[ints(&xs), Value::None, Value::None, Value::Int(0)], &[]).unwrap_err();
        assert!(e.to_string().contains("ValueError: slice step cannot be zero"), "{e}");
    }

    #[test]
    fn unwrap_device_and_repr() {
        assert_eq!(call("_unwrap_optional", &[Value::Int(3)], &[]).unwrap(), Value::Int(3));
        let e = call("_unwrap_optional", &[Value::None], &[]).unwrap_err();
        assert_eq!(e.to_string(), "_unwrap_optional: unwrapping a None value");
        assert_eq!(call("device", &[Value::from("cuda:1")], &[]).unwrap(), Value::Device(Device::Cuda(1)));
        assert!(call("device", &[Value::from("tpu")], &[]).is_err());
        assert_eq!(call("print", &[ints(&[])], &[]).unwrap(), Value::None);
        for (x, want) in [(1.0, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e-5, "1e-05"), (-2.5e-300, "-2.5e-300"), (123456.75, "123456.75"), (f64::NEG_INFINITY, "-inf")] {
            assert_eq!(py_float(x), want);
        }
        let v = Value::List(vec![Value::from("it's"), Value::Float(2.0), Value::Tuple(vec![Value::Bool(true)]), Value::None]);
        assert_eq!(py_repr(&v), "[\"it's\", 2.0, (True,), None]");
        assert_eq!(py_str(&Value::from("a\nb")), "a\nb");
        assert_eq!(py_repr(&Value::from("a\nb'\"")), "'a\\nb\\'\"'");
    }
}
