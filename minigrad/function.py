"""``torch.autograd.Function``: write your own op, with its forward and its backward side by side.

This is how ops.py's primitives are made, opened to the user: ``forward(ctx, *inputs)`` computes
the result (recording nothing), ``backward(ctx, *grad_outputs)`` returns one gradient per input.
``F.apply(...)`` runs it and records one node in the graph, whose VJP is your ``backward``.
Write ``backward`` in minigrad ops and its own gradient is derived, so ``create_graph=True``
(second derivatives) works through it too.

>>> import minigrad
>>> class Cube(Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad_output):
...         (x,) = ctx.saved_tensors
...         return grad_output * 3 * x ** 2
>>> x = minigrad.tensor(2.0, requires_grad=True)
>>> (dy,) = minigrad.grad(Cube.apply(x), x, create_graph=True)
>>> dy, minigrad.grad(dy, x)[0]   # 3x^2 = 12, 6x = 12
(tensor(12., grad_fn=<Mul>), tensor(12.))

Above the engine (it uses ``autograd``'s grad mode and ``ops.Primitive``); it makes Tensors
only through their methods, so it sits below ``tensor.py``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.autograd import GradMode, no_grad
from minigrad.ops import Gradients, Primitive, TensorLike
from minigrad.unsupported import missing_attribute

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "_op") and hasattr(value, "array")


class FunctionCtx:
    """The ``ctx`` that ``forward`` and ``backward`` share: save tensors for backward, read which
    inputs need a gradient, and keep any other value you like as an attribute."""

    def __init__(self, needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.needs_input_grad = needs_input_grad  # one bool per forward input (False for non-tensors)
        self.to_save: tuple[Any, ...] = ()
        self.node: FunctionNode | None = None  # once recorded, the node holds what was saved
        self.non_differentiable: list[Any] = []
        self.dirty: tuple[Any, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for backward, where ``ctx.saved_tensors`` gives them back."""
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self.node is None:
            return self.to_save
        if self.node.saved is None:
            raise RuntimeError(
                "the tensors saved for backward were freed by the first backward: pass retain_graph=True "
                "to the first backward to call it twice"
            )
        return self.node.saved

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """These outputs get no gradient (indices, masks, counts)."""
        self.non_differentiable.extend(outputs)

    def mark_dirty(self, *tensors: Any) -> None:
        """``forward`` changed these inputs in place (accepted; minigrad's version counter notices)."""
        self.dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted: unused outputs always get zero gradients here."""
        self.materialize_grads = value


class Function:
    """Base class of a custom op: define ``forward`` and ``backward`` as static methods, call
    ``apply``. (A ``setup_context(ctx, inputs, output)`` static method, PyTorch's newer form,
    makes ``forward`` take no ctx.)"""

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, ...) as a static method")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs) as a static method")

    setup_context: Callable[..., Any] | None = None

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` (recording nothing), then record one graph node whose VJP is ``backward``."""
        ctx = FunctionCtx(tuple(_is_tensor(a) and a.requires_grad for a in args))
        with no_grad():
            if cls.setup_context is not None:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        tensors = tuple(a for a in args if _is_tensor(a))
        if not (GradMode.enabled and any(t.requires_grad for t in tensors)):
            return output
        outputs = output if isinstance(output, tuple) else (output,)
        marked = {id(o) for o in ctx.non_differentiable}
        wanted = [
            k for k, o in enumerate(outputs) if _is_tensor(o) and o.dtype.kind == "f" and id(o) not in marked
        ]  # fmt: skip
        if not wanted:
            return output
        node = FunctionNode(cls, ctx, args, outputs, wanted)
        packed = node(*tensors)  # one node: the outputs that need gradients, flattened and joined
        results = list(outputs)
        if len(wanted) == 1 and outputs[wanted[0]].ndim == packed.ndim:
            results[wanted[0]] = packed
        else:
            for k, (start, stop) in zip(wanted, node.spans):
                results[k] = packed[start:stop].reshape(outputs[k].shape)
        # A saved output must be the graph's node, so that backward's own gradient sees through it.
        replace = {id(outputs[k]): results[k] for k in wanted}
        node.saved, ctx.to_save, ctx.node = tuple(replace.get(id(t), t) for t in ctx.to_save), (), node
        return tuple(results) if isinstance(output, tuple) else results[0]

    vjp = backward


class FunctionNode(Primitive):
    """The graph node of one ``Function.apply``: its forward hands back the values already
    computed; its VJP calls the Function's ``backward``."""

    __slots__ = ("function", "ctx", "args", "outputs", "wanted", "spans", "result", "saved")
    saved_arrays = ("args", "result", "saved")  # freed by backward with the inputs (ctx's own attributes stay)

    def __init__(
        self, function: type[Function], ctx: FunctionCtx, args: tuple[Any, ...], outputs: Any, wanted: list[int]
    ):
        self.function, self.ctx, self.args, self.wanted = function, ctx, args, wanted
        self.saved: tuple[Any, ...] | None = ()  # ctx.save_for_backward's tensors, set by apply
        self.outputs = tuple((o.shape, o.dtype) if _is_tensor(o) else None for o in outputs)
        arrays = [outputs[k].array for k in wanted]
        sizes = np.cumsum([0] + [a.size for a in arrays])
        self.spans = list(itertools.pairwise(sizes))
        if len(arrays) == 1:
            self.result = arrays[0]
        else:  # several outputs: one flat array, so that the node has one output like every primitive
            dtype = np.result_type(*arrays)
            self.result = np.concatenate([a.reshape(-1).astype(dtype) for a in arrays])

    def name(self) -> str:
        return f"{self.function.__name__}Backward"

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        return self.result

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        grad_outputs: list[Any] = []
        for k, spec in enumerate(self.outputs):
            if k in self.wanted:
                start, stop = self.spans[self.wanted.index(k)]
                assert spec is not None  # a wanted output is a tensor
                part = grad if len(self.wanted) == 1 else grad[start:stop].reshape(spec[0])
                grad_outputs.append(part)
            else:
                grad_outputs.append(None if spec is None else grad.new_zeros(spec[0]))
        result = self.function.backward(self.ctx, *grad_outputs)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) < len(self.args) or any(g is not None for g in result[len(self.args) :]):
            raise RuntimeError(
                f"function {self.function.__name__}Backward returned an incorrect number of gradients "
                f"(expected {len(self.args)}, got {len(result)})"
            )
        grads = []
        for index, (arg, g) in enumerate(zip(self.args, result)):
            if not _is_tensor(arg):
                continue
            if g is not None and not fits(np.shape(g), arg.shape):
                raise RuntimeError(
                    f"function {self.function.__name__}Backward returned an invalid gradient at index {index}: "
                    f"got shape {tuple(np.shape(g))}, but input {index} has shape {arg.shape}"
                )
            grads.append(g if g is None or _is_tensor(g) else grad.new_tensor(np.broadcast_to(g, arg.shape)))
        return tuple(grads)


def fits(gradient: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Whether a gradient of shape ``gradient`` sums back to ``shape`` (it may be ``shape``
    broadcast: more leading axes, or n where ``shape`` has 1; a 0-d number fits anything)."""
    extra = len(gradient) - len(shape)
    if not gradient:
        return True
    return extra >= 0 and all(g == n or n == 1 for g, n in zip(gradient[extra:], shape))


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a ``backward`` that is not itself differentiable (it may use numpy): it runs with
    recording off, so ``create_graph=True`` gets no graph through it."""

    @functools.wraps(backward)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        with no_grad():
            return backward(ctx, *grad_outputs)

    return wrapper


def __getattr__(name: str) -> Any:
    """A PyTorch name minigrad does not have (``InplaceFunction``): a NotImplementedError naming it."""
    raise missing_attribute("minigrad.autograd.function", name)
