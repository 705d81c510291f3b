"""Module hooks: look at (or change) what a layer receives and returns, forward and backward.

    handle = layer.register_forward_hook(lambda module, inputs, output: print(output.shape))
    handle = layer.register_full_backward_hook(lambda module, grad_input, grad_output: ...)
    handle.remove()

Forward hooks are plain calls around ``forward``. Backward hooks wrap the layer's tensor
inputs and outputs in identity ``Function``s, as PyTorch does: the outputs' one records
``grad_output``; the inputs' one, reached later in backward, calls the hooks with
``grad_input`` (a hook may return replacements for it). A module with no hooks is called
straight (``Module.__call__`` checks for one dict entry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from minigrad.autograd import RemovableHandle, add_hook
from minigrad.function import Function

if TYPE_CHECKING:
    from minigrad.nn.module import Module

KINDS = ("forward_pre", "forward", "backward_pre", "backward")


def hooks_of(module: Module) -> dict[str, dict[int, Any]]:
    """The module's hooks by kind (made on first use, so that modules without hooks carry none)."""
    if "_hooks" not in module.__dict__:
        object.__setattr__(module, "_hooks", {kind: {} for kind in KINDS})
    return module.__dict__["_hooks"]


def register(
    module: Module, kind: str, hook: Callable[..., Any], prepend: bool = False, **options: Any
) -> RemovableHandle:
    hooks = hooks_of(module)[kind]
    handle = add_hook(hooks, (hook, options))
    if prepend:  # move it to the front, keeping the others' order
        entry = hooks.pop(handle.id)
        rest = dict(hooks)
        hooks.clear()
        hooks[handle.id] = entry
        hooks.update(rest)
    return handle


def _tensors(values: Any) -> list[Any]:
    values = values if isinstance(values, tuple) else (values,)
    return [v for v in values if hasattr(v, "_op")]


def _replace_tensors(values: Any, replacements: list[Any]) -> Any:
    """``values`` (a tensor or a tuple) with its tensors replaced, in order."""
    single = not isinstance(values, tuple)
    items = list((values,) if single else values)
    it = iter(replacements)
    items = [next(it) if hasattr(v, "_op") else v for v in items]
    return items[0] if single else tuple(items)


class _Identity(Function):
    """Passes tensors through; its backward calls ``on_backward(grads)``, which may replace them."""

    @staticmethod
    def forward(ctx: Any, on_backward: Callable[..., Any], *tensors: Any) -> Any:
        ctx.on_backward = on_backward
        return tensors if len(tensors) > 1 else tensors[0]

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return (None, *ctx.on_backward(grads))


def call_with_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks: forward pre-hooks, forward, forward hooks, and
    the wrapping that makes backward hooks see the gradients."""
    hooks = hooks_of(module)
    for hook, options in list(hooks["forward_pre"].values()):
        if options.get("with_kwargs"):
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward_hooks = hooks["backward"] or hooks["backward_pre"]
    state: dict[str, Any] = {"grad_output": None}
    needs = [t.requires_grad for t in _tensors(args)]
    inputs_need_grad = any(needs)
    if backward_hooks and inputs_need_grad:

        def at_inputs(grads: tuple[Any, ...]) -> tuple[Any, ...]:  # None for inputs that need no gradient
            shown = _call_backward_hooks(module, tuple(g if n else None for g, n in zip(grads, needs)), state)
            return tuple(s if n else g for s, g, n in zip(shown, grads, needs))

        args = _replace_tensors(args, _wrap(_tensors(args), at_inputs))
    output = module.forward(*args, **kwargs)
    for hook, options in list(hooks["forward"].values()):
        result = hook(module, args, kwargs, output) if options.get("with_kwargs") else hook(module, args, output)
        if result is not None:
            output = result
    if backward_hooks and any(t.requires_grad for t in _tensors(output)):

        def at_outputs(grads: tuple[Any, ...]) -> tuple[Any, ...]:
            for hook, _ in list(hooks["backward_pre"].values()):
                result = hook(module, grads)
                if result is not None:
                    grads = tuple(result)
            state["grad_output"] = grads
            if not inputs_need_grad:  # no input gradient will come: call the hooks now, with None for them
                _call_backward_hooks(module, tuple(None for _ in needs), state)
            return grads

        output = _replace_tensors(output, _wrap(_tensors(output), at_outputs))
    return output


def _wrap(tensors: list[Any], on_backward: Callable[..., Any]) -> list[Any]:
    wrapped = _Identity.apply(on_backward, *tensors)
    return list(wrapped) if isinstance(wrapped, tuple) else [wrapped]


def _call_backward_hooks(module: Module, grad_input: tuple[Any, ...], state: dict[str, Any]) -> tuple[Any, ...]:
    for hook, _ in list(hooks_of(module)["backward"].values()):
        result = hook(module, grad_input, state["grad_output"])
        if result is not None:
            grad_input = tuple(result)
    return grad_input
