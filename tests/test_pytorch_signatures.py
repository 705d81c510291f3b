"""The signature sweep: every public Tensor method, top-level function, ``nn.functional``
function, ``nn.init`` function, layer, optimizer and schedule that PyTorch also has takes the
same parameter names in the same places, or is listed in the one table of deliberate
differences in docs/pytorch.md.

What the sweep can see of PyTorch: ``inspect.signature`` for everything written in Python
(nn, optim, many Tensor methods); for builtins (most Tensor methods and torch functions), the
type stubs PyTorch ships with them (``torch/_C/_VariableFunctions.pyi``, ``_nn.pyi``, and
``TensorBase`` in ``__init__.pyi``), generated from the same declarations as the Python
bindings, one ``@overload`` per accepted form (``max(input)``, ``max(input, dim, keepdim=False,
*, out=None)``, ``max(input, other, *, out=None)``); failing those, the signature lines at the
top of the docstring. It cannot see a builtin with none of these (it counts those as unseen,
and a test keeps that list short), nor types or defaults: it compares names and positions.

The rule, for each PyTorch overload: its positional parameters must be ours, by name, at the
same positions (or fall into our ``*args``), and its keyword-only ones must be accepted by
name. And every parameter name of ours must appear in some overload: no invented names.

    python tests/test_pytorch_signatures.py   # prints every difference found, and the table's entries
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import minigrad
import minigrad.nn.functional
import minigrad.nn.init
import minigrad.optim.lr_scheduler
from minigrad import nn, optim
from tests.helpers import TORCH_MISSING

DOCS = Path(__file__).resolve().parents[1] / "docs" / "pytorch.md"

Parameter = tuple[str, str]  # (name, kind): kind is "positional", "keyword", "*args" or "**kwargs"
KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword",
    inspect.Parameter.VAR_POSITIONAL: "*args",
    inspect.Parameter.VAR_KEYWORD: "**kwargs",
}


# ----------------------------------------------------------------------------- reading signatures


def from_inspect(function: Any, drop_first: bool) -> list[Parameter] | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    parameters = [(p.name, KINDS[p.kind]) for p in signature.parameters.values()]
    return parameters[1:] if drop_first and parameters else parameters


def split_top_level(text: str) -> list[str]:
    """``a, b=(1, 2), *, c`` -> ['a', 'b=(1, 2)', '*', 'c'] (commas inside brackets are kept)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def parse_parameters(text: str) -> list[Parameter] | None:
    parameters: list[Parameter] = []
    keyword_only = False
    for part in split_top_level(text):
        part = part.split(":")[0].strip()  # "dim: int" -> "dim"
        name = part.split("=")[0].strip()
        if name == "*":
            keyword_only = True
        elif name.startswith("**"):
            parameters.append((name[2:], "**kwargs"))
        elif name.startswith("*"):
            parameters.append((name[1:], "*args"))
            keyword_only = True
        elif name.isidentifier():
            parameters.append((name, "keyword" if keyword_only else "positional"))
        elif name in ("/", "..."):
            continue
        else:
            return None  # not a signature line after all
    return parameters


def from_docstring(function: Any, name: str, drop_first: bool) -> list[list[Parameter]]:
    """The signature lines at the top of a builtin's docstring: ``name(a, b=1, *, c=None) -> Tensor``."""
    overloads = []
    for line in (getattr(function, "__doc__", None) or "").splitlines():
        match = re.match(rf"^\s*(?:\.\. function:: )?{re.escape(name)}\((.*)$", line)
        if match:
            inside, depth = "", 1
            for char in match.group(1):  # up to the parenthesis that closes the signature
                depth += {"(": 1, ")": -1}.get(char, 0)
                if depth == 0:
                    break
                inside += char
            parameters = parse_parameters(inside)
            if parameters is not None:
                if drop_first and parameters and parameters[0][0] in ("self", "input"):
                    parameters = parameters[1:]
                overloads.append(parameters)
    return overloads


def _stub_parameters(function: ast.FunctionDef, method: bool) -> list[Parameter]:
    arguments = function.args
    parameters = [(a.arg, "positional") for a in arguments.posonlyargs + arguments.args]
    if arguments.vararg is not None:
        parameters.append((arguments.vararg.arg, "*args"))
    parameters += [(a.arg, "keyword") for a in arguments.kwonlyargs]
    if arguments.kwarg is not None:
        parameters.append((arguments.kwarg.arg, "**kwargs"))
    if method:  # self, and out= (a method writes no out= tensor in practice)
        parameters = [(n, k) for n, k in parameters[1:] if n != "out"]
    return parameters


@functools.cache
def stubs(torch_folder: str) -> tuple[dict[str, list[list[Parameter]]], dict[str, list[list[Parameter]]]]:
    """PyTorch's own type stubs of its builtins, which its Python bindings are generated with:
    the functions (torch._C._VariableFunctions, torch._C._nn) and the methods (TensorBase), each
    name with its overloads. Deprecated function overloads (those with a ``self`` parameter, such
    as ``addmm(beta, self, alpha, mat1, mat2)``) are left out."""
    functions: dict[str, list[list[Parameter]]] = {}
    methods: dict[str, list[list[Parameter]]] = {}
    folder = Path(torch_folder) / "_C"
    for stub in ("_VariableFunctions.pyi", "_nn.pyi"):
        for node in ast.parse((folder / stub).read_text()).body:
            if isinstance(node, ast.FunctionDef):
                arguments = node.args.posonlyargs + node.args.args
                if not any(a.arg == "self" for a in arguments):
                    functions.setdefault(node.name, []).append(_stub_parameters(node, method=False))
    for node in ast.parse((folder / "__init__.pyi").read_text()).body:
        if isinstance(node, ast.ClassDef) and node.name == "TensorBase":
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    methods.setdefault(item.name, []).append(_stub_parameters(item, method=True))
    return functions, methods


def torch_overloads(
    torch: Any, function: Any, name: str, method: bool
) -> tuple[list[list[Parameter]], list[list[Parameter]]]:
    """PyTorch's signatures of ``function`` (one from inspect for Python code; else its overloads
    in PyTorch's stubs, or failing those the signature lines of its docstring), and the names
    its docstring adds (docstrings sometimes name a parameter differently from the binding:
    ``div(value)`` for the binding's ``div(other)``, and the stubs sometimes differ from the
    binding: ``requires_grad_(mode)`` for its ``requires_grad_(requires_grad)``; so a name the
    docstring gives at a position counts as PyTorch's there too)."""
    seen = from_inspect(function, drop_first=method)
    generic = seen is not None and set(seen) <= {("args", "*args"), ("kwargs", "**kwargs")} and bool(seen)
    if seen is not None and not generic:
        return [seen], []
    if generic and name == "__init__":  # a class taking *args, **kwargs: nothing to compare
        return [], []
    functions, methods = stubs(str(Path(torch.__file__).parent))
    documented = from_docstring(function, name, drop_first=method)
    found = (methods if method else functions).get(name, [])
    if not found:
        return documented, []
    return found, documented  # type: ignore[return-value]


# ----------------------------------------------------------------------------- comparing


def positional_names(parameters: list[Parameter]) -> list[str]:
    return [n for n, k in parameters if k == "positional"]


def differences(
    ours: list[Parameter], overloads: list[list[Parameter]], documented: list[list[Parameter]] | None = None
) -> list[str]:
    """What keeps our signature from being PyTorch's (empty: they agree). ``documented`` are the
    docstring's forms, which may name a parameter otherwise: either name is accepted there."""
    documented = documented or []
    problems = []
    positional = positional_names(ours)
    has_args = any(k == "*args" for _, k in ours)
    has_kwargs = any(k == "**kwargs" for _, k in ours)
    keywords = {n for n, k in ours if k in ("positional", "keyword")}
    for overload in overloads:
        torch_positional = positional_names(overload)
        for i, name in enumerate(torch_positional):
            if i < len(positional):
                also = {names[i] for names in map(positional_names, documented) if len(names) > i}
                if positional[i] != name and positional[i] not in also:
                    problems.append(f"position {i}: ours is {positional[i]!r}, PyTorch's is {name!r}")
                    break
            elif not has_args:
                problems.append(f"no parameter at position {i} for PyTorch's {name!r}")
                break
        for name, kind in overload:
            if kind == "keyword" and name not in keywords and not has_kwargs:
                problems.append(f"no keyword {name!r}")
            # PyTorch's *X (``squeeze(*dim)``) is also met by a parameter X taking a tuple (``squeeze(dim)``).
            if (
                kind == "*args"
                and not has_args
                and positional[len(torch_positional) : len(torch_positional) + 1] != [name]
            ):
                problems.append(f"no *{name}")
    names = {n for overload in overloads + documented for n, _ in overload}
    invented = [n for n, k in ours if k != "**kwargs" and n not in names]
    if invented:
        problems.append(f"parameters PyTorch does not have: {invented}")
    return sorted(set(problems))


# ----------------------------------------------------------------------------- what is swept


def swept(torch: Any) -> Iterator[tuple[str, Callable[..., Any], Any, bool]]:
    """(name, ours, theirs, is_method) for every public callable both sides have."""
    for name in sorted(dir(minigrad.Tensor)):
        if name.startswith("_") or not hasattr(torch.Tensor, name):
            continue
        ours, theirs = getattr(minigrad.Tensor, name), getattr(torch.Tensor, name)
        if callable(ours) and callable(theirs) and not isinstance(ours, type):
            yield f"Tensor.{name}", ours, theirs, True
    namespaces = [
        ("torch", minigrad, torch),
        ("torch.nn.functional", minigrad.nn.functional, torch.nn.functional),
        ("torch.nn.init", minigrad.nn.init, torch.nn.init),
    ]
    for prefix, ours_module, their_module in namespaces:
        for name in sorted(getattr(ours_module, "__all__", dir(ours_module))):
            if name.startswith("_") or not hasattr(their_module, name):
                continue
            ours, theirs = getattr(ours_module, name), getattr(their_module, name)
            ours_is_function = inspect.isfunction(ours) or (callable(ours) and getattr(ours, "__signature__", None))
            if ours_is_function and callable(theirs) and not isinstance(theirs, type):
                yield f"{prefix}.{name}", ours, theirs, False
    classes = [("torch.nn", nn, torch.nn), ("torch.optim", optim, torch.optim)]
    classes.append(("torch.optim.lr_scheduler", minigrad.optim.lr_scheduler, torch.optim.lr_scheduler))
    for prefix, ours_module, their_module in classes:
        for name in sorted(dir(ours_module)):
            ours = getattr(ours_module, name, None)
            if name.startswith("_") or not isinstance(ours, type) or not hasattr(their_module, name):
                continue
            yield f"{prefix}.{name}", ours.__init__, getattr(their_module, name).__init__, True


def sweep(torch: Any) -> tuple[dict[str, list[str]], list[str]]:
    """({name: differences} for every disagreement, [names whose PyTorch signature is unseen])."""
    found, unseen = {}, []
    for name, ours, theirs, method in swept(torch):
        short = name.rsplit(".", 1)[1]
        short = "__init__" if method and not name.startswith("Tensor.") else short
        overloads, documented = torch_overloads(torch, theirs, short, method)
        if not overloads:
            if not (method and not name.startswith("Tensor.")):  # a class taking *args, **kwargs: no constraint
                unseen.append(name)
            continue
        our_parameters = from_inspect(ours, drop_first=method)
        if our_parameters is None:
            unseen.append(name)
            continue
        problems = differences(our_parameters, overloads, documented)
        if problems:
            found[name] = problems
    return found, unseen


def documented_differences(kind: str = "signature") -> dict[str, str]:
    """The names in docs/pytorch.md's table of deliberate differences (first column, in
    backticks) whose kind (second column) is ``kind``, with the reason given (last column)."""
    text = DOCS.read_text()
    table = text.split("## Deliberate differences", 1)[1].split("\n## ", 1)[0]
    names = {}
    for line in table.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[1] == kind:
                for name in re.findall(r"`([A-Za-z0-9_.]+)`", cells[0]):
                    names[name] = cells[-1]
    return names


# ----------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def result() -> tuple[dict[str, list[str]], list[str]]:
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    return sweep(torch)


def test_every_difference_from_pytorch_is_in_the_documented_table(result):
    found, _ = result
    documented = documented_differences()
    undocumented = {name: problems for name, problems in found.items() if name not in documented}
    assert not undocumented, "signatures that differ from PyTorch's, not in docs/pytorch.md:\n" + "\n".join(
        f"  {name}: {'; '.join(problems)}" for name, problems in sorted(undocumented.items())
    )


def test_the_table_lists_no_difference_that_is_gone(result):
    found, _ = result
    swept_names = {name for name, *_ in swept(pytest.importorskip("torch"))}
    stale = [name for name in documented_differences() if name in swept_names and name not in found]
    assert not stale, f"docs/pytorch.md lists differences the sweep no longer finds: {stale}"


def test_the_sweep_sees_most_signatures(result):
    """A guard on the sweep itself: it must see (and so check) nearly everything it walks."""
    _, unseen = result
    walked = len(list(swept(pytest.importorskip("torch"))))
    assert walked > 400
    assert len(unseen) < 0.1 * walked, f"signatures the sweep cannot see ({len(unseen)}): {unseen}"


def test_every_row_of_the_table_gives_a_reason():
    text = DOCS.read_text().split("## Deliberate differences", 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) >= len(documented_differences()) > 0
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and cells[1] in ("signature", "behaviour") and len(cells[3]) > 20, row


if __name__ == "__main__":
    import torch

    differences_found, not_seen = sweep(torch)
    listed = documented_differences()
    for swept_name, swept_problems in sorted(differences_found.items()):
        print(f"{swept_name}: {'; '.join(swept_problems)}" + ("" if swept_name in listed else "   <- NOT IN THE TABLE"))
    print(f"\n{len(differences_found)} differences; unseen ({len(not_seen)}): {not_seen}")
