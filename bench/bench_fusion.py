"""Would evaluating chains of elementwise ops tile by tile (fusion) speed up BatchNorm + ReLU?

The chain is the forward of LeNet-BN's first block after the convolution, on its real size
(64 x 32 x 28 x 28, float32): add the conv bias, subtract the mean, multiply by the scale,
add beta, ReLU. Five ways, each one numpy call per op:

* one pass per op over the whole array (what an eager engine does);
* tile by tile (a few images at a time, so a tile stays in the core's cache), still writing
  every op's full output: what a fused engine must do when backward reads the intermediates,
  as a derived BatchNorm's backward does;
* tile by tile into one small scratch buffer, writing only the final output: what a fused
  engine can do when nothing reads the intermediates;
* the last two again with the tiles shared between both cores.

    python bench/bench_fusion.py
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from timing import times_per_call

import minigrad
from minigrad import parallel

SHAPE = (64, 32, 28, 28)


def relu_into(x: np.ndarray, out: np.ndarray) -> None:
    """max(x, 0) as a select on the bits (as minigrad's ReLU): an int multiply by the mask."""
    np.multiply(x.view(np.int32), x > 0, out=out.view(np.int32))


def chains(rows: int) -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=np.float32)
    bias, mean, scale, beta = (rng.standard_normal((1, SHAPE[1], 1, 1), dtype=np.float32) for _ in range(4))

    def one_pass_per_op() -> list[np.ndarray]:
        biased = x + bias
        centered = biased - mean
        scaled = centered * scale
        shifted = scaled + beta
        out = np.empty_like(x)
        relu_into(shifted, out)
        return [biased, centered, scaled, shifted, out]

    def tiles_keeping_every_output() -> list[np.ndarray]:
        outputs = [np.empty_like(x) for _ in range(5)]
        for start in range(0, SHAPE[0], rows):
            biased, centered, scaled, shifted, out = (o[start : start + rows] for o in outputs)
            np.add(x[start : start + rows], bias, out=biased)
            np.subtract(biased, mean, out=centered)
            np.multiply(centered, scale, out=scaled)
            np.add(scaled, beta, out=shifted)
            relu_into(shifted, out)
        return outputs

    def tiles_keeping_only_the_result() -> np.ndarray:
        out, scratch = np.empty_like(x), np.empty((rows, *SHAPE[1:]), np.float32)
        for start in range(0, SHAPE[0], rows):
            np.add(x[start : start + rows], bias, out=scratch)
            np.subtract(scratch, mean, out=scratch)
            np.multiply(scratch, scale, out=scratch)
            np.add(scratch, beta, out=scratch)
            relu_into(scratch, out[start : start + rows])
        return out

    def both_cores(keep_every_output: bool) -> Callable[[], object]:
        """The tiles shared between the cores (minigrad's worker pool), each thread with its
        own scratch buffer."""

        def run() -> np.ndarray:
            outputs = [np.empty_like(x) for _ in range(5 if keep_every_output else 1)]

            def tiles(chunk: slice) -> None:
                scratch = np.empty((rows, *SHAPE[1:]), np.float32)
                for start in range(chunk.start, chunk.stop, rows):
                    part = slice(start, min(start + rows, chunk.stop))
                    if keep_every_output:
                        biased, centered, scaled, shifted, out = (o[part] for o in outputs)
                    else:
                        biased = centered = scaled = shifted = scratch[: part.stop - part.start]
                        out = outputs[0][part]
                    np.add(x[part], bias, out=biased)
                    np.subtract(biased, mean, out=centered)
                    np.multiply(centered, scale, out=scaled)
                    np.add(scaled, beta, out=shifted)
                    relu_into(shifted, out)

            parallel.map_chunks(tiles, SHAPE[0], pieces=2 * parallel.NUM_THREADS)
            return outputs[-1]

        return run

    runs = {
        "one pass per op": one_pass_per_op,
        "tiles, every output kept": tiles_keeping_every_output,
        "tiles, only the result kept": tiles_keeping_only_the_result,
        "both cores, every output kept": both_cores(True),
        "both cores, only the result": both_cores(False),
    }
    first = one_pass_per_op()
    assert all(np.array_equal(a, b) for a, b in zip(first, tiles_keeping_every_output()))
    assert all(np.array_equal(first[-1], run()) for run in list(runs.values())[2:])  # type: ignore[arg-type]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4, help="images per tile (4 x 32 x 28 x 28 floats = 392 KiB)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    minigrad.keep_freed_memory()
    times = times_per_call(chains(args.rows), args.repeats)
    eager = float(np.median(times["one pass per op"]))
    print(f"bias, -mean, *scale, +beta, ReLU on {SHAPE} float32, {args.rows} images per tile:")
    for name, seconds in times.items():
        median = float(np.median(seconds))
        print(f"  {name:30s} {median * 1e3:6.2f} ms   {eager / median:4.2f}x the eager speed")


if __name__ == "__main__":
    main()
