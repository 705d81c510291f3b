"""Exercise 4, solved: the lite BatchNorm y = gamma (x - mean) + beta. Two of BatchNorm's three
paths of dx are left, direct and through the mean: dx = gamma (dy - mean(dy)); there is no
variance, so no third path, and eps is not used.

    minigrad check-bn --impl examples/exercises/solutions/bn_lite.py:batch_norm_lite --definition lite
"""

from minigrad import Tensor


def batch_norm_lite(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    axes = (0, *range(2, x.ndim))
    per_channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return gamma.reshape(per_channel) * (x - x.mean(axes, keepdim=True)) + beta.reshape(per_channel)
