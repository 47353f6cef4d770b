//! Epilogues fused when the plan is made: `relu(conv2d(..))` (and conv1d)
//! becomes one [`POp::ConvRelu`] node when the convolution's result is used
//! by that `relu` and otherwise only by shape reads (`dim`, `size`: what an
//! inlined `BatchNorm2d` checks) between the two, which then read the
//! fused result (ReLU keeps the shape). On CPU operands the convolution then
//! applies ReLU in its GEMM's tile store (`ops/conv.rs`), saving a pass
//! over the output; on any other device the node runs the two registry ops
//! in turn, so results and errors are those of the unfused program.
//!
//! The fusion is invisible in the `.tsg`: it is a property of the plan,
//! like the packed Linear weights (`packed.rs`).

use std::collections::HashMap;

use super::call::{call, call_with};
use super::plan::{use_counts, PBlock, PNode, POp};
use crate::ops::{invoke, Args, Overload};
use crate::{Device, Result, Value};

/// Merges each `relu` of a conv's result into the conv node (see the
/// module doc for when).
pub(super) fn fuse_conv_relu(blocks: &mut [PBlock]) {
    let uses = use_counts(blocks);
    for b in blocks.iter_mut() {
        let mut k = 0;
        while k < b.nodes.len() {
            if let Some(r) = relu_of(b, k, &uses) {
                let relu = b.nodes.remove(r);
                let (s, s2) = (b.nodes[k].outputs[0], relu.outputs[0]);
                for n in &mut b.nodes[k + 1..r] {
                    n.inputs
                        .iter_mut()
                        .filter(|(i, _)| *i == s)
                        .for_each(|(i, _)| *i = s2);
                }
                // What the relu freed (its result's slot is the conv's now;
                // the `inplace` flag's slot) is freed by the node before it.
                b.nodes[r - 1]
                    .free
                    .extend(relu.free.iter().copied().filter(|&f| f != s));
                let conv = &mut b.nodes[k];
                if let (
                    POp::Call {
                        overloads: relu_ovs,
                        ..
                    },
                    POp::Call { name, overloads },
                ) = (&relu.op, &conv.op)
                {
                    conv.op = POp::ConvRelu {
                        name: name.clone(),
                        conv: overloads,
                        relu: relu_ovs,
                    };
                    conv.outputs = relu.outputs;
                }
            }
            k += 1;
        }
    }
}

/// The index of the `relu` node fusable into node `k`, if any.
fn relu_of(b: &PBlock, k: usize, uses: &HashMap<u32, usize>) -> Option<usize> {
    let n = &b.nodes[k];
    let POp::Call { name, .. } = &n.op else {
        return None;
    };
    if !matches!(name.as_str(), "conv2d" | "conv1d") || n.outputs.len() != 1 {
        return None;
    }
    let s = n.outputs[0];
    let reads = |m: &PNode| m.inputs.iter().filter(|(i, _)| *i == s).count();
    let shape_read = |m: &PNode| {
        matches!(&m.op, POp::Call { name, .. } if name == "dim" || name == "size")
            && m.blocks.is_empty()
    };
    // The uses up to the relu, in this block: shape reads, then the relu.
    let mut seen = 0;
    for (r, m) in b.nodes.iter().enumerate().skip(k + 1) {
        match reads(m) {
            0 => continue,
            c if shape_read(m) && m.inputs.iter().all(|&(i, moved)| i != s || !moved) => seen += c,
            _ => {
                let is_relu = matches!(&m.op, POp::Call { name, .. } if name == "relu");
                // The relu's result must be used after it, so it is not
                // freed before the rewired shape reads run.
                // `relu(x)` or `relu(x, inplace)`: with x used by nothing
                // else, in place or not is the same.
                let fits = is_relu
                    && m.inputs[0].0 == s
                    && reads(m) == 1
                    && m.inputs.len() <= 2
                    && m.outputs.len() == 1
                    && m.blocks.is_empty();
                let rest_ok = uses.get(&s) == Some(&(seen + 1))
                    && (seen == 0 || uses.get(&m.outputs[0]).is_some_and(|&u| u > 0));
                return (fits && rest_ok).then_some(r);
            }
        }
    }
    None
}

/// Runs a [`POp::ConvRelu`] node: the fused kernel when every tensor
/// argument is on the CPU, else the convolution and then `relu`.
pub(super) fn conv_relu(
    name: &str,
    conv: &'static [Overload],
    relu: &'static [Overload],
    args: Vec<Value>,
) -> Result<Value> {
    let cpu = args
        .iter()
        .all(|v| !matches!(v, Value::Tensor(t) if t.device() != Device::Cpu));
    if cpu {
        return call_with(name, conv, args, |_, a: &Args| {
            crate::ops::conv::run_conv_relu(a)
        });
    }
    let y = call_with(name, conv, args, invoke)?;
    call("relu", relu, vec![y])
}
