"""Threads: use both cores where it pays, and never let a thread spin.

numpy runs elementwise work on one core and hands matrix products to OpenBLAS, whose worker
threads busy-wait after every call: a LeNet step used twice its wall time in CPU, and when
anything else ran on the machine a single GEMM went from 0.65 ms to 172 ms. So minigrad
runs every BLAS call single-threaded (``blas_threads(1)``, via threadpoolctl; the count is
restored after the call, so your own numpy code keeps its setting) and splits large work
itself across a small pool of Python threads, which wait on a queue without spinning. numpy
releases the GIL inside BLAS and inside ufunc loops on large arrays, so the threads really
run at the same time.

What is split, and from what size (measured on a 2-core machine, ``bench/bench_parallel.py``):

* matrix products of at least ``MIN_GEMM_MACS`` multiply-adds, along their largest dimension;
* col2im (``ops.Col2Im``) over the batch, from ``MIN_SPLIT_ELEMENTS``;
* elementwise sums and products (and Where's select) from ``MIN_ELEMENTWISE`` elements:
  memory-bound, smaller ones gain nothing.

``MINIGRAD_NUM_THREADS=1`` turns all of it off (one thread, BLAS included); the default is
the number of cores this process may use.

>>> a, b = np.ones((300, 400)), np.ones((400, 500))
>>> bool((matmul(a, b) == a @ b).all())
True
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

# Handing work to a sleeping thread and back costs about 0.1 ms here (two futex wake-ups in a
# VM), so only work well above that is split. Measured by bench/bench_parallel.py on 2 cores:
# a GEMM of 231 M multiply-adds (LeNet's conv2) runs 1.8-1.9x faster split in two, one of
# 26 M (an MLP layer) 0.9-1.1x (the MLP step is faster unsplit), one of 8 M 0.5-1.0x.
MIN_GEMM_MACS = 30000000


def _threads_from_environment() -> int:
    setting = os.environ.get("MINIGRAD_NUM_THREADS")
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            raise ValueError(f"MINIGRAD_NUM_THREADS must be a positive integer, got {setting!r}") from None
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


NUM_THREADS = _threads_from_environment()
_pool: ThreadPoolExecutor | None = None
_blas: Any = None  # threadpoolctl's controller of the BLAS library numpy uses (None: not found)


def set_num_threads(count: int) -> None:
    """Split work across ``count`` threads from now on (the pool is remade at its next use)."""
    global NUM_THREADS, _pool
    if not isinstance(count, int) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {count!r}")
    if _pool is not None and count != NUM_THREADS:
        _pool.shutdown(wait=True)
        _pool = None
    NUM_THREADS = count


def _worker_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=NUM_THREADS - 1, thread_name_prefix="minigrad")
    return _pool


def _blas_controller() -> Any:
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            controllers = ThreadpoolController().select(user_api="blas").lib_controllers
            _blas = controllers[0] if controllers else False
        except ImportError:  # threadpoolctl is a dependency, but degrade to BLAS's own threads
            _blas = False
    return _blas


_blas_lock = threading.Lock()
_blas_blocks = 0  # blas_threads blocks open, in every thread
_blas_outside = 0  # BLAS's setting before the first of them, restored when the last one closes


@contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Run BLAS with ``count`` threads inside the block, then restore its setting. The setting
    is process-wide, so blocks open in several threads at once share it: the first saves the
    setting from outside, the last restores it (saving and restoring per block would leave
    one thread's "1" behind for good when two blocks overlap)."""
    global _blas_blocks, _blas_outside
    blas = _blas_controller()
    if not blas:
        yield
        return
    with _blas_lock:
        if _blas_blocks == 0:
            _blas_outside = blas.get_num_threads()
        _blas_blocks += 1
        blas.set_num_threads(count)
    try:
        yield
    finally:
        with _blas_lock:
            _blas_blocks -= 1
            if _blas_blocks == 0:
                blas.set_num_threads(_blas_outside)


def map_chunks(work: Callable[[slice], None], length: int, min_length: int = 2, pieces: int = 0) -> None:
    """Call ``work(chunk)`` on contiguous slices that cover ``range(length)``, on the calling
    thread and the workers at once. Each call must write only its own part.

    The slices are handed out one at a time to whichever thread is free (``pieces`` of them;
    by default four per thread), so a worker whose core is busy with another program simply
    takes fewer, and the call is never much slower than doing it all on one thread."""
    if NUM_THREADS == 1 or length < min_length:
        work(slice(0, length))
        return
    bounds = np.linspace(0, length, min(pieces or 4 * NUM_THREADS, length) + 1).astype(int)
    chunks = [slice(int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds)]
    todo = iter(chunks)  # shared: next() on a list iterator is atomic under the GIL
    remaining, lock, finished = [len(chunks)], threading.Lock(), threading.Event()
    errors: list[BaseException] = []

    def take_chunks() -> None:
        for chunk in todo:
            try:
                work(chunk)
            except BaseException as error:  # re-raised in the calling thread below
                errors.append(error)
            with lock:
                remaining[0] -= 1
                if remaining[0] == 0:
                    finished.set()

    for _ in range(NUM_THREADS - 1):
        _worker_pool().submit(take_chunks)
    take_chunks()
    finished.wait()  # only chunks a worker has started are waited for
    if errors:
        raise errors[0]


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for arrays BLAS can read, on single-threaded BLAS, split across the worker
    threads along the largest of its dimensions when it is large enough to pay."""
    *batch, m, k = a.shape
    n = b.shape[-1]
    batch_size = int(np.prod(np.broadcast_shapes(tuple(batch), b.shape[:-2]))) if batch or b.ndim > 2 else 1
    with blas_threads(1):
        if NUM_THREADS == 1 or batch_size * m * n * k < MIN_GEMM_MACS:
            return np.matmul(a, b)
        out = np.empty((*np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), m, n), dtype=np.result_type(a, b))
        if m >= n and m >= 64:  # split the rows of a (and of the output)

            def rows(chunk: slice) -> None:
                np.matmul(a[..., chunk, :], b, out=out[..., chunk, :])

            map_chunks(rows, m, pieces=2 * NUM_THREADS)
        elif n >= 64:  # split the columns of b (and of the output)

            def columns(chunk: slice) -> None:
                np.matmul(a, b[..., chunk], out=out[..., chunk])

            map_chunks(columns, n, pieces=2 * NUM_THREADS)
        else:  # small output, long inner dimension: split the sum over k, then add the parts
            parts: dict[int, np.ndarray] = {}

            def inner(chunk: slice) -> None:
                parts[chunk.start] = np.matmul(a[..., chunk], b[..., chunk, :])

            map_chunks(inner, k, pieces=2 * NUM_THREADS)
            np.copyto(out, sum(parts[start] for start in sorted(parts)))  # in a fixed order: deterministic
        return out


# Measured by bench/bench_parallel.py on 2 cores (best of 15): adding columns back into an
# image (Col2Im) split by batch gains 1.5x on LeNet's conv2 (46 M elements), 1.3x at 4.4 M,
# and loses at 1.1 M (0.7x) and 2.2 M (1.0x); a plain elementwise op is
# memory-bound and gains 0.9x at 1.5 MiB, 1.2x at 6 MiB, 2.2x at 30 MiB (the CIFAR net's
# first activations), and loses when the other core is busy: only the large ones are split.
MIN_SPLIT_ELEMENTS = 4_000_000
MIN_ELEMENTWISE = 4_000_000


def min_length(array: np.ndarray, length: int) -> int:
    """For ``map_chunks`` over ``length`` parts of a job on ``array``: the length below which
    it is not split (all of it, when the array is small)."""
    return 2 if array.size >= MIN_SPLIT_ELEMENTS else length + 1


def elementwise(ufunc: Any, *arrays: np.ndarray, **kwargs: Any) -> np.ndarray:
    """``ufunc(*arrays)`` with numpy's broadcasting, split along the first axis of the result
    across the worker threads when the result is large. Each thread writes its own rows."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if NUM_THREADS == 1 or not shape or shape[0] < NUM_THREADS:
        return ufunc(*arrays, **kwargs)
    out = np.empty(shape, dtype=kwargs.get("dtype") or np.result_type(*arrays))
    # An operand with fewer dims, or of size 1 along the first axis, is broadcast: every thread
    # reads all of it. The others are cut like the output.
    cut = [a.ndim == len(shape) and a.shape[0] == shape[0] for a in arrays]

    def rows(chunk: slice) -> None:
        ufunc(*[a[chunk] if c else a for a, c in zip(arrays, cut)], out=out[chunk], **kwargs)

    map_chunks(rows, shape[0], pieces=2 * NUM_THREADS)
    return out
