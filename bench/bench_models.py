"""Training steps of minigrad and PyTorch side by side, in one run: per-op overhead, MLP-BN,
LeNet-BN and the CIFAR BN net, with the ratio minigrad / PyTorch and each one's CPU time /
wall time (above 1 means more than one core busy, or threads spinning).

    python bench/bench_models.py                 # the quiet-machine table
    python bench/bench_models.py --under-load    # the same beside a CPU-bound process
    python bench/bench_models.py --memory        # peak RSS of 50 LeNet-BN steps, each library in a child process
    python bench/bench_models.py --only lenet --steps 30

Each step: zero_grad, forward, cross-entropy, backward, SGD with momentum, on float32 random
data of the model's input shape. The PyTorch twin of each model is built from minigrad's, with
the same weights. Each contender runs its steps in a block of its own after a warm-up
(``timing.py`` says why); the step time is the median.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from timing import times_per_call

import minigrad
from minigrad import models, nn

MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...], int]] = {
    "mlp": (lambda: models.mlp_bn(784, 10), (784,), 128),
    "lenet": (models.lenet_bn, (1, 28, 28), 64),
    "cifar": (models.cifar_bn_net, (3, 32, 32), 128),
}
LABELS = {"mlp": "MLP-BN 784-256-BN-256-BN-10, batch 128", "lenet": "LeNet-BN, batch 64",
          "cifar": "CIFAR BN net, batch 128"}  # fmt: skip


def torch_twin(model: nn.Module, torch: Any) -> Any:
    """The same network in PyTorch, layer by layer, with minigrad's weights copied in."""
    layers = []
    for layer in model.children():
        kind = type(layer).__name__
        if kind == "Conv2d":
            layers.append(torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                          layer.stride, layer.padding, bias=layer.bias is not None))  # fmt: skip
        elif kind in ("BatchNorm1d", "BatchNorm2d"):
            layers.append(getattr(torch.nn, kind)(layer.num_features, layer.eps, layer.momentum))
        elif kind == "Linear":
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None))
        elif kind == "MaxPool2d":
            layers.append(torch.nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding))
        elif kind in ("ReLU", "Flatten"):
            layers.append(getattr(torch.nn, kind)())
        else:
            raise ValueError(f"torch_twin: no PyTorch twin for {kind}")
    twin = torch.nn.Sequential(*layers)
    twin.load_state_dict({k: torch.from_numpy(v.array.copy()) for k, v in model.state_dict().items()})
    return twin


def training_step(model: Any, optimizer: Any, x: Any, y: Any, cross_entropy: Callable[..., Any]) -> Callable[[], Any]:
    def step() -> Any:
        optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def steps_for(name: str, torch: Any) -> dict[str, Callable[[], Any]]:
    build, shape, batch = MODELS[name]
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, *shape)).astype(np.float32)
    labels = rng.integers(0, 10, batch)
    minigrad.manual_seed(0)
    model = build()
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = minigrad.tensor(images), minigrad.tensor(labels)
    runs = {"minigrad": training_step(model, optimizer, x, y, nn.functional.cross_entropy)}
    if torch is not None:
        twin = torch_twin(model, torch)
        runs["PyTorch"] = training_step(twin, torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9),
                                        torch.from_numpy(images), torch.from_numpy(labels),
                                        torch.nn.functional.cross_entropy)  # fmt: skip
    return runs


def op_chains(torch: Any, ops: int = 2000) -> dict[str, Callable[[], Any]]:
    """x = x * 1.0001 + 0.0001 on shape (10,), forward and backward: the cost of one op."""

    def chain(make: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            x = make()
            for _ in range(ops // 2):
                x = x * 1.0001 + 0.0001
            x.sum().backward()

        return run

    runs = {"minigrad": chain(lambda: minigrad.ones(10, requires_grad=True))}
    if torch is not None:
        runs["PyTorch"] = chain(lambda: torch.ones(10, requires_grad=True))
    return runs


def measure(runs: dict[str, Callable[[], Any]], steps: int) -> dict[str, tuple[float, float]]:
    """Per run: (median seconds per call, CPU time / wall time over the timed calls)."""
    cpu_per_wall: dict[str, float] = {}
    seconds = times_per_call(runs, steps, cpu_per_wall=cpu_per_wall)
    return {name: (float(np.median(seconds[name])), cpu_per_wall[name]) for name in runs}


def print_row(label: str, results: dict[str, tuple[float, float]], unit: str, scale: float) -> None:
    cells = [f"{name} {value * scale:8.2f} {unit} (cpu/wall {ratio:.2f})" for name, (value, ratio) in results.items()]
    ratio = ""
    if "PyTorch" in results:
        ratio = f"   ratio {results['minigrad'][0] / results['PyTorch'][0]:5.2f}"
    print(f"  {label:40s} " + "   ".join(cells) + ratio, flush=True)


def table(only: list[str], steps: int, torch: Any) -> None:
    print(f"minigrad threads: {minigrad.parallel.NUM_THREADS} (MINIGRAD_NUM_THREADS)"
          + ("" if torch is None else f"; PyTorch threads: {torch.get_num_threads()}"))  # fmt: skip
    if "ops" in only:
        print_row("per-op overhead, (10,), fwd+bwd", measure(op_chains(torch), max(5, steps // 2)), "us/op", 1e6 / 2000)
    for name in MODELS:
        if name in only:
            print_row(LABELS[name], measure(steps_for(name, torch), steps), "ms", 1e3)
    if torch is None:
        print("  PyTorch: not installed (pip install torch==2.13.0)")


def busy_loop(seconds: float) -> subprocess.Popen[bytes]:
    """A CPU-bound process that stops by itself after ``seconds`` (and is killed by us before)."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def peak_memory(library: str, steps: int = 50) -> float:
    """Peak RSS (MiB) of a child process that runs ``steps`` LeNet-BN steps with one library."""
    code = (
        "import sys; sys.path.insert(0, 'bench')\n"
        "import bench_models as b\n"
        f"torch = __import__('torch') if {library == 'PyTorch'!r} else None\n"
        f"step = b.steps_for('lenet', torch)[{library!r}]\n"
        f"for _ in range({steps}): step()\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)) or ".")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model (after 5 warm-up steps)")
    parser.add_argument("--only", nargs="+", default=["ops", *MODELS], choices=["ops", *MODELS])
    parser.add_argument("--under-load", action="store_true", help="run beside a CPU-bound process")
    parser.add_argument("--memory", action="store_true", help="peak RSS of 50 LeNet-BN steps per library")
    args = parser.parse_args()
    minigrad.keep_freed_memory()  # as the minigrad command does; see minigrad/allocator.py
    torch: Any
    try:
        import torch
    except ImportError:
        torch = None
    if args.memory:
        ours = peak_memory("minigrad")
        print(f"peak RSS of 50 LeNet-BN steps: minigrad {ours:.0f} MiB", end="")
        if torch is not None:
            theirs = peak_memory("PyTorch")
            print(f", PyTorch {theirs:.0f} MiB, ratio {ours / theirs:.2f}", end="")
        print()
        return
    if not args.under_load:
        table(args.only, args.steps, torch)
        return
    load = busy_loop(600)
    try:
        print("beside a CPU-bound process (one core busy):")
        table(args.only, args.steps, torch)
    finally:
        load.kill()
        load.wait()


if __name__ == "__main__":
    main()
