"""``minigrad.utils``: where ``torch.utils.data`` code finds Dataset and DataLoader, and
``torch.utils.hooks`` its RemovableHandle."""

from minigrad.utils import data, hooks

__all__ = ["data", "hooks"]
