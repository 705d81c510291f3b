"""A two-layer network with raw tensors, the way PyTorch's older tutorial wrote it: first with
backpropagation written by hand, then the same with autograd and a hand-written SGD step.
The data and the initial weights come from numpy, so that both engines start equal."""

import numpy as np
import torch

dtype = torch.float
device = torch.device("cpu")
N, D_in, H, D_out = 64, 100, 50, 10

rng = np.random.default_rng(0)
x = torch.from_numpy(rng.standard_normal((N, D_in))).to(device, dtype)
y = torch.tensor(rng.standard_normal((N, D_out)), device=device, dtype=dtype)
w1_start = rng.standard_normal((D_in, H)) * 0.1
w2_start = rng.standard_normal((H, D_out)) * 0.1

# 1. Backpropagation by hand.
w1 = torch.tensor(w1_start, device=device, dtype=dtype)
w2 = torch.tensor(w2_start, device=device, dtype=dtype)
learning_rate = 1e-4
for t in range(200):
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum().item()
    if t % 50 == 49:
        print("manual", t, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2

# 2. The same with autograd.
w1 = torch.tensor(w1_start, device=device, dtype=dtype, requires_grad=True)
w2 = torch.tensor(w2_start, device=device, dtype=dtype, requires_grad=True)
for t in range(200):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 50 == 49:
        print("autograd", t, loss.item())
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()

print("weights", w1.sum().item(), w2.abs().max().item())
