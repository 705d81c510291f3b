"""torch.utils.data's names, so ``from minigrad.utils.data import DataLoader`` reads as in PyTorch.

>>> from minigrad.utils.data import DataLoader, TensorDataset
>>> len(DataLoader(TensorDataset([1, 2, 3]), batch_size=2))
2
"""

from minigrad.data.dataloader import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
