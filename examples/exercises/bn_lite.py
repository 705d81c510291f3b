"""Exercise 4: a "lite" BatchNorm that removes the mean but not the variance (Dive into Deep
Learning, sec. 8.5, exercises): y = gamma * (x - mean) + beta, the mean per channel.

Write it, then check it against its own definition:

    minigrad check-bn --impl examples/exercises/bn_lite.py:batch_norm_lite --definition lite

Then work out its backward on paper: which of BatchNorm's three paths of dx are left? (Answer in
solutions/bn_lite.py.) And check it against full BatchNorm (without --definition lite) to see
which rows catch the difference.
"""

from minigrad import Tensor


def batch_norm_lite(x: Tensor, gamma: Tensor, beta: Tensor, eps: float) -> Tensor:
    raise NotImplementedError("exercise 4: write y = gamma (x - mean) + beta in examples/exercises/bn_lite.py")
