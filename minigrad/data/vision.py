"""MNIST, FashionMNIST and CIFAR10, read from their original files, as torchvision names them.

``MNIST(root, train=True, transform=None, download=False)`` reads the four IDX ``.gz`` files
in ``root``; ``CIFAR10`` reads the *binary* version (``cifar-10-batches-bin/*.bin``), never
the pickled Python one: downloaded data is never unpickled. Each file is checked before use:

* its md5 is the original's: accepted at once;
* otherwise (some distributions recompress the files, which changes the ``.gz`` md5 but not
  the data) it is decompressed and parsed, and accepted when the content is the original:
  the raw IDX md5 where we know it, else the header's magic number and sizes. A truncated,
  corrupt or different file is refused, with an error that names it and what was expected.

The datasets hold ``data`` (uint8, ``(N, H, W)`` or ``(N, H, W, C)``) and ``targets`` (int64)
and apply ``transform`` to a whole batch at once (see ``minigrad.data.transforms``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.data.dataloader import Dataset
from minigrad.data.download import default_root, download_file, md5

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049  # IDX: 0x08 (unsigned byte) then the number of dims
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of MNIST's training pixels scaled to [0, 1]

MNIST_FILES = {  # md5 of the original .gz files
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_RAW_MD5 = {  # md5 of the same files decompressed: the check for recompressed copies
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
IDX_SHAPES = {  # the shape each MNIST-format file must hold
    "train-images-idx3-ubyte.gz": (60000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60000,),
    "t10k-images-idx3-ubyte.gz": (10000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10000,),
}

CIFAR10_ARCHIVE = ("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")
CIFAR10_MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
CIFAR10_FOLDER = "cifar-10-batches-bin"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR10_TEST_FILES = ("test_batch.bin",)
CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32  # a label byte, then 1024 red, 1024 green, 1024 blue bytes
CIFAR10_RECORDS_PER_FILE = 10000


# ----------------------------------------------------------------------------- IDX files


def _gunzip(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as file:
            return file.read()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: not a readable gzip file ({error})") from None


def parse_idx(raw: bytes, magic: int, path: Path | str = "IDX data") -> np.ndarray:
    """Parse IDX bytes: big-endian int32 magic and sizes, then unsigned bytes."""
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


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Parse one gzipped IDX file, with errors that name it."""
    return parse_idx(_gunzip(path), magic, path)


def _read_verified_idx(path: Path, checksum: str, raw_checksum: str | None, title: str) -> np.ndarray:
    """Read an MNIST-format file, accepting it when its bytes or its decompressed content are
    the original ones."""
    magic = IMAGES_MAGIC if "images" in path.name else LABELS_MAGIC
    if md5(path) == checksum:
        return read_idx(path, magic)
    raw = _gunzip(path)
    array = parse_idx(raw, magic, path)
    expected = IDX_SHAPES[path.name]
    differs = f"{path}: md5 does not match the original {title} file, and its content is not the original either"
    if array.shape != expected:
        raise ValueError(f"{differs}: expected shape {expected}, found {array.shape}")
    raw_md5 = hashlib.md5(raw).hexdigest()
    if raw_checksum and raw_md5 != raw_checksum:
        raise ValueError(f"{differs}: decompressed md5 {raw_md5}, expected {raw_checksum}")
    if title != "MNIST" and raw_md5 == MNIST_RAW_MD5.get(path.name):  # same format and sizes: only md5 tells
        raise ValueError(f"{path}: this is the MNIST digits file, not {title}'s; {title} needs its own folder")
    return array


def normalize_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28), standardised with MNIST's mean and std."""
    return ((images.astype(np.float32) / 255.0 - MNIST_MEAN) / MNIST_STD)[:, None]


# ----------------------------------------------------------------------------- datasets


class ImageDataset(Dataset):
    """Images in one uint8 array and labels in another; ``transform`` runs on whole batches.

    >>> ds = ImageDataset(np.zeros((5, 2, 2), np.uint8), np.arange(5))
    >>> images, labels = ds.__getitems__(np.array([4, 0]))
    >>> images.shape, labels.tolist()
    ((2, 2, 2), [4, 0])
    """

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Any = None) -> None:
        if len(data) != len(targets):
            raise ValueError(f"{type(self).__name__}: {len(data)} images but {len(targets)} labels")
        self.data, self.targets, self.transform = data, targets.astype(np.int64, copy=False), transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        images, labels = self.__getitems__(np.array([index]))
        return images[0], int(labels[0])

    def __getitems__(self, indices: np.ndarray) -> tuple[Any, np.ndarray]:
        images = self.data[indices]  # one fancy index for the whole batch
        return (self.transform(images) if self.transform else images), self.targets[indices]

    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one transformed sample, e.g. (1, 28, 28) after ToTensor."""
        return tuple(self.__getitems__(np.array([0]))[0].shape[1:])


def _files_missing_error(title: str, root: Path, names: list[str], mirror: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"{title} files missing from {root}: {', '.join(names)}. Put the original files there "
        f"(from {mirror}) or pass download=True to fetch them (--download on the command line)"
    )


def _with_offline_hint(error: RuntimeError, root: Path, names: list[str]) -> RuntimeError:
    """A failed download, plus what to put where to go on without the network."""
    return RuntimeError(f"{error}\nWithout the network, put these files into {root} by hand: {', '.join(names)}")


class MNIST(ImageDataset):
    """The MNIST digits: 60,000 training and 10,000 test images, uint8 (N, 28, 28).

    ``root`` is the folder holding the four ``.gz`` files (default: ``default_root("mnist")``).
    """

    title, folder = "MNIST", "mnist"
    files, raw_md5, mirrors = MNIST_FILES, MNIST_RAW_MD5, MNIST_MIRRORS
    classes = tuple(str(digit) for digit in range(10))
    mean, std = (MNIST_MEAN,), (MNIST_STD,)

    def __init__(
        self, root: str | os.PathLike[str] | None = None, train: bool = True, transform: Any = None,
        download: bool = False,
    ) -> None:  # fmt: skip
        self.root, self.train = Path(root) if root else default_root(self.folder), train
        images, labels = self._load(download)
        super().__init__(images, labels, transform)

    def split_files(self) -> list[str]:
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]

    def _load(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        names = self.split_files()
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"{self.root} is a file; {self.title} needs a folder for its files")
        missing = [n for n in names if not (self.root / n).exists()]
        if missing and not download:  # name every absent file of the dataset, not just this split's
            absent = [n for n in self.files if not (self.root / n).exists()]
            raise _files_missing_error(self.title, self.root, absent, self.mirrors[0])
        for name in missing:
            try:
                download_file([m + name for m in self.mirrors], self.root / name, self.files[name])
            except RuntimeError as error:
                raise _with_offline_hint(error, self.root, missing) from None
        images, labels = (
            _read_verified_idx(self.root / n, self.files[n], self.raw_md5.get(n), self.title) for n in names
        )
        if len(images) != len(labels):
            raise ValueError(f"{self.root}: {len(images)} images but {len(labels)} labels")
        return images, labels.astype(np.int64)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, ten kinds of clothing."""

    title, folder = "FashionMNIST", "fashion-mnist"
    files, raw_md5, mirrors = FASHION_MNIST_FILES, {}, FASHION_MNIST_MIRRORS
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    mean, std = (0.2860,), (0.3530,)


# ----------------------------------------------------------------------------- CIFAR-10 (binary)


def read_cifar_batch(path: Path, records: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse a CIFAR-10 binary batch: records of one label byte and a 3x32x32 image (the red
    plane, then green, then blue). Returns images uint8 (N, 32, 32, 3) as torchvision's
    ``CIFAR10.data``, and labels int64. ``records`` is the count the file must hold."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % CIFAR10_RECORD_BYTES or (records and raw.size != records * CIFAR10_RECORD_BYTES):
        count = f"{records} records" if records else "whole records"
        raise ValueError(
            f"{path}: a CIFAR-10 binary batch holds {count} of {CIFAR10_RECORD_BYTES} bytes"
            f"{f' ({records * CIFAR10_RECORD_BYTES} bytes)' if records else ''}; this file has {raw.size} bytes"
        )
    table = raw.reshape(-1, CIFAR10_RECORD_BYTES)
    labels = table[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"{path}: labels must be 0..9, found {labels.max()}: not a CIFAR-10 batch file")
    images = table[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # CHW planes -> HWC
    return np.ascontiguousarray(images), labels


class CIFAR10(ImageDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images, uint8 (N, 32, 32, 3).

    Reads ``root/cifar-10-batches-bin/`` as ``cifar-10-binary.tar.gz`` extracts.
    """

    title, folder = "CIFAR10", "cifar10"
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)

    def __init__(
        self, root: str | os.PathLike[str] | None = None, train: bool = True, transform: Any = None,
        download: bool = False,
    ) -> None:  # fmt: skip
        self.root, self.train = Path(root) if root else default_root(self.folder), train
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"{self.root} is a file; {self.title} needs a folder for its files")
        folder = self.root / CIFAR10_FOLDER
        names = CIFAR10_TRAIN_FILES if train else CIFAR10_TEST_FILES
        missing = [n for n in names if not (folder / n).exists()]
        archive = CIFAR10_MIRRORS[0] + CIFAR10_ARCHIVE[0]
        if missing and download:
            try:
                self._download()
            except RuntimeError as error:
                raise _with_offline_hint(error, self.root, [CIFAR10_ARCHIVE[0]]) from None
        elif missing:
            absent = [n for n in CIFAR10_TRAIN_FILES + CIFAR10_TEST_FILES if not (folder / n).exists()]
            raise FileNotFoundError(
                f"CIFAR10 files missing from {folder}: {', '.join(absent)}. Extract {archive} "
                f"(the binary version) into {self.root}, or pass download=True (--download on the command line)"
            )
        parts = [read_cifar_batch(folder / n, CIFAR10_RECORDS_PER_FILE) for n in names]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        super().__init__(images, labels, transform)

    def _download(self) -> None:
        name, checksum = CIFAR10_ARCHIVE
        archive = self.root / name
        if not archive.exists() or md5(archive) != checksum:
            download_file([m + name for m in CIFAR10_MIRRORS], archive, checksum)
        wanted = {f"{CIFAR10_FOLDER}/{n}" for n in CIFAR10_TRAIN_FILES + CIFAR10_TEST_FILES}
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():  # only the known files, by name: no path tricks
                if member.name in wanted and member.isfile():
                    source = tar.extractfile(member)
                    assert source is not None  # a regular file always has content
                    target = self.root / member.name
                    target.parent.mkdir(exist_ok=True)
                    partial = target.with_name(f".{target.name}.part")
                    partial.write_bytes(source.read())
                    os.replace(partial, target)  # a crash mid-way leaves no half file under the real name


# ----------------------------------------------------------------------------- the original helpers


def download_mnist(root: str | os.PathLike[str]) -> None:
    """Fetch the four MNIST files into ``root`` (skipping intact ones), verifying each md5."""
    root = Path(root)
    for name, checksum in MNIST_FILES.items():
        target = root / name
        if not (target.exists() and md5(target) == checksum):
            download_file([m + name for m in MNIST_MIRRORS], target, checksum)


def load_mnist(
    root: str | os.PathLike[str], train: bool = True, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) of the training or test split."""
    dataset = MNIST(root, train=train, download=download)
    return dataset.data, dataset.targets
