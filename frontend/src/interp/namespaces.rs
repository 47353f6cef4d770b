//! The importable namespaces — `torch`, `torch.nn`, `torch.nn.functional`,
//! `torch.jit`, `math`, `typing` — and calls of the functions they hold.
//! `torch.X`, `F.X` and `x.X(...)` all call the runtime op `X`: its schema
//! table is the single list of tensor functions.

use super::builtins::{as_index, from_rt, to_rt};
use super::value::Value;
use super::{err, Interp, R};
use std::rc::Rc;
use tsc_runtime::{ops, DType, Device, Error as RtError, Value as RV};

const MODULES: &[&str] =
    &["torch", "torch.nn", "torch.nn.functional", "torch.jit", "math", "typing", "typing_extensions"];

/// Whether `import name` is supported.
pub fn check_module(name: &str) -> Result<(), String> {
    if MODULES.contains(&name) {
        Ok(())
    } else {
        Err(format!("module '{name}' is not supported (tsc programs may import: {})", MODULES.join(", ")))
    }
}

fn dtype_attr(name: &str) -> Option<DType> {
    Some(match name {
        "float32" | "float" => DType::F32,
        "float64" | "double" => DType::F64,
        "float16" | "half" => DType::F16,
        "bfloat16" => DType::BF16,
        "int64" | "long" => DType::I64,
        "int32" | "int" => DType::I32,
        "int16" | "short" => DType::I16,
        "int8" => DType::I8,
        "uint8" => DType::U8,
        "bool" => DType::Bool,
        _ => return None,
    })
}

fn ns_fn(qual: String) -> Value {
    Value::Builtin(Rc::from(format!("ns:{qual}").as_str()))
}

const MATH_FNS: &[&str] = &[
    "sqrt", "exp", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "floor", "ceil", "trunc", "fabs", "pow", "isnan", "isinf", "isfinite", "erf", "erfc",
    "lgamma", "gcd", "copysign", "fmod", "hypot", "degrees", "radians",
];

impl Interp {
    /// `ns.name` (also `from ns import name`).
    pub(crate) fn namespace_attr(&self, ns: &str, name: &str) -> Option<Value> {
        let reg = ops::registry();
        match ns {
            "torch" => {
                if let Some(d) = dtype_attr(name) {
                    return Some(Value::DType(d));
                }
                Some(match name {
                    "Tensor" => Value::Builtin(Rc::from("torch.Tensor")),
                    "nn" | "jit" | "linalg" => Value::Namespace(Rc::from(format!("torch.{name}").as_str())),
                    "inf" => Value::Float(f64::INFINITY),
                    "nan" => Value::Float(f64::NAN),
                    "pi" => Value::Float(std::f64::consts::PI),
                    "e" => Value::Float(std::f64::consts::E),
                    "device" | "is_tensor" | "get_default_dtype" => ns_fn(format!("torch.{name}")),
                    _ if reg.contains(name) => ns_fn(format!("torch.{name}")),
                    _ => return None,
                })
            }
            "torch.nn" => Some(match name {
                "Module" => Value::Class(self.module_base.clone()),
                "Sequential" => Value::Class(self.containers[0].clone()),
                "ModuleList" => Value::Class(self.containers[1].clone()),
                "ModuleDict" => Value::Class(self.containers[2].clone()),
                "Parameter" => ns_fn("nn.Parameter".into()),
                "functional" => Value::Namespace(Rc::from("torch.nn.functional")),
                _ => return self.prelude.borrow().get(name).filter(|v| matches!(v, Value::Class(_))).cloned(),
            }),
            "torch.nn.functional" => reg.contains(name).then(|| ns_fn(format!("F.{name}"))),
            // `torch.linalg.vector_norm` is the op `vector_norm`.
            "torch.linalg" => reg.contains(name).then(|| ns_fn(format!("torch.linalg.{name}"))),
            "torch.jit" => match name {
                "Final" => Some(Value::Namespace(Rc::from("typing.Final"))),
                "script" | "trace" | "export" | "ignore" | "unused" | "annotate" | "is_scripting" | "is_tracing" => {
                    Some(ns_fn(format!("torch.jit.{name}")))
                }
                _ => None,
            },
            "math" => Some(match name {
                "pi" => Value::Float(std::f64::consts::PI),
                "e" => Value::Float(std::f64::consts::E),
                "tau" => Value::Float(std::f64::consts::TAU),
                "inf" => Value::Float(f64::INFINITY),
                "nan" => Value::Float(f64::NAN),
                _ if MATH_FNS.contains(&name) => ns_fn(format!("math.{name}")),
                _ => return None,
            }),
            "typing" | "typing_extensions" => matches!(
                name,
                "List" | "Tuple" | "Optional" | "Dict" | "Any" | "Union" | "Final" | "Callable" | "NamedTuple"
            )
            .then(|| Value::Namespace(Rc::from(format!("typing.{name}").as_str()))),
            _ => None,
        }
    }

    /// Calls `torch.X`, `F.X`, `nn.Parameter`, `math.X`, `torch.jit.X`.
    pub(crate) fn call_namespace_fn(&self, qual: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> R<Value> {
        let (ns, name) = qual.rsplit_once('.').unwrap_or(("", qual));
        match (ns, name) {
            ("torch", "device") => match args.first() {
                Some(Value::Str(s)) => Device::parse(s).map(Value::Device).map_or_else(|| err(format!("invalid device '{s}'")), Ok),
                Some(d @ Value::Device(_)) => Ok(d.clone()),
                _ => err("torch.device() needs a string"),
            },
            ("torch", "is_tensor") => Ok(Value::Bool(matches!(args.first(), Some(Value::Tensor(_))))),
            ("torch", "get_default_dtype") => Ok(Value::DType(DType::F32)),
            ("torch.jit", "annotate") => args.get(1).cloned().map_or_else(|| err("torch.jit.annotate(type, value)"), Ok),
            ("torch.jit", "is_scripting" | "is_tracing") => Ok(Value::Bool(false)),
            ("torch.jit", _) => args.first().cloned().map_or_else(|| err(format!("torch.jit.{name} needs an argument")), Ok),
            ("nn", "Parameter") => match args.first() {
                Some(Value::Tensor(t)) => {
                    self.pending_params.borrow_mut().push(t.clone());
                    Ok(Value::Tensor(t.clone()))
                }
                _ => err("nn.Parameter() needs a tensor"),
            },
            ("math", f) => math_fn(f, &args),
            (_, op) => call_op(op, args, kwargs, 0),
        }
    }
}

/// Calls runtime op `name`. Like PyTorch, trailing ints may be given
/// unpacked where the op takes an `int[]` (`x.view(2, 3)`, `torch.zeros(2, 3)`),
/// and the argument PyTorch's Python API calls `input` binds to `self`.
pub(crate) fn call_op(name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>, first_pack: usize) -> R<Value> {
    let rargs: Vec<RV> = args.iter().map(to_rt).collect::<R<_>>()?;
    // Only a keyword named `input` needs the schemas' first-parameter names.
    let self_first = || ops::registry().overloads(name).iter().all(|o| o.schema.params.first().is_some_and(|p| p.name == "self"));
    let rkw: Vec<(String, RV)> = kwargs
        .iter()
        .map(|(k, v)| Ok((if k == "input" && self_first() { "self".to_string() } else { k.clone() }, to_rt(v)?)))
        .collect::<R<_>>()?;
    let kw: Vec<(&str, RV)> = rkw.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    match ops::call(name, &rargs, &kw) {
        Ok(v) => Ok(from_rt(v)),
        Err(e @ RtError::Signature(_)) => {
            for p in first_pack..rargs.len() {
                let tail = &rargs[p..];
                if !tail.iter().all(|a| matches!(a, RV::Int(_))) {
                    continue;
                }
                let mut packed = rargs[..p].to_vec();
                packed.push(RV::List(tail.to_vec()));
                if let Ok(v) = ops::call(name, &packed, &kw) {
                    return Ok(from_rt(v));
                }
            }
            err(e.to_string())
        }
        Err(e) => err(e.to_string()),
    }
}

fn math_fn(f: &str, args: &[Value]) -> R<Value> {
    let x = |i: usize| -> R<f64> {
        match args.get(i) {
            Some(Value::Int(v)) => Ok(*v as f64),
            Some(Value::Bool(b)) => Ok(*b as i64 as f64),
            Some(Value::Float(v)) => Ok(*v),
            Some(o) => err(format!("math.{f}() needs a number, got {}", o.type_name())),
            None => err(format!("math.{f}() is missing an argument")),
        }
    };
    let fl = |v: f64| Ok(Value::Float(v));
    match f {
        "sqrt" => {
            let a = x(0)?;
            if a < 0.0 {
                return err("ValueError: math domain error");
            }
            fl(a.sqrt())
        }
        "exp" => fl(x(0)?.exp()),
        "log" => {
            let a = x(0)?;
            if a <= 0.0 {
                return err("ValueError: math domain error");
            }
            match args.len() {
                1 => fl(a.ln()),
                _ => fl(a.ln() / x(1)?.ln()),
            }
        }
        "log2" => fl(x(0)?.log2()),
        "log10" => fl(x(0)?.log10()),
        "log1p" => fl(x(0)?.ln_1p()),
        "expm1" => fl(x(0)?.exp_m1()),
        "sin" => fl(x(0)?.sin()),
        "cos" => fl(x(0)?.cos()),
        "tan" => fl(x(0)?.tan()),
        "asin" => fl(x(0)?.asin()),
        "acos" => fl(x(0)?.acos()),
        "atan" => fl(x(0)?.atan()),
        "atan2" => fl(x(0)?.atan2(x(1)?)),
        "sinh" => fl(x(0)?.sinh()),
        "cosh" => fl(x(0)?.cosh()),
        "tanh" => fl(x(0)?.tanh()),
        "floor" | "ceil" | "trunc" => {
            let a = x(0)?;
            let r = match f {
                "floor" => a.floor(),
                "ceil" => a.ceil(),
                _ => a.trunc(),
            };
            if !r.is_finite() {
                return err(format!("cannot convert float {a} to integer"));
            }
            Ok(Value::Int(r as i64))
        }
        "fabs" => fl(x(0)?.abs()),
        "pow" => fl(x(0)?.powf(x(1)?)),
        "isnan" => Ok(Value::Bool(x(0)?.is_nan())),
        "isinf" => Ok(Value::Bool(x(0)?.is_infinite())),
        "isfinite" => Ok(Value::Bool(x(0)?.is_finite())),
        "copysign" => fl(x(0)?.copysign(x(1)?)),
        "fmod" => fl(x(0)? % x(1)?),
        "hypot" => fl(x(0)?.hypot(x(1)?)),
        "degrees" => fl(x(0)?.to_degrees()),
        "radians" => fl(x(0)?.to_radians()),
        "gcd" => {
            let (mut a, mut b) = (args.first().and_then(as_index).unwrap_or(0).abs(), args.get(1).and_then(as_index).unwrap_or(0).abs());
            while b != 0 {
                (a, b) = (b, a % b);
            }
            Ok(Value::Int(a))
        }
        // erf, erfc, lgamma: through the runtime's (tested) kernels on a 0-d float64 tensor.
        _ => {
            let t = tsc_runtime::Tensor::scalar(tsc_runtime::Scalar::Float(x(0)?), DType::F64);
            match super::operators::rt_op(f, &[Value::Tensor(t)])? {
                Value::Tensor(r) => fl(super::rt(r.item())?.to_f64()),
                _ => err(format!("math.{f} failed")),
            }
        }
    }
}
