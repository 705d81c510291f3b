"""Graphviz drawings of the recorded graph: the forward graph grouped by module, and the graph
of a gradient.

Ellipses are tensors, boxes are primitive ops, and an arrow goes from each tensor to the op that
reads it. Every path from the output back to a leaf is one term of that leaf's gradient: the
chain rule sums over paths. The colours are explained by the legend in each picture.
"""

from __future__ import annotations

import html
import itertools
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import graphviz

from minigrad.nn.module import Module
from minigrad.tensor import Tensor
from minigrad.viz.graph import Graph, OpNode, TensorNode, same_scope
from minigrad.viz.labels import (
    STAGE_TITLES,
    constant_text,
    display_name,
    grad_text,
    name_nodes,
    op_settings,
    shape_text,
    value_text,
)

FONT = "Helvetica"
SLIDE = "13.33,7.5"  # inches: a 16:9 slide; larger drawings are scaled down to fit
LARGE_GRAPH = 2000  # nodes: past this, drawing without collapse= warns
ROW = 5  # collapsed modules per row

# What each kind of node looks like, and the words the legend uses for it.
TENSOR_STYLE: dict[str, dict[str, str]] = {
    "input": {"fillcolor": "#c7ecc7", "style": "filled"},
    "leaf": {"fillcolor": "#bcd7f5", "style": "filled"},
    "parameter": {"fillcolor": "#fbe3a1", "style": "filled"},
    "buffer": {"fillcolor": "#e6e6e6", "style": "filled,dashed"},
    "constant": {"fillcolor": "white", "style": "dashed"},
    "intermediate": {"fillcolor": "white", "style": "filled"},
    "output": {"fillcolor": "#f7c6c6", "style": "filled,bold"},
}
OP_STYLE = {"fillcolor": "#dcdcdc", "style": "filled"}
BACKWARD_OP_STYLE = {"fillcolor": "#ffc98a", "style": "filled"}
LEGEND_WORDS = {
    "input": "input (data)",
    "leaf": "leaf that requires grad",
    "parameter": "parameter",
    "buffer": "buffer (running statistics)",
    "constant": "constant",
    "intermediate": "intermediate tensor (shape, and dtype if unusual)",
    "output": "output",
}
CLUSTER_FILLS = ["#f4f7fb", "#e9f0f8", "#dde8f4", "#f6f6ee"]  # by depth, so nested boxes stand apart


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` (``render``, ``pipe``, ``save`` and notebook display work as
    usual). In a notebook without Graphviz's ``dot`` it shows the graph's text listing instead
    of raising."""

    def __init__(self, *args: Any, text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            note = "(Graphviz's dot is not installed, so here is the graph as text; apt-get install graphviz)\n"
            return {"text/plain": note + (self.text or self.source)}


def new_drawing(title: str | None, rankdir: str, text: str = "") -> Drawing:
    drawing = Drawing(text=text, graph_attr={
        "rankdir": rankdir, "fontname": FONT, "fontsize": "16", "label": html_label(title) if title else "",
        "labelloc": "t", "nodesep": "0.2", "ranksep": "0.3", "newrank": "true", "pad": "0.15",
    })  # fmt: skip
    drawing.attr("node", fontname=FONT, fontsize="11", margin="0.06,0.03", height="0.3", penwidth="1")
    drawing.attr("edge", arrowsize="0.6", color="#555555")
    return drawing


def fit_slide(drawing: Drawing) -> Drawing:
    """Scale ``drawing`` down, if it is larger, to a 16:9 slide (the BatchNorm pictures and the
    collapsed models are laid out to fill one). Other drawings keep their natural size, to zoom in on."""
    drawing.graph_attr["size"] = SLIDE
    return drawing


def scope_key(scope: tuple[Any, ...]) -> tuple[Any, ...]:
    """A hashable key for a scope: modules by identity, stages by name."""
    return tuple(s if isinstance(s, str) else id(s) for s in scope)


def html_label(text: str) -> str:
    return f"<{html.escape(text)}>"


def draw_graph(
    *outputs: Tensor,
    names: dict[str, Tensor] | None = None,
    params: dict[str, Tensor] | None = None,
    show_values: bool = False,
    show_grads: bool = False,
    collapse: Iterable[Any] = (),
    rankdir: str = "TB",
    title: str | None = None,
) -> Drawing:
    """The ops and tensors that ``outputs`` were computed from, grouped by module.

    ``names`` labels tensors (``{"x": x}``); ``params`` takes ``dict(model.named_parameters())``
    (parameters of the modules that ran are named anyway). ``show_values`` adds value
    statistics, ``show_grads`` gradient statistics (mean, std, max |g|, from ``.grad``; draw
    after ``backward()``: the graph's structure is kept). ``collapse`` draws the named modules
    (``"features.1"``) or all modules of the given types (``nn.BatchNorm2d`` or
    ``"BatchNorm2d"``) as one box each.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> dot = draw_graph((x * x).sum(), names={"x": x})
    >>> "Mul" in dot.source and "Sum" in dot.source
    True
    """
    if not outputs:
        raise TypeError("draw_graph needs at least one tensor to draw")
    for i, t in enumerate(outputs):
        if isinstance(t, Tensor) and t.grad_fn is None:
            raise ValueError(
                f"draw_graph: tensor {i} (shape {t.shape}) has no graph: it is a leaf, made directly rather "
                "than computed by recorded ops; draw a tensor computed from tensors with requires_grad=True"
            )
    graph = Graph(list(outputs), names, params)
    name_nodes(graph)
    from minigrad.viz.listing import listing_of  # the listing is shown in notebooks without dot

    drawing = new_drawing(title, rankdir, text=listing_of(graph))
    Drawer(graph, show_values, show_grads, tuple(collapse), rankdir=rankdir).draw(drawing)
    return drawing


def draw_backward(
    grads: Tensor | Sequence[Tensor] | dict[str, Tensor],
    names: dict[str, Tensor] | None = None,
    params: dict[str, Tensor] | None = None,
    show_values: bool = False,
    show_forward: bool = False,
    collapse: Iterable[Any] = (),
    rankdir: str = "TB",
    title: str | None = None,
) -> Drawing:
    """The graph of a gradient: the ops that a ``create_graph=True`` backward recorded to compute
    ``grads`` (in orange), and the forward tensors they read (x̂, 1/√(σ² + ε), γ, ...), named as
    in the forward drawing. ``grads`` may be a dict of names (``{"∂L/∂x": dx}``).
    ``show_forward`` draws the forward graph too; ``collapse`` works as in ``draw_graph``
    (and takes stage names: ``("normalize",)``). Unnamed intermediate gradients are drawn as
    shapes on the edges between the ops.

    >>> import minigrad
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> (dx,) = minigrad.grad((x * x).sum(), x, create_graph=True)
    >>> "Mul" in draw_backward({"dx": dx}, names={"x": x}).source
    True
    """
    if isinstance(grads, dict):
        names = {**(names or {}), **grads}
        grads = list(grads.values())
    grads = [grads] if isinstance(grads, Tensor) else list(grads)
    graph = Graph(grads, names, params)
    if not any(op.is_backward for op in graph.ops):
        raise ValueError(
            "draw_backward: these gradients have no graph of their own; compute them with create_graph=True "
            "(minigrad.grad(..., create_graph=True) or loss.backward(create_graph=True))"
        )
    name_nodes(graph)
    from minigrad.viz.listing import listing_of

    drawing = new_drawing(title, rankdir, text=listing_of(graph))
    Drawer(graph, show_values, False, tuple(collapse), not show_forward, rankdir=rankdir, fold=True).draw(drawing)
    return drawing


def show(*outputs: Tensor, **options: Any) -> Drawing:
    """``draw_graph`` for notebooks: the returned drawing displays itself inline. Tensors never
    display their graph unless you ask like this."""
    return draw_graph(*outputs, **options)


# ----------------------------------------------------------------------------- the drawer


@dataclass(eq=False)
class Box:
    """A collapsed module (or named stage): one node standing for every op recorded inside it."""

    key: tuple[Any, ...]
    entry: Module | str
    scope: tuple[Any, ...]  # the scope it is drawn in (its module's parent)
    ops: list[OpNode] = field(default_factory=list)
    inputs: list[TensorNode] = field(default_factory=list)
    outputs: list[TensorNode] = field(default_factory=list)
    hidden_inputs: list[TensorNode] = field(default_factory=list)  # data only its ops read: not drawn


class Drawer:
    """Turns a ``Graph`` into Graphviz nodes, edges and nested clusters."""

    def __init__(
        self,
        graph: Graph,
        show_values: bool,
        show_grads: bool,
        collapse: tuple[Any, ...],
        only_backward: bool = False,
        prefix: str = "",
        rankdir: str = "TB",
        fold: bool = False,
    ) -> None:
        self.graph, self.show_values, self.show_grads = graph, show_values, show_grads
        self.prefix, self.rankdir = prefix, rankdir
        ops = [op for op in graph.ops if op.is_backward or not only_backward]
        self.box_of = self._collapse(ops, collapse)
        self.ops = [op for op in ops if id(op) not in self.box_of]
        self.boxes = list({id(b): b for b in self.box_of.values()}.values())
        self.tensors = self._visible_tensors(only_backward)
        self.drawn_ops = {id(op) for op in self.ops}
        self.folded = self._folded(fold)
        self.tensors = [t for t in self.tensors if id(t) not in self.folded]
        self.kinds: set[str] = set()
        dtypes = [t.dtype for t in self.tensors if t.dtype is not None]
        self.usual_dtype = max(set(dtypes), key=dtypes.count) if dtypes else None
        count = len(self.ops) + len(self.tensors) + len(self.boxes)
        if count > LARGE_GRAPH and not collapse:
            children = sorted({graph.module_paths.get(id(m), "") for op in graph.ops for m in op.scope[1:2]})
            named = ", ".join(c for c in children if c)[:120]
            hint = f" (the outermost module's children: {named})" if named else ""
            warnings.warn(
                f"drawing {count} nodes: the picture will be hard to read and slow to render; pass collapse= with "
                f"module names or types to draw each as one box{hint}",
                stacklevel=3,
            )

    # ------------------------------------------------------------------------- what is drawn

    def _collapse(self, ops: list[OpNode], collapse: tuple[Any, ...]) -> dict[int, Box]:
        """id(op) -> the box of the outermost collapsed module (or stage) it was recorded in."""
        if not collapse:
            return {}
        boxes: dict[tuple[Any, ...], Box] = {}
        box_of: dict[int, Box] = {}
        for op in ops:
            for depth, entry in enumerate(op.scope):
                if self._matches(entry, collapse):
                    key = scope_key(op.scope[: depth + 1])
                    box = boxes.setdefault(key, Box(key, entry, op.scope[:depth]))
                    box.ops.append(op)
                    box_of[id(op)] = box
                    break
        self.box_of = box_of
        for box in boxes.values():
            inside = {id(op) for op in box.ops}
            for op in box.ops:
                for t in op.inputs:
                    if (t.op is not None and id(t.op) in inside) or t in box.inputs or t in box.hidden_inputs:
                        continue
                    if not self._owned_by(t, box):
                        box.inputs.append(t)
                    elif t.kind == "input":
                        box.hidden_inputs.append(t)
                out = op.output
                if out.kind == "output" or any(id(c) not in inside for c in out.consumers):
                    box.outputs.append(out)
        return box_of

    def _matches(self, entry: Any, collapse: tuple[Any, ...]) -> bool:
        """A module matches its dotted name, its class or its class's name; a stage its name."""
        if isinstance(entry, str):
            return entry in collapse
        path = self.graph.module_paths.get(id(entry), "")
        for spec in collapse:
            if isinstance(spec, type) and isinstance(entry, spec):
                return True
            if isinstance(spec, str) and spec in (path, type(entry).__name__):
                return True
        return False

    def _owned_by(self, t: TensorNode, box: Box) -> bool:
        """True for a parameter, buffer or constant that lives inside the collapsed module, and
        for an unnamed leaf that only ops inside it read (what conv2d unfolds from an input that
        needs no gradient, the masks a loss makes from its targets)."""
        if not t.is_leaf:
            return False
        inside = len(t.scope) > len(box.scope) and same_scope(t.scope[len(box.scope)], box.entry)
        if t.kind in ("parameter", "buffer", "constant") and inside:
            return True
        if self.is_label(t) and all(id(c) in self.box_of for c in t.consumers):
            return True  # a scalar (ε, a ReLU's 0.0) that only collapsed modules read: part of their insides
        return t.kind == "input" and t.name is None and all(self.box_of.get(id(c)) is box for c in t.consumers)

    def _folded(self, fold: bool) -> set[int]:
        """Unnamed intermediate tensors drawn as labels (their shapes) on the edges between the
        nodes that make and read them, not as nodes: in a gradient's drawing (``fold``) a chain of
        VJPs then reads like a formula, and between collapsed modules a network reads like its
        list of layers. Both fit a slide."""
        folded = set()
        for t in self.tensors:
            boxed = t.op is not None and id(t.op) in self.box_of
            name = t.name if boxed else display_name(t)  # a stage's symbol (y) means nothing outside its box
            if t.kind != "intermediate" or name is not None or t.op is None or not t.consumers:
                continue
            if not all(self.endpoint(c) for c in t.consumers) or not self.endpoint(t.op):
                continue
            if fold or (id(t.op) in self.box_of and not self.show_values):
                folded.add(id(t))
        return folded

    def endpoint(self, op: OpNode) -> str | None:
        """The node an op is drawn as: itself, the box it is collapsed into, or none."""
        if id(op) in self.box_of:
            return self.box_id(self.box_of[id(op)])
        return self.op_id(op) if id(op) in self.drawn_ops else None

    def _visible_tensors(self, only_backward: bool) -> list[TensorNode]:
        wanted: set[int] = set()
        for op in self.ops:
            wanted.add(id(op.output))
            wanted.update(id(t) for t in op.inputs if id(t.op) not in self.box_of or t.op is None)
        for box in self.boxes:
            wanted.update(id(t) for t in box.inputs + box.outputs)
        wanted.update(id(t) for t in self.graph.output_nodes)
        if not only_backward and not self.boxes:
            wanted.update(id(t) for t in self.graph.tensors)
        return [t for t in self.graph.tensors if id(t) in wanted]

    # ------------------------------------------------------------------------- drawing

    def draw(self, target: graphviz.Digraph, legend: bool = True) -> None:
        members: dict[tuple[int, ...], list[tuple[str, dict[str, str]]]] = {}
        scopes: dict[tuple[int, ...], tuple[Any, ...]] = {(): ()}

        def put(scope: tuple[Any, ...], node_id: str, attrs: dict[str, str]) -> None:
            key = scope_key(scope)
            for depth in range(len(scope) + 1):
                scopes.setdefault(key[:depth], scope[:depth])
            members.setdefault(key, []).append((node_id, attrs))

        self.copies: dict[tuple[int, int], str] = {}  # (tensor, op) -> the copy of a scalar constant it reads
        for t in self.tensors:
            readers = [c for c in t.consumers if id(c) in self.drawn_ops] if self.is_label(t) else []
            for c in dict.fromkeys(readers):
                copy_id = f"{self.tensor_id(t)}r{c.output.number}"
                self.copies[id(t), id(c)] = copy_id
                attrs = self.tensor_attrs(t)
                put(c.scope, copy_id, {**attrs, "id": copy_id} if "id" in attrs else attrs)
            if not readers or any(id(c) in self.box_of for c in t.consumers):  # also read by a collapsed box
                put(self._tensor_scope(t), self.tensor_id(t), self.tensor_attrs(t))
        for op in self.ops:
            put(op.scope, self.op_id(op), self.op_attrs(op))
        for box in self.boxes:
            put(box.scope, self.box_id(box), self.box_attrs(box))
        self.scope_of = {node_id: key for key, nodes in members.items() for node_id, _ in nodes}
        self.first_op: dict[tuple[int, ...], int] = {}  # cluster -> the number of the first op inside
        for op in reversed(self.ops):
            key = scope_key(op.scope)
            for depth in range(1, len(key) + 1):
                self.first_op[key[:depth]] = op.output.number
        self.clusters = 0
        self._stage_columns(scopes, members)
        self._emit(target, (), members, scopes, depth=0)
        self._edges(target)
        for tail, head in self.spine:
            target.edge(tail, head, style="invis")
        self._boxes_in_rows(target)
        if legend:
            self.draw_legend(target)

    @staticmethod
    def is_label(t: TensorNode) -> bool:
        """A scalar constant, drawn as its value (``4.0``, ``ε = 1e-05``): one copy beside each op
        that reads it, so that no long dashed edge crosses the picture."""
        return t.kind == "constant" and t.shape == () and t.tensor is not None

    def _tensor_scope(self, t: TensorNode) -> tuple[Any, ...]:
        producer_box = self.box_of.get(id(t.op)) if t.op is not None else None
        if producer_box is not None:
            return producer_box.scope
        for box in self.boxes:  # a tensor outside every box, but scoped inside one: draw it next to the box
            if len(t.scope) > len(box.scope) and same_scope(t.scope[len(box.scope)], box.entry):
                return box.scope
        return t.scope

    def _emit(self, target: Any, key: tuple[int, ...], members: dict, scopes: dict, depth: int) -> None:
        for node_id, attrs in members.get(key, []):
            target.node(node_id, **attrs)
        children = [k for k in scopes if len(k) == len(key) + 1 and k[: len(key)] == key]
        children.sort(key=lambda k: self.first_op.get(k, 0))  # in the order they ran
        for child in children:
            entry = scopes[child][-1]
            self.clusters += 1
            with target.subgraph(name=f"cluster_{self.prefix}{self.clusters}") as cluster:
                cluster.attr(
                    label=html_label(self.cluster_label(entry)), labeljust="l", fontsize="12", style="rounded,filled",
                    fillcolor=CLUSTER_FILLS[depth % len(CLUSTER_FILLS)], color="#8a9bb0", fontname=FONT,
                )  # fmt: skip
                self._emit(cluster, child, members, scopes, depth + 1)
                if self.columns and child in self.stage_keys:
                    with cluster.subgraph() as column:
                        column.attr(rank="same")
                        for node_id, _ in members.get(child, []):
                            column.node(node_id)

    def cluster_label(self, entry: Any) -> str:
        if isinstance(entry, Module):
            return self.graph.module_label(entry)
        return STAGE_TITLES.get(entry, str(entry))

    def _stage_columns(self, scopes: dict, members: dict) -> None:
        """Which clusters are named stages (BatchNorm's four), and, in a left-to-right drawing,
        lay each out as one column flowing down, the columns in the order the stages ran. A long
        strip becomes a slide. Graphviz's ranks make this exact: every node of a stage shares one
        rank, an invisible spine orders the stages' ranks, and the edges between sibling stages do
        not constrain ranks (see ``edge``)."""
        self.stage_keys = {k for k, scope in scopes.items() if scope and isinstance(scope[-1], str)}
        self.columns = self.rankdir == "LR" and bool(self.stage_keys)
        self.spine: list[tuple[str, str]] = []
        if not self.columns:
            return
        firsts: dict[tuple[int, ...], list[tuple[int, str]]] = {}
        for key in self.stage_keys:
            numbered = [(self._number(node_id), node_id) for node_id, _ in members.get(key, [])]
            if numbered:
                firsts.setdefault(key[:-1], []).append(min(numbered))
        for heads in firsts.values():
            ordered = [node_id for _, node_id in sorted(heads)]
            self.spine.extend(itertools.pairwise(ordered))

    def _boxes_in_rows(self, target: Any) -> None:
        """In a top-to-bottom drawing, a long run of collapsed modules (a network's layers) is
        laid out in rows of ``ROW`` boxes, read like text, instead of one tall column."""
        if self.rankdir != "TB":
            return
        siblings: dict[tuple[Any, ...], list[Box]] = {}
        for box in self.boxes:
            siblings.setdefault(scope_key(box.scope), []).append(box)
        for boxes in siblings.values():
            if len(boxes) <= ROW:
                continue
            boxes.sort(key=lambda b: b.ops[0].output.number)
            for start in range(0, len(boxes), ROW):
                with target.subgraph() as row:
                    row.attr(rank="same")
                    for box in boxes[start : start + ROW]:
                        row.node(self.box_id(box))

    def _number(self, node_id: str) -> int:
        return int(re.search(r"\d+", node_id[len(self.prefix) :]).group())  # type: ignore[union-attr]

    def edge(self, target: Any, tail: str, head: str, **attrs: str) -> None:
        """An edge. Between sibling stages drawn as columns it does not constrain ranks; inside a
        stage drawn as a column it joins two nodes of one rank, which Graphviz stacks with the
        edge's tail below its head in a left-to-right drawing, so it is given reversed
        (``dir=back`` draws the arrow the right way)."""
        a, b = self.scope_of.get(tail, ()), self.scope_of.get(head, ())
        if self.columns and a == b and a in self.stage_keys:
            target.edge(head, tail, dir="back", **attrs)
            return
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        if self.columns and a[: n + 1] in self.stage_keys and b[: n + 1] in self.stage_keys and len(a) > n < len(b):
            attrs["constraint"] = "false"
        target.edge(tail, head, **attrs)

    def _edges(self, target: graphviz.Digraph) -> None:
        drawn = {id(t) for t in self.tensors}
        for op in self.ops:
            for t in op.inputs:
                if id(t) in drawn:
                    node_id = self.copies.get((id(t), id(op)), self.tensor_id(t))
                    self.edge(target, node_id, self.op_id(op), **self.edge_attrs(t))
                    if self.columns and node_id != self.tensor_id(t):
                        self._just_before(target, node_id, op, drawn)
            if id(op.output) in drawn:
                self.edge(target, self.op_id(op), self.tensor_id(op.output))
        for box in self.boxes:
            for t in box.inputs:
                if id(t) in drawn:
                    self.edge(target, self.tensor_id(t), self.box_id(box), **self.edge_attrs(t))
            for t in box.outputs:
                if id(t) in drawn:
                    self.edge(target, self.box_id(box), self.tensor_id(t))
        for t in self.graph.tensors:  # folded tensors: one edge from their maker to each reader
            if id(t) not in self.folded:
                continue
            assert t.op is not None
            tail = self.endpoint(t.op)
            label = f'<<FONT POINT-SIZE="8" COLOR="#555555">{shape_text(t.shape)}</FONT>>'
            heads = list(dict.fromkeys(self.endpoint(c) for c in t.consumers))
            for head in heads:
                if tail and head and head != tail:
                    self.edge(target, tail, head, label=label)

    def _just_before(self, target: graphviz.Digraph, copy_id: str, op: OpNode, drawn: set[int]) -> None:
        """In a stage drawn as a column, keep a constant's copy beside its reader: right after the
        reader's other input (an invisible edge), not wherever the column has room."""
        for t in op.inputs:
            other = self.tensor_id(t)
            if id(t) in drawn and not self.is_label(t) and self.scope_of.get(other) == self.scope_of.get(copy_id):
                self.edge(target, other, copy_id, style="invis")
                return

    def edge_attrs(self, t: TensorNode) -> dict[str, str]:
        return {"style": "dashed", "color": "#888888"} if t.kind == "constant" else {}

    def draw_legend(self, target: graphviz.Digraph, rows: list[tuple[str, str, bool]] | None = None) -> None:
        """The small table of node styles: this drawing's own rows, or ``rows`` gathered from several."""
        rows = self.legend_rows() if rows is None else rows
        dashed_cell = ' STYLE="dashed"'
        cells = "".join(
            f'<TR><TD BGCOLOR="{colour}" WIDTH="18"{dashed_cell if dashed else ""}> </TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html.escape(words)}</FONT></TD></TR>'
            for colour, words, dashed in rows
        )
        table = f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="2">{cells}</TABLE>>'
        target.node(f"{self.prefix}legend", table, shape="plaintext")

    def legend_rows(self) -> list[tuple[str, str, bool]]:
        """(colour, words, dashed) for each kind of node in the drawing."""
        rows = []
        for kind in TENSOR_STYLE:
            if kind in self.kinds:
                style = TENSOR_STYLE[kind]
                rows.append((style["fillcolor"], LEGEND_WORDS[kind], "dashed" in style["style"]))
        if any(not op.is_backward for op in self.ops):
            rows.append((OP_STYLE["fillcolor"], "op (primitive)", False))
        if any(op.is_backward for op in self.ops):
            rows.append((BACKWARD_OP_STYLE["fillcolor"], "op of the backward pass", False))
        if self.boxes:
            rows.append(("#d5e3f3", "collapsed module or stage", False))
        return rows

    # ------------------------------------------------------------------------- node ids and labels

    def tensor_id(self, t: TensorNode) -> str:
        return f"{self.prefix}t{t.number}"

    def op_id(self, op: OpNode) -> str:
        return f"{self.prefix}op{op.output.number}"

    def box_id(self, box: Box) -> str:
        return f"{self.prefix}box{box.ops[0].output.number}"

    def tensor_attrs(self, t: TensorNode) -> dict[str, str]:
        self.kinds.add(t.kind)
        style = TENSOR_STYLE[t.kind]
        if t.kind == "constant" and t.shape == () and t.tensor is not None:
            value = constant_text(t.tensor.array)
            text = f"{t.symbol} = {value}" if t.symbol else value
            return {"label": html_label(text), "shape": "plaintext", "fontsize": "10", "fontcolor": "#444444"}
        lines = []
        name = display_name(t)
        if name:
            extra = f' <FONT POINT-SIZE="9">{html.escape(t.name)}</FONT>' if t.symbol and t.name else ""
            lines.append(f"<B>{html.escape(name)}</B>{extra}")
        if t.kind == "constant":
            lines.append("constant")
        # Unnamed intermediates say only what differs: their shape, and their dtype if unusual.
        plain = not name and t.kind == "intermediate"
        dtype = "" if t.dtype is None or (plain and t.dtype == self.usual_dtype) else f" {t.dtype}"
        lines.append(f'<FONT POINT-SIZE="9" COLOR="#444444">{shape_text(t.shape)}{dtype}</FONT>')
        lines.extend(self.data_lines(t))
        small = {"height": "0.2", "margin": "0.02,0.01"} if plain and len(lines) == 1 else {}
        width = "2" if "bold" in style["style"] else "1"
        return {"label": "<" + "<BR/>".join(lines) + ">", "shape": "ellipse", "penwidth": width, **style, **small}

    def data_lines(self, t: TensorNode) -> list[str]:
        """Value and gradient statistics, as asked; or why they are missing."""
        small = '<FONT POINT-SIZE="9">{}</FONT>'
        if not (self.show_values or self.show_grads):
            return []
        if t.tensor is None:
            return [small.format("<I>values freed by backward</I>")]
        lines = []
        if self.show_values:
            lines.append(small.format(html.escape(value_text(t.tensor.array))))
        if self.show_grads and t.tensor.requires_grad:
            grad = t.tensor.grad
            if grad is not None:
                lines.append(small.format("∂ " + html.escape(grad_text(grad.array))))
            elif t.is_leaf:
                lines.append(small.format("<I>no .grad yet</I>"))
        return lines

    def op_attrs(self, op: OpNode) -> dict[str, str]:
        settings = op_settings(op.op)
        label = f"<B>{op.name}</B>" + (f'<BR/><FONT POINT-SIZE="8">{html.escape(settings)}</FONT>' if settings else "")
        style = BACKWARD_OP_STYLE if op.is_backward else OP_STYLE
        return {"label": f"<{label}>", "shape": "box", **style}

    def box_attrs(self, box: Box) -> dict[str, str]:
        data_in = [t for t in box.inputs if not t.is_leaf or t.kind in ("input", "leaf")] or box.hidden_inputs
        shapes_in = ", ".join(shape_text(t.shape) for t in data_in) or "—"
        shapes_out = ", ".join(shape_text(t.shape) for t in box.outputs) or "—"
        lines = [f"<B>{html.escape(self.cluster_label(box.entry))}</B>",
                 f'<FONT POINT-SIZE="9">{shapes_in} → {shapes_out}</FONT>',
                 f'<FONT POINT-SIZE="8">{len(box.ops)} op{"s" if len(box.ops) > 1 else ""}</FONT>']  # fmt: skip
        for name, p in box.entry.named_parameters() if isinstance(box.entry, Module) else ():
            text = f"{name} {shape_text(p.shape)}"
            if self.show_grads and p.grad is not None:
                text += f"  ∂ max|g| {grad_text(p.grad.array).rsplit(' ', 1)[-1]}" if p.grad.array.size > 4 else ""
            lines.append(f'<FONT POINT-SIZE="8">{html.escape(text)}</FONT>')
        return {"label": "<" + "<BR/>".join(lines) + ">", "shape": "box", "style": "rounded,filled",
                "fillcolor": "#d5e3f3"}  # fmt: skip
