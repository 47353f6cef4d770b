"""Fits the rational tanh of the CPU JIT (`kernels/src/unary/approx.rs`: TANH_RP, TANH_RQ, used by `jit/cpu/math.rs` and the staged kernels).

tanh(x) ~ x * P(x^2) / Q(x^2) on [0, 9], P and Q of degree 4 in x^2, Q(0) = 1,
by iteratively reweighted least squares on the linearized relative error
(Lawson's method towards minimax), then checks the coefficients rounded to
f32 with f32 Horner evaluation over [-9, 9] and tiny |x|.

    python3 kernels/tools/fit_tanh.py     # numpy only
"""
import numpy as np

C, DEG = 9.0, 4


def fit(iters=40):
    x = np.concatenate([np.linspace(0, C, 200001)[1:], np.geomspace(1e-8, 1e-2, 2000)])
    s, f = x * x, np.tanh(x) / x
    w = np.ones_like(x)
    for _ in range(iters):
        # P(s) - f (Q(s) - 1) = f, weighted by w / f (relative error).
        a = np.concatenate([np.vander(s, DEG + 1, increasing=True), -f[:, None] * np.vander(s, DEG + 1, increasing=True)[:, 1:]], axis=1)
        c, *_ = np.linalg.lstsq(a * (w / f)[:, None], f * (w / f), rcond=None)
        p, q = c[: DEG + 1], np.concatenate([[1.0], c[DEG + 1 :]])
        err = np.abs(x * np.polyval(p[::-1], s) / np.polyval(q[::-1], s) / np.tanh(x) - 1)
        w = w * (1 + 50 * err / err.max())
        w /= w.mean()
    return p.astype(np.float32), q.astype(np.float32)


def horner32(c, s):
    acc = np.full_like(s, c[-1])
    for k in c[-2::-1]:
        acc = (acc * s + k).astype(np.float32)
    return acc


if __name__ == "__main__":
    p, q = fit()
    tiny = np.geomspace(1e-30, 1, 100000).astype(np.float32)
    x = np.concatenate([np.linspace(-C, C, 2000001).astype(np.float32), tiny, -tiny])
    s = (x * x).astype(np.float32)
    y = np.clip((x * horner32(p, s) / horner32(q, s)).astype(np.float32), -1, 1)
    x, y = x[x != 0], y[x != 0]
    ref = np.tanh(x.astype(np.float64))
    rel = np.abs(y - ref) / np.abs(ref)
    print("max relative error (f32): %.2e at x = %g" % (rel.max(), x[rel.argmax()]))
    print("P (highest degree first):", ", ".join("%.9e" % v for v in p[::-1]))
    print("Q (highest degree first):", ", ".join("%.9e" % v for v in q[::-1]))
