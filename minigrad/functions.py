"""Functions of several tensors, at the top level: ``minigrad.cat``, ``where``, ... Above Tensor.

>>> import minigrad
>>> cat([minigrad.ones(2), minigrad.zeros(1)])
tensor([1., 1., 0.])
"""

from __future__ import annotations

import functools
import string
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.dtypes import promote_types
from minigrad.factories import tensor
from minigrad.shapes import ShapeError, normalize_dim
from minigrad.tensor import Tensor
from minigrad.tensor_inplace import write_out

__all__ = [
    "addmm",
    "broadcast_shapes",
    "broadcast_tensors",
    "cat",
    "concat",
    "concatenate",
    "einsum",
    "hstack",
    "maximum",
    "meshgrid",
    "minimum",
    "stack",
    "vstack",
    "where",
]


def where(condition: Any, input: Any = None, other: Any = None, *, out: Tensor | None = None) -> Any:
    """Elements of ``input`` where ``condition`` is true, else of ``other``; with the condition
    alone, the indices where it is true (``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        return (condition if isinstance(condition, Tensor) else tensor(condition)).nonzero(as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = tensor(input)  # two numbers: a float gives the default dtype, as in PyTorch
    if out is not None:
        return write_out(out, where(condition, input, other), "where")
    if isinstance(input, Tensor):
        return input.where(condition, other)
    condition = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    return other.where(~condition.astype(bool), input)  # a constant input: other where the condition fails


def maximum(input: Tensor, other: Any) -> Tensor:
    """Elementwise maximum; on ties each side gets half the gradient (as in PyTorch)."""
    return input.maximum(other)


def minimum(input: Tensor, other: Any) -> Tensor:
    return input.minimum(other)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join tensors along an existing dimension."""
    if out is not None:
        return write_out(out, cat(tensors, dim), "cat")
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


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join tensors of the same shape along a new dimension."""
    if out is not None:
        return write_out(out, stack(tensors, dim), "stack")
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


concat = concatenate = cat


def hstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Join along dim 0, 1-D tensors becoming rows."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0, out=out)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common shape (views)."""
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors; ``indexing="ij"`` (PyTorch's default) or ``"xy"``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    swap = indexing == "xy" and len(tensors) > 1  # "xy": the first two inputs' roles exchanged
    grids = [tensors[1], tensors[0], *tensors[2:]] if swap else list(tensors)
    shape = tuple(len(t) for t in grids)
    out = [t.reshape(tuple(-1 if i == k else 1 for i in range(len(grids)))).expand(shape) for k, t in enumerate(grids)]
    return tuple([out[1], out[0], *out[2:]] if swap else out)


def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1, out: Tensor | None = None
) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2) (``Tensor.addmm``: with beta = 0 the input is ignored)."""
    result = input.addmm(mat1, mat2, beta=beta, alpha=alpha)
    return result if out is None else write_out(out, result, "addmm")


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, ``einsum("ij,jk->ik", a, b)``: each operand's dims are labelled by
    letters; equal letters are multiplied together, and letters missing from the output are
    summed over. Computed as one broadcast product and a sum, so the gradient is derived (it
    needs the memory of the full product: fine for teaching sizes)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    inputs, arrow, output = equation.replace(" ", "").partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(terms)} operands, got {len(operands)}")
    spare = iter(string.ascii_uppercase)
    width = max([t.ndim - len(term.replace("...", "")) for t, term in zip(operands, terms) if "..." in term], default=0)
    batch = "".join(next(spare) for _ in range(width))  # the dims that '...' stands for
    terms = [term.replace("...", batch[width - (t.ndim - len(term) + 3) :]) for t, term in zip(operands, terms)]
    if not arrow:  # the letters that appear once, in alphabetical order (PyTorch's implicit output)
        counts = "".join(terms)
        output = batch + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in batch))
    output = output.replace("...", batch)
    letters = list(output) + sorted({c for term in terms for c in term} - set(output))
    product = None
    for t, term in zip(operands, terms):
        if len(term) != t.ndim:
            raise ValueError(f"einsum: operand of shape {t.shape} has {t.ndim} dims, but {term!r} names {len(term)}")
        if len(set(term)) != len(term):
            raise NotImplementedError(f"einsum: a letter repeated within one operand ({term!r}) is not supported")
        placed = t.permute([term.index(c) for c in letters if c in term])
        placed = placed.reshape([t.shape[term.index(c)] if c in term else 1 for c in letters])
        product = placed if product is None else product * placed
    assert product is not None
    summed = tuple(range(len(output), len(letters)))
    return product.sum(summed) if summed else product
