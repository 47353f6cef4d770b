"""Reference cases for the unary math ops (runtime/src/ops/unary.rs)."""
import torch

from common import case, rand

NAN, INF = float("nan"), float("inf")
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 100.0, -100.0, 1e-7, 3e4, -3e4]
F16 = dict(rtol=2e-3, atol=1e-3)
BF16 = dict(rtol=1e-2, atol=1e-2)


def special(dtype=torch.float32):
    return torch.tensor(SPECIAL, dtype=dtype)


# float ops: name -> (low, high) of the typical inputs, and integer inputs
POS = (0.1, 5.0)
UNIT = (-0.99, 0.99)
FLOAT_OPS = {
    "exp": (-5.0, 5.0), "exp2": (-5.0, 5.0), "expm1": (-5.0, 5.0),
    "log": POS, "log2": POS, "log10": POS, "log1p": (-0.9, 5.0),
    "sqrt": POS, "rsqrt": POS,
    "sin": (-4.0, 4.0), "cos": (-4.0, 4.0), "tan": (-1.2, 1.2),
    "asin": UNIT, "arcsin": UNIT, "acos": UNIT, "arccos": UNIT, "atan": (-4.0, 4.0), "arctan": (-4.0, 4.0),
    "sinh": (-4.0, 4.0), "cosh": (-4.0, 4.0), "tanh": (-4.0, 4.0),
    "asinh": (-4.0, 4.0), "arcsinh": (-4.0, 4.0), "acosh": (1.0, 5.0), "arccosh": (1.0, 5.0),
    "atanh": UNIT, "arctanh": UNIT,
    "sigmoid": (-6.0, 6.0), "erf": (-3.0, 3.0), "erfc": (-3.0, 5.0), "erfinv": UNIT,
    "lgamma": (0.1, 6.0), "digamma": (0.1, 6.0),
    "reciprocal": (0.2, 4.0), "deg2rad": (-360.0, 360.0), "rad2deg": (-4.0, 4.0),
}
INT_INPUT = {
    "asin": [-1, 0, 1], "arcsin": [-1, 0, 1], "acos": [-1, 0, 1], "arccos": [-1, 0, 1],
    "atanh": [-1, 0, 1], "arctanh": [-1, 0, 1], "erfinv": [-1, 0, 1],
    "acosh": [1, 2, 3, 7], "arccosh": [1, 2, 3, 7],
}

# ops that keep integer dtypes (bool: error unless listed in BOOL_OK)
KEEP_OPS = ["neg", "negative", "abs", "absolute", "floor", "ceil", "round", "trunc", "fix", "sign", "sgn", "square"]
BOOL_OK = {"sign", "sgn", "square"}
PRED_OPS = ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit", "logical_not"]

CASES = []


def add_float_op(op, lo, hi):
    c = CASES.append
    c(case(f"{op}_f32", op, [rand(3, 4, low=lo, high=hi)]))
    c(case(f"{op}_f64", op, [rand(3, 4, dtype=torch.float64, low=lo, high=hi)]))
    c(case(f"{op}_t", op, [rand(4, 3, low=lo, high=hi).t()]))
    c(case(f"{op}_stride", op, [rand(3, 8, low=lo, high=hi)[:, ::2]]))
    c(case(f"{op}_expand", op, [rand(1, 4, low=lo, high=hi).expand(3, 4)]))
    c(case(f"{op}_empty", op, [rand(0, 3, low=lo, high=hi)]))
    c(case(f"{op}_0d", op, [rand(2, low=lo, high=hi)[1]]))
    c(case(f"{op}_special_f32", op, [special()]))
    c(case(f"{op}_special_f64", op, [special(torch.float64)]))
    ints = INT_INPUT.get(op, [1, 2, 3] if lo > 0 else [-3, -1, 0, 2, 5])
    c(case(f"{op}_int64", op, [torch.tensor(ints)]))
    c(case(f"{op}_int32", op, [torch.tensor(ints, dtype=torch.int32)]))
    c(case(f"{op}_uint8", op, [torch.tensor([max(v, 0) for v in ints], dtype=torch.uint8)]))
    c(case(f"{op}_bool", op, [torch.tensor([True, False, True])]))
    c(case(f"{op}_f16", op, [rand(3, 4, dtype=torch.float16, low=lo, high=hi)], **F16))
    c(case(f"{op}_bf16", op, [rand(3, 4, dtype=torch.bfloat16, low=lo, high=hi)], **BF16))


for op, (lo, hi) in FLOAT_OPS.items():
    add_float_op(op, lo, hi)

# big inputs: the parallel split and the f32 kernel path
for op in ["exp", "log", "tanh", "sigmoid", "erf", "sin", "lgamma"]:
    lo, hi = FLOAT_OPS[op]
    CASES.append(case(f"{op}_big", op, [rand(240, 250, low=lo, high=hi)]))
CASES.append(case("exp_big_t", "exp", [rand(250, 240, low=-5.0, high=5.0).t()]))
CASES.append(case("sqrt_big_f64", "sqrt", [rand(200, 200, dtype=torch.float64, low=0.0, high=9.0)]))
CASES.append(case("abs_big_int", "abs", [rand(200, 200, dtype=torch.int64, low=-50, high=50)]))

for op in KEEP_OPS:
    c = CASES.append
    c(case(f"{op}_f32", op, [rand(3, 4, low=-3.0, high=3.0)]))
    c(case(f"{op}_f64", op, [rand(3, 4, dtype=torch.float64, low=-3.0, high=3.0)]))
    c(case(f"{op}_halves", op, [torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.0])]))
    c(case(f"{op}_t", op, [rand(4, 3).t()]))
    c(case(f"{op}_stride", op, [rand(3, 8)[:, ::2]]))
    c(case(f"{op}_expand", op, [rand(1, 4).expand(3, 4)]))
    c(case(f"{op}_empty", op, [rand(0, 3)]))
    c(case(f"{op}_0d", op, [torch.tensor(-1.25)]))
    c(case(f"{op}_special_f32", op, [special()]))
    c(case(f"{op}_special_f64", op, [special(torch.float64)]))
    c(case(f"{op}_int64", op, [torch.tensor([-5, -1, 0, 3, 2**62, -(2**63)])]))
    c(case(f"{op}_int32", op, [torch.tensor([-5, -1, 0, 3, 70000], dtype=torch.int32)]))
    c(case(f"{op}_int8", op, [torch.tensor([-128, -5, 0, 3, 127], dtype=torch.int8)]))
    c(case(f"{op}_uint8", op, [torch.tensor([0, 3, 200, 255], dtype=torch.uint8)]))
    c(case(f"{op}_int_0d", op, [torch.tensor(-7)]))
    c(case(f"{op}_f16", op, [rand(3, 4, dtype=torch.float16)], **F16))
    c(case(f"{op}_bf16", op, [rand(3, 4, dtype=torch.bfloat16)], **BF16))
    b = torch.tensor([True, False])
    c(case(f"{op}_bool", op, [b], error=op not in BOOL_OK))

for op in PRED_OPS:
    c = CASES.append
    c(case(f"{op}_f32", op, [special()]))
    c(case(f"{op}_f64", op, [special(torch.float64)]))
    c(case(f"{op}_neg_nan", op, [torch.tensor([NAN]).neg()]))
    c(case(f"{op}_f16", op, [special(torch.float16)]))
    c(case(f"{op}_bf16", op, [special(torch.bfloat16)]))
    c(case(f"{op}_t", op, [special().reshape(1, -1).expand(2, -1).t()]))
    c(case(f"{op}_empty", op, [rand(2, 0)]))
    c(case(f"{op}_0d", op, [torch.tensor(INF)]))
    c(case(f"{op}_int64", op, [torch.tensor([-2, 0, 5])]))
    c(case(f"{op}_uint8", op, [torch.tensor([0, 7], dtype=torch.uint8)]))
    c(case(f"{op}_bool", op, [torch.tensor([True, False])]))

CASES += [
    # round(decimals=)
    case("round_dec2", "round", [torch.tensor([1.2345, 2.675, -0.125, 125.0, NAN, INF])], {"decimals": 2}),
    case("round_dec2_f64", "round", [torch.tensor([1.2345, 2.675, -0.125, 125.0], dtype=torch.float64)], {"decimals": 2}),
    case("round_dec_neg", "round", [torch.tensor([1234.5, 250.0, 150.0, -50.0, 49.0])], {"decimals": -2}),
    case("round_dec0", "round", [torch.tensor([0.5, 1.5, -2.5])], {"decimals": 0}),
    case("round_dec_t", "round", [rand(4, 3, low=-10.0, high=10.0).t()], {"decimals": 1}),
    case("round_dec_f16", "round", [rand(3, 4, dtype=torch.float16, low=-10.0, high=10.0)], {"decimals": 1}, **F16),
    case("round_dec_int_err", "round", [torch.tensor([1, 2])], {"decimals": 1}, error=True),
    case("round_dec_bool_err", "round", [torch.tensor([True])], {"decimals": 0}, error=True),
    # frac: floats only
    case("frac_f32", "frac", [rand(3, 4, low=-5.0, high=5.0)]),
    case("frac_f64", "frac", [rand(3, 4, dtype=torch.float64, low=-5.0, high=5.0)]),
    case("frac_special", "frac", [special()]),
    case("frac_t", "frac", [rand(4, 3, low=-5.0, high=5.0).t()]),
    case("frac_empty", "frac", [rand(0)]),
    case("frac_0d", "frac", [torch.tensor(-2.75)]),
    case("frac_f16", "frac", [rand(3, 4, dtype=torch.float16, low=-5.0, high=5.0)], **F16),
    case("frac_int_err", "frac", [torch.tensor([1, 2])], error=True),
    case("frac_bool_err", "frac", [torch.tensor([True])], error=True),
    # positive
    case("positive_f32", "positive", [rand(2, 3)]),
    case("positive_t", "positive", [rand(3, 2).t()]),
    case("positive_int", "positive", [torch.tensor([-1, 2], dtype=torch.int32)]),
    case("positive_bool_err", "positive", [torch.tensor([True])], error=True),
    # nan_to_num
    case("nan_to_num_default", "nan_to_num", [special()]),
    case("nan_to_num_f64", "nan_to_num", [special(torch.float64)]),
    case("nan_to_num_f16", "nan_to_num", [special(torch.float16)]),
    case("nan_to_num_bf16", "nan_to_num", [special(torch.bfloat16)]),
    case("nan_to_num_kw", "nan_to_num", [special()], {"nan": 1.5, "posinf": 7.0, "neginf": -8.0}),
    case("nan_to_num_pos", "nan_to_num", [special(), 2.0], {"neginf": -1e300}),
    case("nan_to_num_t", "nan_to_num", [special().reshape(1, -1).expand(3, -1).t()], {"posinf": 1.0}),
    case("nan_to_num_empty", "nan_to_num", [rand(0, 2)]),
    case("nan_to_num_0d", "nan_to_num", [torch.tensor(NAN)], {"nan": -1.0}),
    case("nan_to_num_int", "nan_to_num", [torch.tensor([1, -2, 3])], {"nan": 1.5}),
    case("nan_to_num_bool", "nan_to_num", [torch.tensor([True, False])]),
    # bitwise_not
    case("bitwise_not_int64", "bitwise_not", [torch.tensor([0, -1, 5, 2**62])]),
    case("bitwise_not_int32", "bitwise_not", [torch.tensor([0, -1, 5], dtype=torch.int32)]),
    case("bitwise_not_uint8", "bitwise_not", [torch.tensor([0, 1, 255], dtype=torch.uint8)]),
    case("bitwise_not_int8", "bitwise_not", [torch.tensor([0, -128, 127], dtype=torch.int8)]),
    case("bitwise_not_bool", "bitwise_not", [torch.tensor([True, False])]),
    case("bitwise_not_t", "bitwise_not", [torch.arange(6).reshape(2, 3).t()]),
    case("bitwise_not_empty", "bitwise_not", [torch.zeros(0, dtype=torch.int64)]),
    case("bitwise_not_0d", "bitwise_not", [torch.tensor(9)]),
    case("bitwise_not_float_err", "bitwise_not", [torch.tensor([1.0])], error=True),
    case("bitwise_not_f16_err", "bitwise_not", [torch.tensor([1.0], dtype=torch.float16)], error=True),
    # logical_not on int/float dtypes
    case("logical_not_int32", "logical_not", [torch.tensor([0, 3, -1], dtype=torch.int32)]),
    # more special values for the special functions
    case("lgamma_neg", "lgamma", [torch.tensor([-0.5, -1.5, -2.5, -3.0, -1e-3, -10.3, 1.0, 2.0, 1e10, 3e38])]),
    case("lgamma_neg_f64", "lgamma", [torch.tensor([-0.5, -1.5, -2.5, -3.0, -1e-3, -10.3, 1.0, 2.0, 1e10, 1e300], dtype=torch.float64)]),
    case("digamma_neg", "digamma", [torch.tensor([-0.5, -1.5, -2.5, -3.0, -1e-3, -10.3, 1.0, 10.0, 1e10, 1e20])]),
    case("digamma_neg_f64", "digamma", [torch.tensor([-0.5, -1.5, -2.5, -3.0, -1e-3, -10.3, 1.0, 10.0, 1e10, 1e20], dtype=torch.float64)]),
    case("erfinv_edges", "erfinv", [torch.tensor([-1.0, 1.0, 1.5, -1.5, 0.0, -0.0, 0.7, 0.71, -0.9999, 1e-8])]),
    case("erfinv_edges_f64", "erfinv", [torch.tensor([-1.0, 1.0, 1.5, -1.5, 0.0, 0.7, 0.71, -0.999999, 1e-12], dtype=torch.float64)]),
    case("erfc_tail_f64", "erfc", [torch.tensor([2.0, 3.0, 5.0, 10.0, 20.0, 26.0, 30.0, -6.0], dtype=torch.float64)]),
    case("erfc_tail_f32", "erfc", [torch.tensor([2.0, 3.0, 5.0, 9.0, 10.0, -6.0])], atol=1e-30),
    case("exp_saturate", "exp", [torch.tensor([88.0, 89.0, -87.0, -104.0, 709.0])]),
    case("exp_saturate_f64", "exp", [torch.tensor([88.0, 89.0, -87.0, 709.0, 710.0, -745.0], dtype=torch.float64)]),
    case("tanh_saturate", "tanh", [torch.tensor([-100.0, -20.0, -9.0, 9.0, 20.0, 100.0, 1e-20])]),
    case("sigmoid_saturate", "sigmoid", [torch.tensor([-100.0, -88.0, -20.0, 20.0, 100.0])]),
    case("sign_neg_zero", "sign", [torch.tensor([-0.0, 0.0, NAN])]),
]
