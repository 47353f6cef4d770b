"""Reference cases for the activation functions (runtime/src/ops/activation.rs)."""
import torch
import torch.nn.functional as F

from common import case, rand

NAN, INF = float("nan"), float("inf")
SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, -3.0, 6.0, 7.0, 19.0, 21.0, 100.0, -100.0, 1e-7]
F16 = dict(rtol=2e-3, atol=1e-3)
BF16 = dict(rtol=1e-2, atol=1e-2)


def special(dtype=torch.float32):
    return torch.tensor(SPECIAL, dtype=dtype)


# name -> (torch reference, extra kwargs for the typical case)
ELEMENTWISE = {
    "relu": (F.relu, {}),
    "relu6": (F.relu6, {}),
    "gelu": (F.gelu, {}),
    "silu": (F.silu, {}),
    "mish": (F.mish, {}),
    "leaky_relu": (F.leaky_relu, {}),
    "elu": (F.elu, {}),
    "selu": (F.selu, {}),
    "celu": (F.celu, {}),
    "softplus": (F.softplus, {}),
    "hardtanh": (F.hardtanh, {}),
    "hardswish": (F.hardswish, {}),
    "hardsigmoid": (F.hardsigmoid, {}),
    "softsign": (F.softsign, {}),
    "tanhshrink": (F.tanhshrink, {}),
    "hardshrink": (F.hardshrink, {}),
    "softshrink": (F.softshrink, {}),
    "logsigmoid": (F.logsigmoid, {}),
    "rrelu": (F.rrelu, {}),
    "threshold": (F.threshold, {"threshold": 0.5, "value": -2.0}),
}
INT_OK = {"relu", "relu6", "hardtanh", "threshold", "softsign", "tanhshrink"}
INPLACE = {"relu", "relu6", "silu", "mish", "leaky_relu", "elu", "selu", "celu", "hardtanh", "hardswish",
           "hardsigmoid", "rrelu", "threshold"}

CASES = []

for op, (fn, kw) in ELEMENTWISE.items():
    c = CASES.append
    c(case(f"{op}_f32", op, [rand(3, 4, low=-4.0, high=4.0)], kw, fn=fn))
    c(case(f"{op}_f64", op, [rand(3, 4, dtype=torch.float64, low=-4.0, high=4.0)], kw, fn=fn))
    c(case(f"{op}_t", op, [rand(4, 3, low=-4.0, high=4.0).t()], kw, fn=fn))
    c(case(f"{op}_stride", op, [rand(3, 8, low=-4.0, high=4.0)[:, 1::2]], kw, fn=fn))
    c(case(f"{op}_expand", op, [rand(1, 4, low=-4.0, high=4.0).expand(3, 4)], kw, fn=fn))
    c(case(f"{op}_transpose3d", op, [rand(2, 3, 4, low=-4.0, high=4.0).transpose(0, 1)], kw, fn=fn))
    c(case(f"{op}_empty", op, [rand(0, 3)], kw, fn=fn))
    c(case(f"{op}_0d", op, [rand(2, low=-4.0, high=4.0)[1]], kw, fn=fn))
    c(case(f"{op}_special_f32", op, [special()], kw, fn=fn))
    c(case(f"{op}_special_f64", op, [special(torch.float64)], kw, fn=fn))
    c(case(f"{op}_f16", op, [rand(3, 4, dtype=torch.float16, low=-4.0, high=4.0)], kw, fn=fn, **F16))
    c(case(f"{op}_bf16", op, [rand(3, 4, dtype=torch.bfloat16, low=-4.0, high=4.0)], kw, fn=fn, **BF16))
    c(case(f"{op}_big", op, [rand(200, 200, low=-6.0, high=6.0)], kw, fn=fn))
    ints = torch.tensor([-3, -1, 0, 1, 2, 7])
    c(case(f"{op}_int64", op, [ints], kw, fn=fn, error=op not in INT_OK))
    c(case(f"{op}_int32", op, [ints.to(torch.int32)], kw, fn=fn, error=op not in INT_OK))
    c(case(f"{op}_bool", op, [torch.tensor([True, False])], kw, fn=fn, error=True))
    if op in INPLACE:
        c(case(f"{op}_inplace", op, [rand(3, 4, low=-4.0, high=4.0)], {**kw, "inplace": True}, fn=fn, check_inputs=[0]))
        c(case(f"{op}_inplace_t", op, [rand(4, 3, low=-4.0, high=4.0).t()], {**kw, "inplace": True}, fn=fn, check_inputs=[0]))
        c(case(f"{op}__derived", op + "_", [rand(3, 4, low=-4.0, high=4.0)], kw, fn=lambda x, _f=fn, **k: _f(x, inplace=True, **k), check_inputs=[0]))

CASES += [
    # gelu
    case("gelu_tanh", "gelu", [rand(3, 4, low=-4.0, high=4.0)], {"approximate": "tanh"}, fn=F.gelu),
    case("gelu_tanh_f64", "gelu", [rand(3, 4, dtype=torch.float64, low=-4.0, high=4.0)], {"approximate": "tanh"}, fn=F.gelu),
    case("gelu_tanh_special", "gelu", [special()], {"approximate": "tanh"}, fn=F.gelu),
    case("gelu_tanh_big", "gelu", [rand(200, 200, low=-6.0, high=6.0)], {"approximate": "tanh"}, fn=F.gelu),
    case("gelu_tanh_f16", "gelu", [rand(3, 4, dtype=torch.float16, low=-4.0, high=4.0)], {"approximate": "tanh"}, fn=F.gelu, **F16),
    case("gelu_none_kw", "gelu", [rand(5)], {"approximate": "none"}, fn=F.gelu),
    case("gelu_bad_approx", "gelu", [rand(5)], {"approximate": "fast"}, fn=F.gelu, error=True),
    # parameters
    case("leaky_relu_slope", "leaky_relu", [special()], {"negative_slope": 0.2}, fn=F.leaky_relu),
    case("leaky_relu_pos", "leaky_relu", [rand(3, 4), 0.3], fn=F.leaky_relu),
    case("leaky_relu_neg_slope", "leaky_relu", [rand(3, 4)], {"negative_slope": -1.5}, fn=F.leaky_relu),
    case("elu_alpha", "elu", [special()], {"alpha": 0.5}, fn=F.elu),
    case("elu_alpha_f64", "elu", [special(torch.float64)], {"alpha": 2.0}, fn=F.elu),
    case("elu_scaled", "elu", [special(), 1.5, 2.0, 0.5], fn=torch._C._nn.elu),
    case("elu_scaled_kw", "elu", [rand(3, 4, dtype=torch.float64)], {"alpha": 1.5, "scale": 2.0, "input_scale": 0.5},
         fn=torch._C._nn.elu),
    case("celu_alpha", "celu", [special()], {"alpha": 2.0}, fn=F.celu),
    case("celu_alpha_f64", "celu", [special(torch.float64)], {"alpha": 0.5}, fn=F.celu),
    case("celu_alpha0", "celu", [rand(3)], {"alpha": 0.0}, fn=F.celu, error=True),
    case("softplus_beta", "softplus", [special()], {"beta": 2.0, "threshold": 10.0}, fn=F.softplus),
    case("softplus_beta_f64", "softplus", [special(torch.float64)], {"beta": 0.5, "threshold": 5.0}, fn=F.softplus),
    case("softplus_pos", "softplus", [rand(3, 4, low=-10.0, high=30.0), 3, 15], fn=F.softplus),
    case("softplus_threshold_edge", "softplus", [torch.tensor([19.9, 20.0, 20.1, -30.0, -90.0])], fn=F.softplus),
    case("hardtanh_bounds", "hardtanh", [special()], {"min_val": -2.0, "max_val": 0.5}, fn=F.hardtanh),
    case("hardtanh_pos", "hardtanh", [rand(3, 4, dtype=torch.float64), -0.5, 0.25], fn=F.hardtanh),
    case("hardtanh_int_bounds", "hardtanh", [torch.tensor([-3, -1, 0, 1, 2, 7])], {"min_val": -1.5, "max_val": 2.5},
         fn=F.hardtanh),
    case("hardtanh_bad", "hardtanh", [rand(3)], {"min_val": 2.0, "max_val": 1.0}, fn=F.hardtanh, error=True),
    case("hardshrink_lambd", "hardshrink", [special()], {"lambd": 1.0}, fn=F.hardshrink),
    case("hardshrink_neg_lambd", "hardshrink", [special()], {"lambd": -1.0}, fn=F.hardshrink),
    case("hardshrink_int", "hardshrink", [torch.tensor([1, -2])], fn=F.hardshrink, error=True),
    # half types: hardshrink rounds lambd to the dtype, threshold compares in float32
    case("hardshrink_f16_lambd", "hardshrink", [torch.tensor([0.10002, -0.10002, 0.2, 0.05], dtype=torch.float16)],
         {"lambd": 0.10002}, fn=F.hardshrink, **F16),
    case("hardshrink_bf16_lambd", "hardshrink", [torch.tensor([0.10002, -0.10002, 0.2, 0.05], dtype=torch.bfloat16)],
         {"lambd": 0.10002}, fn=F.hardshrink, **BF16),
    case("threshold_f16_scalar", "threshold", [torch.tensor([0.10002, -0.10002, 0.2, 0.05], dtype=torch.float16)],
         {"threshold": 0.10002, "value": 5.0}, fn=F.threshold, **F16),
    case("softshrink_lambd", "softshrink", [special(torch.float64)], {"lambd": 2.0}, fn=F.softshrink),
    case("softshrink_neg_lambd", "softshrink", [rand(3)], {"lambd": -1.0}, fn=F.softshrink, error=True),
    case("threshold_pos", "threshold", [special(), 1.0, 20.0], fn=F.threshold),
    case("threshold_nan_value", "threshold", [special(torch.float64)], {"threshold": -0.5, "value": NAN}, fn=F.threshold),
    case("threshold_int_frac", "threshold", [torch.tensor([-1, 0, 1, 2])], {"threshold": 1.5, "value": 5.5},
         fn=F.threshold),
    case("threshold_int32_args", "threshold", [torch.tensor([-1, 0, 1, 2], dtype=torch.int32), 0.5, -7.0], fn=F.threshold),
    case("torch_threshold", "threshold", [rand(3, 4), 0.1, 20.0], fn=torch.threshold),
    case("rrelu_bounds", "rrelu", [special()], {"lower": 0.1, "upper": 0.5, "training": False}, fn=F.rrelu),
    case("rrelu_pos", "rrelu", [rand(3, 4, dtype=torch.float64), 0.2, 0.4], fn=F.rrelu),
    case("relu_int8", "relu", [torch.tensor([-128, -1, 0, 5, 127], dtype=torch.int8)], fn=F.relu),
    case("relu_uint8", "relu", [torch.tensor([0, 3, 255], dtype=torch.uint8)], fn=F.relu),
    case("relu6_int_0d", "relu6", [torch.tensor(9)], fn=F.relu6),
    case("torch_relu", "relu", [rand(2, 3)], fn=torch.relu),
    case("tensor_relu", "relu", [rand(2, 3)], fn=torch.Tensor.relu),
    case("relu_kw_input", "relu", [], {"input": rand(2, 3)}, fn=F.relu),
    case("selu_f64_big", "selu", [rand(200, 200, dtype=torch.float64, low=-5.0, high=5.0)], fn=F.selu),
    # glu
    case("glu_last", "glu", [rand(3, 4)], fn=F.glu),
    case("glu_dim0", "glu", [rand(4, 3)], {"dim": 0}, fn=F.glu),
    case("glu_neg_dim", "glu", [rand(2, 6, 3)], {"dim": -2}, fn=F.glu),
    case("glu_pos_dim", "glu", [rand(2, 6, 3), 1], fn=F.glu),
    case("glu_f64", "glu", [rand(2, 8, dtype=torch.float64)], fn=F.glu),
    case("glu_t", "glu", [rand(4, 6).t()], fn=F.glu),
    case("glu_stride", "glu", [rand(4, 12)[:, ::3]], {"dim": 1}, fn=F.glu),
    case("glu_special", "glu", [torch.tensor(SPECIAL).reshape(2, 10)], {"dim": 0}, fn=F.glu),
    case("glu_empty", "glu", [rand(0, 4)], fn=F.glu),
    case("glu_empty_dim", "glu", [rand(3, 0)], fn=F.glu),
    case("glu_f16", "glu", [rand(3, 4, dtype=torch.float16)], fn=F.glu, **F16),
    case("glu_big", "glu", [rand(300, 400)], fn=F.glu),
    case("glu_odd", "glu", [rand(3, 3)], fn=F.glu, error=True),
    case("glu_0d", "glu", [torch.tensor(1.0)], fn=F.glu, error=True),
    case("glu_bad_dim", "glu", [rand(3, 4)], {"dim": 2}, fn=F.glu, error=True),
    case("glu_int", "glu", [torch.ones(2, 4, dtype=torch.int64)], fn=F.glu, error=True),
    # prelu
    case("prelu_one", "prelu", [rand(3, 4), torch.tensor([0.25])], fn=F.prelu),
    case("prelu_channels", "prelu", [rand(2, 3, 4), torch.tensor([0.1, -0.5, 2.0])], fn=F.prelu),
    case("prelu_channels_f64", "prelu", [rand(2, 3, 2, 2, dtype=torch.float64), torch.tensor([0.1, -0.5, 2.0], dtype=torch.float64)],
         fn=F.prelu),
    case("prelu_0d_weight", "prelu", [rand(3, 4), torch.tensor(0.5)], fn=F.prelu),
    case("prelu_0d_input", "prelu", [torch.tensor(-2.0), torch.tensor([0.25])], fn=F.prelu),
    case("prelu_1d_input", "prelu", [rand(5), torch.tensor([0.25])], fn=F.prelu),
    case("prelu_t", "prelu", [rand(4, 3).t(), torch.tensor([0.1, 0.2, 0.3, 0.4])], fn=F.prelu),
    case("prelu_weight_view", "prelu", [rand(2, 3, 2), rand(6)[::2]], fn=F.prelu),
    case("prelu_special", "prelu", [special().reshape(1, 20), torch.tensor([0.5])], fn=F.prelu),
    case("prelu_empty", "prelu", [rand(0, 3), torch.tensor([0.1, 0.2, 0.3])], fn=F.prelu),
    case("prelu_f16", "prelu", [rand(3, 4, dtype=torch.float16), torch.tensor([0.25], dtype=torch.float16)], fn=F.prelu, **F16),
    case("prelu_big", "prelu", [rand(64, 16, 40), rand(16)], fn=F.prelu),
    case("prelu_count_mismatch", "prelu", [rand(2, 3), torch.tensor([0.1, 0.2])], fn=F.prelu, error=True),
    case("prelu_1d_channels", "prelu", [rand(2), torch.tensor([0.1, 0.2])], fn=F.prelu, error=True),
    case("prelu_2d_weight", "prelu", [rand(2, 3), torch.tensor([[0.1, 0.2, 0.3]])], fn=F.prelu, error=True),
    case("prelu_dtype_mismatch", "prelu", [rand(2, 3), torch.tensor([0.1], dtype=torch.float64)], fn=F.prelu, error=True),
    case("prelu_int", "prelu", [torch.tensor([1, -2]), torch.tensor([1])], fn=F.prelu, error=True),
]
