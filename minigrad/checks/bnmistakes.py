"""The gallery of classic BatchNorm mistakes, each minigrad's BatchNorm with one line changed.

``minigrad check-bn --mistake NAME`` runs the whole check on one of them and shows which rows
fail; ``check_batchnorm`` also uses them to say what is wrong with your own BatchNorm (when
yours fails exactly as one of these does, it names the mistake). Everything a mistake does not
change is minigrad's own code: ``normalize`` for the stages, ``scale_normalized`` for y,
``batch_norm`` for the running statistics.

>>> sorted(MISTAKES)[:3]
['biased-running-variance', 'eps-outside-sqrt', 'eval-uses-batch-stats']
>>> print(MISTAKES["unbiased-variance"].wrong)
var = x.var(axes)                          # Tensor.var divides by m - 1
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minigrad.checks.bnimpl import Implementation
from minigrad.nn.batchnorm import Normalized, batch_norm, channel_layout, normalize, scale_normalized
from minigrad.tensor import Tensor


@dataclass(frozen=True)
class Mistake:
    """One mistake: the wrong line, the right one, and what the check should say about it."""

    name: str
    summary: str
    wrong: str
    right: str
    hint: str  # the sentence the check prints when an implementation fails exactly this way
    implementation: Implementation


# ----------------------------------------------------------------------------- the normalisations
# Each has normalize's signature: x_for_mean and x_for_var are x again under other names, so that
# the check can split dx into its three paths (see bncheck.dx_paths).


def _recentred(stages: Normalized, var: Any, eps: float) -> Normalized:
    """The stages again after the variance was changed: x^ = (x - mean) / sqrt(var + eps)."""
    return Normalized(stages.mean, var, stages.centered, (var + eps) ** -0.5)


def unbiased_variance(x: Any, eps: float, x_for_mean: Any = None, x_for_var: Any = None) -> Normalized:
    stages = normalize(x, eps, x_for_mean=x_for_mean, x_for_var=x_for_var)
    m = channel_layout(x)[2]
    return _recentred(stages, stages.var * (m / (m - 1)), eps)  # MISTAKE: the unbiased variance


def eps_outside_sqrt(x: Any, eps: float, x_for_mean: Any = None, x_for_var: Any = None) -> Normalized:
    stages = normalize(x, eps, x_for_mean=x_for_mean, x_for_var=x_for_var)
    inv_std = 1 / (stages.var**0.5 + eps)  # MISTAKE: 1 / (sqrt(var) + eps)
    return Normalized(stages.mean, stages.var, stages.centered, inv_std)


def mean_detached(x: Any, eps: float, x_for_mean: Any = None, x_for_var: Any = None) -> Normalized:
    source = x if x_for_mean is None else x_for_mean
    return normalize(x, eps, x_for_mean=source.detach(), x_for_var=x_for_var)  # MISTAKE: mean of x.detach()


def variance_detached(x: Any, eps: float, x_for_mean: Any = None, x_for_var: Any = None) -> Normalized:
    stages = normalize(x, eps, x_for_mean=x_for_mean, x_for_var=x_for_var)
    return _recentred(stages, stages.var.detach(), eps)  # MISTAKE: var.detach()


def mean_detached_in_variance(x: Any, eps: float, x_for_mean: Any = None, x_for_var: Any = None) -> Normalized:
    stages = normalize(x, eps, x_for_mean=x_for_mean, x_for_var=x_for_var)
    axes = channel_layout(x)[0]
    deviation = (x if x_for_var is None else x_for_var) - stages.mean.detach()  # MISTAKE: the mean detached here only
    return _recentred(stages, (deviation * deviation).mean(axis=axes, keepdims=True), eps)


# ----------------------------------------------------------------------------- the running statistics


def minigrads_update(input: Tensor, running_mean: Tensor, running_var: Tensor, momentum: float, eps: float) -> None:
    """minigrad's own update of the running statistics (its output is not used)."""
    batch_norm(input.detach(), running_mean, running_var, training=True, momentum=momentum, eps=eps)


def _batch_statistics(input: Tensor, eps: float) -> tuple[Any, Any, int]:
    stages = normalize(input.array, eps)
    return stages.mean.reshape(-1), stages.var.reshape(-1), channel_layout(input)[2]


def biased_running_variance(
    input: Tensor, running_mean: Tensor, running_var: Tensor, momentum: float, eps: float
) -> None:
    mean, var, _ = _batch_statistics(input, eps)
    running_mean.array[...] = (1 - momentum) * running_mean.array + momentum * mean
    running_var.array[...] = (1 - momentum) * running_var.array + momentum * var  # MISTAKE: biased, no m / (m - 1)


def momentum_reversed(input: Tensor, running_mean: Tensor, running_var: Tensor, momentum: float, eps: float) -> None:
    mean, var, m = _batch_statistics(input, eps)
    running_mean.array[...] = momentum * running_mean.array + (1 - momentum) * mean  # MISTAKE: cs231n's convention
    running_var.array[...] = momentum * running_var.array + (1 - momentum) * var * (m / (m - 1))  # with momentum=0.1


# ----------------------------------------------------------------------------- the gallery


def with_mistake(
    name: str,
    normalise: Callable[..., Normalized] = normalize,
    update: Callable[..., None] = minigrads_update,
    eval_with_batch_statistics: bool = False,
) -> Implementation:
    """minigrad's BatchNorm with one part replaced: the training normalisation, the update of
    the running statistics, or (``eval_with_batch_statistics``) the eval branch."""

    def mistaken_batch_norm(
        input: Tensor,
        running_mean: Tensor | None,
        running_var: Tensor | None,
        weight: Tensor | None = None,
        bias: Tensor | None = None,
        training: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> Tensor:
        if training or eval_with_batch_statistics:  # (the eval mistake: batch statistics in eval mode)
            stages = normalise(input, eps)
        else:
            stages = normalize(input, eps, (running_mean, running_var))
        if training and running_mean is not None and running_var is not None:
            update(input, running_mean, running_var, momentum, eps)
        return scale_normalized(stages, weight, bias)

    return Implementation(name, f"minigrad's BatchNorm with one mistake: {name}", mistaken_batch_norm,
                          normalize=normalise)  # fmt: skip


MISTAKES = {
    m.name: m
    for m in (
        Mistake(
            "unbiased-variance",
            "normalising with the unbiased variance (divide by m - 1)",
            "var = x.var(axes)                          # Tensor.var divides by m - 1",
            "var = x.var(axes, correction=0)            # BN normalises with the biased variance (divide by m)",
            "forward differs from the definition: did you use the unbiased variance? BatchNorm normalises with "
            "the biased variance (divide by m); Tensor.var() divides by m - 1 unless you pass correction=0",
            with_mistake("unbiased-variance", unbiased_variance),
        ),
        Mistake(
            "eps-outside-sqrt",
            "eps added to the standard deviation instead of the variance",
            "x_hat = (x - mean) / (var.sqrt() + eps)",
            "x_hat = (x - mean) / (var + eps).sqrt()",
            "forward differs from the definition by about eps / var (most in nearly constant channels): is eps "
            "outside the square root? It belongs inside: (x - mean) / sqrt(var + eps)",
            with_mistake("eps-outside-sqrt", eps_outside_sqrt),
        ),
        Mistake(
            "mean-detached",
            "the batch mean treated as a constant",
            "mean = x.detach().mean(axes)",
            "mean = x.mean(axes)",
            "the forward is right but dx misses the path through the batch mean: is the mean detached (or "
            "computed from x.array or numpy)? dgamma and dbeta are right, which is why this slips through",
            with_mistake("mean-detached", mean_detached),
        ),
        Mistake(
            "variance-detached",
            "the batch variance treated as a constant",
            "x_hat = (x - mean) / (var.detach() + eps).sqrt()",
            "x_hat = (x - mean) / (var + eps).sqrt()",
            "the forward is right but dx misses the path through the batch variance: is the variance detached "
            "(or computed from x.array or numpy)?",
            with_mistake("variance-detached", variance_detached),
        ),
        Mistake(
            "mean-detached-in-variance",
            "the mean detached inside the variance only (teenygrad's BatchNorm does this)",
            "var = ((x - mean.detach()) ** 2).mean(axes)",
            "var = ((x - mean) ** 2).mean(axes)",
            "first derivatives are right but second derivatives are not: is the mean detached inside the "
            "variance? The mean's route into the variance carries no gradient (sum(x - mean) = 0), but it carries "
            "part of the Hessian",
            with_mistake("mean-detached-in-variance", mean_detached_in_variance),
        ),
        Mistake(
            "biased-running-variance",
            "running_var updated with the biased batch variance",
            "running_var = (1 - momentum) * running_var + momentum * var",
            "running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)",
            "running_var differs from PyTorch's: it must be updated with the unbiased batch variance, "
            "var * m / (m - 1) (the biased one is for normalising)",
            with_mistake("biased-running-variance", update=biased_running_variance),
        ),
        Mistake(
            "momentum-reversed",
            "cs231n's momentum convention with PyTorch's momentum=0.1",
            "running = momentum * running + (1 - momentum) * batch",
            "running = (1 - momentum) * running + momentum * batch",
            "the running statistics follow the batch almost entirely: in PyTorch momentum is the weight of the "
            "new batch, running = (1 - momentum) * running + momentum * batch (cs231n's momentum=0.9 is the "
            "weight of the old value)",
            with_mistake("momentum-reversed", update=momentum_reversed),
        ),
        Mistake(
            "eval-uses-batch-stats",
            "eval mode normalising with the batch statistics",
            "x_hat = (x - x.mean(axes)) / (x.var(axes, correction=0) + eps).sqrt()   # in eval mode",
            "x_hat = (x - running_mean) / (running_var + eps).sqrt()                 # in eval mode",
            "eval mode differs from the definition: in eval mode BatchNorm normalises with running_mean and "
            "running_var, not with the batch statistics",
            with_mistake("eval-uses-batch-stats", eval_with_batch_statistics=True),
        ),
    )
}
