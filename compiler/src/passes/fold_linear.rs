//! Linear + bias folding: a matrix product with a constant weight followed
//! by the add of a constant bias becomes one `linear` (one GEMM with its
//! bias epilogue):
//!
//! ```text
//! add(matmul(x, @W), @b)       -> linear(x, @W.t, @b)   @W : [in, out]; @W.t its transposed copy (one per @W)
//! add(mm(x, @W), @b)           -> linear(x, @W.t, @b)   (x known 2-d)
//! add(matmul(x, t(@C)), @b)    -> linear(x, @C, @b)     @C : [out, in], reused as is
//! add(linear(x, W, None), @b)  -> linear(x, W, @b)      W : [out, in] by its type
//! ```
//!
//! (`t(@C)` may also be `transpose(@C, 0, 1)`, and the add's operands
//! either way round.) Matched only when exact: the add is `add.Tensor`
//! with `alpha` the literal 1 (or 1.0); `@b` is a tensor constant of shape exactly
//! `[out]` — so it broadcasts along the last dim as `linear`'s bias does —
//! and of the weight's (float) dtype; the product has no other use. The
//! add node becomes the `linear` (keeping its output value, type and
//! location); the product node is removed; constants no longer used are
//! left to DCE.

use crate::aten::AtenOp;
use crate::entity::{ConstId, Node, Value};
use std::collections::HashMap;
use crate::error::PassError;
use crate::graph::{ConstValue, Graph};
use crate::op::{const_type, Literal, Op};
use crate::passes::{literal_of, remove_node};
use crate::types::{Dim, Type};
use tsc_runtime::{DType, Tensor};

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut changed = false;
    let uses = g.use_counts();
    let mut transposed = HashMap::new();
    for (b, _) in g.reachable_blocks() {
        for add in g.block(b).nodes.clone() {
            if let Some(m) = match_fold(g, add, &uses) {
                apply(g, add, m, &mut transposed);
                changed = true;
            }
        }
    }
    Ok(changed)
}

/// The weight of the new `linear`.
enum Weight {
    /// An existing `[out, in]` value.
    Value(Value),
    /// A constant `[in, out]` to transpose into a new blob.
    Transpose(ConstId),
}

struct Match {
    product: Node,
    x: Value,
    weight: Weight,
    bias: Value,
}

/// The tensor constant defining `v`.
fn const_tensor(g: &Graph, v: Value) -> Option<Tensor> {
    let Op::Const(c) = g.node(g.def_node(v)?).op else { return None };
    match &g.constant(c).value {
        ConstValue::Tensor(t) => Some(t.clone()),
        _ => None,
    }
}

fn aten_of(g: &Graph, n: Node) -> Option<&AtenOp> {
    match &g.node(n).op {
        Op::Aten(a) => Some(a),
        _ => None,
    }
}

/// `v` as `t(@C)` or `transpose(@C, 0, 1)` of a 2-d constant: `@C`'s value.
fn transposed_const(g: &Graph, v: Value) -> Option<Value> {
    let n = g.def_node(v)?;
    let node = g.node(n);
    let a = aten_of(g, n)?;
    let swaps = match (a.name(), a.overload()) {
        ("t", _) => true,
        ("transpose", "int") => {
            let d = |i: usize| match literal_of(g, node.inputs[i]) {
                Some(Literal::Int(d)) => Some(if d < 0 { d + 2 } else { d }),
                _ => None,
            };
            matches!((d(1), d(2)), (Some(0), Some(1)) | (Some(1), Some(0)))
        }
        _ => false,
    };
    let c = node.inputs[0];
    (swaps && const_tensor(g, c)?.ndim() == 2).then_some(c)
}

/// The known `[out, in]` shape and dtype of a weight value (a constant's
/// own, else its type's).
fn weight_info(g: &Graph, v: Value) -> Option<(u64, DType)> {
    if let Some(t) = const_tensor(g, v) {
        return match t.shape() {
            [out, _] => Some((*out as u64, t.dtype())),
            _ => None,
        };
    }
    let Type::Tensor(t) = g.ty(v) else { return None };
    match t.shape.as_deref()? {
        [Dim::Const(out), _] => Some((*out, t.dtype?)),
        _ => None,
    }
}

fn match_fold(g: &Graph, add: Node, uses: &[u32]) -> Option<Match> {
    let node = g.node(add);
    let a = aten_of(g, add)?;
    if (a.name(), a.overload()) != ("add", "Tensor") {
        return None;
    }
    if !matches!(literal_of(g, node.inputs[2])?, Literal::Int(1)) && literal_of(g, node.inputs[2]) != Some(Literal::Float(1.0)) {
        return None;
    }
    [(0, 1), (1, 0)].into_iter().find_map(|(p, b)| match_product(g, node.inputs[p], node.inputs[b], uses))
}

fn match_product(g: &Graph, product: Value, bias: Value, uses: &[u32]) -> Option<Match> {
    let b = const_tensor(g, bias)?;
    let n = g.def_node(product)?;
    if uses.get(product.index()) != Some(&1) {
        return None;
    }
    let node = g.node(n);
    let a = aten_of(g, n)?;
    let x = node.inputs[0];
    let (weight, out, dtype) = match a.name() {
        "linear" if literal_of(g, node.inputs[2]) == Some(Literal::None) => {
            let (out, dtype) = weight_info(g, node.inputs[1])?;
            (Weight::Value(node.inputs[1]), out, dtype)
        }
        "matmul" | "mm" => {
            if a.name() == "mm" && !matches!(g.ty(x), Type::Tensor(t) if t.shape.as_ref().is_some_and(|s| s.len() == 2)) {
                return None;
            }
            let w = node.inputs[1];
            match transposed_const(g, w) {
                Some(c) => {
                    let t = const_tensor(g, c)?;
                    (Weight::Value(c), t.shape()[0] as u64, t.dtype())
                }
                None => {
                    let t = const_tensor(g, w)?;
                    let [_, out] = t.shape() else { return None };
                    let Op::Const(c) = g.node(g.def_node(w)?).op else { return None };
                    (Weight::Transpose(c), *out as u64, t.dtype())
                }
            }
        }
        _ => return None,
    };
    let fits = b.shape() == [out as usize] && b.dtype() == dtype && dtype.is_float();
    fits.then_some(Match { product: n, x, weight, bias })
}

/// The transposed copy of constant `c` (made once per run, as `NAME.t`).
fn transpose_const(g: &mut Graph, c: ConstId, made: &mut HashMap<ConstId, ConstId>) -> ConstId {
    if let Some(&t) = made.get(&c) {
        return t;
    }
    let data = g.constant(c);
    let ConstValue::Tensor(t) = &data.value else { unreachable!("matched a tensor constant") };
    let [rows, cols] = *t.shape() else { unreachable!("matched a 2-d weight") };
    let view = t.as_strided(&[cols, rows], &[t.strides()[1], t.strides()[0]], t.offset());
    let tt = view.map(|v| v.copy_as(v.dtype())).unwrap_or_else(|e| unreachable!("transposing a 2-d tensor: {e}"));
    let name = format!("{}.t", data.name);
    let id = g.add_const(&name, ConstValue::Tensor(tt));
    made.insert(c, id);
    id
}

fn apply(g: &mut Graph, add: Node, m: Match, made: &mut HashMap<ConstId, ConstId>) {
    let weight = match m.weight {
        Weight::Value(v) => v,
        Weight::Transpose(c) => {
            let c = transpose_const(g, c, made);
            let ty = const_type(&g.constant(c).value);
            let n = g.create_node(Op::Const(c), Vec::new(), vec![ty]);
            g.node_mut(n).loc = g.node(add).loc.clone();
            let block = g.reachable_blocks().into_iter().map(|(b, _)| b).find(|&b| g.block(b).nodes.contains(&add));
            if let Some(b) = block {
                let at = g.block(b).nodes.iter().position(|&x| x == add).unwrap_or(0);
                g.block_mut(b).nodes.insert(at, n);
            }
            g.node(n).outputs[0]
        }
    };
    let linear = AtenOp::new("linear", "").unwrap_or_else(|e| unreachable!("the runtime registers linear: {e}"));
    let node = g.node_mut(add);
    node.op = Op::Aten(linear);
    node.inputs = vec![m.x, weight, m.bias];
    remove_node(g, m.product);
}
