"""BatchNorm's backward, derived by the engine and from the closed form, side by side.

python examples/batchnorm_two_ways.py
"""

import numpy as np

import minigrad
import minigrad.nn.functional as F

rng = np.random.default_rng(0)
x_data = rng.standard_normal((8, 3, 4, 4))  # (N, C, H, W), float64
gamma_data = rng.standard_normal(3)
dy = minigrad.tensor(rng.standard_normal(x_data.shape))

gradients = {}
for fused in (False, True):
    x = minigrad.tensor(x_data, requires_grad=True)
    gamma = minigrad.tensor(gamma_data, requires_grad=True)
    beta = minigrad.tensor(np.zeros(3), requires_grad=True)
    y = F.batch_norm(x, None, None, gamma, beta, training=True, fused=fused)
    y.backward(dy)
    gradients[fused] = x.grad.array
    print(f"{'fused (closed form)' if fused else 'derived (primitives)':22s} dx[0, 0, 0] = {x.grad.array[0, 0, 0]}")
print(f"max |derived - fused| = {np.abs(gradients[False] - gradients[True]).max():.2e}")
print("The full check, with finite differences, PyTorch and second derivatives: minigrad check-bn")
