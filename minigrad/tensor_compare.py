"""Tensor's tests and queries with no gradient: ``all``, ``any``, ``isclose``, ``allclose``,
``equal``, ``nonzero``, ``unique``. (The elementwise comparisons ``<``, ``==``, ... are made in
``tensor.py`` by ``_without_gradient``.) ``Tensor`` binds these as methods.

>>> import minigrad
>>> x = minigrad.tensor([0.0, 2.0, 2.0])
>>> x.any(), x.nonzero().tolist(), x.unique()
(tensor(True), [[1], [2]], tensor([0., 2.]))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.dtypes import array_of
from minigrad.shapes import reduction_axes

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def _constant(x: Tensor, values: Any) -> Tensor:
    values = np.asarray(values)
    return x.new_tensor(values, dtype=values.dtype)


def all(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``, or all) is non-zero."""
    axes = None if dim is None else reduction_axes(dim, x.ndim)
    return _constant(x, np.all(x.array, axis=axes, keepdims=keepdim))


def any(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``, or all) is non-zero."""
    axes = None if dim is None else reduction_axes(dim, x.ndim)
    return _constant(x, np.any(x.array, axis=axes, keepdims=keepdim))


def isclose(x: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|x - other| <= atol + rtol |other|, elementwise."""
    return _constant(x, np.isclose(x.array, array_of(other), rtol, atol, equal_nan))


def allclose(x: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(np.allclose(x.array, array_of(other), rtol, atol, equal_nan))


def equal(x: Tensor, other: Tensor) -> bool:
    """True if both have the same shape and the same values."""
    return x.shape == other.shape and bool((x.array == array_of(other)).all())


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    found = np.nonzero(x.array if x.ndim else x.array.reshape(1))
    if as_tuple:
        return tuple(_constant(x, i.astype(np.int64)) for i in found)
    return _constant(x, np.stack(found, axis=1).astype(np.int64))


def argwhere(x: Tensor) -> Tensor:
    """The indices of the non-zero elements, as an (n, ndim) int64 tensor."""
    return nonzero(x)


def unique(
    x: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """The distinct values, sorted (and, if asked, the inverse indices and the counts)."""
    values, inverse, counts = np.unique(x.array, return_inverse=True, return_counts=True, axis=dim)
    out = [_constant(x, values)]
    if return_inverse:
        out.append(_constant(x, inverse.reshape(x.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        out.append(_constant(x, counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
