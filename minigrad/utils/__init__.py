"""``minigrad.utils.data``: where ``torch.utils.data`` code finds Dataset and DataLoader."""

from minigrad.utils import data

__all__ = ["data"]
