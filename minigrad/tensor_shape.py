"""Tensor's shape methods: reshape, permute, expand, indexing and their sugar.

Each function is one movement primitive (``Reshape``, ``Permute``, ``Expand``, ``Getitem``)
or sugar around one (``unsqueeze`` is a reshape), so every gradient is derived: the VJP of a
reshape is a reshape back, of a permutation the inverse permutation, of an expand a sum.
``Tensor`` binds them as its methods of the same names.

>>> import minigrad
>>> minigrad.zeros(2, 3).unsqueeze(0).permute(2, 0, 1).shape
(3, 1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import ops
from minigrad.dtypes import array_of
from minigrad.shapes import ShapeError, normalize_dim, resolve_shape, shape_from_args

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape; one dimension may be -1. ``x.reshape(2, 3)`` or ``((2, 3))``."""
    new_shape = resolve_shape(shape_from_args(shape), x.array.size)
    if new_shape is None:
        asked = list(shape_from_args(shape))
        raise ShapeError(f"reshape: shape {asked} is invalid for a tensor of shape {x.shape}")
    if new_shape == x.shape:
        return x
    return ops.Reshape(tuple(new_shape))(x)


def permute(x: Tensor, *dims: Any) -> Tensor:
    """The dims in a new order: ``permute(2, 0, 1)`` makes dim 2 the first."""
    dims = tuple(normalize_dim(d, x.ndim) for d in shape_from_args(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dims of shape {x.shape}")
    return ops.Permute(dims)(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    axes = list(range(x.ndim))
    dim0, dim1 = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return ops.Permute(tuple(axes))(x)


def reversed_dims(x: Tensor) -> Tensor:
    """All dimensions reversed (``x.T``: the transpose, for a matrix)."""
    return permute(x, tuple(reversed(range(x.ndim)))) if x.ndim > 1 else x


def matrix_transpose(x: Tensor) -> Tensor:
    """The last two dimensions swapped (``x.mT``): a batch of transposed matrices."""
    return transpose(x, -2, -1)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` without copying; -1 keeps a dimension."""
    sizes = shape_from_args(sizes)
    extra = len(sizes) - x.ndim
    if extra < 0:
        raise ShapeError(f"expand: can't expand shape {x.shape} to fewer dims {tuple(sizes)}")
    if any(n == -1 for n in sizes[:extra]):
        raise ShapeError(f"expand: -1 is not allowed for the new leading dims in {tuple(sizes)}")
    shape = tuple(x.shape[i - extra] if n == -1 else n for i, n in enumerate(sizes))
    if shape == x.shape:
        return x
    return ops.Expand(shape)(x)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    return expand(x, *shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """A new size-1 dim at ``dim``."""
    dim = normalize_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    """Without size-1 dims (all of them, or ``dim`` if it has size 1)."""
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = normalize_dim(dim, x.ndim)
    if x.ndim == 0 or x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1 :])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim`` to ``end_dim`` merged into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1 :])


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``: ints, slices, None, Ellipsis, and integer or boolean arrays (or tensors)."""
    return ops.Getitem(numpy_index(index))(x)


def numpy_index(index: Any) -> Any:
    """Tensors and lists inside an index become numpy arrays (integer or boolean)."""
    if isinstance(index, tuple):
        return tuple(numpy_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return array_of(index)
