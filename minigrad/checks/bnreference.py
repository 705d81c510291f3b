"""What a BatchNorm is checked against: its definition, in numpy float64, and PyTorch.

Everything here is a *reference*: the forward and the running statistics as the paper and
PyTorch define them, the closed-form gradient and the closed-form Hessian-vector product. The
normalisation itself is ``minigrad.nn.batchnorm.normalize`` run on numpy arrays (the one place
it is written); the rest is the formulas, each with its source.

Two definitions can be checked against: ``"batchnorm"`` (Ioffe & Szegedy 2015) and ``"lite"``,
the mean-only BatchNorm y = gamma (x - mean) + beta of d2l's exercise (Zhang et al., *Dive into
Deep Learning*, sec. 8.5, exercises), which is training mode only.

>>> values = inputs((6, 3), "float64", seed=0)
>>> y = BATCHNORM.forward(values, training=True)
>>> bool(np.allclose(y.mean(axis=0), values["bias"]))   # each channel's mean is beta
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad.nn.batchnorm import Normalized, channel_layout, normalize, scale_and_shift

EPS = 1e-5
STEPS = 3  # training batches before the running statistics are compared
# Per-channel spread and offset of the check's inputs. The third channel is nearly constant
# (std 0.05, var 0.0025), the case where eps matters: it makes "eps outside the square root"
# visible even in float32.
CHANNEL_STD = (2.0, 1.0, 0.05)
CHANNEL_OFFSET = (0.5, -1.0, 0.2)

Values = dict[str, Any]


def inputs(shape: tuple[int, ...], dtype: str, seed: int, channel_std: tuple[float, ...] = CHANNEL_STD) -> Values:
    """Random x, gamma, beta, running statistics, an upstream gradient dy, a direction v for
    Hessian-vector products and ``STEPS`` further batches for the running statistics."""
    rng = np.random.default_rng(seed)
    channels = shape[1]
    per_channel = (1, channels) + (1,) * (len(shape) - 2)
    std = np.resize(np.array(channel_std), channels).reshape(per_channel)
    offset = np.resize(np.array(CHANNEL_OFFSET), channels).reshape(per_channel)

    def batch() -> np.ndarray:
        return (rng.standard_normal(shape) * std + offset).astype(dtype)

    values: Values = {
        "x": batch(),
        "weight": (1 + 0.3 * rng.standard_normal(channels)).astype(dtype),
        "bias": rng.standard_normal(channels).astype(dtype),
        "running_mean": (0.2 * rng.standard_normal(channels)).astype(dtype),
        "running_var": (1 + rng.random(channels)).astype(dtype),
        "dy": rng.standard_normal(shape).astype(dtype),
    }
    values["direction"] = {k: rng.standard_normal(values[k].shape) for k in ("x", "weight", "bias")}
    values["batches"] = [batch() for _ in range(STEPS)]
    return values


def stages(values: Values, training: bool) -> Normalized:
    """BN's stages in float64: with the batch statistics (training) or the running ones (eval)."""
    x = values["x"].astype(np.float64)
    if training:
        return normalize(x, EPS)
    return normalize(x, EPS, (values["running_mean"].astype(np.float64), values["running_var"].astype(np.float64)))


def _per_channel(values: Values, name: str) -> np.ndarray:
    _, per_channel, _ = channel_layout(values["x"])
    return values[name].astype(np.float64).reshape(per_channel)


@dataclass(frozen=True)
class Definition:
    """A BatchNorm's definition: forward, closed-form gradient and Hessian-vector product of
    L = sum(y * dy) in numpy float64, and the same forward in PyTorch."""

    name: str
    formula: str
    modes: tuple[str, ...]  # the modes it defines ("eval" needs running statistics)
    forward: Callable[[Values, bool], np.ndarray]
    gradients: Callable[[Values, bool], dict[str, np.ndarray]]
    hvp: Callable[[Values, bool], dict[str, np.ndarray]]
    torch_forward: Callable[..., Any]  # (torch, x, gamma, beta, running_mean, running_var, training) -> y


# ----------------------------------------------------------------------------- BatchNorm


def batchnorm_forward(values: Values, training: bool) -> np.ndarray:
    """y = gamma x^ + beta (Ioffe & Szegedy 2015, Alg. 1; eval mode: Alg. 2, running statistics)."""
    weight, bias = (values[k].astype(np.float64) for k in ("weight", "bias"))
    return np.asarray(scale_and_shift(stages(values, training).x_hat, weight, bias))


def batchnorm_gradients(values: Values, training: bool) -> dict[str, np.ndarray]:
    """The closed form (Ioffe & Szegedy 2015, sec. 3), sums per channel over its m values:

    d beta = sum dy,   d gamma = sum dy x^,
    dx = gamma / (m sigma) (m dy - sum dy - x^ sum(dy x^))     (training; sigma = sqrt(var + eps))
    dx = gamma dy / sqrt(running_var + eps)                     (eval: x^ is affine in x)
    """
    s = stages(values, training)
    axes, _, m = channel_layout(s.x_hat)
    dy, gamma = values["dy"].astype(np.float64), _per_channel(values, "weight")
    sum_dy, sum_dy_x_hat = dy.sum(axis=axes, keepdims=True), (dy * s.x_hat).sum(axis=axes, keepdims=True)
    if not training:
        return {"x": gamma * s.inv_std * dy, "weight": sum_dy_x_hat.reshape(-1), "bias": sum_dy.reshape(-1)}
    dx = gamma * s.inv_std / m * (m * dy - sum_dy - s.x_hat * sum_dy_x_hat)
    return {"x": dx, "weight": sum_dy_x_hat.reshape(-1), "bias": sum_dy.reshape(-1)}


def batchnorm_hvp(values: Values, training: bool) -> dict[str, np.ndarray]:
    """H v of L = sum(y * dy) in closed form: the derivative of ``batchnorm_gradients`` along
    v = (v_x, v_gamma, v_beta). With s = 1/sigma, c = x - mean, mean_m(.) the per-channel mean:

        c'  = v_x - mean_m(v_x)                 var' = 2 mean_m(c v_x)      (because sum c = 0)
        s'  = -1/2 s^3 var'                     x^'  = c' s + c s'
        (H v)_x     = v_gamma s/m (m dy - sum dy - x^ sum(dy x^))
                      + gamma/m (s' (m dy - sum dy - x^ sum(dy x^)) - s (x^' sum(dy x^) + x^ sum(dy x^')))
        (H v)_gamma = sum dy x^'                (H v)_beta = 0     (d beta = sum dy is constant)

    In eval mode s is a constant and x^' = s v_x, so (H v)_x = v_gamma s dy.
    """
    s = stages(values, training)
    axes, per_channel, m = channel_layout(s.x_hat)
    dy, gamma = values["dy"].astype(np.float64), _per_channel(values, "weight")
    v_x, v_gamma = values["direction"]["x"], values["direction"]["weight"].reshape(per_channel)

    def total(a: np.ndarray) -> np.ndarray:
        return a.sum(axis=axes, keepdims=True)

    if not training:
        hv_gamma = total(dy * s.inv_std * v_x).reshape(-1)
        return {"x": v_gamma * s.inv_std * dy, "weight": hv_gamma, "bias": np.zeros(gamma.size)}
    bracket = m * dy - total(dy) - s.x_hat * total(dy * s.x_hat)
    d_inv_std = -0.5 * s.inv_std**3 * (2 * total(s.centered * v_x) / m)
    d_x_hat = (v_x - total(v_x) / m) * s.inv_std + s.centered * d_inv_std
    hv_x = v_gamma * s.inv_std / m * bracket + gamma / m * (
        d_inv_std * bracket - s.inv_std * (d_x_hat * total(dy * s.x_hat) + s.x_hat * total(dy * d_x_hat))
    )
    return {"x": hv_x, "weight": total(dy * d_x_hat).reshape(-1), "bias": np.zeros(gamma.size)}


def batchnorm_torch(torch: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any, training: bool):
    """PyTorch's own BatchNorm kernel (``torch.nn.functional.batch_norm``); updates the running
    statistics in place in training mode."""
    return torch.nn.functional.batch_norm(x, running_mean, running_var, gamma, beta, training=training, eps=EPS)


BATCHNORM = Definition(
    "batchnorm",
    "y = gamma (x - mean) / sqrt(var + eps) + beta, biased batch var; eval: running statistics",
    ("train", "eval"),
    batchnorm_forward,
    batchnorm_gradients,
    batchnorm_hvp,
    batchnorm_torch,
)


# ----------------------------------------------------------------------------- lite: centre only


def lite_forward(values: Values, training: bool) -> np.ndarray:
    """y = gamma (x - mean) + beta: BatchNorm that removes the mean but not the variance."""
    weight, bias = (values[k].astype(np.float64) for k in ("weight", "bias"))
    return np.asarray(scale_and_shift(stages(values, True).centered, weight, bias))


def lite_gradients(values: Values, training: bool) -> dict[str, np.ndarray]:
    """dx = gamma (dy - mean_m(dy)),  d gamma = sum dy (x - mean),  d beta = sum dy."""
    s = stages(values, True)
    axes, _, m = channel_layout(s.centered)
    dy, gamma = values["dy"].astype(np.float64), _per_channel(values, "weight")
    sum_dy = dy.sum(axis=axes, keepdims=True)
    return {"x": gamma * (dy - sum_dy / m), "weight": (dy * s.centered).sum(axis=axes), "bias": sum_dy.reshape(-1)}


def lite_hvp(values: Values, training: bool) -> dict[str, np.ndarray]:
    """L is bilinear in (x, gamma): (H v)_x = v_gamma (dy - mean_m dy), (H v)_gamma = sum dy (v_x - mean_m v_x)."""
    axes, per_channel, m = channel_layout(values["x"])
    dy = values["dy"].astype(np.float64)
    v_x, v_gamma = values["direction"]["x"], values["direction"]["weight"].reshape(per_channel)
    centered_v = v_x - v_x.sum(axis=axes, keepdims=True) / m
    hv_x = v_gamma * (dy - dy.sum(axis=axes, keepdims=True) / m)
    return {"x": hv_x, "weight": (dy * centered_v).sum(axis=axes), "bias": np.zeros(v_gamma.size)}


def lite_torch(torch: Any, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any, training: bool):
    """The same formula in PyTorch's ops (PyTorch has no mean-only BatchNorm): autodiff by
    another engine."""
    axes, per_channel, _ = channel_layout(x)
    return (x - x.mean(dim=axes, keepdim=True)) * gamma.reshape(per_channel) + beta.reshape(per_channel)


LITE = Definition(
    "lite",
    "y = gamma (x - mean) + beta (training mode only)",
    ("train",),
    lite_forward,
    lite_gradients,
    lite_hvp,
    lite_torch,
)

DEFINITIONS = {d.name: d for d in (BATCHNORM, LITE)}


# ----------------------------------------------------------------------------- running statistics


def running_statistics(values: Values, momentum: float | None) -> tuple[np.ndarray, np.ndarray]:
    """running_mean and running_var after ``STEPS`` training batches, as PyTorch defines them
    (``torch/nn/modules/batchnorm.py``): running = (1 - momentum) running + momentum batch, with
    the *unbiased* batch variance (times m / (m - 1)) for running_var. momentum=None is the
    cumulative average: at step k the weight of the new batch is 1/k."""
    mean, var = (values[k].astype(np.float64) for k in ("running_mean", "running_var"))
    for k, batch in enumerate(values["batches"], start=1):
        s = normalize(batch.astype(np.float64), EPS)
        _, _, m = channel_layout(batch)
        weight = 1.0 / k if momentum is None else momentum
        mean = (1 - weight) * mean + weight * s.mean.reshape(-1)
        var = (1 - weight) * var + weight * s.var.reshape(-1) * m / (m - 1)
    return mean, var


# ----------------------------------------------------------------------------- PyTorch


def torch_module() -> Any:
    """``torch`` if it is installed, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_forward_and_gradients(definition: Definition, values: Values, training: bool) -> dict[str, np.ndarray]:
    """y and (dx, d gamma, d beta) of sum(y * dy) by PyTorch, in the dtype of ``values``."""
    torch = torch_module()
    leaves = {k: torch.tensor(values[k], requires_grad=True) for k in ("x", "weight", "bias")}
    running = [torch.tensor(values[k]) for k in ("running_mean", "running_var")]
    y = definition.torch_forward(torch, leaves["x"], leaves["weight"], leaves["bias"], *running, training)
    gradients = torch.autograd.grad(y, list(leaves.values()), torch.tensor(values["dy"]), allow_unused=True)
    result = {"y": y.detach().numpy()}
    result.update({k: _numpy_or_zeros(g, values[k]) for k, g in zip(leaves, gradients)})
    return result


def torch_hvp(definition: Definition, values: Values, training: bool) -> dict[str, np.ndarray]:
    """H v of sum(y * dy) by PyTorch's double backward, in float64."""
    torch = torch_module()
    names = ("x", "weight", "bias")
    leaves = [torch.tensor(values[k].astype(np.float64), requires_grad=True) for k in names]
    running = [torch.tensor(values[k].astype(np.float64)) for k in ("running_mean", "running_var")]
    y = definition.torch_forward(torch, *leaves, *running, training)
    dy = torch.tensor(values["dy"].astype(np.float64))
    first = torch.autograd.grad((y * dy).sum(), leaves, create_graph=True, allow_unused=True)
    along_v = sum((g * torch.tensor(values["direction"][k])).sum() for k, g in zip(names, first) if g is not None)
    second = torch.autograd.grad(along_v, leaves, allow_unused=True)
    return {k: _numpy_or_zeros(h, values[k]) for k, h in zip(names, second)}


def torch_running_statistics(values: Values, momentum: float | None) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's running statistics after the same ``STEPS`` batches (momentum None: 1/k, as
    ``torch.nn.BatchNorm`` computes it from ``num_batches_tracked``)."""
    torch = torch_module()
    mean, var = (torch.tensor(values[k].astype(np.float64)) for k in ("running_mean", "running_var"))
    for k, batch in enumerate(values["batches"], start=1):
        weight = 1.0 / k if momentum is None else momentum
        torch.nn.functional.batch_norm(torch.tensor(batch.astype(np.float64)), mean, var, training=True,
                                       momentum=weight, eps=EPS)  # fmt: skip
    return mean.numpy(), var.numpy()


def _numpy_or_zeros(gradient: Any, like: np.ndarray) -> np.ndarray:
    return np.zeros(like.shape) if gradient is None else gradient.detach().numpy()
