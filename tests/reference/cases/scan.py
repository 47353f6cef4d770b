"""Reference cases for scans (`ops/scan.rs`): cumsum, cumprod, cummax,
cummin, logcumsumexp."""
import torch
from common import case, rand

nan, inf = float("nan"), float("inf")
f16, bf16, f64 = torch.float16, torch.bfloat16, torch.float64
i32, i64, u8, i8, b = torch.int32, torch.int64, torch.uint8, torch.int8, torch.bool

CASES = []


def add(*a, **k):
    CASES.append(case(*a, **k))


x = rand(3, 4)
x3 = rand(2, 3, 4)
xw = rand(4, 6)
xi = rand(3, 4, dtype=i64)
xb = rand(3, 4, dtype=b)
e = torch.zeros(0, 3)
s = torch.tensor(2.5)
pos = rand(3, 4, low=0.5, high=1.5)
xn = rand(3, 5)
xn[0, 1] = nan
xn[1, 3] = nan
xn[2, 0] = nan
big2 = rand(300, 301)

# ----- cumsum / cumprod ------------------------------------------------------------
add("cumsum_dim1", "cumsum", [x, 1])
add("cumsum_dim0", "cumsum", [x, 0])
add("cumsum_neg", "cumsum", [x3, -2])
add("cumsum_kw", "cumsum", [x3], {"dim": 0})
add("cumsum_t", "cumsum", [x.t(), 1])
add("cumsum_strided", "cumsum", [xw[:, ::2], 1])
add("cumsum_expand", "cumsum", [rand(1, 4).expand(3, 4), 0])
add("cumsum_int", "cumsum", [xi, 1])
add("cumsum_int8", "cumsum", [rand(3, 4, dtype=i8), 0])
add("cumsum_bool", "cumsum", [xb, 1])
add("cumsum_u8", "cumsum", [rand(2, 5, dtype=u8, low=0, high=200), 1])
add("cumsum_f64", "cumsum", [rand(3, 4, dtype=f64), 1])
add("cumsum_f16", "cumsum", [rand(3, 8, dtype=f16), 1], rtol=1e-3, atol=1e-3)
add("cumsum_bf16", "cumsum", [rand(3, 8, dtype=bf16), 1], rtol=1e-2, atol=1e-2)
add("cumsum_dtype", "cumsum", [x, 1], {"dtype": f64})
add("cumsum_dtype_int", "cumsum", [x * 3, 0], {"dtype": i32})
add("cumsum_int_dtype_float", "cumsum", [xi, 1], {"dtype": torch.float32})
add("cumsum_nan", "cumsum", [xn, 1])
add("cumsum_empty", "cumsum", [e, 0])
add("cumsum_empty_other_dim", "cumsum", [e, 1])
add("cumsum_0d", "cumsum", [s, 0])
add("cumsum_big", "cumsum", [big2, 0], rtol=1e-5, atol=1e-5)
add("cumsum_big_long_row", "cumsum", [rand(70000), 0], rtol=1e-5, atol=1e-4)
add("cumsum_err_dim", "cumsum", [x, 2], error=True)
add("cumsum_err_0d_dim", "cumsum", [s, 1], error=True)
add("cumprod_dim1", "cumprod", [pos, 1])
add("cumprod_dim0", "cumprod", [pos, 0])
add("cumprod_t", "cumprod", [pos.t(), -1])
add("cumprod_int", "cumprod", [xi, 1])
add("cumprod_int8", "cumprod", [rand(3, 4, dtype=i8), 1])
add("cumprod_bool", "cumprod", [xb, 0])
add("cumprod_dtype", "cumprod", [pos, 1], {"dtype": f64})
add("cumprod_f16", "cumprod", [rand(3, 6, dtype=f16, low=0.5, high=1.5), 1], rtol=1e-3, atol=1e-3)
add("cumprod_zero_nan", "cumprod", [torch.tensor([2.0, 0.0, inf, nan, 3.0]), 0])
add("cumprod_empty", "cumprod", [e, 0])
add("cumprod_0d", "cumprod", [s, -1])
add("cumprod_overflow_wraps", "cumprod", [torch.tensor([2**40, 2**40, 3]), 0])
add("cumprod_err_dim", "cumprod", [x, -3], error=True)

# ----- cummax / cummin --------------------------------------------------------------
ties = torch.tensor([[1.0, 3, 2, 3, 1, 3], [1.0, 3, 1, 3, 0, 0]])
add("cummax_dim1", "cummax", [x, 1])
add("cummax_dim0", "cummax", [x, 0])
add("cummax_ties_latest", "cummax", [ties, 1])
add("cummax_nan", "cummax", [xn, 1])
add("cummax_nan_repeat", "cummax", [torch.tensor([1.0, nan, 3, nan, 5]), 0])
add("cummax_int", "cummax", [xi, 1])
add("cummax_bool", "cummax", [xb, 1])
add("cummax_t", "cummax", [x.t(), 0])
add("cummax_strided", "cummax", [xw[::2, :], -1])
add("cummax_f16", "cummax", [rand(3, 4, dtype=f16), 1])
add("cummax_0d", "cummax", [s, 0])
add("cummax_empty", "cummax", [e, 0])
add("cummax_kw", "cummax", [x3], {"dim": 1})
add("cummax_err_dim", "cummax", [x, 2], error=True)
add("cummin_dim1", "cummin", [x, 1])
add("cummin_ties_latest", "cummin", [ties, 1])
add("cummin_nan", "cummin", [xn, 1])
add("cummin_int", "cummin", [xi, 0])
add("cummin_bool", "cummin", [xb, 0])
add("cummin_t", "cummin", [x.t(), 1])
add("cummin_big", "cummin", [big2, 0])

# ----- logcumsumexp ------------------------------------------------------------------
add("logcumsumexp_dim1", "logcumsumexp", [x, 1])
add("logcumsumexp_dim0", "logcumsumexp", [x3, 0])
add("logcumsumexp_t", "logcumsumexp", [x.t(), -1])
add("logcumsumexp_f64", "logcumsumexp", [rand(3, 4, dtype=f64), 1])
add("logcumsumexp_f16", "logcumsumexp", [rand(3, 4, dtype=f16), 1], rtol=1e-3, atol=1e-3)
add("logcumsumexp_inf", "logcumsumexp", [torch.tensor([-inf, 0.0, inf, 1.0, -inf]), 0])
add("logcumsumexp_all_neg_inf", "logcumsumexp", [torch.tensor([-inf, -inf]), 0])
add("logcumsumexp_nan", "logcumsumexp", [xn, 1])
add("logcumsumexp_large", "logcumsumexp", [torch.tensor([1000.0, 1000.0, -1000.0]), 0])
add("logcumsumexp_empty", "logcumsumexp", [e, 0])
add("logcumsumexp_0d", "logcumsumexp", [s, 0])
add("logcumsumexp_err_int", "logcumsumexp", [xi, 1], error=True)
add("logcumsumexp_err_dim", "logcumsumexp", [x, 2], error=True)
