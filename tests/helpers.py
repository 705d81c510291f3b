"""The two checks every op gets: compare with PyTorch, and gradcheck/gradgradcheck.

Import them in any test module:

    from tests.helpers import check_gradients, compare_with_torch

``compare_module_with_torch`` does the same for a whole layer (outputs, the input's gradient,
every parameter's gradient).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad
from minigrad import Tensor

TORCH_MISSING = "PyTorch is not installed: pip install torch==2.13.0"


def _as_list(outputs: Any) -> list[Any]:
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]


def _is_float(array: np.ndarray) -> bool:
    return array.dtype.kind == "f"


def compare_with_torch(
    minigrad_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    *arrays: np.ndarray,
    atol: float = 1e-7,
    rtol: float = 1e-6,
    grad: bool = True,
) -> None:
    """Run an op in minigrad and in PyTorch on the same inputs; assert values and gradients agree.

    ``arrays`` are numpy arrays. Floating ones become float64 tensors (``requires_grad=grad``)
    in both engines; integer and boolean ones (indices, masks) are passed through unchanged
    and get no gradient. Each function takes the tensors in that order and returns one
    tensor or a tuple of them (e.g. ``max(dim)``'s values and indices).

    Checked: every output's shape, dtype and values; and, with ``grad=True``, the gradient
    of ``sum(output * w)`` for fixed random weights ``w`` with respect to every float input
    (an input the output does not depend on must get zero or no gradient in both).

    Skips the test, with a reason, when PyTorch is not installed.
    """
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    arrays = tuple(np.asarray(a) for a in arrays)
    ours = [Tensor(a.astype(np.float64), requires_grad=grad) if _is_float(a) else Tensor(a.copy()) for a in arrays]
    theirs = [
        torch.tensor(a.astype(np.float64), requires_grad=grad) if _is_float(a) else torch.from_numpy(a.copy())
        for a in arrays
    ]
    our_outputs, their_outputs = _as_list(minigrad_fn(*ours)), _as_list(torch_fn(*theirs))
    assert len(our_outputs) == len(their_outputs), "minigrad and torch return different numbers of outputs"
    for k, (o, t) in enumerate(zip(our_outputs, their_outputs)):
        assert o.shape == tuple(t.shape), f"output {k}: shape {o.shape}, torch gives {tuple(t.shape)}"
        assert o.dtype.name == str(t.dtype).removeprefix("torch."), (
            f"output {k}: dtype {o.dtype}, torch gives {t.dtype}"
        )
        np.testing.assert_allclose(o.array, t.detach().numpy(), atol=atol, rtol=rtol, err_msg=f"output {k}: values")
    if not grad:
        return

    float_inputs = [k for k, a in enumerate(arrays) if _is_float(a)]
    differentiable = [k for k, o in enumerate(our_outputs) if o.dtype.kind == "f"]
    weights = np.random.default_rng(1234)
    our_loss: Any = 0.0
    their_loss: Any = 0.0
    for k in differentiable:
        w = np.asarray(weights.standard_normal(our_outputs[k].shape))
        if our_outputs[k].requires_grad:
            our_loss = our_loss + (our_outputs[k] * Tensor(w)).sum()
        if their_outputs[k].requires_grad:
            their_loss = their_loss + (their_outputs[k] * torch.from_numpy(w)).sum()
    our_grads = [None] * len(float_inputs)
    their_grads = [None] * len(float_inputs)
    if isinstance(our_loss, Tensor):
        our_grads = list(minigrad.grad(our_loss, [ours[k] for k in float_inputs], allow_unused=True))
    if isinstance(their_loss, torch.Tensor):
        their_grads = list(torch.autograd.grad(their_loss, [theirs[k] for k in float_inputs], allow_unused=True))
    for k, g_ours, g_theirs in zip(float_inputs, our_grads, their_grads):
        expected = np.zeros(arrays[k].shape) if g_theirs is None else g_theirs.numpy()
        actual = np.zeros(arrays[k].shape) if g_ours is None else g_ours.array
        assert actual.shape == expected.shape, f"input {k}: gradient shape {actual.shape}, torch {expected.shape}"
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=f"input {k}: gradient")


def compare_module_with_torch(ours: Any, theirs: Any, x: np.ndarray, atol: float = 1e-10, rtol: float = 1e-10) -> None:
    """One forward and backward through a minigrad module and its PyTorch twin on the same
    input; assert that the outputs (shape, dtype, values), the input's gradient and every
    parameter's gradient (matched by name) agree. The modules keep their state, so a test can
    call this for several steps in a row (BatchNorm's running statistics)."""
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    x_ours, x_theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    assert y_ours.shape == tuple(y_theirs.shape), f"output shape {y_ours.shape}, torch {tuple(y_theirs.shape)}"
    assert y_ours.dtype.name == str(y_theirs.dtype).removeprefix("torch."), f"output dtype {y_ours.dtype}"
    np.testing.assert_allclose(y_ours.array, y_theirs.detach().numpy(), atol=atol, rtol=rtol, err_msg="output")
    w = np.random.default_rng(123).standard_normal(y_ours.shape).astype(x.dtype)
    (y_ours * Tensor(w)).sum().backward()
    (y_theirs * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(x_ours.grad.array, x_theirs.grad.numpy(), atol=atol, rtol=rtol, err_msg="input grad")
    their_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(their_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.array, their_params[name].grad.numpy(), atol=atol, rtol=rtol, err_msg=name)


def _checked_input(x: Any) -> Any:
    if not isinstance(x, (np.ndarray, np.generic)):
        return x
    x = np.asarray(x)
    if _is_float(x):
        return Tensor(x.astype(np.float64), requires_grad=True)
    return Tensor(x.copy())


def check_gradients(fn: Callable[..., Any], *inputs: Any, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Assert that ``fn`` passes ``minigrad.gradcheck`` and ``minigrad.gradgradcheck``.

    ``inputs`` are numpy arrays or Tensors, as for ``compare_with_torch``: a floating array
    becomes a float64 leaf tensor that requires grad; an integer or boolean array (an index,
    a mask) becomes a constant tensor. A Tensor is passed as it is. Every input that
    requires grad must be float64: finite differences in float32 are too coarse to check.
    """
    tensors = [_checked_input(x) for x in inputs]
    for i, t in enumerate(tensors):
        if isinstance(t, Tensor) and t.requires_grad:
            assert t.dtype == np.float64, f"check_gradients: input {i} is {t.dtype}; use float64"
    assert minigrad.gradcheck(fn, tensors, atol=atol, rtol=rtol)
    assert minigrad.gradgradcheck(fn, tensors, atol=atol, rtol=rtol)
