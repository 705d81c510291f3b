"""Exercise 1, solved: BatchNorm's forward from Tensor operations (Ioffe & Szegedy 2015, Alg. 1).

minigrad check-bn --impl examples/exercises/solutions/bn_forward.py:batch_norm_forward
"""

from minigrad import Tensor


def batch_norm_forward(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (1, C) or (1, C, 1, 1)
    mean = x.mean(axes, keepdim=True)
    var = ((x - mean) ** 2).mean(axes, keepdim=True)  # biased: divide by m (x.var(axes) would divide by m - 1)
    x_hat = (x - mean) / (var + eps).sqrt()
    return gamma.reshape(per_channel) * x_hat + beta.reshape(per_channel)
