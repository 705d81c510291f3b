"""Tensor's in-place operators: ``x += y``, ``x -= y``, ``x *= y``, ``x /= y``.

They change x's array in place, as in PyTorch. They are for updates outside the graph (e.g.
parameters under ``no_grad``), so while grad mode is on they are refused for tensors that
take part in autograd. Each bumps x's version; backward refuses a graph that saved x (or a
view of its data) at an older version.

>>> import minigrad
>>> x = minigrad.zeros(2)
>>> x += 1
>>> x
tensor([1., 1.])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.autograd import GradMode, mark_changed_in_place
from minigrad.dtypes import array_of

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def in_place(x: Tensor, other: Any, ufunc: Any, symbol: str) -> Tensor:
    """``ufunc(x, other, out=x)``: x's own array changes, and so does its version."""
    if GradMode.enabled and (x.requires_grad or getattr(other, "requires_grad", False)):
        raise RuntimeError(
            f"x {symbol}= y on a tensor that requires grad would bypass autograd: use it inside "
            f"minigrad.no_grad() for an update outside the graph, or write x = x {symbol} y"
        )
    try:
        ufunc(x.array, array_of(other), out=x.array, casting="same_kind")
    except (TypeError, ValueError) as error:  # numpy's UFuncTypeError is a TypeError
        raise ValueError(f"x {symbol}= y on shape {x.shape}, dtype {x.dtype}: {error}") from None
    mark_changed_in_place(x)
    return x


def iadd(x: Tensor, other: Any) -> Tensor:
    return in_place(x, other, np.add, "+")


def isub(x: Tensor, other: Any) -> Tensor:
    return in_place(x, other, np.subtract, "-")


def imul(x: Tensor, other: Any) -> Tensor:
    return in_place(x, other, np.multiply, "*")


def itruediv(x: Tensor, other: Any) -> Tensor:
    return in_place(x, other, np.divide, "/")
