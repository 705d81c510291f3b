"""BatchNorm, drawn: the derived forward graph with its four stages, and its gradient's graph
beside the fused closed-form one's.

>>> "BatchNorm1d" in batchnorm_graph().source
True
"""

from __future__ import annotations

from dataclasses import dataclass

from minigrad import nn
from minigrad.autograd import grad
from minigrad.dtypes import float64
from minigrad.factories import manual_seed, randn
from minigrad.tensor import Tensor
from minigrad.viz.draw import Drawer, Drawing, draw_backward, draw_graph, fit_slide, html_label, new_drawing
from minigrad.viz.graph import Graph
from minigrad.viz.labels import name_nodes

# With create_graph=True the fused op's backward recomputes BN's stages from x (so that its
# formula can be differentiated again); its gradient's drawing shows each as one box.
RECOMPUTED = ("mean", "variance", "normalize")


@dataclass
class BatchNormExample:
    """A BatchNorm module in training mode, an input and the gradient arriving at its output."""

    module: nn.Module
    x: Tensor
    y: Tensor
    dy: Tensor

    @property
    def names(self) -> dict[str, Tensor]:
        """x and ∂L/∂y; γ and β too, for drawings in which no op of the module reads them (the
        fused op's backward)."""
        return {"x": self.x, "∂L/∂y": self.dy, "γ": self.module.weight, "β": self.module.bias}


def batchnorm_example(shape: tuple[int, ...] = (4, 3), fused: bool = False, seed: int = 0) -> BatchNormExample:
    """BatchNorm1d (for (N, C) shapes) or BatchNorm2d (for (N, C, H, W)) on random float64 input,
    with γ and β away from 1 and 0 so that every term of the gradient shows."""
    if len(shape) not in (2, 4):
        raise ValueError(f"batchnorm_example: shape must be (N, C) or (N, C, H, W), got {shape}")
    manual_seed(seed)
    kind = nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d
    module = kind(shape[1], fused=fused).double()
    module.weight.array[...] = 1 + 0.3 * randn(shape[1], dtype=float64).array
    module.bias.array[...] = randn(shape[1], dtype=float64).array
    x = randn(*shape, dtype=float64, requires_grad=True)
    dy = randn(*shape, dtype=float64)
    return BatchNormExample(module, x, module(x), dy)


def batchnorm_graph(
    shape: tuple[int, ...] = (4, 3), fused: bool = False, show_values: bool = False, show_grads: bool = False
) -> Drawing:
    """The BatchNorm module's forward graph: the derived one in its four stages (mean, variance,
    normalize, scale and shift) or the fused op. With ``show_grads`` it runs ``backward`` first."""
    example = batchnorm_example(shape, fused)
    if show_grads:
        example.y.backward(example.dy)
    route = "fused: one op with a closed-form backward" if fused else "derived from primitives"
    title = f"{type(example.module).__name__} {route}"
    if not fused:
        title += ": x reaches y directly, through μ and through σ², and ∂L/∂x sums the three paths"
    drawing = draw_graph(
        example.y,
        names={"x": example.x, "y": example.y},
        show_values=show_values,
        show_grads=show_grads,
        title=title,
        rankdir="LR",
    )
    return fit_slide(drawing)


def batchnorm_gradient(example: BatchNormExample) -> dict[str, Tensor]:
    """∂L/∂x, ∂L/∂γ, ∂L/∂β for L = Σ y·dy, computed with ``create_graph=True``: each is a graph."""
    module = example.module
    dx, dgamma, dbeta = grad(example.y, [example.x, module.weight, module.bias], example.dy, create_graph=True)
    return {"∂L/∂x": dx, "∂L/∂γ": dgamma, "∂L/∂β": dbeta}


def batchnorm_backward_graph(shape: tuple[int, ...] = (4, 3), fused: bool = False) -> Drawing:
    """The graph of BatchNorm's gradient for one route."""
    example = batchnorm_example(shape, fused)
    route = "fused (closed form)" if fused else "derived"
    title = f"The graph of the {route} BatchNorm's gradient"
    return fit_slide(draw_backward(batchnorm_gradient(example), names=example.names, title=title, collapse=RECOMPUTED))


def batchnorm_backward_graphs(shape: tuple[int, ...] = (4, 3)) -> Drawing:
    """The graphs of BatchNorm's gradient, derived (the engine chains every primitive's VJP)
    beside fused (one closed-form formula), in one picture."""
    drawing = new_drawing("The graph of BatchNorm's gradient: many small ops against one formula", "TB")
    rows: list[tuple[str, str, bool]] = []  # one legend for both sides
    for prefix, fused in (("d", False), ("f", True)):
        example = batchnorm_example(shape, fused)
        grads = batchnorm_gradient(example)
        graph = Graph(list(grads.values()), {**example.names, **grads})
        name_nodes(graph)
        ops = [op for op in graph.ops if op.is_backward]
        recomputing = sum(bool(set(op.scope) & set(RECOMPUTED)) for op in ops)
        if fused:
            formula = len(ops) - recomputing
            words = f"fused: one closed-form formula, {formula} ops (and {recomputing} recomputing x̂ from x)"
        else:
            words = f"derived: the chain rule through every primitive, {len(ops)} ops"
        with drawing.subgraph(name=f"cluster_{prefix}") as side:
            side.attr(label=html_label(words), fontsize="14", style="rounded", color="#999999")
            drawer = Drawer(graph, False, False, RECOMPUTED, only_backward=True, prefix=prefix, fold=True)
            drawer.draw(side, legend=False)
            rows += [row for row in drawer.legend_rows() if row not in rows]
    drawer.draw_legend(drawing, rows)  # one legend for both sides
    return fit_slide(drawing)


def count_backward_ops(grads: dict[str, Tensor]) -> int:
    """How many ops the gradient's graph has (for comparing the two routes)."""
    return sum(op.is_backward for op in Graph(list(grads.values())).ops)


__all__ = [
    "BatchNormExample",
    "batchnorm_backward_graph",
    "batchnorm_backward_graphs",
    "batchnorm_example",
    "batchnorm_graph",
    "count_backward_ops",
]
