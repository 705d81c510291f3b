"""Numerical checks of gradients, with the semantics of ``torch.autograd.gradcheck``.

``gradcheck`` builds the full Jacobian twice, once by backward passes (one per output
element) and once by central differences (f(x + eps) - f(x - eps)) / 2 eps, and passes when
every entry satisfies |analytical - numerical| <= atol + rtol * |numerical|.
``gradgradcheck`` runs the same check on the function that maps inputs to their gradients,
which tests the backward pass's own backward (second derivatives).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigrad.autograd import grad
from minigrad.checks.finite_differences import central_differences
from minigrad.dtypes import float64
from minigrad.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytical gradient disagrees with the numerical one."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.kind == "f"]


def _numerical_jacobian(fn: Callable[..., Any], inputs: Sequence[Any], index: int, eps: float) -> list[np.ndarray]:
    """d(outputs)/d(inputs[index]) by central differences, one (out.size, in.size) block per output."""
    tensor = inputs[index]
    original = tensor.array
    tensor.array = np.array(original, order="C")  # a writable C-ordered copy, nudged in place
    try:
        return central_differences(lambda: [o.array for o in _differentiable_outputs(fn, inputs)], tensor.array, eps)
    finally:
        tensor.array = original


def _analytical_jacobian(fn: Callable[..., Any], inputs: Sequence[Any], index: int) -> list[np.ndarray]:
    """d(outputs)/d(inputs[index]) by one backward pass per output element."""
    outputs = _differentiable_outputs(fn, inputs)
    target = inputs[index]
    blocks = []
    for out in outputs:
        block = np.zeros((out.array.size, target.array.size))
        if out.requires_grad:
            for row in range(out.array.size):
                seed = np.zeros(out.array.size, dtype=out.dtype)
                seed[row] = 1
                (g,) = grad(out, target, Tensor(seed.reshape(out.shape)), retain_graph=True, allow_unused=True)
                if g is not None:
                    block[row] = g.array.astype(float64).ravel()
        blocks.append(block)
    return blocks


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients against central finite differences.

    >>> import minigrad
    >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    >>> minigrad.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != float64:
            warnings.warn(
                f"gradcheck: input {i} requires grad but is {x.dtype}, not float64; "
                "finite differences in single precision are too coarse to check reliably",
                stacklevel=2,
            )
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        analytical = _analytical_jacobian(fn, inputs, i)
        numerical = _numerical_jacobian(fn, inputs, i, eps)
        for o, (a, n) in enumerate(zip(analytical, numerical)):
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            if (excess.size and (excess > 0).any()) or np.isnan(a).any() != np.isnan(n).any():
                if not raise_exception:
                    return False
                row, col = np.unravel_index(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)), excess.shape)
                raise GradcheckError(
                    f"gradcheck failed for input {i} (shape {x.shape}), output {o}: the worst element is "
                    f"d(output[{row}])/d(input[{col}]) (flat indices): analytical {a[row, col]:.8g}, "
                    f"numerical {n[row, col]:.8g}, |difference| {abs(a[row, col] - n[row, col]):.3g} "
                    f"> atol + rtol*|numerical| = {atol + rtol * abs(n[row, col]):.3g}\n"
                    f"analytical:\n{a}\nnumerical:\n{n}"
                )
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, v) -> v^T d(fn)/d(inputs).

    ``grad_outputs`` (the v) are random float64 tensors unless given; they are inputs of the
    checked map too, so the backward pass is checked to be linear in them as well.

    >>> import minigrad
    >>> x = minigrad.randn(3, dtype=minigrad.float64, requires_grad=True)
    >>> minigrad.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
    True
    """
    inputs = _as_tuple(inputs)
    outputs = _differentiable_outputs(fn, inputs)
    if grad_outputs is None:
        generator = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor(generator.standard_normal(o.shape).astype(o.dtype), requires_grad=True) for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)
    differentiable = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        xs, vs = args[:n_inputs], args[n_inputs:]
        outs = _differentiable_outputs(fn, xs)
        grads = grad(outs, [xs[i] for i in differentiable], list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps, atol, rtol, raise_exception)
