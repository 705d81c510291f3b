"""Making tensors: from data, filled, ranges, and random numbers. Above Tensor.

Every factory takes PyTorch's keywords: ``dtype=``, ``device=`` (the CPU), ``requires_grad=``,
``out=``, and ``layout=`` / ``pin_memory=`` / ``memory_format=``, which have one meaning here
(dense arrays in ordinary memory) and are checked, not ignored.

>>> tensor([1, 2]).dtype, tensor([1.0]).dtype, zeros(2, 3).shape
(dtype('int64'), dtype('float32'), (2, 3))
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.devices import check_device, contiguous_format, preserve_format, strided
from minigrad.dtypes import LEGACY_TYPE_NAMES, DefaultDType, DTypeLike, Scalar, array_of, as_array, int64, resolve_dtype
from minigrad.generator import Generator, default_generator, generator_of, initial_seed, manual_seed, seed
from minigrad.shapes import Size, shape_from_args
from minigrad.tensor import Tensor, from_numpy
from minigrad.unsupported import unsupported

__all__ = [
    "Generator",
    "arange",
    "as_tensor",
    "bernoulli",
    "default_generator",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_rng_state",
    "initial_seed",
    "linspace",
    "logspace",
    "manual_seed",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_rng_state",
    "strided",
    "tensor",
    "zeros",
    "zeros_like",
]


def made(
    array: np.ndarray,
    *,
    device: Any = None,
    requires_grad: bool = False,
    layout: Any = None,
    out: Tensor | None = None,
) -> Tensor:
    """The tensor a factory returns: ``array`` (owned by it), checked against PyTorch's keywords,
    or written into ``out``."""
    check_device(device)
    if layout is not None and layout is not strided:
        raise unsupported(f"layout {layout!r} (sparse tensors)", "Tensors here are dense (torch.strided).")
    if out is not None:
        out.array = array.astype(out.dtype, copy=False) if array.shape == out.shape else array
        return out.requires_grad_(requires_grad) if requires_grad else out
    return Tensor(array, requires_grad=requires_grad)


def _float(dtype: DTypeLike) -> np.dtype:
    return resolve_dtype(dtype) or DefaultDType.value


# ----------------------------------------------------------------------------- from data


def tensor(
    data: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data``: Python floats become float32, ints int64, and
    numpy arrays keep their dtype, as in PyTorch.

    >>> tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    return made(as_array(data, dtype), device=device, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: DTypeLike = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can: a Tensor of that dtype is returned as
    it is, a numpy array of that dtype is wrapped without a copy."""
    check_device(device)
    dtype = resolve_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype):
        return from_numpy(data)
    return Tensor(as_array(data, dtype))


# ----------------------------------------------------------------------------- filled


def _filled(size: tuple[Any, ...], value: Any, dtype: DTypeLike, **keywords: Any) -> Tensor:
    return made(np.full(shape_from_args(size), value, dtype=_float(dtype)), **keywords)


def zeros(
    *size: Any,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """``zeros(2, 3)`` or ``zeros((2, 3))``; float32 unless ``dtype`` says otherwise."""
    return _filled(size, 0, dtype, out=out, layout=layout, device=device, requires_grad=requires_grad)


def ones(
    *size: Any,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    return _filled(size, 1, dtype, out=out, layout=layout, device=device, requires_grad=requires_grad)


def empty(
    *size: Any,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = contiguous_format,
) -> Tensor:
    """An uninitialised tensor, as in PyTorch (here: zeros, so that nothing is ever random by accident)."""
    return _filled(size, 0, dtype, out=out, layout=layout, device=device, requires_grad=requires_grad)


def full(
    size: Sequence[int],
    fill_value: Scalar,
    *,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    dtype = resolve_dtype(dtype) or as_array(fill_value, None).dtype
    array = np.full(tuple(size), fill_value, dtype=dtype)
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


def _like(input: Tensor, values: np.ndarray, dtype: DTypeLike, device: Any, requires_grad: bool) -> Tensor:
    return made(
        values.astype(resolve_dtype(dtype) or input.dtype, copy=False), device=device, requires_grad=requires_grad
    )


def zeros_like(
    input: Tensor,
    *,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    return _like(input, np.zeros(input.shape), dtype, device, requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    return _like(input, np.ones(input.shape), dtype, device, requires_grad)


def empty_like(
    input: Tensor,
    *,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    return _like(input, np.zeros(input.shape), dtype, device, requires_grad)


def full_like(
    input: Tensor,
    fill_value: Scalar,
    *,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    return _like(input, np.full(input.shape, fill_value), dtype, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """The n x m identity matrix (ones on the diagonal)."""
    array = np.eye(n, n if m is None else m, dtype=_float(dtype))
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- ranges


def arange(
    start: Scalar = 0,
    end: Scalar | None = None,
    step: Scalar = 1,
    *,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive): int64 for int arguments, else float32.
    ``arange(5)``, ``arange(1, 5)``, ``arange(0, 1, 0.25)``.

    >>> arange(5), arange(0, 1, 0.25)
    (tensor([0, 1, 2, 3, 4]), tensor([0.0000, 0.2500, 0.5000, 0.7500]))
    """
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    floats = any(isinstance(v, (builtins.float, np.floating)) for v in (start, end, step))
    dtype = resolve_dtype(dtype) or (DefaultDType.value if floats else int64)
    # PyTorch's length: ceil((end - start) / step), computed in double precision.
    count = max(math.ceil((end - start) / step), 0)
    array = (start + step * np.arange(count, dtype=np.float64)).astype(dtype) if floats else None
    if array is None:
        array = np.arange(start, end, step, dtype=dtype)
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


def linspace(
    start: Scalar,
    end: Scalar,
    steps: int,
    *,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end`` (both included).

    >>> linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    dtype = _float(dtype)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    # The first half counts up from start, the second half down from end, so that both ends are
    # exact (as in PyTorch; computed in float64, then rounded once).
    index = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    values = np.where(index < steps // 2, start + step * index, end - step * (steps - 1 - index))
    if steps == 1:
        values = np.full(1, start, dtype=np.float64)
    return made(values.astype(dtype), out=out, layout=layout, device=device, requires_grad=requires_grad)


def logspace(
    start: Scalar,
    end: Scalar,
    steps: int,
    base: float = 10.0,
    *,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    exponents = linspace(start, end, steps, dtype=np.float64).array
    array = (base**exponents).astype(_float(dtype))
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- random numbers


def randn(
    *size: Any,
    generator: Any = None,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Standard normal samples (float32 unless ``dtype`` says otherwise)."""
    array = generator_of(generator).standard_normal(shape_from_args(size)).astype(_float(dtype))
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


def rand(
    *size: Any,
    generator: Any = None,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Uniform samples from [0, 1)."""
    array = generator_of(generator).random(shape_from_args(size)).astype(_float(dtype))
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


def randint(
    low: int = 0,
    high: Any = None,
    size: Sequence[int] | None = None,
    *,
    generator: Any = None,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Integers from [low, high), int64: ``randint(low, high, size)`` or ``randint(high, size)``."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None or high is None:
        raise TypeError("randint() needs high and size: randint(high, size) or randint(low, high, size)")
    array = generator_of(generator).integers(low, high, tuple(size), dtype=np.int64)
    return made(
        array.astype(resolve_dtype(dtype) or int64), out=out, layout=layout, device=device, requires_grad=requires_grad
    )


def randperm(
    n: int,
    *,
    generator: Any = None,
    out: Tensor | None = None,
    dtype: DTypeLike = int64,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A random permutation of 0, ..., n-1."""
    array = generator_of(generator).permutation(n).astype(resolve_dtype(dtype) or int64)
    return made(array, out=out, layout=layout, device=device)


def rand_like(
    input: Tensor,
    *,
    generator: Any = None,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    return _like(input, generator_of(generator).random(input.shape), dtype, device, requires_grad)


def randn_like(
    input: Tensor,
    *,
    generator: Any = None,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    return _like(input, generator_of(generator).standard_normal(input.shape), dtype, device, requires_grad)


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator: Any = None,
    dtype: DTypeLike = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    if high is None:
        low, high = 0, low
    return _like(input, generator_of(generator).integers(low, high, input.shape), dtype, device, requires_grad)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Sequence[int] | None = None,
    *,
    generator: Any = None,
    out: Tensor | None = None,
    dtype: DTypeLike = None,
    layout: Any = strided,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Samples of N(mean, std^2): ``mean`` and ``std`` are numbers or tensors (broadcast), or
    numbers with a ``size``."""
    means, stds = (v.array if isinstance(v, Tensor) else np.asarray(v) for v in (mean, std))
    shape = tuple(size) if size is not None else np.broadcast_shapes(means.shape, stds.shape)
    like = next((v.dtype for v in (mean, std) if isinstance(v, Tensor)), None)
    array = generator_of(generator).normal(means, stds, shape).astype(resolve_dtype(dtype) or like or _float(None))
    return made(array, out=out, layout=layout, device=device, requires_grad=requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None, out: Tensor | None = None) -> Tensor:
    """1 with probability ``input`` (elementwise; or ``p``), else 0, in input's dtype."""
    probability = input.array if p is None else p
    draws = generator_of(generator).random(input.shape) < probability
    return made(draws.astype(input.dtype), out=out)


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Any = None,
    out: Tensor | None = None,
) -> Tensor:
    """``num_samples`` class indices per row, drawn with probabilities proportional to the row
    (1-D or 2-D ``input``; without replacement unless asked)."""
    rows = input.array.reshape(-1, input.shape[-1]).astype(np.float64)
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: probabilities must be finite, non-negative, and not all zero")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise RuntimeError("multinomial: cannot sample more than the non-zero categories without replacement")
    rng = generator_of(generator)
    probabilities = rows / rows.sum(axis=1, keepdims=True)
    if replacement:  # inverse CDF: one uniform draw per sample, all rows at once
        cdf = probabilities.cumsum(axis=1)
        draws = rng.random((len(rows), num_samples))
        picked = (draws[:, :, None] > cdf[:, None, :]).sum(axis=2).clip(max=rows.shape[1] - 1)
    else:  # Gumbel-top-k: the k largest of log p + Gumbel noise are a sample without replacement
        keys = np.log(probabilities) + rng.gumbel(size=probabilities.shape)
        picked = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return made(picked.reshape(input.shape[:-1] + (num_samples,)).astype(np.int64), out=out)


def get_rng_state() -> dict[str, Any]:
    """The default generator's state (a dict, not PyTorch's byte tensor): for ``set_rng_state``."""
    return dict(default_generator().bit_generator.state)


def set_rng_state(new_state: dict[str, Any]) -> None:
    default_generator().bit_generator.state = new_state


# ----------------------------------------------------------------------------- legacy tensor types


class LegacyTensorType(type):
    """PyTorch's legacy tensor types, which old tutorials still use: ``minigrad.FloatTensor([1, 2])``
    holds data, ``minigrad.FloatTensor(2, 3)`` has that shape (zeros, as ``empty``), ``isinstance(x,
    minigrad.LongTensor)`` checks the dtype, and ``x.type(minigrad.LongTensor)`` casts.

    >>> LongTensor([1.7, 2.0])
    tensor([1, 2])
    >>> isinstance(FloatTensor(2, 3), FloatTensor), FloatTensor(2, 3).shape
    (True, (2, 3))
    """

    dtype: np.dtype

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __call__(cls, *data: Any) -> Tensor:  # type: ignore[override]
        if all(_is_int(n) for n in data) or (len(data) == 1 and isinstance(data[0], Size)):
            return empty(*(data or (0,)), dtype=cls.dtype)  # a shape (no arguments: shape (0,))
        if len(data) == 1 and isinstance(data[0], (str, bytes)):
            raise TypeError(f"{cls.__name__}(): invalid data type '{type(data[0]).__name__}'")
        if len(data) != 1 or np.ndim(array_of(data[0])) == 0:
            raise TypeError(f"{cls.__name__}(): expected a sequence of data or a shape of ints, got {data!r}")
        (values,) = data
        if isinstance(values, Tensor) and values.dtype != cls.dtype:
            raise TypeError(f"{cls.__name__}(tensor): the tensor is {values.dtype}, expected {cls.dtype}")
        return tensor(values, dtype=cls.dtype)  # its checks: no silent overflow, no NaN made an int


def _is_int(n: Any) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))


def _legacy_type(dtype: np.dtype, type_name: str) -> LegacyTensorType:
    name = type_name.split(".")[-1]
    return LegacyTensorType(name, (), {"dtype": dtype, "__doc__": f"Legacy type: tensors of dtype {dtype}."})


# in LEGACY_TYPE_NAMES's order
FloatTensor, DoubleTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    _legacy_type(dtype, name) for dtype, name in LEGACY_TYPE_NAMES.items()
)
