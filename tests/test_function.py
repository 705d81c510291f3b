"""``torch.autograd.Function``: custom ops with their forward and backward side by side, as
PyTorch runs them; gradients through them to second order when their backward is written in
minigrad ops; and the teaching example in docs/pytorch.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.autograd import Function
from minigrad.function import once_differentiable
from tests.helpers import check_gradients

DOCS = Path(__file__).resolve().parents[1] / "docs" / "pytorch.md"


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


class ScaledSum(Function):
    """A Function with a non-tensor argument and two tensor inputs."""

    @staticmethod
    def forward(ctx, a, scale, b):
        ctx.scale = scale
        ctx.needs = ctx.needs_input_grad
        return a * scale + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.scale, None, grad_output.sum(0) if ctx.needs_input_grad[2] else None


class SplitSigns(Function):
    """Two outputs and one that gets no gradient."""

    @staticmethod
    def forward(ctx, x):
        positive, negative = x.clamp(min=0), x.clamp(max=0)
        signs = x.sign().long()
        ctx.mark_non_differentiable(signs)
        ctx.save_for_backward(x)
        return positive, negative, signs

    @staticmethod
    def backward(ctx, grad_positive, grad_negative, grad_signs):
        (x,) = ctx.saved_tensors
        return grad_positive * (x > 0) + grad_negative * (x <= 0)


class Exp(Function):
    """Saves its output: the graph's output node replaces it, so second derivatives are right."""

    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class NumpyBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return minigrad.from_numpy(2 * x.array * grad_output.array)


class NewStyle(Function):
    """PyTorch 2's form: forward without ctx, and setup_context."""

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y, grad_output * x


def test_apply_records_one_node_whose_vjp_is_the_backward():
    x = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.requires_grad and y.grad_fn.name() == "CubeBackward"
    assert [type(f).__name__ for f, _ in y.grad_fn.next_functions] == ["AccumulateGrad"]
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, 3 * x.array**2)


def test_gradients_through_functions_work_to_second_order():
    values = np.array([0.5, -1.5, 2.0])
    check_gradients(Cube.apply, values)
    check_gradients(Exp.apply, values)
    check_gradients(lambda t: NewStyle.apply(t, t * 2), values)
    check_gradients(lambda t: SplitSigns.apply(t)[0] * 3 + SplitSigns.apply(t)[1], values)
    x = minigrad.tensor(2.0, dtype=minigrad.float64, requires_grad=True)
    (first,) = minigrad.grad(Cube.apply(x), x, create_graph=True)
    (second,) = minigrad.grad(first, x)
    assert first.item() == 12.0 and second.item() == 12.0


def test_non_tensor_arguments_and_needs_input_grad():
    a = minigrad.tensor([[1.0, 2.0]], requires_grad=True)
    b = minigrad.tensor([0.5, 0.5])  # needs no gradient
    out = ScaledSum.apply(a, 3.0, b)
    out.sum().backward()
    assert a.grad.tolist() == [[3.0, 3.0]] and b.grad is None
    assert out.grad_fn.ctx.needs == (True, False, False)


def test_several_outputs_and_non_differentiable_ones():
    x = minigrad.tensor([1.5, -2.0, 0.5], requires_grad=True)
    positive, negative, signs = SplitSigns.apply(x)
    assert signs.dtype == minigrad.int64 and not signs.requires_grad
    (positive * 2 + negative * 5).sum().backward()
    assert x.grad.tolist() == [2.0, 5.0, 2.0]


def test_without_gradients_apply_just_runs_forward():
    x = minigrad.tensor([1.0, 2.0])
    assert not Cube.apply(x).requires_grad
    with minigrad.no_grad():
        assert not Cube.apply(minigrad.tensor([1.0], requires_grad=True)).requires_grad


def test_once_differentiable_backward_gives_first_derivatives_only():
    x = minigrad.tensor([1.0, 3.0], dtype=minigrad.float64, requires_grad=True)
    (first,) = minigrad.grad(NumpyBackward.apply(x).sum(), x, create_graph=True)
    assert first.tolist() == [2.0, 6.0] and not first.requires_grad


def test_a_backward_returning_too_few_gradients_is_a_clear_error():
    class Broken(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    a, b = minigrad.ones(2, requires_grad=True), minigrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients \(expected 2, got 1\)"):
        Broken.apply(a, b).sum().backward()


def test_matches_pytorch_on_the_tutorial_function():
    torch = pytest.importorskip("torch")

    def legendre(module):
        class LegendrePolynomial3(module.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input**3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                (input,) = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input**2 - 1)

        return LegendrePolynomial3

    values = np.linspace(-1, 1, 7)
    results = []
    for module in (minigrad, torch):
        x = module.tensor(values, requires_grad=True)
        y = legendre(module).apply(x * 0.5 + 0.1)
        (g,) = module.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = module.autograd.grad(g.sum(), x)
        results.append([np.asarray(t.detach().numpy()) for t in (y, g, gg)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_the_example_in_docs_pytorch_md_runs():
    text = DOCS.read_text()
    code = text.split("```python", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/pytorch.md", "exec"), {})


def test_a_backward_that_returns_a_gradient_of_the_wrong_shape_is_named():
    class Halves(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad[:1]

    x = minigrad.randn(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"HalvesBackward returned an invalid gradient at index 0: got shape \(1, 4"):
        Halves.apply(x).sum().backward()


def test_saved_tensors_are_freed_by_backward_as_in_pytorch():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward(retain_graph=True)
    assert len(y.grad_fn.ctx.saved_tensors) == 1  # kept while the graph is retained
    y.sum().backward()
    with pytest.raises(RuntimeError, match="freed by the first backward"):
        _ = y.grad_fn.ctx.saved_tensors
