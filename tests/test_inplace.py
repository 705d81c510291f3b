"""In-place operations (x += y, x[i] = v, x.add_(y), ...) and the version counter that keeps
them from corrupting gradients: PyTorch's rules, checked one by one, and against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim


def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_grad_mode_is_on():
    """PyTorch's rule and message. (Until issue 8, minigrad refused every in-place op that touched
    autograd; now only this case is refused, and the others are recorded, as in PyTorch.)"""
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"a leaf Variable that requires grad is being used in an in-place operation"
    ):
        w -= 1
    with pytest.raises(RuntimeError, match=r"a leaf Variable that requires grad"):
        w.zero_()
    with pytest.raises(RuntimeError, match=r"a view of a leaf Variable that requires grad"):
        w[0:1].mul_(2)
    np.testing.assert_array_equal(w.array, [1.0, 2.0])  # nothing changed


def test_in_place_on_a_plain_tensor_with_an_operand_that_requires_grad_is_recorded():
    """As in PyTorch: the plain tensor becomes a node of the graph."""
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    plain = minigrad.tensor([3.0, 4.0])
    plain *= w
    assert plain.requires_grad and not plain.is_leaf
    plain.sum().backward()
    np.testing.assert_array_equal(w.grad.array, [3.0, 4.0])  # d(plain_old * w)/dw: the old values


def test_manual_sgd_under_no_grad_updates_the_model_itself():
    minigrad.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = minigrad.randn(16, 3), minigrad.randn(16, 1)
    losses = []
    for _ in range(20):
        model.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        with minigrad.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad  # in place: the model's own parameter changes
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_operators_change_data_in_place():
    t = minigrad.tensor([2.0, 4.0])
    data = t.array
    t += 1
    t *= 2
    t /= 3
    t -= minigrad.tensor([1.0, 1.0])
    assert t.array is data
    np.testing.assert_allclose(t.array, [1.0, 7.0 / 3.0])


def test_backward_refuses_a_graph_whose_saved_tensor_changed_in_place():
    x = minigrad.tensor([3.0, 4.0], requires_grad=True)
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * w).sum()
    with minigrad.no_grad():
        w -= 1
    with pytest.raises(RuntimeError, match=r"Mul saved for backward .* modified in place"):
        y.backward()


def test_optimizer_step_before_backward_is_caught_through_a_view():
    """Linear saves weight.T, a view of the weight: the view shares the weight's version."""
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad = minigrad.ones_like(p)
    loss = model(minigrad.randn(4, 2)).sum()
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_a_detached_tensor_shares_the_version_of_its_source():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    alias = w.detach()
    alias += 1  # allowed: alias does not require grad; but it is w's memory
    np.testing.assert_array_equal(w.array, [2.0, 3.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_changes_after_backward_are_fine_and_load_state_dict_counts_as_a_change():
    model = nn.Linear(2, 1)
    loss = model(minigrad.randn(4, 2)).sum()
    loss.backward(retain_graph=True)
    model.load_state_dict(nn.Linear(2, 1).state_dict())
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_in_place_errors_name_shape_and_dtype():
    counts = minigrad.tensor([1, 2])
    with pytest.raises(ValueError, match=r"x \+= y on shape \(2,\), dtype int64"):
        counts += 0.5
    with pytest.raises(ValueError, match=r"x \+= y on shape \(2,\)"):
        minigrad.ones(2).__iadd__(minigrad.ones(3))


# ----------------------------------------------------------------------------- recorded in the graph, as in PyTorch


def _both(program, *arrays):
    """Run ``program(T, *tensors)`` on minigrad and on PyTorch (float64 leaves that require
    grad), and compare the result and the gradients of its sum."""
    torch = pytest.importorskip("torch")
    results = []
    for T in (minigrad, torch):  # noqa: N806 (T: the torch module or minigrad)
        leaves = [T.tensor(a, dtype=T.float64, requires_grad=True) for a in arrays]
        out = program(T, *leaves)
        out.sum().backward()
        results.append(
            [out.detach().numpy() if T is torch else out.detach().array]
            + [leaf.grad.numpy() if T is torch else leaf.grad.array for leaf in leaves]
        )
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def micrograd_more_ops(T, a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


IN_PLACE_PROGRAMS = {
    "micrograd c += c + 1": (micrograd_more_ops, [-4.0], [2.0]),
    "methods on a result": (
        lambda T, x: (x * 2).add_(x, alpha=3).mul_(x).sub_(1).div_(2).clamp_(-1, 5).pow_(2),
        [0.5, -1.0, 2.0],
    ),
    "activations in place": (
        lambda T, x: (x * 1).add_(x).relu_() + (x * 3).sigmoid_() + (x * 2).tanh_() + (x / 2).exp_(),
        [0.5, -1.0, 2.0],
    ),
    "copy from a view of itself": (lambda T, x: _setitem(x * 2, 0, None) * x, [1.0, 2.0, 3.0]),
    "setitem with a number": (lambda T, x: _setitem(x * 2, 0, 5.0), [1.0, 2.0, 3.0]),
    "setitem with a tensor": (lambda T, x, y: _setitem(x * 1, slice(1, 3), y * y), [1.0, 2.0, 3.0], [4.0, 5.0]),
    "setitem with a mask": (lambda T, x: _setitem(x * 1, x.detach() > 1.5, 0.0), [1.0, 2.0, 3.0]),
    "masked augmented assignment": (lambda T, x: _add_at(x * 3, x.detach() > 1.5, x[0]), [1.0, 2.0, 3.0]),
    "through a view": (lambda T, x: _view_changed(x * 1), [[1.0, 2.0], [3.0, 4.0]]),
    "through a transposed view": (lambda T, x: _transposed_changed(x * 1), [[1.0, 2.0], [3.0, 4.0]]),
    "fill_ zero_ copy_": (
        lambda T, x, y: (x * 1).fill_(2.0) * x + (x * 1).zero_() + (x * 1).copy_(y * 2),
        [1.0, 2.0],
        [3.0, -1.0],
    ),
    "masked_fill_": (lambda T, x: (x * 2).masked_fill_(x.detach() > 1.5, -1.0) * x, [1.0, 2.0, 3.0]),
    "plain tensor, graph operand": (lambda T, x: _plain_plus(T, x), [1.0, 2.0]),
    "addcmul_ addcdiv_": (
        lambda T, x, y: (x * 1).addcmul_(x, y, value=0.5).addcdiv_(y, x + 3, value=2),
        [1.0, 2.0],
        [0.5, 3.0],
    ),
}


def _setitem(h, index, value):
    h[index] = h[1] if value is None else value  # None: a view of h itself, as in h[0] = h[1]
    return h


def _add_at(h, index, value):
    h[index] += value
    return h


def _view_changed(h):
    row = h[1]
    row.mul_(10)  # changes h too
    return h * h


def _transposed_changed(h):
    h.t()[0] += 1  # column 0 of h
    return h * h


def _plain_plus(T, x):
    plain = T.ones(2, dtype=T.float64)
    plain += x * x
    return plain * x


@pytest.mark.parametrize("name", sorted(IN_PLACE_PROGRAMS))
def test_in_place_changes_inside_the_graph_differentiate_as_in_pytorch(name):
    program, *arrays = IN_PLACE_PROGRAMS[name]
    _both(program, *arrays)


def test_micrograd_test_gives_micrograds_numbers():
    a = minigrad.tensor([-4.0], dtype=minigrad.float64, requires_grad=True)
    b = minigrad.tensor([2.0], dtype=minigrad.float64, requires_grad=True)
    g = micrograd_more_ops(minigrad, a, b)
    g.backward()
    # micrograd's test_more_ops: g = 24.70408163265306, dg/da = 138.83381924198252, dg/db = 645.5772594752186
    assert abs(g.item() - 24.70408163265306) < 1e-12
    assert abs(a.grad.item() - 138.83381924198252) < 1e-10 and abs(b.grad.item() - 645.5772594752186) < 1e-10


def test_a_saved_tensor_changed_in_place_is_still_refused():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h  # Mul saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul saved for backward .* modified in place"):
        y.sum().backward()
    row = x * 1
    first = row[0]  # a view of row
    doubled = first * first  # Mul saves the view
    row.add_(1)  # changes the view's values too
    with pytest.raises(RuntimeError, match="modified in place"):
        doubled.backward()


def test_in_place_outside_the_graph_just_works():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with minigrad.no_grad():
        w.add_(1).mul_(2)
        w[0] = 0.0
        w.clamp_(max=5).zero_()
    assert w.is_leaf and w.tolist() == [0.0, 0.0]
    (w * 3).sum().backward()
    w.grad.zero_()  # a grad is a plain tensor
    w.data.add_(5)  # .data is outside the graph
    w.data -= 1
    assert w.tolist() == [4.0, 4.0] and w.grad.tolist() == [0.0, 0.0]
    counts = minigrad.zeros(3, dtype=minigrad.int64)
    counts[minigrad.tensor([0, 2])] += 1
    assert counts.tolist() == [1, 0, 1]


def test_in_place_keeps_the_dtype_and_shape_as_pytorch_does():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True) * 1
    with pytest.raises(ValueError, match="does not fit in place in shape"):
        x.add_(minigrad.ones(3, 2))
    ints = minigrad.tensor([1, 2])
    with pytest.raises(ValueError, match=r"x \+= y on shape \(2,\), dtype int64"):
        ints += 0.5
    doubles = minigrad.zeros(2, dtype=minigrad.float64) + minigrad.tensor([1.0, 1.0], requires_grad=True)
    doubles += minigrad.ones(2)  # a float32 operand is cast to the tensor's float64
    assert doubles.dtype == minigrad.float64
