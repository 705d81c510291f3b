"""The ``minigrad`` command line.

minigrad demo                      # derivatives to third order, the BatchNorm check, a short training run
minigrad check-bn                  # BatchNorm's gradients four ways; exits 1 on any disagreement
minigrad graph --out bn.svg        # draw the derived BatchNorm's graph (needs Graphviz's dot)
minigrad train --data DIR          # LeNet-BN on MNIST (downloaded into DIR if missing)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import minigrad
from minigrad import data, nn, viz


def lenet_bn(fused: bool = False) -> nn.Sequential:
    """Two conv blocks and a BN-MLP head for 1x28x28 images, 10 classes."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32, fused=fused),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64, fused=fused),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3136, 128),
        nn.BatchNorm1d(128, fused=fused),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


@minigrad.no_grad()
def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, batch_size: int = 500) -> float:
    """The fraction of images classified right, in eval mode."""
    model.eval()
    correct = 0
    for x, y in data.batches(images, labels, batch_size, shuffle=False):
        correct += int((model(minigrad.tensor(data.normalize_images(x))).argmax(1).array == y).sum())
    return correct / len(images)


def train(
    model: nn.Module,
    train_set: tuple[np.ndarray, np.ndarray],
    test_set: tuple[np.ndarray, np.ndarray],
    epochs: int,
    batch_size: int = 64,
    lr: float = 0.05,
    checkpoint: str | None = None,
) -> float:
    """SGD with momentum and a cosine schedule; prints progress; returns test accuracy."""
    optimizer = minigrad.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    schedule = minigrad.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    images, labels = train_set
    test_accuracy = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        start, seen, loss_sum = time.perf_counter(), 0, 0.0
        for x, y in data.batches(images, labels, batch_size, seed=epoch):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(minigrad.tensor(data.normalize_images(x))), minigrad.tensor(y))
            loss.backward()
            optimizer.step()
            seen += len(x)
            loss_sum += loss.item() * len(x)
        schedule.step()
        seconds = time.perf_counter() - start
        test_accuracy = accuracy(model, *test_set)
        print(
            f"  epoch {epoch}/{epochs}: train loss {loss_sum / seen:.4f}, test accuracy {test_accuracy:.2%} "
            f"({seconds:.1f} s, {seconds / max(1, -(-seen // batch_size)) * 1e3:.0f} ms/step)",
            flush=True,
        )
        if checkpoint:
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}
            minigrad.save(state, checkpoint)
    return test_accuracy


def demo(args: argparse.Namespace) -> int:
    print("1. Reverse mode to third order: f(x) = x^3 exp(-x) at x = 1.5")
    x = minigrad.tensor(1.5, dtype=minigrad.float64, requires_grad=True)
    y = x**3 * (-x).exp()
    (d1,) = minigrad.grad(y, x, create_graph=True)
    (d2,) = minigrad.grad(d1, x, create_graph=True)
    (d3,) = minigrad.grad(d2, x)
    e, v = np.exp(-1.5), 1.5
    closed = [(3 * v**2 - v**3) * e, (6 * v - 6 * v**2 + v**3) * e, (6 - 18 * v + 9 * v**2 - v**3) * e]
    for order, (ours, exact) in enumerate(zip((d1, d2, d3), closed), start=1):
        print(f"   d{order}f: autodiff {ours.item():+.12f}   closed form {exact:+.12f}")

    print("\n2. BatchNorm's gradient, derived from primitives, checked four ways (minigrad check-bn for the tables)")
    report = minigrad.check_batchnorm(cost_shape=(64, 32, 28, 28), verbose=False)
    failed = [c for c in report.comparisons if not c.passed]
    print(f"   {len(report.comparisons)} comparisons, {len(failed)} beyond tolerance")
    for name, cost in report.costs.items():
        print(f"   {name:12s} {int(cost['nodes']):3d} nodes, {cost['bytes'] / 2**20:6.1f} MiB saved, "
              f"{cost['seconds'] * 1e3:6.1f} ms forward+backward on (64, 32, 28, 28)")  # fmt: skip

    source = f"MNIST from {args.data}" if args.data else "built-in synthetic digits (no download)"
    print(f"\n3. Training LeNet-BN on {source}")
    minigrad.manual_seed(0)
    train_set, test_set = _datasets(args.data, args.train_size, args.test_size)
    accuracy_reached = train(lenet_bn(), train_set, test_set, args.epochs, args.batch_size)
    if shutil.which("dot"):
        path = viz.batchnorm_graph().render("batchnorm_graph", format="svg", cleanup=True)
        print(f"\n4. The derived BatchNorm's graph is drawn in {path} (minigrad graph --out FILE for another format)")
    else:
        print("\n4. Install Graphviz (apt-get install graphviz) to draw the BatchNorm graph: minigrad graph")
    print(f"\nDone: test accuracy {accuracy_reached:.2%}; BatchNorm check {'passed' if report.passed else 'FAILED'}.")
    return 0 if report.passed else 1


def _datasets(root: str | None, train_size: int | None, test_size: int | None):
    if root:
        train_set, test_set = data.load_mnist(root, train=True), data.load_mnist(root, train=False)
    else:
        train_set, test_set = data.synthetic_digits(train_size or 3000, seed=1), data.synthetic_digits(1000, seed=2)
    if train_size:
        train_set = (train_set[0][:train_size], train_set[1][:train_size])
    if test_size:
        test_set = (test_set[0][:test_size], test_set[1][:test_size])
    return train_set, test_set


def graph_command(args: argparse.Namespace) -> int:
    out = Path(args.out)
    image_format = out.suffix[1:] or "svg"  # the extension picks the format; none means svg
    path = viz.batchnorm_graph().render(out.with_suffix(""), format=image_format, cleanup=True)
    print(f"BatchNorm graph written to {path}")
    return 0


def train_command(args: argparse.Namespace) -> int:
    minigrad.manual_seed(args.seed)
    train_set, test_set = _datasets(args.data, args.train_size, args.test_size)
    model = lenet_bn(fused=args.fused)
    print(f"LeNet-BN ({'fused' if args.fused else 'derived'} BatchNorm), {len(train_set[0])} training images")
    train(model, train_set, test_set, args.epochs, args.batch_size, args.lr, args.checkpoint)
    return 0


def check_bn_command(args: argparse.Namespace) -> int:
    return 0 if minigrad.check_batchnorm().passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minigrad", description="A small autograd engine you can read.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo_parser = commands.add_parser("demo", help="the main job: runs offline in about a minute")
    demo_parser.set_defaults(run=demo, epochs=2, batch_size=64, train_size=None, test_size=None)
    demo_parser.add_argument("--data", help="a folder with the MNIST .gz files (default: built-in synthetic digits)")

    commands.add_parser("check-bn", help="check BatchNorm's gradients; exit 1 on disagreement").set_defaults(
        run=check_bn_command
    )

    graph_parser = commands.add_parser("graph", help="render the derived BatchNorm graph with Graphviz")
    graph_parser.add_argument("--out", default="batchnorm.svg", help="output file; its extension picks the format")
    graph_parser.set_defaults(run=graph_command)

    train_parser = commands.add_parser("train", help="train LeNet-BN")
    train_parser.set_defaults(run=train_command)
    train_parser.add_argument("--data", help="MNIST folder (downloaded there if missing); default: synthetic digits")
    train_parser.add_argument("--epochs", type=int, default=1)
    train_parser.add_argument("--batch-size", type=int, default=64)
    train_parser.add_argument("--lr", type=float, default=0.05)
    train_parser.add_argument("--fused", action="store_true", help="use the closed-form BatchNorm op")
    train_parser.add_argument("--train-size", type=int, help="use only the first N training images")
    train_parser.add_argument("--test-size", type=int, help="use only the first N test images")
    train_parser.add_argument("--checkpoint", help="save model and optimizer state here after every epoch")
    train_parser.add_argument("--seed", type=int, default=0)

    args = parser.parse_args(argv)
    minigrad.keep_freed_memory()  # halves a training step; see allocator.py
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
