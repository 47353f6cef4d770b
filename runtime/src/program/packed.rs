//! Linear weights packed once, when a plan is made: a `linear` call whose
//! weight is a float32 constant becomes [`POp::Linear`], which runs
//! batches of at least [`MIN_ROWS`] rows on the CPU through
//! `tsc_kernels::gemm::gemm_packed` (the weight already in the
//! microkernel's panel layout, not repacked per call) and everything else
//! through the registry's `linear` as before.
//!
//! A weight is packed only when every use of its constant, in every block,
//! is the weight operand of a `linear`: then no op can see the tensor, let
//! alone write to it, so the packed copy never goes stale.

use std::collections::HashMap;
use std::sync::Arc;

use tsc_kernels::gemm::{gemm_packed, MatRef, PackedB};

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
            let linear = matches!(&n.op, POp::Call { name, .. } if name == "linear");
            for (pos, (s, _)) in n.inputs.iter().enumerate() {
                if let Some(i) = slot_const.get(s) {
                    if !(linear && pos == 1) {
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
    let mut packed: HashMap<usize, Option<Arc<PackedB>>> = HashMap::new();
    for b in blocks.iter_mut() {
        for n in &mut b.nodes {
            let POp::Call { name, overloads } = &n.op else { continue };
            let Some(i) = n.inputs.get(1).and_then(|(s, _)| slot_const.get(s)).copied() else { continue };
            if name != "linear" || packable.get(&i) != Some(&true) {
                continue;
            }
            let entry = packed.entry(i).or_insert_with(|| match consts.get(i) {
                Some(Value::Tensor(w)) => pack(w).map(Arc::new),
                _ => None,
            });
            if let Some(p) = entry {
                n.op = POp::Linear { packed: p.clone(), overloads };
            }
        }
    }
}

/// A CPU float32 `[n, k]` weight as `Wᵀ` (k×n) packed.
fn pack(w: &Tensor) -> Option<PackedB> {
    if w.device() != Device::Cpu || w.dtype() != DType::F32 || w.ndim() != 2 {
        return None;
    }
    let (n, k) = (w.shape()[0], w.shape()[1]);
    let (sn, sk) = (w.strides()[0], w.strides()[1]);
    let storage = w.storage().read();
    let data = storage.slice::<f32>()?;
    PackedB::new(k, n, MatRef { data, offset: w.offset(), rs: sk, cs: sn })
}

/// `linear(x, weight, bias)` with the packed weight, or `None` when the
/// call is not one it takes (device, dtype, shapes, too few rows): the
/// caller then runs the registry's `linear`.
pub(super) fn linear(args: &[Value], w: &PackedB) -> Option<Result<Value>> {
    let (k, n) = (w.k(), w.n());
    let Some(Value::Tensor(x)) = args.first() else { return None };
    let bias = match args.get(2) {
        None | Some(Value::None) => None,
        Some(Value::Tensor(b)) if b.device() == Device::Cpu && b.dtype() == DType::F32 && b.shape() == [n] => Some(b),
        Some(_) => return None,
    };
    if x.device() != Device::Cpu || x.dtype() != DType::F32 || x.ndim() < 2 || x.shape().last() != Some(&k) {
        return None;
    }
    let m = x.numel() / k.max(1);
    if m < MIN_ROWS || args.len() > 3 {
        return None;
    }
    let mut out = match bias {
        // SAFETY: `gemm_packed` without accumulation writes all m·n outputs.
        None => unsafe { crate::alloc::uninit_vec::<f32>(m * n) },
        Some(b) => b.to_vec::<f32>().repeat(m),
    };
    x.with_slice::<f32, _>(|a| gemm_packed(m, MatRef { data: a, offset: 0, rs: k, cs: 1 }, w, &mut out, bias.is_some()));
    let mut shape = x.shape().to_vec();
    if let Some(last) = shape.last_mut() {
        *last = n;
    }
    Some(Tensor::from_vec(out, &shape).map(Value::Tensor))
}
