"""Run a PyTorch program on minigrad, unchanged: ``python -m minigrad.as_torch program.py [args]``.

It makes ``import torch`` (and ``torch.nn``, ``torch.nn.functional``, ``torch.optim``,
``torch.optim.lr_scheduler``, ``torch.autograd``, ``torch.utils.data``, ...) import minigrad's
modules, then runs the program as ``__main__``. Inside a program or a notebook, ``install()``
does the same for the code that follows.

>>> import sys
>>> install()
>>> import torch.nn.functional as F
>>> F.relu is sys.modules["minigrad.nn.functional"].relu
True
>>> uninstall()
"""

from __future__ import annotations

import importlib
import runpy
import sys

# PyTorch's module -> minigrad's. Every one is listed: Python would otherwise import
# minigrad's file a second time under the torch name, with classes of its own.
MODULES = {
    "torch": "minigrad",
    "torch.autograd": "minigrad.autograd",
    "torch.autograd.function": "minigrad.function",
    "torch.linalg": "minigrad.linalg",
    "torch.nn": "minigrad.nn",
    "torch.nn.functional": "minigrad.nn.functional",
    "torch.nn.init": "minigrad.nn.init",
    "torch.nn.utils": "minigrad.nn.utils",
    "torch.optim": "minigrad.optim",
    "torch.optim.lr_scheduler": "minigrad.optim.lr_scheduler",
    "torch.utils": "minigrad.utils",
    "torch.utils.data": "minigrad.utils.data",
    "torch.utils.hooks": "minigrad.utils.hooks",
}

_saved: dict[str, object] = {}


def install() -> None:
    """From now on, ``import torch...`` imports minigrad's modules."""
    for torch_name, minigrad_name in MODULES.items():
        if torch_name in sys.modules and torch_name not in _saved:
            _saved[torch_name] = sys.modules[torch_name]
        sys.modules[torch_name] = importlib.import_module(minigrad_name)


def uninstall() -> None:
    """Undo ``install()`` (a real torch imported before it comes back)."""
    for torch_name in MODULES:
        sys.modules.pop(torch_name, None)
    sys.modules.update(_saved)  # type: ignore[arg-type]
    _saved.clear()


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__.splitlines()[0])
        raise SystemExit(0 if arguments else 2)
    install()
    sys.argv = arguments
    runpy.run_path(arguments[0], run_name="__main__")


if __name__ == "__main__":
    main()
