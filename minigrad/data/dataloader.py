"""``Dataset``, ``TensorDataset`` and ``DataLoader``, with torch.utils.data's names and meanings.

A map-style ``Dataset`` answers ``len(ds)`` and ``ds[i]``. The ``DataLoader`` cuts a (shuffled)
order of indices into batches. Calling ``ds[i]`` once per sample is a Python call per image,
which costs more than the training step on small images; so, as PyTorch does, a dataset that
defines ``__getitems__(indices)`` is asked for the whole batch at once, and the array-backed
datasets here answer it with one fancy index (``images[indices]``). Any other dataset falls
back to one ``ds[i]`` per sample, stacked by ``default_collate``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from minigrad.generator import child_generator, generator_of
from minigrad.tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return float(i * i), i
    >>> [labels.tolist() for _, labels in DataLoader(Squares(), batch_size=3)]
    [[0, 1, 2], [3]]
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are rows of the given tensors (or arrays), which share their first dimension.

    >>> ds = TensorDataset(np.arange(6).reshape(3, 2), np.array([0, 1, 0]))
    >>> x, y = ds[1]
    >>> x.tolist(), int(y)
    ([2, 3], 1)
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        self.arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
        if not self.arrays:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = {len(a) for a in self.arrays}
        if len(sizes) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions {[len(a) for a in self.arrays]}")

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        """One sample, as a tuple of tensors (sharing memory with the dataset's arrays), as in PyTorch."""
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The whole columns, as tensors (PyTorch's attribute)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitems__(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)  # one fancy index per tensor per batch

    def __len__(self) -> int:
        return len(self.arrays[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: np.ndarray) -> Any:
        batched = getattr(self.dataset, "__getitems__", None)
        if batched is None:
            return default_collate([self.dataset[int(i)] for i in self.indices[indices]])
        return batched(self.indices[indices])

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions that sum to
    1: the remainder is spread one by one from the first subset, as PyTorch does).

    >>> [len(s) for s in random_split(TensorDataset(np.arange(10)), [0.7, 0.3])]
    [7, 3]
    """
    total = len(dataset)
    if all(0 <= n <= 1 for n in lengths) and abs(sum(lengths) - 1) < 1e-9 and sum(lengths) != total:
        counts = [int(np.floor(total * n)) for n in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != total:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = generator_of(generator).permutation(total)
    starts = np.cumsum([0, *lengths])
    return [Subset(dataset, order[a:b]) for a, b in itertools.pairwise(starts)]


def default_collate(samples: Sequence[Any]) -> tuple[Tensor, ...]:
    """Stack a list of samples ``(x, y, ...)`` field by field into Tensors."""
    first = samples[0]
    fields = len(first) if isinstance(first, (tuple, list)) else None
    if fields is None:
        return (_as_tensor(np.stack([_as_array(s) for s in samples])),)
    return tuple(_as_tensor(np.stack([_as_array(s[k]) for s in samples])) for k in range(fields))


class DataLoader:
    """Batches of a dataset as tuples of Tensors, in a fresh random order each epoch with
    ``shuffle=True``. The order comes from ``generator`` (a ``numpy.random.Generator``), or one
    seeded with ``seed``, or else one drawn from minigrad's generator (``manual_seed``), so a
    run is reproducible either way. The last batch may be smaller unless ``drop_last``.

    >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2, shuffle=True, seed=0)
    >>> len(loader), [len(x) for (x,) in loader]
    (3, [2, 2, 1])
    >>> sorted(int(v) for (x,) in loader for v in x.array)
    [0, 1, 2, 3, 4]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: Any = None,
        seed: int | None = None,
        *,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        timeout: float = 0,
        worker_init_fn: Any = None,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        """PyTorch's worker and memory options (``num_workers``, ``pin_memory``, ...) are accepted
        and change nothing: batches are made in this process, from numpy arrays. ``collate_fn``
        replaces ``default_collate`` (the dataset is then read one sample at a time)."""
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError("DataLoader: sampler and batch_sampler are not supported; use shuffle=")
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass generator or seed, not both")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last
        if generator is None:
            generator = child_generator(seed)
        self.generator = generator_of(generator)  # a minigrad.Generator (torch.Generator) gives its numpy one
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        count = len(self.dataset)
        return count // self.batch_size if self.drop_last else -(-count // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        count = len(self.dataset)
        order = self.generator.permutation(count) if self.shuffle else np.arange(count)
        batched = getattr(self.dataset, "__getitems__", None)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start : start + self.batch_size]
            if self.collate_fn is not None:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])
            elif batched is not None:
                yield tuple(_as_tensor(field) for field in batched(indices))
            else:  # a generic dataset: one call per sample
                yield default_collate([self.dataset[int(i)] for i in indices])


def _as_array(value: Any) -> np.ndarray:
    return value.array if isinstance(value, Tensor) else np.asarray(value)


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def batches(
    images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool = True, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches of two arrays (the last one may be smaller), shuffled when ``shuffle``.
    The numpy-only ancestor of ``DataLoader``."""
    order = np.random.default_rng(seed).permutation(len(images)) if shuffle else np.arange(len(images))
    for start in range(0, len(images), batch_size):
        chosen = order[start : start + batch_size]
        yield images[chosen], labels[chosen]
