"""Timing shared by the benchmarks.

Each contender runs all its rounds in one block, after a warm-up. Alternating single steps
between minigrad and PyTorch looks fairer but is not: their thread pools (OpenBLAS's and
PyTorch's OpenMP workers) keep spinning after each call and slow the other down, which
doubled PyTorch's LeNet step on the 2-core build machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def times_per_call(runs: dict[str, Callable[[], object]], rounds: int, warmup: int = 5) -> dict[str, list[float]]:
    """Seconds of each of ``rounds`` calls of every run, run by run, after ``warmup`` calls
    (the first calls also grow the heap and fault in its pages)."""
    times: dict[str, list[float]] = {}
    for name, run in runs.items():
        for _ in range(warmup):
            run()
        times[name] = []
        for _ in range(rounds):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times
