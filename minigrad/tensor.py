"""Tensor: a numpy array plus the op that made it.

Every method here is a call to one primitive from ``ops.py`` (``x * y`` is ``Mul``, ``x.sum()``
is ``Sum``), shape sugar around one (``unsqueeze`` is a ``Reshape``), or a call to a composite
in ``composites.py`` (``mean``, ``softmax``, ...). No gradient is written in this file: the
engine derives them all.

Tensor's methods are split by job: this file holds the data, the graph recording, the
conversions, autograd, arithmetic, elementwise math and reductions; ``tensor_shape.py`` the
shape methods and indexing, ``tensor_inplace.py`` the in-place operators. The class binds
those functions as its methods, one line each.

Below this file: ``ops`` (primitives), ``autograd`` (the engine), ``composites``, and the
``dtypes``, ``shapes`` and ``devices`` helpers. Above it: ``factories`` (``tensor``, ``zeros``,
``randn``, ...) and ``functions`` (``cat``, ``where``, ...).
"""

from __future__ import annotations

import builtins
import functools
import math
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from minigrad import autograd, composites, ops, tensor_inplace, tensor_shape
from minigrad.autograd import GradMode, InPlaceClock, Scope, version_of_view
from minigrad.devices import is_cpu_device
from minigrad.dtypes import (
    DTypeLike,
    Scalar,
    array_of,
    as_array,
    bool_,
    float32,
    float64,
    int64,
    is_floating,
    promote_types,
    scalar_dtype,
)
from minigrad.shapes import ShapeError, normalize_dim, reduction_axes

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _numpy_names(method: Callable[..., Any]) -> Callable[..., Any]:
    """Let a reduction also take numpy's names: ``axis=`` for ``dim``, ``keepdims=`` for ``keepdim``."""

    @functools.wraps(method)
    def with_aliases(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return method(self, *args, **kwargs)

    return with_aliases


def _without_gradient(ufunc: Callable[..., Any]) -> Callable[..., Tensor]:
    """A Tensor method computing ``ufunc`` on the arrays, with no graph: for comparisons and
    other functions whose gradient is zero or undefined (``x < y``, ``x.sign()``)."""

    def method(self: Tensor, *other: Any) -> Tensor:
        return Tensor._make(np.asarray(ufunc(self.array, *[array_of(o) for o in other])))

    method.__name__ = method.__qualname__ = ufunc.__name__
    method.__doc__ = f"numpy's ``{ufunc.__name__}`` on the data, as a tensor with no gradient."
    return method


class Tensor:
    """An n-dimensional array that can record the ops applied to it, for backward.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ("array", "grad", "requires_grad", "_op", "_retains_grad", "_version", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor works

    array: np.ndarray  # the values: a numpy array, shared (not copied) with whoever made it
    grad: Tensor | None
    requires_grad: bool

    def __init__(self, data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> None:
        self.array = data if isinstance(data, np.ndarray) and dtype is None else as_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self._op: ops.Primitive | None = None
        self._retains_grad = False
        self._version = [0]  # the tick of its last in-place change; shared with views of its data
        if requires_grad:
            self.requires_grad_()

    @staticmethod
    def _make(data: np.ndarray) -> Tensor:
        """A new tensor around ``data`` with no graph (the fast path for op outputs; public
        as ``from_numpy``)."""
        t = object.__new__(Tensor)
        t.array = data
        t.grad = None
        t.requires_grad = False
        t._op = None
        t._retains_grad = False
        t._version = [0]
        return t

    def _apply(self, op: ops.Primitive, inputs: tuple[Any, ...]) -> Tensor:
        """Run ``op`` forward on the inputs' arrays; record it if any input requires grad."""
        try:
            data = op.forward(*[t.array for t in inputs])
        except ValueError as error:
            shapes = " and ".join(str(t.shape) for t in inputs)
            if "broadcast" in str(error):
                raise ShapeError(f"{op.name}: shapes {shapes} do not broadcast together") from None
            raise ValueError(f"{op.name}: {error} (input shapes: {shapes})") from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # numpy returns scalars for 0-d results
        out = Tensor._make(data)
        if data.base is not None:  # a view (reshape, permute, slice...): it shares its input's version
            out._version = version_of_view(data, inputs)
        if GradMode.enabled:
            for t in inputs:
                if t.requires_grad:
                    op.inputs = inputs
                    op.ran_at = InPlaceClock.now
                    op.scope = Scope.current  # the module (and stage) it was made in, for drawings
                    out._op = op
                    out.requires_grad = True
                    break
        return out

    # ------------------------------------------------------------------------- attributes

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op that records a graph."""
        return self._op is None

    @property
    def grad_fn(self) -> ops.Primitive | None:
        """The primitive that made this tensor (None for leaves)."""
        return self._op

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one dimension: ``x.size()``, ``x.size(-1)``."""
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim)]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self.array.size)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        # Four decimals, as PyTorch prints.
        body = np.array2string(self.array, separator=", ", prefix="tensor(", precision=4, floatmode="maxprec_equal")
        extras = []
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype=minigrad.{self.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn={self._op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ------------------------------------------------------------------------- conversion

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad: use tensor.detach().numpy()")
        return self.array

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ShapeError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.array.size} elements is ambiguous")
        return bool(self.array)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """numpy reads a Tensor as its array (``np.asarray(t)``, ``np.testing``), as PyTorch's CPU
        tensors allow; like ``numpy()``, refused for a tensor that requires grad."""
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def detach(self) -> Tensor:
        """The same data (and version counter), cut from the graph."""
        out = Tensor._make(self.array)
        out._version = self._version
        return out

    @property
    def data(self) -> Tensor:
        """PyTorch's ``.data``: the same values as a tensor outside the graph, sharing memory, so
        ``p.data -= lr * p.grad`` updates ``p`` without recording anything. (The numpy array
        itself is ``.array``.) Unlike ``detach()`` in PyTorch, changes made through it still
        bump the version that backward checks."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        """``p.data = t`` makes p hold t's values (PyTorch's way to swap a parameter's values)."""
        self.array = array_of(value) if isinstance(value, Tensor) else as_array(value, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf tensor. Returns self."""
        if not self.is_leaf:
            raise RuntimeError("you can only change requires_grad of leaf tensors; use detach() first")
        if requires_grad and not is_floating(self.dtype):
            raise RuntimeError(f"only floating point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        if not self.is_leaf:
            self._retains_grad = True

    def to(self, dtype: DTypeLike) -> Tensor:
        """Cast to ``dtype``; differentiable between floating dtypes. ``to("cpu")`` returns self."""
        if is_cpu_device(dtype):
            return self
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        source = self if is_floating(dtype) else self.detach()
        return ops.Cast(dtype)(source)

    def double(self) -> Tensor:
        return self.to(float64)

    def float(self) -> Tensor:
        return self.to(float32)

    def long(self) -> Tensor:
        return self.to(int64)

    def new_tensor(self, data: Any) -> Tensor:
        """A new tensor holding a copy of ``data`` (C-contiguous), with this tensor's dtype and no graph."""
        return Tensor._make(np.array(data.array if isinstance(data, Tensor) else data, dtype=self.dtype, order="C"))

    def new_zeros(self, size: Sequence[int]) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype."""
        return Tensor._make(np.zeros(size, dtype=self.dtype))

    def new_ones(self, size: Sequence[int]) -> Tensor:
        """Ones of ``size`` with this tensor's dtype."""
        return Tensor._make(np.ones(size, dtype=self.dtype))

    # ------------------------------------------------------------------------- autograd

    def backward(
        self, gradient: Tensor | None = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is d(loss)/d(self); it may be left out only when self has one element.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    # ------------------------------------------------------------------------- arithmetic

    def __add__(self, other: Any) -> Tensor:
        return self._apply(ops.Add(), _operands(self, other))  # ops.Add()(a, b), one call fewer

    def __radd__(self, other: Any) -> Tensor:
        return self._apply(ops.Add(), _operands(self, other, reflected=True))

    def __sub__(self, other: Any) -> Tensor:
        return composites.sub(*_operands(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return composites.sub(*_operands(self, other, reflected=True))

    def __mul__(self, other: Any) -> Tensor:
        return self._apply(ops.Mul(), _operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return self._apply(ops.Mul(), _operands(self, other, reflected=True))

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div()(*_operands(self, other, true_division=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div()(*_operands(self, other, reflected=True, true_division=True))

    def __neg__(self) -> Tensor:
        return ops.Neg()(self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.Pow()(*_operands(self, exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return ops.Pow()(*_operands(self, base, reflected=True))

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor(other, self).matmul(self)

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def exp(self) -> Tensor:
        return ops.Exp()(composites.floating(self))

    def log(self) -> Tensor:
        return ops.Log()(composites.floating(self))

    def sin(self) -> Tensor:
        return ops.Sin()(composites.floating(self))

    def square(self) -> Tensor:
        return self * self

    def sqrt(self) -> Tensor:
        return composites.floating(self) ** 0.5

    def rsqrt(self) -> Tensor:
        """1/sqrt(x), as x ** -0.5."""
        return composites.floating(self) ** -0.5

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum; on ties each side gets half the gradient (as in PyTorch)."""
        return ops.Maximum()(*_operands(self, other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """``where(condition, self, other)``: self where the condition holds, else other."""
        if not isinstance(condition, Tensor):
            condition = Tensor._make(np.asarray(condition, dtype=bool))
        elif condition.dtype != bool_:
            condition = Tensor._make(condition.array.astype(bool))
        return ops.Where()(condition, *_operands(self, other))

    # Composites (composites.py): their gradients are derived from the primitives they use.

    abs = composites.abs
    cos = composites.cos
    relu = composites.relu
    sigmoid = composites.sigmoid
    tanh = composites.tanh
    clamp = clip = composites.clamp
    minimum = composites.minimum

    # ------------------------------------------------------------------------- reductions

    @_numpy_names
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Sum over ``dim`` (an int, a tuple, or None for all)."""
        return ops.Sum(reduction_axes(dim, self.ndim), keepdim)(self)

    @_numpy_names
    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Maximum over ``dim``. Its gradient goes to the first maximal element of each group
        (PyTorch's amax splits it evenly between ties instead)."""
        return ops.Max(reduction_axes(dim, self.ndim), keepdim)(self)

    @_numpy_names
    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """``x.max()`` is the largest element; ``x.max(dim)`` is (values, indices), as in PyTorch."""
        if dim is None:
            return self.amax()
        return MaxResult(self.amax(dim, keepdim), self.argmax(dim, keepdim))

    @_numpy_names
    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        if dim is None:
            return self.amin()
        return MaxResult(self.amin(dim, keepdim), (-self).argmax(dim, keepdim))

    @_numpy_names
    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        if dim is None:
            return Tensor._make(np.asarray(self.array.argmax()))
        return Tensor._make(self.array.argmax(axis=normalize_dim(dim, self.ndim), keepdims=keepdim))

    mean = _numpy_names(composites.mean)
    var = _numpy_names(composites.var)
    std = _numpy_names(composites.std)
    amin = _numpy_names(composites.amin)
    logsumexp = _numpy_names(composites.logsumexp)
    softmax = _numpy_names(composites.softmax)
    log_softmax = _numpy_names(composites.log_softmax)

    # ------------------------------------------------------------------------- shape (tensor_shape.py)

    reshape = view = tensor_shape.reshape
    permute = tensor_shape.permute
    transpose = tensor_shape.transpose
    T = property(tensor_shape.reversed_dims)
    mT = property(tensor_shape.matrix_transpose)  # noqa: N815 (PyTorch's name)
    expand = tensor_shape.expand
    broadcast_to = tensor_shape.broadcast_to
    unsqueeze = tensor_shape.unsqueeze
    squeeze = tensor_shape.squeeze
    flatten = tensor_shape.flatten
    __getitem__ = tensor_shape.getitem

    # ------------------------------------------------------------------------- comparisons
    # Computed on the arrays; the results are constants (boolean mostly) with no gradient.

    __lt__ = _without_gradient(np.less)
    __le__ = _without_gradient(np.less_equal)
    __gt__ = _without_gradient(np.greater)
    __ge__ = _without_gradient(np.greater_equal)
    __eq__ = _without_gradient(np.equal)  # type: ignore[assignment]
    __ne__ = _without_gradient(np.not_equal)  # type: ignore[assignment]
    __invert__ = _without_gradient(np.invert)
    __and__ = _without_gradient(np.bitwise_and)
    __or__ = _without_gradient(np.bitwise_or)
    all = _without_gradient(np.all)
    any = _without_gradient(np.any)
    sign = _without_gradient(np.sign)
    isfinite = _without_gradient(np.isfinite)

    # ------------------------------------------------------------------------- in place (tensor_inplace.py)

    __iadd__ = tensor_inplace.iadd
    __isub__ = tensor_inplace.isub
    __imul__ = tensor_inplace.imul
    __itruediv__ = tensor_inplace.itruediv

    # ------------------------------------------------------------------------- matrix product

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with numpy's rules: 1-D operands become a row/column, then that
        dimension is dropped again; leading (batch) dimensions broadcast."""
        a, b = _operands(self, other)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes {a.shape} and {b.shape}")
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} can't be multiplied ({a2.shape[-1]} != {b2.shape[-2]})"
            )
        try:
            np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ShapeError(
                f"matmul: the batch dims of shapes {a.shape} and {b.shape} do not broadcast "
                f"({a2.shape[:-2]} vs {b2.shape[:-2]})"
            ) from None
        out = ops.MatMul()(a2, b2)
        if a.ndim == 1:
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return out


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory, with no graph (PyTorch's ``torch.from_numpy``).
    This is how layers wrap arrays they computed (masks, constants) without a copy.

    >>> a = np.zeros(2, dtype=np.float32); t = from_numpy(a); a[0] = 5; t
    tensor([5., 0.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


# ----------------------------------------------------------------------------- operands


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    """Wrap a constant (Python number, list, ndarray) for an op with ``like``; a Python number
    takes the dtype PyTorch gives it (``dtypes.scalar_dtype``)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (builtins.float, builtins.int, builtins.bool)):
        key = (value, type(value), like.array.dtype, math.copysign(1.0, value))  # the sign tells -0.0 from 0.0
        constant = _constants.get(key)
        if constant is None:  # made once per (value, dtype): x * 0.5 in a loop needs no new array
            if len(_constants) > 1024:
                _constants.clear()
            constant = _constants[key] = Tensor._make(np.asarray(value, dtype=scalar_dtype(value, like.dtype)))
        return constant
    return Tensor(value)


_constants: dict[tuple[Any, type, np.dtype, float], Tensor] = {}  # Python numbers wrapped as 0-d tensors


def _operands(a: Tensor, b: Any, reflected: bool = False, true_division: bool = False) -> tuple[Tensor, Tensor]:
    """The two Tensor operands of a binary op, with one common dtype."""
    b = _as_tensor(b, a)
    if reflected:
        a, b = b, a
    if a.array.dtype is not b.array.dtype and a.array.dtype != b.array.dtype:
        common = promote_types(a.dtype, b.dtype)
        a, b = a.to(common), b.to(common)
    if true_division and not is_floating(a.dtype):
        a, b = a.to(float32), b.to(float32)  # int / int is a float, as in PyTorch
    return a, b
