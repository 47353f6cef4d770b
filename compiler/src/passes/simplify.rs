//! Algebraic simplification by a table of rewrite rules, one line each
//! with its algebra in a comment. A rule fires only when it is exact under
//! PyTorch's semantics: the operand it keeps must have the type (dtype
//! included, after PyTorch's promotion with the constant) the node
//! produces, and the rule's domain must hold (`x + 0 -> x` is not exact for
//! floats: `-0.0 + 0 == +0.0`). Nodes are visited in program order; a
//! rewritten node's uses are redirected and the node removed.

use crate::entity::{Block, Node, Value};
use crate::error::PassError;
use crate::graph::{ConstValue, Graph};
use crate::op::{node_has_side_effects, Literal};
use crate::passes::literal_of;
use crate::types::Type;
use std::collections::HashMap;
use tsc_runtime::{DType, ResultType, Scalar};

/// The constant a rule asks an operand to be.
#[derive(Copy, Clone)]
enum Want {
    Num(f64),
    None,
}

/// The shape of a rule's match and its replacement.
#[derive(Copy, Clone)]
enum Pat {
    /// Operand `at` is the constant `c` and each `(i, w)` of `also` holds:
    /// the result is operand `keep`.
    Unit { keep: usize, at: usize, c: f64, also: &'static [(usize, Want)] },
    /// Operand 0 is the same op with the same other operands, applied to
    /// `x`: the result is `x`.
    Involution,
    /// Operand 0 is the same op with the same other operands: the result is
    /// operand 0.
    Idempotent,
}

/// The dtypes (or scalar types) of the kept operand the rule is exact for.
#[derive(Copy, Clone, PartialEq)]
enum Domain {
    Any,
    /// Integer tensors or `int` scalars only.
    Int,
    /// Float tensors or `float` scalars only (where ints would change type).
    Float,
    /// Not `bool` (where the op raises for bool and the rewrite would not).
    NonBool,
}

struct Rule {
    op: &'static str,
    pat: Pat,
    domain: Domain,
}

const fn rule(op: &'static str, pat: Pat, domain: Domain) -> Rule {
    Rule { op, pat, domain }
}
const fn unit(keep: usize, at: usize, c: f64) -> Pat {
    Pat::Unit { keep, at, c, also: &[] }
}
const ALPHA_1: &[(usize, Want)] = &[(2, Want::Num(1.0))];
const NO_ROUNDING: &[(usize, Want)] = &[(2, Want::None)];

use Domain::*;
use Pat::{Idempotent, Involution};

#[rustfmt::skip]
const RULES: &[Rule] = &[
    rule("aten.mul.Tensor", unit(0, 1, 1.0), Any),                  // x * 1 -> x
    rule("aten.mul.Tensor", unit(1, 0, 1.0), Any),                  // 1 * x -> x
    rule("aten.mul.Scalar", unit(0, 1, 1.0), Any),                  // x * 1 -> x
    rule("aten.add.Tensor", Pat::Unit { keep: 0, at: 1, c: 0.0, also: ALPHA_1 }, Int), // x + 0 -> x (ints: -0.0 + 0 is +0.0)
    rule("aten.add.Scalar", Pat::Unit { keep: 0, at: 1, c: 0.0, also: ALPHA_1 }, Int), // x + 0 -> x (ints)
    rule("aten.sub.Tensor", Pat::Unit { keep: 0, at: 1, c: 0.0, also: ALPHA_1 }, Any), // x - 0 -> x
    rule("aten.sub.Scalar", Pat::Unit { keep: 0, at: 1, c: 0.0, also: ALPHA_1 }, Any), // x - 0 -> x
    rule("aten.div.Tensor_mode", Pat::Unit { keep: 0, at: 1, c: 1.0, also: NO_ROUNDING }, Float), // x / 1 -> x (floats: ints divide to float)
    rule("aten.div.Scalar_mode", Pat::Unit { keep: 0, at: 1, c: 1.0, also: NO_ROUNDING }, Float), // x / 1 -> x (floats)
    rule("aten.pow.Tensor_Scalar", unit(0, 1, 1.0), Any),           // x ** 1 -> x
    rule("aten.neg", Involution, NonBool),                          // -(-x) -> x
    rule("aten.transpose.int", Involution, Any),                    // transpose(transpose(x, a, b), a, b) -> x
    rule("aten.relu", Idempotent, Any),                             // relu(relu(x)) -> relu(x)
    rule("scalar.mul", unit(0, 1, 1.0), Any),                       // x * 1 -> x
    rule("scalar.mul", unit(1, 0, 1.0), Any),                       // 1 * x -> x
    rule("scalar.add", unit(0, 1, 0.0), Int),                       // x + 0 -> x (ints: -0.0 + 0 is +0.0)
    rule("scalar.add", unit(1, 0, 0.0), Int),                       // 0 + x -> x (ints)
    rule("scalar.sub", unit(0, 1, 0.0), Any),                       // x - 0 -> x
    rule("scalar.truediv", unit(0, 1, 1.0), Float),                 // x / 1 -> x (floats: ints divide to float)
    rule("scalar.floordiv", unit(0, 1, 1.0), Int),                  // x // 1 -> x (ints: floats floor)
    rule("scalar.neg", Involution, Any),                            // -(-x) -> x
    rule("scalar.not", Involution, Any),                            // not not x -> x
];

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut subst = HashMap::new();
    let changed = block(g, g.entry, &mut subst);
    Ok(changed)
}

fn block(g: &mut Graph, b: Block, subst: &mut HashMap<Value, Value>) -> bool {
    let mut changed = false;
    let mut keep = Vec::new();
    for n in g.block(b).nodes.clone() {
        let inputs: Vec<Value> = g.node(n).inputs.iter().map(|v| *subst.get(v).unwrap_or(v)).collect();
        g.node_mut(n).inputs = inputs;
        for inner in g.node(n).blocks.clone() {
            changed |= block(g, inner, subst);
        }
        match rewrite(g, n) {
            Some(v) => {
                subst.insert(g.node(n).outputs[0], v);
                g.detach_node(n);
                changed = true;
            }
            None => keep.push(n),
        }
    }
    g.block_mut(b).nodes = keep;
    for r in g.block_mut(b).results.iter_mut() {
        *r = *subst.get(r).unwrap_or(r);
    }
    changed
}

/// The value replacing `n`'s single output, if a rule fires.
fn rewrite(g: &Graph, n: Node) -> Option<Value> {
    let node = g.node(n);
    if node.outputs.len() != 1 || node_has_side_effects(g, n) {
        return None;
    }
    let name = node.op.name();
    RULES.iter().filter(|r| r.op == name).find_map(|r| apply(g, n, r))
}

fn apply(g: &Graph, n: Node, rule: &Rule) -> Option<Value> {
    let node = g.node(n);
    let out = node.outputs[0];
    let (x, c) = match rule.pat {
        Pat::Unit { keep, at, c, also } => {
            let ok = constant(g, *node.inputs.get(at)?).is_some_and(|k| k.value() == c)
                && also.iter().all(|&(i, w)| node.inputs.get(i).is_some_and(|&v| wants(g, v, w)));
            if !ok {
                return None;
            }
            (*node.inputs.get(keep)?, constant(g, node.inputs[at]))
        }
        Pat::Involution | Pat::Idempotent => {
            let inner = g.def_node(*node.inputs.first()?)?;
            let i = g.node(inner);
            let same_rest = i.op == node.op && i.inputs.len() == node.inputs.len() && i.inputs[1..].iter().zip(&node.inputs[1..]).all(|(&a, &b)| same_operand(g, a, b));
            if !same_rest {
                return None;
            }
            let x = if matches!(rule.pat, Pat::Involution) { i.inputs[0] } else { node.inputs[0] };
            (x, None)
        }
    };
    (g.ty(x).refines(g.ty(out)) && in_domain(g.ty(x), rule.domain) && keeps_type(g.ty(x), g.ty(out), c)).then_some(x)
}

/// A constant operand of a unit rule: a Python number or a 0-d tensor.
#[derive(Copy, Clone)]
enum Const {
    Number(Scalar),
    Tensor0(DType, f64),
}

impl Const {
    fn value(self) -> f64 {
        match self {
            Const::Number(s) => s.to_f64(),
            Const::Tensor0(_, v) => v,
        }
    }
}

fn constant(g: &Graph, v: Value) -> Option<Const> {
    if let Some(l) = literal_of(g, v) {
        return match l {
            Literal::Int(i) => Some(Const::Number(Scalar::Int(i))),
            Literal::Float(f) => Some(Const::Number(Scalar::Float(f))),
            Literal::Bool(b) => Some(Const::Number(Scalar::Bool(b))),
            _ => None,
        };
    }
    let n = g.def_node(v)?;
    let crate::Op::Const(c) = g.node(n).op else { return None };
    match &g.consts.get(c.index())?.value {
        ConstValue::Tensor(t) if t.ndim() == 0 => Some(Const::Tensor0(t.dtype(), t.item().ok()?.to_f64())),
        _ => None,
    }
}

fn wants(g: &Graph, v: Value, w: Want) -> bool {
    match (w, literal_of(g, v)) {
        (Want::None, Some(Literal::None)) => true,
        (Want::Num(c), _) => constant(g, v).is_some_and(|k| k.value() == c),
        _ => false,
    }
}

/// Equal operands: the same value or equal literals.
fn same_operand(g: &Graph, a: Value, b: Value) -> bool {
    a == b || matches!((literal_of(g, a), literal_of(g, b)), (Some(x), Some(y)) if x == y)
}

fn in_domain(t: &Type, d: Domain) -> bool {
    match (d, t) {
        (Any, _) => true,
        (Int, Type::Tensor(tt)) => tt.dtype.is_some_and(|d| d.is_int()),
        (Float, Type::Tensor(tt)) => tt.dtype.is_some_and(|d| d.is_float()),
        (Float, t) => *t == Type::Float,
        (NonBool, Type::Tensor(tt)) => tt.dtype.is_some_and(|d| d != DType::Bool),
        (Int, t) => *t == Type::Int,
        (NonBool, t) => *t != Type::Bool,
    }
}

/// Whether the node's result has the kept operand's type: scalars by their
/// IR types; tensors by PyTorch's promotion of the operand's (known) dtype
/// with the constant.
fn keeps_type(x: &Type, out: &Type, c: Option<Const>) -> bool {
    let Type::Tensor(tx) = x else { return x == out };
    let Some(c) = c else { return true };
    let Some(d) = tx.dtype else { return false };
    // The operand's rank decides its promotion tier against a 0-d tensor.
    let ranks: &[usize] = match &tx.shape {
        Some(s) => &[s.len()],
        None => &[0, 1],
    };
    ranks.iter().all(|&ndim| {
        let r = ResultType::new().tensor(d, ndim);
        let r = match c {
            Const::Number(s) => r.scalar(s),
            Const::Tensor0(dc, _) => r.tensor(dc, 0),
        };
        r.finish() == d
    })
}
