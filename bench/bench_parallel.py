"""Where splitting work across threads pays, on this machine: the thresholds of minigrad/parallel.py.

For the matrix products of the example models and for elementwise ops of growing size, it
prints the time on one thread (single-threaded BLAS) and split across minigrad's worker pool,
and the speedup. Run it on a quiet machine; anything else running makes splits look worse.

    python bench/bench_parallel.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from minigrad import ops, parallel

GEMMS = {  # (rows, inner, columns) of the products in a LeNet-BN and an MLP-BN training step
    "LeNet conv1, forward": (32, 9, 53760),
    "LeNet conv2, forward": (64, 288, 14336),
    "LeNet conv2, d(weight)": (64, 14336, 288),
    "LeNet conv2, d(columns)": (288, 64, 14336),
    "LeNet fc1, forward": (64, 3136, 128),
    "MLP 784 -> 256, batch 128": (128, 784, 256),
    "MLP 256 -> 256, batch 128": (128, 256, 256),
}


def best_of(run: Callable[[], object], repeats: int = 15) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def compare(label: str, one: Callable[[], object], split: Callable[[], object]) -> None:
    single, threads = best_of(one), best_of(split)
    print(f"  {label:34s} one thread {single:7.3f} ms   split {threads:7.3f} ms   speedup {single / threads:5.2f}")


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"threads: {parallel.NUM_THREADS}; products split from {parallel.MIN_GEMM_MACS / 1e6:.0f} M multiply-adds")
    threshold = parallel.MIN_GEMM_MACS
    for label, (m, k, n) in GEMMS.items():
        a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
        parallel.MIN_GEMM_MACS = 1  # split every product here, to see what a split would give

        def split(a: np.ndarray = a, b: np.ndarray = b) -> np.ndarray:
            return parallel.matmul(a, b)

        def single(a: np.ndarray = a, b: np.ndarray = b) -> np.ndarray:
            with parallel.blas_threads(1):
                return np.matmul(a, b)

        compare(f"{label} ({m * k * n / 1e6:.0f} M)", single, split)
    parallel.MIN_GEMM_MACS = threshold

    print("elementwise add, float32, split in row blocks:")
    for size in (100_000, 400_000, 1_600_000, 8_000_000):
        x, y = rng.random(size, dtype=np.float32), rng.random(size, dtype=np.float32)
        out = np.empty_like(x)

        def add_split(x: np.ndarray = x, y: np.ndarray = y, out: np.ndarray = out, size: int = size) -> None:
            parallel.map_chunks(lambda chunk: np.add(x[chunk], y[chunk], out=out[chunk]), size)

        compare(f"{size * 4 / 2**20:5.1f} MiB", lambda x=x, y=y, out=out: np.add(x, y, out=out), add_split)

    print("col2im (LeNet conv2's backward), split by batch:")
    width = 16
    offsets = tuple(i * width + j for i in range(3) for j in range(3))
    columns = rng.standard_normal((32, 9, 64, 14 * width)).astype(np.float32)
    fold = ops.Col2Im(17 * width, offsets, 14 * width)
    saved = parallel.NUM_THREADS
    parallel.NUM_THREADS = 1
    single = best_of(lambda: fold.forward(columns))
    parallel.NUM_THREADS = saved
    threads = best_of(lambda: fold.forward(columns))
    label = "(64, 32, 16, 16) image"
    print(f"  {label:34s} one thread {single:7.3f} ms   split {threads:7.3f} ms   speedup {single / threads:5.2f}")


if __name__ == "__main__":
    main()
