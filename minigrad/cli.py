"""The ``minigrad`` command line.

minigrad demo                          # derivatives to third order, the BatchNorm check, LeNet-BN on built-in digits
minigrad check-bn                      # BatchNorm checked against its definition, finite differences, PyTorch
minigrad check-bn --impl my_bn.py:bn   # ... your own fn(x, gamma, beta, eps); --mistake NAME, --derive
minigrad graph bn -o bn.svg            # draw the derived BatchNorm's graph (see minigrad graph --help)
minigrad train cnn --dataset mnist --data-dir DIR --epochs 2   # train a model, with progress, metrics and plots

Every argument and output path of ``train`` is checked before training starts; a bad one is
one line on stderr naming it, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import minigrad
from minigrad import data, nn, optim, training, viz
from minigrad.data import transforms
from minigrad.models import cifar_bn_net, lenet_bn, mlp_bn
from minigrad.training import TrainingError
from minigrad.viz import command as viz_command

__all__ = ["lenet_bn", "main"]  # lenet_bn lives in minigrad.models; importable here as before

DATASETS = ("digits-synth", "mnist", "fashion-mnist", "cifar10", "moons", "spirals")
OPTIMIZERS = ("sgd", "adam", "adamw")
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3}


# ----------------------------------------------------------------------------- datasets


def make_datasets(name: str, root: str | None, download: bool, seed: int) -> tuple[data.Dataset, data.Dataset]:
    """(train, test) datasets for ``--dataset name``, with their usual transforms."""
    if name in ("moons", "spirals"):
        make = data.moons if name == "moons" else data.spirals
        return data.TensorDataset(*make(2000, seed=1)), data.TensorDataset(*make(1000, seed=2))
    if name == "digits-synth":
        kind: Any = data.DigitsSynth
    else:
        kind = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST, "cifar10": data.CIFAR10}[name]
    standardize = [transforms.ToTensor(), transforms.Normalize(kind.mean, kind.std)]
    train_transform = transforms.Compose(standardize)
    if name == "cifar10":  # the usual augmentation: shifts of up to 4 pixels and mirror images
        augment = [transforms.RandomCrop(32, padding=4, seed=seed), transforms.RandomHorizontalFlip(seed=seed + 1)]
        train_transform = transforms.Compose(augment + standardize)
    if name == "digits-synth":
        return kind(train=True, transform=train_transform), kind(train=False, transform=transforms.Compose(standardize))
    return (
        kind(root, train=True, transform=train_transform, download=download),
        kind(root, train=False, transform=transforms.Compose(standardize), download=download),
    )


def sample_shape(dataset: data.Dataset) -> tuple[int, ...]:
    if isinstance(dataset, data.TensorDataset):
        return tuple(dataset.arrays[0].shape[1:])
    assert isinstance(dataset, data.ImageDataset)
    return dataset.sample_shape()


def class_count(dataset: data.Dataset) -> int:
    labels = dataset.arrays[1] if isinstance(dataset, data.TensorDataset) else dataset.targets  # type: ignore[attr-defined]
    return int(labels.max()) + 1


def first(dataset: data.Dataset, count: int) -> data.Dataset:
    """The first ``count`` samples (--train-size, --test-size), as the same kind of dataset."""
    if isinstance(dataset, data.TensorDataset):
        return data.TensorDataset(*(a[:count] for a in dataset.arrays))
    assert isinstance(dataset, data.ImageDataset)
    return data.ImageDataset(dataset.data[:count], dataset.targets[:count], dataset.transform)


# ----------------------------------------------------------------------------- models


def make_model(kind: str, shape: tuple[int, ...], classes: int, fused: bool, dataset: str) -> tuple[nn.Module, str]:
    """The model for ``kind`` and samples of ``shape``, and its name."""
    if kind == "mlp":
        return mlp_bn(int(np.prod(shape)), classes, fused=fused), f"mlp_bn({int(np.prod(shape))}, {classes})"
    if len(shape) != 3:
        raise TrainingError(f"cnn needs images (C, H, W); {dataset} gives samples of shape {shape}: use mlp")
    if shape[0] == 3:
        model, name = cifar_bn_net(fused=fused), "cifar_bn_net"
    else:
        model, name = lenet_bn(fused=fused), "lenet_bn"
    check_fits(model, name, shape, dataset)
    return model, name


@minigrad.no_grad()
def check_fits(model: nn.Module, name: str, shape: tuple[int, ...], dataset: str) -> None:
    """Run one zero sample through the layers one by one (eval mode: no state changes), so
    that a shape mismatch is reported, before training, with the layer and both shapes."""
    model.eval()
    x = minigrad.zeros(1, *shape)
    for position, layer in enumerate(model.children()):
        try:
            x = layer(x)
        except (minigrad.ShapeError, ValueError) as error:
            reason = str(error)  # the layers' own errors name the layer and the input shape
            if f"{type(layer).__name__}(" not in reason:
                reason = f"{layer!r} got input of shape {tuple(x.shape)}: {reason}"
            raise TrainingError(
                f"{dataset} samples of shape {shape} do not fit {name}: layer {position} {reason}"
            ) from None


def make_optimizer(model: nn.Module, args: argparse.Namespace) -> optim.Optimizer:
    if args.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    kind = optim.Adam if args.optimizer == "adam" else optim.AdamW
    return kind(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)


# ----------------------------------------------------------------------------- checks before training


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def check_output_folder(option: str, folder: Path) -> None:
    """A folder we will create (or fill) at the end must be creatable now."""
    if folder.exists() and not folder.is_dir():
        raise TrainingError(f"{option} {folder} is a file, not a folder")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise TrainingError(f"{option} {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise TrainingError(f"{option} {folder}: cannot write in {existing}")


def check_arguments(args: argparse.Namespace) -> None:
    if args.lr is not None and args.lr <= 0:
        raise TrainingError(f"--lr must be positive, got {args.lr}")
    if not 0 <= args.momentum < 1:
        raise TrainingError(f"--momentum must be in [0, 1), got {args.momentum}")
    if args.weight_decay < 0:
        raise TrainingError(f"--weight-decay must be >= 0, got {args.weight_decay}")
    if args.data_dir and Path(args.data_dir).exists() and not Path(args.data_dir).is_dir():
        raise TrainingError(f"--data-dir {args.data_dir} is a file; pass the folder that holds the dataset's files")
    if args.data_dir and args.dataset in ("digits-synth", "moons", "spirals"):
        raise TrainingError(f"--data-dir: {args.dataset} is made on the spot and reads no files")
    check_output_folder("--out", Path(args.out))
    if args.resume and not args.checkpoint:
        raise TrainingError("--resume needs --checkpoint PATH (the checkpoint to continue from)")
    if args.checkpoint:
        checkpoint = Path(args.checkpoint)
        if checkpoint.is_dir():
            raise TrainingError(f"--checkpoint {checkpoint} is a folder; pass a file path such as {checkpoint}/run.npz")
        if not checkpoint.parent.is_dir():  # we do not create it: a typo in the path should not go unseen
            raise TrainingError(f"--checkpoint {checkpoint}: the folder {checkpoint.parent} does not exist")
        if not os.access(checkpoint.parent, os.W_OK | os.X_OK):
            raise TrainingError(f"--checkpoint {checkpoint}: cannot write in {checkpoint.parent}")
        if args.resume and not checkpoint.is_file():
            raise TrainingError(f"--resume: no checkpoint at {checkpoint}")


# What a checkpoint must agree on with the run that resumes it: these change the trajectory.
PLAN = ("dataset", "batch_size", "epochs", "optimizer", "lr", "momentum", "weight_decay", "fused_bn", "limit_batches")


# ----------------------------------------------------------------------------- a run


@dataclass
class Run:
    """Everything prepared (and checked) before the first training step."""

    model: nn.Module
    model_name: str
    train_loader: data.DataLoader
    test_loader: data.DataLoader
    optimizer: optim.Optimizer
    scheduler: optim.lr_scheduler.LRScheduler
    start_epoch: int
    history: list[dict[str, Any]]
    description: str


def prepare(args: argparse.Namespace) -> Run:
    """Check the arguments, load the data, build model, optimizer and schedule, and read the
    checkpoint to resume from. Raises TrainingError (or a data error) and writes nothing."""
    check_arguments(args)
    minigrad.manual_seed(args.seed)
    try:
        train_set, test_set = make_datasets(args.dataset, args.data_dir, args.download, args.seed)
    except (FileNotFoundError, NotADirectoryError, ValueError, RuntimeError) as error:
        raise TrainingError(str(error)) from None
    classes = class_count(train_set)
    if args.train_size:
        train_set = first(train_set, args.train_size)
    if args.test_size:
        test_set = first(test_set, args.test_size)
    # The shape from the test set: its transform draws no random numbers, so training starts untouched.
    model, model_name = make_model(args.model, sample_shape(test_set), classes, args.fused_bn, args.dataset)
    train_loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = data.DataLoader(test_set, batch_size=500)
    optimizer = make_optimizer(model, args)
    steps = min(len(train_loader), args.limit_batches or len(train_loader))
    # A cosine schedule over every step of the run: the lr falls smoothly to 0 at the end.
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * steps)
    start_epoch, history = 0, []
    if args.resume:
        state = training.read_checkpoint(Path(args.checkpoint), model, model_name)
        plan = vars(args)
        different = [f"--{k.replace('_', '-')} {state['plan'][k]} (this run: {plan[k]})"
                     for k in PLAN if state.get("plan", {}).get(k) != plan[k]]  # fmt: skip
        if different:
            raise TrainingError(f"--resume: {args.checkpoint} was made with " + ", ".join(different))
        if state["epoch"] >= args.epochs:
            raise TrainingError(f"--resume: {args.checkpoint} has finished all {state['epoch']} epochs already")
        training.restore(state, model, optimizer, scheduler, training.random_generators(train_loader))
        start_epoch, history = state["epoch"], list(state["history"])
    kind = "samples" if isinstance(train_set, data.TensorDataset) else "images"
    description = (
        f"{model_name} ({'fused' if args.fused_bn else 'derived'} BatchNorm) on {args.dataset}: "
        f"{len(train_set)} training {kind}, {len(test_set)} test {kind}, "
        f"{args.optimizer} lr {args.lr}, batch {args.batch_size}, seed {args.seed}"
    )
    return Run(model, model_name, train_loader, test_loader, optimizer, scheduler, start_epoch, history, description)


def execute(run: Run, args: argparse.Namespace) -> tuple[list[dict[str, Any]], training.BatchNormCheck | None]:
    """Train (saving a checkpoint after each epoch if asked), then write metrics and curves."""
    print(run.description, flush=True)
    if run.start_epoch:
        print(f"resuming from {args.checkpoint} after epoch {run.start_epoch}", flush=True)
    generators = training.random_generators(run.train_loader)
    plan = {k: vars(args)[k] for k in PLAN}

    def checkpoint(epoch: int, history: list[dict[str, Any]]) -> None:
        if args.checkpoint:
            training.save_checkpoint(
                Path(args.checkpoint), run.model, run.optimizer, run.scheduler, epoch, generators, history,
                run.model_name, plan,
            )  # fmt: skip

    history, check = training.fit(
        run.model, run.train_loader, run.test_loader, run.optimizer, run.scheduler, args.epochs,
        run.start_epoch, run.history, args.limit_batches, checkpoint,
    )  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arguments = {k: v for k, v in vars(args).items() if k != "run"}
    extra = {"model_name": run.model_name, "bn_check": None if check is None else check.__dict__}
    metrics = training.write_metrics(out, history, arguments, extra)
    curves = training.plot_curves(out, history)
    print(f"metrics: {metrics}")
    print(f"curves:  {curves}" if curves else training.PLOT_HINT)
    return history, check


def train_command(args: argparse.Namespace) -> int:
    args.dataset = args.dataset or ("mnist" if args.data_dir else "digits-synth")  # --data DIR alone meant MNIST
    args.lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    args.out = args.out or f"runs/{args.model}-{args.dataset}"
    try:
        run = prepare(args)
    except TrainingError as error:
        print(f"minigrad train: error: {error}", file=sys.stderr)
        return 2
    execute(run, args)
    return 0


# ----------------------------------------------------------------------------- demo, check-bn, graph


def demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = Path(args.out)
    try:
        check_output_folder("--out", out)
    except TrainingError as error:
        print(f"minigrad demo: error: {error}", file=sys.stderr)
        return 2
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

    source = f"MNIST from {args.data}" if args.data else "the built-in synthetic digits (no download)"
    print(f"\n3. Training LeNet-BN on {source}")
    train_args = argparse.Namespace(
        model="cnn", dataset="mnist" if args.data else "digits-synth", data_dir=args.data, download=False,
        epochs=args.epochs, batch_size=64, lr=DEFAULT_LR["sgd"], optimizer="sgd", momentum=0.9, weight_decay=5e-4,
        seed=0, fused_bn=False, checkpoint=None, resume=False, limit_batches=None, out=str(out), train_size=None,
        test_size=None,
    )  # fmt: skip
    try:
        run = prepare(train_args)
    except TrainingError as error:
        print(f"minigrad demo: error: {error}", file=sys.stderr)
        return 2
    history, check = execute(run, train_args)

    if shutil.which("dot"):
        graph = Path(viz.batchnorm_graph().render(out / "batchnorm_graph", format="svg", cleanup=True, quiet=True))
    else:
        graph = out / "batchnorm_graph.dot"
        viz.batchnorm_graph().save(graph)
        print("   (install Graphviz, e.g. apt-get install graphviz, to get an SVG instead of DOT source)")
    print(f"\n4. The derived BatchNorm's graph: {graph}")
    passed = report.passed and (check is None or check.max_relative_error < 1e-6)
    print(
        f"\nDone: test accuracy {history[-1]['test_acc']:.2%}; BatchNorm check {'passed' if passed else 'FAILED'} "
        f"({time.perf_counter() - started:.0f} s). Everything is in {out}/"
    )
    return 0 if passed else 1


def check_bn_command(args: argparse.Namespace) -> int:
    from minigrad.checks.bncommand import check_bn

    return check_bn(impl=args.impl, mistake=args.mistake, derive=args.derive, definition=args.definition)


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (the docs' tests check their commands against it)."""
    parser = argparse.ArgumentParser(prog="minigrad", description="A small autograd engine you can read.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo_parser = commands.add_parser("demo", help="the main job: runs offline in about a minute")
    demo_parser.set_defaults(run=demo)
    demo_parser.add_argument("--data", help="a folder with the MNIST .gz files (default: built-in synthetic digits)")
    demo_parser.add_argument("--epochs", type=positive_int, default=1, help="training epochs (default 1)")
    demo_parser.add_argument("--out", default="runs/demo", help="the folder for metrics, curves and the graph")

    check_bn = commands.add_parser("check-bn", help="check a BatchNorm: minigrad's, a mistake, yours")
    check_bn.set_defaults(run=check_bn_command)
    check_bn.add_argument("--impl", metavar="FILE.py:FUNCTION", help="your fn(x, gamma, beta, eps) (or derived, fused)")
    check_bn.add_argument("--definition", default="batchnorm", help="check --impl against batchnorm (default) or lite")
    check_bn.add_argument("--mistake", metavar="NAME", help="a classic mistake from the gallery: the rows it fails")
    check_bn.add_argument("--derive", action="store_true", help="derive the backward node by node")

    graph_parser = commands.add_parser("graph", help="draw BatchNorm, its gradient, backward step by step, or a model")
    viz_command.add_arguments(graph_parser)  # minigrad/viz/command.py

    train = commands.add_parser("train", help="train an MLP or a CNN, with progress, metrics and plots")
    train.set_defaults(run=train_command)
    train.add_argument("model", nargs="?", choices=("mlp", "cnn"), default="cnn", help="default: cnn")
    train.add_argument("--dataset", choices=DATASETS, help="default: mnist with --data-dir, else digits-synth")
    train.add_argument("--data-dir", "--data", dest="data_dir", help="the dataset's folder (default: the cache)")
    train.add_argument("--download", action="store_true", help="fetch missing files (md5-checked)")
    train.add_argument("--epochs", type=positive_int, default=1)
    train.add_argument("--batch-size", type=positive_int, default=64)
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    train.add_argument("--lr", type=float, help="default: 0.05 for sgd, 0.001 for adam and adamw")
    train.add_argument("--momentum", type=float, default=0.9, help="for sgd")
    train.add_argument("--weight-decay", type=float, default=5e-4)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--fused-bn", "--fused", dest="fused_bn", action="store_true", help="closed-form BatchNorm")
    train.add_argument("--checkpoint", help="save the run here after every epoch (its folder must exist)")
    train.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    train.add_argument("--limit-batches", type=positive_int, help="at most N batches per epoch and test (smoke)")
    train.add_argument("--train-size", type=positive_int, help="use only the first N training samples")
    train.add_argument("--test-size", type=positive_int, help="use only the first N test samples")
    train.add_argument("--out", help="folder for metrics.json and curves.png (default runs/MODEL-DATASET)")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    minigrad.keep_freed_memory()  # halves a training step; see allocator.py
    try:
        return int(args.run(args))
    except BrokenPipeError:  # the output was piped into a reader that stopped early (| head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
