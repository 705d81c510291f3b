"""LeNet-BN on real MNIST, minigrad and PyTorch side by side: wall time and test accuracy.

    python bench/bench_mnist.py --data-dir DIR [--epochs 2]

minigrad runs ``minigrad train cnn`` (its loop, progress bar and BatchNorm check included);
PyTorch trains the twin of the same model (``bench_models.torch_twin``) with the same recipe:
batch 64, SGD lr 0.05 with momentum 0.9 and weight decay 5e-4, a cosine schedule over every step,
the images standardised with MNIST's mean and std, a test pass after each epoch.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_models import torch_twin

import minigrad
from minigrad import cli, models
from minigrad.data import MNIST


def run_minigrad(data_dir: str, epochs: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(
                ["train", "cnn", "--dataset", "mnist", "--data-dir", data_dir, "--epochs", str(epochs), "--out", out]
            )
        seconds = time.perf_counter() - start
        history = json.loads((Path(out) / "metrics.json").read_text())["epochs"]
    return seconds, [epoch["test_acc"] for epoch in history]


def run_torch(data_dir: str, epochs: int) -> tuple[float, list[float]]:
    import torch

    start = time.perf_counter()
    train, test = MNIST(data_dir, train=True), MNIST(data_dir, train=False)

    def arrays(dataset: MNIST) -> tuple[object, object]:
        images = (dataset.data.astype(np.float32) / 255 - MNIST.mean[0]) / MNIST.std[0]
        return torch.from_numpy(images[:, None]), torch.from_numpy(dataset.targets)

    (x_train, y_train), (x_test, y_test) = arrays(train), arrays(test)
    minigrad.manual_seed(0)
    model = torch_twin(models.lenet_bn(), torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * -(-len(x_train) // 64))
    generator = torch.Generator().manual_seed(0)
    accuracies = []
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(x_train), generator=generator).split(64):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
            optimizer.step()
            schedule.step()
        model.eval()
        with torch.no_grad():
            correct = sum(
                int((model(x_test[i : i + 500]).argmax(1) == y_test[i : i + 500]).sum())
                for i in range(0, len(x_test), 500)
            )
        accuracies.append(correct / len(x_test))
    return time.perf_counter() - start, accuracies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a folder with the four MNIST .gz files")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"LeNet-BN, {args.epochs} epochs of MNIST, batch 64")
    ours, ours_acc = run_minigrad(args.data_dir, args.epochs)
    print(f"  minigrad {ours:7.1f} s   test accuracy " + ", ".join(f"{a:.2%}" for a in ours_acc), flush=True)
    try:
        theirs, theirs_acc = run_torch(args.data_dir, args.epochs)
    except ImportError:
        print("  PyTorch: not installed (pip install torch==2.13.0)")
        return
    print(f"  PyTorch  {theirs:7.1f} s   test accuracy " + ", ".join(f"{a:.2%}" for a in theirs_acc))
    print(f"  ratio minigrad / PyTorch: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
