"""tsc prelude: the builtin `torch.nn` modules, written in the TorchScript subset.

The interpreter loads this file before user model files and binds each class
as `nn.<Name>`, so the type checker, the interpreter and the graph compiler
treat these modules exactly like user modules. (Containers are native.)

Contract with torch.nn, verified by `check_nn.py` next to this file:
  * constructor signatures are torch.nn's (names, order, defaults), minus the
    `device=` / `dtype=` factory arguments;
  * parameter / buffer / submodule names are torch.nn's, so `state_dict()`
    keys, shapes and dtypes match and torch checkpoints load as they are;
  * initialization makes the same random draws, in the same order, as
    `reset_parameters` (same seed -> same values as torch.nn);
  * `forward` computes what torch.nn computes, in eval and in train mode.

Language: `__init__` runs eagerly (plain Python). `forward` and the helpers
it calls are TorchScript: fully annotated, calling only `torch.*`, `F.*` and
Tensor methods. Parameters that may be None are annotated at class level;
Optional attributes are copied to a local before an `is not None` test
(TorchScript refines locals only). Buffers that may be None are annotated
inside `__init__`, as torch.nn does: a class-level annotation would turn
them into plain attributes under torch.jit.script.

Not supported (raise in `__init__`): return_indices=True (MaxPool1d/2d,
AdaptiveMaxPool2d), MultiheadAttention with kdim / vdim != embed_dim and
LSTM(proj_size > 0). LSTM / GRU take Tensor input only (no PackedSequence).
Warnings are not emitted (deprecations: Softmax / Softmin without dim,
Hardtanh min_value / max_value; RNN dropout with num_layers=1;
InstanceNorm(affine=False) input with another number of channels).
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
from typing import List, Optional, Tuple
from torch import Tensor


# ---------------------------------------------------------------------------
# Eager helpers (used by __init__ only)
# ---------------------------------------------------------------------------

def _ntuple(x, n: int):
    """torch.nn.modules.utils._ntuple: repeat a scalar n times, keep tuples."""
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return tuple([x] * n)


def _uniform(shape: List[int], bound: float) -> Tensor:
    """A fresh tensor drawn from U(-bound, bound)."""
    return torch.empty(shape).uniform_(-bound, bound)


def _kaiming_bound(fan_in: int) -> float:
    """kaiming_uniform_(a=sqrt(5)) bound, 1/sqrt(fan_in); also the bias bound."""
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


def _conv_check(in_channels, out_channels, stride, padding, groups, padding_mode) -> None:
    """Argument validation of torch.nn.modules.conv._ConvNd."""
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError("Invalid padding string '" + padding + "', should be one of ('same', 'valid')")
        if padding == "same":
            for s in stride:
                if s != 1:
                    raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError("padding_mode must be one of ('zeros', 'reflect', 'replicate', 'circular'), "
                         "but got padding_mode='" + str(padding_mode) + "'")


def _conv_reversed_padding(padding, kernel_size, dilation) -> List[int]:
    """_ConvNd._reversed_padding_repeated_twice: the F.pad amounts (last
    spatial dim first) used when padding_mode != 'zeros'."""
    out: List[int] = []
    for i in reversed(range(len(kernel_size))):
        if padding == "valid":
            out += [0, 0]
        elif padding == "same":  # odd total padding: the extra one goes right
            total = dilation[i] * (kernel_size[i] - 1)
            out += [total // 2, total - total // 2]
        else:
            out += [padding[i], padding[i]]
    return out


def _conv_params(in_channels: int, out_channels: int, kernel_size, groups: int, bias: bool,
                 transposed: bool = False):
    """Conv weight [out, in/groups, *k] (transposed: [in, out/groups, *k]) and
    bias [out], kaiming-uniform init; fan_in is weight.size(1) * prod(k)."""
    if transposed:
        shape = [in_channels, out_channels // groups] + list(kernel_size)
    else:
        shape = [out_channels, in_channels // groups] + list(kernel_size)
    fan_in = shape[1]
    for k in kernel_size:
        fan_in = fan_in * k
    bound = _kaiming_bound(fan_in)
    weight = nn.Parameter(_uniform(shape, bound))
    b = None
    if bias:
        b = nn.Parameter(_uniform([out_channels], bound))
    return weight, b


# ---------------------------------------------------------------------------
# TorchScript helpers (callable from forward)
# ---------------------------------------------------------------------------

def _legacy_softmax_dim(ndim: int) -> int:
    """F._get_softmax_dim: the implicit dim of Softmax(dim=None)."""
    if ndim == 0 or ndim == 1 or ndim == 3:
        return 0
    return 1


def _canonical_mask(mask: Optional[Tensor], dtype: torch.dtype) -> Optional[Tensor]:
    """F._canonical_mask: a bool mask (True = masked out) becomes an additive
    float mask with -inf; a float mask is returned unchanged."""
    if mask is not None:
        if mask.dtype == torch.bool:
            return torch.zeros_like(mask, dtype=dtype).masked_fill(mask, float("-inf"))
        if not torch.is_floating_point(mask):
            raise AssertionError("only bool and floating types of masks are supported")
    return mask


# ---------------------------------------------------------------------------
# Linear and convolutions
# ---------------------------------------------------------------------------

class Linear(nn.Module):
    bias: Optional[Tensor]

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bound = _kaiming_bound(in_features)
        self.weight = nn.Parameter(_uniform([out_features, in_features], bound))
        if bias:
            self.bias = nn.Parameter(_uniform([out_features], bound))
        else:
            self.bias = None

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)


def _bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """F.bilinear: y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o],
    as one matmul over the flattened batch (x1 @ W, then a dot with x2)."""
    out_features = weight.size(0)
    in1 = weight.size(1)
    in2 = weight.size(2)
    if input1.dim() != input2.dim():
        raise RuntimeError("bilinear(): input dimensions do not match: got " + str(input1.dim()) + " and "
                           + str(input2.dim()))
    lead: List[int] = []
    for d in range(input1.dim() - 1):
        if input1.size(d) != input2.size(d):
            raise RuntimeError("bilinear(): input batch dimensions do not match at dim " + str(d) + ": got "
                               + str(input1.size(d)) + " and " + str(input2.size(d)))
        lead.append(input1.size(d))
    if input1.size(-1) != in1:
        raise RuntimeError("bilinear(): input1 size does not match weight size: got " + str(input1.size(-1))
                           + " but expected " + str(in1))
    if input2.size(-1) != in2:
        raise RuntimeError("bilinear(): input2 size does not match weight size: got " + str(input2.size(-1))
                           + " but expected " + str(in2))
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    t = torch.matmul(x1, weight.transpose(0, 1).reshape(in1, out_features * in2))
    y = (t.reshape(-1, out_features, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + [out_features])


class Bilinear(nn.Module):
    bias: Optional[Tensor]

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        if in1_features <= 0:
            raise ValueError("in1_features must be > 0, but got (in1_features=" + str(in1_features) + ")")
        # reset_parameters: weight, then bias, both U(-1/sqrt(in1), 1/sqrt(in1)).
        bound = 1.0 / math.sqrt(in1_features)
        self.weight = nn.Parameter(_uniform([out_features, in1_features, in2_features], bound))
        if bias:
            self.bias = nn.Parameter(_uniform([out_features], bound))
        else:
            self.bias = None

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return _bilinear(input1, input2, self.weight, self.bias)


class Conv1d(nn.Module):
    bias: Optional[Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros") -> None:
        super().__init__()
        kernel_size = _ntuple(kernel_size, 1)
        stride = _ntuple(stride, 1)
        dilation = _ntuple(dilation, 1)
        if not isinstance(padding, str):
            padding = _ntuple(padding, 1)
        _conv_check(in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0,)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _conv_reversed_padding(padding, kernel_size, dilation)
        self.weight, self.bias = _conv_params(in_channels, out_channels, kernel_size, groups, bias)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv1d(padded, self.weight, self.bias, self.stride, (0,), self.dilation, self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(nn.Module):
    bias: Optional[Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros") -> None:
        super().__init__()
        kernel_size = _ntuple(kernel_size, 2)
        stride = _ntuple(stride, 2)
        dilation = _ntuple(dilation, 2)
        if not isinstance(padding, str):
            padding = _ntuple(padding, 2)
        _conv_check(in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _conv_reversed_padding(padding, kernel_size, dilation)
        self.weight, self.bias = _conv_params(in_channels, out_channels, kernel_size, groups, bias)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv2d(padded, self.weight, self.bias, self.stride, (0, 0), self.dilation, self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


def _conv_transpose_output_padding(input: Tensor, output_size: Optional[List[int]], output_padding: List[int],
                                   stride: List[int], padding: List[int], kernel_size: List[int],
                                   dilation: List[int]) -> List[int]:
    """_ConvTransposeNd._output_padding: the module's output_padding, or the
    one that yields the requested output_size (spatial sizes, optionally
    preceded by the batch / channel sizes)."""
    if output_size is not None:
        n = len(stride)
        num_non_spatial_dims = 2 if input.dim() == n + 2 else 1
        sizes = output_size
        if len(sizes) == num_non_spatial_dims + n:
            sizes = sizes[num_non_spatial_dims:]
        if len(sizes) != n:
            raise ValueError("ConvTranspose" + str(n) + "D: for " + str(input.dim()) + "D input, output_size must "
                             "have " + str(n) + " or " + str(num_non_spatial_dims + n) + " elements (got "
                             + str(len(sizes)) + ")")
        res: List[int] = []
        for d in range(n):
            min_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + dilation[d] * (kernel_size[d] - 1) + 1)
            max_size = min_size + stride[d] - 1
            if sizes[d] < min_size or sizes[d] > max_size:
                raise ValueError("requested an output size of " + str(sizes) + ", but valid sizes of dim " + str(d)
                                 + " range from " + str(min_size) + " to " + str(max_size))
            res.append(sizes[d] - min_size)
        return res
    return output_padding


class ConvTranspose1d(nn.Module):
    bias: Optional[Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros") -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose1d')
        kernel_size = _ntuple(kernel_size, 1)
        stride = _ntuple(stride, 1)
        padding = _ntuple(padding, 1)
        dilation = _ntuple(dilation, 1)
        output_padding = _ntuple(output_padding, 1)
        _conv_check(in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = True
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _conv_reversed_padding(padding, kernel_size, dilation)
        self.weight, self.bias = _conv_params(in_channels, out_channels, kernel_size, groups, bias, transposed=True)

    def forward(self, input: Tensor, output_size: Optional[List[int]] = None) -> Tensor:
        if self.padding_mode != "zeros":
            raise ValueError("Only `zeros` padding mode is supported for ConvTranspose1d")
        output_padding = _conv_transpose_output_padding(
            input, output_size, [self.output_padding[0]], [self.stride[0]], [self.padding[0]],
            [self.kernel_size[0]], [self.dilation[0]])
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)


class ConvTranspose2d(nn.Module):
    bias: Optional[Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros") -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        kernel_size = _ntuple(kernel_size, 2)
        stride = _ntuple(stride, 2)
        padding = _ntuple(padding, 2)
        dilation = _ntuple(dilation, 2)
        output_padding = _ntuple(output_padding, 2)
        _conv_check(in_channels, out_channels, stride, padding, groups, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = True
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _conv_reversed_padding(padding, kernel_size, dilation)
        self.weight, self.bias = _conv_params(in_channels, out_channels, kernel_size, groups, bias, transposed=True)

    def forward(self, input: Tensor, output_size: Optional[List[int]] = None) -> Tensor:
        if self.padding_mode != "zeros":
            raise ValueError("Only `zeros` padding mode is supported for ConvTranspose2d")
        output_padding = _conv_transpose_output_padding(
            input, output_size, [self.output_padding[0], self.output_padding[1]], [self.stride[0], self.stride[1]],
            [self.padding[0], self.padding[1]], [self.kernel_size[0], self.kernel_size[1]],
            [self.dilation[0], self.dilation[1]])
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)


# ---------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------

def _batch_norm_forward(input: Tensor, training: bool, track_running_stats: bool,
                        momentum: Optional[float], eps: float,
                        weight: Optional[Tensor], bias: Optional[Tensor],
                        running_mean: Optional[Tensor], running_var: Optional[Tensor],
                        num_batches_tracked: Optional[Tensor]) -> Tensor:
    """torch.nn.modules.batchnorm._BatchNorm.forward. In train mode with
    track_running_stats, F.batch_norm updates running_mean / running_var in
    place (running_var with the unbiased batch variance), with factor
    `momentum`, or 1/num_batches_tracked (cumulative average) if None."""
    factor = 0.0
    if momentum is not None:
        factor = momentum
    if training and track_running_stats:
        if num_batches_tracked is not None:
            num_batches_tracked.add_(1)
            if momentum is None:
                factor = 1.0 / float(num_batches_tracked)
    # Batch statistics in training, and in eval when there are no buffers.
    bn_training = training or (running_mean is None and running_var is None)
    if training and not track_running_stats:
        running_mean = None
        running_var = None
    return F.batch_norm(input, running_mean, running_var, weight, bias, bn_training, factor, eps)


class BatchNorm1d(nn.Module):
    weight: Optional[Tensor]
    bias: Optional[Tensor]
    momentum: Optional[float]

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
            self.running_mean: Optional[Tensor]
            self.running_var: Optional[Tensor]
            self.num_batches_tracked: Optional[Tensor]
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError("expected 2D or 3D input (got " + str(input.dim()) + "D input)")
        return _batch_norm_forward(input, self.training, self.track_running_stats, self.momentum, self.eps,
                                   self.weight, self.bias, self.running_mean, self.running_var,
                                   self.num_batches_tracked)


class BatchNorm2d(nn.Module):
    weight: Optional[Tensor]
    bias: Optional[Tensor]
    momentum: Optional[float]

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
            self.running_mean: Optional[Tensor]
            self.running_var: Optional[Tensor]
            self.num_batches_tracked: Optional[Tensor]
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 4:
            raise ValueError("expected 4D input (got " + str(input.dim()) + "D input)")
        return _batch_norm_forward(input, self.training, self.track_running_stats, self.momentum, self.eps,
                                   self.weight, self.bias, self.running_mean, self.running_var,
                                   self.num_batches_tracked)


class LayerNorm(nn.Module):
    weight: Optional[Tensor]
    bias: Optional[Tensor]

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        shape = list(self.normalized_shape)
        self.weight = nn.Parameter(torch.ones(shape)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(shape)) if elementwise_affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(nn.Module):
    weight: Optional[Tensor]
    bias: Optional[Tensor]

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


def _instance_norm_forward(input: Tensor, no_batch_dim: int, num_features: int, affine: bool, training: bool,
                           track_running_stats: bool, momentum: Optional[float], eps: float,
                           weight: Optional[Tensor], bias: Optional[Tensor],
                           running_mean: Optional[Tensor], running_var: Optional[Tensor]) -> Tensor:
    """torch.nn.modules.instancenorm._InstanceNorm.forward: per-instance
    statistics in training or without running stats (F.instance_norm then
    updates running_mean / running_var in place, if given); the running
    statistics in eval. Unbatched input gets a batch dim of 1."""
    feature_dim = input.dim() - no_batch_dim
    if input.size(feature_dim) != num_features and affine:
        raise ValueError("expected input's size at dim=" + str(feature_dim) + " to match num_features ("
                         + str(num_features) + "), but got: " + str(input.size(feature_dim)) + ".")
    unbatched = input.dim() == no_batch_dim
    if unbatched:
        input = input.unsqueeze(0)
    factor = 0.0
    if momentum is not None:
        factor = momentum
    out = F.instance_norm(input, running_mean, running_var, weight, bias,
                          training or not track_running_stats, factor, eps)
    if unbatched:
        out = out.squeeze(0)
    return out


class InstanceNorm1d(nn.Module):
    weight: Optional[Tensor]
    bias: Optional[Tensor]
    momentum: Optional[float]

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
            self.running_mean: Optional[Tensor]
            self.running_var: Optional[Tensor]
            self.num_batches_tracked: Optional[Tensor]
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError("expected 2D or 3D input (got " + str(input.dim()) + "D input)")
        return _instance_norm_forward(input, 2, self.num_features, self.affine, self.training,
                                      self.track_running_stats, self.momentum, self.eps, self.weight, self.bias,
                                      self.running_mean, self.running_var)


class InstanceNorm2d(nn.Module):
    weight: Optional[Tensor]
    bias: Optional[Tensor]
    momentum: Optional[float]

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = nn.Parameter(torch.ones(num_features)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
            self.running_mean: Optional[Tensor]
            self.running_var: Optional[Tensor]
            self.num_batches_tracked: Optional[Tensor]
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3 and input.dim() != 4:
            raise ValueError("expected 3D or 4D input (got " + str(input.dim()) + "D input)")
        return _instance_norm_forward(input, 3, self.num_features, self.affine, self.training,
                                      self.track_running_stats, self.momentum, self.eps, self.weight, self.bias,
                                      self.running_mean, self.running_var)


class RMSNorm(nn.Module):
    weight: Optional[Tensor]
    eps: Optional[float]

    def __init__(self, normalized_shape, eps: Optional[float] = None, elementwise_affine: bool = True) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = nn.Parameter(torch.ones(list(self.normalized_shape))) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)


# ---------------------------------------------------------------------------
# Embedding and dropout
# ---------------------------------------------------------------------------

class Embedding(nn.Module):
    padding_idx: Optional[int]
    max_norm: Optional[float]

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: Optional[int] = None,
                 max_norm: Optional[float] = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Optional[Tensor] = None, _freeze: bool = False) -> None:
        super().__init__()
        if padding_idx is not None:
            if padding_idx >= num_embeddings or padding_idx < -num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx = num_embeddings + padding_idx
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            w = torch.empty(num_embeddings, embedding_dim).normal_(0.0, 1.0)
            if padding_idx is not None:
                row = torch.arange(num_embeddings).unsqueeze(1)
                w = w.masked_fill(row == padding_idx, 0.0)
        else:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            w = _weight
        self.weight = nn.Parameter(w, requires_grad=not _freeze)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)


class Dropout(nn.Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("dropout probability has to be between 0 and 1, but got " + str(p))
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------

class ReLU(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)


class GELU(nn.Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)


class SiLU(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)


class Tanh(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return torch.tanh(input)


class Sigmoid(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return torch.sigmoid(input)


class Softmax(nn.Module):
    dim: Optional[int]

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim
        if dim is None:
            dim = _legacy_softmax_dim(input.dim())
        return F.softmax(input, dim)


class LogSoftmax(nn.Module):
    dim: Optional[int]

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim
        if dim is None:
            dim = _legacy_softmax_dim(input.dim())
        return F.log_softmax(input, dim)


class LeakyReLU(nn.Module):
    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)


class ELU(nn.Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)


class Hardtanh(nn.Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: Optional[float] = None, max_value: Optional[float] = None) -> None:
        super().__init__()
        # min_value / max_value: deprecated spellings that override min_val / max_val.
        if min_value is not None:
            min_val = min_value
        if max_value is not None:
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError("max_val (" + str(max_val) + ") must be greater than min_val (" + str(min_val) + ")")

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)


class Softplus(nn.Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)


class ReLU6(nn.Module):
    """torch.nn.ReLU6 is Hardtanh(0, 6): same attributes and forward."""
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.min_val = 0.0
        self.max_val = 6.0
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)


class Hardswish(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Hardsigmoid(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Mish(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)


class SELU(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)


class CELU(nn.Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class Threshold(nn.Module):
    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)


class PReLU(nn.Module):
    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = nn.Parameter(torch.full([num_parameters], float(init)))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)


class Softsign(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class LogSigmoid(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmin(nn.Module):
    dim: Optional[int]

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim
        if dim is None:
            dim = _legacy_softmax_dim(input.dim())
        return F.softmin(input, dim)


class GLU(nn.Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)


# ---------------------------------------------------------------------------
# Pooling and shape
# ---------------------------------------------------------------------------

class MaxPool2d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise NotImplementedError("tsc prelude: MaxPool2d(return_indices=True) is not supported")
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=False)


class AvgPool2d(nn.Module):
    divisor_override: Optional[int]

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: Optional[int] = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool2d(nn.Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size
        # (H, W) with -1 for None ("keep the input's size"), so that forward
        # sees a plain List[int] whatever form output_size took.
        hw: List[int] = []
        for s in _ntuple(output_size, 2):
            hw.append(-1 if s is None else s)
        self._output_hw = hw

    def forward(self, input: Tensor) -> Tensor:
        h = self._output_hw[0]
        w = self._output_hw[1]
        if h < 0:
            h = input.size(-2)
        if w < 0:
            w = input.size(-1)
        return F.adaptive_avg_pool2d(input, [h, w])


class MaxPool1d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise NotImplementedError("tsc prelude: MaxPool1d(return_indices=True) is not supported")
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=False)


class AvgPool1d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AdaptiveAvgPool1d(nn.Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(nn.Module):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise NotImplementedError("tsc prelude: AdaptiveMaxPool2d(return_indices=True) is not supported")
        self.output_size = output_size
        self.return_indices = return_indices
        # (H, W) with -1 for None, as in AdaptiveAvgPool2d.
        hw: List[int] = []
        for s in _ntuple(output_size, 2):
            hw.append(-1 if s is None else s)
        self._output_hw = hw

    def forward(self, input: Tensor) -> Tensor:
        h = self._output_hw[0]
        w = self._output_hw[1]
        if h < 0:
            h = input.size(-2)
        if w < 0:
            w = input.size(-1)
        return F.adaptive_max_pool2d(input, [h, w])


class Flatten(nn.Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return torch.flatten(input, self.start_dim, self.end_dim)


class Unflatten(nn.Module):
    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be a tuple of ints, but found " + str(unflattened_size))
        for idx, elem in enumerate(unflattened_size):
            if not isinstance(elem, int):
                raise TypeError("unflattened_size must be tuple of ints, but found " + str(elem) + " at pos "
                                + str(idx))
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)


class Identity(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


# ---------------------------------------------------------------------------
# Resampling and padding
# ---------------------------------------------------------------------------

class PixelShuffle(nn.Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)


class PixelUnshuffle(nn.Module):
    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)


class Upsample(nn.Module):
    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners: Optional[bool] = None,
                 recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        self.name = "Upsample"
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple([float(f) for f in scale_factor])
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)


class ZeroPad2d(nn.Module):
    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 4)
        self.value = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)


class ConstantPad1d(nn.Module):
    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.value = value
        self.padding = _ntuple(padding, 2)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)


class ConstantPad2d(nn.Module):
    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.value = value
        self.padding = _ntuple(padding, 4)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)


class ReflectionPad2d(nn.Module):
    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 4)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "reflect")


# ---------------------------------------------------------------------------
# Distances
# ---------------------------------------------------------------------------

class CosineSimilarity(nn.Module):
    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(nn.Module):
    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


# ---------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------

class MultiheadAttention(nn.Module):
    """torch.nn.MultiheadAttention (the non-fast path of
    F.multi_head_attention_forward, written out). Parameters: packed
    in_proj_weight [3E, E], in_proj_bias [3E], out_proj (Linear E -> E),
    optional bias_k / bias_v [1, 1, E]."""
    in_proj_bias: Optional[Tensor]
    bias_k: Optional[Tensor]
    bias_v: Optional[Tensor]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError("embed_dim and num_heads must be greater than 0")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        if not self._qkv_same_embed_dim:
            raise NotImplementedError("tsc prelude: MultiheadAttention needs kdim == vdim == embed_dim")
        self.num_heads = num_heads
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        # Random draws happen in torch's order (out_proj's own init first,
        # then in_proj, then bias_k / bias_v), so that a given seed yields
        # the same parameters as torch.nn.MultiheadAttention.
        out_proj = Linear(embed_dim, embed_dim, bias=bias)
        # xavier_uniform_ on [3E, E]: fan_in = E, fan_out = 3E.
        self.in_proj_weight = nn.Parameter(_uniform([3 * embed_dim, embed_dim],
                                                    math.sqrt(6.0 / float(4 * embed_dim))))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        if bias:
            out_proj.bias = nn.Parameter(torch.zeros(embed_dim))
        self.out_proj = out_proj
        if add_bias_kv:
            # xavier_normal_ on [1, 1, E]: fan_in = fan_out = E.
            std = math.sqrt(2.0 / float(2 * embed_dim))
            self.bias_k = nn.Parameter(torch.empty(1, 1, embed_dim).normal_(0.0, std))
            self.bias_v = nn.Parameter(torch.empty(1, 1, embed_dim).normal_(0.0, std))
        else:
            self.bias_k = None
            self.bias_v = None
        self.add_zero_attn = add_zero_attn

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = True, attn_mask: Optional[Tensor] = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        is_batched = query.dim() == 3
        if self.batch_first and is_batched:
            query = query.transpose(1, 0)
            key = key.transpose(1, 0)
            value = value.transpose(1, 0)
        if not is_batched:
            query = query.unsqueeze(1)
            key = key.unsqueeze(1)
            value = value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)

        # Shapes: query [L, N, E], key / value [S, N, E] (sequence first).
        tgt_len = query.size(0)
        bsz = query.size(1)
        embed_dim = query.size(2)
        num_heads = self.num_heads
        head_dim = self.head_dim

        # Masks become additive float masks (-inf where masked out).
        key_padding_mask = _canonical_mask(key_padding_mask, query.dtype)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
        if is_causal and key_padding_mask is None and not need_weights:
            attn_mask = None  # SDPA builds the causal mask itself
        else:
            attn_mask = _canonical_mask(attn_mask, query.dtype)
            if key_padding_mask is not None:
                is_causal = False

        # Input projections: rows [0:E], [E:2E], [2E:3E] of in_proj.
        w = self.in_proj_weight.chunk(3)
        b_q: Optional[Tensor] = None
        b_k: Optional[Tensor] = None
        b_v: Optional[Tensor] = None
        in_bias = self.in_proj_bias
        if in_bias is not None:
            b = in_bias.chunk(3)
            b_q = b[0]
            b_k = b[1]
            b_v = b[2]
        q = F.linear(query, w[0], b_q)
        k = F.linear(key, w[1], b_k)
        v = F.linear(value, w[2], b_v)

        src_len = key.size(0)
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                if attn_mask.size(0) != tgt_len or attn_mask.size(1) != src_len:
                    raise RuntimeError("The shape of the 2D attn_mask should be (L, S)")
                attn_mask = attn_mask.unsqueeze(0)
            elif attn_mask.dim() == 3:
                if attn_mask.size(0) != bsz * num_heads or attn_mask.size(1) != tgt_len or attn_mask.size(2) != src_len:
                    raise RuntimeError("The shape of the 3D attn_mask should be (N * num_heads, L, S)")
            else:
                raise RuntimeError("attn_mask's dimension " + str(attn_mask.dim()) + " is not supported")

        bias_k = self.bias_k
        bias_v = self.bias_v
        if bias_k is not None and bias_v is not None:
            k = torch.cat([k, bias_k.repeat(1, bsz, 1)])
            v = torch.cat([v, bias_v.repeat(1, bsz, 1)])
            if attn_mask is not None:
                attn_mask = F.pad(attn_mask, [0, 1])
            if key_padding_mask is not None:
                key_padding_mask = F.pad(key_padding_mask, [0, 1])

        # Split heads: [L, N, E] -> [N*H, L, Dh].
        q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
        k = k.reshape(k.size(0), bsz * num_heads, head_dim).transpose(0, 1)
        v = v.reshape(v.size(0), bsz * num_heads, head_dim).transpose(0, 1)

        if self.add_zero_attn:
            zeros = k.new_zeros([bsz * num_heads, 1, head_dim])
            k = torch.cat([k, zeros], dim=1)
            v = torch.cat([v, zeros], dim=1)
            if attn_mask is not None:
                attn_mask = F.pad(attn_mask, [0, 1])
            if key_padding_mask is not None:
                key_padding_mask = F.pad(key_padding_mask, [0, 1])

        src_len = k.size(1)
        if key_padding_mask is not None:
            kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
            kpm = kpm.reshape(bsz * num_heads, 1, src_len)
            if attn_mask is None:
                attn_mask = kpm
            else:
                attn_mask = attn_mask + kpm

        dropout_p = self.dropout if self.training else 0.0
        weights: Optional[Tensor] = None
        if need_weights:
            # Explicit softmax(q k^T / sqrt(Dh) + mask) v, keeping the weights.
            q_scaled = q * math.sqrt(1.0 / float(head_dim))
            if attn_mask is not None:
                scores = torch.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
            else:
                scores = torch.bmm(q_scaled, k.transpose(-2, -1))
            attn = F.softmax(scores, dim=-1)
            if dropout_p > 0.0:
                attn = F.dropout(attn, p=dropout_p)
            out = torch.bmm(attn, v).transpose(0, 1)  # [L, N*H, Dh]
            attn = attn.reshape(bsz, num_heads, tgt_len, src_len)
            if average_attn_weights:
                attn = attn.mean(dim=1)
            weights = attn if is_batched else attn.squeeze(0)
        else:
            # Weights not wanted: fused scaled_dot_product_attention on [N, H, ., Dh].
            if attn_mask is not None:
                if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
                    attn_mask = attn_mask.unsqueeze(0)
                else:
                    attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
            q = q.reshape(bsz, num_heads, tgt_len, head_dim)
            k = k.reshape(bsz, num_heads, src_len, head_dim)
            v = v.reshape(bsz, num_heads, src_len, head_dim)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
            out = out.permute(2, 0, 1, 3)  # [L, N, H, Dh]

        # Merge heads, output projection, back to the caller's layout.
        out = F.linear(out.reshape(tgt_len * bsz, embed_dim), self.out_proj.weight, self.out_proj.bias)
        out = out.reshape(tgt_len, bsz, out.size(1))
        if not is_batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(1, 0)
        return out, weights


# ---------------------------------------------------------------------------
# Recurrent layers
# ---------------------------------------------------------------------------

def _rnn_check_init(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size) -> None:
    """Argument validation of torch.nn.RNNBase.__init__."""
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                         "element being zeroed")
    if not isinstance(bias, bool):
        raise TypeError("bias should be of type bool, got: " + str(bias))
    if not isinstance(batch_first, bool):
        raise TypeError("batch_first should be of type bool, got: " + str(batch_first))
    if not isinstance(input_size, int):
        raise TypeError("input_size should be of type int, got: " + str(input_size))
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError("hidden_size should be of type int, got: " + str(hidden_size))
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if proj_size > 0:
        raise NotImplementedError("tsc prelude: LSTM(proj_size > 0) is not supported")


def _rnn_weights(input_size: int, hidden_size: int, num_layers: int, bias: bool, bidirectional: bool,
                 gate_size: int):
    """RNNBase's parameters as (name, Parameter) pairs, in registration
    order (= the order of `_flat_weights`): per layer, per direction,
    weight_ih_l{k}, weight_hh_l{k}[, bias_ih_l{k}, bias_hh_l{k}], with the
    suffix `_reverse` for direction 1. reset_parameters draws every one
    from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) in this order."""
    stdv = _kaiming_bound(hidden_size)
    num_directions = 2 if bidirectional else 1
    out = []
    for layer in range(num_layers):
        for direction in range(num_directions):
            layer_input_size = input_size if layer == 0 else hidden_size * num_directions
            suffix = str(layer) + ("_reverse" if direction == 1 else "")
            shapes = [("weight_ih_l", [gate_size, layer_input_size]), ("weight_hh_l", [gate_size, hidden_size])]
            if bias:
                shapes += [("bias_ih_l", [gate_size]), ("bias_hh_l", [gate_size])]
            for prefix, shape in shapes:
                out.append((prefix + suffix, nn.Parameter(_uniform(shape, stdv))))
    return out


def _rnn_check_forward(input: Tensor, weight: Tensor, input_size: int, hidden: List[Tensor],
                       expected: List[int], what: List[str]) -> None:
    """RNNBase.check_forward_args on a 3-D input: dtype, feature size and
    the size of each initial state."""
    if input.dtype != weight.dtype:
        raise ValueError("RNN input dtype (" + str(input.dtype) + ") does not match weight dtype ("
                         + str(weight.dtype) + "). Convert input: input.to(" + str(weight.dtype)
                         + "), or convert model: model.to(" + str(input.dtype) + ")")
    if input.size(-1) != input_size:
        raise RuntimeError("input.size(-1) must be equal to input_size. Expected " + str(input_size) + ", got "
                           + str(input.size(-1)))
    for i in range(len(hidden)):
        same = hidden[i].dim() == len(expected)
        got: List[int] = []
        for d in range(hidden[i].dim()):
            got.append(hidden[i].size(d))
            if same and hidden[i].size(d) != expected[d]:
                same = False
        if not same:
            raise RuntimeError("Expected " + what[i] + " size (" + str(expected[0]) + ", " + str(expected[1]) + ", "
                               + str(expected[2]) + "), got " + str(got))


def _rnn_direction(mode: str, x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor,
                   b_ih: Optional[Tensor], b_hh: Optional[Tensor], reverse: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """One layer, one direction, over x [T, N, F] from the state h, c [N, H]
    (aten's CPU cells; the input projection is done for all steps at once):
      LSTM  gates = (h W_hh^T + b_hh) + (x_t W_ih^T + b_ih), chunks i, f, g, o;
            c' = sigmoid(f) * c + sigmoid(i) * tanh(g),  h' = sigmoid(o) * tanh(c')
      GRU   chunks r, z, n of both projections; r, z = sigmoid(hh + ih),
            n = tanh(ih_n + r * hh_n),  h' = (h - n) * z + n   (c is h)
    Returns the outputs [T, N, H] in time order and the final h, c."""
    gi = F.linear(x, w_ih, b_ih)
    steps = x.size(0)
    outs: List[Tensor] = []
    for s in range(steps):
        t = steps - 1 - s if reverse else s
        gh = F.linear(h, w_hh, b_hh)
        if mode == "LSTM":
            g = (gh + gi[t]).chunk(4, 1)
            c = torch.sigmoid(g[1]) * c + torch.sigmoid(g[0]) * torch.tanh(g[2])
            h = torch.sigmoid(g[3]) * torch.tanh(c)
        else:
            ih = gi[t].chunk(3, 1)
            hh = gh.chunk(3, 1)
            r = torch.sigmoid(hh[0] + ih[0])
            z = torch.sigmoid(hh[1] + ih[1])
            n = torch.tanh(ih[2] + hh[2] * r)
            h = (h - n) * z + n
            c = h
        outs.append(h)
    out = torch.stack(outs, 0)
    if reverse:
        out = out.flip([0])
    return out, h, c


def _rnn_forward(mode: str, x: Tensor, h0: Tensor, c0: Tensor, weights: List[Tensor], has_bias: bool,
                 num_layers: int, bidirectional: bool, dropout: float, training: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """The layer stack of aten's lstm / gru on x [T, N, F] (sequence first):
    each layer's directions read the previous layer's output (directions
    concatenated on the feature dim, dropout between layers in training).
    State k = layer * num_directions + direction. Returns (output, h_n, c_n)."""
    num_directions = 2 if bidirectional else 1
    per = 4 if has_bias else 2
    hs: List[Tensor] = []
    cs: List[Tensor] = []
    layer_input = x
    for layer in range(num_layers):
        outs: List[Tensor] = []
        for direction in range(num_directions):
            k = layer * num_directions + direction
            b_ih: Optional[Tensor] = None
            b_hh: Optional[Tensor] = None
            if has_bias:
                b_ih = weights[k * per + 2]
                b_hh = weights[k * per + 3]
            out, h, c = _rnn_direction(mode, layer_input, h0[k], c0[k], weights[k * per], weights[k * per + 1],
                                       b_ih, b_hh, direction == 1)
            outs.append(out)
            hs.append(h)
            cs.append(c)
        layer_output = outs[0] if num_directions == 1 else torch.cat(outs, 2)
        if dropout > 0.0 and training and layer < num_layers - 1:
            layer_output = F.dropout(layer_output, dropout, True)
        layer_input = layer_output
    return layer_input, torch.stack(hs, 0), torch.stack(cs, 0)


class LSTM(nn.Module):
    """torch.nn.LSTM on Tensor input (3-D, or 2-D unbatched); PackedSequence
    and proj_size > 0 are not supported. `_flat_weights` lists the
    parameters in torch's order (torch.nn.LSTM keeps the same list)."""
    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0) -> None:
        super().__init__()
        _rnn_check_init(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        self.mode = "LSTM"
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        flat = _rnn_weights(input_size, hidden_size, num_layers, bias, bidirectional, 4 * hidden_size)
        for name, w in flat:
            self.register_parameter(name, w)
        self._flat_weights_names = [name for name, _ in flat]
        self._flat_weights = [w for _, w in flat]

    def forward(self, input: Tensor,
                hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError("LSTM: Expected input to be 2D or 3D, got " + str(input.dim()) + "D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        num_directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            h0 = input.new_zeros([self.num_layers * num_directions, batch, self.hidden_size])
            c0 = input.new_zeros([self.num_layers * num_directions, batch, self.hidden_size])
        else:
            h0 = hx[0]
            c0 = hx[1]
            if is_batched:
                if h0.dim() != 3 or c0.dim() != 3:
                    raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got ("
                                       + str(h0.dim()) + "-D, " + str(c0.dim()) + "-D) tensors")
            else:
                if h0.dim() != 2 or c0.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got ("
                                       + str(h0.dim()) + "-D, " + str(c0.dim()) + "-D) tensors")
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1)
        _rnn_check_forward(input, self._flat_weights[0], self.input_size, [h0, c0],
                           [self.num_layers * num_directions, batch, self.hidden_size], ["hidden[0]", "hidden[1]"])
        x = input.transpose(0, 1) if self.batch_first else input
        out, h_n, c_n = _rnn_forward("LSTM", x, h0, c0, self._flat_weights, self.bias, self.num_layers,
                                     self.bidirectional, self.dropout, self.training)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(batch_dim)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1)
        return out, (h_n, c_n)


class GRU(nn.Module):
    """torch.nn.GRU on Tensor input (3-D, or 2-D unbatched); PackedSequence
    is not supported. `_flat_weights` as in LSTM."""
    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False) -> None:
        super().__init__()
        _rnn_check_init(input_size, hidden_size, num_layers, bias, batch_first, dropout, 0)
        self.mode = "GRU"
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = 0
        flat = _rnn_weights(input_size, hidden_size, num_layers, bias, bidirectional, 3 * hidden_size)
        for name, w in flat:
            self.register_parameter(name, w)
        self._flat_weights_names = [name for name, _ in flat]
        self._flat_weights = [w for _, w in flat]

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError("GRU: Expected input to be 2D or 3D, got " + str(input.dim()) + "D instead")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        num_directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            h0 = input.new_zeros([self.num_layers * num_directions, batch, self.hidden_size])
        else:
            h0 = hx
            if is_batched:
                if h0.dim() != 3:
                    raise RuntimeError("For batched 3-D input, hx should also be 3-D but got "
                                       + str(h0.dim()) + "-D tensor")
            else:
                if h0.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but got "
                                       + str(h0.dim()) + "-D tensor")
                h0 = h0.unsqueeze(1)
        _rnn_check_forward(input, self._flat_weights[0], self.input_size, [h0],
                           [self.num_layers * num_directions, batch, self.hidden_size], ["hidden"])
        x = input.transpose(0, 1) if self.batch_first else input
        out, h_n, _ = _rnn_forward("GRU", x, h0, h0, self._flat_weights, self.bias, self.num_layers,
                                   self.bidirectional, self.dropout, self.training)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(batch_dim)
            h_n = h_n.squeeze(1)
        return out, h_n
