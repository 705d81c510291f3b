"""Devices: minigrad runs on the CPU, with numpy. Below Tensor.

``.to("cpu")`` and ``device="cpu"`` are accepted so that code written for PyTorch runs;
any other device is a clear error.

>>> is_cpu_device("cpu"), is_cpu_device("float32")
(True, False)
"""

from __future__ import annotations

from typing import Any

DEVICE_NAMES = ("cpu", "cuda", "mps", "xpu", "meta")


def is_cpu_device(device: Any) -> bool:
    """True for "cpu" (minigrad's only device); False for anything that is not a device name
    (a dtype, say); an error for other devices such as "cuda"."""
    if not isinstance(device, str) or device.split(":")[0] not in DEVICE_NAMES:
        return False
    if device.split(":")[0] != "cpu":
        raise RuntimeError(f"minigrad runs on numpy, on the CPU only: cannot move to device {device!r}")
    return True
