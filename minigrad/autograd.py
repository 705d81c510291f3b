"""The backward engine: grad mode, topological order, and the chain rule.

The whole of reverse-mode autodiff is ``run_backward`` below: order the graph so that every
tensor comes after all the tensors computed from it, then walk that order once, handing
each op the gradient of its output and adding what it returns into its inputs' gradients.
Everything else here (pruning the graph for ``grad(inputs=...)``, refusing freed or
modified graphs, filling ``.grad``, freeing what the graph saved while keeping its structure,
tensor hooks, anomaly mode, and the graph surgery that records an in-place change) is a named
helper beside that loop. ``Scope`` records which module (and which named stage) each op was
made in, for drawings.

This module does not import Tensor. What it needs of one is written down in ``Node``.
``torch.autograd``'s other names (``Function``, ``gradcheck``) load on first use (see the end).
"""

from __future__ import annotations

import functools
import os
import threading
import traceback
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from minigrad.ops import Pad, Primitive, TensorLike
from minigrad.unsupported import missing_attribute

F = TypeVar("F", bound=Callable[..., Any])


class Node(TensorLike, Protocol):
    """A tensor as the engine sees it: a VJP operand (``TensorLike``) with its place in the
    graph. ``minigrad.Tensor`` is one."""

    grad: Any  # a Node or None (declared Any: a protocol's attribute must match its type exactly)
    _op: Primitive | None  # the op that made it; None for leaves
    _retains_grad: bool
    _version: list[int]  # the tick of its last in-place change, shared with views of its data

    def to(self, dtype: Any) -> Node: ...
    def new_tensor(self, data: Any) -> Node: ...
    def new_ones(self, size: Sequence[int]) -> Node: ...


N = TypeVar("N", bound=Node)  # a kind of Node: topological_order hands back what it was given


def parents(tensor: Node) -> tuple[Node, ...]:
    """The tensors that ``tensor``'s op read: its edges in the graph (none for a leaf, and none
    once backward has freed them; ``op.structure`` then remembers where they came from)."""
    op = tensor._op
    return () if op is None else op.inputs  # type: ignore[return-value]  # graph inputs are Nodes


# ----------------------------------------------------------------------------- grad mode


class _GradMode(threading.local):
    """Whether new ops are recorded. Read ``GradMode.enabled``; change it with the context
    managers below, which restore it on the way out. One per thread, as in PyTorch: a
    ``no_grad`` in an evaluation thread does not stop the training thread recording (a new
    thread starts with recording on, the class attribute)."""

    enabled = True


GradMode = _GradMode()


def is_grad_enabled() -> bool:
    """True when new ops are being recorded for backward."""
    return GradMode.enabled


class set_grad_enabled:
    """Turn recording on or off, as a context manager or a decorator.

    >>> with set_grad_enabled(False):
    ...     pass
    """

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.previous = GradMode.enabled
        GradMode.enabled = mode  # like PyTorch, the call itself sets the mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        GradMode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        GradMode.enabled = self.previous  # used as a decorator: undo the set in __init__
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
        self.previous = GradMode.enabled
        GradMode.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        GradMode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        return _with_grad_mode(fn, self._mode)


class enable_grad(no_grad):
    """Record ops again inside a ``no_grad`` block: a context manager and a decorator."""

    _mode = True


# ----------------------------------------------------------------------------- scopes


class _Scope(threading.local):
    """Where ops are being recorded: the modules whose ``forward`` is running and the stages
    named inside them (``named_scope``), outermost first, as a tuple. ``Module.__call__`` and
    ``named_scope`` replace it on the way in and restore it on the way out; ``Tensor._apply``
    stores it on each op it records (one reference, nothing copied), so drawings can group
    ops by module. Read ``Scope.current``. One per thread, like grad mode."""

    current: tuple[Any, ...] = ()


Scope = _Scope()


class named_scope:
    """Name the stage of a computation that the ops recorded inside belong to, for drawings
    and listings (as JAX's ``named_scope``); nothing else changes.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> with named_scope("square"):
    ...     y = x * x
    >>> y.grad_fn.scope
    ('square',)
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        self.outer = Scope.current
        Scope.current = (*self.outer, self.name)

    def __exit__(self, *exc: object) -> None:
        Scope.current = self.outer


class BackwardScope:
    """The scope entry of the ops that a backward pass records (``create_graph=True``): the
    graph of the gradient, told apart from the forward graph it reads."""

    def __repr__(self) -> str:
        return "backward"


BACKWARD = BackwardScope()


class recording_backward:
    """Inside a backward pass: grad mode set to ``create_graph``, and ``BACKWARD`` on top of
    the scope, so that the ops a ``create_graph=True`` backward records are marked as such."""

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph

    def __enter__(self) -> None:
        self.outer = GradMode.enabled, Scope.current
        GradMode.enabled = self.create_graph
        Scope.current = (*self.outer[1], BACKWARD)

    def __exit__(self, *exc: object) -> None:
        GradMode.enabled, Scope.current = self.outer


class inference_mode(no_grad):
    """PyTorch's ``inference_mode(mode=True)``: here the same as ``no_grad()`` (or, with
    ``mode=False``, as ``enable_grad()``)."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # used bare, as @inference_mode
            return _with_grad_mode(mode, False)
        instance = super().__new__(cls)
        instance._mode = not mode
        return instance

    def __init__(self, mode: bool = True) -> None:
        pass


def is_inference_mode_enabled() -> bool:
    return False


# ----------------------------------------------------------------------------- in-place changes


class InPlaceClock:
    """Ticks once per in-place change anywhere. A tensor's version (shared with views of its
    data) holds the tick of its last change; an op remembers the tick when it ran, so a saved
    tensor changed since then has a newer version than the op."""

    now = 0


def mark_changed_in_place(tensor: Node) -> None:
    """Record that ``tensor``'s data was changed in place (optimizers, ``x -= y``, ...)."""
    InPlaceClock.now += 1
    tensor._version[0] = InPlaceClock.now


def version_of_view(view: np.ndarray, inputs: Sequence[Node]) -> list[int]:
    """The version counter of the input whose memory ``view`` looks at (a new one if none):
    changing a view in place changes its base too."""
    root = _memory_owner(view)
    for t in inputs:
        if _memory_owner(t.array) is root:
            return t._version
    return [0]


def _memory_owner(array: Any) -> Any:
    """The object that owns an array's memory (views, and views of views, lead back to it)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


# ----------------------------------------------------------------------------- broadcasting


def unbroadcast(grad: TensorLike, shape: tuple[int, ...]) -> TensorLike:
    """Sum a gradient back to the ``shape`` of an input that numpy broadcast.

    Broadcasting copies an input along new leading axes and along its size-1 axes; the
    gradient of a copy is the sum over the copies. This is the one place that does it.
    """
    if grad.shape == shape:
        return grad
    extra = len(grad.shape) - len(shape)
    if extra < 0 or any(grad.shape[i + extra] != n for i, n in enumerate(shape) if n != 1):
        raise RuntimeError(f"internal error: a gradient of shape {grad.shape} does not sum back to shape {shape}")
    stretched = tuple(i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    return grad.sum(dim=tuple(range(extra)) + stretched, keepdim=True).reshape(shape)


# ----------------------------------------------------------------------------- the engine


def topological_order(outputs: Sequence[N]) -> list[N]:
    """Every tensor that requires grad and is reachable from ``outputs``, each one listed
    before all the tensors it was computed from. A depth-first walk without recursion (a
    chain of 100,000 ops is fine): a tensor is listed after its inputs (post-order), and the
    list is reversed at the end."""
    order: list[N] = []
    visited: set[int] = set()
    stack: list[Any] = list(reversed(outputs))  # tensors to visit, and DONE marks
    open_tensors: list[Any] = []  # visited tensors whose inputs are still being walked
    while stack:
        tensor = stack.pop()
        if tensor is DONE:  # all inputs of the innermost open tensor are listed: list it
            order.append(open_tensors.pop())
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        open_tensors.append(tensor)
        stack.append(DONE)
        if tensor._op is not None:  # its parents: the inputs of the op that made it
            for parent in tensor._op.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append(parent)
    order.reverse()  # post-order lists inputs first; we want outputs first
    return order


DONE = object()  # topological_order's mark: the tensor opened before it has all its inputs listed


def run_backward(
    outputs: Sequence[Node],
    grad_outputs: Sequence[Node],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Node] | None = None,
) -> list[Node | None]:
    """Apply the chain rule from ``outputs`` back through the graph.

    With ``inputs=None`` (``Tensor.backward``) the gradients are accumulated into the
    ``.grad`` of every leaf. Otherwise (``minigrad.grad``) they are returned for ``inputs``
    and no ``.grad`` is touched.
    """
    grads: dict[int, Node] = {}  # id(tensor) -> d(outputs)/d(tensor), summed over the paths seen so far
    for output, seed in zip(outputs, grad_outputs):
        accumulate(grads, output, seed)
    order = topological_order(outputs)
    if inputs is not None:
        order = only_paths_to(inputs, order)
    found: dict[int, Node] = {}
    hooks, anomaly = TensorHooks.count, AnomalyMode.enabled  # both off: the loop below runs as if they did not exist
    with recording_backward(create_graph):  # create_graph: record the backward pass too
        for tensor in order:  # every tensor comes before the tensors it was computed from
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            if hooks:  # tensor.register_hook(fn): fn sees the gradient and may replace it
                grad = run_tensor_hooks(tensor, grad)
            if inputs is not None:
                found[id(tensor)] = grad
            elif tensor._op is None or tensor._retains_grad:
                store_grad(tensor, grad, create_graph)
            op = tensor._op
            if op is None:
                continue
            if not op.inputs or op.ran_at != InPlaceClock.now:  # freed, or something changed in place since
                check_graph_is_usable(tensor, op)
            vjp = op.backward(grad, tensor) if not anomaly else checked_backward(op, grad, tensor)
            for parent, parent_grad in zip(op.inputs, vjp):  # the VJP
                if parent_grad is not None and parent.requires_grad:
                    accumulate(grads, parent, parent_grad)  # sum over paths: the chain rule
            parent_grad = vjp = None  # they may hold large unreduced gradients: free them before the next VJP
            if not retain_graph:
                free_saved(op, tensor)  # frees the saved tensors; keeps the graph's structure
    return [] if inputs is None else [found.get(id(t)) for t in inputs]


def accumulate(grads: dict[int, Node], tensor: TensorLike, grad: TensorLike) -> None:
    """Add ``grad`` (fitted to ``tensor``'s shape and dtype) to the gradient gathered for ``tensor``."""
    if grad.array.shape != tensor.array.shape:  # (read from the arrays: this runs for every edge)
        grad = unbroadcast(grad, tensor.shape)
    if grad.array.dtype != tensor.array.dtype:
        grad = grad.to(tensor.dtype)  # type: ignore[attr-defined]  # gradients are Nodes too
    key = id(tensor)
    grads[key] = grads[key] + grad if key in grads else grad  # type: ignore[assignment]


def store_grad(tensor: Node, grad: Node, create_graph: bool) -> None:
    """Add ``grad`` into ``tensor.grad`` (a leaf, or a tensor that called ``retain_grad``)."""
    if tensor.grad is not None:
        tensor.grad = tensor.grad + grad
    elif create_graph:
        tensor.grad = grad  # keeps its graph, for higher derivatives
    else:  # a copy the tensor owns: ops may hand one gradient to several inputs, or a view
        tensor.grad = grad.new_tensor(grad.array)


class TensorRecord:
    """What a freed op keeps of a large constant input (a mask, a batch of data): its shape
    and dtype, and a weak reference that finds the tensor while you still hold it."""

    __slots__ = ("shape", "dtype", "ref")

    def __init__(self, tensor: Node) -> None:
        self.shape, self.dtype, self.ref = tensor.array.shape, tensor.array.dtype, weakref.ref(tensor)

    def __repr__(self) -> str:
        return f"<freed constant of shape {self.shape}>"


def free_saved(op: Primitive, output: Node) -> None:
    """Free what ``op`` saved for backward (its input tensors, and any arrays named in
    ``op.saved_arrays``) but keep its place in the graph, as PyTorch keeps ``grad_fn`` and
    its ``next_functions``: ``op.structure`` becomes [output shape, output dtype, then one entry
    per input: the op that made it, or the leaf itself if it requires grad (PyTorch's
    AccumulateGrad keeps it too; these are the parameters) or is a 0-d constant (eps, 1/m), or
    a ``TensorRecord`` of any other constant]. Records aside, it points at objects that exist
    anyway, so it costs a list per op."""
    array = output.array
    structure: list[Any] = [array.shape, array.dtype]
    inputs: tuple[Any, ...] = op.inputs  # Nodes (TensorLike is what a VJP sees of them)
    for t in inputs:
        structure.append(t._op or (t if t.requires_grad or not t.array.ndim else TensorRecord(t)))
    op.structure = structure
    op.inputs = ()
    if op.saved_arrays:
        for name in op.saved_arrays:
            setattr(op, name, None)


def only_paths_to(inputs: Sequence[Node], order: list[Node]) -> list[Node]:
    """``order`` without the tensors from which no path leads to any of ``inputs``: their
    gradients would not reach an input, so ``grad()`` does not compute them."""
    wanted = {id(t) for t in inputs}
    leads_to_input: set[int] = set()
    for tensor in reversed(order):  # inputs before the tensors computed from them
        op = tensor._op
        freed = op is not None and not op.inputs  # kept, so that check_graph_is_usable reports it
        if id(tensor) in wanted or freed or any(id(p) in leads_to_input for p in parents(tensor)):
            leads_to_input.add(id(tensor))
    return [t for t in order if id(t) in leads_to_input]


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


def check_graph_is_usable(tensor: Node, op: Primitive) -> None:
    """Refuse to run ``op``'s VJP when an earlier backward freed it, or when a tensor it saved
    (an input, or its output) was changed in place since it ran."""
    if not op.inputs:
        raise RuntimeError(FREED_GRAPH)
    if op.ran_at != InPlaceClock.now and (  # something changed in place since the op ran
        tensor._version[0] > op.ran_at or any(t._version[0] > op.ran_at for t in parents(tensor))
    ):
        raise RuntimeError(MODIFIED_IN_PLACE.format(op=op.name()))


# ----------------------------------------------------------------------------- the public entry points


def seed_gradients(outputs: Sequence[Node], grad_outputs: Sequence[Any], caller: str) -> list[Node]:
    """d(loss)/d(output) for each output: the given one, checked, or 1 for a one-element output."""
    seeds = []
    for output, gradient in zip(outputs, grad_outputs):
        if not output.requires_grad:
            raise RuntimeError(
                f"{caller} was called on a tensor (shape {output.shape}) that does not require grad, so there "
                "is no graph to differentiate: create the inputs with requires_grad=True"
            )
        if gradient is None:
            if output.array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this output has shape {output.shape})"
                )
            gradient = output.new_ones(output.shape)
        elif not hasattr(gradient, "_op"):  # a number, list or array: make it a tensor like the output
            gradient = output.new_tensor(gradient)
        if gradient.shape != output.shape:
            raise RuntimeError(
                f"gradient has shape {gradient.shape} but the output it belongs to has shape {output.shape}"
            )
        seeds.append(gradient)
    return seeds


def backward(
    tensors: Node | Sequence[Node],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Node | Sequence[Node] | None = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of every leaf (what
    ``Tensor.backward`` calls; PyTorch's ``torch.autograd.backward``), or only into the ``.grad``
    of ``inputs`` if given."""
    outputs = list(tensors) if isinstance(tensors, Sequence) else [tensors]
    grad_tensors = grad_variables if grad_tensors is None else grad_tensors
    gradients = list(grad_tensors) if isinstance(grad_tensors, Sequence) else [grad_tensors]
    gradients = gradients * len(outputs) if grad_tensors is None else gradients
    if len(gradients) != len(outputs):
        raise ValueError(f"backward: {len(outputs)} tensors but {len(gradients)} gradients")
    seeds = seed_gradients(outputs, gradients, "backward()")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(outputs, seeds, retain, create_graph)
        return
    targets = list(inputs) if isinstance(inputs, Sequence) else [inputs]
    for target, found in zip(targets, run_backward(outputs, seeds, retain, create_graph, inputs=targets)):
        if found is not None:
            store_grad(target, found, create_graph)


def grad(
    outputs: Node | Sequence[Node],
    inputs: Node | Sequence[Node],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is untouched.
    An input that the outputs do not depend on is an error, or None with ``allow_unused=True``.

    With ``create_graph=True`` the result is itself differentiable:

    >>> import minigrad
    >>> x = minigrad.tensor(2.0, requires_grad=True)
    >>> (dy,) = minigrad.grad(x ** 3, x, create_graph=True)   # 3x^2 = 12
    >>> minigrad.grad(dy, x)                                  # 6x = 12
    (tensor(12.),)
    """
    outputs = list(outputs) if isinstance(outputs, Sequence) else [outputs]
    inputs = list(inputs) if isinstance(inputs, Sequence) else [inputs]
    if not isinstance(grad_outputs, Sequence):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    seeds = seed_gradients(outputs, grad_outputs, "grad()")
    retain = create_graph if retain_graph is None else retain_graph
    results = run_backward(outputs, seeds, retain, create_graph, inputs=inputs)
    for i, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True if that is expected"
            )
    return tuple(results)


def Variable(data: N, requires_grad: bool = False, volatile: bool = False) -> N:
    """PyTorch's legacy ``torch.autograd.Variable``: tensors are variables now, so this returns
    ``data`` itself (made to require grad if asked).

    >>> import minigrad
    >>> Variable(minigrad.ones(2), requires_grad=True).requires_grad
    True
    """
    if requires_grad:
        data.requires_grad_()  # type: ignore[attr-defined]  # every Tensor has it
    return data


# ----------------------------------------------------------------------------- tensor hooks


class TensorHooks:
    """How many tensors have hooks (``register_hook``): while none do, backward skips looking."""

    count = 0


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook away (PyTorch's
    ``torch.utils.hooks.RemovableHandle``; also a context manager that removes it on exit)."""

    def __init__(self, hooks: dict[int, Any], key: int, on_remove: Callable[[], None] | None = None) -> None:
        self.hooks, self.id, self.on_remove = hooks, key, on_remove

    def remove(self) -> None:
        if self.hooks.pop(self.id, None) is not None and self.on_remove is not None:
            self.on_remove()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


_next_hook_id = 0


def add_hook(hooks: dict[int, Any], hook: Any, on_remove: Callable[[], None] | None = None) -> RemovableHandle:
    """Put ``hook`` last in ``hooks`` (an ordered dict, run in order) and return its handle."""
    global _next_hook_id
    _next_hook_id += 1
    hooks[_next_hook_id] = hook
    return RemovableHandle(hooks, _next_hook_id, on_remove)


def register_tensor_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """``tensor.register_hook(hook)``: ``hook(grad)`` runs when the gradient of ``tensor`` is
    complete, before it is stored in ``.grad`` or passed on; a returned tensor replaces it."""
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = getattr(tensor, "_hooks", None)
    if hooks is None:
        hooks = tensor._hooks = {}

    def forget() -> None:
        TensorHooks.count -= 1

    TensorHooks.count += 1
    return add_hook(hooks, hook, forget)


def run_tensor_hooks(tensor: Node, grad: Node) -> Node:
    """``grad`` passed through the hooks registered on ``tensor``, in order."""
    for hook in list(getattr(tensor, "_hooks", {}).values()):
        result = hook(grad)
        if result is not None:
            if result.shape != grad.shape:
                raise RuntimeError(f"hook {hook!r} returned a gradient of shape {result.shape}, expected {grad.shape}")
            grad = result
    return grad


# ----------------------------------------------------------------------------- anomaly mode


Stack = list[traceback.FrameSummary]


class AnomalyMode:
    """Whether ops are watched for NaN and inf (``detect_anomaly``). Off, it costs one check per op."""

    enabled = False
    in_backward = False  # a VJP is running: its ops are checked by checked_backward, not as forward ops
    # Where each op ran forward (for backward's error): weak keys, so it keeps no graph alive.
    created_at: ClassVar[weakref.WeakKeyDictionary[Primitive, Stack]] = weakref.WeakKeyDictionary()


def is_anomaly_enabled() -> bool:
    return AnomalyMode.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return AnomalyMode.enabled


class set_detect_anomaly:
    """Turn anomaly mode on or off, as a call, a context manager (which restores the old mode)
    or a decorator. See ``detect_anomaly``."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.previous = AnomalyMode.enabled
        AnomalyMode.enabled = bool(mode and check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        AnomalyMode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        mode, AnomalyMode.enabled = AnomalyMode.enabled, self.previous

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_detect_anomaly(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class detect_anomaly(set_detect_anomaly):
    """Watch every op for NaN and inf, and stop at the first one that makes them, naming the op
    and the line of your code that ran it. Forward: an op whose inputs were finite and whose
    output is not (or the first op to read a NaN given from outside, such as a NaN in the
    data). Backward: a VJP that returned NaN (as PyTorch reports it), with the line that ran
    the op forward. A context manager and a decorator; it slows every op down, so use it to
    find a bug, not to train.

    >>> import minigrad
    >>> x = minigrad.tensor([0.0], requires_grad=True)
    >>> with detect_anomaly(), np.errstate(divide="ignore"):
    ...     y = (x * 0).log().sum()   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: Log produced inf from finite inputs (shapes (1,)), at <doctest ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__(True, check_nan)


PACKAGE_FOLDER = os.path.dirname(os.path.abspath(__file__))


def _user_frame(stack: Sequence[traceback.FrameSummary]) -> str:
    """The innermost frame outside minigrad: the line of the user's code (usually a layer call)."""
    for frame in reversed(stack):
        if not os.path.abspath(frame.filename).startswith(PACKAGE_FOLDER + os.sep):
            line = f": {frame.line}" if frame.line else ""
            return f"{frame.filename}, line {frame.lineno}, in {frame.name}{line}"
    return "inside minigrad"


def _bad_values(array: np.ndarray) -> str | None:
    """'nan' or 'inf' if the array holds them (floating arrays only), else None."""
    if array.dtype.kind != "f":
        return None
    if np.isnan(array).any():
        return "nan"
    return "inf" if np.isinf(array).any() else None


def check_forward(op: Primitive, inputs: Sequence[Node], data: np.ndarray) -> None:
    """In anomaly mode, after ``op`` computed ``data``: note where it ran, and stop if it made
    NaN or inf from finite inputs, or if it is reading a NaN that came from outside."""
    if AnomalyMode.in_backward:
        return
    stack = traceback.extract_stack()[:-2]
    AnomalyMode.created_at[op] = stack
    shapes = " and ".join(str(t.shape) for t in inputs)
    for k, t in enumerate(inputs):
        if t._op is None and _bad_values(t.array) == "nan":
            raise RuntimeError(
                f"{op.name()} got nan in its input {k} (shape {t.shape}), which no op computed: it came "
                f"from outside the graph (the data, or a parameter), at {_user_frame(stack)}"
            )
    bad = _bad_values(data)
    if bad is None or any(_bad_values(t.array) for t in inputs):
        return
    if isinstance(op, Pad) and not np.isfinite(op.value):  # padding with -inf on purpose (max pooling)
        return
    raise RuntimeError(f"{op.name()} produced {bad} from finite inputs (shapes {shapes}), at {_user_frame(stack)}")


def checked_backward(op: Primitive, grad: Node, out: Node) -> Any:
    """``op.backward(grad, out)``, stopping if it returns NaN (PyTorch's anomaly check)."""
    previous, AnomalyMode.in_backward = AnomalyMode.in_backward, True
    try:
        vjp = op.backward(grad, out)
    finally:
        AnomalyMode.in_backward = previous
    for k, g in enumerate(vjp):
        if g is not None and _bad_values(g.array) == "nan" and _bad_values(grad.array) != "nan":
            where = AnomalyMode.created_at.get(op)
            ran = f"; its forward ran at {_user_frame(where)}" if where else ""
            raise RuntimeError(f"Function '{op.name()}' returned nan values in its {k}th output{ran}")
    return vjp


# ----------------------------------------------------------------------------- recording in-place changes


def replace_input(outputs: Iterable[Any], old: Any, new: Any) -> None:
    """Make every op in the graph of ``outputs`` that reads ``old`` read ``new`` instead.

    An in-place change records ``x`` as a new node; ops computed from ``x`` before the change
    (such as ``c + 1`` in ``c += c + 1``) must keep reading its old value, which ``new`` holds."""
    for tensor in topological_order([t for t in outputs if getattr(t, "requires_grad", False)]):
        op = tensor._op
        if op is not None and any(t is old for t in op.inputs):
            op.inputs = tuple(new if t is old else t for t in op.inputs)


def take_place(tensor: Any, result: Any) -> None:
    """``tensor`` becomes the graph node ``result`` (whose value its array now holds): it takes
    over ``result``'s op, as of the current in-place tick."""
    op = result._op
    op.ran_at = InPlaceClock.now
    tensor._op, tensor.requires_grad = op, result.requires_grad


# ----------------------------------------------------------------------------- torch.autograd's other names

_LAZY = {
    "Function": "minigrad.function",
    "FunctionCtx": "minigrad.function",
    "once_differentiable": "minigrad.function",
    "gradcheck": "minigrad.checks",
    "gradgradcheck": "minigrad.checks",
    "GradcheckError": "minigrad.checks",
}


def __getattr__(name: str) -> Any:
    """``minigrad.autograd.Function`` and ``.gradcheck``, as in ``torch.autograd``: they live
    higher up (they use Tensors), so they are loaded on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "function":
        import importlib

        return importlib.import_module("minigrad.function")
    raise missing_attribute("minigrad.autograd", name)  # torch.autograd.functional: a NotImplementedError naming it
