//! A residual block's projection shortcut computed beside the block's
//! first convolution: after `epilogue.rs`, a block like
//!
//! ```text
//! a = conv+relu(x, w1, ..)          # conv1 (+ bn1 folded) + relu
//! b = conv2d(a, w2, ..)             # conv2 (+ bn2 folded)
//! y = conv+add+relu(x, ws, .., b)   # relu(b + shortcut(x))
//! ```
//!
//! becomes
//!
//! ```text
//! a, s = conv+shortcut(x, w1, .., x, ws, ..)   # POp::ConvShortcut
//! y = conv+add+relu(a, w2, .., s)              # conv2 takes the add
//! ```
//!
//! On CPU float32 operands where the shortcut is a 1×1 conv at the first
//! conv's stride with no padding, the kernel library computes it from the
//! first conv's input windows (`conv2d_with_shortcut_f32`): the input is
//! not padded and copied a second time. On the CNN workload's two
//! stride-2 blocks a call went from 9.43–9.68 to 9.16–9.55 ms (`tsc bench
//! --mode script`, three runs alternated). Anything else runs the two
//! convolutions in turn, so results are those of the unfused program
//! either way; the sum is the same two rounded values added, in either
//! order.
//!
//! The shortcut's other operands (weights, stride tuples) are constants
//! defined between the two convs: their defining `Const` and
//! tuple/list nodes move before the first conv. What the shortcut node
//! freed is freed where it was (a value the shortcut read lives as long
//! as before); `s` dies at conv2.

use std::collections::HashMap;

use super::call::{call, call_with};
use super::epilogue::{is_conv, on_cpu, only_shape_reads_before};
use super::plan::{use_counts, PBlock, PNode, POp};
use crate::ops::conv::{run_conv_with_shortcut, Epilogue};
use crate::ops::{invoke, Overload};
use crate::{Result, Value};

/// What [`find`] matched: the first conv, conv2, the shortcut node, and
/// the nodes to move before the first conv (ascending).
struct Found {
    first: usize,
    second: usize,
    short: usize,
    hoist: Vec<usize>,
}

/// Rewrites every block as the module doc says; new slots (the
/// shortcuts' results) are numbered from `num_slots` up.
pub(super) fn fuse_shortcuts(blocks: &mut [PBlock], num_slots: &mut usize) {
    for bi in 0..blocks.len() {
        let mut r = 0;
        while r < blocks[bi].nodes.len() {
            if !matches!(blocks[bi].nodes[r].op, POp::ConvResidualRelu { .. }) {
                r += 1;
                continue;
            }
            let uses = use_counts(blocks);
            match find(&blocks[bi], r, &uses) {
                Some(m) => {
                    rewrite(&mut blocks[bi], m, *num_slots as u32);
                    *num_slots += 1;
                }
                None => r += 1,
            }
        }
    }
}

/// Whether `n` is `conv2d` (or `conv+relu` of it) with one result.
fn first_conv(n: &PNode) -> bool {
    match &n.op {
        POp::ConvRelu { name, .. } => name == "conv2d" && n.outputs.len() == 1,
        POp::Call { name, .. } => name == "conv2d" && is_conv(n),
        _ => false,
    }
}

/// The block around shortcut node `r`, if it is one (see the module doc).
fn find(b: &PBlock, r: usize, uses: &HashMap<u32, usize>) -> Option<Found> {
    let n = &b.nodes[r];
    let POp::ConvResidualRelu { name, .. } = &n.op else {
        return None;
    };
    let ((y, _), conv_in) = n.inputs.split_last()?;
    let x = conv_in.first()?.0;
    if name != "conv2d" || n.outputs.len() != 1 || conv_in.iter().any(|i| i.0 == *y) {
        return None;
    }
    let second = b.nodes[..r].iter().rposition(|m| m.outputs.contains(y))?;
    if !is_conv(&b.nodes[second]) || !only_shape_reads_before(b, second, r, 1, uses) {
        return None;
    }
    let first = b.nodes[..second]
        .iter()
        .rposition(|m| first_conv(m) && m.inputs.first().map(|i| i.0) == Some(x))?;
    // The operands must be ready before `first`: defined before it (or
    // outside the block), or by constant nodes that can move there.
    let mut hoist = Vec::new();
    for &(s, _) in &conv_in[1..] {
        ready(b, first, r, s, &mut hoist)?;
    }
    hoist.sort_unstable();
    hoist.dedup();
    Some(Found {
        first,
        second,
        short: r,
        hoist,
    })
}

/// `Some` when slot `s` is defined before node `first` or outside the
/// block, or by a `Const` or tuple/list node between `first` and `r`
/// whose inputs are (those nodes added to `hoist`).
fn ready(b: &PBlock, first: usize, r: usize, s: u32, hoist: &mut Vec<usize>) -> Option<()> {
    let Some(d) = b.nodes[..r].iter().position(|m| m.outputs.contains(&s)) else {
        return b.nodes[r..]
            .iter()
            .all(|m| !m.outputs.contains(&s))
            .then_some(());
    };
    if d < first || hoist.contains(&d) {
        return Some(());
    }
    let n = &b.nodes[d];
    let movable = matches!(
        n.op,
        POp::Const(_) | POp::TupleConstruct | POp::ListConstruct
    ) && n.blocks.is_empty();
    if !movable {
        return None;
    }
    for &(i, _) in &n.inputs {
        ready(b, first, r, i, hoist)?;
    }
    hoist.push(d);
    Some(())
}

fn rewrite(b: &mut PBlock, m: Found, s: u32) {
    let gone = b.nodes.remove(m.short);
    let POp::ConvResidualRelu {
        conv: short,
        add,
        relu,
        conv_first,
        ..
    } = gone.op
    else {
        unreachable!("find matched a conv+add+relu node");
    };
    let ((y, _), conv_in) = gone.inputs.split_last().expect("find checked the inputs");
    // What the shortcut node freed is freed by the last node before it
    // that stays in place (conv2 at the earliest), but `y`, now gone.
    let keep = (m.second..m.short)
        .rev()
        .find(|k| !m.hoist.contains(k))
        .unwrap_or(m.second);
    b.nodes[keep]
        .free
        .extend(gone.free.iter().copied().filter(|f| f != y));
    // conv2 computes the block's result, with `s` as its residual.
    let out = gone.outputs[0];
    for n in &mut b.nodes[m.second + 1..m.short] {
        n.inputs
            .iter_mut()
            .filter(|(i, _)| i == y)
            .for_each(|(i, _)| *i = out);
    }
    let second = &mut b.nodes[m.second];
    if let POp::Call { name, overloads } = &second.op {
        second.op = POp::ConvResidualRelu {
            name: name.clone(),
            conv: overloads,
            add,
            relu,
            conv_first: !conv_first,
        };
    }
    second.inputs.push((s, false));
    second.outputs = vec![out];
    second.free.push(s);
    // The first conv computes the shortcut too.
    let first = &mut b.nodes[m.first];
    let split = first.inputs.len();
    first.op = match &first.op {
        POp::ConvRelu { conv, relu, .. } => POp::ConvShortcut {
            conv,
            relu: Some(relu),
            short,
            split,
        },
        POp::Call { overloads, .. } => POp::ConvShortcut {
            conv: overloads,
            relu: None,
            short,
            split,
        },
        _ => unreachable!("find matched a conv"),
    };
    first
        .inputs
        .extend(conv_in.iter().map(|&(i, _)| (i, false)));
    first.outputs.push(s);
    let moved: Vec<PNode> = m.hoist.iter().rev().map(|&k| b.nodes.remove(k)).collect();
    for n in moved {
        b.nodes.insert(m.first, n);
    }
}

/// Runs a [`POp::ConvShortcut`] node (`args`: the conv's `split`, then
/// the shortcut's): both in one pass on CPU operands, else the conv, its
/// `relu` and the shortcut in turn. Returns the tuple of the two results.
pub(super) fn conv_shortcut(
    conv: &'static [Overload],
    relu: Option<&'static [Overload]>,
    short: &'static [Overload],
    split: usize,
    mut args: Vec<Value>,
) -> Result<Value> {
    let s_args = args.split_off(split.min(args.len()));
    if on_cpu(&args) && on_cpu(&s_args) {
        let epi = Epilogue {
            residual: None,
            relu: relu.is_some(),
        };
        return call_with("conv2d", conv, args, |_, a| {
            call_with("conv2d", short, s_args.clone(), |_, s| {
                run_conv_with_shortcut(a, s, epi)
            })
        });
    }
    let y = call_with("conv2d", conv, args, invoke)?;
    let y = match relu {
        Some(r) => call("relu", r, vec![y])?,
        None => y,
    };
    Ok(Value::Tuple(vec![y, call("conv2d", short, s_args)?]))
}
