//! The accuracy sweeps behind the bounds in `spec/kernels.md`: every unary
//! op over a sweep of f32 bit patterns (every 997th: both signs, all
//! exponents, denormals, ±0, ±inf, NaN) plus dense sweeps of the ranges
//! where the approximations switch or saturate, against the float64
//! reference, in the Cranelift code; the staged kernels must give the same
//! bits over the same sweep. `cargo test --release -p tsc-kernels unary_accuracy --
//! --nocapture` prints the measured maxima.

use super::{close, run, Input};
use crate::jit::cpu::CpuKernel;
use crate::jit::ir::{Inst, Kernel, UnaryOp};
use crate::jit::reference;

/// The asserted bound of each op: |got - want| <= max(rel·|want|, abs).
pub(super) fn bound(op: UnaryOp) -> (f64, f64) {
    use UnaryOp::*;
    match op {
        Neg | Abs | Relu | Floor | Ceil | Trunc => (0.0, 0.0),
        // Correctly rounded (sqrt) or two roundings (1/sqrt); denormal
        // results of 1/x are within one denormal ulp.
        Sqrt | Rsqrt | Reciprocal => (1.2e-7, 1.5e-45),
        // Normal results: relative; denormal exp results: 2 denormal ulps.
        Exp | Log => (3e-7, 3e-45),
        Tanh | Sigmoid | Erf | Gelu | GeluTanh | Silu => (1e-6, 1e-7),
    }
}

fn inputs() -> Vec<f32> {
    let mut xs: Vec<f32> = (0..=u32::MAX).step_by(997).map(f32::from_bits).collect();
    xs.extend([
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        1e-45,
        -1e-45,
    ]);
    let dense = |xs: &mut Vec<f32>, lo: f32, hi: f32, n: usize| {
        xs.extend((0..=n).map(|i| lo + (hi - lo) * (i as f32 / n as f32)));
    };
    dense(&mut xs, -10.0, 10.0, 2_000_000);
    dense(&mut xs, -110.0, 95.0, 1_000_000);
    dense(&mut xs, -1.0, 1.0, 1_000_000);
    // Every 3rd f32 in [0.5, 2) (log near 1) and around the branch points.
    xs.extend((0x3f00_0000u32..0x4000_0000).step_by(3).map(f32::from_bits));
    for c in [
        0.625f32, 0.921_875, 1.303_73, 6.0, 8.485_28, 88.72, 87.3, -87.3, -103.97, -80.0, -126.0,
    ] {
        let b = c.to_bits();
        xs.extend((b - 5000..b + 5000).map(f32::from_bits));
    }
    xs
}

/// Measured maxima over `xs` of op in the Cranelift code: (max relative
/// error where |want| >= abs/rel, max absolute error below that,
/// failures). Asserts on the way that the staged kernel (`stage.rs`: the
/// op in sixteen-lane native code) gives the same bits.
fn measure(op: UnaryOp, xs: &[f32]) -> (f64, f64, Vec<(f32, f32, f64)>) {
    let kernel = Kernel {
        num_params: 1,
        insts: vec![Inst::Param(0), Inst::Unary(op, 0)],
        outputs: vec![1],
    };
    let k = CpuKernel::unstaged(kernel.clone()).expect("valid kernel");
    let input = [Input::dense(xs.to_vec(), &[xs.len()])];
    let got = run(&k, &[xs.len()], &input).expect("run").remove(0);
    let staged = run(
        &CpuKernel::new(kernel).expect("valid kernel"),
        &[xs.len()],
        &input,
    )
    .expect("run")
    .remove(0);
    for ((&x, &g), &s) in xs.iter().zip(&got).zip(&staged) {
        assert!(
            g.to_bits() == s.to_bits() || (g.is_nan() && s.is_nan()),
            "{}({x:e}): Cranelift {g:e}, staged {s:e}",
            op.name()
        );
    }
    let (rel, abs) = bound(op);
    let t = if rel > 0.0 { abs / rel } else { 0.0 };
    let (mut max_rel, mut max_abs, mut bad) = (0.0f64, 0.0f64, vec![]);
    for (&x, &g) in xs.iter().zip(&got) {
        let w = reference::unary(op, x as f64);
        if !close(g, w, rel, abs) {
            bad.push((x, g, w));
        }
        if w.is_finite() && g.is_finite() {
            let e = (g as f64 - w).abs();
            if w.abs() >= t.max(f32::MIN_POSITIVE as f64) {
                max_rel = max_rel.max(e / w.abs());
            } else {
                max_abs = max_abs.max(e);
            }
        }
    }
    (max_rel, max_abs, bad)
}

#[test]
fn unary_accuracy() {
    let xs = inputs();
    let mut failed = vec![];
    for op in UnaryOp::ALL {
        let (max_rel, max_abs, bad) = measure(op, &xs);
        let (rel, abs) = bound(op);
        println!(
            "{:<11} max rel {max_rel:.3e} (bound {rel:.1e})  max abs (|want| < {:.1e}): {max_abs:.3e} (bound {abs:.1e})  failures {}",
            op.name(),
            (abs / rel.max(1e-300)).max(f32::MIN_POSITIVE as f64),
            bad.len()
        );
        for (x, g, w) in bad.iter().take(5) {
            println!("    {}({x:e}) = {g:e}, want {w:e}", op.name());
        }
        if !bad.is_empty() {
            failed.push(op.name());
        }
    }
    assert!(failed.is_empty(), "out of bounds: {failed:?}");
}

/// `exp` takes a branch only for vectors with a lane whose result is a
/// nonzero denormal; every lane, whichever way its vector went, gets the
/// bits of the one formula (`unary::approx::exp`, which the JIT ports):
/// runs of four (a vector) and odd lengths (the scalar tail) mixing -inf,
/// huge negatives, the denormal range, normal values, NaN and overflow.
#[test]
fn exp_bits_do_not_depend_on_the_branch() {
    let pool = [
        f32::NEG_INFINITY,
        -1e30,
        -104.5,
        -103.9,
        -95.0,
        -87.31,
        -87.3,
        -50.0,
        -1.0,
        0.0,
        3.5,
        88.7,
        89.5,
        f32::NAN,
    ];
    let mut xs = vec![];
    let mut s = 0x2545_f491u32;
    for _ in 0..4099 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        xs.push(pool[s as usize % pool.len()]);
    }
    let k = CpuKernel::unstaged(Kernel {
        num_params: 1,
        insts: vec![Inst::Param(0), Inst::Unary(UnaryOp::Exp, 0)],
        outputs: vec![1],
    })
    .expect("valid kernel");
    for len in [4096, 4099, 7, 1] {
        let got = run(&k, &[len], &[Input::dense(xs[..len].to_vec(), &[len])])
            .expect("run")
            .remove(0);
        for (&x, &g) in xs.iter().zip(&got) {
            let want = crate::unary::approx::exp(x);
            assert!(
                g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                "exp({x:e}) = {g:e}, formula {want:e}"
            );
        }
    }
}
