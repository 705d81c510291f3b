"""Memory of a training loop: what LeNet-BN steps keep alive, in one fresh process.

Runs ``--steps`` training steps (zero_grad, forward, cross-entropy, backward, SGD) of
``minigrad.models.lenet_bn`` on a float32 batch of 64x1x28x28, then reports

* the peak resident set size of the process (``ru_maxrss``), and
* the bytes that the last step's graph still holds while ``loss`` is alive: numpy memory
  traced (``tracemalloc``) during one more step, before and after ``del loss``.

After backward the graph keeps its structure (ops, shapes, names) but none of what it saved,
so the second number should be a few kilobytes, not megabytes.

    python bench/bench_memory.py [--steps 50] [--batch 64] [--fused]
"""

from __future__ import annotations

import argparse
import gc
import resource
import tracemalloc

import numpy as np

import minigrad
from minigrad import nn
from minigrad.models import lenet_bn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--fused", action="store_true", help="closed-form BatchNorm")
    args = parser.parse_args()
    minigrad.keep_freed_memory()  # as the minigrad command does; see minigrad/allocator.py
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32))
    y = minigrad.tensor(rng.integers(0, 10, args.batch))
    model = lenet_bn(fused=args.fused)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> minigrad.Tensor:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(args.steps):
        loss = step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    del loss
    gc.collect()
    tracemalloc.start()
    loss = step()
    gc.collect()
    with_graph = tracemalloc.get_traced_memory()[0]
    del loss
    gc.collect()
    without_graph = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    route = "fused" if args.fused else "derived"
    print(f"LeNet-BN ({route} BN), {args.steps} training steps, batch {args.batch}")
    print(f"  peak RSS:                          {peak:8.1f} MiB")
    print(f"  held by the last step's graph:     {(with_graph - without_graph) / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
