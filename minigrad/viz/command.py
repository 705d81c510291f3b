"""``minigrad graph``: BatchNorm's graph, its gradient's graph, backward step by step, or a
model's training step, written to a file whose extension picks the format.

    minigrad graph bn [--dim 1d|2d] [--fused] [--backward] [--steps DIR] [--values] [--grads] [-o FILE]
    minigrad graph model --model lenet-bn|mlp-bn [--collapse] [-o FILE]
    minigrad graph --out FILE                      # the same as minigrad graph bn -o FILE

Every mistake is one line on stderr and exit code 2. Without Graphviz's ``dot`` the DOT source
is written beside the file asked for (``*.dot``) and the message says how to install Graphviz.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import graphviz

from minigrad import nn
from minigrad.factories import manual_seed, randint, randn
from minigrad.models import lenet_bn, mlp_bn
from minigrad.viz.batchnorm import (
    batchnorm_backward_graph,
    batchnorm_backward_graphs,
    batchnorm_example,
    batchnorm_graph,
)
from minigrad.viz.draw import Drawing, draw_graph, fit_slide
from minigrad.viz.steps import backward_steps

FORMATS = ("svg", "png", "pdf", "dot")
INSTALL = "install Graphviz (apt-get install graphviz, brew install graphviz or conda install graphviz)"
SHAPES = {"1d": (4, 3), "2d": (2, 3, 2, 2)}  # small, so every node is legible: (N, C) and (N, C, H, W)
MODELS = {"lenet-bn": lenet_bn, "mlp-bn": lambda: mlp_bn(784, 10)}


class GraphError(Exception):
    """A mistake in the command: its message is the one line the user sees."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", nargs="?", default="bn", help="bn (default) or model")
    parser.add_argument("-o", "--out", help="output file: .svg, .png, .pdf or .dot (default batchnorm.svg, MODEL.svg)")
    parser.add_argument("--dim", default="1d", help="bn: BatchNorm1d on (4, 3) or BatchNorm2d on (2, 3, 2, 2)")
    parser.add_argument("--fused", action="store_true", help="bn: the fused closed-form op")
    parser.add_argument(
        "--backward", action="store_true", help="bn: the gradient's graph, derived beside fused (--fused: fused alone)"
    )
    parser.add_argument("--steps", metavar="DIR", help="bn: one SVG per backward step, and DIR/index.html")
    parser.add_argument("--values", action="store_true", help="value statistics on every tensor")
    parser.add_argument("--grads", action="store_true", help="bn: run backward, then show gradient statistics")
    parser.add_argument("--model", help="model: lenet-bn or mlp-bn")
    parser.add_argument("--collapse", action="store_true", help="model: one box per layer")
    parser.set_defaults(run=graph_command)


def graph_command(args: argparse.Namespace) -> int:
    try:
        for line in run(args):
            print(line)
    except GraphError as error:
        print(f"minigrad graph: error: {error}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> list[str]:
    """Check the arguments, draw, write; return what to print."""
    check(args)
    out = output_path(args)
    messages = []
    if args.steps:
        messages.append(write_steps(args))
        if args.out is None:
            return messages
    messages.append(write(drawing_for(args), out))
    return messages


def check(args: argparse.Namespace) -> None:
    if args.what not in ("bn", "model"):
        raise GraphError(f"unknown drawing {args.what!r}: use 'minigrad graph bn' or 'minigrad graph model'")
    if args.what == "model":
        if args.model is None:
            raise GraphError(f"minigrad graph model needs --model: {' or '.join(MODELS)}")
        if args.model not in MODELS:
            raise GraphError(f"unknown --model {args.model!r}: choose {' or '.join(MODELS)}")
        used = [f for f, on in (("--fused", args.fused), ("--backward", args.backward), ("--steps", args.steps),
                                ("--dim", args.dim != "1d")) if on]  # fmt: skip
        if used:
            raise GraphError(f"{', '.join(used)} draw BatchNorm: use them with 'minigrad graph bn'")
        return
    if args.model is not None or args.collapse:
        raise GraphError("--model and --collapse draw a model: use them with 'minigrad graph model'")
    if args.dim not in SHAPES:
        raise GraphError(f"unknown --dim {args.dim!r}: choose 1d or 2d")
    if args.backward and args.grads:
        raise GraphError("--grads shows gradients on the forward graph; --backward draws the gradient's own graph")
    if args.backward and args.steps:
        raise GraphError("--steps steps through the forward graph's backward pass; leave out --backward")


def output_path(args: argparse.Namespace) -> Path:
    default = "batchnorm.svg" if args.what == "bn" else f"{args.model}.svg"
    out = Path(args.out or default)
    extension = out.suffix[1:].lower()
    if not extension:
        out = out.with_suffix(".svg")  # no extension: svg, as before
    elif extension not in FORMATS:
        raise GraphError(f"-o {out}: unknown extension .{extension}; use .svg, .png, .pdf or .dot")
    if not out.parent.is_dir():
        raise GraphError(f"-o {out}: the folder {out.parent} does not exist")
    return out


def drawing_for(args: argparse.Namespace) -> Drawing:
    if args.what == "model":
        return training_step_graph(args.model, args.collapse, args.values)
    shape = SHAPES[args.dim]
    if args.backward:
        return batchnorm_backward_graph(shape, fused=True) if args.fused else batchnorm_backward_graphs(shape)
    return batchnorm_graph(shape, fused=args.fused, show_values=args.values, show_grads=args.grads)


def training_step_graph(name: str, collapse: bool, show_values: bool = False) -> Drawing:
    """The forward pass, cross-entropy and backward of one training step of an example model on
    a batch of 8 random images, drawn after backward with each parameter's gradient."""
    manual_seed(0)
    model = MODELS[name]()
    images, labels = randn(8, 1, 28, 28), randint(0, 10, (8,))
    loss = nn.CrossEntropyLoss()(model(images), labels)
    loss.backward()
    layers = [n for n, _ in model.named_children()] + ["CrossEntropyLoss"] if collapse else []
    drawing = draw_graph(
        loss, names={"images": images, "labels": labels, "loss": loss}, show_values=show_values, show_grads=True,
        collapse=layers, title=f"{name}: forward, cross-entropy and backward of one training step (batch of 8)",
    )  # fmt: skip
    return fit_slide(drawing) if collapse else drawing


def write(drawing: Drawing, out: Path) -> str:
    """Write ``drawing`` to ``out`` in the format its extension names."""
    extension = out.suffix[1:].lower()
    if extension == "dot":
        out.write_text(drawing.source, encoding="utf-8")
        return f"wrote {out} (DOT source; render it with: dot -Tsvg {out} -o {out.with_suffix('.svg')})"
    if shutil.which("dot") is None:
        source = out.with_suffix(".dot")
        source.write_text(drawing.source, encoding="utf-8")
        raise GraphError(f"Graphviz's dot is not installed, so {out} was not made; wrote the DOT source to {source}: "
                         f"{INSTALL}, then run dot -T{extension} {source} -o {out}")  # fmt: skip
    try:
        out.write_bytes(drawing.pipe(format=extension, quiet=True))  # dot's layout warnings are noise here
    except (graphviz.CalledProcessError, subprocess.CalledProcessError) as error:
        reason = (error.stderr or b"").decode(errors="replace").strip().splitlines()
        raise GraphError(f"dot failed to make {out}: {reason[0] if reason else error}") from None
    return f"wrote {out}"


def write_steps(args: argparse.Namespace) -> str:
    folder = Path(args.steps)
    if folder.exists() and not folder.is_dir():
        raise GraphError(f"--steps {folder} is a file, not a folder")
    if shutil.which("dot") is None:
        raise GraphError(f"Graphviz's dot is not installed, and --steps lays the graph out with it: {INSTALL}")
    example = batchnorm_example(SHAPES[args.dim], fused=args.fused)
    route = "fused" if args.fused else "derived"
    title = f"Backward through the {route} {type(example.module).__name__}, one step at a time"
    frames = backward_steps(example.y, folder, gradient=example.dy, names=example.names, title=title)
    return f"wrote {len(frames)} frames to {folder}/ (open {folder / 'index.html'} to step through them)"
