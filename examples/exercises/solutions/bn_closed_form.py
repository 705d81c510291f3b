"""Exercise 3, solved: BatchNorm's backward in closed form (Ioffe & Szegedy 2015, sec. 3):

dx = gamma inv_std / m * (m dy - sum dy - x_hat sum(dy x_hat))

minigrad check-bn --impl examples/exercises/solutions/bn_closed_form.py:batch_norm_closed_form
"""

from minigrad import Tensor, ops
from minigrad.nn.batchnorm import channel_layout, normalize, scale_and_shift


class BatchNormClosedForm(ops.Primitive):
    __slots__ = ("eps",)

    def __init__(self, eps: float) -> None:
        self.eps = eps

    def forward(self, x, gamma, beta):  # numpy arrays in, numpy array out
        return scale_and_shift(normalize(x, self.eps).x_hat, gamma, beta)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x, gamma, beta = self.inputs
        axes, per_channel, m = channel_layout(x)
        stages = normalize(x, self.eps)  # stages.x_hat, stages.inv_std: Tensors made from x
        dy = grad
        sum_dy = dy.sum(axes, keepdim=True)
        sum_dy_x_hat = (dy * stages.x_hat).sum(axes, keepdim=True)
        dx = gamma.reshape(per_channel) * stages.inv_std / m * (m * dy - sum_dy - stages.x_hat * sum_dy_x_hat)
        return dx, sum_dy_x_hat.reshape(gamma.shape), sum_dy.reshape(beta.shape)


def batch_norm_closed_form(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    return BatchNormClosedForm(eps)(x, gamma, beta)
