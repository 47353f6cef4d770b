//! The engine behind every broadcasting elementwise op (binary arithmetic,
//! comparisons, `where`, `clamp`, unary maps).
//!
//! An op builds a [`Plan`] from its operands (tensors or Python numbers):
//! the plan works out the result dtype exactly as `torch.result_type` does
//! (or takes one the op imposes), the broadcast shape, and the compute dtype
//! (`DType::compute`: float16/bfloat16 compute in float32, every integer type
//! in int64, bool as bool). Operands are converted once — a tensor of
//! another dtype is cast to the common dtype and then to the compute dtype,
//! a Python number is rounded into the common dtype the way PyTorch wraps
//! it ([`ScalarMode`]) — and then viewed with broadcast (0) strides.
//!
//! [`Plan::map`] runs a closure `Fn([T; N]) -> R` over the broadcast
//! operands, monomorphized per compute type `T` (no per-element dispatch),
//! writing a fresh contiguous output of dtype `R` that is finally cast to the
//! requested output dtype (e.g. float32 → float16). The loop coalesces dims
//! (`iter::coalesce`), splits the output across cores
//! (`tsc_kernels::parallel`) when it is big, and per innermost run picks a
//! specialized loop: all operands contiguous (plain slice walk the compiler
//! vectorizes), the first or second operand constant over the run (a
//! one-element or broadcast operand), or a general strided loop.
//!
//! [`map_kinds!`] writes the per-dtype `match` for an op given one closure
//! body per kind (float / int / bool); [`map_float`] and [`map_same`] are
//! ready-made unary maps.

use crate::iter::coalesce;
use crate::ops::Operand;
use crate::shape::broadcast_all;
use crate::storage::{cast_buffer, Buffer, Element};
use crate::{DType, Error, Result, ResultType, Scalar, Tensor};
use std::array::from_fn;
use std::sync::RwLockReadGuard;
use tsc_kernels::parallel::map_chunks_mut;

impl From<&Tensor> for Operand {
    fn from(t: &Tensor) -> Operand {
        Operand::Tensor(t.clone())
    }
}
impl From<Tensor> for Operand {
    fn from(t: Tensor) -> Operand {
        Operand::Tensor(t)
    }
}
impl From<Scalar> for Operand {
    fn from(s: Scalar) -> Operand {
        Operand::Scalar(s)
    }
}

impl Operand {
    /// The tensor, if this operand is one.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Operand::Tensor(t) => Some(t),
            Operand::Scalar(_) => None,
        }
    }
    /// The dtype this operand brings to promotion (`bool`, `int64` or
    /// `float32` for Python numbers).
    pub fn dtype(&self) -> DType {
        match self {
            Operand::Tensor(t) => t.dtype(),
            Operand::Scalar(s) => Tensor::from_scalar(*s).dtype(),
        }
    }
}

/// `torch.result_type` of a list of operands (0-d tensors and Python
/// numbers only decide the dtype when they are of a higher category).
pub fn result_type(operands: &[&Operand]) -> DType {
    operands
        .iter()
        .fold(ResultType::new(), |rt, o| match o {
            Operand::Tensor(t) => rt.tensor(t.dtype(), t.ndim()),
            Operand::Scalar(s) => rt.scalar(*s),
        })
        .finish()
}

/// How a Python-number operand becomes a value of the compute type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarMode {
    /// Rounded into the common dtype first, as TensorIterator does with a
    /// wrapped number: `int8_tensor // 1000` divides by `1000 as i8`, and
    /// `float16_tensor > 1.00001` compares against `1.0`.
    Common,
    /// Kept at compute precision when the common dtype is floating (the
    /// `opmath` scalars of `mul` and `div` on float16/bfloat16).
    Opmath,
}

/// Operands prepared for one elementwise loop: converted to the compute
/// dtype and broadcast (as views) to a common shape.
pub struct Plan<const N: usize> {
    op: &'static str,
    common: DType,
    shape: Vec<usize>,
    inputs: [Tensor; N],
    cost: usize,
}

impl<const N: usize> Plan<N> {
    /// Operands promoted to their `torch.result_type`.
    pub fn new(op: &'static str, operands: [&Operand; N]) -> Result<Self> {
        Self::with_dtype(op, operands, result_type(&operands), ScalarMode::Common)
    }

    /// Operands converted to `common` (an op-imposed dtype, e.g. float32 for
    /// true division of integers), Python numbers per `mode`.
    pub fn with_dtype(op: &'static str, operands: [&Operand; N], common: DType, mode: ScalarMode) -> Result<Self> {
        let shapes: Vec<&[usize]> = operands.iter().filter_map(|o| o.as_tensor()).map(Tensor::shape).collect();
        let shape = broadcast_all(op, &shapes)?;
        let compute = common.compute();
        let mut inputs = Vec::with_capacity(N);
        for o in operands {
            let t = match o {
                Operand::Tensor(t) => t.to_dtype(common).to_dtype(compute),
                Operand::Scalar(s) if mode == ScalarMode::Opmath && common.is_float() => Tensor::scalar(*s, compute),
                Operand::Scalar(s) => Tensor::scalar(*s, common).to_dtype(compute),
            };
            inputs.push(t.broadcast_to(&shape)?);
        }
        let inputs: [Tensor; N] = inputs.try_into().map_err(|_| Error::op(op, "internal: operand count"))?;
        Ok(Plan { op, common, shape, inputs, cost: 1 })
    }

    /// Relative cost of one element (1 for `+`, ~10 for a transcendental),
    /// used to decide when to split the loop across cores.
    pub fn cost(mut self, cost: usize) -> Self {
        self.cost = cost.max(1);
        self
    }

    /// The dtype the operands were promoted to.
    pub fn common(&self) -> DType {
        self.common
    }

    /// The dtype the loop computes in (`common().compute()`).
    pub fn compute(&self) -> DType {
        self.common.compute()
    }

    /// The broadcast shape of the result.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The op's name, for errors.
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// PyTorch's error for a dtype the op has no kernel for.
    pub fn unsupported(&self) -> Error {
        not_implemented(self.op, self.common)
    }

    /// Runs `f` on every broadcast position and returns a contiguous tensor
    /// of dtype `out` (the closure's result, cast when `out` differs).
    /// `T` must be the compute dtype.
    pub fn map<T: Element, R: Element, F: Fn([T; N]) -> R + Sync>(&self, out: DType, f: F) -> Result<Tensor> {
        if T::DTYPE != self.compute() {
            return Err(Error::op(self.op, format!("internal: loop type {} for compute dtype {}", T::DTYPE, self.compute())));
        }
        let v: Vec<R> = run(self.op, &self.shape, &self.inputs, self.cost, &f)?;
        let buf = R::into_buffer(v);
        let buf = if out == R::DTYPE { buf } else { cast_buffer(&buf, out) };
        Tensor::from_buffer(buf, &self.shape)
    }
}

/// PyTorch's `"op" not implemented for 'dtype'`.
pub fn not_implemented(op: &str, dtype: DType) -> Error {
    Error::op(op, format!("not implemented for dtype {dtype}"))
}

/// Runs an elementwise closure chosen by the plan's compute dtype:
///
/// ```text
/// map_kinds!(plan, out_dtype, |a, b| {
///     float: a + b,               // f32 and f64 (f16/bf16 compute in f32)
///     int: a.wrapping_add(b),     // i64 (every integer dtype)
///     bool: a | b,                // bool
/// })
/// ```
///
/// Every arm is optional (and ends with a comma); a kind without an arm is
/// PyTorch's "not implemented for dtype" error. Each arm is its own
/// monomorphized loop.
macro_rules! map_kinds {
    ($plan:expr, $out:expr, |$($a:ident),+| { $($arms:tt)* }) => {
        $crate::ops::elementwise::map_kinds!(@arms $plan, $out, [$($a),+], $($arms)*)
    };
    (@arms $plan:expr, $out:expr, $args:tt, $(float: $f:expr,)? $(int: $i:expr,)? $(bool: $b:expr,)?) => {{
        let plan = &$plan;
        match plan.compute() {
            $($crate::DType::F32 => plan.map::<f32, _, _>($out, |$args| $f),
            $crate::DType::F64 => plan.map::<f64, _, _>($out, |$args| $f),)?
            $($crate::DType::I64 => plan.map::<i64, _, _>($out, |$args| $i),)?
            $($crate::DType::Bool => plan.map::<bool, _, _>($out, |$args| $b),)?
            #[allow(unreachable_patterns)]
            _ => Err(plan.unsupported()),
        }
    }};
}
pub(crate) use map_kinds;

// ----- the loop ---------------------------------------------------------

/// Fills a fresh `Vec<R>` with `f` applied at every position of `shape`.
fn run<T: Element, R: Element, F: Fn([T; N]) -> R + Sync, const N: usize>(
    op: &str,
    shape: &[usize],
    inputs: &[Tensor; N],
    cost: usize,
    f: &F,
) -> Result<Vec<R>> {
    let n: usize = shape.iter().product();
    let mut out = vec![R::from_bool(false); n];
    if n == 0 {
        return Ok(out);
    }
    // One read guard per distinct storage (operands may alias, e.g. `x * x`).
    let mut owner = [0usize; N];
    let mut guards: Vec<RwLockReadGuard<'_, Buffer>> = Vec::with_capacity(N);
    for k in 0..N {
        match (0..k).find(|&j| inputs[j].same_storage(&inputs[k])) {
            Some(j) => owner[k] = owner[j],
            None => {
                owner[k] = guards.len();
                guards.push(inputs[k].storage().read());
            }
        }
    }
    let mut srcs: [&[T]; N] = [&[]; N];
    for k in 0..N {
        srcs[k] = guards[owner[k]].slice::<T>().ok_or_else(|| Error::op(op, "internal: operand not in the compute dtype"))?;
    }
    let (cshape, cstrides) = coalesce(shape, from_fn(|k| inputs[k].strides()));
    let walk = Walk { shape: &cshape, strides: &cstrides, base: from_fn(|k| inputs[k].offset()), srcs };
    map_chunks_mut(&mut out, cost, |start, chunk| walk.fill(start, chunk, f));
    Ok(out)
}

/// A coalesced strided loop nest over N sources.
struct Walk<'a, T, const N: usize> {
    shape: &'a [usize],
    strides: &'a [Vec<usize>; N],
    base: [usize; N],
    srcs: [&'a [T]; N],
}

impl<T: Element, const N: usize> Walk<'_, T, N> {
    /// Fills `out` with the results for flat output positions `start..start + out.len()`.
    fn fill<R: Element, F: Fn([T; N]) -> R>(&self, start: usize, out: &mut [R], f: &F) {
        let nd = self.shape.len();
        if nd == 0 {
            // Every dim had size 1: a single element.
            if let Some(o) = out.first_mut() {
                *o = f(from_fn(|k| self.srcs[k][self.base[k]]));
            }
            return;
        }
        let inner = self.shape[nd - 1];
        let inner_st: [usize; N] = from_fn(|k| self.strides[k][nd - 1]);
        // Unravel `start` into a multi-index and source offsets.
        let mut idx = vec![0usize; nd];
        let mut rem = start;
        for d in (0..nd).rev() {
            idx[d] = rem % self.shape[d];
            rem /= self.shape[d];
        }
        let mut offs: [usize; N] = from_fn(|k| self.base[k] + (0..nd).map(|d| idx[d] * self.strides[k][d]).sum::<usize>());
        let mut pos = 0;
        while pos < out.len() {
            let i0 = idx[nd - 1];
            let len = (inner - i0).min(out.len() - pos);
            run_kernel(&self.srcs, offs, inner_st, &mut out[pos..pos + len], f);
            pos += len;
            // Back to the start of the row, then step the outer dims.
            for k in 0..N {
                offs[k] -= i0 * inner_st[k];
            }
            idx[nd - 1] = 0;
            let mut d = nd - 1;
            while d > 0 {
                d -= 1;
                idx[d] += 1;
                for k in 0..N {
                    offs[k] += self.strides[k][d];
                }
                if idx[d] < self.shape[d] {
                    break;
                }
                for k in 0..N {
                    offs[k] -= self.strides[k][d] * self.shape[d];
                }
                idx[d] = 0;
            }
        }
    }
}

/// One innermost run: `out[i] = f(src_k[offs_k + i * st_k])`. Runs where
/// every operand is contiguous, except that operand 0 and/or 1 may be
/// constant (stride 0), get a loop the compiler can vectorize.
#[inline]
fn run_kernel<T: Element, R: Element, F: Fn([T; N]) -> R, const N: usize>(
    srcs: &[&[T]; N],
    offs: [usize; N],
    st: [usize; N],
    out: &mut [R],
    f: &F,
) {
    let splat = |k: usize| k < 2 && st[k] == 0;
    if (0..N).all(|k| st[k] == 1 || splat(k)) {
        let mask = (0..N.min(2)).filter(|&k| splat(k)).fold(0u8, |m, k| m | 1 << k);
        match mask {
            0 => dense::<T, R, F, N, 0>(srcs, offs, out, f),
            1 => dense::<T, R, F, N, 1>(srcs, offs, out, f),
            2 => dense::<T, R, F, N, 2>(srcs, offs, out, f),
            _ => dense::<T, R, F, N, 3>(srcs, offs, out, f),
        }
        return;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(from_fn(|k| srcs[k][offs[k] + i * st[k]]));
    }
}

/// A run over contiguous operands, where operand k is a constant when bit
/// k of `SPLAT` is set (a compile-time mask, so the branch folds away).
#[inline]
fn dense<T: Element, R: Element, F: Fn([T; N]) -> R, const N: usize, const SPLAT: u8>(
    srcs: &[&[T]; N],
    offs: [usize; N],
    out: &mut [R],
    f: &F,
) {
    let len = out.len();
    let is_splat = |k: usize| k < 8 && SPLAT >> k & 1 == 1;
    let vals: [T; N] = from_fn(|k| srcs[k][offs[k]]);
    let ins: [&[T]; N] = from_fn(|k| if is_splat(k) { &srcs[k][offs[k]..offs[k] + 1] } else { &srcs[k][offs[k]..offs[k] + len] });
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(from_fn(|k| if is_splat(k) { vals[k] } else { ins[k][i] }));
    }
}

// ----- float helpers ------------------------------------------------------

/// The float compute types (f32, f64), for kernels written once for both.
pub trait Float:
    Element
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Rem<Output = Self>
    + std::ops::Neg<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    const HALF: Self;
    const NAN: Self;
    fn of(v: f64) -> Self;
    fn floor(self) -> Self;
    fn trunc(self) -> Self;
    fn abs(self) -> Self;
    fn copysign(self, sign: Self) -> Self;
    fn is_nan(self) -> bool;
    fn is_finite(self) -> bool;
    fn is_infinite(self) -> bool;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn exp(self) -> Self;
    fn powf(self, e: Self) -> Self;
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const HALF: Self = 0.5;
            const NAN: Self = <$t>::NAN;
            #[inline(always)]
            fn of(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline(always)]
            fn trunc(self) -> Self {
                <$t>::trunc(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn copysign(self, sign: Self) -> Self {
                <$t>::copysign(self, sign)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn is_infinite(self) -> bool {
                <$t>::is_infinite(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);

/// `v` as the float type of `like` (lets one closure body of
/// [`map_kinds!`] serve both its f32 and its f64 instantiation).
#[inline(always)]
pub fn cast_like<F: Float>(v: f64, _like: F) -> F {
    F::of(v)
}

/// `torch.maximum` on floats: NaN if either is NaN, else the larger (the
/// first on ties, as `std::max`).
#[inline(always)]
pub fn max_nan<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::NAN
    } else if a < b {
        b
    } else {
        a
    }
}

/// `torch.minimum` on floats: NaN if either is NaN, else the smaller (the
/// first on ties).
#[inline(always)]
pub fn min_nan<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::NAN
    } else if b < a {
        b
    } else {
        a
    }
}

// ----- Python numbers meeting a dtype -----------------------------------

/// Checks that Python number `s` converts to `dtype` without overflow, with
/// c10's `checked_convert` rules (what `masked_fill`, `where` and `clamp`
/// apply to their scalars): floats must be finite-in-range (infinities and
/// NaN are fine for float dtypes), floats → integers must satisfy
/// `lowest <= s < max + 1`, integers → unsigned may also wrap from
/// `-max..0`; anything converts to bool.
pub fn check_scalar_fits(op: &str, s: Scalar, dtype: DType) -> Result<()> {
    let (lo, hi) = match int_range(dtype) {
        Some(r) => r,
        None if dtype == DType::Bool => return Ok(()),
        None => {
            let max = match dtype {
                DType::F16 => 65504.0,
                DType::BF16 => 3.3895313892515355e38,
                DType::F32 => f32::MAX as f64,
                _ => f64::MAX,
            };
            let v = s.to_f64();
            return if v.is_finite() && v.abs() > max { Err(overflow(op, s, dtype)) } else { Ok(()) };
        }
    };
    let fits = match s {
        Scalar::Bool(_) => true,
        Scalar::Int(i) if lo == 0 => i <= hi && i >= -hi,
        Scalar::Int(i) => (lo..=hi).contains(&i),
        Scalar::Float(f) => f >= lo as f64 && f < hi as f64 + 1.0,
    };
    if fits {
        Ok(())
    } else {
        Err(overflow(op, s, dtype))
    }
}

/// The value range of an integer dtype.
pub fn int_range(dtype: DType) -> Option<(i64, i64)> {
    Some(match dtype {
        DType::U8 => (0, u8::MAX as i64),
        DType::I8 => (i8::MIN as i64, i8::MAX as i64),
        DType::I16 => (i16::MIN as i64, i16::MAX as i64),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        DType::I64 => (i64::MIN, i64::MAX),
        _ => return None,
    })
}

fn overflow(op: &str, s: Scalar, dtype: DType) -> Error {
    Error::op(op, format!("value {s} cannot be converted to type {dtype} without overflow"))
}

// ----- ready-made unary maps ----------------------------------------------

/// A float-valued unary map (`exp`, `sin`, ...): float inputs keep their
/// dtype, integer and bool inputs give float32 (the default dtype).
/// float16/bfloat16 run `f32` and round back.
pub fn map_float(
    op: &'static str,
    x: &Tensor,
    f32: impl Fn(f32) -> f32 + Sync,
    f64: impl Fn(f64) -> f64 + Sync,
) -> Result<Tensor> {
    let out = if x.dtype().is_float() { x.dtype() } else { DType::F32 };
    let plan = Plan::with_dtype(op, [&x.into()], out, ScalarMode::Common)?;
    match plan.compute() {
        DType::F32 => plan.map::<f32, _, _>(out, |[a]| f32(a)),
        DType::F64 => plan.map::<f64, _, _>(out, |[a]| f64(a)),
        _ => Err(plan.unsupported()),
    }
}

/// A dtype-preserving unary map (`neg`, `abs`, ...): floats through `f32`
/// or `f64`, every integer dtype through `i64` (wrapping back); bool inputs
/// are PyTorch's "not implemented" error.
pub fn map_same(
    op: &'static str,
    x: &Tensor,
    f32: impl Fn(f32) -> f32 + Sync,
    f64: impl Fn(f64) -> f64 + Sync,
    i64: impl Fn(i64) -> i64 + Sync,
) -> Result<Tensor> {
    let out = x.dtype();
    let plan = Plan::with_dtype(op, [&x.into()], out, ScalarMode::Common)?;
    match plan.compute() {
        DType::F32 => plan.map::<f32, _, _>(out, |[a]| f32(a)),
        DType::F64 => plan.map::<f64, _, _>(out, |[a]| f64(a)),
        DType::I64 => plan.map::<i64, _, _>(out, |[a]| i64(a)),
        _ => Err(plan.unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{broadcast_all, contiguous_strides};
    use proptest::prelude::*;

    /// A tensor of `shape` whose memory is laid out in dim order `perm`
    /// after `offset` unused elements (a transposed/offset view).
    fn view(shape: &[usize], perm: &[usize], offset: usize, salt: usize) -> Tensor {
        let n: usize = shape.iter().product();
        let data: Vec<f64> = (0..n + offset).map(|i| ((i * 7 + salt) % 13) as f64 - 6.0).collect();
        let base = Tensor::from_vec(data, &[n + offset]).unwrap();
        let pshape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        let pstrides = contiguous_strides(&pshape);
        let mut strides = vec![0; shape.len()];
        for (i, &p) in perm.iter().enumerate() {
            strides[p] = pstrides[i];
        }
        base.as_strided(shape, &strides, offset).unwrap()
    }

    /// The naive reference: materialize every operand broadcast, then zip.
    fn naive(ts: &[&Tensor], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        let shapes: Vec<&[usize]> = ts.iter().map(|t| t.shape()).collect();
        let shape = broadcast_all("naive", &shapes).unwrap();
        let cols: Vec<Vec<f64>> = ts.iter().map(|t| t.broadcast_to(&shape).unwrap().to_vec::<f64>()).collect();
        let n: usize = shape.iter().product();
        (0..n).map(|i| f(&cols.iter().map(|c| c[i]).collect::<Vec<_>>())).collect()
    }

    fn operand_shape(out: &[usize], keep: &[bool], drop: usize) -> Vec<usize> {
        out.iter().zip(keep).skip(drop.min(out.len())).map(|(&d, &k)| if k { d } else { 1 }).collect()
    }

    fn permutation(n: usize, seed: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, (seed / (i + 1)) % (i + 1));
        }
        p
    }

    proptest! {
        #[test]
        fn broadcast_strided_map_matches_naive(
            out in proptest::collection::vec(0usize..4, 0..5),
            keep_a in proptest::collection::vec(any::<bool>(), 5),
            keep_b in proptest::collection::vec(any::<bool>(), 5),
            drop_a in 0usize..3,
            seeds in (0usize..1000, 0usize..1000, 0usize..4, 0usize..4),
        ) {
            let (sa, sb) = (operand_shape(&out, &keep_a, drop_a), operand_shape(&out, &keep_b, 0));
            let a = view(&sa, &permutation(sa.len(), seeds.0), seeds.2, 1);
            let b = view(&sb, &permutation(sb.len(), seeds.1), seeds.3, 5);
            let plan = Plan::new("test", [&(&a).into(), &(&b).into()]).unwrap();
            let got = plan.map::<f64, f64, _>(DType::F64, |[x, y]| x * 10.0 + y).unwrap();
            prop_assert_eq!(got.shape(), plan.shape());
            prop_assert_eq!(got.to_vec::<f64>(), naive(&[&a, &b], |v| v[0] * 10.0 + v[1]));
        }

        #[test]
        fn ternary_with_broadcast_third_operand(
            out in proptest::collection::vec(1usize..4, 1..4),
            keep in proptest::collection::vec(any::<bool>(), 4),
            seed in 0usize..1000,
        ) {
            let a = view(&out, &permutation(out.len(), seed), 1, 2);
            let c = view(&operand_shape(&out, &keep, 0), &permutation(out.len(), seed / 7), 0, 3);
            let s = Operand::Scalar(Scalar::Float(0.5));
            let plan = Plan::new("test", [&(&a).into(), &s, &(&c).into()]).unwrap();
            let got = plan.map::<f64, f64, _>(DType::F64, |[x, y, z]| x - y * z).unwrap();
            prop_assert_eq!(got.to_vec::<f64>(), naive(&[&a, &c], |v| v[0] - 0.5 * v[1]));
        }
    }

    #[test]
    fn big_inputs_split_across_chunks_agree() {
        // Above the parallel threshold, non-contiguous, broadcast in the middle.
        let a = view(&[70, 3, 200], &[2, 0, 1], 3, 1);
        let b = view(&[70, 1, 200], &[0, 1, 2], 0, 4);
        let plan = Plan::new("test", [&(&a).into(), &(&b).into()]).unwrap();
        let got = plan.map::<f64, f64, _>(DType::F64, |[x, y]| x * 3.0 - y).unwrap();
        assert_eq!(got.to_vec::<f64>(), naive(&[&a, &b], |v| v[0] * 3.0 - v[1]));
    }

    #[test]
    fn scalars_round_into_the_common_dtype() {
        let x = Tensor::from_vec(vec![-100i8, 5, 127], &[3]).unwrap();
        let plan = Plan::new("test", [&(&x).into(), &Operand::Scalar(Scalar::Int(1000))]).unwrap();
        assert_eq!(plan.common(), DType::I8);
        let got = plan.map::<i64, i64, _>(DType::I8, |[a, b]| a.div_euclid(b)).unwrap();
        // 1000 as i8 == -24
        assert_eq!(got.to_vec::<i64>(), vec![(-100i64).div_euclid(-24), 5i64.div_euclid(-24), 127i64.div_euclid(-24)]);
        let h = Tensor::from_vec(vec![half::f16::ONE], &[1]).unwrap();
        let s = Operand::Scalar(Scalar::Float(1.0 + 1e-5));
        let common = Plan::new("test", [&(&h).into(), &s]).unwrap();
        let opmath = Plan::with_dtype("test", [&(&h).into(), &s], DType::F16, ScalarMode::Opmath).unwrap();
        let ge = |p: &Plan<2>| p.map::<f32, bool, _>(DType::Bool, |[a, b]| a >= b).unwrap().to_vec::<bool>();
        assert_eq!((ge(&common), ge(&opmath)), (vec![true], vec![false]));
    }

    #[test]
    fn result_types_follow_pytorch() {
        let i = Operand::Tensor(Tensor::zeros(&[2], DType::I32).unwrap());
        let h0 = Operand::Tensor(Tensor::zeros(&[], DType::F16).unwrap());
        let f = Operand::Scalar(Scalar::Float(1.0));
        assert_eq!(result_type(&[&i, &f]), DType::F32);
        assert_eq!(result_type(&[&i, &h0]), DType::F16);
        assert_eq!(result_type(&[&i, &Operand::Scalar(Scalar::Int(1))]), DType::I32);
    }

    #[test]
    fn wrong_loop_type_and_bad_shapes_are_errors() {
        let a = Tensor::zeros(&[2, 3], DType::F32).unwrap();
        let b = Tensor::zeros(&[3, 2], DType::F32).unwrap();
        assert!(Plan::new("test", [&(&a).into(), &(&b).into()]).is_err());
        let plan = Plan::new("test", [&(&a).into(), &(&a).into()]).unwrap();
        assert!(plan.map::<f64, f64, _>(DType::F64, |[x, y]| x + y).is_err());
    }

    #[test]
    fn checked_scalar_conversion_rules() {
        let fits = |s: Scalar, d: DType| check_scalar_fits("t", s, d).is_ok();
        assert!(fits(Scalar::Float(127.9), DType::I8) && !fits(Scalar::Float(128.0), DType::I8));
        assert!(fits(Scalar::Float(-128.0), DType::I8) && !fits(Scalar::Float(-128.5), DType::I8));
        assert!(fits(Scalar::Int(-255), DType::U8) && !fits(Scalar::Int(-256), DType::U8));
        assert!(!fits(Scalar::Float(-0.5), DType::U8) && !fits(Scalar::Float(f64::NAN), DType::I64));
        assert!(fits(Scalar::Float(65504.0), DType::F16) && !fits(Scalar::Float(65520.0), DType::F16));
        assert!(fits(Scalar::Float(f64::INFINITY), DType::F32) && !fits(Scalar::Float(1e300), DType::F32));
        assert!(fits(Scalar::Float(f64::NAN), DType::Bool));
    }

    #[test]
    fn unary_maps() {
        let x = Tensor::from_vec(vec![1i32, -2, 3], &[3]).unwrap();
        let y = map_float("exp", &x, f32::exp, f64::exp).unwrap();
        assert_eq!(y.dtype(), DType::F32);
        assert!((y.to_vec::<f64>()[1] - (-2f64).exp()).abs() < 1e-6);
        let z = map_same("neg", &x, |v| -v, |v| -v, |v| -v).unwrap();
        assert_eq!((z.dtype(), z.to_vec::<i64>()), (DType::I32, vec![-1, 2, -3]));
        let b = Tensor::from_vec(vec![true], &[1]).unwrap();
        assert!(map_same("neg", &b, |v| -v, |v| -v, |v| -v).is_err());
    }
}
