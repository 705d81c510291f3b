"""The BatchNorm lesson: ``check_batchnorm`` and ``minigrad check-bn`` (the check, ``--impl``,
``--mistake``, ``--derive``), the exercises, and the statements docs/batchnorm.md makes.

Each mistake of the gallery must fail exactly the rows listed in ``EXPECTED`` (in every layout
and dtype of that row), and nothing else; minigrad's two routes and the exercise solutions must
pass every row.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.checks import bncheck, bnderive, bnmistakes
from minigrad.checks.bnimpl import ImplementationError, from_function, load_function
from minigrad.cli import main
from tests.helpers import TORCH_MISSING

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason=TORCH_MISSING)

REPO = Path(__file__).resolve().parents[1]
EXERCISES = REPO / "examples" / "exercises"
FIRST, SECOND, RUNNING, PATHS = "first order", "second order", "running stats", "paths"
DIRECT, MEAN, VARIANCE = bncheck.PATH_NAMES

# mistake -> {(table, mode, setting, against): the failing columns}. Every other row passes.
FORWARD_WRONG = {
    (FIRST, "train", "", "definition"): "y dx dgamma",  # dbeta = sum dy does not see the forward
    (FIRST, "train", "", "PyTorch"): "y dx dgamma",  # finite differences pass: same wrong forward
    (SECOND, "train", "", "closed form"): "x gamma",
    (SECOND, "train", "", "PyTorch"): "x gamma",
    (PATHS, "train", DIRECT, "closed form"): "dx",
    (PATHS, "train", MEAN, "closed form"): "dx",
    (PATHS, "train", VARIANCE, "closed form"): "dx",
}


def detached(path: str) -> dict[tuple[str, str, str, str], str]:
    """A detached statistic: the forward is right, dx (only) is wrong, and so is H v."""
    rows = {(FIRST, "train", "", against): "dx" for against in ("definition", "finite diff", "PyTorch")}
    rows.update({(SECOND, "train", "", against): "x gamma" for against in ("finite diff", "closed form", "PyTorch")})
    rows[(PATHS, "train", path, "closed form")] = "dx"
    return rows


def running(columns: str) -> dict[tuple[str, str, str, str], str]:
    settings = ("momentum=0.1", "momentum=None")
    return {
        (RUNNING, "train", setting, against): columns for setting in settings for against in ("definition", "PyTorch")
    }


EXPECTED = {
    "unbiased-variance": FORWARD_WRONG,
    "eps-outside-sqrt": FORWARD_WRONG,
    "mean-detached": detached(MEAN),
    "variance-detached": detached(VARIANCE),
    "mean-detached-in-variance": {(SECOND, "train", "", a): "x" for a in ("finite diff", "closed form", "PyTorch")},
    "biased-running-variance": running("running_var"),
    "momentum-reversed": running("running_mean running_var"),
    "eval-uses-batch-stats": {
        (FIRST, "eval", "", "definition"): "y dx dgamma",
        (FIRST, "eval", "", "PyTorch"): "y dx dgamma",
        (SECOND, "eval", "", "closed form"): "x gamma",
        (SECOND, "eval", "", "PyTorch"): "x gamma",
    },
}


def failing_rows(report: bncheck.BatchNormReport) -> dict[tuple[str, str, str, str], str]:
    """Each failing kind of row and its failing columns; asserts that a kind fails in every
    layout and dtype or in none (the tables in docs/batchnorm.md rely on it)."""
    found: dict[tuple[str, str, str, str], set[str]] = {}
    for row in report.failures():
        found.setdefault(row.kind, set()).update(row.failing)
    for kind in found:
        rows = [c for c in report.comparisons if c.kind == kind]
        assert all(not c.passed for c in rows), f"{kind} fails in only some layouts or dtypes"
    return {kind: " ".join(sorted(columns, key=bncheck.COLUMN_ORDER.index)) for kind, columns in found.items()}


# ----------------------------------------------------------------------------- minigrad's own routes


@needs_torch
def test_both_routes_pass_every_row_and_nothing_is_skipped():
    out = io.StringIO()
    report = minigrad.check_batchnorm(cost_shape=(4, 2, 3, 3), file=out)
    assert report.passed and not report.skipped[1:]  # only the fused route's paths cannot run
    assert report.skipped[0].implementation == "fused (b)" and report.skipped[0].table == PATHS
    for route in ("derived (a)", "fused (b)"):
        rows = [c for c in report.comparisons if c.implementation == route]
        kinds = {c.kind for c in rows}
        for table, against in [(FIRST, "definition"), (FIRST, "finite diff"), (FIRST, "PyTorch")]:
            assert {(table, mode, "", against) for mode in ("train", "eval")} <= kinds
            assert sum(c.table == table and c.against == against for c in rows) == 3 * 2 * 2  # layouts, modes, dtypes
        for against in ("finite diff", "closed form", "PyTorch"):
            assert sum(c.table == SECOND and c.against == against for c in rows) == 3 * 2
        assert sum(c.table == RUNNING for c in rows) == 3 * 3 * 2  # (0.1, None, eval) x (definition, PyTorch)
        assert all("y" in c.rel_errors for c in rows if c.table == FIRST and c.against != "finite diff")
    assert set(report.paths) == {DIRECT, MEAN, VARIANCE, "sum of paths - dx"}
    assert all(error < 1e-12 for error in report.paths.values())
    assert report.costs["fused (b)"]["nodes"] == 1 < report.costs["derived (a)"]["nodes"]
    text = out.getvalue()
    assert "Running statistics" in text and "Second order" in text and text.rstrip().endswith("within tolerance")


def test_a_broken_closed_form_fails_its_rows(monkeypatch):
    from minigrad.nn import batchnorm

    original = batchnorm.FusedBatchNorm.backward

    def wrong_backward(self, grad, out):
        dx, dgamma, dbeta = original(self, grad, out)
        return dx * 1.001, dgamma, dbeta

    monkeypatch.setattr(batchnorm.FusedBatchNorm, "backward", wrong_backward)
    report = minigrad.check_batchnorm(impl="fused", dtypes=("float64",), verbose=False)
    rows = failing_rows(report)
    assert rows[(FIRST, "train", "", "definition")] == "dx" and rows[(FIRST, "eval", "", "finite diff")] == "dx"
    assert report.hints["fused (b)"][:2] == [  # no mistake of the gallery matches: the pattern speaks
        "the forward is right but dx disagrees with finite differences of your own forward, so the backward is "
        "wrong: a value detached or computed outside the graph (.array, numpy, .detach()), or a mistake in a "
        "hand-written backward",
        "eval mode differs from the definition: it must normalise with running_mean and running_var",
    ]


def test_an_unknown_mistake_in_the_running_statistics_is_described_by_its_rows():
    def update_twice(input, running_mean, running_var, momentum, eps):
        for _ in range(2):
            bnmistakes.minigrads_update(input, running_mean, running_var, momentum, eps)

    impl = bnmistakes.with_mistake("updates twice", update=update_twice)
    report = minigrad.check_batchnorm(impl=impl, dtypes=("float64",), verbose=False)
    assert {c.table for c in report.failures()} == {RUNNING}
    assert report.hints["updates twice"] == [
        "running_mean and running_var differ from the definition: running = (1 - momentum) running + momentum "
        "batch, with the unbiased batch variance (times m / (m - 1)) for running_var; eval mode leaves them alone"
    ]


def test_a_wrong_forward_that_is_no_known_mistake_is_described_by_its_rows():
    def scaled(x, gamma, beta, eps):
        axes, shape = (0, *range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)
        x_hat = (x - x.mean(axes, keepdim=True)) / (x.var(axes, keepdim=True, correction=0) + eps).sqrt()
        return gamma.reshape(shape) * x_hat * 1.01 + beta.reshape(shape)

    report = minigrad.check_batchnorm(impl=scaled, dtypes=("float64",), verbose=False)
    (hint,) = report.hints["scaled"]
    assert hint.startswith("forward differs from the definition (by up to ") and "biased batch variance" in hint


# ----------------------------------------------------------------------------- the gallery


@pytest.mark.parametrize("name", list(bnmistakes.MISTAKES))
def test_each_mistake_fails_exactly_its_rows(name):
    report = minigrad.check_batchnorm(mistake=name, verbose=False)
    expected = {k: v for k, v in EXPECTED[name].items() if torch is not None or k[3] != "PyTorch"}
    assert failing_rows(report) == expected  # without PyTorch, its rows say why instead (a test below)
    assert report.hints[name] == [bnmistakes.MISTAKES[name].hint]  # and the check names it


def test_without_torch_every_torch_row_says_why_at_every_order():
    code = textwrap.dedent(
        """
        import io, sys
        sys.modules["torch"] = None  # as if PyTorch were not installed
        import minigrad
        out = io.StringIO()
        report = minigrad.check_batchnorm(impl="derived", dtypes=("float64",), file=out)
        assert report.passed, out.getvalue()
        tables = {s.table for s in report.skipped if "not installed" in s.reason}
        assert tables == {"first order", "running stats", "second order"}, tables
        text = out.getvalue()
        for header in ("First order", "Running statistics", "Second order"):
            section = text.split(header, 1)[1].split("\\n\\n", 1)[0]
            assert "(not installed: pip install torch==2.13.0)" in section, header
        report = minigrad.check_batchnorm(mistake="mean-detached-in-variance", dtypes=("float64",), verbose=False)
        assert {(c.against) for c in report.failures()} == {"finite diff", "closed form"}
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@needs_torch
def test_cli_mistake_prints_the_failing_rows_and_exits_1(capsys):
    assert main(["check-bn", "--mistake", "mean-detached-in-variance"]) == 1
    summary = capsys.readouterr().out.split("rows disagree", 1)[1]
    assert re.findall(r"^  second order\s+train\s+vs (finite diff|closed form|PyTorch)\s+x\s", summary, re.M) == [
        "finite diff", "closed form", "PyTorch",
    ]  # fmt: skip
    assert "is the mean detached inside the variance?" in summary and "FAILED" in summary


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--mistake", "no-such"], "unknown mistake 'no-such'; the mistakes are: unbiased-variance, eps-outside-sqrt"),
        (["--mistake", "mean-detached", "--derive"], "choose one of --impl, --mistake and --derive"),
        (["--definition", "lite"], "--definition lite checks your own function: add --impl FILE.py:FUNCTION"),
        (["--definition", "nope", "--impl", "a.py:f"], "unknown definition 'nope'; choose one of: batchnorm, lite"),
        (["--impl", "my_bn.py"], "--impl expects FILE.py:FUNCTION (or one of derived, fused), got 'my_bn.py'"),
        (["--impl", "missing.py:bn"], "--impl missing.py:bn: no such file missing.py"),
    ],
)
def test_cli_usage_errors_are_one_line_with_exit_2(argv, message, capsys):
    assert main(["check-bn", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"minigrad check-bn: error: {message}") and captured.err.count("\n") == 1
    assert not captured.out


# ----------------------------------------------------------------------------- your own BatchNorm

HEADER = """\
import numpy as np
from minigrad import Tensor, ops
from minigrad.nn.batchnorm import channel_layout, normalize

"""


def student(*lines: str) -> str:
    """A student's file: bn(x, gamma, beta, eps) made of ``lines``, ending in y from x_hat."""
    body = ["axes, shape = (0, *range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)", *lines]
    if not lines[-1].startswith("return"):
        body.append("return gamma.reshape(shape) * x_hat + beta.reshape(shape)")
    return "def bn(x, gamma, beta, eps):\n" + "".join(f"    {line}\n" for line in body)


STUDENTS = {  # name -> (file, exit code, the sentence the check must say)
    "correct": (
        student(
            "mean = x.mean(axes, keepdim=True)",
            "var = ((x - mean) ** 2).mean(axes, keepdim=True)",
            "x_hat = (x - mean) / (var + eps).sqrt()",
        ),
        0,
        "rows agree",
    ),
    "unbiased": (
        student("x_hat = (x - x.mean(axes, keepdim=True)) / (x.var(axes, keepdim=True) + eps).sqrt()"),
        1,
        "forward differs from the definition: did you use the unbiased variance?",
    ),
    "eps outside": (
        student(
            "std = x.var(axes, keepdim=True, correction=0).sqrt()",
            "x_hat = (x - x.mean(axes, keepdim=True)) / (std + eps)",
        ),
        1,
        "is eps outside the square root?",
    ),
    "mean from numpy": (
        student(
            "mean = Tensor(x.array.mean(axis=axes, keepdims=True))",
            "x_hat = (x - mean) / (((x - mean) ** 2).mean(axes, keepdim=True) + eps).sqrt()",
        ),
        1,
        "dx misses the path through the batch mean: is the mean detached",
    ),
    "variance detached": (
        student(
            "mean = x.mean(axes, keepdim=True)",
            "var = ((x - mean) ** 2).mean(axes, keepdim=True).detach()",
            "x_hat = (x - mean) / (var + eps).sqrt()",
        ),
        1,
        "dx misses the path through the batch variance",
    ),
    "mean detached in the variance": (
        student(
            "mean = x.mean(axes, keepdim=True)",
            "var = ((x - mean.detach()) ** 2).mean(axes, keepdim=True)",
            "x_hat = (x - mean) / (var + eps).sqrt()",
        ),
        1,
        "second derivatives are not: is the mean detached inside the variance?",
    ),
    "statistics over axis 0": (
        student(
            "mean = x.mean(0, keepdim=True)",
            "x_hat = (x - mean) / (((x - mean) ** 2).mean(0, keepdim=True) + eps).sqrt()",
        ),
        1,
        "forward is right for (N, C) input but not for (N, C, L) or (N, C, H, W)",
    ),
    "lite against batchnorm": (
        student("x_hat = x - x.mean(axes, keepdim=True)"),
        1,
        "forward matches the lite BatchNorm",
    ),
    "returns numpy": (student("return np.zeros(x.shape)"), 1, "returned numpy.ndarray, not a minigrad Tensor"),
    "wrong shape": (student("return x.mean(0)"), 1, "returned shape (3,) for x of shape (8, 3): y is shaped like x"),
    "raises": (student("return x.no_such_method()"), 1, "raised AttributeError"),
    "no eps": (
        "def bn(x, gamma, beta):\n    return x * 1.0\n",
        1,
        "bn takes (x, gamma, beta): the check calls fn(x, gamma, beta, eps), four arguments",
    ),
    "keepdim forgotten": (  # right for (N, C) by broadcasting; wrong shapes for (N, C, L)
        student(
            "mean = x.mean(axes)",
            "x_hat = (x - mean) / (((x - mean) ** 2).mean(axes) + eps).sqrt()",
            "return gamma * x_hat + beta",
        ),
        1,
        "raised ShapeError: ",
    ),
}
BACKWARD_FROM_ARRAYS = '''
class Constants(ops.Primitive):
    """A closed-form backward computed from saved arrays: right at first order only."""

    def forward(self, x, gamma, beta):
        self.stages = normalize(x, 1e-5)
        return self.stages.x_hat * gamma.reshape(channel_layout(x)[1]) + beta.reshape(channel_layout(x)[1])

    def backward(self, grad, out):
        x, gamma, beta = self.inputs
        axes, shape, m = channel_layout(x)
        x_hat, inv_std = Tensor(self.stages.x_hat), Tensor(self.stages.inv_std)  # constants: no graph
        s1, s2 = grad.sum(axes, keepdim=True), (grad * x_hat).sum(axes, keepdim=True)
        return gamma.reshape(shape) * inv_std / m * (m * grad - s1 - x_hat * s2), s2.reshape(-1), s1.reshape(-1)


def bn(x, gamma, beta, eps):
    return Constants()(x, gamma, beta)
'''


def write_student(tmp_path: Path, source: str) -> str:
    path = tmp_path / "my_bn.py"
    path.write_text(HEADER + source)
    return f"{path}:bn"


@pytest.mark.parametrize("student", list(STUDENTS))
def test_impl_says_in_words_what_is_wrong(student, tmp_path):
    body, code, sentence = STUDENTS[student]
    function = load_function(write_student(tmp_path, body))
    out = io.StringIO()
    try:
        report = minigrad.check_batchnorm(impl=function, dtypes=("float64",), file=out)
    except ImplementationError as error:
        assert code == 1 and sentence in str(error)
        if student == "raises":
            assert "(my_bn.py line " in str(error)  # where, in the student's file
        return
    assert report.passed == (code == 0)
    text = out.getvalue()
    if code == 0:
        assert f"bn: all {len(report.comparisons)} rows agree" in text and "bn" not in report.hints
        assert len(report.comparisons) == (18 if torch is not None else 12)  # 3 layouts x 6 references (2 torch)
    else:
        assert sentence in " ".join(report.hints["bn"])
        assert all(f"  -> {hint}\n" in text for hint in report.hints["bn"])  # printed under the summary


def test_impl_a_backward_from_saved_arrays_fails_only_second_order(tmp_path):
    function = load_function(write_student(tmp_path, BACKWARD_FROM_ARRAYS))
    report = minigrad.check_batchnorm(impl=function, dtypes=("float64",), verbose=False)
    assert {c.table for c in report.failures()} == {SECOND}
    assert report.hints["bn"][0].startswith("first derivatives are right but second derivatives are not: the backward")


def test_cli_impl_runs_a_student_file(tmp_path, capsys):
    spec = write_student(tmp_path, STUDENTS["unbiased"][0])
    assert main(["check-bn", "--impl", spec]) == 1
    out = capsys.readouterr().out
    assert "== bn (my_bn.py)" in out and "-> forward differs from the definition: did you use the unbiased" in out
    assert "eval mode: not checked: fn(x, gamma, beta, eps) computes training mode" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("def bn(x:\n", "my_bn.py line 1: SyntaxError"),
        ("def other(x, gamma, beta, eps):\n    return x\n", "has no function 'bn' (it defines: other)"),
        ("import no_such_module\n", "importing"),
    ],
)
def test_impl_file_errors_are_one_line_with_exit_2(text, message, tmp_path, capsys):
    (tmp_path / "my_bn.py").write_text(text)
    assert main(["check-bn", "--impl", f"{tmp_path / 'my_bn.py'}:bn"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_from_function_checks_what_comes_back():
    impl = from_function(lambda x, gamma, beta, eps: x.detach() * 1.0, "detached")
    with pytest.raises(ImplementationError, match="does not depend on x in the graph"):
        bncheck.forward_and_gradients(impl, minigrad.checks.bnreference.inputs((4, 3), "float64", 0), True)


# ----------------------------------------------------------------------------- the exercises

EXERCISE_FUNCTIONS = {
    "bn_forward.py": "batch_norm_forward",
    "bn_backward_by_nodes.py": "batch_norm_by_nodes",
    "bn_closed_form.py": "batch_norm_closed_form",
    "bn_lite.py": "batch_norm_lite",
}


def exercise_argv(folder: Path, name: str) -> list[str]:
    argv = ["check-bn", "--impl", f"{folder / name}:{EXERCISE_FUNCTIONS[name]}"]
    return argv + (["--definition", "lite"] if name == "bn_lite.py" else [])


def test_the_exercises_are_the_documented_ones():
    assert sorted(p.name for p in EXERCISES.glob("*.py")) == sorted(EXERCISE_FUNCTIONS)
    assert sorted(p.name for p in (EXERCISES / "solutions").glob("*.py")) == sorted(EXERCISE_FUNCTIONS)


@pytest.mark.parametrize("name", list(EXERCISE_FUNCTIONS))
def test_each_solution_passes(name, capsys):
    assert main(exercise_argv(EXERCISES / "solutions", name)) == 0
    assert "PASSED" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(EXERCISE_FUNCTIONS))
def test_each_stub_fails_with_a_helpful_line(name, capsys):
    assert main(exercise_argv(EXERCISES, name)) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err + captured.out
    assert f"{EXERCISE_FUNCTIONS[name]} ({name}) is not written yet: exercise" in captured.err
    assert f"examples/exercises/{name}" in captured.err  # where to write it


# ----------------------------------------------------------------------------- --derive


def test_derive_every_stage_matches_its_formula():
    report = bnderive.derive_batchnorm(verbose=False)
    assert list(report.nodes) == ["dy", "dbeta", "dscale", "dgamma", "dinv_std", "dvar", "d(x - mu)", "dmu", "dx"]
    assert max(report.nodes.values()) < 1e-12 and max(report.paths.values()) < 1e-12
    assert report.mean_variance_first < 1e-12  # the route mean -> variance: zero at first order
    assert report.mean_variance_second > 1e-3  # and not at second
    assert report.passed


def test_derive_listing_names_every_stage(capsys):
    assert main(["check-bn", "--derive"]) == 0
    out = capsys.readouterr().out
    listing = out.split("1. The derived route's forward", 1)[1].split("\n\n", 1)[0]
    stages = [m.group(1) for m in re.finditer(r"# \(.*?\) float64 +(\S.*)$", listing, re.M)]
    assert stages == [
        "mu", "x - mu", "var", "inv_std = 1/sqrt(var + eps)", "scale = gamma inv_std", "y = (x - mu) scale + beta",
    ]  # fmt: skip
    assert "%1 = sum(%x, axes=(0,), keepdim=True)" in listing and "sumofproducts(%4, %4" in listing
    assert "2. The gradient of L at every stage" in out and "PASSED" in out


def test_derive_lists_the_graph_that_the_derived_route_records():
    """The listing is F.batch_norm's own graph (fused=False), op for op, with the same shape
    (4, 3): if the route changes, --derive (and the docs' copy of its listing) change with it."""
    leaves, y = graph_of_x()
    report = bnderive.derive_batchnorm(verbose=False)
    assert [line.split("#")[0] for line in bnderive.listing(y, leaves)] == [
        line.split("#")[0] for line in report.listing
    ]


# ----------------------------------------------------------------------------- the docs' statements


def graph_of_x(fused: bool = False) -> tuple[dict[str, minigrad.Tensor], minigrad.Tensor]:
    """The leaves x, gamma, beta (x of shape (4, 3)) and y = F.batch_norm of them, training mode."""
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    gamma, beta = (minigrad.tensor(np.ones(3), requires_grad=True) for _ in range(2))
    return {"x": x, "gamma": gamma, "beta": beta}, F.batch_norm(x, None, None, gamma, beta, training=True, fused=fused)


def test_the_graph_has_two_edges_out_of_x_and_four_routes_to_y():
    """Counted in the real graph of F.batch_norm (whatever ops the derived route is made of)."""
    leaves, y = graph_of_x()
    x = leaves["x"]
    edges = [t for t in bnderive.forward_order(y) for p in minigrad.autograd.parents(t) if p is x]
    assert len(edges) == 2
    assert len(bnderive.routes(x, y)) == 4
    leaves, y = graph_of_x(fused=True)
    assert len(bnderive.routes(leaves["x"], y)) == 1  # the fused op: one edge, one route


def test_the_docs_say_what_the_graph_holds():
    text = (REPO / "docs" / "batchnorm.md").read_text()
    report = bnderive.derive_batchnorm(verbose=False)
    words = {2: "two", 3: "three", 4: "four"}
    assert f"x has {words[len(report.edges_out_of_x)]} edges" in text
    assert f"{words[len(report.routes)]} routes from x to y" in text
    assert "three edges" not in text
    table = text.split("| route | role of x |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table.splitlines()]
    drawn = {route.replace(" → ", " -> ").replace("−", "-") for route, _ in rows}
    assert drawn == set(report.route_stages)  # the docs' routes are the graph's, stage by stage
    (zero,) = [route for route, role in zip(report.route_stages, report.routes) if role.startswith("through the mean")]
    assert [role for route, role in rows if route.replace(" → ", " -> ").replace("−", "-") == zero] == [
        "the mean into the variance: exactly zero"
    ]
    assert set(report.routes) == {
        "direct",
        "through the batch mean",
        "through the batch variance",
        "through the mean into the variance: zero, d var/d mu = -2/m sum(x - mu) = 0",
    }


def test_the_docs_listing_is_the_derive_listing():
    text = (REPO / "docs" / "batchnorm.md").read_text()
    block = text.split("<!-- derive listing -->", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert block.rstrip("\n").splitlines() == bnderive.derive_batchnorm(verbose=False).listing


def test_the_docs_code_blocks_run():
    text = (REPO / "docs" / "batchnorm.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    for number, code in enumerate(blocks):
        exec(compile(code, f"docs/batchnorm.md python block {number}", "exec"), {})


DOC_COLUMNS = [  # the columns of the gallery's table in docs/batchnorm.md, after the mistake's name
    (FIRST, "definition"),
    (FIRST, "finite diff"),
    (FIRST, "PyTorch"),
    (RUNNING, "definition"),
    (SECOND, "finite diff"),
    (SECOND, "closed form"),
    (SECOND, "PyTorch"),
    (PATHS, "closed form"),
]
SHORT_PATHS = {DIRECT: "direct", MEAN: "mean", VARIANCE: "variance"}


def doc_cell(expected: dict[tuple[str, str, str, str], str], table: str, against: str) -> str:
    """'mode: columns' of the failing rows of one column of the table ('' when all pass)."""
    kinds = {k: v for k, v in expected.items() if k[0] == table and k[3] == against}
    if not kinds:
        return ""
    (mode,) = {k[1] for k in kinds}
    if table == PATHS:
        return f"{mode}: " + " ".join(SHORT_PATHS[k[2]] for k in kinds)
    (columns,) = set(kinds.values())  # the same columns for every setting (momentum 0.1 and None)
    return f"{mode}: {columns}"


def test_the_docs_mistake_table_is_the_test_table():
    """The gallery's table in docs/batchnorm.md says, cell by cell, what EXPECTED says."""
    text = (REPO / "docs" / "batchnorm.md").read_text()
    table = text.split("<!-- mistakes table -->\n", 1)[1].split("\n\n", 1)[0]
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table.splitlines()[2:]]
    rows = {row[0].strip("`"): row[1:] for row in cells}
    assert list(rows) == list(EXPECTED)
    for name, row in rows.items():
        assert row == [doc_cell(EXPECTED[name], table, against) for table, against in DOC_COLUMNS], name
        covered = {(t, a) for t, a in DOC_COLUMNS} | {(RUNNING, "PyTorch")}
        assert {(k[0], k[3]) for k in EXPECTED[name]} <= covered  # the table leaves no failing row out
        running_rows = {k[2:]: v for k, v in EXPECTED[name].items() if k[0] == RUNNING}
        assert {k[1] for k in running_rows} <= {"definition", "PyTorch"}
