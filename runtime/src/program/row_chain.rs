//! `softmax(layer_norm(x, ..), dim=-1)` as one node (`POp::NormSoftmax`):
//! the two row reductions run row by row, the normalized row kept in a
//! scratch row in L1 for the softmax, so `x` is read from memory once and
//! the result written once. Run apart, the normalized tensor is written
//! out and read back in full (the `norm_softmax` workload: 4096 rows of
//! 1024 floats, twice the memory traffic).
//!
//! The plan rewrite takes a `layer_norm` whose only use is the `softmax`
//! that follows it with nothing but constants in between; the fused node
//! takes the `layer_norm`'s inputs, then the `softmax`'s others. At run
//! time the fused kernel runs when `x` is a contiguous float32 CPU tensor
//! normalized over its last dim only (weight and bias float32 of that
//! size, or absent) and the softmax is over the last dim with no dtype;
//! otherwise the node runs the two registry ops, so errors are theirs.
//! Either way the bits are those of the ops run apart: the kernel applies
//! the same row functions (`tsc_kernels::rows`).

use super::call::call;
use super::plan::{use_counts, PBlock, POp};
use crate::ops::Overload;
use crate::{DType, Device, Result, Tensor, Value};

/// Rewrites each eligible `layer_norm` + `softmax` pair (see the module doc).
pub(super) fn fuse_norm_softmax(blocks: &mut [PBlock]) {
    let uses = use_counts(blocks);
    for b in blocks.iter_mut() {
        let mut k = 0;
        while k < b.nodes.len() {
            let Some((r, ln_ovs, sm_ovs)) = softmax_of(b, k, &uses) else {
                k += 1;
                continue;
            };
            let ln = b.nodes.remove(k);
            let r = r - 1;
            let s = ln.outputs[0];
            let sm = &mut b.nodes[r];
            let rest: Vec<(u32, bool)> = sm.inputs[1..].to_vec();
            sm.op = POp::NormSoftmax { layer_norm: ln_ovs, softmax: sm_ovs, split: ln.inputs.len() };
            sm.inputs = ln.inputs.iter().copied().chain(rest).collect();
            // What died at the `layer_norm` dies here now; `s` is never set.
            sm.free.retain(|&f| f != s);
            sm.free.extend(ln.free.iter().copied().filter(|&f| f != s));
            if sm.loc.is_none() {
                sm.loc = ln.loc;
            }
            k = r + 1;
        }
    }
}

/// The index of the `softmax` that can take over the `layer_norm` node
/// `k`, and the overloads of the two.
fn softmax_of(b: &PBlock, k: usize, uses: &std::collections::HashMap<u32, usize>) -> Option<(usize, &'static [Overload], &'static [Overload])> {
    let overloads = |op: &POp, want: &str| match op {
        POp::Call { name, overloads } if name == want => Some(*overloads),
        _ => None,
    };
    let n = &b.nodes[k];
    let ln = overloads(&n.op, "layer_norm")?;
    if n.outputs.len() != 1 || !n.blocks.is_empty() {
        return None;
    }
    let s = n.outputs[0];
    let r = k + 1 + b.nodes[k + 1..].iter().position(|m| !matches!(m.op, POp::Const(_)))?;
    let m = &b.nodes[r];
    let sm = overloads(&m.op, "softmax")?;
    let fits = m.inputs.first().map(|i| i.0) == Some(s)
        && (2..=3).contains(&m.inputs.len())
        && m.outputs.len() == 1
        && m.blocks.is_empty()
        && uses.get(&s) == Some(&1);
    fits.then_some((r, ln, sm))
}

/// Runs a [`POp::NormSoftmax`] node: `args` are the `layer_norm`'s (the
/// first `split`), then the `softmax`'s after its input.
pub(super) fn norm_softmax(layer_norm: &'static [Overload], softmax: &'static [Overload], split: usize, mut args: Vec<Value>) -> Result<Value> {
    let rest = args.split_off(split.min(args.len()));
    if let Some(t) = fused(&args, &rest)? {
        return Ok(Value::Tensor(t));
    }
    let y = call("layer_norm", layer_norm, args)?;
    call("softmax", softmax, std::iter::once(y).chain(rest).collect())
}

/// The fused kernel's result, or `None` where it does not apply.
fn fused(ln: &[Value], sm: &[Value]) -> Result<Option<Tensor>> {
    let (Some(Value::Tensor(x)), Some(shape), Some(w), Some(b), Some(&Value::Float(eps))) = (ln.first(), ln.get(1), ln.get(2), ln.get(3), ln.get(4)) else {
        return Ok(None);
    };
    let Some(&cols) = x.shape().last() else { return Ok(None) };
    let last_dim = matches!(sm, [Value::Int(d)] | [Value::Int(d), Value::None] if *d == -1 || *d == x.shape().len() as i64 - 1);
    let one_dim = match shape {
        Value::List(v) | Value::Tuple(v) => matches!(v.as_slice(), [Value::Int(c)] if *c == cols as i64),
        _ => false,
    };
    let param = |p: &Value| match p {
        Value::None => Some(None),
        Value::Tensor(t) if t.device() == Device::Cpu && t.dtype() == DType::F32 && t.shape() == [cols] => Some(Some(t.to_vec::<f32>())),
        _ => None,
    };
    let (Some(w), Some(b)) = (param(w), param(b)) else { return Ok(None) };
    if !(last_dim && one_dim && cols > 0 && x.device() == Device::Cpu && x.dtype() == DType::F32 && x.is_contiguous()) {
        return Ok(None);
    }
    let out = x.with_slice::<f32, _>(|xv| {
        // SAFETY: the kernel writes every row of `out`, which has whole rows.
        let mut out = unsafe { crate::alloc::uninit_vec::<f32>(xv.len()) };
        tsc_kernels::rows::layer_norm_softmax_rows_f32(xv, &mut out, cols, w.as_deref(), b.as_deref(), eps as f32);
        out
    });
    Tensor::from_vec(out, x.shape()).map(Some)
}
