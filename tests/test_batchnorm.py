"""BatchNorm, both routes: the derived composite (default) and the fused closed form.

Against PyTorch: forward, gradients and running statistics over several training steps, for
BN1d on (N, C) and (N, C, L) and BN2d, in train and eval mode. Against each other and
against finite differences: first and second derivatives. Then the errors. The public
``check_batchnorm`` and the ``minigrad check-bn`` command are tested in test_bncheck.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import Tensor, nn
from minigrad.nn.batchnorm import channel_layout
from tests.helpers import TORCH_MISSING, check_gradients, compare_module_with_torch

try:
    import torch
except ImportError:  # the tests that compare with PyTorch are skipped; the others still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason=TORCH_MISSING)

SHAPES = {"BN1d (N,C)": (6, 3), "BN1d (N,C,L)": (4, 3, 5), "BN2d (N,C,H,W)": (3, 3, 4, 2)}
# By name: the classes are looked up in minigrad.nn and torch.nn inside the test, so that this
# module imports without PyTorch.
LAYERS = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d"}
VARIANTS = {
    "default": {},
    "momentum None": {"momentum": None},
    "affine False": {"affine": False},
    "no running stats": {"track_running_stats": False},
    "momentum 0.3, eps 1e-3": {"momentum": 0.3, "eps": 1e-3},
}


def batch(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Per-channel offsets and scales, so that the statistics are not trivial."""
    r = np.random.default_rng(seed)
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    return r.standard_normal(shape) * r.uniform(0.5, 3.0, per_channel) + r.standard_normal(per_channel)


def assert_same_state(ours: nn.Module, theirs, atol: float = 1e-12) -> None:
    theirs_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(theirs_state)
    for key, value in ours.state_dict().items():
        expected = theirs_state[key].numpy()
        assert value.dtype == expected.dtype, key
        np.testing.assert_allclose(value.array, expected, atol=atol, rtol=atol, err_msg=key)


@needs_torch
@pytest.mark.parametrize("fused", [False, True], ids=["derived", "fused"])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("config", list(SHAPES))
def test_layer_matches_torch_over_five_steps_then_eval(config, variant, fused):
    shape, kwargs = SHAPES[config], VARIANTS[variant]
    ours_cls, theirs_cls = getattr(nn, LAYERS[len(shape)]), getattr(torch.nn, LAYERS[len(shape)])
    ours = ours_cls(3, fused=fused, **kwargs).double()
    theirs = theirs_cls(3, **kwargs).double()
    if ours.affine:  # not the trivial gamma = 1, beta = 0
        r = np.random.default_rng(7)
        gamma, beta = 1 + 0.5 * r.standard_normal(3), r.standard_normal(3)
        ours.weight.array[...], ours.bias.array[...] = gamma, beta
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(gamma))
            theirs.bias.copy_(torch.from_numpy(beta))
    for step in range(5):
        ours.zero_grad()
        theirs.zero_grad()
        compare_module_with_torch(ours, theirs, batch(shape, seed=step))
        assert_same_state(ours, theirs)  # running_mean, running_var, num_batches_tracked
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == 5
        assert not np.allclose(ours.running_mean.array, 0)
    if variant == "momentum None":  # a cumulative average: the plain mean of the 5 batch means
        axes = channel_layout(Tensor(batch(shape, 0)))[0]
        means = [batch(shape, seed=s).mean(axis=axes) for s in range(5)]
        np.testing.assert_allclose(ours.running_mean.array, np.mean(means, axis=0), rtol=1e-12)
    ours.eval()
    theirs.eval()
    for step in range(5, 7):
        ours.zero_grad()
        theirs.zero_grad()
        compare_module_with_torch(ours, theirs, batch(shape, seed=step))
    assert_same_state(ours, theirs)  # eval mode leaves the state alone


@needs_torch
@pytest.mark.parametrize("fused", [False, True], ids=["derived", "fused"])
def test_float32_layer_matches_torch(fused):
    ours, theirs = nn.BatchNorm2d(3, fused=fused), torch.nn.BatchNorm2d(3)
    for step in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        compare_module_with_torch(ours, theirs, batch((4, 3, 5, 5), step).astype(np.float32), atol=1e-5, rtol=1e-5)
    assert ours.running_var.dtype == np.float32
    assert_same_state(ours, theirs, atol=1e-6)


# ----------------------------------------------------------------------------- gradcheck, both routes


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no-affine"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("fused", [False, True], ids=["derived", "fused"])
@pytest.mark.parametrize("shape", [(4, 2), (3, 2, 3), (2, 2, 2, 2)], ids=["NC", "NCL", "NCHW"])
def test_gradcheck_and_gradgradcheck(shape, fused, training, affine):
    x = batch(shape, seed=11)
    running_mean, running_var = Tensor(np.array([0.3, -0.2])), Tensor(np.array([1.5, 0.7]))
    stats = (running_mean, running_var) if not training else (None, None)  # train: no state to mutate

    def bn(x, *affine_params):
        return F.batch_norm(x, *stats, *affine_params, training=training, eps=1e-3, fused=fused)

    params = (np.array([1.3, 0.6]), np.array([0.2, -0.4])) if affine else ()
    check_gradients(bn, x, *params)


# ----------------------------------------------------------------------------- the two routes agree


def first_and_second(values: dict[str, np.ndarray], direction: dict[str, np.ndarray], training: bool, route: str):
    """(dx, dgamma, dbeta) of sum(y * dy), and the Hessian-vector product along ``direction``.

    ``route`` is 'derived', 'fused', 'torch' or 'detached-mean' (the derived composite with
    the mean detached inside the variance: the well-known wrong second derivative)."""
    names = ("x", "weight", "bias")
    if route == "torch":
        leaves = [torch.tensor(values[k], requires_grad=True) for k in names]
        y = torch.nn.functional.batch_norm(
            leaves[0], torch.tensor(values["rm"]), torch.tensor(values["rv"]), leaves[1], leaves[2], training
        )
        first = torch.autograd.grad((y * torch.tensor(values["dy"])).sum(), leaves, create_graph=True)
        along = sum((g * torch.tensor(direction[k])).sum() for k, g in zip(names, first))
        second = torch.autograd.grad(along, leaves, allow_unused=True)
        return [g.detach().numpy() for g in first], [np.zeros(1) if h is None else h.numpy() for h in second]
    leaves = [Tensor(values[k], requires_grad=True) for k in names]
    if route == "detached-mean":
        x, w, b = leaves
        axes, per_channel, _ = channel_layout(x)
        mean = x.mean(axes, keepdim=True)
        var = (x - mean.detach()).square().mean(axes, keepdim=True)
        y = (x - mean) * (var + 1e-5).rsqrt() * w.reshape(per_channel) + b.reshape(per_channel)
    else:
        stats = Tensor(values["rm"]), Tensor(values["rv"])
        y = F.batch_norm(leaves[0], *stats, leaves[1], leaves[2], training=training, fused=route == "fused")
    first = minigrad.grad((y * Tensor(values["dy"])).sum(), leaves, create_graph=True)
    along = sum((g * Tensor(direction[k])).sum() for k, g in zip(names, first))
    second = minigrad.grad(along, leaves, allow_unused=True)
    return [g.array for g in first], [np.zeros(1) if h is None else h.array for h in second]


def bn_problem(shape: tuple[int, ...], seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    r = np.random.default_rng(seed)
    c = shape[1]
    values = {
        "x": batch(shape, seed),
        "weight": 1 + 0.3 * r.standard_normal(c),
        "bias": r.standard_normal(c),
        "rm": 0.2 * r.standard_normal(c),
        "rv": 1 + r.random(c),
        "dy": r.standard_normal(shape),
    }
    direction = {k: r.standard_normal(values[k].shape) for k in ("x", "weight", "bias")}
    return values, direction


def assert_close_relative(actual, expected, tolerance, what):
    for name, a, e in zip(("x", "weight", "bias"), actual, expected):
        scale = max(1.0, float(np.abs(e).max()))
        error = float(np.abs(np.broadcast_to(a, e.shape) - e).max())
        assert error <= tolerance * scale, f"{what}, d/d{name}: max |error| {error:.3g}"


@needs_torch
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (3, 3, 4, 2)], ids=["NC", "NCL", "NCHW"])
def test_routes_agree_with_each_other_and_torch_to_second_order(shape, training):
    values, direction = bn_problem(shape)
    derived_first, derived_second = first_and_second(values, direction, training, "derived")
    fused_first, fused_second = first_and_second(values, direction, training, "fused")
    torch_first, torch_second = first_and_second(values, direction, training, "torch")
    assert_close_relative(fused_first, derived_first, 1e-12, "gradient, fused vs derived")
    assert_close_relative(fused_second, derived_second, 1e-12, "Hessian-vector product, fused vs derived")
    assert_close_relative(torch_first, derived_first, 1e-12, "gradient, torch vs derived")
    assert_close_relative(torch_second, derived_second, 1e-12, "Hessian-vector product, torch vs derived")
    if training:  # the second derivative of train-mode BN in x is not zero: the check has teeth
        assert np.abs(derived_second[0]).max() > 1e-3


def finite_difference_hvp(values, direction, eps: float = 1e-6) -> list[np.ndarray]:
    """(grad(theta + eps v) - grad(theta - eps v)) / 2 eps, with the gradient from the derived route."""
    zero = {k: np.zeros_like(v) for k, v in direction.items()}

    def gradient_at(sign: float) -> list[np.ndarray]:
        moved = {k: v + sign * eps * direction[k] if k in direction else v for k, v in values.items()}
        return first_and_second(moved, zero, True, "derived")[0]

    return [(p - m) / (2 * eps) for p, m in zip(gradient_at(1.0), gradient_at(-1.0))]


@pytest.mark.parametrize("shape", [(8, 3), (3, 3, 4, 2)], ids=["NC", "NCHW"])
def test_derived_route_detaches_nothing(shape):
    """Its Hessian-vector product matches finite differences of its gradient, and a version
    that detaches the mean inside the variance, which has the same first derivative, does not."""
    values, direction = bn_problem(shape, seed=3)
    numerical = finite_difference_hvp(values, direction)
    derived_first, derived_second = first_and_second(values, direction, True, "derived")
    assert_close_relative(derived_second, numerical, 1e-6, "Hessian-vector product vs finite differences")
    detached_first, detached_second = first_and_second(values, direction, True, "detached-mean")
    assert_close_relative(detached_first, derived_first, 1e-12, "first derivative, detached mean")
    error = np.abs(detached_second[0] - numerical[0]).max()
    assert error > 1e-3 * np.abs(numerical[0]).max(), "the detached-mean HVP should be wrong"


def test_gradient_flows_through_the_batch_variance():
    """dx minus the path through the variance is not dx: the variance path carries gradient."""
    values, _ = bn_problem((8, 3), seed=4)
    x = Tensor(values["x"], requires_grad=True)
    mean = x.mean(0, keepdim=True)
    var_detached = (x - mean).square().mean(0, keepdim=True).detach()
    without_variance_path = (x - mean) * (var_detached + 1e-5).rsqrt()
    (dx_partial,) = minigrad.grad(without_variance_path, x, Tensor(values["dy"]))
    x2 = Tensor(values["x"], requires_grad=True)
    (dx,) = minigrad.grad(F.batch_norm(x2, None, None, training=True), x2, Tensor(values["dy"]))
    assert np.abs(dx.array - dx_partial.array).max() > 1e-2


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("fused", [False, True])
def test_one_value_per_channel_in_train_mode(fused):
    message = r"Expected more than 1 value per channel when training, got input size \(1, 3\)"
    with pytest.raises(ValueError, match=message):
        nn.BatchNorm1d(3, fused=fused)(minigrad.zeros(1, 3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel .* \(1, 2, 1, 1\)"):
        nn.BatchNorm2d(2, fused=fused)(minigrad.zeros(1, 2, 1, 1))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(minigrad.zeros(1, 3), None, None, training=True, fused=fused)
    layer = nn.BatchNorm1d(3, fused=fused).eval()  # eval mode uses the running stats: fine
    assert layer(minigrad.ones(1, 3)).shape == (1, 3)
    assert nn.BatchNorm1d(3)(minigrad.randn(1, 3, 2)).shape == (1, 3, 2)  # m = N * L = 2 is enough


def test_wrong_rank():
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 4D input\)$"):
        nn.BatchNorm1d(3)(minigrad.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 1D input\)$"):
        nn.BatchNorm1d(3)(minigrad.zeros(3))
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 3D input\)$"):
        nn.BatchNorm2d(3)(minigrad.zeros(2, 3, 4))


def test_wrong_channel_count():
    with pytest.raises(
        ValueError, match=r"BatchNorm2d\(num_features=3\) got input with 4 channel\(s\): shape \(2, 4, 5, 5\)"
    ):
        nn.BatchNorm2d(3)(minigrad.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(num_features=5\) got input with 3 channel\(s\)"):
        nn.BatchNorm1d(5).eval()(minigrad.zeros(2, 3))
    with pytest.raises(ValueError, match=r"running_mean has shape \(4,\), expected \(3,\)"):
        F.batch_norm(minigrad.zeros(2, 3), minigrad.zeros(4), minigrad.ones(4))
    with pytest.raises(ValueError, match=r"eval mode \(training=False\) needs running_mean and running_var"):
        F.batch_norm(minigrad.zeros(2, 3), None, None, training=False)


@needs_torch
def test_functional_updates_running_stats_like_torch():
    x = batch((5, 3, 4), seed=9)
    ours_stats = [Tensor(np.zeros(3)), Tensor(np.ones(3))]
    theirs_stats = [torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)]
    for fused in (False, True):
        F.batch_norm(Tensor(x), *ours_stats, training=True, momentum=0.25, fused=fused)
        torch.nn.functional.batch_norm(torch.tensor(x), *theirs_stats, training=True, momentum=0.25)
    for ours, theirs in zip(ours_stats, theirs_stats):
        np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)
    # running_var uses the unbiased variance: m = 5 * 4 values per channel
    unbiased = x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(ours_stats[1].array, 0.75**2 + 0.25 * unbiased * (1 + 0.75), rtol=1e-12)


@needs_torch
def test_state_dict_keys_and_repr():
    assert list(nn.BatchNorm2d(4).state_dict()) == list(torch.nn.BatchNorm2d(4).state_dict())
    assert list(nn.BatchNorm1d(4, affine=False).state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm1d(4, track_running_stats=False).state_dict()) == ["weight", "bias"]
    assert nn.BatchNorm1d(4).state_dict()["num_batches_tracked"].dtype == np.int64
    assert "fused=True" in repr(nn.BatchNorm1d(4, fused=True))
    assert "momentum=None" in repr(nn.BatchNorm1d(4, momentum=None))


def test_reset_running_stats():
    layer = nn.BatchNorm1d(3)
    layer(minigrad.randn(4, 3) * 3 + 1)
    layer.reset_running_stats()
    np.testing.assert_array_equal(layer.running_mean.array, 0)
    np.testing.assert_array_equal(layer.running_var.array, 1)
    assert int(layer.num_batches_tracked.item()) == 0
