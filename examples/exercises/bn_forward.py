"""Exercise 1: BatchNorm's forward, from Tensor operations.

Write y = gamma * (x - mean) / sqrt(var + eps) + beta for x of shape (N, C) or (N, C, H, W):
the mean and the variance are per channel (axis 1), over every other axis, and the variance
is the *biased* one (divide by m, the number of values per channel). gamma and beta have
shape (C,); reshape them to broadcast against x. Autodiff derives the backward: the check
compares your forward with the definition, your gradients with the closed form, finite
differences and PyTorch, and your second derivatives too.

    minigrad check-bn --impl examples/exercises/bn_forward.py:batch_norm_forward

Hints: ``x.mean(axes, keepdim=True)``; ``Tensor.var`` is the *unbiased* variance unless you pass
``correction=0``; ``(v + eps).sqrt()``. Do not use numpy or ``.array``: the graph must see every step.
"""

from minigrad import Tensor


def batch_norm_forward(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    raise NotImplementedError(
        "exercise 1: write y = gamma (x - mean) / sqrt(var + eps) + beta in examples/exercises/bn_forward.py"
    )
