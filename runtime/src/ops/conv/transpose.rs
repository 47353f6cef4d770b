//! Transposed convolutions (`conv_transpose1d`, `conv_transpose2d`): per
//! sample and group one GEMM `cols = Wᵀ·X` (weight `[C_in, C_out/g, kH, kW]`
//! read as a transposed view) followed by col2im, which scatters each
//! column entry onto the output position it feeds. float32 (and f16/bf16
//! through it), float64 and int64, as PyTorch's CPU kernel accepts.

use super::{check_bias, check_dtypes, dims_arg, hw, input_4d, output_shape, weight_4d};
use crate::ops::linalg::{dispatch_acc, Acc, Ring};
use crate::ops::Args;
use crate::{bail, ensure, DType, Result, Tensor, Value};
use rayon::prelude::*;
use tsc_kernels::gemm::{MatRef, Threads};

pub(super) fn run_conv_transpose1d(a: &Args) -> Result<Value> {
    Ok(conv_transpose1d(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, &a.ints(3)?, &a.ints(4)?, &a.ints(5)?, a.int(6)?, &a.ints(7)?)?.into())
}
pub(super) fn run_conv_transpose2d(a: &Args) -> Result<Value> {
    Ok(conv_transpose2d(a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, &a.ints(3)?, &a.ints(4)?, &a.ints(5)?, a.int(6)?, &a.ints(7)?)?.into())
}

/// `F.conv_transpose1d`: input `[N, C_in, L]` or `[C_in, L]`, weight `[C_in, C_out/groups, K]`.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose1d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: &[i64],
    padding: &[i64],
    output_padding: &[i64],
    groups: i64,
    dilation: &[i64],
) -> Result<Tensor> {
    conv_transpose("conv_transpose1d", 1, input, weight, bias, [stride, padding, output_padding, dilation], groups)
}

/// `F.conv_transpose2d`: input `[N, C_in, H, W]` or `[C_in, H, W]`, weight `[C_in, C_out/groups, kH, kW]`.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: &[i64],
    padding: &[i64],
    output_padding: &[i64],
    groups: i64,
    dilation: &[i64],
) -> Result<Tensor> {
    conv_transpose("conv_transpose2d", 2, input, weight, bias, [stride, padding, output_padding, dilation], groups)
}

/// Geometry of a transposed convolution over 4-D data.
#[derive(Clone, Copy, Debug)]
struct Geo {
    n: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
    stride: (usize, usize),
    pad: (usize, usize),
    dil: (usize, usize),
    groups: usize,
}

/// `[stride, padding, output_padding, dilation]`.
type Params<'a> = [&'a [i64]; 4];

fn conv_transpose(op: &str, nd: usize, input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, params: Params, groups: i64) -> Result<Tensor> {
    let (x, batched) = input_4d(op, nd, input)?;
    let w = weight_4d(op, nd, weight)?;
    let g = geometry(op, nd, &x, &w, input, weight, params, groups)?;
    super::check_spatial(op, &x)?;
    check_dtypes(op, input, weight, bias)?;
    ensure!(
        input.dtype().is_float() || input.dtype() == DType::I64,
        op,
        "\"slow_conv_transpose2d_out_cpu\" not implemented for '{}'",
        input.dtype()
    );
    check_bias(op, weight, bias, g.c_out)?;
    let shape = output_shape(nd, batched, g.n, g.c_out, g.oh, g.ow);
    if g.n == 0 || g.c_out == 0 {
        return Tensor::zeros(&shape, input.dtype());
    }
    let t = dispatch_acc!(op, input.dtype(), E => run::<E>(&g, &x, &w, bias, &shape)?);
    Ok(t.to_dtype(input.dtype()))
}

#[allow(clippy::too_many_arguments)]
fn geometry(op: &str, nd: usize, x: &Tensor, w: &Tensor, input: &Tensor, weight: &Tensor, params: Params, groups: i64) -> Result<Geo> {
    let [stride, padding, out_pad, dilation] = params;
    let stride = dims_arg(op, "stride", stride, nd, 1, "non-positive stride is not supported")?;
    let pad = dims_arg(op, "padding", padding, nd, 0, "negative padding is not supported")?;
    let out_pad = dims_arg(op, "output_padding", out_pad, nd, 0, "negative output_padding is not supported")?;
    let dil = dims_arg(op, "dilation", dilation, nd, 1, "dilation should be greater than zero")?;
    ensure!(groups > 0, op, "non-positive groups is not supported (got groups={groups})");
    let groups = groups as usize;
    for i in 0..nd {
        ensure!(
            out_pad[i] < stride[i] || out_pad[i] < dil[i],
            op,
            "output padding must be smaller than either stride or dilation, but got output_padding={out_pad:?}, stride={stride:?}, dilation={dil:?}"
        );
    }
    let (n, c_in, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (wc_in, cog, kh, kw) = (w.shape()[0], w.shape()[1], w.shape()[2], w.shape()[3]);
    ensure!(wc_in >= 1, op, "Given groups={groups}, expected weight to be at least 1 at dimension 0, but got weight of size {:?} instead", weight.shape());
    ensure!(
        wc_in % groups == 0,
        op,
        "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {:?} instead",
        weight.shape()
    );
    ensure!(
        c_in == wc_in,
        op,
        "Given transposed=1, weight of size {:?}, expected input{:?} to have {wc_in} channels, but got {c_in} channels instead",
        weight.shape(),
        input.shape()
    );
    ensure!(h > 0 && wd > 0, op, "Only zero batch or zero channel inputs are supported, but got input shape: {:?}", input.shape());
    let ((sh, sw), (ph, pw), (oph, opw), (dh, dw)) = (hw(&stride, 1), hw(&pad, 0), hw(&out_pad, 0), hw(&dil, 1));
    let size = |i: usize, s: usize, p: usize, d: usize, k: usize, op_: usize| -> i64 {
        (i as i64 - 1) * s as i64 - 2 * p as i64 + (d * (k - 1)) as i64 + op_ as i64 + 1
    };
    let (oh, ow) = (size(h, sh, ph, dh, kh, oph), size(wd, sw, pw, dw, kw, opw));
    if oh <= 0 || ow <= 0 {
        let (gi, go) = if nd == 1 { (format!("{wd}"), format!("{ow}")) } else { (format!("{h} x {wd}"), format!("{oh} x {ow}")) };
        bail!(op, "Given input size per channel: ({gi}). Calculated output size per channel: ({go}). Output size is too small");
    }
    Ok(Geo {
        n,
        c_in,
        h,
        w: wd,
        c_out: cog * groups,
        kh,
        kw,
        oh: oh as usize,
        ow: ow as usize,
        stride: (sh, sw),
        pad: (ph, pw),
        dil: (dh, dw),
        groups,
    })
}

fn run<E: Acc>(g: &Geo, x: &Tensor, w: &Tensor, bias: Option<&Tensor>, shape: &[usize]) -> Result<Tensor> {
    let b = bias.map(|b| b.to_vec::<E>());
    let per_sample = g.c_out * g.oh * g.ow;
    let per_input = g.c_in * g.h * g.w;
    let mut out = vec![E::default(); g.n * per_sample];
    x.with_slice::<E, _>(|xs| {
        w.with_slice::<E, _>(|ws| {
            let sample = |(n, o): (usize, &mut [E])| sample_into(g, &xs[n * per_input..][..per_input], ws, b.as_deref(), o);
            let work = g.n * per_input * g.c_out * g.kh * g.kw / g.groups;
            if g.n > 1 && work >= 1 << 16 {
                out.par_chunks_mut(per_sample).enumerate().for_each(sample);
            } else {
                out.chunks_mut(per_sample).enumerate().for_each(sample);
            }
        })
    });
    Tensor::from_vec(out, shape)
}

/// One sample: `out` is `[C_out, oH, oW]`, `x` is `[C_in, H, W]`.
fn sample_into<E: Acc>(g: &Geo, x: &[E], w: &[E], bias: Option<&[E]>, out: &mut [E]) {
    let (cig, cog) = (g.c_in / g.groups, g.c_out / g.groups);
    let (hw_in, kk) = (g.h * g.w, g.kh * g.kw);
    let rows = cog * kk;
    let mut cols = vec![E::default(); rows * hw_in];
    let plane = g.oh * g.ow;
    for grp in 0..g.groups {
        // cols[(co, ky, kx), (iy, ix)] = Σ_ci w[ci, co, ky, kx] · x[ci, iy, ix]
        let a = MatRef { data: w, offset: grp * cig * rows, rs: 1, cs: rows };
        let b = MatRef { data: x, offset: grp * cig * hw_in, rs: hw_in, cs: 1 };
        if cig > 0 {
            E::gemm(Threads::Auto, rows, hw_in, cig, a, b, &mut cols, E::from_i64(1), E::default());
        }
        let out_g = &mut out[grp * cog * plane..][..cog * plane];
        col2im(g, &cols, out_g);
    }
    if let Some(b) = bias {
        for (o, &bv) in out.chunks_mut(plane).zip(b) {
            o.iter_mut().for_each(|v| *v = v.add(bv));
        }
    }
}

/// Scatters `cols` (`[(co, ky, kx), (iy, ix)]`) onto `out` (`[co, oy, ox]`).
fn col2im<E: Ring>(g: &Geo, cols: &[E], out: &mut [E]) {
    let (kk, hw_in, plane) = (g.kh * g.kw, g.h * g.w, g.oh * g.ow);
    for (r, col) in cols.chunks(hw_in).enumerate() {
        let (co, ky, kx) = (r / kk, (r % kk) / g.kw, r % g.kw);
        let o = &mut out[co * plane..][..plane];
        for iy in 0..g.h {
            let oy = (iy * g.stride.0 + ky * g.dil.0) as isize - g.pad.0 as isize;
            if oy < 0 || oy >= g.oh as isize {
                continue;
            }
            let orow = &mut o[oy as usize * g.ow..][..g.ow];
            for (ix, &v) in col[iy * g.w..][..g.w].iter().enumerate() {
                let ox = (ix * g.stride.1 + kx * g.dil.1) as isize - g.pad.1 as isize;
                if ox >= 0 && (ox as usize) < g.ow {
                    orow[ox as usize] = orow[ox as usize].add(v);
                }
            }
        }
    }
}
