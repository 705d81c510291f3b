"""The primitive ops: a small, closed set. Everything else is composed of them.

Each primitive is one class with two short methods side by side:

* ``forward(*arrays)`` computes the value: numpy arrays in, one numpy array out;
* ``backward(grad, out)`` is its vector-Jacobian product (VJP): given the gradient of the
  loss with respect to the output (a Tensor), it returns one gradient per input (a Tensor,
  or ``None`` where an input needs none).

The VJPs are written with Tensor operations, never with raw numpy. That is a choice, not a
convenience: running a VJP with grad mode on records a graph of the backward pass itself,
which is how gradients of gradients (``create_graph=True``) work to any order. The Tensor
operations they use are listed in ``TensorLike`` below; that Protocol is the whole contract
between this layer and the Tensor above it.

Two rules that every VJP here can rely on, because the engine (``autograd.py``) enforces
them in one place:

* a gradient may come back with the broadcast shape of the output; the engine sums it back
  to the input's shape with ``unbroadcast``;
* a gradient is only used for inputs with ``requires_grad``; binary ops skip computing the
  ones nobody needs (``a.requires_grad`` checks below), which keeps backward cheap.

This module imports only numpy and the shape and special-function helpers. Primitives are applied to Tensors by
calling them: ``Mul()(a, b)``; the Tensor layer runs ``forward`` and records the op.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Protocol

import numpy as np

from minigrad import parallel
from minigrad.shapes import ShapeError, kept_shape
from minigrad.special import erf, erfc


class TensorLike(Protocol):
    """What a VJP may do with a Tensor: the operations ``backward`` methods are written in."""

    array: np.ndarray
    requires_grad: bool

    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def dtype(self) -> np.dtype: ...
    @property
    def mT(self) -> TensorLike: ...
    def __add__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __radd__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __sub__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __rsub__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __mul__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __rmul__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __truediv__(self, other: TensorLike | np.ndarray | float) -> TensorLike: ...
    def __neg__(self) -> TensorLike: ...
    def __pow__(self, exponent: TensorLike | float) -> TensorLike: ...
    def __matmul__(self, other: TensorLike) -> TensorLike: ...
    def __getitem__(self, index: Any) -> TensorLike: ...
    def __eq__(self, other: object) -> TensorLike: ...  # type: ignore[override]
    def __ge__(self, other: TensorLike | float) -> TensorLike: ...
    def __and__(self, other: TensorLike) -> TensorLike: ...
    def log(self) -> TensorLike: ...
    def exp(self) -> TensorLike: ...
    def trunc(self) -> TensorLike: ...
    def sum(self, dim: Any = None, keepdim: bool = False) -> TensorLike: ...
    def reshape(self, *shape: Any) -> TensorLike: ...
    def expand(self, *sizes: Any) -> TensorLike: ...
    def permute(self, *dims: Any) -> TensorLike: ...
    def new_zeros(self, *size: Any) -> TensorLike: ...
    def new_tensor(self, data: Any) -> TensorLike: ...
    def where(self, condition: Any, other: Any) -> TensorLike: ...
    def _apply(self, op: Primitive, inputs: tuple[TensorLike, ...]) -> TensorLike: ...


Gradients = tuple["TensorLike | None", ...]


class Primitive:
    """Base class: ``forward`` on arrays, ``backward`` (the VJP) on Tensors.

    ``inputs`` holds the input Tensors while the graph is alive; the engine empties it once
    backward has used it (unless ``retain_graph=True``), which frees them, and keeps in
    ``structure`` where they came from (``autograd.free_saved``), so the graph can be drawn.
    """

    # scope, structure: for drawings (autograd.Scope, autograd.free_saved); weak references:
    # anomaly mode notes where ops ran
    __slots__ = ("inputs", "ran_at", "scope", "structure", "__weakref__")
    inputs: tuple[TensorLike, ...]  # the input Tensors while the graph is alive, then ()
    ran_at: int  # the in-place clock when the op ran (see autograd.mark_changed_in_place)
    scope: tuple[Any, ...]  # the modules and named stages it was recorded in (autograd.Scope)
    structure: list[Any]  # set when backward frees it: see autograd.free_saved
    saved_arrays: ClassVar[tuple[str, ...]] = ()  # attributes holding arrays saved for backward, freed with inputs

    # Each primitive defines these two with its own arity: ``forward(self, a, b) -> ndarray``
    # and ``backward(self, grad, out) -> (da, db)``.
    forward: Callable[..., np.ndarray]
    backward: Callable[[TensorLike, TensorLike], Gradients]

    def __call__(self, *inputs: TensorLike) -> Any:
        return inputs[0]._apply(self, inputs)

    def name(self) -> str:
        """The op's name, as ``grad_fn.name()`` gives it in PyTorch ("Mul"; PyTorch says "MulBackward0")."""
        return type(self).__name__

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """PyTorch's view of the graph from this op: for each input, ``(the op that made it, 0)``,
        ``(AccumulateGrad, 0)`` for a leaf that requires grad, ``(None, 0)`` for a constant."""
        edges: list[tuple[Any, int]] = []
        inputs = getattr(self, "inputs", ())
        if not inputs and getattr(self, "structure", None):  # after backward: what free_saved kept
            for kept in self.structure[2:]:
                if isinstance(kept, Primitive):
                    edges.append((kept, 0))
                else:  # a leaf the graph keeps, or the record of a freed constant
                    edges.append((AccumulateGrad(kept) if getattr(kept, "requires_grad", False) else None, 0))
            return tuple(edges)
        for t in inputs:
            op = getattr(t, "_op", None)
            edges.append((op if op is not None else AccumulateGrad(t) if t.requires_grad else None, 0))
        return tuple(edges)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class AccumulateGrad:
    """Where a leaf's gradient ends up (its ``.grad``): what ``next_functions`` shows for a leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: TensorLike) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


# ----------------------------------------------------------------------------- elementwise


class Add(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.size + b.size < parallel.MIN_ELEMENTWISE:
            return a + b
        return parallel.elementwise(np.add, a, b)  # a + b on large arrays, split across threads

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return grad, grad  # d(a+b)/da = d(a+b)/db = 1


class Mul(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.size + b.size < parallel.MIN_ELEMENTWISE:
            return a * b
        return parallel.elementwise(np.multiply, a, b)  # a * b on large arrays, split across threads

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        if a is b:  # x * x (square): d(x^2)/dx = 2x, computed once instead of twice and summed
            return (grad * (a + a), None)
        return (
            product_for(a, grad, b) if a.requires_grad else None,
            product_for(b, grad, a) if b.requires_grad else None,
        )


def product_for(operand: TensorLike, grad: TensorLike, other: TensorLike) -> TensorLike:
    """``grad * other``, the gradient of one operand of a product. When the operand was broadcast
    (a per-channel scale, say), the engine would sum that product back to its shape: then take
    the sum of products directly, in one pass and without the full-size temporary."""
    if operand.shape == grad.shape or grad.shape != other.shape:
        return grad * other
    return SumOfProducts(broadcast_axes(operand.shape, grad.shape))(grad, other)  # keepdim shape


def broadcast_axes(shape: tuple[int, ...], full: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``full`` along which an operand of ``shape`` was broadcast."""
    extra = len(full) - len(shape)
    return tuple(i for i in range(len(full)) if i < extra or (shape[i - extra] == 1 and full[i] != 1))


class Div(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        # d(a/b)/da = 1/b;  d(a/b)/db = -a/b^2 = -out/b
        return (grad / b if a.requires_grad else None, -(grad * out) / b if b.requires_grad else None)


class Neg(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (-grad,)


class Pow(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a**b

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        # d(a^b)/da = b * a^(b-1);  d(a^b)/db = a^b * log(a).
        # At the edges PyTorch defines both as 0 where the formula gives 0 * inf = nan:
        # da where b == 0 (x^0 is constant), db where a == 0 and b >= 0.
        da = db = None
        if a.requires_grad:
            da = grad * b * a ** (b - 1)
            if (b.array == 0).any():
                da = Where()(b == 0, da.new_zeros(()), da)
        if b.requires_grad:
            db = grad * out * a.log()
            if (a.array == 0).any():
                db = Where()((a == 0) & (b >= 0), db.new_zeros(()), db)
        return da, db


class Exp(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.exp(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad * out,)  # d exp(a)/da = exp(a), which is the output


class Log(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.log(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad / self.inputs[0],)


class Sin(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.sin(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad * Cos()(self.inputs[0]),)  # d sin(a)/da = cos(a)


class Cos(Primitive):
    """A primitive, not sin(a + pi/2): in float32, a + pi/2 rounds (by 0.004 at a = 1e5)."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.cos(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (-grad * Sin()(self.inputs[0]),)  # d cos(a)/da = -sin(a)


class Erf(Primitive):
    """The error function erf(a) = 2/sqrt(pi) * integral_0^a exp(-t^2) dt (for GELU)."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return erf(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad * (2 / math.sqrt(math.pi)) * (-(a * a)).exp(),)  # d erf(a)/da = 2/sqrt(pi) exp(-a^2)


class Atan(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.arctan(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad / (1 + a * a),)  # d atan(a)/da = 1 / (1 + a^2)


class Asin(Primitive):
    """arcsin; ``acos`` is the composite pi/2 - asin."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.arcsin(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad * (1 - a * a) ** -0.5,)  # d asin(a)/da = 1 / sqrt(1 - a^2) (inf at |a| = 1, as in PyTorch)


class Asinh(Primitive):
    """The inverse hyperbolic functions are primitives on numpy's, like atan and asin: written
    as logs (asinh a = log(a + sqrt(a^2 + 1))) they lose digits near 0 and for large |a|."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.arcsinh(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad * (a * a + 1) ** -0.5,)  # d asinh(a)/da = 1 / sqrt(a^2 + 1)


class Acosh(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.arccosh(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad * (a * a - 1) ** -0.5,)  # d acosh(a)/da = 1 / sqrt(a^2 - 1) (inf at a = 1, as in PyTorch)


class Atanh(Primitive):
    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.arctanh(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad / (1 - a * a),)  # d atanh(a)/da = 1 / (1 - a^2)


class Erfc(Primitive):
    """erfc(a) = 1 - erf(a), computed without the subtraction: for large a it is tiny
    (erfc(10) = 2e-45) and 1 - erf(a) would be 0."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return erfc(a)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        return (grad * (-2 / math.sqrt(math.pi)) * (-(a * a)).exp(),)  # d erfc(a)/da = -2/sqrt(pi) exp(-a^2)


class Hypot(Primitive):
    """sqrt(a^2 + b^2) without overflow or underflow in the squares (numpy's hypot)."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.hypot(a, b)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        # d/da = a / hypot, d/db = b / hypot (0/0 = NaN at a = b = 0, as in PyTorch)
        return (grad * a / out if a.requires_grad else None, grad * b / out if b.requires_grad else None)


class Fmod(Primitive):
    """C's fmod, a - b * trunc(a / b) with the sign of a (``remainder`` is the composite whose sign
    follows b). numpy's is exact; d/da = 1, d/db = -trunc(a / b)."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.fmod(a, b)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        quotient = (a / b).trunc()  # a constant (no gradient), as PyTorch takes it
        return (grad if a.requires_grad else None, -(grad * quotient) if b.requires_grad else None)


class Atan2(Primitive):
    """The angle of the point (b, a): atan2(a, b), in (-pi, pi]. A primitive, not atan(a / b)
    plus a quadrant: numpy's keeps the signs of zeros (atan2(-0., -1) = -pi) and infinities
    (atan2(inf, inf) = pi/4), and a / b has no gradient at b = 0."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.arctan2(a, b)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        # d/da = b / (a^2 + b^2);  d/db = -a / (a^2 + b^2). At a = b = 0 both are taken as 0, as in PyTorch.
        radius2 = a * a + b * b
        if (radius2.array == 0).any():
            radius2 = Where()(radius2 == 0, radius2.new_tensor(1.0), radius2)  # then a = b = 0: 0 / 1
        return (grad * b / radius2 if a.requires_grad else None, -(grad * a) / radius2 if b.requires_grad else None)


class Maximum(Primitive):
    """Elementwise max. On ties the gradient is split evenly, as in PyTorch."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        share_a = (a.array > b.array) + 0.5 * (a.array == b.array)  # a constant, not differentiated
        share_a = share_a.astype(grad.dtype)
        return (
            grad * share_a if a.requires_grad else None,
            grad * (1.0 - share_a) if b.requires_grad else None,
        )


class Where(Primitive):
    """``where(condition, a, b)``; the condition is a boolean Tensor and gets no gradient."""

    __slots__ = ()

    def forward(self, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Selecting against a zero (relu, and every Where backward) is where(c, a, 0) = a * c,
        # done on the bits: an integer multiply by 0 or 1 keeps a's bits or clears them to +0.0
        # exactly (a float multiply would turn inf * 0 into nan and give -0.0), in one pass,
        # about 10x faster than np.where.
        if a.dtype.kind == "f" and a.dtype == b.dtype and a.dtype.itemsize in BITS:
            if _is_positive_zero(b):
                return _select_bits(a, condition)
            if _is_positive_zero(a):
                return _select_bits(b, ~condition)
        return np.where(condition, a, b)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        condition, a, b = self.inputs
        zero = grad.new_zeros(())  # a 0-d zero; where() broadcasts it
        return (
            None,
            Where()(condition, grad, zero) if a.requires_grad else None,
            Where()(condition, zero, grad) if b.requires_grad else None,
        )


BITS = {2: np.int16, 4: np.int32, 8: np.int64}  # the integer type as wide as each float type


def _is_positive_zero(x: np.ndarray) -> bool:
    return x.ndim == 0 and x == 0 and not np.signbit(x)


def _select_bits(x: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``where(keep, x, 0)``, exactly, as one integer multiply of x's bits by 0 or 1."""
    bits = BITS[x.dtype.itemsize]
    if x.size + keep.size < parallel.MIN_ELEMENTWISE:
        return np.multiply(x.view(bits), keep, dtype=bits).view(x.dtype)
    return parallel.elementwise(np.multiply, x.view(bits), keep, dtype=bits).view(x.dtype)


class Cast(Primitive):
    """Change dtype (``.double()``, ``.float()``); the gradient is cast back."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = np.dtype(dtype)

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.astype(self.dtype)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (Cast(self.inputs[0].dtype)(grad),)


class Clone(Primitive):
    """A copy in C order (``clone()``, ``contiguous()``); the gradient passes through."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.array(a, order="C")

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad,)


# ----------------------------------------------------------------------------- reductions


class Sum(Primitive):
    """Sum over ``axes`` (a tuple of non-negative axes)."""

    __slots__ = ("axes", "keepdim")

    def __init__(self, axes: tuple[int, ...], keepdim: bool) -> None:
        self.axes, self.keepdim = axes, keepdim

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.sum(a, axis=self.axes, keepdims=self.keepdim)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        shape = self.inputs[0].shape
        # Every summed element gets the same gradient: put back the reduced axes, broadcast.
        return (grad.reshape(kept_shape(shape, self.axes)).expand(shape),)


class SumOfProducts(Primitive):
    """sum(a * b) over ``axes``, keeping them (size 1): one einsum pass, no product stored. Used
    for per-channel sums such as BatchNorm's variance and d(gamma) = sum(dy * x^)."""

    __slots__ = ("axes",)

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return sum_of_products(a, b, self.axes)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        spread = grad.expand(*a.shape)  # every element of a group gets its group's gradient
        if a is b:  # sum(x * x): the gradient is 2 x, one pass
            return ((grad * 2).expand(*a.shape) * a, None)
        return (spread * b if a.requires_grad else None, spread * a if b.requires_grad else None)


def sum_of_products(a: np.ndarray, b: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``(a * b).sum(axes, keepdims=True)`` for arrays of one shape, without the product array."""
    letters = "abcdefghijklmnopqrstuvwxyz"[: a.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    with parallel.blas_threads(1):  # einsum may call BLAS: keep its threads from spinning
        summed = np.einsum(f"{letters},{letters}->{kept}", a, b)
    return summed.reshape(kept_shape(a.shape, axes))


class Max(Primitive):
    """Max over ``axes``. When several elements tie for the maximum, the gradient is split
    evenly between them (PyTorch's ``amax`` and ``max()``); with ``split_ties=False`` it goes
    to the *first* of them only (in C order), the way PyTorch routes ``max(dim)`` and max
    pooling, which pick one index. The forward keeps where that first element is
    (``position``), so the backward does not search again."""

    __slots__ = ("axes", "keepdim", "split_ties", "position")
    saved_arrays = ("position",)  # freed by backward with the inputs

    def __init__(self, axes: tuple[int, ...], keepdim: bool, split_ties: bool = True) -> None:
        self.axes, self.keepdim, self.split_ties = axes, keepdim, split_ties

    def forward(self, a: np.ndarray) -> np.ndarray:
        empty = [i for i in self.axes if a.shape[i] == 0]
        if empty:
            raise IndexError(f"max: reduced dim {empty[0]} of shape {a.shape} has size 0: no maximum")
        out, self.position = max_and_position(a, self.axes)
        return out if self.keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in self.axes])

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a = self.inputs[0]
        kept = kept_shape(a.shape, self.axes)
        if self.split_ties:  # share = 1/(number of maxima) at each maximum, 0 elsewhere (a constant)
            is_max = a.array == out.array.reshape(kept)
            with np.errstate(invalid="ignore"):  # a NaN max matches nothing: 0/0, a NaN gradient as PyTorch's
                share = is_max / is_max.sum(axis=self.axes, keepdims=True)
            return (grad.reshape(kept).expand(a.shape) * share.astype(grad.dtype),)
        chosen = one_hot(self.position, a.shape, self.axes)  # a constant, not differentiated
        return (grad.reshape(kept).expand(a.shape).where(chosen, 0),)


SMALL_GROUP = 64  # pooling windows and other small groups: one vectorised pass per position


def group_positions(x: np.ndarray, axes: tuple[int, ...]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(p, index) for each position p of a group over ``axes`` (in C order), where ``x[index]``
    is the (keepdim-shaped) strided view of every group's element at that position."""
    group_shape = [x.shape[i] for i in axes]
    for p, where in enumerate(np.ndindex(*group_shape)):
        index: list[Any] = [slice(None)] * x.ndim
        for axis, i in zip(axes, where):
            index[axis] = slice(i, i + 1)
        yield p, (*index, Ellipsis)  # the Ellipsis keeps even a 0-d result an array (a view)


def max_and_position(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The max over ``axes`` (keepdim shape) and, per group, the position (in C order) of its
    first maximal element."""
    size = math.prod(x.shape[i] for i in axes)
    if size > SMALL_GROUP:  # large groups: numpy reduces over a leading axis quickly
        groups = reduced_axes_first(x, axes)
        kept = kept_shape(x.shape, axes)
        return groups.max(axis=0).reshape(kept), groups.argmax(axis=0).reshape(kept)
    best = position = None
    for p, index in group_positions(x, axes):
        candidate = x[index]
        if best is None or position is None:
            best, position = candidate.copy(), np.zeros(candidate.shape, dtype=np.uint8)
            continue
        # A later element wins only if strictly greater, so ties stay with the first; p only
        # grows, so "position = p where greater" is max(position, greater * p).
        np.maximum(position, (candidate > best) * np.uint8(p), out=position)
        np.maximum(best, candidate, out=best)
    assert best is not None and position is not None
    if best.dtype.kind == "f" and np.isnan(best).any():  # one pass over the output, not the input
        # A NaN is never greater, so where the max is NaN the position above is wrong: it is
        # the first NaN (as argmax says, and PyTorch routes the gradient there).
        first_nan = position.copy()
        for p, index in reversed(list(group_positions(x, axes))):
            np.copyto(first_nan, np.uint8(p), where=np.isnan(x[index]))
        position = np.where(np.isnan(best), first_nan, position)
    return best, position


def one_hot(position: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """A boolean array of ``shape``: True at ``position`` within each group over ``axes``."""
    size = math.prod(shape[i] for i in axes)
    if size > SMALL_GROUP:
        moved_shape = [shape[a] for a in axes] + [n for i, n in enumerate(shape) if i not in axes]
        flat = np.zeros((size, *moved_shape[len(axes) :]), dtype=bool)
        kept_dims = [n for i, n in enumerate(position.shape) if i not in axes]
        np.put_along_axis(flat, position.reshape(1, *kept_dims), True, axis=0)
        return np.moveaxis(flat.reshape(moved_shape), tuple(range(len(axes))), axes)
    mask = np.empty(shape, dtype=bool)
    for p, index in group_positions(mask, axes):
        np.equal(position, p, out=mask[index])
    return mask


def reduced_axes_first(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``x`` as a contiguous (group size, *kept dims) array: one row per position within a
    reduced group, so that numpy reduces over its leading axis (a few fast passes)."""
    moved = np.moveaxis(x, axes, tuple(range(len(axes))))
    return np.ascontiguousarray(moved).reshape((-1, *moved.shape[len(axes) :]))


# ----------------------------------------------------------------------------- movement


class Reshape(Primitive):
    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a.reshape(self.shape)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad.reshape(self.inputs[0].shape),)


class Permute(Primitive):
    __slots__ = ("axes",)

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.transpose(a, self.axes)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad.permute(tuple(np.argsort(self.axes))),)  # the inverse permutation


class Expand(Primitive):
    """Broadcast to ``shape`` without copying (a read-only numpy view)."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, a: np.ndarray) -> np.ndarray:
        try:
            return np.broadcast_to(a, self.shape)
        except ValueError:
            raise ShapeError(f"expand: a tensor of shape {a.shape} cannot be expanded to {self.shape} "
                             "(each dim must match or be 1, and new dims go in front)") from None  # fmt: skip

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad,)  # the engine's unbroadcast sums it back to the input's shape


class Getitem(Primitive):
    """``a[index]``: basic slices, integers, None, Ellipsis and integer/bool arrays."""

    __slots__ = ("index",)

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a[self.index]

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (ScatterAdd(self.index, self.inputs[0].shape)(grad),)


class ScatterAdd(Primitive):
    """The adjoint of ``Getitem``: zeros of ``shape`` with ``a`` added at ``index``.
    Repeated integer indices accumulate (``np.add.at``), so ``x[[0, 0]]`` sends 2x grad."""

    __slots__ = ("index", "shape")

    def __init__(self, index: Any, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, shape

    def forward(self, a: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=a.dtype)
        if has_array_index(self.index):
            np.add.at(out, self.index, a)
        else:
            out[self.index] = a  # basic indexing never repeats an element
        return out

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (grad[self.index],)


class IndexPut(Primitive):
    """``a`` with ``values`` written at ``index`` (``x[index] = values`` recorded in the graph;
    PyTorch's ``index_put``). ``values`` broadcast to the indexed region."""

    __slots__ = ("index",)

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, a: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[self.index] = values
        return out

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, values = self.inputs
        # The overwritten elements of a get no gradient; the values get the gradient of where they went.
        return (
            IndexPut(self.index)(grad, grad.new_zeros(())) if a.requires_grad else None,
            grad[self.index] if values.requires_grad else None,
        )


class CumSum(Primitive):
    """Running sum along ``axis``: out[i] = a[0] + ... + a[i]."""

    __slots__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.cumsum(a, axis=self.axis).reshape(a.shape)  # (numpy flattens a 0-d input to (1,))

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        # a[j] counts in every out[i] with i >= j: the gradient is the running sum from the end.
        if not grad.shape:  # a 0-d input: out = a
            return (grad,)
        reverse = (slice(None),) * self.axis + (slice(None, None, -1),)
        return (CumSum(self.axis)(grad[reverse])[reverse],)


def has_array_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (np.ndarray, list)) for p in parts)


class Pad(Primitive):
    """Constant padding; ``pad_width`` is numpy's ``((before, after), ...)`` per axis."""

    __slots__ = ("pad_width", "value")

    def __init__(self, pad_width: tuple[tuple[int, int], ...], value: float) -> None:
        self.pad_width, self.value = pad_width, value

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.pad(a, self.pad_width, constant_values=self.value)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        inside = tuple(slice(before, n - after) for (before, after), n in zip(self.pad_width, grad.shape))
        return (grad[inside],)


class Concatenate(Primitive):
    __slots__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        grads, start = [], 0
        for t in self.inputs:
            stop = start + t.shape[self.axis]
            grads.append(grad[(slice(None),) * self.axis + (slice(start, stop),)] if t.requires_grad else None)
            start = stop
        return tuple(grads)


class Unfold(Primitive):
    """Sliding windows of an (N, C, H, W) array, as a strided view (no copy): the output is
    (N, C, out_h, out_w, kernel_h, kernel_w). This is im2col; convolution and pooling are
    composed of it. Its VJP is ``Fold``, which adds each window back where it came from."""

    __slots__ = ("kernel", "stride", "dilation")

    def __init__(self, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]) -> None:
        self.kernel, self.stride, self.dilation = kernel, stride, dilation

    def forward(self, a: np.ndarray) -> np.ndarray:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        n, c, h, w = a.shape
        out_h, out_w = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
        s = a.strides
        return np.lib.stride_tricks.as_strided(
            a,
            shape=(n, c, out_h, out_w, kh, kw),
            strides=(s[0], s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw),
            writeable=False,
        )

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (Fold(self.inputs[0].shape, self.kernel, self.stride, self.dilation)(grad),)


class Fold(Primitive):
    """The adjoint of ``Unfold``: sums (N, C, out_h, out_w, kh, kw) windows into (N, C, H, W).
    It loops over the kh*kw kernel offsets; each step is one vectorised strided add."""

    __slots__ = ("shape", "kernel", "stride", "dilation")

    def __init__(
        self, shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
    ) -> None:
        self.shape, self.kernel, self.stride, self.dilation = shape, kernel, stride, dilation

    def forward(self, windows: np.ndarray) -> np.ndarray:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        out_h, out_w = windows.shape[2:4]
        image = np.zeros(self.shape, dtype=windows.dtype)
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw)
                image[:, :, rows, cols] += windows[:, :, :, :, i, j]
        return image

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (Unfold(self.kernel, self.stride, self.dilation)(grad),)


class Im2Col(Primitive):
    """im2col for stride-1 convolution, on images flattened row by row: (N, C, P) -> (C, K, N, L),
    so that (C * K, N * L) is the right-hand side of one matrix product for the whole batch.

    On a padded image of width Wp, flattened, the pixel under kernel offset (i, j) of output
    pixel (y, x) sits at (y + i) * Wp + (x + j) = q + offset, with q = y * Wp + x. So for each of
    the K kernel offsets the whole column block is one contiguous slice ``a[..., offset:
    offset + L]``, L = out_h * Wp: the outputs are computed on the padded width, and the
    Wp - out_w extra columns of each row are dropped afterwards. Each copy runs over long
    contiguous rows, where the strided ``Unfold`` view copies runs of out_w."""

    __slots__ = ("offsets", "length")

    def __init__(self, offsets: tuple[int, ...], length: int) -> None:
        self.offsets, self.length = offsets, length

    def forward(self, a: np.ndarray) -> np.ndarray:
        n, c, _ = a.shape
        columns = np.empty((c, len(self.offsets), n, self.length), dtype=a.dtype)

        for k, offset in enumerate(self.offsets):  # a loop over kernel offsets, each one vectorised
            columns[:, k] = a[:, :, offset : offset + self.length].transpose(1, 0, 2)
        return columns

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (Col2Im(self.inputs[0].shape[-1], self.offsets, self.length)(grad),)


class Col2Im(Primitive):
    """The adjoint of ``Im2Col``: adds each offset's block of (C, K, N, L) back at its shifted
    place in zeros of (N, C, P): each kernel offset is one slice add over contiguous rows."""

    __slots__ = ("size", "offsets", "length")

    def __init__(self, size: int, offsets: tuple[int, ...], length: int) -> None:
        self.size, self.offsets, self.length = size, offsets, length

    def forward(self, columns: np.ndarray) -> np.ndarray:
        c, _, n, _ = columns.shape
        image = np.zeros((n, c, self.size), dtype=columns.dtype)

        def images(batch: slice) -> None:
            for k, offset in enumerate(self.offsets):
                image[batch, :, offset : offset + self.length] += columns[:, k, batch].transpose(1, 0, 2)

        parallel.map_chunks(images, n, min_length=parallel.min_length(columns, n))  # the batch split across threads
        return image

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        return (Im2Col(self.offsets, self.length)(grad),)


# ----------------------------------------------------------------------------- matmul


def blas_ready(x: np.ndarray) -> np.ndarray:
    """``x`` itself if BLAS can read its matrices (rows or columns contiguous), else a copy.
    numpy's matmul silently falls back to a loop tens of times slower for any other strides,
    which views from permute/expand/unfold easily produce."""
    row, col = x.strides[-2:]
    if (col == x.itemsize and row >= x.shape[-1] * x.itemsize) or (
        row == x.itemsize and col >= x.shape[-2] * x.itemsize
    ):
        return x
    return np.ascontiguousarray(x)


class MatMul(Primitive):
    """Batched matrix product of arrays with ndim >= 2 (1-D operands are reshaped by
    ``Tensor.matmul`` before they get here, so numpy's 1-D rules are composed, not special)."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return parallel.matmul(blas_ready(a), blas_ready(b))

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        a, b = self.inputs
        # C = A B  =>  dA = dC B^T,  dB = A^T dC  (batch dims are unbroadcast by the engine)
        return (
            grad @ b.mT if a.requires_grad else None,
            a.mT @ grad if b.requires_grad else None,
        )


def _square_matrices(name: str, a: np.ndarray) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{name}: expected square matrices (..., n, n), got shape {a.shape}")


class LinAlgError(RuntimeError):
    """A matrix without the answer asked for (a singular one has no inverse): ``torch.linalg.LinAlgError``."""


def _with_nan_matrices(function: Callable[[np.ndarray], Any], a: np.ndarray) -> tuple[Any, np.ndarray]:
    """``function`` of the matrices in a, with those holding a NaN replaced by the identity (numpy
    would call them singular, or give det 0), and a mask of them: their results are NaN."""
    has_nan = np.isnan(a).any(axis=(-2, -1))
    if has_nan.any():
        a = np.where(has_nan[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a)
    return function(a), has_nan


class Inverse(Primitive):
    """The inverse of square matrices (batched over leading dims); NaN for a matrix holding a NaN."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        _square_matrices("inverse", a)
        try:
            inverse, has_nan = _with_nan_matrices(np.linalg.inv, a)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"inverse: a matrix of shape {a.shape[-2:]} is singular, it has no inverse") from None
        return np.where(has_nan[..., None, None], np.nan, inverse)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        # d(A^-1) = -A^-1 dA A^-1, so dL/dA = -A^-T G A^-T (written with out = A^-1: any order)
        return (-(out.mT @ grad @ out.mT),)


class LogAbsDet(Primitive):
    """log |det a| of square matrices, from an LU factorisation (numpy's slogdet): no overflow
    where det itself would be out of range. ``det`` and ``logdet`` are composites of it."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        _square_matrices("slogdet", a)
        (_, logabsdet), has_nan = _with_nan_matrices(np.linalg.slogdet, a)
        return np.where(has_nan, np.nan, logabsdet)

    def backward(self, grad: TensorLike, out: TensorLike) -> Gradients:
        (a,) = self.inputs
        # d log|det A| = trace(A^-1 dA), so dL/dA = G A^-T (Jacobi's formula)
        return (grad.reshape(*grad.shape, 1, 1) * Inverse()(a).mT,)
