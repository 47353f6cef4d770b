//! Resampling: `interpolate` (modes `nearest`, `nearest-exact`, `linear`,
//! `bilinear`, `area`, with PyTorch's source-index arithmetic: nearest in
//! float32, linear in the op-math type) (`pixel_shuffle` lives with
//! `embedding` in `nn/`).

use super::adaptive::{adaptive_avg_pool1d, adaptive_avg_pool2d};
use super::{per_plane, planes_of};
use crate::ops::Args;
use crate::{bail, ensure, DType, Element, Result, Tensor, Value};

pub(super) fn run_interpolate(a: &Args) -> Result<Value> {
    let list = |i: usize| -> Result<Option<Vec<f64>>> {
        Ok(match a.value(i)? {
            Value::None => None,
            Value::List(_) | Value::Tuple(_) => Some(a.floats(i)?),
            v => Some(vec![v.as_scalar().map(|s| s.to_f64()).unwrap_or(f64::NAN)]),
        })
    };
    let size = list(1)?.map(|v| v.into_iter().map(|x| x as i64).collect::<Vec<i64>>());
    let opts = Interp {
        mode: a.str(3)?.to_string(),
        align_corners: a.opt_bool(4)?,
        recompute_scale_factor: a.opt_bool(5)?.unwrap_or(false),
        antialias: a.bool(6)?,
    };
    Ok(interpolate(a.tensor(0)?, size.as_deref(), list(2)?.as_deref(), &opts)?.into())
}

/// `interpolate`'s options besides the sizes.
#[derive(Clone, Debug, Default)]
pub struct Interp {
    pub mode: String,
    pub align_corners: Option<bool>,
    pub recompute_scale_factor: bool,
    pub antialias: bool,
}

/// `F.interpolate` for 3-D (`nearest`, `nearest-exact`, `linear`, `area`)
/// and 4-D (`nearest`, `nearest-exact`, `bilinear`, `area`) inputs. A single
/// size or scale applies to every spatial dim.
pub fn interpolate(x: &Tensor, size: Option<&[i64]>, scale_factor: Option<&[f64]>, o: &Interp) -> Result<Tensor> {
    let op = "interpolate";
    let mode = o.mode.as_str();
    ensure!(
        x.ndim() == 3 || x.ndim() == 4,
        op,
        "Only 3D and 4D input tensors are supported (got {}D of shape {:?}) for mode {mode}",
        x.ndim(),
        x.shape()
    );
    let nd = x.ndim() - 2;
    let linear = matches!(mode, "linear" | "bilinear");
    ensure!(
        linear || o.align_corners.is_none(),
        op,
        "align_corners option can only be set with the interpolating modes: linear | bilinear"
    );
    ensure!(!o.antialias, op, "antialias=True is not supported");
    let spatial = &x.shape()[2..];
    let per_dim = |v: usize, name: &str| -> Result<()> {
        ensure!(
            v == 1 || v == nd,
            op,
            "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of {spatial:?} and {name} with {v} values"
        );
        Ok(())
    };
    let (out, scales): (Vec<i64>, Vec<Option<f64>>) = match (size, scale_factor) {
        (Some(_), Some(_)) => bail!(op, "only one of size or scale_factor should be defined"),
        (None, None) => bail!(op, "either size or scale_factor should be defined"),
        (Some(s), None) => {
            per_dim(s.len(), "output size")?;
            ((0..nd).map(|i| s[i.min(s.len() - 1)]).collect(), vec![None; nd])
        }
        (None, Some(f)) => {
            per_dim(f.len(), "scale_factor")?;
            let f: Vec<f64> = (0..nd).map(|i| f[i.min(f.len() - 1)]).collect();
            let out = spatial.iter().zip(&f).map(|(&s, &k)| (s as f64 * k).floor() as i64).collect();
            let keep = !o.recompute_scale_factor;
            (out, f.into_iter().map(|k| keep.then_some(k)).collect())
        }
    };
    ensure!(
        spatial.iter().all(|&s| s > 0) && out.iter().all(|&s| s > 0),
        op,
        "Input and output sizes should be greater than 0, but got input {spatial:?} output {out:?}"
    );
    let out: Vec<usize> = out.into_iter().map(|v| v as usize).collect();
    let full: Vec<usize> = x.shape()[..2].iter().chain(&out).copied().collect();
    crate::shape::checked_numel(op, &full)?;
    match (mode, nd) {
        ("nearest" | "nearest-exact", _) => nearest(x, &out, &scales, mode == "nearest-exact"),
        ("linear", 1) | ("bilinear", 2) => linear_resample(x, &out, &scales, o.align_corners.unwrap_or(false)),
        ("area", 1) => adaptive_avg_pool1d(x, out[0] as i64),
        ("area", 2) => adaptive_avg_pool2d(x, &[Some(out[0] as i64), Some(out[1] as i64)]),
        ("linear" | "bilinear", _) => {
            bail!(op, "Got {}D input, but {mode} mode needs {}D input", x.ndim(), if mode == "linear" { 3 } else { 4 })
        }
        _ => bail!(op, "unsupported interpolation mode '{mode}' (supported: nearest, nearest-exact, linear, bilinear, area)"),
    }
}

/// A resampling problem as 2-D (height 1 for 1-D inputs).
struct Plan {
    planes: usize,
    input: [usize; 2],
    output: [usize; 2],
    scales: [Option<f64>; 2],
    shape: Vec<usize>,
}

fn plan(x: &Tensor, out: &[usize], scales: &[Option<f64>]) -> Result<Plan> {
    let nd = out.len();
    let (planes, h, w, mut shape) = planes_of("interpolate", nd, x)?;
    shape.extend(out);
    let output = if nd == 1 { [1, out[0]] } else { [out[0], out[1]] };
    let scales = if nd == 1 { [None, scales[0]] } else { [scales[0], scales[1]] };
    Ok(Plan { planes, input: [h, w], output, scales, shape })
}

/// PyTorch's `nearest_idx` / `nearest_exact_idx` (float32 arithmetic).
fn nearest_table(input: usize, output: usize, scale: Option<f64>, exact: bool) -> Vec<usize> {
    if !exact && output == input {
        return (0..output).collect();
    }
    if !exact && output == 2 * input {
        return (0..output).map(|i| i >> 1).collect();
    }
    let sc: f32 = match scale {
        Some(s) if s > 0.0 => (1.0 / s) as f32,
        _ => input as f32 / output as f32,
    };
    (0..output)
        .map(|i| {
            let src = if exact { (((i as f64 + 0.5) * sc as f64) as f32).floor() } else { (i as f32 * sc).floor() };
            (src as usize).min(input - 1)
        })
        .collect()
}

fn nearest(x: &Tensor, out: &[usize], scales: &[Option<f64>], exact: bool) -> Result<Tensor> {
    let dt = x.dtype();
    ensure!(dt.is_float() || dt == DType::U8, "interpolate", "\"upsample_nearest\" not implemented for '{dt}'");
    let Plan { planes, input: [h, w], output: [oh, ow], scales: [sh, sw], shape } = plan(x, out, scales)?;
    let (ty, tx) = (nearest_table(h, oh, sh, exact), nearest_table(w, ow, sw, exact));
    fn go<T: Element>(x: &Tensor, planes: usize, hw: usize, ty: &[usize], tx: &[usize], w: usize, shape: &[usize]) -> Result<Tensor> {
        let o = x.with_slice::<T, _>(|xs| {
            per_plane(planes, ty.len() * tx.len(), T::from_i64(0), |pl, o| {
                let src = &xs[pl * hw..][..hw];
                for (row, &iy) in o.chunks_mut(tx.len()).zip(ty) {
                    for (v, &ix) in row.iter_mut().zip(tx) {
                        *v = src[iy * w + ix];
                    }
                }
            })
        });
        Tensor::from_vec(o, shape)
    }
    crate::dispatch_dtype!(dt, T => go::<T>(x, planes, h * w, &ty, &tx, w, &shape))
}

/// The float types linear interpolation computes in.
trait Real:
    Element
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    fn floor(self) -> Self;
}
impl Real for f32 {
    fn floor(self) -> Self {
        f32::floor(self)
    }
}
impl Real for f64 {
    fn floor(self) -> Self {
        f64::floor(self)
    }
}

/// (i0, i1, w0, w1) per output index: PyTorch's `area_pixel_compute_source_index`
/// followed by `guard_index_and_lambda`.
fn linear_table<F: Real>(input: usize, output: usize, scale: Option<f64>, align: bool) -> Vec<(usize, usize, F, F)> {
    let f = |v: usize| F::from_i64(v as i64);
    let (zero, one, half) = (F::from_f64(0.0), F::from_f64(1.0), F::from_f64(0.5));
    let sc = if align {
        if output > 1 {
            f(input - 1) / f(output - 1)
        } else {
            zero
        }
    } else {
        match scale {
            Some(s) if s > 0.0 => F::from_f64(1.0 / s),
            _ => f(input) / f(output),
        }
    };
    (0..output)
        .map(|i| {
            let real = if align { sc * f(i) } else { sc * (f(i) + half) - half };
            let real = if real < zero { zero } else { real };
            let idx = (real.floor().to_i64().max(0) as usize).min(input - 1);
            let mut lambda = real - f(idx);
            lambda = if lambda < zero {
                zero
            } else if lambda > one {
                one
            } else {
                lambda
            };
            let i1 = if idx + 1 < input { idx + 1 } else { idx };
            (idx, i1, one - lambda, lambda)
        })
        .collect()
}

fn linear_resample(x: &Tensor, out: &[usize], scales: &[Option<f64>], align: bool) -> Result<Tensor> {
    let dt = x.dtype();
    ensure!(dt.is_float(), "interpolate", "\"upsample_linear\" not implemented for '{dt}'");
    let t = if dt == DType::F64 { linear_as::<f64>(x, out, scales, align)? } else { linear_as::<f32>(x, out, scales, align)? };
    Ok(t.to_dtype(dt))
}

fn linear_as<F: Real>(x: &Tensor, out: &[usize], scales: &[Option<f64>], align: bool) -> Result<Tensor> {
    let Plan { planes, input: [h, w], output: [oh, ow], scales: [sh, sw], shape } = plan(x, out, scales)?;
    let (ty, tx) = (linear_table::<F>(h, oh, sh, align), linear_table::<F>(w, ow, sw, align));
    let o = x.with_slice::<F, _>(|xs| {
        per_plane(planes, oh * ow, F::from_f64(0.0), |pl, o| {
            let src = &xs[pl * h * w..][..h * w];
            for (orow, &(y0, y1, wy0, wy1)) in o.chunks_mut(ow).zip(&ty) {
                let (r0, r1) = (&src[y0 * w..][..w], &src[y1 * w..][..w]);
                for (v, &(x0, x1, wx0, wx1)) in orow.iter_mut().zip(&tx) {
                    *v = wy0 * (wx0 * r0[x0] + wx1 * r0[x1]) + wy1 * (wx0 * r1[x0] + wx1 * r1[x1]);
                }
            }
        })
    });
    Tensor::from_vec(o, &shape)
}
