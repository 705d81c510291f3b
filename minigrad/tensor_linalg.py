"""Tensor's matrix products: ``matmul`` (``@``) and its named special cases ``mm``, ``bmm``,
``mv``, ``dot``, ``outer``. One primitive does them all: ``MatMul``, on operands of at least two
dims; the rest is reshaping, so every gradient is derived. ``Tensor`` binds these as methods.

>>> import minigrad
>>> a = minigrad.ones(2, 3)
>>> a.mm(a.t()).shape, a.matmul(minigrad.ones(3)).shape, minigrad.ones(3).dot(minigrad.ones(3))
((2, 2), (2,), tensor(3.))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import ops
from minigrad.dtypes import promote_types
from minigrad.shapes import ShapeError

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def matmul(x: Tensor, other: Any) -> Tensor:
    """Matrix product with numpy's rules: 1-D operands become a row/column, then that
    dimension is dropped again; leading (batch) dimensions broadcast."""
    a, b = x, other if hasattr(other, "_op") else x.new_tensor(other)
    if a.dtype != b.dtype:
        common = promote_types(a.dtype, b.dtype)
        a, b = a.to(common), b.to(common)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes {a.shape} and {b.shape}")
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} can't be multiplied ({a2.shape[-1]} != {b2.shape[-2]})"
        )
    try:
        np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: the batch dims of shapes {a.shape} and {b.shape} do not broadcast "
            f"({a2.shape[:-2]} vs {b2.shape[:-2]})"
        ) from None
    out = ops.MatMul()(a2, b2)
    if a.ndim == 1:
        out = out.squeeze(-2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    return out


def _expect(name: str, dims: dict[str, tuple[Tensor, int]]) -> None:
    for role, (t, ndim) in dims.items():
        if t.ndim != ndim:
            raise ShapeError(f"{name}: {role} must be {ndim}-D, got shape {t.shape}")


def mm(x: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (2-D only; ``matmul`` broadcasts)."""
    _expect("mm", {"self": (x, 2), "mat2": (mat2, 2)})
    return matmul(x, mat2)


def bmm(x: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (3-D only, no broadcasting)."""
    _expect("bmm", {"self": (x, 3), "mat2": (mat2, 3)})
    if x.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ: shapes {x.shape} and {mat2.shape}")
    return matmul(x, mat2)


def mv(x: Tensor, vec: Tensor) -> Tensor:
    """Matrix times vector."""
    _expect("mv", {"self": (x, 2), "vec": (vec, 1)})
    return matmul(x, vec)


def dot(x: Tensor, tensor: Tensor) -> Tensor:
    """The dot product of two 1-D tensors."""
    _expect("dot", {"self": (x, 1), "tensor": (tensor, 1)})
    return matmul(x, tensor)


def outer(x: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: out[i, j] = x[i] * vec2[j]."""
    _expect("outer", {"self": (x, 1), "vec2": (vec2, 1)})
    return x.reshape(-1, 1) * vec2.reshape(1, -1)
