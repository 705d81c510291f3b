"""torch.utils.data's names, so ``from minigrad.utils.data import DataLoader`` reads as in PyTorch.

>>> from minigrad.utils.data import DataLoader, TensorDataset
>>> len(DataLoader(TensorDataset([1, 2, 3]), batch_size=2))
2
"""

from typing import Any

from minigrad.data.dataloader import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split
from minigrad.unsupported import missing_attribute

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]


def __getattr__(name: str) -> Any:
    """A PyTorch name minigrad does not have (``WeightedRandomSampler``): a NotImplementedError naming it."""
    raise missing_attribute("minigrad.utils.data", name)
