"""A Hessian-vector product of a small MLP's loss, by differentiating the gradient.

H v = d/dw (grad L(w) . v). With create_graph=True, minigrad records the backward pass, so
the gradient is itself differentiable. We check H v against finite differences of the
gradient: (grad L(w + eps v) - grad L(w - eps v)) / (2 eps).

    python examples/hessian_vector_product.py
"""

import numpy as np

import minigrad

rng = np.random.default_rng(0)
inputs = minigrad.tensor(rng.standard_normal((16, 4)))  # float64 throughout, for the check
targets = minigrad.tensor(rng.standard_normal((16, 1)))
w1 = minigrad.tensor(rng.standard_normal((4, 8)) * 0.5, requires_grad=True)
w2 = minigrad.tensor(rng.standard_normal((8, 1)) * 0.5, requires_grad=True)
v1, v2 = rng.standard_normal((4, 8)), rng.standard_normal((8, 1))


def loss(w1: minigrad.Tensor, w2: minigrad.Tensor) -> minigrad.Tensor:
    return ((inputs @ w1).tanh() @ w2 - targets).square().mean()


g1, g2 = minigrad.grad(loss(w1, w2), [w1, w2], create_graph=True)
hv1, hv2 = minigrad.grad((g1 * minigrad.tensor(v1)).sum() + (g2 * minigrad.tensor(v2)).sum(), [w1, w2])


def gradient_at(shift: float) -> list[np.ndarray]:
    a = minigrad.tensor(w1.array + shift * v1, requires_grad=True)
    b = minigrad.tensor(w2.array + shift * v2, requires_grad=True)
    return [g.array for g in minigrad.grad(loss(a, b), [a, b])]


eps = 1e-6
plus, minus = gradient_at(eps), gradient_at(-eps)
for name, exact, p, m in (("w1", hv1, plus[0], minus[0]), ("w2", hv2, plus[1], minus[1])):
    numerical = (p - m) / (2 * eps)
    print(f"H v for {name}: max |autodiff - finite differences| = {np.abs(exact.array - numerical).max():.2e}")
