//! Calling a registry op from a `Call` node with the overloads resolved by
//! the plan. Inputs are positional in schema order, keyword-only parameters
//! included. The result is exactly `Registry::call`'s (the first overload
//! that binds wins), with a fast path: an overload whose parameters the
//! arguments match exactly (no conversion) runs on the arguments as they
//! are, and one that cannot match is skipped without formatting an error.

use crate::ops::schema::Ty;
use crate::ops::{invoke, Args, Overload, Schema};
use crate::{Error, Result, Value};

#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    /// `coerce` fails for sure.
    No,
    /// `coerce` may succeed, converting the value.
    Maybe,
    /// `coerce` returns the value unchanged.
    Exact,
}

/// How `v` fits `ty`; never says `No` when `schema::coerce` would accept.
fn fit(ty: &Ty, v: &Value) -> Fit {
    match (ty, v) {
        (Ty::Any, _) | (Ty::Optional(_), Value::None) | (Ty::None, Value::None) => Fit::Exact,
        (Ty::Optional(t), v) => fit(t, v),
        (Ty::Tensor, Value::Tensor(_))
        | (Ty::Scalar, Value::Bool(_) | Value::Int(_) | Value::Float(_))
        | (Ty::Int, Value::Int(_))
        | (Ty::Float, Value::Float(_))
        | (Ty::Bool, Value::Bool(_))
        | (Ty::Str, Value::Str(_))
        | (Ty::DType, Value::DType(_))
        | (Ty::Device, Value::Device(_)) => Fit::Exact,
        (Ty::Float, Value::Int(_)) | (Ty::Device, Value::Str(_)) => Fit::Maybe,
        (Ty::List(..), Value::List(_) | Value::Tuple(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)) => Fit::Maybe,
        (Ty::Tuple(_), Value::List(_) | Value::Tuple(_)) => Fit::Maybe,
        _ => Fit::No,
    }
}

/// How a whole argument list fits a schema.
fn fit_all(s: &Schema, args: &[Value]) -> Fit {
    if args.len() > s.params.len() || s.params[args.len()..].iter().any(|p| p.default.is_none()) {
        return Fit::No;
    }
    s.params.iter().zip(args).map(|(p, v)| fit(&p.ty, v)).min().unwrap_or(Fit::Exact)
}

/// `Schema::bind` with every argument positional, keyword-only ones passed
/// by name.
fn bind(s: &Schema, args: &[Value]) -> Result<Vec<Value>, String> {
    let npos = s.params.iter().take_while(|p| !p.kw_only).count();
    if args.len() <= npos {
        return s.bind(args, &[]);
    }
    let kw: Vec<(&str, Value)> = s.params[npos..].iter().zip(&args[npos..]).map(|(p, v)| (p.name.as_str(), v.clone())).collect();
    s.bind(&args[..npos], &kw)
}

/// Runs the first overload of `name` that accepts `args`.
pub(super) fn call(name: &str, overloads: &'static [Overload], args: Vec<Value>) -> Result<Value> {
    call_with(name, overloads, args, invoke)
}

/// [`call`], with `run` in place of [`invoke`] for the overload that binds
/// the arguments (an op the plan fused with its consumer).
pub(super) fn call_with(name: &str, overloads: &'static [Overload], mut args: Vec<Value>, run: impl Fn(&Overload, &Args) -> Result<Value>) -> Result<Value> {
    for ov in overloads {
        let op = ov.schema.name.as_str();
        match fit_all(&ov.schema, &args) {
            Fit::No => {}
            Fit::Exact => {
                for p in &ov.schema.params[args.len()..] {
                    args.push(p.default.clone().unwrap_or(Value::None));
                }
                return run(ov, &Args { op, vals: args });
            }
            Fit::Maybe => {
                if let Ok(vals) = bind(&ov.schema, &args) {
                    return run(ov, &Args { op, vals });
                }
            }
        }
    }
    let why: Vec<String> = overloads.iter().map(|ov| format!("  {}: {}", ov.schema, bind(&ov.schema, &args).err().unwrap_or_default())).collect();
    let got: Vec<String> = args.iter().map(Value::type_name).collect();
    Err(Error::Signature(format!("{name}: no overload accepts ({})\n{}", got.join(", "), why.join("\n"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::registry;
    use crate::{DType, Tensor};

    fn run(name: &str, args: Vec<Value>) -> Result<Value> {
        call(name, registry().overloads(name), args)
    }

    #[test]
    fn agrees_with_the_registry() {
        let t = Value::Tensor(Tensor::from_vec(vec![1.0f32, -2.0], &[2]).unwrap());
        let i = Value::Int;
        // (op, positional, keyword): the node passes both positionally.
        type Case<'a> = (&'a str, Vec<Value>, Vec<(&'a str, Value)>);
        let cases: Vec<Case> = vec![
            ("add", vec![i(1), i(2)], vec![]),
            ("add", vec![i(1), Value::Float(2.5)], vec![]),
            ("add", vec![t.clone(), i(2)], vec![]),
            ("add", vec![t.clone(), t.clone()], vec![("alpha", i(3))]),
            ("sum", vec![t.clone()], vec![]),
            ("sum", vec![t.clone(), i(0)], vec![]),
            ("sum", vec![t.clone(), Value::List(vec![i(0)]), Value::Bool(true)], vec![("dtype", Value::DType(DType::F64))]),
            ("relu", vec![t.clone()], vec![]),
            ("floordiv", vec![Value::Float(7.0), i(-2)], vec![]),
        ];
        for (name, pos, kw) in cases {
            let flat: Vec<Value> = pos.iter().cloned().chain(kw.iter().map(|(_, v)| v.clone())).collect();
            let got = run(name, flat).unwrap();
            let want = registry().call(name, &pos, &kw).unwrap();
            match (&got, &want) {
                (Value::Tensor(a), Value::Tensor(b)) => {
                    assert_eq!(a.dtype(), b.dtype(), "{name}");
                    assert_eq!(a.to_vec::<f64>(), b.to_vec::<f64>(), "{name}");
                }
                _ => assert_eq!(got, want, "{name}"),
            }
        }
    }

    #[test]
    fn no_overload_is_a_signature_error() {
        let e = run("add", vec![Value::from("a"), Value::Int(1)]).unwrap_err();
        assert!(matches!(e, Error::Signature(_)), "{e}");
        assert!(e.to_string().contains("add.int"), "{e}");
    }
}
