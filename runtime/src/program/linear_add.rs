//! `linear(x, W, b) + y` as one node ([`POp::LinearAdd`]): an RNN cell's
//! `ih(x[t]) + hh(h)`, a residual `x + proj(..)`. The plan merges an `add`
//! (alpha 1, or none) whose operand is the result of a `linear` used only
//! there; the node runs where the `add` ran, so the `linear`'s operands
//! live until then.
//!
//! A batch-1 float32 CPU call (`x` one row, `y` of the result's shape,
//! `n, k ≥ 2`) adds `y` in the matrix-vector product's final pass
//! (`tsc_kernels::gemm::linear_vec_add_f32`): the same bits as the two ops,
//! with no output and no pass of the `add`'s own. In `lstm_loop` that was
//! 1.1 µs of a 15.6 µs step (`exec --profile`). Anything else runs the
//! `linear` (on the packed weight when `packed.rs` packs it) and then the
//! `add` with its operands in the program's order, so results and errors
//! are those of the two ops.

use std::collections::HashMap;

use super::call::call;
use super::plan::{use_counts, PBlock, POp};
use crate::ops::Overload;
use crate::{DType, Device, Result, Tensor, Value};

/// Merges each eligible `linear` into the `add` that reads it.
pub(super) fn fuse_linear_add(blocks: &mut [PBlock], consts: &[Value]) {
    let uses = use_counts(blocks);
    // An add's alpha is a constant, often defined in an outer block.
    let const_of: HashMap<u32, &Value> = blocks
        .iter()
        .flat_map(|b| &b.nodes)
        .filter_map(|n| match (&n.op, n.outputs.as_slice()) {
            (POp::Const(i), [s]) => Some((*s, consts.get(*i)?)),
            _ => None,
        })
        .collect();
    for b in blocks.iter_mut() {
        let mut a = 0;
        while a < b.nodes.len() {
            match find(b, a, &uses, &const_of) {
                Some((l, linear_first)) => {
                    merge(b, l, a, linear_first);
                    // Node `a - 1` is now the merged one; `a` the next.
                }
                None => a += 1,
            }
        }
    }
}

/// For an `add` node `a`: the `linear` node feeding it that it can take
/// over, and whether that is the `add`'s first operand.
fn find(
    b: &PBlock,
    a: usize,
    uses: &HashMap<u32, usize>,
    const_of: &HashMap<u32, &Value>,
) -> Option<(usize, bool)> {
    let n = &b.nodes[a];
    let POp::Call { name, .. } = &n.op else {
        return None;
    };
    let (p, q, alpha) = match n.inputs.as_slice() {
        [(p, _), (q, _)] => (*p, *q, None),
        [(p, _), (q, _), (alpha, _)] => (*p, *q, Some(*alpha)),
        _ => return None,
    };
    let alpha_one = alpha.is_none_or(|s| matches!(const_of.get(&s), Some(Value::Int(1))));
    if name != "add" || n.outputs.len() != 1 || !n.blocks.is_empty() || p == q || !alpha_one {
        return None;
    }
    for (s, linear_first) in [(p, true), (q, false)] {
        let Some(l) = b.nodes[..a].iter().rposition(|m| m.outputs.contains(&s)) else {
            continue;
        };
        let m = &b.nodes[l];
        let linear = matches!(&m.op, POp::Call { name, .. } if name == "linear");
        if linear && m.outputs == [s] && m.blocks.is_empty() && uses.get(&s) == Some(&1) {
            return Some((l, linear_first));
        }
    }
    None
}

/// Removes `linear` node `l`; `add` node `a` takes its operands first,
/// then its own but the `linear`'s result, and frees what `l` freed.
fn merge(b: &mut PBlock, l: usize, a: usize, linear_first: bool) {
    let lin = b.nodes.remove(l);
    let s = lin.outputs[0];
    let node = &mut b.nodes[a - 1];
    let (
        POp::Call {
            overloads: linear, ..
        },
        POp::Call { overloads: add, .. },
    ) = (&lin.op, &node.op)
    else {
        unreachable!("find matched a linear and an add");
    };
    let rest: Vec<(u32, bool)> = node
        .inputs
        .iter()
        .copied()
        .filter(|&(i, _)| i != s)
        .collect();
    node.op = POp::LinearAdd {
        packed: None,
        linear,
        add,
        split: lin.inputs.len(),
        linear_first,
    };
    node.inputs = lin.inputs.iter().copied().chain(rest).collect();
    node.free.retain(|&f| f != s);
    node.free.extend(lin.free);
}

/// Runs a [`POp::LinearAdd`] node: `args` are the `linear`'s `split`
/// operands, then the `add`'s other operand (and its alpha).
pub(super) fn linear_add(
    packed: Option<&super::packed::LazyPacked>,
    linear: &'static [Overload],
    add: &'static [Overload],
    split: usize,
    linear_first: bool,
    mut args: Vec<Value>,
) -> Result<Value> {
    let mut rest = args.split_off(split.min(args.len()));
    if let Some(out) = rest.first().and_then(|y| row_add(&args, y)) {
        return out;
    }
    let y = match packed.and_then(|p| super::packed::linear(&args, p)) {
        Some(y) => y?,
        None => call("linear", linear, args)?,
    };
    rest.insert(if linear_first { 0 } else { 1 }.min(rest.len()), y);
    call("add", add, rest)
}

/// The batch-1 path (see the module doc), or `None` where it does not apply.
fn row_add(args: &[Value], y: &Value) -> Option<Result<Value>> {
    let [Value::Tensor(x), Value::Tensor(w), rest @ ..] = args else {
        return None;
    };
    let bias = match rest {
        [] | [Value::None] => None,
        [Value::Tensor(b)] => Some(b),
        _ => return None,
    };
    let Value::Tensor(y) = y else {
        return None;
    };
    let f32_cpu = |t: &Tensor| t.dtype() == DType::F32 && t.device() == Device::Cpu;
    let &[n, k] = w.shape() else {
        return None;
    };
    let mut shape = x.shape().to_vec();
    let last = shape.last_mut()?;
    if *last != k || x.numel() != k || n < 2 || k < 2 {
        return None;
    }
    *last = n;
    let fits = f32_cpu(x)
        && f32_cpu(w)
        && f32_cpu(y)
        && y.shape() == shape.as_slice()
        && bias.is_none_or(|b| f32_cpu(b) && b.shape() == [n]);
    if !fits {
        return None;
    }
    // SAFETY: `linear_vec_add_f32` writes all n outputs.
    let mut out = unsafe { crate::alloc::uninit_vec::<f32>(n) };
    let mut run = |bs: Option<&[f32]>| {
        x.with_slice::<f32, _>(|xs| {
            w.with_slice::<f32, _>(|ws| {
                y.with_slice::<f32, _>(|ys| {
                    tsc_kernels::gemm::linear_vec_add_f32(xs, ws, bs, ys, &mut out)
                })
            })
        })
    };
    match bias {
        Some(b) => b.with_slice::<f32, _>(|bs| run(Some(bs))),
        None => run(None),
    }
    Some(Tensor::from_vec(out, &shape).map(Value::Tensor))
}
