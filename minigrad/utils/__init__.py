"""``minigrad.utils``: where ``torch.utils.data`` code finds Dataset and DataLoader, and
``torch.utils.hooks`` its RemovableHandle. Loaded on first use (PEP 562), so that
``import minigrad`` does not load the datasets."""

from typing import Any

from minigrad.unsupported import missing_attribute

__all__ = ["data", "hooks"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        return importlib.import_module(f"minigrad.utils.{name}")
    raise missing_attribute("minigrad.utils", name)  # torch.utils.checkpoint: a NotImplementedError naming it
