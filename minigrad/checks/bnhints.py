"""What is probably wrong with a BatchNorm that fails the check, in words.

First by fingerprint: the implementation's y, gradients, Hessian-vector product (and, when it
has them, eval mode and running statistics) on one input are compared with those of every
mistake in the gallery; if they agree with one, its sentence is the answer. Otherwise by
pattern: which tables, modes, layouts and dtypes fail.

>>> from minigrad.checks.bncheck import check_batchnorm
>>> def centred_only(x, gamma, beta, eps):
...     axes, shape = (0, *range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)
...     return (x - x.mean(axes, keepdim=True)) * gamma.reshape(shape) + beta.reshape(shape)
>>> report = check_batchnorm(impl=centred_only, modes=("train",), dtypes=("float64",), verbose=False)
>>> report.hints["centred_only"][0].startswith("forward matches the lite BatchNorm")
True
"""

from __future__ import annotations

from functools import cache

import numpy as np

from minigrad.checks import bncheck
from minigrad.checks import bnreference as ref
from minigrad.checks.bnimpl import Implementation
from minigrad.checks.bnmistakes import MISTAKES
from minigrad.checks.bnreference import Definition

Fingerprint = dict[str, np.ndarray]


def fingerprint(impl: Implementation, seed: int) -> Fingerprint:
    """Everything the implementation computes on one input (BN2d, float64), flattened."""
    values = ref.inputs(bncheck.CONFIGS[bncheck.PATHS_CONFIG], "float64", seed)
    train = bncheck.forward_and_gradients(impl, values, True)
    prints = {
        "y train": train["y"],
        "gradients train": np.concatenate([train[k].ravel() for k in bncheck.GRADIENTS]),
        "H v train": np.concatenate([h.ravel() for h in bncheck.hessian_vector_product(impl, values, True).values()]),
    }
    if not impl.training_only:
        evaluation = bncheck.forward_and_gradients(impl, values, False)
        prints["y eval"] = evaluation["y"]
        prints["gradients eval"] = np.concatenate([evaluation[k].ravel() for k in bncheck.GRADIENTS])
        prints["running stats"] = np.concatenate(bncheck.running_statistics(impl, values, 0.1))
    return prints


@cache
def mistake_fingerprint(name: str, seed: int) -> Fingerprint:
    """A gallery mistake's fingerprint (computed once per process: the gallery does not change)."""
    return fingerprint(MISTAKES[name].implementation, seed)


def same(a: np.ndarray, b: np.ndarray, tolerance: float = 1e-8) -> bool:
    return bool(np.abs(a - b).max(initial=0.0) <= tolerance * max(float(np.abs(b).max(initial=0.0)), 1e-30))


def explain(impl: Implementation, definition: Definition, report: bncheck.BatchNormReport, seed: int) -> list[str]:
    """Sentences that say what is probably wrong with ``impl``, most specific first."""
    prints = fingerprint(impl, seed)
    hints: list[str] = []
    if definition is ref.BATCHNORM:
        for mistake in MISTAKES.values():
            theirs = mistake_fingerprint(mistake.name, seed)
            if all(same(prints[k], theirs[k]) for k in prints):
                hints.append(mistake.hint)
        values = ref.inputs(bncheck.CONFIGS[bncheck.PATHS_CONFIG], "float64", seed)
        if same(prints["y train"], ref.LITE.forward(values, True)):
            hints.append(
                "forward matches the lite BatchNorm y = gamma (x - mean) + beta: it does not divide by "
                "sqrt(var + eps); if that is the exercise you wrote, check it against definition='lite' "
                "(minigrad check-bn --definition lite)"
            )
    elif same(prints["y train"], ref.BATCHNORM.forward(ref.inputs(bncheck.CONFIGS[bncheck.PATHS_CONFIG], "float64",
                                                                   seed), True)):  # fmt: skip
        hints.append("forward is the full BatchNorm: the lite one only subtracts the mean, y = gamma (x - mean) + beta")
    return hints or by_pattern(impl, report)


def by_pattern(impl: Implementation, report: bncheck.BatchNormReport) -> list[str]:
    """Hints from which rows fail, when no mistake of the gallery matches."""
    rows = [c for c in report.comparisons if c.implementation == impl.name]
    failed = [c for c in rows if not c.passed]

    def failing(table: str, against: str | None = None, mode: str | None = None, column: str | None = None):
        return [
            c for c in failed
            if c.table == table and against in (None, c.against) and mode in (None, c.mode)
            and (column is None or column in c.failing)
        ]  # fmt: skip

    hints = []
    forward = failing("first order", "definition", "train", "y")
    if forward:
        layouts = {c.config for c in forward}
        if "BN1d (N,C)" not in layouts:
            hints.append(
                "forward is right for (N, C) input but not for (N, C, L) or (N, C, H, W): the statistics are per "
                "channel over every axis but axis 1, axes (0, 2) and (0, 2, 3)"
            )
        else:
            worst = max(c.rel_errors["y"] for c in forward)
            hints.append(
                f"forward differs from the definition (by up to {worst:.1e} relative): y = gamma (x - mean) / "
                "sqrt(var + eps) + beta, with the batch mean and the biased batch variance of each channel"
            )
    elif failing("first order", "finite diff", "train"):
        columns = _columns(failing("first order", "finite diff", "train"))
        hints.append(
            f"the forward is right but {_subject(columns)} with finite differences of your own forward, so the "
            "backward is wrong: a value detached or computed outside the graph (.array, numpy, .detach()), or a "
            "mistake in a hand-written backward"
        )
    elif failing("second order", "finite diff"):
        hints.append(
            "first derivatives are right but second derivatives are not: the backward is not differentiable as "
            "written. A hand-written backward must compute with Tensor operations on self.inputs (not with saved "
            "numpy arrays or .array); a mean detached inside the variance does this too"
        )
    if failing("first order", mode="eval") or failing("second order", mode="eval"):
        hints.append("eval mode differs from the definition: it must normalise with running_mean and running_var")
    if failing("running stats"):
        columns = _columns(failing("running stats"))
        hints.append(
            f"{_subject(columns, 'differ')} from the definition: running = (1 - momentum) running + momentum "
            "batch, with the unbiased batch variance (times m / (m - 1)) for running_var; eval mode leaves them alone"
        )
    return hints or ["see the rows marked NO above"]


def _columns(rows: list[bncheck.Comparison]) -> list[str]:
    return sorted({column for row in rows for column in row.failing}, key=bncheck.COLUMN_ORDER.index)


def _subject(columns: list[str], verb: str = "disagree") -> str:
    """'dx disagrees', 'dx and dgamma disagree'."""
    return f"{' and '.join(columns)} {verb}{'s' if len(columns) == 1 else ''}"
