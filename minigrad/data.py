"""Data: the real MNIST files (downloaded and md5-verified) and a built-in synthetic digit set.

``load_mnist(root, train=True, download=True)`` reads the original IDX ``.gz`` files from
``root``, downloading any that are missing and checking every file's md5. ``synthetic_digits``
draws seven-segment digits with random shifts, stroke widths and noise: it needs no files and
no network, so ``minigrad demo`` runs anywhere.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training pixels scaled to [0, 1]


def md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_mnist(root: str | os.PathLike[str]) -> None:
    """Fetch the four MNIST files into ``root`` (skipping good ones), verifying each md5."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, checksum in MNIST_FILES.items():
        target = root / name
        if target.exists() and md5(target) == checksum:
            continue
        errors = []
        for mirror in MNIST_MIRRORS:
            descriptor, temporary = tempfile.mkstemp(dir=root, prefix=f".{name}.", suffix=".part")
            os.close(descriptor)
            try:
                urllib.request.urlretrieve(mirror + name, temporary)
                if md5(Path(temporary)) != checksum:
                    raise OSError(f"md5 mismatch for {mirror + name}")
                os.replace(temporary, target)
                break
            except OSError as error:
                errors.append(f"{mirror}{name}: {error}")
            finally:
                Path(temporary).unlink(missing_ok=True)
        else:
            raise RuntimeError(
                f"could not download {name} into {root}:\n  "
                + "\n  ".join(errors)
                + "\nPut the original MNIST .gz files in that folder and pass it as the data directory."
            )


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Parse one gzipped IDX file: big-endian int32 magic and sizes, then unsigned bytes."""
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: not a readable gzip file ({error})") from None
    dims = magic & 0xFF
    header = np.frombuffer(raw[: min(4 * (1 + dims), len(raw) // 4 * 4)], dtype=">i4")  # whole int32s only
    if len(header) == 0 or header[0] != magic:
        found = header[0] if len(header) else "nothing"
        raise ValueError(f"{path}: expected IDX magic number {magic}, found {found}")
    if len(header) != 1 + dims:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes; the sizes need {4 * (1 + dims)})")
    shape = tuple(int(n) for n in header[1:])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + dims))
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header promises shape {shape} but holds {data.size} bytes of data")
    return data.reshape(shape)


def load_mnist(
    root: str | os.PathLike[str], train: bool = True, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) of the training or test split."""
    root = Path(root)
    prefix = "train" if train else "t10k"
    names = (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
    missing = [n for n in names if not (root / n).exists()]
    if missing and download:
        download_mnist(root)
    elif missing:
        raise FileNotFoundError(f"MNIST files {missing} are not in {root} (pass download=True to fetch them)")
    for name in names:
        if md5(root / name) != MNIST_FILES[name]:
            raise ValueError(f"{root / name}: md5 does not match the original MNIST file (corrupt or different)")
    images = read_idx(root / names[0], IMAGES_MAGIC)
    labels = read_idx(root / names[1], LABELS_MAGIC).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} images but {len(labels)} labels")
    return images, labels


def normalize_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28), standardised with MNIST's mean and std."""
    return ((images.astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD)[:, None]


# Seven segments (a..g) of each digit, and where each segment lies in a 20x12 box.
SEGMENTS_OF_DIGIT = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"]
SEGMENT_BOXES = {  # (top, bottom, left, right) in a 20-row by 12-column glyph
    "a": (0, 2, 0, 12), "g": (9, 11, 0, 12), "d": (18, 20, 0, 12),
    "f": (0, 11, 0, 2), "b": (0, 11, 10, 12), "e": (9, 20, 0, 2), "c": (9, 20, 10, 12),
}  # fmt: skip


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (count, 28, 28), labels int64): seven-segment digits, randomly shifted,
    thickened and noised. Built in, so the demo needs no download."""
    rng = np.random.default_rng(seed)
    glyphs = np.zeros((10, 20, 12), dtype=np.float32)
    for digit, segments in enumerate(SEGMENTS_OF_DIGIT):
        for segment in segments:
            top, bottom, left, right = SEGMENT_BOXES[segment]
            glyphs[digit, top:bottom, left:right] = 1.0
    labels = rng.integers(0, 10, count)
    canvas: np.ndarray = np.zeros((count, 28, 28), dtype=np.float32)
    rows, cols = rng.integers(0, 9, count), rng.integers(0, 17, count)
    for dy in range(9):  # loops over placement offsets, each vectorised over the images
        for dx in range(17):
            chosen = (rows == dy) & (cols == dx)
            canvas[chosen, dy : dy + 20, dx : dx + 12] = glyphs[labels[chosen]]
    thick = rng.random(count) < 0.5  # thicker strokes for half of them
    canvas[thick, :, 1:] = np.maximum(canvas[thick, :, 1:], canvas[thick, :, :-1])
    canvas = canvas * rng.uniform(0.6, 1.0, (count, 1, 1)) + rng.normal(0, 0.15, canvas.shape)
    return (np.clip(canvas, 0, 1) * 255).astype(np.uint8), labels.astype(np.int64)


def batches(
    images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool = True, seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches (the last one may be smaller), in a fresh random order when ``shuffle``."""
    order = np.random.default_rng(seed).permutation(len(images)) if shuffle else np.arange(len(images))
    for start in range(0, len(images), batch_size):
        chosen = order[start : start + batch_size]
        yield images[chosen], labels[chosen]
