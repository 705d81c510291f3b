"""Module, Parameter and Sequential, with PyTorch's names, state_dict keys and semantics."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from minigrad.autograd import RemovableHandle, Scope, mark_changed_in_place
from minigrad.devices import check_device, is_device
from minigrad.dtypes import resolve_dtype
from minigrad.nn import hooks
from minigrad.tensor import Tensor
from minigrad.unsupported import unsupported


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable (``requires_grad=True`` by default).

    >>> p = Parameter(np.zeros(2, dtype=np.float32))
    >>> p.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer: holds parameters, buffers and child modules by name.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.factor = Parameter(np.ones(1, dtype=np.float32))
    ...     def forward(self, x):
    ...         return x * self.factor
    >>> next(Scale().named_parameters())[0]
    'factor'
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------------- registration

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if isinstance(value, (Parameter, Module)):
            for store in (self._parameters, self._buffers, self._modules):
                store.pop(name, None)
            self.__dict__.pop(name, None)
            (self._parameters if isinstance(value, Parameter) else self._modules)[name] = value
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer '{name}' (a Tensor or None)")
            self._buffers[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' (a Parameter or None expected)"
                )
            self._parameters[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store, {})
            if name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that belongs to the module's state but is not trained (e.g. ``running_mean``).
        Persistent buffers are saved in ``state_dict``."""
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # ------------------------------------------------------------------------- traversal

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Every module in the tree, by dotted name, self first ("" unless ``prefix``); a module
        reached twice is listed once (unless ``remove_duplicate=False``)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path (``"features.0"``); "" is self."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}` (looking for {target!r})")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        return module._parameters[name]

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for path, module in modules:
            for name, value in getattr(module, store).items():
                if value is not None and (id(value) not in seen or not remove_duplicate):
                    seen.add(id(value))
                    yield (f"{path}.{name}" if path else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        yield from self._named("_parameters", prefix, recurse, remove_duplicate)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], None]) -> Module:
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------------- modes, dtypes, grads

    def train(self, mode: bool = True) -> Module:
        """Training mode (BatchNorm uses batch statistics, Dropout drops)."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor(np.zeros_like(p.grad.array))

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Cast parameters and floating point buffers to a floating dtype, in place: ``to(dtype)``,
        ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` or by keyword. The device must be the
        CPU (minigrad's only one), so moving does nothing."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        for arg in args:
            if is_device(arg):
                device = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            elif not isinstance(arg, bool):
                dtype = arg
        check_device(device)
        dtype = resolve_dtype(dtype)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype.kind == "f":
                t.array = t.array.astype(dtype)
                if t.grad is not None:
                    t.grad = Tensor(t.grad.array.astype(dtype))
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def half(self) -> Module:
        raise unsupported("half precision (Module.half())", "Its float types are float32 (the default) and float64.")

    def cpu(self) -> Module:
        """Itself: it is already on the CPU."""
        return self

    def cuda(self, device: Any = None) -> Module:
        raise unsupported("Module.cuda()", "Leave the model on the CPU: model.to('cpu') works.")

    def type(self, dst_type: Any) -> Module:
        return self.to(dst_type)

    def share_memory(self) -> Module:
        """Itself (numpy arrays need no sharing to be used in this process)."""
        return self

    # ------------------------------------------------------------------------- hooks (hooks.py)

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` before each forward; it may return new args."""
        return hooks.register(self, "forward_pre", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> RemovableHandle:
        """``hook(module, args, output)`` after each forward; it may return a new output."""
        return hooks.register(self, "forward", hook, prepend, with_kwargs=with_kwargs)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` when the gradients of the outputs are known; it may return new ones."""
        return hooks.register(self, "backward_pre", hook, prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` when the gradients of the inputs are known; it
        may return new ``grad_input``."""
        return hooks.register(self, "backward", hook, prepend)

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """PyTorch's deprecated form; here the same as ``register_full_backward_hook``."""
        return hooks.register(self, "backward", hook)

    # ------------------------------------------------------------------------- state

    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (``0.weight``, ``1.running_mean``).
        The tensors are detached and share memory with the module."""
        state: OrderedDict[str, Tensor] = OrderedDict()
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    state[dot + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    state[dot + name] = b.detach()
        return state

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers (in place, so optimizers keep
        working). With ``strict``, missing keys, unexpected keys and wrong shapes all raise
        one error that lists every problem."""
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong_shapes = []
        for key, target in own.items():
            if key in state_dict:
                value = np.asarray(state_dict[key].array if isinstance(state_dict[key], Tensor) else state_dict[key])
                if value.shape != target.shape:
                    wrong_shapes.append(f"{key}: checkpoint has shape {value.shape}, the model has {target.shape}")
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        problems.extend(f"size mismatch for {w}" for w in wrong_shapes)
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  " + "\n  ".join(problems))
        for key, target in own.items():
            if key in state_dict:
                value = state_dict[key]
                target.array[...] = value.array if isinstance(value, Tensor) else value  # shares memory
                mark_changed_in_place(target)  # graphs that saved it are stale now
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------- calling, printing

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outer = Scope.current
        Scope.current = (*outer, self)  # the ops recorded inside are drawn in this module's box
        try:
            if "_hooks" in self.__dict__:  # someone registered a hook: hooks.py runs them around forward
                return hooks.call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)
        finally:
            Scope.current = outer

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self.named_children()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        head = self.extra_repr()
        body = "\n  ".join(([head] if head else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"
