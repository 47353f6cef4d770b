"""Check the tsc prelude `nn.py` against torch.nn.

Run:  /work/pyenv/bin/python frontend/src/prelude/check_nn.py

For every module and several constructor configurations it checks
  signature  constructor parameters (names, kinds, defaults) == torch.nn's,
             minus device=/dtype=
  state      state_dict() keys (in order), shapes, dtypes == torch.nn's
  eval/train forward == torch.nn's after loading torch's (randomized)
             state_dict; random parts (dropout) are compared under the same
             seed; BatchNorm train also compares the updated buffers
  script     torch.jit.script(prelude module) compiles and reproduces the
             same outputs (and buffer updates)
  init       fresh-parameter statistics match torch.nn's initialization
             (explicit kaiming bounds for Linear/Conv/ConvTranspose,
             U(-1/sqrt(hidden), 1/sqrt(hidden)) for LSTM/GRU, constants for norms)
  errors     invalid arguments / inputs raise the exception type torch.nn
             raises; documented prelude limitations raise NotImplementedError
One line per check, "ALL OK" at the end (exit status 1 otherwise).
"""
import copy
import importlib.util
import inspect
import math
import os
import sys
import warnings

import torch
import torch.nn as tnn

warnings.filterwarnings("ignore")
sys.dont_write_bytecode = True  # no __pycache__ next to the prelude
torch.manual_seed(0)

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("tsc_prelude_nn", os.path.join(HERE, "nn.py"))
P = importlib.util.module_from_spec(_spec)
sys.modules["tsc_prelude_nn"] = P  # torch.jit.script needs to find the source
_spec.loader.exec_module(P)

FAILS = []
COUNT = [0]


def report(ok, what, detail=""):
    COUNT[0] += 1
    line = ("ok    " if ok else "FAIL  ") + what + (("  -- " + detail) if detail else "")
    print(line, flush=True)
    if not ok:
        FAILS.append(line)


def check(what, fn):
    try:
        r = fn()
        report(True, what, r if isinstance(r, str) else "")
    except Exception as e:  # noqa: BLE001
        report(False, what, type(e).__name__ + ": " + str(e).strip().replace("\n", " | ")[:400])


def fmt(name, args, kwargs):
    parts = [repr(a) if not isinstance(a, torch.Tensor) else "T" + str(list(a.shape)) for a in args]
    parts += [k + "=" + (repr(v) if not isinstance(v, torch.Tensor) else "T" + str(list(v.shape)))
              for k, v in kwargs.items()]
    return name + "(" + ", ".join(parts) + ")"


def close(a, b, what="", atol=1e-5, rtol=1e-4):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b), what + ": structure differs"
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, what + "[%d]" % i, atol, rtol)
        return
    if a is None or b is None:
        assert a is None and b is None, what + ": one side is None"
        return
    torch.testing.assert_close(a, b, atol=atol, rtol=rtol, equal_nan=True, msg=lambda m: what + ": " + m)


# ---------------------------------------------------------------------------
# Generic pieces
# ---------------------------------------------------------------------------

def check_signature(name):
    def run():
        t = inspect.signature(getattr(tnn, name).__init__).parameters
        m = inspect.signature(getattr(P, name).__init__).parameters
        tv = [(p.name, p.kind, p.default) for p in t.values() if p.name not in ("device", "dtype")]
        mv = [(p.name, p.kind, p.default) for p in m.values()]
        assert tv == mv, "torch %s vs prelude %s" % (tv, mv)
    check(name + " signature", run)


def randomize_state(mod):
    """Give every floating param/buffer non-trivial values (positive where a
    variance is expected) so that loading and forward checks mean something."""
    g = torch.Generator().manual_seed(1234)
    sd = mod.state_dict()
    for k, v in sd.items():
        if not v.is_floating_point():
            continue
        if k.endswith("running_var"):
            sd[k] = torch.rand(v.shape, generator=g) + 0.5
        else:
            sd[k] = torch.randn(v.shape, generator=g) * 0.5 + (1.0 if k.endswith("weight") and v.dim() == 1 else 0.0)
    mod.load_state_dict(sd)


def state_signature(mod):
    return [(k, tuple(v.shape), v.dtype) for k, v in mod.state_dict().items()]


def call(mod, inp, fwd_kwargs):
    inp = [x.clone() if isinstance(x, torch.Tensor) else x for x in inp]  # inplace modules
    return mod(*inp, **fwd_kwargs)


def run_forward_checks(label, tmod, mmod, inputs, fwd_kwargs=None, modes=("eval", "train"),
                       steps=1, buffers=False, atol=1e-5, rtol=1e-4, script=True, seeded=False,
                       script_ref_scripted=False):
    """Compare torch vs prelude (and scripted prelude) in each mode.
    inputs: list of input tuples; each mode runs them all, `steps` times."""
    fwd_kwargs = fwd_kwargs or {}
    smod_base = None
    if script:
        try:
            smod_base = torch.jit.script(copy.deepcopy(mmod))
            ts, ss = state_signature(tmod), state_signature(smod_base)
            assert ts == ss, "scripted state_dict %s vs torch %s" % (ss, ts)
            report(True, label + " script (state_dict keys kept)")
        except Exception as e:  # noqa: BLE001
            report(False, label + " script", type(e).__name__ + ": " + str(e).strip().replace("\n", " | ")[:600])
    for mode in modes:
        t = copy.deepcopy(tmod)
        m = copy.deepcopy(mmod)
        s = copy.deepcopy(smod_base) if smod_base is not None else None
        for mod in (t, m, s):
            if mod is not None:
                mod.train(mode == "train")

        def run(mod):
            outs = []
            for _ in range(steps):
                for inp in inputs:
                    if seeded:
                        torch.manual_seed(99)
                    outs.append(call(mod, inp, fwd_kwargs))
            return outs

        ref = run(t)
        for tag, mod in (("", m), (" scripted", s)):
            if mod is None:
                continue
            if tag and script_ref_scripted:
                # torch's own TorchScript differs from its eager mode here:
                # compare scripted prelude against scripted torch.nn.
                t = torch.jit.script(copy.deepcopy(tmod))
                t.train(mode == "train")
                ref = run(t)
                tag += " (vs scripted torch.nn)"

            def cmp(mod=mod, tag=tag):
                got = run(mod)
                close(got, ref, "output", atol, rtol)
                if buffers:
                    tb = dict(t.named_buffers())
                    mb = dict(mod.named_buffers())
                    assert sorted(tb) == sorted(mb), "buffer names %s vs %s" % (sorted(tb), sorted(mb))
                    for k in tb:
                        assert tb[k].dtype == mb[k].dtype, k + " dtype"
                        close(mb[k], tb[k], "buffer " + k, atol, rtol)
            extra = " buffers" if buffers else ""
            check("%s %s%s forward%s%s" % (label, mode, tag, extra, " (seeded)" if seeded else ""), cmp)


def init_stats_check(label, tmod, mmod):
    """Fresh parameters (both built right after torch.manual_seed(7)): the
    draws, their order and their bounds match torch's reset_parameters, so
    the values must agree; constant tensors must be equal; random ones must
    also agree in mean/std (a looser check that documents the distribution)."""
    def run():
        tsd, msd = tmod.state_dict(), mmod.state_dict()
        notes = []
        same = True
        for k in tsd:
            if tsd[k].is_floating_point() and not torch.allclose(tsd[k], msd[k], rtol=1e-5, atol=1e-7):
                same = False
        assert same, "same seed should give torch's exact initial values (same draws, same order)"
        for k in tsd:
            a, b = tsd[k].double(), msd[k].double()
            if not a.is_floating_point():
                assert torch.equal(tsd[k], msd[k]), k + " differs"
                continue
            if a.numel() == 0:
                continue
            if a.std(unbiased=False) == 0 if a.numel() > 1 else True:
                assert torch.equal(a, b), k + ": expected constant init %s" % a.flatten()[:4].tolist()
                continue
            n = a.numel()
            sa, sb = a.std().item(), b.std().item()
            tol = 4.0 / math.sqrt(n) + 0.02
            assert abs(sa - sb) <= tol * sa + 1e-6, "%s std %.4f vs torch %.4f" % (k, sb, sa)
            assert abs(a.mean().item() - b.mean().item()) <= 4 * sa / math.sqrt(n) * 2 + 1e-6, \
                "%s mean %.4f vs torch %.4f" % (k, b.mean().item(), a.mean().item())
            notes.append("%s std %.3f~%.3f" % (k, sb, sa))
        return "; ".join(notes + ["values equal torch's under the same seed"])
    check(label + " init", run)


def case(name, args=(), kwargs=None, inputs=(), fwd_kwargs=None, buffers=False, steps=1, modes=("eval", "train"),
         seeded=False, atol=1e-5, rtol=1e-4, randomize=True, label=None, nograd=False, script_ref_scripted=False):
    kwargs = kwargs or {}
    label = label or fmt(name, args, kwargs)
    torch.manual_seed(7)
    tmod = getattr(tnn, name)(*args, **kwargs)
    torch.manual_seed(7)
    mmod = getattr(P, name)(*args, **kwargs)
    ok = True

    def sd():
        ts, ms = state_signature(tmod), state_signature(mmod)
        assert ts == ms, "torch %s vs prelude %s" % (ts, ms)
        return ", ".join(k for k, _, _ in ts) or "(empty)"
    before = len(FAILS)
    check(label + " state_dict", sd)
    ok = len(FAILS) == before
    init_stats_check(label, tmod, mmod)
    if not ok:
        return tmod, mmod
    if randomize:
        randomize_state(tmod)
    mmod.load_state_dict(tmod.state_dict(), strict=True)
    if inputs:
        ctx = torch.no_grad() if nograd else _Null()
        with ctx:
            run_forward_checks(label + (" [no_grad]" if nograd else ""), tmod, mmod, list(inputs), fwd_kwargs,
                               modes, steps, buffers, atol, rtol, seeded=seeded,
                               script_ref_scripted=script_ref_scripted)
    return tmod, mmod


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def expect_raise(label, fn, exc, note="as torch.nn does"):
    def run():
        try:
            fn()
        except exc:
            return "raises " + exc.__name__ + " (" + note + ")"
        raise AssertionError("did not raise")
    check(label, run)




def raises_like_torch(label, fn, exc):
    """fn(ns) with ns = torch.nn, then the prelude: both must raise exc."""
    def run():
        for ns, who in ((tnn, "torch.nn"), (P, "prelude")):
            try:
                fn(ns)
            except exc:
                continue
            raise AssertionError(who + " did not raise " + exc.__name__)
        return "raises " + exc.__name__ + " (as torch.nn does)"
    check(label, run)


R = torch.randn


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

def linear_and_conv():
    check_signature("Linear")
    case("Linear", (5, 7), inputs=[(R(3, 5),), (R(2, 3, 5),)])
    case("Linear", (5, 7), {"bias": False}, inputs=[(R(3, 5),)])
    case("Linear", (1, 3), inputs=[(R(4, 1),)])

    def bounds(cls_name, args, fan_in):
        def run():
            torch.manual_seed(3)
            m = getattr(P, cls_name)(*args)
            b = 1.0 / math.sqrt(fan_in)
            w, bias = m.weight.detach(), m.bias.detach()
            assert w.abs().max() <= b + 1e-7, "weight exceeds 1/sqrt(fan_in)"
            assert w.abs().max() >= 0.95 * b, "weight absmax %.4f far below bound %.4f" % (w.abs().max(), b)
            assert bias.abs().max() <= b + 1e-7, "bias exceeds 1/sqrt(fan_in)"
            assert abs(w.std().item() - b / math.sqrt(3)) < 0.05 * b, "weight std not uniform(-b, b)"
            return "bound %.4f absmax %.4f std %.4f" % (b, w.abs().max(), w.std())
        check(fmt(cls_name, args, {}) + " init bound", run)
    bounds("Linear", (64, 128), 64)
    case("Linear", (64, 128), inputs=[(R(4, 64),)])

    check_signature("Conv1d")
    x1 = R(2, 4, 16)
    for kw in [{}, {"stride": 2, "padding": 1, "dilation": 2, "bias": False}, {"groups": 2, "padding": "same"},
               {"padding": "same"}, {"padding": "valid", "stride": 3},
               {"padding": 2, "padding_mode": "reflect"}, {"padding": 1, "padding_mode": "replicate"},
               {"padding": 2, "padding_mode": "circular", "stride": 2}, {"padding": "same", "padding_mode": "reflect", "dilation": 3},
               {"padding": "same", "padding_mode": "replicate"}]:  # k=4: asymmetric 'same' padding
        k = 4 if kw.get("padding") == "same" and "dilation" not in kw else 3
        case("Conv1d", (4, 6, k), kw, inputs=[(x1,), (R(7, 4, 9),)])
    case("Conv1d", (4, 6, (5,)), {"stride": (2,), "padding": (2,)}, inputs=[(x1,)])
    bounds("Conv1d", (8, 32, 5), 8 * 5)

    check_signature("Conv2d")
    x2 = R(2, 4, 12, 13)
    for args, kw in [((4, 8, 3), {}), ((4, 8, (3, 5)), {"stride": (2, 1), "padding": (1, 2)}),
                     ((4, 8, 3), {"groups": 4, "bias": False}), ((4, 8, 4), {"padding": "same"}),
                     ((4, 6, (2, 3)), {"padding": "same", "dilation": (2, 1)}),
                     ((4, 8, 3), {"padding": 1, "padding_mode": "reflect"}),
                     ((4, 8, 3), {"padding": (1, 2), "padding_mode": "replicate", "stride": 2}),
                     ((4, 6, 3), {"padding": "same", "padding_mode": "circular", "dilation": 2}),
                     ((4, 6, (2, 4)), {"padding": "same", "padding_mode": "reflect"}),
                     ((4, 8, 1), {"padding": "valid", "groups": 2})]:
        case("Conv2d", args, kw, inputs=[(x2,)])
    bounds("Conv2d", (16, 32, 3), 16 * 9)

    check_signature("Bilinear")
    for args, kw in [((3, 4, 5), {}), ((3, 4, 5), {"bias": False}), ((1, 6, 2), {})]:
        i1, i2, _ = args
        case("Bilinear", args, kw, inputs=[(R(6, i1), R(6, i2)), (R(2, 5, i1), R(2, 5, i2)), (R(i1), R(i2))])
    case("Bilinear", (16, 8, 32), {}, inputs=[(R(4, 16), R(4, 8))], label="Bilinear(16, 8, 32) large")
    raises_like_torch("Bilinear batch mismatch raises", lambda ns: ns.Bilinear(3, 4, 5)(R(6, 3), R(5, 4)), RuntimeError)

    for name, nd in (("ConvTranspose1d", 1), ("ConvTranspose2d", 2)):
        check_signature(name)
        sp = (9,) if nd == 1 else (7, 6)
        x = R(2, 4, *sp)
        unb = R(4, *sp)
        cfgs = [((4, 6, 3), {}),
                ((4, 6, 3), {"stride": 2}),
                ((4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
                ((4, 6, 4), {"stride": 3, "padding": 2, "output_padding": 2, "dilation": 2, "bias": False}),
                ((4, 8, 3), {"groups": 2, "stride": 2}),
                ((4, 4, 3), {"groups": 4, "padding": 1, "dilation": 3}),
                ((4, 6, 1), {})]
        if nd == 2:
            cfgs += [((4, 6, (2, 3)), {"stride": (2, 1), "padding": (1, 0), "output_padding": (1, 0)}),
                     ((4, 6, (3, 2)), {"stride": (1, 3), "dilation": (2, 1), "output_padding": (0, 2)})]
        for args, kw in cfgs:
            case(name, args, kw, inputs=[(x,), (unb,)])
        # forward(input, output_size): every size in the valid range, with or without batch / channel sizes.
        args, kw = (4, 6, 3), {"stride": 3, "padding": 1}
        base = [(s - 1) * 3 - 2 + 3 for s in sp]
        for extra in range(3):
            size = [b + extra for b in base]
            case(name, args, kw, inputs=[(x,)], fwd_kwargs={"output_size": size},
                 label=fmt(name, args, kw) + " output_size=" + str(size))
        case(name, args, kw, inputs=[(x,)], fwd_kwargs={"output_size": [2, 6] + [b + 1 for b in base]},
             label=fmt(name, args, kw) + " output_size with N, C")
        case(name, args, kw, inputs=[(unb,)], fwd_kwargs={"output_size": [6] + [b + 2 for b in base]},
             label=fmt(name, args, kw) + " unbatched output_size with C")
        raises_like_torch(name + " output_size out of range raises",
                          lambda ns, name=name, base=base, x=x: getattr(ns, name)(4, 6, 3, stride=3, padding=1)(
                              x, output_size=[b + 3 for b in base]), ValueError)
        raises_like_torch(name + "(padding_mode='reflect') raises",
                          lambda ns, name=name: getattr(ns, name)(4, 6, 3, padding_mode="reflect"), ValueError)
    bounds("ConvTranspose1d", (8, 32, 5), 32 * 5)
    bounds("ConvTranspose2d", (16, 12, 3), 12 * 9)
    bounds("ConvTranspose2d", (16, 12, 3, 1, 0, 0, 4), 3 * 9)


def norms():
    for name, shapes in [("BatchNorm1d", [(8, 6), (4, 6, 5)]), ("BatchNorm2d", [(4, 6, 5, 5)])]:
        check_signature(name)
        for kw in [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}, {"bias": False},
                   {"eps": 1e-3, "momentum": 0.3}, {"momentum": None, "affine": False, "track_running_stats": False}]:
            ins = [(R(*s),) for s in shapes]
            case(name, (6,), kw, inputs=ins, buffers=True, steps=3)
        expect_raise(name + " wrong-rank input raises ValueError",
                     lambda name=name: getattr(P, name)(6)(R(2, 6, 2, 2, 2)), ValueError)

    check_signature("LayerNorm")
    for args, kw, shape in [((8,), {}, (3, 8)), (([4, 8],), {}, (2, 3, 4, 8)), ((8,), {"elementwise_affine": False}, (5, 8)),
                            ((8,), {"bias": False}, (2, 2, 8)), (((3, 8),), {"eps": 1e-3}, (3, 8)),
                            ((torch.Size([2, 8]),), {}, (5, 2, 8))]:
        case("LayerNorm", args, kw, inputs=[(R(*shape) * 3 + 1,)])

    check_signature("GroupNorm")
    for args, kw in [((2, 6), {}), ((3, 6), {"affine": False}), ((1, 6), {"bias": False}),
                     ((6, 6), {"eps": 1e-3})]:
        case("GroupNorm", args, kw, inputs=[(R(2, 6, 4, 4) * 2 + 1,), (R(3, 6, 7),)])

    for name, shapes in [("InstanceNorm1d", [(4, 6, 5), (6, 7)]), ("InstanceNorm2d", [(3, 6, 5, 4), (6, 3, 5)])]:
        check_signature(name)
        for kw in [{}, {"affine": True}, {"track_running_stats": True}, {"affine": True, "track_running_stats": True},
                   {"affine": True, "bias": False}, {"track_running_stats": True, "momentum": None},
                   {"eps": 1e-3, "momentum": 0.3, "track_running_stats": True, "affine": True}]:
            ins = [(R(*sh) * 2 + 1,) for sh in shapes]
            case(name, (6,), kw, inputs=ins, buffers=True, steps=3)
        bad = (2, 6, 2, 2, 2) if name == "InstanceNorm1d" else (6, 2)
        raises_like_torch(name + " wrong-rank input raises", lambda ns, name=name, bad=bad: getattr(ns, name)(6)(R(*bad)),
                          ValueError)
        wrong_c = (2, 5, 4) if name == "InstanceNorm1d" else (2, 5, 4, 4)
        raises_like_torch(name + "(affine=True) channel mismatch raises",
                          lambda ns, name=name, w=wrong_c: getattr(ns, name)(6, affine=True)(R(*w)), ValueError)
    # affine=False ignores num_features (torch only warns).
    case("InstanceNorm1d", (6,), {}, inputs=[(R(2, 5, 7),)], label="InstanceNorm1d(6) on 5 channels")

    check_signature("RMSNorm")
    for args, kw, shape in [((8,), {}, (3, 8)), (([4, 8],), {}, (2, 3, 4, 8)), ((8,), {"elementwise_affine": False}, (5, 8)),
                            ((8,), {"eps": 1e-3}, (2, 2, 8)), (((3, 8),), {"eps": 0.5}, (3, 8)),
                            ((torch.Size([2, 8]),), {}, (5, 2, 8))]:
        case("RMSNorm", args, kw, inputs=[(R(*shape) * 3 + 1,), (R(*shape) * 1e-3,)])


def embedding_dropout():
    check_signature("Embedding")
    idx = torch.randint(0, 10, (3, 5))
    for kw in [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"padding_idx": 4, "scale_grad_by_freq": True}]:
        case("Embedding", (10, 4), kw, inputs=[(idx,), (torch.tensor([0, 9, 3]),)])
    # max_norm renormalizes the looked-up rows of the weight in place.
    case("Embedding", (10, 4), {"max_norm": 1.0}, inputs=[(idx,)])
    case("Embedding", (10, 4), {"max_norm": 0.5, "norm_type": 1.0}, inputs=[(idx,)], script_ref_scripted=True)
    w = torch.randn(10, 4)
    case("Embedding", (10, 4), {"_weight": w}, inputs=[(idx,)], randomize=False)
    case("Embedding", (10, 4), {"_weight": w, "_freeze": True}, inputs=[(idx,)], randomize=False)

    def weight_is_given_and_frozen():
        m = P.Embedding(10, 4, _weight=w, _freeze=True)
        t = tnn.Embedding(10, 4, _weight=w, _freeze=True)
        assert torch.equal(m.weight.detach(), w) and m.weight.requires_grad == t.weight.requires_grad
    check("Embedding(_weight, _freeze) uses the given tensor, requires_grad matches", weight_is_given_and_frozen)

    def padding_row_zero():
        for p in (0, 3, -1):
            m = P.Embedding(10, 4, padding_idx=p)
            assert torch.all(m.weight[p] == 0) and m.weight.detach().abs().sum() > 0
        m = P.Embedding(1000, 64)
        s = m.weight.detach()
        assert abs(s.mean()) < 0.02 and abs(s.std() - 1) < 0.02, "not N(0, 1)"
        return "N(0,1): mean %.4f std %.4f" % (s.mean(), s.std())
    check("Embedding init N(0,1), padding row zero", padding_row_zero)

    check_signature("Dropout")
    x = R(4, 16)
    for kw in [{}, {"p": 0.0}, {"p": 0.3, "inplace": True}, {"p": 1.0}]:
        case("Dropout", (), kw, inputs=[(x,), (R(2, 3, 5),)], seeded=True)


def activations():
    x = [(R(3, 7) * 4,), (R(2, 3, 4, 5) * 4,)]
    for name, cfgs in [("ReLU", [{}, {"inplace": True}]),
                       ("GELU", [{}, {"approximate": "tanh"}]),
                       ("SiLU", [{}, {"inplace": True}]),
                       ("Tanh", [{}]),
                       ("Sigmoid", [{}]),
                       ("LeakyReLU", [{}, {"negative_slope": 0.2}, {"negative_slope": 0.1, "inplace": True}]),
                       ("ELU", [{}, {"alpha": 0.5}, {"alpha": 2.0, "inplace": True}]),
                       ("Hardtanh", [{}, {"min_val": -2.0, "max_val": 3.0}, {"inplace": True},
                                     {"min_value": -0.5, "max_value": 0.5}]),
                       ("Softplus", [{}, {"beta": 2.0, "threshold": 5.0}, {"beta": 0.5}])]:
        check_signature(name)
        for kw in cfgs:
            case(name, (), kw, inputs=x)
    for name in ("Softmax", "LogSoftmax"):
        check_signature(name)
        ins = [(R(7),), (R(3, 7),), (R(2, 3, 4),), (R(2, 3, 4, 5),)]
        case(name, (), {}, inputs=ins)
        for d in (0, 1, -1):
            case(name, (d,), {}, inputs=ins[1:])
        case(name, (), {"dim": 2}, inputs=ins[2:])

    for name, cfgs in [("ReLU6", [{}, {"inplace": True}]),
                       ("Hardswish", [{}, {"inplace": True}]),
                       ("Hardsigmoid", [{}, {"inplace": True}]),
                       ("Mish", [{}, {"inplace": True}]),
                       ("SELU", [{}, {"inplace": True}]),
                       ("CELU", [{}, {"alpha": 0.5}, {"alpha": 2.0, "inplace": True}]),
                       ("Softsign", [{}]),
                       ("Tanhshrink", [{}]),
                       ("LogSigmoid", [{}])]:
        check_signature(name)
        for kw in cfgs:
            case(name, (), kw, inputs=x + [(torch.tensor([-3.0, -2.9999, 0.0, 3.0, 3.0001, -30.0, 30.0, 100.0]),)])
    check_signature("Threshold")
    for args, kw in [((0.1, 20.0), {}), ((-1.0, 0.5), {"inplace": True}), ((2.0, -3.0), {})]:
        case("Threshold", args, kw, inputs=x)
    check_signature("PReLU")
    xc = [(R(2, 3, 4, 5) * 4,), (R(4, 3) * 4,), (R(2, 3) * 4,)]
    for kw in [{}, {"num_parameters": 3}, {"num_parameters": 3, "init": 0.1}, {"init": -0.5}, {"init": 1}]:
        case("PReLU", (), kw, inputs=xc[:2] + [(R(7, 5),), (R(5),)] if kw.get("num_parameters", 1) == 1 else xc)
    check_signature("Softmin")
    ins = [(R(7),), (R(3, 7),), (R(2, 3, 4),), (R(2, 3, 4, 5),)]
    case("Softmin", (), {}, inputs=ins)
    for d in (0, 1, -1):
        case("Softmin", (d,), {}, inputs=ins[1:])
    check_signature("GLU")
    for args, shape in [((), (3, 8)), ((1,), (2, 6, 5)), ((0,), (4, 3)), ((-2,), (3, 4, 2))]:
        case("GLU", args, {}, inputs=[(R(*shape),)])
    raises_like_torch("GLU on an odd dim raises", lambda ns: ns.GLU()(R(3, 5)), RuntimeError)


def pooling_shape():
    x = [(R(2, 3, 11, 12),), (R(3, 9, 8),)]
    check_signature("MaxPool2d")
    for args, kw in [((2,), {}), ((3, 2, 1), {}), (((3, 2), (2, 1), (1, 0)), {"dilation": (1, 2)}),
                     ((3,), {"ceil_mode": True}), ((3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True})]:
        case("MaxPool2d", args, kw, inputs=x)
    expect_raise("MaxPool2d(2, return_indices=True)", lambda: P.MaxPool2d(2, return_indices=True), NotImplementedError,
                 "documented prelude limitation")

    check_signature("AvgPool2d")
    for args, kw in [((2,), {}), ((3, 2, 1), {}), ((3, 2, 1), {"count_include_pad": False}),
                     ((3, 2, 1), {"ceil_mode": True}), ((2,), {"divisor_override": 3}),
                     (((3, 2), (1, 2), (1, 0)), {"ceil_mode": True, "count_include_pad": False})]:
        case("AvgPool2d", args, kw, inputs=x)

    check_signature("AdaptiveAvgPool2d")
    for a in (1, (3, 4), (None, 3), (5, None), 7, (None, None), [2, 5]):
        case("AdaptiveAvgPool2d", (a,), {}, inputs=x)

    x1 = [(R(2, 3, 11),), (R(3, 9),)]
    check_signature("MaxPool1d")
    for args, kw in [((2,), {}), ((3, 2, 1), {}), ((3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}),
                     (((3,),), {"stride": (1,), "padding": (1,)}), ((4,), {"ceil_mode": True})]:
        case("MaxPool1d", args, kw, inputs=x1)
    expect_raise("MaxPool1d(2, return_indices=True)", lambda: P.MaxPool1d(2, return_indices=True), NotImplementedError,
                 "documented prelude limitation")
    check_signature("AvgPool1d")
    for args, kw in [((2,), {}), ((3, 2, 1), {}), ((3, 2, 1), {"count_include_pad": False}),
                     ((3, 2, 1), {"ceil_mode": True}),
                     (((4,), (3,), (2,)), {"ceil_mode": True, "count_include_pad": False})]:
        case("AvgPool1d", args, kw, inputs=x1)
    check_signature("AdaptiveAvgPool1d")
    for a in (1, 4, 7, 13, (3,)):
        case("AdaptiveAvgPool1d", (a,), {}, inputs=x1)
    check_signature("AdaptiveMaxPool2d")
    for a in (1, (3, 4), (None, 3), (5, None), 7, (None, None), [2, 5]):
        case("AdaptiveMaxPool2d", (a,), {}, inputs=x)
    expect_raise("AdaptiveMaxPool2d(2, return_indices=True)", lambda: P.AdaptiveMaxPool2d(2, return_indices=True),
                 NotImplementedError, "documented prelude limitation")

    check_signature("Flatten")
    for args in [(), (0,), (1, 2), (2, -1), (-3, -2)]:
        case("Flatten", args, {}, inputs=[(R(2, 3, 4, 5),)])
    check_signature("Unflatten")
    for args, shape in [((1, (2, 3)), (4, 6, 5)), ((-1, [2, -1]), (3, 4, 10)), ((0, (2, 2)), (4, 3)),
                        ((1, torch.Size([3, 1, 2])), (2, 6)), ((2, (1,)), (2, 3, 1)), ((2, (2, 1, 2)), (2, 3, 4))]:
        case("Unflatten", args, {}, inputs=[(R(*shape),)])
    raises_like_torch("Unflatten(1, 6) raises", lambda ns: ns.Unflatten(1, 6), TypeError)
    raises_like_torch("Unflatten(1, (2.0, 3)) raises", lambda ns: ns.Unflatten(1, (2.0, 3)), TypeError)
    check_signature("Identity")
    case("Identity", (), {}, inputs=[(R(3, 4),)])
    case("Identity", (54,), {"unused_argument1": 0.1}, inputs=[(R(3, 4),)])


def resampling_padding():
    for name, args, shapes in [("PixelShuffle", (2,), [(2, 8, 3, 4), (8, 3, 3)]),
                               ("PixelShuffle", (3,), [(1, 18, 2, 2)]), ("PixelShuffle", (1,), [(2, 3, 4, 5)]),
                               ("PixelUnshuffle", (2,), [(2, 3, 4, 6), (3, 4, 4)]),
                               ("PixelUnshuffle", (3,), [(1, 2, 6, 9)])]:
        check_signature(name)
        case(name, args, {}, inputs=[(R(*sh),) for sh in shapes])

    check_signature("Upsample")
    x4 = [(R(2, 3, 5, 6),)]
    for kw in [{"scale_factor": 2}, {"scale_factor": 2.5}, {"size": (7, 9)}, {"size": [7, 8]}, {"size": 4},
               {"scale_factor": (1.5, 2.0)}, {"size": (3, 2)}, {"scale_factor": 0.5},
               {"scale_factor": 2, "mode": "bilinear"}, {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
               {"size": (9, 4), "mode": "bilinear", "align_corners": True}, {"size": 8, "mode": "bilinear"},
               {"scale_factor": (1.7, 0.6), "mode": "bilinear"},
               {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True},
               {"scale_factor": 1.7, "mode": "nearest", "recompute_scale_factor": True},
               {"scale_factor": 3, "mode": "nearest-exact"}]:
        case("Upsample", (), kw, inputs=x4)
    case("Upsample", (), {"scale_factor": 2}, inputs=[(R(2, 3, 5),)], label="Upsample(scale_factor=2) 3-D input")
    case("Upsample", (), {"size": 11, "mode": "linear", "align_corners": True}, inputs=[(R(2, 3, 5),)])

    x2 = [(R(2, 3, 5, 6),), (R(3, 5, 6),)]
    x1 = [(R(2, 3, 5),), (R(3, 5),)]
    for name, cfgs, xs in [("ZeroPad2d", [((1,), {}), (((1, 2, 0, 3),), {}), (((-1, 1, 2, -2),), {})], x2),
                           ("ConstantPad1d", [((2, 3.5), {}), (((1, 3), -1.0), {}), (((0, -2), 2.0), {})], x1),
                           ("ConstantPad2d", [((1, 0.5), {}), (((0, 1, 2, 3), 2.0), {}), ((2,), {"value": -1.5})], x2),
                           ("ReflectionPad2d", [((1,), {}), (((1, 2, 2, 0),), {}), (((4, 0, 3, 1),), {})], x2)]:
        check_signature(name)
        for args, kw in cfgs:
            case(name, args, kw, inputs=xs)
    raises_like_torch("ReflectionPad2d(5) on width 5 raises", lambda ns: ns.ReflectionPad2d(5)(R(1, 1, 5, 5)),
                      RuntimeError)


def distances():
    check_signature("CosineSimilarity")
    pairs = [(R(4, 6), R(4, 6)), (R(4, 6), R(1, 6)), (R(2, 6, 3), R(2, 6, 3)), (R(6), R(6)),
             (torch.zeros(4, 6), R(4, 6))]
    for args, kw in [((), {}), ((-1,), {}), ((0,), {"eps": 1e-3}), ((), {"dim": 1, "eps": 0.5})]:
        d = args[0] if args else kw.get("dim", 1)
        ins = [p for p in pairs if p[0].dim() > max(d, -1 - d) or (p[0].dim() == 1 and d in (0, -1))]
        case("CosineSimilarity", args, kw, inputs=ins)
    check_signature("PairwiseDistance")
    pairs = [(R(4, 6), R(4, 6)), (R(4, 6), R(1, 6)), (R(6), R(6)), (R(3, 6), R(3, 6) * 0)]
    for kw in [{}, {"p": 1.0}, {"keepdim": True}, {"p": 3.0, "eps": 1e-3}, {"p": float("inf")}, {"p": 0.5, "keepdim": True}]:
        case("PairwiseDistance", (), kw, inputs=pairs)


def check_rnn_signature(name):
    """torch.nn.LSTM / GRU declare (*args, **kwargs) and pass them on to
    RNNBase(mode, ...): compare with RNNBase's parameters minus mode (and
    minus proj_size for GRU, which rejects it), as their documented overloads."""
    def run():
        t = inspect.signature(tnn.RNNBase.__init__).parameters
        drop = ("mode", "device", "dtype") + (("proj_size",) if name == "GRU" else ())
        tv = [(p.name, p.kind, p.default) for p in t.values() if p.name not in drop]
        mv = [(p.name, p.kind, p.default) for p in inspect.signature(getattr(P, name).__init__).parameters.values()]
        assert tv == mv, "torch %s vs prelude %s" % (tv, mv)
    check(name + " signature (RNNBase minus mode)", run)


def recurrent():
    I, H, T, N = 5, 7, 6, 3
    for name in ("LSTM", "GRU"):
        check_rnn_signature(name)
        cfgs = [((I, H), {}), ((I, H, 2), {}), ((I, H), {"bias": False}), ((I, H), {"batch_first": True}),
                ((I, H), {"bidirectional": True}), ((I, H, 2), {"bidirectional": True, "bias": False}),
                ((I, H, 3), {"bidirectional": True, "batch_first": True}), ((I, H, 2, True, True, 0.0, True), {}),
                ((1, 1), {}), ((I, H, 2), {"dropout": 0.4}), ((I, H, 3), {"dropout": 0.5, "bidirectional": True})]
        for args, kw in cfgs:
            i, h = args[0], args[1]
            layers = args[2] if len(args) > 2 else kw.get("num_layers", 1)
            bf = args[4] if len(args) > 4 else kw.get("batch_first", False)
            dirs = 2 if (args[6] if len(args) > 6 else kw.get("bidirectional", False)) else 1
            x = R(N, T, i) if bf else R(T, N, i)
            h0 = R(layers * dirs, N, h)
            hx = (h0, R(layers * dirs, N, h)) if name == "LSTM" else h0
            u0 = R(layers * dirs, h)
            uhx = (u0, R(layers * dirs, h)) if name == "LSTM" else u0
            ins = [(x,), (x, hx), (R(T, i),), (R(1, i), uhx), (R(T, 1, i) if not bf else R(1, T, i),)]
            dropout = (args[5] if len(args) > 5 else kw.get("dropout", 0.0)) > 0
            case(name, args, kw, inputs=ins, seeded=dropout)
        case(name, (16, 32, 2), {"bidirectional": True}, inputs=[(R(9, 4, 16),)], label=name + "(16, 32, 2) large")

        def bound(name=name):
            torch.manual_seed(3)
            m = getattr(P, name)(16, 64, 2, bidirectional=True)
            b = 1.0 / 8
            for k, v in m.state_dict().items():
                v = v.detach()
                assert v.abs().max() <= b + 1e-7 and v.abs().max() > 0.9 * b, k + " not U(-1/sqrt(H), 1/sqrt(H))"
            assert list(m._flat_weights_names) == list(m.state_dict().keys()), "_flat_weights order"
            return "bound %.4f" % b
        check(name + "(16, 64, 2, bidirectional=True) init bound, _flat_weights order", bound)

        x = R(T, N, I)
        raises_like_torch(name + " 4-D input raises",
                          lambda ns, name=name: getattr(ns, name)(I, H)(R(2, T, N, I)), ValueError)
        raises_like_torch(name + " input_size mismatch raises",
                          lambda ns, name=name: getattr(ns, name)(I, H)(R(T, N, I + 1)), RuntimeError)
        bad_h = R(1, N + 1, H)
        bad = (bad_h, R(1, N + 1, H)) if name == "LSTM" else bad_h
        raises_like_torch(name + " hidden size mismatch raises",
                          lambda ns, name=name, bad=bad: getattr(ns, name)(I, H)(x, bad), RuntimeError)
        bad = (R(N, H), R(N, H)) if name == "LSTM" else R(N, H)
        raises_like_torch(name + " 2-D hx for batched input raises",
                          lambda ns, name=name, bad=bad: getattr(ns, name)(I, H)(x, bad), RuntimeError)
        raises_like_torch(name + "(dropout=1.5) raises",
                          lambda ns, name=name: getattr(ns, name)(I, H, dropout=1.5), ValueError)
        raises_like_torch(name + "(hidden_size=0) raises", lambda ns, name=name: getattr(ns, name)(I, 0), ValueError)
    expect_raise("LSTM(5, 7, proj_size=3)", lambda: P.LSTM(5, 7, proj_size=3), NotImplementedError,
                 "documented prelude limitation")
    raises_like_torch("LSTM(5, 7, proj_size=7) raises", lambda ns: ns.LSTM(5, 7, proj_size=7), ValueError)


def attention():
    check_signature("MultiheadAttention")
    E, H, L, S, N = 8, 2, 5, 6, 3

    def inputs(batch_first, cross):
        q = R(N, L, E) if batch_first else R(L, N, E)
        if not cross:
            return (q, q, q)
        kv = R(N, S, E) if batch_first else R(S, N, E)
        return (q, kv, R(*kv.shape))

    causal_bool = torch.triu(torch.ones(L, L, dtype=torch.bool), 1)
    kpm_bool = torch.zeros(N, S, dtype=torch.bool)
    kpm_bool[0, -2:] = True
    kpm_bool[2, 0] = True
    kpm_self = kpm_bool[:, :L]
    float_mask3 = R(N * H, L, S)
    fwd_variants = [
        ("", False, {}),
        ("need_weights=False", False, {"need_weights": False}),
        ("average_attn_weights=False", False, {"average_attn_weights": False}),
        ("cross", True, {}),
        ("cross need_weights=False", True, {"need_weights": False}),
        ("bool attn_mask", False, {"attn_mask": causal_bool}),
        ("bool attn_mask, need_weights=False", False, {"attn_mask": causal_bool, "need_weights": False}),
        ("causal hint", False, {"attn_mask": causal_bool, "is_causal": True, "need_weights": False}),
        ("key_padding_mask", True, {"key_padding_mask": kpm_bool}),
        ("key_padding_mask, need_weights=False", True, {"key_padding_mask": kpm_bool, "need_weights": False}),
        ("float 3D mask", True, {"attn_mask": float_mask3, "average_attn_weights": False}),
        ("float 3D mask + float kpm, need_weights=False", True,
         {"attn_mask": float_mask3, "key_padding_mask": torch.zeros(N, S).masked_fill(kpm_bool, -1e4),
          "need_weights": False}),
        ("both masks", False, {"attn_mask": causal_bool, "key_padding_mask": kpm_self}),
    ]
    cfgs = [{}, {"batch_first": True}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True},
            {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}, {"dropout": 0.2},
            {"kdim": E, "vdim": E}]
    for kw in cfgs:
        bf = kw.get("batch_first", False)
        vs = fwd_variants if kw in ({}, {"batch_first": True}) else \
            [v for v in fwd_variants if v[0] in ("", "need_weights=False", "key_padding_mask", "both masks", "cross")]
        for vname, cross, fk in vs:
            label = fmt("MultiheadAttention", (E, H), kw) + (" fwd[" + vname + "]" if vname else "")
            case("MultiheadAttention", (E, H), kw, inputs=[inputs(bf, cross)], fwd_kwargs=fk, label=label,
                 seeded=kw.get("dropout", 0.0) > 0)
    # Unbatched input (batch_first is ignored for 2-D inputs).
    for kw in [{}, {"batch_first": True}]:
        q = R(L, E)
        for fk in [{}, {"need_weights": False}, {"key_padding_mask": kpm_self[0], "attn_mask": causal_bool}]:
            case("MultiheadAttention", (E, H), kw, inputs=[(q, q, q)], fwd_kwargs=fk,
                 label=fmt("MultiheadAttention", (E, H), kw) + " unbatched " + str(sorted(fk)))
    # torch's native fast path (eval, no_grad, batch_first self-attention).
    q = R(N, L, E)
    for fk in [{}, {"need_weights": False}, {"key_padding_mask": kpm_self}]:
        case("MultiheadAttention", (E, H), {"batch_first": True}, inputs=[(q, q, q)], fwd_kwargs=fk, modes=("eval",),
             nograd=True, label="MultiheadAttention(8, 2, batch_first=True) fast-path " + str(sorted(fk)))
    expect_raise("MultiheadAttention(8, 2, kdim=4)", lambda: P.MultiheadAttention(8, 2, kdim=4), NotImplementedError,
                 "documented prelude limitation")

    def init():
        torch.manual_seed(5)
        m = P.MultiheadAttention(64, 4, add_bias_kv=True)
        b = math.sqrt(6.0 / (64 + 3 * 64))
        w = m.in_proj_weight.detach()
        assert w.abs().max() <= b + 1e-7 and w.abs().max() > 0.95 * b, "in_proj not xavier_uniform"
        assert torch.all(m.in_proj_bias == 0) and torch.all(m.out_proj.bias == 0), "biases not zero"
        assert m.out_proj.weight.abs().max() <= 1 / 8 + 1e-7, "out_proj not kaiming-uniform"
        return "in_proj bound %.4f absmax %.4f" % (b, w.abs().max())
    check("MultiheadAttention(64, 4) init (xavier in_proj, zero biases)", init)
    case("MultiheadAttention", (64, 4), {"add_bias_kv": True}, label="MultiheadAttention(64, 4, add_bias_kv=True) large")


def main():
    print("torch", torch.__version__)
    for section in (linear_and_conv, norms, embedding_dropout, activations, pooling_shape, resampling_padding,
                    distances, attention, recurrent):
        print("== " + section.__name__)
        section()
    print("%d checks, %d failed" % (COUNT[0], len(FAILS)))
    if FAILS:
        for f in FAILS:
            print(f)
        sys.exit(1)
    print("ALL OK")


if __name__ == "__main__":
    main()
