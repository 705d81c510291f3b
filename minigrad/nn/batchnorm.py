"""BatchNorm (Ioffe & Szegedy 2015, Alg. 1), two ways, side by side.

1. ``batch_norm_derived``: composed of primitive ops. The engine derives its backward;
   nothing is detached, so the gradient flows through the batch mean *and* the batch
   variance, and second derivatives are right.
2. ``FusedBatchNorm``: one op, forward in numpy, backward by the closed-form formulas. Its
   backward is written with minigrad ops too, so it has correct second derivatives as well.

``batch_norm`` (``minigrad.nn.functional.batch_norm``) picks one with ``fused=``, and keeps
the running statistics exactly as PyTorch does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.autograd import is_grad_enabled, mark_changed_in_place, no_grad
from minigrad.ops import Primitive
from minigrad.tensor import ShapeError, Tensor


def channel_layout(x: Tensor) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """For input (N, C, *): the axes to average over (all but C), the shape that broadcasts a
    per-channel vector against x, and m, the number of values per channel."""
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return axes, per_channel, math.prod(x.shape[a] for a in axes)


def batch_norm_derived(x: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float) -> tuple[Tensor, ...]:
    """Training-mode BN from primitives; returns (y, batch mean, biased batch variance)."""
    axes, per_channel, _ = channel_layout(x)
    mean = x.mean(axes, keepdim=True)  # mu_B = 1/m sum_i x_i
    centered = x - mean  # x_i - mu_B
    var = centered.square().mean(axes, keepdim=True)  # sigma^2_B = 1/m sum_i (x_i - mu_B)^2 (biased)
    x_hat = centered * (var + eps).rsqrt()  # x^_i = (x_i - mu_B) / sqrt(sigma^2_B + eps)
    y = x_hat if weight is None else x_hat * weight.reshape(per_channel)  # gamma x^_i
    y = y if bias is None else y + bias.reshape(per_channel)  # + beta
    return y, mean, var


class FusedBatchNorm(Primitive):
    """BN as one op: ``FusedBatchNorm(eps)(x, weight, bias)`` with batch statistics, or with
    ``running=(mean, var)`` arrays for eval mode. Sums below are per channel over m values:

        d beta  = sum dy
        d gamma = sum dy * x^
        dx      = gamma / (m * sigma^) * (m * dy - sum dy - x^ * sum(dy * x^)),  sigma^ = sqrt(var + eps)

    In eval mode x^ = (x - running_mean) / sqrt(running_var + eps) is affine in x, so
    dx = gamma * dy / sqrt(running_var + eps).
    """

    __slots__ = ("eps", "running", "x_hat", "inv_std", "mean", "var")

    def __init__(self, eps: float, running: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.eps, self.running = eps, running

    def forward(self, x, weight, bias):
        axes, per_channel, _ = channel_layout(x)
        if self.running is None:
            self.mean = x.mean(axis=axes, keepdims=True)
            self.var = np.square(x - self.mean).mean(axis=axes, keepdims=True)
            mean, var = self.mean, self.var
        else:
            mean, var = (s.reshape(per_channel).astype(x.dtype) for s in self.running)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std  # saved for backward: one array like x
        return self.x_hat * weight.reshape(per_channel) + bias.reshape(per_channel)

    def backward(self, grad, out):
        x, weight, bias = self.inputs
        axes, per_channel, m = channel_layout(x)
        if is_grad_enabled():
            # create_graph=True: rebuild x^ and 1/sigma^ from x with ops, so that the
            # formulas below can themselves be differentiated with respect to x.
            x_hat, inv_std = self._normalize(x)
        else:
            x_hat, inv_std = Tensor._make(self.x_hat), Tensor._make(self.inv_std)
        gamma = weight.reshape(per_channel)
        sum_dy = grad.sum(axes, keepdim=True)
        sum_dy_x_hat = (grad * x_hat).sum(axes, keepdim=True)
        if self.running is None:
            dx = gamma * inv_std / m * (m * grad - sum_dy - x_hat * sum_dy_x_hat)
        else:
            dx = gamma * inv_std * grad
        return dx, sum_dy_x_hat.reshape(weight.shape), sum_dy.reshape(bias.shape)

    def _normalize(self, x: Tensor) -> tuple[Tensor, Tensor]:
        axes, per_channel, _ = channel_layout(x)
        if self.running is None:
            mean = x.mean(axes, keepdim=True)
            inv_std = ((x - mean).square().mean(axes, keepdim=True) + self.eps).rsqrt()
        else:
            mean = Tensor._make(self.running[0].reshape(per_channel).astype(x.dtype))
            inv_std = Tensor._make(self.inv_std)
        return (x - mean) * inv_std, inv_std


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    fused: bool = False,
) -> Tensor:
    """Batch normalisation of (N, C, *) input over every axis but C, as in PyTorch.

    Training mode normalises with the batch mean and the *biased* batch variance, and updates
    ``running = (1 - momentum) * running + momentum * batch`` in place, with the *unbiased*
    variance (times m / (m - 1)) for ``running_var``. Eval mode uses the running statistics.
    ``fused=True`` uses the closed-form op instead of the derived composite.

    >>> import minigrad
    >>> x = minigrad.randn(8, 3)
    >>> y = batch_norm(x, None, None, training=True)
    >>> bool((y.mean(0).abs() < 1e-5).all())
    True
    """
    if input.ndim < 2:
        raise ShapeError(f"batch_norm expects input of shape (N, C, *), got shape {input.shape}")
    _, per_channel, m = channel_layout(input)
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ShapeError(f"batch_norm: {name} has shape {t.shape}, expected ({channels},) for input {input.shape}")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and running_var")
        if fused:
            return _fused(input, weight, bias, eps, (running_mean.data, running_var.data))
        shift = running_mean.reshape(per_channel)
        scale = (running_var.reshape(per_channel) + eps).rsqrt()
        y = (input - shift) * scale
        y = y if weight is None else y * weight.reshape(per_channel)
        return y if bias is None else y + bias.reshape(per_channel)
    if m <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    if fused:
        op = FusedBatchNorm(eps)
        y = _fused(input, weight, bias, eps, None, op)
        batch_mean, batch_var = op.mean, op.var
    else:
        y, mean, var = batch_norm_derived(input, weight, bias, eps)
        batch_mean, batch_var = mean.data, var.data
    if running_mean is not None and running_var is not None:
        with no_grad():  # running stats are state, not part of the graph
            unbiased_var = batch_var.reshape(channels) * (m / (m - 1))
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * batch_mean.reshape(channels)
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased_var
            mark_changed_in_place(running_mean)
            mark_changed_in_place(running_var)
    return y


def _fused(
    x: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float, running: Any, op: FusedBatchNorm | None = None
) -> Tensor:
    """Apply the fused op; without affine parameters it uses constant gamma = 1, beta = 0."""
    channels = x.shape[1]
    weight = weight if weight is not None else Tensor._make(np.ones(channels, dtype=x.dtype))
    bias = bias if bias is not None else Tensor._make(np.zeros(channels, dtype=x.dtype))
    return (op or FusedBatchNorm(eps, running))(x, weight, bias)
