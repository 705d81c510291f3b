"""gradcheck and gradgradcheck: they pass on right gradients and catch wrong ones."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import GradcheckError, Tensor, ops


def leaf(values: object) -> Tensor:
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


class WrongSquare(ops.Primitive):
    """x^2 with the gradient 3x instead of 2x."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a * a

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (grad * self.inputs[0] * 3,)


class ConstantGradientSquare(ops.Primitive):
    """x^2 with the right gradient 2x, but computed from raw numpy: the backward pass is not
    recorded, so the second derivative comes out as 0 instead of 2."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return a * a

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (grad * Tensor(2 * self.inputs[0].array),)


class DiagonalCumsum(ops.Primitive):
    """Cumulative sum whose gradient forgets the off-diagonal terms of the Jacobian."""

    __slots__ = ()

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.cumsum(a)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (grad,)


def test_passes_on_right_gradients() -> None:
    x, y = leaf([[0.5, -1.0], [2.0, 0.3]]), leaf([1.5, -0.5])
    assert minigrad.gradcheck(lambda a, b: (a * b).tanh() @ b, (x, y)) is True
    assert minigrad.gradgradcheck(lambda a, b: (a * b).tanh() @ b, (x, y)) is True


def test_passes_with_several_outputs_and_inputs_that_need_no_grad() -> None:
    x = leaf([0.5, 1.5, -2.0])
    scale = minigrad.tensor(np.array([2.0, 3.0, 4.0]))  # no requires_grad: not checked
    assert minigrad.gradcheck(lambda a, s, p: (a * s, a**p), (x, scale, 3))
    assert minigrad.gradgradcheck(lambda a, s, p: (a * s, a**p), (x, scale, 3))


def test_accepts_a_single_tensor_instead_of_a_tuple() -> None:
    assert minigrad.gradcheck(lambda a: a.exp(), leaf([0.1, 0.2]))


def test_inputs_are_unchanged_afterwards() -> None:
    x = leaf([0.5, 1.5])
    minigrad.gradcheck(lambda a: a.log(), (x,))
    np.testing.assert_array_equal(x.array, [0.5, 1.5])
    assert x.grad is None


def test_fails_on_a_wrong_gradient_naming_the_input_and_both_values() -> None:
    x, y = leaf([1.0, 2.0]), leaf([1.0, 2.0])
    assert minigrad.gradcheck(lambda a: a * a, (x,))  # the right one passes
    with pytest.raises(GradcheckError) as error:
        minigrad.gradcheck(lambda a, b: a + WrongSquare()(b), (x, y))
    message = str(error.value)
    assert "input 1" in message  # input 0 (a) is right
    # The worst element is d(out[1])/d(y[1]): analytical 3 * 2 = 6, numerical 2 * 2 = 4.
    assert re.search(r"analytical 6\b", message) and re.search(r"numerical 4(\.0+\d*)?\b", message)
    assert "d(output[1])/d(input[1])" in message


def test_catches_a_wrong_off_diagonal_element() -> None:
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(GradcheckError, match=r"input 0.*analytical 0\b.*numerical 1"):
        minigrad.gradcheck(lambda a: DiagonalCumsum()(a), (x,))


def test_returns_false_instead_of_raising() -> None:
    x = leaf([1.0, 2.0])
    assert minigrad.gradcheck(lambda a: WrongSquare()(a), (x,), raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_pass_that_is_not_recorded() -> None:
    x = leaf([1.0, -2.0])
    fn = lambda a: ConstantGradientSquare()(a)  # noqa: E731
    assert minigrad.gradcheck(fn, (x,))  # the first derivative is right
    assert minigrad.gradgradcheck(fn, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="input 0"):
        minigrad.gradgradcheck(fn, (x,))


def test_gradgradcheck_with_given_grad_outputs() -> None:
    x = leaf([0.5, 1.0])
    v = leaf([2.0, -1.0])
    assert minigrad.gradgradcheck(lambda a: a**3, (x,), grad_outputs=(v,))


def test_tolerances() -> None:
    """Pass if |analytical - numerical| <= atol + rtol * |numerical|."""

    class SlightlyWrongSquare(WrongSquare):
        __slots__ = ()

        def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
            return (grad * self.inputs[0] * (2 * (1 + 1e-4)),)  # 0.01 % too large

    x = leaf([1.0, 2.0])
    fn = lambda a: SlightlyWrongSquare()(a)  # noqa: E731
    assert minigrad.gradcheck(fn, (x,))  # rtol=1e-3 by default
    assert not minigrad.gradcheck(fn, (x,), atol=0.0, rtol=1e-5, raise_exception=False)
    assert minigrad.gradcheck(fn, (x,), atol=1e-3, rtol=0.0)


def test_warns_when_inputs_are_not_float64() -> None:
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)  # float32
    with pytest.warns(UserWarning, match=r"input 0 .*float32.*float64"):
        minigrad.gradcheck(lambda a: a * 2, (x,), eps=1e-2, atol=1e-2)
    with pytest.warns(UserWarning, match="float64"):
        minigrad.gradgradcheck(lambda a: a * a, (x,), eps=1e-2, atol=1e-2)


def test_does_not_warn_for_float64() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minigrad.gradcheck(lambda a: a * 2, (leaf([1.0]),))


def test_gradcheck_works_on_any_memory_layout():
    fortran = minigrad.tensor(np.random.default_rng(0).standard_normal((3, 4)).T, requires_grad=True)
    assert minigrad.gradcheck(lambda t: (t * t).sum(), (fortran,))
    broadcast = minigrad.Tensor(np.broadcast_to(np.arange(3.0), (2, 3)), requires_grad=True)
    assert minigrad.gradcheck(lambda t: (t * t).sum(), (broadcast,))
    assert not broadcast.array.flags.writeable  # the input is restored, untouched
