"""dtypes and PyTorch's rules for them. Below Tensor; numpy only.

minigrad's dtypes are numpy's. What PyTorch decides differently from numpy is decided here:
Python floats become float32 (numpy says float64), a float beats an int of any width, and a
Python number next to a tensor takes the tensor's dtype.

>>> as_array(1.5, None).dtype, as_array([1, 2], None).dtype, promote_types(int64, float32)
(dtype('float32'), dtype('int64'), dtype('float32'))
"""

from __future__ import annotations

import builtins
from typing import Any, Union

import numpy as np

DTypeLike = Union[np.dtype, type, str, None]  # noqa: UP007 (a runtime alias)
Scalar = Union[int, float, bool]  # noqa: UP007

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def as_array(data: Any, dtype: DTypeLike) -> np.ndarray:
    """A new array of ``data``: Python floats become float32, ints int64; numpy keeps its dtype."""
    data = array_of(data)
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    array = np.array(data)
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    if array.dtype.kind in "iu":
        return array.astype(np.int64)
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
        return float32
    if like == bool_ and not isinstance(value, builtins.bool):
        return int64
    return like


def array_of(value: Any) -> Any:
    """The numpy array inside a Tensor (its ``.array``); any other value (a number, an array,
    a list) unchanged."""
    array = getattr(value, "array", None)
    return array if isinstance(array, np.ndarray) else value
