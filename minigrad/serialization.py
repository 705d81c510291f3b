"""Checkpoints: ``minigrad.save(obj, path)`` and ``minigrad.load(path)``.

The format is a plain ``.npz`` archive: every array is one entry, and the structure around
them (dicts, lists, numbers, strings) is JSON in an entry named ``__structure__``. Nothing is
ever pickled: loading uses ``allow_pickle=False``, so a checkpoint cannot run code.

Writes are atomic: the archive is written to a temporary file beside the target, flushed to
disk, then renamed over it. A crash mid-save leaves the previous checkpoint untouched.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.devices import check_device
from minigrad.tensor import Tensor

STRUCTURE = "__structure__"
FORMAT = "minigrad-checkpoint-1"


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read: truncated, corrupt, pickled or not ours."""


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """JSON for ``value``, with each array replaced by a reference to an npz entry."""
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("minigrad.save: object arrays cannot be saved without pickle")
        name = f"array_{len(arrays)}"
        arrays[name] = value
        return {"array": name}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    if isinstance(value, dict):
        keys = list(value)
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            raise TypeError(f"minigrad.save: dict keys must be str or int, got {keys!r}")
        return {"dict": [[k, _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(v, arrays) for v in value]}
    raise TypeError(f"minigrad.save: cannot save a {type(value).__name__} (tensors, arrays, numbers, str, dict, list)")


def _decode(node: Any, arrays: Any) -> Any:
    if "array" in node:
        return Tensor(arrays[node["array"]])
    if "value" in node:
        return node["value"]
    if "dict" in node:
        return {k: _decode(v, arrays) for k, v in node["dict"]}
    if "tuple" in node:
        return tuple(_decode(v, arrays) for v in node["tuple"])
    return [_decode(v, arrays) for v in node["list"]]


def save(obj: Any, f: str | os.PathLike[str], pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:  # fmt: skip
    """Save a state dict (or any nest of dicts, lists, tensors and numbers) atomically.

    >>> import minigrad, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
    >>> minigrad.save({"w": minigrad.ones(2)}, path)
    >>> minigrad.load(path)["w"]
    tensor([1., 1.])
    """
    if pickle_module is not None:
        raise ValueError("minigrad.save never pickles: pickle_module is not accepted")
    path = Path(f)
    arrays: dict[str, np.ndarray] = {}
    structure = json.dumps({"format": FORMAT, "root": _encode(obj, arrays)})
    arrays[STRUCTURE] = np.frombuffer(structure.encode("utf-8"), dtype=np.uint8)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions of a new file
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)  # type: ignore[arg-type]
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(temporary, path)  # atomic on POSIX and Windows
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        directory = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def load(
    f: str | os.PathLike[str],
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load what ``save`` wrote; arrays come back as Tensors. Never unpickles, whatever
    ``weights_only`` says (PyTorch's keywords are accepted; ``map_location`` may only name the CPU)."""
    if map_location is not None and not callable(map_location) and not isinstance(map_location, dict):
        check_device(map_location)
    path = Path(f)
    if not path.exists():
        raise FileNotFoundError(f"minigrad.load: no checkpoint at {path}")
    with open(path, "rb") as file:
        start = file.read(6)
    if len(start) < 4:
        raise CheckpointError(f"{path}: truncated or empty checkpoint ({len(start)} bytes)")
    if start[:1] == b"\x80":
        raise CheckpointError(f"{path}: contains pickled objects, which minigrad refuses to load (they can run code)")
    if not start.startswith(b"PK"):
        kind = "a single .npy array" if start == b"\x93NUMPY" else "not an .npz archive"
        raise CheckpointError(f"{path}: not a minigrad checkpoint ({kind}); it was not read, nothing was unpickled")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if STRUCTURE not in archive.files:
                raise CheckpointError(f"{path}: not a minigrad checkpoint (no {STRUCTURE} entry)")
            header = json.loads(archive[STRUCTURE].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT:
                raise CheckpointError(f"{path}: unknown checkpoint format {header.get('format')!r}")
            arrays = {name: archive[name] for name in archive.files if name != STRUCTURE}
            root = _decode(header["root"], arrays)  # a structure naming missing arrays is corrupt too
    except CheckpointError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise CheckpointError(f"{path}: contains pickled objects, which minigrad refuses to load") from None
        raise CheckpointError(f"{path}: corrupt checkpoint ({error})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, TypeError) as error:  # decode errors are ValueErrors
        raise CheckpointError(f"{path}: truncated or corrupt checkpoint ({type(error).__name__}: {error})") from None
    return root
