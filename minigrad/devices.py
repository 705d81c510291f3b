"""Devices: minigrad runs on the CPU, with numpy. Below Tensor.

``torch.device("cpu")``, ``device=`` on every factory, ``.to(device)`` and ``.cpu()`` are
accepted so that code written for PyTorch runs unchanged; ``torch.cuda.is_available()`` and
``torch.accelerator.is_available()`` answer False. A device of another type can be named
(``device("cuda")``, as PyTorch allows on a machine without a GPU), but putting a tensor
there is a clear error.

>>> device("cpu"), str(device("cpu")), is_cpu_device("cpu"), is_cpu_device("float32")
(device(type='cpu'), 'cpu', True, False)
"""

from __future__ import annotations

from typing import Any

from minigrad.unsupported import unsupported

DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia", "privateuseone")


class device:
    """PyTorch's ``torch.device``: a type (``"cpu"``, ``"cuda"``, ...) and an optional index.

    >>> device("cuda:1").type, device("cuda:1").index, device("cpu") == "cpu"
    ('cuda', 1, True)
    """

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            raise unsupported(f"device index {type} (an accelerator)")
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if name not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: {type}"
            )
        if number:
            if index is not None:
                raise RuntimeError(f"device(): the index is given twice, in {type!r} and as {index}")
            index = int(number)
        self.type, self.index = name, index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r}" + ("" if self.index is None else f", index={self.index}") + ")"


CPU = device("cpu")


def is_device(value: Any) -> bool:
    """True for a ``device`` or a string naming one (``"cpu"``, ``"cuda:0"``)."""
    if isinstance(value, device):
        return True
    return isinstance(value, str) and value.partition(":")[0] in DEVICE_TYPES


def is_cpu_device(value: Any) -> bool:
    """True for the CPU (``"cpu"``, ``device("cpu")``); False for anything that is not a device
    (a dtype, say); an error for another device such as ``"cuda"``."""
    if not is_device(value):
        return False
    check_device(value)
    return True


def check_device(value: Any) -> None:
    """Accept ``None`` or the CPU (the ``device=`` argument of factories); refuse other devices."""
    if value is None:
        return
    if not is_device(value):
        raise TypeError(f"device must be a torch.device or a string such as 'cpu', got {value!r}")
    if device(value).type != "cpu":
        raise unsupported(f"device {str(device(value))!r}", "Use device='cpu' (or leave the device out).")


def set_default_device(device: Any) -> None:
    """``torch.set_default_device``: only the CPU (or None) is accepted."""
    check_device(device)


def get_default_device() -> device:
    return CPU


# ----------------------------------------------------------------------------- layouts


class Layout:
    """PyTorch's tensor layouts: ``strided`` (dense) is the only one minigrad has."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


strided = Layout("strided")
sparse_coo, sparse_csr = Layout("sparse_coo"), Layout("sparse_csr")


class MemoryFormat(Layout):
    """PyTorch's memory formats: accepted as hints (numpy decides the strides)."""


contiguous_format, preserve_format, channels_last = (
    MemoryFormat("contiguous_format"),
    MemoryFormat("preserve_format"),
    MemoryFormat("channels_last"),
)


# ----------------------------------------------------------------------------- no accelerators here


class cuda:
    """``torch.cuda``, on a machine without CUDA: nothing is available, seeding does nothing (as
    PyTorch's does without a GPU), and anything that needs a GPU is a clear error."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def is_initialized() -> bool:
        return False

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Does nothing: there is no GPU generator to seed."""

    manual_seed_all = manual_seed

    @staticmethod
    def empty_cache() -> None:
        """Does nothing: there is no GPU memory to free."""

    @staticmethod
    def current_device() -> int:
        raise unsupported("torch.cuda.current_device()")

    @staticmethod
    def get_device_name(device: Any = None) -> str:
        raise unsupported("torch.cuda.get_device_name()")

    @staticmethod
    def synchronize(device: Any = None) -> None:
        raise unsupported("torch.cuda.synchronize()")


class accelerator:
    """``torch.accelerator``: there is none."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def current_accelerator(check_available: bool = False) -> None:
        """None, as PyTorch answers on a machine without an accelerator."""
        return None


class _Flags:
    """A namespace of settable flags (``torch.backends.cudnn.benchmark = True`` is accepted and
    changes nothing), with ``is_available()`` answering False."""

    def __init__(self, **flags: Any) -> None:
        self.__dict__.update(flags)

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class backends:
    """``torch.backends``: no cuDNN, no MPS; their flags can be set and do nothing."""

    cudnn = _Flags(benchmark=False, deterministic=False, enabled=False, allow_tf32=False)
    mps = _Flags()
    cuda = _Flags(matmul=_Flags(allow_tf32=False))
