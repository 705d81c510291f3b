"""Draw the docs' pictures and write their tables, from minigrad itself. Nothing here is committed.

    python docs/build_assets.py          # into docs/assets/generated/ (mkdocs build runs it too, via docs/hooks.py)

Every picture and table on the site comes from this script: the BatchNorm graphs and the
graph of its gradient (laid out for a web page, and as ``minigrad graph bn`` lays them out for
a slide), the backward pass step by step, a convolution's graph, the training
curves of a short run, and the tables of ``check_batchnorm``, ``check-bn --derive`` and the
cost of the two BatchNorm routes.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "assets" / "generated"


def svg(drawing: object, name: str, slide: bool = False) -> None:
    """Write a drawing as SVG (needs Graphviz's dot; CI installs it), at its natural size unless
    ``slide`` (then as ``minigrad graph`` writes it), else a placeholder that says what is missing."""
    if not shutil.which("dot"):
        print(f"build_assets: no Graphviz dot (apt-get install graphviz): {name}.svg not drawn", file=sys.stderr)
        placeholder = '<svg xmlns="http://www.w3.org/2000/svg"><text y="20">Graphviz missing</text></svg>'
        (OUT / f"{name}.svg").write_text(placeholder)
    elif slide:
        (OUT / f"{name}.svg").write_bytes(drawing.pipe(format="svg"))  # type: ignore[attr-defined]
    else:
        (OUT / f"{name}.svg").write_text(rendered(drawing))


def rendered(drawing: object) -> str:
    """The drawing's SVG at its natural size. ``minigrad graph`` fits the BatchNorm pictures to
    a 16:9 slide; a web page is a column you scroll down, so the site leaves them unscaled and
    the browser fits their width to the page (click one to see it whole)."""
    drawing.graph_attr.pop("size", None)  # type: ignore[attr-defined]
    return drawing.pipe(format="svg").decode()  # type: ignore[attr-defined]


def attribute(tag: str, name: str) -> str:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    assert found is not None, f"Graphviz's <svg> has no {name}"
    return found.group(1)


def stacked(*drawings: object) -> str:
    """Several drawings as one SVG, one above the other, each at its natural size and centred.
    Side by side, two gradient graphs are twice as wide as a page, and shrink to unreadable."""
    parts = []
    for drawing in drawings:
        text = rendered(drawing)
        opening = re.search(r"<svg\b[^>]*>", text)
        assert opening is not None, "Graphviz wrote no <svg> element"
        points = [float(attribute(opening.group(), key).removesuffix("pt")) for key in ("width", "height")]
        body = text[opening.end() : text.rindex("</svg>")]
        parts.append((points[0], points[1], attribute(opening.group(), "viewBox"), body))
    gap = 24.0
    total_width = max(width for width, _, _, _ in parts)
    total_height = sum(height for _, height, _, _ in parts) + gap * (len(parts) - 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{total_width:.0f}pt" height="{total_height:.0f}pt" viewBox="0 0 {total_width:.2f} {total_height:.2f}">'
    ]
    top = 0.0
    for width, height, viewbox, body in parts:
        left = (total_width - width) / 2
        out.append(f'<svg x="{left:.2f}" y="{top:.2f}" width="{width:.2f}" height="{height:.2f}" viewBox="{viewbox}">')
        out += [body, "</svg>"]
        top += height + gap
    out.append("</svg>")
    return "\n".join(out)


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
    example = viz.batchnorm_example()
    # The stages flow down the page (minigrad graph bn lays them out left to right, for a slide).
    title = "BatchNorm1d derived from primitives: x reaches y directly, through μ and through σ², and ∂L/∂x sums them"
    svg(viz.draw_graph(example.y, names={"x": example.x, "y": example.y}, title=title), "batchnorm")
    # Derived above fused: side by side (minigrad graph bn --backward) they shrink to half a page each.
    derived, fused = viz.batchnorm_backward_graph(fused=False), viz.batchnorm_backward_graph(fused=True)
    if shutil.which("dot"):
        (OUT / "batchnorm_gradients.svg").write_text(stacked(derived, fused))
    else:
        svg(derived, "batchnorm_gradients")  # the placeholder
    # Exactly what minigrad graph bn and minigrad graph bn --backward draw: stages as columns, and
    # the two gradients side by side with one legend, fitted to a 16:9 slide.
    svg(viz.batchnorm_graph(), "batchnorm_slide", slide=True)
    svg(viz.batchnorm_backward_graphs(), "gradients_slide", slide=True)
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
