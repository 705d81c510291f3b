"""minigrad.viz: forward graphs grouped by module, the graph of a gradient, backward step by
step, the listing, notebooks, and the ``minigrad graph`` command."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import cli, nn, viz
from minigrad.viz import command
from minigrad.viz.batchnorm import RECOMPUTED, batchnorm_example, batchnorm_gradient
from minigrad.viz.graph import Graph
from minigrad.viz.labels import grad_text, number
from minigrad.viz.steps import replay

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)


def clusters(source: str) -> list[dict]:
    """Each cluster of a DOT source: its label, depth, and the labels of the nodes inside it
    (nested clusters' nodes included)."""
    found, stack = [], []
    for line in source.splitlines():
        inside = [c for c in stack if c is not None]
        if re.match(r"\s*subgraph cluster_", line):
            stack.append({"label": "", "nodes": [], "parent": inside[-1] if inside else None})
            found.append(stack[-1])
        elif line.strip().endswith("{"):
            stack.append(None)  # a group that is not a cluster (rank=same)
        elif line.strip() == "}" and stack:
            stack.pop()
        elif stack and stack[-1] and re.match(r"\s*(color|fillcolor|fontname|label)=", line) and not stack[-1]["label"]:
            stack[-1]["label"] = re.search(r"label=<(.*?)>( |$)", line).group(1)
        else:
            node = re.match(r"\s*(\w+) \[.*label=<(.*)>", line)
            if node:
                for cluster in inside:
                    cluster["nodes"].append(node.group(2))
    return found


def ops_in(cluster: dict) -> set[str]:
    """The names of the op boxes in a cluster (bold, capitalised: Sum, Mul, ...)."""
    return {m.group(1) for text in cluster["nodes"] for m in [re.match(r"<B>([A-Z]\w+)</B>", text)] if m}


# ----------------------------------------------------------------------------- the forward graph


def test_draw_graph_keeps_todays_call_and_draws_every_tensor_and_op():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    w = minigrad.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).exp().sum()
    source = viz.draw_graph(y, names={"x": x, "w": w}).source
    for op in ("Mul", "Exp", "Sum"):
        assert f"<B>{op}</B>" in source
    assert "<B>x</B>" in source and "<B>w</B>" in source and "(2,) float32" in source
    assert len(re.findall(r"^\s*t\d+ -> op\d+|^\s*op\d+ -> t\d+", source, re.M)) == 7  # x, w -> Mul -> Exp -> Sum -> y


def test_the_batchnorm_graph_groups_its_primitives_in_the_module_and_its_stages():
    source = viz.batchnorm_graph((2, 3, 2, 2)).source
    found = clusters(source)
    (module,) = [c for c in found if c["label"] == "BatchNorm2d"]
    assert {"Sum", "Div", "Neg", "Add", "Mul", "Pow", "Reshape"} <= ops_in(module)  # mean, subtract, square, eps, rsqrt
    stages = [c for c in found if c["parent"] is module]
    # the derived route folds gamma into the per-channel scale s = gamma / sqrt(var + eps)
    assert [c["label"].split()[0] for c in stages] == ["mean", "variance", "inverse", "scale", "scale"]
    assert ops_in(stages[0]) == {"Sum", "Div"} and "Pow" in ops_in(stages[2])
    for symbol in ("s", "σ²", "μ", "ε = 1e-05", "γ", "β", "x − μ", "1/√(σ² + ε)"):
        assert symbol in source, symbol
    assert "weight" in source and "bias" in source  # the parameters' names


def layout(drawing) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str]]]:
    """Where dot puts each node (x, y; y grows upwards), and each visible edge as (from, to) in
    the direction data flows (an edge given reversed with dir=back is turned round)."""
    laid = json.loads(drawing.pipe(format="json"))
    nodes = {o["_gvid"]: o for o in laid["objects"] if "pos" in o}
    where = {o["name"]: tuple(map(float, o["pos"].split(","))) for o in nodes.values()}
    edges = []
    for e in laid.get("edges", []):
        if e.get("style") == "invis" or e["tail"] not in nodes or e["head"] not in nodes:
            continue
        ends = (nodes[e["tail"]]["name"], nodes[e["head"]]["name"])
        edges.append(ends[::-1] if e.get("dir") == "back" else ends)
    return where, edges


@needs_dot
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_each_batchnorm_stage_reads_top_down_with_its_constants_beside_their_ops(shape):
    where, edges = layout(viz.batchnorm_graph(shape))
    in_columns = [(a, b) for a, b in edges if where[a][0] == where[b][0]]
    assert len(in_columns) >= 20
    for a, b in in_columns:  # data flows down every stage's column
        assert where[a][1] > where[b][1], (a, b)
    source = viz.batchnorm_graph(shape).source
    m = "4.0" if shape == (4, 3) else "8.0"
    mean, variance = [c for c in clusters(source) if c["label"].startswith(("mean", "variance"))]
    assert m in mean["nodes"] and m in variance["nodes"]  # a copy of m beside each Div, not one far away


def test_constants_are_written_as_numbers_and_shapes_in_parentheses():
    source = viz.batchnorm_graph((4, 5)).source
    assert "<4.0>" in source and "<-0.5>" in source  # the scalar 4 (m) and the exponent
    assert "(5,) float64" in source and "(1, 5)" in source  # γ of shape (5,), never a bare 5


def test_parameters_are_named_from_the_modules_or_from_params():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    y = model(minigrad.randn(5, 3)).sum()
    assert "0.weight" in viz.draw_graph(y).source and "2.bias" in viz.draw_graph(y).source
    renamed = viz.draw_graph(y, params={"first": model[0].weight}).source
    assert "<B>first</B>" in renamed


def test_module_clusters_nest_and_a_collapsed_module_is_one_node():
    inner = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model = nn.Sequential(inner, nn.ReLU())
    y = model(minigrad.randn(6, 3)).sum()
    found = clusters(viz.draw_graph(y).source)
    labels = {c["label"]: c for c in found}
    assert labels["0: Sequential"]["parent"] is labels["Sequential"]
    assert labels["0.1: BatchNorm1d"]["parent"] is labels["0: Sequential"]
    for spec in ("0.1", nn.BatchNorm1d, "BatchNorm1d"):
        source = viz.draw_graph(y, collapse=[spec]).source
        assert "0.1: BatchNorm1d" in source and "normalize" not in source and "<B>Pow</B>" not in source
        box = [line for line in source.splitlines() if "0.1: BatchNorm1d" in line]
        assert len(box) == 1 and "(6, 4) → (6, 4)" in box[0]
    whole = viz.draw_graph(y, collapse=["0", "1"]).source
    assert "<B>MatMul</B>" not in whole and whole.count("rounded,filled") >= 2


def test_gradient_statistics_after_backward_equal_the_gradients():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    loss = nn.functional.cross_entropy(model(minigrad.randn(8, 3)), minigrad.tensor([0, 1, 1, 0, 1, 0, 0, 1]))
    before = viz.draw_graph(loss).source.count("<B>")
    loss.backward()
    source = viz.draw_graph(loss, show_values=True, show_grads=True).source
    assert source.count("<B>") == before  # backward kept the graph's structure
    for name, p in model.named_parameters():
        g = p.grad.array.astype(np.float64)
        expected = (f"mean {number(g.mean())}, std {number(g.std())}, max|g| {number(np.abs(g).max())}"
                    if g.size > 4 else grad_text(g))  # fmt: skip
        assert expected in source, name
    assert "values freed by backward" in source


@needs_dot
def test_a_collapsed_model_reads_like_its_list_of_layers():
    drawing = command.training_step_graph("mlp-bn", collapse=True)
    where, _ = layout(drawing)
    boxes = {re.search(r"<B>(\d+): ", line).group(1): node for line in drawing.source.splitlines()
             for node in re.findall(r"^\s*(box\d+) \[", line) if re.search(r"<B>\d+: ", line)}  # fmt: skip
    first_row = [where[boxes[str(k)]] for k in range(1, 6)]
    assert all(a[1] == b[1] and a[0] < b[0] for a, b in itertools.pairwise(first_row)), first_row
    source = drawing.source
    assert "ε" not in source and "<0.0>" not in source  # scalars only the layers read are inside them
    assert "(8, 10) → scalar" in source  # the loss takes the logits; what it derives from labels is inside


def test_numbers_on_labels_have_no_negative_zero():
    x = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = minigrad.tensor([0.5, 0.5, -1.0], requires_grad=True)
    (x * w).relu().sum().backward()  # the ReLU's gradient has -0.0 where w is negative
    source = viz.draw_graph((x * w).relu().sum(), names={"x": x}, show_grads=True).source
    assert "∂ [0.5, 0, 0]" in source and "-0" not in source


def test_the_listing_numbers_every_op():
    example = batchnorm_example((4, 3))
    text = viz.listing(example.y, names={"x": example.x})
    assert text.splitlines()[0].startswith("%x  (4, 3) float64")
    assert "%μ = Div(%1, 4.0)  # (1, 3) float64  [BatchNorm1d / mean]" in text
    assert "%s = Mul(" in text and text.rstrip().endswith("output")  # the scale, gamma / sqrt(var + eps)
    assert repr(text) == str(text)  # shown as lines at the prompt


def test_drawing_a_leaf_is_a_clear_error():
    with pytest.raises(ValueError, match="has no graph: it is a leaf"):
        viz.draw_graph(minigrad.tensor([1.0], requires_grad=True))


def test_a_huge_graph_without_collapse_warns_and_names_the_option():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(1100):
        y = y * 1.0
    with pytest.warns(UserWarning, match="collapse="):
        viz.draw_graph(y)


def test_tensors_never_display_a_graph_unless_asked():
    y = minigrad.tensor([1.0], requires_grad=True) * 2
    assert not hasattr(y, "_repr_mimebundle_") and not hasattr(y, "_repr_svg_")
    assert isinstance(viz.show(y), viz.Drawing)


def test_a_drawing_in_a_notebook_without_dot_shows_its_listing(monkeypatch, tmp_path):
    y = minigrad.tensor([1.0, 2.0], requires_grad=True).exp().sum()
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    bundle = viz.draw_graph(y)._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "Exp(" in bundle["text/plain"] and "install graphviz" in bundle["text/plain"]


@needs_dot
def test_a_drawing_in_a_notebook_is_an_svg():
    y = minigrad.tensor([1.0, 2.0], requires_grad=True).exp().sum()
    assert "<svg" in viz.draw_graph(y)._repr_mimebundle_()["image/svg+xml"]


# ----------------------------------------------------------------------------- the graph of the gradient


def test_the_derived_gradient_has_more_ops_than_the_fused_formula_and_reads_forward_tensors():
    counts = {}
    for fused in (False, True):
        grads = batchnorm_gradient(batchnorm_example((4, 3), fused))
        backward_ops = [op for op in Graph(list(grads.values())).ops if op.is_backward]
        counts[fused] = sum(not set(op.scope) & set(RECOMPUTED) for op in backward_ops)  # the formula itself
    assert counts[False] > counts[True] > 0
    example = batchnorm_example((4, 3))
    source = viz.draw_backward(batchnorm_gradient(example), names=example.names).source
    centered = re.search(r"^\s*(t\d+) \[label=<<B>x − μ</B>", source, re.M).group(1)
    scale = re.search(r"^\s*(t\d+) \[label=<<B>s</B>", source, re.M).group(1)
    for forward in (centered, scale):  # each is read by ops of the backward pass, drawn in their own colour
        assert re.search(rf"^\s*{forward} -> op\d+", source, re.M)
    assert "#ffc98a" in source and "∂L/∂x" in source


def test_the_fused_gradient_names_epsilon_and_both_sides_share_one_legend():
    fused = viz.batchnorm_backward_graph((4, 3), fused=True).source
    assert "ε = 1e-05" in fused and "σ² + ε" in fused and "σ² + 1e-05" not in fused
    both = viz.batchnorm_backward_graphs((4, 3)).source
    legend = [line for line in both.splitlines() if "legend" in line]
    assert len(legend) == 1
    for words in ("op of the backward pass", "parameter", "leaf that requires grad", "collapsed module or stage"):
        assert words in legend[0], words  # the fused side's kinds too


def test_draw_backward_needs_a_gradient_with_a_graph():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (dx,) = minigrad.grad((x * x).sum(), x)
    with pytest.raises(ValueError, match="create_graph=True"):
        viz.draw_backward(dx)


# ----------------------------------------------------------------------------- backward step by step


def test_replay_follows_the_engine_and_sums_contributions():
    example = batchnorm_example((4, 3))
    steps = replay(example.y, example.dy, names=example.names)
    example.y.backward(example.dy, retain_graph=True)
    by_name = {step.node.symbol or step.node.name: step for step in steps}
    np.testing.assert_allclose(by_name["x"].grad, example.x.grad.array)
    assert len(by_name["x"].contributions) == 2  # through the mean and through x − μ
    assert len(by_name["x − μ"].contributions) == 2  # directly, and through the variance
    assert len(steps) == 16  # 13 ops' outputs and x, γ, β


def test_backward_steps_needs_the_graph():
    y = (minigrad.tensor([1.0], requires_grad=True) * 2).sum()
    y.backward()
    with pytest.raises(ValueError, match="retain_graph=True"):
        viz.backward_steps(y, "unused")


@needs_dot
def test_backward_steps_writes_one_frame_per_step_and_an_offline_page(tmp_path):
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = (h + h * x).sum()  # h is read twice: its gradient is the sum of two contributions
    frames = viz.backward_steps(y, tmp_path, names={"x": x, "h": h})
    assert len(frames) == len(replay(y)) and x.grad is None  # nothing written to .grad
    texts = [f.read_text() for f in frames]
    for text in texts:
        ET.fromstring(text.encode())
    assert any("= the sum of 2 contributions" in t for t in texts) and "1 of 2 contributions so far" in "".join(texts)
    page = (tmp_path / "index.html").read_text()
    assert "http" not in page and page.count("<svg") == len(frames) and "ArrowRight" in page


# ----------------------------------------------------------------------------- the command line


@needs_dot
@pytest.mark.parametrize("extra", [[], ["--backward"], ["--fused", "--dim", "2d", "--grads", "--values"]])
def test_cli_graph_bn_writes_an_svg(tmp_path, extra):
    out = tmp_path / "f.svg"
    assert cli.main(["graph", "bn", *extra, "-o", str(out)]) == 0
    assert ET.parse(out).getroot().tag.endswith("svg")


@needs_dot
def test_cli_graph_steps(tmp_path, capsys):
    assert cli.main(["graph", "bn", "--steps", str(tmp_path / "steps")]) == 0
    example = batchnorm_example(command.SHAPES["1d"])
    assert len(list((tmp_path / "steps").glob("step_*.svg"))) == len(replay(example.y, example.dy))
    assert "http" not in (tmp_path / "steps" / "index.html").read_text()


@needs_dot
def test_cli_graph_model_collapsed(tmp_path):
    out = tmp_path / "lenet.svg"
    assert cli.main(["graph", "model", "--model", "lenet-bn", "--collapse", "-o", str(out)]) == 0
    svg = out.read_text()
    assert "12: Linear" in svg and "CrossEntropyLoss" in svg and "max|g|" in svg


@needs_dot
def test_cli_graph_keeps_its_old_form(tmp_path):
    assert cli.main(["graph", "--out", str(tmp_path / "bn.png")]) == 0
    assert (tmp_path / "bn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["graph", "--out", str(tmp_path / "bn")]) == 0
    assert (tmp_path / "bn.svg").read_text().lstrip().startswith("<?xml")


def test_cli_graph_writes_dot_source_without_needing_dot(tmp_path):
    assert cli.main(["graph", "bn", "-o", str(tmp_path / "bn.dot")]) == 0
    assert (tmp_path / "bn.dot").read_text().startswith("digraph")


def test_cli_graph_without_dot_writes_the_source_and_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(command.shutil, "which", lambda name: None)
    assert cli.main(["graph", "bn", "-o", str(tmp_path / "bn.svg")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "install Graphviz" in error and "bn.dot" in error
    assert (tmp_path / "bn.dot").read_text().startswith("digraph") and not (tmp_path / "bn.svg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bn.dot"]  # no stray extensionless file


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["graph", "model", "--model", "resnet"], "unknown --model 'resnet'"),
        (["graph", "model"], "needs --model"),
        (["graph", "bn", "-o", "f.gif"], "unknown extension .gif"),
        (["graph", "tree"], "unknown drawing 'tree'"),
        (["graph", "bn", "--dim", "3d"], "unknown --dim"),
        (["graph", "bn", "--collapse"], "with 'minigrad graph model'"),
        (["graph", "model", "--model", "mlp-bn", "--fused"], "with 'minigrad graph bn'"),
        (["graph", "bn", "-o", "no/such/folder/f.svg"], "does not exist"),
    ],
)
def test_cli_graph_bad_input_is_one_line_and_exit_code_2(argv, message, capsys):
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_draw_graph_accepts_a_module_in_training_after_several_steps_without_warnings():
    model = minigrad.models.mlp_bn(4, 3)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(minigrad.randn(6, 4)), minigrad.tensor([0, 1, 2, 0, 1, 2]))
            loss.backward()
            optimizer.step()
        source = viz.draw_graph(loss, show_grads=True, collapse=[nn.BatchNorm1d]).source
    assert source.count("BatchNorm1d") == 2  # both BN layers, collapsed


@needs_dot
def test_the_examples_in_graphs_md_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = (Path(__file__).resolve().parents[1] / "docs" / "graphs.md").read_text()
    namespace: dict = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, "docs/graphs.md", "exec"), namespace)
    for name in ("mlp.svg", "batchnorm.svg", "batchnorm_gradient.svg", "gradients.svg", "bn_steps/index.html"):
        assert (tmp_path / name).stat().st_size > 0
    listed = capsys.readouterr().out
    shown = re.search(r"```\n(%x.*?)\.\.\.\n```", text, re.S).group(1)  # an excerpt: a fence without a language
    assert listed.startswith(shown)  # the listing on the page is what the code prints
