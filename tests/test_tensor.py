"""The Tensor API: attributes, conversions, repr, factories, dtype rules, PyTorch names
with numpy aliases, operator overloads and indexing."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, nn

# ----------------------------------------------------------------------------- attributes


def test_attributes() -> None:
    x = minigrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert isinstance(x.array, np.ndarray)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == minigrad.float32
    assert x.grad is None and not x.requires_grad
    assert x.is_leaf and x.grad_fn is None
    y = x.requires_grad_() * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None


def test_size_and_numel() -> None:
    x = minigrad.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4)
    assert x.size(0) == 2 and x.size(-1) == 4 and x.size(dim=1) == 3
    assert x.numel() == 24 and isinstance(x.numel(), int)
    assert minigrad.tensor(5.0).numel() == 1 and minigrad.tensor(5.0).size() == ()
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        x.size(3)


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad() -> None:
    x = minigrad.tensor([1.0, 2.0])
    x.numpy()[0] = 7.0
    assert x.array[0] == 7.0
    x.requires_grad_()
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [7.0, 2.0])


def test_item_float_int_bool() -> None:
    x = minigrad.tensor([2.5])
    assert x.item() == 2.5 and isinstance(x.item(), float)
    assert minigrad.tensor(3).item() == 3 and isinstance(minigrad.tensor(3).item(), int)
    assert float(x) == 2.5 and int(minigrad.tensor(3)) == 3
    assert bool(minigrad.tensor(1.0)) and not bool(minigrad.tensor([0.0]))
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        minigrad.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(minigrad.tensor([1.0, 2.0]))


def test_detach_shares_data_and_leaves_the_graph() -> None:
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    d = x.detach()
    assert d.array is x.array


def test_requires_grad_() -> None:
    x = minigrad.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert not x.requires_grad_(False).requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        (minigrad.tensor([1.0], requires_grad=True) * 2).requires_grad_(False)


def test_retain_grad_needs_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        minigrad.tensor([1.0]).retain_grad()


def test_double_and_float() -> None:
    x = minigrad.tensor([1.5, 2.5])
    assert x.double().dtype == minigrad.float64
    assert x.double().float().dtype == minigrad.float32
    np.testing.assert_array_equal(x.double().array, [1.5, 2.5])
    assert x.float() is x  # already float32: no copy, no op


def test_repr() -> None:
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minigrad.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(minigrad.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<Mul>)"
    assert repr(minigrad.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(minigrad.tensor(np.array([1.5]))) == "tensor([1.5000], dtype=minigrad.float64)"
    assert repr(minigrad.tensor(3.0)) == "tensor(3.)"
    assert repr(minigrad.zeros(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])"


def test_len_and_iteration() -> None:
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, Tensor) for r in rows)
    np.testing.assert_array_equal(rows[1].array, [3.0, 4.0])
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    with pytest.raises(TypeError, match="0-d"):
        len(minigrad.tensor(1.0))


# ----------------------------------------------------------------------------- factories


def test_tensor_copies_its_data() -> None:
    source = np.array([1.0, 2.0])
    x = minigrad.tensor(source)
    source[0] = 9.0
    np.testing.assert_array_equal(x.array, [1.0, 2.0])
    assert minigrad.tensor([1.0], requires_grad=True).requires_grad
    assert minigrad.tensor([1, 2], dtype=minigrad.float64).dtype == minigrad.float64


@pytest.mark.parametrize("factory", [minigrad.zeros, minigrad.ones])
def test_zeros_and_ones(factory: object) -> None:
    value = 0.0 if factory is minigrad.zeros else 1.0
    for x in (factory(2, 3), factory((2, 3)), factory([2, 3])):
        assert x.shape == (2, 3) and x.dtype == minigrad.float32
        assert (x.array == value).all()
    assert factory(2, dtype=minigrad.int64).dtype == minigrad.int64
    assert factory(2, requires_grad=True).requires_grad
    assert factory().shape == ()


def test_full() -> None:
    x = minigrad.full((2, 3), 7.5)
    assert x.shape == (2, 3) and x.dtype == minigrad.float32 and (x.array == 7.5).all()
    assert minigrad.full((2,), 7).dtype == minigrad.int64  # the dtype follows the value
    assert minigrad.full((2,), True).dtype == minigrad.bool_
    assert minigrad.full((2,), 1, dtype=minigrad.float64).dtype == minigrad.float64


def test_arange() -> None:
    assert minigrad.arange(5).tolist() == [0, 1, 2, 3, 4] and minigrad.arange(5).dtype == minigrad.int64
    assert minigrad.arange(1, 5, 2).tolist() == [1, 3]
    x = minigrad.arange(0.0, 1.0, 0.25)
    assert x.dtype == minigrad.float32 and x.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert minigrad.arange(3, dtype=minigrad.float64).dtype == minigrad.float64


def test_randn_and_rand() -> None:
    x = minigrad.randn(200, 50)
    assert x.shape == (200, 50) and x.dtype == minigrad.float32
    assert abs(x.array.mean()) < 0.05 and abs(x.array.std() - 1) < 0.05
    u = minigrad.rand((200, 50), dtype=minigrad.float64)
    assert u.dtype == minigrad.float64 and u.array.min() >= 0 and u.array.max() < 1
    assert abs(u.array.mean() - 0.5) < 0.05
    assert minigrad.randn(3, requires_grad=True).requires_grad


def test_manual_seed_makes_random_numbers_reproducible() -> None:
    minigrad.manual_seed(123)
    first = (minigrad.randn(4).array, minigrad.rand(4).array)
    minigrad.manual_seed(123)
    second = (minigrad.randn(4).array, minigrad.rand(4).array)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    minigrad.manual_seed(124)
    assert not np.array_equal(minigrad.randn(4).array, first[0])


def test_zeros_like_and_ones_like() -> None:
    x = minigrad.tensor(np.arange(6.0).reshape(2, 3))  # float64
    z, o = minigrad.zeros_like(x), minigrad.ones_like(x)
    assert z.shape == o.shape == (2, 3) and z.dtype == o.dtype == minigrad.float64
    assert (z.array == 0).all() and (o.array == 1).all()
    assert minigrad.zeros_like(x, dtype=minigrad.int64).dtype == minigrad.int64
    assert minigrad.ones_like(x, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- dtype rules


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([1, 2.5], np.float32),
        ([[1.0], [2.0]], np.float32),
        (3, np.int64),
        ([1, 2], np.int64),
        ([True, False], np.bool_),
        (np.array([1.0]), np.float64),
        (np.array([1.0], dtype=np.float16), np.float16),
        (np.array([1], dtype=np.int32), np.int32),
        (np.float32(2.0), np.float32),
    ],
)
def test_dtype_of_new_tensors(data: object, dtype: type) -> None:
    assert minigrad.tensor(data).dtype == np.dtype(dtype)


def test_float64_end_to_end() -> None:
    x = minigrad.tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
    out = ((x @ x).tanh().softmax(-1) * 0.5 + 1).log().mean() - x.var() / 3
    assert out.dtype == minigrad.float64
    out.backward()
    assert x.grad.dtype == minigrad.float64


@pytest.mark.parametrize(
    ("op", "dtype"),
    [
        (lambda x: x * 0.5, np.float32),
        (lambda x: 0.5 * x, np.float32),
        (lambda x: x + 2, np.float32),
        (lambda x: x / 3, np.float32),
        (lambda x: x**2.0, np.float32),
        (lambda x: x * np.float64(2.0), np.float32),  # a numpy scalar is a Python float
        (lambda x: x * minigrad.tensor(np.array([2.0])), np.float64),  # the wider float wins
        (lambda x: x * minigrad.tensor([2]), np.float32),  # a float wins over an int
    ],
)
def test_float32_stays_float32_with_python_numbers(op: object, dtype: type) -> None:
    assert op(minigrad.tensor([1.0, 2.0])).dtype == np.dtype(dtype)


def test_integer_tensors() -> None:
    i = minigrad.tensor([1, 2])
    assert (i + 1).dtype == minigrad.int64 and (i * i).dtype == minigrad.int64
    assert (i * 0.5).dtype == minigrad.float32  # an int tensor times a float is float32
    assert (i / minigrad.tensor([2, 2])).dtype == minigrad.float32  # true division
    np.testing.assert_array_equal((i / 2).array, [0.5, 1.0])
    assert (minigrad.tensor(np.array([1], dtype=np.int32)) + i).dtype == minigrad.int64
    with pytest.raises(RuntimeError, match="only floating point"):
        i.requires_grad_()


# ----------------------------------------------------------------------------- PyTorch names, numpy aliases


def test_reductions_accept_numpy_axis_and_keepdims() -> None:
    data = np.arange(24.0).reshape(2, 3, 4)
    x = minigrad.tensor(data)
    np.testing.assert_array_equal(x.sum(dim=1, keepdim=True).array, data.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(x.sum(axis=(0, 2), keepdims=True).array, data.sum(axis=(0, 2), keepdims=True))
    np.testing.assert_array_equal(x.sum(axis=-1).array, data.sum(axis=-1))
    np.testing.assert_allclose(x.mean(axis=0, keepdims=True).array, data.mean(axis=0, keepdims=True))
    np.testing.assert_allclose(x.var(axis=2, keepdims=True).array, data.var(axis=2, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.var(dim=2, correction=0).array, data.var(axis=2))
    np.testing.assert_array_equal(x.max(axis=1).values.array, data.max(axis=1))
    np.testing.assert_array_equal(x.min(axis=1).indices.array, data.argmin(axis=1))
    assert x.sum().shape == () and x.sum().item() == data.sum()


def test_movement_methods() -> None:
    data = np.arange(24.0).reshape(2, 3, 4)
    x = minigrad.tensor(data)
    assert x.reshape(6, 4).shape == x.reshape((6, 4)).shape == x.view(-1, 4).shape == (6, 4)
    assert x.permute(2, 0, 1).shape == x.permute((2, 0, 1)).shape == (4, 2, 3)
    np.testing.assert_array_equal(x.transpose(0, 2).array, data.transpose(2, 1, 0))
    np.testing.assert_array_equal(x.T.array, data.T)
    np.testing.assert_array_equal(x.mT.array, data.swapaxes(-1, -2))
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 3, 4) and x.squeeze(0).shape == (2, 3, 4)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert minigrad.tensor([1.0]).expand(2, 3).shape == (2, 3)
    assert x[:, :1].expand(-1, 5, -1).shape == (2, 5, 4)
    with pytest.raises(RuntimeError, match=r"shape \[5, -1\] is invalid for a tensor of shape \(2, 3, 4\)"):
        x.reshape(5, -1)
    with pytest.raises(ValueError, match="not a permutation"):
        x.permute(0, 0, 1)


# ----------------------------------------------------------------------------- operators

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY)
def test_operators_with_numbers_on_either_side(op: object) -> None:
    data = np.array([0.5, 1.0, 2.0])
    x = minigrad.tensor(data)
    np.testing.assert_allclose(op(x, 1.5).array, op(data, 1.5).astype(np.float32))
    np.testing.assert_allclose(op(1.5, x).array, op(1.5, data).astype(np.float32))
    np.testing.assert_allclose(op(x, x).array, op(data, data))


@pytest.mark.parametrize("op", [*BINARY, operator.matmul])
def test_numpy_array_on_the_left(op: object) -> None:
    """``ndarray (op) Tensor`` gives a Tensor (numpy defers to our reflected operators),
    and the gradient flows to the tensor."""
    left, right = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, 1.5], [2.0, 1.0]])
    x = minigrad.tensor(right, requires_grad=True)
    out = op(left, x)
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.array, op(left, right))
    out.sum().backward()
    assert x.grad.shape == (2, 2)


def test_neg_and_matmul_operators() -> None:
    a = minigrad.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal((-a).array, -a.array)
    np.testing.assert_array_equal((a @ a).array, a.array @ a.array)
    np.testing.assert_array_equal(a.matmul(a).array, a.array @ a.array)
    np.testing.assert_array_equal((a @ [1.0, 1.0]).array, [3.0, 7.0])
    np.testing.assert_array_equal(([1.0, 1.0] @ a).array, [4.0, 6.0])


@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne])
def test_comparison_operators(op: object) -> None:
    data = np.array([1.0, 2.0, 3.0])
    x = minigrad.tensor(data, requires_grad=True)
    for other in (2.0, minigrad.tensor(np.array([3.0, 2.0, 1.0])), np.array([3.0, 2.0, 1.0])):
        out = op(x, other)
        expected = op(data, other.array if isinstance(other, Tensor) else other)
        assert isinstance(out, Tensor) and out.dtype == minigrad.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.array, expected)


def test_boolean_operators() -> None:
    a, b = minigrad.tensor([True, True, False]), minigrad.tensor([True, False, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, False]
    assert (~a).tolist() == [False, False, True]
    assert (a & b).any().item() and not (a & b).all().item()


def test_indexing() -> None:
    data = np.arange(24.0).reshape(2, 3, 4)
    x = minigrad.tensor(data)
    for index in [
        0,
        -1,
        (1, 2),
        (1, 2, 3),
        slice(1, None),
        (slice(None), slice(None, None, 2)),
        (Ellipsis, 0),
        (None, 0),
        ([0, 1, 1],),
        (slice(None), [2, 0]),
        data > 10,
    ]:
        np.testing.assert_array_equal(x[index].array, data[index])
    np.testing.assert_array_equal(x[minigrad.tensor([1, 0])].array, data[[1, 0]])
    np.testing.assert_array_equal(x[x > 10].array, data[data > 10])
    np.testing.assert_array_equal(x[minigrad.tensor([0, 1]), minigrad.tensor([2, 0])].array, data[[0, 1], [2, 0]])


def test_shape_errors_are_both_value_and_runtime_errors():
    with pytest.raises(RuntimeError, match=r"Add: shapes \(2, 3\) and \(4,\) do not broadcast"):
        minigrad.ones(2, 3) + minigrad.ones(4)
    with pytest.raises(ValueError, match=r"Mul: shapes \(2, 3\) and \(4,\)"):
        minigrad.ones(2, 3) * minigrad.ones(4)
    with pytest.raises(minigrad.ShapeError, match=r"batch dims of shapes \(7, 2, 3\) and \(5, 3, 2\)"):
        minigrad.ones(7, 2, 3) @ minigrad.ones(5, 3, 2)
    with pytest.raises(RuntimeError, match="one element"):
        minigrad.ones(2).item()


def test_sum_over_empty_dims_reduces_everything():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=()).item() == 10.0


def test_every_reduction_takes_numpy_names():
    x = minigrad.tensor(np.arange(12.0).reshape(3, 4))
    assert x.max(axis=1, keepdims=True).values.shape == (3, 1)
    assert x.amax(axis=1).shape == (3,) and x.amin(axis=0).shape == (4,)
    assert x.std(axis=0).shape == (4,) and x.var(axis=0, keepdims=True).shape == (1, 4)
    assert x.argmax(axis=1).tolist() == [3, 3, 3]
    assert x.softmax(axis=1).shape == x.log_softmax(axis=1).shape == (3, 4)
    assert x.logsumexp(axis=1).shape == (3,)


def test_small_dtype_and_shape_rules_follow_pytorch():
    assert (minigrad.tensor([True, False]) + 1).tolist() == [2, 1]
    with pytest.raises(RuntimeError, match="-1 is not allowed for the new leading dims"):
        minigrad.randn(3).expand(-1, 3)
    assert minigrad.randint(10, (3,)).shape == (3,) and minigrad.randint(2, 5, (2,)).dtype == minigrad.int64


def test_to_cpu_is_a_no_op_and_other_devices_are_refused():
    model = nn.Linear(2, 2)
    x = minigrad.ones(2)
    assert model.to("cpu") is model and x.to("cpu") is x
    with pytest.raises(
        NotImplementedError, match="device 'cuda:0' is not supported: minigrad runs on the CPU with numpy"
    ):
        x.to("cuda:0")
    with pytest.raises(NotImplementedError, match="minigrad runs on the CPU with numpy"):
        model.to("cuda")
    assert model.to(minigrad.float64).weight.dtype == minigrad.float64


def test_data_is_a_detached_tensor_sharing_memory_and_array_is_the_numpy_array():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    assert isinstance(w.array, np.ndarray) and isinstance(w.data, Tensor)
    assert not w.data.requires_grad and w.data.array is w.array
    w.data -= 0.5 * w.grad  # the old PyTorch idiom: an update outside the graph, in grad mode
    np.testing.assert_array_equal(w.array, [0.0, 0.0])
    w.data = minigrad.tensor([3.0, 4.0])
    assert w.tolist() == [3.0, 4.0] and w.requires_grad
    np.testing.assert_array_equal(np.asarray(w.detach()), [3.0, 4.0])  # numpy reads tensors via __array__
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(w)
