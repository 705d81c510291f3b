"""See autodiff happen: drawings of the recorded graph, its listing, and backward step by step.

* ``draw_graph(y, names=..., params=..., show_values=..., show_grads=..., collapse=...)``: the
  forward graph, grouped in one box per module (and per named stage, such as BatchNorm's four);
* ``draw_backward(grads)``: the graph of a gradient computed with ``create_graph=True``;
* ``backward_steps(loss, out_dir)``: one SVG frame per step of the backward pass, and an HTML
  page to step through them;
* ``listing(y)``: the same graph as numbered lines of text;
* ``show(y)``: a drawing for notebooks (it displays inline, or as text without Graphviz).

Drawings are ``graphviz.Digraph``s: ``.render()``, ``.pipe()``, ``.source``. Rendering needs
Graphviz's ``dot``; the DOT source does not. See docs/graphs.md.
"""

from minigrad.viz.batchnorm import (
    batchnorm_backward_graph,
    batchnorm_backward_graphs,
    batchnorm_example,
    batchnorm_graph,
)
from minigrad.viz.draw import Drawing, draw_backward, draw_graph, show
from minigrad.viz.listing import Listing, listing
from minigrad.viz.steps import backward_steps

__all__ = [
    "Drawing",
    "Listing",
    "backward_steps",
    "batchnorm_backward_graph",
    "batchnorm_backward_graphs",
    "batchnorm_example",
    "batchnorm_graph",
    "draw_backward",
    "draw_graph",
    "listing",
    "show",
]
