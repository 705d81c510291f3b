"""Data made on the spot: no file, no network. ``minigrad demo`` runs anywhere on these.

* ``synthetic_digits``: seven-segment digits, each slanted, scaled, rotated and moved at
  random, with stroke widths, scratches and noise. Position and shape vary so much that no
  fixed pixel belongs to one digit: a linear model stalls far below a small CNN, whose
  convolutions and pooling find a stroke wherever it is.
* ``moons``, ``spirals``, ``blobs``: 2-D points in classes, to watch an MLP bend its
  decision boundary.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from minigrad.data.vision import ImageDataset

# Seven segments (a..g) of each digit, and where each segment lies in a 20x12 box.
SEGMENTS_OF_DIGIT = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"]
SEGMENT_BOXES = {  # (top, bottom, left, right) in a 20-row by 12-column glyph
    "a": (0, 2, 0, 12), "g": (9, 11, 0, 12), "d": (18, 20, 0, 12),
    "f": (0, 11, 0, 2), "b": (0, 11, 10, 12), "e": (9, 20, 0, 2), "c": (9, 20, 10, 12),
}  # fmt: skip
GLYPH_SHAPE = (20, 12)
SIDE = 28


def _glyphs() -> np.ndarray:
    """The ten clean digits, float32 (10, 20, 12)."""
    glyphs = np.zeros((10, *GLYPH_SHAPE), dtype=np.float32)
    for digit, segments in enumerate(SEGMENTS_OF_DIGIT):
        for segment in segments:
            top, bottom, left, right = SEGMENT_BOXES[segment]
            glyphs[digit, top:bottom, left:right] = 1.0
    return glyphs


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (count, 28, 28), labels int64): seven-segment digits under a random
    affine map, with random strokes, scratches and noise. Built in, so the demo needs no
    download. Every step is vectorised over the images.

    >>> images, labels = synthetic_digits(5, seed=0)
    >>> images.shape, images.dtype, labels.dtype
    ((5, 28, 28), dtype('uint8'), dtype('int64'))
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)

    # Each image is the glyph seen through its own affine map. Going backwards, from every
    # output pixel to the glyph point it shows, fills all pixels with one gather:
    #   glyph_point = inverse(A) @ (pixel - image_centre - shift) + glyph_centre
    angle = rng.uniform(-0.2, 0.2, count)  # radians, about +-11 degrees
    slant = rng.uniform(-0.3, 0.3, count)  # shear, as in italic writing
    scale = rng.uniform(0.8, 1.15, count)
    aspect = rng.uniform(0.8, 1.25, count)  # wider or narrower digits
    cos, sin = np.cos(angle), np.sin(angle)
    forward = np.empty((count, 2, 2))  # (row, col) -> (row, col): rotate @ shear @ scale
    forward[:, 0, 0], forward[:, 0, 1] = cos * scale, (-sin + cos * slant) * scale * aspect
    forward[:, 1, 0], forward[:, 1, 1] = sin * scale, (cos + sin * slant) * scale * aspect
    inverse = np.linalg.inv(forward).astype(np.float32)[:, :, :, None, None]  # (count, 2, 2, 1, 1)
    shift = rng.uniform(-3.0, 3.0, (count, 2)).astype(np.float32)
    centre = np.arange(SIDE, dtype=np.float32) + 0.5 - SIDE / 2  # pixel centres, measured from the middle
    up = centre[None, :, None] - shift[:, 0, None, None]  # (count, 28, 1): row offsets
    across = centre[None, None, :] - shift[:, 1, None, None]  # (count, 1, 28): column offsets
    source_rows = inverse[:, 0, 0] * up + inverse[:, 0, 1] * across + GLYPH_SHAPE[0] / 2  # (count, 28, 28)
    source_cols = inverse[:, 1, 0] * up + inverse[:, 1, 1] * across + GLYPH_SHAPE[1] / 2
    rows, cols = np.floor(source_rows).astype(np.intp), np.floor(source_cols).astype(np.intp)
    inside = (rows >= 0) & (rows < GLYPH_SHAPE[0]) & (cols >= 0) & (cols < GLYPH_SHAPE[1])
    glyphs = _glyphs()
    canvas = glyphs[labels[:, None, None], rows.clip(0, GLYPH_SHAPE[0] - 1), cols.clip(0, GLYPH_SHAPE[1] - 1)]
    canvas = canvas * inside

    thick = rng.random(count) < 0.5  # thicker strokes for half of them
    canvas[thick, :, 1:] = np.maximum(canvas[thick, :, 1:], canvas[thick, :, :-1])
    canvas[thick, 1:, :] = np.maximum(canvas[thick, 1:, :], canvas[thick, :-1, :])

    # Two scratches per image: short bars, horizontal or vertical, anywhere.
    grid_rows, grid_cols = np.arange(SIDE)[:, None], np.arange(SIDE)[None, :]
    for _ in range(2):  # a loop over scratches, each vectorised over the images
        length, top, left = rng.integers(3, 8, count), rng.integers(0, SIDE, count), rng.integers(0, SIDE, count)
        upright = rng.random(count) < 0.5
        height, width = np.where(upright, length, 2), np.where(upright, 2, length)
        bar = (
            (grid_rows >= top[:, None, None]) & (grid_rows < (top + height)[:, None, None])
            & (grid_cols >= left[:, None, None]) & (grid_cols < (left + width)[:, None, None])
        )  # fmt: skip
        canvas = np.maximum(canvas, bar * rng.uniform(0.3, 0.8, (count, 1, 1)).astype(np.float32))

    noise = rng.normal(0, 0.15, canvas.shape).astype(np.float32)
    canvas = canvas * rng.uniform(0.6, 1.0, (count, 1, 1)).astype(np.float32) + noise
    return (np.clip(canvas, 0, 1) * 255).astype(np.uint8), labels.astype(np.int64)


class DigitsSynth(ImageDataset):
    """``synthetic_digits`` as a dataset: 10,000 training or 2,000 test images (other seeds),
    uint8 (N, 28, 28) like MNIST, so MNIST's transforms and models apply unchanged."""

    TRAIN_SIZE, TEST_SIZE = 10000, 2000
    classes = tuple(str(digit) for digit in range(10))
    mean, std = (0.17,), (0.29,)  # of the training pixels scaled to [0, 1]

    def __init__(self, train: bool = True, transform: Any = None, count: int | None = None) -> None:
        count = count or (self.TRAIN_SIZE if train else self.TEST_SIZE)
        images, labels = _drawn_once(count, seed=1 if train else 2)
        super().__init__(images, labels, transform)


@functools.lru_cache(maxsize=4)
def _drawn_once(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The digits of one (count, seed), made once per process (it takes a second or two) and
    shared read-only: batches are fancy-indexed copies, so no one can change the original."""
    images, labels = synthetic_digits(count, seed)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def moons(count: int, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (as scikit-learn's make_moons): float32 (count, 2), labels.

    >>> points, labels = moons(100)
    >>> points.shape, sorted(set(labels.tolist()))
    ((100, 2), [0, 1])
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    angle = rng.uniform(0, np.pi, count)
    upper = np.stack([np.cos(angle), np.sin(angle)], 1)
    lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], 1)
    points = np.where(labels[:, None] == 0, upper, lower) + rng.normal(0, noise, (count, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def spirals(count: int, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` arms of a spiral (the CS231n toy set): float32 (count, 2), labels.

    >>> points, labels = spirals(90, classes=3)
    >>> points.shape, np.bincount(labels).tolist()
    ((90, 2), [30, 30, 30])
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % classes
    radius = rng.uniform(0.05, 1.0, count)
    angle = labels * (2 * np.pi / classes) + radius * 4.0 + rng.normal(0, noise, count)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], 1)
    return points.astype(np.float32), labels.astype(np.int64)


def blobs(count: int, centers: int = 3, std: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around random centres in [-10, 10]^2: float32 (count, 2), labels.

    >>> points, labels = blobs(60, centers=4)
    >>> points.shape, len(set(labels.tolist()))
    ((60, 2), 4)
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % centers
    middle = rng.uniform(-10, 10, (centers, 2))
    points = middle[labels] + rng.normal(0, std, (count, 2))
    return points.astype(np.float32), labels.astype(np.int64)
