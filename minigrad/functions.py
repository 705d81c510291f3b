"""Functions of several tensors, at the top level: ``minigrad.cat``, ``where``, ... Above Tensor.

>>> import minigrad
>>> cat([minigrad.ones(2), minigrad.zeros(1)])
tensor([1., 1., 0.])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.dtypes import promote_types
from minigrad.factories import tensor
from minigrad.shapes import ShapeError, normalize_dim
from minigrad.tensor import Tensor

__all__ = ["cat", "maximum", "minimum", "stack", "where"]


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of ``input`` where ``condition`` is true, else of ``other``."""
    if isinstance(input, Tensor):
        return input.where(condition, other)
    if not isinstance(other, Tensor):
        raise TypeError("where: at least one of input and other must be a Tensor")
    condition = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    return other.where(~condition.astype(bool), input)  # a constant input: other where the condition fails


def maximum(input: Tensor, other: Any) -> Tensor:
    """Elementwise maximum; on ties each side gets half the gradient (as in PyTorch)."""
    return input.maximum(other)


def minimum(input: Tensor, other: Any) -> Tensor:
    return input.minimum(other)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    first = tensors[0]
    dtype = functools.reduce(promote_types, [t.dtype for t in tensors])
    axis = normalize_dim(dim, first.ndim)
    for t in tensors:
        if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1 :] != first.shape[:axis] + first.shape[axis + 1 :]:
            raise ShapeError(
                f"cat: shapes {[s.shape for s in tensors]} differ outside dim {dim}; only that dim may differ"
            )
    return ops.Concatenate(axis)(*[t.to(dtype) for t in tensors])


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of the same shape along a new dimension."""
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)
