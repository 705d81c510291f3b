"""The ``minigrad`` command line: ``minigrad demo``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

import minigrad


def demo(args: argparse.Namespace) -> int:
    """Show reverse mode to third order and check it numerically."""
    print("minigrad demo: f(x) = x^3 * exp(-x) at x = 1.5")
    x = minigrad.tensor(1.5, dtype=minigrad.float64, requires_grad=True)
    y = x**3 * (-x).exp()
    (d1,) = minigrad.grad(y, x, create_graph=True)
    (d2,) = minigrad.grad(d1, x, create_graph=True)
    (d3,) = minigrad.grad(d2, x)
    e = np.exp(-1.5)
    closed = [(3 * 1.5**2 - 1.5**3) * e, (6 * 1.5 - 6 * 1.5**2 + 1.5**3) * e, (6 - 18 * 1.5 + 9 * 1.5**2 - 1.5**3) * e]
    for order, (ours, exact) in enumerate(zip((d1, d2, d3), closed), start=1):
        print(f"  d^{order}f/dx^{order}: autodiff {ours.item():+.12f}   closed form {exact:+.12f}")
    ok = minigrad.gradgradcheck(lambda t: t**3 * (-t).exp(), (x,))
    print(f"  gradgradcheck (float64, central differences): {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minigrad", description="A small autograd engine you can read.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the demo (offline)").set_defaults(run=demo)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
