"""Functional twins of the layers (``import minigrad.nn.functional as F``).

Convolution and pooling are composed of primitives: ``Pad``, then ``Unfold`` (im2col as a
strided view), then a matmul or a reduction, so their gradients are derived by the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.factories import default_generator
from minigrad.nn.arguments import IntPair, conv_padding, int_pair
from minigrad.nn.batchnorm import batch_norm
from minigrad.ops import Im2Col, Pad, Unfold
from minigrad.shapes import ShapeError
from minigrad.tensor import Tensor, from_numpy

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "conv2d",
    "cross_entropy",
    "dropout",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "pad",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

# ----------------------------------------------------------------------------- activations


def relu(input: Tensor) -> Tensor:
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softmax(input: Tensor, dim: int) -> Tensor:
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return input.log_softmax(dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout),
    so that eval mode needs no rescaling."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = default_generator().random(input.shape) >= p
    return input * from_numpy((keep / (1.0 - p)).astype(input.dtype))


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


def pad(input: Tensor, pad: tuple[int, ...], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Constant padding, PyTorch's order: (left, right) of the last dim, then of the one before, ..."""
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {pad} must hold (before, after) pairs for at most {input.ndim} dims")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(p < 0 for pair in pairs for p in pair):
        raise ValueError(f"pad: negative padding {pad} is not supported")
    return Pad(tuple(pairs), value)(input) if any(p for pair in pairs for p in pair) else input


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


# ----------------------------------------------------------------------------- pooling


def _pool_windows(
    input: Tensor, kernel_size: IntPair, stride: IntPair | None, padding: IntPair, fill: float, name: str
) -> tuple[Tensor, bool]:
    """Windows (N, C, out_h, out_w, kh, kw) of the padded input, and whether it was unbatched."""
    x, unbatched = _as_batch(input, name)
    kernel = int_pair(kernel_size, "kernel_size")
    step = kernel if stride is None else int_pair(stride, "stride")
    ph, pw = int_pair(padding, "padding", least=0)
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"{name}: padding {padding} should be at most half of the kernel size {kernel_size}")
    if x.shape[2] + 2 * ph < kernel[0] or x.shape[3] + 2 * pw < kernel[1]:
        raise ShapeError(f"{name}: input {input.shape} (padded) is smaller than the kernel {kernel}")
    x = pad(x, (pw, pw, ph, ph), value=fill)
    return Unfold(kernel, step, (1, 1))(x), unbatched


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> Tensor:
    """The max of each window (padding counts as -inf). The gradient goes to the first
    maximal element of each window, as in PyTorch."""
    kernel = int_pair(kernel_size, "kernel_size")
    if (stride is None or int_pair(stride, "stride") == kernel) and int_pair(padding, "padding", least=0) == (0, 0):
        tiles, unbatched = _tiles(input, kernel, "max_pool2d")
        out = tiles.amax((3, 5))
    else:
        windows, unbatched = _pool_windows(input, kernel_size, stride, padding, -np.inf, "max_pool2d")
        out = windows.amax((-2, -1))
    return out.squeeze(0) if unbatched else out


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
    *,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window; with ``count_include_pad=False`` padded zeros are not counted."""
    windows, unbatched = _pool_windows(input, kernel_size, stride, padding, 0.0, "avg_pool2d")
    if count_include_pad:
        out = windows.mean((-2, -1))
    else:
        ones = from_numpy(np.ones((1, 1) + input.shape[-2:], dtype=input.dtype))
        counts, _ = _pool_windows(ones, kernel_size, stride, padding, 0.0, "avg_pool2d")
        out = windows.sum((-2, -1)) / counts.sum((-2, -1))  # how many real pixels each window holds
    return out.squeeze(0) if unbatched else out


# ----------------------------------------------------------------------------- losses


def check_reduction(reduction: Any) -> str:
    """The reduction name, or a clear error (a tensor here is usually PyTorch's class weights)."""
    if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none"):
        shown = type(reduction).__name__ if isinstance(reduction, Tensor) else repr(reduction)
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {shown} (class weights are not supported)")
    return reduction


def _reduce(loss: Tensor, reduction: str, weight_sum: Tensor | float | None = None) -> Tensor:
    if check_reduction(reduction) == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if weight_sum is None else loss.sum() / weight_sum


def _class_last(input: Tensor, target: Tensor, name: str) -> tuple[Tensor, np.ndarray]:
    """(N, C, d1, ...) scores and (N, d1, ...) targets as (M, C) rows and (M,) classes."""
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target))
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class targets (int64), got dtype {target.dtype}")
    if input.ndim == 1:
        input, classes = input.unsqueeze(0), target.array.reshape(1)
        expected: tuple[int, ...] = ()
    else:
        expected = (input.shape[0], *input.shape[2:])
        classes = target.array
    if input.ndim < 2 or classes.shape != (expected or (1,)):
        raise ShapeError(f"{name}: input of shape {input.shape} needs targets of shape {expected}, got {target.shape}")
    rows = input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1]) if input.ndim > 2 else input
    return rows, classes.reshape(-1)


def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean", ignore_index: int = -100) -> Tensor:
    """-log p[target], given log-probabilities ``input`` (N, C, ...) and class indices."""
    check_reduction(reduction)
    return _nll(*_class_last(input, target, "nll_loss"), reduction, ignore_index, input.shape, 0.0)


def cross_entropy(
    input: Tensor, target: Tensor, reduction: str = "mean", label_smoothing: float = 0.0, ignore_index: int = -100
) -> Tensor:
    """log_softmax over classes (dim 1), then the negative log-likelihood of the targets.

    With label smoothing e the target distribution is (1 - e) one-hot + e / C uniform:
    loss = (1 - e) * nll + e * mean_c(-log p_c)  (Szegedy et al. 2016).

    >>> import minigrad
    >>> logits = minigrad.tensor([[2.0, 0.0, 0.0]])
    >>> round(cross_entropy(logits, minigrad.tensor([0])).item(), 4)
    0.2395
    """
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    rows, classes = _class_last(input, target, "cross_entropy")
    return _nll(rows.log_softmax(1), classes, reduction, ignore_index, input.shape, label_smoothing)


def _nll(
    log_probs: Tensor, classes: np.ndarray, reduction: str, ignore_index: int, shape: tuple, smoothing: float
) -> Tensor:
    n_classes = log_probs.shape[1]
    kept = classes != ignore_index
    bad = classes[kept & ((classes < 0) | (classes >= n_classes))]
    if bad.size:
        raise IndexError(f"Target {bad[0]} is out of bounds: input of shape {shape} has {n_classes} classes")
    safe = np.where(kept, classes, 0)
    weight = from_numpy(kept.astype(log_probs.dtype))
    loss = -log_probs[np.arange(len(safe)), safe] * weight
    if smoothing:
        loss = (1 - smoothing) * loss - smoothing * log_probs.mean(1) * weight
    if reduction == "none":
        return loss.reshape(shape[:1] + shape[2:]) if len(shape) > 1 else loss.reshape(())
    return _reduce(loss, reduction, weight.sum())


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input - target)^2, averaged (or summed)."""
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=input.dtype))
    if input.shape != target.shape:
        raise ShapeError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    return _reduce((input - target).square(), reduction)
