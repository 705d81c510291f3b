"""minigrad: a small tensor autograd engine on numpy, written to be read.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4.])

Importing minigrad changes nothing outside it. ``minigrad.keep_freed_memory()`` is the one
process-wide setting it offers (the command line and the benchmarks call it; see allocator.py).
"""

from typing import Any

from minigrad import nn, optim
from minigrad.allocator import keep_freed_memory
from minigrad.autograd import enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.dtypes import bool_, float32, float64, int32, int64
from minigrad.factories import (
    arange,
    from_numpy,
    full,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.functions import cat, maximum, minimum, stack, where
from minigrad.serialization import CheckpointError, load, save
from minigrad.shapes import ShapeError
from minigrad.tensor import Tensor

__version__ = "0.1.0"

# The checking tools load on first use (PEP 562), so that importing minigrad stays light.
_CHECKS = {"check_batchnorm", "gradcheck", "gradgradcheck", "GradcheckError"}


def __getattr__(name: str) -> Any:
    if name in _CHECKS:
        from minigrad import checks

        return getattr(checks, name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "GradcheckError",
    "ShapeError",
    "Tensor",
    "arange",
    "bool_",
    "cat",
    "check_batchnorm",
    "enable_grad",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "keep_freed_memory",
    "load",
    "manual_seed",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "randint",
    "randn",
    "save",
    "set_grad_enabled",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
