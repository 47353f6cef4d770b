//! Ops: pooling and resampling. `max_pool1d max_pool2d` (+ `_with_indices`),
//! `avg_pool1d avg_pool2d` with PyTorch's window geometry (padding,
//! dilation, the `ceil_mode` rule that the last window must start inside
//! the input or its left padding); adaptive pooling lives in
//! `pool/adaptive.rs`, `interpolate` and `pixel_shuffle` in
//! `pool/resample.rs`.
//!
//! Pooling works per plane on contiguous data: every dim before the
//! spatial ones is a plane, 1-D pooling is 2-D with height 1. float32 runs
//! on `tsc_kernels::pool` (f16/bf16 compute there and round back, except
//! max pooling which compares them natively); float64 and int64 (which
//! PyTorch accepts for some of these ops) run generic loops here.

mod adaptive;
mod resample;

pub use adaptive::{adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d};
pub use resample::interpolate;

use super::linalg::Ring;
use super::{Args, OpDef};
use crate::{bail, ensure, DType, Element, Result, Tensor, Value};
use rayon::prelude::*;
use tsc_kernels::parallel::MIN_PARALLEL_ELEMS;
use tsc_kernels::pool::{avg_pool2d_f32, max_pool2d_f32, Pool2dParams};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "max_pool1d(Tensor input, int[1] kernel_size, int[1]? stride=None, int[1] padding=0, int[1] dilation=1, bool ceil_mode=False, bool return_indices=False) -> Tensor", run: run_max_pool },
    OpDef { schema: "max_pool1d.stride_list(Tensor input, int[1] kernel_size, int[] stride, int[1] padding=0, int[1] dilation=1, bool ceil_mode=False, bool return_indices=False) -> Tensor", run: run_max_pool },
    OpDef { schema: "max_pool2d(Tensor input, int[2] kernel_size, int[2]? stride=None, int[2] padding=0, int[2] dilation=1, bool ceil_mode=False, bool return_indices=False) -> Tensor", run: run_max_pool },
    OpDef { schema: "max_pool2d.stride_list(Tensor input, int[2] kernel_size, int[] stride, int[2] padding=0, int[2] dilation=1, bool ceil_mode=False, bool return_indices=False) -> Tensor", run: run_max_pool },
    OpDef { schema: "max_pool1d_with_indices(Tensor input, int[1] kernel_size, int[1]? stride=None, int[1] padding=0, int[1] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)", run: run_max_pool_indices },
    OpDef { schema: "max_pool1d_with_indices.stride_list(Tensor input, int[1] kernel_size, int[] stride, int[1] padding=0, int[1] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)", run: run_max_pool_indices },
    OpDef { schema: "max_pool2d_with_indices(Tensor input, int[2] kernel_size, int[2]? stride=None, int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)", run: run_max_pool_indices },
    OpDef { schema: "max_pool2d_with_indices.stride_list(Tensor input, int[2] kernel_size, int[] stride, int[2] padding=0, int[2] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)", run: run_max_pool_indices },
    OpDef { schema: "avg_pool1d(Tensor input, int[1] kernel_size, int[1]? stride=None, int[1] padding=0, bool ceil_mode=False, bool count_include_pad=True) -> Tensor", run: run_avg_pool },
    OpDef { schema: "avg_pool1d.stride_list(Tensor input, int[1] kernel_size, int[] stride, int[1] padding=0, bool ceil_mode=False, bool count_include_pad=True) -> Tensor", run: run_avg_pool },
    OpDef { schema: "avg_pool2d(Tensor input, int[2] kernel_size, int[2]? stride=None, int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor", run: run_avg_pool },
    OpDef { schema: "avg_pool2d.stride_list(Tensor input, int[2] kernel_size, int[] stride, int[2] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor", run: run_avg_pool },
    OpDef { schema: "adaptive_avg_pool1d(Tensor input, int[1] output_size) -> Tensor", run: adaptive::run_adaptive_avg_pool1d },
    OpDef { schema: "adaptive_avg_pool2d(Tensor input, int?[2] output_size) -> Tensor", run: adaptive::run_adaptive_avg_pool2d },
    OpDef { schema: "adaptive_max_pool2d(Tensor input, int?[2] output_size, bool return_indices=False) -> Tensor", run: adaptive::run_adaptive_max_pool2d },
    OpDef { schema: "adaptive_max_pool2d_with_indices(Tensor input, int?[2] output_size) -> (Tensor, Tensor)", run: adaptive::run_adaptive_max_pool2d_indices },
    OpDef { schema: "interpolate(Tensor input, int? size=None, float? scale_factor=None, str mode='nearest', bool? align_corners=None, bool? recompute_scale_factor=None, bool antialias=False) -> Tensor", run: resample::run_interpolate },
    OpDef { schema: "interpolate.lists(Tensor input, int[]? size=None, float[]? scale_factor=None, str mode='nearest', bool? align_corners=None, bool? recompute_scale_factor=None, bool antialias=False) -> Tensor", run: resample::run_interpolate },
];

/// Spatial dims of the op called (`max_pool1d` → 1).
fn spatial_dims(op: &str) -> usize {
    if op.contains("1d") {
        1
    } else {
        2
    }
}

fn pool_args(a: &Args) -> Result<PoolArgs> {
    Ok(PoolArgs { kernel: a.ints(1)?, stride: a.opt_ints(2)?.unwrap_or_default(), padding: a.ints(3)? })
}

fn run_max_pool(a: &Args) -> Result<Value> {
    ensure!(!a.bool(6)?, a.op, "return_indices=True returns a tuple: call {}_with_indices instead", a.op);
    let (out, _) = max_pool(a.op, spatial_dims(a.op), a.tensor(0)?, &pool_args(a)?, &a.ints(4)?, a.bool(5)?, false)?;
    Ok(out.into())
}

fn run_max_pool_indices(a: &Args) -> Result<Value> {
    let (out, idx) = max_pool(a.op, spatial_dims(a.op), a.tensor(0)?, &pool_args(a)?, &a.ints(4)?, a.bool(5)?, true)?;
    let idx = idx.ok_or_else(|| crate::Error::op(a.op, "internal: indices were not computed"))?;
    Ok(Value::Tuple(vec![out.into(), idx.into()]))
}

fn run_avg_pool(a: &Args) -> Result<Value> {
    let divisor = if spatial_dims(a.op) == 2 { a.opt_int(6)? } else { None };
    Ok(avg_pool(a.op, spatial_dims(a.op), a.tensor(0)?, &pool_args(a)?, a.bool(4)?, a.bool(5)?, divisor)?.into())
}

/// Window arguments as given (stride empty = the kernel size).
#[derive(Clone, Debug)]
pub struct PoolArgs {
    pub kernel: Vec<i64>,
    pub stride: Vec<i64>,
    pub padding: Vec<i64>,
}

/// `F.max_pool1d`: input `[N, C, L]` or `[C, L]`.
pub fn max_pool1d(x: &Tensor, kernel: &[i64], stride: &[i64], padding: &[i64], dilation: &[i64], ceil_mode: bool) -> Result<Tensor> {
    let args = PoolArgs { kernel: kernel.to_vec(), stride: stride.to_vec(), padding: padding.to_vec() };
    Ok(max_pool("max_pool1d", 1, x, &args, dilation, ceil_mode, false)?.0)
}

/// `F.max_pool2d`: input `[N, C, H, W]` or `[C, H, W]`.
pub fn max_pool2d(x: &Tensor, kernel: &[i64], stride: &[i64], padding: &[i64], dilation: &[i64], ceil_mode: bool) -> Result<Tensor> {
    let args = PoolArgs { kernel: kernel.to_vec(), stride: stride.to_vec(), padding: padding.to_vec() };
    Ok(max_pool("max_pool2d", 2, x, &args, dilation, ceil_mode, false)?.0)
}

/// `F.avg_pool2d`.
pub fn avg_pool2d(x: &Tensor, args: &PoolArgs, ceil_mode: bool, count_include_pad: bool, divisor_override: Option<i64>) -> Result<Tensor> {
    avg_pool("avg_pool2d", 2, x, args, ceil_mode, count_include_pad, divisor_override)
}

/// `F.avg_pool1d`.
pub fn avg_pool1d(x: &Tensor, args: &PoolArgs, ceil_mode: bool, count_include_pad: bool) -> Result<Tensor> {
    avg_pool("avg_pool1d", 1, x, args, ceil_mode, count_include_pad, None)
}

// ----- geometry -----------------------------------------------------------

/// A pooling problem: `planes` planes of `h×w` → `oh×ow`, plus the output
/// shape in the caller's rank.
#[derive(Clone, Debug)]
pub(crate) struct Geo {
    pub p: Pool2dParams,
    pub out_shape: Vec<usize>,
}

/// Checks the input rank (`nd+1` or `nd+2` dims, all but the batch
/// non-empty) and returns (planes, h, w) plus the leading dims.
pub(crate) fn planes_of(op: &str, nd: usize, x: &Tensor) -> Result<(usize, usize, usize, Vec<usize>)> {
    let r = x.ndim();
    let non_batch = if r == nd + 2 { &x.shape()[1..] } else { x.shape() };
    let ok = (r == nd + 1 || r == nd + 2) && non_batch.iter().all(|&s| s > 0);
    ensure!(
        ok,
        op,
        "Expected {}D or {}D (batch mode) tensor with optional 0 dim batch size for input, but got:{:?}",
        nd + 1,
        nd + 2,
        x.shape()
    );
    let lead = x.shape()[..r - nd].to_vec();
    let (h, w) = if nd == 1 { (1, x.shape()[r - 1]) } else { (x.shape()[r - 2], x.shape()[r - 1]) };
    Ok((lead.iter().product(), h, w, lead))
}

/// A per-dim argument checked to have `nd` entries (or one, repeated), as
/// (H, W) with the neutral value for H in 1-D.
fn pair(op: &str, name: &str, v: &[i64], nd: usize, neutral: i64) -> Result<(i64, i64)> {
    match (nd, v) {
        (1, [w]) => Ok((neutral, *w)),
        (2, [hw]) => Ok((*hw, *hw)),
        (2, [h, w]) => Ok((*h, *w)),
        _ => bail!(op, "{op}: {name} must either be a single int, or a tuple of {nd} ints (got {v:?})"),
    }
}

/// PyTorch's `pooling_output_shape` (in i128: no argument can overflow it).
fn out_size(size: i64, k: i64, s: i64, p: i64, d: i64, ceil: bool) -> i64 {
    let (size, k, s, p, d) = (size as i128, k as i128, s as i128, p as i128, d as i128);
    let num = size + 2 * p - d * (k - 1) - 1 + if ceil { s - 1 } else { 0 };
    let mut o = num.div_euclid(s) + 1;
    if ceil && (o - 1) * s >= size + p {
        o -= 1;
    }
    o.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Validates window arguments and computes the output geometry.
pub(crate) fn geometry(op: &str, nd: usize, x: &Tensor, a: &PoolArgs, dilation: &[i64], ceil_mode: bool) -> Result<Geo> {
    let (planes, h, w, lead) = planes_of(op, nd, x)?;
    let (kh, kw) = pair(op, "kernel_size", &a.kernel, nd, 1)?;
    let (sh, sw) = if a.stride.is_empty() { (kh, kw) } else { pair(op, "stride", &a.stride, nd, 1)? };
    let (ph, pw) = pair(op, "padding", &a.padding, nd, 0)?;
    let (dh, dw) = pair(op, "dilation", dilation, nd, 1)?;
    ensure!(kh > 0 && kw > 0, op, "kernel_size must be greater than zero, but got {:?}", a.kernel);
    ensure!(sh > 0 && sw > 0, op, "stride should be greater than zero, but got {:?}", a.stride);
    ensure!(dh > 0 && dw > 0, op, "dilation should be greater than zero, but got {dilation:?}");
    ensure!(ph >= 0 && pw >= 0, op, "pad must be non-negative, but got {:?}", a.padding);
    for (p, k, d) in [(ph, kh, dh), (pw, kw, dw)] {
        ensure!(
            p as i128 <= ((k as i128 - 1) * d as i128 + 1) / 2,
            op,
            "pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and dilation={d}"
        );
    }
    let oh = out_size(h as i64, kh, sh, ph, dh, ceil_mode);
    let ow = out_size(w as i64, kw, sw, pw, dw, ceil_mode);
    if oh < 1 || ow < 1 {
        bail!(op, "Given input size: ({planes}x{h}x{w}). Calculated output size: ({planes}x{oh}x{ow}). Output size is too small");
    }
    let u = |v: i64| v as usize;
    let p = Pool2dParams {
        planes,
        h,
        w,
        kh: u(kh),
        kw: u(kw),
        stride: (u(sh), u(sw)),
        pad: (u(ph), u(pw)),
        dilation: (u(dh), u(dw)),
        oh: u(oh),
        ow: u(ow),
    };
    let mut out_shape = lead;
    if nd == 2 {
        out_shape.push(p.oh);
    }
    out_shape.push(p.ow);
    Ok(Geo { p, out_shape })
}

// ----- max pooling --------------------------------------------------------

fn max_pool(
    op: &str,
    nd: usize,
    x: &Tensor,
    a: &PoolArgs,
    dilation: &[i64],
    ceil_mode: bool,
    indices: bool,
) -> Result<(Tensor, Option<Tensor>)> {
    let g = geometry(op, nd, x, a, dilation, ceil_mode)?;
    let dt = x.dtype();
    ensure!(dt != DType::Bool, op, "\"{op}\" not implemented for 'Bool'");
    ensure!(indices || nd == 2 || dt.is_float(), op, "\"max_pool1d_impl\" not implemented for '{dt}'");
    // The f32 kernel covers undilated windows; a dilated window can miss the
    // input entirely, which the generic loop answers as PyTorch does (-inf).
    if dt == DType::F32 && !indices && g.p.dilation == (1, 1) {
        let mut out = vec![0f32; g.p.planes * g.p.oh * g.p.ow];
        x.contiguous().with_slice::<f32, _>(|xs| max_pool2d_f32(&g.p, xs, &mut out));
        return Ok((Tensor::from_vec(out, &g.out_shape)?, None));
    }
    let (out, idx) = crate::dispatch_dtype!(dt, T => max_native::<T>(&g, x, indices)?);
    Ok((out, idx))
}

/// Max pooling in the tensor's own element type (comparisons are exact in
/// every dtype; NaN wins, the last NaN's index is kept, as in PyTorch).
fn max_native<T: Element + PartialOrd>(g: &Geo, x: &Tensor, indices: bool) -> Result<(Tensor, Option<Tensor>)> {
    let p = &g.p;
    let hw = p.h * p.w;
    let pairs = x.with_slice::<T, _>(|xs| {
        per_plane(p.planes, p.oh * p.ow, (lowest::<T>(), 0i64), |pl, o| {
            let src = &xs[pl * hw..][..hw];
            for (j, slot) in o.iter_mut().enumerate() {
                let (v, i) = window_max(p, src, j / p.ow, j % p.ow);
                *slot = (v, i as i64);
            }
        })
    });
    let (out, idx): (Vec<T>, Vec<i64>) = pairs.into_iter().unzip();
    let idx = if indices { Some(Tensor::from_vec(idx, &g.out_shape)?) } else { None };
    Ok((Tensor::from_vec(out, &g.out_shape)?, idx))
}

/// The max (and its flat index in the plane) of one window.
fn window_max<T: Element + PartialOrd>(p: &Pool2dParams, src: &[T], y: usize, x: usize) -> (T, usize) {
    let mut best: Option<(T, usize)> = None;
    for ky in 0..p.kh {
        let iy = (y * p.stride.0 + ky * p.dilation.0) as isize - p.pad.0 as isize;
        if iy < 0 || iy >= p.h as isize {
            continue;
        }
        for kx in 0..p.kw {
            let ix = (x * p.stride.1 + kx * p.dilation.1) as isize - p.pad.1 as isize;
            if ix < 0 || ix >= p.w as isize {
                continue;
            }
            let i = iy as usize * p.w + ix as usize;
            let v = src[i];
            #[allow(clippy::eq_op)]
            let is_nan = v != v;
            match best {
                Some((b, _)) if !(v > b || is_nan) => {}
                _ => best = Some((v, i)),
            }
        }
    }
    // A dilated window can miss the input entirely: PyTorch then gives the
    // lowest value and the index of the first tap at or after the start.
    best.unwrap_or_else(|| {
        let first = |o: usize, s: usize, p: usize, d: usize| {
            let mut i = (o * s) as isize - p as isize;
            while i < 0 {
                i += d as isize;
            }
            i as usize
        };
        let (iy, ix) = (first(y, p.stride.0, p.pad.0, p.dilation.0), first(x, p.stride.1, p.pad.1, p.dilation.1));
        (lowest::<T>(), iy * p.w + ix)
    })
}

/// `-inf` for floats, the minimum for integers.
fn lowest<T: Element>() -> T {
    match T::DTYPE {
        d if d.is_float() => T::from_f64(f64::NEG_INFINITY),
        DType::U8 | DType::Bool => T::from_i64(0),
        d => T::from_i64(i64::MIN >> (64 - 8 * d.size())),
    }
}

// ----- average pooling ----------------------------------------------------

/// Accumulation types of average pooling: the division truncates for ints.
trait Avg: Ring {
    fn div_by(self, d: i64) -> Self;
}
impl Avg for f32 {
    fn div_by(self, d: i64) -> Self {
        self / d as f32
    }
}
impl Avg for f64 {
    fn div_by(self, d: i64) -> Self {
        self / d as f64
    }
}
impl Avg for i64 {
    fn div_by(self, d: i64) -> Self {
        self.wrapping_div(d)
    }
}

fn avg_pool(
    op: &str,
    nd: usize,
    x: &Tensor,
    a: &PoolArgs,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor: Option<i64>,
) -> Result<Tensor> {
    let ones = vec![1i64; nd];
    let g = geometry(op, nd, x, a, &ones, ceil_mode)?;
    ensure!(divisor != Some(0), op, "divisor must be not zero");
    let dt = x.dtype();
    ensure!(dt.is_float() || dt == DType::I64, op, "\"avg_pool2d\" not implemented for '{dt}'");
    let out = match dt {
        DType::F32 | DType::F16 | DType::BF16 if divisor.is_none_or(|d| d > 0) => {
            let mut out = vec![0f32; g.p.planes * g.p.oh * g.p.ow];
            let d = divisor.map(|d| d as usize);
            x.contiguous_as(DType::F32).with_slice::<f32, _>(|xs| avg_pool2d_f32(&g.p, xs, &mut out, count_include_pad, d));
            Tensor::from_vec(out, &g.out_shape)?
        }
        DType::F32 | DType::F16 | DType::BF16 => avg_generic::<f32>(&g, x, count_include_pad, divisor)?,
        DType::F64 => avg_generic::<f64>(&g, x, count_include_pad, divisor)?,
        _ => avg_generic::<i64>(&g, x, count_include_pad, divisor)?,
    };
    Ok(out.to_dtype(dt))
}

/// Average pooling with PyTorch's divisor rules, in accumulation type `E`.
fn avg_generic<E: Avg>(g: &Geo, x: &Tensor, count_include_pad: bool, divisor: Option<i64>) -> Result<Tensor> {
    let p = &g.p;
    let hw = p.h * p.w;
    let out = x.with_slice::<E, _>(|xs| {
        per_plane(p.planes, p.oh * p.ow, E::default(), |pl, o| {
            let src = &xs[pl * hw..][..hw];
            for (j, slot) in o.iter_mut().enumerate() {
                *slot = window_avg(p, src, j / p.ow, j % p.ow, count_include_pad, divisor);
            }
        })
    });
    Tensor::from_vec(out, &g.out_shape)
}

/// The average of one window with PyTorch's divisor rules.
fn window_avg<E: Avg>(p: &Pool2dParams, src: &[E], y: usize, x: usize, count_include_pad: bool, divisor: Option<i64>) -> E {
    let y0 = (y * p.stride.0) as i64 - p.pad.0 as i64;
    let x0 = (x * p.stride.1) as i64 - p.pad.1 as i64;
    let y1 = (y0 + p.kh as i64).min((p.h + p.pad.0) as i64);
    let x1 = (x0 + p.kw as i64).min((p.w + p.pad.1) as i64);
    let pool_size = (y1 - y0) * (x1 - x0);
    let (ys, xs, ye, xe) = (y0.max(0), x0.max(0), y1.min(p.h as i64), x1.min(p.w as i64));
    let mut s = E::default();
    for iy in ys..ye {
        for ix in xs..xe {
            s = s.add(src[iy as usize * p.w + ix as usize]);
        }
    }
    let d = match divisor {
        Some(d) => d,
        None if count_include_pad => pool_size,
        None => (ye - ys) * (xe - xs),
    };
    s.div_by(d)
}

/// Builds `planes` output planes of `plane_len` elements, each filled by
/// `f(plane, out)`; planes run in parallel when the output is large.
pub(crate) fn per_plane<T: Copy + Send + Sync>(planes: usize, plane_len: usize, fill: T, f: impl Fn(usize, &mut [T]) + Sync) -> Vec<T> {
    let mut out = vec![fill; planes * plane_len];
    if plane_len == 0 {
        return out;
    }
    if planes > 1 && out.len() >= MIN_PARALLEL_ELEMS {
        out.par_chunks_mut(plane_len).enumerate().for_each(|(i, o)| f(i, o));
    } else {
        out.chunks_mut(plane_len).enumerate().for_each(|(i, o)| f(i, o));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_mode_drops_windows_starting_in_right_padding() {
        // size 5, k 2, s 2: floor → 2, ceil → 3; with pad 1, ceil → 3 (not 4).
        assert_eq!(out_size(5, 2, 2, 0, 1, false), 2);
        assert_eq!(out_size(5, 2, 2, 0, 1, true), 3);
        assert_eq!(out_size(6, 2, 2, 1, 1, true), 4);
        assert_eq!(out_size(5, 3, 2, 1, 1, true), 3);
    }

    proptest::proptest! {
        /// Each max is the input element its index points at, and the f32
        /// kernel agrees with the generic loop for max and average pooling.
        #[test]
        fn paths_agree_and_indices_point_at_maxima(
            h in 1usize..8, w in 1usize..8, k in 1usize..4, s in 1usize..3, p in 0usize..2, d in 1usize..3, ceil: bool,
        ) {
            proptest::prop_assume!(2 * p <= (k - 1) * d + 1 && 2 * p <= k);
            proptest::prop_assume!(h + 2 * p > d * (k - 1) && w + 2 * p > d * (k - 1));
            let v: Vec<f64> = (0..2 * h * w).map(|i| ((i * 37) % 17) as f64 - 8.0).collect();
            let x = Tensor::from_vec(v.clone(), &[2, h, w]).unwrap();
            let a = PoolArgs { kernel: vec![k as i64], stride: vec![s as i64], padding: vec![p as i64] };
            let dil = [d as i64, d as i64];
            let (m64, idx) = max_pool("max_pool2d_with_indices", 2, &x, &a, &dil, ceil, true).unwrap();
            let (m32, _) = max_pool("max_pool2d", 2, &x.to_dtype(DType::F32), &a, &dil, ceil, false).unwrap();
            proptest::prop_assert_eq!(m32.to_vec::<f64>(), m64.to_vec::<f64>());
            let per_plane = m64.numel() / 2;
            for (j, (&mv, &iv)) in m64.to_vec::<f64>().iter().zip(&idx.unwrap().to_vec::<i64>()).enumerate() {
                // A window that misses the input gives -inf (the input has none).
                if mv != f64::NEG_INFINITY {
                    proptest::prop_assert_eq!(v[(j / per_plane) * h * w + iv as usize], mv);
                }
            }
            let a64 = avg_pool("avg_pool2d", 2, &x, &a, ceil, !ceil, None).unwrap();
            let a32 = avg_pool("avg_pool2d", 2, &x.to_dtype(DType::F32), &a, ceil, !ceil, None).unwrap();
            for (p32, p64) in a32.to_vec::<f64>().iter().zip(a64.to_vec::<f64>()) {
                proptest::prop_assert!((p32 - p64).abs() <= 1e-5 * (1.0 + p64.abs()));
            }
        }
    }

    #[test]
    fn max_pool_keeps_nan_and_its_index() {
        let x = Tensor::from_vec(vec![1f64, f64::NAN, 3., 2.], &[1, 1, 4]).unwrap();
        let a = PoolArgs { kernel: vec![4], stride: vec![], padding: vec![0] };
        let (v, i) = max_pool("max_pool1d_with_indices", 1, &x, &a, &[1], false, true).unwrap();
        assert!(v.to_vec::<f64>()[0].is_nan());
        assert_eq!(i.unwrap().to_vec::<i64>(), vec![1]);
    }
}
