//! What `shape_prop`'s rules read from the graph: the current type of a
//! tensor, operands by schema parameter name, ints and int lists as far
//! as they are known (literals, or sizes of tensors: `size(x, 1)` is `x`'s
//! dim 1, symbol included), and the dtype probe (see the module doc of
//! `shape_prop`).

use crate::aten::AtenOp;
use crate::entity::{Node, Value};
use crate::graph::{ConstValue, Graph, NodeData};
use crate::op::{Literal, Op};
use crate::eval::literal_value;
use crate::passes::literal_of;
use crate::types::{Dim, TensorType, Type};
use std::collections::HashSet;
use tsc_runtime::{DType, Scalar, Tensor, Value as RtValue};

/// Most probe evaluations for one node.
const MAX_PROBES: usize = 100;
/// How deep `int_value` follows scalar arithmetic.
const MAX_DEPTH: usize = 16;

/// An int operand as far as it is known.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum IntVal {
    Lit(i64),
    /// A size named by a symbolic dim (never negative).
    Sym(String),
    /// The literal `None` (an element of an `int?[N]` list).
    Null,
    Unknown,
}

impl IntVal {
    fn of_dim(d: &Dim) -> IntVal {
        match d {
            Dim::Const(n) => i64::try_from(*n).map_or(IntVal::Unknown, IntVal::Lit),
            Dim::Sym(s) => IntVal::Sym(s.clone()),
            Dim::Unknown => IntVal::Unknown,
        }
    }

    /// As a size: `None` for a negative literal or `None`.
    pub(super) fn as_dim(&self) -> Option<Dim> {
        match self {
            IntVal::Lit(n) => u64::try_from(*n).ok().map(Dim::Const),
            IntVal::Sym(s) => Some(Dim::Sym(s.clone())),
            IntVal::Unknown => Some(Dim::Unknown),
            IntVal::Null => None,
        }
    }

    pub(super) fn lit(&self) -> Option<i64> {
        match self {
            IntVal::Lit(n) => Some(*n),
            _ => None,
        }
    }
}

/// The rules' view of the graph while `shape_prop` walks it.
pub(super) struct Cx<'a> {
    pub g: &'a Graph,
    /// Types refined so far (`None`: the declared type).
    pub inferred: &'a [Option<TensorType>],
    /// List values nothing mutates.
    pub lists: &'a HashSet<Value>,
}

impl Cx<'_> {
    /// The current type of `v` if it is a tensor.
    pub fn tensor(&self, v: Value) -> Option<TensorType> {
        if let Some(Some(t)) = self.inferred.get(v.index()) {
            return Some(t.clone());
        }
        match self.g.ty(v) {
            Type::Tensor(t) => Some(t.clone()),
            _ => None,
        }
    }

    pub fn shape(&self, v: Value) -> Option<Vec<Dim>> {
        self.tensor(v)?.shape
    }

    pub fn dtype(&self, v: Value) -> Option<DType> {
        self.tensor(v)?.dtype
    }

    pub fn literal(&self, v: Value) -> Option<Literal> {
        literal_of(self.g, v)
    }

    pub fn int(&self, v: Value) -> Option<i64> {
        match self.literal(v)? {
            Literal::Int(i) => Some(i),
            _ => None,
        }
    }

    pub fn bool(&self, v: Value) -> Option<bool> {
        match self.literal(v)? {
            Literal::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn is_none(&self, v: Value) -> bool {
        self.literal(v) == Some(Literal::None)
    }

    /// The operand of `node` (an `Op::Aten` of `a`) for parameter `name`.
    pub fn arg(&self, node: &NodeData, a: &AtenOp, name: &str) -> Option<Value> {
        let i = a.schema().params.iter().position(|p| p.name == name)?;
        node.inputs.get(i).copied()
    }

    /// The defining node of `v`, if `v` is one of its outputs.
    fn def(&self, v: Value) -> Option<(&NodeData, usize)> {
        let n = self.g.def_node(v)?;
        let node = self.g.node(n);
        Some((node, node.outputs.iter().position(|&o| o == v)?))
    }

    /// An int operand: a literal, a size of a tensor, or scalar arithmetic
    /// on known literals.
    pub fn int_value(&self, v: Value) -> IntVal {
        self.int_at(v, 0)
    }

    fn int_at(&self, v: Value, depth: usize) -> IntVal {
        match self.literal(v) {
            Some(Literal::Int(i)) => return IntVal::Lit(i),
            Some(Literal::None) => return IntVal::Null,
            Some(_) => return IntVal::Unknown,
            None => {}
        }
        let Some((node, k)) = self.def(v) else { return IntVal::Unknown };
        let known = || -> Option<IntVal> {
            match &node.op {
                Op::Aten(a) if a.name() == "size" && a.overload() == "int" => {
                    let shape = self.shape(node.inputs[0])?;
                    let d = super::lattice::wrap(self.int(node.inputs[1])?, shape.len())?;
                    Some(IntVal::of_dim(shape.get(d)?))
                }
                Op::ListIndex => {
                    let items = self.int_list(node.inputs[0])?;
                    let i = self.int(node.inputs[1])?;
                    let i = if i < 0 { i + items.len() as i64 } else { i };
                    items.get(usize::try_from(i).ok()?).cloned()
                }
                Op::ListUnpack => self.int_list(node.inputs[0]).filter(|l| l.len() == node.outputs.len())?.get(k).cloned(),
                Op::Scalar(s) if depth < MAX_DEPTH => {
                    let args = node.inputs.iter().map(|&i| self.int_at(i, depth + 1).lit().map(Literal::Int)).collect::<Option<Vec<_>>>()?;
                    match s.eval(&args).ok()? {
                        Literal::Int(i) => Some(IntVal::Lit(i)),
                        _ => None,
                    }
                }
                _ => None,
            }
        };
        known().unwrap_or(IntVal::Unknown)
    }

    /// An `int[]` operand: a `list_construct` or `size(x)` nothing
    /// mutates, element by element.
    pub fn int_list(&self, v: Value) -> Option<Vec<IntVal>> {
        if !self.lists.contains(&v) {
            return None;
        }
        let (node, _) = self.def(v)?;
        match &node.op {
            Op::ListConstruct => Some(node.inputs.iter().map(|&i| self.int_value(i)).collect()),
            Op::Aten(a) if a.name() == "size" && a.overload().is_empty() => {
                Some(self.shape(node.inputs[0])?.iter().map(IntVal::of_dim).collect())
            }
            _ => None,
        }
    }

    /// An `int[n]` operand: a list of `n` ints, or one int for all `n`.
    pub fn int_array(&self, v: Value, n: usize) -> Option<Vec<IntVal>> {
        match self.g.ty(v) {
            Type::Int => Some(vec![self.int_value(v); n]),
            _ => self.int_list(v).filter(|l| l.len() == n),
        }
    }

    /// The tensors of a `Tensor[]` operand built by a `list_construct`
    /// nothing mutates.
    pub fn tensor_list(&self, v: Value) -> Option<Vec<Value>> {
        let (node, _) = self.def(v).filter(|_| self.lists.contains(&v))?;
        (node.op == Op::ListConstruct).then(|| node.inputs.clone())
    }

    /// The dtypes of `n`'s outputs according to the runtime, by probing
    /// (see the module doc); `None` where unknown.
    pub fn probe(&self, n: Node) -> Vec<Option<DType>> {
        let node = self.g.node(n);
        let unknown = vec![None; node.outputs.len()];
        let Op::Aten(a) = &node.op else { return unknown };
        if a.has_side_effects() {
            return unknown;
        }
        let Some(choices) = node.inputs.iter().map(|&v| self.probe_values(v)).collect::<Option<Vec<_>>>() else {
            return unknown;
        };
        let total = choices.iter().try_fold(1usize, |acc, c| acc.checked_mul(c.len()).filter(|&t| t <= MAX_PROBES));
        if total.is_none_or(|t| t == 0) {
            return unknown;
        }
        let mut seen: Option<Vec<DType>> = None;
        let mut pick = vec![0usize; choices.len()];
        loop {
            let args: Vec<RtValue> = pick.iter().zip(&choices).map(|(&i, c)| c[i].clone()).collect();
            let Some(dtypes) = a.eval(&args).ok().and_then(|r| result_dtypes(r, node.outputs.len())) else {
                return unknown;
            };
            if seen.as_ref().is_some_and(|s| *s != dtypes) {
                return unknown;
            }
            seen = Some(dtypes);
            // Next combination (odometer order).
            let mut i = 0;
            while i < pick.len() {
                pick[i] += 1;
                if pick[i] < choices[i].len() {
                    break;
                }
                pick[i] = 0;
                i += 1;
            }
            if i == pick.len() {
                break;
            }
        }
        seen.map_or(unknown, |s| s.into_iter().map(Some).collect())
    }

    /// The values operand `v` is probed with; `None` if it cannot be.
    fn probe_values(&self, v: Value) -> Option<Vec<RtValue>> {
        if let Some(l) = self.literal(v) {
            return Some(vec![literal_value(&l)]);
        }
        if let Some((node, _)) = self.def(v) {
            if let Op::Const(c) = node.op {
                if let ConstValue::Tensor(t) = &self.g.constant(c).value {
                    return Some(vec![RtValue::Tensor(probe_tensor(t.dtype(), t.ndim())?)]);
                }
            }
        }
        if let Some(t) = self.tensor(v) {
                let dtypes: Vec<DType> = t.dtype.map_or(DType::ALL.to_vec(), |d| vec![d]);
                let ranks: Vec<usize> = t.shape.as_ref().map_or(vec![0, 1], |s| vec![s.len()]);
                let mut out = Vec::new();
                for &d in &dtypes {
                    for &r in &ranks {
                        out.push(RtValue::Tensor(probe_tensor(d, r)?));
                    }
                }
                return Some(out);
        }
        Some(match self.g.ty(v) {
            Type::Int => vec![RtValue::Int(1)],
            Type::Float => vec![RtValue::Float(1.0)],
            Type::Bool => vec![RtValue::Bool(true)],
            Type::None => vec![RtValue::None],
            Type::List(_) => {
                let (node, _) = self.def(v).filter(|_| self.lists.contains(&v))?;
                if node.op != Op::ListConstruct {
                    return None;
                }
                let items = node.inputs.iter().map(|&i| self.probe_values(i).filter(|c| c.len() == 1)?.pop()).collect::<Option<Vec<_>>>()?;
                vec![RtValue::List(items)]
            }
            _ => return None,
        })
    }
}

/// A tensor of ones with `rank` dims of size 1.
fn probe_tensor(dtype: DType, rank: usize) -> Option<Tensor> {
    Tensor::full(&vec![1; rank], Scalar::Int(1), dtype).ok()
}

/// The dtypes of an op's result, one per output; `None` if one is not a tensor.
fn result_dtypes(r: RtValue, outputs: usize) -> Option<Vec<DType>> {
    match r {
        RtValue::Tensor(t) if outputs == 1 => Some(vec![t.dtype()]),
        RtValue::Tuple(items) if items.len() == outputs => items
            .into_iter()
            .map(|i| match i {
                RtValue::Tensor(t) => Some(t.dtype()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
