"""Fits the polynomial coefficients used by `kernels/src/unary/` (dev tool).

Not part of the build. Run with any Python that has numpy and mpmath:

    python kernels/tools/fit_poly.py

For each approximation it prints the coefficients (highest degree first, as
Horner evaluates them), rounded to f32, and the maximum error of a simulated
f32 evaluation (FMA emulated in f64) on a dense grid. The Rust tests measure
the real error over the float range; this script is only how the numbers
were obtained. Method: weighted least squares on a dense grid, reweighted
(Lawson's algorithm) towards the minimax solution.
"""
import math

import mpmath
import numpy as np

mpmath.mp.dps = 40


def lawson(xs, target, weight, degree, iters=300):
    """Minimises max |weight * (poly(xs) - target)| over the grid."""
    scale = np.max(np.abs(xs))
    v = np.vander(xs / scale, degree + 1)  # highest degree first
    u = np.ones_like(xs) / len(xs)
    for _ in range(iters):
        sw = np.sqrt(u)
        a = v * (weight * sw)[:, None]
        b = target * weight * sw
        c, *_ = np.linalg.lstsq(a, b, rcond=None)
        err = np.abs(weight * (v @ c - target))
        u = u * err
        u /= u.sum()
    powers = scale ** np.arange(degree, -1, -1)
    return c / powers


def f32(x):
    return np.float32(x)


def fma32(a, b, c):
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


def horner32(coefs, x):
    acc = np.float32(coefs[0])
    for c in coefs[1:]:
        acc = fma32(acc, x, np.float32(c))
    return acc


def show(name, coefs, err):
    print(f"{name}: max err {err:.3g}")
    for c in coefs:
        print(f"    {float(np.float32(c))!r:>26},  // {float.hex(float(np.float32(c)))}")


def mp_vec(fn, xs):
    return np.array([float(fn(mpmath.mpf(float(x)))) for x in xs])


def fit_exp():
    lo, hi = -math.log(2) / 2, math.log(2) / 2
    xs = np.linspace(lo, hi, 4001)
    xs = xs[np.abs(xs) > 1e-4]
    tgt = mp_vec(lambda r: (mpmath.exp(r) - 1 - r) / r**2, xs)
    w = xs**2 / np.exp(xs)
    c = lawson(xs, tgt, w, 5)
    c32 = [f32(v) for v in c]
    rs = np.float32(np.linspace(lo, hi, 200001))
    ex = mp_vec(mpmath.exp, rs)
    y = np.array([fma32(horner32(c32, r) * np.float32(r), np.float32(r), np.float32(r)) + np.float32(1) for r in rs])
    show("exp P (e^r = 1 + r + r^2 P(r))", c32, np.max(np.abs(y / ex - 1)) / 2**-24)


def fit_log():
    lo, hi = math.sqrt(0.5) - 1, math.sqrt(2) - 1
    xs = np.linspace(lo, hi, 4001)
    xs = xs[np.abs(xs) > 1e-3]
    tgt = mp_vec(lambda f: (mpmath.log1p(f) - f + f**2 / 2) / f**3, xs)
    w = np.abs(xs**3 / np.log1p(xs))
    for deg in (7,):
        c = lawson(xs, tgt, w, deg)
        show(f"log P deg {deg} (log1p f = f - f^2/2 + f^3 P(f))", [f32(v) for v in c], np.max(np.abs(w * (np.polyval(c, xs) - tgt))) / 2**-24)


def fit_tanh(cut):
    xs = np.linspace(1e-3, cut, 4001)
    s = xs**2
    tgt = mp_vec(lambda x: (mpmath.tanh(x) - x) / x**3, xs)
    w = xs**3 / np.tanh(xs)
    for deg in (5,):
        c = lawson(s, tgt, w, deg)
        show(f"tanh P deg {deg} on |x|<{cut} (tanh = x + x^3 P(x^2))", [f32(v) for v in c], np.max(np.abs(w * (np.polyval(c, s) - tgt))) / 2**-24)


def fit_erf_small(cut):
    xs = np.linspace(1e-3, cut, 4001)
    s = xs**2
    tgt = mp_vec(lambda x: mpmath.erf(x) / x - 1, xs)
    w = xs / mp_vec(mpmath.erf, xs)
    for deg in (6,):
        c = lawson(s, tgt, w, deg)
        show(f"erf P deg {deg} on |x|<{cut} (erf = x + x P(x^2))", [f32(v) for v in c], np.max(np.abs(w * (np.polyval(c, s) - tgt))) / 2**-24)


def fit_erfc_log(cut, top):
    """ln(erfc(t)) as a polynomial in tau = t - cut (centring at the low end
    keeps the f32 Horner rounding small where erf and gelu need it)."""
    ts = np.linspace(cut, top, 4001)
    tgt = mp_vec(lambda t: mpmath.log(mpmath.erfc(t)), ts)
    for deg in (11,):
        c = lawson(ts - cut, tgt, np.ones_like(ts), deg)
        c32 = [f32(v) for v in c]
        show(f"log erfc Q deg {deg} in t - {cut} on [{cut}, {top}]", c32, np.max(np.abs(np.polyval(c, ts - cut) - tgt)) / 2**-24)
        check_erfc_log(c32, cut, top)


def check_erfc_log(coefs, cut, top):
    """Error that Q's f32 evaluation puts into erf = 1 - exp(Q), in ulps of erf."""
    ts = np.float32(np.linspace(cut, top, 20001))
    q = np.array([horner32(coefs, np.float32(t - np.float32(cut))) for t in ts])
    ref = mp_vec(lambda t: mpmath.log(mpmath.erfc(t)), ts)
    erfc = np.exp(ref)
    erf = 1 - erfc
    ulp = np.spacing(np.float32(erf)).astype(np.float64)
    print(f"  erf error from Q: {np.max(erfc * np.abs(q - ref) / ulp):.3g} ulp; max |dQ| {np.max(np.abs(q - ref)):.3g}; "
          f"max |dQ| for t<2: {np.max(np.abs(q - ref)[ts < 2]):.3g}")


if __name__ == "__main__":
    fit_exp()
    fit_log()
    fit_tanh(0.625)
    fit_erf_small(0.921875)
    fit_erfc_log(0.921875, 6.0)

