"""The recorded graph behind some tensors, as plain nodes that every drawing and the listing read.

``Graph(outputs)`` walks from the outputs back to the leaves, through live ops (their
``inputs``) and through ops that backward has freed (their ``structure``: see
``autograd.free_saved``), so a graph drawn after ``backward()`` has all its nodes. Each tensor
becomes a ``TensorNode`` and each op an ``OpNode``. An intermediate tensor is identified by the
op that made it (an op makes one tensor), so it is the same node whether it is still held or
only remembered. Nodes carry a kind (parameter, input, constant, ...), a name when one is known,
and the scope (modules and named stages) they were recorded in.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
>>> graph = Graph([(x * x).sum()], names={"x": x})
>>> [op.name for op in graph.ops], graph.tensors[0].name
(['Mul', 'Sum'], 'x')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.autograd import BACKWARD, TensorRecord
from minigrad.nn.module import Module, Parameter
from minigrad.ops import Primitive
from minigrad.tensor import Tensor


@dataclass(eq=False)
class TensorNode:
    """A tensor of the graph; ``tensor`` is None once backward has freed it and nobody holds it."""

    key: int
    shape: tuple[int, ...] | None
    dtype: np.dtype | None
    tensor: Tensor | None
    op: OpNode | None = None  # the op that made it; None for leaves
    kind: str = "intermediate"  # parameter, buffer, leaf, input, constant, intermediate, output
    name: str | None = None  # a given name, or a parameter's or buffer's dotted name
    symbol: str | None = None  # x̂, σ², γ, ...: set by ``labels.name_nodes``
    consumers: list[OpNode] = field(default_factory=list)
    scope: tuple[Any, ...] = ()  # where it is drawn: its op's scope, or the module that owns it
    number: int = 0  # its %n in the listing, in order of computation

    @property
    def is_leaf(self) -> bool:
        return self.op is None

    @property
    def freed(self) -> bool:
        """True when its values are gone: freed by backward and held by nobody."""
        return self.tensor is None

    @property
    def is_backward(self) -> bool:
        return self.op is not None and self.op.is_backward


@dataclass(eq=False)
class OpNode:
    """A recorded primitive: its inputs and its output."""

    op: Primitive
    inputs: list[TensorNode]
    output: TensorNode

    @property
    def name(self) -> str:
        return type(self.op).__name__

    @property
    def scope(self) -> tuple[Any, ...]:
        """The modules and named stages it was recorded in, outermost first (without the
        backward marker)."""
        return tuple(s for s in getattr(self.op, "scope", ()) if s is not BACKWARD)

    @property
    def is_backward(self) -> bool:
        """True for an op recorded by a ``create_graph=True`` backward: part of a gradient's graph."""
        return BACKWARD in getattr(self.op, "scope", ())


def key_of(item: Any) -> int:
    """The identity of the tensor that ``item`` stands for: a live tensor, the op that made a
    freed one, or the record of a freed constant."""
    if isinstance(item, Tensor):
        return id(item._op) if item._op is not None else id(item)
    if isinstance(item, TensorRecord):
        held = item.ref()
        return id(item) if held is None else id(held)
    return id(item)  # a Primitive: its output


def op_inputs(op: Primitive) -> Sequence[Any]:
    """What ``op`` read: live tensors, or what ``free_saved`` kept of them."""
    if op.inputs:
        return op.inputs
    return getattr(op, "structure", [None, None])[2:]


class Graph:
    """The tensors and ops behind ``outputs``, in order of computation (inputs first).

    ``names`` maps names to tensors (``{"x": x}``); ``params`` maps parameter names to
    parameters, as ``dict(model.named_parameters())``. Parameters and buffers of the modules
    the ops were recorded in are named without being given.
    """

    def __init__(
        self,
        outputs: Sequence[Tensor],
        names: dict[str, Tensor] | None = None,
        params: dict[str, Tensor] | None = None,
    ) -> None:
        self.outputs = list(outputs)
        for i, t in enumerate(self.outputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"output {i} is a {type(t).__name__}, not a Tensor")
        given = {**(params or {}), **(names or {})}
        self.given_names = {key_of(t): name for name, t in given.items()}
        self.given_params = {key_of(t) for t in (params or {}).values()}
        held = {key_of(t): t for t in [*self.outputs, *given.values()]}
        self.tensors: list[TensorNode] = []
        self.ops: list[OpNode] = []
        self._walk(held)
        self.module_paths = _module_paths(self.ops)
        self.output_nodes = [self.by_key[key_of(t)] for t in self.outputs]
        for node in self.output_nodes:
            node.kind = "output"
        self._classify_leaves()
        self._place()

    def _walk(self, held: dict[int, Tensor]) -> None:
        """Post-order, iteratively (graphs can be deep): every tensor after the tensors it was
        computed from."""
        self.by_key: dict[int, TensorNode] = {}
        pending: dict[int, Any] = {}  # key -> what stands for the tensor, until its node is made
        stack: list[tuple[Any, bool]] = [(t, False) for t in reversed(self.outputs)]
        while stack:
            item, inputs_done = stack.pop()
            key = key_of(item)
            if inputs_done:
                if key not in self.by_key:
                    self._add(key, item, held)
                continue
            if key in self.by_key or key in pending:
                continue
            pending[key] = item
            stack.append((item, True))
            op = _producer(item)
            if op is None:
                continue
            for parent in reversed(op_inputs(op)):
                if key_of(parent) not in self.by_key:
                    stack.append((parent, False))

    def _add(self, key: int, item: Any, held: dict[int, Tensor]) -> None:
        tensor: Any = held.get(key, item if isinstance(item, Tensor) else None)
        if isinstance(item, TensorRecord) and tensor is None:
            tensor = item.ref()  # a constant you still hold
        shape, dtype = _shape_and_dtype(item, tensor)
        node = TensorNode(key, shape, dtype, tensor, number=len(self.by_key))
        node.name = self.given_names.get(key)
        self.by_key[key] = node
        self.tensors.append(node)
        op = _producer(item)
        if op is not None:
            op_node = OpNode(op, [self.by_key[key_of(p)] for p in op_inputs(op)], node)
            node.op = op_node
            for parent in op_node.inputs:
                if op_node not in parent.consumers:
                    parent.consumers.append(op_node)
            self.ops.append(op_node)

    def _classify_leaves(self) -> None:
        owners = _owners(self.ops, self.module_paths)
        for node in self.tensors:
            if not node.is_leaf or node.kind == "output":
                continue
            t = node.tensor
            owner = owners.get(node.key)
            if owner is not None:
                node.kind, path = owner
                node.name = node.name or path
            elif node.key in self.given_params or isinstance(t, Parameter):
                node.kind = "parameter"
            elif t is not None and t.requires_grad:
                node.kind = "leaf"
            elif node.name is not None:
                node.kind = "input"
            elif node.shape == () or node.dtype == np.bool_ or all(c.is_backward for c in node.consumers):
                node.kind = "constant"  # eps, masks, and what a backward computed from constants alone
            else:
                node.kind = "input"

    def _place(self) -> None:
        """The scope each tensor is drawn in: an op's output in the op's; a parameter or buffer in
        its module's; a constant in the innermost scope shared by the ops that read it; inputs,
        and leaves at the top."""
        owner_scopes = _owner_scopes(self.ops)
        for node in self.tensors:
            if node.op is not None:
                node.scope = node.op.scope
            elif node.kind in ("parameter", "buffer"):
                node.scope = owner_scopes.get(node.key, ())
            elif node.kind == "constant" and node.consumers:
                node.scope = common_prefix([c.scope for c in node.consumers])

    def module_label(self, module: Module) -> str:
        """``features.1: BatchNorm2d``, or the class name alone for the outermost module."""
        path = self.module_paths.get(id(module), "")
        return f"{path}: {type(module).__name__}" if path else type(module).__name__


def _producer(item: Any) -> Primitive | None:
    if isinstance(item, Tensor):
        return item._op
    return item if isinstance(item, Primitive) else None


def _shape_and_dtype(item: Any, tensor: Tensor | None) -> tuple[Any, Any]:
    if tensor is not None:
        return tensor.shape, tensor.dtype
    if isinstance(item, TensorRecord):
        return item.shape, item.dtype
    structure = getattr(item, "structure", None)  # a freed op remembers its output's shape and dtype
    return (structure[0], structure[1]) if structure else (None, None)


def common_prefix(scopes: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The longest scope that starts every one of ``scopes``."""
    scopes = list(scopes)
    if not scopes:
        return ()
    prefix = scopes[0]
    for scope in scopes[1:]:
        n = 0
        while n < min(len(prefix), len(scope)) and same_scope(prefix[n], scope[n]):
            n += 1
        prefix = prefix[:n]
    return prefix


def same_scope(a: Any, b: Any) -> bool:
    """Modules are the same instance; named stages the same name."""
    return a is b or (isinstance(a, str) and a == b)


def _module_paths(ops: Iterable[OpNode]) -> dict[int, str]:
    """id(module) -> its dotted name under the outermost module it was called from."""
    paths: dict[int, str] = {}
    for op in ops:
        for entry in op.scope[:1]:
            if isinstance(entry, Module) and id(entry) not in paths:
                paths.update({id(m): name for name, m in entry.named_modules()})
    return paths


def _owners(ops: Iterable[OpNode], paths: dict[int, str]) -> dict[int, tuple[str, str]]:
    """For each parameter and buffer read by an op: its kind and its dotted name, found in the
    modules the op was recorded in (innermost first)."""
    found: dict[int, tuple[str, str]] = {}
    for op in ops:
        modules = [m for m in reversed(op.scope) if isinstance(m, Module)]
        for node in op.inputs:
            if not node.is_leaf or node.key in found or node.tensor is None:
                continue
            for module in modules:
                for kind, store in (("parameter", module._parameters), ("buffer", module._buffers)):
                    for name, value in store.items():
                        if value is node.tensor:
                            prefix = paths.get(id(module), "")
                            found[node.key] = (kind, f"{prefix}.{name}" if prefix else name)
    return found


def _owner_scopes(ops: Iterable[OpNode]) -> dict[int, tuple[Any, ...]]:
    """For each parameter or buffer: the scope down to the module that owns it."""
    scopes: dict[int, tuple[Any, ...]] = {}
    for op in ops:
        for node in op.inputs:
            if node.tensor is None or node.key in scopes:
                continue
            for depth in range(len(op.scope), 0, -1):
                module = op.scope[depth - 1]
                if isinstance(module, Module) and any(
                    v is node.tensor for v in (*module._parameters.values(), *module._buffers.values())
                ):
                    scopes[node.key] = op.scope[:depth]
                    break
    return scopes
