"""The proof that a BatchNorm is right: ``minigrad.check_batchnorm()`` / ``minigrad check-bn``.

It checks an implementation (minigrad's two routes by default, a mistake from the gallery with
``mistake=``, or your own ``fn(x, gamma, beta, eps)`` with ``impl=``) on BN1d (N, C) and (N, C, L)
and BN2d (N, C, H, W), in train and eval mode, against its references (``bnreference.py``):

  first order   y against the definition and PyTorch; dx, d(gamma), d(beta) of L = sum(y * dy)
                against the closed form, central finite differences of the implementation's own
                forward, and PyTorch (float64 and float32);
  running stats running_mean and running_var after several training steps (momentum 0.1, and
                None: the cumulative average), and unchanged by eval steps, against the definition
                and PyTorch;
  second order  Hessian-vector products against finite differences of the implementation's own
                gradient, the closed form, and PyTorch's double backward (float64);
  paths         dx split by autodiff into its three paths (direct, through the batch mean, through
                the batch variance), against their formulas.

A row that cannot run says why (PyTorch not installed, a function without eval mode). When rows
fail, the report says in words what is probably wrong (``report.hints``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from minigrad.autograd import grad, topological_order
from minigrad.checks import bnreference as ref
from minigrad.checks.bnimpl import DERIVED, FUSED, ROUTES, Implementation, ImplementationError, from_function
from minigrad.checks.bnmistakes import MISTAKES
from minigrad.checks.bnreference import EPS, Definition, Values
from minigrad.checks.finite_differences import central_differences
from minigrad.nn.batchnorm import channel_layout, normalize, scale_normalized
from minigrad.tensor import Tensor

__all__ = ["BatchNormReport", "Comparison", "ImplementationError", "Skipped", "check_batchnorm", "graph_cost"]

CONFIGS = {"BN1d (N,C)": (8, 3), "BN1d (N,C,L)": (4, 3, 5), "BN2d (N,C,H,W)": (4, 3, 3, 3)}
PATHS_CONFIG = "BN2d (N,C,H,W)"
EVAL_STEPS = 2
TORCH_MISSING = "not installed: pip install torch==2.13.0"
GRADIENTS = ("x", "weight", "bias")
COLUMNS = {
    "first order": {"y": "y", "x": "dx", "weight": "dgamma", "bias": "dbeta"},
    "running stats": {"running_mean": "running_mean", "running_var": "running_var"},
    "second order": {"x": "x", "weight": "gamma", "bias": "beta"},
    "paths": {"dx": "dx"},
}
COLUMN_ORDER = list(dict.fromkeys(label for table in COLUMNS.values() for label in table.values()))
# Largest allowed max|error| / max|reference|, per (table, against, dtype). Finite differences
# have an O(eps^2) error (about 1e-10 relative in float64); float32 rounds at about 1e-7.
TOLERANCE = {
    ("first order", "definition", "float64"): 1e-10,
    ("first order", "finite diff", "float64"): 1e-6,
    ("first order", "PyTorch", "float64"): 1e-10,
    ("first order", "definition", "float32"): 1e-5,
    ("first order", "finite diff", "float32"): 1e-4,
    ("first order", "PyTorch", "float32"): 1e-5,
    ("running stats", "definition", "float64"): 1e-10,
    ("running stats", "PyTorch", "float64"): 1e-10,
    ("second order", "finite diff", "float64"): 1e-6,
    ("second order", "closed form", "float64"): 1e-10,
    ("second order", "PyTorch", "float64"): 1e-10,
    ("paths", "closed form", "float64"): 1e-10,
    ("paths", "autodiff dx", "float64"): 1e-10,
}


@dataclass
class Comparison:
    """One row: the implementation against one reference, column by column."""

    implementation: str
    table: str  # "first order", "running stats", "second order", "paths"
    config: str
    mode: str
    dtype: str
    against: str
    abs_errors: dict[str, float]  # per column: max |implementation - reference|
    rel_errors: dict[str, float]  # the same divided by max |reference|
    tolerance: float
    setting: str = ""  # running stats: the momentum; paths: which path

    @property
    def failing(self) -> list[str]:
        """The columns beyond tolerance (NaN counts as beyond)."""
        return [COLUMNS[self.table][k] for k, e in self.rel_errors.items() if not e <= self.tolerance]

    @property
    def passed(self) -> bool:
        return not self.failing

    @property
    def kind(self) -> tuple[str, str, str, str]:
        """(table, mode, setting, against): what the row checks, whatever the layout and dtype."""
        return self.table, self.mode, self.setting, self.against


@dataclass
class Skipped:
    """A row (or a whole table) that could not run, and why."""

    implementation: str
    table: str
    mode: str
    against: str
    reason: str


@dataclass
class BatchNormReport:
    """What ``check_batchnorm`` found; ``passed`` is False if any row disagreed."""

    comparisons: list[Comparison] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    costs: dict[str, dict[str, float]] = field(default_factory=dict)
    paths: dict[str, float] = field(default_factory=dict)  # the derived route's dx paths: name -> max |error|
    hints: dict[str, list[str]] = field(default_factory=dict)  # per implementation: what is probably wrong

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)

    def failures(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.passed]


# ----------------------------------------------------------------------------- running an implementation


def _leaves(values: Values, dtype: str | None = None, requires_grad: bool = True) -> dict[str, Tensor]:
    return {k: Tensor(values[k].astype(dtype or values[k].dtype), requires_grad=requires_grad) for k in GRADIENTS}


def _run(impl: Implementation, values: Values, training: bool, leaves: dict[str, Tensor]) -> Tensor:
    dtype = leaves["x"].array.dtype
    running = [Tensor(values[k].astype(dtype)) for k in ("running_mean", "running_var")]  # copies: no drift
    return impl.batch_norm(leaves["x"], *running, leaves["weight"], leaves["bias"], training=training, eps=EPS)


def _arrays(gradients: tuple[Any, ...], leaves: dict[str, Tensor]) -> dict[str, np.ndarray]:
    """Gradients as arrays; None (an input the output does not depend on) as zeros."""
    return {k: np.zeros(t.shape) if g is None else g.array for (k, t), g in zip(leaves.items(), gradients)}


def forward_and_gradients(impl: Implementation, values: Values, training: bool) -> dict[str, np.ndarray]:
    """y, and dx, d(gamma), d(beta) of L = sum(y * dy) by one backward pass."""
    leaves = _leaves(values)
    y = _run(impl, values, training, leaves)
    result = {"y": y.array}
    result.update(_arrays(grad(y, list(leaves.values()), Tensor(values["dy"]), allow_unused=True), leaves))
    return result


def finite_difference_gradients(impl: Implementation, values: Values, training: bool) -> dict[str, np.ndarray]:
    """The same gradients by central differences of the implementation's own L, in float64."""
    base = {k: values[k].astype(np.float64) for k in (*GRADIENTS, "running_mean", "running_var", "dy")}
    leaves = _leaves(base, requires_grad=False)  # nudged in place by central_differences

    def loss() -> list[np.ndarray]:
        return [np.asarray(np.sum(_run(impl, base, training, leaves).array * base["dy"]))]

    return {k: central_differences(loss, leaves[k].array)[0].reshape(base[k].shape) for k in GRADIENTS}


def hessian_vector_product(impl: Implementation, values: Values, training: bool) -> dict[str, np.ndarray]:
    """H v of L = sum(y * dy) in (x, gamma, beta), by differentiating the gradient (float64)."""
    leaves = _leaves(values, "float64")
    y = _run(impl, values, training, leaves)
    first = grad((y * Tensor(values["dy"].astype(np.float64))).sum(), list(leaves.values()), create_graph=True,
                 allow_unused=True)  # fmt: skip
    terms = [(g * Tensor(values["direction"][k])).sum() for k, g in zip(leaves, first) if g is not None]
    along_v = sum(terms[1:], terms[0]) if terms else None
    if along_v is None or not along_v.requires_grad:  # the gradient is a constant: H = 0
        return {k: np.zeros(t.shape) for k, t in leaves.items()}
    return _arrays(grad(along_v, list(leaves.values()), allow_unused=True), leaves)


def finite_difference_hvp(impl: Implementation, values: Values, training: bool, eps: float = 1e-6):
    """(grad(theta + eps v) - grad(theta - eps v)) / 2 eps, with the implementation's own gradient."""

    def shifted(sign: float) -> dict[str, np.ndarray]:
        moved = dict(values)
        moved.update({k: values[k].astype(np.float64) + sign * eps * values["direction"][k] for k in GRADIENTS})
        moved["dy"] = values["dy"].astype(np.float64)
        return forward_and_gradients(impl, moved, training)

    plus, minus = shifted(1.0), shifted(-1.0)
    return {k: (plus[k] - minus[k]) / (2 * eps) for k in GRADIENTS}


def running_statistics(impl: Implementation, values: Values, momentum: float | None) -> tuple[np.ndarray, np.ndarray]:
    """running_mean and running_var after ``ref.STEPS`` training batches (float64); momentum
    None is the cumulative average, momentum 1/k at step k, as ``nn.BatchNorm`` passes it."""
    running = [Tensor(values[k].astype(np.float64)) for k in ("running_mean", "running_var")]
    weight, bias = (Tensor(values[k].astype(np.float64)) for k in ("weight", "bias"))
    for k, batch in enumerate(values["batches"], start=1):
        step = 1.0 / k if momentum is None else momentum
        impl.batch_norm(Tensor(batch.astype(np.float64)), *running, weight, bias, training=True, momentum=step, eps=EPS)
    return running[0].array, running[1].array


def running_statistics_after_eval(impl: Implementation, values: Values) -> tuple[np.ndarray, np.ndarray]:
    """running_mean and running_var after ``EVAL_STEPS`` eval batches: they must not move."""
    running = [Tensor(values[k].astype(np.float64)) for k in ("running_mean", "running_var")]
    for batch in values["batches"][:EVAL_STEPS]:
        impl.batch_norm(Tensor(batch.astype(np.float64)), *running, training=False, eps=EPS)
    return running[0].array, running[1].array


PATH_NAMES = ("direct through x^", "through the batch mean", "through the batch variance")


def dx_paths(impl: Implementation, values: Values) -> dict[str, np.ndarray]:
    """dx split by autodiff into its three paths, by giving x three names:

        mean = mean(x_mean);  var = mean((x_var - mean)^2);  x^ = (x_direct - mean) / sqrt(var + eps)

    The gradients of x_direct, x_mean and x_var are the paths through x^ directly, through the
    batch mean and through the batch variance; their sum is dx. (The mean's path includes the
    route mean -> variance, which is zero: d var / d mean = -2/m sum(x - mean) = 0.)"""
    assert impl.normalize is not None
    copies = [Tensor(values["x"].astype(np.float64), requires_grad=True) for _ in PATH_NAMES]
    x_direct, x_mean, x_var = copies
    stages = impl.normalize(x_direct, EPS, x_for_mean=x_mean, x_for_var=x_var)
    weight, bias = (Tensor(values[k].astype(np.float64)) for k in ("weight", "bias"))
    y = scale_normalized(stages, weight, bias)  # as the derived route: (x - mu) * (gamma inv_std) + beta
    gradients = grad(y, copies, Tensor(values["dy"].astype(np.float64)), allow_unused=True)
    return {name: np.zeros(values["x"].shape) if g is None else g.array for name, g in zip(PATH_NAMES, gradients)}


def closed_form_paths(values: Values) -> dict[str, np.ndarray]:
    """The same three terms from the formulas (Ioffe & Szegedy 2015, sec. 3), with sigma = sqrt(var + eps):
    gamma dy / sigma,  -gamma / (m sigma) sum dy,  -gamma x^ / (m sigma) sum(dy x^)."""
    x, dy = values["x"].astype(np.float64), values["dy"].astype(np.float64)
    axes, per_channel, m = channel_layout(x)
    stages = normalize(x, EPS)
    inv_std, x_hat = stages.inv_std, stages.x_hat
    gamma = values["weight"].astype(np.float64).reshape(per_channel)
    return {
        PATH_NAMES[0]: gamma * dy * inv_std,
        PATH_NAMES[1]: np.broadcast_to(-gamma * inv_std / m * dy.sum(axis=axes, keepdims=True), x.shape),
        PATH_NAMES[2]: -gamma * x_hat * inv_std / m * (dy * x_hat).sum(axis=axes, keepdims=True),
    }


def _errors(reference: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """Per column: max |other - reference| and that over max |reference| (a column whose
    reference is all zero is measured against the row's largest reference)."""
    scale = max([float(np.abs(r).max(initial=0.0)) for r in reference.values()] + [1e-30])
    abs_errors, rel_errors = {}, {}
    for name, r in reference.items():
        error = float(np.abs(np.asarray(other[name], dtype=np.float64) - r).max(initial=0.0))
        abs_errors[name] = error
        rel_errors[name] = error / (float(np.abs(r).max(initial=0.0)) or scale)
    return abs_errors, rel_errors


# ----------------------------------------------------------------------------- the tables


class _Section:
    """Runs the rows for one implementation, printing as it goes."""

    def __init__(self, impl: Implementation, definition: Definition, report: BatchNormReport, say: Callable) -> None:
        self.impl, self.definition, self.report, self.say = impl, definition, report, say
        self.has_torch = ref.torch_module() is not None

    def add(self, table: str, config: str, mode: str, dtype: str, against: str, reference: dict, other: dict,
            setting: str = "") -> Comparison:  # fmt: skip
        abs_errors, rel_errors = _errors(reference, other)
        tolerance = TOLERANCE[(table, against, dtype)]
        row = Comparison(
            self.impl.name, table, config, mode, dtype, against, abs_errors, rel_errors, tolerance, setting
        )
        self.report.comparisons.append(row)
        return row

    def skip(self, table: str, mode: str, against: str, reason: str) -> None:
        self.report.skipped.append(Skipped(self.impl.name, table, mode, against, reason))

    def cells(self, row: Comparison, columns: dict[str, str], widths: dict[str, int]) -> str:
        out = []
        for key, label in columns.items():
            if key not in row.rel_errors:
                out.append(f"{'-':>{widths[key]}s} ")
            else:
                mark = "*" if label in row.failing else " "
                out.append(f"{row.rel_errors[key]:{widths[key]}.1e}{mark}")
        return " ".join(out) + f"  {'yes' if row.passed else 'NO'}"

    def modes_that_run(self, table: str, modes: tuple[str, ...]) -> Iterator[str]:
        for mode in modes:
            if mode not in self.definition.modes:
                self.say(f"  {mode} mode: not checked: the {self.definition.name} definition has no {mode} mode")
                self.skip(table, mode, "all", f"the {self.definition.name} definition has no {mode} mode")
            elif mode == "eval" and self.impl.training_only:
                self.say(f"  eval mode: not checked: {self.impl.training_only}")
                self.skip(table, mode, "all", self.impl.training_only)
            else:
                yield mode

    def first_order(self, dtypes: tuple[str, ...], modes: tuple[str, ...], seed: int) -> None:
        columns = COLUMNS["first order"]
        widths = {"y": 8, "x": 8, "weight": 8, "bias": 8}
        self.say("First order: max |error| / max |reference| of y, dx, dgamma, dbeta (* beyond tolerance)")
        self.say(f"{'config':16s} {'mode':5s} {'dtype':7s} {'against':12s}{_header(columns, widths)}")
        for mode in self.modes_that_run("first order", modes):
            training = mode == "train"
            for config, shape in CONFIGS.items():
                finite = None  # computed once in float64, compared with every dtype
                for dtype in dtypes:
                    values = ref.inputs(shape, dtype, seed)
                    ours = forward_and_gradients(self.impl, values, training)
                    if finite is None:
                        finite = finite_difference_gradients(self.impl, values, training)
                    definition = {"y": self.definition.forward(values, training)}
                    definition.update(self.definition.gradients(values, training))
                    references: dict[str, dict | None] = {"definition": definition, "finite diff": finite}
                    references["PyTorch"] = (
                        ref.torch_forward_and_gradients(self.definition, values, training) if self.has_torch else None
                    )
                    for against, reference in references.items():
                        lead = f"{config:16s} {mode:5s} {dtype:7s} {against:12s}"
                        if reference is None:
                            self.skip("first order", mode, against, TORCH_MISSING)
                            self.say(f"{lead} ({TORCH_MISSING})")
                            continue
                        row = self.add("first order", config, mode, dtype, against, reference, ours)
                        self.say(f"{lead}{self.cells(row, columns, widths)}")

    def running(self, modes: tuple[str, ...], seed: int) -> None:
        columns, widths = COLUMNS["running stats"], {"running_mean": 12, "running_var": 11}
        self.say(f"\nRunning statistics, float64: after {ref.STEPS} training steps (train) or {EVAL_STEPS} eval "
                 "steps (eval), max |error| / max |reference|")  # fmt: skip
        if self.definition.name != "batchnorm" or self.impl.training_only:
            reason = self.impl.training_only or f"the {self.definition.name} definition keeps no running statistics"
            self.say(f"  not checked: {reason}")
            self.skip("running stats", "all", "all", reason)
            return
        self.say(f"{'config':16s} {'mode':5s} {'momentum':8s} {'against':12s}{_header(columns, widths)}")
        for mode in modes:
            settings = ("0.1", "None") if mode == "train" else ("0.1",)
            for config, shape in CONFIGS.items():
                values = ref.inputs(shape, "float64", seed)
                for setting in settings:
                    momentum = None if setting == "None" else float(setting)
                    if mode == "train":
                        ours = running_statistics(self.impl, values, momentum)
                        definition = ref.running_statistics(values, momentum)
                        torch = ref.torch_running_statistics(values, momentum) if self.has_torch else None
                    else:
                        ours = running_statistics_after_eval(self.impl, values)
                        definition = (values["running_mean"], values["running_var"])  # eval leaves them alone
                        torch = self.torch_running_after_eval(values) if self.has_torch else None
                    for against, reference in (("definition", definition), ("PyTorch", torch)):
                        lead = f"{config:16s} {mode:5s} {setting:8s} {against:12s}"
                        if reference is None:
                            self.skip("running stats", mode, against, TORCH_MISSING)
                            self.say(f"{lead} ({TORCH_MISSING})")
                            continue
                        pair = dict(zip(columns, ours))
                        row = self.add("running stats", config, mode, "float64", against,
                                       dict(zip(columns, reference)), pair, setting=f"momentum={setting}")  # fmt: skip
                        self.say(f"{lead}{self.cells(row, columns, widths)}")

    @staticmethod
    def torch_running_after_eval(values: Values) -> tuple[np.ndarray, np.ndarray]:
        torch = ref.torch_module()
        mean, var = (torch.tensor(values[k].astype(np.float64)) for k in ("running_mean", "running_var"))
        for batch in values["batches"][:EVAL_STEPS]:
            torch.nn.functional.batch_norm(torch.tensor(batch.astype(np.float64)), mean, var, training=False, eps=EPS)
        return mean.numpy(), var.numpy()

    def second_order(self, modes: tuple[str, ...], seed: int) -> None:
        columns, widths = COLUMNS["second order"], {"x": 8, "weight": 8, "bias": 8}
        self.say("\nSecond order, float64: Hessian-vector products H v of L = sum(y * dy) in (x, gamma, beta), "
                 "max |error| / max |reference|")  # fmt: skip
        self.say(f"{'config':16s} {'mode':5s} {'against':12s}{_header(columns, widths)}")
        for mode in self.modes_that_run("second order", modes):
            training = mode == "train"
            for config, shape in CONFIGS.items():
                values = ref.inputs(shape, "float64", seed)
                ours = hessian_vector_product(self.impl, values, training)
                references = {
                    "finite diff": finite_difference_hvp(self.impl, values, training),
                    "closed form": self.definition.hvp(values, training),
                    "PyTorch": ref.torch_hvp(self.definition, values, training) if self.has_torch else None,
                }
                for against, reference in references.items():
                    lead = f"{config:16s} {mode:5s} {against:12s}"
                    if reference is None:
                        self.skip("second order", mode, against, TORCH_MISSING)
                        self.say(f"{lead} ({TORCH_MISSING})")
                        continue
                    row = self.add("second order", config, mode, "float64", against, reference, ours)
                    self.say(f"{lead}{self.cells(row, columns, widths)}")

    def paths(self, seed: int) -> None:
        self.say(f"\nThe three paths of dx ({PATHS_CONFIG}, train, float64): autodiff against the formulas, "
                 "max |error| / max |dx|")  # fmt: skip
        if self.definition.name != "batchnorm" or self.impl.normalize is None:
            reason = self.impl.why_no_paths or f"the {self.definition.name} definition has no variance path"
            self.say(f"  not checked: {reason}")
            self.skip("paths", "train", "all", reason)
            return
        values = ref.inputs(CONFIGS[PATHS_CONFIG], "float64", seed)
        paths, formulas = dx_paths(self.impl, values), closed_form_paths(values)
        dx = forward_and_gradients(self.impl, values, True)["x"]
        scale = float(np.abs(sum(formulas.values())).max())
        rows = [(name, "closed form", formulas[name], paths[name]) for name in PATH_NAMES]
        rows.append(("sum of the three paths", "autodiff dx", dx, np.sum(list(paths.values()), axis=0)))
        for name, against, reference, path in rows:
            error = float(np.abs(path - reference).max())
            row = self.add("paths", PATHS_CONFIG, "train", "float64", against, {"dx": reference}, {"dx": path},
                           setting=name)  # fmt: skip
            row.rel_errors["dx"] = error / scale  # relative to dx, not to the path (one path may be tiny)
            if self.impl is DERIVED:
                self.report.paths["sum of paths - dx" if against == "autodiff dx" else name] = error
            mark, ok = "*" if row.failing else " ", "yes" if row.passed else "NO"
            self.say(f"  {name:28s} vs {against:12s} max |path| {np.abs(path).max():9.3e}   "
                     f"error {error / scale:8.1e}{mark}  {ok}")  # fmt: skip


def _header(columns: dict[str, str], widths: dict[str, int]) -> str:
    return " ".join(f"{label:>{widths[key]}s} " for key, label in columns.items()) + "  ok"


def _summary(impl: Implementation, report: BatchNormReport, say: Callable) -> None:
    rows = [c for c in report.comparisons if c.implementation == impl.name]
    skipped = [s for s in report.skipped if s.implementation == impl.name]
    parts = f"{len(skipped)} part" + ("" if len(skipped) == 1 else "s")
    could_not = f"; {parts} could not run (see above)" if skipped else ""
    failed = [c for c in rows if not c.passed]
    if not failed:
        say(f"\n{impl.name}: all {len(rows)} rows agree{could_not}")
        return
    say(f"\n{impl.name}: {len(failed)} of {len(rows)} rows disagree{could_not}:")
    lines = []
    for kind, group in _group(failed).items():
        table, mode, setting, against = kind
        total = sum(1 for c in rows if c.kind == kind)
        columns = sorted({col for c in group for col in c.failing}, key=COLUMN_ORDER.index)
        where, count = f"{mode} {setting}".strip(), f"in {len(group)} of {total}"
        lines.append((table, where, f"vs {against}", " ".join(columns), count))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    for line in lines:
        say("  " + "  ".join(f"{cell:{width}s}" for cell, width in zip(line, widths)).rstrip())
    for hint in report.hints.get(impl.name, []):
        say(f"  -> {hint}")


def _group(rows: list[Comparison]) -> dict[tuple[str, str, str, str], list[Comparison]]:
    groups: dict[tuple[str, str, str, str], list[Comparison]] = {}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    return groups


# ----------------------------------------------------------------------------- costs


def graph_cost(output: Tensor) -> tuple[int, int]:
    """(number of op nodes, bytes held for backward) of the graph behind ``output``.

    The bytes are those of every distinct array that the graph's ops keep: their input
    tensors and any arrays they saved (views are counted once, by the array they view)."""
    nodes, buffers = 0, {}
    for tensor in topological_order([output]):
        op = tensor.grad_fn
        if op is None or not op.inputs:
            continue
        nodes += 1
        saved = [t.array for t in op.inputs]
        saved += [getattr(op, s) for s in getattr(op, "__slots__", ()) if isinstance(getattr(op, s, None), np.ndarray)]
        for array in saved:
            while isinstance(array.base, np.ndarray):
                array = array.base
            buffers[id(array)] = array.nbytes
    return nodes, sum(buffers.values())


def _route_cost(impl: Implementation, shape: tuple[int, ...], repeats: int = 5) -> dict[str, float]:
    values = ref.inputs(shape, "float32", seed=1)
    leaves = _leaves(values)
    nodes, saved = graph_cost(_run(impl, values, True, leaves))
    dy = Tensor(values["dy"])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _run(impl, values, True, leaves).backward(dy)
        times.append(time.perf_counter() - start)
    return {"nodes": nodes, "bytes": saved, "seconds": float(np.median(times))}


# ----------------------------------------------------------------------------- the check


@contextmanager
def _reported(impl: Implementation) -> Iterator[None]:
    """Errors raised inside your function become one-line ImplementationErrors; minigrad's own
    implementations raise as they are (an error there is a bug to see in full)."""
    try:
        yield
    except Exception as error:
        if impl.source is None and not isinstance(error, ImplementationError):
            raise
        raise impl.error(error) from None


def resolve(
    impl: str | Callable[..., Any] | Implementation | None, mistake: str | None, definition: str
) -> tuple[list[Implementation], Definition]:
    """The implementations to check and the definition to check them against; ValueError
    says in words what is wrong with the arguments."""
    if definition not in ref.DEFINITIONS:
        raise ValueError(f"unknown definition {definition!r}; choose one of: {', '.join(ref.DEFINITIONS)}")
    chosen = ref.DEFINITIONS[definition]
    if mistake is not None:
        if impl is not None:
            raise ValueError("choose impl or mistake, not both")
        if mistake not in MISTAKES:
            raise ValueError(f"unknown mistake {mistake!r}; the mistakes are: {', '.join(MISTAKES)}")
        implementations = [MISTAKES[mistake].implementation]
    elif impl is None:
        implementations = [DERIVED, FUSED]
    elif isinstance(impl, Implementation):
        implementations = [impl]
    elif isinstance(impl, str):
        if impl not in ROUTES:
            raise ValueError(f"unknown implementation {impl!r}; minigrad's are: {', '.join(ROUTES)}")
        implementations = [ROUTES[impl]]
    elif callable(impl):
        implementations = [from_function(impl)]
    else:
        raise ValueError(f"impl must be a function fn(x, gamma, beta, eps), 'derived' or 'fused'; got {impl!r}")
    if chosen is not ref.BATCHNORM and (mistake is not None or any(i in (DERIVED, FUSED) for i in implementations)):
        raise ValueError(
            f"the {definition} definition checks your own function (impl=fn); minigrad has no {definition} BatchNorm"
        )
    return implementations, chosen


def check_batchnorm(
    dtypes: tuple[str, ...] = ("float64", "float32"),
    modes: tuple[str, ...] = ("train", "eval"),
    cost_shape: tuple[int, ...] | None = (64, 32, 28, 28),
    seed: int = 0,
    file: TextIO | None = None,
    verbose: bool = True,
    impl: str | Callable[..., Any] | Implementation | None = None,
    mistake: str | None = None,
    definition: str = "batchnorm",
) -> BatchNormReport:
    """Check a BatchNorm against its definition, finite differences and PyTorch, to second
    order, and print the tables to ``file`` (standard output by default) unless ``verbose=False``.

    ``impl``: None for both of minigrad's routes, ``"derived"`` or ``"fused"`` for one, or your own
    ``fn(x, gamma, beta, eps) -> y`` (training mode, batch statistics). ``mistake``: a name from the
    gallery (``minigrad.checks.bnmistakes.MISTAKES``). ``definition``: ``"batchnorm"`` or ``"lite"``
    (y = gamma (x - mean) + beta). The costs of the routes are measured on ``cost_shape`` when both
    routes are checked (None: skip).

    >>> report = check_batchnorm(dtypes=("float64",), modes=("train",), cost_shape=None, verbose=False)
    >>> report.passed
    True
    >>> report = check_batchnorm(mistake="mean-detached", dtypes=("float64",), modes=("train",), verbose=False)
    >>> failed = {c.against for c in report.failures() if c.table == "first order"}
    >>> sorted(failed - {"PyTorch"})  # and PyTorch too, when it is installed
    ['definition', 'finite diff']
    """
    implementations, chosen = resolve(impl, mistake, definition)
    out = file or sys.stdout

    def say(text: str = "") -> None:
        if verbose:
            print(text, file=out)

    report = BatchNormReport()
    for implementation in implementations:
        with _reported(implementation):  # a first run in every layout, so that a broken function fails before any table
            for shape in CONFIGS.values():
                smoke = ref.inputs(shape, "float64", seed)
                forward_and_gradients(implementation, smoke, True)
                hessian_vector_product(implementation, smoke, True)
    for implementation in implementations:
        say(f"== {implementation.name}: {implementation.description}")
        if mistake is not None:
            say(f"   wrong: {MISTAKES[mistake].wrong}\n   right: {MISTAKES[mistake].right}")
        say(f"   checked against the {chosen.name} definition: {chosen.formula}\n")
        section = _Section(implementation, chosen, report, say)
        with _reported(implementation):
            section.first_order(dtypes, modes, seed)
            section.running(modes, seed)
            section.second_order(modes, seed)
            if "train" in modes:
                section.paths(seed)
        if any(c.implementation == implementation.name and not c.passed for c in report.comparisons):
            from minigrad.checks.bnhints import explain  # the diagnosis runs the gallery: only when needed

            report.hints[implementation.name] = explain(implementation, chosen, report, seed)
        _summary(implementation, report, say)
        say()

    if impl is None and mistake is None and cost_shape is not None:
        say(f"Cost of each route, train mode, input {cost_shape} float32, forward + backward")
        for implementation in implementations:
            report.costs[implementation.name] = cost = _route_cost(implementation, cost_shape)
            say(f"  {implementation.name:12s} {int(cost['nodes']):3d} graph nodes  {cost['bytes'] / 2**20:8.2f} MiB "
                f"saved for backward  {cost['seconds'] * 1e3:8.2f} ms")  # fmt: skip
        derived, fused_cost = report.costs[DERIVED.name], report.costs[FUSED.name]
        say(f"  derived / fused: {derived['seconds'] / fused_cost['seconds']:.2f}x time, "
            f"{derived['bytes'] / fused_cost['bytes']:.2f}x bytes\n")  # fmt: skip
    if report.passed:
        say("PASSED: every row agrees within tolerance")
    else:
        say("FAILED: see the rows marked NO and the summary above")
    return report
