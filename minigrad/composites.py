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
import warnings
from typing import TYPE_CHECKING, Any

from minigrad.dtypes import DefaultDType, Scalar, bool_, int64, is_floating, largest
from minigrad.shapes import normalize_dim, reduction_axes

if TYPE_CHECKING:  # only for the annotations: at run time this module reaches Tensors through their methods
    from minigrad.tensor import Tensor


# ----------------------------------------------------------------------------- elementwise


def floating(x: Tensor) -> Tensor:
    """x itself if it is floating point, else x as float32 (the default dtype; as PyTorch promotes
    for sigmoid, tanh, ...)."""
    return x if is_floating(x.dtype) else x.to(DefaultDType.value)


def sub(a: Tensor, b: Any) -> Tensor:
    """a - b = a + (-b)."""
    return a + (-b)


def add(x: Tensor, other: Any, *, alpha: Scalar = 1) -> Tensor:
    """x + alpha * other (PyTorch's ``add``; ``alpha`` scales the other operand)."""
    return x + (other if alpha == 1 else other * alpha)


def subtract(x: Tensor, other: Any, alpha: Scalar = 1) -> Tensor:
    """x - alpha * other."""
    return x - (other if alpha == 1 else other * alpha)


def mul(x: Tensor, other: Any) -> Tensor:
    return x * other


def div(x: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """x / other; ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient (which then has no
    gradient, as its derivative is zero almost everywhere)."""
    if rounding_mode is None:
        return x / other
    if rounding_mode == "floor":
        return x // other
    if rounding_mode == "trunc":
        floor = x // other
        if is_floating(floor.dtype):
            return (x / other).trunc()
        # Integers stay integers (no float round trip, exact for any size): the truncated
        # quotient is the floor one plus 1 where the division was inexact and the quotient negative.
        return floor + ((floor * other != x) & (floor < 0))
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")


def true_divide(x: Tensor, other: Any) -> Tensor:
    return x / other


def remainder(x: Tensor, other: Any) -> Tensor:
    """x - other * floor(x / other): the sign follows the divisor (Python's %); gradient 1 for x
    (the floor division is a constant)."""
    return x - other * (x // other)


def addcmul(x: Tensor, tensor1: Any, tensor2: Any, *, value: Scalar = 1) -> Tensor:
    """x + value * tensor1 * tensor2."""
    return add(x, tensor1 * tensor2, alpha=value)


def addcdiv(x: Tensor, tensor1: Any, tensor2: Any, *, value: Scalar = 1) -> Tensor:
    """x + value * tensor1 / tensor2 (a true division: integer tensor1 and tensor2 are refused,
    as in PyTorch, whose old addcdiv divided them as integers)."""
    if not is_floating(getattr(tensor1, "dtype", DefaultDType.value)) and not is_floating(
        getattr(tensor2, "dtype", DefaultDType.value)
    ):
        raise RuntimeError("addcdiv: integer tensor1 / tensor2 is not supported; cast one of them to a float dtype")
    return add(x, tensor1 / tensor2, alpha=value)


def neg(x: Tensor) -> Tensor:
    return -x


def reciprocal(x: Tensor) -> Tensor:
    return 1 / floating(x)


def exp2(x: Tensor) -> Tensor:
    """2^x = e^(x ln 2)."""
    return (floating(x) * math.log(2)).exp()


def expm1(x: Tensor) -> Tensor:
    """e^x - 1 (computed as written: less precise than PyTorch's for |x| below about 1e-5)."""
    return floating(x).exp() - 1


def log1p(x: Tensor) -> Tensor:
    """log(1 + x) (as written: less precise than PyTorch's for |x| below about 1e-5)."""
    return (1 + floating(x)).log()


def log2(x: Tensor) -> Tensor:
    return floating(x).log() / math.log(2)


def log10(x: Tensor) -> Tensor:
    return floating(x).log() / math.log(10)


def tan(x: Tensor) -> Tensor:
    return floating(x).sin() / floating(x).cos()


def acos(x: Tensor) -> Tensor:
    """arccos x = pi/2 - arcsin x. (As written, it keeps asin's absolute error, about 1e-16 in
    float64 and 1e-7 in float32; near x = 1, where acos is small, that is a larger relative error.)"""
    return math.pi / 2 - floating(x).asin()


def deg2rad(x: Tensor) -> Tensor:
    return floating(x) * (math.pi / 180)


def rad2deg(x: Tensor) -> Tensor:
    return floating(x) * (180 / math.pi)


def sinc(x: Tensor) -> Tensor:
    """sin(pi x) / (pi x), and 1 at x = 0. The division runs on x with its zeros replaced by 1,
    so that no 0/0 reaches the gradient (which is 0 at x = 0, as in PyTorch)."""
    x = floating(x)
    zero = x == 0
    pi_x = x.where(~zero, 1) * math.pi
    return (pi_x.sin() / pi_x).where(~zero, 1)


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """log(z / (1 - z)), the inverse of sigmoid, with z = x clamped to [eps, 1 - eps] when eps
    is given (PyTorch's formula; its gradient is then 0 outside that range)."""
    z = floating(x) if eps is None else floating(x).clamp(eps, 1 - eps)
    return (z / (1 - z)).log()


def xlogy(x: Tensor, y: Tensor) -> Tensor:
    """x * log(y), and 0 where x is 0 (unless y is NaN), as in PyTorch: 0 log 0 = 0, the
    convention entropies and KL divergences need. x and y are floating (``Tensor.xlogy``).
    Where x is 0 and log(y) is not finite (y <= 0 or y = inf) the log reads 1 instead, so the
    product is 0 without a 0 * inf, and no 0/0 reaches the gradient: d/dx is log(y) (0 there,
    as in PyTorch), d/dy is x / y (0 at x = y = 0, where PyTorch's is NaN)."""
    special = (x == 0) & ((y <= 0) | (y == math.inf))
    return x * y.where(~special, 1).log() + 0.0  # (+ 0.0 turns 0 * log(0.5) = -0.0 into PyTorch's 0.0)


def logaddexp(x: Tensor, y: Tensor) -> Tensor:
    """log(e^x + e^y) = max(x, y) + log(1 + e^-|x - y|): no exp can overflow. Where x and y
    are the same infinity the answer is that infinity (x - y would be NaN)."""
    same_infinity = (x == y) & x.isinf()
    gap = (x - y).where(~same_infinity, 0)
    return (x.maximum(y) + (-gap.abs()).exp().log1p()).where(~same_infinity, x)


def logaddexp2(x: Tensor, y: Tensor) -> Tensor:
    """log2(2^x + 2^y) = logaddexp(x ln 2, y ln 2) / ln 2."""
    return logaddexp(x * math.log(2), y * math.log(2)) / math.log(2)


def copysign(x: Tensor, y: Tensor) -> Tensor:
    """|x| with the sign of y (its sign bit: -0.0 counts as negative). x and y are floating
    (``Tensor.copysign``). The gradient reaches x only: sign(x) sign(y), 0 at x = 0, as in PyTorch."""
    return (x.abs() + 0.0) * x.new_tensor(1.0).where(~y.signbit(), -1.0)  # (+ 0.0: |-0.0| is +0.0)


def fmax(x: Tensor, y: Tensor) -> Tensor:
    """The larger of x and y, ignoring NaN (NaN only where both are). On ties x takes the
    whole gradient, as in PyTorch (``maximum`` splits it)."""
    return x.where((x >= y) | y.isnan(), y)


def fmin(x: Tensor, y: Tensor) -> Tensor:
    """The smaller of x and y, ignoring NaN (NaN only where both are); x wins ties."""
    return x.where((x <= y) | y.isnan(), y)


def float_power(x: Tensor, exponent: Any) -> Tensor:
    """x ** exponent in float64, whatever the dtypes (PyTorch's float_power)."""
    power = exponent.double() if hasattr(exponent, "_op") else float(exponent)
    return x.double() ** power


def sinh(x: Tensor) -> Tensor:
    e = floating(x).exp()
    return (e - 1 / e) / 2


def cosh(x: Tensor) -> Tensor:
    e = floating(x).exp()
    return (e + 1 / e) / 2


def frac(x: Tensor) -> Tensor:
    """x - trunc(x), the fractional part; its gradient is 1."""
    return x - x.trunc()


def lerp(x: Tensor, end: Any, weight: Any) -> Tensor:
    """x + weight * (end - x)."""
    return x + weight * (end - x)


def softplus(x: Tensor, beta: Scalar = 1, threshold: Scalar = 20) -> Tensor:
    """log(1 + e^(beta x)) / beta, as max(z, 0) + log(1 + e^-|z|) with z = beta x (no overflow),
    and x itself where beta x > threshold (PyTorch's switch to the linear part)."""
    z = floating(x) * beta
    smooth = (relu(z) + log1p((-abs(z)).exp())) / beta
    return x.where(z > threshold, smooth) if threshold is not None else smooth


def nan_to_num(x: Tensor, nan: Scalar = 0.0, posinf: Scalar | None = None, neginf: Scalar | None = None) -> Tensor:
    """NaN, +inf and -inf replaced by numbers (by default 0, and the dtype's largest and smallest)."""
    big = largest(x.dtype)
    out = x.where(~x.isnan(), nan)
    out = out.where(~(x == math.inf), big if posinf is None else posinf)
    return out.where(~(x == -math.inf), -big if neginf is None else neginf)


def abs(x: Tensor) -> Tensor:
    """|x| = x * sign(x), with sign(x) a constant: gradient sign(x), which is 0 at 0 as in PyTorch."""
    return x * x.sign()


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


def minimum(x: Tensor, other: Any) -> Tensor:
    """min(x, other) = -max(-x, -other); ties split the gradient evenly, as ``maximum`` does."""
    return -((-x).maximum(-other))


def clamp_min(x: Tensor, min: Scalar) -> Tensor:
    return clamp(x, min=min)


def clamp_max(x: Tensor, max: Scalar) -> Tensor:
    return clamp(x, max=max)


# ----------------------------------------------------------------------------- reductions


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Average over ``dim``: the sum divided by the number of elements summed."""
    x = x if dtype is None else x.to(dtype)
    if not is_floating(x.dtype):
        raise RuntimeError(f"mean() needs a floating point tensor, got dtype {x.dtype}; use .float() first")
    axes = reduction_axes(dim, x.ndim)
    return x.sum(axes, keepdim) / math.prod(x.shape[a] for a in axes)


def var(
    x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: Scalar | None = None
) -> Tensor:
    """Variance: sum((x - mean)^2) / (n - correction). correction=1 is the unbiased estimate
    (the default), correction=0 the biased one; PyTorch's older ``unbiased=True/False`` says the
    same (``x.var(False)`` too). The mean is *not* detached, so second derivatives are right."""
    if isinstance(dim, bool):  # var(unbiased): PyTorch's oldest form
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    elif unbiased is not None:
        raise TypeError("var: pass unbiased or correction, not both")
    axes = reduction_axes(dim, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    deviation = x - mean(x, axes, keepdim=True)
    return (deviation * deviation).sum(axes, keepdim) / max(count - correction, 0)


def std(
    x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: Scalar | None = None
) -> Tensor:
    """sqrt(var), with gradient 0 where the variance is 0 (as PyTorch's; see ``root_or_zero``)."""
    return root_or_zero(var(x, dim, unbiased, keepdim, correction=correction), 2)


def root_or_zero(s: Tensor, p: Scalar) -> Tensor:
    """``s ** (1/p)`` for s >= 0, whose gradient at s = 0 is taken as 0, as PyTorch's norm and
    std do: a constant row (a dead unit, padding) must not send NaN back. The root itself has
    an infinite slope at 0, and inf * 0 = NaN, so the zeros are replaced by 1 before the root
    and by 0 after it; where() sends them no gradient (the double-where trick)."""
    positive = s > 0  # a constant: comparisons are outside the graph
    return (s.where(positive, 1) ** (1 / p)).where(positive, 0)


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The product over ``dim`` (or all elements), by multiplying halves pairwise: log2(n)
    multiplications, so the gradient is derived and exact even where elements are 0."""
    x = x if dtype is None else x.to(dtype)
    if dim is None:
        return _product_of_last(x.reshape(-1)) if x.ndim else x
    axis = normalize_dim(dim, x.ndim)
    out = _product_of_last(x.movedim(axis, -1))
    return out.unsqueeze(axis) if keepdim else out


def _product_of_last(x: Tensor) -> Tensor:
    length = x.shape[-1]
    if length == 0:
        return x.sum(-1) + 1  # the empty product
    if length == 1:
        return x[..., 0]
    if length % 2:
        return _product_of_last(x[..., :-1]) * x[..., -1]
    return _product_of_last(x[..., : length // 2] * x[..., length // 2 :])


def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running products along ``dim``: out[i] = x[0] * ... * x[i]. Computed as a scan of log2(n)
    steps (Hillis & Steele 1986): at step s, out[i] *= out[i - s] for i >= s, with s = 1, 2, 4, ...
    Only multiplications, no division by x, so the derived gradient is exact where x has zeros
    (a gradient written as out / x would give 0/0 there)."""
    x = x if dtype is None else x.to(dtype)
    if dtype is None and (x.dtype == bool_ or (x.dtype.kind in "iu" and x.dtype != int64)):
        x = x.to(int64)  # PyTorch multiplies integers in int64
    axis = normalize_dim(dim, x.ndim)
    if x.ndim == 0:
        return x
    out = x.movedim(axis, -1)
    length = out.shape[-1]
    position = out.new_ones(length).cumsum(0) - 1  # 0, 1, ..., n - 1
    shift = 1
    while shift < length:  # log2(n) steps, each over the whole tensor
        earlier = out.roll(shift, -1).where(position >= shift, 1)  # out[i - shift], and 1 for i < shift
        out = out * earlier
        shift *= 2
    return out.movedim(-1, axis)


def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum with NaN counted as 0 (and given gradient 0)."""
    kept = x.where(~x.isnan(), 0) if is_floating(x.dtype) else x
    return kept.sum(dim, keepdim, dtype=dtype)


def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the elements that are not NaN (NaN where all are)."""
    x = x if dtype is None else x.to(dtype)
    if not is_floating(x.dtype):
        raise RuntimeError(f"nanmean() needs a floating point tensor, got dtype {x.dtype}; use .float() first")
    present = ~x.isnan()
    return x.where(present, 0).sum(dim, keepdim) / present.sum(dim, keepdim).to(x.dtype)


def cross(x: Tensor, other: Any, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim``: (x1 o2 - x2 o1, x2 o0 - x0 o2, x0 o1 - x1 o0),
    which is x rolled by -1 times other rolled by 1, minus x rolled by 1 times other rolled by -1.
    Without ``dim``, the first dim of size 3, with PyTorch's deprecation warning (its default
    will become -1, as in ``torch.linalg.cross``)."""
    if x.ndim != other.ndim:
        raise RuntimeError(f"cross: inputs must have the same number of dims, got shapes {x.shape} and {other.shape}")
    if dim is None:
        warnings.warn(
            "cross() without dim takes the first dim of size 3; this default is deprecated in PyTorch "
            "(it will become -1, as in torch.linalg.cross): pass dim explicitly",
            UserWarning,
            stacklevel=2,
        )
        dim = next((d for d, n in enumerate(x.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {x.shape}")
    axis = normalize_dim(dim, x.ndim)
    if x.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(
            f"cross: dim {axis} must have length 3 in both inputs, got shapes {x.shape} and {other.shape}"
        )
    return x.roll(-1, axis) * other.roll(1, axis) - x.roll(1, axis) * other.roll(-1, axis)


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The p-norm over ``dim``: (sum |x|^p)^(1/p); p = 2 or "fro" is the Euclidean norm, p = inf
    the largest |x|."""
    x = floating(x if dtype is None else x.to(dtype))
    if p in ("fro", 2, 2.0):
        return root_or_zero((x * x).sum(dim, keepdim), 2)
    if p == math.inf:
        return abs(x).amax(dim, keepdim)
    if p == -math.inf:
        return abs(x).amin(dim, keepdim)
    if p == 1:
        return abs(x).sum(dim, keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (use 'fro' or a number)")
    return root_or_zero((abs(x) ** p).sum(dim, keepdim), p)


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    return (x != 0).sum(dim)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """min over ``dim`` = -max(-x)."""
    return -((-x).amax(dim, keepdim))


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m the max, so that exp
    never overflows. m is a detached constant: the result does not depend on it."""
    axes = reduction_axes(dim, x.ndim)
    shift = x.detach().amax(axes, keepdim=True)
    shift = shift.where(shift.isfinite(), 0)  # rows of all -inf: shift by 0
    out = (x - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))


def softmax(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)), shifted by the (constant) max for stability."""
    x = floating(x if dtype is None else x.to(dtype))
    e = (x - x.detach().amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """x - logsumexp(x): stable for large |x|, unlike log(softmax(x))."""
    x = floating(x if dtype is None else x.to(dtype))
    return x - logsumexp(x, dim, keepdim=True)
