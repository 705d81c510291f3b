"""Graph drawing, the command line as a newcomer runs it, and PyTorch's edge-case semantics."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.ops
from minigrad import cli, nn, viz
from minigrad.allocator import keep_freed_memory
from tests.helpers import compare_with_torch

ROOT = Path(__file__).resolve().parents[1]
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
    for name in ("batch mean", "batch var", "x^", "gamma", "beta"):
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


def test_demo_runs_offline_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Done: test accuracy ([\d.]+)%", result.stdout).group(1))
    assert accuracy > 90.0
    assert "0 beyond tolerance" in result.stdout


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    code = readme.split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "model.npz").exists()


def test_keep_freed_memory_on_linux():
    assert keep_freed_memory() is sys.platform.startswith("linux")


def test_shape_errors_are_both_value_and_runtime_errors():
    with pytest.raises(RuntimeError, match=r"Add: shapes \(2, 3\) and \(4,\) do not broadcast"):
        minigrad.ones(2, 3) + minigrad.ones(4)
    with pytest.raises(ValueError, match=r"Mul: shapes \(2, 3\) and \(4,\)"):
        minigrad.ones(2, 3) * minigrad.ones(4)
    with pytest.raises(minigrad.ShapeError, match=r"batch dims of shapes \(7, 2, 3\) and \(5, 3, 2\)"):
        minigrad.ones(7, 2, 3) @ minigrad.ones(5, 3, 2)
    with pytest.raises(RuntimeError, match="one element"):
        minigrad.ones(2).item()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy warns about the 0 * inf it computes there
@pytest.mark.parametrize("base", [[0.0, 1.5, 2.0], [0.0, 0.0, 3.0]])
@pytest.mark.parametrize("exponent", [[0.0, 2.0, 0.5], [0.0, 0.0, 1.0]])
def test_pow_edges_match_pytorch(base, exponent):
    """x^0 at x = 0 and 0^b: PyTorch defines these gradients as 0, not nan."""
    compare_with_torch(lambda a, b: a**b, lambda a, b: a**b, np.array(base), np.array(exponent))
    compare_with_torch(lambda a: a**0, lambda a: a**0, np.array(base))


def test_sum_over_empty_dims_reduces_everything():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=()).item() == 10.0


def test_assigning_a_non_parameter_to_a_parameter_name_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        layer.weight = minigrad.zeros(2, 2)
    layer.bias = None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_grad_only_walks_paths_that_lead_to_the_inputs():
    class Exploding(minigrad.ops.Primitive):
        __slots__ = ()

        def forward(self, a):
            return a * 2

        def backward(self, grad, out):
            raise AssertionError("backward ran on a branch that does not lead to the input")

    x = minigrad.tensor(2.0, requires_grad=True)
    w = minigrad.tensor(3.0, requires_grad=True)
    y = x * w + Exploding()(w)
    (dx,) = minigrad.grad(y, x, retain_graph=True)
    assert dx.item() == 3.0
    with pytest.raises(AssertionError, match="does not lead"):
        minigrad.grad(y, w)
