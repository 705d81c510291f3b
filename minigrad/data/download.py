"""Downloads: several mirrors tried in order, a progress display, md5 checked before use.

A file is fetched into a hidden ``.part`` file beside its target and renamed into place only
once its md5 matches, so a partial or corrupt download is never used and never left behind.
A folder created for a download that failed is removed again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from minigrad.progress import ProgressBar

CHUNK_BYTES = 1 << 16


def default_root(name: str) -> Path:
    """Where dataset ``name`` lives when no folder is given: ``$MINIGRAD_DATA/name``, or
    ``~/.cache/minigrad/name``.

    >>> default_root("mnist").name
    'mnist'
    """
    base = os.environ.get("MINIGRAD_DATA") or Path.home() / ".cache" / "minigrad"
    return Path(base).expanduser() / name


def md5(path: str | os.PathLike[str]) -> str:
    """The md5 of a file's bytes, read in blocks (the files can be large)."""
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(urls: Sequence[str], target: Path, checksum: str, progress: bool = True) -> None:
    """Fetch ``target`` from the first of ``urls`` that serves bytes with md5 ``checksum``.

    Raises ``RuntimeError`` naming every URL tried and why it failed. Creates the target's
    folder if needed, and removes the folders it created when nothing could be downloaded.
    """
    created = _missing_parents(target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    try:
        for url in urls:
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
            os.close(descriptor)
            try:
                _fetch(url, Path(temporary), progress)
                found = md5(temporary)
                if found != checksum:
                    raise OSError(f"md5 mismatch (got {found}, expected {checksum}); the download was deleted")
                os.replace(temporary, target)
                return
            except OSError as error:  # URLError and HTTPError are OSErrors
                errors.append(f"{url}: {error}")
            finally:
                Path(temporary).unlink(missing_ok=True)
    finally:
        if not target.exists():
            for folder in created:  # deepest first; only folders this call made, only if empty
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
    raise RuntimeError(f"could not download {target.name} into {target.parent}:\n  " + "\n  ".join(errors))


def _fetch(url: str, destination: Path, progress: bool) -> None:
    """Stream ``url`` into ``destination``, drawing a progress bar on stderr."""
    with urllib.request.urlopen(url, timeout=30) as response, open(destination, "wb") as file:
        size = response.headers.get("Content-Length")
        total = -(-int(size) // CHUNK_BYTES) if size else None
        bar = ProgressBar(total, f"downloading {url}", unit="B", stream=sys.stderr) if progress else None
        for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
            file.write(chunk)
            if bar:
                bar.update(len(chunk))
        if bar:
            bar.close()


def _missing_parents(folder: Path) -> list[Path]:
    """The folders on the way to ``folder`` that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing
