//! The unary-map engine shared by the unary and activation ops: one pass
//! over a (possibly strided) input into a fresh contiguous output,
//! monomorphized per compute type and split across cores when large.
//!
//! Compute types follow PyTorch: float64 in f64; float32, float16 and
//! bfloat16 in f32 (half types round back at the end); integer types in
//! i64 (cast back to their own width); float ops on integer or bool
//! inputs produce float32. Element functions come as a [`Pair`] of an f32
//! and an f64 closure, usually written once with the [`real!`] macro.

use super::special;
use crate::{bail, DType, Element, Result, Tensor};
use tsc_kernels::parallel::map_chunks_mut;
use tsc_kernels::unary::{unary_f32, Unary};

/// Per-element cost hints for the parallel split: a few flops vs. a libm call.
pub(crate) const CHEAP: usize = 1;
pub(crate) const TRANSCENDENTAL: usize = 8;
/// Special functions with loops (erfc continued fraction, lgamma, digamma).
pub(crate) const SPECIAL: usize = 32;

/// An element function in f32 (`.0`) and in f64 (`.1`).
pub(crate) struct Pair<A, B>(pub A, pub B);

/// Writes one element function for both float compute types:
/// `real!(|v| v.exp() - R::c(1.0))` (or `real!(|a, b| ..)` for two
/// operands) — inside the body `R` is `f32` in the first closure and `f64`
/// in the second, and [`Real`] is in scope.
macro_rules! real {
    (|$($x:ident),+| $body:expr) => {
        $crate::ops::unary::Pair(
            move |$($x: f32),+| {
                #[allow(dead_code)]
                type R = f32;
                #[allow(unused_imports)]
                use $crate::ops::unary::Real as _;
                $body
            },
            move |$($x: f64),+| {
                #[allow(dead_code)]
                type R = f64;
                #[allow(unused_imports)]
                use $crate::ops::unary::Real as _;
                $body
            },
        )
    };
}
pub(crate) use real;

/// What f32 and f64 offer beyond their inherent methods (`sp_*`: special
/// functions, named apart from std's future `erf`/`ln_gamma`).
pub trait Real: Copy {
    /// A constant (or a scalar argument) in this type.
    fn c(v: f64) -> Self;
    fn sp_erf(self) -> Self;
    fn sp_erfc(self) -> Self;
    fn sp_erfinv(self) -> Self;
    fn sp_lgamma(self) -> Self;
    fn sp_digamma(self) -> Self;
    /// `min(max(self, lo), hi)` that keeps NaN (PyTorch's `clamp`).
    fn clamp_nan(self, lo: Self, hi: Self) -> Self;
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Real for $t {
            #[inline]
            fn c(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn sp_erf(self) -> Self {
                special::erf(self as f64) as $t
            }
            #[inline]
            fn sp_erfc(self) -> Self {
                special::erfc(self as f64) as $t
            }
            #[inline]
            fn sp_erfinv(self) -> Self {
                special::erfinv(self as f64) as $t
            }
            #[inline]
            fn sp_lgamma(self) -> Self {
                special::lgamma(self as f64) as $t
            }
            #[inline]
            fn sp_digamma(self) -> Self {
                special::digamma(self as f64) as $t
            }
            #[inline]
            fn clamp_nan(self, lo: Self, hi: Self) -> Self {
                if self < lo {
                    lo
                } else if self > hi {
                    hi
                } else {
                    self
                }
            }
        }
    };
}
impl_real!(f32);
impl_real!(f64);

/// Expands `$body` with `$T` bound to the element type of an integer dtype.
macro_rules! dispatch_int {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::U8 => { type $T = u8; $body }
            DType::I8 => { type $T = i8; $body }
            DType::I16 => { type $T = i16; $body }
            DType::I32 => { type $T = i32; $body }
            DType::I64 => { type $T = i64; $body }
            other => bail!($op, "internal: {other} is not an integer dtype"),
        }
    };
}

/// `f` over every element of `x` (read as `T`), into a new contiguous
/// tensor of `U` with `x`'s shape.
pub(crate) fn map<T: Element, U: Element>(x: &Tensor, cost: usize, f: impl Fn(T) -> U + Sync) -> Result<Tensor> {
    let n = x.numel();
    let mut out = vec![U::from_i64(0); n];
    if n > 0 {
        x.with_slice::<T, _>(|src| {
            map_chunks_mut(&mut out, cost, |start, chunk| {
                let end = start + chunk.len();
                for (o, &v) in chunk.iter_mut().zip(&src[start..end]) {
                    *o = f(v);
                }
            })
        });
    }
    Tensor::from_vec(out, x.shape())
}

/// The f32 computation, through the vectorized kernel when it has one.
fn map_f32(x: &Tensor, kernel: Option<Unary>, cost: usize, f: impl Fn(f32) -> f32 + Sync) -> Result<Tensor> {
    let Some(k) = kernel else {
        return map::<f32, f32>(x, cost, f);
    };
    let n = x.numel();
    // SAFETY: the chunks cover `out` and the kernel writes each in full.
    let mut out = unsafe { crate::alloc::uninit_vec::<f32>(n) };
    if n > 0 {
        x.with_slice::<f32, _>(|src| {
            map_chunks_mut(&mut out, cost, |start, chunk| {
                let end = start + chunk.len();
                unary_f32(k, &src[start..end], chunk)
            })
        });
    }
    Tensor::from_vec(out, x.shape())
}

/// A float op: float dtypes keep their dtype, integer and bool inputs give
/// float32. `kernel` is the `tsc_kernels` f32 fast path computing the same
/// function as `f.0`, if there is one.
pub(crate) fn float_map<A, B>(x: &Tensor, kernel: Option<Unary>, cost: usize, f: Pair<A, B>) -> Result<Tensor>
where
    A: Fn(f32) -> f32 + Sync,
    B: Fn(f64) -> f64 + Sync,
{
    match x.dtype() {
        DType::F64 => map::<f64, f64>(x, cost, f.1),
        d @ (DType::F16 | DType::BF16) => Ok(map_f32(x, kernel, cost, f.0)?.to_dtype(d)),
        _ => map_f32(x, kernel, cost, f.0),
    }
}

/// An op defined only on floating tensors (PyTorch: "not implemented for
/// 'Long'"): like [`float_map`] after checking the dtype.
pub(crate) fn float_only<A, B>(op: &str, x: &Tensor, kernel: Option<Unary>, cost: usize, f: Pair<A, B>) -> Result<Tensor>
where
    A: Fn(f32) -> f32 + Sync,
    B: Fn(f64) -> f64 + Sync,
{
    require_float(op, x)?;
    float_map(x, kernel, cost, f)
}

/// Errors unless `x` has a floating dtype.
pub(crate) fn require_float(op: &str, x: &Tensor) -> Result<()> {
    if !x.dtype().is_float() {
        bail!(op, "not implemented for {} tensors (the input needs a floating dtype)", x.dtype());
    }
    Ok(())
}

/// Errors when `x` is a bool tensor.
pub(crate) fn reject_bool(op: &str, x: &Tensor) -> Result<()> {
    if x.dtype() == DType::Bool {
        bail!(op, "not implemented for bool tensors");
    }
    Ok(())
}

/// `g` over an integer tensor, computed in i64 and wrapped back to its dtype.
pub(crate) fn int_map(op: &str, x: &Tensor, cost: usize, g: impl Fn(i64) -> i64 + Sync) -> Result<Tensor> {
    dispatch_int!(x.dtype(), op, T => map::<i64, T>(x, cost, |v| T::from_i64(g(v))))
}

/// An op that keeps the dtype: `f` on floats, `g` on integers; bool inputs
/// are an error.
pub(crate) fn keep_map<A, B>(op: &str, x: &Tensor, cost: usize, f: Pair<A, B>, g: impl Fn(i64) -> i64 + Sync) -> Result<Tensor>
where
    A: Fn(f32) -> f32 + Sync,
    B: Fn(f64) -> f64 + Sync,
{
    reject_bool(op, x)?;
    if x.dtype().is_float() {
        float_map(x, None, cost, f)
    } else {
        int_map(op, x, cost, g)
    }
}

/// A predicate giving a bool tensor: `f` on floats (half types read as
/// f32), `g` on integers and bools (read as i64).
pub(crate) fn pred_map<A, B>(x: &Tensor, f: Pair<A, B>, g: impl Fn(i64) -> bool + Sync) -> Result<Tensor>
where
    A: Fn(f32) -> bool + Sync,
    B: Fn(f64) -> bool + Sync,
{
    match x.dtype() {
        DType::F64 => map::<f64, bool>(x, CHEAP, f.1),
        DType::F32 | DType::F16 | DType::BF16 => map::<f32, bool>(x, CHEAP, f.0),
        _ => map::<i64, bool>(x, CHEAP, g),
    }
}

/// An elementwise function of two equally shaped tensors of one float
/// dtype (views of the same storage are fine), computed like [`float_map`].
pub(crate) fn float_zip<A, B>(a: &Tensor, b: &Tensor, cost: usize, f: Pair<A, B>) -> Result<Tensor>
where
    A: Fn(f32, f32) -> f32 + Sync,
    B: Fn(f64, f64) -> f64 + Sync,
{
    fn go<T: Element>(a: &Tensor, b: &Tensor, cost: usize, f: impl Fn(T, T) -> T + Sync) -> Result<Tensor> {
        // `b` is copied before `a`'s storage is borrowed: they may share it.
        let bv = b.to_vec::<T>();
        let mut out = vec![T::from_i64(0); bv.len()];
        if !out.is_empty() {
            a.with_slice::<T, _>(|av| {
                map_chunks_mut(&mut out, cost, |start, chunk| {
                    for (i, o) in chunk.iter_mut().enumerate() {
                        *o = f(av[start + i], bv[start + i]);
                    }
                })
            });
        }
        Tensor::from_vec(out, a.shape())
    }
    match a.dtype() {
        DType::F64 => go::<f64>(a, b, cost, f.1),
        d => Ok(go::<f32>(a, b, cost, f.0)?.to_dtype(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_input_maps_in_row_major_order() {
        let t = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
        let tt = t.as_strided(&[3, 2], &[1, 3], 0).unwrap(); // t.t()
        let r = float_map(&tt, None, CHEAP, real!(|v| v * R::c(2.0))).unwrap();
        assert_eq!(r.shape(), &[3, 2]);
        assert_eq!(r.to_vec::<f32>(), vec![0., 6., 2., 8., 4., 10.]);
    }

    #[test]
    fn dtypes_follow_the_compute_rules() {
        let i = Tensor::from_vec(vec![1i32, -2], &[2]).unwrap();
        let r = float_map(&i, Some(Unary::Exp), TRANSCENDENTAL, real!(|v| v.exp())).unwrap();
        assert_eq!(r.dtype(), DType::F32);
        let n = int_map("neg", &i, CHEAP, |v| -v).unwrap();
        assert_eq!((n.dtype(), n.to_vec::<i64>()), (DType::I32, vec![-1, 2]));
        let h = Tensor::from_vec(vec![half::f16::from_f32(1.5)], &[]).unwrap();
        let r = float_map(&h, None, CHEAP, real!(|v| -v)).unwrap();
        assert_eq!((r.dtype(), r.to_vec::<f64>()), (DType::F16, vec![-1.5]));
        assert!(keep_map("abs", &Tensor::from_vec(vec![true], &[1]).unwrap(), CHEAP, real!(|v| v.abs()), |v| v.abs()).is_err());
    }

    #[test]
    fn large_inputs_split_across_chunks_correctly() {
        let n = 100_000;
        let t = Tensor::from_vec((0..n).map(|v| v as f64).collect(), &[n]).unwrap();
        let r = float_map(&t, None, TRANSCENDENTAL, real!(|v| v + R::c(1.0))).unwrap();
        let v = r.to_vec::<f64>();
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64 + 1.0));
    }

    proptest::proptest! {
        /// Mapping a permuted (non-contiguous) view equals mapping its contiguous copy.
        #[test]
        fn strided_views_map_like_their_copies(dims in proptest::collection::vec(0usize..5, 0..4), rot in 0usize..4) {
            let n: usize = dims.iter().product();
            let base = Tensor::from_vec((0..n).map(|v| v as f32 * 0.37 - 1.0).collect::<Vec<f32>>(), &dims).unwrap();
            let k = if dims.is_empty() { 0 } else { rot % dims.len() };
            let mut shape = base.shape().to_vec();
            let mut strides = base.strides().to_vec();
            shape.rotate_left(k);
            strides.rotate_left(k);
            let view = base.as_strided(&shape, &strides, 0).unwrap();
            let f = || real!(|v| v.tanh() * R::c(3.0));
            let a = float_map(&view, None, CHEAP, f()).unwrap();
            let b = float_map(&view.contiguous(), None, CHEAP, f()).unwrap();
            proptest::prop_assert_eq!(a.shape(), b.shape());
            proptest::prop_assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
            let k = float_map(&view, Some(Unary::Tanh), CHEAP, f()).unwrap();
            // The kernel may be a vectorized approximation: within f32 tolerance.
            let want = view.contiguous().to_vec::<f32>();
            for (g, w) in k.to_vec::<f32>().iter().zip(&want) {
                proptest::prop_assert!((g - w.tanh()).abs() <= 1e-6 + 1e-5 * w.tanh().abs());
            }
        }
    }

    #[test]
    fn empty_with_odd_offset_does_not_touch_storage() {
        let t = Tensor::zeros(&[2], DType::F32).unwrap();
        let e = t.as_strided(&[0, 3], &[3, 1], 7).unwrap();
        let r = float_map(&e, Some(Unary::Exp), CHEAP, real!(|v| v.exp())).unwrap();
        assert_eq!(r.shape(), &[0, 3]);
    }
}
