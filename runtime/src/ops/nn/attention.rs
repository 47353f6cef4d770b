//! `F.scaled_dot_product_attention` on the CPU, as PyTorch 2.15 computes
//! it: `softmax(q·kᵀ·scale + mask)·v` per batch matrix, with
//!
//! - batch dims of query/key/value broadcast (3-D, 4-D, ... inputs);
//! - a bool mask (True = attend) or an additive float mask of the query's
//!   dtype, broadcastable to `[batch.., L, S]`; `is_causal` is the
//!   top-left-aligned lower triangle and excludes an explicit mask;
//! - rows where everything is masked give zeros (PyTorch's safe softmax);
//! - `enable_gqa`: key/value heads repeated to the query's head count;
//! - `dropout_p` on the attention weights (uniforms from `random`).
//!
//! The two products go through `tsc_kernels::gemm` on strided views, so
//! transposed or sliced inputs are not copied (f16/bf16 compute in f32).

use super::common::{with_float, Float};
use crate::shape::{broadcast_shapes, contiguous_strides};
use crate::{bail, DType, Result, Tensor};
use rayon::prelude::*;
use tsc_kernels::gemm::MatRef;
use tsc_kernels::parallel::MIN_PARALLEL_ELEMS;

const OP: &str = "scaled_dot_product_attention";

/// The optional arguments of [`scaled_dot_product_attention`].
#[derive(Clone, Debug, Default)]
pub struct SdpaOptions {
    pub attn_mask: Option<Tensor>,
    pub dropout_p: f64,
    pub is_causal: bool,
    pub scale: Option<f64>,
    pub enable_gqa: bool,
}

/// `F.scaled_dot_product_attention(query, key, value, ...)`:
/// `[..., L, E]`, `[..., S, E]`, `[..., S, Ev]` → `[..., L, Ev]`.
pub fn scaled_dot_product_attention(q: &Tensor, k: &Tensor, v: &Tensor, o: &SdpaOptions) -> Result<Tensor> {
    check(q, k, v, o)?;
    let (k, v) = if o.enable_gqa { gqa(q, k, v)? } else { (k.clone(), v.clone()) };
    let nd = |t: &Tensor| t.ndim() - 2;
    let attn_b = broadcast_shapes(OP, &q.shape()[..nd(q)], &k.shape()[..nd(&k)])?;
    let out_b = broadcast_shapes(OP, &attn_b, &v.shape()[..nd(&v)])?;
    let g = Geometry {
        l: q.shape()[q.ndim() - 2],
        s: k.shape()[k.ndim() - 2],
        e: q.shape()[q.ndim() - 1],
        ev: v.shape()[v.ndim() - 1],
        batch: out_b.iter().product(),
    };
    let scale = o.scale.unwrap_or(1.0 / (g.e as f64).sqrt());
    let mut out_shape = out_b.clone();
    out_shape.extend([g.l, g.ev]);
    let dt = q.dtype();
    with_float!(dt.compute(), T => {
        let mask = match &o.attn_mask {
            Some(m) => Some(additive_mask::<T>(m, &attn_b, &out_b, g.l, g.s)?),
            None => None,
        };
        let (qv, kv, vv) = (batched::<T>(q, &out_b)?, batched::<T>(&k, &out_b)?, batched::<T>(&v, &out_b)?);
        let keep = (o.dropout_p > 0.0).then(|| dropout_keep(g.batch * g.l * g.s, o.dropout_p));
        let run = Run { g, scale: T::c(scale), causal: o.is_causal, keep: keep.as_deref(), p: o.dropout_p };
        let out = run.all(&qv, &kv, &vv, mask.as_ref())?;
        super::common::finish(out, &out_shape, dt)
    })
}

/// `t` in the compute type (a view when it already is) broadcast to
/// `[batch.., rows, cols]`.
fn batched<T: Float>(t: &Tensor, batch: &[usize]) -> Result<Tensor> {
    let t = if t.dtype() == T::DTYPE { t.clone() } else { t.copy_as(T::DTYPE) };
    let nd = t.ndim();
    let mut s = batch.to_vec();
    s.extend([t.shape()[nd - 2], t.shape()[nd - 1]]);
    t.broadcast_to(&s)
}

fn check(q: &Tensor, k: &Tensor, v: &Tensor, o: &SdpaOptions) -> Result<()> {
    if q.ndim() < 2 || k.ndim() < 2 || v.ndim() < 2 {
        bail!(OP, "expected query, key and value to be at least 2-D, got shapes {:?}, {:?}, {:?}", q.shape(), k.shape(), v.shape());
    }
    if q.dtype() != k.dtype() || q.dtype() != v.dtype() {
        bail!(OP, "expected query, key and value to have the same dtype, got {}, {}, {}", q.dtype(), k.dtype(), v.dtype());
    }
    if !q.dtype().is_float() {
        bail!(OP, "expected floating point query, key and value, got {}", q.dtype());
    }
    let last = |t: &Tensor, i: usize| t.shape()[t.ndim() - i];
    if last(q, 1) != last(k, 1) {
        bail!(OP, "query and key must have the same embedding size, got {:?} and {:?}", q.shape(), k.shape());
    }
    if last(k, 2) != last(v, 2) {
        bail!(OP, "key and value must have the same sequence length, got {:?} and {:?}", k.shape(), v.shape());
    }
    if let Some(m) = &o.attn_mask {
        if m.dtype() != DType::Bool && m.dtype() != q.dtype() {
            bail!(OP, "expected attn_mask dtype to be bool or to match the query dtype {}, got {}", q.dtype(), m.dtype());
        }
        if o.is_causal {
            bail!(OP, "explicit attn_mask should not be set when is_causal=True");
        }
    }
    if o.dropout_p > 1.0 || o.dropout_p.is_nan() {
        bail!(OP, "dropout probability has to be between 0 and 1, but got {}", o.dropout_p);
    }
    Ok(())
}

/// Repeats key/value heads (dim -3) to the query's head count.
fn gqa(q: &Tensor, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
    if q.ndim() < 3 || k.ndim() < 3 || v.ndim() < 3 {
        bail!(OP, "enable_gqa needs a head dim (-3) on query, key and value, got shapes {:?}, {:?}, {:?}", q.shape(), k.shape(), v.shape());
    }
    let heads = |t: &Tensor| t.shape()[t.ndim() - 3];
    let (hq, hk, hv) = (heads(q), heads(k), heads(v));
    if hq == hk && hk == hv {
        return Ok((k.clone(), v.clone()));
    }
    if hk == 0 || hv == 0 || hq % hk != 0 || hq % hv != 0 {
        bail!(OP, "number of heads in key ({hk}) and value ({hv}) must divide the number of heads in query ({hq})");
    }
    Ok((repeat_heads(k, hq / hk)?, repeat_heads(v, hq / hv)?))
}

/// `t.repeat_interleave(r, dim=-3)` as a fresh contiguous tensor.
fn repeat_heads(t: &Tensor, r: usize) -> Result<Tensor> {
    let nd = t.ndim();
    let (mut shape, mut strides) = (t.shape().to_vec(), t.strides().to_vec());
    shape.insert(nd - 2, r);
    strides.insert(nd - 2, 0);
    let rep = t.as_strided(&shape, &strides, t.offset())?.copy_as(t.dtype());
    let mut out = t.shape().to_vec();
    out[nd - 3] *= r;
    rep.as_strided(&out, &contiguous_strides(&out), 0)
}

/// The mask as an additive `T` tensor (bool: 0 / -inf) broadcast to
/// `[out_b.., L, S]`, after checking it fits `[attn_b.., L, S]`.
fn additive_mask<T: Float>(m: &Tensor, attn_b: &[usize], out_b: &[usize], l: usize, s: usize) -> Result<Tensor> {
    let mut attn = attn_b.to_vec();
    attn.extend([l, s]);
    if broadcast_shapes(OP, m.shape(), &attn)? != attn {
        bail!(OP, "attn_mask of shape {:?} does not broadcast to the attention shape {attn:?}", m.shape());
    }
    let add: Vec<T> = if m.dtype() == DType::Bool {
        m.to_vec::<bool>().into_iter().map(|b| if b { T::ZERO } else { T::NEG_INF }).collect()
    } else {
        m.to_vec::<T>()
    };
    let mut full = out_b.to_vec();
    full.extend([l, s]);
    Tensor::from_vec(add, m.shape())?.broadcast_to(&full)
}

fn dropout_keep(n: usize, p: f64) -> Vec<bool> {
    crate::ops::random::uniform_f32(n).into_iter().map(|u| (u as f64) < 1.0 - p).collect()
}

#[derive(Clone, Copy, Debug)]
struct Geometry {
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
    batch: usize,
}

struct Run<'a, T> {
    g: Geometry,
    scale: T,
    causal: bool,
    keep: Option<&'a [bool]>,
    p: f64,
}

/// A strided operand: its storage slice and per-batch offsets and strides
/// of its two matrix dims.
struct Operand<'a, T> {
    data: &'a [T],
    offs: Vec<usize>,
    rs: usize,
    cs: usize,
}

impl<'a, T> Operand<'a, T> {
    fn mat(&self, b: usize) -> MatRef<'a, T> {
        MatRef { data: self.data, offset: self.offs[b], rs: self.rs, cs: self.cs }
    }
    fn transposed(&self, b: usize) -> MatRef<'a, T> {
        MatRef { data: self.data, offset: self.offs[b], rs: self.cs, cs: self.rs }
    }
}

/// Offsets of each batch matrix of a `[batch.., r, c]` view.
fn batch_offsets(t: &Tensor) -> Vec<usize> {
    let nb = t.ndim() - 2;
    let (shape, strides) = (&t.shape()[..nb], &t.strides()[..nb]);
    let count: usize = shape.iter().product();
    let mut offs = Vec::with_capacity(count);
    let mut idx = vec![0usize; nb];
    for _ in 0..count {
        offs.push(t.offset() + idx.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>());
        for d in (0..nb).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    offs
}

impl<T: Float> Run<'_, T> {
    fn all(&self, q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Result<Vec<T>> {
        let g = self.g;
        let mut out = vec![T::ZERO; g.batch * g.l * g.ev];
        if out.is_empty() {
            return Ok(out);
        }
        let guards = [q, k, v].map(|t| t.storage().read());
        let mguard = mask.map(|m| m.storage().read());
        let data = |i: usize| guards[i].slice::<T>().ok_or_else(|| crate::Error::op(OP, "internal: operand dtype"));
        let ops = [q, k, v];
        let mk = |i: usize| -> Result<Operand<T>> {
            let t = ops[i];
            let nd = t.ndim();
            Ok(Operand { data: data(i)?, offs: batch_offsets(t), rs: t.strides()[nd - 2], cs: t.strides()[nd - 1] })
        };
        let (qo, ko, vo) = (mk(0)?, mk(1)?, mk(2)?);
        let mo = match (mask, &mguard) {
            (Some(m), Some(gm)) => Some(Operand {
                data: gm.slice::<T>().ok_or_else(|| crate::Error::op(OP, "internal: mask dtype"))?,
                offs: batch_offsets(m),
                rs: m.strides()[m.ndim() - 2],
                cs: m.strides()[m.ndim() - 1],
            }),
            _ => None,
        };
        let one = |b: usize, o: &mut [T]| self.one(b, &qo, &ko, &vo, mo.as_ref(), o);
        let work = g.batch * g.l * g.s * (g.e + g.ev);
        if work >= MIN_PARALLEL_ELEMS && g.batch > 1 {
            out.par_chunks_mut(g.l * g.ev).enumerate().for_each(|(b, o)| one(b, o));
        } else {
            out.chunks_mut(g.l * g.ev).enumerate().for_each(|(b, o)| one(b, o));
        }
        Ok(out)
    }

    /// One batch matrix: scores, mask, safe softmax, dropout, times value.
    fn one(&self, b: usize, q: &Operand<T>, k: &Operand<T>, v: &Operand<T>, mask: Option<&Operand<T>>, out: &mut [T]) {
        let Geometry { l, s, e, ev, .. } = self.g;
        if s == 0 {
            out.iter_mut().for_each(|x| *x = T::ZERO);
            return;
        }
        let mut p = vec![T::ZERO; l * s];
        let mut tmp = vec![T::ZERO; s];
        if e > 0 {
            T::gemm(l, s, e, q.mat(b), k.transposed(b), &mut p, self.scale, T::ZERO);
        }
        for (i, row) in p.chunks_mut(s).enumerate() {
            if self.causal {
                row.iter_mut().skip(i + 1).for_each(|x| *x = T::NEG_INF);
            }
            if let Some(m) = mask {
                let base = m.offs[b] + i * m.rs;
                for (j, x) in row.iter_mut().enumerate() {
                    *x += m.data[base + j * m.cs];
                }
            }
            safe_softmax(row, &mut tmp);
            if let Some(keep) = self.keep {
                let scale = if self.p >= 1.0 { T::ZERO } else { T::c(1.0 / (1.0 - self.p)) };
                let base = (b * l + i) * s;
                for (j, x) in row.iter_mut().enumerate() {
                    *x = *x * if keep[base + j] { scale } else { T::ZERO };
                }
            }
        }
        let pm = MatRef { data: &p[..], offset: 0, rs: s, cs: 1 };
        T::gemm(l, ev, s, pm, v.mat(b), out, T::ONE, T::ZERO);
    }
}

/// Softmax of a row, zeros when every entry is `-inf`.
fn safe_softmax<T: Float>(row: &mut [T], tmp: &mut [T]) {
    if row.iter().all(|&x| x == T::NEG_INF) {
        row.iter_mut().for_each(|x| *x = T::ZERO);
        return;
    }
    tmp.copy_from_slice(row);
    T::softmax_rows(tmp, row, row.len());
}
