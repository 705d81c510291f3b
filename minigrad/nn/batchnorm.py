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

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad.autograd import is_grad_enabled, mark_changed_in_place, named_scope, no_grad
from minigrad.ops import Primitive, SumOfProducts, TensorLike, sum_of_products
from minigrad.shapes import ShapeError
from minigrad.tensor import Tensor, from_numpy


def channel_layout(x: Any) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """For input (N, C, *): the axes to average over (all but C), the shape that broadcasts a
    per-channel vector against x, and m, the number of values per channel."""
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return axes, per_channel, math.prod(x.shape[a] for a in axes)


@dataclass
class Normalized:
    """The stages of BN's normalisation, each shaped to broadcast against x."""

    mean: Any  # mu_B (or the running mean)
    var: Any  # sigma^2_B, biased (or the running variance)
    centered: Any  # x - mu
    inv_std: Any  # 1 / sqrt(sigma^2 + eps), per channel

    @functools.cached_property
    def x_hat(self) -> Any:
        """(x - mu) / sqrt(sigma^2 + eps): computed the first time it is asked for, then kept
        (the derived route never asks: it folds gamma into the scale instead)."""
        with named_scope("normalize"):
            return self.centered * self.inv_std


def normalize(
    x: Any, eps: float, running: tuple[Any, Any] | None = None, x_for_mean: Any = None, x_for_var: Any = None
) -> Normalized:
    """BN's normalisation (Ioffe & Szegedy 2015, Alg. 1), the one place it is written. It runs
    on Tensors (the derived route: the engine differentiates it) and on numpy arrays (the
    fused op's forward, the check's closed forms) alike:

        mu_B      = 1/m sum_i x_i                      (or the running mean, in eval mode)
        sigma^2_B = 1/m sum_i (x_i - mu_B)^2           (biased; or the running variance)
        x^_i      = (x_i - mu_B) / sqrt(sigma^2_B + eps)

    ``x_for_mean`` and ``x_for_var`` are x again under other names (copies), so that autodiff
    can tell apart the gradient that reaches x through the mean and through the variance.
    """
    axes, per_channel, _ = channel_layout(x)
    # The named scopes are the paper's four lines; drawings group the ops they record by them.
    if running is None:
        with named_scope("mean"):
            mean = (x if x_for_mean is None else x_for_mean).mean(axis=axes, keepdims=True)
        with named_scope("variance"):
            deviation = (x if x_for_var is None else x_for_var) - mean
            var = mean_of_squares(deviation, axes)
            centered = deviation if x_for_var is None else x - mean
    else:
        mean, var = (s.reshape(per_channel) for s in running)
        centered = x - mean
    with named_scope("inverse std"):
        inv_std = (var + eps) ** -0.5
    return Normalized(mean, var, centered, inv_std)


def mean_of_squares(deviation: Any, axes: tuple[int, ...]) -> Any:
    """1/m sum_i d_i^2 per channel, in one pass that stores no d^2: a ``SumOfProducts`` op on
    Tensors (its gradient, 2 d / m, is derived), einsum on arrays."""
    m = math.prod(deviation.shape[a] for a in axes)
    if isinstance(deviation, np.ndarray):
        return sum_of_products(deviation, deviation, axes) / m
    return SumOfProducts(axes)(deviation, deviation) / m


def scale_and_shift(x_hat: Any, weight: Any, bias: Any) -> Any:
    """y_i = gamma x^_i + beta, per channel (either may be None: no affine parameters)."""
    _, per_channel, _ = channel_layout(x_hat)
    with named_scope("scale and shift"):
        y = x_hat if weight is None else x_hat * weight.reshape(per_channel)
        return y if bias is None else y + bias.reshape(per_channel)


def batch_norm_derived(x: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float) -> tuple[Tensor, ...]:
    """Training-mode BN from primitives; returns (y, batch mean, biased batch variance)."""
    stages = normalize(x, eps)
    return scale_normalized(stages, weight, bias), stages.mean, stages.var


def scale_normalized(stages: Normalized, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """y = gamma x^ + beta, computed as (x - mu) * (gamma / sqrt(sigma^2 + eps)) + beta: gamma
    is folded into the per-channel scale, a multiply on C numbers, which saves a full pass over
    x forward and another backward (x^ is never stored). The same value, and still derived."""
    _, per_channel, _ = channel_layout(stages.centered)
    with named_scope("scale"):
        scale = stages.inv_std if weight is None else stages.inv_std * weight.reshape(per_channel)
    with named_scope("scaled shift"):
        y = stages.centered * scale
        return y if bias is None else y + bias.reshape(per_channel)


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
    saved_arrays = ("x_hat", "inv_std", "mean", "var")  # freed by backward with the inputs

    def __init__(self, eps: float, running: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.eps, self.running = eps, running

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        running = None if self.running is None else (self.running[0].astype(x.dtype), self.running[1].astype(x.dtype))
        stages = normalize(x, self.eps, running)
        self.mean, self.var, self.inv_std = stages.mean, stages.var, stages.inv_std
        self.x_hat = stages.x_hat  # saved for backward: one array like x
        return scale_and_shift(self.x_hat, weight, bias)

    def backward(self, grad: TensorLike, out: TensorLike) -> tuple[TensorLike, ...]:
        x, weight, bias = self.inputs
        axes, per_channel, m = channel_layout(x)
        if is_grad_enabled():
            # create_graph=True: rebuild x^ and 1/sigma^ from x with ops, so that the
            # formulas below can themselves be differentiated with respect to x.
            running = None if self.running is None else (from_numpy(self.mean), from_numpy(self.var))
            stages = normalize(x, self.eps, running)
            x_hat, inv_std = stages.x_hat, stages.inv_std
        else:
            x_hat, inv_std = from_numpy(self.x_hat), from_numpy(self.inv_std)
        gamma = weight.reshape(per_channel)
        sum_dy = grad.sum(axes, keepdim=True)
        sum_dy_x_hat = (grad * x_hat).sum(axes, keepdim=True)
        if self.running is None:
            dx = gamma * inv_std / m * (m * grad - sum_dy - x_hat * sum_dy_x_hat)
        else:
            dx = gamma * inv_std * grad
        return dx, sum_dy_x_hat.reshape(weight.shape), sum_dy.reshape(bias.shape)


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
    m = channel_layout(input)[2]
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ShapeError(f"batch_norm: {name} has shape {t.shape}, expected ({channels},) for input {input.shape}")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and running_var")
        if fused:
            return _fused(input, weight, bias, eps, (running_mean.array, running_var.array))
        return scale_normalized(normalize(input, eps, (running_mean, running_var)), weight, bias)
    if m <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    if fused:
        op = FusedBatchNorm(eps)
        y = _fused(input, weight, bias, eps, None, op)
        batch_mean, batch_var = op.mean, op.var
    else:
        y, mean, var = batch_norm_derived(input, weight, bias, eps)
        batch_mean, batch_var = mean.array, var.array
    if running_mean is not None and running_var is not None:
        with no_grad():  # running stats are state, not part of the graph
            unbiased_var = batch_var.reshape(channels) * (m / (m - 1))
            running_mean.array[...] = (1 - momentum) * running_mean.array + momentum * batch_mean.reshape(channels)
            running_var.array[...] = (1 - momentum) * running_var.array + momentum * unbiased_var
            mark_changed_in_place(running_mean)
            mark_changed_in_place(running_var)
    return y


def _fused(
    x: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float, running: Any, op: FusedBatchNorm | None = None
) -> Tensor:
    """Apply the fused op; without affine parameters it uses constant gamma = 1, beta = 0."""
    channels = x.shape[1]
    weight = weight if weight is not None else from_numpy(np.ones(channels, dtype=x.dtype))
    bias = bias if bias is not None else from_numpy(np.zeros(channels, dtype=x.dtype))
    return (op or FusedBatchNorm(eps, running))(x, weight, bias)
