"""Central finite differences: the numerical reference that every gradient check compares with.

>>> x = np.array([1.0, 2.0])
>>> central_differences(lambda: [x**2], x)[0]   # d(x^2)/dx = diag(2x)
array([[2., 0.],
       [0., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(
    outputs: Callable[[], list[np.ndarray]], array: np.ndarray, eps: float = 1e-6
) -> list[np.ndarray]:
    """d(outputs)/d(array) by (f(x + eps) - f(x - eps)) / 2 eps, one element at a time.

    ``outputs()`` recomputes the outputs from the current contents of ``array``, which is
    nudged in place (it must be writable and C-contiguous) and restored afterwards. Returns one
    (output size, array size) block per output, in float64. The error of the estimate is
    O(eps^2), so in float64 it is about 1e-10 for eps = 1e-6; in float32 rounding swamps it.
    """
    flat = array.reshape(-1)
    if array.size and not np.shares_memory(flat, array):
        raise ValueError("central_differences: the array must be C-contiguous, so that it can be nudged in place")
    columns: list[list[np.ndarray]] = []
    for k in range(flat.size):
        value = flat[k]
        flat[k] = value + eps
        plus = [np.array(o, dtype=np.float64).ravel() for o in outputs()]  # copies: an output may be the nudged array
        flat[k] = value - eps
        minus = [np.array(o, dtype=np.float64).ravel() for o in outputs()]
        flat[k] = value
        columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    if not columns:  # an empty array: every block has no columns
        return [np.zeros((np.size(o), 0)) for o in outputs()]
    return [np.stack([column[i] for column in columns], axis=1) for i in range(len(columns[0]))]
