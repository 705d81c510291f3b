"""``torch.linalg``'s common functions, on the matrix functions of ``tensor_linalg.py``: ``inv``,
``det``, ``slogdet``, ``matrix_power``, ``vector_norm``, ``matrix_norm`` (Frobenius), ``norm``,
``cross``, ``matmul``, ``vecdot``. Each is a composite (or one of the ``Inverse`` and ``LogAbsDet``
primitives), so every gradient is derived. Others raise a NotImplementedError that names them.

>>> import minigrad
>>> A = minigrad.tensor([[2.0, 1.0], [1.0, 3.0]])
>>> minigrad.linalg.det(A), minigrad.linalg.vector_norm(minigrad.tensor([3.0, 4.0]))
(tensor(5.0000), tensor(5.))
"""

from __future__ import annotations

from typing import Any

from minigrad import tensor_linalg
from minigrad.ops import LinAlgError
from minigrad.shapes import ShapeError, normalize_dim
from minigrad.tensor import Tensor
from minigrad.tensor_linalg import SignLogAbsDet
from minigrad.unsupported import missing_attribute

__all__ = [
    "LinAlgError",
    "cross",
    "det",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "norm",
    "slogdet",
    "vecdot",
    "vector_norm",
]


def inv(A: Tensor) -> Tensor:
    """A^-1 of each square matrix in A (..., n, n); a singular one is refused."""
    return tensor_linalg.inverse(A)


def det(A: Tensor) -> Tensor:
    return tensor_linalg.det(A)


def slogdet(A: Tensor) -> SignLogAbsDet:
    """(sign, logabsdet): the determinant as a sign and a log, without overflow."""
    return tensor_linalg.slogdet(A)


def matrix_power(input: Tensor, n: int) -> Tensor:
    return tensor_linalg.matrix_power(input, n)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    return tensor_linalg.matmul(input, other)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (-1 by default, unlike ``torch.cross``)."""
    return input.cross(other, dim=dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product along ``dim``, broadcasting the other dims."""
    return (x * y).sum(dim)


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements by default); ord = inf is the largest
    |x|, -inf the smallest, 0 the number of non-zeros. ``Tensor.norm``, whose gradient at a
    zero vector is 0, as PyTorch's."""
    if isinstance(dim, (tuple, list)) and len(set(normalize_dim(d, x.ndim) for d in dim)) != len(dim):
        raise ValueError(f"vector_norm: dim {tuple(dim)} names a dim twice")
    return x.norm(ord, dim, keepdim, dtype)


def matrix_norm(input: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False) -> Tensor:
    """The Frobenius norm sqrt(sum A^2) over the two matrix dims (the only ``ord`` minigrad has:
    the others need singular values)."""
    if ord != "fro":
        raise NotImplementedError(f"torch.linalg.matrix_norm(ord={ord!r}) is not supported by minigrad: use ord='fro'")
    if input.ndim < 2:
        raise ShapeError(f"matrix_norm: expected a tensor of at least 2 dims, got shape {input.shape}")
    if len(dim) != 2 or normalize_dim(dim[0], input.ndim) == normalize_dim(dim[1], input.ndim):
        raise ValueError(f"matrix_norm: dim must be two different dims, got {tuple(dim)}")
    return input.norm("fro", tuple(dim), keepdim)


def norm(input: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """A vector norm (a 1-D input, or an int ``dim``) or a matrix norm (a 2-D input, or two dims);
    without ``ord``, the 2-norm of the flattened input when ``dim`` is None, as in PyTorch."""
    x = input if dtype is None else input.to(dtype)
    matrix = (isinstance(dim, (tuple, list)) and len(dim) == 2) or (dim is None and ord is not None and x.ndim == 2)
    if matrix:
        return matrix_norm(x, "fro" if ord is None else ord, tuple(dim) if dim is not None else (-2, -1), keepdim)
    if ord is not None and dim is None and x.ndim not in (1, 2):
        raise ShapeError(f"norm: with ord={ord!r}, the input must be 1-D or 2-D (or pass dim), got shape {x.shape}")
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim)


def __getattr__(name: str) -> Any:
    raise missing_attribute("minigrad.linalg", name)
