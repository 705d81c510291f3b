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
    with pytest.raises(RuntimeError, match=r"a leaf Variable that requires grad is being used in an in-place operation"):
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
