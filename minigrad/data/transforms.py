"""Image transforms with torchvision.transforms' names, applied to a whole batch at once.

torchvision transforms one image at a time; here every transform takes a batch, so a batch
costs a handful of numpy calls, not a Python call per image. The layouts follow torchvision:

* before ``ToTensor``, images are numpy arrays as the datasets store them (like PIL images):
  uint8, ``(N, H, W)`` or ``(N, H, W, C)``;
* ``ToTensor`` turns them into a float32 ``Tensor`` ``(N, C, H, W)`` in [0, 1];
* after it, the last two axes are height and width.

The random transforms each own a ``numpy.random.Generator``, made at their first batch, so
their draws do not disturb model initialisation or shuffling. ``seed=`` fixes it; without one
its seed is one draw from minigrad's generator at that first batch, so ``minigrad.manual_seed``
before training makes the augmentation reproducible, as ``torch.manual_seed`` does for
torchvision's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.generator import child_generator
from minigrad.tensor import Tensor

Batch = Any  # a numpy array (before ToTensor) or a Tensor (after it)


def _array(batch: Batch) -> np.ndarray:
    return batch.array if isinstance(batch, Tensor) else np.asarray(batch)


def _like(batch: Batch, result: np.ndarray) -> Batch:
    """Return ``result`` as the same kind (Tensor or array) as the input batch."""
    return Tensor(result) if isinstance(batch, Tensor) else result


class RandomTransform:
    """A transform that draws random numbers from a generator of its own, made at its first use
    (``child_generator``): building one draws nothing from minigrad's generator."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self._generator: np.random.Generator | None = None

    @property
    def generator(self) -> np.random.Generator:
        if self._generator is None:
            self._generator = child_generator(self.seed)
        return self._generator

    @generator.setter
    def generator(self, generator: np.random.Generator) -> None:
        self._generator = generator


def _spatial_axes(batch: Batch) -> tuple[int, int]:
    """(height axis, width axis): (1, 2) for arrays (N, H, W[, C]), the last two for Tensors."""
    return (-2, -1) if isinstance(batch, Tensor) else (1, 2)


class Compose:
    """Apply transforms one after the other.

    >>> t = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    >>> t(np.array([[[0, 255]]], dtype=np.uint8)).array.tolist()
    [[[[-1.0, 1.0]]]]
    """

    def __init__(self, transforms: Sequence[Any]) -> None:
        self.transforms = list(transforms)

    def __call__(self, batch: Batch) -> Batch:
        for transform in self.transforms:
            batch = transform(batch)
        return batch

    def __repr__(self) -> str:
        return f"Compose({self.transforms})"


class ToTensor:
    """uint8 images ``(N, H, W)`` or ``(N, H, W, C)`` -> float32 Tensor ``(N, C, H, W)``, /255.

    >>> ToTensor()(np.full((2, 4, 5, 3), 51, dtype=np.uint8)).shape
    (2, 3, 4, 5)
    """

    def __call__(self, batch: Batch) -> Tensor:
        images = _array(batch)
        if images.ndim == 3:
            images = images[:, None]  # grayscale: one channel
        elif images.ndim == 4:
            images = images.transpose(0, 3, 1, 2)  # HWC -> CHW
        else:
            raise ValueError(f"ToTensor expects a batch (N, H, W) or (N, H, W, C), got shape {images.shape}")
        scale = 255.0 if images.dtype == np.uint8 else 1.0
        return Tensor(np.ascontiguousarray(images, dtype=np.float32) / np.float32(scale))

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c of a ``(N, C, H, W)`` batch.

    >>> Normalize((1.0, 2.0), (2.0, 4.0))(np.ones((1, 2, 1, 1))).ravel().tolist()
    [0.0, -0.25]
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean, self.std = tuple(mean), tuple(std)
        if len(self.mean) != len(self.std) or any(s <= 0 for s in self.std):
            raise ValueError(f"Normalize needs one positive std per mean, got mean {mean} and std {std}")

    def __call__(self, batch: Batch) -> Batch:
        images = _array(batch)
        if images.ndim != 4 or len(self.mean) not in (1, images.shape[1]):
            raise ValueError(
                f"Normalize with {len(self.mean)} channel(s) expects (N, {len(self.mean)}, H, W), got {images.shape}"
            )
        per_channel = (1, len(self.mean), 1, 1)
        mean = np.asarray(self.mean, dtype=images.dtype).reshape(per_channel)
        std = np.asarray(self.std, dtype=images.dtype).reshape(per_channel)
        return _like(batch, (images - mean) / std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomCrop(RandomTransform):
    """Pad each side by ``padding`` zeros, then cut a ``size`` window at a random place, drawn
    per image. The gather is one fancy index: rows ``top + arange(h)`` and columns
    ``left + arange(w)``, broadcast over the batch.

    >>> crop = RandomCrop(2, padding=0, seed=0)
    >>> crop(np.arange(9, dtype=np.uint8).reshape(1, 3, 3)).shape
    (1, 2, 2)
    """

    def __init__(self, size: int | tuple[int, int], padding: int = 0, seed: int | None = None) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if padding < 0 or min(self.size) <= 0:
            raise ValueError(f"RandomCrop needs a positive size and padding >= 0, got size {size}, padding {padding}")
        self.padding = padding
        super().__init__(seed)

    def __call__(self, batch: Batch) -> Batch:
        images = np.moveaxis(_array(batch), _spatial_axes(batch), (1, 2))  # (N, H, W, rest...)
        p = self.padding
        padded = np.pad(images, [(0, 0), (p, p), (p, p)] + [(0, 0)] * (images.ndim - 3))
        (h, w), (height, width) = self.size, padded.shape[1:3]
        if h > height or w > width:
            raise ValueError(f"RandomCrop({self.size}) is larger than the padded images ({height}, {width})")
        count = len(images)
        tops = self.generator.integers(0, height - h + 1, count)
        lefts = self.generator.integers(0, width - w + 1, count)
        rows = (tops[:, None] + np.arange(h))[:, :, None]  # (N, h, 1)
        cols = (lefts[:, None] + np.arange(w))[:, None, :]  # (N, 1, w)
        cropped = padded[np.arange(count)[:, None, None], rows, cols]  # (N, h, w, rest...)
        return _like(batch, np.moveaxis(cropped, (1, 2), _spatial_axes(batch)))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(RandomTransform):
    """Mirror each image left to right with probability ``p``, drawn per image.

    >>> RandomHorizontalFlip(p=1.0)(np.array([[[1, 2, 3]]])).tolist()
    [[[3, 2, 1]]]
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip probability has to be between 0 and 1, got {p}")
        self.p = p
        super().__init__(seed)

    def __call__(self, batch: Batch) -> Batch:
        images = _array(batch)
        width_axis = _spatial_axes(batch)[1] % images.ndim
        flip = self.generator.random(len(images)) < self.p
        flip = flip.reshape((-1,) + (1,) * (images.ndim - 1))  # broadcast over each image
        return _like(batch, np.where(flip, np.flip(images, axis=width_axis), images))

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


def generators_of(transform: Any) -> list[np.random.Generator]:
    """The random generators inside a transform (or a Compose of them), for checkpoints."""
    if isinstance(transform, Compose):
        return [g for t in transform.transforms for g in generators_of(t)]
    generator = getattr(transform, "generator", None)
    return [generator] if isinstance(generator, np.random.Generator) else []
