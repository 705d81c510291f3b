"""Reading layer arguments the way PyTorch does: ints or pairs, and convolution padding.

>>> int_pair(3, "kernel_size"), conv_padding("same", (3, 3), (1, 1), (1, 1))
((3, 3), (1, 1, 1, 1))
"""

from __future__ import annotations

from typing import Any

import numpy as np

IntPair = int | tuple[int, int]


def int_pair(value: IntPair, name: str, least: int = 1) -> tuple[int, int]:
    """(value, value) for an int, the pair itself for a pair; each at least ``least``."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= least for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, each >= {least}, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_padding(
    padding: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Padding (top, bottom, left, right). 'same' keeps H and W (extra padding on the bottom/right)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = int_pair(padding, "padding", least=0)
    return (ph, ph, pw, pw)
