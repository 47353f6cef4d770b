"""Shared machinery for the PyTorch reference cases of the op library.

Each module in `cases/` defines `CASES`, a list built with `case(...)`.
`gen.py` runs them through PyTorch and writes, per module,
`data/<module>.json` (the calls) and `data/<module>.safetensors` (every
input's storage and every expected output). The Rust test
`tests/reference.rs` replays each call through `tsc_runtime::call` and
compares.

A case names a registry op (`op`), its positional `args` and keyword
`kwargs` (Python values: tensors, ints, floats, bools, str, None, lists,
tuples, torch dtypes), and `fn`, the PyTorch callable that computes the
reference (default: `torch.<op>`, else `torch.nn.functional.<op>`, else the
`Tensor.<op>` method). Tensor arguments may be non-contiguous views: the
whole storage is saved with the view's shape, strides and offset, and the
Rust side rebuilds the same view with `as_strided`.

Outputs: a tensor -> one output; a tuple/list -> one per item (nested
flattened); a Python number -> a 0-d tensor (int -> int64, float ->
float64, bool -> bool). `check_inputs=[i, ...]` also compares argument i
after the call (in-place ops). `error=True` expects the op to fail (the
Rust side requires an `Err`, never a panic).
"""
import math
import torch
import torch.nn.functional as F


class Case:
    def __init__(self, name, op, args, kwargs, fn, rtol, atol, check_inputs, error):
        self.name, self.op, self.args, self.kwargs = name, op, list(args), dict(kwargs)
        self.fn, self.rtol, self.atol = fn, rtol, atol
        self.check_inputs, self.error = list(check_inputs), error


def case(name, op, args, kwargs=None, fn=None, rtol=1e-5, atol=1e-6, check_inputs=(), error=False):
    return Case(name, op, args, kwargs or {}, fn, rtol, atol, check_inputs, error)


def default_fn(op):
    for ns in (torch, F, torch.special):
        f = getattr(ns, op, None)
        if f is not None:
            return f
    m = getattr(torch.Tensor, op, None)
    if m is not None:
        return m
    raise KeyError(f"no torch function or method named {op}")


def rand(*shape, dtype=torch.float32, gen=None, low=-2.0, high=2.0):
    """Deterministic test data; ints in [low, high), bools half true."""
    g = gen or torch.Generator().manual_seed(hash(shape) & 0xFFFF)
    if dtype == torch.bool:
        return torch.rand(*shape, generator=g) > 0.5
    if dtype.is_floating_point:
        return (torch.rand(*shape, generator=g, dtype=torch.float64) * (high - low) + low).to(dtype)
    return torch.randint(int(low), int(high), shape, generator=g, dtype=dtype)


class Writer:
    def __init__(self):
        self.tensors = {}
        self.counter = 0

    def key(self, prefix):
        self.counter += 1
        return f"{prefix}.{self.counter}"

    def encode(self, v, prefix):
        if isinstance(v, torch.Tensor):
            k = self.key(prefix)
            storage_numel = v.untyped_storage().nbytes() // v.element_size()
            base = torch.as_strided(v, (storage_numel,), (1,), 0).clone()
            self.tensors[k] = base
            return {"tensor": k, "shape": list(v.shape), "strides": list(v.stride()), "offset": v.storage_offset()}
        if v is None:
            return {"none": None}
        if isinstance(v, bool):
            return {"bool": v}
        if isinstance(v, int):
            return {"int": v}
        if isinstance(v, float):
            return {"float": v if math.isfinite(v) else repr(v)}
        if isinstance(v, str):
            return {"str": v}
        if isinstance(v, torch.dtype):
            return {"dtype": str(v).replace("torch.", "")}
        if isinstance(v, list):
            return {"list": [self.encode(x, prefix) for x in v]}
        if isinstance(v, tuple):
            return {"tuple": [self.encode(x, prefix) for x in v]}
        raise TypeError(f"cannot encode {type(v)}")

    def outputs(self, v, prefix):
        if isinstance(v, (tuple, list)):
            out = []
            for x in v:
                out += self.outputs(x, prefix)
            return out
        k = self.key(prefix)
        if isinstance(v, torch.Tensor):
            self.tensors[k] = v.detach().contiguous().clone()
        elif isinstance(v, bool):
            self.tensors[k] = torch.tensor(v)
        elif isinstance(v, int):
            self.tensors[k] = torch.tensor(v, dtype=torch.int64)
        elif isinstance(v, float):
            self.tensors[k] = torch.tensor(v, dtype=torch.float64)
        else:
            raise TypeError(f"cannot store output {type(v)}")
        return [k]


def clone_arg(v):
    """Copies tensors, keeping shape, strides and offset, so an in-place
    reference cannot change the inputs that get saved."""
    if isinstance(v, torch.Tensor):
        n = v.untyped_storage().nbytes() // v.element_size()
        store = torch.as_strided(v, (n,), (1,), 0).clone()
        return torch.as_strided(store, v.shape, v.stride(), v.storage_offset())
    if isinstance(v, list):
        return [clone_arg(x) for x in v]
    if isinstance(v, tuple):
        return tuple(clone_arg(x) for x in v)
    return v


def run_case(c, w):
    rec = {"name": c.name, "op": c.op, "rtol": c.rtol, "atol": c.atol, "error": c.error}
    rec["args"] = [w.encode(a, c.name) for a in c.args]
    rec["kwargs"] = {k: w.encode(v, c.name) for k, v in c.kwargs.items()}
    fn = c.fn or default_fn(c.op)
    args = [clone_arg(a) for a in c.args]
    kwargs = {k: clone_arg(v) for k, v in c.kwargs.items()}
    if c.error:
        try:
            fn(*args, **kwargs)
        except Exception:
            rec["outputs"] = []
            return rec
        raise AssertionError(f"case {c.name}: expected PyTorch to raise")
    torch.manual_seed(0)
    out = fn(*args, **kwargs)
    rec["outputs"] = w.outputs(out, c.name)
    rec["checked_inputs"] = [{"index": i, "outputs": w.outputs(args[i], c.name)} for i in c.check_inputs]
    return rec
