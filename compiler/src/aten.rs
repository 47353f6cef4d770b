//! `Op::Aten`: a runtime op named by schema (`aten.add.Tensor`,
//! `aten.linear`). The schema comes from `tsc_runtime::ops::registry()`;
//! this file only answers questions about it: validity, properties, and the
//! type rule (operands fully bound in schema order, keyword-only parameters
//! included, defaults filled; a tuple return is one output per element, a
//! `None` return no output).

use crate::types::Type;
use tsc_runtime::ops::{registry, Overload, Schema, Ty};

/// A runtime op and overload. Constructed only through [`AtenOp::new`], so
/// its schema always exists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AtenOp {
    name: String,
    overload: String,
}

/// Tensor ops that map each output element to the same-index elements of
/// their (broadcast) inputs. The fusion planner reads this list.
const ELEMENTWISE: &[&str] = &[
    // unary math
    "abs", "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc",
    "floor", "ceil", "round", "trunc", "frac", "sign", "sgn", "sigmoid", "logsigmoid", "bitwise_not", "logical_not",
    "isnan", "isinf", "isfinite", "nan_to_num", "deg2rad", "rad2deg", "positive",
    // activations
    "relu", "relu6", "gelu", "silu", "mish", "elu", "selu", "celu", "leaky_relu", "hardtanh", "hardsigmoid",
    "hardswish", "softplus", "softsign", "tanhshrink", "hardshrink", "softshrink", "threshold",
    // binary and ternary
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum",
    "fmax", "fmin", "atan2", "hypot", "copysign", "xlogy", "logaddexp", "lerp", "where", "clamp", "clamp_min",
    "clamp_max", "addcmul", "addcdiv", "bitwise_and", "bitwise_or", "bitwise_xor", "logical_and", "logical_or",
    "logical_xor", "masked_fill",
    // comparisons
    "eq", "ne", "lt", "le", "gt", "ge",
];

/// Ops whose result depends on (and advances) the global random state, or
/// that set it: never merged, folded or removed.
const NONDETERMINISTIC: &[&str] = &[
    "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm", "bernoulli", "normal",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_dropout", "feature_alpha_dropout",
    "rrelu", "manual_seed", "seed", "initial_seed",
];

/// Ops that write into an argument although their name has no `_` suffix.
const MUTATING: &[&str] = &["setitem"];

/// The overloads of `name`; an in-place variant `name_` that the runtime
/// derives from `name` has the overloads of `name`.
fn overloads(name: &str) -> &'static [Overload] {
    let direct = registry().overloads(name);
    match name.strip_suffix('_') {
        Some(base) if direct.is_empty() => registry().overloads(base),
        _ => direct,
    }
}

impl AtenOp {
    /// The op `name` with overload `overload` (empty for none), if the
    /// runtime registers it (or `name` is the in-place form of an op it does).
    pub fn new(name: &str, overload: &str) -> Result<AtenOp, String> {
        let ovs = overloads(name);
        if ovs.is_empty() {
            return Err(format!("unknown runtime op `{name}`"));
        }
        if !ovs.iter().any(|o| o.schema.overload == overload) {
            let known: Vec<String> = ovs.iter().map(|o| format!("`{}`", o.schema.overload)).collect();
            return Err(format!("`{name}` has no overload `{overload}` (overloads: {})", known.join(", ")));
        }
        Ok(AtenOp { name: name.to_string(), overload: overload.to_string() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn overload(&self) -> &str {
        &self.overload
    }

    /// The schema (the first registered overload of that name and overload
    /// name: registration order is the runtime's binding order).
    pub fn schema(&self) -> &'static Schema {
        let ovs = overloads(&self.name);
        match ovs.iter().find(|o| o.schema.overload == self.overload) {
            Some(o) => &o.schema,
            None => panic!("AtenOp `{}.{}` was validated at construction", self.name, self.overload),
        }
    }

    /// `aten.add.Tensor`, `aten.linear`.
    pub fn text(&self) -> String {
        if self.overload.is_empty() {
            format!("aten.{}", self.name)
        } else {
            format!("aten.{}.{}", self.name, self.overload)
        }
    }

    /// The name a runtime program's `Call` uses for exactly this overload:
    /// `add.Tensor`, `add_.Tensor`, `relu` (an op with one overload), or
    /// `sum.` (the overload with the empty name, when there are several).
    pub fn call_name(&self) -> String {
        if !self.overload.is_empty() {
            format!("{}.{}", self.name, self.overload)
        } else if overloads(&self.name).len() == 1 {
            self.name.clone()
        } else {
            format!("{}.", self.name)
        }
    }

    /// Writes into an argument (`add_`, `setitem`) or touches the random state.
    pub fn has_side_effects(&self) -> bool {
        self.name.ends_with('_') || MUTATING.contains(&self.name.as_str()) || NONDETERMINISTIC.contains(&self.name.as_str())
    }

    /// Reads or sets the random state.
    pub fn is_random(&self) -> bool {
        NONDETERMINISTIC.contains(&self.name.as_str())
    }

    pub fn is_elementwise(&self) -> bool {
        ELEMENTWISE.contains(&self.name.as_str())
    }

    /// Returns a fresh (mutable) list, so two calls are distinct objects.
    pub fn returns_list(&self) -> bool {
        fn has_list(t: &Ty) -> bool {
            match t {
                Ty::List(..) => true,
                Ty::Optional(t) => has_list(t),
                Ty::Tuple(ts) => ts.iter().any(has_list),
                _ => false,
            }
        }
        has_list(&self.schema().ret)
    }

    /// The operand index of a `bool inplace` parameter, if the schema has one.
    pub fn inplace_param(&self) -> Option<usize> {
        self.schema().params.iter().position(|p| p.name == "inplace" && p.ty == Ty::Bool)
    }

    /// The output types a node of this op may declare, one per output.
    pub fn result_tys(&self) -> Vec<&'static Ty> {
        match &self.schema().ret {
            Ty::Tuple(ts) => ts.iter().collect(),
            Ty::None => Vec::new(),
            t => vec![t],
        }
    }

    /// Reference evaluation through the runtime's eager op: `args` are the
    /// operands in schema order (keyword-only ones passed by name).
    pub fn eval(&self, args: &[tsc_runtime::Value]) -> Result<tsc_runtime::Value, String> {
        let ovs = overloads(&self.name);
        let Some(ov) = ovs.iter().find(|o| o.schema.overload == self.overload) else {
            return Err(format!("{}: no such overload", self.text()));
        };
        if args.len() != ov.schema.params.len() {
            return Err(format!("{}: takes {} operands", self.text(), ov.schema.params.len()));
        }
        let mut positional = Vec::new();
        let mut kwargs = Vec::new();
        for (p, a) in ov.schema.params.iter().zip(args) {
            if p.kw_only {
                kwargs.push((p.name.as_str(), a.clone()));
            } else {
                positional.push(a.clone());
            }
        }
        let vals = ov.schema.bind(&positional, &kwargs)?;
        (ov.run)(&tsc_runtime::ops::Args { op: &self.name, vals }).map_err(|e| e.to_string())
    }

    /// The type rule: operands against parameters, outputs against the return.
    pub fn check(&self, ins: &[&Type], outs: &[&Type]) -> Result<(), String> {
        let params = &self.schema().params;
        if ins.len() != params.len() {
            return Err(format!("takes {} operands (schema `{}`), got {}", params.len(), self.schema(), ins.len()));
        }
        for (p, t) in params.iter().zip(ins) {
            if !fits_param(t, &p.ty) {
                return Err(format!("operand `{}` must be {}, got {t}", p.name, p.ty));
            }
        }
        let rets = self.result_tys();
        if outs.len() != rets.len() {
            return Err(format!("has {} outputs (returns {}), got {}", rets.len(), self.schema().ret, outs.len()));
        }
        for (i, (r, t)) in rets.iter().zip(outs).enumerate() {
            if !fits_return(t, r) {
                return Err(format!("output {i} must be {r}, got {t}"));
            }
        }
        Ok(())
    }
}

/// Whether a value of type `t` may be passed for a parameter of schema type
/// `want` (the runtime's `coerce`, statically: int → float, a single number
/// for `int[N]`, tuple for list, str for Device).
pub fn fits_param(t: &Type, want: &Ty) -> bool {
    match (want, t) {
        (Ty::Any, _) => true,
        (Ty::Tensor, Type::Tensor(_)) => true,
        (Ty::Scalar, t) => t.is_number(),
        (Ty::Int, Type::Int) | (Ty::Bool, Type::Bool) | (Ty::Str, Type::Str) | (Ty::None, Type::None) => true,
        (Ty::Float, Type::Float | Type::Int) => true,
        (Ty::DType, Type::DType) | (Ty::Device, Type::Device | Type::Str) => true,
        (Ty::List(e, Some(_)), t) if t.is_number() => fits_param(t, e),
        (Ty::List(e, _), Type::List(x)) => fits_param(x, e),
        (Ty::List(e, _), Type::Tuple(xs)) => xs.iter().all(|x| fits_param(x, e)),
        (Ty::Optional(_), Type::None) => true,
        (Ty::Optional(w), Type::Optional(x)) => fits_param(x, w),
        (Ty::Optional(w), x) => fits_param(x, w),
        (Ty::Tuple(ws), Type::Tuple(xs)) => ws.len() == xs.len() && ws.iter().zip(xs).all(|(w, x)| fits_param(x, w)),
        _ => false,
    }
}

/// Whether an output may be declared `t` for a schema return type `ret`.
pub fn fits_return(t: &Type, ret: &Ty) -> bool {
    match (ret, t) {
        (Ty::Any, _) => true,
        (Ty::Tensor, Type::Tensor(_)) => true,
        (Ty::Scalar, t) => t.is_number(),
        (Ty::Int, Type::Int) | (Ty::Float, Type::Float) | (Ty::Bool, Type::Bool) | (Ty::Str, Type::Str) => true,
        (Ty::None, Type::None) | (Ty::DType, Type::DType) | (Ty::Device, Type::Device) => true,
        (Ty::List(e, _), Type::List(x)) => fits_return(x, e),
        (Ty::Optional(w), Type::Optional(x)) => fits_return(x, w),
        (Ty::Optional(_), Type::None) => true,
        (Ty::Tuple(ws), Type::Tuple(xs)) => ws.len() == xs.len() && ws.iter().zip(xs).all(|(w, x)| fits_return(x, w)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_lists_name_registered_ops() {
        for name in ELEMENTWISE.iter().chain(NONDETERMINISTIC).chain(MUTATING) {
            assert!(!registry().overloads(name).is_empty(), "`{name}` is not a runtime op");
        }
    }

    #[test]
    fn validates_against_the_registry() {
        let add = AtenOp::new("add", "Tensor").unwrap();
        assert_eq!(add.text(), "aten.add.Tensor");
        assert!(add.is_elementwise() && !add.has_side_effects());
        assert!(AtenOp::new("add", "Nope").unwrap_err().contains("overloads"));
        assert!(AtenOp::new("nope", "").is_err());
        assert!(AtenOp::new("randn", "").unwrap().has_side_effects());
        let add_ = AtenOp::new("add_", "Tensor").unwrap();
        assert!(add_.has_side_effects() && add_.schema().name == "add");
        assert!(AtenOp::new("split", "").map(|a| a.returns_list()).unwrap_or(true));
        assert_eq!(add_.call_name(), "add_.Tensor");
        assert_eq!(AtenOp::new("linear", "").unwrap().call_name(), "linear");
    }

    #[test]
    fn type_rule_checks_operands_and_outputs() {
        let add = AtenOp::new("add", "Tensor").unwrap();
        let t = Type::tensor();
        assert!(add.check(&[&t, &t, &Type::Int], &[&t]).is_ok());
        assert!(add.check(&[&t, &t], &[&t]).unwrap_err().contains("takes 3"));
        assert!(add.check(&[&t, &Type::Str, &Type::Int], &[&t]).unwrap_err().contains("`other`"));
        assert!(add.check(&[&t, &t, &Type::Int], &[&Type::Int]).is_err());
    }
}
