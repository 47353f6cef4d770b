//! Adaptive pooling: the input is split into `oh×ow` windows with PyTorch's
//! rule (window i spans `floor(i·H/oh) .. ceil((i+1)·H/oh)`), averaged
//! (`adaptive_avg_pool1d/2d`, float32 on `tsc_kernels::pool`) or maxed
//! (`adaptive_max_pool2d`, with optional indices into the plane).

use super::{per_plane, planes_of};
use crate::ops::Args;
use crate::{bail, ensure, DType, Element, Result, Tensor, Value};
use tsc_kernels::pool::adaptive_avg_pool2d_f32;

pub(super) fn run_adaptive_avg_pool1d(a: &Args) -> Result<Value> {
    Ok(adaptive_avg_pool1d(a.tensor(0)?, a.ints(1)?.first().copied().unwrap_or(-1))?.into())
}
pub(super) fn run_adaptive_avg_pool2d(a: &Args) -> Result<Value> {
    Ok(adaptive_avg_pool2d(a.tensor(0)?, &opt_sizes(a, 1)?)?.into())
}
pub(super) fn run_adaptive_max_pool2d(a: &Args) -> Result<Value> {
    ensure!(!a.bool(2)?, a.op, "return_indices=True returns a tuple: call adaptive_max_pool2d_with_indices instead");
    Ok(adaptive_max_pool2d(a.tensor(0)?, &opt_sizes(a, 1)?, false)?.0.into())
}
pub(super) fn run_adaptive_max_pool2d_indices(a: &Args) -> Result<Value> {
    let (v, i) = adaptive_max_pool2d(a.tensor(0)?, &opt_sizes(a, 1)?, true)?;
    let i = i.ok_or_else(|| crate::Error::op(a.op, "internal: indices were not computed"))?;
    Ok(Value::Tuple(vec![v.into(), i.into()]))
}

/// An `int?[2]` argument (None keeps the input size).
fn opt_sizes(a: &Args, i: usize) -> Result<Vec<Option<i64>>> {
    let seq = a.value(i)?.as_seq().unwrap_or(&[]);
    seq.iter()
        .map(|v| match v {
            Value::None => Ok(None),
            Value::Int(x) => Ok(Some(*x)),
            other => bail!(a.op, "output_size must hold ints or None, got {}", other.type_name()),
        })
        .collect()
}

/// Resolved adaptive geometry: planes of `h×w` → `oh×ow`, and the output shape.
struct Geo {
    planes: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    shape: Vec<usize>,
}

fn geometry(op: &str, nd: usize, x: &Tensor, sizes: &[Option<i64>]) -> Result<Geo> {
    ensure!(sizes.len() == nd, op, "{op}: output_size must have {nd} elements, got {sizes:?}");
    let (planes, h, w, mut shape) = planes_of(op, nd, x).map_err(|_| {
        crate::Error::op(
            op,
            format!(
                "{op}(): Expected {}D or {}D input with non-zero size for non-batch dimensions, but got {:?}",
                nd + 1,
                nd + 2,
                x.shape()
            ),
        )
    })?;
    let input = if nd == 1 { vec![w] } else { vec![h, w] };
    let mut out = Vec::with_capacity(nd);
    for (s, &i) in sizes.iter().zip(&input) {
        let o = s.unwrap_or(i as i64);
        ensure!(o >= 0, op, "{op}: elements of output_size must be greater than or equal to 0 but received {o}");
        out.push(o as usize);
    }
    shape.extend(&out);
    let (oh, ow) = if nd == 1 { (1, out[0]) } else { (out[0], out[1]) };
    Ok(Geo { planes, h, w, oh, ow, shape })
}

fn float_only(op: &str, x: &Tensor) -> Result<()> {
    ensure!(x.dtype().is_float(), op, "\"{op}\" not implemented for '{}'", x.dtype());
    Ok(())
}

/// `F.adaptive_avg_pool1d`: input `[N, C, L]` or `[C, L]`.
pub fn adaptive_avg_pool1d(x: &Tensor, output_size: i64) -> Result<Tensor> {
    adaptive_avg("adaptive_avg_pool1d", 1, x, &[Some(output_size)])
}

/// `F.adaptive_avg_pool2d`: input `[N, C, H, W]` or `[C, H, W]`; a `None`
/// size keeps that input dim.
pub fn adaptive_avg_pool2d(x: &Tensor, output_size: &[Option<i64>]) -> Result<Tensor> {
    adaptive_avg("adaptive_avg_pool2d", 2, x, output_size)
}

fn adaptive_avg(op: &str, nd: usize, x: &Tensor, sizes: &[Option<i64>]) -> Result<Tensor> {
    let g = geometry(op, nd, x, sizes)?;
    float_only(op, x)?;
    let n = g.planes * g.oh * g.ow;
    let out = if x.dtype() == DType::F64 {
        let hw = g.h * g.w;
        let out = x.with_slice::<f64, _>(|xs| {
            per_plane(g.planes, g.oh * g.ow, 0f64, |pl, o| {
                let src = &xs[pl * hw..][..hw];
                let mut slots = o.iter_mut();
                for_windows(&g, |ys, ye, xs0, xe| {
                    let s: f64 = (ys..ye).flat_map(|iy| src[iy * g.w + xs0..iy * g.w + xe].iter()).sum();
                    if let Some(slot) = slots.next() {
                        *slot = s / ((ye - ys) * (xe - xs0)) as f64;
                    }
                });
            })
        });
        Tensor::from_vec(out, &g.shape)?
    } else {
        let mut out = vec![0f32; n];
        x.contiguous_as(DType::F32).with_slice::<f32, _>(|xs| adaptive_avg_pool2d_f32(g.planes, g.h, g.w, g.oh, g.ow, xs, &mut out));
        Tensor::from_vec(out, &g.shape)?
    };
    Ok(out.to_dtype(x.dtype()))
}

/// Calls `f(y_start, y_end, x_start, x_end)` for every output cell in order.
fn for_windows(g: &Geo, mut f: impl FnMut(usize, usize, usize, usize)) {
    for y in 0..g.oh {
        let (ys, ye) = (y * g.h / g.oh, ((y + 1) * g.h).div_ceil(g.oh));
        for x in 0..g.ow {
            let (xs, xe) = (x * g.w / g.ow, ((x + 1) * g.w).div_ceil(g.ow));
            f(ys, ye, xs, xe);
        }
    }
}

/// `F.adaptive_max_pool2d` (with `indices`: also the flat index of each
/// max within its plane, as `return_indices=True` gives).
pub fn adaptive_max_pool2d(x: &Tensor, output_size: &[Option<i64>], indices: bool) -> Result<(Tensor, Option<Tensor>)> {
    let op = "adaptive_max_pool2d";
    let g = geometry(op, 2, x, output_size)?;
    float_only(op, x)?;
    crate::dispatch_dtype!(x.dtype(), T => max_native::<T>(&g, x, indices))
}

fn max_native<T: Element + PartialOrd>(g: &Geo, x: &Tensor, indices: bool) -> Result<(Tensor, Option<Tensor>)> {
    let hw = g.h * g.w;
    let pairs = x.with_slice::<T, _>(|xs| {
        per_plane(g.planes, g.oh * g.ow, (T::from_i64(0), 0i64), |pl, o| {
            let src = &xs[pl * hw..][..hw];
            let mut slots = o.iter_mut();
            for_windows(g, |ys, ye, xs0, xe| {
                let mut best = (src[ys * g.w + xs0], ys * g.w + xs0);
                for iy in ys..ye {
                    for ix in xs0..xe {
                        let i = iy * g.w + ix;
                        let v = src[i];
                        #[allow(clippy::eq_op)]
                        if v > best.0 || v != v {
                            best = (v, i);
                        }
                    }
                }
                if let Some(slot) = slots.next() {
                    *slot = (best.0, best.1 as i64);
                }
            });
        })
    });
    let (out, idx): (Vec<T>, Vec<i64>) = pairs.into_iter().unzip();
    let idx = if indices { Some(Tensor::from_vec(idx, &g.shape)?) } else { None };
    Ok((Tensor::from_vec(out, &g.shape)?, idx))
}
