//! Ops: reorderings that produce a new tensor (never a view): `repeat`,
//! `tile`, `flip`, `fliplr`, `flipud`, `roll`, `tril`, `triu`, `diag`,
//! `diag_embed`. Each builds on the views of `shape.rs` plus one strided
//! copy, monomorphized per element type.

use super::shape::{diagonal, flatten, narrow, reshape_to};
use super::{Args, OpDef};
use crate::shape::{checked_numel, wrap_dim, wrap_dims};
use crate::storage::Element;
use crate::{bail, dispatch_dtype, ensure, Result, Tensor, Value};

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "repeat(Tensor self, int[] repeats) -> Tensor", run: run_repeat },
    OpDef { schema: "tile(Tensor self, int[] dims) -> Tensor", run: run_tile },
    OpDef { schema: "flip(Tensor self, int[] dims) -> Tensor", run: run_flip },
    OpDef { schema: "fliplr(Tensor self) -> Tensor", run: run_fliplr },
    OpDef { schema: "flipud(Tensor self) -> Tensor", run: run_flipud },
    OpDef { schema: "roll(Tensor self, int[1] shifts, int[1]? dims=None) -> Tensor", run: run_roll },
    // `int[1]` binds only one-element lists; several shifts take this overload.
    OpDef { schema: "roll.lists(Tensor self, int[] shifts, int[]? dims=None) -> Tensor", run: run_roll },
    OpDef { schema: "tril(Tensor self, int diagonal=0) -> Tensor", run: run_tril },
    OpDef { schema: "triu(Tensor self, int diagonal=0) -> Tensor", run: run_triu },
    OpDef { schema: "diag(Tensor self, int diagonal=0) -> Tensor", run: run_diag },
    OpDef { schema: "diag_embed(Tensor self, int offset=0, int dim1=-2, int dim2=-1) -> Tensor", run: run_diag_embed },
];

fn run_repeat(a: &Args) -> Result<Value> {
    Ok(repeat(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_tile(a: &Args) -> Result<Value> {
    Ok(tile(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_flip(a: &Args) -> Result<Value> {
    Ok(flip(a.tensor(0)?, &a.ints(1)?)?.into())
}
fn run_fliplr(a: &Args) -> Result<Value> {
    Ok(fliplr(a.tensor(0)?)?.into())
}
fn run_flipud(a: &Args) -> Result<Value> {
    Ok(flipud(a.tensor(0)?)?.into())
}
fn run_roll(a: &Args) -> Result<Value> {
    Ok(roll(a.tensor(0)?, &a.ints(1)?, &a.opt_ints(2)?.unwrap_or_default())?.into())
}
fn run_tril(a: &Args) -> Result<Value> {
    Ok(tril(a.tensor(0)?, a.int(1)?)?.into())
}
fn run_triu(a: &Args) -> Result<Value> {
    Ok(triu(a.tensor(0)?, a.int(1)?)?.into())
}
fn run_diag(a: &Args) -> Result<Value> {
    Ok(diag(a.tensor(0)?, a.int(1)?)?.into())
}
fn run_diag_embed(a: &Args) -> Result<Value> {
    Ok(diag_embed(a.tensor(0)?, a.int(1)?, a.int(2)?, a.int(3)?)?.into())
}

/// `x.repeat(repeats)`: tiles `x` `repeats[i]` times along each dim
/// (leading repeats add dims).
pub fn repeat(x: &Tensor, repeats: &[i64]) -> Result<Tensor> {
    ensure!(
        repeats.len() >= x.ndim(),
        "repeat",
        "number of dimensions of repeat dims {repeats:?} can not be smaller than number of dimensions of tensor {:?}",
        x.shape()
    );
    ensure!(repeats.iter().all(|&r| r >= 0), "repeat", "repeats {repeats:?} must be non-negative");
    let lead = repeats.len() - x.ndim();
    // View as [r0, s0, r1, s1, ...] with stride 0 on the repeat dims, copy, merge pairs.
    let (mut shape, mut strides, mut out) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &r) in repeats.iter().enumerate() {
        let (s, st) = if i < lead { (1, 0) } else { (x.shape()[i - lead], x.strides()[i - lead]) };
        shape.extend([r as usize, s]);
        strides.extend([0, st]);
        out.push((r as usize).checked_mul(s).ok_or_else(|| crate::Error::op("repeat", format!("repeats {repeats:?} are too large")))?);
    }
    checked_numel("repeat", &out)?;
    let expanded = x.as_strided(&shape, &strides, x.offset())?;
    reshape_to(&expanded.contiguous(), &out)
}

/// `x.tile(dims)`: `repeat` with missing leading dims of `dims` taken as 1.
pub fn tile(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let mut reps = vec![1i64; x.ndim().saturating_sub(dims.len())];
    reps.extend_from_slice(dims);
    repeat(x, &reps)
}

/// Copies the strided view (shape, signed strides, start offset) of `src`
/// into a new row-major `Vec`.
fn gather_signed<T: Element>(src: &[T], shape: &[usize], strides: &[isize], start: isize) -> Vec<T> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let nd = shape.len();
    if nd == 0 {
        out.push(src[start as usize]);
        return out;
    }
    let (inner, inner_st) = (shape[nd - 1], strides[nd - 1]);
    let mut idx = vec![0usize; nd];
    let mut base = start;
    loop {
        out.extend((0..inner as isize).map(|i| src[(base + i * inner_st) as usize]));
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            base += strides[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= strides[d] * shape[d] as isize;
            idx[d] = 0;
        }
    }
}

/// `x.flip(dims)`: a copy with the order of the given dims reversed.
pub fn flip(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let ds = wrap_dims("flip", dims, x.ndim())?;
    let mut strides: Vec<isize> = x.strides().iter().map(|&s| s as isize).collect();
    let mut start = x.offset() as isize;
    for &d in &ds {
        if d < x.ndim() && x.shape()[d] > 0 {
            start += (x.shape()[d] as isize - 1) * strides[d];
            strides[d] = -strides[d];
        }
    }
    let g = x.storage().read();
    let buf = dispatch_dtype!(x.dtype(), T => {
        let src = g.slice::<T>().ok_or_else(|| crate::Error::op("flip", "storage dtype mismatch"))?;
        T::into_buffer(gather_signed(src, x.shape(), &strides, start))
    });
    Tensor::from_buffer(buf, x.shape())
}

/// `torch.fliplr(x)`: flips dim 1 (needs at least 2 dims).
pub fn fliplr(x: &Tensor) -> Result<Tensor> {
    ensure!(x.ndim() >= 2, "fliplr", "input must be >= 2-d, got shape {:?}", x.shape());
    flip(x, &[1])
}

/// `torch.flipud(x)`: flips dim 0 (needs at least 1 dim).
pub fn flipud(x: &Tensor) -> Result<Tensor> {
    ensure!(x.ndim() >= 1, "flipud", "input must be >= 1-d, got a 0-d tensor");
    flip(x, &[0])
}

/// `torch.roll(x, shifts, dims)`; with no dims the flattened tensor is rolled.
pub fn roll(x: &Tensor, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
    ensure!(!shifts.is_empty(), "roll", "`shifts` required");
    if dims.is_empty() && shifts.len() == 1 {
        let flat = flatten(x, 0, -1)?;
        let r = roll(&flat, shifts, &[0])?;
        return reshape_to(&r, x.shape());
    }
    ensure!(
        shifts.len() == dims.len(),
        "roll",
        "shifts and dimensions must align. shifts: {}, dims: {}",
        shifts.len(),
        dims.len()
    );
    let mut y = x.clone();
    for (&s, &dim) in shifts.iter().zip(dims) {
        ensure!(x.ndim() > 0, "roll", "dimension specified as {dim} but tensor has no dimensions");
        let d = wrap_dim("roll", dim, x.ndim())?;
        let n = x.shape()[d] as i64;
        if n == 0 {
            continue;
        }
        let k = s.rem_euclid(n);
        let parts = [narrow(&y, d as i64, n - k, k)?, narrow(&y, d as i64, 0, n - k)?];
        y = super::join::cat(&parts, d as i64)?;
    }
    Ok(if y.same_storage(x) { y.contiguous().copy_as(x.dtype()) } else { y })
}

/// `torch.tril(x, diagonal)`: zeroes the elements above diagonal `k`.
pub fn tril(x: &Tensor, k: i64) -> Result<Tensor> {
    tri(x, k, false)
}

/// `torch.triu(x, diagonal)`: zeroes the elements below diagonal `k`.
pub fn triu(x: &Tensor, k: i64) -> Result<Tensor> {
    tri(x, k, true)
}

/// `tril` (`upper == false`: keep `j - i <= k`) or `triu` (keep `j - i >= k`)
/// over the last two dims.
fn tri(x: &Tensor, k: i64, upper: bool) -> Result<Tensor> {
    let op = if upper { "triu" } else { "tril" };
    ensure!(x.ndim() >= 2, op, "input tensor must have at least 2 dimensions, got shape {:?}", x.shape());
    let out = x.copy_as(x.dtype());
    let (r, c) = (x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1]);
    fn zero<T: Element>(v: &mut [T], r: usize, c: usize, k: i64, upper: bool) {
        for m in v.chunks_mut((r * c).max(1)) {
            for i in 0..r {
                for (j, e) in m[i * c..(i + 1) * c].iter_mut().enumerate() {
                    let dj = j as i64 - i as i64;
                    if (upper && dj < k) || (!upper && dj > k) {
                        *e = T::from_i64(0);
                    }
                }
            }
        }
    }
    {
        let mut g = out.storage().write();
        dispatch_dtype!(out.dtype(), T => {
            if let Some(v) = g.slice_mut::<T>() {
                zero(v, r, c, k, upper);
            }
        });
    }
    Ok(out)
}

/// `torch.diag`: a 1-d input becomes a matrix with it on diagonal `k`; a 2-d
/// input gives a copy of its diagonal `k`.
pub fn diag(x: &Tensor, k: i64) -> Result<Tensor> {
    match x.ndim() {
        1 => {
            let m = x.shape()[0] + k.unsigned_abs() as usize;
            let out = Tensor::zeros(&[m, m], x.dtype())?;
            diagonal(&out, k, 0, 1)?.assign(x)?;
            Ok(out)
        }
        2 => Ok(diagonal(x, k, 0, 1)?.copy_as(x.dtype())),
        n => bail!("diag", "supports 1D or 2D tensors, got {n}D (shape {:?})", x.shape()),
    }
}

/// `torch.diag_embed(x, offset, dim1, dim2)`: the last dim of `x` becomes
/// diagonal `offset` of the (dim1, dim2) planes of a new tensor.
pub fn diag_embed(x: &Tensor, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
    let nd = x.ndim() + 1;
    let a = wrap_dim("diag_embed", dim1, nd)?;
    let b = wrap_dim("diag_embed", dim2, nd)?;
    ensure!(a != b, "diag_embed", "diagonal dimensions cannot be identical {dim1}, {dim2}");
    ensure!(x.ndim() >= 1, "diag_embed", "needs at least a 1-d input");
    let n = x.shape()[x.ndim() - 1] + offset.unsigned_abs() as usize;
    let mut rest = x.shape()[..x.ndim() - 1].iter();
    let shape: Vec<usize> = (0..nd).map(|i| if i == a || i == b { n } else { rest.next().copied().unwrap_or(1) }).collect();
    let out = Tensor::zeros(&shape, x.dtype())?;
    diagonal(&out, offset, a as i64, b as i64)?.assign(x)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect::<Vec<i64>>(), shape).unwrap()
    }

    #[test]
    fn flip_and_roll() {
        let x = arange(6, &[2, 3]);
        assert_eq!(flip(&x, &[0, 1]).unwrap().to_vec::<i64>(), vec![5, 4, 3, 2, 1, 0]);
        assert_eq!(flip(&x, &[-1]).unwrap().to_vec::<i64>(), vec![2, 1, 0, 5, 4, 3]);
        assert_eq!(roll(&x, &[1], &[]).unwrap().to_vec::<i64>(), vec![5, 0, 1, 2, 3, 4]);
        assert_eq!(roll(&x, &[-1], &[1]).unwrap().to_vec::<i64>(), vec![1, 2, 0, 4, 5, 3]);
    }

    #[test]
    fn repeat_tiles_blocks() {
        let x = arange(2, &[2]);
        let r = repeat(&x, &[2, 2]).unwrap();
        assert_eq!(r.shape(), &[2, 4]);
        assert_eq!(r.to_vec::<i64>(), vec![0, 1, 0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn tril_triu_diag() {
        let x = arange(9, &[3, 3]);
        assert_eq!(tril(&x, 0).unwrap().to_vec::<i64>(), vec![0, 0, 0, 3, 4, 0, 6, 7, 8]);
        assert_eq!(triu(&x, 1).unwrap().to_vec::<i64>(), vec![0, 1, 2, 0, 0, 5, 0, 0, 0]);
        assert_eq!(diag(&x, -1).unwrap().to_vec::<i64>(), vec![3, 7]);
        assert_eq!(diag(&arange(2, &[2]), 1).unwrap().to_vec::<i64>(), vec![0, 0, 0, 0, 0, 1, 0, 0, 0]);
    }
}
