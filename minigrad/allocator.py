"""Keep freed memory for reuse: the one process-wide setting minigrad offers, by an explicit call.

numpy allocates every array with malloc. By default glibc serves blocks over 128 KiB with
mmap and hands them back to the OS when freed, so a training step that creates and frees
the same 6 MiB activations hundreds of times pays for fresh zero-filled pages every time
(page faults): about half the time of a LeNet-BN step. Raising glibc's mmap and trim
thresholds makes it keep freed blocks in its heap and hand them out again, which is what
PyTorch's caching allocator does for its tensors. Blocks over 32 MiB (glibc's largest
threshold) still come from mmap. Elsewhere (macOS, Windows, musl) this does nothing, and
setting the environment variable MINIGRAD_KEEP_FREED_MEMORY=0 turns it off.

``import minigrad`` does not call it: changing how the whole process allocates is the
program's choice. The ``minigrad`` command, the benchmarks and the training examples call
it first thing; a training script of your own can too:

    import minigrad
    minigrad.keep_freed_memory()
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
LARGEST_MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2**30


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed blocks up to 32 MiB instead of returning them; True if it did."""
    if not sys.platform.startswith("linux") or os.environ.get("MINIGRAD_KEEP_FREED_MEMORY") == "0":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, LARGEST_MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
