"""The backward engine: grad mode, topological order, and the chain rule.

The whole of reverse-mode autodiff is ``run_backward`` below: order the graph so that every
tensor comes after all the tensors computed from it, then walk that order once, handing
each op the gradient of its output and adding what it returns into its inputs' gradients.

This module does not import Tensor: it only uses a tensor's attributes (``_op``,
``requires_grad``, ``grad``) and its arithmetic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from minigrad.tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


# ----------------------------------------------------------------------------- grad mode


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True when new ops are being recorded for backward."""
    return _GradMode.enabled


class set_grad_enabled:
    """Turn recording on or off, as a context manager or a decorator.

    >>> with set_grad_enabled(False):
    ...     pass
    """

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.previous = _GradMode.enabled
        _GradMode.enabled = mode  # like PyTorch, the call itself sets the mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        _GradMode.enabled = self.previous  # used as a decorator: undo the set in __init__
        return _with_grad_mode(fn, self.mode)


def _with_grad_mode(fn: F, mode: bool) -> F:
    """``fn`` wrapped to run with grad mode set to ``mode``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with set_grad_enabled(mode):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class no_grad:
    """Record nothing inside: a context manager and a decorator (``@no_grad()`` or ``@no_grad``).

    >>> import minigrad
    >>> x = minigrad.tensor([1.0], requires_grad=True)
    >>> with minigrad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    _mode = False

    def __new__(cls, function: F | None = None) -> Any:
        if function is not None:  # used bare, as @no_grad
            return _with_grad_mode(function, cls._mode)
        return super().__new__(cls)

    def __enter__(self) -> None:
        self.previous = _GradMode.enabled
        _GradMode.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        return _with_grad_mode(fn, self._mode)


class enable_grad(no_grad):
    """Record ops again inside a ``no_grad`` block: a context manager and a decorator."""

    _mode = True


# ----------------------------------------------------------------------------- in-place changes


class _InPlaceClock:
    """Ticks once per in-place change anywhere. A tensor's version (shared with views of its
    data) holds the tick of its last change; an op remembers the tick when it ran, so a saved
    tensor changed since then has a newer version than the op."""

    now = 0


def mark_changed_in_place(tensor: Tensor) -> None:
    """Record that ``tensor``'s data was changed in place (optimizers, ``x -= y``, ...)."""
    _InPlaceClock.now += 1
    tensor._version[0] = _InPlaceClock.now


# ----------------------------------------------------------------------------- broadcasting


def unbroadcast(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum a gradient back to the ``shape`` of an input that numpy broadcast.

    Broadcasting copies an input along new leading axes and along its size-1 axes; the
    gradient of a copy is the sum over the copies. This is the one place that does it.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    stretched = tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    if extra < 0 or any(grad.shape[i + extra] not in (n, 1) for i, n in enumerate(shape) if n != 1):
        raise RuntimeError(f"internal error: gradient of shape {grad.shape} does not broadcast to {shape}")
    return grad.sum(dim=tuple(range(extra)) + stretched, keepdim=True).reshape(shape)


# ----------------------------------------------------------------------------- the engine


def topological_order(outputs: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor that requires grad and is reachable from ``outputs``, each one listed
    before all the tensors it was computed from. Iterative (no recursion limit)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        op = tensor._op
        if op is not None and op.inputs is not None:
            for parent in op.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    order.reverse()  # post-order lists inputs first; we want outputs first
    return order


FREED_GRAPH = (
    "Trying to backward through the graph a second time: its saved values were freed by the "
    "first backward(). Pass retain_graph=True to the first backward() (or grad()) call if you "
    "need to go through the graph again."
)


MODIFIED_IN_PLACE = (
    "A tensor that {op} saved for backward (an input or its output) was modified in place after "
    "the forward pass (for example by optimizer.step() before backward(), or by x -= ... under "
    "no_grad), so its gradient would be wrong. Run backward() before changing it."
)


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None]:
    """Apply the chain rule from ``outputs`` back through the graph.

    With ``inputs=None`` (``Tensor.backward``) the gradients are accumulated into the
    ``.grad`` of every leaf. Otherwise (``minigrad.grad``) they are returned for ``inputs``
    and no ``.grad`` is touched.
    """
    grads: dict[int, Tensor] = {}
    for t, g in zip(outputs, grad_outputs):
        grads[id(t)] = grads[id(t)] + g if id(t) in grads else g
    wanted: dict[int, Tensor | None] | None = None if inputs is None else {id(t): None for t in inputs}
    order = topological_order(outputs)
    if wanted is not None:  # skip every tensor from which no path leads to a wanted input
        leads_to_input: set[int] = set()
        for tensor in reversed(order):  # inputs before the tensors computed from them
            op = tensor._op
            freed = op is not None and op.inputs is None  # kept, so that the loop below reports it
            if id(tensor) in wanted or freed or (op is not None and any(id(p) in leads_to_input for p in op.inputs)):
                leads_to_input.add(id(tensor))
        order = [t for t in order if id(t) in leads_to_input]
    with set_grad_enabled(create_graph):
        for tensor in order:
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            if wanted is not None:
                if id(tensor) in wanted:
                    wanted[id(tensor)] = grad
            elif tensor._op is None or tensor._retains_grad:
                if tensor.grad is not None:
                    tensor.grad = tensor.grad + grad
                elif create_graph:
                    tensor.grad = grad  # keeps its graph, for higher derivatives
                else:  # a copy the tensor owns: ops may hand one gradient to several inputs, or a view
                    tensor.grad = type(grad)(grad.data.copy())
            op = tensor._op
            if op is None:
                continue
            if op.inputs is None:
                raise RuntimeError(FREED_GRAPH)
            if op.ran_at != _InPlaceClock.now and (  # something changed in place since the op ran
                tensor._version[0] > op.ran_at or any(t._version[0] > op.ran_at for t in op.inputs)
            ):
                raise RuntimeError(MODIFIED_IN_PLACE.format(op=op.name))
            for parent, parent_grad in zip(op.inputs, op.backward(grad, tensor)):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if parent_grad.shape != parent.shape:
                    parent_grad = unbroadcast(parent_grad, parent.shape)
                if parent_grad.dtype != parent.dtype:
                    parent_grad = parent_grad.to(parent.dtype)
                key = id(parent)
                grads[key] = grads[key] + parent_grad if key in grads else parent_grad
            if not retain_graph:
                op.inputs = None  # free the saved tensors
    return [] if wanted is None or inputs is None else [wanted[id(t)] for t in inputs]
