//! The eager op library: every op with PyTorch's semantics, registered by
//! schema. `call("add", &args, &kwargs)` binds the arguments against each
//! overload of `add` in order and runs the first that fits; the same
//! schemas drive the frontend's type checker and the compiler's `Op` enum.
//!
//! In-place variants (`add_`, `clamp_`, ...) need no registration: when
//! `name_` is not registered but `name` is, the result of `name` is written
//! into the first argument (after PyTorch's "can't cast float to int" check).
//!
//! Each family of ops lives in its own file and exports `OPS`, a table of
//! `OpDef { schema, run }`; `families()` lists the tables.

pub mod args;
pub mod schema;

pub mod activation;
pub mod binary;
pub mod compare;
pub mod conv;
pub mod convert;
pub mod creation;
pub mod elementwise;
pub mod index;
pub mod index_ops;
pub mod index_plan;
pub mod join;
pub mod linalg;
pub mod loss;
pub mod nn;
pub mod norm;
pub mod pool;
pub mod prim;
pub mod prim_builtins;
pub mod random;
pub mod reduce;
pub mod reduce_stats;
pub mod scan;
pub mod shape;
pub mod shape_copy;
pub mod sort;
pub mod unary;

pub use args::{Args, Operand};
pub use schema::{Param, Schema, Ty};

use crate::{Error, Result, Tensor, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One overload: its schema text and the function that runs it.
pub struct OpDef {
    pub schema: &'static str,
    pub run: fn(&Args) -> Result<Value>,
}

/// A registered overload.
pub struct Overload {
    pub schema: Schema,
    pub run: fn(&Args) -> Result<Value>,
}

/// All ops, by name, overloads in registration order.
pub struct Registry {
    by_name: HashMap<String, Vec<Overload>>,
}

fn families() -> [&'static [OpDef]; 24] {
    [
        activation::OPS,
        binary::OPS,
        compare::OPS,
        conv::OPS,
        convert::OPS,
        creation::OPS,
        index::OPS,
        index_ops::OPS,
        join::OPS,
        linalg::OPS,
        loss::OPS,
        nn::OPS,
        norm::OPS,
        pool::OPS,
        random::OPS,
        reduce::OPS,
        reduce_stats::OPS,
        scan::OPS,
        shape::OPS,
        shape_copy::OPS,
        sort::OPS,
        unary::OPS,
        prim::OPS, // last: Python scalar overloads come after the tensor ones
        prim_builtins::OPS,
    ]
}

impl Registry {
    fn build() -> Registry {
        let mut by_name: HashMap<String, Vec<Overload>> = HashMap::new();
        for defs in families() {
            for d in defs {
                let schema = match Schema::parse(d.schema) {
                    Ok(s) => s,
                    // The schema table is static source text: a bad entry is
                    // a bug caught by `registry_builds` in the unit tests.
                    Err(e) => panic!("invalid op schema `{}`: {e}", d.schema),
                };
                by_name.entry(schema.name.clone()).or_default().push(Overload { schema, run: d.run });
            }
        }
        Registry { by_name }
    }

    /// The overloads of `name` (empty when unknown).
    pub fn overloads(&self, name: &str) -> &[Overload] {
        self.by_name.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every registered op name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Whether `name` can be called (directly or as an in-place variant).
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || name.strip_suffix('_').is_some_and(|b| self.by_name.contains_key(b))
    }

    /// Calls op `name`.
    pub fn call(&self, name: &str, args: &[Value], kwargs: &[(&str, Value)]) -> Result<Value> {
        if let Some(ovs) = self.by_name.get(name) {
            let mut why = Vec::new();
            for ov in ovs {
                match ov.schema.bind(args, kwargs) {
                    Ok(vals) => return invoke(ov, &Args { op: name, vals }),
                    Err(e) => why.push(format!("  {}: {e}", ov.schema)),
                }
            }
            let got: Vec<String> = args.iter().map(|a| a.type_name()).chain(kwargs.iter().map(|(k, v)| format!("{k}={}", v.type_name()))).collect();
            return Err(Error::Signature(format!(
                "{name}: no overload accepts ({})\n{}",
                got.join(", "),
                why.join("\n")
            )));
        }
        if let Some(base) = name.strip_suffix('_') {
            if self.by_name.contains_key(base) {
                return self.call_inplace(name, base, args, kwargs);
            }
        }
        Err(Error::Signature(format!("unknown op `{name}`")))
    }

    fn call_inplace(&self, name: &str, base: &str, args: &[Value], kwargs: &[(&str, Value)]) -> Result<Value> {
        let Some(Value::Tensor(target)) = args.first() else {
            return Err(Error::op(name, "an in-place op needs a tensor as its first argument"));
        };
        let result = self.call(base, args, kwargs)?;
        write_inplace(name, target, result)
    }
}

/// Runs overload `ov` on bound arguments: on the CPU, or through
/// `cuda::dispatch` when an argument holds a CUDA tensor.
#[inline]
pub(crate) fn invoke(ov: &Overload, args: &Args) -> Result<Value> {
    if args.vals.iter().any(crate::cuda::holds_cuda) {
        return crate::cuda::dispatch(ov, args);
    }
    (ov.run)(args)
}

/// The in-place half of `name_` (e.g. `add_`): writes `result`, what
/// `name` computed, into `target`, as PyTorch does: the result must cast to
/// the target's dtype and broadcast to its shape. Returns `target`.
pub(crate) fn write_inplace(name: &str, target: &Tensor, result: Value) -> Result<Value> {
    let Value::Tensor(r) = result else {
        return Err(Error::op(name, "has no in-place form (its result is not a tensor)"));
    };
    if crate::dtype::promote_types(r.dtype(), target.dtype()) != target.dtype() && r.dtype().category() > target.dtype().category() {
        return Err(Error::op(name, format!("result type {} can't be cast to the desired output type {}", r.dtype(), target.dtype())));
    }
    if crate::shape::broadcast_shapes(name, r.shape(), target.shape())? != target.shape() {
        return Err(Error::op(name, format!("output with shape {:?} doesn't match the broadcast shape {:?}", target.shape(), r.shape())));
    }
    target.assign(&r)?;
    Ok(Value::Tensor(target.clone()))
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::build)
}

/// Calls op `name` with positional and keyword arguments.
pub fn call(name: &str, args: &[Value], kwargs: &[(&str, Value)]) -> Result<Value> {
    registry().call(name, args, kwargs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_builds() {
        let r = super::registry();
        for name in r.names() {
            assert!(!r.overloads(name).is_empty());
        }
    }
}
