"""Exercise 2: BatchNorm's backward, node by node (cs231n's batchnorm_backward, the "backprop
ninja" exercise).

BatchNormByNodes is one op: its forward is given; write its backward, one line per stage of
the forward, from y back to x:

    mu = mean(x);  xmu = x - mu;  var = mean(xmu^2);  inv_std = 1 / sqrt(var + eps)
    x_hat = xmu * inv_std;  y = gamma * x_hat + beta

Each d_<stage> is dL/d<stage>: the gradients arriving from every use of the stage, summed. Sums
are per channel over its m values: ``t.sum(axes, keepdim=True)``. Write them with Tensor
operations on the stages below (not numpy): then your backward can itself be differentiated,
and the second-order rows of the check pass too.

    minigrad check-bn --impl examples/exercises/bn_backward_by_nodes.py:batch_norm_by_nodes
    minigrad check-bn --derive     # every stage's gradient, by autodiff beside its formula

(--derive differentiates minigrad's own graph, which folds gamma into scale = gamma * inv_std, so
x_hat is no node there: your d_x_hat = gamma dy is inside its d(x - mu) = dy * scale + ...)
"""

# ruff: noqa: F841, RUF059  (the names the backward unpacks are there for you to use)

from minigrad import Tensor, ops
from minigrad.nn.batchnorm import channel_layout, normalize, scale_and_shift


class BatchNormByNodes(ops.Primitive):
    __slots__ = ("eps",)

    def __init__(self, eps: float) -> None:
        self.eps = eps

    def forward(self, x, gamma, beta):  # numpy arrays in, numpy array out
        return scale_and_shift(normalize(x, self.eps).x_hat, gamma, beta)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x, gamma, beta = self.inputs
        axes, per_channel, m = channel_layout(x)
        stages = normalize(x, self.eps)  # the stages again, as Tensors made from x
        mu, var, xmu, inv_std, x_hat = stages.mean, stages.var, stages.centered, stages.inv_std, stages.x_hat
        g = gamma.reshape(per_channel)
        dy = grad
        # Your code: d_beta and d_gamma (shape (C,)), then d_x_hat, d_inv_std, d_var, d_xmu, d_mu and dx.
        raise NotImplementedError(
            "exercise 2: write the backward of BatchNormByNodes in examples/exercises/bn_backward_by_nodes.py"
        )


def batch_norm_by_nodes(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    return BatchNormByNodes(eps)(x, gamma, beta)
