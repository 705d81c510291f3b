"""Timing shared by the benchmarks.

Each contender runs all its rounds in one block, after a warm-up. Alternating single steps
between minigrad and PyTorch looks fairer but is not: their thread pools (OpenBLAS's and
PyTorch's OpenMP workers) keep spinning after each call and slow the other down, which
doubled PyTorch's LeNet step on the 2-core build machine. For the same reason each contender
starts after a pause (``SETTLE_SECONDS``) in which the threads of the one before stop spinning:
OpenBLAS's keep a core busy for about 0.1 s after their last call.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SETTLE_SECONDS = 0.3


def times_per_call(
    runs: dict[str, Callable[[], object]],
    rounds: int,
    warmup: int = 5,
    cpu_per_wall: dict[str, float] | None = None,
) -> dict[str, list[float]]:
    """Seconds of each of ``rounds`` calls of every run, run by run, after ``warmup`` calls
    (the first calls also grow the heap and fault in its pages). Pass a dict as
    ``cpu_per_wall`` to get each run's CPU time / wall time over its timed calls (above 1:
    more than one core busy, or threads spinning)."""
    times: dict[str, list[float]] = {}
    for name, run in runs.items():
        time.sleep(SETTLE_SECONDS)  # let the previous contender's threads go to sleep
        for _ in range(warmup):
            run()
        times[name] = []
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
        if cpu_per_wall is not None:
            cpu_per_wall[name] = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return times
