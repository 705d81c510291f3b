"""Per-op overhead on small tensors: minigrad vs PyTorch, side by side, in one run.

A chain of elementwise ops, ``x = x * 1.0001 + 0.0001`` on shape (10,), forward plus
backward; the time is reported per op (each step of the chain is two ops).

    python bench/bench_ops.py [--ops 2000] [--repeats 30]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from timing import times_per_call

import minigrad


def minigrad_chain(steps: int) -> Callable[[], None]:
    def run() -> None:
        x0 = minigrad.tensor(np.ones(10, dtype=np.float32), requires_grad=True)
        x = x0
        for _ in range(steps):
            x = x * 1.0001 + 0.0001
        x.sum().backward()

    return run


def torch_chain(steps: int) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None

    def run() -> None:
        x0 = torch.ones(10, requires_grad=True)
        x = x0
        for _ in range(steps):
            x = x * 1.0001 + 0.0001
        x.sum().backward()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="ops in the chain (two per step)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    minigrad.keep_freed_memory()  # as the minigrad command does; see minigrad/allocator.py
    steps = args.ops // 2
    runs = {"minigrad": minigrad_chain(steps)}
    torch_run = torch_chain(steps)
    if torch_run is not None:
        runs["PyTorch"] = torch_run
    # The fastest run of each is the one least disturbed by the rest of the machine.
    per_op = {name: min(t) / args.ops * 1e6 for name, t in times_per_call(runs, args.repeats).items()}
    print(f"chain of {args.ops} elementwise ops on shape (10,), forward + backward, best of {args.repeats}")
    print(f"  minigrad: {per_op['minigrad']:6.2f} us/op")
    if torch_run is None:
        print("  PyTorch:  not installed (pip install torch==2.13.0)")
        return
    print(f"  PyTorch:  {per_op['PyTorch']:6.2f} us/op")
    print(f"  ratio minigrad / PyTorch: {per_op['minigrad'] / per_op['PyTorch']:.2f}  (target <= 0.7; goal <= 0.5)")


if __name__ == "__main__":
    main()
