//! Ops: convolutions. `conv1d conv2d` (explicit padding or `'valid'`/`'same'`,
//! groups, dilation, unbatched inputs) and `conv_transpose1d
//! conv_transpose2d` (in `conv/transpose.rs`).
//!
//! Everything is a 2-D problem over contiguous NCHW data: 1-D convolutions
//! get a height-1 dim, unbatched inputs a batch of one. float32 runs on
//! `tsc_kernels::conv::conv2d_f32` (f16/bf16 compute there and round back);
//! float64 and integer tensors (PyTorch's CPU convolutions accept them) run
//! a direct loop here.

mod transpose;

pub use transpose::{conv_transpose1d, conv_transpose2d};

use super::linalg::Ring;
use super::{Args, OpDef, Operand};
use crate::{bail, ensure, DType, Device, Result, Scalar, Tensor, Value};
use tsc_kernels::conv::{conv2d_fused_f32, conv2d_with_shortcut_f32, Conv2dParams, ConvEpilogue, Shortcut};

pub(crate) const OPS: &[OpDef] = &[
    OpDef {
        schema: "conv1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, int[1] padding=0, int[1] dilation=1, int groups=1) -> Tensor",
        run: run_conv1d,
    },
    OpDef {
        schema: "conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, str padding='valid', int[1] dilation=1, int groups=1) -> Tensor",
        run: run_conv1d,
    },
    OpDef {
        schema: "conv2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, int[2] dilation=1, int groups=1) -> Tensor",
        run: run_conv2d,
    },
    OpDef {
        schema: "conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, str padding='valid', int[2] dilation=1, int groups=1) -> Tensor",
        run: run_conv2d,
    },
    OpDef {
        schema: "conv_transpose1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, int[1] padding=0, int[1] output_padding=0, int groups=1, int[1] dilation=1) -> Tensor",
        run: transpose::run_conv_transpose1d,
    },
    OpDef {
        schema: "conv_transpose2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, int[2] output_padding=0, int groups=1, int[2] dilation=1) -> Tensor",
        run: transpose::run_conv_transpose2d,
    },
];

/// A convolution's padding argument: explicit sizes or PyTorch's strings.
#[derive(Clone, Copy, Debug)]
pub enum Padding<'a> {
    Explicit(&'a [i64]),
    /// `'valid'` or `'same'` (anything else is an error).
    Str(&'a str),
}

/// Argument `i`'s sizes when it holds sizes (`None`: a string), for
/// [`padding_arg`] to borrow.
fn padding_ints(a: &Args, i: usize) -> Result<Option<Vec<i64>>> {
    match a.value(i)? {
        Value::Str(_) => Ok(None),
        _ => a.ints(i).map(Some),
    }
}

fn padding_arg<'a>(a: &'a Args, i: usize, ints: &'a Option<Vec<i64>>) -> Result<Padding<'a>> {
    match ints {
        Some(v) => Ok(Padding::Explicit(v)),
        None => Ok(Padding::Str(a.str(i)?)),
    }
}

/// What a plan node runs on a convolution's result (`program/epilogue.rs`):
/// `relu?(conv + residual)`, with the semantics of `add` and `relu`.
/// float32 with a residual of the result's shape and dtype runs it in the
/// GEMM's tile store; anything else runs the ops after the convolution.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Epilogue<'a> {
    pub residual: Option<&'a Tensor>,
    pub relu: bool,
}

fn run_conv(a: &Args, nd: usize, epi: Epilogue) -> Result<Value> {
    let ints = padding_ints(a, 4)?;
    let pad = padding_arg(a, 4, &ints)?;
    let op = if nd == 1 { "conv1d" } else { "conv2d" };
    Ok(conv(op, nd, a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, &a.ints(3)?, pad, &a.ints(5)?, a.int(6)?, epi)?.into())
}
fn run_conv1d(a: &Args) -> Result<Value> {
    run_conv(a, 1, Epilogue::default())
}
fn run_conv2d(a: &Args) -> Result<Value> {
    run_conv(a, 2, Epilogue::default())
}

/// `conv1d(..)` or `conv2d(..)` (`a.op` says which) then `epi`, with CPU
/// operands, bound by a conv overload.
pub(crate) fn run_conv_epilogue(a: &Args, epi: Epilogue) -> Result<Value> {
    run_conv(a, if a.op == "conv1d" { 1 } else { 2 }, epi)
}

/// `conv2d(..)` bound by `a` then `epi`, and the `conv2d(..)` bound by
/// `s` (a residual block's 1×1 projection shortcut, reading the same
/// input: `program/shortcut.rs`), as the tuple of their results. float32
/// on the CPU with no residual, where `s` is 1×1 at `a`'s stride with no
/// padding and reads the very tensor `a` reads, runs both in one pass
/// over the input (`conv2d_with_shortcut_f32`); anything else runs them
/// in turn.
pub(crate) fn run_conv_with_shortcut(a: &Args, s: &Args, epi: Epilogue) -> Result<Value> {
    let checked = |a: &Args| -> Result<Geometry> {
        let ints = padding_ints(a, 4)?;
        let pad = padding_arg(a, 4, &ints)?;
        geometry(a.op, 2, a.tensor(0)?, a.tensor(1)?, a.opt_tensor(2)?, &a.ints(3)?, pad, &a.ints(5)?, a.int(6)?)
    };
    let (x, sx) = (a.tensor(0)?, s.tensor(0)?);
    let same_input = x.same_storage(sx) && x.shape() == sx.shape() && x.strides() == sx.strides() && x.offset() == sx.offset();
    let fused = a.op == "conv2d" && s.op == "conv2d" && same_input && x.dtype() == DType::F32 && x.device() == Device::Cpu && epi.residual.is_none();
    if fused {
        let (m, sg) = (checked(a)?, checked(s)?);
        let short = Shortcut { c_out: sg.p.c_out, weight: &[], bias: None };
        if sg.p == short.params(&m.p) && m.p.n * m.p.c_in > 0 {
            return conv_with_shortcut_f32(&m, a.opt_tensor(2)?, &sg, s.opt_tensor(2)?, epi.relu);
        }
    }
    Ok(Value::Tuple(vec![run_conv_epilogue(a, epi)?, run_conv(s, 2, Epilogue::default())?]))
}

/// [`run_conv_with_shortcut`]'s one pass: `m` with `bias` then ReLU if
/// `relu`, and the shortcut `s` with `s_bias`.
fn conv_with_shortcut_f32(m: &Geometry, bias: Option<&Tensor>, s: &Geometry, s_bias: Option<&Tensor>, relu: bool) -> Result<Value> {
    let (p, c_short) = (&m.p, s.p.c_out);
    let (oh, ow) = p.out_hw();
    let shape = output_shape(2, m.batched, p.n, p.c_out, oh, ow);
    let s_shape = output_shape(2, m.batched, p.n, c_short, oh, ow);
    // SAFETY: `conv2d_with_shortcut_f32` writes every element of both
    // outputs, or panics before returning.
    let (mut out, mut short) = unsafe { (crate::alloc::uninit_vec::<f32>(p.n * p.c_out * oh * ow), crate::alloc::uninit_vec::<f32>(p.n * c_short * oh * ow)) };
    let (x, w, sw) = (m.x.contiguous_as(DType::F32), m.w.contiguous_as(DType::F32), s.w.contiguous_as(DType::F32));
    let (b, sb) = (bias.map(|b| b.to_vec::<f32>()), s_bias.map(|b| b.to_vec::<f32>()));
    let epi = ConvEpilogue { residual: None, relu };
    x.with_slice::<f32, _>(|xs| {
        w.with_slice::<f32, _>(|ws| {
            sw.with_slice::<f32, _>(|sws| {
                let short_conv = Shortcut { c_out: c_short, weight: sws, bias: sb.as_deref() };
                conv2d_with_shortcut_f32(p, xs, ws, b.as_deref(), epi, &mut out, short_conv, &mut short)
            })
        })
    });
    Ok(Value::Tuple(vec![Tensor::from_vec(out, &shape)?.into(), Tensor::from_vec(short, &s_shape)?.into()]))
}

/// `F.conv1d`: input `[N, C, L]` or `[C, L]`, weight `[O, C/groups, K]`.
pub fn conv1d(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, stride: &[i64], padding: Padding, dilation: &[i64], groups: i64) -> Result<Tensor> {
    conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups, Epilogue::default())
}

/// `F.conv2d`: input `[N, C, H, W]` or `[C, H, W]`, weight `[O, C/groups, kH, kW]`.
pub fn conv2d(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, stride: &[i64], padding: Padding, dilation: &[i64], groups: i64) -> Result<Tensor> {
    conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups, Epilogue::default())
}

// ----- shared argument handling (also used by the transposed convs) -----

/// Checks that a per-dim argument has `nd` entries (or one, repeated), each
/// at least `min`.
pub(crate) fn dims_arg(op: &str, name: &str, v: &[i64], nd: usize, min: i64, what: &str) -> Result<Vec<usize>> {
    if v.len() == 1 && nd > 1 {
        return dims_arg(op, name, &vec![v[0]; nd], nd, min, what);
    }
    ensure!(
        v.len() == nd,
        op,
        "expected {name} to be a single integer value or a list of {nd} values to match the convolution dimensions, but got {name}={v:?}"
    );
    ensure!(v.iter().all(|&x| x >= min), op, "{what} (got {name}={v:?})");
    Ok(v.iter().map(|&x| x as usize).collect())
}

/// Input viewed as 4-D `[N, C, H, W]` (a batch of one for unbatched input,
/// H = 1 for 1-D); returns the view and whether the input was batched.
pub(crate) fn input_4d(op: &str, nd: usize, x: &Tensor) -> Result<(Tensor, bool)> {
    ensure!(
        x.ndim() == nd + 1 || x.ndim() == nd + 2,
        op,
        "Expected {}D (unbatched) or {}D (batched) input to {op}, but got input of size: {:?}",
        nd + 1,
        nd + 2,
        x.shape()
    );
    let batched = x.ndim() == nd + 2;
    let (mut shape, mut strides) = (x.shape().to_vec(), x.strides().to_vec());
    if !batched {
        shape.insert(0, 1);
        strides.insert(0, 0);
    }
    if nd == 1 {
        shape.insert(2, 1);
        strides.insert(2, 0);
    }
    Ok((x.as_strided(&shape, &strides, x.offset())?, batched))
}

/// Weight viewed as 4-D (H = 1 inserted for 1-D).
pub(crate) fn weight_4d(op: &str, nd: usize, w: &Tensor) -> Result<Tensor> {
    ensure!(
        w.ndim() == nd + 2,
        op,
        "expected a {}D weight for {op}, but got weight of size {:?}",
        nd + 2,
        w.shape()
    );
    if nd == 2 {
        return Ok(w.clone());
    }
    let (s, st) = (w.shape(), w.strides());
    w.as_strided(&[s[0], s[1], 1, s[2]], &[st[0], st[1], 0, st[2]], w.offset())
}

/// A per-dim argument as (H, W) pairs (H = the neutral value for 1-D).
pub(crate) fn hw(v: &[usize], neutral: usize) -> (usize, usize) {
    match v {
        [w] => (neutral, *w),
        [h, w, ..] => (*h, *w),
        [] => (neutral, neutral),
    }
}

/// Dtype checks shared by all convolutions.
pub(crate) fn check_dtypes(op: &str, x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<()> {
    ensure!(x.dtype() != DType::Bool, op, "\"{op}\" not implemented for 'Bool'");
    ensure!(
        x.dtype() == w.dtype(),
        op,
        "Input type ({}) and weight type ({}) should be the same",
        x.dtype(),
        w.dtype()
    );
    if let Some(b) = bias {
        ensure!(x.dtype() == b.dtype(), op, "Input type ({}) and bias type ({}) should be the same", x.dtype(), b.dtype());
    }
    Ok(())
}

/// The bias must be `[c_out]`.
pub(crate) fn check_bias(op: &str, w: &Tensor, bias: Option<&Tensor>, c_out: usize) -> Result<()> {
    if let Some(b) = bias {
        ensure!(
            b.shape() == [c_out],
            op,
            "Given weight of size {:?}, expected bias to be 1-dimensional with {c_out} elements, but got bias of size {:?} instead",
            w.shape(),
            b.shape()
        );
    }
    Ok(())
}

/// Reshapes a 4-D result back to the caller's rank.
pub(crate) fn output_shape(nd: usize, batched: bool, n: usize, c: usize, oh: usize, ow: usize) -> Vec<usize> {
    let mut s = vec![n, c, oh, ow];
    if nd == 1 {
        s.remove(2);
    }
    if !batched {
        s.remove(0);
    }
    s
}

/// Resolves `'same'`/`'valid'`/explicit padding to (begin, end) per dim.
fn resolve_padding(op: &str, nd: usize, pad: Padding, stride: &[usize], dil: &[usize], k: &[usize]) -> Result<Vec<(usize, usize)>> {
    match pad {
        Padding::Explicit(p) => {
            let p = dims_arg(op, "padding", p, nd, 0, "negative padding is not supported")?;
            Ok(p.into_iter().map(|x| (x, x)).collect())
        }
        Padding::Str("valid") => Ok(vec![(0, 0); nd]),
        Padding::Str("same") => {
            ensure!(stride.iter().all(|&s| s == 1), op, "padding='same' is not supported for strided convolutions (stride={stride:?})");
            Ok((0..nd)
                .map(|i| {
                    let total = dil[i] * (k[i] - 1);
                    (total / 2, total - total / 2)
                })
                .collect())
        }
        Padding::Str(s) => bail!(op, "Invalid padding string: '{s}' (expected 'valid' or 'same')"),
    }
}

/// A checked convolution: its 2-D geometry, the input and weight viewed
/// as 4-D, and whether the input had a batch dim.
struct Geometry {
    p: Conv2dParams,
    x: Tensor,
    w: Tensor,
    batched: bool,
}

/// Checks a `conv1d`/`conv2d` call for `nd` spatial dims as PyTorch does.
#[allow(clippy::too_many_arguments)]
fn geometry(op: &str, nd: usize, input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, stride: &[i64], padding: Padding, dilation: &[i64], groups: i64) -> Result<Geometry> {
    let (x, batched) = input_4d(op, nd, input)?;
    let w = weight_4d(op, nd, weight)?;
    let stride = dims_arg(op, "stride", stride, nd, 1, "non-positive stride is not supported")?;
    let dil = dims_arg(op, "dilation", dilation, nd, 1, "dilation should be greater than zero")?;
    ensure!(groups > 0, op, "non-positive groups is not supported (got groups={groups})");
    let groups = groups as usize;
    check_dtypes(op, input, weight, bias)?;
    let (n, c_in, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (c_out, cig, kh, kw) = (w.shape()[0], w.shape()[1], w.shape()[2], w.shape()[3]);
    ensure!(c_out >= 1, op, "Given groups={groups}, expected weight to be at least 1 at dimension 0, but got weight of size {:?} instead", weight.shape());
    ensure!(
        c_out % groups == 0,
        op,
        "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {:?} instead",
        weight.shape()
    );
    ensure!(
        c_in == cig * groups,
        op,
        "Given groups={groups}, weight of size {:?}, expected input{:?} to have {} channels, but got {c_in} channels instead",
        weight.shape(),
        input.shape(),
        cig * groups
    );
    check_bias(op, weight, bias, c_out)?;
    let ks: Vec<usize> = if nd == 1 { vec![kw] } else { vec![kh, kw] };
    let pads = resolve_padding(op, nd, padding, &stride, &dil, &ks)?;
    let (sh, sw) = hw(&stride, 1);
    let (dh, dw) = hw(&dil, 1);
    let (ph, pw) = match pads.as_slice() {
        [w] => ((0, 0), *w),
        [h, w] => (*h, *w),
        _ => bail!(op, "internal: padding for {nd} dims"),
    };
    let (eh, ew) = (dh * (kh - 1) + 1, dw * (kw - 1) + 1);
    if h + ph.0 + ph.1 < eh || wd + pw.0 + pw.1 < ew {
        let padded: Vec<String> = [(h + ph.0 + ph.1), (wd + pw.0 + pw.1)][2 - nd..].iter().map(|v| v.to_string()).collect();
        let kernel: Vec<String> = [eh, ew][2 - nd..].iter().map(|v| v.to_string()).collect();
        bail!(
            op,
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
            padded.join(" x "),
            kernel.join(" x ")
        );
    }
    check_spatial(op, &x)?;
    let p = Conv2dParams { n, c_in, h, w: wd, c_out, kh, kw, stride: (sh, sw), pad_h: ph, pad_w: pw, dilation: (dh, dw), groups };
    Ok(Geometry { p, x, w, batched })
}

/// PyTorch's convolutions take an empty batch or no channels, not an
/// empty spatial dim (`x` viewed as 4-D; the kernels assume rows).
pub(crate) fn check_spatial(op: &str, x: &Tensor) -> Result<()> {
    let s = x.shape();
    ensure!(
        s[0] == 0 || s[1] == 0 || s[2..].iter().all(|&d| d > 0),
        op,
        "Only zero batch or zero channel inputs are supported, but got input shape: {s:?}"
    );
    Ok(())
}

/// `conv1d`/`conv2d` for `nd` spatial dims, then `epi`.
#[allow(clippy::too_many_arguments)]
fn conv(op: &str, nd: usize, input: &Tensor, weight: &Tensor, bias: Option<&Tensor>, stride: &[i64], padding: Padding, dilation: &[i64], groups: i64, epi: Epilogue) -> Result<Tensor> {
    let Geometry { p, x, w, batched } = geometry(op, nd, input, weight, bias, stride, padding, dilation, groups)?;
    let (n, c_in, c_out) = (p.n, p.c_in, p.c_out);
    let (oh, ow) = p.out_hw();
    // PyTorch gives zero output channels when the input has no channels.
    let c_res = if c_in == 0 { 0 } else { c_out };
    let shape = output_shape(nd, batched, n, c_res, oh, ow);
    let stored = input.dtype() == DType::F32
        && epi.residual.is_none_or(|r| r.dtype() == DType::F32 && r.shape() == shape.as_slice() && r.device() == Device::Cpu);
    let out = if c_in == 0 || n == 0 {
        Tensor::zeros(&shape, input.dtype())?
    } else {
        match input.dtype() {
            DType::F32 if stored => return conv_f32(&p, &x, &w, bias, &shape, epi),
            DType::F32 | DType::F16 | DType::BF16 => conv_f32(&p, &x, &w, bias, &shape, Epilogue::default())?.to_dtype(input.dtype()),
            DType::F64 => conv_direct::<f64>(&p, &x, &w, bias, &shape)?,
            _ => conv_direct::<i64>(&p, &x, &w, bias, &shape)?,
        }
    };
    let out = out.to_dtype(input.dtype());
    let out = match epi.residual {
        Some(r) => super::binary::add(&Operand::Tensor(out), &Operand::Tensor(r.clone()), Scalar::Int(1))?,
        None => out,
    };
    if epi.relu {
        return super::activation::relu(&out);
    }
    Ok(out)
}

/// float32 on the kernel library, `epi` in its tile store (a residual,
/// when given, is float32 of the output's shape).
fn conv_f32(p: &Conv2dParams, x: &Tensor, w: &Tensor, bias: Option<&Tensor>, shape: &[usize], epi: Epilogue) -> Result<Tensor> {
    let (oh, ow) = p.out_hw();
    // SAFETY: `conv2d_fused_f32` writes every output element (a GEMM with
    // beta 0 or a bias fill first, on every path) or panics before returning.
    let mut out = unsafe { crate::alloc::uninit_vec::<f32>(p.n * p.c_out * oh * ow) };
    let (x, w) = (x.contiguous_as(DType::F32), w.contiguous_as(DType::F32));
    let b = bias.map(|b| b.to_vec::<f32>());
    let mut run = |residual: Option<&[f32]>| {
        let e = ConvEpilogue { residual, relu: epi.relu };
        x.with_slice::<f32, _>(|xs| w.with_slice::<f32, _>(|ws| conv2d_fused_f32(p, xs, ws, b.as_deref(), e, &mut out)))
    };
    match epi.residual {
        Some(r) => r.with_slice::<f32, _>(|rs| run(Some(rs))),
        None => run(None),
    }
    Tensor::from_vec(out, shape)
}

/// Direct convolution for float64 and integer (int64 compute) tensors.
fn conv_direct<E: Ring>(p: &Conv2dParams, x: &Tensor, w: &Tensor, bias: Option<&Tensor>, shape: &[usize]) -> Result<Tensor> {
    let (oh, ow) = p.out_hw();
    let (xs, ws) = (x.to_vec::<E>(), w.to_vec::<E>());
    let b = bias.map(|b| b.to_vec::<E>());
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let mut out = vec![E::default(); p.n * p.c_out * oh * ow];
    for (plane, o) in out.chunks_mut(oh * ow).enumerate() {
        let (n, co) = (plane / p.c_out, plane % p.c_out);
        let g = co / cog;
        let init = b.as_ref().map_or(E::default(), |b| b[co]);
        o.iter_mut().for_each(|v| *v = init);
        for ci in 0..cig {
            let src = &xs[(n * p.c_in + g * cig + ci) * p.h * p.w..][..p.h * p.w];
            let wk = &ws[(co * cig + ci) * p.kh * p.kw..][..p.kh * p.kw];
            for ky in 0..p.kh {
                for kx in 0..p.kw {
                    accumulate_tap(p, src, wk[ky * p.kw + kx], ky, kx, o, ow);
                }
            }
        }
    }
    Tensor::from_vec(out, shape)
}

/// Adds `weight · input[tap]` to every output position of one plane.
fn accumulate_tap<E: Ring>(p: &Conv2dParams, src: &[E], wv: E, ky: usize, kx: usize, o: &mut [E], ow: usize) {
    for (y, row) in o.chunks_mut(ow).enumerate() {
        let iy = (y * p.stride.0 + ky * p.dilation.0) as isize - p.pad_h.0 as isize;
        if iy < 0 || iy >= p.h as isize {
            continue;
        }
        let srow = &src[iy as usize * p.w..][..p.w];
        for (x, v) in row.iter_mut().enumerate() {
            let ix = (x * p.stride.1 + kx * p.dilation.1) as isize - p.pad_w.0 as isize;
            if ix >= 0 && (ix as usize) < p.w {
                *v = v.add(srow[ix as usize].mul(wv));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(shape: &[usize], seed: u64) -> Tensor {
        let n: usize = shape.iter().product();
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v: Vec<f64> = (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 1000) as f64 / 250.0 - 2.0
            })
            .collect();
        Tensor::from_vec(v, shape).unwrap()
    }

    fn dot(a: &Tensor, b: &Tensor) -> f64 {
        a.to_vec::<f64>().iter().zip(b.to_vec::<f64>()).map(|(x, y)| x * y).sum()
    }

    /// An empty spatial dim is PyTorch's error (it reached the kernels,
    /// which panicked); an empty batch or channel dim gives empty output.
    #[test]
    fn empty_spatial_dims_are_an_error() {
        let z = |s: &[usize]| Tensor::zeros(s, DType::F32).unwrap();
        let pad1 = Padding::Explicit(&[1, 1]);
        let err = |r: Result<Tensor>| r.unwrap_err().to_string();
        let e = err(conv2d(&z(&[1, 2, 3, 0]), &z(&[4, 2, 2, 2]), None, &[2, 2], pad1, &[1, 1], 1));
        assert!(e.contains("Only zero batch or zero channel inputs are supported, but got input shape: [1, 2, 3, 0]"), "{e}");
        let e = err(conv1d(&z(&[1, 2, 0]), &z(&[4, 2, 1]), None, &[1], Padding::Explicit(&[1]), &[1], 1));
        assert!(e.contains("input shape: [1, 2, 1, 0]"), "{e}");
        let e = err(conv_transpose2d(&z(&[1, 2, 3, 0]), &z(&[2, 4, 1, 1]), None, &[1, 1], &[0, 0], &[0, 0], 1, &[1, 1]));
        assert!(e.contains("input shape: [1, 2, 3, 0]"), "{e}");
        let empty_batch = conv2d(&z(&[0, 2, 3, 0]), &z(&[4, 2, 1, 1]), None, &[1, 1], pad1, &[1, 1], 1).unwrap();
        assert_eq!(empty_batch.shape(), [0, 4, 5, 2]);
    }

    proptest::proptest! {
        /// conv_transpose2d is the adjoint of conv2d with the same weight:
        /// <conv(x), z> == <x, conv_transpose(z)>; and the f32 kernel path
        /// agrees with the f64 direct loop.
        #[test]
        fn transpose_is_adjoint_and_paths_agree(
            n in 1usize..3, groups in 1usize..3, cig in 1usize..3, cog in 1usize..3,
            h in 1usize..7, w in 1usize..7, kh in 1usize..4, kw in 1usize..4,
            s in 1usize..3, p in 0usize..2, d in 1usize..3,
        ) {
            proptest::prop_assume!(h + 2 * p >= d * (kh - 1) + 1 && w + 2 * p >= d * (kw - 1) + 1);
            let x = seq(&[n, cig * groups, h, w], 1);
            let wt = seq(&[cog * groups, cig, kh, kw], 2);
            let (si, pi, di, g) = (s as i64, p as i64, d as i64, groups as i64);
            let y = conv2d(&x, &wt, None, &[si, si], Padding::Explicit(&[pi, pi]), &[di, di], g).unwrap();
            let (oh, ow) = (y.shape()[2], y.shape()[3]);
            let z = seq(y.shape(), 3);
            let back = |o: usize, i: usize, k: usize| (i - ((o - 1) * s + d * (k - 1) + 1 - 2 * p)) as i64;
            let op = [back(oh, h, kh), back(ow, w, kw)];
            let xt = conv_transpose2d(&z, &wt, None, &[si, si], &[pi, pi], &op, g, &[di, di]).unwrap();
            proptest::prop_assert_eq!(xt.shape(), x.shape());
            let (l, r) = (dot(&y, &z), dot(&x, &xt));
            proptest::prop_assert!((l - r).abs() <= 1e-9 * (1.0 + l.abs()), "{} vs {}", l, r);
            let y32 = conv2d(&x.to_dtype(DType::F32), &wt.to_dtype(DType::F32), None, &[si, si], Padding::Explicit(&[pi, pi]), &[di, di], g).unwrap();
            for (a, b) in y32.to_vec::<f64>().iter().zip(y.to_vec::<f64>()) {
                proptest::prop_assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()));
            }
        }
    }
}
