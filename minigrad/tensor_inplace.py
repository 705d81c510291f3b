"""Tensor's in-place operations: ``x += y``, ``x[i] = v``, ``x.add_(y)``, ``x.relu_()``, ``x.zero_()``...

They change x's own memory, as in PyTorch, so views of x see the change. PyTorch's rules:

* outside the graph (under ``no_grad``, or when no tensor involved requires grad) they just
  change the values; this is how optimizers and ``p.data -= lr * p.grad`` update parameters;
* on a tensor inside a graph they are *recorded*: x becomes a new node, computed from its old
  value, so ``c += c + 1`` differentiates like ``c = c + (c + 1)``. A view changed in place
  changes its base, and the base's node is recorded the same way;
* on a leaf that requires grad (a parameter) they are refused, with PyTorch's error: its
  ``.grad`` would no longer be the gradient of anything.

Each change bumps x's version (shared with its views); backward refuses an op that saved x
(or any input it read) at an older version, so a gradient is never computed from values that
have changed under it.

>>> import minigrad
>>> x = minigrad.zeros(2)
>>> x += 1
>>> x.mul_(3)
tensor([3., 3.])
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from minigrad import ops
from minigrad.autograd import GradMode, mark_changed_in_place, replace_input, take_place, topological_order
from minigrad.dtypes import array_of
from minigrad.generator import generator_of
from minigrad.tensor_shape import numpy_index

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_ERROR = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _tensors(values: Sequence[Any]) -> list[Any]:
    return [v for v in values if hasattr(v, "_op")]


def changes_graph(x: Tensor, operands: Sequence[Any]) -> bool:
    """Whether an in-place change of x must be recorded: grad mode is on and x, or a tensor it
    is computed from, takes part in autograd."""
    return GradMode.enabled and (x.requires_grad or any(getattr(o, "requires_grad", False) for o in operands))


def change(x: Tensor, operands: Sequence[Any], compute: Callable[[Tensor], Tensor], name: str) -> Tensor:
    """The one door of every in-place op: x's values become ``compute(x)``. Returns x."""
    if not changes_graph(x, operands):
        previous, GradMode.enabled = GradMode.enabled, False
        try:
            result = compute(x)
        finally:
            GradMode.enabled = previous
        _write(x, result.array, name)
        return x
    record(x, operands, compute, name)
    return x


def _write(x: Tensor, values: np.ndarray, name: str) -> None:
    """Copy ``values`` into x's own memory (same shape and dtype kind), and bump its version."""
    try:
        np.copyto(x.array, values, casting="same_kind")
    except (TypeError, ValueError) as error:  # numpy's UFuncTypeError is a TypeError
        raise ValueError(f"{name} on shape {x.shape}, dtype {x.dtype}: {error}") from None
    mark_changed_in_place(x)


# ----------------------------------------------------------------------------- recording


def _view_op(x: Tensor) -> ops.Primitive | None:
    """The op that made x as a view of its input's memory (they share one version counter)."""
    op = x._op
    return op if op is not None and op.inputs and x._version is _base(op)._version else None


def _base(view: ops.Primitive) -> Tensor:
    return cast("Tensor", view.inputs[0])  # the graph's inputs are Tensors


def _replay(view: ops.Primitive, base: Tensor) -> Tensor:
    """The same view, taken of another tensor."""
    if isinstance(view, ops.Getitem):
        return base[view.index]
    if isinstance(view, ops.Reshape):
        return base.reshape(view.shape)
    if isinstance(view, ops.Permute):
        return base.permute(view.axes)
    raise RuntimeError(f"an in-place change of a view made by {view.name()} is not supported; clone() it first")


def _embed(view: ops.Primitive, base: Tensor, new_view: Tensor) -> Tensor:
    """``base`` with the part that ``view`` shows replaced by ``new_view``."""
    if isinstance(view, ops.Getitem):
        return ops.IndexPut(view.index)(base, new_view)
    if isinstance(view, ops.Reshape):
        return new_view.reshape(base.shape)
    assert isinstance(view, ops.Permute)  # _replay accepted nothing else
    return new_view.permute(tuple(np.argsort(view.axes)))


def record(x: Tensor, operands: Sequence[Any], compute: Callable[[Tensor], Tensor], name: str) -> None:
    """Record ``x = compute(x)`` in the graph, in x's own memory."""
    if x.is_leaf and x.requires_grad:
        raise RuntimeError(f"{LEAF_ERROR} ({name} on a tensor of shape {x.shape}; use it under no_grad())")
    view = _view_op(x)
    if view is not None:  # the change is a change of the base: record that, then x is a view of the new base
        base = _base(view)
        if base.is_leaf and base.requires_grad:
            raise RuntimeError(f"{VIEW_OF_LEAF_ERROR} ({name} on a view of shape {x.shape})")
        _replay(view, base)  # refuses views it cannot replay before anything changes

        def compute_base(old_base: Tensor) -> Tensor:
            old_view = _replay(view, old_base)
            replace_input(_tensors(operands), x, old_view)
            return _embed(view, old_base, compute(old_view))

        record(base, [*operands, x], compute_base, name)
        again = _replay(view, base)  # x is that view of the new base: its node, and its memory
        take_place(x, again)
        x.array, x._version = again.array, base._version
        return
    old = x.new_tensor(x.array)  # x's value before the change, taking x's place in the graph so far
    old._op, old.requires_grad = x._op, x.requires_grad
    keep_values_of_views(_tensors(operands), x)
    replace_input(_tensors(operands), x, old)
    result = _fit(compute(old), x, name)
    if result._op is None or result is old or any(result is o for o in operands):
        result = ops.IndexPut(Ellipsis)(old, result)  # a node of its own, even for x.copy_(y)
    np.copyto(x.array, result.array)
    mark_changed_in_place(x)
    take_place(x, result)


def keep_values_of_views(operands: Sequence[Any], x: Tensor) -> None:
    """The views of x's memory that the new value is computed from (``h[1]`` in ``h[0] = h[1]``,
    or deeper in its graph) keep the values they had: each gets a copy of its own, so the ops
    that read them still see what they saw, and x's change does not make them stale."""
    seen = list(operands) + [t for node in topological_order(operands) if node._op for t in node._op.inputs]
    for t in seen:
        if t is not x and t._version is x._version:
            t.array, t._version = t.array.copy(), [t._version[0]]


def _fit(result: Tensor, x: Tensor, name: str) -> Tensor:
    """The new value with x's shape and dtype, or PyTorch's errors."""
    if result.shape != x.shape:
        try:
            shape = np.broadcast_shapes(result.shape, x.shape)
        except ValueError:
            shape = ()
        if shape != x.shape:
            raise ValueError(f"{name}: the result of shape {result.shape} does not fit in place in shape {x.shape}")
        result = result.expand(x.shape)
    if result.dtype != x.dtype:
        if not np.can_cast(result.dtype, x.dtype, casting="same_kind"):
            raise ValueError(f"{name}: result type {result.dtype} can't be cast to the desired output type {x.dtype}")
        result = result.to(x.dtype)
    return result


# ----------------------------------------------------------------------------- the operators


def _operator(ufunc: Any, out_of_place: Callable[[Any, Any], Any], symbol: str) -> Callable[[Tensor, Any], Tensor]:
    """``x {symbol}= y``: numpy's ``ufunc(x, y, out=x)`` outside the graph (no copy); inside it,
    recorded as ``x = x {symbol} y``."""

    def in_place_operator(x: Tensor, other: Any) -> Tensor:
        if changes_graph(x, [other]):
            # x += x: the right-hand x is x's old value too
            record(x, [other], lambda old: out_of_place(old, old if other is x else other), f"x {symbol}= y")
            return x
        try:
            ufunc(x.array, array_of(other), out=x.array, casting="same_kind")
        except (TypeError, ValueError) as error:
            raise ValueError(f"x {symbol}= y on shape {x.shape}, dtype {x.dtype}: {error}") from None
        mark_changed_in_place(x)
        return x

    in_place_operator.__name__ = f"__i{out_of_place.__name__}__"
    return in_place_operator


iadd = _operator(np.add, operator.add, "+")
isub = _operator(np.subtract, operator.sub, "-")
imul = _operator(np.multiply, operator.mul, "*")
itruediv = _operator(np.divide, operator.truediv, "/")


# ----------------------------------------------------------------------------- methods


def in_place_of(function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """The in-place method ``name_`` of an out-of-place one: ``x.relu_()`` is x becoming
    ``x.relu()``, with the same arguments (and so the same signature)."""
    name = function.__name__ + "_"

    @functools.wraps(function)
    def method(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        operands = [*args, *kwargs.values()]

        def compute(old: Tensor) -> Tensor:  # x.add_(x): every x among the arguments is x's old value
            arguments = [old if a is x else a for a in args]
            return function(old, *arguments, **{k: old if v is x else v for k, v in kwargs.items()})

        return change(x, operands, compute, name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``x.{function.__name__}(...)``, written into x in place (see tensor_inplace.py)."
    method.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    return method


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value``: ints, slices, None, Ellipsis, and integer or boolean arrays (or tensors)."""
    index = numpy_index(index)
    if not changes_graph(x, [value]):
        try:
            x.array[index] = array_of(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"x[index] = value on shape {x.shape}, dtype {x.dtype}: {error}") from None
        mark_changed_in_place(x)
        return
    values = value if hasattr(value, "_op") else x.new_tensor(value)
    record(x, [values], lambda old: ops.IndexPut(index)(old, values.to(old.dtype)), "x[index] = value")


def copy_(x: Tensor, other: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``other``'s values (broadcast, and cast to x's dtype) into x (PyTorch's docs call it ``src``)."""
    source = other if hasattr(other, "_op") else x.new_tensor(other)
    return change(x, [source], lambda old: ops.IndexPut(Ellipsis)(old, source.to(old.dtype)), "copy_")


def fill_(x: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number or a one-element tensor)."""
    return copy_(x, value)


def zero_(x: Tensor) -> Tensor:
    """Set every element to 0."""
    return copy_(x, 0)


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """Set the elements where ``mask`` (boolean, broadcast to x's shape) is True to ``value``."""
    return change(x, [value], lambda old: old.masked_fill(mask, value), "masked_fill_")


def write_out(out: Any, result: Any, name: str) -> Any:
    """PyTorch's ``out=``: the result written into ``out`` (a tensor, or a tuple of them for a
    tuple of results), which is returned. A tensor of another shape is resized, as in PyTorch."""
    if isinstance(result, tuple):
        return type(result)(*(write_out(o, r, name) for o, r in zip(out, result)))
    if GradMode.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad"
        )
    if out.shape == result.shape:
        _write(out, result.array, f"{name}(out=...)")
    else:
        out.array = result.array.astype(out.dtype, copy=True)
        mark_changed_in_place(out)
    return out


def detach_(x: Tensor) -> Tensor:
    """Cut x from the graph, in place: it becomes a leaf that does not require grad."""
    x._op, x.requires_grad = None, False
    return x


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of N(mean, std^2), in place."""
    return copy_(x, generator_of(generator).normal(mean, std, x.shape).astype(x.dtype))


def uniform_(x: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of U(from_, to), in place."""
    return copy_(x, generator_of(generator).uniform(from_, to, x.shape).astype(x.dtype))


def bernoulli_(x: Tensor, p: float = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 1 (with probability p) or 0, in place."""
    return copy_(x, (generator_of(generator).random(x.shape) < p).astype(x.dtype))
