"""Tensor's shape methods: reshape, permute, expand, indexing and their sugar.

Each function is one movement primitive (``Reshape``, ``Permute``, ``Expand``, ``Getitem``)
or sugar around one (``unsqueeze`` is a reshape), so every gradient is derived: the VJP of a
reshape is a reshape back, of a permutation the inverse permutation, of an expand a sum.
``Tensor`` binds them as its methods of the same names.

>>> import minigrad
>>> minigrad.zeros(2, 3).unsqueeze(0).permute(2, 0, 1).shape
(3, 1, 2)

The module defines PyTorch's ``max`` and ``min`` (as Tensor methods), so Python's are
``builtins.max`` and ``builtins.min`` here.
"""

from __future__ import annotations

import builtins
import functools
from collections import namedtuple
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import ops
from minigrad.dtypes import array_of, bool_, promote_types
from minigrad.shapes import ShapeError, normalize_dim, resolve_shape, shape_from_args

if TYPE_CHECKING:  # annotations only: these functions reach Tensors through their methods
    from minigrad.tensor import Tensor


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape; one dimension may be -1. ``x.reshape(2, 3)`` or ``((2, 3))``."""
    new_shape = resolve_shape(shape_from_args(shape), x.array.size)
    if new_shape is None:
        asked = list(shape_from_args(shape))
        raise ShapeError(f"reshape: shape {asked} is invalid for a tensor of shape {x.shape}")
    if new_shape == x.shape:
        return x
    return ops.Reshape(tuple(new_shape))(x)


def permute(x: Tensor, *dims: Any) -> Tensor:
    """The dims in a new order: ``permute(2, 0, 1)`` makes dim 2 the first."""
    dims = tuple(normalize_dim(d, x.ndim) for d in shape_from_args(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ShapeError(f"permute: {dims} is not a permutation of the {x.ndim} dims of shape {x.shape}")
    return ops.Permute(dims)(x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    axes = list(range(x.ndim))
    dim0, dim1 = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return ops.Permute(tuple(axes))(x)


def reversed_dims(x: Tensor) -> Tensor:
    """All dimensions reversed (``x.T``: the transpose, for a matrix)."""
    return permute(x, tuple(reversed(range(x.ndim)))) if x.ndim > 1 else x


def matrix_transpose(x: Tensor) -> Tensor:
    """The last two dimensions swapped (``x.mT``): a batch of transposed matrices."""
    return transpose(x, -2, -1)


def expand(x: Tensor, *size: Any, implicit: bool = False) -> Tensor:
    """Broadcast to ``size`` without copying; -1 keeps a dimension."""
    sizes = shape_from_args(size)
    extra = len(sizes) - x.ndim
    if extra < 0:
        raise ShapeError(f"expand: can't expand shape {x.shape} to fewer dims {tuple(sizes)}")
    if any(n == -1 for n in sizes[:extra]):
        raise ShapeError(f"expand: -1 is not allowed for the new leading dims in {tuple(sizes)}")
    shape = tuple(x.shape[i - extra] if n == -1 else n for i, n in enumerate(sizes))
    if shape == x.shape:
        return x
    return ops.Expand(shape)(x)


def broadcast_to(x: Tensor, size: Sequence[int]) -> Tensor:
    return expand(x, *size)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """A new size-1 dim at ``dim``."""
    dim = normalize_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Without size-1 dims (all of them, or those of ``dim``, an int or a tuple, that have size 1)."""
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = {normalize_dim(d, x.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
    if x.ndim == 0:
        return x
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dims ``start_dim`` to ``end_dim`` merged into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1 :])


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]``: ints, slices, None, Ellipsis, and integer or boolean arrays (or tensors)."""
    return ops.Getitem(numpy_index(index))(x)


def numpy_index(index: Any) -> Any:
    """Tensors and lists inside an index become numpy arrays (integer or boolean)."""
    if isinstance(index, tuple):
        return tuple(numpy_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return array_of(index)


# ----------------------------------------------------------------------------- more shapes, with PyTorch's names

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])  # what max(dim), sort, topk, ... return


def view(x: Tensor, *size: Any) -> Tensor:
    """``reshape``, for a tensor whose memory allows it (numpy copies when it must; PyTorch refuses)."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer, tuple, list)):
        raise TypeError(f"view(dtype) reinterprets memory, which minigrad does not do; got {size[0]!r}")
    return reshape(x, *size)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other.shape)


def reshape_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other.shape)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def t(x: Tensor) -> Tensor:
    """The transpose of a matrix (a 0-D or 1-D tensor is returned as it is)."""
    if x.ndim > 2:
        raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D (shape {x.shape})")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    return transpose(x, axis0, axis1)


def swapdims(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return transpose(x, dim0, dim1)


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (ints or tuples); the others keep their order."""
    sources = [normalize_dim(d, x.ndim) for d in (source if isinstance(source, (tuple, list)) else (source,))]
    targets = [
        normalize_dim(d, x.ndim) for d in (destination if isinstance(destination, (tuple, list)) else (destination,))
    ]
    if len(sources) != len(targets):
        raise ValueError(f"movedim: source {source} and destination {destination} differ in length")
    order = [d for d in range(x.ndim) if d not in sources]
    for target, src in sorted(zip(targets, sources)):
        order.insert(target, src)
    return permute(x, tuple(order))


def ravel(x: Tensor) -> Tensor:
    """The elements as a 1-D tensor (``flatten()``)."""
    return flatten(x)


def unflatten(x: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    dim = normalize_dim(dim, x.ndim)
    return reshape(x, x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :])


def flip(x: Tensor, *dims: Any) -> Tensor:
    """The elements of ``dims`` in reverse order: ``flip(0)``, ``flip((0, 1))``."""
    flipped = {normalize_dim(d, x.ndim) for d in shape_from_args(dims)}
    return getitem(x, tuple(slice(None, None, -1) if d in flipped else slice(None) for d in range(x.ndim)))


def fliplr(x: Tensor) -> Tensor:
    return flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    return flip(x, 0)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` (cyclically); without dims, over the flattened tensor."""
    if dims is None:
        return reshape(roll(flatten(x), shifts, 0), x.shape)
    shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    out = x
    for shift, dim in zip(shifts, dims):
        dim = normalize_dim(dim, x.ndim)
        order = np.roll(np.arange(x.shape[dim]), shift)
        out = getitem(out, (slice(None),) * dim + (order,))
    return out


def repeat(x: Tensor, *repeats: Any) -> Tensor:
    """Tile x: ``repeat(2, 3)`` stacks 2 copies along dim 0 and 3 along dim 1 (new leading dims
    allowed). Written as reshape, expand, reshape, so that the gradient is a sum over the copies."""
    counts = shape_from_args(repeats)
    if len(counts) < x.ndim:
        raise ShapeError(f"repeat: {len(counts)} repeats can't be fewer than the {x.ndim} dims of shape {x.shape}")
    shape = (1,) * (len(counts) - x.ndim) + x.shape
    interleaved = tuple(n for size in shape for n in (1, size))  # (1, a, 1, b, ...)
    expanded = tuple(n for count, size in zip(counts, shape) for n in (count, size))  # (r1, a, r2, b, ...)
    return reshape(expand(reshape(x, interleaved), expanded), tuple(c * s for c, s in zip(counts, shape)))


def tile(x: Tensor, *dims: Any) -> Tensor:
    """Like ``repeat``, but fewer repeats than dims repeat the last dims only."""
    counts = shape_from_args(dims)
    return repeat(x, (1,) * (x.ndim - len(counts)) + counts)


def split(x: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the given sizes."""
    dim = normalize_dim(dim, x.ndim)
    length = x.shape[dim]
    if isinstance(split_size, (int, np.integer)):
        if split_size <= 0 and length:
            raise ValueError(f"split: split_size must be positive, got {split_size}")
        sizes = [
            builtins.min(split_size, length - start) for start in range(0, length, builtins.max(split_size, 1))
        ] or [0]
    else:
        sizes = list(split_size)
        if sum(sizes) != length:
            raise ShapeError(f"split: sizes {sizes} do not add up to {length}, the size of dim {dim} of {x.shape}")
    starts = np.cumsum([0, *sizes])
    return tuple(narrow(x, dim, int(start), int(size)) for start, size in zip(starts, sizes))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk expects chunks to be greater than 0, got {chunks}")
    length = x.shape[normalize_dim(dim, x.ndim)]
    return split(x, builtins.max(-(-length // chunks), 1), dim)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, without that dim."""
    return tuple(select(x, dim, i) for i in range(x.shape[normalize_dim(dim, x.ndim)]))


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of dim ``dim`` from ``start`` (a view)."""
    dim = normalize_dim(dim, x.ndim)
    start = start + x.shape[dim] if start < 0 else start
    if not 0 <= start <= start + length <= x.shape[dim]:
        raise IndexError(f"narrow: start {start} + length {length} exceeds dim {dim} of size {x.shape[dim]}")
    return getitem(x, (slice(None),) * dim + (slice(start, start + length),))


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, without that dim (``x.select(0, i)`` is ``x[i]``)."""
    dim = normalize_dim(dim, x.ndim)
    return getitem(x, (slice(None),) * dim + (index,))


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The slices at the (1-D) ``index`` along ``dim``."""
    dim = normalize_dim(dim, x.ndim)
    return getitem(x, (slice(None),) * dim + (np.asarray(array_of(index)).reshape(-1),))


def _along(x: Tensor, dim: int, index: Any, name: str) -> tuple[np.ndarray, ...]:
    """The numpy index picking ``x[..., index[i, j, ...], ...]`` at dim ``dim`` for every position of
    ``index`` (gather's and scatter's addressing)."""
    index = np.asarray(array_of(index))
    dim = normalize_dim(dim, x.ndim)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {index.dtype}")
    if index.ndim != x.ndim and index.size:
        raise ShapeError(f"{name}: index of shape {index.shape} needs as many dims as self, of shape {x.shape}")
    positions = list(np.indices(index.shape, sparse=True)) if index.ndim else []
    if index.ndim:
        positions[dim] = index
    return tuple(positions)


def gather(x: Tensor, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = x[index[i][j]][j] for dim 0 (and so on): values picked along ``dim``."""
    if sparse_grad:
        raise NotImplementedError("gather(sparse_grad=True): sparse gradients are not supported")
    return getitem(x, _along(x, dim, index, "gather"))


def take_along_dim(x: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    if dim is None:
        return gather(flatten(x), 0, np.asarray(array_of(indices)).reshape(-1))
    return gather(x, dim, indices)


def take(x: Tensor, index: Any) -> Tensor:
    """The elements at ``index`` (an integer tensor; negative counts from the end) of x read as
    1-D; the result has the index's shape."""
    index = np.asarray(array_of(index))
    if index.dtype.kind not in "iu":
        raise TypeError(f"take: index must be an integer tensor, got dtype {index.dtype}")
    size = x.array.size
    if index.size and not -size <= index.min() <= index.max() < size:
        bad = index.max() if index.max() >= size else index.min()
        raise IndexError(f"take: index {bad} is out of range for a tensor of {size} elements")
    return getitem(reshape(x, -1), index)


def tensor_split(x: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along ``dim``: ``n`` sections of sizes differing by at most one (the first
    ``length % n`` one longer), or the pieces between the given indices, which are read as
    Python slice bounds (``[1, 4]``: ``x[:1]``, ``x[1:4]``, ``x[4:]``)."""
    if x.ndim == 0:
        raise ShapeError("tensor_split expects a tensor of at least one dim, got a 0-d tensor")
    dim = normalize_dim(dim, x.ndim)
    spec = indices_or_sections
    if isinstance(spec, np.ndarray) or hasattr(spec, "_op"):
        spec = np.asarray(array_of(spec))
        if spec.dtype.kind not in "iu" or spec.ndim > 1:
            raise TypeError(f"tensor_split: indices_or_sections must be an integer tensor of 0 or 1 dims, "
                            f"got dtype {spec.dtype} and shape {spec.shape}")  # fmt: skip
        spec = int(spec) if spec.ndim == 0 else spec.tolist()
    if isinstance(spec, (int, np.integer)):
        if spec <= 0:
            raise ValueError(f"tensor_split: the number of sections must be larger than 0, got {spec}")
        size, longer = divmod(x.shape[dim], int(spec))
        bounds = [i * size + builtins.min(i, longer) for i in range(1, int(spec))]
    else:
        bounds = [int(i) for i in spec]
    starts, stops = [0, *bounds], [*bounds, None]
    return tuple(getitem(x, (slice(None),) * dim + (slice(a, b),)) for a, b in zip(starts, stops))


def repeat_interleave(x: Tensor, repeats: Any, dim: int | None = None, *, output_size: int | None = None) -> Tensor:
    """Each element (or each slice along ``dim``) repeated ``repeats`` times in place:
    [a, b].repeat_interleave(2) is [a, a, b, b]. ``repeats`` is one count, or one per slice.
    Without ``dim``, x is read as 1-D. An index that picks each slice again, so the gradient
    of a slice is the sum over its copies."""
    if dim is None:
        x, dim = flatten(x), 0
    dim = normalize_dim(dim, x.ndim)
    counts = np.asarray(array_of(repeats))
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(f"repeat_interleave: repeats must be an int or an integer tensor of 0 or 1 dims, "
                        f"got dtype {counts.dtype} and shape {counts.shape}")  # fmt: skip
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
    length = x.shape[dim]
    if counts.ndim == 1 and counts.size not in (1, length):
        raise ShapeError(f"repeat_interleave: {counts.size} repeats for dim {dim} of size {length} (shape {x.shape})")
    index = np.repeat(np.arange(length), counts)
    if output_size is not None and output_size != index.size:
        raise ValueError(f"repeat_interleave: output_size={output_size}, but the repeats add up to {index.size}")
    return getitem(x, (slice(None),) * dim + (index,))


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements along ``dimension``, ``step`` apart: that dim becomes the
    window count, and a last dim of ``size`` is added. (A copy made by one index, not a view as
    in PyTorch; the gradient adds each window back where it came from.)"""
    dim = normalize_dim(dimension, x.ndim)
    length = x.shape[dim] if x.ndim else 1
    if step <= 0:
        raise ValueError(f"unfold: step is {step} but must be > 0")
    if not 0 <= size <= length:
        raise ShapeError(f"unfold: size {size} does not fit in dim {dim} of size {length} (shape {x.shape})")
    if x.ndim == 0:
        return reshape(x, 1)  # PyTorch's rule: a 0-d tensor unfolds to its one element
    count = (length - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)  # (count, size) positions
    return movedim(getitem(movedim(x, dim, -1), (Ellipsis, windows)), -2, dim)


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along ``dim``: out[i] = x[i + 1] - x[i], n times (for
    booleans, x[i + 1] != x[i]), after ``prepend`` and ``append`` are joined to x's ends."""
    if x.ndim == 0:
        raise ShapeError("diff expects a tensor of at least one dim, got a 0-d tensor")
    if n < 0:
        raise ValueError(f"diff: the order n must be non-negative, got {n}")
    axis = normalize_dim(dim, x.ndim)
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        if any(p.ndim != x.ndim for p in parts):
            raise ShapeError(f"diff: prepend and append need the {x.ndim} dims of the input (shape {x.shape}), "
                             f"got shapes {[p.shape for p in parts]}")  # fmt: skip
        dtype = functools.reduce(promote_types, [p.dtype for p in parts])
        x = ops.Concatenate(axis)(*[p.to(dtype) for p in parts])
    later, earlier = (slice(None),) * axis + (slice(1, None),), (slice(None),) * axis + (slice(None, -1),)
    for _ in range(n):
        x = getitem(x, later) != getitem(x, earlier) if x.dtype == bool_ else getitem(x, later) - getitem(x, earlier)
    return x


def _source(x: Tensor, src: Any, index: np.ndarray) -> Tensor:
    """The part of ``src`` that scatter reads: its leading block of ``index``'s shape (or a number)."""
    if not hasattr(src, "_op"):
        return x.new_tensor(np.full(index.shape, src))
    return getitem(src, tuple(slice(0, n) for n in index.shape))


def scatter(
    x: Tensor, dim: int, index: Any, src: Any = None, value: Any = None, *, reduce: str | None = None
) -> Tensor:
    """x with ``src`` (or ``value``) written where ``index`` points along ``dim`` (gather's inverse)."""
    if reduce is not None:
        raise NotImplementedError(f"scatter(reduce={reduce!r}): use scatter_add for sums")
    where = _along(x, dim, index, "scatter")
    values = _source(x, value if src is None else src, np.asarray(array_of(index)))
    return ops.IndexPut(where)(x, values.to(x.dtype))


def scatter_add(x: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """x with ``src`` added where ``index`` points along ``dim``; repeated positions add up."""
    where = _along(x, dim, index, "scatter_add")
    values = _source(x, src, np.asarray(array_of(index)))
    return x + ops.ScatterAdd(where, x.shape)(values.to(x.dtype))


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """x with ``value`` where ``mask`` (boolean, broadcast to x's shape) is True."""
    mask = np.asarray(array_of(mask))
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: the mask must be a boolean tensor, got dtype {mask.dtype}")
    if hasattr(value, "_op") and value.ndim != 0:
        raise ShapeError(f"masked_fill only supports a 0-dimensional value tensor, got shape {value.shape}")
    return x.where(x.new_tensor(~mask, dtype=np.bool_), value)


def masked_select(x: Tensor, mask: Any) -> Tensor:
    """The elements where ``mask`` is True, as a 1-D tensor."""
    mask = np.broadcast_to(np.asarray(array_of(mask)), x.shape)
    return getitem(x, mask)


def _triangle(x: Tensor, diagonal: int, lower: bool) -> Tensor:
    rows, cols = x.shape[-2:]
    keep = np.tri(rows, cols, diagonal, dtype=bool) if lower else ~np.tri(rows, cols, diagonal - 1, dtype=bool)
    return x.where(x.new_tensor(keep, dtype=np.bool_), 0)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (the rest zero)."""
    return _triangle(x, diagonal, lower=True)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (the rest zero)."""
    return _triangle(x, diagonal, lower=False)


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims ``dim1`` and ``dim2``, as a new last dim (numpy's and PyTorch's rule)."""
    dim1, dim2 = normalize_dim(dim1, x.ndim), normalize_dim(dim2, x.ndim)
    moved = permute(x, tuple(d for d in range(x.ndim) if d not in (dim1, dim2)) + (dim1, dim2))
    rows, cols = moved.shape[-2:]
    count = builtins.max(0, builtins.min(rows, cols - offset) if offset >= 0 else builtins.min(rows + offset, cols))
    steps = np.arange(count)
    return getitem(moved, (Ellipsis, steps - builtins.min(offset, 0), steps + builtins.max(offset, 0)))


_diagonal = diagonal  # diag's argument takes the name below


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D x becomes a square matrix with x on a diagonal; a 2-D x gives that diagonal."""
    if x.ndim == 2:
        return _diagonal(x, diagonal)
    if x.ndim != 1:
        raise ShapeError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")
    size = len(x) + abs(diagonal)
    steps = np.arange(len(x))
    return ops.ScatterAdd((steps - builtins.min(diagonal, 0), steps + builtins.max(diagonal, 0)), (size, size))(x)


def trace(x: Tensor) -> Tensor:
    """The sum of the diagonal of a matrix."""
    if x.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, got shape {x.shape}")
    return diagonal(x).sum()


# ----------------------------------------------------------------------------- selecting: max, min, sorting


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``x.max()`` is the largest element (ties share the gradient, as ``amax``); ``x.max(dim)``
    is (values, indices), the gradient going to that one index; ``x.max(other)`` is ``maximum``."""
    if dim is None:
        return x.amax()
    if hasattr(dim, "_op"):
        return x.maximum(dim)
    axes = (normalize_dim(dim, x.ndim),) if x.ndim else ()
    return ValuesIndices(ops.Max(axes, keepdim, split_ties=False)(x), argmax(x, dim, keepdim))


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """As ``max``, for the smallest: ``x.min()``, ``x.min(dim)``, ``x.min(other)``."""
    if dim is None:
        return x.amin()
    if hasattr(dim, "_op"):
        return x.minimum(dim)
    values, _ = max(-x, dim, keepdim)
    return ValuesIndices(-values, argmin(x, dim, keepdim))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The index of the (first) largest element, over all elements or along ``dim``."""
    if dim is None:
        return x.new_tensor(x.array.argmax(), dtype=np.int64)
    return x.new_tensor(x.array.argmax(axis=normalize_dim(dim, x.ndim), keepdims=keepdim), dtype=np.int64)


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """The index of the (first) smallest element, over all elements or along ``dim``."""
    if dim is None:
        return x.new_tensor(x.array.argmin(), dtype=np.int64)
    return x.new_tensor(x.array.argmin(axis=normalize_dim(dim, x.ndim), keepdims=keepdim), dtype=np.int64)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """(values, indices) sorted along ``dim``; the values are gathered, so they have a gradient."""
    indices = _order(x, dim, descending)
    return ValuesIndices(gather(x, dim, indices), x.new_tensor(indices, dtype=np.int64))


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return x.new_tensor(_order(x, dim, descending), dtype=np.int64)


def msort(x: Tensor) -> Tensor:
    return sort(x, 0).values


def _order(x: Tensor, dim: int, descending: bool) -> np.ndarray:
    axis = normalize_dim(dim, x.ndim)
    if x.ndim == 0:
        return np.zeros((), dtype=np.int64)
    keys = x.array if not descending else -x.array.astype(np.float64) if x.dtype.kind != "b" else ~x.array
    return np.argsort(keys, axis=axis, kind="stable")


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices."""
    axis = normalize_dim(dim, x.ndim)
    if not 0 <= k <= (x.shape[axis] if x.ndim else 1):
        raise IndexError(f"topk: k ({k}) is out of range for dim {dim} of shape {x.shape}")
    order = _order(x, dim, descending=largest)
    indices = np.take(order, np.arange(k), axis=axis) if x.ndim else order
    return ValuesIndices(gather(x, dim, indices), x.new_tensor(indices, dtype=np.int64))


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """The k-th smallest element along ``dim`` (k counts from 1) and its index."""
    axis = normalize_dim(dim, x.ndim)
    indices = np.take(_order(x, dim, descending=False), [k - 1], axis=axis)
    values, picked = gather(x, dim, indices), x.new_tensor(indices, dtype=np.int64)
    if keepdim:
        return ValuesIndices(values, picked)
    return ValuesIndices(squeeze(values, axis), squeeze(picked, axis))


def median(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median (PyTorch's: no averaging of the middle two); with ``dim``, (values, indices)."""
    if dim is None:
        return kthvalue(flatten(x), (x.numel() + 1) // 2, 0).values
    return kthvalue(x, (x.shape[normalize_dim(dim, x.ndim)] + 1) // 2, dim, keepdim)


# ----------------------------------------------------------------------------- index_* and friends


def _slices_at(
    x: Tensor, dim: int, index: Any, source: Any, name: str, from_the_end: builtins.bool = False
) -> tuple[int, np.ndarray]:
    """``dim`` (normalised) and the 1-D integer ``index`` of index_add/index_copy/index_fill,
    checked against x and (when given) the source whose slices go there; negative indices count
    from the end only ``from_the_end`` (PyTorch's index_fill)."""
    dim = normalize_dim(dim, builtins.max(x.ndim, 1))
    index = np.asarray(array_of(index))
    if index.dtype.kind not in "iu" or index.ndim > 1:
        raise TypeError(
            f"{name}: index must be a 0-D or 1-D integer tensor, got dtype {index.dtype}, shape {index.shape}"
        )
    index = index.reshape(-1)
    lowest = -x.shape[dim] if from_the_end else 0
    if index.size and (index.max() >= x.shape[dim] or index.min() < lowest):
        raise IndexError(f"{name}: index {index.tolist()} is out of range for dim {dim} of size {x.shape[dim]}")
    if source is not None:
        expected = (*x.shape[:dim], len(index), *x.shape[dim + 1 :])
        if source.shape != expected:
            raise ShapeError(f"{name}: source of shape {source.shape} does not fit: expected {expected} for self "
                             f"of shape {x.shape}, dim {dim} and {len(index)} indices")  # fmt: skip
    return dim, index % x.shape[dim]


def _spread(index: np.ndarray, dim: int, shape: tuple[int, ...]) -> np.ndarray:
    """The 1-D ``index`` repeated across every other dim of ``shape``: scatter's addressing."""
    return np.broadcast_to(index.reshape([-1 if d == dim else 1 for d in range(len(shape))]), shape)


def index_add(x: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """x with alpha * source[..., i, ...] added into x[..., index[i], ...] along ``dim``;
    repeated indices add up."""
    dim, index = _slices_at(x, dim, index, source, "index_add")
    return scatter_add(x, dim, _spread(index, dim, source.shape), source if alpha == 1 else source * alpha)


def index_copy(x: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:
    """x with source[..., i, ...] written into x[..., index[i], ...] along ``dim``."""
    dim, index = _slices_at(x, dim, index, source, "index_copy")
    return scatter(x, dim, _spread(index, dim, source.shape), source)


def index_fill(x: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """x with ``value`` in the slices x[..., index[i], ...] along ``dim``."""
    dim, index = _slices_at(x, dim, index, None, "index_fill", from_the_end=True)
    chosen = np.zeros(x.shape, dtype=bool)
    chosen[(slice(None),) * dim + (index,)] = True
    value = value.to(x.dtype) if hasattr(value, "_op") else x.new_tensor(value)  # x keeps its dtype
    return masked_fill(x, chosen, value)


def rot90(x: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by k quarter turns in the plane of ``dims``, from the first towards the second."""
    if len(dims) != 2:
        raise ValueError(f"rot90: expected 2 dims, got {len(dims)}")
    if x.ndim < 2:
        raise ShapeError(f"rot90: expected at least 2 dims, got shape {x.shape}")
    first, second = normalize_dim(dims[0], x.ndim), normalize_dim(dims[1], x.ndim)
    if first == second:
        raise ValueError(f"rot90: the two dims must differ, got {tuple(dims)}")
    k %= 4
    if k == 1:
        turned = transpose(flip(x, second), first, second)
    elif k == 2:
        turned = flip(x, first, second)
    elif k == 3:
        turned = transpose(flip(x, first), first, second)
    else:
        turned = x
    return turned.clone()  # a new tensor, as PyTorch's (flip and transpose here are views)


def _split_along(x: Tensor, indices: tuple[Any, ...], dim: int, name: str) -> tuple[Tensor, ...]:
    """``tensor_split`` along ``dim``, given a number of equal sections (which must divide the
    dim) or split indices, as one list or one by one (``x.hsplit(1, 3)``)."""
    sections = indices[0] if len(indices) == 1 else list(indices)
    if isinstance(sections, (int, np.integer)) and (sections <= 0 or x.shape[dim] % sections):
        raise RuntimeError(f"{name}: dim {dim} of size {x.shape[dim]} can't be split into {sections} equal sections")
    return tensor_split(x, sections, dim)


def hsplit(x: Tensor, *indices: Any) -> tuple[Tensor, ...]:
    """Split columns: along dim 1 (dim 0 of a 1-D tensor), into equal sections or at indices."""
    if x.ndim == 0:
        raise ShapeError("hsplit: expected a tensor of at least 1 dim, got a 0-d tensor")
    return _split_along(x, indices, 1 if x.ndim > 1 else 0, "hsplit")


def vsplit(x: Tensor, *indices: Any) -> tuple[Tensor, ...]:
    """Split rows: along dim 0, of a tensor of at least 2 dims."""
    if x.ndim < 2:
        raise ShapeError(f"vsplit: expected a tensor of at least 2 dims, got shape {x.shape}")
    return _split_along(x, indices, 0, "vsplit")


def dsplit(x: Tensor, *indices: Any) -> tuple[Tensor, ...]:
    """Split along dim 2 (depth), of a tensor of at least 3 dims."""
    if x.ndim < 3:
        raise ShapeError(f"dsplit: expected a tensor of at least 3 dims, got shape {x.shape}")
    return _split_along(x, indices, 2, "dsplit")


def diagflat(x: Tensor, offset: int = 0) -> Tensor:
    """The flattened x on a diagonal of a square matrix."""
    return diag(flatten(x), offset)
