"""Draw the docs' pictures and write their tables, from minigrad itself. Nothing here is committed.

    python docs/build_assets.py          # into docs/assets/generated/ (mkdocs build runs it too, via docs/hooks.py)

Every picture and table on the site comes from this script: the BatchNorm graphs and the
graph of its gradient, the backward pass step by step, a convolution's graph, the training
curves of a short run, and the tables of ``check_batchnorm``, ``check-bn --derive`` and the
cost of the two BatchNorm routes.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "assets" / "generated"


def svg(drawing: object, name: str) -> None:
    """Write a drawing as SVG (needs Graphviz's dot; CI installs it), else its DOT source."""
    if shutil.which("dot"):
        (OUT / f"{name}.svg").write_bytes(drawing.pipe(format="svg"))  # type: ignore[attr-defined]
    else:
        print(f"build_assets: no Graphviz dot (apt-get install graphviz): {name}.svg not drawn", file=sys.stderr)
        placeholder = '<svg xmlns="http://www.w3.org/2000/svg"><text y="20">Graphviz missing</text></svg>'
        (OUT / f"{name}.svg").write_text(placeholder)


def printed(function: object, *args: object, **kwargs: object) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        function(*args, **kwargs)  # type: ignore[operator]
    return buffer.getvalue()


def graphs() -> None:
    import minigrad
    import minigrad.nn.functional as F
    from minigrad import viz

    minigrad.manual_seed(0)
    svg(viz.batchnorm_graph(), "batchnorm")
    svg(viz.batchnorm_backward_graphs(), "batchnorm_gradients")
    example = viz.batchnorm_example()
    frames_dir = OUT / "steps"
    shutil.rmtree(frames_dir, ignore_errors=True)
    if shutil.which("dot"):
        viz.backward_steps(example.y, frames_dir, gradient=example.dy, names=example.names)
    x = minigrad.randn(1, 2, 4, 4, requires_grad=True)
    w = minigrad.randn(3, 2, 3, 3, requires_grad=True)
    y = F.max_pool2d(F.conv2d(x, w, padding=1).relu(), 2).sum()
    title = "conv2d (padding 1), ReLU, max_pool2d(2): the primitives"
    svg(viz.draw_graph(y, names={"x": x, "w": w}, title=title), "conv")
    listing = viz.listing(y, names={"x": x, "w": w})
    (OUT / "conv_listing.txt").write_text(str(listing) + "\n")


def batchnorm_tables() -> None:
    from minigrad.checks import check_batchnorm, derive_batchnorm

    text = printed(check_batchnorm, dtypes=("float64",), cost_shape=(64, 32, 28, 28))
    (OUT / "check_batchnorm.txt").write_text(text)
    (OUT / "derive.txt").write_text(printed(derive_batchnorm))


def training_curves() -> None:
    """A short real run (an MLP on the spirals, a few seconds), drawn as the CLI draws it."""
    import minigrad
    from minigrad import cli

    run = OUT / "spirals_run"
    shutil.rmtree(run, ignore_errors=True)
    minigrad.manual_seed(0)
    printed(cli.main, ["train", "mlp", "--dataset", "spirals", "--epochs", "8", "--out", str(run)])
    metrics = json.loads((run / "metrics.json").read_text())
    rows = ["| epoch | train loss | train accuracy | test loss | test accuracy |", "|---|---|---|---|---|"]
    for number, epoch in enumerate(metrics["epochs"], start=1):
        rows.append(
            f"| {number} | {epoch['train_loss']:.4f} | {epoch['train_acc']:.2%} | "
            f"{epoch['test_loss']:.4f} | {epoch['test_acc']:.2%} |"
        )
    (OUT / "spirals_metrics.txt").write_text("\n".join(rows) + "\n")
    if (run / "curves.png").exists():
        shutil.copy(run / "curves.png", OUT / "spirals_curves.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    graphs()
    batchnorm_tables()
    training_curves()
    print(f"build_assets: wrote {sorted(p.name for p in OUT.iterdir())} into {OUT}")


if __name__ == "__main__":
    main()
