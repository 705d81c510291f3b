"""Exercise 2, solved: BatchNorm's backward node by node, written in Tensor operations (so its
own derivative is right too).

    minigrad check-bn --impl examples/exercises/solutions/bn_backward_by_nodes.py:batch_norm_by_nodes
"""

from minigrad import Tensor, ops
from minigrad.nn.batchnorm import channel_layout, normalize, scale_and_shift


class BatchNormByNodes(ops.Primitive):
    __slots__ = ("eps",)

    def __init__(self, eps: float) -> None:
        self.eps = eps

    def forward(self, x, gamma, beta):  # numpy arrays in, numpy array out
        return scale_and_shift(normalize(x, self.eps).x_hat, gamma, beta)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x, gamma, _ = self.inputs
        axes, per_channel, m = channel_layout(x)
        stages = normalize(x, self.eps)  # the stages again, as Tensors made from x
        var, xmu, inv_std, x_hat = stages.var, stages.centered, stages.inv_std, stages.x_hat
        g = gamma.reshape(per_channel)
        dy = grad
        d_beta = dy.sum(axes)  # y = gamma x_hat + beta
        d_gamma = (dy * x_hat).sum(axes)
        d_x_hat = dy * g
        d_inv_std = (d_x_hat * xmu).sum(axes, keepdim=True)  # x_hat = xmu * inv_std
        d_var = d_inv_std * -0.5 * (var + self.eps) ** -1.5  # inv_std = (var + eps)^(-1/2)
        d_xmu = d_x_hat * inv_std + d_var * 2 * xmu / m  # xmu is used by x_hat and by var = mean(xmu^2)
        d_mu = -d_xmu.sum(axes, keepdim=True)  # xmu = x - mu
        dx = d_xmu + d_mu / m  # x is used by xmu and by mu = mean(x)
        return dx, d_gamma, d_beta


def batch_norm_by_nodes(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    return BatchNormByNodes(eps)(x, gamma, beta)
