"""Functional twins of the layers (``import minigrad.nn.functional as F``).

Convolution and pooling are composed of primitives: ``Pad``, then ``Unfold`` (im2col as a
strided view), then a matmul or a reduction, so their gradients are derived by the engine.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from minigrad import composites
from minigrad.factories import default_generator
from minigrad.nn.arguments import IntPair, conv_padding, int_pair
from minigrad.nn.batchnorm import batch_norm
from minigrad.nn.functional_losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_reduction,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from minigrad.ops import Im2Col, Max, Pad, Unfold
from minigrad.shapes import ShapeError
from minigrad.tensor import Tensor, from_numpy
from minigrad.unsupported import missing_attribute

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "check_reduction",
    "conv1d",
    "conv2d",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "hardtanh",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softmin",
    "softplus",
    "tanh",
]

# ----------------------------------------------------------------------------- activations
# ``inplace=True`` writes the result into the input (an in-place op, recorded in the graph as
# PyTorch does); the result is the same either way.


def _maybe_in_place(input: Tensor, result: Tensor, inplace: bool) -> Tensor:
    return input.copy_(result) if inplace else result


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else input.relu()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_in_place(input, input.clamp(0, 6), inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _maybe_in_place(input, input.where(input > 0, input * negative_slope), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise (exp of min(x, 0), so it cannot overflow)."""
    return _maybe_in_place(input, input.where(input > 0, alpha * (input.clamp(max=0).exp() - 1)), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2 (Hendrycks & Gimpel
    2016); ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate == "tanh":
        return 0.5 * input * (1 + (math.sqrt(2 / math.pi) * (input + 0.044715 * input**3)).tanh())
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * input * (1 + (input / math.sqrt(2)).erf())


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _maybe_in_place(input, input * input.sigmoid(), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold."""
    return composites.softplus(input, beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_in_place(input, input.clamp(min_val, max_val), inplace)


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def _softmax_dim(name: str, ndim: int, dim: int | None, stacklevel: int) -> int:
    """PyTorch's rule when no dim is given (deprecated, with its warning): dim 0 for 0-D, 1-D and
    3-D input, else dim 1."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return input.softmax(_softmax_dim("softmax", input.ndim, dim, _stacklevel), dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return input.log_softmax(_softmax_dim("log_softmax", input.ndim, dim, _stacklevel), dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    return (-input).softmax(_softmax_dim("softmin", input.ndim, dim, _stacklevel), dtype=dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout),
    so that eval mode needs no rescaling."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _maybe_in_place(input, input * 0.0, inplace)
    keep = default_generator().random(input.shape) >= p
    return _maybe_in_place(input, input * from_numpy((keep / (1.0 - p)).astype(input.dtype)), inplace)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    result = input / input.norm(p, dim, keepdim=True).clamp(min=eps)
    return result if out is None else out.copy_(result)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / max(||x1|| ||x2||, eps) along ``dim``."""
    dot = (x1 * x2).sum(dim)
    return dot / (x1.norm(2, dim) * x2.norm(2, dim)).clamp(min=eps)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows: ``one_hot(tensor([0, 2]), 3)`` is [[1, 0, 0], [0, 0, 1]]."""
    classes = np.asarray(tensor.array if isinstance(tensor, Tensor) else tensor)
    if classes.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensors, got dtype {classes.dtype}")
    count = int(classes.max()) + 1 if num_classes == -1 else num_classes
    if classes.size and (classes.min() < 0 or classes.max() >= count):
        raise RuntimeError(f"one_hot: class values must be in [0, {count}), got {classes.min()} to {classes.max()}")
    return from_numpy((classes[..., None] == np.arange(count)).astype(np.int64))


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of ``weight`` at the (integer) indices ``input``: a lookup, whose gradient adds
    into the rows that were used (repeated indices add up). The ``padding_idx`` row gets none."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    indices = np.asarray(input.array if isinstance(input, Tensor) else input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: expected integer indices (int64), got dtype {indices.dtype}")
    if indices.size and (indices.min() < -len(weight) or indices.max() >= len(weight)):
        raise IndexError(f"embedding: index out of range for a table of {len(weight)} rows")
    if padding_idx is None:
        return weight[indices]
    keep = from_numpy((indices != padding_idx % len(weight))[..., None].astype(weight.dtype))
    return weight[indices] * keep + (weight[indices] * (1 - keep)).detach()


def layer_norm(
    input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """(x - mean) / sqrt(var + eps) over the last dims (``normalized_shape``), then * weight + bias
    (Ba et al. 2016). Composed of primitives: the mean is not detached, so it is exact to any order."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.shape[input.ndim - len(shape) :] != shape:
        raise ShapeError(f"layer_norm: input of shape {input.shape} does not end with normalized_shape {shape}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    out = centered * ((centered * centered).mean(axes, keepdim=True) + eps).rsqrt()
    out = out if weight is None else out * weight
    return out if bias is None else out + bias


# ----------------------------------------------------------------------------- linear, conv


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features)."""
    if input.shape[-1:] != weight.shape[1:]:
        raise ShapeError(
            f"linear: input of shape {input.shape} has {input.shape[-1] if input.ndim else 0} features, "
            f"the weight of shape {weight.shape} expects {weight.shape[1]}"
        )
    out = input @ weight.T
    return out if bias is None else out + bias


def pad(input: Tensor, pad: tuple[int, ...], mode: str = "constant", value: float | None = None) -> Tensor:
    """Constant padding, PyTorch's order: (left, right) of the last dim, then of the one before, ...
    A negative amount crops instead."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {pad} must hold (before, after) pairs for at most {input.ndim} dims")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(n + before + after < 0 for n, (before, after) in zip(input.shape, pairs)):
        raise ValueError(f"pad: padding {pad} crops more than the input of shape {input.shape} has")
    if any(p < 0 for pair in pairs for p in pair):  # crop first, then pad what is positive
        input = input[
            tuple(slice(max(-before, 0), n - max(-after, 0)) for n, (before, after) in zip(input.shape, pairs))
        ]
        pairs = [(max(before, 0), max(after, 0)) for before, after in pairs]
    fill = 0.0 if value is None else value
    return Pad(tuple(pairs), fill)(input) if any(p for pair in pairs for p in pair) else input


def _as_batch(input: Tensor, name: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) input, and whether a (C, H, W) input was given (unbatched)."""
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise ShapeError(f"{name}: expected 3D (unbatched) or 4D (batched) input, got shape {input.shape}")
    return input, False


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation: pad, unfold into windows (im2col), then one matrix product per group.

    input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in / groups, kH, kW).
    """
    x, unbatched = _as_batch(input, "conv2d")
    if weight.ndim != 4:
        raise ShapeError(f"conv2d: weight must be 4D (C_out, C_in/groups, kH, kW), got shape {weight.shape}")
    out_channels, group_in, kh, kw = weight.shape
    in_channels, height, width = x.shape[1:]
    if groups < 1 or in_channels != group_in * groups or out_channels % groups:
        raise ShapeError(
            f"conv2d: input with {in_channels} channel(s) (shape {input.shape}) does not fit weight {weight.shape} "
            f"with groups={groups}: expected {group_in * groups} input channel(s), and C_out divisible by groups"
        )
    stride, dilation = int_pair(stride, "stride"), int_pair(dilation, "dilation")
    top, bottom, left, right = conv_padding(padding, (kh, kw), stride, dilation)
    if height + top + bottom < dilation[0] * (kh - 1) + 1 or width + left + right < dilation[1] * (kw - 1) + 1:
        raise ShapeError(f"conv2d: input {input.shape} (padded) is smaller than the kernel {weight.shape[2:]}")
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"conv2d: bias has shape {bias.shape}, expected ({out_channels},) for weight {weight.shape}")
    if stride == (1, 1):
        out = _conv2d_stride_1(x, weight, groups, (top, bottom, left, right), dilation)
    else:
        out = _conv2d_unfold(x, weight, groups, (top, bottom, left, right), stride, dilation)
    if bias is not None:
        out = out + bias.reshape(1, out_channels, 1, 1)
    return out.squeeze(0) if unbatched else out


def _conv2d_stride_1(
    x: Tensor, weight: Tensor, groups: int, padding: tuple[int, int, int, int], dilation: tuple[int, int]
) -> Tensor:
    """Stride-1 convolution as im2col on the flattened padded image (see ``ops.Im2Col``), then
    one matrix product per group for the whole batch: (C_out/G, C/G kh kw) @ (C/G kh kw, N L)."""
    out_channels, group_in, kh, kw = weight.shape
    (top, bottom, left, right), (dh, dw) = padding, dilation
    # One extra zero row at the bottom: the last kernel offsets read up to (kw - 1) * dw values
    # past the image into it, for output columns that are dropped anyway.
    x = pad(x, (left, right, top, bottom + 1))
    n, channels, padded_h, padded_w = x.shape
    out_h, out_w = padded_h - 1 - dh * (kh - 1), padded_w - dw * (kw - 1)
    offsets = tuple(i * dh * padded_w + j * dw for i in range(kh) for j in range(kw))
    columns = Im2Col(offsets, out_h * padded_w)(x.reshape(n, channels, padded_h * padded_w))  # (C, K, N, L)
    columns = columns.reshape(groups, group_in * kh * kw, n * out_h * padded_w)
    kernels = weight.reshape(groups, out_channels // groups, group_in * kh * kw)
    out = (kernels @ columns).reshape(out_channels, n, out_h, padded_w)  # on the padded width
    # Drop the extra columns and go back to (N, C_out, H, W), copying into that memory order:
    # every later elementwise op runs on it, and mixed layouts make them several times slower.
    out = out[:, :, :, :out_w].permute(1, 0, 2, 3)
    return out.reshape(n, out_channels * out_h * out_w).reshape(n, out_channels, out_h, out_w)


def _conv2d_unfold(
    x: Tensor,
    weight: Tensor,
    groups: int,
    padding: tuple[int, int, int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> Tensor:
    """Any stride: pad, unfold into windows (a strided view), then one matrix product per group."""
    out_channels, group_in, kh, kw = weight.shape
    top, bottom, left, right = padding
    n = x.shape[0]
    x = pad(x, (left, right, top, bottom))
    windows = Unfold((kh, kw), stride, dilation)(x)  # (N, C, oh, ow, kh, kw), a view
    out_h, out_w = windows.shape[2:4]
    # im2col: per group, one row per (input channel, kernel offset) and one column per output
    # pixel of every image, so that the whole convolution is one matrix product per group.
    columns = (
        windows.reshape(n, groups, group_in, out_h, out_w, kh, kw)
        .permute(1, 2, 5, 6, 0, 3, 4)
        .reshape(groups, group_in * kh * kw, n * out_h * out_w)
    )
    kernels = weight.reshape(groups, out_channels // groups, group_in * kh * kw)
    out = (kernels @ columns).reshape(groups, out_channels // groups, n, out_h * out_w)  # (G, C_out/G, N, P)
    # Back to (N, C_out, H, W). Flattening (C_out, P) copies into that memory order, which keeps
    # every later elementwise op on contiguous arrays (mixed layouts are several times slower).
    return out.permute(2, 0, 1, 3).reshape(n, out_channels * out_h * out_w).reshape(n, out_channels, out_h, out_w)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution over (N, C, L) or (C, L) input: a 2-D convolution of height 1."""
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"conv1d: expected (N, C, L) input and a 3-D weight, got {input.shape} and {weight.shape}")

    def pair(value: Any, height: int) -> tuple[int, int]:  # the 2-D argument: the height's, then the length's
        return (height, value[0] if isinstance(value, (tuple, list)) else value)

    padding_2d = padding if isinstance(padding, str) else pair(padding, 0)
    out = conv2d(
        input.unsqueeze(-2), weight.unsqueeze(-2), bias, pair(stride, 1), padding_2d, pair(dilation, 1), groups
    )
    return out.squeeze(-2)


# ----------------------------------------------------------------------------- pooling


def _pool_size(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's output size: floor (or ceil) of (size + 2 padding - dilation (kernel - 1) - 1) / stride, + 1;
    with ceil_mode, a last window that would start in the right padding is dropped."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def _pool_windows(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None,
    padding: IntPair,
    dilation: IntPair,
    ceil_mode: bool,
    fill: float,
    name: str,
) -> tuple[Tensor, bool, tuple[int, int, int, int]]:
    """Windows (N, C, out_h, out_w, kh, kw) of the padded input, whether it was unbatched, and
    the padding (top, bottom, left, right) used (ceil_mode pads the bottom/right a little more)."""
    x, unbatched = _as_batch(input, name)
    kernel = int_pair(kernel_size, "kernel_size")
    step = kernel if stride is None or stride == [] else int_pair(stride, "stride")
    spread = int_pair(dilation, "dilation")
    ph, pw = int_pair(padding, "padding", least=0)
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"{name}: padding {padding} should be at most half of the kernel size {kernel_size}")
    sizes = [_pool_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(x.shape[2:], kernel, step, (ph, pw), spread)]
    if min(sizes) < 1:
        raise ShapeError(f"{name}: input {input.shape} (padded) is smaller than the kernel {kernel}")
    # Pad so that the last window fits: with ceil_mode it may reach past the padding.
    extra = [
        (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)
        for o, s, d, k, n, p in zip(sizes, step, spread, kernel, x.shape[2:], (ph, pw))
    ]
    bottom, right = ph + max(extra[0], 0), pw + max(extra[1], 0)
    x = pad(x, (pw, right, ph, bottom), value=fill)
    windows = Unfold(kernel, step, spread)(x)
    return windows[:, :, : sizes[0], : sizes[1]], unbatched, (ph, bottom, pw, right)


def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The max of each window (padding counts as -inf). The gradient goes to the first maximal
    element of each window (the index ``return_indices`` reports), as in PyTorch."""
    kernel = int_pair(kernel_size, "kernel_size")
    tiling = stride is None or int_pair(stride, "stride") == kernel
    plain = int_pair(padding, "padding", least=0) == (0, 0) and int_pair(dilation, "dilation") == (1, 1)
    if tiling and plain and not ceil_mode and not return_indices:  # the usual MaxPool2d(2): tiles, a reshape
        tiles, unbatched = _tiles(input, kernel, "max_pool2d")
        out = Max((3, 5), keepdim=False, split_ties=False)(tiles)
        return out.squeeze(0) if unbatched else out
    windows, unbatched, (top, _, left, _) = _pool_windows(
        input, kernel_size, stride, padding, dilation, ceil_mode, -np.inf, "max_pool2d"
    )
    out = Max((4, 5), keepdim=False, split_ties=False)(windows)
    out = out.squeeze(0) if unbatched else out
    if not return_indices:
        return out
    # The flat index (row * W + col) in the unpadded input of each window's first maximum.
    n, c, out_h, out_w, kh, kw = windows.shape
    first = windows.array.reshape(n, c, out_h, out_w, kh * kw).argmax(axis=-1)
    sh, sw = int_pair(kernel_size if stride is None else stride, "stride")
    dh, dw = int_pair(dilation, "dilation")
    rows = np.arange(out_h)[:, None] * sh + (first // kw) * dh - top
    cols = np.arange(out_w)[None, :] * sw + (first % kw) * dw - left
    indices = from_numpy((rows * input.shape[-1] + cols).astype(np.int64))
    return out, (indices.squeeze(0) if unbatched else indices)


def _tiles(input: Tensor, kernel: tuple[int, int], name: str) -> tuple[Tensor, bool]:
    """Non-overlapping windows (stride = kernel, no padding) as a reshape, not a strided
    unfold: (N, C, H, W) -> (N, C, H/kh, kh, W/kw, kw). Its gradient is a reshape back, where
    the unfold's is a Fold that adds window by window. Rows and columns that do not fill a
    window are dropped, as PyTorch does."""
    x, unbatched = _as_batch(input, name)
    (kh, kw), (n, c, h, w) = kernel, x.shape
    if h < kh or w < kw:
        raise ShapeError(f"{name}: input {input.shape} is smaller than the kernel {kernel}")
    if h % kh or w % kw:
        x = x[:, :, : h - h % kh, : w - w % kw]
    return x.reshape(n, c, h // kh, kh, w // kw, kw), unbatched


def avg_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each window. With ``count_include_pad=False`` padded zeros are not counted;
    with ``ceil_mode`` the part of a window past the padding is never counted (PyTorch's rules)."""
    windows, unbatched, (top, bottom, left, right) = _pool_windows(
        input, kernel_size, stride, padding, 1, ceil_mode, 0.0, "avg_pool2d"
    )
    total = windows.sum((-2, -1))
    if divisor_override is not None:
        out = total / divisor_override
    else:
        ph, pw = int_pair(padding, "padding", least=0)
        height, width = input.shape[-2:]
        counted = np.zeros((1, 1, height + top + bottom, width + left + right), dtype=input.dtype)
        if count_include_pad:  # the padding counts, the extra room ceil_mode added does not
            counted[:, :, : height + 2 * ph, : width + 2 * pw] = 1
        else:
            counted[:, :, top : top + height, left : left + width] = 1
        kernel = int_pair(kernel_size, "kernel_size")
        step = kernel if stride is None else int_pair(stride, "stride")
        counts = Unfold(kernel, step, (1, 1))(from_numpy(counted))[:, :, : windows.shape[2], : windows.shape[3]]
        out = total / counts.sum((-2, -1))
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over the windows PyTorch uses: output cell i of n covers input rows
    floor(i H / n) to ceil((i + 1) H / n). As two matrix products, out = A_h x A_w^T, with A
    holding 1/(window length) over each window (so any size works, and the gradient is derived)."""
    x, unbatched = _as_batch(input, "adaptive_avg_pool2d")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    out_h, out_w = (x.shape[2 + i] if n is None else n for i, n in enumerate(sizes))
    rows, cols = _averaging_matrix(x.shape[2], out_h, x.dtype), _averaging_matrix(x.shape[3], out_w, x.dtype)
    out = from_numpy(rows) @ x @ from_numpy(cols.T.copy())
    return out.squeeze(0) if unbatched else out


def _averaging_matrix(size: int, count: int, dtype: np.dtype) -> np.ndarray:
    starts = (np.arange(count) * size) // count
    stops = -((-(np.arange(count) + 1) * size) // count)
    positions = np.arange(size)
    inside = (positions >= starts[:, None]) & (positions < stops[:, None])
    return (inside / (stops - starts)[:, None]).astype(dtype)


def __getattr__(name: str) -> Any:
    """A PyTorch function minigrad does not have (``F.interpolate``): a NotImplementedError naming it."""
    raise missing_attribute("minigrad.nn.functional", name)
