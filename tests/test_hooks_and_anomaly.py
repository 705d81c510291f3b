"""Hooks (tensor and module, forward and backward), the graph API (grad_fn.name(),
next_functions), and anomaly mode, compared with PyTorch where it has the same thing."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn

# ----------------------------------------------------------------------------- tensor hooks


def test_a_tensor_hook_sees_the_gradient_and_may_replace_it():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []
    h.register_hook(lambda grad: seen.append(grad.tolist()))
    handle = h.register_hook(lambda grad: grad * 10)
    (h * h).sum().backward()
    assert seen == [[6.0, 12.0]]  # run in order: the first one sees the gradient before the second changes it
    assert x.grad.tolist() == [180.0, 360.0]
    handle.remove()
    x.grad = None
    (x * 3 * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_a_hook_on_a_leaf_runs_before_the_gradient_is_stored():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with x.register_hook(lambda grad: grad.clamp(max=1)):
        (x * x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        minigrad.ones(2).register_hook(print)


def test_tensor_hooks_match_torch_under_grad_and_create_graph():
    torch = pytest.importorskip("torch")
    results = []
    for T in (minigrad, torch):  # noqa: N806 (T: the torch module or minigrad)
        x = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
        h = x.sin() * x
        h.register_hook(lambda grad: grad * grad)
        (g,) = T.autograd.grad((h * 2).sum(), x, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), x)
        results.append((g.detach().numpy() if T is torch else g.array, gg.numpy() if T is torch else gg.array))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ----------------------------------------------------------------------------- module hooks


def _model(module):
    layers = module.nn.Sequential(module.nn.Linear(3, 4), module.nn.Tanh(), module.nn.Linear(4, 2))
    values = np.random.default_rng(0)
    with module.no_grad():
        for p in layers.parameters():
            p.copy_(module.tensor(values.uniform(-1, 1, tuple(p.shape)), dtype=module.float32))
    return layers


def test_module_hooks_see_what_pytorchs_see():
    torch = pytest.importorskip("torch")
    records = []
    for T in (minigrad, torch):  # noqa: N806 (T: the torch module or minigrad)
        model = _model(T)
        seen: dict[str, list] = {"pre": [], "forward": [], "backward": [], "backward_pre": []}
        for layer in model:
            layer.register_forward_pre_hook(lambda m, args, s=seen: s["pre"].append(args[0].sum().item()))
            layer.register_forward_hook(lambda m, args, out, s=seen: s["forward"].append(out.sum().item()))
            layer.register_full_backward_pre_hook(
                lambda m, grad_out, s=seen: s["backward_pre"].append(grad_out[0].sum().item())
            )
            layer.register_full_backward_hook(
                lambda m, grad_in, grad_out, s=seen: s["backward"].append(
                    (None if grad_in[0] is None else grad_in[0].sum().item(), grad_out[0].sum().item())
                )
            )
        x = T.tensor(np.random.default_rng(1).standard_normal((5, 3)), dtype=T.float32, requires_grad=True)
        model(x).pow(2).sum().backward()
        records.append((seen, x.grad.sum().item()))
    (ours, our_grad), (theirs, their_grad) = records
    assert our_grad == pytest.approx(their_grad, rel=1e-5)
    for kind in ours:
        assert len(ours[kind]) == len(theirs[kind]) == 3, kind
        np.testing.assert_allclose(np.array(ours[kind], dtype=float), np.array(theirs[kind], dtype=float), rtol=1e-5)


def test_hooks_may_change_inputs_outputs_and_gradients_and_can_be_removed():
    layer = nn.Linear(2, 1)
    x = minigrad.ones(1, 2, requires_grad=True)
    handle = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    doubled = layer(x)
    handle.remove()
    assert doubled.item() == pytest.approx(layer(x * 2).item())
    with layer.register_forward_hook(lambda module, args, out: out * 0):
        assert layer(x).item() == 0.0
    with layer.register_full_backward_hook(lambda module, grad_in, grad_out: (grad_in[0] * 0,)):
        layer(x).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0]] and layer.weight.grad is not None
    x.grad = None
    layer(x).sum().backward()  # the hook is gone
    assert x.grad.abs().sum().item() > 0


def test_a_backward_hook_on_the_first_layer_gets_none_for_data_that_needs_no_gradient():
    layer = nn.Linear(2, 2)
    calls = []
    layer.register_full_backward_hook(lambda module, grad_in, grad_out: calls.append((grad_in, grad_out[0].shape)))
    layer(minigrad.ones(3, 2)).sum().backward()
    assert calls == [((None,), (3, 2))]


# ----------------------------------------------------------------------------- the graph


def test_grad_fn_name_and_next_functions_lead_to_the_leaves():
    x = minigrad.tensor([1.0], requires_grad=True)
    w = minigrad.tensor([2.0])
    y = (x * w).exp()
    assert y.grad_fn.name() == "Exp" and repr(y.grad_fn) == "<Exp>"
    ((mul, _),) = y.grad_fn.next_functions
    assert mul.name() == "Mul"
    (accumulate, _), (constant, _) = mul.next_functions
    assert accumulate.name() == "AccumulateGrad" and accumulate.variable is x and constant is None
    assert x.grad_fn is None


# ----------------------------------------------------------------------------- anomaly mode


def test_anomaly_mode_is_off_by_default_and_a_nan_then_trains_silently():
    assert not minigrad.autograd.is_anomaly_enabled()
    x = minigrad.tensor([0.0], requires_grad=True)
    with np.errstate(all="ignore"):
        loss = (x / x).sum()
        loss.backward()
    assert np.isnan(loss.item())


def test_anomaly_mode_names_the_op_whose_forward_made_a_nan_and_the_line_that_ran_it():
    x = minigrad.tensor([0.0, 1.0], requires_grad=True)
    with (
        np.errstate(all="ignore"),
        minigrad.autograd.detect_anomaly(),
        pytest.raises(RuntimeError, match=r"Div produced nan from finite inputs .*test_hooks_and_anomaly.py, line \d+"),
    ):
        (x / x).sum()
    assert not minigrad.autograd.is_anomaly_enabled()  # the context restores the mode


def test_anomaly_mode_names_the_layer_a_nan_in_the_data_first_reaches():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    data = minigrad.tensor([[1.0, float("nan")]])
    with (
        minigrad.autograd.detect_anomaly(),
        pytest.raises(RuntimeError, match=r"got nan in its input 0 \(shape \(1, 2\)\)"),
    ):
        model(data)


def test_anomaly_mode_names_the_op_whose_backward_made_a_nan():
    x = minigrad.tensor([0.0, 4.0], requires_grad=True)
    minigrad.autograd.set_detect_anomaly(True)
    try:
        y = x.sqrt()  # its gradient at 0 is inf; times the 0 of relu's gradient: nan
        loss = (y * 0).relu().sum()
        with (
            np.errstate(all="ignore"),
            pytest.raises(
                RuntimeError, match=r"Function 'Pow' returned nan values in its 0th output; its forward ran at .*line"
            ),
        ):
            loss.backward()
    finally:
        minigrad.autograd.set_detect_anomaly(False)


def test_anomaly_mode_lets_legitimate_infinities_pass():
    """Max pooling pads with -inf, and masking with -inf before a softmax is common: neither is a
    NaN or an inf made from finite inputs."""
    scores = minigrad.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    with minigrad.autograd.detect_anomaly():
        F.max_pool2d(minigrad.randn(1, 1, 4, 4), 3, padding=1).sum()
        masked = scores.masked_fill(minigrad.tensor([[False, True, False]]), float("-inf"))
        masked.softmax(1)[0, 0].backward()
    assert np.isfinite(scores.grad.array).all()
