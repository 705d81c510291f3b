"""The recorded program as text, one numbered line per op, as JAX prints a jaxpr: for people
without Graphviz, for the docs, and for following a derivation line by line.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
>>> listing((x * x).sum(), names={"x": x})
%x  (2,) float64  leaf that requires grad
%1 = Mul(%x, %x)  # (2,) float64
%2 = Sum(%1; axes=(0,), keepdim=False)  # scalar float64  output
"""

from __future__ import annotations

from minigrad.tensor import Tensor
from minigrad.viz.graph import Graph, TensorNode
from minigrad.viz.labels import constant_text, name_nodes, op_settings, shape_text

KIND_WORDS = {"leaf": "leaf that requires grad", "buffer": "buffer", "parameter": "parameter", "input": "input",
              "constant": "constant"}  # fmt: skip


class Listing(str):
    """The listing's text; shown as lines (not a quoted string) at the Python prompt."""

    def __repr__(self) -> str:
        return str(self)


def listing(
    *outputs: Tensor, names: dict[str, Tensor] | None = None, params: dict[str, Tensor] | None = None
) -> Listing:
    """The ops behind ``outputs`` as numbered lines ``%7 = Add(%x, %6)  # (4, 3) float64``: leaves
    first, then every op in the order it ran, with its shape, dtype, and the module and stage it
    ran in. Print it, or look at it at the prompt."""
    if not outputs:
        raise TypeError("listing needs at least one tensor")
    graph = Graph(list(outputs), names, params)
    name_nodes(graph)
    return listing_of(graph)


def listing_of(graph: Graph) -> Listing:
    idents: dict[int, str] = {}
    for node in graph.tensors:  # a name is an identifier once; later uses of it (γ reshaped) get numbers
        name = node.symbol or node.name
        wanted = f"%{name}" if name and " " not in name else f"%{node.number}"
        idents[id(node)] = wanted if wanted not in idents.values() else f"%{node.number}"

    def ident(node: TensorNode) -> str:
        return idents[id(node)]

    def argument(node: TensorNode) -> str:
        if _inline(node):
            assert node.tensor is not None
            return constant_text(node.tensor.array)
        return ident(node)

    lines = []
    for node in graph.tensors:
        if node.op is None and not _inline(node):
            words = KIND_WORDS.get(node.kind, node.kind)
            if node.symbol and node.name:
                words += f" {node.name}"
            lines.append(f"{ident(node)}  {_type(node)}  {words}")  # leaves: the program's inputs
    for node in graph.tensors:
        op = node.op
        if op is None:
            continue
        arguments = ", ".join(argument(t) for t in op.inputs)
        settings = op_settings(op.op)
        call = f"{op.name}({arguments}{'; ' + settings if settings else ''})"
        notes = [_type(node)]
        if node.symbol and f"%{node.symbol}" != ident(node):
            notes.insert(0, node.symbol)
        where = " / ".join(graph_scope_words(graph, op.scope))
        if op.is_backward:
            where = "backward" + (f" / {where}" if where else "")
        if where:
            notes.append(f"[{where}]")
        if node.kind == "output":
            notes.append("output")
        lines.append(f"{ident(node)} = {call}  # {'  '.join(notes)}")
    return Listing("\n".join(lines))


def graph_scope_words(graph: Graph, scope: tuple[object, ...]) -> list[str]:
    from minigrad.nn.module import Module

    return [graph.module_label(s) if isinstance(s, Module) else str(s) for s in scope]


def _inline(node: TensorNode) -> bool:
    """Scalar constants without a symbol are written as their value where they are used."""
    return node.kind == "constant" and node.shape == () and node.tensor is not None and node.symbol is None


def _type(node: TensorNode) -> str:
    text = shape_text(node.shape) + ("" if node.dtype is None else f" {node.dtype}")
    if node.kind == "constant" and node.shape == () and node.tensor is not None:
        text = f"= {constant_text(node.tensor.array)}  {text}"
    return text
