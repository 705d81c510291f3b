"""The benchmarks' own claims that are not timings: the hand-written numpy step that
``bench/bench_floor.py`` times against minigrad and PyTorch must be a correct training step,
or its time means nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench_floor():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        import bench_floor

        yield bench_floor
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize("model", ["mlp", "lenet", "cifar"])
def test_hand_written_step_has_minigrads_gradients(bench_floor, model: str) -> None:  # type: ignore[no-untyped-def]
    # float64, batch 8: every parameter's gradient, conv biases under BatchNorm included
    assert bench_floor.largest_gradient_error(model) < 1e-10


def test_hand_written_step_trains(bench_floor) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    import minigrad
    from minigrad import models

    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)
    images, labels = rng.standard_normal((32, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 32)
    by_hand = bench_floor.HandWritten(models.lenet_bn(), lr=0.1)
    losses = [by_hand.step(images, labels) for _ in range(15)]
    assert losses[-1] < 0.5 * losses[0]  # it fits one batch, as any correct SGD step does
