"""Datasets from files: IDX and CIFAR binary parsing, content checks, downloads.

No test touches the network: downloads come from an ``http.server`` on 127.0.0.1, run in a
thread, serving bytes the test chooses (including corrupt ones).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from minigrad import data
from minigrad.data import vision

MNIST_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/mnist"
needs_mnist = pytest.mark.skipif(
    not all((MNIST_DIR / name).exists() for name in data.MNIST_FILES),
    reason=f"the MNIST files are not in {MNIST_DIR}",
)


def idx_bytes(magic: int, array: np.ndarray) -> bytes:
    return np.array([magic, *array.shape], dtype=">i4").tobytes() + array.astype(np.uint8).tobytes()


def write_idx(path: Path, magic: int, array: np.ndarray) -> Path:
    path.write_bytes(gzip.compress(idx_bytes(magic, array)))
    return path


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, bytes], list[str]]]:
    """(base URL, {path: bytes} it serves, the paths requested). Unknown paths are 404."""
    files: dict[str, bytes] = {}
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files, requested
    httpd.shutdown()
    httpd.server_close()


def tiny_mnist_files() -> dict[str, bytes]:
    """Four small, valid MNIST-format files (3 training, 2 test images)."""
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(2051, rng.integers(0, 256, (3, 28, 28)))),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(2049, np.array([1, 2, 3]))),
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(2051, rng.integers(0, 256, (2, 28, 28)))),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(2049, np.array([7, 0]))),
    }


def tiny_mnist_class(files: dict[str, bytes], mirrors: tuple[str, ...]) -> type[data.MNIST]:
    class TinyMNIST(data.MNIST):
        pass

    TinyMNIST.files = {name: hashlib.md5(body).hexdigest() for name, body in files.items()}
    TinyMNIST.mirrors = mirrors
    return TinyMNIST


# ----------------------------------------------------------------------------- downloads


def test_download_verifies_shows_progress_and_falls_back_to_the_next_mirror(server, tmp_path, capsys):
    base, files, requested = server
    tiny = tiny_mnist_files()
    files.update({f"/good/{name}": body for name, body in tiny.items()})
    kind = tiny_mnist_class(tiny, (f"{base}/down/", f"{base}/good/"))  # the first mirror answers 404
    root = tmp_path / "new" / "mnist"
    dataset = kind(root, train=False, download=True)
    assert dataset.data.shape == (2, 28, 28) and dataset.targets.tolist() == [7, 0]
    assert sorted(p.name for p in root.iterdir()) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    names = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert requested == [f"/{mirror}/{name}" for name in names for mirror in ("down", "good")]
    assert "downloading" in capsys.readouterr().err  # the progress display
    kind(root, train=False, download=True)  # everything is there and intact: nothing is fetched
    assert len(requested) == 4


def test_a_corrupt_download_is_rejected_and_deleted_and_leaves_no_folder(server, tmp_path):
    base, files, _ = server
    tiny = tiny_mnist_files()
    files.update({f"/a/{name}": b"<html>rate limited</html>" for name in tiny})
    files.update({f"/b/{name}": body[:-3] for name, body in tiny.items()})  # a cut-off download
    kind = tiny_mnist_class(tiny, (f"{base}/a/", f"{base}/b/"))
    root = tmp_path / "new" / "mnist"
    with pytest.raises(RuntimeError, match=r"could not download train-images-idx3-ubyte\.gz") as error:
        kind(root, download=True)
    assert str(error.value).count("md5 mismatch") == 2 and "the download was deleted" in str(error.value)
    assert list(tmp_path.iterdir()) == []  # no bad file, no .part file, not even the folders


def test_download_into_an_existing_folder_keeps_the_folder(server, tmp_path):
    base, _, _ = server
    with pytest.raises(RuntimeError, match="404"):
        data.download_file([f"{base}/missing"], tmp_path / "file.bin", "0" * 32, progress=False)
    assert tmp_path.is_dir() and list(tmp_path.iterdir()) == []


@needs_mnist
def test_download_mnist_of_the_real_files(server, tmp_path, monkeypatch):
    base, files, requested = server
    files.update({f"/mnist/{name}": (MNIST_DIR / name).read_bytes() for name in data.MNIST_FILES})
    monkeypatch.setattr(vision, "MNIST_MIRRORS", (f"{base}/mnist/",))
    data.download_mnist(tmp_path)
    assert all(data.md5(tmp_path / name) == checksum for name, checksum in data.MNIST_FILES.items())
    data.download_mnist(tmp_path)  # verified and kept: not fetched again
    assert len(requested) == 4


# ----------------------------------------------------------------------------- files the user has


def test_missing_files_are_listed_with_where_to_put_them(tmp_path):
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 2049, np.zeros(2))
    with pytest.raises(FileNotFoundError) as error:
        data.MNIST(tmp_path, train=False)
    message = str(error.value)  # every absent file of the dataset, so one error says all that is needed
    absent = "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz."
    assert f"MNIST files missing from {tmp_path}: {absent}" in message
    assert "t10k-labels" not in message and "--download" in message
    with pytest.raises(NotADirectoryError, match="is a file"):
        data.MNIST(tmp_path / "t10k-labels-idx1-ubyte.gz")


def test_a_failed_download_says_which_files_to_put_where(server, tmp_path):
    base, _, _ = server  # serves nothing: every mirror answers 404
    kind = tiny_mnist_class(tiny_mnist_files(), (f"{base}/down/",))
    with pytest.raises(RuntimeError, match=r"(?s)could not download .*404.*put these files into .*offline by hand: "
                       r"t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz"):  # fmt: skip
        kind(tmp_path / "offline", train=False, download=True)
    assert not (tmp_path / "offline").exists()


def write_fashion_test_split(root: Path, level: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """A test split of FashionMNIST's sizes (10000 images), compressed at ``level``."""
    images = (np.arange(10000 * 28 * 28) % 251).astype(np.uint8).reshape(10000, 28, 28)
    labels = (np.arange(10000) % 10).astype(np.uint8)
    (root / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(2051, images), compresslevel=level))
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(2049, labels), compresslevel=level))
    return images, labels


def test_recompressed_files_with_the_right_header_and_sizes_load(tmp_path):
    images, _ = write_fashion_test_split(tmp_path, level=1)  # not the original .gz bytes
    dataset = data.FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(dataset.data, images)
    assert dataset.targets.dtype == np.int64 and dataset.targets[:3].tolist() == [0, 1, 2]


def test_files_of_the_wrong_size_truncated_or_with_a_bad_magic_are_refused(tmp_path):
    write_fashion_test_split(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(labels, 2049, np.zeros(500))  # a valid IDX file, but not the test split's 10000 labels
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte\.gz: md5 does not match .* expected shape \(10000,\)"):
        data.FashionMNIST(tmp_path, train=False)
    labels.write_bytes(gzip.compress(idx_bytes(2049, np.zeros(10000)))[:-20])  # cut off mid-stream
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: not a readable gzip file"):
        data.FashionMNIST(tmp_path, train=False)
    write_idx(labels, 2051, np.zeros((10000, 1, 1)))  # images' magic in the labels file
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: expected IDX magic number 2049, found 2051"):
        data.FashionMNIST(tmp_path, train=False)


def test_mnist_content_is_checked_by_the_md5_of_the_decompressed_bytes(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 2051, np.zeros((10000, 28, 28)))  # right sizes, wrong pixels
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 2049, np.zeros(10000))
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz: md5 does not match .* decompressed md5 \w+, "
                       r"expected 2646ac647ad5339dbf082846283269ea"):  # fmt: skip
        data.MNIST(tmp_path, train=False)


@needs_mnist
def test_mnist_files_are_not_taken_for_fashion_mnist(tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes((MNIST_DIR / name).read_bytes())
    with pytest.raises(
        ValueError, match=r"t10k-images-idx3-ubyte\.gz: this is the MNIST digits file, not FashionMNIST"
    ):
        data.FashionMNIST(tmp_path, train=False)


@needs_mnist
def test_recompressed_real_mnist_loads(tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        raw = gzip.decompress((MNIST_DIR / name).read_bytes())
        (tmp_path / name).write_bytes(gzip.compress(raw, compresslevel=1, mtime=0))
        assert data.md5(tmp_path / name) != data.MNIST_FILES[name]
    dataset = data.MNIST(tmp_path, train=False)
    assert dataset.data.shape == (10000, 28, 28) and dataset.targets[:5].tolist() == [7, 2, 1, 0, 4]


# ----------------------------------------------------------------------------- CIFAR-10 (binary)


def cifar_records(labels: list[int]) -> bytes:
    """Records whose pixel values tell where they are: red plane 10, green 20, blue 30 (+ label)."""
    planes = np.array([10, 20, 30], dtype=np.uint8)[:, None].repeat(1024, 1)
    return b"".join(bytes([label]) + (planes + label).tobytes() for label in labels)


def test_read_cifar_batch_turns_planes_into_hwc(tmp_path):
    path = tmp_path / "batch.bin"
    path.write_bytes(cifar_records([3, 9, 0]))
    images, labels = data.read_cifar_batch(path)
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.uint8
    assert labels.tolist() == [3, 9, 0] and labels.dtype == np.int64
    assert images[0, 5, 7].tolist() == [13, 23, 33]  # one pixel: red, green, blue of record 0
    assert images[1, 31, 31].tolist() == [19, 29, 39]


def test_cifar_files_of_the_wrong_size_or_content_are_refused(tmp_path):
    path = tmp_path / "batch.bin"
    path.write_bytes(cifar_records([1, 2])[:-1])
    with pytest.raises(ValueError, match=r"batch\.bin: a CIFAR-10 binary batch holds whole records of 3073 bytes; "
                       r"this file has 6145 bytes"):  # fmt: skip
        data.read_cifar_batch(path)
    path.write_bytes(cifar_records([1, 12]))
    with pytest.raises(ValueError, match=r"labels must be 0\.\.9, found 12"):
        data.read_cifar_batch(path)


def test_cifar10_reads_the_binary_folder_and_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CIFAR10 files missing from .*cifar-10-batches-bin: "
                       r"data_batch_1\.bin, data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, "
                       r"data_batch_5\.bin, test_batch\.bin\. "
                       r"Extract .*cifar-10-binary\.tar\.gz"):  # fmt: skip
        data.CIFAR10(tmp_path, train=False)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    (folder / "test_batch.bin").write_bytes(cifar_records([4]) * 10000)
    dataset = data.CIFAR10(tmp_path, train=False)
    assert dataset.data.shape == (10000, 32, 32, 3) and set(dataset.targets.tolist()) == {4}
    (folder / "test_batch.bin").write_bytes(cifar_records([4]) * 9999)
    with pytest.raises(ValueError, match=r"test_batch\.bin: a CIFAR-10 binary batch holds 10000 records of 3073 bytes "
                       r"\(30730000 bytes\); this file has 30726927 bytes"):  # fmt: skip
        data.CIFAR10(tmp_path, train=False)


def test_cifar10_download_extracts_only_the_known_files(server, tmp_path, monkeypatch):
    base, files, _ = server
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, body in [("cifar-10-batches-bin/test_batch.bin", cifar_records([5, 6])), ("../evil.bin", b"x")]:
            member = tarfile.TarInfo(name)
            member.size = len(body)
            tar.addfile(member, io.BytesIO(body))
    archive = buffer.getvalue()
    files["/cifar/cifar-10-binary.tar.gz"] = archive
    monkeypatch.setattr(vision, "CIFAR10_ARCHIVE", ("cifar-10-binary.tar.gz", hashlib.md5(archive).hexdigest()))
    monkeypatch.setattr(vision, "CIFAR10_MIRRORS", (f"{base}/cifar/",))
    monkeypatch.setattr(vision, "CIFAR10_RECORDS_PER_FILE", 2)
    root = tmp_path / "root"
    dataset = data.CIFAR10(root, train=False, download=True)
    assert dataset.targets.tolist() == [5, 6]
    assert not (tmp_path / "evil.bin").exists()
    assert sorted(p.name for p in (root / "cifar-10-batches-bin").iterdir()) == ["test_batch.bin"]
