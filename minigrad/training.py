"""The training loop behind ``minigrad train`` and ``minigrad demo``, in plain functions.

One epoch is the loop every PyTorch user knows (zero_grad, forward, loss, backward, step),
with a progress bar. Around it: the BatchNorm gradient check on the first batch, the test
pass, checkpoints that make a resumed run end with the same weights as an uninterrupted
one, and the record of the run (``metrics.json`` and ``curves.png``).

Only minigrad's public API is used, so this file is also an example of it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.data import DataLoader
from minigrad.data.transforms import generators_of
from minigrad.factories import default_generator
from minigrad.optim.lr_scheduler import LRScheduler
from minigrad.optim.optimizer import Optimizer
from minigrad.progress import ProgressBar


class TrainingError(ValueError):
    """A run that cannot start: a bad argument, file or checkpoint. The message says which."""


# ----------------------------------------------------------------------------- BatchNorm check


@dataclass
class BatchNormCheck:
    """How far the derived and the closed-form BatchNorm gradients are apart on one input."""

    layer: str  # e.g. "1 BatchNorm2d(32)"
    input_shape: tuple[int, ...]
    max_relative_error: float

    def line(self) -> str:
        verdict = "agree" if self.max_relative_error < 1e-6 else "DISAGREE"
        return (
            f"BatchNorm check, layer {self.layer} on {self.input_shape}: autodiff vs closed form, "
            f"max relative error {self.max_relative_error:.1e} (float64): {verdict}"
        )


def first_batch_norm(model: nn.Module) -> tuple[int, nn.Module] | None:
    """(position, layer) of the first BatchNorm in a Sequential model, or None."""
    for position, layer in enumerate(model.children()):
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            return position, layer
    return None


@minigrad.no_grad()
def _input_of(model: nn.Module, position: int, x: minigrad.Tensor) -> minigrad.Tensor:
    for layer in list(model.children())[:position]:
        x = layer(x)
    return x


def check_first_batch_norm(model: nn.Module, x: minigrad.Tensor) -> BatchNormCheck | None:
    """Differentiate the model's first BatchNorm layer, on the input it gets from batch ``x``,
    both ways: autodiff through the derived composite, and the fused closed-form op. Works in
    float64 so that the difference measures the formulas, not float32 rounding. Touches no
    running statistics and draws no random numbers, so training goes on unchanged.

    max relative error = max over (dx, dgamma, dbeta) of max|derived - fused| / max|fused|.
    """
    found = first_batch_norm(model)
    if found is None:
        return None
    position, layer = found
    x64 = _input_of(model, position, x).detach().to(minigrad.float64).requires_grad_()
    weight = layer.weight.detach().to(minigrad.float64).requires_grad_()
    bias = layer.bias.detach().to(minigrad.float64).requires_grad_()
    upstream = minigrad.tensor(np.random.default_rng(0).standard_normal(x64.shape))  # a fixed dL/dy
    gradients = []
    for fused in (False, True):
        y = F.batch_norm(x64, None, None, weight, bias, training=True, eps=layer.eps, fused=fused)
        gradients.append(minigrad.grad((y * upstream).sum(), [x64, weight, bias]))
    error = max(float(np.abs(d.array - f.array).max() / max(np.abs(f.array).max(), 1e-300)) for d, f in zip(*gradients))
    return BatchNormCheck(f"{position} {type(layer).__name__}({layer.num_features})", tuple(x64.shape), error)


# ----------------------------------------------------------------------------- one epoch


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: Optimizer,
    scheduler: LRScheduler | None,
    description: str,
    limit_batches: int | None = None,
    on_first_batch: Callable[[minigrad.Tensor], None] | None = None,
    stream: TextIO | None = None,
) -> tuple[float, float, list[tuple[float, float]]]:
    """Train for one pass over ``loader`` (or its first ``limit_batches`` batches), stepping
    ``scheduler`` after every batch. Returns (mean loss, accuracy) over the samples seen, and
    each batch's (loss, accuracy): the curve within the epoch."""
    model.train()
    total = min(len(loader), limit_batches) if limit_batches else len(loader)
    bar = ProgressBar(total, description, stream=stream)
    seen, loss_sum, correct = 0, 0.0, 0
    per_batch = []
    for step, (x, y) in enumerate(loader):
        if step == total:
            break
        if step == 0 and on_first_batch is not None:
            on_first_batch(x)
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        batch_loss, batch_correct = loss.item(), int((logits.array.argmax(1) == y.array).sum())
        per_batch.append((batch_loss, batch_correct / len(y)))
        seen += len(y)
        loss_sum += batch_loss * len(y)
        correct += batch_correct
        bar.update(len(y), loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.2%}")
    bar.close()
    return loss_sum / max(seen, 1), correct / max(seen, 1), per_batch


@minigrad.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, limit_batches: int | None = None) -> tuple[float, float]:
    """(mean loss, accuracy) in eval mode, over ``loader`` (or its first ``limit_batches``)."""
    model.eval()
    seen, loss_sum, correct = 0, 0.0, 0
    for step, (x, y) in enumerate(loader):
        if limit_batches and step == limit_batches:
            break
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += int((logits.array.argmax(1) == y.array).sum())
        seen += len(y)
    return loss_sum / max(seen, 1), correct / max(seen, 1)


# ----------------------------------------------------------------------------- checkpoints


def random_generators(loader: DataLoader) -> list[np.random.Generator]:
    """Every generator a training run draws from: minigrad's (init, dropout), the loader's
    (shuffling) and the transforms' (crops, flips). Their states make a resume exact."""
    transform = getattr(loader.dataset, "transform", None)
    return [default_generator(), loader.generator, *generators_of(transform)]


def save_checkpoint(
    path: Path,
    model: nn.Module,
    optimizer: Optimizer,
    scheduler: LRScheduler,
    epoch: int,
    generators: list[np.random.Generator],
    history: list[dict[str, Any]],
    model_name: str,
    plan: dict[str, Any],
) -> None:
    """Everything a resumed run needs (``plan``: the arguments it must agree on), written
    atomically (``minigrad.save``: npz, no pickle).
    A generator's state is a dict of ints (PCG64's 128-bit state and increment), which the
    checkpoint's JSON part holds as they are."""
    state = {
        "model_name": model_name,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": epoch,
        "rng": [g.bit_generator.state for g in generators],
        "history": history,
        "plan": plan,
    }
    minigrad.save(state, path)


def read_checkpoint(path: Path, model: nn.Module, model_name: str) -> dict[str, Any]:
    """Load a checkpoint and check that it belongs to ``model``; raise TrainingError naming the
    mismatched keys otherwise. Changes nothing yet: ``restore`` applies it."""
    if not path.is_file():
        raise TrainingError(f"--resume: no checkpoint at {path}")
    try:
        state = minigrad.load(path)
    except minigrad.CheckpointError as error:
        raise TrainingError(f"--resume: {error}") from None
    if not isinstance(state, dict) or not {"model", "optimizer", "scheduler", "epoch", "rng"} <= set(state):
        raise TrainingError(f"--resume: {path} is a minigrad file but not a training checkpoint of minigrad train")
    own, saved = model.state_dict(), state["model"]
    problems = [f"missing {k}" for k in own if k not in saved] + [f"unexpected {k}" for k in saved if k not in own]
    problems += [
        f"{k} has shape {tuple(saved[k].shape)}, the model {tuple(v.shape)}"
        for k, v in own.items()
        if k in saved and tuple(saved[k].shape) != tuple(v.shape)
    ]
    if problems:
        shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
        raise TrainingError(
            f"--resume: {path} holds a {state.get('model_name', 'different')} model, not this {model_name}: {shown}"
        )
    return state


def restore(
    state: dict[str, Any],
    model: nn.Module,
    optimizer: Optimizer,
    scheduler: LRScheduler,
    generators: list[np.random.Generator],
) -> None:
    """Put model, optimizer, schedule and every random generator back as they were saved."""
    if len(state["rng"]) != len(generators):
        raise TrainingError(f"checkpoint has {len(state['rng'])} random generator states, this run {len(generators)}")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    for generator, saved in zip(generators, state["rng"]):
        generator.bit_generator.state = saved


# ----------------------------------------------------------------------------- the record


def write_metrics(out: Path, history: list[dict[str, Any]], arguments: dict[str, Any], extra: dict[str, Any]) -> Path:
    """``out/metrics.json``: one entry per epoch (with each training batch's loss and accuracy),
    the arguments and the seed."""
    path = out / "metrics.json"
    record = {"arguments": arguments, "seed": arguments.get("seed"), "epochs": history, **extra}
    path.write_text(_innermost_lists_on_one_line(json.dumps(record, indent=2)) + "\n")
    return path


def _innermost_lists_on_one_line(text: str) -> str:
    """Indented JSON with each list of plain values on one line: one line per batch ([loss,
    accuracy]), not one per number. (JSON strings hold no raw newline, so only the line breaks
    between values are removed.)"""
    return re.sub(r"\[([^\[\]{}]*)\]", lambda match: "[" + re.sub(r"\n\s*", " ", match[1]).strip() + "]", text)


def plot_curves(out: Path, history: list[dict[str, Any]]) -> Path | None:
    """``out/curves.png``: loss and accuracy per epoch, train and test, over the training
    batches' own (a thin line: even a one-epoch run has a curve). None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    epochs = [h["epoch"] for h in history]
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    # Batch i of n in epoch e sits at e - 1 + (i + 1) / n: the last batch of epoch e at e, beside its epoch's point.
    steps = [
        (h["epoch"] - 1 + (i + 1) / len(h["batches"]), *b) for h in history for i, b in enumerate(h.get("batches", []))
    ]
    if steps:
        where, losses, accuracies = zip(*steps)
        loss_axes.plot(where, losses, "-", color="tab:blue", alpha=0.3, linewidth=0.8, label="train batches")
        accuracy_axes.plot(where, [100 * a for a in accuracies], "-", color="tab:blue", alpha=0.3, linewidth=0.8,
                           label="train batches")  # fmt: skip
    for split, style, colour in (("train", "-o", "tab:blue"), ("test", "--s", "tab:orange")):
        loss_axes.plot(epochs, [h[f"{split}_loss"] for h in history], style, color=colour, label=f"{split} (epoch)")
        accuracy_axes.plot(epochs, [100 * h[f"{split}_acc"] for h in history], style, color=colour,
                           label=f"{split} (epoch)")  # fmt: skip
    for axes, name in ((loss_axes, "cross-entropy loss"), (accuracy_axes, "accuracy (%)")):
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.set_xticks(([0] if steps else []) + epochs)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    path = out / "curves.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


PLOT_HINT = 'curves.png needs matplotlib: pip install -e ".[plot]" (or pip install matplotlib)'


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    test_loader: DataLoader,
    optimizer: Optimizer,
    scheduler: LRScheduler,
    epochs: int,
    start_epoch: int = 0,
    history: list[dict[str, Any]] | None = None,
    limit_batches: int | None = None,
    checkpoint: Callable[[int, list[dict[str, Any]]], None] | None = None,
    stream: TextIO | None = None,
) -> tuple[list[dict[str, Any]], BatchNormCheck | None]:
    """Train epochs ``start_epoch + 1 .. epochs``; print a bar per epoch and a summary line;
    call ``checkpoint(epoch, history)`` after each. Returns the history and the BN check."""
    minigrad.keep_freed_memory()  # each step makes and frees the same large arrays: reuse them (allocator.py)
    stream = stream or sys.stdout
    history = list(history or [])
    checks: list[BatchNormCheck] = []

    def check(x: minigrad.Tensor) -> None:
        if not checks:  # once per run, on its first batch
            result = check_first_batch_norm(model, x)
            if result is not None:
                checks.append(result)
                print(result.line(), file=stream, flush=True)

    for epoch in range(start_epoch + 1, epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc, batches = train_one_epoch(
            model, train_loader, optimizer, scheduler, f"epoch {epoch}/{epochs}", limit_batches, check, stream
        )
        test_loss, test_acc = evaluate(model, test_loader, limit_batches)
        seconds = time.perf_counter() - start
        history.append(
            {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss,
             "test_acc": test_acc, "seconds": seconds,
             "batches": [[round(loss, 5), round(accuracy, 5)] for loss, accuracy in batches]}
        )  # fmt: skip
        print(
            f"epoch {epoch}/{epochs}: train loss {train_loss:.4f}, accuracy {train_acc:.2%} | "
            f"test loss {test_loss:.4f}, test accuracy {test_acc:.2%} | {seconds:.1f} s",
            file=stream,
            flush=True,
        )
        if checkpoint is not None:
            checkpoint(epoch, history)
    return history, checks[0] if checks else None
