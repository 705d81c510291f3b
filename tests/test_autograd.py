"""The backward engine: accumulation, retain_grad, deep graphs, higher order, grad mode,
minigrad.grad, and the errors of issue 2, section 6."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def leaf(values: object) -> Tensor:
    return minigrad.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ----------------------------------------------------------------------------- backward


def test_gradients_accumulate_into_leaves_over_two_backward_calls() -> None:
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [2.0, 4.0])
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [5.0, 7.0])


def test_a_tensor_used_twice_gets_the_sum_of_both_paths() -> None:
    x = leaf(3.0)
    y = x * x
    (y + y * x).backward()  # x^2 + x^3: 2x + 3x^2 = 33
    assert x.grad.item() == 33.0


def test_non_leaf_grad_is_kept_only_after_retain_grad() -> None:
    x = leaf([1.0, 2.0])
    hidden = x * 2
    kept = x * 3
    kept.retain_grad()
    (hidden * kept).sum().backward()
    assert hidden.grad is None
    np.testing.assert_array_equal(kept.grad.array, hidden.array)  # d(hidden*kept)/d(kept) = hidden
    np.testing.assert_array_equal(x.grad.array, 12 * x.array)  # d(6x^2)/dx
    assert not hidden.is_leaf and x.is_leaf


def test_backward_with_an_explicit_gradient() -> None:
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(minigrad.tensor(np.array([1.0, 0.0, -1.0])))
    np.testing.assert_array_equal(x.grad.array, [2.0, 0.0, -6.0])


def test_a_chain_of_100_000_ops_backprops_without_recursion() -> None:
    x = leaf(1.0)
    y = x
    for _ in range(50_000):  # two ops per step
        y = y * 1.0001 + 0.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001**50_000, rtol=1e-9)


def test_detach_and_constants_cut_the_graph() -> None:
    x = leaf([1.0, 2.0])
    y = (x.detach() * x).sum()  # the detached factor is a constant
    y.backward()
    np.testing.assert_array_equal(x.grad.array, [1.0, 2.0])
    assert not (minigrad.tensor([1.0]) * 2).requires_grad


# ----------------------------------------------------------------------------- higher order


def test_third_derivative_of_a_polynomial() -> None:
    x = leaf(1.5)
    y = x**4 + 2 * x**3 - 5 * x
    (d1,) = minigrad.grad(y, x, create_graph=True)
    (d2,) = minigrad.grad(d1, x, create_graph=True)
    (d3,) = minigrad.grad(d2, x)
    # y' = 4x^3 + 6x^2 - 5;  y'' = 12x^2 + 12x;  y''' = 24x + 12
    np.testing.assert_allclose(d1.item(), 4 * 1.5**3 + 6 * 1.5**2 - 5)
    np.testing.assert_allclose(d2.item(), 12 * 1.5**2 + 12 * 1.5)
    np.testing.assert_allclose(d3.item(), 24 * 1.5 + 12)


def test_backward_with_create_graph_gives_a_differentiable_grad() -> None:
    x = leaf([1.0, -2.0])
    (x**3).sum().backward(create_graph=True)
    first = x.grad  # 3x^2, itself recorded
    assert first.requires_grad
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.array, [6.0, -12.0])  # 6x


def mlp_loss(params: list[Tensor], inputs: Tensor, targets: Tensor) -> Tensor:
    w1, b1, w2 = params
    return ((inputs @ w1 + b1).tanh() @ w2 - targets).square().mean()


def test_hessian_vector_product_of_an_mlp_loss_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    inputs = minigrad.tensor(rng.standard_normal((5, 3)))
    targets = minigrad.tensor(rng.standard_normal((5, 2)))
    values = [rng.standard_normal(s) for s in [(3, 4), (4,), (4, 2)]]
    direction = [rng.standard_normal(v.shape) for v in values]

    params = [leaf(v) for v in values]
    grads = minigrad.grad(mlp_loss(params, inputs, targets), params, create_graph=True)
    dot = sum((g * minigrad.tensor(v)).sum() for g, v in zip(grads, direction))
    hvp = minigrad.grad(dot, params)

    def gradient_at(shift: float) -> list[np.ndarray]:
        moved = [leaf(v + shift * d) for v, d in zip(values, direction)]
        return [g.array for g in minigrad.grad(mlp_loss(moved, inputs, targets), moved)]

    eps = 1e-5
    plus, minus = gradient_at(eps), gradient_at(-eps)
    for h, p, m in zip(hvp, plus, minus):
        np.testing.assert_allclose(h.array, (p - m) / (2 * eps), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_gradgradcheck_on_softmax(name: str) -> None:
    x = leaf(np.random.default_rng(1).standard_normal((2, 4)))
    assert minigrad.gradgradcheck(lambda t: getattr(t, name)(-1), (x,))
    assert minigrad.gradgradcheck(lambda t: getattr(t, name)(0), (x,))


def test_create_graph_false_records_nothing() -> None:
    x = leaf([1.0, 2.0])
    (g,) = minigrad.grad((x**3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    (x**3).sum().backward()
    assert not x.grad.requires_grad
    (g,) = minigrad.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None


# ----------------------------------------------------------------------------- grad mode


def test_no_grad_as_a_context_manager() -> None:
    x = leaf([1.0])
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled()
        y = x * 2
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_as_a_decorator() -> None:
    @minigrad.no_grad()
    def double(t: Tensor) -> Tensor:
        """Doubles."""
        assert not minigrad.is_grad_enabled()
        return t * 2

    assert not double(leaf([1.0])).requires_grad
    assert minigrad.is_grad_enabled()
    assert double.__name__ == "double" and double.__doc__ == "Doubles."


def test_enable_grad_inside_no_grad() -> None:
    x = leaf([1.0])
    with minigrad.no_grad():
        with minigrad.enable_grad():
            assert minigrad.is_grad_enabled()
            y = x * 2
        assert not minigrad.is_grad_enabled()
        z = x * 2
    assert y.requires_grad and not z.requires_grad

    @minigrad.enable_grad()
    def recorded(t: Tensor) -> Tensor:
        return t * 2

    with minigrad.no_grad():
        assert recorded(x).requires_grad


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), minigrad.no_grad():
        raise ZeroDivisionError
    assert minigrad.is_grad_enabled()


def test_set_grad_enabled_as_a_call_a_context_manager_and_a_decorator() -> None:
    x = leaf([1.0])
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert minigrad.is_grad_enabled()
    with minigrad.no_grad(), minigrad.set_grad_enabled(True):
        assert (x * 2).requires_grad

    @minigrad.set_grad_enabled(False)
    def f(t: Tensor) -> Tensor:
        return t * 2

    assert minigrad.is_grad_enabled()  # decorating does not switch the mode
    assert not f(x).requires_grad
    try:
        minigrad.set_grad_enabled(False)  # a plain call sets the mode, as in PyTorch
        assert not minigrad.is_grad_enabled()
    finally:
        minigrad.set_grad_enabled(True)
    assert minigrad.is_grad_enabled()


# ----------------------------------------------------------------------------- minigrad.grad


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone() -> None:
    x, y = leaf([1.0, 2.0]), leaf(3.0)
    gx, gy = minigrad.grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.array, [3.0, 3.0])
    assert gy.item() == 3.0
    assert x.grad is None and y.grad is None


def test_grad_with_grad_outputs() -> None:
    x = leaf([1.0, 2.0, 3.0])
    weights = minigrad.tensor(np.array([1.0, 10.0, 100.0]))
    (g,) = minigrad.grad(x * x, x, grad_outputs=weights)
    np.testing.assert_array_equal(g.array, [2.0, 40.0, 600.0])
    a, b = x * 2, x.sum()
    (g,) = minigrad.grad([a, b], x, grad_outputs=[weights, minigrad.tensor(np.array(1.0))])
    np.testing.assert_array_equal(g.array, [3.0, 21.0, 201.0])


def test_grad_allow_unused() -> None:
    x, unused = leaf([1.0]), leaf([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"input 1 .* was not used.*allow_unused=True"):
        minigrad.grad(y, [x, unused], retain_graph=True)
    gx, gu = minigrad.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_array_equal(gx.array, [2.0])
    assert gu is None


def test_grad_of_an_input_that_does_not_require_grad_is_an_error() -> None:
    x = minigrad.tensor([1.0])
    y = leaf([1.0]) * x
    with pytest.raises(RuntimeError, match=r"input 0 .* does not require grad"):
        minigrad.grad(y.sum(), x)


# ----------------------------------------------------------------------------- errors (section 6)


@pytest.mark.parametrize(("op", "name"), [(lambda a, b: a + b, "Add"), (lambda a, b: a * b, "Mul")])
def test_broadcast_mismatch_names_both_shapes_and_the_op(op: object, name: str) -> None:
    a, b = minigrad.zeros(2, 3), minigrad.zeros(4)
    with pytest.raises(ValueError) as error:
        op(a, b)
    message = str(error.value)
    assert name in message and "(2, 3)" in message and "(4,)" in message


def test_matmul_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        minigrad.zeros(2, 3) @ minigrad.zeros(4, 5)
    with pytest.raises(ValueError, match=r"matmul.*\(3,\).*\(2,\)"):
        minigrad.zeros(3) @ minigrad.zeros(2)
    with pytest.raises(ValueError, match=r"(?i)matmul.*\(7, 2, 3\).*\(5, 3, 2\)"):
        minigrad.zeros(7, 2, 3) @ minigrad.zeros(5, 3, 2)  # batch dims do not broadcast


def test_backward_on_a_non_scalar_needs_a_gradient() -> None:
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        minigrad.grad(y, y)


def test_backward_with_a_gradient_of_the_wrong_shape() -> None:
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*shape \(2,\)"):
        y.backward(minigrad.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad() -> None:
    y = minigrad.tensor([1.0, 2.0]).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_second_backward_needs_retain_graph() -> None:
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_second_backward_with_retain_graph_works() -> None:
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.array, [4.0, 8.0])
    z = (x.exp() * 2).sum()
    minigrad.grad(z, x, retain_graph=True)
    minigrad.grad(z, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        minigrad.grad(z, x)


@pytest.mark.parametrize(
    "make",
    [
        lambda: minigrad.tensor([1, 2], requires_grad=True),
        lambda: minigrad.tensor([1.0], dtype=minigrad.int64, requires_grad=True),
        lambda: minigrad.zeros(2, dtype=minigrad.int32, requires_grad=True),
        lambda: minigrad.tensor([True], requires_grad=True),
        lambda: minigrad.arange(3).requires_grad_(),
    ],
)
def test_an_integer_tensor_cannot_require_grad(make: object) -> None:
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        make()


def test_grad_only_walks_paths_that_lead_to_the_inputs():
    class Exploding(minigrad.ops.Primitive):
        __slots__ = ()

        def forward(self, a):
            return a * 2

        def backward(self, grad, out):
            raise AssertionError("backward ran on a branch that does not lead to the input")

    x = minigrad.tensor(2.0, requires_grad=True)
    w = minigrad.tensor(3.0, requires_grad=True)
    y = x * w + Exploding()(w)
    (dx,) = minigrad.grad(y, x, retain_graph=True)
    assert dx.item() == 3.0
    with pytest.raises(AssertionError, match="does not lead"):
        minigrad.grad(y, w)


def test_each_leaf_owns_a_writable_grad():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.array *= 0.5  # gradient clipping by hand must not touch b's gradient
    np.testing.assert_array_equal(b.grad.array, [1.0, 1.0])


def test_grad_returns_one_gradient_per_input_even_when_repeated():
    x = minigrad.tensor(2.0, requires_grad=True)
    assert [g.item() for g in minigrad.grad(x * x, [x, x])] == [4.0, 4.0]


def test_no_grad_works_as_a_bare_decorator():
    @minigrad.no_grad
    def double(t):
        return t * 2

    assert not double(minigrad.tensor(1.0, requires_grad=True)).requires_grad


# ----------------------------------------------------------------------------- after backward: structure without data


def test_backward_frees_what_was_saved_and_keeps_where_it_came_from() -> None:
    import gc
    import weakref

    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    mask = minigrad.tensor([[True, False], [True, True]])
    hidden = x * 2
    hidden_is_alive = weakref.ref(hidden)
    y = hidden.where(mask, 0).sum()
    del hidden
    y.backward()
    gc.collect()
    assert hidden_is_alive() is None  # nothing holds the intermediate's data any more
    where = y.grad_fn.structure[2]  # [shape, dtype, then one entry per input]
    assert y.grad_fn.structure[:2] == [(), np.float64] and type(where).__name__ == "Where"
    shape, dtype, condition, made_by_mul, zero = where.structure
    assert (shape, dtype) == ((2, 2), np.float64)
    assert condition.shape == (2, 2) and condition.ref() is mask  # a record of the constant, by weak reference
    assert made_by_mul.structure[2] is x and zero.array.ndim == 0  # parameters and 0-d constants are kept
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_keeps_the_inputs_and_sets_no_structure() -> None:
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert y.grad_fn.inputs and not hasattr(y.grad_fn, "structure")


def test_fused_batchnorm_frees_its_saved_arrays() -> None:
    x = minigrad.randn(8, 3, requires_grad=True)
    y = minigrad.nn.functional.batch_norm(x, None, None, training=True, fused=True)
    op = y.grad_fn
    assert op.x_hat is not None
    y.backward(minigrad.ones(8, 3))
    assert op.x_hat is None and op.inv_std is None


def test_a_training_step_keeps_no_activation_after_backward() -> None:
    """After backward the graph keeps its structure (for drawings) but no array that forward
    saved: max pooling's positions and a custom Function's context are freed too."""
    import gc
    import tracemalloc

    from minigrad import nn

    class Double(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    x = minigrad.randn(32, 1, 28, 28)  # each (32, 8, 28, 28) activation is 784 KiB

    def step() -> Tensor:
        loss = Double.apply(model(x)).square().mean()
        loss.backward()
        return loss

    step()
    gc.collect()
    tracemalloc.start()
    loss = step()
    gc.collect()
    with_graph = tracemalloc.get_traced_memory()[0]
    del loss
    gc.collect()
    without_graph = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert with_graph - without_graph < 64 * 1024  # records of shapes and ops, not arrays


# ----------------------------------------------------------------------------- scopes


def test_ops_remember_the_modules_and_stages_they_were_made_in() -> None:
    from minigrad import nn

    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    y = model(minigrad.randn(4, 2))
    bn = model[1]
    assert y.grad_fn.scope == (model, bn, "scaled shift")
    assert minigrad.autograd.Scope.current == ()  # restored on the way out
    with pytest.raises(ValueError), minigrad.autograd.named_scope("outer"):
        raise ValueError
    assert minigrad.autograd.Scope.current == ()


def test_ops_of_a_backward_pass_are_marked_as_such() -> None:
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (dx,) = minigrad.grad(y, x, create_graph=True)
    assert dx.grad_fn.scope == (minigrad.autograd.BACKWARD,)
    assert y.grad_fn.scope == ()


def test_next_functions_survive_backward() -> None:
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = ((x * w).exp() * 2).sum()

    def walk(op: object) -> list[str]:
        names = []
        for parent, _ in op.next_functions:  # type: ignore[attr-defined]
            names.append(type(parent).__name__)
            if parent is not None and hasattr(parent, "next_functions"):
                names.extend(walk(parent))
        return names

    before = walk(y.grad_fn)
    y.backward()
    assert walk(y.grad_fn) == before == ["Mul", "Exp", "Mul", "AccumulateGrad", "AccumulateGrad", "NoneType"]


def test_grad_mode_belongs_to_each_thread_as_in_pytorch() -> None:
    import threading

    inside, leave = threading.Event(), threading.Event()

    def evaluate_without_grad() -> None:
        with minigrad.no_grad():
            inside.set()
            leave.wait()

    evaluator = threading.Thread(target=evaluate_without_grad)
    evaluator.start()
    inside.wait()
    try:
        assert (leaf([1.0]) * 2).requires_grad  # this thread still records
    finally:
        leave.set()
        evaluator.join()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(minigrad.is_grad_enabled()))
    with minigrad.no_grad():
        worker.start()
        worker.join()
    assert seen == [True]  # a new thread starts recording, whatever its parent does
