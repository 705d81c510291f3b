"""Making tensors: from data, filled, ranges, and random numbers. Above Tensor.

>>> tensor([1, 2]).dtype, tensor([1.0]).dtype, zeros(2, 3).shape
(dtype('int64'), dtype('float32'), (2, 3))
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.dtypes import DTypeLike, Scalar, as_array, float32, int64
from minigrad.shapes import shape_from_args
from minigrad.tensor import Tensor, from_numpy

__all__ = [
    "arange",
    "default_generator",
    "from_numpy",
    "full",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "randint",
    "randn",
    "tensor",
    "zeros",
    "zeros_like",
]


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``: Python floats become float32, ints int64, and
    numpy arrays keep their dtype, as in PyTorch.

    >>> tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    return Tensor(as_array(data, dtype), requires_grad=requires_grad)


def _filled(size: tuple[Any, ...], value: Any, dtype: DTypeLike, requires_grad: bool) -> Tensor:
    shape = shape_from_args(size)
    return Tensor(np.full(shape, value, dtype=dtype or float32), requires_grad=requires_grad)


def zeros(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """``zeros(2, 3)`` or ``zeros((2, 3))``; float32 unless ``dtype`` says otherwise."""
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 1, dtype, requires_grad)


def full(size: Sequence[int], fill_value: Scalar, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    dtype = dtype or as_array(fill_value, None).dtype
    return Tensor(np.full(tuple(size), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(input.shape, dtype=dtype or input.dtype), requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(input.shape, dtype=dtype or input.dtype), requires_grad=requires_grad)


def arange(start: Scalar, end: Scalar | None = None, step: Scalar = 1, dtype: DTypeLike = None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive): int64 for int arguments, else float32."""
    if end is None:
        start, end = 0, start
    floats = any(isinstance(v, builtins.float) for v in (start, end, step))
    return Tensor(np.arange(start, end, step, dtype=dtype or (float32 if floats else int64)))


# ----------------------------------------------------------------------------- random numbers

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed minigrad's random numbers (``randn``, ``rand``, layer initialisation, dropout).

    >>> manual_seed(0); a = randn(2); manual_seed(0); bool((a == randn(2)).all())
    True
    """
    global _generator
    _generator = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The numpy generator that ``manual_seed`` seeds."""
    return _generator


def randn(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples (float32 unless ``dtype`` says otherwise)."""
    data = _generator.standard_normal(shape_from_args(size)).astype(dtype or float32)
    return Tensor(data, requires_grad=requires_grad)


def rand(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    data = _generator.random(shape_from_args(size)).astype(dtype or float32)
    return Tensor(data, requires_grad=requires_grad)


def randint(low: int, high: int | Sequence[int], size: Sequence[int] | None = None) -> Tensor:
    """Integers from [low, high), int64: ``randint(low, high, size)`` or ``randint(high, size)``."""
    if size is None:
        low, high, size = 0, low, high  # type: ignore[assignment]
    return Tensor(_generator.integers(low, high, tuple(size), dtype=np.int64))  # type: ignore[arg-type]
