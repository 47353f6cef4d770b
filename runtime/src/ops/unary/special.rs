//! Special functions in f64 that Rust's std lacks: `erfc` (accurate far
//! into the tail), `erfinv`, `lgamma` and `digamma`, with PyTorch's values
//! at poles, infinities and NaN. The f32 ops compute them in f64 and round.

use std::f64::consts::{FRAC_2_SQRT_PI, PI};
use tsc_kernels::unary::erf_f64;

/// `erf(x)`.
pub fn erf(x: f64) -> f64 {
    erf_f64(x)
}

/// `erfc(x) = 1 - erf(x)`, relatively accurate for large positive `x`
/// (continued fraction for the tail, where `1 - erf` would cancel).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 2.0 {
        return 1.0 - erf_f64(x);
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
    // evaluated with the modified Lentz method.
    let tiny = 1e-300;
    let (mut f, mut c, mut d) = (x, x, 0.0f64);
    for i in 1..500 {
        let a = i as f64 * 0.5;
        d = x + a * d;
        d = if d == 0.0 { 1.0 / tiny } else { 1.0 / d };
        c = x + a / c;
        if c == 0.0 {
            c = tiny;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * PI.sqrt())
}

/// `erfinv(y)`: PyTorch's rational first guess (central range |y| ≤ 0.7 and
/// a tail form) refined by two Newton steps; ±1 → ±inf, |y| > 1 → NaN.
pub fn erfinv(y: f64) -> f64 {
    const A: [f64; 4] = [0.886226899, -1.645349621, 0.914624893, -0.140543331];
    const B: [f64; 4] = [-2.118377725, 1.442710462, -0.329097515, 0.012229801];
    const C: [f64; 4] = [-1.970840454, -1.624906493, 3.429567803, 1.641345311];
    const D: [f64; 2] = [3.543889200, 1.637067800];
    let ya = y.abs();
    if ya.is_nan() || ya > 1.0 {
        return f64::NAN;
    }
    if ya == 1.0 {
        return f64::INFINITY.copysign(y);
    }
    let mut x = if ya <= 0.7 {
        let z = y * y;
        let num = ((A[3] * z + A[2]) * z + A[1]) * z + A[0];
        let den = (((B[3] * z + B[2]) * z + B[1]) * z + B[0]) * z + 1.0;
        y * num / den
    } else {
        let z = (-((1.0 - ya) / 2.0).ln()).sqrt();
        let num = ((C[3] * z + C[2]) * z + C[1]) * z + C[0];
        let den = (D[1] * z + D[0]) * z + 1.0;
        num.copysign(y) / den
    };
    for _ in 0..2 {
        x -= (erf_f64(x) - y) / (FRAC_2_SQRT_PI * (-x * x).exp());
    }
    x
}

/// `sin(π·x)` with the argument reduced first, so large `x` stays accurate.
fn sin_pi(x: f64) -> f64 {
    let r = x - 2.0 * (x / 2.0).round();
    (PI * r).sin()
}

/// `ln|Γ(x)|` (Lanczos, g = 7, 9 terms; reflection below 0.5).
/// Poles (0 and the negative integers) and ±inf give +inf.
pub fn lgamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    // The published g = 7 coefficients, kept digit for digit.
    #[allow(clippy::excessive_precision)]
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_93,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_13,
        -176.615_029_162_140_59,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_571_6e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::INFINITY;
    }
    if x < 0.5 {
        return (PI / sin_pi(x).abs()).ln() - lgamma(1.0 - x);
    }
    let z = x - 1.0;
    let mut a = COEF[0];
    for (i, &c) in COEF.iter().enumerate().skip(1) {
        a += c / (z + i as f64);
    }
    let t = z + G + 0.5;
    0.5 * (2.0 * PI).ln() + (z + 0.5) * t.ln() - t + a.ln()
}

/// `ψ(x) = d/dx ln Γ(x)`, as PyTorch computes it: ±0 → ∓inf, negative
/// integers → NaN, reflection for x < 0, recurrence up to x ≥ 10, then the
/// asymptotic series.
pub fn digamma(x: f64) -> f64 {
    const PSI_10: f64 = 2.251_752_589_066_721;
    // Bernoulli terms B_2k / 2k, highest power of 1/x² first.
    const A: [f64; 7] = [
        1.0 / 12.0,
        -691.0 / 32760.0,
        1.0 / 132.0,
        -1.0 / 240.0,
        1.0 / 252.0,
        -1.0 / 120.0,
        1.0 / 12.0,
    ];
    if x == 0.0 {
        return f64::INFINITY.copysign(-x);
    }
    if x < 0.0 {
        if x == x.trunc() {
            return f64::NAN;
        }
        let r = x.fract();
        return digamma(1.0 - x) - PI / (PI * r).tan();
    }
    let mut x = x;
    let mut result = 0.0;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    if x == 10.0 {
        return result + PSI_10;
    }
    let y = if x < 1e17 {
        let z = 1.0 / (x * x);
        z * A.iter().fold(0.0, |acc, &c| acc * z + c)
    } else {
        0.0
    };
    result + x.ln() - 0.5 / x - y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn erfc_tail_is_relatively_accurate() {
        // erfc(5) = 1.5374597944280348e-12, erfc(10) = 2.088487583762545e-45
        assert!(close(erfc(5.0), 1.537_459_794_428_034_8e-12, 1e-13));
        assert!(close(erfc(10.0), 2.088_487_583_762_545e-45, 1e-13));
        assert!(close(erfc(-1.0), 1.842_700_792_949_715, 1e-15));
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
        assert_eq!(erfc(f64::INFINITY), 0.0);
    }

    #[test]
    fn erfinv_inverts_erf() {
        for &y in &[-0.999, -0.7, -0.3, 0.0, 0.1, 0.5, 0.69, 0.71, 0.9, 0.999_999] {
            assert!(close(erf(erfinv(y)), y, 1e-14) || y == 0.0, "y = {y}");
        }
        assert!(erfinv(1.5).is_nan());
        assert_eq!(erfinv(-1.0), f64::NEG_INFINITY);
    }

    #[test]
    fn lgamma_and_digamma_known_values() {
        assert!(close(lgamma(0.5), 0.572_364_942_924_700_1, 1e-14));
        assert!(close(lgamma(10.0), 12.801_827_480_081_469, 1e-14));
        assert!(close(lgamma(-2.5), -0.056_243_716_497_674_05, 1e-12));
        assert_eq!(lgamma(-3.0), f64::INFINITY);
        // ψ(1) = -γ, ψ(0.5) = -γ - 2 ln 2
        assert!(close(digamma(1.0), -0.577_215_664_901_532_9, 1e-14));
        assert!(close(digamma(0.5), -1.963_510_026_021_423_5, 1e-14));
        assert!(close(digamma(-2.5), 1.103_156_640_645_243_5, 1e-13));
        assert_eq!(digamma(-0.0), f64::INFINITY);
        assert!(digamma(-2.0).is_nan());
    }
}
