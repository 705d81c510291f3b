"""Every primitive and composite: gradcheck + gradgradcheck in float64, and values and
gradients equal to PyTorch's, on random shapes from hypothesis (broadcasting, keepdim,
negative dims, size-1 dims, 0-d tensors).

Each property test runs twice, ``[gradcheck]`` and ``[torch]``, so the numerical checks
still run (and the PyTorch comparison is skipped with a reason) when torch is missing.
Inputs are kept away from points where an op is not differentiable: log of positive
values, |x|, relu and clamp away from their kinks, distinct values for max.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad
from minigrad import ops
from tests.helpers import check_gradients, compare_with_torch

try:
    import torch
except ImportError:  # the [torch] tests skip themselves, in compare_with_torch
    torch = None

checks = pytest.mark.parametrize("check", ["gradcheck", "torch"])


def verify(check: str, fn: Callable[..., Any], torch_fn: Callable[..., Any], *arrays: np.ndarray) -> None:
    """One of the two checks from tests/helpers.py, chosen by the ``check`` parameter."""
    if check == "gradcheck":
        check_gradients(fn, *arrays)
    else:
        compare_with_torch(fn, torch_fn, *arrays)


# ----------------------------------------------------------------------------- inputs

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def normal(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).standard_normal(shape))


def wide(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.asarray(4 * normal(shape, seed))


def positive(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).uniform(0.5, 2.0, shape))


def nonzero(shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.asarray(rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape))


def distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """All values different by at least 0.4, so max/min have one clear winner."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    return np.asarray((rng.permutation(n).reshape(shape) - n / 2) * 0.5 + rng.uniform(0, 0.1, shape))


def away_from(*kinks: float) -> Callable[[tuple[int, ...], int], np.ndarray]:
    """Values in [-2, 2] at least 0.05 from every kink (kinks must be >= 0.3 apart)."""

    def values(shape: tuple[int, ...], seed: int) -> np.ndarray:
        x = np.asarray(np.random.default_rng(seed).uniform(-2, 2, shape))
        for kink in kinks:
            x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
        return x

    return values


@st.composite
def shape_and_dims(draw: Any, allow_none: bool = True) -> tuple[tuple[int, ...], Any]:
    """A shape and reduction dims for it: None, one int or a tuple, negative dims included."""
    shape = draw(shapes)
    ndim = len(shape)
    if allow_none and draw(st.booleans()):
        return shape, None
    if ndim == 0:
        return shape, draw(st.sampled_from([0, -1]))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    axes = [a - ndim if draw(st.booleans()) else a for a in axes]
    return shape, axes[0] if len(axes) == 1 and draw(st.booleans()) else tuple(axes)


@st.composite
def shape_and_dim(draw: Any, min_dims: int = 0) -> tuple[tuple[int, ...], int]:
    """A shape and one (possibly negative) dim of it."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=3))
    ndim = max(len(shape), 1)
    return shape, draw(st.integers(-ndim, ndim - 1))


def reduced_count(shape: tuple[int, ...], dims: Any) -> int:
    if dims is None or not shape:
        return math.prod(shape)
    dims = dims if isinstance(dims, tuple) else (dims,)
    return math.prod(shape[d] for d in dims)


# ----------------------------------------------------------------------------- elementwise

BINARY = {
    "add": (lambda a, b: a + b, normal, normal),
    "sub": (lambda a, b: a - b, normal, normal),
    "mul": (lambda a, b: a * b, normal, normal),
    "div": (lambda a, b: a / b, normal, nonzero),
    "pow": (lambda a, b: a**b, positive, normal),
}


@checks
@pytest.mark.parametrize("name", BINARY)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_binary_broadcasting(check: str, name: str, shapes: Any, seed: int) -> None:
    fn, a_values, b_values = BINARY[name]
    (a_shape, b_shape) = shapes.input_shapes
    verify(check, fn, fn, a_values(a_shape, seed), b_values(b_shape, seed + 1))


@checks
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_maximum_and_minimum(check: str, shapes: Any, seed: int) -> None:
    a, b = normal(shapes.input_shapes[0], seed), normal(shapes.input_shapes[1], seed + 1)
    assume(np.abs(a - b).min() > 1e-3)  # no ties: there maximum is not differentiable
    verify(check, minigrad.maximum, lambda x, y: torch.maximum(x, y), a, b)
    verify(check, minigrad.minimum, lambda x, y: torch.minimum(x, y), a, b)


def test_maximum_ties_split_the_gradient_evenly() -> None:
    a = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = minigrad.tensor([1.0, 0.0, 3.0], requires_grad=True)
    minigrad.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.array, [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(b.grad.array, [0.5, 0.0, 0.5])
    compare_with_torch(minigrad.maximum, lambda x, y: torch.maximum(x, y), a.array, b.array)


UNARY = {
    "neg": (lambda x: -x, normal),
    "exp": (lambda x: x.exp(), normal),
    "log": (lambda x: x.log(), positive),
    "sin": (lambda x: x.sin(), wide),
    "cos": (lambda x: x.cos(), wide),
    "pow_2": (lambda x: x**2, normal),
    "pow_3": (lambda x: x**3, normal),
    "pow_1.5": (lambda x: x**1.5, positive),
    "pow_-1.5": (lambda x: x**-1.5, positive),
    "pow_method": (lambda x: x.pow(0.5), positive),
    "radd": (lambda x: 1.5 + x, normal),
    "rsub": (lambda x: 1.5 - x, normal),
    "rmul": (lambda x: 1.5 * x, normal),
    "rdiv": (lambda x: 1.5 / x, nonzero),
    "rpow": (lambda x: 1.5**x, normal),
    "sqrt": (lambda x: x.sqrt(), positive),
    "rsqrt": (lambda x: x.rsqrt(), positive),
    "sigmoid": (lambda x: x.sigmoid(), wide),
    "tanh": (lambda x: x.tanh(), wide),
    "relu": (lambda x: x.relu(), away_from(0.0)),
    "abs": (lambda x: x.abs(), away_from(0.0)),
    "square": (lambda x: x.square(), normal),
    "clamp": (lambda x: x.clamp(-1.0, 1.0), away_from(-1.0, 1.0)),
    "clamp_min": (lambda x: x.clamp(min=0.5), away_from(0.5)),
    "clamp_max": (lambda x: x.clamp(max=-0.5), away_from(-0.5)),
}


@checks
@pytest.mark.parametrize("name", UNARY)
@given(shape=shapes, seed=seeds)
def test_unary(check: str, name: str, shape: tuple[int, ...], seed: int) -> None:
    fn, values = UNARY[name]
    verify(check, fn, fn, values(shape, seed))


@checks
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=seeds)
def test_where(check: str, shapes: Any, seed: int) -> None:
    condition_shape, a_shape, b_shape = shapes.input_shapes
    condition = np.random.default_rng(seed).random(condition_shape) > 0.5
    verify(
        check,
        minigrad.where,
        lambda c, a, b: torch.where(c, a, b),
        condition,
        normal(a_shape, seed + 1),
        normal(b_shape, seed + 2),
    )


def test_where_condition_gets_no_gradient_and_unused_side_gets_zero() -> None:
    condition = minigrad.tensor([True, False, True])
    a = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = minigrad.tensor([4.0, 5.0, 6.0], requires_grad=True)
    minigrad.where(condition, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.array, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.array, [0.0, 1.0, 0.0])
    assert condition.grad is None


COMPARISONS = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
}


@pytest.mark.parametrize("name", COMPARISONS)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), seed=seeds)
def test_comparisons_have_no_gradient(name: str, shapes: Any, seed: int) -> None:
    compare = COMPARISONS[name]
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-1, 2, shape).astype(np.float64) for shape in shapes.input_shapes)  # many ties
    x = minigrad.tensor(a, requires_grad=True)
    out = compare(x, minigrad.tensor(b, requires_grad=True))
    assert out.dtype == minigrad.bool_
    assert not out.requires_grad
    np.testing.assert_array_equal(out.array, compare(a, b))
    np.testing.assert_array_equal(compare(x, 0.0).array, compare(a, 0.0))


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_match_torch(name: str) -> None:
    a, b = np.array([[-1.0, 0.0, 2.0]]), np.array([[0.0], [2.0]])
    compare_with_torch(COMPARISONS[name], COMPARISONS[name], a, b, grad=False)


def test_cast_gradient_comes_back_in_the_input_dtype() -> None:
    x = minigrad.tensor([1.5, -2.0, 3.0], requires_grad=True)  # float32
    y = x.double()
    assert y.dtype == minigrad.float64 and y.grad_fn is not None
    (y * minigrad.tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    assert x.grad.dtype == minigrad.float32
    np.testing.assert_array_equal(x.grad.array, [1.0, 2.0, 3.0])


def test_cast_is_differentiable_to_second_order() -> None:
    x = minigrad.tensor([1.5, -2.0], requires_grad=True)
    (dx,) = minigrad.grad((x.double() ** 3).sum(), x, create_graph=True)  # 3x^2
    assert dx.dtype == minigrad.float32
    (ddx,) = minigrad.grad(dx.sum(), x)  # 6x
    np.testing.assert_allclose(ddx.array, [9.0, -12.0])
    check_gradients(lambda t: ops.Cast(np.float64)(t) ** 2, np.array([0.5, -1.5]))


def test_cast_to_an_integer_dtype_cuts_the_graph() -> None:
    x = minigrad.tensor([1.5, -2.0], requires_grad=True)
    assert x.long().dtype == minigrad.int64
    assert not x.long().requires_grad


# ----------------------------------------------------------------------------- reductions


@checks
@given(shape_dims=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_sum(check: str, shape_dims: Any, keepdim: bool, seed: int) -> None:
    shape, dims = shape_dims
    verify(check, lambda x: x.sum(dims, keepdim), lambda x: x.sum(dim=dims, keepdim=keepdim), normal(shape, seed))


@checks
@given(shape_dims=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_mean(check: str, shape_dims: Any, keepdim: bool, seed: int) -> None:
    shape, dims = shape_dims
    verify(check, lambda x: x.mean(dims, keepdim), lambda x: x.mean(dim=dims, keepdim=keepdim), normal(shape, seed))


@checks
@given(shape_dims=shape_and_dims(), keepdim=st.booleans(), correction=st.sampled_from([0, 1]), seed=seeds)
def test_var(check: str, shape_dims: Any, keepdim: bool, correction: int, seed: int) -> None:
    shape, dims = shape_dims
    assume(reduced_count(shape, dims) > correction)
    verify(
        check,
        lambda x: x.var(dims, keepdim=keepdim, correction=correction),
        lambda x: x.var(dim=dims, keepdim=keepdim, correction=correction),
        normal(shape, seed),
    )


def torch_dims(dims: Any) -> Any:
    return () if dims is None else dims  # torch.amax/amin reduce everything over dim=()


@checks
@given(shape_dims=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_amax(check: str, shape_dims: Any, keepdim: bool, seed: int) -> None:
    shape, dims = shape_dims
    verify(check, lambda x: x.amax(dims, keepdim), lambda x: x.amax(torch_dims(dims), keepdim), distinct(shape, seed))


@checks
@given(shape_dims=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_amin(check: str, shape_dims: Any, keepdim: bool, seed: int) -> None:
    shape, dims = shape_dims
    verify(check, lambda x: x.amin(dims, keepdim), lambda x: x.amin(torch_dims(dims), keepdim), distinct(shape, seed))


@checks
@given(shape=shapes, seed=seeds)
def test_max_and_min_of_all_elements(check: str, shape: tuple[int, ...], seed: int) -> None:
    x = distinct(shape, seed)
    verify(check, lambda t: t.max(), lambda t: t.max(), x)
    verify(check, lambda t: t.min(), lambda t: t.min(), x)


@checks
@pytest.mark.parametrize("reduction", ["max", "min"])
@given(shape_dim=shape_and_dim(), keepdim=st.booleans(), seed=seeds)
def test_max_min_over_a_dim_return_values_and_indices(
    check: str, reduction: str, shape_dim: Any, keepdim: bool, seed: int
) -> None:
    shape, dim = shape_dim
    x = distinct(shape, seed)
    result = getattr(minigrad.tensor(x), reduction)(dim, keepdim)
    assert result._fields == ("values", "indices")
    assert result.indices.dtype == minigrad.int64
    if check == "gradcheck":
        check_gradients(lambda t: getattr(t, reduction)(dim, keepdim).values, x)
    else:  # both outputs: the values and their gradient, and the indices
        fn = lambda t: tuple(getattr(t, reduction)(dim, keepdim))  # noqa: E731
        compare_with_torch(fn, fn, x)


def test_max_and_amax_split_the_gradient_between_ties_and_max_dim_picks_one_index() -> None:
    """PyTorch's rules: amax and max() share the gradient evenly among tied maxima; max(dim)
    sends it to the index it returns (the first maximum)."""
    x = minigrad.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    x.grad = None
    x.max().backward()  # over all elements: the two 3s share it
    np.testing.assert_array_equal(x.grad.array, [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    values, indices = x.max(dim=1)
    values.sum().backward()  # row 0: the first 3; row 1: the first 2
    np.testing.assert_array_equal(x.grad.array, [[0, 1, 0], [1, 0, 0]])
    assert indices.tolist() == [1, 0]
    compare_with_torch(lambda t: t.amax(dim=1), lambda t: t.amax(dim=1), x.array.astype(np.float64))
    compare_with_torch(lambda t: t.max(), lambda t: t.max(), x.array.astype(np.float64))
    compare_with_torch(lambda t: t.min(), lambda t: t.min(), x.array.astype(np.float64))
    compare_with_torch(lambda t: t.max(dim=1), lambda t: t.max(dim=1), x.array.astype(np.float64))
    compare_with_torch(lambda t: t.min(dim=0), lambda t: t.min(dim=0), x.array.astype(np.float64))


def test_amax_over_several_axes_splits_between_all_the_ties_of_a_group() -> None:
    x = minigrad.tensor(np.array([[[0.0, 5.0], [5.0, 1.0]], [[5.0, 5.0], [2.0, 3.0]]]), requires_grad=True)
    x.amax(dim=(0, 2)).sum().backward()  # groups x[:, j, :] for j = 0, 1
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 1] = expected[1, 0, 0] = expected[1, 0, 1] = 1 / 3  # group j=0: three 5s
    expected[0, 1, 0] = 1  # group j=1: the only 5
    np.testing.assert_allclose(x.grad.array, expected)
    compare_with_torch(lambda t: t.amax(dim=(0, 2)), lambda t: t.amax(dim=(0, 2)), x.array.astype(np.float64))


@checks
@given(shape_dims=shape_and_dims(allow_none=False), keepdim=st.booleans(), seed=seeds)
def test_logsumexp(check: str, shape_dims: Any, keepdim: bool, seed: int) -> None:
    shape, dims = shape_dims
    verify(check, lambda x: x.logsumexp(dims, keepdim), lambda x: x.logsumexp(dims, keepdim), wide(shape, seed))


@checks
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape_dim=shape_and_dim(), seed=seeds)
def test_softmax(check: str, name: str, shape_dim: Any, seed: int) -> None:
    shape, dim = shape_dim
    fn = lambda x: getattr(x, name)(dim)  # noqa: E731
    verify(check, fn, fn, wide(shape, seed))


STABLE = {
    "softmax": lambda x: x.softmax(-1),
    "log_softmax": lambda x: x.log_softmax(-1),
    "logsumexp": lambda x: x.logsumexp(-1),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
}


@pytest.mark.parametrize("name", STABLE)
def test_stable_for_huge_inputs(name: str) -> None:
    fn = STABLE[name]
    x = minigrad.tensor(np.array([[1000.0, -1000.0, 0.0], [-800.0, -805.0, 800.0]]), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # exp may underflow to 0, harmlessly
        out = fn(x)
        out.sum().backward()
    assert np.isfinite(out.array).all() and np.isfinite(x.grad.array).all()
    compare_with_torch(fn, fn, x.array)


# ----------------------------------------------------------------------------- movement


@checks
@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape(check: str, shape: tuple[int, ...], seed: int, data: Any) -> None:
    n = math.prod(shape)
    targets = [(-1,), (n, 1), (1, -1, 1), tuple(reversed(shape))] + ([()] if n == 1 else [])
    target = data.draw(st.sampled_from(targets))
    verify(check, lambda x: x.reshape(target), lambda x: x.reshape(target), normal(shape, seed))


@checks
@given(shape=shapes, seed=seeds, data=st.data())
def test_permute(check: str, shape: tuple[int, ...], seed: int, data: Any) -> None:
    ndim = len(shape)
    dims = tuple(d - ndim if data.draw(st.booleans()) else d for d in data.draw(st.permutations(range(ndim))))
    verify(check, lambda x: x.permute(dims), lambda x: x.permute(dims), normal(shape, seed))


@checks
@given(shape=nonempty_shapes, seed=seeds, data=st.data())
def test_transpose_and_mT(check: str, shape: tuple[int, ...], seed: int, data: Any) -> None:
    ndim = len(shape)
    dim0, dim1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    x = normal(shape, seed)
    verify(check, lambda t: t.transpose(dim0, dim1), lambda t: t.transpose(dim0, dim1), x)
    if ndim >= 2:
        verify(check, lambda t: t.mT, lambda t: t.mT, x)


@checks
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=4, max_side=3), seed=seeds, data=st.data())
def test_expand(check: str, shapes: Any, seed: int, data: Any) -> None:
    (shape,) = shapes.input_shapes
    target = shapes.result_shape
    extra = len(target) - len(shape)
    # -1 keeps a dimension, as in PyTorch
    sizes = tuple(-1 if i >= extra and data.draw(st.booleans()) else n for i, n in enumerate(target))
    verify(check, lambda x: x.expand(*sizes), lambda x: x.expand(sizes), normal(shape, seed))


@checks
@given(shape_dim=shape_and_dim(), seed=seeds)
def test_unsqueeze_squeeze_flatten(check: str, shape_dim: Any, seed: int) -> None:
    shape, dim = shape_dim
    x = normal(shape, seed)
    verify(check, lambda t: t.unsqueeze(dim), lambda t: t.unsqueeze(dim), x)
    verify(check, lambda t: t.squeeze(), lambda t: t.squeeze(), x)
    verify(check, lambda t: t.squeeze(dim), lambda t: t.squeeze(dim), x)
    verify(check, lambda t: t.flatten(), lambda t: t.flatten(), x)
    if len(shape) >= 1:
        verify(check, lambda t: t.flatten(dim), lambda t: t.flatten(dim), x)


@st.composite
def basic_index(draw: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """Integers, slices (positive steps, as PyTorch allows), None and Ellipsis."""
    parts: list[Any] = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            bound = st.none() | st.integers(-n - 1, n + 1)
            parts.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 2))))
        else:
            parts.append(slice(None))
    if draw(st.booleans()):  # an Ellipsis stands for parts[start:stop]
        start = draw(st.integers(0, len(parts)))
        stop = draw(st.integers(start, len(parts)))
        parts = parts[:start] + [Ellipsis] + parts[stop:]
    else:  # trailing dims left out
        parts = parts[: draw(st.integers(0, len(parts)))]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), None)
    return tuple(parts)


@checks
@given(shape=shapes, seed=seeds, data=st.data())
def test_getitem_basic(check: str, shape: tuple[int, ...], seed: int, data: Any) -> None:
    index = data.draw(basic_index(shape))
    verify(check, lambda x: x[index], lambda x: x[index], normal(shape, seed))


@checks
@given(
    shape=nonempty_shapes,
    index_shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
    where=st.sampled_from(["first", "second", "both"]),
    seed=seeds,
)
def test_getitem_integer_arrays(check: str, shape: tuple[int, ...], index_shapes: Any, where: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape0, shape1 = index_shapes.input_shapes
    x = normal(shape, seed)
    i = rng.integers(-shape[0], shape[0], shape0)  # negative and repeated indices included
    if where == "first":
        verify(check, lambda t, i: t[i], lambda t, i: t[i], x, i)
        return
    assume(len(shape) >= 2)
    j = rng.integers(-shape[1], shape[1], shape1)
    if where == "second":
        verify(check, lambda t, j: t[:, j], lambda t, j: t[:, j], x, j)
    else:
        verify(check, lambda t, i, j: t[i, j], lambda t, i, j: t[i, j], x, i, j)


def test_getitem_repeated_indices_accumulate_their_gradients() -> None:
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 0.0, 1.0])
    y = minigrad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (y[minigrad.tensor([1, 1]), minigrad.tensor([2, 2])] * minigrad.tensor([10.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(y.grad.array, [[0, 0, 0], [0, 0, 11]])


@checks
@given(shape=shapes, first_dim_only=st.booleans(), seed=seeds)
def test_getitem_boolean_mask(check: str, shape: tuple[int, ...], first_dim_only: bool, seed: int) -> None:
    mask_shape = shape[:1] if first_dim_only else shape
    mask = np.random.default_rng(seed).random(mask_shape) > 0.4
    verify(check, lambda x, m: x[m], lambda x, m: x[m], normal(shape, seed + 1), mask)


@checks
@given(shape=nonempty_shapes, value=st.sampled_from([0.0, -1.5]), seed=seeds, data=st.data())
def test_pad(check: str, shape: tuple[int, ...], value: float, seed: int, data: Any) -> None:
    widths = tuple((data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in shape)
    flat = tuple(w for pair in reversed(widths) for w in pair)  # torch lists the last dim first
    verify(
        check,
        lambda x: ops.Pad(widths, value)(x),
        lambda x: torch.nn.functional.pad(x, flat, value=value),
        normal(shape, seed),
    )


@checks
@given(shape_dim=shape_and_dim(min_dims=1), seed=seeds, data=st.data())
def test_cat(check: str, shape_dim: Any, seed: int, data: Any) -> None:
    shape, dim = shape_dim
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    arrays = [
        normal(shape[: dim % len(shape)] + (n,) + shape[dim % len(shape) + 1 :], seed + k) for k, n in enumerate(sizes)
    ]
    verify(check, lambda *ts: minigrad.cat(ts, dim), lambda *ts: torch.cat(ts, dim), *arrays)


@checks
@given(shape=shapes, count=st.integers(1, 3), seed=seeds, data=st.data())
def test_stack(check: str, shape: tuple[int, ...], count: int, seed: int, data: Any) -> None:
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [normal(shape, seed + k) for k in range(count)]
    verify(check, lambda *ts: minigrad.stack(ts, dim), lambda *ts: torch.stack(ts, dim), *arrays)


def test_cat_sends_no_gradient_to_constants() -> None:
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([3.0])
    (minigrad.cat([b, a, b]) * minigrad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.array, [2.0, 3.0])
    assert b.grad is None


# ----------------------------------------------------------------------------- matmul


@checks
@given(
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
    n=st.integers(1, 3),
    k=st.integers(1, 3),
    m=st.integers(1, 3),
    a_is_vector=st.booleans(),
    b_is_vector=st.booleans(),
    seed=seeds,
)
def test_matmul(
    check: str, batch: Any, n: int, k: int, m: int, a_is_vector: bool, b_is_vector: bool, seed: int
) -> None:
    """numpy's rules: a 1-D operand is a row (on the left) or a column (on the right) whose
    dimension is dropped again; the batch dimensions broadcast."""
    batch_a, batch_b = batch.input_shapes
    a = normal((k,) if a_is_vector else batch_a + (n, k), seed)
    b = normal((k,) if b_is_vector else batch_b + (k, m), seed + 1)
    verify(check, lambda x, y: x @ y, lambda x, y: x @ y, a, b)


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "out_shape"),
    [
        ((3,), (3,), ()),
        ((3,), (3, 2), (2,)),
        ((2, 3), (3,), (2,)),
        ((4, 1, 2, 3), (5, 3, 2), (4, 5, 2, 2)),
        ((3,), (4, 3, 2), (4, 2)),
        ((4, 2, 3), (3,), (4, 2)),
    ],
)
def test_matmul_shapes_follow_numpy(a_shape: Any, b_shape: Any, out_shape: Any) -> None:
    a, b = normal(a_shape, 0), normal(b_shape, 1)
    out = minigrad.tensor(a) @ minigrad.tensor(b)
    assert out.shape == out_shape == np.matmul(a, b).shape
    np.testing.assert_allclose(out.array, np.matmul(a, b))
    check_gradients(lambda x, y: x.matmul(y), a, b)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy warns about the 0 * inf it computes there
@pytest.mark.parametrize("base", [[0.0, 1.5, 2.0], [0.0, 0.0, 3.0]])
@pytest.mark.parametrize("exponent", [[0.0, 2.0, 0.5], [0.0, 0.0, 1.0]])
def test_pow_edges_match_pytorch(base, exponent):
    """x^0 at x = 0 and 0^b: PyTorch defines these gradients as 0, not nan."""
    compare_with_torch(lambda a, b: a**b, lambda a, b: a**b, np.array(base), np.array(exponent))
    compare_with_torch(lambda a: a**0, lambda a: a**0, np.array(base))


# ----------------------------------------------------------------------------- edge cases found in review

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: pip install torch==2.13.0")


@needs_torch
@pytest.mark.parametrize(
    "name, fn",
    [
        ("norm", lambda t: t.norm()),
        ("norm dim", lambda t: t.norm(dim=1).sum()),
        ("norm p=3", lambda t: t.norm(p=3)),
        ("std", lambda t: t.std()),
        ("std dim", lambda t: t.std(0).sum()),
    ],
)
def test_norm_and_std_of_zeros_have_pytorch_gradient_not_nan(name: str, fn: Callable[..., Any]) -> None:
    values = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]) if "dim" in name else np.zeros((2, 3))
    x = minigrad.tensor(values, requires_grad=True)
    fn(x).backward()
    t = torch.tensor(values, requires_grad=True)
    fn(t).backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), atol=1e-12)
    assert np.isfinite(x.grad.array).all()


@needs_torch
def test_normalize_of_a_zero_row_matches_pytorch() -> None:
    values = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    x = minigrad.tensor(values, requires_grad=True)
    minigrad.nn.functional.normalize(x).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    torch.nn.functional.normalize(t).sum().backward()
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-12)


def test_norm_and_std_stay_differentiable_to_second_order_away_from_zero() -> None:
    values = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]])
    check_gradients(lambda t: t.norm(dim=1), values)
    check_gradients(lambda t: t.norm(p=3), values)
    check_gradients(lambda t: t.std(1), values)


@needs_torch
@pytest.mark.parametrize("kind", ["max(dim)", "amax", "max_pool2d tiles", "max_pool2d strided"])
def test_max_routes_the_gradient_to_a_nan_as_pytorch(kind: str) -> None:
    values = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    values[0, 0, 1, 1] = values[1, 2, 0, 0] = values[1, 2, 3, 3] = np.nan  # one per pooling window
    if kind == "max(dim)":  # and two in one row: max(dim) picks the first, as its indices say
        values[0, 1, 2, 1] = values[0, 1, 2, 3] = np.nan
    run = {
        "max(dim)": lambda lib, t: lib.max(t, 3)[0].sum(),
        "amax": lambda lib, t: t.amax((2, 3)).sum(),
        "max_pool2d tiles": lambda lib, t: lib.nn.functional.max_pool2d(t, 2).sum(),
        "max_pool2d strided": lambda lib, t: lib.nn.functional.max_pool2d(t, 3, 1).sum(),
    }[kind]
    x = minigrad.tensor(values, requires_grad=True)
    run(minigrad, x).backward()
    t = torch.tensor(values, requires_grad=True)
    run(torch, t).backward()
    np.testing.assert_array_equal(x.grad.array, t.grad.numpy())


def test_max_over_an_empty_dim_is_a_clear_error() -> None:
    with pytest.raises(IndexError, match=r"reduced dim 0 of shape \(0, 3\) has size 0"):
        minigrad.zeros(0, 3).amax(0)
    assert minigrad.zeros(0, 3).amax(1).shape == (0,)


def test_cos_is_exact_for_large_float32_inputs() -> None:
    values = np.array([1e5, -3e4, 0.5], dtype=np.float32)
    x = minigrad.tensor(values, requires_grad=True)
    x.cos().sum().backward()
    np.testing.assert_allclose(x.cos().array, np.cos(values), rtol=1e-6)
    np.testing.assert_allclose(x.grad.array, -np.sin(values), rtol=1e-6, atol=1e-7)
    y = minigrad.tensor(values, requires_grad=True)
    y.sin().sum().backward()
    np.testing.assert_allclose(y.grad.array, np.cos(values), rtol=1e-6, atol=1e-7)


def test_cumsum_of_a_0d_tensor_keeps_its_shape() -> None:
    x = minigrad.tensor(3.0, requires_grad=True)
    y = x.cumsum(0)
    y.backward()
    assert y.shape == () and x.grad.item() == 1.0


def test_expand_to_an_impossible_shape_names_both_shapes() -> None:
    with pytest.raises(minigrad.ShapeError, match=r"shape \(2, 3\) cannot be expanded to \(3, 3\)"):
        minigrad.zeros(2, 3).expand(3, 3)
