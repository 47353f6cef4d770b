//! Normal sampling exactly as PyTorch's CPU kernels do it
//! (`aten/src/ATen/native/cpu/DistributionTemplates.h`, x86-64 build):
//!
//! - contiguous tensors of ≥ 16 elements: fill with uniforms first, then
//!   Box–Muller in blocks of 16 (`u1 = 1 - data[j]`, `u2 = data[j + 8]`;
//!   cosine half into `j`, sine half into `j + 8`); a ragged tail redraws
//!   the last 16 values and transforms them again.
//!   * float32 (and float16/bfloat16, which PyTorch samples as float32 and
//!     rounds) uses `normal_fill_16_AVX2`: Cephes-style `log256_ps` and
//!     `sincos256_ps` from `avx_mathfun.h`, emulated here lane by lane with
//!     the same float32 operations — including the multiply-adds that GCC
//!     contracts into FMAs in PyTorch's AVX2 build — so results are
//!     bit-identical.
//!   * float64 uses the scalar `normal_fill_16<double>` with libm `log`,
//!     `cos`, `sin` (Rust's `f64::ln/cos/sin` call the same glibc functions).
//! - anything else: `normal_distribution<double>` (Box–Muller with `log1p`,
//!   the second value cached in the generator), cast to the element type.

use super::Generator;
use crate::{Buffer, DType, Element};
use half::{bf16, f16};

/// `2π` as `normal_fill` spells it: `2.0f * c10::pi<double>`.
const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

/// Samples `n` values of N(mean, std) for a tensor whose memory is filled in
/// order; `fill_path` says whether PyTorch would take its vectorized
/// `normal_fill` path (contiguous and at least 16 elements).
pub(super) fn normal_buffer(g: &mut Generator, dtype: DType, n: usize, mean: f64, std: f64, fill_path: bool) -> Buffer {
    if fill_path && n >= 16 {
        match dtype {
            DType::F64 => return Buffer::F64(fill_f64(g, n, mean, std).into()),
            DType::F32 => return Buffer::F32(fill_f32(g, n, mean as f32, std as f32).into()),
            DType::F16 => return round_buffer::<f16>(fill_f32_blockwise(g, n, mean as f32, std as f32)),
            DType::BF16 => return round_buffer::<bf16>(fill_f32_blockwise(g, n, mean as f32, std as f32)),
            _ => {}
        }
    }
    crate::dispatch_dtype!(dtype, T => serial::<T>(g, n, mean, std))
}

fn round_buffer<T: Element>(v: Vec<f32>) -> Buffer {
    T::into_buffer(v.into_iter().map(|x| T::from_f64(x as f64)).collect())
}

/// `normal_distribution<double>` per element, cast like `static_cast<T>(double)`.
fn serial<T: Element>(g: &mut Generator, n: usize, mean: f64, std: f64) -> Buffer {
    T::into_buffer((0..n).map(|_| super::f64_to::<T>(g.normal_f64().mul_add(std, mean))).collect())
}

/// Runs `block` over every complete block of 16, then redraws and redoes
/// the last 16 when `n` is not a multiple of 16 (PyTorch's tail handling).
fn fill_blocks<T: Copy + Send>(
    g: &mut Generator,
    n: usize,
    draw: impl Fn(&mut Generator) -> T,
    block: impl Fn(&mut [T; 16]) + Sync,
) -> Vec<T> {
    let mut data: Vec<T> = (0..n).map(|_| draw(g)).collect();
    {
        let (blocks, _) = data.as_chunks_mut::<16>();
        tsc_kernels::parallel::map_chunks_mut(blocks, 16 * 40, |_, bs| bs.iter_mut().for_each(&block));
    }
    if n % 16 != 0 {
        let mut tail = [data[0]; 16];
        for v in tail.iter_mut() {
            *v = draw(g);
        }
        block(&mut tail);
        data[n - 16..].copy_from_slice(&tail);
    }
    data
}

fn fill_f64(g: &mut Generator, n: usize, mean: f64, std: f64) -> Vec<f64> {
    fill_blocks(g, n, Generator::uniform_f64, |d| {
        for j in 0..8 {
            let u1 = 1.0 - d[j];
            let u2 = d[j + 8];
            let radius = (-2.0 * u1.ln()).sqrt();
            let theta = TWO_PI * u2;
            d[j] = (radius * theta.cos()).mul_add(std, mean);
            d[j + 8] = (radius * theta.sin()).mul_add(std, mean);
        }
    })
}

fn fill_f32(g: &mut Generator, n: usize, mean: f32, std: f32) -> Vec<f32> {
    let block = avx_block_fn();
    fill_blocks(g, n, Generator::uniform_f32, |d| block(d, mean, std))
}

/// The block transform, built with FMA instructions when the CPU has them
/// (the results are identical; `mul_add` without them is a libm call).
fn avx_block_fn() -> fn(&mut [f32; 16], f32, f32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        return box_muller_avx_fma;
    }
    box_muller_avx
}

#[cfg(target_arch = "x86_64")]
fn box_muller_avx_fma(d: &mut [f32; 16], mean: f32, std: f32) {
    #[target_feature(enable = "fma")]
    fn go(d: &mut [f32; 16], mean: f32, std: f32) {
        box_muller_avx(d, mean, std)
    }
    // SAFETY: `avx_block_fn` hands this out only after detecting FMA support.
    unsafe { go(d, mean, std) }
}

/// float16/bfloat16 (`n >= 16`): PyTorch samples in float32 a block of 16
/// at a time, so a ragged tail draws just one more block, written over the
/// last 16 positions.
fn fill_f32_blockwise(g: &mut Generator, n: usize, mean: f32, std: f32) -> Vec<f32> {
    let whole = n / 16 * 16;
    let mut data = fill_f32(g, whole, mean, std);
    if whole != n {
        data.truncate(n - 16);
        data.extend_from_slice(&fill_f32(g, 16, mean, std));
    }
    data
}

/// `normal_fill_16_AVX2` on one block.
#[inline(always)]
fn box_muller_avx(d: &mut [f32; 16], mean: f32, std: f32) {
    let two_pi = TWO_PI as f32;
    for j in 0..8 {
        let u1 = 1.0 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0f32 * log_ps(u1)).sqrt();
        let (s, c) = sincos_ps(two_pi * u2);
        d[j] = (radius * c).mul_add(std, mean);
        d[j + 8] = (radius * s).mul_add(std, mean);
    }
}

/// One lane of `log256_ps` (Cephes `logf`), with GCC's FMA contractions.
#[inline(always)]
pub(super) fn log_ps(x: f32) -> f32 {
    const P: [f32; 9] = [
        7.0376836292E-2,
        -1.1514610310E-1,
        1.1676998740E-1,
        -1.2420140846E-1,
        1.4249322787E-1,
        -1.6668057665E-1,
        2.0000714765E-1,
        -2.4999993993E-1,
        3.3333331174E-1,
    ];
    let invalid = x <= 0.0;
    let x = x.max(f32::from_bits(0x0080_0000)); // cut off denormals
    let exponent = (x.to_bits() >> 23) as i32 - 0x7f;
    let mut x = f32::from_bits((x.to_bits() & !0x7f80_0000) | 0.5f32.to_bits());
    let mut e = exponent as f32 + 1.0;
    let small = x < std::f32::consts::FRAC_1_SQRT_2;
    let tmp = if small { x } else { 0.0 };
    x -= 1.0;
    if small {
        e -= 1.0;
    }
    x += tmp;
    let z = x * x;
    let mut y = P[0];
    for &c in &P[1..] {
        y = y.mul_add(x, c);
    }
    y *= x;
    y = y.mul_add(z, e * -2.12194440e-4);
    y = (-z).mul_add(0.5, y);
    x = e.mul_add(0.693359375, x + y);
    if invalid {
        f32::NAN
    } else {
        x
    }
}

/// One lane of `sincos256_ps` (Cephes `sinf`/`cosf`): returns `(sin, cos)`.
#[inline(always)]
pub(super) fn sincos_ps(x: f32) -> (f32, f32) {
    let sign_in = x.to_bits() & 0x8000_0000;
    let mut x = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    // `_mm256_cvttps_epi32`: truncation, out of range → i32::MIN.
    let scaled = x * 1.27323954473516f32;
    let mut j = if scaled < 2147483648.0 { scaled as i32 } else { i32::MIN };
    j = j.wrapping_add(1) & !1;
    let y = j as f32;
    let sign_sin = sign_in ^ (((j & 4) as u32) << 29);
    let sign_cos = ((!j.wrapping_sub(2) & 4) as u32) << 29;
    let use_sin_poly = (j & 2) == 0;
    x = y.mul_add(-0.78515625, x);
    x = y.mul_add(-2.4187564849853515625e-4, x);
    x = y.mul_add(-3.77489497744594108e-8, x);
    let z = x * x;
    let mut c = 2.443315711809948E-005f32;
    c = c.mul_add(z, -1.388731625493765E-003);
    c = c.mul_add(z, 4.166664568298827E-002);
    c *= z;
    c = c.mul_add(z, -(z * 0.5));
    c += 1.0;
    let mut s = -1.9515295891E-4f32;
    s = s.mul_add(z, 8.3321608736E-3);
    s = s.mul_add(z, -1.6666654611E-1);
    s *= z;
    s = s.mul_add(x, x);
    // Select with masks and add, as the vector code does (keeps signed zeros identical).
    let (sin_part, cos_part) = if use_sin_poly { (s, 0.0) } else { (0.0, c) };
    let sin = cos_part + sin_part;
    let cos = (c - cos_part) + (s - sin_part);
    (f32::from_bits(sin.to_bits() ^ sign_sin), f32::from_bits(cos.to_bits() ^ sign_cos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx_math_is_accurate() {
        for i in 1..2000 {
            let x = i as f32 / 1000.0;
            assert!((log_ps(x) - x.ln()).abs() <= 2e-7 * x.ln().abs().max(1.0), "log {x}");
            let (s, c) = sincos_ps(x * 3.0);
            assert!((s - (x * 3.0).sin()).abs() < 1e-6 && (c - (x * 3.0).cos()).abs() < 1e-6, "sincos {x}");
        }
        assert!(log_ps(0.0).is_nan() && log_ps(-1.0).is_nan());
    }
}
