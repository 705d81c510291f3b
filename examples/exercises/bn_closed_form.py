"""Exercise 3: BatchNorm's backward in closed form (cs231n's batchnorm_backward_alt).

Simplify the node-by-node backward of exercise 2 on paper until dx is one line in x_hat,
inv_std = 1 / sqrt(var + eps) and two per-channel sums of dy, then write it below. (The three
terms you should find are printed by ``minigrad check-bn --derive``, section 3.)

    minigrad check-bn --impl examples/exercises/bn_closed_form.py:batch_norm_closed_form
"""

# ruff: noqa: F841, RUF059  (the names the backward unpacks are there for you to use)

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
        # Your code: d_beta, d_gamma (shape (C,)) and dx in one line.
        raise NotImplementedError(
            "exercise 3: write the closed-form backward of BatchNormClosedForm in examples/exercises/bn_closed_form.py"
        )


def batch_norm_closed_form(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    return BatchNormClosedForm(eps)(x, gamma, beta)
