"""Reference cases for binary arithmetic (runtime/src/ops/binary.rs,
binary_math.rs): add sub rsub mul div true_divide floor_divide remainder
fmod pow maximum minimum fmax fmin max/min(Tensor, Tensor) atan2 hypot
copysign logaddexp xlogy bitwise_* shifts addcmul addcdiv lerp."""
import torch
from common import case

G = torch.Generator().manual_seed(7)
F32, F64, F16, BF16 = torch.float32, torch.float64, torch.float16, torch.bfloat16
I8, U8, I16, I32, I64, BOOL = torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64, torch.bool
INF, NAN = float("inf"), float("nan")
# float16 results are rounded from float32 math: one float16 ulp.
HALF_TOL = dict(rtol=1e-3, atol=1e-3)
BF16_TOL = dict(rtol=1e-2, atol=1e-2)


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


def nonzero(shape, dtype=F32):
    """Divisors: magnitude in [0.5, 2.5) (ints: 1..4) with random signs."""
    sign = torch.where(torch.rand(tuple(shape), generator=G) > 0.5, 1, -1)
    if dtype.is_floating_point:
        return (r(shape, F64, 0.5, 2.5) * sign).to(dtype)
    return (r(shape, I64, 1, 5) * sign).to(dtype)


def positive(shape, dtype=F32):
    return r(shape, dtype, 0.25, 3.0)


SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, INF, -INF, NAN, 1e-30, 7.0]


def special_pairs(dtype=F32):
    """Every pair of special values (zeros, infinities, NaN, ...)."""
    v = torch.tensor(SPECIAL, dtype=dtype)
    n = len(SPECIAL)
    return v.repeat_interleave(n), v.repeat(n)


def int_pairs(dtype=I64, divisor=True):
    a = torch.arange(-7, 8, dtype=dtype)
    b = torch.tensor([-3, -2, -1, 1, 2, 3] if divisor else [-3, -2, -1, 0, 1, 2, 3], dtype=dtype)
    return a.repeat_interleave(len(b)), b.repeat(len(a))


CASES = []


def add(*cs):
    CASES.extend(cs)


def layouts(op, mk_a, mk_b, kw=None, fn=None, tol=None):
    """Typical, broadcasting, non-contiguous, empty and 0-d inputs."""
    kw = kw or {}
    t = tol or {}
    add(
        case(f"{op}_basic", op, [mk_a((3, 4)), mk_b((3, 4))], kw, fn=fn, **t),
        case(f"{op}_bcast_col_row", op, [mk_a((3, 1)), mk_b((1, 4))], kw, fn=fn, **t),
        case(f"{op}_bcast_3d", op, [mk_a((2, 3, 4)), mk_b((4,))], kw, fn=fn, **t),
        case(f"{op}_bcast_lower_rank_first", op, [mk_a((5,)), mk_b((2, 1, 5))], kw, fn=fn, **t),
        case(f"{op}_transposed", op, [mk_a((4, 3)).t(), mk_b((3, 4))], kw, fn=fn, **t),
        case(f"{op}_both_transposed", op, [mk_a((5, 3)).t(), mk_b((5, 3)).t()], kw, fn=fn, **t),
        case(f"{op}_strided", op, [mk_a((3, 8))[:, ::2], mk_b((6, 4))[::2]], kw, fn=fn, **t),
        case(f"{op}_expanded", op, [mk_a((1, 4)).expand(3, 4), mk_b((3, 4))], kw, fn=fn, **t),
        case(f"{op}_offset_view", op, [mk_a((4, 5))[1:, 2:], mk_b((3, 3))], kw, fn=fn, **t),
        case(f"{op}_permuted_3d", op, [mk_a((4, 2, 3)).permute(1, 2, 0), mk_b((2, 3, 4))], kw, fn=fn, **t),
        case(f"{op}_empty", op, [mk_a((0, 4)), mk_b((4,))], kw, fn=fn, **t),
        case(f"{op}_empty_bcast", op, [mk_a((2, 0, 3)), mk_b((1, 1, 3))], kw, fn=fn, **t),
        case(f"{op}_0d", op, [mk_a(()), mk_b(())], kw, fn=fn, **t),
        case(f"{op}_0d_rhs", op, [mk_a((3, 4)), mk_b(())], kw, fn=fn, **t),
        case(f"{op}_0d_lhs", op, [mk_a(()), mk_b((2, 3))], kw, fn=fn, **t),
        case(f"{op}_size1_dims", op, [mk_a((3, 1, 4)), mk_b((1, 1, 1))], kw, fn=fn, **t),
        case(f"{op}_large_parallel", op, [mk_a((300, 257)), mk_b((257,))], kw, fn=fn, **t),
        case(f"{op}_large_strided", op, [mk_a((260, 300)).t(), mk_b((300, 1))], kw, fn=fn, **t),
        case(f"{op}_shape_mismatch", op, [mk_a((2, 3)), mk_b((3, 2))], kw, fn=fn, error=True),
    )


def float_dtypes(op, mk_a, mk_b, kw=None, fn=None):
    """float64, float16, bfloat16 and mixed float promotion."""
    kw = kw or {}
    add(
        case(f"{op}_f64", op, [mk_a((3, 4), F64), mk_b((3, 4), F64)], kw, fn=fn),
        case(f"{op}_f16", op, [mk_a((3, 4), F16), mk_b((3, 4), F16)], kw, fn=fn, **HALF_TOL),
        case(f"{op}_bf16", op, [mk_a((3, 4), BF16), mk_b((4,), BF16)], kw, fn=fn, **BF16_TOL),
        case(f"{op}_f32_f64", op, [mk_a((3, 4)), mk_b((4,), F64)], kw, fn=fn),
        case(f"{op}_f16_bf16", op, [mk_a((3, 4), F16), mk_b((3, 4), BF16)], kw, fn=fn, **BF16_TOL),
        case(f"{op}_f16_0d_f64", op, [mk_a((3, 4), F16), mk_b((), F64)], kw, fn=fn, **HALF_TOL),
        case(f"{op}_0d_f64_dim_f32", op, [mk_a((), F64), mk_b((3,))], kw, fn=fn),
    )


def int_dtypes(op, mk_a, mk_b, kw=None, fn=None):
    """Integer results and int→float promotion."""
    kw = kw or {}
    add(
        case(f"{op}_i64", op, [mk_a((3, 4), I64), mk_b((3, 4), I64)], kw, fn=fn),
        case(f"{op}_i32_i64", op, [mk_a((3, 4), I32), mk_b((4,), I64)], kw, fn=fn),
        case(f"{op}_i32_i32", op, [mk_a((3, 4), I32), mk_b((3, 4), I32)], kw, fn=fn),
        case(f"{op}_i8_i16", op, [mk_a((6,), I8), mk_b((6,), I16)], kw, fn=fn),
        case(f"{op}_u8_u8", op, [r((6,), U8, 0, 255), r((6,), U8, 0, 255)], kw, fn=fn),
        case(f"{op}_int_f32", op, [mk_a((3, 4), I64), mk_b((3, 4))], kw, fn=fn),
        case(f"{op}_int_f16", op, [mk_a((3, 4), I32), mk_b((4,), F16)], kw, fn=fn, **HALF_TOL),
        case(f"{op}_int_0d_float", op, [mk_a((3, 4), I64), mk_b((), F64)], kw, fn=fn),
        case(f"{op}_float_0d_int", op, [mk_a((3, 4)), mk_b((), I64)], kw, fn=fn),
        case(f"{op}_i8_0d_i64", op, [mk_a((5,), I8), mk_b((), I64)], kw, fn=fn),
    )


def scalar_operands(op, mk_a, scalars, fn=None, tol=None):
    """Tensor ⊗ Python number: promotion with wrapped numbers."""
    t = tol or {}
    for name, dtype, s in scalars:
        add(case(f"{op}_scalar_{name}", op, [mk_a((3, 4), dtype), s], fn=fn, **(HALF_TOL if dtype == F16 else t)))


STD_SCALARS = [
    ("f32_float", F32, 1.75),
    ("f32_int", F32, 3),
    ("f64_float", F64, -0.3),
    ("f16_float", F16, 1.3),
    ("i64_int", I64, 3),
    ("i64_float", I64, 2.5),
    ("i32_int", I32, -2),
    ("i8_int", I8, 3),
    ("u8_int", U8, 2),
    ("bool_int", BOOL, 2),
    ("bool_float", BOOL, 1.5),
    ("f32_bool", F32, True),
]

# ----- add / sub / rsub / mul -------------------------------------------------

for op in ["add", "sub", "mul", "rsub"]:
    layouts(op, r, r)
    float_dtypes(op, r, r)
    int_dtypes(op, r, r)
    scalar_operands(op, r, STD_SCALARS if op in ("add", "mul") else [s for s in STD_SCALARS if s[1] != BOOL and not isinstance(s[2], bool)])
    add(
        case(f"{op}_kw_other", op, [r((3, 4))], {"other": r((4,))}),
        case(f"{op}_special", op, list(special_pairs())),
        case(f"{op}_i64_wraps", op, [torch.tensor([2**62, -2**62, 2**63 - 1]), torch.tensor([2**62, 2**62 + 7, 3])]),
        case(f"{op}_i8_wraps", op, [torch.tensor([100, -100, 127], dtype=I8), torch.tensor([100, 100, 2], dtype=I8)]),
        case(f"{op}_i8_big_scalar", op, [torch.tensor([100, -100, 127], dtype=I8), 1000]),
        case(f"{op}_u8_negative_scalar", op, [torch.tensor([200, 5, 0], dtype=U8), -3]),
    )

for op in ["add", "sub", "rsub"]:
    add(
        case(f"{op}_alpha_float", op, [r((3, 4)), r((3, 4))], {"alpha": 2.5}),
        case(f"{op}_alpha_int", op, [r((3, 4), I64), r((3, 4), I64)], {"alpha": -3}),
        case(f"{op}_alpha_int_on_float", op, [r((3, 4)), r((4,))], {"alpha": 2}),
        case(f"{op}_alpha_scalar_other", op, [r((3, 4), I64), 2.5], {"alpha": 2}),
        case(f"{op}_alpha_f16", op, [r((3, 4), F16), r((3, 4), F16)], {"alpha": 0.3}, **HALF_TOL),
        case(f"{op}_alpha_float_int_error", op, [r((3, 4), I64), r((3, 4), I64)], {"alpha": 2.5}, error=True),
        case(f"{op}_alpha_bool_error", op, [r((3, 4), I64), r((3, 4), I64)], {"alpha": True}, error=True),
    )

add(
    case("add_bool_bool", "add", [r((3, 4), BOOL), r((3, 4), BOOL)]),
    case("add_bool_alpha_int", "add", [r((3, 4), BOOL), r((3, 4), BOOL)], {"alpha": 2}),
    case("add_bool_alpha_bool", "add", [r((3, 4), BOOL), r((3, 4), BOOL)], {"alpha": False}),
    case("add_bool_scalar_bool", "add", [r((3, 4), BOOL), True]),
    case("mul_bool_bool", "mul", [r((3, 4), BOOL), r((3, 4), BOOL)]),
    case("mul_bool_scalar_bool", "mul", [r((3, 4), BOOL), True]),
    case("mul_bool_int", "mul", [r((3, 4), BOOL), r((3, 4), I32)]),
    case("mul_f16_opmath_scalar", "mul", [torch.tensor([1.0, 3.0, -2.0], dtype=F16), 1 + 2**-11 + 1e-7], **HALF_TOL),
    case("sub_bool_bool_error", "sub", [r((3, 4), BOOL), r((3, 4), BOOL)], error=True),
    case("sub_bool_int_error", "sub", [r((3, 4), BOOL), r((3, 4), I64)], error=True),
    case("sub_int_bool_scalar_error", "sub", [r((3, 4), I64), True], error=True),
    case("rsub_bool_error", "rsub", [r((3, 4), BOOL), 1], error=True),
    case("add_inplace", "add_", [r((3, 4)), r((4,))], {"alpha": 2.0}, check_inputs=[0]),
    case("add_inplace_view", "add_", [r((4, 3)).t(), 1.5], check_inputs=[0]),
    case("mul_inplace_int_by_float_error", "mul_", [r((3,), I64), 1.5], error=True),
    case("sub_inplace_bcast_self_error", "sub_", [r((1, 4)), r((3, 4))], error=True),
    case("multiply_alias", "multiply", [r((3, 4)), r((4,))]),
    case("subtract_alias", "subtract", [r((3, 4)), r((4,))], {"alpha": 0.5}),
)

# ----- division -----------------------------------------------------------

layouts("div", r, nonzero)
for mode in [None, "trunc", "floor"]:
    tag = mode or "true"
    kw = {} if mode is None else {"rounding_mode": mode}
    op = "div"
    sub = f"div_{tag}"
    add(
        case(f"{sub}_basic", op, [r((3, 4), low=-6, high=6), nonzero((3, 4))], kw),
        case(f"{sub}_bcast_strided", op, [r((4, 3), low=-6, high=6).t(), nonzero((3, 1))], kw),
        case(f"{sub}_f64", op, [r((3, 4), F64, -6, 6), nonzero((4,), F64)], kw),
        case(f"{sub}_f16", op, [r((3, 4), F16, -6, 6), nonzero((4,), F16)], kw, **HALF_TOL),
        case(f"{sub}_special", op, list(special_pairs()), kw),
        case(f"{sub}_i64", op, list(int_pairs()), kw),
        case(f"{sub}_i32_scalar", op, [torch.arange(-7, 8, dtype=I32), 3], kw),
        case(f"{sub}_i32_neg_scalar", op, [torch.arange(-7, 8, dtype=I32), -2], kw),
        case(f"{sub}_u8", op, [torch.tensor([200, 7, 0, 255], dtype=U8), torch.tensor([3, 2, 5, 4], dtype=U8)], kw),
        case(f"{sub}_i8_big_scalar", op, [torch.tensor([-100, 5, 127, -128], dtype=I8), 1000], kw),
        case(f"{sub}_int_float_scalar", op, [torch.arange(-7, 8), 2.5], kw),
        case(f"{sub}_float_int_scalar", op, [r((5,), low=-6, high=6), 2], kw),
        case(f"{sub}_empty", op, [r((0, 3)), nonzero((3,))], kw),
        case(f"{sub}_0d", op, [torch.tensor(-7.5), torch.tensor(2.0)], kw),
        case(f"{sub}_zero_dividend_signs", op, [torch.tensor([0.0, -0.0, 0.0, -0.0, 1e-3, -1e-3]), torch.tensor([1.0, 1.0, -1.0, -1.0, -5.0, 5.0])], kw),
    )
    if mode is not None:
        add(
            case(f"{sub}_int_zero_error", op, [torch.tensor([1, 2, 3]), torch.tensor([1, 0, 1])], kw, error=True),
            case(f"{sub}_int_scalar_zero_error", op, [torch.tensor([1, 2, 3]), 0], kw, error=True),
            case(f"{sub}_bool_error", op, [r((3,), BOOL), r((3,), BOOL)], kw, error=True),
            case(f"{sub}_int_kw", op, [torch.arange(-7, 8)], {"other": torch.tensor(4), **kw}),
        )
    else:
        add(
            case(f"{sub}_int_int", op, list(int_pairs(I64, divisor=False))),
            case(f"{sub}_bool_bool", op, [r((3, 4), BOOL), r((3, 4), BOOL)]),
            case(f"{sub}_i8_by_int", op, [torch.tensor([-100, 5, 127], dtype=I8), 2]),
            case(f"{sub}_f16_opmath_scalar", op, [torch.tensor([1.0, 3.0], dtype=F16), 1 / (1 + 2**-11 + 1e-7)], **HALF_TOL),
        )

float_dtypes("div", r, nonzero)
add(
    case("div_bad_mode", "div", [r((3,)), 2.0], {"rounding_mode": "round"}, error=True),
    case("div_inplace_float", "div_", [r((3, 4)), nonzero((4,))], check_inputs=[0]),
    case("div_inplace_floor_int", "div_", [torch.arange(-6, 6), 4], {"rounding_mode": "floor"}, check_inputs=[0]),
    case("div_inplace_int_true_error", "div_", [torch.arange(-6, 6), 4], error=True),
    case("divide_alias", "divide", [r((3, 4)), nonzero((4,))], {"rounding_mode": "trunc"}),
    case("true_divide_int", "true_divide", [torch.arange(-6, 6), 4]),
    case("true_divide_tensor", "true_divide", [r((3, 4)), nonzero((3, 1))]),
    case("true_divide_bool", "true_divide", [r((3, 4), BOOL), r((3, 4), BOOL)]),
)

# ----- floor_divide / remainder / fmod ----------------------------------------

for op in ["floor_divide", "remainder", "fmod"]:
    add(
        case(f"{op}_basic", op, [r((3, 4), low=-6, high=6), nonzero((3, 4))]),
        case(f"{op}_bcast_t", op, [r((4, 3), low=-6, high=6).t(), nonzero((4,))]),
        case(f"{op}_strided", op, [r((3, 8), low=-6, high=6)[:, ::2], nonzero((1, 4))]),
        case(f"{op}_special", op, list(special_pairs())),
        case(f"{op}_special_f64", op, list(special_pairs(F64))),
        case(f"{op}_f16", op, [r((3, 4), F16, -6, 6), nonzero((3, 4), F16)], **HALF_TOL),
        case(f"{op}_int_pairs", op, list(int_pairs())),
        case(f"{op}_int_pairs_i16", op, list(int_pairs(I16))),
        case(f"{op}_u8", op, [torch.tensor([200, 7, 0, 255], dtype=U8), torch.tensor([3, 2, 5, 4], dtype=U8)]),
        case(f"{op}_i8_big_scalar", op, [torch.tensor([-100, 5, 127, -128], dtype=I8), 1000]),
        case(f"{op}_int_scalar", op, [torch.arange(-7, 8), 3]),
        case(f"{op}_int_neg_scalar", op, [torch.arange(-7, 8), -3]),
        case(f"{op}_int_float_scalar", op, [torch.arange(-7, 8), 2.5]),
        case(f"{op}_float_neg_scalar", op, [r((6,), low=-6, high=6), -1.5]),
        case(f"{op}_by_inf", op, [torch.tensor([5.0, -5.0, 0.0, -0.0]), INF]),
        case(f"{op}_empty", op, [r((0,)), nonzero((1,))]),
        case(f"{op}_0d", op, [torch.tensor(-7), torch.tensor(3)]),
        case(f"{op}_int_zero_error", op, [torch.tensor([1, 2, 3]), torch.tensor([1, 0, 1])], error=True),
        case(f"{op}_int_scalar_zero_error", op, [torch.arange(3), 0], error=True),
        case(f"{op}_i32_scalar_wraps_to_zero_error", op, [torch.arange(3, dtype=I32), 2**33], error=True),
        case(f"{op}_bool_error", op, [r((3,), BOOL), r((3,), BOOL)], error=True),
        case(f"{op}_shape_error", op, [r((2, 3)), r((2,))], error=True),
        case(f"{op}_i64_f32", op, [torch.arange(-7, 8), nonzero((15,))]),
    )
add(
    case("remainder_scalar_self", "remainder", [5, torch.tensor([3, -3, 2, -2, 7])]),
    case("remainder_scalar_self_float", "remainder", [-5.5, nonzero((6,))]),
    case("remainder_scalar_self_zero_error", "remainder", [2, torch.tensor([1, 0])], error=True),
    case("floor_divide_kw", "floor_divide", [torch.arange(-7, 8)], {"other": 4}),
    case("remainder_inplace", "remainder_", [r((3, 4), low=-6, high=6), 1.5], check_inputs=[0]),
)

# ----- pow ----------------------------------------------------------------

add(
    case("pow_tt_basic", "pow", [positive((3, 4)), r((3, 4))]),
    case("pow_tt_bcast", "pow", [positive((3, 1)), r((1, 4))]),
    case("pow_tt_strided", "pow", [positive((4, 3)).t(), r((3, 8))[:, ::2]]),
    case("pow_tt_special", "pow", list(special_pairs())),
    case("pow_tt_f64", "pow", [positive((3, 4), F64), r((3, 4), F64)]),
    case("pow_tt_f16", "pow", [positive((3, 4), F16), r((4,), F16)], **HALF_TOL),
    case("pow_tt_int", "pow", [r((4, 5), I64, -4, 5), r((4, 5), I64, 0, 6)]),
    case("pow_tt_int_negative_exp", "pow", [torch.tensor([2, 1, -1, -1, 0, 3]), torch.tensor([-1, -5, -3, -2, 2, 0])]),
    case("pow_tt_i32_wraps", "pow", [torch.tensor([3, 7, -5], dtype=I32), torch.tensor([30, 20, 15], dtype=I32)]),
    case("pow_tt_i8", "pow", [torch.tensor([3, 2, -2], dtype=I8), torch.tensor([4, 7, 7], dtype=I8)]),
    case("pow_tt_int_float", "pow", [r((3, 4), I64, 1, 5), r((3, 4))]),
    case("pow_tt_0d_int_exp", "pow", [r((3, 4)), torch.tensor(2)]),
    case("pow_tt_empty", "pow", [positive((0, 2)), r((2,))]),
    case("pow_tt_bool_error", "pow", [r((3,), BOOL), r((3,), BOOL)], error=True),
    case("pow_ts_square", "pow", [r((3, 4)), 2]),
    case("pow_ts_cube", "pow", [r((3, 4)), 3.0]),
    case("pow_ts_half", "pow", [positive((3, 4)), 0.5]),
    case("pow_ts_neg", "pow", [positive((3, 4)), -1.5]),
    case("pow_ts_zero", "pow", [torch.tensor([0.0, NAN, INF, -2.0]), 0]),
    case("pow_ts_nan", "pow", [torch.tensor([1.0, 2.0, 0.0]), NAN]),
    case("pow_ts_neg_base_frac", "pow", [torch.tensor([-8.0, 0.0, NAN, 1.0]), 1 / 3]),
    case("pow_ts_zero_neg", "pow", [torch.tensor([0.0, -0.0]), -1]),
    case("pow_ts_int", "pow", [r((3, 4), I64, -4, 5), 3]),
    case("pow_ts_int_float", "pow", [r((3, 4), I64, 0, 5), 2.0]),
    case("pow_ts_int_half", "pow", [r((3, 4), I64, 0, 5), 0.5]),
    case("pow_ts_bool_int", "pow", [r((3, 4), BOOL), 2]),
    case("pow_ts_f16", "pow", [positive((3, 4), F16), 1.7], **HALF_TOL),
    case("pow_ts_f64", "pow", [positive((3, 4), F64), -0.7]),
    case("pow_ts_int_neg_error", "pow", [torch.tensor([1, 2, 3]), -1], error=True),
    case("pow_ts_kw", "pow", [positive((3,))], {"exponent": 1.5}),
    case("pow_st_int", "pow", [2, torch.tensor([0, 1, 5, 10, -1, 62])]),
    case("pow_st_float_base", "pow", [2.5, r((3, 4))]),
    case("pow_st_float_base_int", "pow", [2.5, torch.arange(-3, 4)]),
    case("pow_st_bool_exp", "pow", [2, r((4,), BOOL)]),
    case("pow_st_zero_base", "pow", [0, torch.tensor([-1, 0, 1, 2])]),
    case("pow_st_bool_error", "pow", [True, r((3,), BOOL)], error=True),
    case("pow_inplace", "pow_", [positive((3, 4)), 2.0], check_inputs=[0]),
)

# ----- maximum / minimum / fmax / fmin ----------------------------------------

for op in ["maximum", "minimum", "fmax", "fmin", "max", "min"]:
    layouts(op, r, r)
    add(
        case(f"{op}_special", op, list(special_pairs())),
        case(f"{op}_int", op, [r((3, 4), I64, -5, 5), r((4,), I32, -5, 5)]),
        case(f"{op}_u8_i8", op, [torch.tensor([200, 0, 5], dtype=U8), torch.tensor([-1, 3, 5], dtype=I8)]),
        case(f"{op}_bool", op, [r((3, 4), BOOL), r((3, 4), BOOL)]),
        case(f"{op}_int_float", op, [r((3, 4), I64, -5, 5), r((3, 4))]),
        case(f"{op}_f16", op, [r((3, 4), F16), r((3, 4), F16)]),
        case(f"{op}_f64_0d", op, [r((3, 4), F64), torch.tensor(0.5)]),
        case(f"{op}_two_dtypes", op, [r((3,), I32), r((3,), F64)]),
    )
    if op not in ("max", "min"):
        add(case(f"{op}_scalar_error", op, [r((3,)), 2], error=True))

# ----- float-valued binary ops ------------------------------------------------

for op, mk_a, mk_b in [
    ("atan2", r, r),
    ("arctan2", r, r),
    ("hypot", r, r),
    ("copysign", r, r),
    ("logaddexp", lambda s, d=F32: r(s, d, -30, 30), lambda s, d=F32: r(s, d, -30, 30)),
    ("xlogy", r, positive),
]:
    layouts(op, mk_a, mk_b)
    float_dtypes(op, mk_a, mk_b)
    add(case(f"{op}_special", op, list(special_pairs())))
    if op in ("hypot", "logaddexp"):
        add(
            case(f"{op}_int_error", op, [r((3,), I64), r((3,), I64)], error=True),
            case(f"{op}_int_float", op, [r((3,), I64), r((3,))]),
        )
    else:
        add(
            case(f"{op}_int_int", op, [r((3, 4), I64, -3, 4), r((3, 4), I64, 1, 4)]),
            case(f"{op}_bool", op, [r((3, 4), BOOL), r((3, 4), BOOL)]),
            case(f"{op}_i32_f16", op, [r((3, 4), I32, -3, 4), mk_b((3, 4), F16)], **HALF_TOL),
        )
add(
    case("copysign_scalar", "copysign", [r((3, 4)), -1.0]),
    case("copysign_int_scalar", "copysign", [torch.arange(-3, 3), -1]),
    case("copysign_zero_sign", "copysign", [torch.tensor([1.0, 2.0, 0.0]), torch.tensor([-0.0, 0.0, -0.0])]),
    case("xlogy_scalar_self", "xlogy", [2, positive((3, 4))]),
    case("xlogy_scalar_other", "xlogy", [r((3, 4)), 3.0]),
    case("xlogy_zero_x", "xlogy", [torch.tensor([0.0, 0.0, 0.0, 1.0]), torch.tensor([0.0, INF, NAN, 0.0])]),
)

# ----- bitwise ------------------------------------------------------------

for op in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
    mk = lambda s, d=I64: r(s, d, -100, 100)
    layouts(op, mk, mk)
    add(
        case(f"{op}_i32_i64", op, [r((3, 4), I32, -100, 100), r((4,), I64, -100, 100)]),
        case(f"{op}_u8_i8", op, [torch.tensor([200, 7, 255], dtype=U8), torch.tensor([-1, 3, 5], dtype=I8)]),
        case(f"{op}_bool", op, [r((3, 4), BOOL), r((3, 4), BOOL)]),
        case(f"{op}_bool_int", op, [r((3, 4), BOOL), r((3, 4), I16, -100, 100)]),
        case(f"{op}_scalar", op, [r((3, 4), I64, -100, 100), 0x5A]),
        case(f"{op}_scalar_bool", op, [r((3, 4), BOOL), True]),
        case(f"{op}_bool_tensor_int_scalar", op, [r((3, 4), BOOL), 6]),
        case(f"{op}_scalar_self", op, [12, r((3, 4), I32, -100, 100)]),
        case(f"{op}_float_error", op, [r((3,)), r((3,))], error=True),
        case(f"{op}_float_scalar_error", op, [r((3,), I64), 1.0], error=True),
    )

for op in ["bitwise_left_shift", "bitwise_right_shift"]:
    mk = lambda s, d=I64: r(s, d, -1000, 1000)
    sh = lambda s, d=I64: r(s, d, 0, 20)
    layouts(op, mk, sh)
    add(
        case(f"{op}_i8", op, [torch.tensor([-100, 5, 127, -1, 64], dtype=I8), torch.tensor([1, 3, 7, 8, 10], dtype=I8)]),
        case(f"{op}_u8", op, [torch.tensor([200, 5, 3, 255, 1], dtype=U8), torch.tensor([1, 3, 7, 8, 9], dtype=U8)]),
        case(f"{op}_i32", op, [r((6,), I32, -1000, 1000), torch.tensor([0, 1, 31, 32, 40, 5], dtype=I32)]),
        case(f"{op}_i64_wide", op, [torch.tensor([7, -7, 1, -1, 3]), torch.tensor([62, 63, 64, 70, 100])]),
        case(f"{op}_negative_shift", op, [torch.tensor([7, -7, 100], dtype=I8), -1]),
        case(f"{op}_negative_shift_i64", op, [torch.tensor([7, -7, 100]), torch.tensor([-1, -2, -64])]),
        case(f"{op}_scalar", op, [r((3, 4), I64, -1000, 1000), 3]),
        case(f"{op}_i8_big_scalar", op, [torch.tensor([-100, 5, 127], dtype=I8), 300]),
        case(f"{op}_scalar_self", op, [3, torch.arange(0, 10)]),
        case(f"{op}_bool_error", op, [r((3,), BOOL), r((3,), BOOL)], error=True),
        case(f"{op}_float_error", op, [r((3,)), 1], error=True),
    )

# ----- addcmul / addcdiv / lerp ---------------------------------------------

for op in ["addcmul", "addcdiv"]:
    den = nonzero if op == "addcdiv" else r
    add(
        case(f"{op}_basic", op, [r((3, 4)), r((3, 4)), den((3, 4))]),
        case(f"{op}_value", op, [r((3, 4)), r((3, 4)), den((3, 4))], {"value": 0.5}),
        case(f"{op}_value_int", op, [r((3, 4)), r((3, 4)), den((3, 4))], {"value": -2}),
        case(f"{op}_value_bool", op, [r((3, 4)), r((3, 4)), den((3, 4))], {"value": True}),
        case(f"{op}_bcast", op, [r((3, 1)), r((1, 4)), den((4,))], {"value": 2.0}),
        case(f"{op}_strided", op, [r((4, 3)).t(), r((3, 8))[:, ::2], den((3, 4))]),
        case(f"{op}_bcast_self_grows", op, [r((4,)), r((2, 1)), den((2, 4))]),
        case(f"{op}_f64", op, [r((3, 4), F64), r((3, 4), F64), den((3, 4), F64)], {"value": 0.1}),
        case(f"{op}_f16", op, [r((3, 4), F16), r((3, 4), F16), den((3, 4), F16)], {"value": 0.7}, **HALF_TOL),
        case(f"{op}_mixed", op, [r((3, 4), F16), r((3, 4), F64), den((3, 4), F64)]),
        case(f"{op}_0d", op, [r(()), r(()), den(())]),
        case(f"{op}_0d_mixed", op, [r((3,)), torch.tensor(2.0), torch.tensor(3.0, dtype=F64)]),
        case(f"{op}_empty", op, [r((0, 3)), r((3,)), den((1, 3))]),
        case(f"{op}_shape_error", op, [r((3,)), r((2,)), den((3,))], error=True),
        case(f"{op}_int_self", op, [r((3, 4), I64), r((3, 4)), den((3, 4))]),
    )
add(
    case("addcmul_int", "addcmul", [r((3, 4), I64), r((3, 4), I64), r((3, 4), I32)], {"value": 3}),
    case("addcmul_int_float_value", "addcmul", [r((3, 4), I64), r((3, 4), I64), r((3, 4), I64)], {"value": 2.5}),
    case("addcmul_bool_error", "addcmul", [r((3,), BOOL), r((3,), BOOL), r((3,), BOOL)], error=True),
    case("addcmul_f16_opmath_value", "addcmul", [torch.tensor([1.0, 2.0], dtype=F16), torch.tensor([1.0, 2.0], dtype=F16), torch.tensor([1.0, 1.0], dtype=F16)], {"value": 2**-11 + 1e-7}, **HALF_TOL),
    case("addcdiv_int_error", "addcdiv", [r((3,)), r((3,), I64), nonzero((3,), I64)], error=True),
    case("addcdiv_int_bool_error", "addcdiv", [r((3,)), r((3,), BOOL), nonzero((3,), I64)], error=True),
    case("addcdiv_int_self_float_t1", "addcdiv", [r((3, 4), I64), r((3, 4)), nonzero((3, 4), I64)]),
    case("addcmul_inplace", "addcmul_", [r((3, 4)), r((3, 4)), r((4,))], {"value": 0.5}, check_inputs=[0]),
)

add(
    case("lerp_scalar", "lerp", [r((3, 4)), r((3, 4)), 0.3]),
    case("lerp_scalar_big_weight", "lerp", [r((3, 4)), r((3, 4)), 0.8]),
    case("lerp_scalar_neg_weight", "lerp", [r((3, 4)), r((3, 4)), -1.5]),
    case("lerp_scalar_int_weight", "lerp", [r((3, 4)), r((3, 4)), 1]),
    case("lerp_bcast", "lerp", [r((3, 1)), r((4,)), 0.25]),
    case("lerp_strided", "lerp", [r((4, 3)).t(), r((3, 8))[:, ::2], 0.6]),
    case("lerp_tensor_weight", "lerp", [r((3, 4)), r((3, 4)), r((3, 4), low=-1, high=2)]),
    case("lerp_tensor_weight_bcast", "lerp", [r((4,)), r((2, 1, 4)), r((3, 1), low=0, high=1)]),
    case("lerp_0d_weight", "lerp", [r((3, 4)), r((3, 4)), torch.tensor(0.7)]),
    case("lerp_0d_f64_weight", "lerp", [r((3, 4)), r((3, 4)), torch.tensor(0.3, dtype=F64)]),
    case("lerp_0d_int_weight", "lerp", [r((3, 4)), r((3, 4)), torch.tensor(1)]),
    case("lerp_f64", "lerp", [r((3, 4), F64), r((3, 4), F64), r((4,), F64)]),
    case("lerp_f16", "lerp", [r((3, 4), F16), r((3, 4), F16), 0.4], **HALF_TOL),
    case("lerp_f16_opmath_weight", "lerp", [torch.tensor([1.0, 3.0], dtype=F16), torch.tensor([2.0, 4.0], dtype=F16), 2**-11 + 1e-7], **HALF_TOL),
    case("lerp_special", "lerp", [*special_pairs(), 0.5]),
    case("lerp_empty", "lerp", [r((0, 3)), r((3,)), 0.5]),
    case("lerp_end_dtype_error", "lerp", [r((3,)), r((3,), F64), 0.5], error=True),
    case("lerp_weight_dtype_error", "lerp", [r((3,)), r((3,)), r((3,), F64)], error=True),
    case("lerp_int_error", "lerp", [r((3,), I64), r((3,), I64), 0.5], error=True),
    case("lerp_shape_error", "lerp", [r((3,)), r((2,)), 0.5], error=True),
    case("lerp_kw", "lerp", [r((3,))], {"end": r((3,)), "weight": 0.5}),
    case("lerp_inplace", "lerp_", [r((3, 4)), r((3, 4)), 0.5], check_inputs=[0]),
)
