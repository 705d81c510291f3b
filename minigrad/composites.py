"""Composites: functions built from primitives, so the engine derives their gradients.

Nothing in this file writes a gradient. Each function below is a few Tensor operations, and
each of those is one primitive from ``ops.py`` with its VJP; the chain rule does the rest,
to any order. (A test reads this file and checks that it defines no op and imports none.)
``Tensor``'s methods of the same names call these.

>>> import minigrad
>>> x = minigrad.tensor([0.0, 2.0], requires_grad=True)
>>> sigmoid(x).sum().backward()
>>> x.grad   # sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))
tensor([0.2500, 0.1050])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from minigrad.dtypes import Scalar, float32, is_floating
from minigrad.shapes import reduction_axes

if TYPE_CHECKING:  # only for the annotations: at run time this module reaches Tensors through their methods
    from minigrad.tensor import Tensor


# ----------------------------------------------------------------------------- elementwise


def floating(x: Tensor) -> Tensor:
    """x itself if it is floating point, else x as float32 (as PyTorch promotes for sigmoid, tanh, ...)."""
    return x if is_floating(x.dtype) else x.to(float32)


def sub(a: Tensor, b: Tensor) -> Tensor:
    """a - b = a + (-b)."""
    return a + (-b)


def abs(x: Tensor) -> Tensor:
    """|x| = x * sign(x), with sign(x) a constant: gradient sign(x), which is 0 at 0 as in PyTorch."""
    return x * x.sign()


def cos(x: Tensor) -> Tensor:
    """cos x = sin(x + pi/2)."""
    return (floating(x) + math.pi / 2).sin()


def relu(x: Tensor) -> Tensor:
    """max(x, 0); the gradient at 0 is 0 and NaN stays NaN, as in PyTorch (hence not ``x > 0``)."""
    return x.where(~(x <= 0), 0)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), written so that no exp can overflow:
    with e = e^-|x|, sigmoid = 1/(1+e) for x >= 0 and e/(1+e) for x < 0."""
    x = floating(x)
    positive = x >= 0
    e = (-x).where(positive, x).exp()
    return (1 / (1 + e)).where(positive, e / (1 + e))


def tanh(x: Tensor) -> Tensor:
    """tanh x = (1 - e^-2|x|) / (1 + e^-2|x|) * sign(x), which cannot overflow."""
    x = floating(x)
    positive = x >= 0
    e = (2 * (-x).where(positive, x)).exp()
    magnitude = (1 - e) / (1 + e)
    return magnitude.where(positive, -magnitude)


def clamp(x: Tensor, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
    """Limit to [min, max]; the gradient is 1 inside (bounds included), 0 outside; NaN stays NaN."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    out = x
    if min is not None:
        out = out.where(~(x < min), min)
    if max is not None:
        out = out.where(~(x > max), max)
    return out


def minimum(a: Tensor, b: Any) -> Tensor:
    """min(a, b) = -max(-a, -b); ties split the gradient evenly, as ``maximum`` does."""
    return -((-a).maximum(-b))


# ----------------------------------------------------------------------------- reductions


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Average over ``dim``: the sum divided by the number of elements summed."""
    if not is_floating(x.dtype):
        raise RuntimeError(f"mean() needs a floating point tensor, got dtype {x.dtype}; use .float() first")
    axes = reduction_axes(dim, x.ndim)
    return x.sum(axes, keepdim) / math.prod(x.shape[a] for a in axes)


def var(x: Tensor, dim: Any = None, keepdim: bool = False, correction: int = 1) -> Tensor:
    """Variance: sum((x - mean)^2) / (n - correction). correction=1 is the unbiased estimate,
    correction=0 the biased one. The mean is *not* detached, so second derivatives are right."""
    axes = reduction_axes(dim, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    deviation = x - mean(x, axes, keepdim=True)
    return (deviation * deviation).sum(axes, keepdim) / max(count - correction, 0)


def std(x: Tensor, dim: Any = None, keepdim: bool = False, correction: int = 1) -> Tensor:
    """sqrt(var)."""
    return var(x, dim, keepdim, correction).sqrt()


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """min over ``dim`` = -max(-x)."""
    return -((-x).amax(dim, keepdim))


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m the max, so that exp
    never overflows. m is a detached constant: the result does not depend on it."""
    axes = reduction_axes(dim, x.ndim)
    shift = x.detach().amax(axes, keepdim=True)
    shift = shift.where(shift.isfinite(), 0)  # rows of all -inf: shift by 0
    out = (x - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))


def softmax(x: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)), shifted by the (constant) max for stability."""
    e = (x - x.detach().amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x): stable for large |x|, unlike log(softmax(x))."""
    return x - logsumexp(x, dim, keepdim=True)
