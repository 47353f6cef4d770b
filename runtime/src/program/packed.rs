//! Linear weights packed once: a `linear` call whose weight is a CPU
//! float32 constant becomes [`POp::Linear`] when the plan is made, which
//! runs batches of at least [`MIN_ROWS`] rows on the CPU through
//! `tsc_kernels::gemm::gemm_packed` (the weight in the microkernel's panel
//! layout, not repacked per call) and everything else through the
//! registry's `linear` as before. The weight is packed by the first call
//! that takes the packed path, not at load: a batch-1 model never packs
//! (nor holds a second copy of) its weights.
//!
//! A [`POp::LoopLinear`] (`loop_linear.rs`) computes its rows with the
//! packed weight the same way.
//!
//! A float16/bfloat16 weight is widened to float32 once, when packed; calls
//! with operands of its dtype widen `x` and the bias, multiply in float32
//! and round the result once (as the registry's `linear` computes it).
//!
//! A weight is packed only when every use of its constant, in every block,
//! is the weight operand of a `linear` (or a `LoopLinear`, `LinearAdd`): then no op can see the tensor, let
//! alone write to it, so the packed copy never goes stale.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tsc_kernels::gemm::{gemm_packed, gemm_packed_bias, MatRef, PackedB};

use super::plan::{PBlock, POp};
use crate::{DType, Device, Result, Tensor, Value};

/// Rows below which a `linear` keeps the registry path (batch 1 is a GEMV,
/// which streams the weight better than a 6-row microkernel).
pub(super) const MIN_ROWS: usize = 4;

/// Rewrites the packable `linear` calls of `blocks` (see the module doc).
pub(super) fn pack_linear_weights(blocks: &mut [PBlock], consts: &[Value]) {
    let mut slot_const: HashMap<u32, usize> = HashMap::new();
    for b in blocks.iter() {
        for n in &b.nodes {
            if let (POp::Const(i), [s]) = (&n.op, n.outputs.as_slice()) {
                slot_const.insert(*s, *i);
            }
        }
    }
    // A const is packable while every use of every slot holding it is a
    // `linear` weight.
    let mut packable: HashMap<usize, bool> = slot_const.values().map(|&i| (i, true)).collect();
    for b in blocks.iter() {
        for n in &b.nodes {
            let weight_pos = weight_position(&n.op);
            for (pos, (s, _)) in n.inputs.iter().enumerate() {
                if let Some(i) = slot_const.get(s) {
                    if weight_pos != Some(pos) {
                        packable.insert(*i, false);
                    }
                }
            }
        }
        for (s, _) in &b.results {
            if let Some(i) = slot_const.get(s) {
                packable.insert(*i, false);
            }
        }
    }
    // One lazily packed weight per constant, shared by its `linear`s.
    let mut packed: HashMap<usize, Arc<OnceLock<Option<PackedB>>>> = HashMap::new();
    for b in blocks.iter_mut() {
        for n in &mut b.nodes {
            let Some(pos) = weight_position(&n.op) else { continue };
            let Some(i) = n.inputs.get(pos).and_then(|(s, _)| slot_const.get(s)).copied() else { continue };
            let weight_ok = matches!(consts.get(i), Some(Value::Tensor(w)) if can_pack(w));
            if packable.get(&i) != Some(&true) || !weight_ok {
                continue;
            }
            let lazy = packed.entry(i).or_default().clone();
            match &mut n.op {
                POp::Call { overloads, .. } => n.op = POp::Linear { packed: lazy, overloads },
                POp::LoopLinear { packed, .. } | POp::LinearAdd { packed, .. } => *packed = Some(lazy),
                _ => {}
            }
        }
    }
}

/// Where a node takes a `linear` weight: `linear(x, W, ..)` (also as a
/// [`POp::LinearAdd`]), or `[x, t, W, ..]` of a [`POp::LoopLinear`].
fn weight_position(op: &POp) -> Option<usize> {
    match op {
        POp::Call { name, .. } if name == "linear" => Some(1),
        POp::LinearAdd { .. } => Some(1),
        POp::LoopLinear { .. } => Some(2),
        _ => None,
    }
}

/// A packed weight, filled by the first call that takes the packed path
/// (`None`: the weight cannot be packed).
pub(super) type LazyPacked = Arc<OnceLock<Option<PackedB>>>;

/// Whether `w` is a weight [`pack`] takes (and the CPU runs the kernel).
fn can_pack(w: &Tensor) -> bool {
    tsc_kernels::simd::has_avx2_fma() && w.device() == Device::Cpu && is_packable_dtype(w.dtype()) && w.ndim() == 2
}

fn is_packable_dtype(d: DType) -> bool {
    matches!(d, DType::F32 | DType::F16 | DType::BF16)
}

/// A CPU `[n, k]` weight as `Wᵀ` (k×n) packed, in float32.
fn pack(w: &Tensor) -> Option<PackedB> {
    if !can_pack(w) {
        return None;
    }
    let w = &w.to_dtype(DType::F32);
    let (n, k) = (w.shape()[0], w.shape()[1]);
    let (sn, sk) = (w.strides()[0], w.strides()[1]);
    let storage = w.storage().read();
    let data = storage.slice::<f32>()?;
    PackedB::new(k, n, MatRef { data, offset: w.offset(), rs: sk, cs: sn })
}

/// `linear(x, weight, bias)` with the packed weight (packing it on first
/// use), or `None` when the call is not one it takes (device, dtype,
/// shapes, too few rows): the caller then runs the registry's `linear`.
pub(super) fn linear(args: &[Value], packed: &OnceLock<Option<PackedB>>) -> Option<Result<Value>> {
    let (Some(Value::Tensor(x)), Some(Value::Tensor(weight))) = (args.first(), args.get(1)) else { return None };
    let dtype = weight.dtype();
    let cpu = |t: &Tensor| t.device() == Device::Cpu && t.dtype() == dtype;
    let k = *weight.shape().last()?;
    if args.len() > 3 || !is_packable_dtype(dtype) || !cpu(x) || !cpu(weight) || x.ndim() < 2 || x.shape().last() != Some(&k) || x.numel() / k.max(1) < MIN_ROWS {
        return None;
    }
    let w = packed.get_or_init(|| pack(weight)).as_ref().filter(|w| w.k() == k)?;
    let n = w.n();
    let bias = match args.get(2) {
        None | Some(Value::None) => None,
        Some(Value::Tensor(b)) if cpu(b) && b.shape() == [n] => Some(b),
        Some(_) => return None,
    };
    let m = x.numel() / k.max(1);
    // SAFETY: `gemm_packed(_bias)` without accumulation writes all m·n outputs.
    let mut out = unsafe { crate::alloc::uninit_vec::<f32>(m * n) };
    let bias = bias.map(|b| b.to_vec::<f32>());
    let x = x.to_dtype(DType::F32);
    x.with_slice::<f32, _>(|a| {
        let a = MatRef { data: a, offset: 0, rs: k, cs: 1 };
        match &bias {
            Some(b) => gemm_packed_bias(m, a, w, &mut out, b),
            None => gemm_packed(m, a, w, &mut out, false),
        }
    });
    let mut shape = x.shape().to_vec();
    if let Some(last) = shape.last_mut() {
        *last = n;
    }
    Some(Tensor::from_vec(out, &shape).map(|y| Value::Tensor(y.to_dtype(dtype))))
}
