"""PyTorch's API on minigrad, item by item (issue 8): devices, dtypes, factories, the function
forms, Tensor's methods, unsupported features, and the ``torch`` module mapping. Each op is the
same lambda on both engines (the names are the same), compared with PyTorch by
``compare_with_torch`` and, when it has a gradient, checked by gradcheck/gradgradcheck."""

from __future__ import annotations

import importlib
import inspect
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn
from tests.helpers import check_gradients, compare_with_torch

try:
    import torch
except ImportError:  # the comparisons skip themselves, in compare_with_torch
    torch = None


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


X = rng(0).standard_normal((3, 4))
Y = rng(1).standard_normal((3, 4))
V = rng(2).standard_normal(4)
CUBE = rng(3).standard_normal((2, 3, 4))
INDEX = np.array([[0, 2, 1, 0], [2, 2, 0, 1], [1, 0, 0, 2]])  # values < 3, for dim 0 of X
MASK = rng(4).random((3, 4)) > 0.5
X_ZEROS = np.where(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]], dtype=bool), 0.0, X)  # cumprod's hard case
X_NAN = np.where(np.array([[0, 1, 0, 0], [1, 1, 1, 1], [0, 0, 1, 0]], dtype=bool), np.nan, X)  # row 1: all NaN
VECTORS = rng(10).standard_normal((4, 3))  # rows of 3-vectors, for cross
REPEATS = np.array([2, 0, 3])  # one count per row of X
TAKE = np.array([[0, 11, -1], [5, 5, 2]])  # flat positions in X (5 twice: its gradient adds up)
SPD = X[:, :3] @ X[:, :3].T + 3 * np.eye(3)  # a well-conditioned matrix, for inverse and det
BATCH_SPD = np.stack([SPD, SPD[::-1, ::-1] - 5 * np.eye(3)])  # the second has a negative determinant
ROWS, COLUMNS = np.array([2, 0]), np.array([3, 1])  # for index_add/index_copy/index_fill
X_EDGES = np.array([[0.0, -0.0, np.inf, -np.inf], [np.nan, 1.0, -2.0, 0.5], [3.0, -np.inf, np.inf, 0.0]])
WORKTREE = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}

# (name, function applied to both engines' tensors, inputs, whether to gradcheck)
METHODS = [
    ("add_alpha", lambda x, y: x.add(y, alpha=2.5), (X, Y), True),
    ("sub_alpha", lambda x, y: x.sub(y, alpha=0.5), (X, Y), True),
    ("mul", lambda x, y: x.mul(y), (X, Y), True),
    ("div", lambda x, y: x.div(y + 3), (X, Y), True),
    ("div_floor", lambda x, y: x.div(y, rounding_mode="floor"), (X, Y), False),
    ("div_trunc", lambda x, y: x.div(y, rounding_mode="trunc"), (X, Y), False),
    ("remainder", lambda x: x.remainder(0.7), (X,), True),
    ("neg", lambda x: x.neg(), (X,), True),
    ("reciprocal", lambda x: (x + 5).reciprocal(), (X,), True),
    ("exp2_log2_log10", lambda x: x.exp2() + (x.abs() + 1).log2() + (x.abs() + 1).log10(), (X,), True),
    ("expm1_log1p", lambda x: x.expm1() + x.abs().log1p(), (X,), True),
    ("tan_sinh_cosh", lambda x: (x * 0.5).tan() + x.sinh() + x.cosh(), (X,), True),
    ("erf", lambda x: x.erf() * 2, (X * 2,), True),
    ("lerp", lambda x, y: x.lerp(y, 0.3), (X, Y), True),
    ("frac", lambda x: x.frac(), (X * 3,), True),
    ("clamp_min_max", lambda x: x.clamp_min(-0.5) + x.clamp_max(0.5), (X,), True),
    ("mm_t", lambda x, y: x.mm(y.t()), (X, Y), True),
    ("matmul_T", lambda x, y: x.T.matmul(y), (X, Y), True),
    ("mv_dot_outer", lambda x, v: x.mv(v).sum() * v.dot(v) + x[0].outer(v).sum(), (X, V), True),
    ("bmm", lambda a, b: a.bmm(b.transpose(1, 2)), (CUBE, CUBE), True),
    ("view_as_reshape_as", lambda x, y: x.view_as(y.T) + y.reshape_as(x.T), (X, Y), True),
    ("expand_as", lambda v, x: v.expand_as(x), (V, X), True),
    ("clone", lambda x: x.clone() * 2, (X,), True),
    ("contiguous", lambda x: x.t().contiguous(), (X,), True),
    ("masked_fill", lambda x, m: x.masked_fill(m, -1.5), (X, MASK), True),
    (
        "masked_fill_inf_softmax",
        lambda x, m: x.masked_fill(m, float("-inf")).softmax(1),
        (X, MASK & (np.arange(4) > 0)),
        True,
    ),
    ("masked_select", lambda x, m: x.masked_select(m), (X, MASK), True),
    ("gather", lambda x, i: x.gather(0, i), (X, INDEX), True),
    ("gather_dim1", lambda x, i: x.gather(1, i[:, :2] % 3), (X, INDEX), True),
    ("scatter_add", lambda x, i, y: x.scatter_add(0, i, y), (X, INDEX, Y), True),
    ("scatter", lambda x, i, y: x.scatter(1, i[:, :1] + 1, y[:, :1]), (X, INDEX, Y), True),
    ("scatter_value", lambda x, i: x.scatter(0, i[:1], 2.5), (X, INDEX), True),
    (
        "index_select",
        lambda x: x.index_select(
            1, minigrad.tensor([2, 0, 2]) if isinstance(x, minigrad.Tensor) else torch.tensor([2, 0, 2])
        ),
        (X,),
        True,
    ),
    ("repeat", lambda x: x.repeat(2, 1, 3), (X,), True),
    ("tile", lambda x: x.tile(2), (X,), True),
    ("flip", lambda x: x.flip(0, 1) + x.fliplr() + x.flipud(), (X,), True),
    ("roll", lambda x: x.roll(1, 0) + x.roll((2, -1), (1, 0)) + x.roll(3), (X,), True),
    ("chunk", lambda x: x.chunk(3, dim=1), (X,), True),
    ("split_size", lambda x: x.split(3, 1), (X,), True),
    ("split_sections", lambda x: x.split([1, 3], dim=1), (X,), True),
    ("unbind", lambda x: x.unbind(1), (X,), True),
    ("unflatten", lambda c: c.unflatten(2, (2, 2)), (CUBE,), True),
    ("narrow_select", lambda x: x.narrow(1, 1, 2) * x.select(0, 1)[1:3], (X,), True),
    ("movedim", lambda c: c.movedim(0, -1) + 0, (CUBE,), True),
    ("swapaxes_swapdims", lambda c: c.swapaxes(0, 2) + c.swapdims(2, 0), (CUBE,), True),
    ("squeeze_tuple", lambda c: c[:, :1, :1].squeeze((1, 2)), (CUBE,), True),
    ("tril_triu", lambda x: x.tril() + x.triu(1) * 2 + x.tril(-1) * 3, (X,), True),
    ("diagonal_trace", lambda x: x.diagonal(1).sum() + x[:, :3].trace(), (X,), True),
    ("diag", lambda v: v.diag() + v.diag(1)[1:, 1:], (V,), True),
    ("cumsum", lambda c: c.cumsum(1) + c.cumsum(dim=-1), (CUBE,), True),
    ("cumsum_ints", lambda i: i.cumsum(0), (INDEX,), False),
    ("prod", lambda x: x.prod(1), (X,), True),
    ("prod_with_zeros", lambda x: (x * (x > 0)).prod(0) + x.prod(), (X,), True),
    (
        "norm",
        lambda x: x.norm() + x.norm(1, dim=0).sum() + x.norm(float("inf"), 1).sum() + x.norm(3, 1).sum(),
        (X,),
        True,
    ),
    (
        "sum_dtype",
        lambda i: i.sum(dtype=minigrad.float64 if isinstance(i, minigrad.Tensor) else torch.float64),
        (INDEX,),
        False,
    ),
    ("mean_dim_list", lambda c: c.mean([0, 2]), (CUBE,), True),
    ("var_unbiased_false", lambda x: x.var(1, False) + x.var(unbiased=False, dim=1), (X,), True),
    ("std_unbiased", lambda x: x.std(False) + x.std(0, True, True).sum(), (X,), True),
    ("logsumexp_all", lambda x: x.logsumexp(dim=(0, 1)), (X,), True),
    ("softmax_dtype", lambda x: x.softmax(-1) + x.log_softmax(0), (X,), True),
    ("amin_argmin", lambda x: (x.amin(0), x.argmin(1), x.argmax()), (X,), True),
    ("min_dim", lambda x: x.min(1), (X,), True),
    ("max_other", lambda x, y: x.max(y) + x.min(y), (X, Y), True),
    ("sort", lambda x: x.sort(1), (X,), True),
    ("sort_descending", lambda x: x.sort(dim=0, descending=True), (X,), True),
    ("argsort", lambda x: x.argsort(dim=1, descending=True), (X,), False),
    ("topk", lambda x: x.topk(2, dim=1), (X,), True),
    ("topk_smallest", lambda x: x.topk(2, 0, largest=False), (X,), True),
    ("kthvalue", lambda x: x.kthvalue(2, 1), (X,), True),
    ("median", lambda x: (x.median(), *x.median(1)), (X,), True),
    (
        "comparisons",
        lambda x, y: (x.eq(y), x.ne(x), x.lt(y), x.le(y), x.gt(y), x.ge(y), x.greater(y), x.less_equal(y)),
        (X, Y),
        False,
    ),
    ("logical", lambda m: (m.logical_and(~m), m.logical_or(m), m.logical_xor(m), m.logical_not()), (MASK,), False),
    ("isclose", lambda x, y: x.isclose(x + 1e-9), (X, Y), False),
    (
        "floor_ceil_round_trunc",
        lambda x: (x.floor(), x.ceil(), (x * 10).round(), x.trunc(), x.round(decimals=1)),
        (X,),
        False,
    ),
    ("nonzero", lambda m: (m.nonzero(), m.argwhere()), (MASK,), False),
    ("count_nonzero", lambda m: m.count_nonzero(1), (MASK,), False),
    ("all_any_dim", lambda m: (m.all(1), m.any(0), m.all(), m.any(1, keepdim=True)), (MASK,), False),
    ("nan_to_num", lambda x: (x.log()).nan_to_num(0.5, 9.0, -9.0), (X,), False),
    ("type_as_float", lambda i, x: i.type_as(x) + i.float().double(), (INDEX, X), False),
    # the names PyTorch code reaches for, added together (composites unless said otherwise)
    ("addcmul", lambda x, y, v: x.addcmul(y, v, value=0.5) + x.addcmul(y, y), (X, Y, V), True),
    ("addcdiv", lambda x, y: x.addcdiv(y, y * y + 1, value=-2) + x.addcdiv(x, y * y + 2), (X, Y), True),
    ("fmod", lambda x, y: x.fmod(0.7) + (3 * x).fmod(-0.4) + (3 * x).fmod(y.abs() + 0.5), (X, Y), True),
    ("fmod_ints", lambda i: (i - 1).fmod(2) + (1 - i).fmod(-2), (INDEX,), False),
    ("atan_asin_acos", lambda x: x.atan() + (x * 0.7).asin() + (x * 0.7).acos() * 2, (X,), True),  # 2 primitives
    ("arctan_arcsin_arccos", lambda x: x.arctan() + (x * 0.7).arcsin() + (x * 0.7).arccos(), (X,), True),
    ("atan2", lambda x, y: x.atan2(y) + y.arctan2(x) * 2, (X, Y), True),  # a primitive
    ("atan_asin_ints", lambda i: (i.atan(), (i - 1).asin(), (i - 1).acos()), (INDEX,), False),  # float32 results
    ("nansum", lambda x: (x.nansum(), x.nansum(1), x.nansum((0, 1), keepdim=True)), (X_NAN,), True),
    ("nanmean", lambda x: (x.nanmean(0), x[[0, 2]].nanmean(dim=1, keepdim=True), x.nanmean()), (X_NAN,), True),
    ("nansum_ints", lambda i: i.nansum(0), (INDEX,), False),
    ("cumprod", lambda c: (c.cumprod(1), c.cumprod(dim=-1), c.cumprod(0)), (CUBE,), True),
    ("cumprod_with_zeros", lambda x: (x.cumprod(1), x.cumprod(0)), (X_ZEROS,), True),
    ("cumprod_long_row", lambda v: v.reshape(1, -1).cumprod(1), (np.tile(V, 5) * 1.2,), True),
    ("cumprod_ints", lambda i: (i + 1).cumprod(1), (INDEX,), False),
    ("diff", lambda c: (c.diff(), c.diff(2, 1), c.diff(dim=0), c.diff(n=0)), (CUBE,), True),
    ("diff_prepend_append", lambda x, y: x.diff(dim=1, prepend=y[:, :1], append=y) + 0, (X, Y), True),
    ("diff_ints_bools", lambda i, m: (i.diff(), m.diff(dim=0), i.diff(3)), (INDEX, MASK), False),
    ("tensor_split", lambda x: x.tensor_split(3, dim=1) + x.tensor_split(2) + x.tensor_split([1, 5], 1), (X,), True),
    ("tensor_split_bounds", lambda x: x.tensor_split([3, 1, -1], dim=1), (X,), True),
    ("repeat_interleave", lambda x: (x.repeat_interleave(2), x.repeat_interleave(3, dim=1)), (X,), True),
    ("repeat_interleave_counts", lambda x, r: x.repeat_interleave(r, dim=0, output_size=5), (X, REPEATS), True),
    ("cross", lambda a, b: a.cross(b, dim=1) + a.cross(b[:1], dim=-1), (VECTORS, VECTORS[::-1] + 1), True),
    ("cross_dim0", lambda x, y: x.cross(y, 0), (X, Y), True),
    ("take", lambda x, i: x.take(i), (X, TAKE), True),
    ("take_0d", lambda x, i: x.take(i[0, 1]), (X, TAKE), True),
    ("unfold", lambda x: (x.unfold(1, 2, 1), x.unfold(0, 2, 1), x.unfold(-1, 3, 2), x.unfold(1, 0, 3)), (X,), True),
    ("unfold_cube", lambda c: c.unfold(1, 2, 2).unfold(0, 1, 1), (CUBE,), True),
    ("round_decimals", lambda x: ((x * 100).round(decimals=-1), x.round(decimals=2), (x * 2).round()), (X,), False),
    # more math, products and matrix functions (primitives: asinh, acosh, atanh, erfc, hypot, inverse, log|det|)
    ("asinh_acosh_atanh", lambda x: x.asinh() + (x.abs() + 1.5).acosh() + (x * 0.3).atanh(), (X,), True),
    (
        "arcsinh_arccosh_arctanh",
        lambda x: x.arcsinh() * 2 + (x.abs() + 1.1).arccosh() + (x * 0.4).arctanh(),
        (X,),
        True,
    ),
    ("inverse_hyperbolic_ints", lambda i: (i.asinh(), (i + 1).acosh(), (i * 0).atanh()), (INDEX,), False),
    ("erfc", lambda x: (x * 3).erfc() + x.erfc(), (X,), True),
    ("hypot", lambda x, y: x.hypot(y) + x.hypot(y * 0 + 2), (X, Y), True),
    ("xlogy", lambda x, y: x.xlogy(y.abs() + 0.1) + x.xlogy(3), (X_ZEROS, Y), True),
    ("logaddexp", lambda x, y: x.logaddexp(y) + x.logaddexp2(y * 3) + x.logaddexp(x), (X, Y), True),
    ("copysign", lambda x, y: x.copysign(y) + x.copysign(-0.0) * 2 + x.copysign(1), (X, Y), True),
    ("fmax_fmin", lambda x, y: x.fmax(y) + x.fmin(y) * 2 + x.fmax(x), (X, Y), True),
    ("deg2rad_rad2deg_sinc", lambda x: x.deg2rad() + x.rad2deg() + x.sinc(), (X,), True),
    ("sinc_at_zero", lambda x: x.sinc() + (x * 0).sinc(), (X_ZEROS,), True),  # d/dx = 0 at 0; no second order there
    ("logit", lambda x: x.sigmoid().logit() + x.sigmoid().logit(eps=0.3) + x.sigmoid().logit(0.01), (X,), True),
    ("float_power", lambda x: x.abs().float_power(1.5) + x.float_power(2) + x.float_power(x.abs()), (X,), True),
    ("float_power_ints", lambda i: (i.float_power(2), i.float_power(-1)), (INDEX,), False),
    (
        "edge_values",
        lambda e: (
            e.xlogy(e),
            e.logaddexp(e),
            e.fmax(e.flip(1)),
            e.fmin(-e),
            e.hypot(e),
            e.copysign(-e),
            e.erfc(),
            e.asinh(),
            e.sinc(),
            e.signbit(),
            e.isposinf(),
            e.isneginf(),
            e.isreal(),
            e.positive(),
            e.heaviside(e.new_tensor(0.5)),
        ),
        (X_EDGES,),
        False,
    ),
    (
        "matrix_products",
        lambda x, y, v, c: (
            (x @ y.mT).addmm(x, y.mT, beta=0.5, alpha=2),
            (x @ v).addmv(x, v, alpha=-1),
            x.addr(x[:, 0], y[0], beta=2),
            (c @ c.mT).baddbmm(c, c.mT, beta=0.5),
            (c[0] @ c[0].mT).addbmm(c, c.mT, alpha=3),
            x.inner(y),
            x.inner(v),
            v.vdot(v * 2),
            x.kron(y[:2, :3]),
            v.ger(v),
            c.kron(v),
        ),
        (X, Y, V, CUBE),
        True,
    ),
    ("beta_zero_ignores_nan", lambda x, y: (x @ y.mT * np.nan).addmm(x, y.mT, beta=0), (X, Y), False),
    (
        "matrix_functions",
        lambda m, b: (
            m.inverse(),
            m.det(),
            m.logdet(),
            m.slogdet()[1],
            m.matrix_power(3),
            m.matrix_power(-2),
            b.inverse(),
            b.det(),
            b.slogdet().logabsdet,
            b.matrix_power(2),
        ),
        (SPD, BATCH_SPD),
        True,
    ),
    ("matrix_constants", lambda b: (b.slogdet().sign, b.logdet(), b.matrix_power(0)), (BATCH_SPD,), False),
    (
        "index_add_copy_fill",
        lambda x, y, r, c: (
            x.index_add(0, r, y[:2], alpha=2),
            x.index_add(1, c, y[:, :2]),
            x.index_copy(1, c, y[:, :2]),
            x.index_fill(1, c, -1.0),
            x.index_fill(0, r, x[0, 0]),
        ),
        (X, Y, ROWS, COLUMNS),
        True,
    ),
    ("index_add_repeated", lambda x, y, r: x.index_add(0, r, y), (X, Y, np.array([1, 1, 0])), True),
    (
        "rot90_splits_diagflat",
        lambda x, c: (
            x.rot90(),
            x.rot90(2),
            x.rot90(-1, [1, 0]),
            c.rot90(1, [0, 2]),
            x.rot90(4),
            *x.hsplit(2),
            *x.hsplit([1, 3]),
            *x.vsplit([1]),
            *c.dsplit(2),
            *x[0].hsplit(2),
            x.diagflat(1),
        ),
        (X, CUBE),
        True,
    ),
]


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")  # nan_to_num's input
@pytest.mark.parametrize(("name", "function", "inputs", "differentiable"), METHODS, ids=[m[0] for m in METHODS])
def test_tensor_method_matches_torch(name, function, inputs, differentiable):
    compare_with_torch(function, function, *inputs, atol=1e-10, rtol=1e-7, grad=differentiable)


GRADCHECKED = [
    m for m in METHODS if m[3] and m[0] not in ("masked_select", "median", "kthvalue", "amin_argmin", "sinc_at_zero")
]


@pytest.mark.parametrize(("name", "function", "inputs", "differentiable"), GRADCHECKED, ids=[m[0] for m in GRADCHECKED])
def test_tensor_method_gradients_to_second_order(name, function, inputs, differentiable):
    def first_outputs(*tensors):
        out = function(*tensors)
        return out.values if hasattr(out, "values") else out

    check_gradients(first_outputs, *inputs)


@pytest.mark.parametrize(
    "a, b",
    [([7, -7, 9, -1, 0], 2), ([7, -7, 9, -1, 0], [2, 2, -2, 3, -3]), ([2**40 + 1, -7], [3, 2]), ([7.5, -7.5], 2)],
)
def test_integer_division_rounds_exactly_and_keeps_the_integer_dtype(a, b):
    """Truncated division of integers is exact for any size (no float round trip) and stays an
    integer, also by a Python int, as in PyTorch."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    for mode in ("trunc", "floor"):
        ours = minigrad.div(minigrad.tensor(a), minigrad.tensor(b) if isinstance(b, list) else b, rounding_mode=mode)
        theirs = torch.div(torch.tensor(a), torch.tensor(b) if isinstance(b, list) else b, rounding_mode=mode)
        assert ours.tolist() == theirs.tolist() and ours.type() == theirs.type()


UNARY_IN_PLACE = "rsqrt sign sgn trunc frac log1p log2 log10 expm1 exp2 erf tan sinh cosh nan_to_num negative absolute"
BINARY_IN_PLACE = "atan2 arctan2 fmod remainder true_divide floor_divide eq ne lt le gt ge not_equal greater less"
IN_PLACE = [  # (name, arguments): x.name_(*arguments) writes x.name(*arguments) into x
    *[(name, ()) for name in (UNARY_IN_PLACE + " asin arcsin acos arccos atan arctan").split()],
    *[(name, ("Y",)) for name in (BINARY_IN_PLACE + " greater_equal less_equal").split()],
    *[("cumsum", (0,)), ("cumprod", (1,)), ("tril", ()), ("triu", (1,))],
    *[("addcmul", ("Y", "Y")), ("addcdiv", ("Y", "Y"))],
    *[(name, ()) for name in ["asinh", "arcsinh", "atanh", "arctanh", "erfc", "deg2rad", "rad2deg", "sinc"]],
    *[(name, ("Y",)) for name in ["hypot", "xlogy", "copysign", "float_power"]],
]


@pytest.mark.parametrize("name, arguments", IN_PLACE, ids=[n for n, _ in IN_PLACE])
def test_in_place_forms_write_what_pytorchs_write(name, arguments):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    x = np.random.default_rng(0).uniform(-0.9, 0.9, (3, 4)) * [[1], [1], [-1]] ** np.arange(4)  # both signs
    x = np.abs(x) if name.startswith(("log", "rsqrt")) else x  # (negatives: NaN, and numpy warns)
    y = np.random.default_rng(1).uniform(0.5, 2.0, (3, 4))
    ours, theirs = minigrad.tensor(x), torch.tensor(x)
    returned = getattr(ours, name + "_")(*[minigrad.tensor(y) if a == "Y" else a for a in arguments])
    getattr(theirs, name + "_")(*[torch.tensor(y) if a == "Y" else a for a in arguments])
    assert returned is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_an_in_place_op_with_x_as_its_own_operand_reads_xs_old_value():
    """z += z is z = z + z, and z.mul_(z) is z = z * z: the right-hand z is the old value."""
    for change, slope in ((lambda z: z.__iadd__(z), 2.0), (lambda z: z.add_(z), 2.0), (lambda z: z.mul_(z), None)):
        x = minigrad.tensor([0.5, 0.7], dtype=minigrad.float64, requires_grad=True)
        z = x * 1
        change(z)
        z.sum().backward()
        expected = 2 * x.detach().numpy() if slope is None else np.full(2, slope)
        np.testing.assert_allclose(x.grad.numpy(), expected)


def test_fmod_is_exact_as_pytorchs():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    for a, b, dtype in [(3e7, 0.1, "float32"), (1e15, 0.7, "float64"), (-7.5, 0.1, "float32"), (-0.0, 1.0, "float64"),
                        (1.0, float("inf"), "float64")]:  # fmt: skip
        ours = minigrad.fmod(minigrad.tensor([a], dtype=getattr(minigrad, dtype)), b)
        theirs = torch.fmod(torch.tensor([a], dtype=getattr(torch, dtype)), b)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert np.signbit(ours.numpy()) == np.signbit(theirs.numpy())


def test_in_place_forms_are_recorded_inside_a_graph():
    """x.atan_() on a tensor in a graph differentiates like x = x.atan()."""
    a = minigrad.tensor([0.5, -1.5], dtype=minigrad.float64, requires_grad=True)
    x = a * 2
    x.atan_()
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 / (1 + (2 * np.array([0.5, -1.5])) ** 2))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        a.cumsum_(0)


def test_max_of_ties_splits_its_gradient_while_max_pooling_routes_to_one_index():
    """PyTorch's rules, side by side: amax/max() share, max(dim) and max_pool2d pick the first."""
    tied = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])
    compare_with_torch(lambda t: t.amax(), lambda t: t.amax(), tied)
    compare_with_torch(
        lambda t: minigrad.nn.functional.max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2), tied
    )


# ----------------------------------------------------------------------------- edge cases of the added names


@pytest.mark.parametrize(
    "values",
    [[1.0, 0.0, 3.0, 0.0, 2.0], [1.0, 0.0, 3.0, 4.0, 2.0], [0.0, 0.0, 0.0], [0.0, 2.0, -1.5], [2.0, -3.0, 0.0]],
)
def test_cumprod_gradient_at_zeros_is_torchs(values):
    """A gradient written as out / x divides 0 by 0 here; the scan's derived one is exact."""
    compare_with_torch(lambda t: t.cumprod(0), lambda t: t.cumprod(0), np.array(values), atol=1e-12)
    compare_with_torch(lambda t: minigrad.cumprod(t, 0), lambda t: torch.cumprod(t, 0), np.array(values), atol=1e-12)
    check_gradients(lambda t: t.cumprod(0), np.array(values))


def test_cumprod_keeps_pytorchs_dtypes():
    assert minigrad.tensor([1, 2, 3], dtype=minigrad.int32).cumprod(0).dtype == minigrad.int64
    assert minigrad.tensor([True, False]).cumprod(0).tolist() == [1, 0]
    assert minigrad.tensor([1, 2]).cumprod(0, dtype=minigrad.float64).dtype == minigrad.float64
    assert minigrad.tensor(3.0).cumprod(0).item() == 3.0
    long = minigrad.full((1000,), 1.001, dtype=minigrad.float64)
    assert long.cumprod(0)[-1].item() == pytest.approx(1.001**1000, rel=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")  # 0 / 0 for the NaN row
def test_nansum_and_nanmean_skip_nan():
    x = minigrad.tensor(X_NAN, requires_grad=True)
    assert x.nansum(1)[1].item() == 0.0 and math.isnan(x.nanmean(1)[1].item())
    np.testing.assert_allclose(x.nansum().item(), np.nansum(X_NAN))
    np.testing.assert_allclose(x.nanmean(0).detach().numpy(), np.nanmean(X_NAN, axis=0))
    x.nanmean(1).nansum().backward()
    # a NaN sends back no gradient; a row of NaN alone gets 0 (PyTorch: NaN; see docs/pytorch.md)
    counts = (~np.isnan(X_NAN)).sum(1, keepdims=True)
    expected = np.where(np.isnan(X_NAN), 0.0, 1.0 / np.maximum(counts, 1))
    np.testing.assert_allclose(x.grad.numpy(), expected)
    with pytest.raises(RuntimeError, match=r"nanmean.*floating point"):
        minigrad.tensor([1, 2]).nanmean()
    assert minigrad.tensor([1, 2], dtype=minigrad.int32).nansum().dtype == minigrad.int64


def test_fmod_follows_the_dividend_where_remainder_follows_the_divisor():
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare with")
    values = np.array([-7.5, -3.0, -0.5, 0.0, 0.5, 3.0, 7.5, 1.0])
    for divisor in (2.0, -2.0, 0.1, -0.7):
        ours, theirs = minigrad.tensor(values).fmod(divisor), torch.tensor(values).fmod(divisor)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-15, err_msg=f"fmod({divisor})")
    assert minigrad.tensor([1.0], dtype=minigrad.float64).fmod(0.1).item() == pytest.approx(np.fmod(1.0, 0.1))
    integers = np.array([-7, -3, 0, 3, 7])
    for divisor in (2, -2, 3):
        ours, theirs = minigrad.tensor(integers).fmod(divisor), torch.tensor(integers).fmod(divisor)
        assert ours.dtype == minigrad.int64 and ours.tolist() == theirs.tolist()
    assert (
        minigrad.tensor(integers).fmod(minigrad.tensor([2, -2, 2, -3, 3])).tolist()
        == np.fmod(integers, [2, -2, 2, -3, 3]).tolist()
    )
    compare_with_torch(lambda x, y: x.fmod(y), lambda x, y: x.fmod(y), values[:7] * 1.3, -values[[6, 0, 1, 5, 2, 4, 6]])


def test_atan2_keeps_numpys_signed_zeros_and_infinities_and_gradient_zero_at_the_origin():
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare with")
    y = np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 0.0])
    x = np.array([-1.0, -1.0, 0.0, -0.0, 0.0, 0.0, np.inf, -np.inf, 2.0])
    ours, theirs = minigrad.atan2(minigrad.tensor(y), minigrad.tensor(x)), torch.atan2(torch.tensor(y), torch.tensor(x))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    finite = np.array([0.0, 0.0, 1.0, -2.0, 0.0]), np.array([0.0, 3.0, 0.0, 0.0, -1.5])
    compare_with_torch(lambda a, b: a.atan2(b), lambda a, b: a.atan2(b), *finite, atol=1e-12)
    i = minigrad.tensor([1, 2])
    assert i.atan2(i).dtype == minigrad.float32 and i.atan().dtype == minigrad.float32
    theirs = torch.tensor([1, 2]).atan2(torch.tensor([2, 3]))
    np.testing.assert_allclose(i.atan2(i + 1).numpy(), theirs.numpy(), rtol=3e-7)  # float32: numpy's and torch's differ


def test_asin_gradient_at_one_is_infinite_as_in_pytorch():
    x = minigrad.tensor([1.0, -1.0, 0.5], dtype=minigrad.float64, requires_grad=True)
    with np.errstate(divide="ignore"):
        x.asin().sum().backward()
    assert np.isinf(x.grad.numpy()[:2]).all() and x.grad.numpy()[2] == pytest.approx(1 / math.sqrt(0.75))
    near_one = np.array([0.999999, -0.999999, 0.0, 0.3])
    compare_with_torch(lambda t: t.acos(), lambda t: t.acos(), near_one, rtol=1e-9)  # pi/2 - asin, to 1e-9


def test_round_takes_decimals_by_keyword_only():
    x = minigrad.tensor([0.5, 1.5, 2.5, -0.5, 1234.5678])
    assert x.round().tolist() == [0.0, 2.0, 2.0, -0.0, 1235.0]  # half to even
    assert x.round(decimals=-2).tolist() == [0.0, 0.0, 0.0, -0.0, 1200.0]
    with pytest.raises(TypeError):
        x.round(1)
    assert minigrad.round(x, decimals=1).tolist() == pytest.approx([0.5, 1.5, 2.5, -0.5, 1234.6])
    signature = inspect.signature(minigrad.Tensor.round)
    assert signature.parameters["decimals"].kind is inspect.Parameter.KEYWORD_ONLY
    assert signature.parameters["decimals"].default == 0
    y = minigrad.tensor([1.26, 2.71])
    assert y.round_(decimals=1) is y and y.tolist() == pytest.approx([1.3, 2.7])


def test_cross_without_dim_takes_the_first_dim_of_size_3_and_warns_as_pytorch():
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare with")
    a, b = rng(11).standard_normal((3, 3)), rng(12).standard_normal((3, 3))
    with pytest.warns(UserWarning, match="dim"):
        ours = minigrad.cross(minigrad.tensor(a), minigrad.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-14)
    np.testing.assert_allclose(ours.numpy(), np.cross(a, b, axis=0), atol=1e-14)
    with pytest.raises(RuntimeError, match="no dimension of size 3"), pytest.warns(UserWarning):
        minigrad.ones(2, 4).cross(minigrad.ones(2, 4))
    with pytest.raises(RuntimeError, match="must have length 3"):
        minigrad.ones(4, 4).cross(minigrad.ones(4, 4), dim=1)
    with pytest.raises(RuntimeError, match="same number of dims"):
        minigrad.ones(4, 3).cross(minigrad.ones(3), dim=-1)


def test_tensor_split_and_repeat_interleave_take_pytorchs_forms():
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare with")
    for spec in (1, 3, 4, 11, [1, 4], [7, 3], [-2, 20], [0, 0, 10]):
        ours, theirs = minigrad.arange(10.0).tensor_split(spec), torch.arange(10.0).tensor_split(spec)
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs], spec
    for spec in (np.array(3), np.array([2, 5])):
        ours = minigrad.tensor_split(minigrad.arange(10.0), minigrad.tensor(spec))
        theirs = torch.tensor_split(torch.arange(10.0), torch.tensor(spec))
        assert [p.tolist() for p in ours] == [p.tolist() for p in theirs], spec
    counts = minigrad.tensor([2, 1, 3])
    assert minigrad.repeat_interleave(counts).tolist() == [0, 0, 1, 2, 2, 2]
    assert minigrad.repeat_interleave(minigrad.tensor([[1, 2], [3, 4]]), 2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    one_count = minigrad.tensor([[1, 2], [3, 4]]).repeat_interleave(minigrad.tensor([2]), dim=1)
    assert one_count.tolist() == [[1, 1, 2, 2], [3, 3, 4, 4]]
    assert minigrad.tensor(3.0).repeat_interleave(2).tolist() == [3.0, 3.0]


def test_unfold_take_and_the_small_attributes():
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare with")
    assert minigrad.arange(7.0).unfold(0, 2, 2).tolist() == torch.arange(7.0).unfold(0, 2, 2).tolist()
    assert minigrad.arange(7.0).unfold(0, 0, 1).shape == tuple(torch.arange(7.0).unfold(0, 0, 1).shape)
    assert minigrad.tensor(5.0).unfold(0, 1, 1).tolist() == torch.tensor(5.0).unfold(0, 1, 1).tolist()
    assert minigrad.tensor(3.0).take(minigrad.tensor(0)).shape == ()
    for values in (np.ones(3, dtype=np.float32), np.ones((2, 3)), np.arange(4), np.array([True, False])):
        ours, theirs = minigrad.tensor(values), torch.tensor(values)
        assert (ours.is_cpu, ours.itemsize, ours.nbytes) == (theirs.is_cpu, theirs.itemsize, theirs.nbytes)
    assert minigrad.ones(3).expand(4, 3).nbytes == torch.ones(3).expand(4, 3).nbytes == 48


@pytest.mark.parametrize(
    ("attempt", "error", "match"),
    [
        (lambda: minigrad.arange(7.0).take(minigrad.tensor([7])), IndexError, "index 7 is out of range"),
        (lambda: minigrad.arange(7.0).take(minigrad.tensor([1.0])), TypeError, "integer tensor"),
        (lambda: minigrad.arange(10.0).tensor_split(0), ValueError, "larger than 0"),
        (lambda: minigrad.arange(10.0).tensor_split(minigrad.tensor([1.5])), TypeError, "integer tensor"),
        (lambda: minigrad.tensor(1.0).tensor_split(1), minigrad.ShapeError, "at least one dim"),
        (lambda: minigrad.arange(7.0).unfold(0, 8, 1), minigrad.ShapeError, "size 8 does not fit"),
        (lambda: minigrad.arange(7.0).unfold(0, 2, 0), ValueError, "step is 0"),
        (lambda: minigrad.arange(7.0).repeat_interleave(-1), ValueError, "non-negative"),
        (lambda: minigrad.arange(7.0).repeat_interleave(minigrad.tensor([1, 2])), minigrad.ShapeError, "2 repeats"),
        (lambda: minigrad.arange(2.0).repeat_interleave(2, output_size=3), ValueError, "output_size=3"),
        (lambda: minigrad.tensor(3.0).diff(), minigrad.ShapeError, "at least one dim"),
        (lambda: minigrad.arange(3.0).diff(n=-1), ValueError, "non-negative"),
        (lambda: minigrad.arange(3.0).diff(prepend=minigrad.tensor(0.0)), minigrad.ShapeError, "prepend and append"),
        (lambda: minigrad.tensor([1]).addcdiv(minigrad.tensor([1]), minigrad.tensor([2])), RuntimeError, "integer"),
    ],
)
def test_bad_arguments_of_the_added_names_say_what_is_wrong(attempt, error, match):
    with pytest.raises(error, match=match):
        attempt()


# ----------------------------------------------------------------------------- top-level function forms


FUNCTIONS = [
    ("add", lambda T, x, y: T.add(x, y, alpha=2)),
    ("sub_keywords", lambda T, x, y: T.sub(input=x, other=y)),
    ("mul_div", lambda T, x, y: T.div(T.mul(x, y), 2.0)),
    ("matmul_keywords", lambda T, x, y: T.matmul(input=x, other=y.T)),
    ("exp_log_abs", lambda T, x, y: T.exp(x) + T.log(T.abs(y) + 1)),
    ("sin_cos", lambda T, x, y: T.sin(x) * T.cos(y)),
    ("sigmoid_tanh_relu", lambda T, x, y: T.sigmoid(x) + T.tanh(y) + T.relu(x)),
    ("logsumexp", lambda T, x, y: T.logsumexp(x, dim=1)),
    ("flatten", lambda T, x, y: T.flatten(T.stack([x, y]), 1)),
    ("sum_mean_dim", lambda T, x, y: T.sum(x, dim=1) + T.mean(y, 1)),
    ("max_dim", lambda T, x, y: T.max(x, 1)),
    ("max_other", lambda T, x, y: T.max(x, y)),
    ("clamp_where", lambda T, x, y: T.where(x > 0, T.clamp(x, max=0.5), y)),
    ("where_scalars", lambda T, x, y: T.where(x > 0, 1.0, 0.0)),
    ("cat_concat", lambda T, x, y: T.cat([x, y], dim=1) + T.concat([y, x], 1)),
    ("hstack_vstack", lambda T, x, y: T.hstack([x, y]).sum() + T.vstack([x, y]).sum()),
    ("einsum_matmul", lambda T, x, y: T.einsum("ij,kj->ik", x, y)),
    ("einsum_batch_ellipsis", lambda T, x, y: T.einsum("...j,...j->...", x, y)),
    ("einsum_implicit", lambda T, x, y: T.einsum("ij,jk", x, y.T)),
    ("addmm", lambda T, x, y: T.addmm(x[:, :3], x, y.T, beta=0.5, alpha=2)),
    ("var_mean", lambda T, x, y: T.var_mean(x, 1)),
    ("std_mean", lambda T, x, y: T.std_mean(x, dim=0, keepdim=True)),
    ("broadcast_tensors", lambda T, x, y: T.broadcast_tensors(x, y[:1])),
    ("meshgrid", lambda T, x, y: T.meshgrid(x[0], y[0], indexing="ij")),
    ("meshgrid_xy", lambda T, x, y: T.meshgrid(x[0], y[0, :3], indexing="xy")),
    ("split", lambda T, x, y: T.split(x, [1, 3], dim=1)),
    ("norm", lambda T, x, y: T.norm(x, 2, 1)),
    ("squeeze_unsqueeze", lambda T, x, y: T.squeeze(T.unsqueeze(x, 0), 0)),
    ("transpose_permute", lambda T, x, y: T.transpose(x, 0, 1) + T.permute(y, (1, 0))),
    ("softmax", lambda T, x, y: T.softmax(x, 1) + T.log_softmax(y, dim=0)),
    ("addcmul_addcdiv", lambda T, x, y: T.addcmul(x, x, y, value=2) + T.addcdiv(input=x, tensor1=y, tensor2=x * x + 1)),
    ("atan2_arctan2", lambda T, x, y: T.atan2(x, y) + T.arctan2(input=y, other=x)),
    ("atan_asin_acos", lambda T, x, y: T.atan(x) + T.asin(y * 0.7) + T.acos(y * 0.7) + T.arccos(input=x * 0.7)),
    ("arctan_arcsin", lambda T, x, y: T.arctan(x) + T.arcsin(y * 0.7)),
    ("fmod", lambda T, x, y: T.fmod(x, 0.7) + T.fmod(input=x, other=-(y.abs() + 0.5))),
    ("nansum", lambda T, x, y: T.nansum(T.where(x > 0, x, math.nan), 1, dtype=x.dtype)),
    ("nanmean", lambda T, x, y: T.nanmean(T.where(y > 0, y, math.nan), dim=1, keepdim=True)),
    ("diff", lambda T, x, y: T.diff(x, 1, 0, prepend=y[:1], append=None)),
    ("tensor_split", lambda T, x, y: T.tensor_split(x, [1, 2], dim=1)),
    ("repeat_interleave", lambda T, x, y: T.repeat_interleave(x, 2, dim=1)),
    ("cross", lambda T, x, y: T.cross(x, y, dim=0)),
    ("take", lambda T, x, y: T.take(x, T.tensor([0, 5, -1]))),
    ("cumprod", lambda T, x, y: T.cumprod(x, 1) + T.cumprod(y, dim=0)),
    ("round", lambda T, x, y: T.round(x, decimals=1) + x),
    ("hypot_xlogy_logaddexp", lambda T, x, y: T.hypot(x, y) + T.xlogy(x, y.abs()) + T.logaddexp(x, other=y)),
    ("inverse_hyperbolic", lambda T, x, y: T.asinh(x) + T.arctanh(y * 0.5) + T.erfc(input=x)),
    (
        "more_elementwise",
        lambda T, x, y: T.copysign(x, y) + T.fmax(x, y) + T.deg2rad(x) + T.sinc(y) + T.logit(T.sigmoid(y)),
    ),
    (
        "matrix_functions",
        lambda T, x, y: (T.inverse(x[:, :3] + 3 * T.eye(3, dtype=x.dtype)), T.det(x[:, 1:]), T.kron(x, y)),
    ),
    (
        "products",
        lambda T, x, y: (T.addmv(x[:, 0], x, y[0]), T.inner(x, y), T.ger(x[0], y[1]), T.matrix_power(x[:, :3], 2)),
    ),
    ("index_and_splits", lambda T, x, y: (T.index_add(x, 1, T.tensor([0, 2]), y[:, :2]), *T.hsplit(x, 2), T.rot90(x))),
]


@pytest.mark.parametrize(("name", "function"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_top_level_function_matches_torch(name, function):
    compare_with_torch(lambda x, y: function(minigrad, x, y), lambda x, y: function(torch, x, y), X, Y, atol=1e-10)


def test_out_writes_into_the_given_tensor_and_refuses_autograd():
    x, y = minigrad.ones(2, 3), minigrad.full((2, 3), 2.0)
    out = minigrad.zeros(2, 3)
    assert minigrad.mul(x, y, out=out) is out and out.tolist() == [[2.0] * 3] * 2
    grown = minigrad.zeros(1)
    minigrad.matmul(x, y.T, out=grown)  # resized, as PyTorch does
    assert grown.shape == (2, 2)
    values, indices = minigrad.zeros(2), minigrad.zeros(2, dtype=minigrad.int64)
    minigrad.max(minigrad.tensor([[1.0, 3.0], [4.0, 2.0]]), 1, out=(values, indices))
    assert values.tolist() == [3.0, 4.0] and indices.tolist() == [1, 0]
    with pytest.raises(RuntimeError, match=r"out=\.\.\. arguments don't support automatic differentiation"):
        minigrad.mul(minigrad.ones(2, requires_grad=True), 2.0, out=minigrad.zeros(2))


def test_checks_and_in_place_forms_are_at_the_top_level_too():
    """``torch.isnan(x)``, ``torch.relu_(x)``, ...: the method on its first argument, as in PyTorch."""
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare with")
    values = np.array([-1.5, 0.0, np.nan, np.inf, 2.25])
    for name in ("isnan", "isinf", "isfinite", "detach"):
        ours, theirs = getattr(minigrad, name)(minigrad.tensor(values)), getattr(torch, name)(torch.tensor(values))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)  # nan equals nan here
    calls = [("relu_", ()), ("fill_", (3.0,)), ("zero_", ()), ("clamp_", (-1.0, 1.0)), ("neg_", ()), ("exp_", ())]
    for name, arguments in calls:
        ours, theirs = minigrad.tensor(values[[0, 1, 4]]), torch.tensor(values[[0, 1, 4]])
        assert getattr(minigrad, name)(ours, *arguments) is ours
        getattr(torch, name)(theirs, *arguments)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=name)


def test_sin_and_cos_have_gradients_at_the_top_level():
    check_gradients(lambda t: minigrad.sin(t) * minigrad.cos(t), X)


# ----------------------------------------------------------------------------- factories


def test_factories_take_pytorchs_keywords():
    for factory in (minigrad.zeros, minigrad.ones, minigrad.empty, minigrad.rand, minigrad.randn):
        t = factory(2, 3, dtype=minigrad.float64, device="cpu", requires_grad=True)
        assert t.shape == (2, 3) and t.dtype == minigrad.float64 and t.requires_grad and t.device == "cpu"
    assert minigrad.zeros((2, 3), device=minigrad.device("cpu")).shape == (2, 3)
    assert minigrad.full((2,), 7.0, device="cpu").tolist() == [7.0, 7.0]
    assert minigrad.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert minigrad.tensor([1, 2], dtype=minigrad.float, device="cpu").dtype == minigrad.float32
    x = minigrad.ones(2, 2)
    for like in (minigrad.zeros_like, minigrad.ones_like, minigrad.rand_like, minigrad.randn_like, minigrad.empty_like):
        assert like(x, dtype=minigrad.float64).dtype == minigrad.float64
    assert minigrad.full_like(x, 3).tolist() == [[3.0, 3.0]] * 2
    assert minigrad.randint_like(x, 5).dtype == minigrad.float32
    assert sorted(minigrad.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    assert minigrad.randint(3, 7, (10,)).array.min() >= 3 and minigrad.randint(5, size=(3,)).shape == (3,)
    assert minigrad.as_tensor(np.arange(3)).tolist() == [0, 1, 2]
    assert minigrad.normal(0.0, 1.0, size=(4,)).shape == (4,) and minigrad.normal(minigrad.zeros(3), 1.0).shape == (3,)
    assert minigrad.bernoulli(minigrad.full((100,), 0.5)).array.sum() > 10
    assert minigrad.multinomial(minigrad.tensor([0.0, 1.0, 0.0]), 2, replacement=True).tolist() == [1, 1]
    assert sorted(minigrad.multinomial(minigrad.tensor([[1.0, 1.0, 1.0]]), 3)[0].tolist()) == [0, 1, 2]


@pytest.mark.parametrize(
    "arguments",
    [(5,), (1, 5), (0, 1, 0.25), (-1.5, 2.3, 0.37), (10, 0, -3), (0.0, 1.0, 0.1), (2.5,)],
)
def test_arange_variants_match_torch(arguments):
    pytest.importorskip("torch")
    ours, theirs = minigrad.arange(*arguments), torch.arange(*arguments)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("arguments", [(-math.pi, math.pi, 2000), (0, 1, 5), (2, 3, 1), (0, 1, 0), (-1.0, 1.0, 7)])
def test_linspace_and_logspace_match_torch(arguments):
    pytest.importorskip("torch")
    np.testing.assert_allclose(minigrad.linspace(*arguments).array, torch.linspace(*arguments).numpy(), atol=3e-7)
    np.testing.assert_allclose(
        minigrad.logspace(*arguments[:2], arguments[2] and 5, base=2.0).array,
        torch.logspace(*arguments[:2], arguments[2] and 5, base=2.0).numpy(),
        rtol=1e-6,
    )


def test_generators_are_seedable_and_passed_to_random_factories():
    a = minigrad.randn(3, generator=minigrad.Generator().manual_seed(4))
    b = minigrad.randn(3, generator=minigrad.Generator().manual_seed(4))
    assert a.tolist() == b.tolist()
    generator = minigrad.manual_seed(1)
    assert isinstance(generator, minigrad.Generator) and minigrad.initial_seed() == 1
    state = minigrad.get_rng_state()
    first = minigrad.rand(2).tolist()
    minigrad.set_rng_state(state)
    assert minigrad.rand(2).tolist() == first


# ----------------------------------------------------------------------------- dtypes


def test_dtype_aliases_are_pytorchs():
    assert minigrad.float is minigrad.float32 and minigrad.double is minigrad.float64
    assert minigrad.long is minigrad.int64 and minigrad.int is minigrad.int32 and minigrad.bool is minigrad.bool_
    assert minigrad.uint8 == np.uint8 and minigrad.int8 == np.int8 and minigrad.short == np.int16
    x = minigrad.tensor([1.5, -2.5])
    assert x.type() == "torch.FloatTensor" and x.double().type() == "torch.DoubleTensor"
    assert x.long().tolist() == [1, -2] and x.int().dtype == minigrad.int32 and x.bool().dtype == minigrad.bool_
    assert x.type(minigrad.float64).dtype == minigrad.float64 and x.type("torch.LongTensor").dtype == minigrad.int64
    assert (
        x.to(minigrad.double).dtype == minigrad.float64
        and x.to(minigrad.ones(1, dtype=minigrad.int64)).dtype == np.int64
    )
    assert x.to("cpu", minigrad.float64).dtype == minigrad.float64 and x.to(dtype=minigrad.float64, copy=True) is not x
    assert x.is_floating_point() and not x.long().is_floating_point() and minigrad.finfo(minigrad.float).eps > 0
    assert (minigrad.tensor([1, 2]) / 2).dtype == minigrad.float32  # int / int is a float, as in PyTorch
    assert x.dtype != minigrad.half and x.dtype in (minigrad.float32, minigrad.float64)


def test_legacy_tensor_types_behave_as_pytorchs():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                 "BoolTensor"):  # fmt: skip
        ours, theirs = getattr(minigrad, name), getattr(torch, name)
        for arguments in [([1.7, 2.0],), ((2, 3),), ([[1, 0], [3, 4]],), (2, 3), ()]:
            made, expected = ours(*arguments), theirs(*arguments)
            assert made.shape == tuple(expected.shape) and made.type() == expected.type()
            if arguments and not isinstance(arguments[0], int):  # data (a shape's contents are not initialised)
                np.testing.assert_array_equal(made.numpy(), expected.numpy())
        x = minigrad.tensor([1.5, -2.5])
        assert x.type(ours).type() == torch.tensor([1.5, -2.5]).type(theirs).type()
        assert isinstance(x.type(ours), ours) and isinstance(x, ours) == (name == "FloatTensor")
    with pytest.raises(TypeError, match="str"):
        minigrad.FloatTensor("a")
    for scalar in (2.5, True):  # data must be a sequence, as in PyTorch
        with pytest.raises(TypeError, match="sequence"):
            minigrad.FloatTensor(scalar)
    wrapping = [([float("nan")], minigrad.LongTensor), ([1e20], minigrad.LongTensor), ([300], minigrad.ByteTensor)]
    for bad, legacy in wrapping:
        with pytest.raises((ValueError, OverflowError)):  # PyTorch refuses too; nothing wraps around silently
            legacy(bad)
    assert minigrad.FloatTensor(np.int64(3)).shape == tuple(torch.FloatTensor(np.int64(3)).shape) == (3,)
    x = minigrad.tensor([1.5, -2.5])
    assert x.type(np.float64).dtype == np.float64 and x.type(np.float32) is x  # numpy's types are dtypes here
    assert minigrad.is_anomaly_enabled() is torch.is_anomaly_enabled() is False


def test_default_dtype_can_be_float64():
    try:
        minigrad.set_default_dtype(minigrad.float64)
        assert minigrad.tensor([1.5]).dtype == minigrad.float64 and minigrad.zeros(2).dtype == minigrad.float64
        assert minigrad.get_default_dtype() == minigrad.float64
    finally:
        minigrad.set_default_dtype(minigrad.float32)
    assert minigrad.tensor([1.5]).dtype == minigrad.float32


# ----------------------------------------------------------------------------- devices


def test_devices_are_the_cpu():
    cpu = minigrad.device("cpu")
    assert (
        cpu == "cpu"
        and cpu.type == "cpu"
        and repr(cpu) == "device(type='cpu')"
        and str(minigrad.device("cpu:0")) == "cpu:0"
    )
    x = minigrad.ones(2)
    assert x.device == cpu and x.to(cpu) is x and x.cpu() is x and x.to("cpu") is x and not x.is_cuda
    model = nn.Linear(2, 2)
    assert model.to(cpu) is model and model.cpu() is model
    assert not minigrad.cuda.is_available() and minigrad.cuda.device_count() == 0
    assert not minigrad.accelerator.is_available() and minigrad.accelerator.current_accelerator() is None
    assert not minigrad.backends.mps.is_available()
    minigrad.backends.cudnn.benchmark = True  # accepted, as training scripts set it
    minigrad.set_default_device("cpu")
    assert minigrad.get_default_device() == "cpu"
    minigrad.cuda.manual_seed_all(0)  # does nothing, as PyTorch's does without a GPU


CPU_SENTENCE = "minigrad runs on the CPU with numpy"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: minigrad.ones(2).to("cuda"),
        lambda: minigrad.ones(2).cuda(),
        lambda: minigrad.zeros(2, device="cuda:0"),
        lambda: minigrad.tensor([1.0], device=minigrad.device("mps")),
        lambda: nn.Linear(2, 2).to("cuda"),
        lambda: nn.Linear(2, 2).cuda(),
        lambda: minigrad.set_default_device("cuda"),
        lambda: minigrad.ones(2).half(),
        lambda: nn.Linear(2, 2).half(),
        lambda: minigrad.zeros(2, dtype=minigrad.float16),
        lambda: minigrad.ones(2).to(minigrad.bfloat16),
        lambda: minigrad.tensor([1 + 2j]),
        lambda: minigrad.zeros(2, dtype=minigrad.complex64),
        lambda: minigrad.zeros(2, layout=minigrad.sparse_coo),
        lambda: minigrad.ones(2).to_sparse(),
        lambda: minigrad.compile(nn.Linear(2, 2)),
        lambda: minigrad.jit.script(nn.Linear(2, 2)),
        lambda: minigrad.sparse_coo_tensor([[0]], [1.0]),
        lambda: minigrad.load(__file__, map_location="cuda"),
        lambda: minigrad.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1, foreach=True),
    ],
)
def test_unsupported_features_raise_not_implemented_error_naming_them(attempt):
    with pytest.raises(NotImplementedError, match=CPU_SENTENCE) as error:
        attempt()
    assert str(error.value).split(" is not supported")[0]  # it starts with the feature's name


def test_names_minigrad_lacks_raise_not_implemented_error_naming_them():
    for missing, name in [
        (lambda: minigrad.nn.LSTM, "torch.nn.LSTM"),
        (lambda: minigrad.nn.functional.interpolate, "torch.nn.functional.interpolate"),
        (lambda: minigrad.optim.LBFGS, "torch.optim.LBFGS"),
        (lambda: minigrad.fft, "torch.fft"),
    ]:
        with pytest.raises(NotImplementedError, match=f"{name} is not implemented in minigrad"):
            missing()
    # every module that python -m minigrad.as_torch maps answers the same way
    from minigrad.as_torch import MODULES

    for torch_module, minigrad_module in MODULES.items():
        with pytest.raises(NotImplementedError, match=f"{torch_module}.NotInMinigrad is not implemented in minigrad"):
            importlib.import_module(minigrad_module).NotInMinigrad  # noqa: B018
    assert not hasattr(minigrad, "compile") and not hasattr(minigrad.nn, "LSTM")  # also AttributeErrors
    with pytest.raises(AttributeError):
        minigrad._private_name  # noqa: B018


def test_zero_sized_layers_warn_like_pytorch_instead_of_dividing_by_zero():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = nn.Linear(0, 3)
    assert layer(minigrad.zeros(4, 0)).shape == (4, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        nn.Linear(3, 0)
    with pytest.warns(UserWarning, match="zero-element"):
        nn.Conv2d(0, 4, 3)
    if torch is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.nn.Linear(0, 3)
        assert any("zero-element" in str(w.message) for w in caught)


# ----------------------------------------------------------------------------- small things programs use


def test_tensor_conveniences():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert f"{x.sum():.2f}" == "10.00" and list(range(minigrad.tensor(3))) == [0, 1, 2]
    assert x.stride() == (2, 1) and x.t().stride(0) == 1 and x.element_size() == 4 and x.nelement() == 4
    assert x.t().is_contiguous() is False and x.t().contiguous().is_contiguous()
    assert minigrad.is_tensor(x) and minigrad.numel(x) == 4 and minigrad.Size([2, 2]) == x.shape
    assert (
        x.new_zeros(2, 3).shape == (2, 3)
        and x.new_ones((1,)).tolist() == [1.0]
        and x.new_full((2,), 5).tolist() == [5.0, 5.0]
    )
    assert x.new_tensor([1, 2]).dtype == minigrad.float32 and x.unique().tolist() == [1.0, 2.0, 3.0, 4.0]
    values, counts = minigrad.tensor([3, 1, 3]).unique(return_counts=True)
    assert values.tolist() == [1, 3] and counts.tolist() == [1, 2]
    assert x.equal(x.clone()) and x.allclose(x + 1e-9) and not x.equal(x.t())
    assert minigrad.Tensor([1, 2]).dtype == minigrad.float32  # torch.Tensor(list) is float, as in PyTorch
    assert minigrad.autograd.Variable(x, requires_grad=True) is x and x.requires_grad


def test_the_torch_module_mapping_resolves_every_submodule_to_minigrads():
    code = (
        "from minigrad import as_torch; as_torch.install()\n"
        "import torch, torch.nn as nn, torch.nn.functional as F, torch.optim as optim\n"
        "from torch.optim.lr_scheduler import StepLR\n"
        "from torch.autograd import Function, Variable, grad, gradcheck, detect_anomaly\n"
        "from torch.autograd.function import once_differentiable\n"
        "from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split\n"
        "from torch.utils.hooks import RemovableHandle\n"
        "import minigrad\n"
        "assert torch is minigrad and nn.Linear is minigrad.nn.Linear and F.relu is minigrad.nn.functional.relu\n"
        "assert isinstance(nn.Linear(1, 1), torch.nn.Module) and optim.SGD is minigrad.optim.SGD\n"
        "assert torch.autograd.Function is Function and torch.utils.data.DataLoader is DataLoader\n"
        "print(torch.nn.init.zeros_(torch.empty(2)).tolist())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=WORKTREE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.0, 0.0]"


def test_as_torch_runs_a_program_file(tmp_path):
    program = tmp_path / "program.py"
    program.write_text("import sys, torch\nprint(torch.__name__, sys.argv[1:], torch.ones(2).sum().item())\n")
    done = subprocess.run(
        [sys.executable, "-m", "minigrad.as_torch", str(program), "--flag"],
        capture_output=True,
        text=True,
        check=False,
        env=WORKTREE,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "minigrad ['--flag'] 2.0"


def test_importing_minigrad_stays_light():
    """torch's namespace is there, but the datasets, the checks and the function machinery of
    torch.utils load only when used."""
    code = (
        "import sys, minigrad\n"
        "loaded = [m for m in sys.modules if m.startswith(('minigrad.data', 'minigrad.checks', 'minigrad.utils.'))]\n"
        "assert not loaded, loaded\n"
        "assert minigrad.utils.data.DataLoader and 'minigrad.data' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=WORKTREE)
    assert done.returncode == 0, done.stderr


PRINTED = [
    np.array([1.0, 1.25]),  # fixed, four decimals
    np.array([[1.5, 2.25], [3.0, -4.0]]),
    np.array([2.0, -3.0, 0.0]),  # whole numbers: "2."
    np.array([1e-5, 1.0]),  # scientific: the smallest is under 1e-4
    np.array([1e9, 1.0]),  # scientific: the largest is over 1e8
    np.array([np.nan, 1.5, np.inf, -np.inf, 0.0]),  # nan, inf and 0 do not widen the column
    np.array(0.5),
    rng(5).standard_normal((3, 40)),  # rows wrap at 80 characters
    rng(6).standard_normal((40, 40)),  # over 1000 numbers: summarised with "..."
    np.arange(2000),
    rng(7).integers(-1000, 1000, (5, 30)),
    np.array([[True, False]]),
    np.zeros((0, 3)),
    np.zeros(0, dtype=np.int64),
    np.array([-0.0, 1.5, -2.0]),  # negative zero prints as -0.
    rng(9).standard_normal((2, 3, 4)),  # 3-d: blank lines between the blocks
]


@pytest.mark.parametrize("values", PRINTED, ids=range(len(PRINTED)))
def test_tensors_print_as_pytorch_prints_them(values):
    """Tutorials print tensors: the same text, up to the module's name in a dtype."""
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare the printed text with")
    for dtype in {values.dtype, *([np.dtype("float32")] if values.dtype == np.float64 else [])}:
        ours = repr(minigrad.tensor(values.astype(dtype))).replace("minigrad.", "")
        theirs = repr(torch.tensor(values.astype(dtype))).replace("torch.", "")
        assert ours == theirs


def test_a_tensor_in_a_graph_prints_its_suffix_as_pytorch_does():
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare the printed text with")
    values = np.array([[1.5, -2.0], [0.25, 3.0]], dtype=np.float32)
    ours, theirs = minigrad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    assert repr(ours) == repr(theirs)
    # the numbers and the layout are PyTorch's; only the node's name differs (<Mul> for <MulBackward0>)
    assert repr(ours * 2).replace("<Mul>", "<MulBackward0>") == repr(theirs * 2)


@pytest.mark.parametrize("options", [{"precision": 2}, {"sci_mode": True}, {"sci_mode": False}, {"profile": "short"}])
def test_set_printoptions_prints_as_pytorch(options):
    if torch is None:
        pytest.skip("PyTorch is not installed: nothing to compare the printed text with")
    values = np.concatenate([rng(8).standard_normal(20), [1e-6]]).astype(np.float32)
    try:
        minigrad.set_printoptions(**options)
        torch.set_printoptions(**options)
        assert repr(minigrad.tensor(values)) == repr(torch.tensor(values))
    finally:
        minigrad.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_erfc_keeps_its_relative_precision_where_it_is_tiny():
    """erfc(10) = 2.1e-45: 1 - erf(x) would be 0 there. Compared with PyTorch to 1e-12 relative."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    x = np.array([-6.0, -2.6, -1.0, 0.0, 0.7, 2.4, 2.6, 5.0, 10.0, 20.0, 26.0])
    np.testing.assert_allclose(minigrad.tensor(x).erfc().array, torch.tensor(x).erfc().numpy(), rtol=1e-12, atol=0)


def test_matrix_functions_refuse_what_has_no_answer():
    singular = minigrad.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(RuntimeError, match=r"inverse: a matrix of shape \(2, 2\) is singular"):
        singular.inverse()
    assert singular.det().item() == 0.0 and singular.logdet().item() == -math.inf  # as PyTorch's
    with pytest.raises(minigrad.ShapeError, match=r"expected square matrices \(\.\.\., n, n\), got shape \(2, 3\)"):
        minigrad.ones(2, 3).det()
    with pytest.raises(RuntimeError, match="expected a floating point tensor"):
        minigrad.tensor([[1, 0], [0, 1]]).inverse()
    with pytest.raises(minigrad.ShapeError, match=r"addmm: input of shape \(3, 3\) does not broadcast"):
        minigrad.ones(3, 3).addmm(minigrad.ones(2, 4), minigrad.ones(4, 2))


def test_index_functions_and_splits_name_what_was_wrong():
    x = minigrad.zeros(3, 2)
    with pytest.raises(IndexError, match=r"index_add: index \[0, 3\] is out of range for dim 0 of size 3"):
        x.index_add(0, minigrad.tensor([0, 3]), minigrad.ones(2, 2))
    with pytest.raises(
        minigrad.ShapeError, match=r"index_copy: source of shape \(2, 3\) does not fit: expected \(2, 2\)"
    ):
        x.index_copy(0, minigrad.tensor([0, 1]), minigrad.ones(2, 3))
    with pytest.raises(TypeError, match="index_fill: index must be a 0-D or 1-D integer tensor"):
        x.index_fill(0, minigrad.tensor([0.5]), 1.0)
    with pytest.raises(RuntimeError, match="hsplit: dim 1 of size 2 can't be split into 3 equal sections"):
        x.hsplit(3)


def test_index_add_in_place_inside_a_graph_differentiates_both_inputs():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    results = []
    for engine in (minigrad, torch):
        x = engine.tensor(X, requires_grad=True)
        source = engine.tensor(Y[:2], requires_grad=True)
        y = x * 1.0
        y.index_add_(0, engine.tensor([2, 2]), source, alpha=-0.5)  # a repeated row: both add into it
        (y * y).sum().backward()
        results.append([np.asarray(t.detach().numpy()) for t in (y, x.grad, source.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


LINALG = [  # torch.linalg's functions, the same call in both engines: (name, function of (linalg, A, x))
    ("inv", lambda L, a, b, x: (L.inv(a), L.inv(b))),
    ("det_slogdet", lambda L, a, b, x: (L.det(a), L.det(b), L.slogdet(a)[1], L.slogdet(b).logabsdet)),
    ("matrix_power", lambda L, a, b, x: (L.matrix_power(a, 3), L.matrix_power(b, -1))),
    ("vector_norm", lambda L, a, b, x: (L.vector_norm(x), L.vector_norm(x, 1, dim=1, keepdim=True),
                                         L.vector_norm(x, math.inf, dim=0), L.vector_norm(x, 3, dim=(0, 1)))),
    ("norms", lambda L, a, b, x: (L.matrix_norm(x), L.norm(x), L.norm(x, dim=1), L.norm(x, "fro"), L.norm(x[0], 3))),
    ("vecdot_cross_matmul", lambda L, a, b, x: (L.vecdot(x, x), L.cross(a, a.flip(0)), L.matmul(a, x))),
]  # fmt: skip


@pytest.mark.parametrize(("name", "function"), LINALG, ids=[f[0] for f in LINALG])
def test_linalg_matches_torch(name, function):
    compare_with_torch(
        lambda a, b, x: function(minigrad.linalg, a, b, x), lambda a, b, x: function(torch.linalg, a, b, x),
        SPD, BATCH_SPD, X, atol=1e-10,
    )  # fmt: skip
    check_gradients(lambda a, b, x: function(minigrad.linalg, a, b, x)[0], SPD, BATCH_SPD, X)


def test_linalg_names_what_it_lacks():
    with pytest.raises(NotImplementedError, match=r"torch\.linalg\.svd"):
        _ = minigrad.linalg.svd
    with pytest.raises(NotImplementedError, match="matrix_norm\\(ord='nuc'\\) is not supported"):
        minigrad.linalg.matrix_norm(minigrad.ones(2, 2), "nuc")


def test_the_new_functions_edge_cases_match_pytorch():
    """What the review of the new functions found, each now as PyTorch does it."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")

    def both(function, *arrays, grad=False):
        ours = [minigrad.tensor(a, requires_grad=grad) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
        return function(minigrad, *ours), function(torch, *theirs), ours, theirs

    def same(a, b):
        np.testing.assert_array_equal(np.asarray(a.detach().numpy()), b.detach().numpy())
        assert np.array_equal(np.signbit(a.detach().numpy()), np.signbit(b.detach().numpy()))

    # norms at zero: gradient 0, not NaN
    for norm in (lambda T, x: T.linalg.vector_norm(x), lambda T, x: T.linalg.matrix_norm(x.reshape(2, 2))):
        ours, theirs, (x,), (t,) = both(norm, np.zeros(4), grad=True)
        ours.backward(), theirs.backward()
        same(x.grad, t.grad)
    # beta = 0 ignores NaN in the input, in the function form too
    nan = np.full((2, 2), np.nan)
    same(*both(lambda T, x: T.addmm(x, T.eye(2, dtype=x.dtype), T.eye(2, dtype=x.dtype), beta=0), nan)[:2])
    # a NaN matrix: NaN determinant, log-determinant and inverse, not 0, -inf and "singular"
    with_nan = np.array([[np.nan, 1.0], [1.0, 1.0]])
    for function in (lambda T, a: T.det(a), lambda T, a: T.logdet(a), lambda T, a: T.linalg.inv(a)):
        same(*both(function, with_nan)[:2])
    # logdet of a negative determinant: NaN with gradient 0
    ours, theirs, (a,), (t,) = both(lambda T, m: T.logdet(m), np.array([[0.0, 1.0], [1.0, 0.0]]), grad=True)
    ours.backward(), theirs.backward()
    same(a.grad, t.grad)
    # rot90 and matrix_power(A, 1) are new tensors: changing them leaves A alone
    a = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    a.rot90(2).add_(1), a.rot90(0).add_(1), a.matrix_power(1).add_(1)
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    # index_fill keeps the input's dtype; index_add refuses negative indices, as PyTorch
    same(*both(lambda T, x: T.index_fill(x, 0, T.tensor([0]), 2.7), np.array([1, 2, 3]))[:2])
    with pytest.raises(IndexError, match="out of range"):
        minigrad.zeros(3).index_add(0, minigrad.tensor([-1]), minigrad.ones(1))
    # copysign of -0.0 takes the sign of the other
    same(*both(lambda T, x, y: T.copysign(x, y), np.array([-0.0, -0.0, 0.0]), np.array([1.0, -1.0, -2.0]))[:2])
    # a singular matrix raises torch.linalg.LinAlgError's twin, a RuntimeError
    with pytest.raises(minigrad.linalg.LinAlgError, match="singular"):
        minigrad.linalg.inv(minigrad.tensor([[1.0, 2.0], [2.0, 4.0]]))
