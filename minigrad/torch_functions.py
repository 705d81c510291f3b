"""The function forms of Tensor's methods, at the top level: ``minigrad.add``, ``exp``, ``sum``,
``flatten``, ``matmul(input=, other=)``, ... as in ``torch``. Above Tensor.

Each is made from the method of the same name by ``function_form``: the same parameters, with
``self`` called ``input`` (PyTorch's name), and ``out=`` where PyTorch has it. So
``minigrad.sum(x, 1)`` is ``x.sum(1)``, and there is nothing to keep in step by hand.

>>> import minigrad
>>> x = minigrad.tensor([[1.0, -2.0], [3.0, 4.0]])
>>> minigrad.abs(x).sum().item(), minigrad.matmul(input=x, other=x).shape, minigrad.max(x, 1).indices
(10.0, (2, 2), tensor([0, 1]))
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.tensor import Tensor
from minigrad.tensor_inplace import write_out

KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY


def function_form(method: Callable[..., Any], *, out: bool = True, first: str = "input") -> Callable[..., Any]:
    """``torch.NAME(input, ...)``: Tensor's method ``NAME`` called on ``input``; with ``out`` the
    result is also written into the ``out=`` tensor (or tuple of tensors) and returned."""
    signature = inspect.signature(method)
    parameters = list(signature.parameters.values())
    parameters[0] = parameters[0].replace(name=first)
    if out:
        at = next((i for i, p in enumerate(parameters) if p.kind is inspect.Parameter.VAR_KEYWORD), len(parameters))
        parameters.insert(at, inspect.Parameter("out", KEYWORD_ONLY, default=None))
    name = method.__name__

    def function(*args: Any, **kwargs: Any) -> Any:
        destination = kwargs.pop("out", None) if out else None
        if args:
            input, args = args[0], args[1:]
        elif first in kwargs:
            input = kwargs.pop(first)
        else:
            raise TypeError(f"{name}() missing the tensor argument {first!r}")
        if not isinstance(input, Tensor):
            input = Tensor(input)
        result = method(input, *args, **kwargs)
        return result if destination is None else write_out(destination, result, name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)`` (see ``Tensor.{name}``)." + (" Accepts ``out=``." if out else "")
    function.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    function.__module__ = "minigrad"
    return function


def _forms(*names: str, out: bool = True) -> dict[str, Callable[..., Any]]:
    return {name: function_form(getattr(Tensor, name), out=out) for name in names}


# PyTorch's top-level functions that are a Tensor method under the same name. With out=:
FUNCTIONS = _forms(
    # arithmetic and elementwise math
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder",
    "pow", "neg", "negative", "reciprocal", "abs", "absolute", "sign", "sgn",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "sin", "cos", "tan", "sinh", "cosh", "tanh", "sigmoid", "erf",
    "atan", "arctan", "asin", "arcsin", "acos", "arccos", "atan2", "arctan2", "fmod", "addcmul", "addcdiv",
    "floor", "ceil", "trunc", "frac", "round", "clamp", "clip", "lerp", "nan_to_num",
    # comparisons
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    # reductions
    "sum", "mean", "var", "std", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
    "logsumexp", "all", "any", "cumsum", "median", "kthvalue", "sort", "argsort", "msort", "topk",
    "cumprod", "nansum", "nanmean", "diff",
    # shapes and indexing
    "gather", "index_select", "masked_select", "take_along_dim", "take", "tril", "triu", "diag",
    "clamp_min", "clamp_max", "softmax", "log_softmax", "nonzero", "scatter", "scatter_add", "maximum", "minimum",
    # matrix products
    "matmul", "mm", "bmm", "mv", "dot", "outer", "cross",
    # added beside them: more elementwise math, products and matrix functions
    "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "erfc", "hypot", "xlogy", "copysign",
    "logaddexp", "logaddexp2", "fmax", "fmin", "deg2rad", "rad2deg", "sinc", "logit", "float_power",
    "signbit", "isposinf", "isneginf", "heaviside",
    "addmv", "addr", "baddbmm", "addbmm", "inner", "ger", "vdot", "kron", "inverse", "slogdet", "matrix_power",
    "index_add", "index_copy",
)  # fmt: skip

# ... and without it (PyTorch's function has no out=, or returns a view):
FUNCTIONS.update(
    _forms(
        "relu", "count_nonzero", "argwhere", "unique", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze",
        "transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "t", "fliplr", "flipud", "tile",
        "chunk", "unbind", "select", "masked_fill", "diagonal", "trace", "broadcast_to", "ravel", "clone",
        "numel", "is_floating_point", "is_complex", "allclose", "equal", "isclose", "narrow", "flip", "roll",
        "isnan", "isinf", "isfinite", "detach", "tensor_split",
        "isreal", "positive", "det", "logdet", "rot90", "hsplit", "vsplit", "dsplit", "diagflat", "index_fill",
        # the in-place forms (torch.relu_(x) is x.relu_()), with PyTorch's in-place rules
        "zero_", "fill_", "relu_", "sigmoid_", "tanh_", "exp_", "log_", "sqrt_", "square_", "sin_", "cos_",
        "abs_", "neg_", "reciprocal_", "floor_", "ceil_", "round_", "clamp_", "clip_", "clamp_min_", "clamp_max_",
        "detach_",
        out=False,
    )
)  # fmt: skip


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along ``dim``: of one size each (the last may be smaller), or of the given sizes."""
    return tensor.split(split_size_or_sections, dim)


def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Tensor | None = None, dtype: Any = None
) -> Tensor:
    """The p-norm (``Tensor.norm``); PyTorch's function takes ``out`` before ``dtype``."""
    result = input.norm(p, dim, keepdim, dtype)
    return result if out is None else write_out(out, result, "norm")


def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """``input.repeat_interleave(repeats, dim)``; with ``repeats`` left out, ``input`` holds the
    counts, and the result is 0, 1, 2, ... each repeated that many times (PyTorch's one-argument form)."""
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if repeats is None:
        counts = input.reshape(-1)
        return Tensor._make(np.arange(len(counts))).repeat_interleave(counts, 0, output_size=output_size)
    return input.repeat_interleave(repeats, dim, output_size=output_size)


FUNCTIONS.update(split=split, norm=norm, repeat_interleave=repeat_interleave)
__all__ = sorted(FUNCTIONS)
globals().update(FUNCTIONS)


def is_tensor(obj: Any) -> bool:
    """True for a minigrad Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def var_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
    out: Any = None,
) -> tuple[Tensor, Tensor]:
    """(variance, mean) over ``dim``."""
    result = (input.var(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim))
    return result if out is None else write_out(out, result, "var_mean")


def std_mean(
    input: Tensor,
    dim: Any = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
    out: Any = None,
) -> tuple[Tensor, Tensor]:
    """(standard deviation, mean) over ``dim``."""
    result = (input.std(dim, unbiased, keepdim, correction=correction), input.mean(dim, keepdim))
    return result if out is None else write_out(out, result, "std_mean")


__all__ += ["is_tensor", "std_mean", "var_mean"]
