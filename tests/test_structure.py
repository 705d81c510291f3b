"""The promises the package's layout makes: layers import one way, composites write no
gradient, the checking tools load lazily. Read with ``ast`` and in fresh interpreters."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minigrad"

# Each module may import only the modules listed before it (its own layer or lower ones).
LAYERS = [
    ["unsupported"],
    ["shapes", "dtypes", "devices", "allocator", "special", "generator", "parallel"],
    ["ops"],
    ["autograd"],
    ["function"],
    ["composites", "tensor_shape", "tensor_inplace", "tensor_convert", "tensor_linalg", "tensor_compare"],
    ["tensor"],
    ["factories", "functions", "torch_functions", "linalg"],
]


def imported_minigrad_modules(path: Path) -> set[str]:
    """The minigrad modules a file imports at run time. Excluded: imports under TYPE_CHECKING, and
    the lazy re-exports of a module-level ``__getattr__`` (PEP 562: ``minigrad.autograd.Function``
    lives higher up and is only loaded when asked for; it is a name of the namespace, not a
    dependency of the module)."""
    tree = ast.parse(path.read_text())
    type_checking = [
        n for n in ast.walk(tree) if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
    ]
    lazy = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]
    hidden = {id(node) for block in type_checking + lazy for node in ast.walk(block)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minigrad"):
            parts = node.module.split(".")
            names.add(parts[1] if len(parts) > 1 else node.names[0].name)
            if node.module == "minigrad":
                names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("minigrad."))
    return names


@pytest.mark.parametrize("level", range(len(LAYERS)))
def test_lower_layers_never_import_higher_ones(level):
    allowed = {name for layer in LAYERS[: level + 1] for name in layer}
    for module in LAYERS[level]:
        imported = imported_minigrad_modules(PACKAGE / f"{module}.py")
        assert imported <= allowed, f"{module}.py imports {sorted(imported - allowed)} from a higher layer"


def test_composites_write_no_gradient():
    """composites.py defines no op and no VJP, and cannot reach a primitive except through
    Tensor's methods: every gradient of a composite is derived by the engine."""
    tree = ast.parse((PACKAGE / "composites.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "backward"]
    imported = imported_minigrad_modules(PACKAGE / "composites.py")
    assert "ops" not in imported and "autograd" not in imported
    assert "numpy" not in (PACKAGE / "composites.py").read_text()


def test_every_primitive_is_typed_and_short():
    """ops.py: each forward takes arrays and returns an array, each backward takes and returns
    Tensors (TensorLike), and no VJP is longer than a screen's few lines."""
    tree = ast.parse((PACKAGE / "ops.py").read_text())
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name != "TensorLike"]:
        for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in ("forward", "backward")]:
            assert fn.returns is not None and all(a.annotation is not None for a in fn.args.args[1:]), (
                f"{cls.name}.{fn.name} is not typed"
            )
            if fn.name == "backward":
                assert fn.end_lineno - fn.lineno < 20, f"{cls.name}.backward is {fn.end_lineno - fn.lineno} lines"


def run_fresh(code: str) -> None:
    """Run ``code`` in a new interpreter that imports this checkout's minigrad (the tests run in
    a temporary folder, where ``import minigrad`` would find an installed copy instead)."""
    environment = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    subprocess.run([sys.executable, "-c", code], check=True, env=environment)


def test_importing_minigrad_leaves_the_checking_tools_unloaded():
    run_fresh(
        "import sys, minigrad\n"
        "assert 'minigrad.checks' not in sys.modules\n"
        "assert callable(minigrad.gradcheck) and 'minigrad.checks' in sys.modules\n"
        "from minigrad import check_batchnorm, GradcheckError\n"
    )


def test_importing_the_primitives_alone_needs_no_checks_viz_or_cli():
    run_fresh(
        "import sys, minigrad.ops\n"
        "loaded = [m for m in sys.modules if m.startswith(('minigrad.checks', 'minigrad.viz', 'minigrad.cli'))]\n"
        "assert not loaded, loaded\n"
    )


def test_the_worked_example_in_architecture_md_runs():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    code = text.split("```python", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/architecture.md", "exec"), {})
