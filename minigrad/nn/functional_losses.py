"""Loss functions, with PyTorch's arguments (``nn.functional`` re-exports them; the layers are in ``loss.py``).

Each is a few Tensor operations, so its gradient is derived. ``reduction`` is ``'mean'``,
``'sum'`` or ``'none'``; PyTorch's older ``size_average=`` and ``reduce=`` still work and map to
it, with PyTorch's warning.

>>> import minigrad
>>> logits = minigrad.tensor([[2.0, 0.0, 0.0]])
>>> round(cross_entropy(logits, minigrad.tensor([0])).item(), 4)
0.2395
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from minigrad.shapes import ShapeError
from minigrad.tensor import Tensor, from_numpy


def check_reduction(reduction: Any) -> str:
    """The reduction name, or a clear error (a tensor here is usually PyTorch's class weights,
    passed positionally)."""
    if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none"):
        shown = type(reduction).__name__ if isinstance(reduction, Tensor) else repr(reduction)
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {shown} (class weights go in weight=)")
    return reduction


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average`` and ``reduce`` to ``reduction``,
    with its warning: both None keeps ``reduction``; otherwise a missing one counts as True."""
    if size_average is None and reduce is None:
        return check_reduction(reduction)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    mapped = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{mapped}' instead.",
        UserWarning,
        stacklevel=3,
    )
    return mapped


def _reduce(loss: Tensor, reduction: str, weight_sum: Tensor | float | None = None) -> Tensor:
    if check_reduction(reduction) == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if weight_sum is None else loss.sum() / weight_sum


def _as_target(target: Any, like: Tensor) -> Tensor:
    return target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=like.dtype))


def _same_shape(input: Tensor, target: Tensor, name: str) -> None:
    if input.shape != target.shape:
        raise ShapeError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")


# ----------------------------------------------------------------------------- classification


def _class_last(input: Tensor, target: Tensor, name: str) -> tuple[Tensor, np.ndarray]:
    """(N, C, d1, ...) scores and (N, d1, ...) targets as (M, C) rows and (M,) classes."""
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target))
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: expected integer class targets (int64), or class probabilities of the input's shape "
            f"{input.shape}; got dtype {target.dtype} and shape {target.shape}"
        )
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


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-weight[target] * log p[target], given log-probabilities ``input`` (N, C, ...) and class
    indices; 'mean' divides by the sum of the weights of the counted targets."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _nll(*_class_last(input, target, "nll_loss"), weight, reduction, ignore_index, input.shape, 0.0)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """log_softmax over classes (dim 1), then the negative log-likelihood of the targets, which
    are class indices (N, d1, ...) or class probabilities (the input's shape).

    With label smoothing e the target distribution is (1 - e) target + e / C uniform
    (Szegedy et al. 2016); class weights w scale each class's term, and for class indices
    'mean' divides by the total weight of the targets, as PyTorch does.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if target.dtype.kind == "f" and target.shape == input.shape:
        return _cross_entropy_with_probabilities(input, target, weight, reduction, label_smoothing)
    rows, classes = _class_last(input, target, "cross_entropy")
    return _nll(rows.log_softmax(1), classes, weight, reduction, ignore_index, input.shape, label_smoothing)


def _cross_entropy_with_probabilities(
    input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, smoothing: float
) -> Tensor:
    """-sum_c w_c t_c log p_c per sample; 'mean' divides by the number of samples."""
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    class_dim = 1 if input.ndim > 1 else 0
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    terms = input.log_softmax(class_dim) * target
    if weight is not None:
        terms = terms * weight.reshape((classes,) + (1,) * (input.ndim - class_dim - 1))
    loss = -terms.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / max(loss.numel(), 1)
    return _reduce(loss, reduction)


def _nll(
    log_probs: Tensor,
    classes: np.ndarray,
    weight: Tensor | None,
    reduction: str,
    ignore_index: int,
    shape: tuple[int, ...],
    smoothing: float,
) -> Tensor:
    n_classes = log_probs.shape[1]
    kept = classes != ignore_index
    bad = classes[kept & ((classes < 0) | (classes >= n_classes))]
    if bad.size:
        raise IndexError(f"Target {bad[0]} is out of bounds: input of shape {shape} has {n_classes} classes")
    if weight is not None and weight.shape != (n_classes,):
        raise ShapeError(f"weight of shape {weight.shape} does not fit {n_classes} classes: expected ({n_classes},)")
    safe = np.where(kept, classes, 0)
    counted = from_numpy(kept.astype(log_probs.dtype))  # 0 for ignored targets
    per_target = counted if weight is None else counted * weight.detach()[safe].to(log_probs.dtype)
    loss = -log_probs[np.arange(len(safe)), safe] * per_target
    if smoothing:  # PyTorch: (1 - e) nll + e / C * sum_c (-w_c log p_c), normalised the same way
        spread = log_probs if weight is None else log_probs * weight.detach().to(log_probs.dtype)
        loss = (1 - smoothing) * loss - (smoothing / n_classes) * spread.sum(1) * counted
    if reduction == "none":
        return loss.reshape(shape[:1] + shape[2:]) if len(shape) > 1 else loss.reshape(())
    return _reduce(loss, reduction, per_target.sum())


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; the logs are clamped at -100, as in PyTorch."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _same_shape(input, target, "binary_cross_entropy")
    if ((input.array < 0) | (input.array > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1 (binary_cross_entropy takes probabilities)")
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(x), computed stably from the logits x:
    (1 - t) x + (1 + (w_pos - 1) t) (log(1 + e^-|x|) + max(-x, 0))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    log_one_plus = (-input.abs()).exp().log1p() + (-input).relu()  # log(1 + e^-x), without overflow
    scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    loss = (1 - target) * input + scale * log_one_plus
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """t (log t - input) for log-probabilities ``input`` (0 where t = 0); 'batchmean' divides by N."""
    if reduction == "batchmean":
        return kl_div(input, target, reduction="sum", log_target=log_target) / input.shape[0]
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = (target * (target.where(target > 0, 1).log() - input)).where(target > 0, 0)
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- regression


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """(input - target)^2, averaged (or summed)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _same_shape(input, target, "mse_loss")
    loss = (input - target).square()
    return _reduce(loss if weight is None else loss * weight, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """|input - target|."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _same_shape(input, target, "l1_loss")
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target; Girshick 2015)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = _as_target(target, input)
    _same_shape(input, target, "smooth_l1_loss")
    d = (input - target).abs()
    loss = d - 0.5 * beta if beta == 0 else (0.5 * d * d / beta).where(d < beta, d - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Tensor | None = None
) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): smooth_l1_loss times delta."""
    target = _as_target(target, input)
    _same_shape(input, target, "huber_loss")
    d = (input - target).abs()
    loss = (0.5 * d * d).where(d < delta, delta * (d - 0.5 * delta))
    return _reduce(loss if weight is None else loss * weight, reduction)
