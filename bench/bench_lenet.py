"""One LeNet-BN training step, minigrad vs PyTorch, side by side in one run.

The model: Conv2d(1,32,3,p=1) -> BN2d -> ReLU -> MaxPool2 -> Conv2d(32,64,3,p=1) -> BN2d -> ReLU
-> MaxPool2 -> Flatten -> Linear(3136,128) -> BN1d -> ReLU -> Linear(128,10).
The step: zero_grad, forward, cross-entropy, backward, SGD with momentum, on a float32 batch of
64x1x28x28. Also reports derived vs fused BatchNorm, in time and in bytes saved for backward.

    python bench/bench_lenet.py [--batch 64] [--steps 20]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
from timing import times_per_call

import minigrad
from minigrad import nn
from minigrad.checks.bncheck import graph_cost


def lenet_bn(nn_module: Any, fused: bool | None = None) -> Any:
    extra = {} if fused is None else {"fused": fused}
    return nn_module.Sequential(
        nn_module.Conv2d(1, 32, 3, padding=1),
        nn_module.BatchNorm2d(32, **extra),
        nn_module.ReLU(),
        nn_module.MaxPool2d(2),
        nn_module.Conv2d(32, 64, 3, padding=1),
        nn_module.BatchNorm2d(64, **extra),
        nn_module.ReLU(),
        nn_module.MaxPool2d(2),
        nn_module.Flatten(),
        nn_module.Linear(3136, 128),
        nn_module.BatchNorm1d(128, **extra),
        nn_module.ReLU(),
        nn_module.Linear(128, 10),
    )


def minigrad_step(images: np.ndarray, labels: np.ndarray, fused: bool) -> Callable[[], Any]:
    model = lenet_bn(nn, fused)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = minigrad.tensor(images), minigrad.tensor(labels)

    def step() -> Any:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def torch_step(images: np.ndarray, labels: np.ndarray) -> Callable[[], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    model = lenet_bn(torch.nn)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)

    def step() -> Any:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def bn_route_cost(fused: bool, shape: tuple[int, ...]) -> tuple[Callable[[], None], int, int]:
    """A forward + backward of one BatchNorm2d, its graph nodes, and the bytes saved for backward."""
    layer = nn.BatchNorm2d(shape[1], fused=fused)
    x = minigrad.randn(*shape, requires_grad=True)
    dy = minigrad.randn(*shape)

    def step() -> None:
        layer(x).backward(dy)

    nodes, saved = graph_cost(layer(x))
    return step, nodes, saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    minigrad.keep_freed_memory()  # as the minigrad command does; see minigrad/allocator.py
    rng = np.random.default_rng(0)
    images = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, args.batch)
    minigrad.manual_seed(0)

    print(f"LeNet-BN training step, float32 batch {args.batch}x1x28x28, median of {args.steps}")
    runs = {
        "minigrad (derived BN)": minigrad_step(images, labels, fused=False),
        "minigrad (fused BN)": minigrad_step(images, labels, fused=True),
    }
    torch_run = torch_step(images, labels)
    if torch_run is not None:
        runs["PyTorch"] = torch_run
    step_time = {name: float(np.median(t)) for name, t in times_per_call(runs, args.steps).items()}
    for name, seconds in step_time.items():
        print(f"  {name + ':':22s} {seconds * 1e3:7.1f} ms/step")
    if torch_run is None:
        print("  PyTorch: not installed (pip install torch==2.13.0)")
    else:
        for route in ("derived", "fused"):
            ratio = step_time[f"minigrad ({route} BN)"] / step_time["PyTorch"]
            print(
                f"  ratio minigrad ({route}) / PyTorch: {ratio:.2f}"
                + ("   (target <= 1.3)" if route == "derived" else "")
            )

    shape = (args.batch, 32, 28, 28)
    print(f"\nBatchNorm2d alone, input {shape} float32, forward + backward, median of {args.steps}")
    routes = {"derived": bn_route_cost(False, shape), "fused": bn_route_cost(True, shape)}
    bn_times = times_per_call({name: step for name, (step, _, _) in routes.items()}, args.steps)
    for name, (_, nodes, saved) in routes.items():
        seconds, megabytes = float(np.median(bn_times[name])), saved / 2**20
        print(f"  {name:8s} {seconds * 1e3:7.2f} ms   {nodes:3d} graph nodes   {megabytes:7.1f} MiB saved for backward")
    time_ratio = np.median(bn_times["derived"]) / np.median(bn_times["fused"])
    print(f"  derived / fused: time {time_ratio:.2f}x, bytes saved {routes['derived'][2] / routes['fused'][2]:.2f}x")


if __name__ == "__main__":
    main()
