"""Draw the graph behind a tensor with Graphviz, so you can see where a gradient comes from.

``draw_graph(y, names={"x": x})`` returns a ``graphviz.Digraph``: ellipses are tensors
(named ones labelled, leaves that require grad in blue), boxes are primitive ops. Every
path from ``y`` back to a leaf is one term of that leaf's gradient: the chain rule sums
over paths. ``batchnorm_graph()`` draws the derived BatchNorm, where x has three paths.
"""

from __future__ import annotations

from typing import Any

import graphviz

from minigrad.autograd import parents, topological_order
from minigrad.dtypes import float64
from minigrad.factories import randn
from minigrad.nn.batchnorm import normalize, scale_and_shift
from minigrad.tensor import Tensor


def draw_graph(output: Tensor, names: dict[str, Tensor] | None = None, title: str | None = None) -> graphviz.Digraph:
    """The ops and tensors that ``output`` was computed from, left to right.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> dot = draw_graph((x * x).sum(), names={"x": x})
    >>> "Mul" in dot.source and "Sum" in dot.source
    True
    """
    label_of = {id(t): name for name, t in (names or {}).items()}
    graph = graphviz.Digraph(graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": title or ""})
    graph.attr("node", fontname="Helvetica", fontsize="11")

    def tensor_node(t: Any) -> str:
        node = f"t{id(t)}"
        label = label_of.get(id(t), "")
        shape = "x".join(map(str, t.shape)) or "scalar"
        is_input = t.is_leaf and t.requires_grad
        graph.node(
            node,
            f"{label}\n{shape}" if label else shape,
            shape="ellipse",
            style="filled",
            fillcolor="lightblue" if is_input else ("lightyellow" if label else "white"),
        )
        return node

    for t in topological_order([output]):
        out_node = tensor_node(t)
        op = t.grad_fn
        if op is None or not op.inputs:
            continue
        op_node = f"op{id(op)}"
        graph.node(op_node, op.name(), shape="box", style="filled", fillcolor="lightgrey")
        graph.edge(op_node, out_node)
        for parent in parents(t):
            if parent.requires_grad:
                graph.edge(tensor_node(parent), op_node)
            else:  # constants (eps, 1/m, ...) are drawn small
                constant = f"c{id(parent)}"
                value = f"{parent.array.item():.3g}" if parent.array.size == 1 else "x".join(map(str, parent.shape))
                graph.node(constant, value, shape="plaintext", fontsize="9")
                graph.edge(constant, op_node, style="dashed")
    return graph


def batchnorm_graph(shape: tuple[int, ...] = (4, 3)) -> graphviz.Digraph:
    """The derived BatchNorm's graph, with x, gamma, beta, the output and each stage named."""
    x = randn(*shape, dtype=float64, requires_grad=True)
    gamma = Tensor(randn(shape[1], dtype=float64).array, requires_grad=True)
    beta = Tensor(randn(shape[1], dtype=float64).array, requires_grad=True)
    stages = normalize(x, eps=1e-5)
    y = scale_and_shift(stages.x_hat, gamma, beta)
    names = {"x": x, "gamma": gamma, "beta": beta, "y": y, "batch mean": stages.mean, "batch var": stages.var}
    names.update({"x^": stages.x_hat, "x - mean": stages.centered, "1/sqrt(var + eps)": stages.inv_std})
    title = "BatchNorm from primitives: dx is the sum over the paths from y back to x (direct, mean, variance)"
    return draw_graph(y, names, title)
