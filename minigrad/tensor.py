"""Tensor: a numpy array plus the op that made it. Methods, composites and factories.

Every method here is either a call to one primitive from ``ops.py`` or a composite of
them (sub, mean, var, sqrt, sigmoid, softmax, ...), so every gradient is derived by the
engine, never written by hand in this file.
"""

from __future__ import annotations

import builtins
import functools
import math
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from minigrad import ops
from minigrad.autograd import _GradMode, _InPlaceClock, mark_changed_in_place, run_backward

DTypeLike = Union[np.dtype, type, str, None]  # noqa: UP007 (a runtime alias)
Scalar = Union[int, float, bool]  # noqa: UP007

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

MaxResult = namedtuple("MaxResult", ["values", "indices"])

_generator = np.random.default_rng()


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op. PyTorch raises RuntimeError for these and numpy raises
    ValueError, so this is both: code written for either catches it."""


def manual_seed(seed: int) -> None:
    """Seed minigrad's random numbers (``randn``, ``rand``, layer initialisation, dropout).

    >>> manual_seed(0); a = randn(2); manual_seed(0); bool((a == randn(2)).all())
    True
    """
    global _generator
    _generator = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The numpy generator that ``manual_seed`` seeds."""
    return _generator


def _to_array(data: Any, dtype: DTypeLike) -> np.ndarray:
    """PyTorch's rules: Python floats become float32, ints int64; numpy keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.data
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


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


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


class Tensor:
    """An n-dimensional array that can record the ops applied to it, for backward.

    >>> x = tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ("data", "grad", "requires_grad", "_op", "_retains_grad", "_version")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor works

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool

    def __init__(self, data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> None:
        self.data = data if isinstance(data, np.ndarray) and dtype is None else _to_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self._op: ops.Primitive | None = None
        self._retains_grad = False
        self._version = [0]  # the tick of its last in-place change; shared with views of its data
        if requires_grad:
            self.requires_grad_()

    @staticmethod
    def _make(data: np.ndarray) -> Tensor:
        """A new tensor around ``data`` with no graph (the fast path for op outputs)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = False
        t._op = None
        t._retains_grad = False
        t._version = [0]
        return t

    def _apply(self, op: ops.Primitive, inputs: tuple[Tensor, ...]) -> Tensor:
        """Run ``op`` forward on the inputs' arrays; record it if any input requires grad."""
        try:
            data = op.forward(*[t.data for t in inputs])
        except ValueError as error:
            shapes = " and ".join(str(t.shape) for t in inputs)
            if "broadcast" in str(error):
                raise ShapeError(f"{op.name}: shapes {shapes} do not broadcast together") from None
            raise ValueError(f"{op.name}: {error} (input shapes: {shapes})") from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # numpy returns scalars for 0-d results
        out = Tensor._make(data)
        if data.base is not None:  # a view (reshape, permute, slice...): it shares its input's version
            out._version = _version_of_viewed(data, inputs)
        if _GradMode.enabled:
            for t in inputs:
                if t.requires_grad:
                    op.inputs = inputs
                    op.ran_at = _InPlaceClock.now
                    out._op = op
                    out.requires_grad = True
                    break
        return out

    # ------------------------------------------------------------------------- attributes

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

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
        return self.shape if dim is None else self.shape[_axis(dim, self.ndim)]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

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
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4, floatmode="maxprec_equal")
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
        return self.data

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is ambiguous")
        return bool(self.data)

    def detach(self) -> Tensor:
        """The same data (and version counter), cut from the graph."""
        out = Tensor._make(self.data)
        out._version = self._version
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf tensor. Returns self."""
        if not self.is_leaf:
            raise RuntimeError("you can only change requires_grad of leaf tensors; use detach() first")
        if requires_grad and not _is_float(self.dtype):
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
        source = self if _is_float(dtype) else self.detach()
        return ops.Cast(dtype)(source)

    def double(self) -> Tensor:
        return self.to(float64)

    def float(self) -> Tensor:
        return self.to(float32)

    def long(self) -> Tensor:
        return self.to(int64)

    def new_zeros(self, size: Sequence[int]) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype."""
        return Tensor._make(np.zeros(size, dtype=self.dtype))

    # ------------------------------------------------------------------------- autograd

    def backward(
        self, gradient: Tensor | None = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is d(loss)/d(self); it may be left out only when self has one element.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() was called on a tensor that does not require grad, so there is no "
                "graph to differentiate: create the inputs with requires_grad=True"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this output has shape {self.shape})"
                )
            gradient = Tensor._make(np.ones_like(self.data))
        gradient = _grad_output(self, gradient)
        run_backward([self], [gradient], create_graph if retain_graph is None else retain_graph, create_graph)

    # ------------------------------------------------------------------------- arithmetic

    def __add__(self, other: Any) -> Tensor:
        return ops.Add()(*_operands(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add()(*_operands(self, other, reflected=True))

    def __sub__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return a + (-b)  # a composite: its gradient is derived from Add and Neg

    def __rsub__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, reflected=True)
        return a + (-b)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul()(*_operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul()(*_operands(self, other, reflected=True))

    def __truediv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, true_division=True)
        return ops.Div()(a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other, reflected=True, true_division=True)
        return ops.Div()(a, b)

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
        return ops.Exp()(_floating(self))

    def log(self) -> Tensor:
        return ops.Log()(_floating(self))

    def square(self) -> Tensor:
        return self * self

    def sqrt(self) -> Tensor:
        return _floating(self) ** 0.5

    def rsqrt(self) -> Tensor:
        """1/sqrt(x), composed as x ** -0.5."""
        return _floating(self) ** -0.5

    def abs(self) -> Tensor:
        # |x| = x * sign(x) with sign a constant: gradient sign(x), which is 0 at 0 as in PyTorch.
        return self * Tensor._make(np.sign(self.data))

    def relu(self) -> Tensor:
        """max(x, 0); the gradient at 0 is 0, as in PyTorch."""
        return where(self > 0, self, 0)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e^-x), written so that no exp can overflow:
        with e = e^-|x|, sigmoid = 1/(1+e) for x >= 0 and e/(1+e) for x < 0."""
        x = _floating(self)
        positive = x >= 0
        e = where(positive, -x, x).exp()
        return where(positive, 1 / (1 + e), e / (1 + e))

    def tanh(self) -> Tensor:
        """tanh x = (1 - e^-2|x|) / (1 + e^-2|x|) * sign(x), which cannot overflow."""
        x = _floating(self)
        positive = x >= 0
        e = (2 * where(positive, -x, x)).exp()
        magnitude = (1 - e) / (1 + e)
        return where(positive, magnitude, -magnitude)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        """Limit to [min, max]; the gradient is 1 inside (bounds included), 0 outside."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        out = self
        if min is not None:
            out = where(self < min, min, out)
        if max is not None:
            out = where(self > max, max, out)
        return out

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return minimum(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``where(condition, self, other)``."""
        return where(condition, self, other)

    # ------------------------------------------------------------------------- in place
    # x += y, x -= y, x *= y, x /= y change x's array in place, as in PyTorch. They are for
    # updates outside the graph (e.g. parameters under no_grad), so while grad mode is on they
    # are refused for tensors that take part in autograd. Each bumps x's version; backward
    # refuses a graph that saved x (or a view of its data) at an older version.

    def _in_place(self, other: Any, ufunc: Any, symbol: str) -> Tensor:
        if _GradMode.enabled and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            raise RuntimeError(
                f"x {symbol}= y on a tensor that requires grad would bypass autograd: use it inside "
                f"minigrad.no_grad() for an update outside the graph, or write x = x {symbol} y"
            )
        try:
            ufunc(self.data, other.data if isinstance(other, Tensor) else other, out=self.data, casting="same_kind")
        except (TypeError, ValueError) as error:  # numpy's UFuncTypeError is a TypeError
            raise ValueError(f"x {symbol}= y on shape {self.shape}, dtype {self.dtype}: {error}") from None
        mark_changed_in_place(self)
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(other, np.add, "+")

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(other, np.subtract, "-")

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(other, np.multiply, "*")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(other, np.divide, "/")

    # ------------------------------------------------------------------------- comparisons
    # They produce boolean tensors and have no gradient.

    def _compare(self, other: Any, compare: Any) -> Tensor:
        other_data = other.data if isinstance(other, Tensor) else other
        return Tensor._make(np.asarray(compare(self.data, other_data)))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __invert__(self) -> Tensor:
        return Tensor._make(np.asarray(~self.data))

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_or)

    def all(self) -> Tensor:
        return Tensor._make(np.asarray(self.data.all()))

    def any(self) -> Tensor:
        return Tensor._make(np.asarray(self.data.any()))

    def sign(self) -> Tensor:
        return Tensor._make(np.sign(self.data))

    # ------------------------------------------------------------------------- reductions

    @_numpy_names
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Sum over ``dim`` (an int, a tuple, or None for all)."""
        return ops.Sum(_axes(dim, self.ndim), keepdim)(self)

    @_numpy_names
    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Average over ``dim``: the sum divided by the number of elements summed."""
        if not _is_float(self.dtype):
            raise RuntimeError(f"mean() needs a floating point tensor, got dtype {self.dtype}; use .float() first")
        axes = _axes(dim, self.ndim)
        return self.sum(axes, keepdim) / math.prod(self.shape[a] for a in axes)

    @_numpy_names
    def var(self, dim: Any = None, keepdim: bool = False, correction: int = 1) -> Tensor:
        """Variance: sum((x - mean)^2) / (n - correction). correction=1 is the unbiased
        estimate, correction=0 the biased one. The mean is *not* detached, so second
        derivatives are right."""
        axes = _axes(dim, self.ndim)
        count = math.prod(self.shape[a] for a in axes)
        deviation = self - self.mean(axes, keepdim=True)
        return (deviation * deviation).sum(axes, keepdim) / builtins.max(count - correction, 0)

    @_numpy_names
    def std(self, dim: Any = None, keepdim: bool = False, correction: int = 1) -> Tensor:
        return self.var(dim, keepdim, correction).sqrt()

    @_numpy_names
    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        """Maximum over ``dim``. Its gradient goes to the first maximal element of each group
        (PyTorch's amax splits it evenly between ties instead)."""
        return ops.Max(_axes(dim, self.ndim), keepdim)(self)

    @_numpy_names
    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return -((-self).amax(dim, keepdim))

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
            return Tensor._make(np.asarray(self.data.argmax()))
        return Tensor._make(self.data.argmax(axis=_axis(dim, self.ndim), keepdims=keepdim))

    @_numpy_names
    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m the max, so that
        exp never overflows. m is a detached constant: the result does not depend on it."""
        axes = _axes(dim, self.ndim)
        shift = self.data.max(axis=axes, keepdims=True)
        shift = Tensor._make(np.where(np.isfinite(shift), shift, 0))  # all -inf rows: shift by 0
        out = (self - shift).exp().sum(axes, keepdim=True).log() + shift
        return out if keepdim else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))

    @_numpy_names
    def softmax(self, dim: int) -> Tensor:
        """exp(x) / sum(exp(x)), shifted by the (constant) max for stability."""
        shifted = self - self.detach().amax(dim, keepdim=True)
        e = shifted.exp()
        return e / e.sum(dim, keepdim=True)

    @_numpy_names
    def log_softmax(self, dim: int) -> Tensor:
        """x - logsumexp(x): stable for large |x|, unlike log(softmax(x))."""
        return self - self.logsumexp(dim, keepdim=True)

    # ------------------------------------------------------------------------- movement

    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape; one dimension may be -1. ``x.reshape(2, 3)`` or ``((2, 3))``."""
        new_shape = _resolve_shape(_shape_args(shape), self.data.size)
        if new_shape is None:
            asked = list(_shape_args(shape))
            raise ShapeError(f"reshape: shape {asked} is invalid for a tensor of shape {self.shape}")
        if new_shape == self.shape:
            return self
        return ops.Reshape(tuple(new_shape))(self)

    view = reshape

    def permute(self, *dims: Any) -> Tensor:
        dims = tuple(_axis(d, self.ndim) for d in _shape_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        return ops.Permute(dims)(self)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        axes = list(range(self.ndim))
        dim0, dim1 = _axis(dim0, self.ndim), _axis(dim1, self.ndim)
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return ops.Permute(tuple(axes))(self)

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the transpose, for a matrix)."""
        return self.permute(tuple(reversed(range(self.ndim)))) if self.ndim > 1 else self

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped: a batch of transposed matrices."""
        return self.transpose(-2, -1)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` without copying; -1 keeps a dimension."""
        sizes = _shape_args(sizes)
        extra = len(sizes) - self.ndim
        if extra < 0:
            raise ShapeError(f"expand: can't expand shape {self.shape} to fewer dims {tuple(sizes)}")
        if any(n == -1 for n in sizes[:extra]):
            raise ShapeError(f"expand: -1 is not allowed for the new leading dims in {tuple(sizes)}")
        shape = tuple(self.shape[i - extra] if n == -1 else n for i, n in enumerate(sizes))
        if shape == self.shape:
            return self
        return ops.Expand(shape)(self)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return self.expand(*shape)

    def unsqueeze(self, dim: int) -> Tensor:
        dim = _axis(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = _axis(dim, self.ndim)
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _axis(start_dim, self.ndim), _axis(end_dim, self.ndim)
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1 :])

    def __getitem__(self, index: Any) -> Tensor:
        return ops.Getitem(_index(index))(self)

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


# ----------------------------------------------------------------------------- helpers


def _version_of_viewed(view: np.ndarray, inputs: tuple[Tensor, ...]) -> list[int]:
    """The version counter of the input whose memory ``view`` looks at (a new one if none)."""
    root = _root(view)
    for t in inputs:
        if _root(t.data) is root:
            return t._version
    return [0]


def _root(array: Any) -> Any:
    """The object that owns an array's memory (views, and views of views, lead back to it)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def is_cpu_device(device: Any) -> bool:
    """True for "cpu" (minigrad's only device), so that ported ``.to(device)`` calls work; an
    error for other device names such as "cuda"."""
    if not isinstance(device, str) or device.split(":")[0] not in ("cpu", "cuda", "mps", "xpu", "meta"):
        return False
    if device.split(":")[0] != "cpu":
        raise RuntimeError(f"minigrad runs on numpy, on the CPU only: cannot move to device {device!r}")
    return True


def _grad_output(output: Tensor, gradient: Any) -> Tensor:
    gradient = gradient if isinstance(gradient, Tensor) else Tensor(_to_array(gradient, output.dtype))
    if gradient.shape != output.shape:
        raise RuntimeError(f"gradient has shape {gradient.shape} but the output it belongs to has shape {output.shape}")
    return gradient


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    """Wrap a constant (Python number, list, ndarray) for an op with ``like``.

    A Python number takes ``like``'s dtype, as in PyTorch: ``float32_tensor * 0.5`` stays
    float32; a float with an integer tensor gives float32.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (builtins.float, builtins.int, builtins.bool)):
        dtype: np.dtype
        if isinstance(value, builtins.float) and not _is_float(like.dtype):
            dtype = float32  # int tensor * 0.5 is float32, as in PyTorch
        elif like.dtype == bool_ and not isinstance(value, builtins.bool):
            dtype = int64  # bool tensor + 1 counts, as in PyTorch
        else:
            dtype = like.dtype
        return Tensor._make(np.asarray(value, dtype=dtype))
    return Tensor(value)


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """PyTorch's type promotion: a float wins over an int; the wider float wins."""
    if _is_float(a.dtype) == _is_float(b.dtype):
        common = np.result_type(a.dtype, b.dtype)
    else:
        common = a.dtype if _is_float(a.dtype) else b.dtype
    return a.to(common), b.to(common)


def _operands(a: Tensor, b: Any, reflected: bool = False, true_division: bool = False) -> tuple[Tensor, Tensor]:
    """The two Tensor operands of a binary op, with one common dtype."""
    b = _as_tensor(b, a)
    if reflected:
        a, b = b, a
    if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
        a, b = _promote(a, b)
    if true_division and not _is_float(a.dtype):
        a, b = a.to(float32), b.to(float32)  # int / int is a float, as in PyTorch
    return a, b


def _floating(x: Tensor) -> Tensor:
    return x if _is_float(x.dtype) else x.to(float32)


def _axis(dim: int, ndim: int) -> int:
    """A non-negative axis; negative dims count from the end."""
    low = -builtins.max(ndim, 1)
    if not low <= dim < builtins.max(ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dims (expected {low} to {-low - 1})")
    return dim % builtins.max(ndim, 1) if ndim else 0


def _axes(dim: Any, ndim: int) -> tuple[int, ...]:
    """Reduction axes as a sorted tuple of non-negative ints; None (or an empty tuple, as in
    PyTorch) means all."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if ndim == 0:
        for d in dims:
            _axis(d, 0)
        return ()
    return tuple(sorted({_axis(d, ndim) for d in dims}))


def _shape_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _resolve_shape(shape: tuple[int, ...], size: int) -> tuple[int, ...] | None:
    """``shape`` with its -1 (if any) filled in so that it holds ``size`` elements; None if impossible."""
    if shape.count(-1) > 1 or any(n < -1 for n in shape):
        return None
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or size % known:
            return None
        shape = tuple(size // known if n == -1 else n for n in shape)
    return shape if math.prod(shape) == size else None


def _index(index: Any) -> Any:
    """Tensors and lists inside an index become numpy arrays (integer or boolean)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


# ----------------------------------------------------------------------------- functions


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of ``input`` where ``condition`` is true, else of ``other``."""
    condition = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition, dtype=bool))
    if condition.dtype != bool_:
        condition = Tensor._make(condition.data.astype(bool))
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise TypeError("where: at least one of input and other must be a Tensor")
        other, input = _operands(other, input)
    else:
        input, other = _operands(input, other)
    return ops.Where()(condition, input, other)


def maximum(input: Tensor, other: Any) -> Tensor:
    """Elementwise maximum; on ties each side gets half the gradient (as in PyTorch)."""
    return ops.Maximum()(*_operands(input, other))


def minimum(input: Tensor, other: Any) -> Tensor:
    return -maximum(-input, -_as_tensor(other, input))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    first = tensors[0]
    tensors = [_operands(first, t)[1] for t in tensors]
    dtype = np.result_type(*[t.dtype for t in tensors])
    axis = _axis(dim, first.ndim)
    for t in tensors:
        if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1 :] != first.shape[:axis] + first.shape[axis + 1 :]:
            raise ValueError(
                f"cat: shapes {[s.shape for s in tensors]} differ outside dim {dim}; only that dim may differ"
            )
    return ops.Concatenate(axis)(*[t.to(dtype) for t in tensors])


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of the same shape along a new dimension."""
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


# ----------------------------------------------------------------------------- factories


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    >>> tensor([1, 2]).dtype, tensor([1.0]).dtype
    (dtype('int64'), dtype('float32'))
    """
    return Tensor(_to_array(data, dtype), requires_grad=requires_grad)


def _filled(size: tuple[Any, ...], value: Any, dtype: DTypeLike, requires_grad: bool) -> Tensor:
    shape = _shape_args(size)
    return Tensor(np.full(shape, value, dtype=dtype or float32), requires_grad=requires_grad)


def zeros(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """``zeros(2, 3)`` or ``zeros((2, 3))``; float32 unless ``dtype`` says otherwise."""
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 1, dtype, requires_grad)


def full(size: Sequence[int], fill_value: Scalar, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value)."""
    dtype = dtype or _to_array(fill_value, None).dtype
    return Tensor(np.full(tuple(size), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(input.shape, dtype=dtype or input.dtype), requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(input.shape, dtype=dtype or input.dtype), requires_grad=requires_grad)


def arange(start: Scalar, end: Scalar | None = None, step: Scalar = 1, dtype: DTypeLike = None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive): int64 for int arguments, else float32."""
    if end is None:
        start, end = 0, start
    floats = any(isinstance(v, builtins.float) for v in (start, end, step))
    return Tensor(np.arange(start, end, step, dtype=dtype or (float32 if floats else int64)))


def randn(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples (float32 unless ``dtype`` says otherwise)."""
    data = _generator.standard_normal(_shape_args(size)).astype(dtype or float32)
    return Tensor(data, requires_grad=requires_grad)


def rand(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    data = _generator.random(_shape_args(size)).astype(dtype or float32)
    return Tensor(data, requires_grad=requires_grad)


def randint(low: int, high: int | Sequence[int], size: Sequence[int] | None = None) -> Tensor:
    """Integers from [low, high), int64: ``randint(low, high, size)`` or ``randint(high, size)``."""
    if size is None:
        low, high, size = 0, low, high  # type: ignore[assignment]
    return Tensor(_generator.integers(low, high, tuple(size), dtype=np.int64))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- grad


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` is untouched.
    An input that the outputs do not depend on is an error, or None with ``allow_unused=True``.

    With ``create_graph=True`` the result is itself differentiable:

    >>> x = tensor(2.0, requires_grad=True)
    >>> (dy,) = grad(x ** 3, x, create_graph=True)   # 3x^2 = 12
    >>> grad(dy, x)                                  # 6x = 12
    (tensor(12.),)
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(f"grad: an output of shape {out.shape} does not require grad and has no graph")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this output has shape {out.shape})"
                )
            g = Tensor._make(np.ones_like(out.data))
        seeds.append(_grad_output(out, g))
    results = run_backward(
        outputs, seeds, create_graph if retain_graph is None else retain_graph, create_graph, inputs=inputs
    )
    for i, r in enumerate(results):
        if r is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True if that is expected"
            )
    return tuple(results)  # type: ignore[arg-type]
