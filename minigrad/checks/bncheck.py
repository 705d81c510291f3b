"""The proof that BatchNorm's derived backward is right: ``minigrad.check_batchnorm()``.

For BN1d on (N, C) and (N, C, L) and BN2d on (N, C, H, W), in train and eval mode, in float64
and float32, it computes dx, d(gamma), d(beta) four ways:

  (a) autodiff through the primitive ops (the derived route),
  (b) the closed-form fused op,
  (c) central finite differences (in float64),
  (d) PyTorch, when it is installed,

and compares (b), (c), (d) with (a). It then checks second order (Hessian-vector products
through (a) and (b) against finite differences of the gradient), splits dx into its three
paths (through x^ directly, through the batch mean, through the batch variance), and reports
what each route costs.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from minigrad.autograd import grad, topological_order
from minigrad.checks.finite_differences import central_differences
from minigrad.nn.batchnorm import batch_norm, channel_layout, normalize, scale_and_shift
from minigrad.tensor import Tensor

CONFIGS = {"BN1d (N,C)": (8, 3), "BN1d (N,C,L)": (4, 3, 5), "BN2d (N,C,H,W)": (4, 3, 3, 3)}
# Largest allowed max|error| / max|reference|, per comparison and dtype.
TOLERANCE = {
    ("closed form", "float64"): 1e-10,
    ("PyTorch", "float64"): 1e-10,
    ("finite diff", "float64"): 1e-6,
    ("closed form", "float32"): 1e-5,
    ("PyTorch", "float32"): 1e-5,
    ("finite diff", "float32"): 1e-4,
}


@dataclass
class Comparison:
    config: str
    mode: str
    dtype: str
    method: str
    abs_errors: dict[str, float]  # per gradient name: max |method - autodiff|
    rel_errors: dict[str, float]  # the same divided by max |autodiff|
    passed: bool


@dataclass
class BatchNormReport:
    """What ``check_batchnorm`` found; ``passed`` is False if anything disagreed."""

    comparisons: list[Comparison] = field(default_factory=list)
    costs: dict[str, dict[str, float]] = field(default_factory=dict)
    paths: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)


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


def _inputs(shape: tuple[int, ...], dtype: str, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    channels = shape[1]
    return {
        "x": (rng.standard_normal(shape) * 2 + 0.5).astype(dtype),
        "weight": (1 + 0.3 * rng.standard_normal(channels)).astype(dtype),
        "bias": rng.standard_normal(channels).astype(dtype),
        "running_mean": (0.2 * rng.standard_normal(channels)).astype(dtype),
        "running_var": (1 + rng.random(channels)).astype(dtype),
        "dy": rng.standard_normal(shape).astype(dtype),
    }


def _forward(values: dict[str, np.ndarray], training: bool, fused: bool, leaves: dict[str, Tensor]) -> Tensor:
    return batch_norm(
        leaves["x"],
        Tensor(values["running_mean"].copy()),  # copies: the check must not drift the running stats
        Tensor(values["running_var"].copy()),
        leaves["weight"],
        leaves["bias"],
        training=training,
        fused=fused,
    )


def _leaves(values: dict[str, np.ndarray], dtype: str | None = None) -> dict[str, Tensor]:
    return {k: Tensor(values[k].astype(dtype or values[k].dtype), requires_grad=True) for k in ("x", "weight", "bias")}


def autodiff_gradients(values: dict[str, np.ndarray], training: bool, fused: bool) -> dict[str, np.ndarray]:
    """dx, d(gamma), d(beta) of sum(y * dy) by one backward pass, through route (a) or (b)."""
    leaves = _leaves(values)
    gradients = grad(_forward(values, training, fused, leaves), list(leaves.values()), Tensor(values["dy"]))
    return {k: g.array for k, g in zip(leaves, gradients)}


def finite_difference_gradients(values: dict[str, np.ndarray], training: bool, eps: float = 1e-6):
    """The same gradients by central differences of sum(y * dy), in float64."""
    base = {k: v.astype(np.float64) for k, v in values.items()}

    def loss() -> list[np.ndarray]:
        leaves = {k: Tensor(base[k]) for k in ("x", "weight", "bias")}
        return [np.asarray(np.sum(_forward(base, training, False, leaves).array * base["dy"]))]

    return {k: central_differences(loss, base[k], eps)[0].reshape(base[k].shape) for k in ("x", "weight", "bias")}


def torch_gradients(values: dict[str, np.ndarray], training: bool) -> dict[str, np.ndarray] | None:
    try:
        import torch
    except ImportError:
        return None
    leaves = {k: torch.tensor(values[k], requires_grad=True) for k in ("x", "weight", "bias")}
    y = torch.nn.functional.batch_norm(
        leaves["x"],
        torch.tensor(values["running_mean"]),
        torch.tensor(values["running_var"]),
        leaves["weight"],
        leaves["bias"],
        training=training,
    )
    gradients = torch.autograd.grad(y, list(leaves.values()), torch.tensor(values["dy"]))
    return {k: g.numpy() for k, g in zip(leaves, gradients)}


def hessian_vector_product(values, direction, training: bool, fused: bool) -> dict[str, np.ndarray]:
    """H v of sum(y * dy) with respect to (x, gamma, beta), by differentiating the gradient."""
    leaves = _leaves(values)
    y = _forward(values, training, fused, leaves)
    first = grad((y * Tensor(values["dy"])).sum(), list(leaves.values()), create_graph=True)
    along_v = sum((g * Tensor(direction[k])).sum() for k, g in zip(leaves, first))
    second = grad(along_v, list(leaves.values()), allow_unused=True)
    return {k: np.zeros_like(values[k]) if h is None else h.array for k, h in zip(leaves, second)}


def finite_difference_hvp(values, direction, training: bool, eps: float = 1e-6) -> dict[str, np.ndarray]:
    """(grad(theta + eps v) - grad(theta - eps v)) / 2 eps, with grad from route (a)."""

    def shifted(sign: float) -> dict[str, np.ndarray]:
        moved = {k: v + sign * eps * direction[k] if k in direction else v for k, v in values.items()}
        return autodiff_gradients(moved, training, fused=False)

    plus, minus = shifted(1.0), shifted(-1.0)
    return {k: (plus[k] - minus[k]) / (2 * eps) for k in plus}


def torch_hvp(values, direction, training: bool) -> dict[str, np.ndarray] | None:
    try:
        import torch
    except ImportError:
        return None
    leaves = [torch.tensor(values[k], requires_grad=True) for k in ("x", "weight", "bias")]
    y = torch.nn.functional.batch_norm(
        leaves[0],
        torch.tensor(values["running_mean"]),
        torch.tensor(values["running_var"]),
        leaves[1],
        leaves[2],
        training=training,
    )
    first = torch.autograd.grad((y * torch.tensor(values["dy"])).sum(), leaves, create_graph=True)
    along_v = torch.stack(
        [(g * torch.tensor(direction[k])).sum() for k, g in zip(("x", "weight", "bias"), first)]
    ).sum()
    second = torch.autograd.grad(along_v, leaves, allow_unused=True)
    return {k: np.zeros_like(values[k]) if h is None else h.numpy() for k, h in zip(("x", "weight", "bias"), second)}


def dx_paths(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """dx split by autodiff into its three paths, by giving x three separate names:

        mean = mean(x_mean);  var = mean((x_var - mean)^2);  x^ = (x_direct - mean) / sqrt(var + eps)

    The gradients of x_direct, x_mean and x_var are the paths through x^ directly, through the
    batch mean and through the batch variance; their sum is dx."""
    names = ("direct through x^", "through the batch mean", "through the batch variance")
    copies = [Tensor(values["x"].copy(), requires_grad=True) for _ in names]
    x_direct, x_mean, x_var = copies
    x_hat = normalize(x_direct, 1e-5, x_for_mean=x_mean, x_for_var=x_var).x_hat
    y = scale_and_shift(x_hat, Tensor(values["weight"]), Tensor(values["bias"]))
    return {name: g.array for name, g in zip(names, grad(y, copies, Tensor(values["dy"])))}


def closed_form_paths(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same three terms from the formulas (Ioffe & Szegedy 2015, Alg. 1 backward):
    gamma dy / sigma^,  -gamma / (m sigma^) sum dy,  -gamma x^ / (m sigma^) sum(dy x^)."""
    x, dy = values["x"].astype(np.float64), values["dy"].astype(np.float64)
    axes, per_channel, m = channel_layout(x)
    stages = normalize(x, 1e-5)
    inv_std, x_hat = stages.inv_std, stages.x_hat
    gamma = values["weight"].astype(np.float64).reshape(per_channel)
    return {
        "direct through x^": gamma * dy * inv_std,
        "through the batch mean": np.broadcast_to(-gamma * inv_std / m * dy.sum(axis=axes, keepdims=True), x.shape),
        "through the batch variance": -gamma * x_hat * inv_std / m * (dy * x_hat).sum(axis=axes, keepdims=True),
    }


def _compare(reference: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> tuple[dict, dict]:
    abs_errors, rel_errors = {}, {}
    for name, ref in reference.items():
        ref64 = ref.astype(np.float64)
        error = float(np.abs(other[name].astype(np.float64) - ref64).max())
        abs_errors[name] = error
        rel_errors[name] = error / max(float(np.abs(ref64).max()), 1e-30)
    return abs_errors, rel_errors


def _route_cost(fused: bool, shape: tuple[int, ...], repeats: int = 5) -> dict[str, float]:
    values = _inputs(shape, "float32", seed=1)
    leaves = _leaves(values)
    nodes, saved = graph_cost(_forward(values, True, fused, leaves))
    dy = Tensor(values["dy"])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _forward(values, True, fused, leaves).backward(dy)
        times.append(time.perf_counter() - start)
    return {"nodes": nodes, "bytes": saved, "seconds": float(np.median(times))}


def check_batchnorm(
    dtypes: tuple[str, ...] = ("float64", "float32"),
    modes: tuple[str, ...] = ("train", "eval"),
    cost_shape: tuple[int, ...] = (64, 32, 28, 28),
    seed: int = 0,
    file: TextIO | None = None,
    verbose: bool = True,
) -> BatchNormReport:
    """Check BatchNorm's gradients four ways, to second order; print the tables to ``file``
    (standard output by default) unless ``verbose=False``.

    >>> report = check_batchnorm(dtypes=("float64",), modes=("train",), cost_shape=(4, 2, 3, 3), verbose=False)
    >>> report.passed
    True
    """

    def say(text: str = "") -> None:
        if verbose:
            print(text, file=file or sys.stdout)

    report = BatchNormReport()
    say("BatchNorm gradients: max |error| (relative to max |autodiff|) of each method against (a) autodiff")
    say(f"{'config':16s} {'mode':5s} {'dtype':7s} {'method':13s} {'dx':>19s} {'dgamma':>19s} {'dbeta':>19s}  ok")
    for config, shape in CONFIGS.items():
        for mode in modes:
            training = mode == "train"
            for dtype in dtypes:
                values = _inputs(shape, dtype, seed)
                autodiff = autodiff_gradients(values, training, fused=False)
                methods = {
                    "closed form": autodiff_gradients(values, training, fused=True),
                    "finite diff": finite_difference_gradients(values, training),
                    "PyTorch": torch_gradients(values, training),
                }
                for method, gradients in methods.items():
                    if gradients is None:
                        say(f"{config:16s} {mode:5s} {dtype:7s} {method:13s} (not installed: torch==2.13.0)")
                        continue
                    abs_errors, rel_errors = _compare(autodiff, dict(zip(autodiff, gradients.values())))
                    passed = max(rel_errors.values()) <= TOLERANCE[(method, dtype)]
                    report.comparisons.append(Comparison(config, mode, dtype, method, abs_errors, rel_errors, passed))
                    cells = " ".join(f"{abs_errors[k]:9.2e} ({rel_errors[k]:7.1e})" for k in autodiff)
                    say(f"{config:16s} {mode:5s} {dtype:7s} {method:13s} {cells}  {'yes' if passed else 'NO'}")

    say("\nSecond order, float64: Hessian-vector products of sum(y * dy) in (x, gamma, beta)")
    say(f"{'config':16s} {'mode':5s} {'H v compared':28s} {'max |error|':>12s} {'relative':>9s}  ok")
    for config, shape in CONFIGS.items():
        for mode in modes:
            training = mode == "train"
            values = _inputs(shape, "float64", seed)
            rng = np.random.default_rng(seed + 1)
            direction = {k: rng.standard_normal(values[k].shape) for k in ("x", "weight", "bias")}
            autodiff = hessian_vector_product(values, direction, training, fused=False)
            against = {
                "(a) autodiff vs finite diff": (autodiff, finite_difference_hvp(values, direction, training), 1e-6),
                "(b) closed form vs (a)": (autodiff, hessian_vector_product(values, direction, training, True), 1e-10),
                "(d) PyTorch vs (a)": (autodiff, torch_hvp(values, direction, training), 1e-10),
            }
            for route, (reference, hvp, tolerance) in against.items():
                if hvp is None:
                    continue
                abs_errors, rel_errors = _compare(reference, hvp)
                worst = max(rel_errors, key=lambda k: rel_errors[k])
                passed = rel_errors[worst] <= tolerance
                comparison = Comparison(config, mode, "float64", f"H v {route}", abs_errors, rel_errors, passed)
                report.comparisons.append(comparison)
                say(
                    f"{config:16s} {mode:5s} {route:28s} {abs_errors[worst]:12.2e} {rel_errors[worst]:9.1e}"
                    f"  {'yes' if passed else 'NO'}"
                )

    values = _inputs(CONFIGS["BN2d (N,C,H,W)"], "float64", seed)
    paths, formulas = dx_paths(values), closed_form_paths(values)
    dx = autodiff_gradients(values, True, fused=False)["x"]
    say("\nThe three paths of dx (BN2d, train, float64), by autodiff, against their closed forms")
    for name, path in paths.items():
        error = float(np.abs(path - formulas[name]).max())
        report.paths[name] = error
        say(f"  {name:28s} max |path| {np.abs(path).max():9.3e}   max |path - formula| {error:9.2e}")
    total_error = float(np.abs(sum(paths.values()) - dx).max())
    report.paths["sum of paths - dx"] = total_error
    say(f"  {'sum of the three paths':28s} max |sum - dx| {total_error:9.2e}")
    paths_ok = max(report.paths.values()) <= 1e-10 * max(1.0, float(np.abs(dx).max()))
    report.comparisons.append(Comparison("BN2d (N,C,H,W)", "train", "float64", "dx paths", {}, {}, paths_ok))

    say(f"\nCost of each route, train mode, input {cost_shape} float32, forward + backward")
    for name, fused in (("derived (a)", False), ("fused (b)", True)):
        report.costs[name] = cost = _route_cost(fused, cost_shape)
        say(
            f"  {name:12s} {int(cost['nodes']):3d} graph nodes  {cost['bytes'] / 2**20:8.2f} MiB saved for backward"
            f"  {cost['seconds'] * 1e3:8.2f} ms"
        )
    derived, fused_cost = report.costs["derived (a)"], report.costs["fused (b)"]
    say(
        f"  derived / fused: {derived['seconds'] / fused_cost['seconds']:.2f}x time, "
        f"{derived['bytes'] / fused_cost['bytes']:.2f}x bytes"
    )
    say("\nPASSED: all routes agree within tolerance" if report.passed else "\nFAILED: see the rows marked NO")
    return report
