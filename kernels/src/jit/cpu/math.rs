//! The float math the row functions need, emitted as CLIF: [`Emit`] wraps a
//! `FunctionBuilder`, a lane type (`f32` for the scalar tail, `f32x4` for
//! the vector loops) and a number of interleaved copies ([`V`]: one value
//! per unrolled vector) so every function below is written once for all, and
//! the polynomial approximations (exp, log, tanh, sigmoid, silu, erf, gelu,
//! gelu_tanh) are ports of `crate::unary::approx` (same coefficients and
//! range reductions; the accuracy measured for this port is in
//! `spec/kernels.md`).

// Coefficients are written as the fitter printed them.
#![allow(clippy::excessive_precision)]

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::types::{F32, F32X4, I32, I32X4};
use cranelift_codegen::ir::{BlockArg, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;

use crate::jit::ir::UnaryOp;
// The polynomials of the hand-written kernels (`unary/approx.rs`), shared.
use crate::unary::approx::{
    ERFC_Q, ERFC_T_MAX, ERF_P, ERF_SMALL, LN2_HI, LN2_LO, LOG_P, TANH_CLAMP,
    TANH_RP as TANH_P, TANH_RQ as TANH_Q,
};

/// The most copies of the body one loop iteration computes.
pub(super) const MAX_COPIES: usize = 4;

/// One value of the body in each of `n` interleaved copies (the unrolled
/// loop computes several vectors at once; emitting each instruction for
/// every copy before the next instruction gives the out-of-order core
/// independent chains side by side, where copies emitted one after another
/// would be latency-bound).
#[derive(Copy, Clone)]
pub(super) struct V {
    v: [Value; MAX_COPIES],
    n: usize,
}

impl V {
    /// `vals.len()` copies (1 to [`MAX_COPIES`]).
    pub fn new(vals: &[Value]) -> V {
        let mut v = [vals[0]; MAX_COPIES];
        v[..vals.len()].copy_from_slice(vals);
        V { v, n: vals.len() }
    }
    pub fn copies(&self) -> &[Value] {
        &self.v[..self.n]
    }
}

/// An emitter for one lane type and number of copies.
pub(super) struct Emit<'a, 'b> {
    pub b: &'a mut FunctionBuilder<'b>,
    /// `f32x4` lanes (else scalar `f32`).
    pub vector: bool,
    /// Copies of the body (1 to [`MAX_COPIES`]).
    pub n: usize,
    /// Fused multiply-add is a single instruction on this ISA.
    pub has_fma: bool,
}

/// A mask: the result of a comparison in the current lane type.
#[derive(Copy, Clone)]
pub(super) struct Mask(pub V);

type B<'x, 'y> = &'x mut FunctionBuilder<'y>;

impl Emit<'_, '_> {
    fn fty(&self) -> Type {
        if self.vector {
            F32X4
        } else {
            F32
        }
    }
    fn ity(&self) -> Type {
        if self.vector {
            I32X4
        } else {
            I32
        }
    }
    fn same(&self, x: Value) -> V {
        V::new(&[x; MAX_COPIES][..self.n])
    }
    /// `f` on every copy.
    pub fn map1(&mut self, a: V, f: impl Fn(B, Value) -> Value) -> V {
        let mut r = a;
        for i in 0..a.n {
            r.v[i] = f(self.b, a.v[i]);
        }
        r
    }
    pub fn map2(&mut self, a: V, b: V, f: impl Fn(B, Value, Value) -> Value) -> V {
        let mut r = a;
        for i in 0..a.n {
            r.v[i] = f(self.b, a.v[i], b.v[i]);
        }
        r
    }
    fn map3(&mut self, a: V, b: V, c: V, f: impl Fn(B, Value, Value, Value) -> Value) -> V {
        let mut r = a;
        for i in 0..a.n {
            r.v[i] = f(self.b, a.v[i], b.v[i], c.v[i]);
        }
        r
    }
    /// The float constant `c` in every lane.
    pub fn c(&mut self, c: f32) -> V {
        let mut s = self.b.ins().f32const(c);
        if self.vector {
            s = self.b.ins().splat(F32X4, s);
        }
        self.same(s)
    }
    /// The integer constant `c` in every lane.
    fn ci(&mut self, c: i32) -> V {
        let mut s = self.b.ins().iconst(I32, i64::from(c));
        if self.vector {
            s = self.b.ins().splat(I32X4, s);
        }
        self.same(s)
    }
    fn bits(&mut self, x: V) -> V {
        let t = self.ity();
        self.map1(x, |b, x| b.ins().bitcast(t, MemFlagsData::new(), x))
    }
    fn float_of_bits(&mut self, x: V) -> V {
        let t = self.fty();
        self.map1(x, |b, x| b.ins().bitcast(t, MemFlagsData::new(), x))
    }
    pub fn add(&mut self, a: V, b: V) -> V {
        self.map2(a, b, |b, x, y| b.ins().fadd(x, y))
    }
    pub fn sub(&mut self, a: V, b: V) -> V {
        self.map2(a, b, |b, x, y| b.ins().fsub(x, y))
    }
    pub fn mul(&mut self, a: V, b: V) -> V {
        self.map2(a, b, |b, x, y| b.ins().fmul(x, y))
    }
    pub fn div(&mut self, a: V, b: V) -> V {
        self.map2(a, b, |b, x, y| b.ins().fdiv(x, y))
    }
    pub fn neg(&mut self, a: V) -> V {
        self.map1(a, |b, x| b.ins().fneg(x))
    }
    fn abs(&mut self, a: V) -> V {
        self.map1(a, |b, x| b.ins().fabs(x))
    }
    fn iand(&mut self, a: V, b: V) -> V {
        self.map2(a, b, |b, x, y| b.ins().band(x, y))
    }
    fn ior(&mut self, a: V, b: V) -> V {
        self.map2(a, b, |b, x, y| b.ins().bor(x, y))
    }
    /// `a·b + c`, fused when the ISA has FMA.
    pub fn mul_add(&mut self, a: V, b: V, c: V) -> V {
        if self.has_fma {
            self.map3(a, b, c, |b, x, y, z| b.ins().fma(x, y, z))
        } else {
            let p = self.mul(a, b);
            self.add(p, c)
        }
    }
    fn mul_addc(&mut self, a: V, b: f32, c: V) -> V {
        let b = self.c(b);
        self.mul_add(a, b, c)
    }
    pub fn cmp(&mut self, cc: FloatCC, a: V, b: V) -> Mask {
        Mask(self.map2(a, b, |b, x, y| b.ins().fcmp(cc, x, y)))
    }
    fn cmpc(&mut self, cc: FloatCC, a: V, c: f32) -> Mask {
        let c = self.c(c);
        self.cmp(cc, a, c)
    }
    /// `m ? a : b` per lane.
    pub fn select(&mut self, m: Mask, a: V, b: V) -> V {
        if self.vector {
            self.map3(m.0, a, b, |b, m, x, y| {
                let m = b.ins().bitcast(F32X4, MemFlagsData::new(), m);
                b.ins().bitselect(m, x, y)
            })
        } else {
            self.map3(m.0, a, b, |b, m, x, y| b.ins().select(m, x, y))
        }
    }
    /// Clamps into `[lo, hi]`; NaN stays NaN. Both selects have the
    /// shapes `x < lo ? lo : x` and `hi < x ? hi : x` that Cranelift's x64
    /// backend lowers to one `maxps` / `minps` each (a NaN `x` is their
    /// second operand, which they return); `x > hi` would cost a compare
    /// and a blend.
    fn clamp(&mut self, x: V, lo: f32, hi: f32) -> V {
        let m = self.cmpc(FloatCC::LessThan, x, lo);
        let l = self.c(lo);
        let x = self.select(m, l, x);
        let h = self.c(hi);
        let m = self.cmp(FloatCC::LessThan, h, x);
        self.select(m, h, x)
    }
    /// The magnitude of `x` with the sign of `s`.
    fn copysign(&mut self, x: V, s: V) -> V {
        let (xb, sb) = (self.bits(x), self.bits(s));
        let (mag, sign) = (self.ci(0x7fff_ffff), self.ci(i32::MIN));
        let xb = self.iand(xb, mag);
        let sb = self.iand(sb, sign);
        let r = self.ior(xb, sb);
        self.float_of_bits(r)
    }
    /// Horner evaluation, highest degree first.
    fn poly(&mut self, x: V, c: &[f32]) -> V {
        let mut acc = self.c(c[0]);
        for &k in &c[1..] {
            let k = self.c(k);
            acc = self.mul_add(acc, x, k);
        }
        acc
    }
    /// `2^n` for lanes holding integers in `[-126, 127]`: `n + 1.5·2^23` has
    /// `n` in its low mantissa bits.
    fn pow2i(&mut self, n: V) -> V {
        let magic = self.c(12_582_912.0);
        let t = self.add(n, magic);
        let t = self.bits(t);
        let bias = self.ci(127 - 0x4b40_0000);
        let e = self.map2(t, bias, |b, x, y| b.ins().iadd(x, y));
        let sh = self.b.ins().iconst(I32, 23);
        let e = self.map1(e, |b, x| b.ins().ishl(x, sh));
        self.float_of_bits(e)
    }
    /// For positive normal lanes: `(e, m)` with `x = 2^e · m`, `m ∈ [1, 2)`.
    fn split_exp(&mut self, x: V) -> (V, V) {
        let b = self.bits(x);
        let sh = self.b.ins().iconst(I32, 23);
        let e = self.map1(b, |b, x| b.ins().ushr(x, sh));
        let ff = self.ci(0xff);
        let e = self.iand(e, ff);
        let ft = self.fty();
        let e = self.map1(e, |b, x| b.ins().fcvt_from_sint(ft, x));
        let e127 = self.c(127.0);
        let e = self.sub(e, e127);
        let (mm, one) = (self.ci(0x007f_ffff), self.ci(0x3f80_0000));
        let m = self.iand(b, mm);
        let m = self.ior(m, one);
        (e, self.float_of_bits(m))
    }

    /// `op(x)`.
    pub fn unary(&mut self, op: UnaryOp, x: V) -> V {
        match op {
            UnaryOp::Neg => self.map1(x, |b, x| b.ins().fneg(x)),
            UnaryOp::Abs => self.abs(x),
            UnaryOp::Exp => self.exp(x),
            UnaryOp::Log => self.log(x),
            UnaryOp::Sqrt => self.map1(x, |b, x| b.ins().sqrt(x)),
            UnaryOp::Rsqrt => {
                let s = self.map1(x, |b, x| b.ins().sqrt(x));
                let one = self.c(1.0);
                self.div(one, s)
            }
            UnaryOp::Reciprocal => {
                let one = self.c(1.0);
                self.div(one, x)
            }
            UnaryOp::Tanh => self.tanh(x),
            UnaryOp::Sigmoid => {
                let one = self.c(1.0);
                self.over_one_plus_exp(x, one)
            }
            UnaryOp::Silu => self.over_one_plus_exp(x, x),
            UnaryOp::Relu => {
                // x < 0 ? 0 : x keeps NaN and -0.
                let m = self.cmpc(FloatCC::LessThan, x, 0.0);
                let z = self.c(0.0);
                self.select(m, z, x)
            }
            UnaryOp::Erf => self.erf(x),
            UnaryOp::Gelu => self.gelu(x),
            UnaryOp::GeluTanh => self.gelu_tanh(x),
            UnaryOp::Floor => self.map1(x, |b, x| b.ins().floor(x)),
            UnaryOp::Ceil => self.map1(x, |b, x| b.ins().ceil(x)),
            UnaryOp::Trunc => self.map1(x, |b, x| b.ins().trunc(x)),
        }
    }

    /// Cody-Waite reduction `x = n·ln2 + r` and `e^r` on |r| ≤ ln2/2.
    fn exp_reduced(&mut self, x: V) -> (V, V) {
        let l2e = self.c(std::f32::consts::LOG2_E);
        let n = self.mul(x, l2e);
        let n = self.map1(n, |b, x| b.ins().nearest(x));
        let r = self.mul_addc(n, -LN2_HI, x);
        let r = self.mul_addc(n, -LN2_LO, r);
        let p = self.poly(r, &EXP_P);
        let pr = self.mul(p, r);
        let y = self.mul_add(pr, r, r);
        let one = self.c(1.0);
        (n, self.add(y, one))
    }
    /// e^x: inf above 88.73, 0 below -103.98, denormal results in between.
    ///
    /// Arithmetic that yields a denormal costs a microcode assist per
    /// instruction on Intel cores (SSE/AVX encodings): a masked softmax's
    /// `exp(-inf - max)` ran 5× slower than the rest of its row. So lanes
    /// below -87.3 (where results stop being normal) are computed as -87.3
    /// and replaced by 0, and only when some lane lies in [-104, -87.3),
    /// where the result is a nonzero denormal, does a branch compute
    /// [`Emit::exp_scaled`] for them. The bits are `exp_scaled`'s everywhere.
    fn exp(&mut self, x: V) -> V {
        let low = self.cmpc(FloatCC::LessThan, x, -87.3);
        let below = self.cmpc(FloatCC::LessThan, x, -104.0);
        let xn = self.clamp(x, -87.3, 89.0);
        let normal = self.exp_scaled(xn);
        let zero = self.c(0.0);
        let fast = self.select(low, zero, normal);
        let tiny = Mask(self.map2(low.0, below.0, |b, l, w| b.ins().band_not(l, w)));
        let any = tiny.0.copies().iter().copied().reduce(|p, q| self.b.ins().bor(p, q)).expect("one copy at least");
        let any = if self.vector { self.b.ins().vany_true(any) } else { any };
        let (slow, join) = (self.b.create_block(), self.b.create_block());
        let fty = self.fty();
        for _ in 0..self.n {
            self.b.append_block_param(join, fty);
        }
        let args = |v: &V| -> Vec<BlockArg> { v.copies().iter().map(|&x| BlockArg::Value(x)).collect() };
        self.b.ins().brif(any, slow, &[], join, &args(&fast));
        self.b.switch_to_block(slow);
        self.b.seal_block(slow);
        let full = self.exp_scaled(x);
        let r = self.select(tiny, full, fast);
        self.b.ins().jump(join, &args(&r));
        self.b.switch_to_block(join);
        self.b.seal_block(join);
        let params = self.b.block_params(join).to_vec();
        V::new(&params)
    }
    /// e^x on every lane by one formula (inputs clamped to [-104, 89]);
    /// lanes from -104 to -87.3 take denormal arithmetic.
    fn exp_scaled(&mut self, x: V) -> V {
        let x = self.clamp(x, -104.0, 89.0);
        let (n, y) = self.exp_reduced(x);
        // 2^n as 2^n1 · 2^n2 so each factor stays normal.
        let half = self.c(0.5);
        let n1 = self.mul(n, half);
        let n1 = self.map1(n1, |b, x| b.ins().nearest(x));
        let n2 = self.sub(n, n1);
        let p1 = self.pow2i(n1);
        let p2 = self.pow2i(n2);
        let y = self.mul(y, p1);
        self.mul(y, p2)
    }
    /// e^x clamped to [-87.3, 88.7]: results always normal (cheaper).
    fn exp_normal(&mut self, x: V) -> V {
        let x = self.clamp(x, -87.3, 88.7);
        let (n, y) = self.exp_reduced(x);
        let p = self.pow2i(n);
        self.mul(y, p)
    }
    /// ln x: log(0) = -inf, log(x<0) = NaN, log(inf) = inf.
    fn log(&mut self, x: V) -> V {
        let tiny = self.cmpc(FloatCC::LessThan, x, f32::MIN_POSITIVE);
        let big23 = self.c(8_388_608.0);
        let xb = self.mul(x, big23);
        let xs = self.select(tiny, xb, x);
        let (e, m) = self.split_exp(xs);
        let c23 = self.c(23.0);
        let e23 = self.sub(e, c23);
        let e = self.select(tiny, e23, e);
        let sqrt2 = self.c(std::f32::consts::SQRT_2);
        let big = self.cmp(FloatCC::LessThan, sqrt2, m);
        let half = self.c(0.5);
        let mh = self.mul(m, half);
        let m = self.select(big, mh, m);
        let one = self.c(1.0);
        let e1 = self.add(e, one);
        let e = self.select(big, e1, e);
        let f = self.sub(m, one);
        let f2 = self.mul(f, f);
        let p = self.poly(f, &LOG_P);
        let lo = self.c(LN2_LO);
        let elo = self.mul(e, lo);
        let pf = self.mul(p, f);
        let y = self.mul_add(pf, f2, elo);
        let y = self.mul_addc(f2, -0.5, y);
        let r = self.add(f, y);
        let r = self.mul_addc(e, LN2_HI, r);
        let inf = self.cmpc(FloatCC::Equal, x, f32::INFINITY);
        let r = self.select(inf, x, r);
        let zero = self.cmpc(FloatCC::Equal, x, 0.0);
        let ninf = self.c(f32::NEG_INFINITY);
        let r = self.select(zero, ninf, r);
        let nonneg = self.cmpc(FloatCC::GreaterThanOrEqual, x, 0.0);
        let nan = self.c(f32::NAN);
        self.select(nonneg, r, nan)
    }
    /// tanh: x·P(x²)/Q(x²) on x clamped to ±[`TANH_CLAMP`], the result
    /// clamped to ±1: no branches and no exp, about half the instructions
    /// of `unary/approx.rs`'s two-branch form, at 3.5e-7 relative error
    /// instead of 1.4e-7 (`spec/kernels.md`). `approx::tanh_rational` is
    /// the same formula (same bits) for the staged kernels.
    fn tanh(&mut self, x: V) -> V {
        let x = self.clamp(x, -TANH_CLAMP, TANH_CLAMP);
        let s = self.mul(x, x);
        let p = self.poly(s, &TANH_P);
        let q = self.poly(s, &TANH_Q);
        let xp = self.mul(x, p);
        let r = self.div(xp, q);
        self.clamp(r, -1.0, 1.0)
    }
    /// `num / (1 + e^-w)`, as `num·e^w / (1 + e^w)` for w < -80 so e^-w never
    /// overflows.
    fn over_one_plus_exp(&mut self, w: V, num: V) -> V {
        let big = self.cmpc(FloatCC::GreaterThanOrEqual, w, -80.0);
        let nw = self.map1(w, |b, x| b.ins().fneg(x));
        let arg = self.select(big, nw, w);
        let e = self.exp(arg);
        let ne = self.mul(num, e);
        let num = self.select(big, num, ne);
        let one = self.c(1.0);
        let d = self.add(e, one);
        self.div(num, d)
    }
    /// erfc(t) for t ≥ 0.921875 (t clamped to 6).
    fn erfc_large(&mut self, t: V) -> V {
        let t = self.clamp(t, ERF_SMALL, ERFC_T_MAX);
        let s = self.c(ERF_SMALL);
        let t = self.sub(t, s);
        let q = self.poly(t, &ERFC_Q);
        self.exp_normal(q)
    }
    fn erf_small(&mut self, x: V) -> V {
        let x2 = self.mul(x, x);
        let p = self.poly(x2, &ERF_P);
        self.mul_add(p, x, x)
    }
    fn erf(&mut self, x: V) -> V {
        let t = self.abs(x);
        let small = self.erf_small(x);
        let ec = self.erfc_large(t);
        let one = self.c(1.0);
        let large = self.sub(one, ec);
        let large = self.copysign(large, x);
        let m = self.cmpc(FloatCC::LessThan, t, ERF_SMALL);
        self.select(m, small, large)
    }
    /// x·Φ(x), Φ(x) = erfc(-x/√2)/2 (no 1 + erf cancellation for x < 0).
    fn gelu(&mut self, x: V) -> V {
        let k = self.c(std::f32::consts::FRAC_1_SQRT_2);
        let u = self.mul(x, k);
        let t = self.abs(u);
        let es = self.erf_small(u);
        let half = self.c(0.5);
        let phi_small = self.mul_add(es, half, half);
        let ec = self.erfc_large(t);
        let h = self.mul(ec, half);
        let m = self.cmpc(FloatCC::LessThan, t, ERFC_T_MAX);
        let zero = self.c(0.0);
        let h = self.select(m, h, zero);
        let one = self.c(1.0);
        let oh = self.sub(one, h);
        let pos = self.cmpc(FloatCC::GreaterThanOrEqual, u, 0.0);
        let phi_large = self.select(pos, oh, h);
        let sm = self.cmpc(FloatCC::LessThan, t, ERF_SMALL);
        let phi = self.select(sm, phi_small, phi_large);
        self.mul(x, phi)
    }
    /// x/2·(1 + tanh(z)) = x·sigmoid(2z), z = √(2/π)(x + 0.044715x³).
    fn gelu_tanh(&mut self, x: V) -> V {
        const C1: f32 = 1.595_769_1; // 2·√(2/π)
        const C2: f32 = 0.071_354_82; // 2·√(2/π)·0.044715
        let x2 = self.mul(x, x);
        let c1 = self.c(C1);
        let inner = self.mul_addc(x2, C2, c1);
        let w = self.mul(x, inner);
        self.over_one_plus_exp(w, x)
    }
}

/// e^r = 1 + r + r²·P(r) on |r| ≤ ln2/2.
const EXP_P: [f32; 6] = [
    1.979_036_5e-4,
    1.394_465_2e-3,
    8.333_497e-3,
    4.166_629_5e-2,
    1.666_666_6e-1,
    0.5,
];
