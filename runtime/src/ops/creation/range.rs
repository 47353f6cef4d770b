//! `arange`, `linspace`, `logspace` with PyTorch's exact arithmetic on
//! x86-64 (`RangeFactories.cpp`, `cpu/RangeFactoriesKernel.cpp`), so the
//! values match bit for bit:
//!
//! - `arange`: length `ceil((end - start) / step)` in double (integer
//!   arithmetic when every argument is an integer and the dtype is int64);
//!   element `i` is `start + step * i` in the accumulate type (double for
//!   float32/float64, float32 for float16/bfloat16, int64 for integers),
//!   fused into one FMA as GCC compiles it. PyTorch's vectorized loop
//!   covers whole pairs of vectors: there a vector of `V` lanes starts at
//!   `base = start + step * idx` rounded to the element type and lane `k` is
//!   `base + k * step`; the remaining tail takes the scalar formula.
//! - `linspace`: `step = (end - start) / (steps - 1)` in the element type
//!   (float32 for float16/bfloat16, double for integers); the first half
//!   counts up from `start`, the second half down from `end` (FMAs again).
//! - `logspace`: `base ** (start + step * i)` in double (no FMA: that file
//!   is not compiled for AVX2), halves as in `linspace`.

use super::{check_fits, scalar_as};
use crate::ops::convert::convert;
use crate::shape::checked_numel;
use crate::{bail, ensure, DType, Element, Result, Scalar, Tensor};

/// Lanes per vector in PyTorch's AVX2 build (`Vectorized<T>::size()`).
fn lanes(dtype: DType) -> usize {
    match dtype {
        DType::F64 | DType::I64 => 4,
        DType::F32 | DType::I32 => 8,
        DType::F16 | DType::BF16 | DType::I16 => 16,
        _ => 32,
    }
}

/// The number of elements of `arange(start, end, step)`, after PyTorch's checks.
fn arange_len(start: Scalar, end: Scalar, step: Scalar, int_math: bool) -> Result<usize> {
    let op = "arange";
    let (s, e, st) = (start.to_f64(), end.to_f64(), step.to_f64());
    ensure!(st > 0.0 || st < 0.0, op, "step must be nonzero");
    ensure!(s.is_finite() && e.is_finite(), op, "unsupported range: {s} -> {e}");
    ensure!((st > 0.0 && e >= s) || (st < 0.0 && e <= s), op, "upper bound and lower bound inconsistent with step sign");
    let len = if int_math {
        let (s, e, st) = (start.to_i64() as i128, end.to_i64() as i128, step.to_i64() as i128);
        ((e - s + st - st.signum()) / st) as f64
    } else {
        ((e - s) / st).ceil()
    };
    ensure!(len >= 0.0 && len <= i64::MAX as f64, op, "invalid size, possible overflow?");
    Ok(len as usize)
}

/// `torch.arange(start, end, step, dtype)`.
pub fn arange(start: Scalar, end: Scalar, step: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    let integral = !start.is_float() && !end.is_float() && !step.is_float();
    let dtype = dtype.unwrap_or(if integral { DType::I64 } else { DType::F32 });
    ensure!(dtype != DType::Bool, "arange", "\"arange\" is not implemented for dtype bool");
    let n = arange_len(start, end, step, integral && dtype == DType::I64)?;
    checked_numel("arange", &[n])?;
    let vector_end = n / (2 * lanes(dtype)) * (2 * lanes(dtype));
    let v = match dtype {
        DType::F32 | DType::F64 => {
            for s in [start, step] {
                check_fits("arange", s, DType::F64, true)?;
            }
            crate::dispatch_dtype!(dtype, T => T::into_buffer(arange_f64::<T>(start.to_f64(), step.to_f64(), n, vector_end, lanes(dtype))))
        }
        DType::F16 | DType::BF16 => {
            for s in [start, step] {
                check_fits("arange", s, DType::F32, true)?;
            }
            let (s, st) = (start.to_f64() as f32, step.to_f64() as f32);
            crate::dispatch_dtype!(dtype, T => T::into_buffer(arange_f32::<T>(s, st, n, vector_end, lanes(dtype))))
        }
        d => {
            for s in [start, step] {
                check_fits("arange", s, DType::I64, true)?;
            }
            let (s, st) = (start.to_i64(), step.to_i64());
            let vals = (0..n as i64).map(move |i| s.wrapping_add(st.wrapping_mul(i)));
            crate::dispatch_dtype!(d, T => T::into_buffer(vals.map(convert::<i64, T>).collect()))
        }
    };
    Tensor::from_buffer(v, &[n])
}

/// float32/float64 `arange` values, accumulated in double.
fn arange_f64<T: Element>(start: f64, step: f64, n: usize, vector_end: usize, lanes: usize) -> Vec<T> {
    (0..n)
        .map(|i| {
            if i < vector_end {
                let k = i % lanes;
                let base: T = convert(step.mul_add((i - k) as f64, start));
                convert((k as f64).mul_add(step, base.to_f64()))
            } else {
                convert(step.mul_add(i as f64, start))
            }
        })
        .collect()
}

/// float16/bfloat16 `arange` values, accumulated in float32.
fn arange_f32<T: Element>(start: f32, step: f32, n: usize, vector_end: usize, lanes: usize) -> Vec<T> {
    (0..n)
        .map(|i| {
            let v = if i < vector_end {
                let k = i % lanes;
                let base: T = convert(step.mul_add((i - k) as f32, start));
                (k as f32).mul_add(step, base.to_f64() as f32)
            } else {
                step.mul_add(i as f32, start)
            };
            convert(v)
        })
        .collect()
}

/// `steps` checks shared by `linspace` and `logspace`; `None` when the
/// result is a plain fill (0 or 1 steps).
fn steps_len(op: &str, steps: i64) -> Result<usize> {
    ensure!(steps >= 0, op, "number of steps must be non-negative, got {steps}");
    checked_numel(op, &[steps as usize])
}

/// `torch.linspace(start, end, steps, dtype)`.
pub fn linspace(start: Scalar, end: Scalar, steps: i64, dtype: DType) -> Result<Tensor> {
    let op = "linspace";
    let n = steps_len(op, steps)?;
    check_fits(op, start, dtype, true)?;
    if n <= 1 {
        return super::full(&[n], start, Some(dtype));
    }
    ensure!(dtype != DType::Bool, op, "\"linspace\" is not implemented for dtype bool");
    check_fits(op, end, dtype, true)?;
    let half = n / 2;
    let buf = crate::dispatch_dtype!(dtype, T => {
        let (s, e): (T, T) = (scalar_as(start), scalar_as(end));
        T::into_buffer(match dtype {
            DType::F64 => linspace_f64::<T>(s.to_f64(), e.to_f64(), n, half),
            DType::F32 | DType::F16 | DType::BF16 => linspace_f32::<T>(s.to_f64() as f32, e.to_f64() as f32, n, half),
            _ => linspace_int::<T>(s.to_i64() as f64, e.to_i64() as f64, n, half),
        })
    });
    Tensor::from_buffer(buf, &[n])
}

fn linspace_f64<T: Element>(s: f64, e: f64, n: usize, half: usize) -> Vec<T> {
    let step = (e - s) / (n - 1) as f64;
    (0..n)
        .map(|i| convert(if i < half { step.mul_add(i as f64, s) } else { (-step).mul_add((n - i - 1) as f64, e) }))
        .collect()
}

fn linspace_f32<T: Element>(s: f32, e: f32, n: usize, half: usize) -> Vec<T> {
    let step = (e - s) / (n - 1) as f32;
    (0..n)
        .map(|i| convert(if i < half { step.mul_add(i as f32, s) } else { (-step).mul_add((n - i - 1) as f32, e) }))
        .collect()
}

/// Integer `linspace`: a double step, each value truncated (x86 conversion).
fn linspace_int<T: Element>(s: f64, e: f64, n: usize, half: usize) -> Vec<T> {
    linspace_f64::<f64>(s, e, n, half).into_iter().map(convert::<f64, T>).collect()
}

/// `torch.logspace(start, end, steps, base, dtype)`.
pub fn logspace(start: Scalar, end: Scalar, steps: i64, base: f64, dtype: DType) -> Result<Tensor> {
    let op = "logspace";
    let n = steps_len(op, steps)?;
    if n == 1 {
        return super::full(&[1], Scalar::Float(base.powf(start.to_f64())), Some(dtype));
    }
    if dtype == DType::Bool {
        bail!(op, "\"logspace\" is not implemented for dtype bool");
    }
    check_fits(op, start, dtype, true)?;
    check_fits(op, end, dtype, true)?;
    let half = n / 2;
    let buf = crate::dispatch_dtype!(dtype, T => {
        let (s, e): (T, T) = (scalar_as(start), scalar_as(end));
        // `static_cast<double>(end - start)`: the difference in the element type.
        let diff = if dtype.is_float() { convert::<f64, T>(e.to_f64() - s.to_f64()).to_f64() } else { (e.to_i64() - s.to_i64()) as f64 };
        let step = diff / (n.max(2) - 1) as f64;
        let (s, e) = (s.to_f64(), e.to_f64());
        let v = (0..n).map(|i| {
            let x = if i < half { s + step * i as f64 } else { e - step * (n - i - 1) as f64 };
            convert::<f64, T>(base.powf(x))
        });
        T::into_buffer(v.collect())
    });
    Tensor::from_buffer(buf, &[n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arange_lengths() {
        let len = |s: f64, e: f64, st: f64| arange_len(Scalar::Float(s), Scalar::Float(e), Scalar::Float(st), false).unwrap();
        assert_eq!(len(0.0, 1.0, 0.1), 10);
        assert_eq!(len(5.0, 0.0, -1.5), 4);
        assert_eq!(arange_len(Scalar::Int(0), Scalar::Int(10), Scalar::Int(3), true).unwrap(), 4);
        assert!(arange_len(Scalar::Int(0), Scalar::Int(5), Scalar::Int(0), true).is_err());
        assert!(arange_len(Scalar::Int(5), Scalar::Int(0), Scalar::Int(1), true).is_err());
    }

    #[test]
    fn linspace_ends_exactly() {
        let t = linspace(Scalar::Float(-1.3), Scalar::Float(2.9), 7, DType::F32).unwrap();
        let v = t.to_vec::<f32>();
        assert_eq!((v[0], v[6]), (-1.3, 2.9));
    }
}
