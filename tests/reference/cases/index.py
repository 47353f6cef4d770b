"""Reference cases: indexing (runtime/src/ops/index*.rs).

Python indexing is exercised through the registered ops
`getitem(self, indices)` and `setitem(self, indices, value)`: `indices` is
a list or tuple of items (or one item that is neither) where a 3-tuple item
is a slice
`(start, stop, step)`, the string "..." is Ellipsis, and ints, bools, None,
tensors and lists of ints are themselves. `setitem` returns the written
tensor and the cases also check argument 0 after the call, so writes
through views (`x.t()`, `x[:, ::2]`) must reach the viewed storage.
"""
import torch
from common import case, rand


def _py_item(v):
    if isinstance(v, tuple):
        return slice(*v)
    if isinstance(v, str):
        return Ellipsis
    return v


def _py_index(idx):
    items = idx if isinstance(idx, list) else [idx]
    return tuple(_py_item(i) for i in items)


def getitem_ref(x, idx):
    return x[_py_index(idx)]


def setitem_ref(x, idx, value):
    x[_py_index(idx)] = value
    return x


def G(name, x, idx, error=False):
    return case("get_" + name, "getitem", [x, idx], fn=getitem_ref, error=error)


def S(name, x, idx, value, error=False):
    return case("set_" + name, "setitem", [x, idx, value], fn=setitem_ref, check_inputs=[0] if not error else [], error=error)


L = torch.tensor  # index tensor literal
ALL = (None, None, None)

x = rand(3, 4)
x3 = rand(2, 3, 4)
x4 = rand(2, 3, 4, 5)
xi = rand(3, 4, dtype=torch.int64, low=-9, high=9)
xb = rand(3, 4, dtype=torch.bool)
xh = rand(3, 4, dtype=torch.float16)
xd = rand(3, 4, dtype=torch.float64)
nc_t = rand(4, 3).t()
nc_step = rand(3, 8)[:, ::2]
s0 = torch.tensor(1.5)
e = torch.zeros(0, 3)
mask34 = rand(3, 4, dtype=torch.bool)
aten_index = torch.ops.aten.index.Tensor
aten_index_put = torch.ops.aten.index_put.default

GET = [
    G("int", x, 1),
    G("int_neg", x3, [-1, -2]),
    G("slice", x, [(1, None, None)]),
    G("slice_step", x3, [ALL, (None, None, 2), (1, 3, None)]),
    G("slice_clamp", x, [(-10, 100, None), (3, 1, None)]),
    G("none", x, [None, "...", None]),
    G("ellipsis_int", x4, ["...", 0]),
    G("ellipsis_twice", x, ["...", "..."]),
    G("mixed_basic", x3, [-1, (1, None, 2), None]),
    G("0d_ellipsis", s0, "..."),
    G("0d_none", s0, None),
    G("0d_int_tensor", x, L(1)),
    G("0d_int32_tensor", x3, [ALL, L(2, dtype=torch.int32)]),
    G("bool_true", x, True),
    G("bool_false", x, False),
    G("bool_0d_tensor", x3, [L(True), ALL, L([1, 1, 1])]),
    G("bool_0d_tensor_on_0d", s0, L(True)),
    G("long", x, L([2, 0, 2])),
    G("long_list", x, [[0, 2]]),
    G("long_neg", x, [ALL, L([-1, -4])]),
    G("long_2d", x, L([[0, 1], [2, 2]])),
    G("int32", x, L([1, 0], dtype=torch.int32)),
    G("two_adjacent", x3, [ALL, L([0, 2]), L([1, 3])]),
    G("two_separated", x4, [L([0, 1]), ALL, L([0, 3])]),
    G("broadcast_idx", x, [L([[0], [2]]), L([[1, 3]])]),
    G("int_then_adv", x4, [0, ALL, L([0, 1])]),
    G("adv_int_adv", x4, [L([0, 1]), 0, L([0, 1])]),
    G("adv_0dtensor_adv", x4, [L([0, 1]), L(1), L([0, 1])]),
    G("adv_none_adv", x4, [L([0, 1]), None, L([0, 1])]),
    G("adv_ellipsis_adv", x4, [L([1]), "...", L([2])]),
    G("slice_none_adv", x3, [ALL, None, L([1])]),
    G("adv_slice_adv", x3, [L([1]), (1, None, None), L([1])]),
    G("mask", x, mask34),
    G("mask_rows", x, L([True, False, True])),
    G("mask_rows_slice", x, [L([True, False, True]), (1, 3, None)]),
    G("mask_2d_then_slice", x3, [rand(2, 3, dtype=torch.bool), (1, 3, None)]),
    G("mask_inner", x4, [ALL, rand(3, 4, dtype=torch.bool)]),
    G("mask_inner_int", x4, [ALL, rand(3, 4, dtype=torch.bool), 1]),
    G("mask_and_long", x3, [L([True, False]), ALL, L([[1]])]),
    G("mask_uint8", x, L([1, 0, 1], dtype=torch.uint8)),
    G("mask_empty", x, [ALL, L([False] * 4)]),
    G("empty_long", x, L([], dtype=torch.long)),
    G("empty_dim_long", e, [ALL, L([0, 2])]),
    G("empty_both", x, [L([], dtype=torch.long), L([], dtype=torch.long)]),
    G("noncontig_t", nc_t, [L([2, 0]), (None, None, 2)]),
    G("noncontig_step", nc_step, [ALL, L([1, 1, 3])]),
    G("expanded", rand(1, 4).expand(3, 4), [L([0, 2]), L([1, 2])]),
    G("int_dtype", xi, [L([0, 2]), ALL]),
    G("bool_dtype", xb, L([2, 1])),
    G("f16", xh, [ALL, L([3])]),
    G("f64_mask", xd, xd > 0),
    G("err_int_oob", x, 5, error=True),
    G("err_int_oob_dim1", x, [ALL, 7], error=True),
    G("err_long_oob", x, L([3]), error=True),
    G("err_long_neg_oob", x, [ALL, L([-5])], error=True),
    G("err_float_index", x, L([1.0]), error=True),
    G("err_too_many", x, [1, 2, 3], error=True),
    G("err_mask_shape", x, L([True, False]), error=True),
    G("err_broadcast", x, [L([[0, 1]]), L([1, 2, 3])], error=True),
    G("err_step_zero", x, [(None, None, 0)], error=True),
    G("err_step_neg", x, [(None, None, -1)], error=True),
    G("err_0d_int", s0, 0, error=True),
    G("err_empty_dim_oob", e, L([0]), error=True),
]

SET = [
    S("int_scalar", x, 1, 7.0),
    S("int_tensor_cast", x, 0, L([[1.0, 2.0, 3.0, 4.0]], dtype=torch.float64)),
    S("slice_bcast", x, [ALL, (1, 3, None)], L([[-1.0], [-2.0], [-3.0]])),
    S("step_view", x, [ALL, (None, None, 2)], 0.0),
    S("through_transpose", nc_t, [(1, None, None), 0], L([5.0, 6.0])),
    S("through_step", nc_step, [ALL, 1], -1.0),
    S("none_ellipsis", x, ["...", None], 3.0),
    S("leading_ones", x, None, torch.ones(1, 1, 3, 4)),
    S("scalar_int_into_float", x, [0, 0], 5),
    S("scalar_float_into_int", xi, [ALL, 1], 2.7),
    S("bool_into_float", x, 1, torch.ones(4, dtype=torch.bool)),
    S("0d_int_tensor", x, L(1), 3),
    S("adv_rows", x, L([0, 2]), L([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])),
    S("adv_dup_last_wins", torch.zeros(5), L([1, 1, 1]), L([1.0, 2.0, 3.0])),
    S("adv_leading_ones", x, L([0, 1]), L([[[1.5, 2.0, 3.0, 4.0]]])),
    S("adv_scalar", x, [ALL, L([0, 3])], -4.0),
    S("adv_col_bcast", x, [ALL, L([0, 1])], L([[1.0], [2.0], [3.0]])),
    S("adv_2d_pairs", x, [L([[0, 1]]), L([[1], [2]])], torch.arange(4.0).view(2, 2)),
    S("adv_separated", x4, [L([0, 1]), ALL, L([2, 3])], 9.0),
    S("adv_through_transpose", nc_t, [L([0, 2]), L([1, 3])], L([8.0, 9.0])),
    S("mask_scalar", x, mask34, 0.5),
    S("mask_values", xi, xi > 0, torch.arange(int((xi > 0).sum()))),
    S("mask_rows", x, L([True, False, True]), L([1.0, 2.0, 3.0, 4.0])),
    S("mask_0d_true", x, L(True), torch.ones(4)),
    S("mask_false", x, False, torch.ones(4)),
    S("int_dtype_adv", xi, [L([2]), L([-1])], L([42])),
    S("bool_dtype_mask", xb, xb, False),
    S("f16", xh, [ALL, L([1])], 1.25),
    S("err_adv_dtype", x, L([0, 1]), L([1.0, 2.0, 3.0, 4.0], dtype=torch.float64), error=True),
    S("err_adv_long_value", x, L([0]), L(2), error=True),
    S("err_shape", x, [(1, None, None), 0], torch.ones(2, 1), error=True),
    S("err_adv_shape", x, L([0, 1]), torch.ones(3, 4), error=True),
    S("err_oob", x, L([5]), 1.0, error=True),
    S("err_too_many", x, [0, 0, 0], 1.0, error=True),
]

INDEX_OPS = [
    # aten::index / index_put
    case("index_none_long", "index", [x, [None, L([0, 2])]], fn=aten_index),
    case("index_two", "index", [x3, [L([1, 0]), None, L([3, 3])]], fn=aten_index),
    case("index_mask", "index", [x, [mask34]], fn=aten_index),
    case("index_mask_then_long", "index", [x3, [rand(2, 3, dtype=torch.bool), L([0])]], fn=aten_index),
    case("index_nc", "index", [nc_t, [L([2, 2]), L([0, 3])]], fn=aten_index),
    case("index_err_oob", "index", [x, [L([3])]], fn=aten_index, error=True),
    case("index_err_empty", "index", [x, []], fn=aten_index, error=True),
    case("index_put", "index_put", [x, (L([0, 0]),), L(1.0)]),
    case("index_put_accumulate", "index_put", [x, (L([0, 0]),), L([1.0, 2.0, 3.0, 4.0])], {"accumulate": True}),
    case("index_put_accumulate_2d", "index_put", [xi, (L([0, 0, 2]), L([1, 1, -1])), L([5, 6, 7])], {"accumulate": True}),
    case("index_put_mask", "index_put", [x, (x > 0,), torch.arange(float(int((x > 0).sum())))]),
    case("index_put_none", "index_put", [x, [None, L([1, 3])], L([9.0, 8.0])], fn=aten_index_put),
    case("index_put_nc", "index_put", [nc_t, (L([1]), L([2])), L([3.5])]),
    case("index_put_err_dtype", "index_put", [x, (L([0]),), L(1.0, dtype=torch.float64)], error=True),
    case("index_put_err_shape", "index_put", [x, (L([0, 0]), L([1, 1])), L([[1.0, 2.0]])], error=True),
    case("index_put_inplace", "index_put_", [xd.clone(), (L([1, 2]),), L([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)],
         fn=lambda t, i, v: t.index_put_(i, v), check_inputs=[0]),
    # index_select
    case("index_select", "index_select", [x, 1, L([3, 0, 3])]),
    case("index_select_neg_dim", "index_select", [x3, -2, L([2, 1], dtype=torch.int32)]),
    case("index_select_0d_index", "index_select", [x, 0, L(1)]),
    case("index_select_nc", "index_select", [nc_t, 0, L([1, 1])]),
    case("index_select_empty", "index_select", [x, 1, L([], dtype=torch.long)]),
    case("index_select_empty_self", "index_select", [e, 1, L([0, 1, 1])]),
    case("index_select_0d_self", "index_select", [s0, 0, L(0)]),
    case("index_select_int", "index_select", [xi, 0, L([2])]),
    case("index_select_err_neg", "index_select", [x, 0, L([-1])], error=True),
    case("index_select_err_oob", "index_select", [x, 1, L([4])], error=True),
    case("index_select_err_2d", "index_select", [x, 0, L([[1]])], error=True),
    case("index_select_err_float", "index_select", [x, 0, L([1.0])], error=True),
    case("index_select_err_dim", "index_select", [x, 2, L([0])], error=True),
    # gather / take / take_along_dim
    case("gather", "gather", [x, 1, L([[0, 3], [1, 1], [2, 0]])]),
    case("gather_dim0", "gather", [x, 0, L([[0, 1, 2, 0]])]),
    case("gather_smaller", "gather", [x3, 2, L([[[3]], [[0]]])]),
    case("gather_wider", "gather", [x, 1, L([[0, 1, 2, 3, 0]])]),
    case("gather_int32", "gather", [nc_t, -1, L([[3], [2], [1]], dtype=torch.int32)]),
    case("gather_0d", "gather", [s0, 0, L([0, 0])]),
    case("gather_empty", "gather", [x, 0, torch.zeros(0, 4, dtype=torch.long)]),
    case("gather_kw", "gather", [xi], {"dim": 1, "index": L([[1], [0], [3]])}),
    case("gather_err_neg", "gather", [x, 1, L([[-1]])], error=True),
    case("gather_err_oob", "gather", [x, 1, L([[4]])], error=True),
    case("gather_err_ndim", "gather", [x, 1, L([0])], error=True),
    case("gather_err_size", "gather", [x, 0, L([[0, 1, 2, 3, 0]])], error=True),
    case("take", "take", [x, L([[0, -1], [5, 6]])]),
    case("take_nc", "take", [nc_t, L([1, 4, 11])]),
    case("take_0d", "take", [s0, L([0, -1])]),
    case("take_err_oob", "take", [x, L([12])], error=True),
    case("take_err_int32", "take", [x, L([1], dtype=torch.int32)], error=True),
    case("take_along_dim", "take_along_dim", [x, L([[0], [1], [2]]), 1]),
    case("take_along_dim_bcast", "take_along_dim", [x, L([[0, 1, 2, 1]]), 0]),
    case("take_along_dim_neg", "take_along_dim", [x, L([[-1]]), 1]),
    case("take_along_dim_flat", "take_along_dim", [x, L([[0, 11], [5, 5]])]),
    case("take_along_dim_err_flat_view", "take_along_dim", [nc_t, L([0, 11, 5])], error=True),
    case("take_along_dim_err_ndim", "take_along_dim", [x, L([0]), 1], error=True),
    case("take_along_dim_err_dtype", "take_along_dim", [x, L([[0]], dtype=torch.int32), 1], error=True),
    case("take_along_dim_err_flat_neg", "take_along_dim", [x, L([-1])], error=True),
    # scatter family
    case("scatter_src", "scatter", [x, 1, L([[0, 1], [2, 3]]), rand(2, 2)]),
    case("scatter_src_bigger", "scatter", [x, 0, L([[0, 1, 2, 1]]), rand(2, 5)]),
    case("scatter_value", "scatter", [x, 1, L([[0], [1]]), 5.0]),
    case("scatter_value_int_into_float", "scatter", [x, 1, L([[3]]), 2]),
    case("scatter_value_float_into_int", "scatter", [xi, 0, L([[1, 2]]), 5.5]),
    case("scatter_int32_index", "scatter", [x, 1, L([[0], [1]], dtype=torch.int32), -1.0]),
    case("scatter_dup", "scatter", [torch.zeros(4), 0, L([1, 1, 1]), L([1.0, 2.0, 3.0])]),
    case("scatter_nc", "scatter", [nc_t, 0, L([[2, 0, 1, 0]]), nc_step[:1]]),
    case("scatter_0d", "scatter", [s0, 0, L(0), L(2.0)]),
    case("scatter_reduce_add", "scatter", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0], [3.0, 4.0]])], {"reduce": "add"}),
    case("scatter_reduce_mul", "scatter", [x, 1, L([[0, 0], [1, 1]]), 2.0], {"reduce": "multiply"}),
    case("scatter_err_dtype", "scatter", [x, 1, L([[0], [1]]), torch.ones(2, 1, dtype=torch.float64)], error=True),
    case("scatter_err_oob", "scatter", [x, 1, L([[4]]), 1.0], error=True),
    case("scatter_err_neg", "scatter", [x, 1, L([[-1]]), 1.0], error=True),
    case("scatter_err_src_small", "scatter", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0]])], error=True),
    case("scatter_err_reduce", "scatter", [x, 1, L([[0]]), 1.0], {"reduce": "mean"}, error=True),
    case("scatter_inplace", "scatter_", [x.clone(), 1, L([[0], [2]]), 7.0], fn=lambda t, d, i, v: t.scatter_(d, i, v), check_inputs=[0]),
    case("scatter_add", "scatter_add", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0], [3.0, 4.0]])]),
    case("scatter_add_int", "scatter_add", [xi, 0, L([[0, 0, 0, 0], [0, 0, 0, 0]]), torch.ones(2, 4, dtype=torch.int64)]),
    case("scatter_add_err", "scatter_add", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0]])], error=True),
    case("scatter_reduce_sum", "scatter_reduce", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0], [3.0, 4.0]]), "sum"]),
    case("scatter_reduce_prod_excl", "scatter_reduce", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0], [3.0, 4.0]]), "prod"], {"include_self": False}),
    case("scatter_reduce_mean", "scatter_reduce", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0], [3.0, 4.0]]), "mean"]),
    case("scatter_reduce_mean_excl", "scatter_reduce", [x, 1, L([[0, 0], [1, 1]]), L([[1.0, 2.0], [3.0, 4.0]]), "mean"], {"include_self": False}),
    case("scatter_reduce_mean_int", "scatter_reduce", [xi, 1, L([[0, 0], [1, 1]]), L([[1, 2], [3, -4]]), "mean"], {"include_self": False}),
    case("scatter_reduce_amax", "scatter_reduce", [x, 0, L([[0, 1, 2, 0], [0, 1, 2, 0]]), rand(2, 4), "amax"]),
    case("scatter_reduce_amin_excl", "scatter_reduce", [x, 0, L([[0, 1, 2, 0], [0, 1, 2, 0]]), rand(2, 4), "amin"], {"include_self": False}),
    case("scatter_reduce_amax_nan", "scatter_reduce", [x, 1, L([[0, 0]]), L([[float("nan"), 2.0]]), "amax"]),
    case("scatter_reduce_err", "scatter_reduce", [x, 1, L([[0]]), L([[1.0]]), "foo"], error=True),
    # index_add / index_fill
    case("index_add", "index_add", [x, 0, L([0, 2, 0]), rand(3, 4)]),
    case("index_add_alpha", "index_add", [x, 1, L([3, 3]), rand(3, 2)], {"alpha": 2.5}),
    case("index_add_int_alpha", "index_add", [xi, 0, L([1]), torch.ones(1, 4, dtype=torch.int64)], {"alpha": 3}),
    case("index_add_int32_index", "index_add", [nc_t, 1, L([1], dtype=torch.int32), rand(3, 1)]),
    case("index_add_0d", "index_add", [s0, 0, L(0), L(2.0)]),
    case("index_add_err_neg", "index_add", [x, 0, L([-1]), rand(1, 4)], error=True),
    case("index_add_err_dtype", "index_add", [x, 0, L([0]), torch.ones(1, 4, dtype=torch.float64)], error=True),
    case("index_add_err_count", "index_add", [x, 0, L([0, 1]), rand(1, 4)], error=True),
    case("index_add_err_shape", "index_add", [x, 0, L([0]), rand(1, 3)], error=True),
    case("index_fill", "index_fill", [x, 1, L([0, 2]), -1.0]),
    case("index_fill_neg", "index_fill", [nc_t, 1, L([-1]), 0.0]),
    case("index_fill_tensor", "index_fill", [x, 0, L([1]), L(3.5)]),
    case("index_fill_int_float", "index_fill", [xi, 1, L([0]), 2.5]),
    case("index_fill_0d_index", "index_fill", [x, 1, L(0), 9.0]),
    case("index_fill_0d", "index_fill", [s0, 0, L([0]), 0.0]),
    case("index_fill_err_int32", "index_fill", [x, 1, L([1], dtype=torch.int32), 0.0], error=True),
    case("index_fill_err_oob", "index_fill", [x, 1, L([4]), 0.0], error=True),
    case("index_fill_err_value", "index_fill", [x, 1, L([0]), L([1.0])], error=True),
    # masks / nonzero
    case("masked_select", "masked_select", [x, mask34]),
    case("masked_select_bcast", "masked_select", [x, L([True, False, True, False])]),
    case("masked_select_bcast_self", "masked_select", [L([1.0, 2.0, 3.0, 4.0]), torch.ones(2, 4, dtype=torch.bool)]),
    case("masked_select_nc", "masked_select", [nc_t, nc_t > 0]),
    case("masked_select_err", "masked_select", [x, L([1, 0, 1, 0])], error=True),
    case("masked_scatter", "masked_scatter", [x, x > 0, torch.arange(12.0)]),
    case("masked_scatter_bcast", "masked_scatter", [torch.zeros(2, 4), L([True, False, True, False]), torch.arange(8.0)]),
    case("masked_scatter_nc_source", "masked_scatter", [torch.zeros(2, 4), L([True, False, True, False]), torch.arange(8.0).view(2, 4).t()]),
    case("masked_scatter_err_count", "masked_scatter", [x, torch.ones(3, 4, dtype=torch.bool), torch.arange(2.0)], error=True),
    case("masked_scatter_err_dtype", "masked_scatter", [x, x > 0, torch.arange(12.0, dtype=torch.float64)], error=True),
    case("nonzero", "nonzero", [x > 0]),
    case("nonzero_float_nan", "nonzero", [L([[0.0, float("nan")], [1.0, 0.0]])]),
    case("nonzero_nc", "nonzero", [nc_t]),
    case("nonzero_0d", "nonzero", [s0]),
    case("nonzero_0d_zero", "nonzero", [L(0.0)]),
    case("nonzero_empty", "nonzero", [torch.zeros(2, 0, 3)]),
    case("nonzero_int", "nonzero", [xi]),
    case("nonzero_tuple", "nonzero", [xi], {"as_tuple": True}),
    case("nonzero_tuple_0d", "nonzero", [s0], {"as_tuple": True}),
    case("argwhere", "argwhere", [xb]),
]

CASES = GET + SET + INDEX_OPS
