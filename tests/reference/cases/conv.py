"""Reference cases: convolutions and transposed convolutions."""
import torch
import torch.nn.functional as F
from common import case, rand

f64, f16, bf16, i32, i64, u8 = torch.float64, torch.float16, torch.bfloat16, torch.int32, torch.int64, torch.uint8

X = rand(2, 3, 7, 6)
W = rand(4, 3, 3, 3)
Bv = rand(4)
X1 = rand(2, 3, 9)
W1 = rand(4, 3, 3)
HALF = dict(rtol=1e-2, atol=1e-2)
LOOSE = dict(rtol=1e-4, atol=1e-4)

CASES = [
    # ----- conv2d
    case("conv2d", "conv2d", [X, W, Bv], **LOOSE),
    case("conv2d_no_bias", "conv2d", [X, W], **LOOSE),
    case("conv2d_stride_pad", "conv2d", [X, W, Bv], {"stride": 2, "padding": 1}, **LOOSE),
    case("conv2d_asym", "conv2d", [X, rand(4, 3, 2, 3), Bv], {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}, **LOOSE),
    case("conv2d_dilation", "conv2d", [rand(1, 2, 9, 9), rand(3, 2, 3, 3)], {"dilation": 2, "padding": 2}, **LOOSE),
    case("conv2d_groups", "conv2d", [rand(2, 4, 5, 5), rand(6, 2, 3, 3), rand(6)], {"groups": 2, "padding": 1}, **LOOSE),
    case("conv2d_depthwise", "conv2d", [rand(1, 4, 6, 6), rand(4, 1, 3, 3)], {"groups": 4, "padding": 1}, **LOOSE),
    case("conv2d_1x1", "conv2d", [X, rand(5, 3, 1, 1), rand(5)], **LOOSE),
    case("conv2d_same", "conv2d", [X, W, Bv], {"padding": "same"}, **LOOSE),
    case("conv2d_same_even", "conv2d", [X, rand(2, 3, 4, 2)], {"padding": "same", "dilation": (1, 3)}, **LOOSE),
    case("conv2d_valid", "conv2d", [X, W, Bv], {"padding": "valid"}, **LOOSE),
    case("conv2d_unbatched", "conv2d", [rand(3, 7, 6), W, Bv], **LOOSE),
    case("conv2d_noncontig_input", "conv2d", [rand(2, 3, 6, 7).transpose(2, 3), W, Bv], **LOOSE),
    case("conv2d_noncontig_weight", "conv2d", [X, rand(3, 4, 3, 3).transpose(0, 1), rand(8)[::2]], **LOOSE),
    case("conv2d_sliced", "conv2d", [rand(2, 6, 7, 6)[:, ::2], W], **LOOSE),
    case("conv2d_empty_batch", "conv2d", [rand(0, 3, 7, 6), W, Bv]),
    case("conv2d_zero_channels", "conv2d", [rand(1, 0, 5, 5), rand(2, 0, 3, 3)]),
    case("conv2d_f64", "conv2d", [X.double(), W.double(), Bv.double()], {"stride": 2, "padding": 1}),
    case("conv2d_f64_groups", "conv2d", [rand(2, 4, 5, 5, dtype=f64), rand(6, 2, 3, 3, dtype=f64)], {"groups": 2, "dilation": 2, "padding": 2}),
    case("conv2d_f16", "conv2d", [X.half(), W.half(), Bv.half()], **HALF),
    case("conv2d_bf16", "conv2d", [X.bfloat16(), W.bfloat16()], rtol=3e-2, atol=3e-2),
    case("conv2d_i64", "conv2d", [rand(1, 2, 5, 5, dtype=i64, low=-5, high=5), rand(3, 2, 3, 3, dtype=i64), rand(3, dtype=i64)], {"padding": 1}),
    case("conv2d_i32", "conv2d", [rand(1, 2, 5, 5, dtype=i32, low=-5, high=5), rand(3, 2, 3, 3, dtype=i32)]),
    case("conv2d_u8_wraps", "conv2d", [rand(1, 1, 5, 5, dtype=u8, low=0, high=200), torch.full((2, 1, 3, 3), 7, dtype=u8)]),
    case("conv2d_nan", "conv2d", [torch.tensor([[[[1.0, float("nan"), 2.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]]), torch.ones(1, 1, 2, 2)]),
    case("conv2d_bigger", "conv2d", [rand(2, 8, 16, 16), rand(16, 8, 3, 3), rand(16)], {"padding": 1}, **LOOSE),
    case("conv2d_kwargs", "conv2d", [X], {"weight": W, "bias": Bv, "stride": [1, 2], "groups": 1}, **LOOSE),
    case("conv2d_err_input_dim", "conv2d", [rand(3, 5), W], error=True),
    case("conv2d_err_weight_dim", "conv2d", [X, rand(4, 3, 3)], error=True),
    case("conv2d_err_channels", "conv2d", [rand(1, 4, 5, 5), W], error=True),
    case("conv2d_err_groups_div", "conv2d", [rand(1, 4, 5, 5), rand(3, 2, 3, 3)], {"groups": 2}, error=True),
    case("conv2d_err_groups_zero", "conv2d", [X, W], {"groups": 0}, error=True),
    case("conv2d_err_kernel_big", "conv2d", [rand(1, 3, 2, 2), W], error=True),
    case("conv2d_err_zero_height", "conv2d", [rand(1, 3, 0, 5), W], error=True),
    case("conv2d_err_same_strided", "conv2d", [X, W], {"stride": 2, "padding": "same"}, error=True),
    case("conv2d_err_pad_str", "conv2d", [X, W], {"padding": "foo"}, error=True),
    case("conv2d_err_neg_pad", "conv2d", [X, W], {"padding": -1}, error=True),
    case("conv2d_err_zero_stride", "conv2d", [X, W], {"stride": 0}, error=True),
    case("conv2d_err_zero_dilation", "conv2d", [X, W], {"dilation": 0}, error=True),
    case("conv2d_err_bias_shape", "conv2d", [X, W, rand(3)], error=True),
    case("conv2d_err_dtype", "conv2d", [X, W.double()], error=True),
    case("conv2d_err_bias_dtype", "conv2d", [X, W, Bv.double()], error=True),
    case("conv2d_err_stride_len", "conv2d", [X, W], {"stride": [1, 2, 3]}, error=True),
    case("conv2d_err_no_out_channels", "conv2d", [X, rand(0, 3, 3, 3)], error=True),
    # ----- conv1d
    case("conv1d", "conv1d", [X1, W1, Bv], **LOOSE),
    case("conv1d_stride_pad_dil", "conv1d", [X1, W1, Bv], {"stride": 2, "padding": 2, "dilation": 2}, **LOOSE),
    case("conv1d_groups", "conv1d", [rand(2, 4, 8), rand(6, 2, 3)], {"groups": 2}, **LOOSE),
    case("conv1d_same_even", "conv1d", [X1, rand(2, 3, 4)], {"padding": "same"}, **LOOSE),
    case("conv1d_valid", "conv1d", [X1, W1], {"padding": "valid"}, **LOOSE),
    case("conv1d_unbatched", "conv1d", [rand(3, 9), W1, Bv], **LOOSE),
    case("conv1d_noncontig", "conv1d", [rand(2, 9, 3).transpose(1, 2), W1], **LOOSE),
    case("conv1d_f64", "conv1d", [X1.double(), W1.double(), Bv.double()], {"padding": 1}),
    case("conv1d_i64", "conv1d", [rand(1, 5, 5, dtype=i64), rand(2, 5, 3, dtype=i64)]),
    case("conv1d_f16", "conv1d", [X1.half(), W1.half()], **HALF),
    case("conv1d_err_input_dim", "conv1d", [rand(9), W1], error=True),
    case("conv1d_err_kernel_big", "conv1d", [rand(1, 3, 2), W1], error=True),
    case("conv1d_err_channels", "conv1d", [rand(1, 2, 9), W1], error=True),
    case("conv1d_err_weight_dim", "conv1d", [X1, W], error=True),
    # ----- conv_transpose2d
    case("conv_transpose2d", "conv_transpose2d", [rand(2, 3, 4, 5), rand(3, 2, 3, 3), rand(2)], **LOOSE),
    case("conv_transpose2d_stride", "conv_transpose2d", [rand(2, 3, 4, 5), rand(3, 2, 3, 3)], {"stride": 2, "padding": 1, "output_padding": 1}, **LOOSE),
    case("conv_transpose2d_asym", "conv_transpose2d", [rand(1, 3, 4, 5), rand(3, 2, 2, 3), rand(2)], {"stride": (2, 3), "padding": (0, 1), "dilation": (2, 1)}, **LOOSE),
    case("conv_transpose2d_outpad_dil", "conv_transpose2d", [rand(1, 3, 4, 4), rand(3, 2, 3, 3)], {"dilation": 2, "output_padding": 1}, **LOOSE),
    case("conv_transpose2d_groups", "conv_transpose2d", [rand(2, 4, 3, 3), rand(4, 3, 3, 3), rand(6)], {"groups": 2, "stride": 2}, **LOOSE),
    case("conv_transpose2d_unbatched", "conv_transpose2d", [rand(3, 4, 5), rand(3, 2, 3, 3), rand(2)], **LOOSE),
    case("conv_transpose2d_noncontig", "conv_transpose2d", [rand(2, 3, 5, 4).transpose(2, 3), rand(2, 3, 3, 3).transpose(0, 1)], **LOOSE),
    case("conv_transpose2d_empty_batch", "conv_transpose2d", [rand(0, 3, 4, 5), rand(3, 2, 3, 3)]),
    case("conv_transpose2d_f64", "conv_transpose2d", [rand(2, 3, 4, 5, dtype=f64), rand(3, 2, 3, 3, dtype=f64), rand(2, dtype=f64)], {"stride": 2}),
    case("conv_transpose2d_f16", "conv_transpose2d", [rand(1, 3, 4, 5, dtype=f16), rand(3, 2, 3, 3, dtype=f16)], **HALF),
    case("conv_transpose2d_i64", "conv_transpose2d", [rand(1, 3, 4, 5, dtype=i64), rand(3, 2, 3, 3, dtype=i64), rand(2, dtype=i64)], {"stride": 2}),
    case("conv_transpose2d_bigger", "conv_transpose2d", [rand(3, 8, 8, 8), rand(8, 4, 4, 4), rand(4)], {"stride": 2, "padding": 1}, **LOOSE),
    case("conv_transpose2d_kwargs", "conv_transpose2d", [rand(2, 3, 4, 5)], {"weight": rand(3, 2, 3, 3), "dilation": 2, "groups": 1}, **LOOSE),
    case("conv_transpose2d_err_outpad", "conv_transpose2d", [rand(1, 3, 5, 5), rand(3, 2, 3, 3)], {"output_padding": 1}, error=True),
    case("conv_transpose2d_err_small", "conv_transpose2d", [rand(1, 3, 1, 1), rand(3, 2, 1, 1)], {"padding": 1}, error=True),
    case("conv_transpose2d_err_channels", "conv_transpose2d", [rand(1, 4, 5, 5), rand(3, 2, 3, 3)], error=True),
    case("conv_transpose2d_err_groups", "conv_transpose2d", [rand(1, 3, 5, 5), rand(3, 2, 3, 3)], {"groups": 2}, error=True),
    case("conv_transpose2d_err_zero_h", "conv_transpose2d", [rand(1, 3, 0, 5), rand(3, 2, 3, 3)], error=True),
    case("conv_transpose2d_err_i32", "conv_transpose2d", [rand(1, 3, 4, 5, dtype=i32), rand(3, 2, 3, 3, dtype=i32)], error=True),
    case("conv_transpose2d_err_bias", "conv_transpose2d", [rand(1, 3, 4, 5), rand(3, 2, 3, 3), rand(3)], error=True),
    case("conv_transpose2d_err_dtype", "conv_transpose2d", [rand(1, 3, 4, 5), rand(3, 2, 3, 3, dtype=f64)], error=True),
    case("conv_transpose2d_err_pad_str", "conv_transpose2d", [rand(1, 3, 4, 5), rand(3, 2, 3, 3)], {"padding": "same"}, error=True),
    # ----- conv_transpose1d
    case("conv_transpose1d", "conv_transpose1d", [rand(2, 3, 6), rand(3, 2, 3), rand(2)], **LOOSE),
    case("conv_transpose1d_stride", "conv_transpose1d", [rand(2, 3, 6), rand(3, 2, 3)], {"stride": 3, "padding": 1, "output_padding": 2}, **LOOSE),
    case("conv_transpose1d_groups", "conv_transpose1d", [rand(2, 4, 5), rand(4, 1, 2)], {"groups": 4}, **LOOSE),
    case("conv_transpose1d_unbatched", "conv_transpose1d", [rand(3, 6), rand(3, 2, 3)], **LOOSE),
    case("conv_transpose1d_i64", "conv_transpose1d", [rand(1, 3, 6, dtype=i64), rand(3, 2, 3, dtype=i64)]),
    case("conv_transpose1d_err_dim", "conv_transpose1d", [rand(6), rand(3, 2, 3)], error=True),
    case("conv_transpose1d_err_small", "conv_transpose1d", [rand(1, 3, 1), rand(3, 2, 1)], {"padding": 1}, error=True),
]
