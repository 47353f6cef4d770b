//! Convolution + batch-norm folding: in inference mode a batch norm after
//! a convolution is an affine map per output channel, which the
//! convolution's weight and bias can absorb:
//!
//! ```text
//! batch_norm(conv(x, W, b), mean, var, gamma, beta, training=false, eps)
//!   -> conv(x, W', b')    s  = gamma / sqrt(var + eps)     (per out channel)
//!                         W' = W * s                      (scaling W[o, ...])
//!                         b' = (b - mean) * s + beta      (b absent: 0)
//! ```
//!
//! Matched when: the conv is `conv1d`/`conv2d` (either overload); `W` is a
//! named tensor constant (`const @w`) of a float dtype with `O` output
//! channels, `b` one of shape `[O]` or the literal `None`; `mean`, `var`
//! are tensor constants of shape `[O]`, `gamma`, `beta` too or `None`
//! (1 and 0), all of `W`'s dtype; `training` is the literal `false` and
//! `eps` a literal number; the conv's output has no other use than shape
//! reads (`dim`, `size`: `BatchNorm2d`'s input check reads `x.dim()` before
//! the batch norm), which then read the folded output (same shape). Both
//! `batch_norm` overloads are read by parameter name.
//!
//! The new constants are computed in f64 and stored in `W`'s dtype, named
//! after the originals (`conv.weight.folded`, `conv.bias.folded`). The
//! conv node takes them as operands and takes over the batch norm's output
//! value (its type, name and uses); the batch norm node is removed, the old
//! constants are left to DCE (they may have other uses).

use crate::aten::AtenOp;
use crate::entity::{Node, Value};
use crate::error::PassError;
use crate::graph::{ConstValue, Graph, NodeData, ValueDef};
use crate::op::{const_type, Literal, Op};
use crate::passes::{literal_of, remove_node};
use tsc_runtime::{DType, Tensor};

pub fn run(g: &mut Graph) -> Result<bool, PassError> {
    let mut changed = false;
    let uses = g.use_counts();
    for (b, _) in g.reachable_blocks() {
        for bn in g.block(b).nodes.clone() {
            if let Some(m) = match_fold(g, bn, &uses) {
                apply(g, bn, m);
                changed = true;
            }
        }
    }
    Ok(changed)
}

/// A matched pattern: the conv node and the folded constants' data.
struct Match {
    conv: Node,
    weight: Tensor,
    bias: Tensor,
    weight_name: String,
    bias_name: String,
}

/// The operand of `node` (an `Op::Aten` of `a`) for parameter `name`, and its index.
fn arg(node: &NodeData, a: &AtenOp, name: &str) -> Option<(usize, Value)> {
    let i = a.schema().params.iter().position(|p| p.name == name)?;
    Some((i, *node.inputs.get(i)?))
}

/// The tensor constant defining `v` and its name.
fn const_tensor(g: &Graph, v: Value) -> Option<(Tensor, String)> {
    let Op::Const(c) = g.node(g.def_node(v)?).op else { return None };
    let data = g.constant(c);
    match &data.value {
        ConstValue::Tensor(t) => Some((t.clone(), data.name.clone())),
        _ => None,
    }
}

/// A per-channel constant of shape `[o]` and dtype `dtype`, or `default`
/// for the literal `None`.
fn channel_param(g: &Graph, v: Value, o: usize, dtype: DType, default: Option<f64>) -> Option<Vec<f64>> {
    if let (Some(d), Some(Literal::None)) = (default, literal_of(g, v)) {
        return Some(vec![d; o]);
    }
    let (t, _) = const_tensor(g, v)?;
    (t.shape() == [o] && t.dtype() == dtype).then(|| t.copy_as(DType::F64).to_vec::<f64>())
}

fn match_fold(g: &Graph, bn: Node, uses: &[u32]) -> Option<Match> {
    let node = g.node(bn);
    let Op::Aten(a) = &node.op else { return None };
    if a.name() != "batch_norm" || node.outputs.len() != 1 {
        return None;
    }
    let get = |name: &str| arg(node, a, name).map(|(_, v)| v);
    if literal_of(g, get("training")?) != Some(Literal::Bool(false)) {
        return None;
    }
    let eps = match literal_of(g, get("eps")?)? {
        Literal::Float(e) => e,
        Literal::Int(e) => e as f64,
        _ => return None,
    };
    let conv_out = get("input")?;
    let conv = g.def_node(conv_out)?;
    let cnode = g.node(conv);
    let Op::Aten(ca) = &cnode.op else { return None };
    if !matches!(ca.name(), "conv1d" | "conv2d") || !only_shape_reads_besides(g, conv_out, bn, uses) {
        return None;
    }
    let (w, weight_name) = const_tensor(g, arg(cnode, ca, "weight")?.1)?;
    let dtype = w.dtype();
    let o = *w.shape().first()?;
    if !dtype.is_float() || w.ndim() < 3 {
        return None;
    }
    let bias_v = arg(cnode, ca, "bias")?.1;
    let (bias, bias_name) = match literal_of(g, bias_v) {
        Some(Literal::None) => (vec![0.0; o], bias_name_for(&weight_name)),
        _ => {
            let (_, name) = const_tensor(g, bias_v)?;
            (channel_param(g, bias_v, o, dtype, None)?, folded_name(&name))
        }
    };
    let mean = channel_param(g, get("running_mean")?, o, dtype, None)?;
    let var = channel_param(g, get("running_var")?, o, dtype, None)?;
    let gamma = channel_param(g, get("weight")?, o, dtype, Some(1.0))?;
    let beta = channel_param(g, get("bias")?, o, dtype, Some(0.0))?;
    let scale: Vec<f64> = (0..o).map(|c| gamma[c] / (var[c] + eps).sqrt()).collect();
    let per = w.numel() / o.max(1);
    let wv = w.copy_as(DType::F64).to_vec::<f64>();
    let folded_w: Vec<f64> = wv.iter().enumerate().map(|(i, x)| x * scale[i / per]).collect();
    let folded_b: Vec<f64> = (0..o).map(|c| (bias[c] - mean[c]) * scale[c] + beta[c]).collect();
    Some(Match {
        conv,
        weight: Tensor::from_vec(folded_w, w.shape()).ok()?.copy_as(dtype),
        bias: Tensor::from_vec(folded_b, &[o]).ok()?.copy_as(dtype),
        weight_name: folded_name(&weight_name),
        bias_name,
    })
}

/// Whether every use of `v` but the one by `bn` is the tensor operand of a
/// `dim` or `size` node (values of the same shape may stand in for `v`).
fn only_shape_reads_besides(g: &Graph, v: Value, bn: Node, uses: &[u32]) -> bool {
    let mut seen = 0u32;
    for (b, _) in g.reachable_blocks() {
        for &n in &g.block(b).nodes {
            let node = g.node(n);
            let reads = node.inputs.iter().filter(|&&i| i == v).count() as u32;
            if reads == 0 {
                continue;
            }
            seen += reads;
            let shape_read = matches!(&node.op, Op::Aten(a) if matches!(a.name(), "dim" | "size")) && node.inputs[0] == v && reads == 1;
            if n != bn && !shape_read {
                return false;
            }
        }
    }
    // Uses not seen above are block results or nested reads: not allowed.
    uses.get(v.index()) == Some(&seen)
}

/// `NAME.folded` (a constant folded again keeps one `.folded`; the
/// constant table makes the name unique).
fn folded_name(name: &str) -> String {
    format!("{}.folded", name.strip_suffix(".folded").unwrap_or(name))
}

/// `conv.weight` -> `conv.bias.folded`; any other name `NAME.bias.folded`.
fn bias_name_for(weight: &str) -> String {
    let weight = weight.strip_suffix(".folded").unwrap_or(weight);
    match weight.strip_suffix("weight") {
        Some(prefix) => format!("{prefix}bias.folded"),
        None => format!("{weight}.bias.folded"),
    }
}

fn apply(g: &mut Graph, bn: Node, m: Match) {
    let Op::Aten(ca) = g.node(m.conv).op.clone() else { unreachable!("matched a conv") };
    let loc = g.node(m.conv).loc.clone();
    let operand = |g: &mut Graph, name: &str, t: Tensor| {
        let value = ConstValue::Tensor(t);
        let ty = const_type(&value);
        let c = g.add_const(name, value);
        let n = g.create_node(Op::Const(c), Vec::new(), vec![ty]);
        g.node_mut(n).loc = loc.clone();
        n
    };
    let wn = operand(g, &m.weight_name, m.weight);
    let bn_const = operand(g, &m.bias_name, m.bias);
    let (Some((wi, _)), Some((bi, _))) = (arg(g.node(m.conv), &ca, "weight"), arg(g.node(m.conv), &ca, "bias")) else {
        unreachable!("conv schemas have weight and bias")
    };
    let (wv, bv) = (g.node(wn).outputs[0], g.node(bn_const).outputs[0]);
    g.node_mut(m.conv).inputs[wi] = wv;
    g.node_mut(m.conv).inputs[bi] = bv;
    // Put the constants right before the conv.
    let block = g.reachable_blocks().into_iter().map(|(b, _)| b).find(|&b| g.block(b).nodes.contains(&m.conv));
    if let Some(b) = block {
        let at = g.block(b).nodes.iter().position(|&n| n == m.conv).unwrap_or(0);
        g.block_mut(b).nodes.splice(at..at, [wn, bn_const]);
    }
    // The conv takes over the batch norm's output.
    let out = g.node(bn).outputs[0];
    let old = std::mem::replace(&mut g.node_mut(m.conv).outputs[0], out);
    g.values[old.index()].def = ValueDef::Detached;
    g.node_mut(bn).outputs.clear();
    remove_node(g, bn);
    g.values[out.index()].def = ValueDef::Node(m.conv, 0);
    // Shape reads of the conv's old output read the folded one.
    g.replace_uses(&std::iter::once((old, out)).collect());
}
