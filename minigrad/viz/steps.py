"""Backward, step by step: one SVG frame per step of the backward pass, and an HTML page to
step through them (previous/next buttons and the arrow keys; it works offline, from a file).

``backward_steps`` replays the engine's loop (``autograd.run_backward``) with the engine's own
pieces (``topological_order``, ``accumulate``, the VJPs), recording what each step does: the
tensor whose gradient is complete, the op whose VJP runs, and what it sends to each input. It
changes nothing: no ``.grad`` is written and the graph is not freed. The graph is laid out once,
so nodes stay where they are from frame to frame; each frame recolours it:

* the tensor being processed and its op (red outline), the edges its gradient goes back along;
* tensors whose gradient is complete (green) with its statistics, and tensors that have
  received some of their contributions so far (yellow), with "1 of 2 contributions";
* where a gradient is the sum of several contributions, which ops sent them.
"""

from __future__ import annotations

import copy
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minigrad.autograd import accumulate, check_graph_is_usable, no_grad, seed_gradients, topological_order
from minigrad.tensor import Tensor
from minigrad.viz.draw import Drawer, new_drawing
from minigrad.viz.graph import Graph, OpNode, TensorNode, key_of
from minigrad.viz.labels import display_name, grad_text, name_nodes

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
# The tensor being processed (outline), done (its gradient passed on), and arrived (all or part of
# its gradient is there, waiting for its turn).
CURRENT, COMPLETE, ARRIVED = "#d62728", "#bfe8bf", "#fff1a8"


@dataclass(eq=False)
class Step:
    """One iteration of the engine's loop: ``node``'s gradient is complete; its op's VJP runs."""

    node: TensorNode
    grad: Any  # the gradient's array
    contributions: list[tuple[OpNode | None, Any]]  # (the op that sent it, or None for the seed; array)
    sent: list[tuple[TensorNode, Any]] = field(default_factory=list)  # (input, the gradient sent to it)


def replay(output: Tensor, gradient: Any = None, names: dict[str, Tensor] | None = None) -> list[Step]:
    """The steps of ``output.backward(gradient)``, without running it. The graph must still be
    there (before backward, or after ``backward(retain_graph=True)``)."""
    graph = Graph([output], names)
    name_nodes(graph)
    return _replay(graph, output, gradient)


def _replay(graph: Graph, output: Tensor, gradient: Any) -> list[Step]:
    (seed,) = seed_gradients([output], [gradient], "backward_steps()")
    grads: dict[int, Any] = {}
    accumulate(grads, output, seed)
    arrived: dict[int, list[tuple[OpNode | None, Any]]] = {id(output): [(None, grads[id(output)].array)]}
    steps = []
    with no_grad():
        for tensor in topological_order([output]):
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            node = graph.by_key[key_of(tensor)]
            step = Step(node, grad.array, arrived.pop(id(tensor), []))
            op = tensor._op
            if op is not None:
                check_graph_is_usable(tensor, op)
                for parent, parent_grad in zip(op.inputs, op.backward(grad, tensor)):
                    if parent_grad is None or not parent.requires_grad:
                        continue
                    fitted: dict[int, Any] = {}
                    accumulate(fitted, parent, parent_grad)  # summed to the input's shape, as the engine does
                    contribution = fitted[id(parent)]
                    accumulate(grads, parent, contribution)
                    parent_node = graph.by_key[key_of(parent)]
                    arrived.setdefault(id(parent), []).append((node.op, contribution.array))
                    step.sent.append((parent_node, contribution.array))
            steps.append(step)
    return steps


def backward_steps(
    output: Tensor,
    out_dir: str | Path,
    gradient: Any = None,
    names: dict[str, Tensor] | None = None,
    params: dict[str, Tensor] | None = None,
    title: str | None = None,
    rankdir: str = "LR",
) -> list[Path]:
    """Write ``step_001.svg``, ... (one per step of ``output.backward(gradient)``) and
    ``index.html`` into ``out_dir``; return the frames' paths. Needs Graphviz's ``dot``.

    >>> import minigrad, tempfile
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> len(backward_steps((x * x).sum(), tempfile.mkdtemp(), names={"x": x}))  # Sum, Mul, then x
    3
    """
    if output.grad_fn is None:
        raise ValueError(f"backward_steps: the tensor (shape {output.shape}) is a leaf, so there is no backward pass")
    if not output.grad_fn.inputs:
        raise ValueError(
            "backward_steps needs the graph, which backward() freed: call it before backward(), "
            "or call backward(retain_graph=True) first"
        )
    graph = Graph([output], names, params)
    name_nodes(graph)
    steps = _replay(graph, output, gradient)
    texts = [frame_texts(steps, k) for k in range(len(steps))]
    captions = [step_caption(steps, k) for k in range(len(steps))]
    widest: dict[int, list[str]] = {}  # room kept in each label for the longest text any frame puts there
    for per_frame in texts:
        for key, lines in per_frame.items():
            kept = widest.setdefault(key, [""] * len(lines))
            widest[key] = [max(a, b, key=len) for a, b in zip(kept, lines)]
    drawing = new_drawing(max(captions, key=len), rankdir)
    drawer = StepDrawer(graph, widest, rankdir)
    drawer.draw(drawing)
    base = ET.fromstring(drawing.pipe(format="svg", quiet=True))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames, inline = [], []
    for k in range(len(steps)):
        path = out / f"step_{k + 1:03d}.svg"
        path.write_bytes(frame(base, drawer, steps, k, texts[k], captions[k]))
        frames.append(path)
        inline.append(frame(base, drawer, steps, k, texts[k], "").decode())  # the page shows the caption itself
    heading = title or f"Backward through {len(graph.ops)} ops, one step at a time ({len(steps)} steps)"
    (out / "index.html").write_text(html_page(heading, inline, captions), encoding="utf-8")
    return frames


class StepDrawer(Drawer):
    """The drawing every frame starts from: each tensor that gets a gradient has room reserved
    in its label for the text frames put there, and every node and edge has an id."""

    def __init__(self, graph: Graph, reserved: dict[int, list[str]], rankdir: str) -> None:
        super().__init__(graph, False, False, (), rankdir=rankdir)
        self.reserved = reserved
        self.edge_ids: dict[tuple[str, str], list[str]] = {}

    def tensor_attrs(self, t: TensorNode) -> dict[str, str]:
        attrs = super().tensor_attrs(t)
        lines = self.reserved.get(id(t), [])
        if lines and attrs["label"].startswith("<"):
            room = "".join(f'<BR/><FONT POINT-SIZE="9">{html.escape(line) or " "}</FONT>' for line in lines)
            attrs["label"] = attrs["label"][:-1] + room + ">"
        return {**attrs, "id": self.tensor_id(t)}

    def op_attrs(self, op: OpNode) -> dict[str, str]:
        return {**super().op_attrs(op), "id": self.op_id(op)}

    def legend_rows(self) -> list[tuple[str, str, bool]]:
        states = [(COMPLETE, "gradient passed on", False), (ARRIVED, "gradient arrived (all or part), waiting", False)]
        return states + super().legend_rows()

    def edge(self, target: Any, tail: str, head: str, **attrs: str) -> None:
        ids = self.edge_ids.setdefault((tail, head), [])
        ids.append(f"e_{tail}_{head}_{len(ids)}")
        super().edge(target, tail, head, id=ids[-1], **attrs)


def frame_texts(steps: list[Step], k: int) -> dict[int, list[str]]:
    """What each tensor that gets a gradient says at step ``k``: its gradient once complete,
    how many of its contributions have arrived before that."""
    totals = {id(s.node): len(s.contributions) for s in steps}
    received: dict[int, list[Any]] = {}
    for s in steps[: k + 1]:
        for target, grad in s.sent:
            received.setdefault(id(target), []).append(grad)
    texts = {}
    for position, s in enumerate(steps):
        total = totals[id(s.node)]
        lines = ["∂ not yet"] + ([""] if total > 1 else [])
        if position <= k or len(received.get(id(s.node), ())) == total:  # complete: all its contributions are in
            lines = ["∂ " + short_stats(s.grad)] + ([f"= the sum of {total} contributions"] if total > 1 else [])
        elif id(s.node) in received:
            got = received[id(s.node)]
            lines = [f"{len(got)} of {total} contributions so far", "∂ so far " + short_stats(sum(got))]
        texts[id(s.node)] = lines
    return texts


def short_stats(grad: Any) -> str:
    """Gradient statistics short enough for a frame: the values for up to 4 elements, else the
    mean, the standard deviation and the largest magnitude."""
    text = grad_text(grad)
    return text.replace(", std ", "  sd ").replace(", max|g| ", "  max ")


def step_caption(steps: list[Step], k: int) -> str:
    step = steps[k]
    name = display_name(step.node) or f"%{step.node.number}"
    name = f"({name})" if " " in name else name  # ∂L/∂(x − μ)
    count = len(step.contributions)
    if step.contributions and step.contributions[0][0] is None:
        arrival = f"the seed ∂L/∂{name} starts the pass"
    elif count > 1:
        arrival = f"∂L/∂{name} is complete: the sum of {count} contributions ({via_list(step)})"
    else:
        arrival = f"∂L/∂{name} is complete ({via_list(step)})"
    if step.node.op is None:
        return f"Step {k + 1} of {len(steps)}: {arrival}; {name} is a leaf, so it goes into {name}.grad"
    targets = ", ".join(display_name(t) or f"%{t.number}" for t, _ in step.sent) or "no input that needs one"
    return f"Step {k + 1} of {len(steps)}: {arrival}; the VJP of {step.node.op.name} sends gradients to {targets}"


def via_list(step: Step) -> str:
    parts = []
    for op, _ in step.contributions:
        if op is not None:
            out = display_name(op.output)
            parts.append(f"from {op.name}" + (f" of {out}" if out else ""))
    return ", ".join(parts)


def frame(base: ET.Element, drawer: StepDrawer, steps: list[Step], k: int, texts: dict[int, list[str]],
          caption: str) -> bytes:  # fmt: skip
    """The SVG of step ``k``: the base drawing, recoloured, with the reserved text filled in."""
    svg = copy.deepcopy(base)
    step = steps[k]
    groups = {g.get("id"): g for g in svg.iter(f"{{{SVG}}}g")}
    for position, s in enumerate(steps):
        group = groups.get(drawer.tensor_id(s.node))
        if group is None:
            continue
        lines = texts[id(s.node)]
        label = group.findall(f"{{{SVG}}}text")
        outline = group.find(f"{{{SVG}}}ellipse")
        for element, line in zip(label[len(label) - len(lines) :], lines):  # the reserved lines end the label
            element.text = line
            if outline is not None:  # centred under the lines above it, whatever its length
                element.set("x", outline.get("cx", element.get("x", "0")))
                element.set("text-anchor", "middle")
        if position <= k:
            _restyle(group, fill=COMPLETE)
        elif not lines[0].startswith("∂ not"):
            _restyle(group, fill=ARRIVED)
    current = [drawer.tensor_id(step.node)] + ([drawer.op_id(step.node.op)] if step.node.op else [])
    for node_id in current:
        _restyle(groups.get(node_id), stroke=CURRENT, width="3")
    if step.node.op is not None:
        op_id = drawer.op_id(step.node.op)
        edges = [(drawer.tensor_id(target), op_id) for target, _ in step.sent] + [(op_id, drawer.tensor_id(step.node))]
        for pair in edges:
            for edge_id in drawer.edge_ids.get(pair, []):
                _restyle(groups.get(edge_id), stroke=CURRENT, width="2.5", edge=True)
    graph_group = next(g for g in svg.iter(f"{{{SVG}}}g") if g.get("class") == "graph")
    title = graph_group.find(f"{{{SVG}}}text")  # the drawing's title: this step's caption
    if title is not None:
        title.text = caption
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True)


def _restyle(group: ET.Element | None, fill: str | None = None, stroke: str | None = None, width: str | None = None,
             edge: bool = False) -> None:  # fmt: skip
    if group is None:
        return
    for shape in group:
        tag = shape.tag.split("}")[-1]
        if tag in ("ellipse", "polygon", "path"):
            if fill and not edge:
                shape.set("fill", fill)
            if stroke:
                shape.set("stroke", stroke)
                if edge and tag == "polygon":
                    shape.set("fill", stroke)  # the arrowhead
            if width:
                shape.set("stroke-width", width)
            if not edge:
                break  # a node's outline comes first


# ----------------------------------------------------------------------------- the page


def html_page(title: str, frames: list[str], captions: list[str]) -> str:
    """One self-contained page: every frame inline, a few lines of script, no external resource."""
    bodies = []
    for k, svg in enumerate(frames):
        inline = inline_svg(svg)
        bodies.append(f'<figure class="frame" id="frame{k}"{"" if k == 0 else " hidden"}>{inline}</figure>')
    caption_list = ",".join(_js_string(c) for c in captions)
    return PAGE.format(title=html.escape(title), frames="\n".join(bodies), captions=caption_list, count=len(frames))


def inline_svg(svg: str) -> str:
    """An SVG file's markup for inlining in HTML: without its XML prolog, doctype and comments,
    namespace declarations (HTML needs none) or fixed size (the page scales it)."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s(xmlns(:\w+)?)="[^"]*"', "", svg)
    svg = re.sub(r'(<svg[^>]*?)\s(width|height)="[^"]*"', r"\1", svg, count=1)
    return re.sub(r'(<svg[^>]*?)\s(width|height)="[^"]*"', r"\1", svg, count=1).strip()


def _js_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\u003c") + '"'


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em 2em; color: #222; }}
  h1 {{ font-size: 1.3em; margin: 0 0 .4em; }}
  nav {{ display: flex; gap: .8em; align-items: center; margin: .4em 0; }}
  button {{ font-size: 1em; padding: .3em 1em; }}
  #caption {{ font-size: 1.05em; min-height: 2.6em; margin: .4em 0; }}
  figure {{ margin: 0; }}
  figure svg {{ width: 100%; height: auto; max-height: 78vh; }}
  .hint {{ color: #777; font-size: .85em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<nav>
  <button id="previous" title="left arrow">&larr; previous</button>
  <button id="next" title="right arrow">next &rarr;</button>
  <span id="counter"></span>
  <span class="hint">arrow keys step; Home and End jump</span>
</nav>
<p class="hint"><b style="color:#d62728">red outline</b>: the tensor whose gradient the engine passes on now,
  and its op &nbsp; <span style="background:#bfe8bf">&nbsp;green&nbsp;</span>: gradient passed on &nbsp;
  <span style="background:#fff1a8">&nbsp;yellow&nbsp;</span>: gradient arrived (all or part), waiting its turn</p>
<p id="caption"></p>
{frames}
<script>
  const captions = [{captions}];
  const count = {count};
  let shown = 0;
  function show(k) {{
    k = Math.max(0, Math.min(count - 1, k));
    document.getElementById("frame" + shown).hidden = true;
    document.getElementById("frame" + k).hidden = false;
    shown = k;
    document.getElementById("counter").textContent = "step " + (k + 1) + " of " + count;
    document.getElementById("caption").textContent = captions[k];
  }}
  document.getElementById("previous").onclick = () => show(shown - 1);
  document.getElementById("next").onclick = () => show(shown + 1);
  document.addEventListener("keydown", (event) => {{
    const moves = {{ArrowLeft: shown - 1, ArrowRight: shown + 1, Home: 0, End: count - 1}};
    if (event.key in moves) {{ show(moves[event.key]); event.preventDefault(); }}
  }});
  show(0);
</script>
</body>
</html>
"""
