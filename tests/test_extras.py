"""Graph drawing, the command line as a newcomer runs it, and PyTorch's edge-case semantics."""

from __future__ import annotations

import json
import os
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
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's minigrad, wherever it is installed
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "demo"], cwd=tmp_path, env=environment, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Done: test accuracy ([\d.]+)%", result.stdout).group(1))
    assert accuracy > 97.0  # LeNet-BN after one epoch of the built-in digits
    assert "0 beyond tolerance" in result.stdout
    assert re.search(r"BatchNorm check, layer 1 BatchNorm2d\(32\) .* max relative error \S+ \(float64\): agree",
                     result.stdout)  # fmt: skip
    out = tmp_path / "runs" / "demo"
    assert f"Everything is in {Path('runs') / 'demo'}/" in result.stdout
    graph = "batchnorm_graph.svg" if shutil.which("dot") else "batchnorm_graph.dot"
    assert (out / graph).exists() and (out / "metrics.json").exists()
    assert json.loads((out / "metrics.json").read_text())["epochs"][0]["test_acc"] > 0.97


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


# ----------------------------------------------------------------------------- fixes from review


def test_gradcheck_works_on_any_memory_layout():
    fortran = minigrad.tensor(np.random.default_rng(0).standard_normal((3, 4)).T, requires_grad=True)
    assert minigrad.gradcheck(lambda t: (t * t).sum(), (fortran,))
    broadcast = minigrad.Tensor(np.broadcast_to(np.arange(3.0), (2, 3)), requires_grad=True)
    assert minigrad.gradcheck(lambda t: (t * t).sum(), (broadcast,))
    assert not broadcast.data.flags.writeable  # the input is restored, untouched


def test_each_leaf_owns_a_writable_grad():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.data *= 0.5  # gradient clipping by hand must not touch b's gradient
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_grad_returns_one_gradient_per_input_even_when_repeated():
    x = minigrad.tensor(2.0, requires_grad=True)
    assert [g.item() for g in minigrad.grad(x * x, [x, x])] == [4.0, 4.0]


def test_no_grad_works_as_a_bare_decorator():
    @minigrad.no_grad
    def double(t):
        return t * 2

    assert not double(minigrad.tensor(1.0, requires_grad=True)).requires_grad


def test_every_reduction_takes_numpy_names():
    x = minigrad.tensor(np.arange(12.0).reshape(3, 4))
    assert x.max(axis=1, keepdims=True).values.shape == (3, 1)
    assert x.amax(axis=1).shape == (3,) and x.amin(axis=0).shape == (4,)
    assert x.std(axis=0).shape == (4,) and x.var(axis=0, keepdims=True).shape == (1, 4)
    assert x.argmax(axis=1).tolist() == [3, 3, 3]
    assert x.softmax(axis=1).shape == x.log_softmax(axis=1).shape == (3, 4)
    assert x.logsumexp(axis=1).shape == (3,)


def test_small_dtype_and_shape_rules_follow_pytorch():
    assert (minigrad.tensor([True, False]) + 1).tolist() == [2, 1]
    with pytest.raises(RuntimeError, match="-1 is not allowed for the new leading dims"):
        minigrad.randn(3).expand(-1, 3)
    assert minigrad.randint(10, (3,)).shape == (3,) and minigrad.randint(2, 5, (2,)).dtype == minigrad.int64


def test_layer_argument_errors_are_clear():
    import minigrad.nn.functional as F

    with pytest.raises(ValueError, match="groups must be a positive int, got 0"):
        nn.Conv2d(2, 2, 3, groups=0)
    with pytest.raises(ValueError, match="stride must be an int or a pair of ints, each >= 1, got 0"):
        nn.Conv2d(2, 2, 3, stride=0)
    with pytest.raises(ValueError, match=r"conv2d: bias has shape \(2,\), expected \(3,\)"):
        F.conv2d(minigrad.randn(1, 2, 5, 5), minigrad.randn(3, 2, 3, 3), minigrad.randn(2))
    with pytest.raises(ValueError, match="class weights are not supported"):
        F.cross_entropy(minigrad.randn(2, 3), minigrad.tensor([0, 1]), minigrad.ones(3))
    with pytest.raises(ValueError, match="class weights are not supported"):
        nn.CrossEntropyLoss(minigrad.ones(3))
    with pytest.raises(TypeError):  # PyTorch's 4th positional is ceil_mode; ours is keyword-only
        nn.AvgPool2d(3, 2, 1, False)


def test_checkpoint_files_get_normal_permissions_and_foreign_files_clear_errors(tmp_path):
    import os

    path = tmp_path / "model.npz"
    minigrad.save({"w": minigrad.ones(2)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    np.save(tmp_path / "array.npy", np.ones(2))
    with pytest.raises(minigrad.CheckpointError, match=r"array\.npy: not a minigrad checkpoint \(a single .npy"):
        minigrad.load(tmp_path / "array.npy")
    (tmp_path / "notes.npz").write_text("hello there")
    with pytest.raises(minigrad.CheckpointError, match=r"notes\.npz: not a minigrad checkpoint \(not an .npz"):
        minigrad.load(tmp_path / "notes.npz")


@needs_dot
def test_cli_graph_without_an_extension_writes_svg(tmp_path):
    assert cli.main(["graph", "--out", str(tmp_path / "bn")]) == 0
    assert (tmp_path / "bn.svg").read_text().lstrip().startswith("<?xml")


def test_keep_freed_memory_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("MINIGRAD_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False


@pytest.mark.parametrize("last_epoch", [-1, 4, 7])
def test_cosine_schedule_resumes_like_pytorch(last_epoch):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    ours = minigrad.optim.SGD([minigrad.tensor([1.0], requires_grad=True)], lr=0.1)
    theirs = torch.optim.SGD([torch.tensor([1.0], requires_grad=True)], lr=0.1)
    if last_epoch >= 0:
        ours.param_groups[0]["initial_lr"] = theirs.param_groups[0]["initial_lr"] = 0.1
    schedule = minigrad.optim.lr_scheduler.CosineAnnealingLR(ours, 10, last_epoch=last_epoch)
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, 10, last_epoch=last_epoch)
    for _ in range(25):
        assert schedule.get_last_lr() == pytest.approx(reference.get_last_lr(), abs=1e-15)
        theirs.step()
        schedule.step()
        reference.step()


def test_to_cpu_is_a_no_op_and_other_devices_are_refused():
    model = nn.Linear(2, 2)
    x = minigrad.ones(2)
    assert model.to("cpu") is model and x.to("cpu") is x
    with pytest.raises(RuntimeError, match="CPU only: cannot move to device 'cuda:0'"):
        x.to("cuda:0")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    assert model.to(minigrad.float64).weight.dtype == minigrad.float64
