"""Reference cases for conversions and tensor metadata
(runtime/src/ops/convert.rs). Casts are exact: out-of-range float → int
values follow PyTorch on x86-64 (through int32 for types up to 32 bits,
`INT_MIN` when out of range); NaN → int is left out (implementation
defined).
"""
import torch

from common import case, rand

F16, BF16, F64 = torch.float16, torch.bfloat16, torch.float64
EXACT = dict(rtol=0.0, atol=0.0)

SPECIAL = [-1.5, -0.5, 0.7, 255.9, 256.3, 300.7, -129.5, 1e10, -1e10, 3e9, 65519.0, 65520.0, 1e-8, -0.0,
           float("inf"), float("-inf")]
INTS = [0, 1, -1, 127, 128, 255, 256, -129, 300, 2**31, -(2**31) - 1, 2**53 + 1, 2**62 + 12345, -(2**63)]
ALL = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, F16, BF16, torch.float32, F64]


def name(dt):
    return str(dt).replace("torch.", "")


def method(m):
    return lambda x, *a, **k: getattr(x, m)(*a, **k)


SOURCES = {
    "f32": torch.tensor(SPECIAL, dtype=torch.float32),
    "f64": torch.tensor(SPECIAL, dtype=F64),
    "f16": torch.tensor(SPECIAL, dtype=torch.float32).to(F16),
    "bf16": torch.tensor(SPECIAL, dtype=torch.float32).to(BF16),
    "i64": torch.tensor(INTS, dtype=torch.int64),
    "i32": torch.tensor(INTS, dtype=torch.int64).to(torch.int32),
    "u8": torch.arange(0, 256, 7, dtype=torch.int64).to(torch.uint8),
    "i8": torch.arange(-128, 128, 9, dtype=torch.int64).to(torch.int8),
    "bool": torch.tensor([True, False, True]),
}

CASES = []
for sname, src in SOURCES.items():
    for dt in ALL:
        CASES.append(case(f"to_{sname}_{name(dt)}", "to", [src, dt], **EXACT))

X = rand(3, 4)
XT = rand(4, 3).t()
XI = rand(3, 4, dtype=torch.int32, low=-100, high=100)

CASES += [
    case("to_strided", "to", [rand(4, 6)[:, ::2], torch.int64], **EXACT),
    case("to_transposed", "to", [XT, F64], **EXACT),
    case("to_expanded", "to", [rand(3, 1).expand(3, 4), F16], **EXACT),
    case("to_0d", "to", [torch.tensor(2.75), torch.int32], **EXACT),
    case("to_empty", "to", [rand(0, 3), F64], **EXACT),
    case("to_same_dtype", "to", [X, torch.float32], **EXACT),
    case("to_copy", "to", [X, torch.float32], {"copy": True}, **EXACT),
    case("to_kw_dtype", "to", [XI], {"dtype": F64}, **EXACT),
    case("to_device", "to", [X, "cpu"], **EXACT),
    case("to_device_dtype", "to", [XI, "cpu", F16], **EXACT),
    case("to_device_kw", "to", [XI], {"device": "cpu", "dtype": torch.float32}, **EXACT),
    case("to_other", "to", [XI, rand(2, dtype=F64)], **EXACT),
    case("to_big_f32", "to", [rand(300, 400, low=-1000.0, high=1000.0), torch.int32], **EXACT),
    case("to_big_f16", "to", [rand(300, 400, low=-1000.0, high=1000.0), F16], **EXACT),
    case("to_cuda", "to", [X, "cuda"], error=True),
    case("type_as", "type_as", [XI, X], **EXACT),
    case("type_as_bool", "type_as", [X, rand(2, dtype=torch.bool)], **EXACT),
]
for m, src in [("float", XI), ("double", X), ("half", X), ("bfloat16", X), ("long", X), ("int", X),
               ("short", XI), ("char", XI), ("byte", XI), ("bool", X)]:
    CASES.append(case(f"method_{m}", m, [src], fn=method(m), **EXACT))
CASES += [
    case("method_float_t", "float", [XT.to(F64)], fn=method("float"), **EXACT),
    case("method_long_0d", "long", [torch.tensor(-3.9)], fn=method("long"), **EXACT),
    # item / tolist
    case("item_float", "item", [torch.tensor(2.5)], **EXACT),
    case("item_f16", "item", [torch.tensor(0.1, dtype=F16)], **EXACT),
    case("item_int", "item", [torch.tensor([7], dtype=torch.int32)], **EXACT),
    case("item_bool", "item", [torch.tensor([[True]])], **EXACT),
    case("item_view", "item", [rand(3, 4)[1:2, 2]], **EXACT),
    case("item_many", "item", [X], error=True),
    case("item_empty", "item", [rand(0)], error=True),
    case("tolist_2d", "tolist", [X], **EXACT),
    case("tolist_t", "tolist", [XT], **EXACT),
    case("tolist_int", "tolist", [XI[:2, :2]], **EXACT),
    case("tolist_bool", "tolist", [rand(2, 2, dtype=torch.bool)], **EXACT),
    case("tolist_0d", "tolist", [torch.tensor(3)], **EXACT),
    case("detach", "detach", [XT], **EXACT),
    case("cpu", "cpu", [X], fn=torch.Tensor.cpu, **EXACT),
    # metadata
    case("size", "size", [rand(2, 3, 4)]),
    case("size_0d", "size", [torch.tensor(1.0)]),
    case("size_dim", "size", [rand(2, 3, 4), 1]),
    case("size_neg_dim", "size", [rand(2, 3, 4), -1]),
    case("size_kw_dim", "size", [rand(2, 3, 4)], {"dim": 0}),
    case("size_bad_dim", "size", [rand(2, 3), 2], error=True),
    case("size_0d_dim", "size", [torch.tensor(1.0), 0], error=True),
    case("dim", "dim", [rand(2, 3, 4)]),
    case("dim_0d", "dim", [torch.tensor(1.0)]),
    case("ndimension", "ndimension", [rand(5)]),
    case("numel", "numel", [rand(2, 3, 4)]),
    case("numel_empty", "numel", [rand(2, 0)]),
    case("nelement", "nelement", [XT]),
    case("element_size_f32", "element_size", [X]),
    case("element_size_f16", "element_size", [X.half()]),
    case("element_size_bool", "element_size", [rand(2, dtype=torch.bool)]),
    case("element_size_i64", "element_size", [rand(2, dtype=torch.int64)]),
    case("is_contiguous", "is_contiguous", [X]),
    case("is_contiguous_t", "is_contiguous", [XT]),
    case("is_contiguous_expand", "is_contiguous", [rand(3, 1).expand(3, 4)]),
    case("is_contiguous_unit", "is_contiguous", [rand(3, 1).t()]),
    case("is_floating_point", "is_floating_point", [X]),
    case("is_floating_point_int", "is_floating_point", [XI]),
    case("is_floating_point_bf16", "is_floating_point", [X.bfloat16()]),
    case("is_nonzero_true", "is_nonzero", [torch.tensor([2.5])]),
    case("is_nonzero_false", "is_nonzero", [torch.tensor(0)]),
    case("is_nonzero_nan", "is_nonzero", [torch.tensor([[float("nan")]])]),
    case("is_nonzero_many", "is_nonzero", [X], error=True),
    case("is_nonzero_empty", "is_nonzero", [rand(0)], error=True),
]
