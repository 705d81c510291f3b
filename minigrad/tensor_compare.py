"""Tensor's comparisons and logical operators: boolean results, no gradient.

They compute on the arrays directly and record nothing for backward (PyTorch's comparisons
have no gradient either). ``Tensor`` binds them as ``<``, ``==``, ``~``, ``&``, ``all()``, ...

>>> import minigrad
>>> x = minigrad.tensor([1.0, -2.0, 3.0])
>>> (x > 0) & (x < 2)
tensor([ True, False, False])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.dtypes import array_of

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def compare(x: Tensor, other: Any, ufunc: Callable[..., Any]) -> Tensor:
    """``ufunc(x, other)`` on the arrays, as a tensor with no graph."""
    return x._make(np.asarray(ufunc(x.data, array_of(other))))


def less(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.less)


def less_equal(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.less_equal)


def greater(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.greater)


def greater_equal(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.greater_equal)


def equal(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.equal)


def not_equal(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.not_equal)


def bitwise_not(x: Tensor) -> Tensor:
    return x._make(np.asarray(~x.data))


def bitwise_and(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.bitwise_and)


def bitwise_or(x: Tensor, other: Any) -> Tensor:
    return compare(x, other, np.bitwise_or)


def all_true(x: Tensor) -> Tensor:
    return x._make(np.asarray(x.data.all()))


def any_true(x: Tensor) -> Tensor:
    return x._make(np.asarray(x.data.any()))


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (a constant: no gradient)."""
    return x._make(np.sign(x.data))


def isfinite(x: Tensor) -> Tensor:
    return x._make(np.isfinite(x.data))
