"""minigrad.data (IDX files, MNIST, synthetic digits, batches) and the command line.

No test touches the network. The download tests moved to test_datasets.py, where a local
``http.server`` serves the files.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import data
from minigrad.cli import main

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/mnist"
needs_mnist = pytest.mark.skipif(
    not all((MNIST_DIR / name).exists() for name in data.MNIST_FILES),
    reason=f"the MNIST files are not in {MNIST_DIR}",
)


def write_idx(path: Path, magic: int, array: np.ndarray, extra: bytes = b"") -> Path:
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes() + extra)
    return path


# ----------------------------------------------------------------------------- IDX files


def test_read_idx_parses_images_and_labels(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    parsed = data.read_idx(write_idx(tmp_path / "images.gz", data.IMAGES_MAGIC, images), data.IMAGES_MAGIC)
    assert parsed.dtype == np.uint8 and parsed.shape == (2, 3, 4)
    np.testing.assert_array_equal(parsed, images)
    parsed = data.read_idx(write_idx(tmp_path / "labels.gz", data.LABELS_MAGIC, labels), data.LABELS_MAGIC)
    np.testing.assert_array_equal(parsed, labels)


def test_read_idx_errors_name_the_file(tmp_path):
    labels = write_idx(tmp_path / "labels.gz", data.LABELS_MAGIC, np.zeros(5))
    with pytest.raises(ValueError, match=r"labels\.gz: expected IDX magic number 2051, found 2049"):
        data.read_idx(labels, data.IMAGES_MAGIC)
    short = write_idx(tmp_path / "short.gz", data.IMAGES_MAGIC, np.zeros((2, 3, 4)))
    raw = gzip.decompress(short.read_bytes())
    short.write_bytes(gzip.compress(raw[:-5]))  # the header promises more bytes than follow
    with pytest.raises(ValueError, match=r"short\.gz: header promises shape \(2, 3, 4\) but holds 19 bytes"):
        data.read_idx(short, data.IMAGES_MAGIC)
    long = write_idx(tmp_path / "long.gz", data.LABELS_MAGIC, np.zeros(5), extra=b"\x00")
    with pytest.raises(ValueError, match=r"long\.gz: header promises shape \(5,\) but holds 6 bytes"):
        data.read_idx(long, data.LABELS_MAGIC)
    for size in (0, 3):  # less than one int32
        tiny = tmp_path / f"tiny{size}.gz"
        tiny.write_bytes(gzip.compress(b"\x00\x00\x08"[:size]))
        with pytest.raises(ValueError, match=rf"tiny{size}\.gz: expected IDX magic number 2049, found nothing"):
            data.read_idx(tiny, data.LABELS_MAGIC)
    plain = tmp_path / "plain.gz"
    plain.write_bytes(b"this is not gzip")
    with pytest.raises(ValueError, match=r"plain\.gz: not a readable gzip file"):
        data.read_idx(plain, data.LABELS_MAGIC)
    cut = write_idx(tmp_path / "cut.gz", data.LABELS_MAGIC, np.arange(200) % 7)
    cut.write_bytes(cut.read_bytes()[:-12])  # a truncated gzip stream
    with pytest.raises(ValueError, match=r"cut\.gz: not a readable gzip file"):
        data.read_idx(cut, data.LABELS_MAGIC)


def test_load_mnist_checks_files_and_md5(tmp_path):
    with pytest.raises(FileNotFoundError, match="pass download=True"):
        data.load_mnist(tmp_path, download=False)
    for name in data.MNIST_FILES:  # valid IDX files, but not the original MNIST bytes
        magic = data.IMAGES_MAGIC if "images" in name else data.LABELS_MAGIC
        write_idx(tmp_path / name, magic, np.zeros((3, 28, 28) if "images" in name else 3))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: md5 does not match"):
        data.load_mnist(tmp_path, train=True, download=False)


@needs_mnist
def test_load_mnist_real_files():
    images, labels = data.load_mnist(MNIST_DIR, train=True, download=False)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert set(np.unique(labels)) == set(range(10))
    images, labels = data.load_mnist(MNIST_DIR, train=False, download=False)
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test digits
    normalized = data.normalize_images(images[:1000])
    assert normalized.shape == (1000, 1, 28, 28) and normalized.dtype == np.float32
    assert abs(normalized.mean()) < 0.1 and abs(normalized.std() - 1) < 0.1


# ----------------------------------------------------------------------------- synthetic digits, batches


def test_synthetic_digits():
    images, labels = data.synthetic_digits(300, seed=3)
    assert images.shape == (300, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (300,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() <= 9 and len(np.unique(labels)) == 10
    assert images.max() > 200 and (images == 0).mean() > 0.3  # bright strokes on a dark background
    again, again_labels = data.synthetic_digits(300, seed=3)
    np.testing.assert_array_equal(again, images)
    np.testing.assert_array_equal(again_labels, labels)
    assert not np.array_equal(data.synthetic_digits(300, seed=4)[0], images)
    # The classes differ: the mean image of the 1s is not the mean image of the 8s.
    ones, eights = images[labels == 1].mean(0), images[labels == 8].mean(0)
    assert np.abs(ones - eights).mean() > 10


@pytest.mark.parametrize("shuffle", [True, False])
def test_batches_cover_every_item_once(shuffle):
    images = np.arange(23)[:, None, None] * np.ones((1, 2, 2), dtype=np.int64)
    labels = np.arange(23)
    chunks = list(data.batches(images, labels, 5, shuffle=shuffle, seed=1))
    assert [len(y) for _, y in chunks] == [5, 5, 5, 5, 3]
    seen = np.concatenate([y for _, y in chunks])
    assert sorted(seen.tolist()) == list(range(23))
    for x, y in chunks:  # images and labels stay paired
        np.testing.assert_array_equal(x[:, 0, 0], y)
    assert (seen.tolist() == list(range(23))) != shuffle
    if shuffle:
        other = np.concatenate([y for _, y in data.batches(images, labels, 5, seed=2)])
        assert not np.array_equal(other, seen)


# ----------------------------------------------------------------------------- command line


def test_cli_train_runs_and_saves_a_checkpoint(tmp_path, capsys):
    checkpoint = tmp_path / "lenet.npz"
    args = ["train", "--train-size", "256", "--test-size", "200", "--epochs", "1", "--checkpoint", str(checkpoint)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "256 training images" in out and "epoch 1/1" in out and "test accuracy" in out
    saved = minigrad.load(checkpoint)
    assert saved["epoch"] == 1
    assert "1.running_mean" in saved["model"] and 0 in saved["optimizer"]["state"]
    assert int(saved["model"]["1.num_batches_tracked"].item()) == 4  # 256 images, batches of 64


def test_cli_rejects_unknown_commands(capsys):
    with pytest.raises(SystemExit) as error:
        main(["fly"])
    assert error.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
