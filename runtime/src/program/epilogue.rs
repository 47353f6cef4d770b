//! Epilogues fused when the plan is made:
//!
//! - `relu(conv2d(..))` (and conv1d) becomes one [`POp::ConvRelu`] node
//!   when the convolution's result is used by that `relu` and otherwise
//!   only by shape reads (`dim`, `size`: what an inlined `BatchNorm2d`
//!   checks) between the two, which then read the fused result (ReLU keeps
//!   the shape).
//! - `relu(conv(..) + y)`, a fused `add`+`relu` node fed by a conv (a
//!   residual block's `F.relu(out + shortcut)`), becomes one
//!   [`POp::ConvResidualRelu`] node, under the same condition on the
//!   conv's result, when `y` is defined before the conv (of the two convs
//!   feeding a block with a projection shortcut, the later one).
//!
//! On CPU operands the convolution then applies the epilogue in its GEMM's
//! tile store (`ops/conv.rs`), saving a pass over the output; on any other
//! device the node runs the registry ops in turn, so results and errors
//! are those of the unfused program.
//!
//! The fusion is invisible in the `.tsg`: it is a property of the plan,
//! like the packed Linear weights (`packed.rs`).

use std::collections::HashMap;

use super::call::{call, call_with};
use super::plan::{use_counts, PBlock, PNode, POp};
use crate::ops::conv::{run_conv_epilogue, Epilogue};
use crate::ops::{invoke, Args, Overload};
use crate::{Device, Error, Result, Value};

/// Merges each `relu` of a conv's result into the conv node (see the
/// module doc for when).
pub(super) fn fuse_conv_relu(blocks: &mut [PBlock]) {
    let uses = use_counts(blocks);
    for b in blocks.iter_mut() {
        let mut k = 0;
        while k < b.nodes.len() {
            if let Some(r) = relu_of(b, k, &uses) {
                let gone = merge_into(b, k, r);
                let conv = &mut b.nodes[k];
                if let (
                    POp::Call {
                        overloads: relu, ..
                    },
                    POp::Call { name, overloads },
                ) = (&gone.op, &conv.op)
                {
                    conv.op = POp::ConvRelu {
                        name: name.clone(),
                        conv: overloads,
                        relu,
                    };
                }
            }
            k += 1;
        }
    }
}

/// A fused node's body that is `relu(add(p0, p1[, 1])[, inplace])` of its
/// two params: the overloads of `add` and `relu`.
#[derive(Clone, Copy)]
struct AddRelu {
    add: &'static [Overload],
    relu: &'static [Overload],
}

fn add_relu(body: &PBlock, consts: &[Value]) -> Option<AddRelu> {
    let ops: Vec<&PNode> = body
        .nodes
        .iter()
        .filter(|n| !matches!(n.op, POp::Const(_)))
        .collect();
    let ([add, relu], [p0, p1]) = (ops.as_slice(), body.params.as_slice()) else {
        return None;
    };
    let const_value = |slot: u32| {
        body.nodes.iter().find_map(|n| match n.op {
            POp::Const(i) if n.outputs == [slot] => consts.get(i),
            _ => None,
        })
    };
    let (
        POp::Call {
            name: an,
            overloads: add_ovs,
        },
        POp::Call {
            name: rn,
            overloads: relu_ovs,
        },
    ) = (&add.op, &relu.op)
    else {
        return None;
    };
    let add_ok = an == "add"
        && matches!(add.inputs.as_slice(), [(a, _), (b, _), rest @ ..] if (*a, *b) == (*p0, *p1) && p0 != p1
        && match rest {
            [] => true,
            [(alpha, _)] => matches!(const_value(*alpha), Some(Value::Int(1))),
            _ => false,
        });
    let relu_ok = rn == "relu"
        && add.outputs.len() == 1
        && relu.inputs.first().map(|i| i.0) == add.outputs.first().copied()
        && relu.inputs.len() <= 2
        && relu.outputs.len() == 1
        && body
            .results
            .iter()
            .map(|r| r.0)
            .eq(relu.outputs.iter().copied());
    (add_ok && relu_ok && add.blocks.is_empty() && relu.blocks.is_empty()).then_some(AddRelu {
        add: add_ovs,
        relu: relu_ovs,
    })
}

/// Merges each fused `relu(conv(..) + y)` into the conv (see the module doc).
pub(super) fn fuse_conv_residual(blocks: &mut [PBlock], consts: &[Value]) {
    let uses = use_counts(blocks);
    let bodies: HashMap<usize, AddRelu> = blocks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| Some((i, add_relu(b, consts)?)))
        .collect();
    for b in blocks.iter_mut() {
        let mut r = 0;
        while r < b.nodes.len() {
            match residual_of(b, r, &bodies, &uses) {
                Some((k, conv_first, body)) => {
                    let y = b.nodes[r].inputs[usize::from(conv_first)].0;
                    merge_into(b, k, r);
                    let conv = &mut b.nodes[k];
                    if let POp::Call { name, overloads } = &conv.op {
                        conv.op = POp::ConvResidualRelu {
                            name: name.clone(),
                            conv: overloads,
                            add: body.add,
                            relu: body.relu,
                            conv_first,
                        };
                    }
                    // Read, never moved: it may have uses before its old last use.
                    conv.inputs.push((y, false));
                    r = k + 1;
                }
                None => r += 1,
            }
        }
    }
}

/// For a fused `add`+`relu` node `r`: the conv node feeding it that can
/// take it over, whether that conv feeds the add's first operand, and the
/// body's overloads.
fn residual_of(
    b: &PBlock,
    r: usize,
    bodies: &HashMap<usize, AddRelu>,
    uses: &HashMap<u32, usize>,
) -> Option<(usize, bool, AddRelu)> {
    let n = &b.nodes[r];
    let (POp::Fused(_), [body], [(s0, _), (s1, _)], [_]) = (
        &n.op,
        n.blocks.as_slice(),
        n.inputs.as_slice(),
        n.outputs.as_slice(),
    ) else {
        return None;
    };
    let body = *bodies.get(&(*body as usize))?;
    if s0 == s1 {
        return None;
    }
    let defined_in =
        |from: usize, slot: u32| b.nodes[from..r].iter().any(|m| m.outputs.contains(&slot));
    for (s, y, conv_first) in [(*s0, *s1, true), (*s1, *s0, false)] {
        let Some(k) = b.nodes[..r].iter().rposition(|m| m.outputs.contains(&s)) else {
            continue;
        };
        if is_conv(&b.nodes[k]) && !defined_in(k, y) && only_shape_reads_before(b, k, r, 1, uses) {
            return Some((k, conv_first, body));
        }
    }
    None
}

/// Whether `n` is a convolution with one result.
pub(super) fn is_conv(n: &PNode) -> bool {
    matches!(&n.op, POp::Call { name, .. } if name == "conv2d" || name == "conv1d")
        && n.outputs.len() == 1
        && n.blocks.is_empty()
}

/// Whether node `r` may take over node `k`'s result `s`, read `reads`
/// times by node `r`: every other use of `s` is a shape read (`dim`,
/// `size`) between the two, which will read node `r`'s result instead
/// (used after it, so not freed before those reads run).
pub(super) fn only_shape_reads_before(
    b: &PBlock,
    k: usize,
    r: usize,
    reads: usize,
    uses: &HashMap<u32, usize>,
) -> bool {
    let s = b.nodes[k].outputs[0];
    let mut seen = 0;
    for m in &b.nodes[k + 1..r] {
        let c = m.inputs.iter().filter(|(i, _)| *i == s).count();
        if c == 0 {
            continue;
        }
        let shape_read = matches!(&m.op, POp::Call { name, .. } if name == "dim" || name == "size")
            && m.blocks.is_empty()
            && m.inputs.iter().all(|&(i, moved)| i != s || !moved);
        if !shape_read {
            return false;
        }
        seen += c;
    }
    let out = b.nodes[r].outputs[0];
    uses.get(&s) == Some(&(seen + reads)) && (seen == 0 || uses.get(&out).is_some_and(|&u| u > 0))
}

/// Removes node `r`, whose result node `k` now computes: node `k` takes
/// its outputs, the shape reads between read them, and what `r` freed
/// (but `k`'s old result) is freed by the node before it. Returns the
/// removed node.
fn merge_into(b: &mut PBlock, k: usize, r: usize) -> PNode {
    let gone = b.nodes.remove(r);
    let (s, s2) = (b.nodes[k].outputs[0], gone.outputs[0]);
    for n in &mut b.nodes[k + 1..r] {
        n.inputs
            .iter_mut()
            .filter(|(i, _)| *i == s)
            .for_each(|(i, _)| *i = s2);
    }
    b.nodes[r - 1]
        .free
        .extend(gone.free.iter().copied().filter(|&f| f != s));
    b.nodes[k].outputs = gone.outputs.clone();
    gone
}

/// The index of the `relu` node fusable into node `k`, if any.
fn relu_of(b: &PBlock, k: usize, uses: &HashMap<u32, usize>) -> Option<usize> {
    if !is_conv(&b.nodes[k]) {
        return None;
    }
    let s = b.nodes[k].outputs[0];
    // The first use that is not a shape read.
    let r = (k + 1..b.nodes.len()).find(|&r| {
        let m = &b.nodes[r];
        m.inputs.iter().any(|(i, _)| *i == s)
            && !matches!(&m.op, POp::Call { name, .. } if name == "dim" || name == "size")
    })?;
    let m = &b.nodes[r];
    // `relu(x)` or `relu(x, inplace)`: with x used by nothing else, in
    // place or not is the same.
    let fits = matches!(&m.op, POp::Call { name, .. } if name == "relu")
        && m.inputs[0].0 == s
        && m.inputs.iter().filter(|(i, _)| *i == s).count() == 1
        && m.inputs.len() <= 2
        && m.outputs.len() == 1
        && m.blocks.is_empty();
    (fits && only_shape_reads_before(b, k, r, 1, uses)).then_some(r)
}

pub(super) fn on_cpu(args: &[Value]) -> bool {
    args.iter()
        .all(|v| !matches!(v, Value::Tensor(t) if t.device() != Device::Cpu))
}

/// Runs a [`POp::ConvRelu`] node: the fused kernel when every tensor
/// argument is on the CPU, else the convolution and then `relu`.
pub(super) fn conv_relu(
    name: &str,
    conv: &'static [Overload],
    relu: &'static [Overload],
    args: Vec<Value>,
) -> Result<Value> {
    if on_cpu(&args) {
        return call_with(name, conv, args, |_, a: &Args| {
            run_conv_epilogue(
                a,
                Epilogue {
                    residual: None,
                    relu: true,
                },
            )
        });
    }
    let y = call_with(name, conv, args, invoke)?;
    call("relu", relu, vec![y])
}

/// Runs a [`POp::ConvResidualRelu`] node (`args`: the conv's, then the
/// residual): the fused kernel when every tensor is on the CPU, else the
/// convolution, `add` (the operands in the program's order) and `relu`.
#[allow(clippy::too_many_arguments)]
pub(super) fn conv_residual_relu(
    name: &str,
    conv: &'static [Overload],
    add: &'static [Overload],
    relu: &'static [Overload],
    conv_first: bool,
    mut args: Vec<Value>,
) -> Result<Value> {
    let cpu = on_cpu(&args);
    let y = args
        .pop()
        .ok_or_else(|| Error::op(name, "internal: no residual argument"))?;
    if let (Value::Tensor(r), true) = (&y, cpu) {
        return call_with(name, conv, args, |_, a: &Args| {
            run_conv_epilogue(
                a,
                Epilogue {
                    residual: Some(r),
                    relu: true,
                },
            )
        });
    }
    let c = call_with(name, conv, args, invoke)?;
    let sum = if conv_first { vec![c, y] } else { vec![y, c] };
    call("relu", relu, vec![call("add", add, sum)?])
}
