"""Tensor's conversions: dtypes and devices (``to``, ``type``, ``float()``, ``cpu()``), copies
(``clone``, ``contiguous``) and memory facts (``stride``, ``element_size``).

``to`` reads every form PyTorch accepts: ``x.to(torch.float64)``, ``x.to("cpu")``,
``x.to(device, dtype)``, ``x.to(other)``, ``x.to(dtype=..., copy=True)``. The CPU is the only
device; a cast between floating dtypes is differentiable (``Cast``). ``Tensor`` binds these as
its methods.

>>> import minigrad
>>> x = minigrad.tensor([1, 2])
>>> x.to(minigrad.float64).dtype, x.float().type(), x.to("cpu") is x
(dtype('float64'), 'torch.FloatTensor', True)
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import ops
from minigrad.devices import CPU, check_device, contiguous_format, is_device, preserve_format, strided
from minigrad.dtypes import (
    DefaultDType,
    DTypeLike,
    dtype_of_type_name,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    is_floating,
    resolve_dtype,
    type_name,
    uint8,
)
from minigrad.dtypes import bool_ as bool_dtype
from minigrad.shapes import ShapeError, normalize_dim, shape_from_args
from minigrad.unsupported import unsupported

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def cast(x: Tensor, dtype: DTypeLike) -> Tensor:
    """x in ``dtype`` (x itself if it has it): differentiable into a floating dtype, a constant otherwise."""
    dtype = resolve_dtype(dtype)
    if dtype is None or dtype == x.dtype:
        return x
    return ops.Cast(dtype)(x if is_floating(dtype) else x.detach())


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(device=None, dtype=None, non_blocking=False, copy=False, *, memory_format=None)``, or
    ``to(dtype, ...)``, or ``to(other, ...)`` (other's dtype): PyTorch's three forms."""
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    flags = {"non_blocking": kwargs.pop("non_blocking", False), "copy": kwargs.pop("copy", False)}
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    positional = list(args)
    if positional and is_device(positional[0]):
        device = positional.pop(0)
    if positional and not isinstance(positional[0], builtins.bool):
        first = positional.pop(0)
        dtype = first.dtype if hasattr(first, "_op") else first  # to(other): other's dtype (on the CPU)
    for name, value in zip(("non_blocking", "copy"), positional):
        flags[name] = value
    check_device(device)
    result = cast(x, dtype)
    return clone(x) if flags["copy"] and result is x else result


to.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # PyTorch's first form, for help() and inspect
    [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for name, default in (("device", None), ("dtype", None), ("non_blocking", False), ("copy", False))
        ),
        inspect.Parameter("memory_format", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
)


def type(x: Tensor, dtype: Any = None, non_blocking: builtins.bool = False, **kwargs: Any) -> Any:
    """``x.type()`` is PyTorch's type string ('torch.FloatTensor'); ``x.type(dtype)`` casts
    (to a dtype, or to a type string)."""
    if dtype is None:
        return type_name(x.dtype)
    if isinstance(getattr(dtype, "dtype", None), np.dtype):  # a legacy type: minigrad.LongTensor
        dtype = dtype.dtype
    return cast(x, dtype_of_type_name(dtype) if isinstance(dtype, str) else dtype)


def type_as(x: Tensor, other: Tensor) -> Tensor:
    """x cast to other's dtype."""
    return cast(x, other.dtype)


# PyTorch's names shadow Python's float, int and bool in this module: it says builtins.bool for those.


def _caster(dtype: np.dtype, name: str) -> Any:
    def method(x: Tensor, memory_format: Any = preserve_format) -> Tensor:
        return cast(x, dtype)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"x as {dtype} (x itself if it already is)."
    return method


float = _caster(float32, "float")
double = _caster(float64, "double")
long = _caster(int64, "long")
int = _caster(int32, "int")
short = _caster(int16, "short")
char = _caster(int8, "char")
byte = _caster(uint8, "byte")
bool = _caster(bool_dtype, "bool")


def half(x: Tensor, memory_format: Any = preserve_format) -> Tensor:
    raise unsupported("half precision (float16)", "Its float types are float32 (the default) and float64.")


def bfloat16(x: Tensor, memory_format: Any = preserve_format) -> Tensor:
    raise unsupported("bfloat16", "Its float types are float32 (the default) and float64.")


def cpu(x: Tensor, memory_format: Any = preserve_format) -> Tensor:
    """x itself: it is already on the CPU."""
    return x


def cuda(
    x: Tensor, device: Any = None, non_blocking: builtins.bool = False, memory_format: Any = preserve_format
) -> Tensor:
    raise unsupported("Tensor.cuda()", "Leave tensors on the CPU: x.to('cpu') and device='cpu' work.")


def to_sparse(
    x: Tensor, sparse_dim: Any = None, *, layout: Any = None, blocksize: Any = None, dense_dim: Any = None
) -> Tensor:
    raise unsupported("sparse tensors (Tensor.to_sparse)", "Tensors here are dense numpy arrays.")


def pin_memory(x: Tensor, device: Any = None) -> Tensor:
    raise unsupported("pinned memory (Tensor.pin_memory)", "It is for copying to a GPU; leave tensors on the CPU.")


def device(x: Tensor) -> Any:
    """The CPU, where every tensor lives."""
    return CPU


def clone(x: Tensor, *, memory_format: Any = preserve_format) -> Tensor:
    """A copy with its own memory; the gradient flows back to x."""
    return ops.Clone()(x)


def contiguous(x: Tensor, memory_format: Any = contiguous_format) -> Tensor:
    """x itself if its memory is in C order, else a copy that is."""
    return x if x.array.flags.c_contiguous else ops.Clone()(x)


def is_contiguous(x: Tensor, memory_format: Any = contiguous_format) -> builtins.bool:
    return builtins.bool(x.array.flags.c_contiguous)


def stride(x: Tensor, dim: Any = None) -> Any:
    """The step in elements (not bytes, unlike numpy) between neighbours along each dim."""
    steps = tuple(s // x.array.itemsize for s in x.array.strides)
    return steps if dim is None else steps[normalize_dim(dim, x.ndim)]


def element_size(x: Tensor) -> Any:
    """Bytes per element."""
    return x.array.itemsize


def itemsize(x: Tensor) -> builtins.int:
    """Bytes per element (``x.itemsize``, the property form of ``element_size()``)."""
    return x.array.itemsize


def nbytes(x: Tensor) -> builtins.int:
    """Bytes of the elements: ``numel() * itemsize`` (also for an expanded tensor, as in PyTorch)."""
    return x.array.size * x.array.itemsize


def is_floating_point(x: Tensor) -> builtins.bool:
    return is_floating(x.dtype)


def is_complex(x: Tensor) -> builtins.bool:
    return False


def numpy(x: Tensor, *, force: builtins.bool = False) -> np.ndarray:
    """The underlying array (shared, not copied); ``force=True`` allows a tensor that requires grad."""
    if x.requires_grad and not force:
        raise RuntimeError("Can't call numpy() on a tensor that requires grad: use tensor.detach().numpy()")
    return x.array


def new_full(
    x: Tensor,
    size: Sequence[builtins.int],
    fill_value: Any,
    *,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
    layout: Any = strided,
    pin_memory: builtins.bool = False,
) -> Tensor:
    """``size`` filled with ``fill_value``, with x's dtype (or ``dtype``), and no graph."""
    check_device(device)
    values = np.full(shape_from_args((size,)), fill_value, dtype=resolve_dtype(dtype) or x.dtype)
    return x.new_tensor(values, requires_grad=requires_grad)


def new_zeros(
    x: Tensor,
    *size: Any,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
    layout: Any = strided,
    pin_memory: builtins.bool = False,
) -> Tensor:
    """Zeros of ``size`` (``new_zeros(2, 3)`` or ``new_zeros((2, 3))``) with x's dtype (or ``dtype``)."""
    return new_full(x, shape_from_args(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)


def new_ones(
    x: Tensor,
    *size: Any,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
    layout: Any = strided,
    pin_memory: builtins.bool = False,
) -> Tensor:
    """Ones of ``size`` with x's dtype (or ``dtype``)."""
    return new_full(x, shape_from_args(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- Python numbers, numpy, printing


def item(x: Tensor) -> Any:
    """The value of a one-element tensor as a Python number."""
    if x.array.size != 1:
        raise ShapeError(f"item() needs a tensor with one element, got shape {x.shape}")
    return x.array.item()


def tolist(x: Tensor) -> Any:
    return x.array.tolist()


def float_(x: Tensor) -> builtins.float:
    return builtins.float(item(x))


def int_(x: Tensor) -> builtins.int:
    return builtins.int(item(x))


def index(x: Tensor) -> builtins.int:
    """An integer tensor with one element can be used as an index (``range(n)``, ``list[t]``)."""
    if x.dtype.kind not in "iu" or x.array.size != 1:
        raise TypeError(f"only integer tensors of a single element can be converted to an index, got {x!r}")
    return builtins.int(item(x))


def bool_(x: Tensor) -> builtins.bool:
    if x.array.size != 1:
        raise RuntimeError(f"the truth value of a tensor with {x.array.size} elements is ambiguous")
    return builtins.bool(x.array)


def array(x: Tensor, dtype: Any = None, copy: Any = None) -> np.ndarray:
    """numpy reads a Tensor as its array (``np.asarray(t)``, ``np.testing``), as PyTorch's CPU
    tensors allow; like ``numpy()``, refused for a tensor that requires grad."""
    values = numpy(x)
    return values if dtype is None else values.astype(dtype, copy=False)


class PrintOptions:
    """How tensors print (``set_printoptions``): four decimals by default, as in PyTorch."""

    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode: builtins.bool | None = None  # None: scientific notation when the numbers need it


def set_printoptions(
    precision: builtins.int | None = None,
    threshold: builtins.int | None = None,
    edgeitems: builtins.int | None = None,
    linewidth: builtins.int | None = None,
    profile: str | None = None,
    sci_mode: builtins.bool | None = None,
) -> None:
    """PyTorch's ``set_printoptions``, for minigrad's tensors only (numpy's own are untouched).
    As in PyTorch, ``sci_mode`` is set by every call (left out, it goes back to automatic)."""
    if profile is not None:
        defaults = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, 2**62, 3, 80)}
        PrintOptions.precision, PrintOptions.threshold, PrintOptions.edgeitems, PrintOptions.linewidth = defaults[
            profile
        ]
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PrintOptions, name, value)
    PrintOptions.sci_mode = sci_mode


class NumberFormat:
    """One tensor's numbers, printed as PyTorch prints them: all in one width, right-aligned.

    Floats take one of three forms, chosen from the finite nonzero values: scientific
    ``1.2346e+05`` when the largest is over 1e8 or over 1000 times the smallest, or the smallest
    is under 1e-4 (or as ``set_printoptions(sci_mode=)`` says); else whole numbers as ``3.``;
    else fixed ``0.1235`` (``precision`` decimals). Integers and booleans print as Python's.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.floating = is_floating(values.dtype)
        self.whole, self.scientific = True, False
        precision = PrintOptions.precision
        if not self.floating:
            self.width = max((len(str(v)) for v in values.reshape(-1).tolist()), default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        self.width = 1  # nan, inf and 0 do not widen the column
        if shown.size:
            smallest, largest = np.abs(shown).min(), np.abs(shown).max()
            self.whole = builtins.bool((shown == np.ceil(shown)).all())
            needed = builtins.bool(largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4)
            self.scientific = needed if PrintOptions.sci_mode is None else PrintOptions.sci_mode
            if self.scientific:
                texts = [f"{v:.{precision}e}" for v in shown.tolist()]
            elif self.whole:
                texts = [f"{v:.0f}." for v in shown.tolist()]
            else:
                texts = [f"{v:.{precision}f}" for v in shown.tolist()]
            self.width = max(len(t) for t in texts)

    def __call__(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:.{PrintOptions.precision}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("." if np.isfinite(value) else "")
        else:
            text = f"{value:.{PrintOptions.precision}f}"
        return text.rjust(self.width)


def shown_part(values: np.ndarray, summarize: builtins.bool) -> np.ndarray:
    """The values that print: with ``summarize``, only ``edgeitems`` at each end of every long dim."""
    if not summarize:
        return values
    edge = PrintOptions.edgeitems
    ends = [np.r_[0:edge, n - edge : n] if n > 2 * edge else np.arange(n) for n in values.shape]
    return values[np.ix_(*ends)] if ends else values


def layout(values: np.ndarray, indent: builtins.int, summarize: builtins.bool, number: NumberFormat) -> str:
    """PyTorch's nested brackets: a row wraps at ``linewidth``; a long dim shows ``...``."""
    if values.ndim == 0:
        return number(values.item())

    def show(part: np.ndarray) -> list[str]:
        if values.ndim == 1:
            return [number(v) for v in part.tolist()]
        return [layout(v, indent + 1, summarize, number) for v in part]

    edge = PrintOptions.edgeitems
    if summarize and values.shape[0] > 2 * edge:
        items = show(values[:edge]) + [" ..." if values.ndim == 1 else "..."] + show(values[-edge:])
    else:
        items = show(values)
    if values.ndim == 1:
        per_line = max(1, (PrintOptions.linewidth - indent) // (number.width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(items) + "]"


def repr(x: Tensor) -> str:
    """``tensor([...], dtype=..., grad_fn=...)``, laid out as PyTorch lays it out."""
    prefix, values = "tensor(", x.array
    extras = []
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            extras.append(f"size={values.shape}")
        if x.dtype != DefaultDType.value:
            extras.append(f"dtype=minigrad.{x.dtype}")
    else:
        summarize = values.size > PrintOptions.threshold
        body = layout(values, len(prefix), summarize, NumberFormat(shown_part(values, summarize)))
        if x.dtype not in (DefaultDType.value, int64, bool_dtype):
            extras.append(f"dtype=minigrad.{x.dtype}")
    if x._op is not None:
        extras.append(f"grad_fn={x._op!r}")
    elif x.requires_grad:
        extras.append("requires_grad=True")
    text = prefix + body
    line_length = len(text) - text.rfind("\n") + 1  # PyTorch's count, kept so that lines break where its do
    for extra in extras:
        if line_length + len(extra) + 2 > PrintOptions.linewidth:
            text += ",\n" + " " * len(prefix) + extra
            line_length = len(prefix) + len(extra)
        else:
            text += ", " + extra
            line_length += len(extra) + 2
    return text + ")"


def format(x: Tensor, spec: str) -> str:
    """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch."""
    return builtins.format(item(x), spec) if x.ndim == 0 else builtins.format(repr(x), spec)
