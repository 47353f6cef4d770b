"""Reference cases for comparisons and selection (runtime/src/ops/compare.rs):
eq ne lt le gt ge (+ aliases) logical_and/or/xor where masked_fill
clamp clip clamp_min clamp_max isclose allclose equal."""
import torch
from common import case

G = torch.Generator().manual_seed(11)
F32, F64, F16, BF16 = torch.float32, torch.float64, torch.float16, torch.bfloat16
I8, U8, I16, I32, I64, BOOL = torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool
INF, NAN = float("inf"), float("nan")
HALF_TOL = dict(rtol=1e-3, atol=1e-3)


def r(shape, dtype=F32, low=-2.0, high=2.0):
    """Uniform values in [low, high) (ints: randint; bool: half true)."""
    shape = tuple(shape)
    if dtype == BOOL:
        return torch.rand(shape, generator=G) > 0.5
    if dtype.is_floating_point:
        return (torch.rand(shape, generator=G, dtype=F64) * (high - low) + low).to(dtype)
    if dtype == U8:
        low, high = max(low, 0), max(high, 1)
    return torch.randint(int(low), int(high), shape, generator=G, dtype=dtype)


def ri(shape, dtype=I64):
    """Small integers, so that comparisons hit equality often."""
    return r(shape, dtype, -3, 3)


SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, INF, -INF, NAN]


def special_pairs(dtype=F32):
    v = torch.tensor(SPECIAL, dtype=dtype)
    n = len(SPECIAL)
    return v.repeat_interleave(n), v.repeat(n)


CASES = []


def add(*cs):
    CASES.extend(cs)


# ----- comparisons --------------------------------------------------------

for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    add(
        case(f"{op}_basic", op, [ri((3, 4), F32), ri((3, 4), F32)]),
        case(f"{op}_bcast", op, [ri((3, 1), F32), ri((1, 4), F32)]),
        case(f"{op}_bcast_3d", op, [ri((2, 3, 4)), ri((4,))]),
        case(f"{op}_transposed", op, [ri((4, 3), F32).t(), ri((3, 4), F32)]),
        case(f"{op}_strided", op, [ri((3, 8))[:, ::2], ri((6, 4))[::2]]),
        case(f"{op}_expanded", op, [ri((1, 4)).expand(3, 4), ri((3, 1))]),
        case(f"{op}_large", op, [ri((300, 130), F32), ri((130,), F32)]),
        case(f"{op}_empty", op, [ri((0, 4)), ri((4,))]),
        case(f"{op}_0d", op, [ri(()), ri(())]),
        case(f"{op}_0d_rhs", op, [ri((3, 4)), torch.tensor(1)]),
        case(f"{op}_special", op, list(special_pairs())),
        case(f"{op}_f64", op, [ri((3, 4), F64), ri((4,), F64)]),
        case(f"{op}_f16", op, [ri((3, 4), F16), ri((3, 4), F16)]),
        case(f"{op}_bool", op, [r((3, 4), BOOL), r((3, 4), BOOL)]),
        case(f"{op}_i32_i64", op, [ri((3, 4), I32), ri((4,), I64)]),
        case(f"{op}_u8_i8", op, [torch.tensor([200, 3, 0, 255], dtype=U8), torch.tensor([-56, 3, 0, -1], dtype=I8)]),
        case(f"{op}_int_float", op, [ri((3, 4)), r((3, 4))]),
        case(f"{op}_big_int_f32", op, [torch.tensor([16777217, 3]), torch.tensor([16777216.0, 3.0])]),
        case(f"{op}_f64_0d_f32", op, [torch.tensor([1.1, 2.0], dtype=F64), torch.tensor(1.1)]),
        case(f"{op}_f16_0d_f32", op, [torch.tensor([1.5, 2.0], dtype=F16), torch.tensor(1.5001)]),
        case(f"{op}_scalar_int", op, [ri((3, 4)), 1]),
        case(f"{op}_scalar_float", op, [ri((3, 4)), 0.5]),
        case(f"{op}_scalar_float_f32", op, [torch.tensor([1.1, 0.5]), 1.1]),
        case(f"{op}_scalar_f16_rounds", op, [torch.tensor([1.0, 1.5], dtype=F16), 1 + 1e-5]),
        case(f"{op}_scalar_i8_wraps", op, [torch.tensor([-100, 5, 127, -24], dtype=I8), 1000]),
        case(f"{op}_scalar_u8_neg", op, [torch.tensor([200, 5, 255], dtype=U8), -1]),
        case(f"{op}_scalar_bool", op, [r((3, 4), BOOL), True]),
        case(f"{op}_bool_int_scalar", op, [r((3, 4), BOOL), 2]),
        case(f"{op}_bool_float_scalar", op, [r((3, 4), BOOL), 0.5]),
        case(f"{op}_scalar_nan", op, [torch.tensor([1.0, NAN]), NAN]),
        case(f"{op}_kw", op, [ri((3,))], {"other": ri((3,))}),
        case(f"{op}_shape_error", op, [ri((2, 3)), ri((3, 2))], error=True),
        case(f"{op}_inplace", f"{op}_", [ri((3, 4), F32), ri((4,), F32)], check_inputs=[0]),
    )
for alias, op in [("greater", "gt"), ("less", "lt"), ("greater_equal", "ge"), ("less_equal", "le"), ("not_equal", "ne")]:
    add(
        case(f"{alias}_tensor", alias, [ri((3, 4)), ri((4,))]),
        case(f"{alias}_scalar", alias, [ri((3, 4)), 0]),
    )

# ----- logical --------------------------------------------------------------

for op in ["logical_and", "logical_or", "logical_xor"]:
    add(
        case(f"{op}_bool", op, [r((3, 4), BOOL), r((3, 4), BOOL)]),
        case(f"{op}_bcast", op, [r((3, 1), BOOL), r((1, 4), BOOL)]),
        case(f"{op}_strided", op, [r((4, 3), BOOL).t(), r((3, 8), BOOL)[:, ::2]]),
        case(f"{op}_int", op, [ri((3, 4)), ri((3, 4), I32)]),
        case(f"{op}_float", op, [ri((3, 4), F32), r((4,), BOOL)]),
        case(f"{op}_special", op, list(special_pairs())),
        case(f"{op}_f16_f64", op, [ri((3, 4), F16), ri((3, 4), F64)]),
        case(f"{op}_empty", op, [r((0, 2), BOOL), r((2,), BOOL)]),
        case(f"{op}_0d", op, [torch.tensor(2.0), torch.tensor(0)]),
        case(f"{op}_scalar_error", op, [ri((3,)), 2], error=True),
        case(f"{op}_shape_error", op, [ri((2,)), ri((3,))], error=True),
    )

# ----- where --------------------------------------------------------------

add(
    case("where_basic", "where", [r((3, 4), BOOL), r((3, 4)), r((3, 4))]),
    case("where_bcast", "where", [r((3, 1), BOOL), r((1, 4)), r((4,))]),
    case("where_bcast_cond_small", "where", [r((4,), BOOL), r((2, 3, 4)), r((3, 1))]),
    case("where_strided", "where", [r((4, 3), BOOL).t(), r((3, 8))[:, ::2], r((4, 3)).t()]),
    case("where_expanded", "where", [r((1, 4), BOOL).expand(3, 4), r((3, 4)), r((1, 1)).expand(3, 4)]),
    case("where_large", "where", [r((200, 300), BOOL), r((300,)), r((200, 1))]),
    case("where_empty", "where", [r((0, 4), BOOL), r((4,)), r((1,))]),
    case("where_0d_cond", "where", [torch.tensor(True), r((3,)), r((3,))]),
    case("where_0d_all", "where", [torch.tensor(False), torch.tensor(1.5), torch.tensor(-2)]),
    case("where_int_float", "where", [r((3, 4), BOOL), ri((3, 4)), r((3, 4))]),
    case("where_i8_0d_i64", "where", [r((4,), BOOL), torch.tensor([-100, 5, 127, 0], dtype=I8), torch.tensor(2)]),
    case("where_i32_0d_big", "where", [r((3,), BOOL), torch.tensor([1, 2, 3], dtype=I32), torch.tensor(2**40)]),
    case("where_f16_f64", "where", [r((3, 4), BOOL), r((3, 4), F16), r((3, 4), F64)]),
    case("where_u8_i8", "where", [r((3,), BOOL), torch.tensor([200, 1, 2], dtype=U8), torch.tensor([-1, 4, 5], dtype=I8)]),
    case("where_bool_bool", "where", [r((3, 4), BOOL), r((3, 4), BOOL), r((3, 4), BOOL)]),
    case("where_special", "where", [r((64,), BOOL), *special_pairs()]),
    case("where_scalar_other", "where", [r((3, 4), BOOL), r((3, 4)), 0.0]),
    case("where_scalar_other_neg_inf", "where", [r((3, 4), BOOL), r((3, 4)), -INF]),
    case("where_scalar_self", "where", [r((3, 4), BOOL), 1.5, r((4,))]),
    case("where_scalar_int_on_float", "where", [r((3, 4), BOOL), r((3, 4), F16), 2]),
    case("where_scalar_float_on_int", "where", [r((3, 4), BOOL), ri((3, 4)), 2.5]),
    case("where_scalar_float_on_i8", "where", [r((3,), BOOL), torch.tensor([-100, 5, 127], dtype=I8), -128.9]),
    case("where_scalar_bool_on_bool", "where", [r((3, 4), BOOL), r((3, 4), BOOL), True]),
    case("where_scalar_int_on_bool", "where", [r((3, 4), BOOL), r((3, 4), BOOL), 2]),
    case("where_scalars_int", "where", [r((3, 4), BOOL), 2, 3]),
    case("where_scalars_mixed", "where", [r((3, 4), BOOL), 2.0, 3]),
    case("where_scalars_bool", "where", [r((3, 4), BOOL), True, False]),
    case("where_scalar_nan_on_int", "where", [r((3,), BOOL), ri((3,)), NAN]),
    case("where_scalar_u8_neg", "where", [r((3,), BOOL), torch.tensor([200, 5, 3], dtype=U8), -1]),
    case("where_scalar_f16_big", "where", [r((3,), BOOL), r((3,), F16), 1e10]),
    case("where_scalar_bf16_big", "where", [r((3,), BOOL), r((3,), BF16), 1e39]),
    case("where_scalar_i8_overflow_error", "where", [r((3,), BOOL), torch.tensor([1, 2, 3], dtype=I8), 1000], error=True),
    case("where_scalar_u8_overflow_error", "where", [r((3,), BOOL), torch.tensor([1, 2, 3], dtype=U8), 256], error=True),
    case("where_scalar_i32_overflow_error", "where", [r((3,), BOOL), torch.tensor([1, 2, 3], dtype=I32), 2**40], error=True),
    case("where_scalar_f32_overflow_error", "where", [r((3,), BOOL), r((3,)), 1e300], error=True),
    case("where_int_cond_error", "where", [ri((3,)), r((3,)), r((3,))], error=True),
    case("where_float_cond_error", "where", [r((3,)), r((3,)), r((3,))], error=True),
    case("where_shape_error", "where", [r((3,), BOOL), r((2,)), r((3,))], error=True),
    case("where_kwargs", "where", [], {"condition": r((3, 4), BOOL), "input": r((3, 4)), "other": r((4,))}),
    case("where_kwargs_scalar", "where", [r((3, 4), BOOL)], {"input": r((3, 4)), "other": -1.0}),
)

# ----- masked_fill --------------------------------------------------------

add(
    case("masked_fill_scalar", "masked_fill", [r((3, 4)), r((3, 4), BOOL), -1.5]),
    case("masked_fill_neg_inf", "masked_fill", [r((3, 4)), r((3, 4), BOOL), -INF]),
    case("masked_fill_nan", "masked_fill", [r((3, 4)), r((3, 4), BOOL), NAN]),
    case("masked_fill_mask_bcast", "masked_fill", [r((2, 3, 4)), r((3, 1), BOOL), 0.0]),
    case("masked_fill_self_bcast", "masked_fill", [r((4,)), r((2, 1), BOOL), 7.0]),
    case("masked_fill_strided", "masked_fill", [r((4, 3)).t(), r((3, 8), BOOL)[:, ::2], 2]),
    case("masked_fill_expanded_mask", "masked_fill", [r((3, 4)), r((1, 4), BOOL).expand(3, 4), 5]),
    case("masked_fill_large", "masked_fill", [r((200, 300)), r((300,), BOOL), -1e9]),
    case("masked_fill_empty", "masked_fill", [r((0, 4)), r((4,), BOOL), 1.0]),
    case("masked_fill_0d", "masked_fill", [torch.tensor(2.0), torch.tensor(True), 1.0]),
    case("masked_fill_int_float_value", "masked_fill", [ri((3, 4)), r((3, 4), BOOL), 2.5]),
    case("masked_fill_i8", "masked_fill", [torch.tensor([1, 2, 3], dtype=I8), torch.tensor([True, False, True]), -128.0]),
    case("masked_fill_i8_frac", "masked_fill", [torch.tensor([1, 2, 3], dtype=I8), torch.tensor([True, False, True]), 127.9]),
    case("masked_fill_u8_neg", "masked_fill", [torch.tensor([1, 2, 3], dtype=U8), torch.tensor([True, False, True]), -200]),
    case("masked_fill_bool", "masked_fill", [r((3, 4), BOOL), r((3, 4), BOOL), 2.5]),
    case("masked_fill_bool_nan", "masked_fill", [r((3, 4), BOOL), r((3, 4), BOOL), NAN]),
    case("masked_fill_f16", "masked_fill", [r((3, 4), F16), r((3, 4), BOOL), 1.3]),
    case("masked_fill_f16_max", "masked_fill", [r((3,), F16), r((3,), BOOL), 65504.0]),
    case("masked_fill_f16_inf", "masked_fill", [r((3,), F16), r((3,), BOOL), INF]),
    case("masked_fill_bf16", "masked_fill", [r((3,), BF16), r((3,), BOOL), 3.3e38]),
    case("masked_fill_0d_tensor", "masked_fill", [r((3, 4)), r((3, 4), BOOL), torch.tensor(3)]),
    case("masked_fill_0d_tensor_f64", "masked_fill", [r((3, 4)), r((3, 4), BOOL), torch.tensor(2.0, dtype=F64)]),
    case("masked_fill_0d_tensor_bool", "masked_fill", [r((3, 4)), r((3, 4), BOOL), torch.tensor(True)]),
    case("masked_fill_0d_tensor_float_on_int", "masked_fill", [ri((3, 4)), r((3, 4), BOOL), torch.tensor(2.5)]),
    case("masked_fill_0d_tensor_u8_neg", "masked_fill", [torch.tensor([1, 2], dtype=U8), torch.tensor([True, False]), torch.tensor(-1)]),
    case("masked_fill_f16_overflow_error", "masked_fill", [r((3,), F16), r((3,), BOOL), 65520.0], error=True),
    case("masked_fill_f32_overflow_error", "masked_fill", [r((3,)), r((3,), BOOL), 1e300], error=True),
    case("masked_fill_i8_overflow_error", "masked_fill", [torch.tensor([1, 2], dtype=I8), torch.tensor([True, False]), 1000], error=True),
    case("masked_fill_i8_neg_overflow_error", "masked_fill", [torch.tensor([1, 2], dtype=I8), torch.tensor([True, False]), -128.5], error=True),
    case("masked_fill_i8_float_overflow_error", "masked_fill", [torch.tensor([1, 2], dtype=I8), torch.tensor([True, False]), 128.5], error=True),
    case("masked_fill_u8_overflow_error", "masked_fill", [torch.tensor([1, 2], dtype=U8), torch.tensor([True, False]), -256], error=True),
    case("masked_fill_u8_float_neg_error", "masked_fill", [torch.tensor([1, 2], dtype=U8), torch.tensor([True, False]), -0.5], error=True),
    case("masked_fill_int_nan_error", "masked_fill", [ri((2,)), torch.tensor([True, False]), NAN], error=True),
    case("masked_fill_int_inf_error", "masked_fill", [ri((2,)), torch.tensor([True, False]), INF], error=True),
    case("masked_fill_i64_big_float_error", "masked_fill", [ri((2,)), torch.tensor([True, False]), 9.3e18], error=True),
    case("masked_fill_0d_tensor_overflow_error", "masked_fill", [torch.tensor([1, 2], dtype=I8), torch.tensor([True, False]), torch.tensor(1000)], error=True),
    case("masked_fill_int_mask_error", "masked_fill", [r((3,)), ri((3,)), 1.0], error=True),
    case("masked_fill_1d_value_error", "masked_fill", [r((3,)), r((3,), BOOL), torch.tensor([1.0])], error=True),
    case("masked_fill_shape_error", "masked_fill", [r((3,)), r((2,), BOOL), 1.0], error=True),
    case("masked_fill_kw", "masked_fill", [r((3,))], {"mask": r((3,), BOOL), "value": 4.0}),
    case("masked_fill_inplace", "masked_fill_", [r((3, 4)), r((4,), BOOL), -1.0], check_inputs=[0]),
    case("masked_fill_inplace_view", "masked_fill_", [r((4, 3)).t(), r((3, 4), BOOL), 0.0], check_inputs=[0]),
    case("masked_fill_inplace_bcast_self_error", "masked_fill_", [r((4,)), r((2, 4), BOOL), 0.0], error=True),
)

# ----- clamp --------------------------------------------------------------

for op in ["clamp", "clip"]:
    add(
        case(f"{op}_both", op, [r((3, 4)), -0.5, 0.7]),
        case(f"{op}_min_only", op, [r((3, 4))], {"min": 0.0}),
        case(f"{op}_max_only", op, [r((3, 4))], {"max": 0.25}),
        case(f"{op}_min_gt_max", op, [r((3, 4)), 1.0, -1.0]),
        case(f"{op}_strided", op, [r((4, 6)).t()[:, ::2], -1, 1]),
        case(f"{op}_empty", op, [r((0, 3)), -1, 1]),
        case(f"{op}_0d", op, [torch.tensor(3.5), -1, 1]),
        case(f"{op}_nan_input", op, [torch.tensor([1.5, NAN, 0.0, -3.0]), -1.0, 1.0]),
        case(f"{op}_nan_min", op, [torch.tensor([1.5, NAN, 0.0, -3.0])], {"min": NAN}),
        case(f"{op}_nan_max_both", op, [torch.tensor([1.5, NAN, 0.0, -3.0]), 0.0, NAN]),
        case(f"{op}_inf_bounds", op, [torch.tensor([1.5, INF, -INF, NAN]), -INF, INF]),
        case(f"{op}_int", op, [r((3, 4), I64, -10, 10), -3, 4]),
        case(f"{op}_int_float_bounds", op, [r((3, 4), I64, -10, 10), -2.5, 3]),
        case(f"{op}_int_float_min_only", op, [r((3, 4), I64, -10, 10)], {"min": 0.5}),
        case(f"{op}_int_nan_bound", op, [r((3,), I64, -10, 10), 0, NAN]),
        case(f"{op}_i8_wide_bounds", op, [torch.tensor([-100, 5, 127], dtype=I8), -1000, 1000]),
        case(f"{op}_i8_max_above", op, [torch.tensor([-100, 5, 127], dtype=I8)], {"max": 300}),
        case(f"{op}_i8_bounds_at_edge", op, [torch.tensor([-100, 5, 127], dtype=I8), 127, 1000]),
        case(f"{op}_u8_neg_min", op, [torch.tensor([200, 5, 3], dtype=U8), -1]),
        case(f"{op}_u8_float_bound", op, [torch.tensor([200, 5, 3], dtype=U8), 255.5]),
        case(f"{op}_bool_int_bounds", op, [r((3, 4), BOOL), 0, 1]),
        case(f"{op}_f16", op, [r((3, 4), F16), -0.3, 0.45]),
        case(f"{op}_f64", op, [r((3, 4), F64), -0.3, 0.45]),
        case(f"{op}_i64_big", op, [r((3,), I64, -10, 10), 2**40]),
        case(f"{op}_signed_zero", op, [torch.tensor([-0.0, 0.0]), 0.0]),
        case(f"{op}_tensor_bounds", op, [r((3, 4)), r((3, 4), low=-1, high=0), r((4,), low=0, high=1)]),
        case(f"{op}_tensor_min_only", op, [r((3, 4))], {"min": r((3, 1))}),
        case(f"{op}_tensor_max_only", op, [r((3, 4))], {"max": r((4,))}),
        case(f"{op}_tensor_bcast_grows", op, [r((4,)), r((2, 1)), r((2, 4), low=1, high=2)]),
        case(f"{op}_tensor_strided", op, [r((4, 3)).t(), r((3, 8))[:, ::2], torch.tensor(0.5)]),
        case(f"{op}_tensor_nan_bounds", op, [torch.tensor([1.5, NAN, 0.0, -3.0]), torch.tensor([0.0, 0.0, NAN, 0.0]), torch.tensor([1.0, 1.0, 1.0, NAN])]),
        case(f"{op}_tensor_min_gt_max", op, [r((5,)), torch.tensor(2.0), torch.tensor(1.0)]),
        case(f"{op}_tensor_int_float", op, [ri((3,)), torch.tensor([0, 0, 1]), torch.tensor(2.0)]),
        case(f"{op}_tensor_0d_f64_on_f16", op, [r((3,), F16)], {"min": torch.tensor(0.25, dtype=F64)}),
        case(f"{op}_tensor_1d_f64_on_f16", op, [r((3,), F16)], {"min": torch.tensor([0.25], dtype=F64)}),
        case(f"{op}_tensor_i8_wraps", op, [torch.tensor([-100, 5, 127], dtype=I8), torch.tensor(1000)]),
        case(f"{op}_mixed_scalar_tensor", op, [ri((3,))], {"min": 1, "max": torch.tensor(2)}),
        case(f"{op}_tensor_bool_int", op, [r((3,), BOOL), torch.tensor(0)]),
        case(f"{op}_no_bounds_error", op, [r((3,))], error=True),
        case(f"{op}_none_bounds_error", op, [r((3,)), None, None], error=True),
        case(f"{op}_bool_bool_error", op, [r((3,), BOOL)], {"max": True}, error=True),
        case(f"{op}_i8_min_above_error", op, [torch.tensor([1, 2], dtype=I8), 128], error=True),
        case(f"{op}_i8_max_below_error", op, [torch.tensor([1, 2], dtype=I8), -129, -129], error=True),
        case(f"{op}_u8_max_neg_error", op, [torch.tensor([1, 2], dtype=U8)], {"max": -1}, error=True),
        case(f"{op}_f16_overflow_error", op, [r((3,), F16), 1e10], error=True),
        case(f"{op}_f32_overflow_error", op, [r((3,))], {"max": 1e300}, error=True),
        case(f"{op}_tensor_shape_error", op, [r((3,)), r((2,))], error=True),
        case(f"{op}_inplace", f"{op}_", [r((3, 4)), -0.5, 0.5], check_inputs=[0]),
        case(f"{op}_inplace_int_float_error", f"{op}_", [ri((3,)), 0.5, 1.5], error=True),
    )

for op, kw in [("clamp_min", "min"), ("clamp_max", "max")]:
    add(
        case(f"{op}_scalar", op, [r((3, 4)), 0.1]),
        case(f"{op}_int", op, [ri((3, 4)), 1]),
        case(f"{op}_int_float", op, [ri((3, 4)), 0.5]),
        case(f"{op}_tensor", op, [r((3, 4)), r((4,))]),
        case(f"{op}_tensor_strided", op, [r((4, 3)).t(), r((3, 8))[:, ::2]]),
        case(f"{op}_tensor_nan", op, [torch.tensor([1.5, NAN, 0.0, -3.0]), torch.tensor([0.0, 0.0, NAN, 0.0])]),
        case(f"{op}_nan", op, [torch.tensor([1.5, NAN, 0.0]), NAN]),
        case(f"{op}_f16", op, [r((3, 4), F16), 0.3]),
        case(f"{op}_empty", op, [r((0,)), 0.0]),
        case(f"{op}_kw", op, [r((3,))], {kw: 0.0}),
        case(f"{op}_bool_error", op, [r((3,), BOOL), True], error=True),
        case(f"{op}_inplace", f"{op}_", [r((3, 4)), 0.0], check_inputs=[0]),
    )

# ----- isclose / allclose / equal ---------------------------------------------

NEAR = torch.tensor([1.0, 1.0, 100.0, 0.0, 1e-9, -1.0, INF, INF, -INF, NAN, NAN, 1.0])
NEAR_B = torch.tensor([1.0 + 1e-6, 1.0 + 1e-4, 100.0005, 1e-9, 0.0, 1.0, INF, -INF, -INF, NAN, 1.0, NAN])
add(
    case("isclose_default", "isclose", [NEAR, NEAR_B]),
    case("isclose_equal_nan", "isclose", [NEAR, NEAR_B], {"equal_nan": True}),
    case("isclose_loose", "isclose", [NEAR, NEAR_B], {"rtol": 1e-3, "atol": 1e-3}),
    case("isclose_zero_tol", "isclose", [NEAR, NEAR_B], {"rtol": 0.0, "atol": 0.0}),
    case("isclose_zero_tol_nan", "isclose", [NEAR, NEAR_B], {"rtol": 0.0, "atol": 0.0, "equal_nan": True}),
    case("isclose_atol_only", "isclose", [NEAR, NEAR_B], {"rtol": 0.0, "atol": 1e-5}),
    case("isclose_random", "isclose", [r((3, 4)), r((3, 4))], {"rtol": 0.5, "atol": 0.1}),
    case("isclose_bcast", "isclose", [r((3, 1)), r((1, 4))], {"atol": 1.0}),
    case("isclose_strided", "isclose", [r((4, 3)).t(), r((3, 8))[:, ::2]], {"atol": 0.5}),
    case("isclose_f64", "isclose", [NEAR.double(), NEAR_B.double()]),
    case("isclose_f64_tight", "isclose", [torch.tensor([1.0, 1.0], dtype=F64), torch.tensor([1.0 + 1e-9, 1.0 + 1e-12], dtype=F64)], {"rtol": 1e-10, "atol": 0.0}),
    case("isclose_f16", "isclose", [NEAR.half(), NEAR_B.half()], {"rtol": 1e-3, "atol": 1e-3}),
    case("isclose_f16_default", "isclose", [r((20,), F16), r((20,), F16)], {"rtol": 0.5}),
    case("isclose_int", "isclose", [torch.tensor([7, -7, 0, 100]), torch.tensor([7, -6, 1, 90])], {"atol": 0.5, "rtol": 0.1}),
    case("isclose_int_default", "isclose", [torch.tensor([7, -7, 0]), torch.tensor([7, -6, 0])]),
    case("isclose_i8_wraps", "isclose", [torch.tensor([100, -128, 5], dtype=I8), torch.tensor([-100, 127, 5], dtype=I8)], {"atol": 100.0}),
    case("isclose_u8", "isclose", [torch.tensor([0, 200, 5], dtype=U8), torch.tensor([255, 190, 6], dtype=U8)], {"atol": 10.0}),
    case("isclose_i8_extremes", "isclose", [torch.tensor([-128, -128, 100], dtype=I8), torch.tensor([127, 127, -100], dtype=I8)], {"atol": 254.0}),
    case("isclose_i64_extremes", "isclose", [torch.tensor([2**62, 2**62]), torch.tensor([-2**62, 2**62 - 1])], {"atol": 2.0**63}),
    case("where_scalar_f16_huge", "where", [r((3,), BOOL), 1e300, r((3,), F16)]),
    case("isclose_bool", "isclose", [torch.tensor([True, False, True]), torch.tensor([True, True, False])]),
    case("isclose_bool_atol", "isclose", [torch.tensor([True, False, True]), torch.tensor([True, True, False])], {"atol": 1.0}),
    case("isclose_empty", "isclose", [r((0,)), r((0,))]),
    case("isclose_0d", "isclose", [torch.tensor(1.0), torch.tensor(1.0000001)]),
    case("isclose_dtype_error", "isclose", [r((3,)), r((3,), F64)], error=True),
    case("isclose_int_float_error", "isclose", [ri((3,)), r((3,))], error=True),
    case("isclose_neg_rtol_error", "isclose", [r((3,)), r((3,))], {"rtol": -1.0}, error=True),
    case("isclose_neg_atol_error", "isclose", [r((3,)), r((3,))], {"atol": -1.0}, error=True),
    case("isclose_shape_error", "isclose", [r((3,)), r((2,))], error=True),
    case("allclose_true", "allclose", [torch.ones(2, 3), torch.ones(3) + 1e-7]),
    case("allclose_false", "allclose", [NEAR, NEAR_B]),
    case("allclose_nan", "allclose", [torch.tensor([1.0, NAN]), torch.tensor([1.0, NAN])]),
    case("allclose_equal_nan", "allclose", [torch.tensor([1.0, NAN]), torch.tensor([1.0, NAN])], {"equal_nan": True}),
    case("allclose_loose", "allclose", [r((3, 4)), r((3, 4))], {"atol": 10.0}),
    case("allclose_int", "allclose", [ri((3,)), ri((3,))]),
    case("allclose_empty", "allclose", [r((0,)), r((0,))]),
    case("allclose_dtype_error", "allclose", [ri((3,)), r((3,))], error=True),
    case("allclose_shape_error", "allclose", [torch.ones(2, 3), torch.ones(4)], error=True),
    case("equal_true", "equal", [torch.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)]),
    case("equal_false", "equal", [torch.arange(6.0), torch.arange(6.0) + torch.tensor([0, 0, 0, 0, 0, 1e-3])]),
    case("equal_views", "equal", [torch.arange(6.0).reshape(2, 3).t(), torch.arange(6.0).reshape(2, 3).t().contiguous()]),
    case("equal_dtypes", "equal", [torch.arange(4), torch.arange(4).double()]),
    case("equal_nan", "equal", [torch.tensor([NAN]), torch.tensor([NAN])]),
    case("equal_shape_differs", "equal", [torch.ones(2, 3), torch.ones(3)]),
    case("equal_0d_vs_1d", "equal", [torch.tensor([1.0]), torch.tensor(1.0)]),
    case("equal_empty", "equal", [torch.ones(0), torch.ones(0)]),
    case("equal_empty_shapes", "equal", [torch.ones(0), torch.ones(0, 2)]),
    case("equal_bool", "equal", [torch.tensor([True, False]), torch.tensor([True, False])]),
)
