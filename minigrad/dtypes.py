"""dtypes and PyTorch's rules for them. Below Tensor; numpy only.

minigrad's dtypes are numpy's. What PyTorch decides differently from numpy is decided here:
Python floats become float32 (numpy says float64; ``set_default_dtype`` changes it), a float
beats an int of any width, and a Python number next to a tensor takes the tensor's dtype.
PyTorch's dtypes that minigrad does not have (half precision, complex numbers) are names that
raise a clear error when they are used.

>>> as_array(1.5, None).dtype, as_array([1, 2], None).dtype, promote_types(int64, float32)
(dtype('float32'), dtype('int64'), dtype('float32'))
"""

from __future__ import annotations

import builtins
from typing import Any, Union

import numpy as np

from minigrad.unsupported import unsupported

DTypeLike = Union[np.dtype, type, str, None]  # noqa: UP007 (a runtime alias)
Scalar = Union[int, float, bool]  # noqa: UP007

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
uint8 = np.dtype(np.uint8)


class UnsupportedDType:
    """A PyTorch dtype that minigrad does not compute in (``torch.half``, ``torch.complex64``).
    It can be named and compared (``x.dtype == torch.half`` is False); using it raises.

    >>> np.zeros(2, dtype=float16)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    minigrad.unsupported.Unsupported: dtype torch.float16 is not supported: minigrad runs on the CPU with numpy. ...
    """

    def __init__(self, name: str, hint: str) -> None:
        self.name, self.hint = name, hint

    @property
    def dtype(self) -> np.dtype:  # numpy reads this attribute when it is given the object as a dtype
        raise unsupported(f"dtype torch.{self.name}", self.hint)

    @property
    def is_floating_point(self) -> bool:
        return "float" in self.name

    @property
    def is_complex(self) -> bool:
        return "complex" in self.name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_HALF = "Its float types are float32 (the default) and float64."
float16 = UnsupportedDType("float16", _HALF)
bfloat16 = UnsupportedDType("bfloat16", _HALF)
complex64 = UnsupportedDType("complex64", "Represent the real and imaginary parts as two real tensors.")
complex128 = UnsupportedDType("complex128", "Represent the real and imaginary parts as two real tensors.")


class DefaultDType:
    """The dtype that Python floats become (``torch.get_default_dtype()``)."""

    value: np.dtype = float32


def get_default_dtype() -> np.dtype:
    """float32 unless ``set_default_dtype`` said otherwise.

    >>> get_default_dtype()
    dtype('float32')
    """
    return DefaultDType.value


def set_default_dtype(d: DTypeLike) -> None:
    """Make Python floats (and ``zeros``, ``randn``, ... without a dtype) float32 or float64."""
    dtype = np.dtype(d)
    if dtype not in (float32, float64):
        raise TypeError(f"only float32 and float64 can be the default dtype, got {dtype}")
    DefaultDType.value = dtype


def largest(dtype: np.dtype) -> float:
    """The largest finite value of a floating dtype (``torch.finfo(dtype).max``)."""
    return float(np.finfo(dtype).max)


def resolve_dtype(dtype: DTypeLike) -> np.dtype | None:
    """``dtype`` as a numpy dtype (None stays None); an unsupported PyTorch dtype raises.

    >>> resolve_dtype("float64"), resolve_dtype(None)
    (dtype('float64'), None)
    """
    if dtype is None:
        return None
    resolved = np.dtype(dtype)
    if resolved.kind == "c" or resolved == np.float16:
        name = {"c": f"complex{resolved.itemsize * 8}", "f": "float16"}[resolved.kind]
        raise unsupported(f"dtype {name}", _HALF if resolved.kind == "f" else "")
    return resolved


LEGACY_TYPE_NAMES: dict[np.dtype, str] = {
    float32: "torch.FloatTensor",
    float64: "torch.DoubleTensor",
    int64: "torch.LongTensor",
    int32: "torch.IntTensor",
    int16: "torch.ShortTensor",
    int8: "torch.CharTensor",
    uint8: "torch.ByteTensor",
    bool_: "torch.BoolTensor",
}


def type_name(dtype: np.dtype) -> str:
    """PyTorch's legacy type string: ``'torch.FloatTensor'`` for float32 (``Tensor.type()``)."""
    return LEGACY_TYPE_NAMES.get(dtype, f"torch.{dtype}")


def dtype_of_type_name(name: str) -> np.dtype:
    """The dtype of a legacy type string (``'torch.FloatTensor'``, or ``'torch.float32'``)."""
    for dtype, type_string in LEGACY_TYPE_NAMES.items():
        if name in (type_string, f"torch.{dtype}", str(dtype)):
            return dtype
    raise ValueError(f"invalid type: {name!r}")


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def as_array(data: Any, dtype: DTypeLike) -> np.ndarray:
    """A new array of ``data``: Python floats become float32, ints int64; numpy keeps its dtype."""
    data = array_of(data)
    if dtype is not None:
        return np.array(data, dtype=resolve_dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    array = np.array(data)
    if array.dtype.kind == "f":
        return array.astype(DefaultDType.value)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
    if array.dtype.kind == "c":
        raise unsupported("complex tensors", "Represent the real and imaginary parts as two real tensors.")
    if array.dtype.kind not in "b":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} (numpy dtype {array.dtype})")
    return array


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """The common dtype of two tensors: a float wins over an int; the wider one wins otherwise."""
    if is_floating(a) == is_floating(b):
        return np.result_type(a, b)
    return a if is_floating(a) else b


def scalar_dtype(value: Scalar, like: np.dtype) -> np.dtype:
    """The dtype a Python number takes next to a tensor of dtype ``like``: the tensor's own
    (``float32_tensor * 0.5`` stays float32), except that a float next to an int tensor is
    float32 and a number next to a bool tensor counts as int64."""
    if isinstance(value, builtins.float) and not is_floating(like):
        return DefaultDType.value
    if like == bool_ and not isinstance(value, builtins.bool):
        return int64
    return like


def array_of(value: Any) -> Any:
    """The numpy array inside a Tensor (its ``.array``); any other value (a number, an array,
    a list) unchanged."""
    array = getattr(value, "array", None)
    return array if isinstance(array, np.ndarray) else value
