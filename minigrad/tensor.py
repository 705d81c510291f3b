"""Tensor: a numpy array plus the op that made it.

Every method here is a call to one primitive from ``ops.py`` (``x * y`` is ``Mul``, ``x.sum()``
is ``Sum``), shape sugar around one (``unsqueeze`` is a ``Reshape``), or a call to a composite
in ``composites.py`` (``mean``, ``softmax``, ...). No gradient is written in this file: the
engine derives them all.

Tensor's methods are split by job: this file holds the data, the graph recording, autograd,
arithmetic, elementwise math, reductions and comparisons; ``tensor_shape.py`` the shape
methods, indexing and sorting, ``tensor_linalg.py`` the matrix products, ``tensor_convert.py``
the conversions (dtypes, devices, copies), ``tensor_inplace.py`` the in-place operations. The
class binds those functions as its methods, one line each.

Below this file: ``ops`` (primitives), ``autograd`` (the engine), ``composites``, and the
``dtypes``, ``shapes`` and ``devices`` helpers. Above it: ``factories`` (``tensor``, ``zeros``,
``randn``, ...) and ``functions`` (``cat``, ``where``, ...).
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from minigrad import (
    autograd,
    composites,
    ops,
    tensor_compare,
    tensor_convert,
    tensor_inplace,
    tensor_linalg,
    tensor_shape,
)
from minigrad.autograd import AnomalyMode, GradMode, InPlaceClock, Scope, check_forward, version_of_view
from minigrad.devices import strided
from minigrad.dtypes import (
    DefaultDType,
    DTypeLike,
    array_of,
    as_array,
    bool_,
    int64,
    is_floating,
    promote_types,
    resolve_dtype,
    scalar_dtype,
)
from minigrad.shapes import ShapeError, normalize_dim, reduction_axes
from minigrad.tensor_shape import ValuesIndices

MaxResult = ValuesIndices  # the (values, indices) pair of max(dim), min(dim), sort, topk, ... (old name)


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


def _without_gradient(ufunc: Callable[..., Any], *parameters: str, name: str | None = None) -> Callable[..., Tensor]:
    """A Tensor method computing ``ufunc`` on the arrays, with no graph: for comparisons and
    other functions whose gradient is zero or undefined (``x < y``, ``x.sign()``, ``x.floor()``).
    ``parameters`` name its arguments after self, as PyTorch does (``eq(other)``)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        arrays = [array_of(a) for a in args]
        return Tensor._make(np.asarray(ufunc(self.array, *arrays, **{k: array_of(v) for k, v in kwargs.items()})))

    method.__name__ = method.__qualname__ = name or ufunc.__name__
    method.__doc__ = f"numpy's ``{ufunc.__name__}`` on the data, as a tensor with no gradient."
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]  # PyTorch's names, for inspect
        [inspect.Parameter("self", positional)] + [inspect.Parameter(p, positional) for p in parameters]
    )
    return method


def _of_floats(op: type[ops.Primitive], name: str) -> Callable[[Tensor], Tensor]:
    """A Tensor method applying the one-input primitive ``op`` to self as floats (integers
    become the default float dtype, as in PyTorch)."""

    def method(self: Tensor) -> Tensor:
        return op()(composites.floating(self))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = op.__doc__ or f"{name}, elementwise."
    return method


def _of_two(
    function: Callable[[Tensor, Tensor], Tensor], name: str = "", true_division: builtins.bool = True
) -> Callable[..., Tensor]:
    """A Tensor method ``x.name(other)`` running ``function`` on the two operands brought to one
    dtype (a float one when ``true_division``), numbers included."""

    def method(self: Tensor, other: Any) -> Tensor:
        return function(*_operands(self, other, true_division=true_division))

    method.__name__ = method.__qualname__ = name or function.__name__
    method.__doc__ = function.__doc__
    return method


class Tensor:
    """An n-dimensional array that can record the ops applied to it, for backward.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    # _hooks is set only by register_hook (an unset slot costs nothing when there are none).
    __slots__ = ("array", "grad", "requires_grad", "_op", "_retains_grad", "_version", "_hooks", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor works

    array: np.ndarray  # the values: a numpy array, shared (not copied) with whoever made it
    grad: Tensor | None
    requires_grad: bool

    def __init__(self, data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> None:
        """Wraps a numpy array as it is (no copy, its dtype kept); other data (lists, numbers)
        becomes the default float dtype, as in PyTorch's ``torch.Tensor([1, 2])``."""
        if dtype is None and not isinstance(data, (np.ndarray, np.generic, Tensor)):
            dtype = DefaultDType.value
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
        try:  # (one and two inputs spelled out: every op runs this line, and a list costs 0.15 us)
            if len(inputs) == 2:
                data = op.forward(inputs[0].array, inputs[1].array)
            elif len(inputs) == 1:
                data = op.forward(inputs[0].array)
            else:
                data = op.forward(*[t.array for t in inputs])
        except ShapeError:
            raise
        except ValueError as error:
            shapes = " and ".join(str(t.shape) for t in inputs)
            if "broadcast" in str(error):
                raise ShapeError(f"{op.name()}: shapes {shapes} do not broadcast together") from None
            raise ValueError(f"{op.name()}: {error} (input shapes: {shapes})") from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # numpy returns scalars for 0-d results
        if AnomalyMode.enabled:  # detect_anomaly(): stop at the first op that makes NaN or inf
            check_forward(op, inputs, data)
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

    device = property(tensor_convert.device)
    layout = strided
    is_cuda = is_sparse = is_quantized = is_meta = is_mps = False
    is_cpu = True
    itemsize, nbytes = property(tensor_convert.itemsize), property(tensor_convert.nbytes)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op that records a graph."""
        return self._op is None

    @property
    def grad_fn(self) -> ops.Primitive | None:
        """The primitive that made this tensor (None for leaves): ``grad_fn.name()``, ``.next_functions``."""
        return self._op

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one dimension: ``x.size()``, ``x.size(-1)``."""
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim)]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self.array.size)

    nelement = ndimension = numel
    ndimension = dim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __hash__(self) -> int:
        return id(self)

    __repr__, __format__ = tensor_convert.repr, tensor_convert.format

    # ------------------------------------------------------------------------- conversion

    numpy = tensor_convert.numpy

    item, tolist = tensor_convert.item, tensor_convert.tolist
    __float__ = tensor_convert.float_
    __int__ = tensor_convert.int_
    __index__ = tensor_convert.index
    __bool__ = tensor_convert.bool_
    __array__ = tensor_convert.array

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

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
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

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> autograd.RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces
        the gradient. Returns a handle with ``remove()``."""
        return autograd.register_tensor_hook(self, hook)

    to = tensor_convert.to
    type = tensor_convert.type
    type_as = tensor_convert.type_as
    float = tensor_convert.float
    double = tensor_convert.double
    half = tensor_convert.half
    bfloat16 = tensor_convert.bfloat16
    long = tensor_convert.long
    int = tensor_convert.int
    short = tensor_convert.short
    char = tensor_convert.char
    byte = tensor_convert.byte
    bool = tensor_convert.bool
    cpu, cuda = tensor_convert.cpu, tensor_convert.cuda
    to_sparse, pin_memory = tensor_convert.to_sparse, tensor_convert.pin_memory
    clone, contiguous, is_contiguous = tensor_convert.clone, tensor_convert.contiguous, tensor_convert.is_contiguous
    stride, element_size = tensor_convert.stride, tensor_convert.element_size
    is_floating_point, is_complex = tensor_convert.is_floating_point, tensor_convert.is_complex

    def new_tensor(self, data: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: builtins.bool = False,
                   pin_memory: builtins.bool = False) -> Tensor:  # fmt: skip
        """A new tensor holding a copy of ``data`` (C-contiguous), with this tensor's dtype (or
        ``dtype``) and no graph."""
        out = Tensor._make(np.array(array_of(data), dtype=resolve_dtype(dtype) or self.dtype, order="C"))
        return out.requires_grad_() if requires_grad else out

    new_full, new_zeros, new_ones = tensor_convert.new_full, tensor_convert.new_zeros, tensor_convert.new_ones
    new_empty = new_zeros

    # ------------------------------------------------------------------------- autograd

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: builtins.bool | None = None,
        create_graph: builtins.bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (only ``inputs``' if given).

        ``gradient`` is d(loss)/d(self); it may be left out only when self has one element.
        """
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

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

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.Pow()(*_operands(self, exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return ops.Pow()(*_operands(self, base, reflected=True))

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _as_tensor(other, self).matmul(self)

    __floordiv__ = floor_divide = _without_gradient(np.floor_divide, "other", name="floor_divide")

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _as_tensor(other, self) // self

    def __rmod__(self, other: Any) -> Tensor:
        return _as_tensor(other, self) % self

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def exp(self) -> Tensor:
        return ops.Exp()(composites.floating(self))

    def log(self) -> Tensor:
        return ops.Log()(composites.floating(self))

    def sin(self) -> Tensor:
        return ops.Sin()(composites.floating(self))

    def cos(self) -> Tensor:
        return ops.Cos()(composites.floating(self))

    def erf(self) -> Tensor:
        return ops.Erf()(composites.floating(self))

    def atan(self) -> Tensor:
        return ops.Atan()(composites.floating(self))

    def asin(self) -> Tensor:
        return ops.Asin()(composites.floating(self))

    def fmod(self, other: Any) -> Tensor:
        """C's fmod: the remainder of trunc division, with the sign of self (``remainder``'s follows other)."""
        return ops.Fmod()(*_operands(self, other))

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in (-pi, pi]; integers become floats."""
        return ops.Atan2()(*_operands(self, other, true_division=True))

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
            condition = Tensor._make(np.asarray(condition, dtype=builtins.bool))
        elif condition.dtype != bool_:
            condition = Tensor._make(condition.array.astype(builtins.bool))
        return ops.Where()(condition, *_operands(self, other))

    def cumsum(self, dim: builtins.int, *, dtype: DTypeLike = None) -> Tensor:
        """Running sums along ``dim``."""
        source = tensor_convert.cast(self, dtype) if dtype is not None else self
        if source.dtype == bool_ or (source.dtype.kind in "iu" and source.dtype != int64):
            source = tensor_convert.cast(source, int64)  # PyTorch sums integers in int64
        return ops.CumSum(normalize_dim(dim, self.ndim))(source)

    # Composites (composites.py): their gradients are derived from the primitives they use.

    add, sub, subtract = composites.add, composites.subtract, composites.subtract
    mul, multiply = composites.mul, composites.mul
    div = divide = composites.div
    true_divide = composites.true_divide
    __mod__ = remainder = composites.remainder
    neg = negative = composites.neg
    reciprocal, lerp, frac = composites.reciprocal, composites.lerp, composites.frac
    abs = absolute = __abs__ = composites.abs
    tan, sinh, cosh = composites.tan, composites.sinh, composites.cosh
    arctan, arcsin, arctan2 = atan, asin, atan2
    acos = arccos = composites.acos
    asinh = arcsinh = _of_floats(ops.Asinh, "asinh")
    acosh, atanh, erfc = _of_floats(ops.Acosh, "acosh"), _of_floats(ops.Atanh, "atanh"), _of_floats(ops.Erfc, "erfc")
    arccosh, arctanh = acosh, atanh
    hypot = _of_two(lambda a, b: ops.Hypot()(a, b), "hypot")
    hypot.__doc__ = ops.Hypot.__doc__
    xlogy, copysign = _of_two(composites.xlogy), _of_two(composites.copysign)
    logaddexp, logaddexp2 = _of_two(composites.logaddexp), _of_two(composites.logaddexp2)
    fmax, fmin = _of_two(composites.fmax, true_division=False), _of_two(composites.fmin, true_division=False)
    deg2rad, rad2deg, sinc, logit = composites.deg2rad, composites.rad2deg, composites.sinc, composites.logit
    float_power = composites.float_power
    addcmul, addcdiv = composites.addcmul, composites.addcdiv
    exp2 = composites.exp2
    expm1 = composites.expm1
    log1p = composites.log1p
    log2 = composites.log2
    log10 = composites.log10
    relu = composites.relu
    sigmoid = composites.sigmoid
    tanh = composites.tanh
    clamp = clip = composites.clamp
    clamp_min, clamp_max = composites.clamp_min, composites.clamp_max
    minimum = composites.minimum
    nan_to_num = composites.nan_to_num

    # ------------------------------------------------------------------------- reductions

    @_numpy_names
    def sum(self, dim: Any = None, keepdim: builtins.bool = False, dtype: DTypeLike = None) -> Tensor:
        """Sum over ``dim`` (an int, a tuple, or None for all); integers and booleans sum in int64."""
        source = tensor_convert.cast(self, dtype) if dtype is not None else self
        if dtype is None and (source.dtype == bool_ or (source.dtype.kind in "iu" and source.dtype != int64)):
            source = tensor_convert.cast(source, int64)  # PyTorch sums integers in int64
        return ops.Sum(reduction_axes(dim, self.ndim), keepdim)(source)

    @_numpy_names
    def amax(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Maximum over ``dim``; tied maxima share the gradient evenly, as in PyTorch."""
        return ops.Max(reduction_axes(dim, self.ndim), keepdim)(self)

    max, min = _numpy_names(tensor_shape.max), _numpy_names(tensor_shape.min)
    argmax, argmin = _numpy_names(tensor_shape.argmax), _numpy_names(tensor_shape.argmin)
    mean = _numpy_names(composites.mean)
    var = _numpy_names(composites.var)
    std = _numpy_names(composites.std)
    prod = _numpy_names(composites.prod)
    norm = composites.norm
    amin = _numpy_names(composites.amin)
    logsumexp = _numpy_names(composites.logsumexp)
    softmax = _numpy_names(composites.softmax)
    log_softmax = _numpy_names(composites.log_softmax)
    count_nonzero = composites.count_nonzero
    nansum, nanmean = _numpy_names(composites.nansum), _numpy_names(composites.nanmean)
    cumprod = composites.cumprod
    cross = composites.cross

    # ------------------------------------------------------------------------- shape (tensor_shape.py)

    reshape = tensor_shape.reshape
    view, view_as, reshape_as = tensor_shape.view, tensor_shape.view_as, tensor_shape.reshape_as
    permute = tensor_shape.permute
    transpose = tensor_shape.transpose
    swapaxes = tensor_shape.swapaxes
    swapdims = tensor_shape.swapdims
    t = tensor_shape.t
    movedim = moveaxis = tensor_shape.movedim
    T = property(tensor_shape.reversed_dims)
    mT = property(tensor_shape.matrix_transpose)  # noqa: N815 (PyTorch's name)
    expand, expand_as = tensor_shape.expand, tensor_shape.expand_as
    broadcast_to = tensor_shape.broadcast_to
    unsqueeze = tensor_shape.unsqueeze
    squeeze = tensor_shape.squeeze
    flatten, ravel = tensor_shape.flatten, tensor_shape.ravel
    unflatten = tensor_shape.unflatten
    flip, fliplr, flipud, roll = tensor_shape.flip, tensor_shape.fliplr, tensor_shape.flipud, tensor_shape.roll
    repeat, tile = tensor_shape.repeat, tensor_shape.tile
    split, chunk, unbind = tensor_shape.split, tensor_shape.chunk, tensor_shape.unbind
    narrow, select, index_select = tensor_shape.narrow, tensor_shape.select, tensor_shape.index_select
    gather, take_along_dim, take = tensor_shape.gather, tensor_shape.take_along_dim, tensor_shape.take
    tensor_split, repeat_interleave = tensor_shape.tensor_split, tensor_shape.repeat_interleave
    unfold, diff = tensor_shape.unfold, tensor_shape.diff
    scatter, scatter_add = tensor_shape.scatter, tensor_shape.scatter_add
    masked_fill, masked_select = tensor_shape.masked_fill, tensor_shape.masked_select
    tril = tensor_shape.tril
    triu = tensor_shape.triu
    diag = tensor_shape.diag
    diagonal = tensor_shape.diagonal
    trace = tensor_shape.trace
    sort, argsort, msort, topk = tensor_shape.sort, tensor_shape.argsort, tensor_shape.msort, tensor_shape.topk
    kthvalue, median = tensor_shape.kthvalue, tensor_shape.median
    __getitem__ = tensor_shape.getitem
    index_add, index_copy, index_fill = tensor_shape.index_add, tensor_shape.index_copy, tensor_shape.index_fill
    rot90, diagflat = tensor_shape.rot90, tensor_shape.diagflat
    hsplit, vsplit, dsplit = tensor_shape.hsplit, tensor_shape.vsplit, tensor_shape.dsplit

    # ------------------------------------------------------------------------- matrix products (tensor_linalg.py)

    matmul, mm, bmm, mv = tensor_linalg.matmul, tensor_linalg.mm, tensor_linalg.bmm, tensor_linalg.mv
    dot, outer = tensor_linalg.dot, tensor_linalg.outer
    ger, inner, vdot, kron = tensor_linalg.outer, tensor_linalg.inner, tensor_linalg.vdot, tensor_linalg.kron
    addmm, addmv, addr = tensor_linalg.addmm, tensor_linalg.addmv, tensor_linalg.addr
    baddbmm, addbmm = tensor_linalg.baddbmm, tensor_linalg.addbmm
    inverse, det, logdet = tensor_linalg.inverse, tensor_linalg.det, tensor_linalg.logdet
    slogdet, matrix_power = tensor_linalg.slogdet, tensor_linalg.matrix_power

    # ------------------------------------------------------------------------- comparisons
    # Computed on the arrays; the results are constants (boolean mostly) with no gradient.

    __lt__ = lt = less = _without_gradient(np.less, "other", name="lt")
    __le__ = le = less_equal = _without_gradient(np.less_equal, "other", name="le")
    __gt__ = gt = greater = _without_gradient(np.greater, "other", name="gt")
    __ge__ = ge = greater_equal = _without_gradient(np.greater_equal, "other", name="ge")
    __eq__ = eq = _without_gradient(np.equal, "other", name="eq")  # type: ignore[assignment]
    __ne__ = ne = not_equal = _without_gradient(np.not_equal, "other", name="ne")  # type: ignore[assignment]
    __invert__ = bitwise_not = _without_gradient(np.invert, name="bitwise_not")
    __and__ = bitwise_and = _without_gradient(np.bitwise_and, "other", name="bitwise_and")
    __or__ = bitwise_or = _without_gradient(np.bitwise_or, "other", name="bitwise_or")
    __xor__ = bitwise_xor = _without_gradient(np.bitwise_xor, "other", name="bitwise_xor")
    logical_and = _without_gradient(np.logical_and, "other")
    logical_or = _without_gradient(np.logical_or, "other")
    logical_xor = _without_gradient(np.logical_xor, "other")
    logical_not = _without_gradient(np.logical_not)
    sign = sgn = _without_gradient(np.sign, name="sign")
    isfinite, isnan, isinf = _without_gradient(np.isfinite), _without_gradient(np.isnan), _without_gradient(np.isinf)
    signbit, isposinf, isneginf = (
        _without_gradient(np.signbit),
        _without_gradient(np.isposinf),
        _without_gradient(np.isneginf),
    )

    def heaviside(self, values: Any) -> Tensor:
        """0 where self < 0 (and where it is NaN), ``values`` where it is 0, 1 where it is
        positive, in the common dtype; no gradient (PyTorch has none)."""
        x, v = _operands(self, values)
        if x.dtype != self.dtype:
            raise TypeError(f"heaviside: values of dtype {v.dtype} do not match input's {self.dtype}")
        return Tensor._make(np.where(x.array == 0, v.array, (x.array > 0).astype(x.dtype)))

    def isreal(self) -> Tensor:
        """True everywhere: minigrad's tensors are real."""
        return Tensor._make(np.ones(self.shape, dtype=builtins.bool))

    def positive(self) -> Tensor:
        """self (``+x``); refused for booleans, as in PyTorch."""
        if self.dtype == bool_:
            raise TypeError("positive: the + operator on a bool tensor is not supported")
        return self

    floor, ceil, trunc = _without_gradient(np.floor), _without_gradient(np.ceil), _without_gradient(np.trunc)

    def round(self, *, decimals: builtins.int = 0) -> Tensor:
        """Round half to even (PyTorch's and numpy's rule) to ``decimals`` places (negative:
        tens, hundreds, ...); like floor, a constant with no gradient."""
        return Tensor._make(np.asarray(np.round(self.array, decimals)))

    all, any = tensor_compare.all, tensor_compare.any
    isclose, allclose, equal = tensor_compare.isclose, tensor_compare.allclose, tensor_compare.equal
    nonzero, argwhere = tensor_compare.nonzero, tensor_compare.argwhere
    unique = tensor_compare.unique

    # ------------------------------------------------------------------------- in place (tensor_inplace.py)

    __iadd__ = tensor_inplace.iadd
    __isub__ = tensor_inplace.isub
    __imul__ = tensor_inplace.imul
    __itruediv__ = tensor_inplace.itruediv
    __setitem__ = tensor_inplace.setitem
    copy_, fill_, zero_ = tensor_inplace.copy_, tensor_inplace.fill_, tensor_inplace.zero_
    masked_fill_, detach_ = tensor_inplace.masked_fill_, tensor_inplace.detach_
    normal_, uniform_, bernoulli_ = tensor_inplace.normal_, tensor_inplace.uniform_, tensor_inplace.bernoulli_
    # x.NAME_(...) is x becoming x.NAME(...), recorded when x is in a graph (tensor_inplace.in_place_of).
    _in_place: Callable[[Any], Callable[..., Tensor]] = tensor_inplace.in_place_of
    add_, sub_, subtract_, mul_, multiply_ = map(_in_place, (add, sub, subtract, mul, multiply))
    div_, divide_, pow_, neg_ = map(_in_place, (div, divide, pow, neg))
    exp_, log_, sqrt_, sin_, cos_ = map(_in_place, (exp, log, sqrt, sin, cos))
    abs_, relu_, sigmoid_, tanh_, square_ = map(_in_place, (abs, relu, sigmoid, tanh, square))
    clamp_, clip_, clamp_min_, clamp_max_ = map(_in_place, (clamp, clip, clamp_min, clamp_max))
    lerp_, reciprocal_, floor_, ceil_, round_ = map(_in_place, (lerp, reciprocal, floor, ceil, round))
    scatter_, scatter_add_ = map(_in_place, (scatter, scatter_add))
    rsqrt_, sign_, sgn_, trunc_, frac_ = map(_in_place, (rsqrt, sign, sgn, trunc, frac))
    log1p_, log2_, log10_, expm1_, exp2_, erf_ = map(_in_place, (log1p, log2, log10, expm1, exp2, erf))
    tan_, sinh_, cosh_, asin_, arcsin_, acos_ = map(_in_place, (tan, sinh, cosh, asin, arcsin, acos))
    arccos_, atan_, arctan_, atan2_, arctan2_ = map(_in_place, (arccos, atan, arctan, atan2, arctan2))
    fmod_, remainder_, cumsum_, cumprod_, tril_, triu_ = map(_in_place, (fmod, remainder, cumsum, cumprod, tril, triu))
    nan_to_num_, negative_, absolute_ = map(_in_place, (nan_to_num, negative, absolute))
    true_divide_, floor_divide_, addcmul_, addcdiv_ = map(_in_place, (true_divide, floor_divide, addcmul, addcdiv))
    eq_, ne_, lt_, le_, gt_, ge_, not_equal_ = map(_in_place, (eq, ne, lt, le, gt, ge, not_equal))
    greater_, greater_equal_, less_, less_equal_ = map(_in_place, (greater, greater_equal, less, less_equal))
    logical_not_, logical_and_ = map(_in_place, (logical_not, logical_and))
    logical_or_, logical_xor_ = map(_in_place, (logical_or, logical_xor))
    asinh_, arcsinh_, acosh_, arccosh_ = map(_in_place, (asinh, arcsinh, acosh, arccosh))
    atanh_, arctanh_ = map(_in_place, (atanh, arctanh))
    erfc_, hypot_, xlogy_, copysign_, logit_, sinc_ = map(_in_place, (erfc, hypot, xlogy, copysign, logit, sinc))
    deg2rad_, rad2deg_, float_power_, heaviside_ = map(_in_place, (deg2rad, rad2deg, float_power, heaviside))
    index_add_, index_copy_, index_fill_ = map(_in_place, (index_add, index_copy, index_fill))
    addmm_, addmv_, addr_, baddbmm_, addbmm_ = map(_in_place, (addmm, addmv, addr, baddbmm, addbmm))


def from_numpy(ndarray: np.ndarray, /) -> Tensor:
    """A tensor sharing ``ndarray``'s memory, with no graph (PyTorch's ``torch.from_numpy``).
    This is how layers wrap arrays they computed (masks, constants) without a copy.

    >>> a = np.zeros(2, dtype=np.float32); t = from_numpy(a); a[0] = 5; t
    tensor([5., 0.])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(ndarray).__name__}")
    return Tensor._make(ndarray)


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


def _operands(
    a: Tensor, b: Any, reflected: builtins.bool = False, true_division: builtins.bool = False
) -> tuple[Tensor, Tensor]:
    """The two Tensor operands of a binary op, with one common dtype."""
    b = _as_tensor(b, a)
    if reflected:
        a, b = b, a
    if a.array.dtype is not b.array.dtype and a.array.dtype != b.array.dtype:
        common = promote_types(a.dtype, b.dtype)
        a, b = a.to(common), b.to(common)
    if true_division and not is_floating(a.dtype):
        a, b = a.to(DefaultDType.value), b.to(DefaultDType.value)  # int / int is a float, as in PyTorch
    return a, b
