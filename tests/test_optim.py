"""Optimizers and schedules: trajectories and learning rates equal PyTorch's.

Each optimizer runs 10 steps on the same small nonconvex problem (a tanh MLP's squared error)
in minigrad and in PyTorch, in float64; every parameter must agree after every step.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import Tensor, optim
from minigrad.optim import lr_scheduler
from tests.helpers import TORCH_MISSING

try:
    import torch
except ImportError:  # the tests that compare with PyTorch are skipped; the others still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason=TORCH_MISSING)

SHAPES = {"w1": (5, 3), "b1": (5,), "w2": (2, 5), "b2": (2,), "spare": (4,)}  # "spare" never gets a gradient
INPUTS = np.random.default_rng(1).standard_normal((8, 3))
TARGETS = np.random.default_rng(2).standard_normal((8, 2))


def initial_values() -> dict[str, np.ndarray]:
    r = np.random.default_rng(0)
    return {name: r.standard_normal(shape) for name, shape in SHAPES.items()}


def our_loss(p: dict[str, Tensor]) -> Tensor:
    hidden = F.linear(Tensor(INPUTS), p["w1"], p["b1"]).tanh()
    out = F.linear(hidden, p["w2"], p["b2"])
    return F.mse_loss(out, Tensor(TARGETS)) + 0.1 * (p["w1"] ** 4).sum()


def their_loss(p):
    hidden = torch.tanh(torch.nn.functional.linear(torch.tensor(INPUTS), p["w1"], p["b1"]))
    out = torch.nn.functional.linear(hidden, p["w2"], p["b2"])
    return torch.nn.functional.mse_loss(out, torch.tensor(TARGETS)) + 0.1 * (p["w1"] ** 4).sum()


def our_params(values=None) -> dict[str, Tensor]:
    return {k: Tensor(v.copy(), requires_grad=True) for k, v in (values or initial_values()).items()}


def their_params():
    return {k: torch.tensor(v, requires_grad=True) for k, v in initial_values().items()}


def run_ours(optimizer, params, steps: int) -> list[dict[str, np.ndarray]]:
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        our_loss(params).backward()
        optimizer.step()
        trajectory.append({k: p.array.copy() for k, p in params.items()})
    return trajectory


def run_theirs(optimizer, params, steps: int) -> list[dict[str, np.ndarray]]:
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        their_loss(params).backward()
        optimizer.step()
        trajectory.append({k: p.detach().numpy().copy() for k, p in params.items()})
    return trajectory


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.2}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("SGD", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1, "momentum": 0.8}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}),
]


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=[f"{n}-{k}" for n, k in OPTIMIZERS])
def test_trajectory_matches_torch(name, kwargs):
    ours, theirs = our_params(), their_params()
    our_trajectory = run_ours(getattr(optim, name)(ours.values(), **kwargs), ours, 10)
    their_trajectory = run_theirs(getattr(torch.optim, name)(theirs.values(), **kwargs), theirs, 10)
    for step, (a, b) in enumerate(zip(our_trajectory, their_trajectory), start=1):
        for key in SHAPES:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-12, err_msg=f"{key} after step {step}")
    moved = np.abs(our_trajectory[-1]["w1"] - initial_values()["w1"]).max()
    assert moved > 1e-3  # the steps did something
    # a parameter without a gradient is skipped: no update (not even weight decay), no state
    np.testing.assert_array_equal(our_trajectory[-1]["spare"], initial_values()["spare"])


@needs_torch
def test_param_groups_with_their_own_lr_match_torch():
    ours, theirs = our_params(), their_params()

    def groups(p):
        return [{"params": [p["w1"], p["b1"]], "lr": 0.02}, {"params": [p["w2"], p["b2"]], "momentum": 0.5}]

    a = run_ours(optim.SGD(groups(ours), lr=0.1, momentum=0.9), ours, 10)[-1]
    b = run_theirs(torch.optim.SGD(groups(theirs), lr=0.1, momentum=0.9), theirs, 10)[-1]
    for key in ("w1", "b1", "w2", "b2"):
        np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-12, err_msg=key)


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_defaults_are_torchs(name):
    ours = getattr(optim, name)([Tensor(np.zeros(1), requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])
    assert ours.defaults.keys() <= theirs.defaults.keys()
    for key, value in ours.defaults.items():
        assert value == theirs.defaults[key], key


def test_params_without_grad_get_no_state():
    params = our_params()
    optimizer = optim.Adam(params.values(), lr=0.1, weight_decay=0.1)
    run_ours(optimizer, params, 2)
    assert params["spare"] not in optimizer.state
    assert optimizer.state[params["w1"]]["step"] == 2
    assert 4 not in optimizer.state_dict()["state"]  # "spare" is the fifth parameter


def test_zero_grad():
    params = our_params()
    optimizer = optim.SGD(params.values(), lr=0.1)
    our_loss(params).backward()
    optimizer.zero_grad(set_to_none=False)
    for key, p in params.items():
        if key == "spare":
            assert p.grad is None  # never had one: stays None
        else:
            np.testing.assert_array_equal(p.grad.array, np.zeros(SHAPES[key]))
    optimizer.zero_grad()
    assert all(p.grad is None for p in params.values())


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("AdamW", {"lr": 0.05, "betas": (0.8, 0.9)}),
    ],
)
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    params = our_params()
    uninterrupted = run_ours(getattr(optim, name)(params.values(), **kwargs), params, 10)[-1]

    first = our_params()
    optimizer = getattr(optim, name)(first.values(), **kwargs)
    run_ours(optimizer, first, 5)
    state = optimizer.state_dict()
    after_five = {k: p.array.copy() for k, p in first.items()}
    snapshot = {i: {k: np.array(getattr(v, "data", v)) for k, v in s.items()} for i, s in state["state"].items()}
    run_ours(optimizer, first, 1)  # stepping on must not change a state_dict taken before
    for index, values in state["state"].items():
        for key, value in values.items():
            np.testing.assert_array_equal(np.asarray(getattr(value, "data", value)), snapshot[index][key])

    resumed = our_params(after_five)
    fresh = getattr(optim, name)(resumed.values(), lr=123.0)
    fresh.load_state_dict(state)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    final = run_ours(fresh, resumed, 5)[-1]
    for key in SHAPES:
        np.testing.assert_array_equal(final[key], uninterrupted[key], err_msg=key)


@needs_torch
def test_state_dict_format_is_torchs():
    params = our_params()
    optimizer = optim.Adam(params.values(), lr=0.05, betas=(0.8, 0.9))
    run_ours(optimizer, params, 3)
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert list(state["state"]) == [0, 1, 2, 3]
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["state"][0]["step"] == 3
    group = state["param_groups"][0]
    assert group["params"] == [0, 1, 2, 3, 4]
    assert group["betas"] == (0.8, 0.9) and group["lr"] == 0.05

    theirs = their_params()
    torch_optimizer = torch.optim.Adam(theirs.values(), lr=0.05, betas=(0.8, 0.9))
    run_theirs(torch_optimizer, theirs, 3)
    torch_state = torch_optimizer.state_dict()
    assert list(torch_state["state"]) == list(state["state"])
    assert set(torch_state["state"][0]) == set(state["state"][0])
    for index in state["state"]:
        for key in ("exp_avg", "exp_avg_sq"):
            expected = torch_state["state"][index][key].numpy()
            np.testing.assert_allclose(state["state"][index][key].array, expected, rtol=1e-10, atol=1e-14)


def test_load_state_dict_errors():
    params = our_params()
    optimizer = optim.SGD(params.values(), lr=0.1, momentum=0.9)
    run_ours(optimizer, params, 1)
    state = optimizer.state_dict()
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        optim.SGD([{"params": [params["w1"]]}, {"params": [params["b1"]]}], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="a group of 5 parameters where this optimizer has 1"):
        optim.SGD([params["w1"]], lr=0.1).load_state_dict(state)
    shuffled = optim.SGD(list(params.values())[::-1], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"optimizer state of shape \(5, 3\) does not match its parameter"):
        shuffled.load_state_dict(state)


def test_constructor_errors():
    p = [Tensor(np.zeros(2), requires_grad=True)]
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr, momentum and weight_decay must be >= 0"):
        optim.SGD(p, lr=-0.1)
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\)"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="lr, eps and weight_decay must be >= 0"):
        optim.AdamW(p, eps=-1.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="only optimize leaf tensors"):
        optim.SGD([Tensor(np.zeros(2), requires_grad=True) * 2], lr=0.1)
    shared = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [shared]}, {"params": [shared], "lr": 0.5}], lr=0.1)


def test_frozen_parameters_are_accepted_and_left_alone():
    """As in PyTorch: a param with requires_grad=False never gets a grad, so step skips it."""
    frozen = Tensor(np.ones(2))
    trained = Tensor(np.ones(2), requires_grad=True)
    optimizer = optim.SGD([frozen, trained], lr=0.1)
    (trained * 3).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(frozen.array, [1.0, 1.0])
    np.testing.assert_allclose(trained.array, [0.7, 0.7])


# ----------------------------------------------------------------------------- schedules

SCHEDULES = [
    ("StepLR", {"step_size": 4, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 4}),  # 15 epochs run past T_max: the cosine comes back up
    ("ExponentialLR", {"gamma": 0.8}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.5}),
    ("LambdaLR", {"lr_lambda": lambda epoch: 1 / (1 + epoch)}),
]


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES, ids=[f"{n}-{k}" for n, k in SCHEDULES])
def test_schedule_matches_torch_for_15_epochs(name, kwargs):
    def two_groups(make):  # the second group has its own lr
        return [{"params": [make()]}, {"params": [make()], "lr": 0.3}]

    ours_optimizer = optim.SGD(two_groups(lambda: Tensor(np.zeros(1), requires_grad=True)), lr=0.1)
    theirs_optimizer = torch.optim.SGD(two_groups(lambda: torch.zeros(1, requires_grad=True)), lr=0.1)
    ours = getattr(lr_scheduler, name)(ours_optimizer, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_optimizer, **kwargs)
    seen = []
    for epoch in range(15):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15), f"epoch {epoch}"
        assert [g["lr"] for g in ours_optimizer.param_groups] == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        seen.append(ours.get_last_lr()[0])
        ours_optimizer.step()
        theirs_optimizer.step()
        ours.step()
        theirs.step()
    assert len(set(seen)) > 2  # the schedule changed the lr


def test_schedule_resumes_from_its_state_dict():
    def fresh():
        optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
        return optimizer, lr_scheduler.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.001)

    optimizer, schedule = fresh()
    for _ in range(5):
        schedule.step()
    optimizer2, schedule2 = fresh()
    optimizer2.load_state_dict(optimizer.state_dict())
    schedule2.load_state_dict(schedule.state_dict())
    for _ in range(6):
        schedule.step()
        schedule2.step()
        assert schedule2.get_last_lr() == pytest.approx(schedule.get_last_lr(), rel=1e-14)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(optim.SGD([Tensor(np.zeros(1), requires_grad=True)]), step_size=2, last_epoch=3)


def test_training_with_minigrad_modules_reduces_the_loss():
    minigrad.manual_seed(0)
    model = minigrad.nn.Sequential(minigrad.nn.Linear(3, 8), minigrad.nn.Tanh(), minigrad.nn.Linear(8, 2))
    optimizer = optim.AdamW(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = F.mse_loss(model(Tensor(INPUTS.astype(np.float32))), Tensor(TARGETS.astype(np.float32)))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.dtype == np.float32 for p in model.parameters())  # updates keep the dtype


@pytest.mark.parametrize("last_epoch", [-1, 4, 7])
def test_cosine_schedule_resumes_like_pytorch(last_epoch):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch==2.13.0")
    ours = minigrad.optim.SGD([minigrad.tensor([1.0], requires_grad=True)], lr=0.1)
    theirs = torch.optim.SGD([torch.tensor([1.0], requires_grad=True)], lr=0.1)
    if last_epoch >= 0:
        ours.param_groups[0]["initial_lr"] = theirs.param_groups[0]["initial_lr"] = 0.1
    schedule = minigrad.optim.lr_scheduler.CosineAnnealingLR(ours, 10, last_epoch=last_epoch)
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, 10, last_epoch=last_epoch)
    for _ in range(25):
        assert schedule.get_last_lr() == pytest.approx(reference.get_last_lr(), abs=1e-15)
        theirs.step()
        schedule.step()
        reference.step()


def test_step_takes_a_closure_and_returns_its_loss():
    params = our_params()
    optimizer = optim.SGD(params.values(), lr=0.01)

    def closure():
        optimizer.zero_grad()
        loss = our_loss(params)
        loss.backward()
        return loss

    first = optimizer.step(closure).item()
    assert optimizer.step(closure).item() < first


@needs_torch
def test_reduce_lr_on_plateau_matches_torch():
    ours_optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    theirs_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = lr_scheduler.ReduceLROnPlateau(ours_optimizer, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(
        theirs_optimizer, factor=0.5, patience=2, cooldown=1, min_lr=0.01
    )
    for metric in [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.9, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]:
        ours.step(metric)
        theirs.step(metric)
        assert ours_optimizer.param_groups[0]["lr"] == pytest.approx(theirs_optimizer.param_groups[0]["lr"])


def test_implementation_switches_are_refused_clearly():
    with pytest.raises(NotImplementedError, match=r"Adam\(fused=True\) is not supported"):
        optim.Adam([Tensor(np.zeros(2), requires_grad=True)], fused=True)
