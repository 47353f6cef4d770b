//! `F.pad` / `constant_pad_nd` with ATen's semantics: `pad` lists
//! (left, right) pairs starting from the last dim; negative pads crop.
//!
//! - constant: any dtype, up to every dim; the fill value is converted
//!   with PyTorch's overflow check.
//! - reflect / replicate / circular: pads the last 1, 2 or 3 dims of a
//!   (batched or not) input, i.e. 2 pads for 2-D/3-D, 4 for 3-D/4-D, 6 for
//!   4-D/5-D. Each output position maps to an input position per dim
//!   (reflect about the edges, clamp, or wrap around the cropped core), and
//!   one gather builds the result.

use crate::{bail, dispatch_dtype, DType, Element, Result, Scalar, Tensor};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    Reflect,
    Replicate,
    Circular,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Reflect => "reflect",
            Mode::Replicate => "replicate",
            Mode::Circular => "circular",
        })
    }
}

/// `F.pad(input, pad, mode, value)`.
pub fn pad(x: &Tensor, pads: &[i64], mode: &str, value: Option<f64>) -> Result<Tensor> {
    let op = "pad";
    let mode = match mode {
        "constant" => None,
        "reflect" => Some(Mode::Reflect),
        "replicate" => Some(Mode::Replicate),
        "circular" => Some(Mode::Circular),
        _ => bail!(op, "unrecognised padding mode {mode} (expected constant, reflect, replicate or circular)"),
    };
    if !pads.len().is_multiple_of(2) {
        bail!(op, "padding length must be divisible by 2, got {}", pads.len());
    }
    check_lengths(op, x, pads)?;
    match mode {
        None => constant_pad(op, x, pads, Scalar::Float(value.unwrap_or(0.0))),
        Some(m) => {
            if value.is_some_and(|v| v != 0.0) {
                bail!(op, "padding mode {m} doesn't take a value argument");
            }
            mode_pad(op, x, pads, m)
        }
    }
}

/// `torch.constant_pad_nd(input, pad, value)`.
pub fn constant_pad_nd(x: &Tensor, pads: &[i64], value: Scalar) -> Result<Tensor> {
    let op = "constant_pad_nd";
    if !pads.len().is_multiple_of(2) {
        bail!(op, "length of pad must be even, got {}", pads.len());
    }
    check_lengths(op, x, pads)?;
    constant_pad(op, x, pads, value)
}

/// At most two pads per dim, each small enough that sizes cannot overflow.
fn check_lengths(op: &str, x: &Tensor, pads: &[i64]) -> Result<()> {
    if pads.len() > 2 * x.ndim() {
        bail!(op, "padding length {} is more than twice the {} dims of the input", pads.len(), x.ndim());
    }
    if let Some(p) = pads.iter().find(|p| p.unsigned_abs() > 1 << 48) {
        bail!(op, "padding {p} is too large");
    }
    Ok(())
}

/// (left, right) pad of dim `d` (0 for dims the list does not reach).
fn pads_of(pads: &[i64], nd: usize, d: usize) -> (i64, i64) {
    let k = nd - 1 - d;
    if 2 * k + 1 < pads.len() {
        (pads[2 * k], pads[2 * k + 1])
    } else {
        (0, 0)
    }
}

fn constant_pad(op: &str, x: &Tensor, pads: &[i64], value: Scalar) -> Result<Tensor> {
    let nd = x.ndim();
    // Crop first (negative pads narrow the input), as ATen does.
    let (mut shape, strides, mut offset) = (x.shape().to_vec(), x.strides().to_vec(), x.offset());
    let mut out_shape = shape.clone();
    let mut place = vec![0usize; nd];
    for d in 0..nd {
        let (l, r) = pads_of(pads, nd, d);
        let size = shape[d] as i64;
        let (cl, cr) = ((-l).max(0), (-r).max(0));
        if cl > size || size - cl - cr < 0 {
            bail!(op, "negative padding ({l}, {r}) crops more than the size {size} of dim {d}");
        }
        offset += cl as usize * strides[d];
        shape[d] = (size - cl - cr) as usize;
        out_shape[d] = shape[d] + l.max(0) as usize + r.max(0) as usize;
        place[d] = l.max(0) as usize;
    }
    let core = x.as_strided(&shape, &strides, offset)?;
    check_fill(op, value, x.dtype())?;
    let out = Tensor::full(&out_shape, value, x.dtype())?;
    let dst_offset: usize = place.iter().zip(out.strides()).map(|(p, s)| p * s).sum();
    out.as_strided(&shape, out.strides(), dst_offset)?.assign(&core)?;
    Ok(out)
}

/// PyTorch's check that the fill value fits the dtype (`fill_` raises
/// "value cannot be converted to type ... without overflow").
fn check_fill(op: &str, v: Scalar, dtype: DType) -> Result<()> {
    let (lo, hi) = match dtype {
        DType::Bool => return Ok(()),
        DType::U8 if matches!(v, Scalar::Int(_)) => (-255.0, 255.0),
        DType::U8 => (0.0, 255.0),
        DType::I8 => (i8::MIN as f64, i8::MAX as f64),
        DType::I16 => (i16::MIN as f64, i16::MAX as f64),
        DType::I32 => (i32::MIN as f64, i32::MAX as f64),
        DType::I64 => (i64::MIN as f64, i64::MAX as f64),
        DType::F16 => (-65504.0, 65504.0),
        DType::BF16 => (-3.389_531_389_251_535e38, 3.389_531_389_251_535e38),
        DType::F32 => (f32::MIN as f64, f32::MAX as f64),
        DType::F64 => return Ok(()),
    };
    let bad = match v {
        Scalar::Bool(_) => false,
        Scalar::Int(i) => (i as f64) < lo || (i as f64) > hi,
        Scalar::Float(f) if dtype.is_float() => f.is_finite() && (f < lo || f > hi),
        Scalar::Float(f) => !f.is_finite() || f < lo || f > hi,
    };
    if bad {
        bail!(op, "value {v} cannot be converted to type {dtype} without overflow");
    }
    Ok(())
}

fn mode_pad(op: &str, x: &Tensor, pads: &[i64], mode: Mode) -> Result<Tensor> {
    let nd = x.ndim();
    let k = pads.len() / 2;
    if !(1..=3).contains(&k) || (nd != k + 1 && nd != k + 2) {
        bail!(op, "padding size {} is not supported for a {nd}-D input in {mode} mode (2 pads need a 2-D or 3-D input, 4 a 3-D or 4-D, 6 a 4-D or 5-D)", pads.len());
    }
    if mode != Mode::Circular {
        if x.dtype() == DType::Bool {
            bail!(op, "{mode} padding is not implemented for bool");
        }
        let first = if nd == k + 2 { 1 } else { 0 };
        if x.shape()[first..].contains(&0) {
            bail!(op, "expected a {}-D or {}-D input with non-zero dims (except the batch dim), got shape {:?}", k + 1, k + 2, x.shape());
        }
    }
    let mut sizes = x.shape().to_vec();
    for (d, o) in sizes.iter_mut().enumerate().skip(nd - k) {
        let (l, r) = pads_of(pads, nd, d);
        *o = (*o as i64 + l + r).max(0) as usize;
    }
    crate::shape::checked_numel(op, &sizes)?;
    let mut maps: Vec<Vec<usize>> = x.shape().iter().map(|&s| (0..s).collect()).collect();
    for (d, map) in maps.iter_mut().enumerate().skip(nd - k) {
        let (l, r) = pads_of(pads, nd, d);
        *map = index_map(op, mode, x.shape()[d] as i64, l, r, d)?;
    }
    let out_shape: Vec<usize> = maps.iter().map(Vec::len).collect();
    let g = x.storage().read();
    let buf = dispatch_dtype!(x.dtype(), T => {
        let src = g.slice::<T>().unwrap_or(&[]);
        T::into_buffer(gather_maps(src, x.offset(), x.strides(), &maps))
    });
    Tensor::from_buffer(buf, &out_shape)
}

/// For each output position of one padded dim, the input position it reads.
fn index_map(op: &str, mode: Mode, size: i64, l: i64, r: i64, d: usize) -> Result<Vec<usize>> {
    let out = size + l + r;
    match mode {
        Mode::Reflect | Mode::Replicate => {
            if mode == Mode::Reflect && (l >= size || r >= size) {
                bail!(op, "padding ({l}, {r}) should be less than the size {size} of dim {d} in reflect mode");
            }
            if out < 1 {
                bail!(op, "input (size {size} of dim {d}) is too small: the output size would be {out}");
            }
            Ok((0..out)
                .map(|j| {
                    let p = j - l;
                    let i = if mode == Mode::Replicate {
                        p.clamp(0, size - 1)
                    } else if p < 0 {
                        -p
                    } else if p >= size {
                        2 * (size - 1) - p
                    } else {
                        p
                    };
                    i as usize
                })
                .collect())
        }
        Mode::Circular => {
            if l > size || r > size {
                bail!(op, "padding ({l}, {r}) of dim {d} (size {size}) wraps around more than once");
            }
            if out < 0 {
                bail!(op, "negative padding ({l}, {r}) of dim {d} (size {size}) results in an empty dimension");
            }
            // The core is the input cropped by the negative pads; pads wrap around it.
            let start = (-l).max(0);
            let core = size - start - (-r).max(0);
            if l.max(0) > core || r.max(0) > core {
                bail!(op, "padding ({l}, {r}) of dim {d} wraps around a cropped size of {core} more than once");
            }
            Ok((0..out).map(|j| (start + (j - l.max(0)).rem_euclid(core.max(1))) as usize).collect())
        }
    }
}

/// Gathers the output whose element at multi-index `j` is the input at
/// `(maps[0][j0], maps[1][j1], ...)`.
fn gather_maps<T: Element>(src: &[T], offset: usize, strides: &[usize], maps: &[Vec<usize>]) -> Vec<T> {
    let tables: Vec<Vec<usize>> = maps.iter().zip(strides).map(|(m, &s)| m.iter().map(|&i| i * s).collect()).collect();
    let n: usize = maps.iter().map(Vec::len).product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let nd = maps.len();
    if nd == 0 {
        out.push(src[offset]);
        return out;
    }
    let last = &tables[nd - 1];
    let mut idx = vec![0usize; nd - 1];
    loop {
        let base = offset + idx.iter().zip(&tables).map(|(&i, t)| t[i]).sum::<usize>();
        out.extend(last.iter().map(|&o| src[base + o]));
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < tables[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &[f32], pads: &[i64], mode: &str) -> Vec<f32> {
        let x = Tensor::from_vec(v.to_vec(), &[1, 1, v.len()]).unwrap();
        pad(&x, pads, mode, None).unwrap().to_vec::<f32>()
    }

    #[test]
    fn modes_map_positions_like_pytorch() {
        let v = [0.0, 1.0, 2.0];
        assert_eq!(row(&v, &[1, 2], "reflect"), vec![1.0, 0.0, 1.0, 2.0, 1.0, 0.0]);
        assert_eq!(row(&v, &[-1, 2], "reflect"), vec![1.0, 2.0, 1.0, 0.0]);
        assert_eq!(row(&v, &[2, 1], "replicate"), vec![0.0, 0.0, 0.0, 1.0, 2.0, 2.0]);
        assert_eq!(row(&v, &[1, 2], "circular"), vec![2.0, 0.0, 1.0, 2.0, 0.0, 1.0]);
        assert_eq!(row(&v, &[-1, 2], "circular"), vec![1.0, 2.0, 1.0, 2.0]);
        assert_eq!(row(&v, &[2, -1], "circular"), vec![0.0, 1.0, 0.0, 1.0]);
        assert_eq!(row(&v, &[1, -1], "constant"), vec![0.0, 0.0, 1.0]);
    }

    #[test]
    fn huge_pads_are_errors() {
        let x = Tensor::from_vec(vec![1.0f32; 6], &[1, 2, 3]).unwrap();
        for mode in ["constant", "replicate"] {
            assert!(pad(&x, &[1 << 50, 0], mode, None).is_err());
            assert!(pad(&x, &[i64::MIN, 0], mode, None).is_err());
            assert!(pad(&x, &[i64::MAX, i64::MAX], mode, None).is_err());
        }
    }
}
