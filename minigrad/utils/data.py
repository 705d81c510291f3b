"""torch.utils.data's names, so ``from minigrad.utils.data import DataLoader`` reads as in PyTorch.

>>> from minigrad.utils.data import DataLoader, TensorDataset
>>> len(DataLoader(TensorDataset([1, 2, 3]), batch_size=2))
2
"""

from minigrad.data.dataloader import DataLoader, Dataset, TensorDataset

__all__ = ["DataLoader", "Dataset", "TensorDataset"]
