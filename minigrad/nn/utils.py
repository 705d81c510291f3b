"""``torch.nn.utils``: gradient clipping and parameters as one vector.

>>> from minigrad import nn
>>> import minigrad
>>> layer = nn.Linear(2, 1)
>>> layer(minigrad.ones(1, 2)).sum().backward()
>>> float(clip_grad_norm_(layer.parameters(), max_norm=0.1)) > 0
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.autograd import mark_changed_in_place
from minigrad.tensor import Tensor, from_numpy
from minigrad.unsupported import missing_attribute


def _with_grads(parameters: Any) -> list[Tensor]:
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: Any = None
) -> Tensor:
    """Scale all gradients together so that their total norm is at most ``max_norm``; returns
    the total norm before clipping (PyTorch's formula: scale = max_norm / (norm + 1e-6))."""
    grads = [p.grad.array for p in _with_grads(parameters)]  # type: ignore[union-attr]
    if not grads:
        return from_numpy(np.zeros((), dtype=np.float32))
    if norm_type == math.inf:
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float((np.abs(g.astype(np.float64)) ** norm_type).sum()) for g in grads) ** (1 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients is non-finite, so it cannot be clipped")
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for g in grads:
            g *= scale
    return from_numpy(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Any, clip_value: float, foreach: Any = None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    for p in _with_grads(parameters):
        np.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)  # type: ignore[union-attr]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened into one 1-D tensor (a copy, no graph)."""
    return from_numpy(np.concatenate([p.array.reshape(-1) for p in parameters]))


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive pieces of ``vec`` into the parameters, in place."""
    start = 0
    for p in parameters:
        p.array[...] = vec.array[start : start + p.numel()].reshape(p.shape)
        mark_changed_in_place(p)
        start += p.numel()


def __getattr__(name: str) -> Any:
    """A PyTorch name minigrad does not have (``nn.utils.weight_norm``): a NotImplementedError naming it."""
    raise missing_attribute("minigrad.nn.utils", name)
