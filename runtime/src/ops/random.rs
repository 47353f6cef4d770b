//! Ops: random sampling — `rand`, `randn`, `randint`, `randperm`, the
//! `*_like` forms, `uniform_`, `normal_`, `normal`, `bernoulli` — and the
//! process-wide generator with `manual_seed`, `seed`, `initial_seed`.
//!
//! The generator is PyTorch's `CPUGeneratorImpl`, reproduced bit for bit:
//! an mt19937 seeded with the low 32 bits of the seed, `random()` = one
//! 32-bit draw, `random64()` = two draws (first in the high half), and a
//! cached second Box–Muller value for `normal_distribution<double>`. After
//! `manual_seed(s)` every op here returns exactly what PyTorch 2.15 on
//! x86-64 returns after `torch.manual_seed(s)` (see `random/normal.rs` for
//! the normal paths). Samples are drawn in the order PyTorch's
//! `TensorIterator` visits the output (memory order), which matters for
//! `*_like` of permuted tensors and in-place ops on views.
//!
//! Known divergence: `bernoulli(input, p)` with a float `p` uses MKL's own
//! generator on Intel CPUs in PyTorch; here (as PyTorch does on AMD and
//! without MKL) it draws `uniform64 < p`.

mod engine;
mod normal;

pub use engine::{Generator, Mt19937};

use super::convert::convert;
use super::creation::{dense_like_strides, device_arg, size_arg, tensor_in_layout};
use super::{Args, OpDef, Operand};
use crate::shape::{broadcast_shapes, contiguous_strides};
use crate::{bail, ensure, Buffer, DType, Element, Result, Tensor, Value};
use std::sync::{Mutex, OnceLock};

fn global() -> &'static Mutex<Generator> {
    static G: OnceLock<Mutex<Generator>> = OnceLock::new();
    G.get_or_init(|| Mutex::new(Generator::new(nondeterministic_seed())))
}

/// Runs `f` with the global generator locked.
pub fn with_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    let mut g = global().lock().unwrap_or_else(|e| e.into_inner());
    f(&mut g)
}

fn nondeterministic_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    h.write_u128(now);
    h.finish()
}

/// `torch.manual_seed(seed)`: reseeds the global generator (negative seeds wrap to u64).
pub fn manual_seed(seed: i64) {
    with_generator(|g| *g = Generator::new(seed as u64));
}

/// `torch.seed()`: reseeds with a non-deterministic seed and returns it.
pub fn seed() -> u64 {
    let s = nondeterministic_seed();
    with_generator(|g| *g = Generator::new(s));
    s
}

/// `torch.initial_seed()`.
pub fn initial_seed() -> u64 {
    with_generator(|g| g.initial_seed())
}

/// `n` uniform floats in [0, 1) from the global generator, the values
/// `torch.rand(n)` gives. Used by `dropout` in training mode.
pub fn uniform_f32(n: usize) -> Vec<f32> {
    let mut v = vec![0f32; n];
    with_generator(|g| g.fill_uniform_f32(&mut v, 0.0, 1.0));
    v
}

/// `static_cast<T>(double)` as PyTorch's kernels store samples.
fn f64_to<T: Element>(v: f64) -> T {
    convert::<f64, T>(v)
}

// ----- samplers: `n` values in the order they are written ----------------

/// `uniform_(from, to)`; a value that rounds up to `to` wraps to `from`.
fn uniform_buffer(g: &mut Generator, dtype: DType, n: usize, from: f64, to: f64) -> Buffer {
    let hw = tsc_kernels::simd::has_avx2_fma();
    if dtype == DType::F64 {
        let (span, unit) = (to - from, (from, to) == (0.0, 1.0));
        let fma: fn(f64, f64, f64) -> f64 = if hw { fma_f64 } else { f64::mul_add };
        let v = (0..n).map(|_| {
            let u = g.uniform_f64();
            wrap_to(if unit { u } else { fma(u, span, from) }, from, to)
        });
        return Buffer::F64(v.collect());
    }
    if dtype == DType::F32 {
        let mut v = vec![0f32; n];
        g.fill_uniform_f32(&mut v, from as f32, to as f32);
        return <f32 as Element>::into_buffer(v);
    }
    let (from32, to32) = (from as f32, to as f32);
    let span = to32 - from32;
    let unit = (from32, to32) == (0.0, 1.0);
    fn go<T: Element>(g: &mut Generator, n: usize, from: f32, to: f32, span: f32, unit: bool) -> Buffer {
        let (lo, hi) = (f64_to::<T>(from as f64), f64_to::<T>(to as f64));
        let v = (0..n).map(|_| {
            let u = g.uniform_f32();
            // `u * 1 + 0` is `u`: skip the fused multiply-add.
            let x = f64_to::<T>(if unit { u } else { u.mul_add(span, from) } as f64);
            if x == hi {
                lo
            } else {
                x
            }
        });
        T::into_buffer(v.collect())
    }
    crate::dispatch_dtype!(dtype, T => go::<T>(g, n, from32, to32, span, unit))
}

/// `a·b + c` rounded once with the CPU's FMA instruction (the same bits as
/// `mul_add`, which without FMA code generation is a libm call per
/// element); only called where the CPU has FMA.
fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: callers checked that the CPU has FMA.
        unsafe { _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c))) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    a.mul_add(b, c)
}

fn wrap_to(x: f64, from: f64, to: f64) -> f64 {
    if x == to {
        from
    } else {
        x
    }
}

/// `random_(from, to)` after PyTorch's bound adjustment: `range` values from `base`.
fn randint_buffer(g: &mut Generator, dtype: DType, n: usize, range: u64, base: i64) -> Buffer {
    fn go<T: Element>(g: &mut Generator, n: usize, range: u64, base: i64) -> Buffer {
        let wide = range >= 1 << 28;
        let v = (0..n).map(|_| {
            let r = if wide { g.random64() } else { g.random() as u64 };
            convert::<i64, T>((r % range).wrapping_add(base as u64) as i64)
        });
        T::into_buffer(v.collect())
    }
    crate::dispatch_dtype!(dtype, T => go::<T>(g, n, range, base))
}

/// `bernoulli_distribution` per element with probability `p(i)`: a
/// double uniform for double probabilities, else a float one.
fn bernoulli_buffer(g: &mut Generator, dtype: DType, n: usize, p: impl Fn(usize) -> f64, wide: bool) -> Buffer {
    fn go<T: Element>(g: &mut Generator, n: usize, p: impl Fn(usize) -> f64, wide: bool) -> Buffer {
        let v = (0..n).map(|i| {
            let hit = if wide { g.uniform_f64() < p(i) } else { g.uniform_f32() < p(i) as f32 };
            T::from_bool(hit)
        });
        T::into_buffer(v.collect())
    }
    crate::dispatch_dtype!(dtype, T => go::<T>(g, n, p, wide))
}

// ----- layouts: where the samples go ------------------------------------

/// The dims of `t` in the order PyTorch's `TensorIterator` nests them for a
/// single output, slowest first (`reorder_dimensions`: an insertion sort on
/// strides, ties broken by size).
fn iteration_order(t: &Tensor) -> Vec<usize> {
    let (shape, strides) = (t.shape(), t.strides());
    let nd = shape.len();
    // perm is fastest-first, starting from the reversed dims.
    let mut perm: Vec<usize> = (0..nd).rev().collect();
    let should_swap = |a: usize, b: usize| -> i32 {
        let (sa, sb) = (strides[a], strides[b]);
        if sa == 0 || sb == 0 {
            0
        } else if sa < sb {
            -1
        } else if sa > sb {
            1
        } else if shape[a] > shape[b] {
            1
        } else {
            0
        }
    };
    for i in 1..nd {
        let mut d1 = i;
        for d0 in (0..i).rev() {
            let c = should_swap(perm[d0], perm[d1]);
            if c > 0 {
                perm.swap(d0, d1);
                d1 = d0;
            } else if c < 0 {
                break;
            }
        }
    }
    perm.reverse();
    perm
}

/// Writes `buf` (values in iteration order) into the tensor `t` in place.
fn write_in_iteration_order(op: &str, t: &Tensor, buf: Buffer) -> Result<()> {
    ensure!(
        !t.shape().iter().zip(t.strides()).any(|(&d, &s)| d > 1 && s == 0),
        op,
        "unsupported operation: more than one element of the written-to tensor (shape {:?}, strides {:?}) refers to a single memory location",
        t.shape(),
        t.strides()
    );
    let perm = iteration_order(t);
    let shape: Vec<usize> = perm.iter().map(|&d| t.shape()[d]).collect();
    let strides: Vec<usize> = perm.iter().map(|&d| t.strides()[d]).collect();
    let view = t.as_strided(&shape, &strides, t.offset())?;
    view.assign(&Tensor::from_buffer(buf, &shape)?)
}

// ----- argument checks --------------------------------------------------

fn float_dtype(op: &str, dtype: Option<DType>) -> Result<DType> {
    let d = dtype.unwrap_or(DType::F32);
    ensure!(d.is_float(), op, "\"{op}\" is not implemented for dtype {d} (it needs a floating-point dtype)");
    Ok(d)
}

/// The finite range of a float dtype.
fn finite_bounds(dtype: DType) -> (f64, f64) {
    let max = match dtype {
        DType::F16 => 65504.0,
        DType::BF16 => 3.3895313892515355e38,
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    };
    (-max, max)
}

/// `uniform_`'s checks: bounds representable, `from <= to`, the span finite.
fn check_uniform(op: &str, dtype: DType, from: f64, to: f64) -> Result<()> {
    ensure!(dtype.is_float(), op, "\"{op}\" is not implemented for dtype {dtype}");
    let (lo, hi) = finite_bounds(dtype);
    ensure!(from >= lo && from <= hi, op, "from={from} is out of bounds for {dtype}");
    ensure!(to >= lo && to <= hi, op, "to={to} is out of bounds for {dtype}");
    ensure!(from <= to, op, "expects to return a [from, to) range, but found from={from} > to={to}");
    ensure!(to - from <= hi, op, "expects to-from <= the largest {dtype}, but found to={to} and from={from}");
    Ok(())
}

/// PyTorch's `update_from`/`update_to` for float dtypes: moves the bounds
/// inward so that no value rounds outside `[from, to)`.
fn adjust_float_bounds(dtype: DType, from: i64, to: i64) -> (i64, i64) {
    let digits: i32 = match dtype {
        DType::F16 => 11,
        DType::BF16 => 8,
        DType::F32 => 24,
        _ => 53,
    };
    let round = |v: i64| -> i64 {
        match dtype {
            DType::F16 => half::f16::from_f32(v as f32).to_f32() as i64,
            DType::BF16 => half::bf16::from_f32(v as f32).to_f32() as i64,
            DType::F32 => v as f32 as i64,
            _ => v as f64 as i64,
        }
    };
    let log2 = |v: i64| 63 - (v.unsigned_abs() | 1).leading_zeros() as i32;
    let mut from = from;
    let from_plus_1 = round(from.wrapping_add(1));
    if from_plus_1 < from {
        from = from_plus_1 + (1i64 << (log2(from.wrapping_add(1)) - digits + 1).max(0));
    }
    let mut to = to;
    let to_minus_1 = round(to.wrapping_sub(1));
    if to_minus_1 >= to {
        to = to_minus_1 - (1i64 << (log2(to.wrapping_sub(1)) - digits + 1).max(0));
    }
    (from, to)
}

/// The inclusive integer range a dtype holds (floats: the finite range).
fn int_bounds(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::Bool => (0.0, 1.0),
        DType::U8 => (0.0, 255.0),
        DType::I8 => (-128.0, 127.0),
        DType::I16 => (-32768.0, 32767.0),
        DType::I32 => (-2147483648.0, 2147483647.0),
        DType::I64 => (-9.223372036854775808e18, 9.223372036854775807e18),
        d => finite_bounds(d),
    }
}

/// `random_(from, to)` setup: checks and PyTorch's (range, base).
fn randint_range(op: &str, dtype: DType, low: i64, high: i64) -> Result<(u64, i64)> {
    ensure!(low < high, op, "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}");
    let (low, high) = if dtype.is_float() { adjust_float_bounds(dtype, low, high) } else { (low, high) };
    ensure!(low < high, op, "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from={low} >= to={high}");
    let (lo, hi) = int_bounds(dtype);
    ensure!(low as f64 >= lo && low as f64 <= hi, op, "from={low} is out of bounds for {dtype}");
    let last = high - 1;
    ensure!(last as f64 >= lo && last as f64 <= hi, op, "to - 1 = {last} is out of bounds for {dtype}");
    Ok(((high as u64).wrapping_sub(low as u64), low))
}

// ----- the ops ----------------------------------------------------------

/// `torch.rand(size, dtype)`.
pub fn rand(size: &[usize], dtype: DType) -> Result<Tensor> {
    let dtype = float_dtype("rand", Some(dtype))?;
    let n = crate::shape::checked_numel("rand", size)?;
    Tensor::from_buffer(with_generator(|g| uniform_buffer(g, dtype, n, 0.0, 1.0)), size)
}

/// `torch.randn(size, dtype)`.
pub fn randn(size: &[usize], dtype: DType) -> Result<Tensor> {
    let dtype = float_dtype("randn", Some(dtype))?;
    let n = crate::shape::checked_numel("randn", size)?;
    Tensor::from_buffer(with_generator(|g| normal::normal_buffer(g, dtype, n, 0.0, 1.0, true)), size)
}

/// `torch.randint(low, high, size, dtype)`.
pub fn randint(low: i64, high: i64, size: &[usize], dtype: DType) -> Result<Tensor> {
    let (range, base) = randint_range("randint", dtype, low, high)?;
    let n = crate::shape::checked_numel("randint", size)?;
    Tensor::from_buffer(with_generator(|g| randint_buffer(g, dtype, n, range, base)), size)
}

/// `torch.randperm(n, dtype)`: Fisher–Yates with `random() % (n - i)` as PyTorch's CPU kernel.
pub fn randperm(n: i64, dtype: DType) -> Result<Tensor> {
    ensure!(n >= 0, "randperm", "n must be non-negative, got {n}");
    ensure!(dtype != DType::Bool, "randperm", "\"randperm\" is not implemented for dtype bool");
    let top = (n - 1).max(0);
    let exact = match dtype {
        DType::F16 => 1i64 << 11,
        DType::BF16 => 1 << 8,
        DType::F32 => 1 << 24,
        DType::F64 => 1 << 53,
        d => int_bounds(d).1 as i64,
    };
    ensure!(top <= exact, "randperm", "n={n} is too large for result tensor type {dtype}");
    let mut perm: Vec<i64> = (0..n).collect();
    with_generator(|g| {
        for i in 0..n.saturating_sub(1) {
            let z = if n - i >= 1 << 32 { g.random64() % (n - i) as u64 } else { g.random() as u64 % (n - i) as u64 };
            perm.swap(i as usize, (z as i64 + i) as usize);
        }
    });
    Tensor::from_vec(perm, &[n as usize]).map(|t| t.to_dtype(dtype))
}

/// Samples into a new tensor laid out like `input` (as `empty_like` would).
fn sample_like(input: &Tensor, sample: impl FnOnce(&mut Generator, usize, bool) -> Buffer) -> Result<Tensor> {
    let strides = dense_like_strides(input);
    let contiguous = strides == contiguous_strides(input.shape()) || input.numel() <= 1;
    let buf = with_generator(|g| sample(g, input.numel(), contiguous));
    tensor_in_layout(buf, input.shape(), &strides)
}

/// `torch.rand_like(input, dtype)`.
pub fn rand_like(input: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    let dtype = float_dtype("rand_like", Some(dtype.unwrap_or(input.dtype())))?;
    sample_like(input, |g, n, _| uniform_buffer(g, dtype, n, 0.0, 1.0))
}

/// `torch.randn_like(input, dtype)`.
pub fn randn_like(input: &Tensor, dtype: Option<DType>) -> Result<Tensor> {
    let dtype = float_dtype("randn_like", Some(dtype.unwrap_or(input.dtype())))?;
    sample_like(input, |g, n, contiguous| normal::normal_buffer(g, dtype, n, 0.0, 1.0, contiguous))
}

/// `torch.randint_like(input, low, high, dtype)`.
pub fn randint_like(input: &Tensor, low: i64, high: i64, dtype: Option<DType>) -> Result<Tensor> {
    let dtype = dtype.unwrap_or(input.dtype());
    let (range, base) = randint_range("randint_like", dtype, low, high)?;
    sample_like(input, |g, n, _| randint_buffer(g, dtype, n, range, base))
}

/// `self.uniform_(from, to)`.
pub fn uniform_(t: &Tensor, from: f64, to: f64) -> Result<Tensor> {
    check_uniform("uniform_", t.dtype(), from, to)?;
    if t.dtype() == DType::F32 && t.device() == crate::Device::Cpu && t.is_contiguous() {
        // Memory order is iteration order: sample straight into the storage.
        let (lo, n) = (t.offset(), t.numel());
        if let Some(s) = t.storage().write().slice_mut::<f32>() {
            with_generator(|g| g.fill_uniform_f32(&mut s[lo..lo + n], from as f32, to as f32));
            return Ok(t.clone());
        }
    }
    let buf = with_generator(|g| uniform_buffer(g, t.dtype(), t.numel(), from, to));
    write_in_iteration_order("uniform_", t, buf)?;
    Ok(t.clone())
}

/// `self.normal_(mean, std)`.
pub fn normal_(t: &Tensor, mean: f64, std: f64) -> Result<Tensor> {
    ensure!(t.dtype().is_float(), "normal_", "\"normal_\" is not implemented for dtype {}", t.dtype());
    ensure!(std >= 0.0, "normal_", "normal expects std >= 0.0, but found std {std}");
    let buf = with_generator(|g| normal::normal_buffer(g, t.dtype(), t.numel(), mean, std, t.is_contiguous()));
    write_in_iteration_order("normal_", t, buf)?;
    Ok(t.clone())
}

/// `torch.normal(mean, std, size)` with float arguments.
pub fn normal(mean: f64, std: f64, size: &[usize], dtype: DType) -> Result<Tensor> {
    let dtype = float_dtype("normal", Some(dtype))?;
    ensure!(std >= 0.0, "normal", "normal expects std >= 0.0, but found std {std}");
    let n = crate::shape::checked_numel("normal", size)?;
    Tensor::from_buffer(with_generator(|g| normal::normal_buffer(g, dtype, n, mean, std, true)), size)
}

/// `torch.normal(mean, std)` with tensor mean and/or std: PyTorch samples
/// N(0, 1) (N(0, std) for a float std) of the broadcast shape, then applies
/// `mul_(std)` and `add_(mean)` in the result dtype (that of `mean` when it
/// is a tensor, else of `std`).
pub fn normal_tensors(mean: &Operand, std: &Operand) -> Result<Tensor> {
    let op = "normal";
    let (dtype, shape) = match (mean, std) {
        (Operand::Tensor(m), Operand::Tensor(s)) => (m.dtype(), broadcast_shapes(op, m.shape(), s.shape())?),
        (Operand::Tensor(m), _) => (m.dtype(), m.shape().to_vec()),
        (_, Operand::Tensor(s)) => (s.dtype(), s.shape().to_vec()),
        _ => bail!(op, "needs a tensor mean or std"),
    };
    ensure!(dtype.is_float(), op, "normal expects floating-point mean and std, got {dtype}");
    let std_scalar = match std {
        Operand::Scalar(s) => s.to_f64(),
        Operand::Tensor(s) => {
            ensure!(s.to_vec::<f64>().iter().all(|&v| v >= 0.0), op, "normal expects all elements of std >= 0.0");
            1.0
        }
    };
    ensure!(std_scalar >= 0.0, op, "normal expects std >= 0.0, but found std {std_scalar}");
    let n = crate::shape::checked_numel(op, &shape)?;
    let mut v = Tensor::from_buffer(with_generator(|g| normal::normal_buffer(g, dtype, n, 0.0, std_scalar, true)), &shape)?
        .to_vec::<f64>();
    if let Operand::Tensor(s) = std {
        let s = s.broadcast_to(&shape)?.to_vec::<f64>();
        v.iter_mut().zip(&s).for_each(|(a, b)| *a *= b);
        v = round_to(dtype, v);
    }
    match mean {
        Operand::Tensor(m) => {
            let m = m.broadcast_to(&shape)?.to_vec::<f64>();
            v.iter_mut().zip(&m).for_each(|(a, b)| *a += b);
        }
        Operand::Scalar(m) => {
            let m = round_to(dtype, vec![m.to_f64()])[0];
            v.iter_mut().for_each(|a| *a += m);
        }
    }
    Ok(Tensor::from_vec(v, &shape)?.to_dtype(dtype))
}

/// Rounds every value to `dtype` (as PyTorch's float kernels store them).
fn round_to(dtype: DType, v: Vec<f64>) -> Vec<f64> {
    fn go<T: Element>(v: Vec<f64>) -> Vec<f64> {
        v.into_iter().map(|x| f64_to::<T>(x).to_f64()).collect()
    }
    crate::dispatch_dtype!(dtype, T => go::<T>(v))
}

/// `torch.bernoulli(input)`: each element is 1 with probability `input`;
/// a new contiguous tensor of `input`'s dtype.
pub fn bernoulli(input: &Tensor) -> Result<Tensor> {
    let probs = probabilities("bernoulli", input, &contiguous_strides(input.shape()), input.shape())?;
    let wide = input.dtype() == DType::F64;
    let buf = with_generator(|g| bernoulli_buffer(g, input.dtype(), probs.len(), |i| probs[i], wide));
    Tensor::from_buffer(buf, input.shape())
}

/// `torch.bernoulli(input, p)`: each element is 1 with probability `p`.
pub fn bernoulli_p(input: &Tensor, p: f64) -> Result<Tensor> {
    ensure!((0.0..=1.0).contains(&p), "bernoulli", "bernoulli expects p to be in [0, 1], but got p={p}");
    let buf = with_generator(|g| bernoulli_buffer(g, input.dtype(), input.numel(), |_| p, true));
    Tensor::from_buffer(buf, input.shape())
}

/// `self.bernoulli_(p)` with a float probability.
pub fn bernoulli_inplace(t: &Tensor, p: f64) -> Result<Tensor> {
    ensure!((0.0..=1.0).contains(&p), "bernoulli_", "bernoulli_ expects p to be in [0, 1], but got p={p}");
    let buf = with_generator(|g| bernoulli_buffer(g, t.dtype(), t.numel(), |_| p, true));
    write_in_iteration_order("bernoulli_", t, buf)?;
    Ok(t.clone())
}

/// `self.bernoulli_(p)` with per-element probabilities (broadcast to `self`).
pub fn bernoulli_inplace_tensor(t: &Tensor, p: &Tensor) -> Result<Tensor> {
    let order = iteration_order(t);
    let shape: Vec<usize> = order.iter().map(|&d| t.shape()[d]).collect();
    let strides: Vec<usize> = order.iter().map(|&d| t.strides()[d]).collect();
    let view = t.as_strided(&shape, &strides, t.offset())?;
    let p_full = p.broadcast_to(t.shape()).map_err(|_| {
        crate::Error::op("bernoulli_", format!("probabilities of shape {:?} do not broadcast to {:?}", p.shape(), t.shape()))
    })?;
    let p_view = p_full.as_strided(&shape, &order.iter().map(|&d| p_full.strides()[d]).collect::<Vec<_>>(), p_full.offset())?;
    let probs = probabilities("bernoulli_", &p_view, &contiguous_strides(&shape), &shape)?;
    let wide = p.dtype() == DType::F64;
    let buf = with_generator(|g| bernoulli_buffer(g, t.dtype(), probs.len(), |i| probs[i], wide));
    view.assign(&Tensor::from_buffer(buf, &shape)?)?;
    Ok(t.clone())
}

/// The probabilities in `p`, read in the memory order of a dense layout with
/// `strides` over `shape`, checked to be floats in [0, 1].
fn probabilities(op: &str, p: &Tensor, strides: &[usize], shape: &[usize]) -> Result<Vec<f64>> {
    ensure!(p.dtype().is_float(), op, "\"{op}\" is not implemented for probabilities of dtype {}", p.dtype());
    let mut dims: Vec<usize> = (0..shape.len()).collect();
    dims.sort_by(|&a, &b| strides[b].cmp(&strides[a]));
    let s: Vec<usize> = dims.iter().map(|&d| shape[d]).collect();
    let st: Vec<usize> = dims.iter().map(|&d| p.strides()[d]).collect();
    let v = p.as_strided(&s, &st, p.offset())?.to_vec::<f64>();
    ensure!(v.iter().all(|x| (0.0..=1.0).contains(x)), op, "{op} expects all probabilities in [0, 1]");
    Ok(v)
}

// ----- schema wrappers --------------------------------------------------

fn dtype_or(a: &Args, i: usize, default: DType) -> Result<DType> {
    Ok(a.opt_dtype(i)?.unwrap_or(default))
}

fn run_manual_seed(a: &Args) -> Result<Value> {
    manual_seed(a.int(0)?);
    Ok(Value::None)
}
fn run_seed(_: &Args) -> Result<Value> {
    Ok(Value::Int(seed() as i64))
}
fn run_initial_seed(_: &Args) -> Result<Value> {
    Ok(Value::Int(initial_seed() as i64))
}
fn run_rand(a: &Args) -> Result<Value> {
    let dev = device_arg("rand", a, 2)?;
    rand(&size_arg("rand", &a.ints(0)?)?, dtype_or(a, 1, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randn(a: &Args) -> Result<Value> {
    let dev = device_arg("randn", a, 2)?;
    randn(&size_arg("randn", &a.ints(0)?)?, dtype_or(a, 1, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randint(a: &Args) -> Result<Value> {
    let dev = device_arg("randint", a, 3)?;
    randint(0, a.int(0)?, &size_arg("randint", &a.ints(1)?)?, dtype_or(a, 2, DType::I64)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randint_low(a: &Args) -> Result<Value> {
    let dev = device_arg("randint", a, 4)?;
    randint(a.int(0)?, a.int(1)?, &size_arg("randint", &a.ints(2)?)?, dtype_or(a, 3, DType::I64)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randperm(a: &Args) -> Result<Value> {
    let dev = device_arg("randperm", a, 2)?;
    randperm(a.int(0)?, dtype_or(a, 1, DType::I64)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_rand_like(a: &Args) -> Result<Value> {
    let dev = device_arg("rand_like", a, 2)?;
    rand_like(a.tensor(0)?, a.opt_dtype(1)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randn_like(a: &Args) -> Result<Value> {
    let dev = device_arg("randn_like", a, 2)?;
    randn_like(a.tensor(0)?, a.opt_dtype(1)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randint_like(a: &Args) -> Result<Value> {
    let dev = device_arg("randint_like", a, 3)?;
    randint_like(a.tensor(0)?, 0, a.int(1)?, a.opt_dtype(2)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_randint_like_low(a: &Args) -> Result<Value> {
    let dev = device_arg("randint_like", a, 4)?;
    randint_like(a.tensor(0)?, a.int(1)?, a.int(2)?, a.opt_dtype(3)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_uniform_(a: &Args) -> Result<Value> {
    uniform_(a.tensor(0)?, a.float(1)?, a.float(2)?).map(Value::Tensor)
}
fn run_normal_(a: &Args) -> Result<Value> {
    normal_(a.tensor(0)?, a.float(1)?, a.float(2)?).map(Value::Tensor)
}
fn run_normal_tensors(a: &Args) -> Result<Value> {
    normal_tensors(&a.operand(0)?, &a.operand(1)?).map(Value::Tensor)
}
fn run_normal_floats(a: &Args) -> Result<Value> {
    let dev = device_arg("normal", a, 4)?;
    normal(a.float(0)?, a.float(1)?, &size_arg("normal", &a.ints(2)?)?, dtype_or(a, 3, DType::F32)?).and_then(|t| t.to_device(dev)).map(Value::Tensor)
}
fn run_bernoulli(a: &Args) -> Result<Value> {
    bernoulli(a.tensor(0)?).map(Value::Tensor)
}
fn run_bernoulli_p(a: &Args) -> Result<Value> {
    bernoulli_p(a.tensor(0)?, a.float(1)?).map(Value::Tensor)
}
fn run_bernoulli_inplace_p(a: &Args) -> Result<Value> {
    bernoulli_inplace(a.tensor(0)?, a.float(1)?).map(Value::Tensor)
}
fn run_bernoulli_inplace_t(a: &Args) -> Result<Value> {
    bernoulli_inplace_tensor(a.tensor(0)?, a.tensor(1)?).map(Value::Tensor)
}

pub(crate) const OPS: &[OpDef] = &[
    OpDef { schema: "manual_seed(int seed) -> None", run: run_manual_seed },
    OpDef { schema: "seed() -> int", run: run_seed },
    OpDef { schema: "initial_seed() -> int", run: run_initial_seed },
    OpDef { schema: "rand(int[] size, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_rand },
    OpDef { schema: "randn(int[] size, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_randn },
    OpDef { schema: "randint(int high, int[] size, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_randint },
    OpDef {
        schema: "randint.low(int low, int high, int[] size, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_randint_low,
    },
    OpDef { schema: "randperm(int n, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_randperm },
    OpDef { schema: "rand_like(Tensor input, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_rand_like },
    OpDef { schema: "randn_like(Tensor input, *, ScalarType? dtype=None, Device? device=None) -> Tensor", run: run_randn_like },
    OpDef {
        schema: "randint_like(Tensor input, int high, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_randint_like,
    },
    OpDef {
        schema: "randint_like.low_dtype(Tensor input, int low, int high, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_randint_like_low,
    },
    OpDef { schema: "uniform_(Tensor self, float from=0, float to=1) -> Tensor", run: run_uniform_ },
    OpDef { schema: "normal_(Tensor self, float mean=0, float std=1) -> Tensor", run: run_normal_ },
    OpDef { schema: "normal.Tensor_Tensor(Tensor mean, Tensor std) -> Tensor", run: run_normal_tensors },
    OpDef { schema: "normal.Tensor_float(Tensor mean, float std=1) -> Tensor", run: run_normal_tensors },
    OpDef { schema: "normal.float_Tensor(float mean, Tensor std) -> Tensor", run: run_normal_tensors },
    OpDef {
        schema: "normal.float_float(float mean, float std, int[] size, *, ScalarType? dtype=None, Device? device=None) -> Tensor",
        run: run_normal_floats,
    },
    OpDef { schema: "bernoulli(Tensor input) -> Tensor", run: run_bernoulli },
    OpDef { schema: "bernoulli.p(Tensor input, float p) -> Tensor", run: run_bernoulli_p },
    OpDef { schema: "bernoulli_.float(Tensor self, float p=0.5) -> Tensor", run: run_bernoulli_inplace_p },
    OpDef { schema: "bernoulli_.Tensor(Tensor self, Tensor p) -> Tensor", run: run_bernoulli_inplace_t },
];

#[cfg(test)]
mod tests {
    use super::*;

    // Values printed by PyTorch 2.15 (CPU, x86-64).
    #[test]
    fn matches_pytorch_after_manual_seed() {
        let g = &mut Generator::new(42);
        let r: Vec<f32> = (0..3).map(|_| g.uniform_f32()).collect();
        assert_eq!(r, vec![0.8822692632675171, 0.9150039553642273, 0.38286375999450684]);
        let n: Vec<f32> = (0..3).map(|_| g.normal_f64() as f32).collect();
        assert_eq!(n, vec![-0.829319179058075, -1.6137069463729858, -0.21470452845096588]);
    }

    #[test]
    fn global_ops_follow_the_seed() {
        // One test touches the global generator, so no other test races it.
        manual_seed(42);
        assert_eq!(initial_seed(), 42);
        let _ = rand(&[3], DType::F32).unwrap();
        let _ = randn(&[3], DType::F32).unwrap();
        assert_eq!(randint(0, 100, &[5], DType::I64).unwrap().to_vec::<i64>(), vec![14, 10, 54, 31, 72]);
        assert_eq!(randperm(6, DType::I64).unwrap().to_vec::<i64>(), vec![5, 1, 0, 4, 2, 3]);
        // The cached Box–Muller value carries over between calls.
        manual_seed(7);
        let a = randn(&[3], DType::F32).unwrap().to_vec::<f32>();
        let b = randn(&[3], DType::F32).unwrap().to_vec::<f32>();
        manual_seed(7);
        let c = randn(&[6], DType::F32).unwrap().to_vec::<f32>();
        assert_eq!([a, b].concat(), c);
        assert_eq!(c[3], -1.1143440008163452);
        // Only the low 32 bits seed the engine; negative seeds wrap.
        manual_seed((1 << 32) + 5);
        let x = uniform_f32(2);
        assert_eq!(initial_seed(), (1 << 32) + 5);
        manual_seed(5);
        assert_eq!(x, rand(&[2], DType::F32).unwrap().to_vec::<f32>());
        manual_seed(-1);
        assert_eq!(initial_seed(), u64::MAX);
        assert_eq!(uniform_f32(2), vec![0.9937993884086609, 0.5713063478469849]);
        // Crossing the 624-word state refill.
        manual_seed(0);
        assert_eq!(&uniform_f32(700)[697..], &[0.1292743682861328, 0.6149360537528992, 0.572658896446228]);
    }

    #[test]
    fn uniform_in_place_matches_pytorch() {
        // torch.manual_seed(3); torch.empty(700).uniform_(-0.25, 0.75)
        let want = [-0.2457364797592163, -0.14443063735961914, 0.33235299587249756, 0.32288122177124023, -0.0455394983291626];
        let at = [0, 1, 623, 624, 699];
        let mut g = Generator::new(3);
        let mut v = vec![0f32; 700];
        g.fill_uniform_f32(&mut v, -0.25, 0.75);
        assert_eq!(at.map(|i| v[i]), want);
        // The one-draw-at-a-time path gives the same values.
        let mut g = Generator::new(3);
        let one: Vec<f32> = (0..700).map(|_| g.uniform_f32().mul_add(1.0, -0.25)).collect();
        assert_eq!(one, v);
        // A value that rounds up to `to` wraps to `from`.
        let mut g = Generator::new(3);
        let mut w = vec![0f32; 700];
        g.fill_uniform_f32(&mut w, 1e30, 1e30 + 1.0);
        assert!(w.iter().all(|&x| x == 1e30));
    }

    #[test]
    fn float_bounds_move_inward() {
        assert_eq!(adjust_float_bounds(DType::F16, 0, 65504), (0, 65472));
        assert_eq!(adjust_float_bounds(DType::F32, -5, 1 << 26), (-5, (1 << 26) - 4));
        assert_eq!(adjust_float_bounds(DType::F32, 0, 10), (0, 10));
    }

    #[test]
    fn iteration_order_walks_memory() {
        let t = Tensor::zeros(&[12], DType::F32).unwrap();
        let tt = t.as_strided(&[4, 3], &[1, 4], 0).unwrap();
        assert_eq!(iteration_order(&tt), vec![1, 0]);
        let c = t.as_strided(&[3, 4], &[4, 1], 0).unwrap();
        assert_eq!(iteration_order(&c), vec![0, 1]);
    }
}
