"""What teaching code does with hooks: record each layer's activations with forward hooks, the
gradients flowing out of each layer with full backward hooks, and change a gradient with a
tensor hook; and walk the graph from the loss with grad_fn.next_functions."""

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(3)
model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4), nn.LeakyReLU(0.1), nn.Linear(4, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape))).float())

activations, gradients = {}, {}
for name, layer in model.named_children():
    layer.register_forward_hook(lambda module, inputs, output, name=name: activations.__setitem__(name, output))
    layer.register_full_backward_hook(
        lambda module, grad_input, grad_output, name=name: gradients.__setitem__(name, grad_output[0])
    )

x = torch.from_numpy(rng.standard_normal((6, 5)).astype(np.float32)).requires_grad_()
x.register_hook(lambda grad: grad * 0.5)
loss = model(x).pow(2).mean()

steps, fn = 0, loss.grad_fn
while fn is not None and fn.next_functions:  # follow the first input that has a gradient back to a leaf
    steps += 1
    fn = next((f for f, _ in fn.next_functions if f is not None), None)
print("graph reaches a leaf:", steps > 3 and type(fn).__name__ == "AccumulateGrad")

loss.backward()
for name in activations:
    print("layer", name, activations[name].mean().item(), activations[name].std().item(), gradients[name].norm().item())
print("input grad", x.grad.abs().sum().item())
