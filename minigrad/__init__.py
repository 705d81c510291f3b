"""minigrad: a small tensor autograd engine on numpy, written to be read.

>>> import minigrad
>>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4.])

Its names are PyTorch's, so that a program written for PyTorch's CPU API runs with
``import minigrad as torch`` (see docs/pytorch.md, and ``python -m minigrad.as_torch``).

Importing minigrad changes nothing outside it. ``minigrad.keep_freed_memory()`` is the one
process-wide setting it offers (the command line and the benchmarks call it; see allocator.py).
"""

from typing import Any

import numpy as _np

from minigrad import autograd, factories, nn, optim, parallel, utils
from minigrad.allocator import keep_freed_memory
from minigrad.autograd import (
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.devices import (
    accelerator,
    backends,
    channels_last,
    contiguous_format,
    cuda,
    device,
    get_default_device,
    preserve_format,
    set_default_device,
    sparse_coo,
    strided,
)
from minigrad.dtypes import (
    bfloat16,
    bool_,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from minigrad.factories import (
    Generator,
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from minigrad.functions import (
    addmm,
    broadcast_shapes,
    broadcast_tensors,
    cat,
    concat,
    concatenate,
    einsum,
    hstack,
    maximum,
    meshgrid,
    minimum,
    stack,
    vstack,
    where,
)
from minigrad.serialization import CheckpointError, load, save
from minigrad.shapes import ShapeError, Size
from minigrad.tensor import Tensor
from minigrad.tensor_convert import set_printoptions
from minigrad.torch_functions import FUNCTIONS as _FUNCTIONS
from minigrad.torch_functions import is_tensor, std_mean, var_mean
from minigrad.unsupported import submodule_or_missing

__version__ = "0.1.0"

# The function forms of Tensor's methods (minigrad.add, minigrad.exp, minigrad.sum, ...).
globals().update(_FUNCTIONS)

# PyTorch's other names for the dtypes. (They are not in __all__: ``from minigrad import *``
# must not hide Python's float, int and bool.)
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
bool = bool_
cfloat, cdouble = complex64, complex128
dtype = _np.dtype  # the type of the dtypes: isinstance(x.dtype, minigrad.dtype)
finfo, iinfo = _np.finfo, _np.iinfo
# The legacy tensor types of old tutorials (torch.LongTensor([1, 2]), x.type(torch.FloatTensor)).
FloatTensor, DoubleTensor = factories.FloatTensor, factories.DoubleTensor
LongTensor, IntTensor, ShortTensor = factories.LongTensor, factories.IntTensor, factories.ShortTensor
CharTensor, ByteTensor, BoolTensor = factories.CharTensor, factories.ByteTensor, factories.BoolTensor
is_anomaly_enabled = autograd.is_anomaly_enabled


def get_num_threads() -> Any:
    """The threads minigrad splits large work across (``MINIGRAD_NUM_THREADS``; see parallel.py)."""
    return parallel.NUM_THREADS


def set_num_threads(num: Any) -> None:
    """Use ``num`` threads for large matrix products and col2im (1: everything on one thread),
    as ``MINIGRAD_NUM_THREADS`` does at start-up."""
    parallel.set_num_threads(num)


# The checking tools load on first use (PEP 562), so that importing minigrad stays light.
_CHECKS = {"check_batchnorm", "gradcheck", "gradgradcheck", "GradcheckError"}


def __getattr__(name: str) -> Any:
    if name in _CHECKS:
        from minigrad import checks

        return getattr(checks, name)
    return submodule_or_missing("minigrad", name)


__all__ = [
    "CheckpointError",
    "Generator",
    "GradcheckError",
    "ShapeError",
    "Size",
    "Tensor",
    "accelerator",
    "addmm",
    "arange",
    "as_tensor",
    "autograd",
    "backends",
    "bernoulli",
    "bfloat16",
    "bool_",
    "broadcast_shapes",
    "broadcast_tensors",
    "cat",
    "channels_last",
    "check_batchnorm",
    "complex64",
    "complex128",
    "concat",
    "concatenate",
    "contiguous_format",
    "cuda",
    "device",
    "einsum",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_default_device",
    "get_default_dtype",
    "get_num_threads",
    "get_rng_state",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hstack",
    "inference_mode",
    "initial_seed",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "is_tensor",
    "keep_freed_memory",
    "linspace",
    "load",
    "logspace",
    "manual_seed",
    "maximum",
    "meshgrid",
    "minimum",
    "multinomial",
    "nn",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "optim",
    "preserve_format",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "save",
    "seed",
    "set_default_device",
    "set_default_dtype",
    "set_grad_enabled",
    "set_num_threads",
    "set_printoptions",
    "set_rng_state",
    "sparse_coo",
    "stack",
    "std_mean",
    "strided",
    "tensor",
    "uint8",
    "utils",
    "var_mean",
    "vstack",
    "where",
    "zeros",
    "zeros_like",
    *sorted(set(_FUNCTIONS) - {"maximum", "minimum"}),
]
