"""minigrad: a small tensor autograd engine on numpy, written to be read.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4.])
"""

from minigrad import nn, optim
from minigrad.allocator import keep_freed_memory
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.bncheck import check_batchnorm
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.serialization import CheckpointError, load, save
from minigrad.tensor import (
    ShapeError,
    Tensor,
    arange,
    bool_,
    cat,
    float32,
    float64,
    full,
    grad,
    int32,
    int64,
    manual_seed,
    maximum,
    minimum,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

keep_freed_memory()  # see allocator.py: halves the time of a training step on Linux

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
