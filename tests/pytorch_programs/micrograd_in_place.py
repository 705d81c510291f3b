"""micrograd's own test (test_engine.py, test_more_ops), written with PyTorch tensors as
micrograd's author compares it: note ``c += c + 1``, an in-place change of a tensor in the
graph, which PyTorch records (and so must minigrad). Plus a tensor hook and retain_grad."""

import torch

a = torch.Tensor([-4.0]).double()
b = torch.Tensor([2.0]).double()
a.requires_grad = True
b.requires_grad = True
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
e.retain_grad()
f = e**2
g = f / 2.0
g += 10.0 / f
hook = d.register_hook(lambda grad: grad * 2)
g.backward()
print("g", g.data.item())
print("grads", a.grad.item(), b.grad.item(), e.grad.item())
hook.remove()

# Assignments and in-place updates of tensors in the graph.
x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
h = x * 2
h[0] = 5.0
h[x.detach() > 2.5] += 1
h = h * x
h.sub_(x.exp()).relu_()
h.sum().backward()
print("setitem", h.tolist(), x.grad.tolist())
