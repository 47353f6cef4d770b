"""Reference cases for tensor creation (runtime/src/ops/creation.rs,
creation/range.rs) and random sampling (runtime/src/ops/random.rs).

Random cases run right after `torch.manual_seed(0)` on both sides and are
compared exactly (rtol=0, atol=0): the generator and every sampling path
are bit-identical to PyTorch's CPU kernels.
"""
import torch

from common import case, rand

EXACT = dict(rtol=0.0, atol=0.0)
F16, BF16, F64 = torch.float16, torch.bfloat16, torch.float64


def zeros_fn(*a, **k):
    # `empty` is zero-filled in tsc; PyTorch's is uninitialized.
    return torch.zeros(*a, **k)


def zeros_like_fn(x, **k):
    return torch.zeros_like(x, **k)


def new_zeros_fn(x, size, **k):
    return x.new_zeros(size, **k)


X23 = rand(2, 3)
XT = rand(3, 4).t()
XI = rand(2, 3, dtype=torch.int32)

CASES = [
    # zeros / ones / empty / full
    case("zeros", "zeros", [(2, 3)]),
    case("zeros_dtype", "zeros", [(2, 3)], {"dtype": torch.int32}),
    case("zeros_bool", "zeros", [(4,)], {"dtype": torch.bool}),
    case("zeros_empty", "zeros", [(0, 3)]),
    case("zeros_0d", "zeros", [()]),
    case("zeros_list_size", "zeros", [[3, 1, 2]], {"dtype": F64, "device": "cpu"}),
    case("zeros_negative", "zeros", [(2, -1)], error=True),
    case("ones", "ones", [(2, 3)]),
    case("ones_f16", "ones", [(3,)], {"dtype": F16}),
    case("ones_bool", "ones", [(2, 2)], {"dtype": torch.bool}),
    case("ones_uint8", "ones", [(5,)], {"dtype": torch.uint8}),
    case("empty", "empty", [(2, 3)], fn=zeros_fn),
    case("empty_int", "empty", [(4,)], {"dtype": torch.int64}, fn=zeros_fn),
    case("full_int", "full", [(2, 3), 7]),
    case("full_float", "full", [(2, 3), 1.5]),
    case("full_bool", "full", [(3,), True]),
    case("full_dtype", "full", [(2,), 2.7], {"dtype": torch.int64}),
    case("full_f16", "full", [(2,), 0.1], {"dtype": F16}),
    case("full_bf16", "full", [(2,), 0.1], {"dtype": BF16}),
    case("full_f64", "full", [(2,), 0.1], {"dtype": F64}),
    case("full_inf_f16", "full", [(2,), float("inf")], {"dtype": F16}),
    case("full_nan", "full", [(2,), float("nan")]),
    case("full_uint8_wrap", "full", [(2,), -1], {"dtype": torch.uint8}),
    case("full_to_bool", "full", [(2,), 2.7], {"dtype": torch.bool}),
    case("full_empty", "full", [(0,), 3.0]),
    case("full_kw", "full", [], {"size": (2, 2), "fill_value": 4}),
    case("full_overflow_uint8", "full", [(2,), 300], {"dtype": torch.uint8}, error=True),
    case("full_overflow_uint8_neg", "full", [(2,), -256], {"dtype": torch.uint8}, error=True),
    case("full_overflow_f16", "full", [(2,), 70000], {"dtype": F16}, error=True),
    case("full_overflow_f32", "full", [(2,), 1e39], error=True),
    case("full_nan_to_int", "full", [(2,), float("nan")], {"dtype": torch.int32}, error=True),
    case("full_neg_frac_uint8", "full", [(2,), -0.5], {"dtype": torch.uint8}, error=True),
    case("full_int8_overflow", "full", [(2,), 128], {"dtype": torch.int8}, error=True),
    case("scalar_tensor_int", "scalar_tensor", [3]),
    case("scalar_tensor_bool", "scalar_tensor", [True]),
    case("scalar_tensor_dtype", "scalar_tensor", [2.5], {"dtype": F64}),
    case("scalar_tensor_long", "scalar_tensor", [-4], {"dtype": torch.int64}),
    # eye
    case("eye", "eye", [3]),
    case("eye_rect", "eye", [2, 4]),
    case("eye_tall_kw", "eye", [4], {"m": 2}),
    case("eye_bool", "eye", [2, 3], {"dtype": torch.bool}),
    case("eye_int", "eye", [3], {"dtype": torch.int64}),
    case("eye_zero", "eye", [0]),
    case("eye_negative", "eye", [-1], error=True),
    case("eye_negative_m", "eye", [2, -3], error=True),
    # *_like
    case("zeros_like", "zeros_like", [X23]),
    case("zeros_like_t", "zeros_like", [XT]),
    case("zeros_like_dtype", "zeros_like", [X23], {"dtype": torch.int64}),
    case("zeros_like_int", "zeros_like", [XI]),
    case("zeros_like_empty", "zeros_like", [rand(0, 3)]),
    case("zeros_like_0d", "zeros_like", [torch.tensor(2.5)]),
    case("ones_like", "ones_like", [X23]),
    case("ones_like_t", "ones_like", [XT], {"dtype": F16}),
    case("ones_like_expand", "ones_like", [rand(3, 1).expand(3, 4)]),
    case("ones_like_bool", "ones_like", [XI], {"dtype": torch.bool}),
    case("empty_like", "empty_like", [X23], fn=zeros_like_fn),
    case("empty_like_dtype", "empty_like", [XT], {"dtype": torch.int32}, fn=zeros_like_fn),
    case("full_like", "full_like", [X23, 3.5]),
    case("full_like_int_keeps_dtype", "full_like", [XI, 3.7]),
    case("full_like_dtype", "full_like", [XI, 3.7], {"dtype": F64}),
    case("full_like_strided", "full_like", [rand(4, 6)[:, ::2], -1]),
    case("full_like_overflow", "full_like", [rand(2, dtype=torch.uint8, low=0, high=5), 300], error=True),
    case("new_zeros", "new_zeros", [XI, (2, 2)]),
    case("new_zeros_dtype", "new_zeros", [XI, (3,)], {"dtype": F16}),
    case("new_ones", "new_ones", [X23, [4]]),
    case("new_ones_f64", "new_ones", [rand(2, dtype=F64), (1, 2)]),
    case("new_full", "new_full", [X23, (2,), 3]),
    case("new_full_int", "new_full", [XI, (2,), 3.7]),
    case("new_full_dtype", "new_full", [XI, (2,), 3.7], {"dtype": F64}),
    case("new_full_overflow", "new_full", [XI, (2,), 1e10], error=True),
    case("new_empty", "new_empty", [XI, (2, 3)], fn=new_zeros_fn),
    case("new_zeros_negative", "new_zeros", [X23, (-2,)], error=True),
    # torch.tensor
    case("tensor_ints", "tensor", [[[1, 2, 3], [4, 5, 6]]]),
    case("tensor_floats", "tensor", [[1.5, -2.25, 1e-3]]),
    case("tensor_mixed", "tensor", [[1, 2.5, True]]),
    case("tensor_bools", "tensor", [[True, False, True]]),
    case("tensor_bool_int", "tensor", [[True, 2]]),
    case("tensor_tuple", "tensor", [((1, 2), (3, 4))]),
    case("tensor_scalar_int", "tensor", [3]),
    case("tensor_scalar_float", "tensor", [3.5]),
    case("tensor_scalar_bool", "tensor", [False]),
    case("tensor_empty", "tensor", [[]]),
    case("tensor_empty_nested", "tensor", [[[], []]]),
    case("tensor_3d", "tensor", [[[[1], [2]], [[3], [4]]]]),
    case("tensor_dtype_trunc", "tensor", [[2.7, -2.7, 0.5]], {"dtype": torch.int64}),
    case("tensor_dtype_f64", "tensor", [[0.1, 0.2]], {"dtype": F64}),
    case("tensor_dtype_f16", "tensor", [[0.1, 70000.0]], {"dtype": F16}),
    case("tensor_dtype_bool", "tensor", [[3, 0, -1]], {"dtype": torch.bool}),
    case("tensor_uint8_wrap", "tensor", [[-1, 255]], {"dtype": torch.uint8}),
    case("tensor_0d_tensors", "tensor", [[torch.tensor(1.5), torch.tensor(2)]]),
    case("tensor_0d_f64", "tensor", [[torch.tensor(1.5, dtype=F64), 2.0]]),
    case("tensor_from_tensor", "tensor", [XT]),
    case("tensor_from_tensor_dtype", "tensor", [X23], {"dtype": torch.int32}),
    case("tensor_big_int", "tensor", [[2**40, -(2**62)]]),
    case("tensor_ragged", "tensor", [[[1, 2], [3]]], error=True),
    case("tensor_ragged_depth", "tensor", [[[1, 2], 3]], error=True),
    case("tensor_overflow_uint8", "tensor", [[300]], {"dtype": torch.uint8}, error=True),
    case("tensor_overflow_int8", "tensor", [[128]], {"dtype": torch.int8}, error=True),
    case("tensor_neg_frac_uint8", "tensor", [[-0.5]], {"dtype": torch.uint8}, error=True),
    case("tensor_str", "tensor", [["a"]], error=True),
    # arange
    case("arange_end", "arange", [5]),
    case("arange_start_end", "arange", [1, 4]),
    case("arange_step", "arange", [0, 10, 3]),
    case("arange_float", "arange", [0, 1, 0.1]),
    case("arange_float_end", "arange", [2.5]),
    case("arange_negative_step", "arange", [5, 0, -1.5]),
    case("arange_long_f32", "arange", [-3.7, 5.3, 0.037]),
    case("arange_long_f64", "arange", [-3.7, 5.3, 0.037], {"dtype": F64}),
    case("arange_f64_big", "arange", [0.3, 1000.3, 0.7], {"dtype": F64}),
    case("arange_f32_big", "arange", [1e-3, 7.1, 0.0713]),
    case("arange_f16", "arange", [0, 10, 0.1], {"dtype": F16}),
    case("arange_bf16", "arange", [-3.7, 5.3, 0.037], {"dtype": BF16}),
    case("arange_int32_frac", "arange", [0.5, 5], {"dtype": torch.int32}),
    case("arange_int64_frac", "arange", [0.5, 5.7], {"dtype": torch.int64}),
    case("arange_int64_neg", "arange", [10, -7, -3]),
    case("arange_uint8_wrap", "arange", [250, 260], {"dtype": torch.uint8}),
    case("arange_int8", "arange", [-5, 5, 2], {"dtype": torch.int8}),
    case("arange_bool_arg", "arange", [True]),
    case("arange_empty", "arange", [3, 3]),
    case("arange_kw_end", "arange", [], {"end": 4}),
    case("arange_kw_start_end", "arange", [], {"start": 1, "end": 4}),
    case("arange_kw_step", "arange", [0, 10], {"step": 2.5}),
    case("arange_zero_step", "arange", [0, 5, 0], error=True),
    case("arange_wrong_sign", "arange", [5, 0], error=True),
    case("arange_inf", "arange", [0, float("inf")], error=True),
    case("arange_bool_dtype", "arange", [5], {"dtype": torch.bool}, error=True),
    # linspace / logspace
    case("linspace", "linspace", [0, 10, 5]),
    case("linspace_long", "linspace", [-3.7, 5.3, 100]),
    case("linspace_f64", "linspace", [-3.7, 5.3, 100], {"dtype": F64}),
    case("linspace_f16", "linspace", [-3.7, 5.3, 100], {"dtype": F16}),
    case("linspace_bf16", "linspace", [1e-3, 7.1, 1001], {"dtype": BF16}),
    case("linspace_big", "linspace", [1e-3, 7.1, 1001]),
    case("linspace_int", "linspace", [-3.7, 5.3, 11], {"dtype": torch.int64}),
    case("linspace_int8", "linspace", [-3, 5, 11], {"dtype": torch.int8}),
    case("linspace_uint8_wrap", "linspace", [-1, 3, 5], {"dtype": torch.uint8}),
    case("linspace_desc", "linspace", [2, -2, 9]),
    case("linspace_one", "linspace", [2.5, 7, 1]),
    case("linspace_zero", "linspace", [2.5, 7, 0]),
    case("linspace_kw", "linspace", [], {"start": 0, "end": 1, "steps": 3, "dtype": F64}),
    case("linspace_negative", "linspace", [0, 1, -1], error=True),
    case("linspace_overflow", "linspace", [0, 300, 5], {"dtype": torch.uint8}, error=True),
    case("logspace", "logspace", [0, 3, 4]),
    case("logspace_base2", "logspace", [0, 3, 4], {"base": 2}),
    case("logspace_long", "logspace", [-2.3, 3.1, 50]),
    case("logspace_f64", "logspace", [-2.3, 3.1, 50], {"dtype": F64}),
    case("logspace_f16", "logspace", [-3.7, 4.3, 100], {"dtype": F16}),
    case("logspace_int", "logspace", [-3.7, 5.3, 11], {"dtype": torch.int64}),
    case("logspace_int8_base2", "logspace", [-3, 5, 11], {"base": 2.0, "dtype": torch.int8}),
    case("logspace_one", "logspace", [2, 5, 1]),
    case("logspace_zero", "logspace", [2, 5, 0]),
    case("logspace_negative", "logspace", [0, 1, -2], error=True),
]

# ----- random (exact, after manual_seed(0)) -----------------------------

R = []


def rcase(name, op, args, kwargs=None, **kw):
    R.append(case(name, op, args, kwargs, **EXACT, **kw))


rcase("initial_seed", "initial_seed", [])
for shape in [(3,), (4, 5), (100,), (0,), ()]:
    rcase(f"rand_{len(shape)}d_{'x'.join(map(str, shape))}", "rand", [shape])
for dt in [F64, F16, BF16]:
    rcase(f"rand_{str(dt)[6:]}", "rand", [(2, 50)], {"dtype": dt})
R.append(case("rand_int_dtype", "rand", [(3,)], {"dtype": torch.int64}, error=True))
for n in [1, 5, 15, 16, 17, 20, 31, 1000]:
    rcase(f"randn_{n}", "randn", [(n,)])
for n in [5, 16, 17, 100]:
    rcase(f"randn_f64_{n}", "randn", [(n,)], {"dtype": F64})
for dt in [F16, BF16]:
    rcase(f"randn_{str(dt)[6:]}_small", "randn", [(5,)], {"dtype": dt})
    rcase(f"randn_{str(dt)[6:]}_big", "randn", [(3, 15)], {"dtype": dt})
rcase("randn_2d", "randn", [(7, 9)])
rcase("randn_empty", "randn", [(0, 4)])
R.append(case("randn_int_dtype", "randn", [(3,)], {"dtype": torch.int32}, error=True))
rcase("randint_high", "randint", [10, (5,)])
rcase("randint_low_high", "randint", [3, 10, (2, 3)])
rcase("randint_negative", "randint", [-50, -20, (20,)])
rcase("randint_2p28", "randint", [0, 2**28, (20,)])
rcase("randint_2p28_minus1", "randint", [0, 2**28 - 1, (20,)])
rcase("randint_wide", "randint", [-5, 2**33, (10,)])
rcase("randint_int8", "randint", [-100, 100, (10,)], {"dtype": torch.int8})
rcase("randint_uint8", "randint", [0, 256, (10,)], {"dtype": torch.uint8})
rcase("randint_float", "randint", [3, 10, (6,)], {"dtype": torch.float32})
rcase("randint_float_wide", "randint", [-5, 2**26, (6,)], {"dtype": torch.float32})
rcase("randint_f16", "randint", [3, 10, (6,)], {"dtype": F16})
rcase("randint_f64", "randint", [0, 2**40, (6,)], {"dtype": F64})
rcase("randint_bool", "randint", [0, 2, (8,)], {"dtype": torch.bool})
rcase("randint_kw", "randint", [], {"low": 1, "high": 7, "size": (4,)})
R.append(case("randint_empty_range", "randint", [5, 5, (3,)], error=True))
R.append(case("randint_int8_range", "randint", [0, 300, (3,)], {"dtype": torch.int8}, error=True))
for n in [0, 1, 2, 10, 100]:
    rcase(f"randperm_{n}", "randperm", [n])
rcase("randperm_int32", "randperm", [20], {"dtype": torch.int32})
rcase("randperm_f32", "randperm", [20], {"dtype": torch.float32})
R.append(case("randperm_negative", "randperm", [-1], error=True))
R.append(case("randperm_too_big_int8", "randperm", [300], {"dtype": torch.int8}, error=True))
rcase("rand_like", "rand_like", [X23])
rcase("rand_like_t", "rand_like", [XT])
rcase("rand_like_f64", "rand_like", [rand(3, 3, dtype=F64)])
rcase("rand_like_dtype", "rand_like", [XI], {"dtype": F16})
R.append(case("rand_like_int", "rand_like", [XI], error=True))
rcase("randn_like_small", "randn_like", [X23])
rcase("randn_like_big", "randn_like", [rand(4, 6)])
rcase("randn_like_big_t", "randn_like", [rand(6, 4).t()])
rcase("randn_like_strided", "randn_like", [rand(4, 12)[:, ::2]])
rcase("randn_like_f64", "randn_like", [rand(20, dtype=F64)])
rcase("randint_like", "randint_like", [XI, 10])
rcase("randint_like_low", "randint_like", [XT, -3, 10])
rcase("randint_like_dtype", "randint_like", [X23, 0, 5], {"dtype": torch.int64})


for nm, x in [("f32", rand(4, 5)), ("f64", rand(4, 5, dtype=F64)), ("f16", rand(4, 5, dtype=F16)),
              ("bf16", rand(4, 5, dtype=BF16)), ("t", rand(5, 4).t()), ("strided", rand(4, 10)[:, ::2])]:
    rcase(f"uniform_{nm}", "uniform_", [x, -1.3, 2.9], check_inputs=[0])
rcase("uniform_default", "uniform_", [rand(7)], check_inputs=[0])
rcase("uniform_wrap_to", "uniform_", [rand(50), 1e8, 1e8 + 16], check_inputs=[0])
R.append(case("uniform_int", "uniform_", [XI, 0.0, 1.0], error=True))
R.append(case("uniform_reversed", "uniform_", [rand(3), 2.0, 1.0], error=True))
for nm, x in [("f32_big", rand(4, 5)), ("f32_small", rand(3, 4)), ("f64", rand(4, 5, dtype=F64)),
              ("f16", rand(4, 5, dtype=F16)), ("t", rand(5, 4).t()), ("strided", rand(4, 10)[:, ::2])]:
    rcase(f"normal_{nm}", "normal_", [x, 1.5, 0.3], check_inputs=[0])
rcase("normal_default", "normal_", [rand(33)], check_inputs=[0])
R.append(case("normal_negative_std", "normal_", [rand(3), 0.0, -1.0], error=True))
R.append(case("normal_int", "normal_", [XI], error=True))
rcase("normal_floats", "normal", [0.5, 2.0, (20,)])
rcase("normal_floats_f64", "normal", [0.5, 2.0, (5,)], {"dtype": F64})
rcase("normal_tensor_mean", "normal", [rand(4, 5), 0.7])
rcase("normal_tensor_mean_default", "normal", [rand(3)])
rcase("normal_tensor_std", "normal", [1.5, rand(4, 5, low=0.1, high=2.0)])
rcase("normal_tensors", "normal", [rand(4, 1), rand(1, 5, low=0.1, high=2.0)])
R.append(case("normal_negative_std_tensor", "normal", [rand(3), rand(3, low=-2.0, high=-1.0)], error=True))
P = rand(4, 5, low=0.0, high=1.0)
rcase("bernoulli_tensor", "bernoulli", [P])
rcase("bernoulli_tensor_f64", "bernoulli", [rand(30, dtype=F64, low=0.0, high=1.0)])
rcase("bernoulli_tensor_t", "bernoulli", [rand(5, 4, low=0.0, high=1.0).t()])
rcase("bernoulli_p", "bernoulli", [P, 0.3])
rcase("bernoulli_p_int", "bernoulli", [XI, 0.5])


rcase("bernoulli_inplace", "bernoulli_", [rand(3, 4)], check_inputs=[0])
rcase("bernoulli_inplace_p", "bernoulli_", [rand(3, 4), 0.2], check_inputs=[0])
rcase("bernoulli_inplace_tensor", "bernoulli_", [rand(3, 4), rand(4, low=0.0, high=1.0)], check_inputs=[0])
R.append(case("bernoulli_bad_p", "bernoulli", [P, 1.5], error=True))
R.append(case("bernoulli_bad_probs", "bernoulli", [rand(3, low=1.5, high=2.0)], error=True))

CASES += R
