"""Shape helpers: reading dims and shapes the way PyTorch does. Below Tensor; numpy only.

>>> normalize_dim(-1, 3), reduction_axes(None, 2), resolve_shape((2, -1), 6)
(2, (0, 1), (2, 3))
"""

from __future__ import annotations

import math
from typing import Any


def normalize_dim(dim: int, ndim: int) -> int:
    """A non-negative axis; negative dims count from the end (a 0-d tensor accepts 0 and -1)."""
    low = -max(ndim, 1)
    if not low <= dim < max(ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dims (expected {low} to {-low - 1})")
    return dim % max(ndim, 1) if ndim else 0


def reduction_axes(dim: Any, ndim: int) -> tuple[int, ...]:
    """Reduction axes as a sorted tuple of non-negative ints; None (or an empty tuple, as in
    PyTorch) means all of them."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if ndim == 0:
        for d in dims:
            normalize_dim(d, 0)
        return ()
    return tuple(sorted({normalize_dim(d, ndim) for d in dims}))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axes`` has with ``keepdim=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def shape_from_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def resolve_shape(shape: tuple[int, ...], size: int) -> tuple[int, ...] | None:
    """``shape`` with its -1 (if any) filled in so that it holds ``size`` elements; None if impossible."""
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        return None
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or size % known:
            return None
        shape = tuple(size // known if n == -1 else n for n in shape)
    return shape if math.prod(shape) == size else None


class Size(tuple):
    """PyTorch's ``torch.Size``: a tuple of dims (``x.shape`` is a plain tuple, and equal to one).

    >>> Size([2, 3]).numel(), Size([2, 3]) == (2, 3)
    (6, True)
    """

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op. PyTorch raises RuntimeError for these and numpy raises
    ValueError, so this is both: code written for either catches it."""
