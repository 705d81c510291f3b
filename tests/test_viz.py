"""minigrad.viz: drawing the graph behind a tensor, and the ``minigrad graph`` command."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import minigrad
from minigrad import cli, viz

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)


def test_draw_graph_shows_ops_tensors_and_names():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    w = minigrad.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).exp().sum()
    source = viz.draw_graph(y, names={"x": x, "w": w}).source
    for op in ("Mul", "Exp", "Sum"):
        assert op in source
    assert 'label="x\n2"' in source and 'label="w\n2"' in source
    assert source.count("->") == 7  # x, w -> Mul -> t -> Exp -> t -> Sum -> y
    assert len(re.findall(r"op\d+ \[label=", source)) == 3


def test_batchnorm_graph_has_three_paths_out_of_x():
    graph = viz.batchnorm_graph((4, 3))
    x_node = next(line.split()[0] for line in graph.body if 'label="x\n' in line)
    edges_from_x = [line for line in graph.body if line.strip().startswith(f"{x_node} ->")]
    assert len(edges_from_x) == 2  # into the batch mean's Sum and into x - mean: the variance path goes via x - mean
    for name in ("batch mean", "batch var", "x - mean", "scale", "gamma", "beta"):
        assert name in graph.source


@needs_dot
def test_batchnorm_graph_renders_with_dot(tmp_path):
    path = viz.batchnorm_graph().render(tmp_path / "bn", format="svg", cleanup=True)
    svg = Path(path).read_text()
    assert svg.lstrip().startswith("<?xml") and "batch mean" in svg


@needs_dot
def test_cli_graph_writes_the_file(tmp_path):
    out = tmp_path / "bn.png"
    assert cli.main(["graph", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_cli_graph_without_an_extension_writes_svg(tmp_path):
    assert cli.main(["graph", "--out", str(tmp_path / "bn")]) == 0
    assert (tmp_path / "bn.svg").read_text().lstrip().startswith("<?xml")
