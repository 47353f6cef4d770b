//! `shape_prop`'s rules, one function per op family and a table from op
//! names (`sum`, or `max.dim` for one overload) to them; elementwise ops
//! come from `aten.rs`'s list, not from this table. A rule returns what it
//! knows for each output (`TensorType::default()` when nothing); the
//! module doc of `shape_prop` states each rule.

use super::facts::{Cx, IntVal};
use super::lattice::{broadcast, product, unify, unify_all, wrap};
use crate::aten::AtenOp;
use crate::entity::{Node, Value};
use crate::graph::NodeData;
use crate::op::{const_type, Literal, Op};
use crate::types::{Dim, TensorType, Type};
use tsc_runtime::DType;

/// What a rule knows about each output; `None` when nothing.
type Out = Option<Vec<TensorType>>;
type Rule = fn(&Cx, Node, &NodeData, &AtenOp) -> Out;

#[rustfmt::skip]
const RULES: &[(&str, Rule)] = &[
    ("max.other", elementwise), ("min.other", elementwise),
    ("sum", reduce), ("nansum", reduce), ("mean", reduce), ("prod", reduce), ("amax", reduce), ("amin", reduce),
    ("max", reduce), ("min", reduce), ("argmax", reduce), ("argmin", reduce), ("logsumexp", reduce),
    ("std", reduce), ("var", reduce), ("all", reduce), ("any", reduce), ("norm", reduce), ("median", reduce),
    ("mode", reduce),
    ("softmax", same_probe), ("log_softmax", same_probe), ("contiguous", same_probe), ("clone", same_probe),
    ("detach", same_probe), ("to", same_probe), ("type_as", same_probe), ("cumsum", same_probe),
    ("cumprod", same_probe), ("normalize", same_probe), ("prelu", same_probe), ("zeros_like", same_probe),
    ("ones_like", same_probe), ("full_like", same_probe), ("float", same_probe), ("double", same_probe),
    ("half", same_probe), ("bfloat16", same_probe), ("long", same_probe), ("int", same_probe),
    ("short", same_probe), ("char", same_probe), ("byte", same_probe), ("bool", same_probe), ("cpu", same_probe),
    ("sort", same_probe),
    ("batch_norm", same_uniform), ("layer_norm", same_uniform), ("group_norm", same_uniform),
    ("instance_norm", same_uniform), ("dropout", same_uniform), ("dropout1d", same_uniform),
    ("dropout2d", same_uniform), ("dropout3d", same_uniform), ("alpha_dropout", same_uniform),
    ("feature_dropout", same_uniform), ("feature_alpha_dropout", same_uniform),
    ("matmul", matmul), ("mm", matmul), ("bmm", matmul), ("addmm", matmul), ("baddbmm", matmul),
    ("dot", matmul), ("outer", matmul), ("linear", linear), ("scaled_dot_product_attention", attention),
    ("conv1d", conv), ("conv2d", conv),
    ("max_pool1d", pool), ("max_pool2d", pool), ("avg_pool1d", pool), ("avg_pool2d", pool),
    ("max_pool1d_with_indices", pool), ("max_pool2d_with_indices", pool),
    ("adaptive_avg_pool1d", adaptive_pool), ("adaptive_avg_pool2d", adaptive_pool),
    ("adaptive_max_pool2d", adaptive_pool),
    ("view", reshape), ("reshape", reshape), ("flatten", flatten), ("transpose", transpose), ("t", transpose),
    ("permute", permute), ("unsqueeze", unsqueeze), ("squeeze", squeeze), ("expand", expand),
    ("expand_as", expand), ("select", select), ("slice", select), ("narrow", select), ("index_select", select),
    ("topk", select), ("cat", cat), ("stack", cat), ("embedding", embedding),
];

/// What is known about each output of `n`.
pub(super) fn infer(cx: &Cx, n: Node) -> Vec<TensorType> {
    let node = cx.g.node(n);
    let k = node.outputs.len();
    let got = match &node.op {
        Op::Const(c) => match const_type(&cx.g.constant(*c).value) {
            Type::Tensor(t) => Some(vec![t]),
            _ => None,
        },
        Op::Aten(a) => aten(cx, n, node, a),
        Op::TupleIndex(i) => Some(vec![element(cx, node.inputs[0], Some(*i as i64))]),
        Op::TupleUnpack | Op::ListUnpack => Some((0..k).map(|i| element(cx, node.inputs[0], Some(i as i64))).collect()),
        Op::ListIndex => Some(vec![element(cx, node.inputs[0], None)]),
        Op::OptionalUnwrap => match cx.g.ty(node.inputs[0]) {
            Type::Optional(t) => match t.as_ref() {
                Type::Tensor(t) => Some(vec![t.clone()]),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    match got {
        Some(v) if v.len() == k => v,
        _ => vec![TensorType::default(); k],
    }
}

fn aten(cx: &Cx, n: Node, node: &NodeData, a: &AtenOp) -> Out {
    // An in-place op (`add_`, not a dunder) returns its first operand.
    if a.name().ends_with('_') && !a.name().starts_with("__") && node.outputs.len() == 1 {
        return Some(vec![cx.tensor(*node.inputs.first()?)?]);
    }
    if a.is_elementwise() {
        return elementwise(cx, n, node, a);
    }
    let full = format!("{}.{}", a.name(), a.overload());
    let rule = RULES.iter().find(|(k, _)| *k == full).or_else(|| RULES.iter().find(|(k, _)| *k == a.name()))?;
    (rule.1)(cx, n, node, a)
}

/// Element `i` of a tuple or list: the container's element type (the
/// verifier checks element access against it, and containers are not refined).
fn element(cx: &Cx, container: Value, i: Option<i64>) -> TensorType {
    let elem = match (cx.g.ty(container), i) {
        (Type::Tuple(ts), Some(i)) => usize::try_from(i).ok().and_then(|i| ts.get(i)),
        (Type::List(e), _) => Some(e.as_ref()),
        _ => None,
    };
    match elem {
        Some(Type::Tensor(t)) => t.clone(),
        _ => TensorType::default(),
    }
}

fn one(dtype: Option<DType>, shape: Option<Vec<Dim>>) -> Out {
    Some(vec![TensorType { dtype, shape }])
}

/// The common dtype of `node`'s tensor operands (literal `None`s skipped);
/// `None` if one is unknown, optional, or they differ.
fn uniform_dtype(cx: &Cx, node: &NodeData) -> Option<DType> {
    let mut common = None;
    for &v in &node.inputs {
        match cx.g.ty(v) {
            Type::Tensor(_) => {
                let d = cx.dtype(v)?;
                if common.is_some_and(|c| c != d) {
                    return None;
                }
                common = Some(d);
            }
            Type::Optional(t) if matches!(**t, Type::Tensor(_)) && !cx.is_none(v) => return None,
            _ => {}
        }
    }
    common
}

/// Tensors broadcast together; dtype by probe.
fn elementwise(cx: &Cx, n: Node, node: &NodeData, _: &AtenOp) -> Out {
    let shape = (|| {
        let mut shapes = Vec::new();
        for &v in &node.inputs {
            match cx.g.ty(v) {
                Type::Tensor(_) => shapes.push(cx.shape(v)?),
                Type::Optional(t) if t.is_tensor() && !cx.is_none(v) => return None,
                _ => {}
            }
        }
        broadcast(&shapes.iter().map(Vec::as_slice).collect::<Vec<_>>())
    })();
    one(cx.probe(n)[0], shape)
}

/// Shape of operand 0; dtype by probe (one output per probed result).
fn same_probe(cx: &Cx, n: Node, node: &NodeData, _: &AtenOp) -> Out {
    let shape = cx.shape(*node.inputs.first()?);
    Some(cx.probe(n).into_iter().map(|dtype| TensorType { dtype, shape: shape.clone() }).collect())
}

/// Shape of operand 0; the operands' common dtype.
fn same_uniform(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    one(uniform_dtype(cx, node), cx.shape(*node.inputs.first()?))
}

/// Reductions over literal `dim` (absent or `None`: all dims) and `keepdim`.
fn reduce(cx: &Cx, n: Node, node: &NodeData, a: &AtenOp) -> Out {
    let shape = (|| {
        let shape = cx.shape(node.inputs[0])?;
        let keepdim = match cx.arg(node, a, "keepdim") {
            Some(v) => cx.bool(v)?,
            None => false,
        };
        let reduced: Vec<usize> = match cx.arg(node, a, "dim") {
            None => (0..shape.len()).collect(),
            Some(v) if cx.is_none(v) => (0..shape.len()).collect(),
            Some(v) => match cx.g.ty(v) {
                Type::Int => vec![wrap(cx.int(v)?, shape.len())?],
                _ => {
                    let dims = cx.int_list(v)?;
                    let ds = dims.iter().map(|d| wrap(d.lit()?, shape.len())).collect::<Option<Vec<_>>>()?;
                    if ds.is_empty() {
                        (0..shape.len()).collect()
                    } else {
                        ds
                    }
                }
            },
        };
        let mut out = Vec::new();
        for (i, d) in shape.iter().enumerate() {
            match (reduced.contains(&i), keepdim) {
                (false, _) => out.push(d.clone()),
                (true, true) => out.push(Dim::Const(1)),
                (true, false) => {}
            }
        }
        Some(out)
    })();
    Some(cx.probe(n).into_iter().map(|dtype| TensorType { dtype, shape: shape.clone() }).collect())
}

/// PyTorch's `matmul` shape rule (1-d operands promoted, batch dims
/// broadcast); `None` when the inner dims cannot match.
fn matmul_shape(a: &[Dim], b: &[Dim]) -> Option<Vec<Dim>> {
    match (a.len(), b.len()) {
        (0, _) | (_, 0) => None,
        (1, 1) => unify(&a[0], &b[0]).map(|_| vec![]),
        (2, 1) => unify(&a[1], &b[0]).map(|_| vec![a[0].clone()]),
        (1, 2) => unify(&a[0], &b[0]).map(|_| vec![b[1].clone()]),
        (2, 2) => unify(&a[1], &b[0]).map(|_| vec![a[0].clone(), b[1].clone()]),
        (ra, rb) => {
            let a2 = if ra == 1 { vec![Dim::Const(1), a[0].clone()] } else { a.to_vec() };
            let b2 = if rb == 1 { vec![b[0].clone(), Dim::Const(1)] } else { b.to_vec() };
            let (na, nb) = (a2.len(), b2.len());
            unify(&a2[na - 1], &b2[nb - 2])?;
            let mut out = broadcast(&[&a2[..na - 2], &b2[..nb - 2]])?;
            if ra > 1 {
                out.push(a2[na - 2].clone());
            }
            if rb > 1 {
                out.push(b2[nb - 1].clone());
            }
            Some(out)
        }
    }
}

/// `matmul`, `mm`, `bmm`, `dot`, `outer`, and `addmm`/`baddbmm` (whose
/// `input` broadcasts to the product).
fn matmul(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let shape = (|| {
        let (first, rank) = match a.name() {
            "addmm" => (1, Some(2)),
            "baddbmm" => (1, Some(3)),
            "mm" => (0, Some(2)),
            "bmm" => (0, Some(3)),
            "dot" | "outer" => (0, Some(1)),
            _ => (0, None),
        };
        let (x, y) = (cx.shape(node.inputs[first])?, cx.shape(node.inputs[first + 1])?);
        if rank.is_some_and(|r| x.len() != r || y.len() != r) {
            return None;
        }
        let out = match a.name() {
            "outer" => vec![x[0].clone(), y[0].clone()],
            "bmm" | "baddbmm" => {
                let mut out = vec![unify(&x[0], &y[0])?];
                out.extend(matmul_shape(&x[1..], &y[1..])?);
                out
            }
            _ => matmul_shape(&x, &y)?,
        };
        if first == 0 {
            return Some(out);
        }
        let input = cx.shape(node.inputs[0])?;
        (input.len() <= out.len()).then(|| broadcast(&[&out, &input])).flatten()
    })();
    one(uniform_dtype(cx, node), shape)
}

/// `linear(x, W, b)`: `x @ W.T`, then `b` broadcast in.
fn linear(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    let shape = (|| {
        let (x, w) = (cx.shape(node.inputs[0])?, cx.shape(node.inputs[1])?);
        let wt: Vec<Dim> = w.iter().rev().cloned().collect();
        let out = if w.len() <= 2 { matmul_shape(&x, &wt)? } else { return None };
        if cx.is_none(node.inputs[2]) {
            return Some(out);
        }
        broadcast(&[&out, &cx.shape(node.inputs[2])?])
    })();
    one(uniform_dtype(cx, node), shape)
}

/// `scaled_dot_product_attention(q, k, v)`: `q`'s shape with `v`'s last dim.
fn attention(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    let shape = (|| {
        let (mut q, v) = (cx.shape(node.inputs[0])?, cx.shape(node.inputs[2])?);
        *q.last_mut()? = v.last()?.clone();
        Some(q)
    })();
    one(uniform_dtype(cx, node), shape)
}

/// Literal ints, or `None`.
fn lits(vals: Option<Vec<IntVal>>) -> Option<Vec<i64>> {
    vals?.iter().map(IntVal::lit).collect()
}

/// The output size of a sliding window: `(L + 2p - d(k-1) - 1) / s + 1`;
/// `L` itself when the window preserves any size; `None` when the op raises.
fn window(l: &Dim, k: &Dim, s: i64, p: i64, d: i64) -> Option<Dim> {
    if s < 1 || d < 1 || p < 0 {
        return None;
    }
    let (p, s, d) = (i128::from(p), i128::from(s), i128::from(d));
    Some(match (l, k) {
        (Dim::Const(l), Dim::Const(k)) if *k >= 1 => {
            let num = i128::from(*l) + 2 * p - d * (i128::from(*k) - 1) - 1;
            if num < 0 {
                return None;
            }
            Dim::Const(u64::try_from(num / s + 1).ok()?)
        }
        (l, Dim::Const(k)) if *k >= 1 && s == 1 && 2 * p == d * (i128::from(*k) - 1) => l.clone(),
        _ => Dim::Unknown,
    })
}

/// Windows over the last `kernel.len()` dims of `x` (unknown where the
/// parameters are not literal).
fn windows(x: &[Dim], kernel: &[Dim], params: Option<(Vec<i64>, Vec<i64>, Vec<i64>)>) -> Option<Vec<Dim>> {
    let s = kernel.len();
    let spatial = &x[x.len() - s..];
    match params {
        None => Some(vec![Dim::Unknown; s]),
        Some((stride, pad, dil)) => (0..s).map(|i| window(&spatial[i], &kernel[i], stride[i], pad[i], dil[i])).collect(),
    }
}

/// The number of spatial dims of a `conv2d`/`max_pool1d`-style name.
fn spatial_dims(name: &str) -> Option<usize> {
    ["1d", "2d", "3d"].iter().position(|s| name.contains(s)).map(|i| i + 1)
}

/// `conv1d`/`conv2d` (`padding` as ints or `'valid'`/`'same'`): `[N, O, L...]`
/// or unbatched `[O, L...]`.
fn conv(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let shape = (|| {
        let s = spatial_dims(a.name())?;
        let (x, w) = (cx.shape(node.inputs[0])?, cx.shape(cx.arg(node, a, "weight")?)?);
        if w.len() != s + 2 || (x.len() != s + 1 && x.len() != s + 2) {
            return None;
        }
        let pad = cx.arg(node, a, "padding")?;
        let stride = lits(cx.int_array(cx.arg(node, a, "stride")?, s));
        let dil = lits(cx.int_array(cx.arg(node, a, "dilation")?, s));
        let win = match cx.literal(pad) {
            Some(Literal::Str(p)) if p == "same" => x[x.len() - s..].to_vec(),
            Some(Literal::Str(p)) if p == "valid" => windows(&x, &w[2..], stride.zip(dil).map(|(st, d)| (st, vec![0; s], d)))?,
            Some(Literal::Str(_)) => return None,
            _ => {
                let pad = lits(cx.int_array(pad, s));
                windows(&x, &w[2..], stride.zip(pad).zip(dil).map(|((st, p), d)| (st, p, d)))?
            }
        };
        let mut out = if x.len() == s + 2 { vec![x[0].clone()] } else { vec![] };
        out.push(w[0].clone());
        out.extend(win);
        Some(out)
    })();
    one(uniform_dtype(cx, node), shape)
}

/// `max_pool*`/`avg_pool*`: leading dims kept, windows over the spatial ones.
fn pool(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let s = spatial_dims(a.name())?;
        let shape = cx.shape(x)?;
        if shape.len() != s + 1 && shape.len() != s + 2 {
            return None;
        }
        if cx.arg(node, a, "return_indices").is_some_and(|v| cx.bool(v) != Some(false)) {
            return None;
        }
        let kernel = lits(cx.int_array(cx.arg(node, a, "kernel_size")?, s));
        let params = (|| {
            let kernel = kernel.clone()?;
            let sv = cx.arg(node, a, "stride")?;
            let empty = cx.int_list(sv).is_some_and(|l| l.is_empty());
            let stride = if cx.is_none(sv) || empty { kernel } else { lits(cx.int_array(sv, s))? };
            let pad = lits(cx.int_array(cx.arg(node, a, "padding")?, s))?;
            let dil = match cx.arg(node, a, "dilation") {
                Some(v) => lits(cx.int_array(v, s))?,
                None => vec![1; s],
            };
            (cx.bool(cx.arg(node, a, "ceil_mode")?) == Some(false)).then_some((stride, pad, dil))
        })();
        let k: Vec<Dim> = match &kernel {
            Some(k) => k.iter().map(|&k| u64::try_from(k).map_or(Dim::Unknown, Dim::Const)).collect(),
            None => vec![Dim::Unknown; s],
        };
        let mut out = shape[..shape.len() - s].to_vec();
        out.extend(windows(&shape, &k, params)?);
        Some(out)
    })();
    let values = TensorType { dtype: cx.dtype(x), shape: shape.clone() };
    match node.outputs.len() {
        2 => Some(vec![values, TensorType { dtype: Some(DType::I64), shape }]),
        _ => Some(vec![values]),
    }
}

/// `adaptive_*_pool*`: the spatial dims become `output_size` (`None`
/// elements keep the input's).
fn adaptive_pool(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let s = spatial_dims(a.name())?;
        let shape = cx.shape(x)?;
        if (shape.len() != s + 1 && shape.len() != s + 2) || cx.arg(node, a, "return_indices").is_some_and(|v| cx.bool(v) != Some(false)) {
            return None;
        }
        let sizes = cx.int_array(cx.arg(node, a, "output_size")?, s)?;
        let at = shape.len() - s;
        let mut out = shape[..at].to_vec();
        for (i, v) in sizes.iter().enumerate() {
            out.push(if *v == IntVal::Null { shape[at + i].clone() } else { v.as_dim()? });
        }
        Some(out)
    })();
    one(cx.dtype(x), shape)
}

/// `view`/`reshape` with `-1` inferred (see the module doc).
fn reshape(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let sizes = cx.int_list(node.inputs[1])?;
        let infer = sizes.iter().position(|s| *s == IntVal::Lit(-1));
        if sizes.iter().filter(|s| **s == IntVal::Lit(-1)).count() > 1 {
            return None;
        }
        let mut out = Vec::new();
        for (i, s) in sizes.iter().enumerate() {
            out.push(if Some(i) == infer { Dim::Unknown } else { s.as_dim()? });
        }
        if let Some(i) = infer {
            out[i] = infer_dim(cx.shape(x).as_deref(), &out, i)?;
        }
        Some(out)
    })();
    one(cx.dtype(x), shape)
}

/// The size of `-1` at `at` in `out` for an input of shape `input`: equal
/// symbols cancel, the rest must be constants; `None` when they do not divide.
fn infer_dim(input: Option<&[Dim]>, out: &[Dim], at: usize) -> Option<Dim> {
    let Some(input) = input else { return Some(Dim::Unknown) };
    let mut ins: Vec<&Dim> = input.iter().collect();
    let mut outs: Vec<&Dim> = out.iter().enumerate().filter(|&(i, _)| i != at).map(|(_, d)| d).collect();
    outs.retain(|d| match d {
        Dim::Sym(_) => match ins.iter().position(|x| x == d) {
            Some(j) => {
                ins.remove(j);
                false
            }
            None => true,
        },
        _ => true,
    });
    let consts = |ds: &[&Dim]| ds.iter().map(|d| if let Dim::Const(c) = d { Some(*c) } else { None }).try_fold(1u64, |a, c| a.checked_mul(c?));
    match (consts(&ins), consts(&outs)) {
        (Some(_), Some(0)) | (None, _) | (_, None) => Some(Dim::Unknown),
        (Some(i), Some(o)) => (i % o == 0).then_some(Dim::Const(i / o)),
    }
}

fn flatten(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let shape = cx.shape(x)?;
        let (s, e) = (wrap(cx.int(node.inputs[1])?, shape.len())?, wrap(cx.int(node.inputs[2])?, shape.len())?);
        if shape.is_empty() {
            return Some(vec![Dim::Const(1)]);
        }
        if s > e {
            return None;
        }
        let mut out = shape[..s].to_vec();
        out.push(product(&shape[s..=e]));
        out.extend_from_slice(&shape[e + 1..]);
        Some(out)
    })();
    one(cx.dtype(x), shape)
}

/// `transpose(x, a, b)` and `t(x)`.
fn transpose(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let mut shape = cx.shape(x)?;
        let (d0, d1) = if a.name() == "t" {
            if shape.len() > 2 {
                return None;
            }
            (0, shape.len().saturating_sub(1))
        } else {
            (wrap(cx.int(node.inputs[1])?, shape.len())?, wrap(cx.int(node.inputs[2])?, shape.len())?)
        };
        if !shape.is_empty() {
            shape.swap(d0, d1);
        }
        Some(shape)
    })();
    one(cx.dtype(x), shape)
}

fn permute(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let shape = cx.shape(x)?;
        let perm = lits(cx.int_list(node.inputs[1]))?;
        let perm = perm.iter().map(|&d| wrap(d, shape.len())).collect::<Option<Vec<_>>>()?;
        let mut seen = vec![false; shape.len()];
        if perm.len() != shape.len() || perm.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
            return None;
        }
        Some(perm.iter().map(|&p| shape[p].clone()).collect())
    })();
    one(cx.dtype(x), shape)
}

fn unsqueeze(cx: &Cx, _: Node, node: &NodeData, _: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let mut shape = cx.shape(x)?;
        let d = wrap(cx.int(node.inputs[1])?, shape.len() + 1)?;
        shape.insert(d, Dim::Const(1));
        Some(shape)
    })();
    one(cx.dtype(x), shape)
}

/// `squeeze` (all dims, or `dim`/`dims`): a dim that may or may not be 1
/// leaves the shape unknown.
fn squeeze(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let shape = cx.shape(x)?;
        let dims: Vec<usize> = match node.inputs.get(1) {
            None => (0..shape.len()).collect(),
            Some(&v) if cx.is_none(v) => (0..shape.len()).collect(),
            Some(&v) if a.overload() == "dim" => vec![wrap(cx.int(v)?, shape.len())?],
            Some(&v) => lits(cx.int_list(v))?.iter().map(|&d| wrap(d, shape.len())).collect::<Option<_>>()?,
        };
        let mut out = Vec::new();
        for (i, d) in shape.iter().enumerate() {
            match d {
                _ if !dims.contains(&i) => out.push(d.clone()),
                Dim::Const(1) => {}
                Dim::Const(_) => out.push(d.clone()),
                _ => return None,
            }
        }
        Some(out)
    })();
    one(cx.dtype(x), shape)
}

/// `expand(x, sizes)` (`-1` keeps a dim) and `expand_as(x, other)`.
fn expand(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        if a.name() == "expand_as" {
            return cx.shape(node.inputs[1]);
        }
        let (shape, sizes) = (cx.shape(x)?, cx.int_list(node.inputs[1])?);
        let off = sizes.len().checked_sub(shape.len())?;
        let mut out = Vec::new();
        for (i, s) in sizes.iter().enumerate() {
            let old = i.checked_sub(off).map(|j| &shape[j]);
            out.push(match (s, old) {
                (IntVal::Lit(-1), Some(d)) => d.clone(),
                (IntVal::Unknown, Some(Dim::Const(c))) if *c != 1 => Dim::Const(*c),
                (s, _) => s.as_dim()?,
            });
        }
        Some(out)
    })();
    one(cx.dtype(x), shape)
}

/// Ops that change one dim: `select` (drops it), `slice`, `narrow`,
/// `index_select`, `topk` (values and indices).
fn select(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let x = node.inputs[0];
    let shape = (|| {
        let mut shape = cx.shape(x)?;
        let d = wrap(cx.int(cx.arg(node, a, "dim")?)?, shape.len())?;
        if shape.is_empty() {
            return None;
        }
        let arg = |name: &str| cx.arg(node, a, name).map(|v| cx.int_value(v));
        match a.name() {
            "select" => {
                shape.remove(d);
            }
            "slice" => shape[d] = slice_len(&shape[d], arg("start")?, arg("end")?, cx.int(cx.arg(node, a, "step")?)?)?,
            "narrow" | "topk" => shape[d] = arg(if a.name() == "narrow" { "length" } else { "k" })?.as_dim()?,
            _ => {
                let index = cx.shape(cx.arg(node, a, "index")?)?;
                shape[d] = match index.as_slice() {
                    [] => Dim::Const(1),
                    [len] => len.clone(),
                    _ => return None,
                };
            }
        }
        Some(shape)
    })();
    if a.name() == "topk" {
        return Some(vec![TensorType { dtype: cx.dtype(x), shape: shape.clone() }, TensorType { dtype: Some(DType::I64), shape }]);
    }
    one(cx.dtype(x), shape)
}

/// The length of `start:end:step` over a dim of `size` (Python's clamping).
fn slice_len(size: &Dim, start: IntVal, end: IntVal, step: i64) -> Option<Dim> {
    if step < 1 {
        return None;
    }
    let whole = matches!(start, IntVal::Null | IntVal::Lit(0)) && matches!(end, IntVal::Null | IntVal::Lit(i64::MAX));
    let Dim::Const(n) = size else { return Some(if whole && step == 1 { size.clone() } else { Dim::Unknown }) };
    let n = i64::try_from(*n).ok()?;
    let clamp = |v: i64| if v < 0 { (v + n).max(0) } else { v.min(n) };
    let (s, e) = match (&start, &end) {
        (IntVal::Null | IntVal::Lit(_), IntVal::Null | IntVal::Lit(_)) => {
            let s = start.lit().map_or(0, clamp);
            (s, end.lit().map_or(n, clamp))
        }
        _ => return Some(Dim::Unknown),
    };
    Some(Dim::Const(if e > s { ((e - s + step - 1) / step) as u64 } else { 0 }))
}

/// `cat` (sizes along `dim` add up) and `stack` (a new dim of the count).
fn cat(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let Some(tensors) = cx.tensor_list(node.inputs[0]) else { return one(None, None) };
    let mut dtype = None;
    for (i, &t) in tensors.iter().enumerate() {
        let d = cx.dtype(t);
        dtype = if i == 0 || d == dtype { d } else { None };
        if dtype.is_none() {
            break;
        }
    }
    let shape = (|| {
        let shapes = tensors.iter().map(|&t| cx.shape(t)).collect::<Option<Vec<_>>>()?;
        let rank = shapes.first()?.len();
        if shapes.iter().any(|s| s.len() != rank) {
            return None;
        }
        let stack = a.name() == "stack";
        let d = wrap(cx.int(node.inputs[1])?, if stack { rank + 1 } else { rank })?;
        let mut out = Vec::new();
        for i in 0..rank {
            let dims = shapes.iter().map(|s| &s[i]);
            out.push(if !stack && i == d {
                if shapes.len() == 1 { shapes[0][i].clone() } else { sum(dims) }
            } else {
                unify_all(dims)?
            });
        }
        if stack {
            out.insert(d, Dim::Const(shapes.len() as u64));
        } else if rank == 0 {
            return None;
        }
        Some(out)
    })();
    one(dtype, shape)
}

fn sum<'a>(dims: impl Iterator<Item = &'a Dim>) -> Dim {
    dims.map(|d| if let Dim::Const(c) = d { Some(*c) } else { None }).try_fold(0u64, |a, c| a.checked_add(c?)).map_or(Dim::Unknown, Dim::Const)
}

/// `embedding(indices, weight)`: the indices' shape plus the embedding dim.
fn embedding(cx: &Cx, _: Node, node: &NodeData, a: &AtenOp) -> Out {
    let w = cx.arg(node, a, "weight")?;
    let shape = (|| {
        let idx = cx.shape(cx.arg(node, a, "input").or_else(|| cx.arg(node, a, "indices"))?)?;
        let ws = cx.shape(w)?;
        let [_, dim] = ws.as_slice() else { return None };
        Some(idx.iter().chain([dim]).cloned().collect())
    })();
    one(cx.dtype(w), shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u64) -> Dim {
        Dim::Const(n)
    }
    fn s(n: &str) -> Dim {
        Dim::Sym(n.into())
    }

    #[test]
    fn windows_keep_sizes_they_preserve() {
        assert_eq!(window(&c(10), &c(3), 2, 0, 1), Some(c(4)));
        assert_eq!(window(&c(9), &c(3), 1, 0, 2), Some(c(5)));
        assert_eq!(window(&s("H"), &c(3), 1, 1, 1), Some(s("H")));
        assert_eq!(window(&s("H"), &c(5), 1, 4, 2), Some(s("H")));
        assert_eq!(window(&s("H"), &c(3), 2, 1, 1), Some(Dim::Unknown));
        assert_eq!(window(&c(2), &c(5), 1, 0, 1), None);
        assert_eq!(window(&c(8), &c(3), 0, 0, 1), None);
    }

    #[test]
    fn slices_clamp_like_python() {
        let (null, lit) = (IntVal::Null, IntVal::Lit);
        assert_eq!(slice_len(&c(8), lit(1), null.clone(), 2), Some(c(4)));
        assert_eq!(slice_len(&c(8), lit(-3), lit(100), 1), Some(c(3)));
        assert_eq!(slice_len(&c(8), lit(5), lit(2), 1), Some(c(0)));
        assert_eq!(slice_len(&s("T"), null.clone(), lit(i64::MAX), 1), Some(s("T")));
        assert_eq!(slice_len(&s("T"), lit(1), null, 1), Some(Dim::Unknown));
        assert_eq!(slice_len(&c(8), lit(0), lit(4), 0), None);
    }

    #[test]
    fn minus_one_cancels_equal_symbols() {
        let input = [s("B"), c(4), c(8)];
        assert_eq!(infer_dim(Some(&input), &[s("B"), Dim::Unknown], 1), Some(c(32)));
        assert_eq!(infer_dim(Some(&input), &[Dim::Unknown, c(8)], 0), Some(Dim::Unknown));
        assert_eq!(infer_dim(Some(&input), &[s("B"), c(3), Dim::Unknown], 2), None);
        assert_eq!(infer_dim(Some(&input), &[s("T"), Dim::Unknown], 1), Some(Dim::Unknown));
        assert_eq!(infer_dim(None, &[c(2), Dim::Unknown], 1), Some(Dim::Unknown));
    }

    #[test]
    fn matmul_shapes_follow_pytorch() {
        assert_eq!(matmul_shape(&[c(3)], &[c(3)]), Some(vec![]));
        assert_eq!(matmul_shape(&[s("B"), c(1), c(3), c(4)], &[c(5), c(4), c(2)]), Some(vec![s("B"), c(5), c(3), c(2)]));
        assert_eq!(matmul_shape(&[c(4)], &[s("B"), c(4), c(2)]), Some(vec![s("B"), c(2)]));
        assert_eq!(matmul_shape(&[s("B"), c(3), c(4)], &[c(4)]), Some(vec![s("B"), c(3)]));
        assert_eq!(matmul_shape(&[c(2), c(3)], &[c(4), c(5)]), None);
    }
}
