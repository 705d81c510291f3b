"""``minigrad check-bn``: the check, your own BatchNorm, the gallery of mistakes, the derivation.

    minigrad check-bn                                    # minigrad's two routes, every table
    minigrad check-bn --impl FILE.py:FUNCTION            # your fn(x, gamma, beta, eps) -> y
    minigrad check-bn --impl FILE.py:FUNCTION --definition lite   # against y = gamma (x - mean) + beta
    minigrad check-bn --mistake NAME                     # one classic mistake, and the rows it fails
    minigrad check-bn --derive                           # the backward, node by node

Exit codes: 0 when everything agrees, 1 when a row fails (or your function could not run),
2 for a usage error (one line on standard error).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from minigrad.checks.bncheck import check_batchnorm
from minigrad.checks.bnderive import derive_batchnorm
from minigrad.checks.bnimpl import ROUTES, Implementation, ImplementationError, from_function, load_function
from minigrad.checks.bnmistakes import MISTAKES
from minigrad.checks.bnreference import DEFINITIONS

PROGRAM = "minigrad check-bn"


def check_bn(
    impl: str | None = None,
    mistake: str | None = None,
    derive: bool = False,
    definition: str = "batchnorm",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``minigrad check-bn`` with its options; returns the exit code.

    >>> import io
    >>> err = io.StringIO()
    >>> check_bn(mistake="no-such-mistake", err=err)
    2
    >>> err.getvalue().startswith("minigrad check-bn: error: unknown mistake 'no-such-mistake'; the mistakes are:")
    True
    """
    out, err = out or sys.stdout, err or sys.stderr

    def usage(message: str) -> int:
        print(f"{PROGRAM}: error: {message}", file=err)
        return 2

    chosen = [option for option, value in (("--impl", impl), ("--mistake", mistake), ("--derive", derive)) if value]
    if len(chosen) > 1:
        return usage(f"choose one of --impl, --mistake and --derive, not {' and '.join(chosen)}")
    if definition not in DEFINITIONS:
        return usage(f"unknown definition {definition!r}; choose one of: {', '.join(DEFINITIONS)}")
    if definition != "batchnorm" and (impl is None or impl in ROUTES):
        return usage(f"--definition {definition} checks your own function: add --impl FILE.py:FUNCTION")
    if mistake is not None and mistake not in MISTAKES:
        return usage(f"unknown mistake {mistake!r}; the mistakes are: {', '.join(MISTAKES)}")
    if derive:
        return 0 if derive_batchnorm(file=out).passed else 1
    target: str | Implementation | None = impl
    if impl is not None and impl not in ROUTES:
        try:
            function = load_function(impl)
        except ImplementationError as error:
            return usage(str(error))
        path, _, name = impl.rpartition(":")
        target = from_function(function, f"{name} ({Path(path).name})")
    try:
        report = check_batchnorm(impl=target, mistake=mistake, definition=definition, file=out)
    except ImplementationError as error:
        print(f"{PROGRAM}: {error}", file=err)
        return 1
    return 0 if report.passed else 1
