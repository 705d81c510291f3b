"""Tensor's matrix products: ``matmul`` (``@``) and its named special cases ``mm``, ``bmm``,
``mv``, ``dot``, ``outer``. One primitive does them all: ``MatMul``, on operands of at least two
dims; the rest is reshaping, so every gradient is derived. ``Tensor`` binds these as methods.

>>> import minigrad
>>> a = minigrad.ones(2, 3)
>>> a.mm(a.t()).shape, a.matmul(minigrad.ones(3)).shape, minigrad.ones(3).dot(minigrad.ones(3))
((2, 2), (2,), tensor(3.))
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import ops
from minigrad.dtypes import promote_types
from minigrad.shapes import ShapeError

SignLogAbsDet = namedtuple("SignLogAbsDet", ["sign", "logabsdet"])  # slogdet's result, as PyTorch names it

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


def inner(x: Tensor, other: Any) -> Tensor:
    """The sum of products over the last dim of both: shape x.shape[:-1] + other.shape[:-1]
    (a scalar operand multiplies)."""
    other = other if hasattr(other, "_op") else x.new_tensor(other)
    if x.ndim == 0 or other.ndim == 0:
        return x * other
    if x.shape[-1] != other.shape[-1]:
        raise ShapeError(f"inner: the last dims of shapes {x.shape} and {other.shape} differ")
    k = x.shape[-1]
    flat = matmul(x.reshape(-1, k), other.reshape(-1, k).mT)
    return flat.reshape(*x.shape[:-1], *other.shape[:-1])


def vdot(x: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-D tensors (for real numbers, ``dot``)."""
    _expect("vdot", {"self": (x, 1), "other": (other, 1)})
    return matmul(x, other)


def kron(x: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every element of x times a whole block of other, dim by dim
    (out[i*m + k, j*n + l] = x[i, j] * other[k, l] in 2-D)."""
    ndim = max(x.ndim, other.ndim)
    a_shape = (1,) * (ndim - x.ndim) + x.shape
    b_shape = (1,) * (ndim - other.ndim) + other.shape
    a = x.reshape(*[n for size in a_shape for n in (size, 1)])  # (a0, 1, a1, 1, ...)
    b = other.reshape(*[n for size in b_shape for n in (1, size)])  # (1, b0, 1, b1, ...)
    return (a * b).reshape(*[p * q for p, q in zip(a_shape, b_shape)])


def _plus_product(name: str, input: Any, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """beta * input + alpha * product; with beta = 0 the input is ignored, NaN and inf in it
    included, as in PyTorch. The input must broadcast to the product's shape."""
    try:
        shape = np.broadcast_shapes(tuple(getattr(input, "shape", ())), product.shape)
    except ValueError:
        shape = ()
    if shape != product.shape:
        raise ShapeError(f"{name}: input of shape {input.shape} does not broadcast to the product's {product.shape}")
    scaled = product if alpha == 1 else alpha * product
    if beta == 0:
        return scaled
    return (input if beta == 1 else beta * input) + scaled


def addmm(x: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * (mat1 @ mat2), for matrices."""
    return _plus_product("addmm", x, mm(mat1, mat2), beta, alpha)


def addmv(x: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * (mat @ vec)."""
    return _plus_product("addmv", x, mv(mat, vec), beta, alpha)


def addr(x: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * outer(vec1, vec2)."""
    return _plus_product("addr", x, outer(vec1, vec2), beta, alpha)


def baddbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * (batch1 @ batch2), batch by batch."""
    return _plus_product("baddbmm", x, bmm(batch1, batch2), beta, alpha)


def addbmm(x: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * x + alpha * (the sum over the batch of batch1[i] @ batch2[i])."""
    return _plus_product("addbmm", x, bmm(batch1, batch2).sum(0), beta, alpha)


def _floating_square(name: str, x: Tensor) -> Tensor:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"{name}: expected square matrices (..., n, n), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating point tensor, got dtype {x.dtype}")
    return x


def inverse(x: Tensor) -> Tensor:
    """A^-1 of each square matrix in x (..., n, n); a singular one is refused."""
    return ops.Inverse()(_floating_square("inverse", x))


def slogdet(x: Tensor) -> SignLogAbsDet:
    """(sign, log |det|) of each square matrix: the determinant without overflow. The sign is a
    constant (no gradient); log |det| is differentiable."""
    x = _floating_square("slogdet", x)
    with np.errstate(invalid="ignore"):  # a NaN matrix: its sign is set to NaN below
        sign = np.linalg.slogdet(x.array)[0]
    sign = np.where(np.isnan(x.array).any(axis=(-2, -1)), np.nan, sign)  # numpy says 0 for a NaN matrix
    return SignLogAbsDet(x.new_tensor(sign), ops.LogAbsDet()(x))


def det(x: Tensor) -> Tensor:
    """det A = sign * exp(log |det A|), so its gradient, det A * A^-T, is derived."""
    sign, logabsdet = slogdet(_floating_square("det", x))
    return sign * logabsdet.exp()


def logdet(x: Tensor) -> Tensor:
    """log det A: NaN where det A < 0 and -inf where it is 0, as in PyTorch."""
    sign, logabsdet = slogdet(_floating_square("logdet", x))
    with np.errstate(divide="ignore", invalid="ignore"):  # log(-1) = NaN, log(0) = -inf: constants, no warning
        log_sign = np.log(sign.array)
    # Where det <= 0 the value is that constant and the gradient 0, as in PyTorch.
    return logabsdet.where(x.new_tensor(sign.array > 0, dtype=np.bool_), x.new_tensor(log_sign))


def matrix_power(x: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring (n = 0: the identity; n < 0: the inverse's power)."""
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"matrix_power: expected square matrices (..., n, n), got shape {x.shape}")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: n must be an int, got {n!r}")
    if n == 0:
        return x.new_tensor(np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape))
    base, result, n = (inverse(x) if n < 0 else x), None, abs(int(n))
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    assert result is not None
    return result.clone() if result is x else result  # A^1: a new tensor, as PyTorch's
