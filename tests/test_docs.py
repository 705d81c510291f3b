"""Every code block in the README and the docs runs, and shows what it prints.

The rules a page follows, so that this test can hold it to them:

* ```python blocks run in order, one namespace per page, in a fresh temporary folder. A
  ```text block right after one is its output: what the code prints, exactly.
* ```bash blocks hold commands. Each one runs, unless its line ends with a comment saying
  ``# not run by the tests: <why>`` (a download, a multi-minute training run): then its
  arguments are only checked against the command line's parser, so a renamed option breaks it.
  ``pip install`` lines are checked against the extras in pyproject.toml. A command meant to
  fail says so: ``# exits 1 until you write it`` (and must then print no traceback).
* ``minigrad ...`` lines in indented (not fenced) blocks are checked against the parser.
* docs/api.md names every public name, or renders it from its docstring (``::: module``).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p for p in (ROOT / "docs").glob("*.md"))  # not docs/assets/generated: the build writes those
DOCUMENTS = [ROOT / "README.md", *PAGES]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
NOT_RUN = re.compile(r"#\s*not run by the tests:")
EXITS = re.compile(r"#\s*exits (\d+)")  # a command that is meant to fail (an exercise not yet written)


def blocks(path: Path) -> list[tuple[str, str, int, int, int]]:
    """(language, code, line number, start, end) of every fenced block, in order."""
    text = path.read_text()
    return [
        (m.group(1), m.group(2), text[: m.start()].count("\n") + 1, m.start(), m.end()) for m in FENCE.finditer(text)
    ]


def python_with_outputs(path: Path) -> list[tuple[str, str | None, int]]:
    """Each python block, with the ```text block that follows it directly (only blank lines
    between) as its shown output."""
    text = path.read_text()
    found = blocks(path)
    pairs = []
    for i, (language, code, line, _, end) in enumerate(found):
        if language == "python":
            following = found[i + 1] if i + 1 < len(found) else None
            adjacent = following is not None and not text[end : following[3]].strip()
            shown = following[1] if adjacent and following and following[0] == "text" else None
            pairs.append((code, shown, line))
    return pairs


def commands(path: Path) -> list[tuple[str, int]]:
    """Each command line of the bash blocks (comments and continuation lines joined)."""
    found = []
    for language, code, line, _, _ in blocks(path):
        if language not in ("bash", "sh", "console"):
            continue
        for offset, raw in enumerate(code.replace("\\\n", " ").splitlines()):
            if raw.strip() and not raw.strip().startswith("#"):
                found.append((raw.strip(), line + 1 + offset))
    return found


def normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


WITH_PYTHON = [p for p in DOCUMENTS if python_with_outputs(p)]
WITH_COMMANDS = [p for p in DOCUMENTS if commands(p)]


def test_the_front_door_and_the_main_pages_have_code():
    names = {p.name for p in WITH_PYTHON}
    assert {"README.md", "index.md", "autodiff.md", "batchnorm.md", "conv.md", "training.md"} <= names


@pytest.mark.parametrize("path", WITH_PYTHON, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run_and_print_what_they_show(path, tmp_path, monkeypatch):
    pairs = python_with_outputs(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))  # a page may import from examples/ or bench/
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for code, shown, line in pairs:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        if shown is not None:
            assert normalized(printed.getvalue()) == normalized(shown), f"{path.name}:{line}: the shown output differs"


def check_pip_line(command: str) -> None:
    text = (ROOT / "pyproject.toml").read_text()
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    extras = set(re.findall(r"^([\w-]+)\s*=", section, re.M))
    for asked in re.findall(r"\.\[([\w,]+)\]", command):
        for extra in asked.split(","):
            assert extra in extras, f"{command!r} asks for the extra {extra!r}, which pyproject.toml does not define"
    for pin in re.findall(r"torch==([\d.]+)", command):
        assert pin == "2.13.0", f"{command!r}: torch must be pinned to 2.13.0"


def parse_only(argv: list[str]) -> None:
    """Check a minigrad command line against the real parser without running it."""
    from minigrad import cli

    try:
        cli.build_parser().parse_args(argv)
    except SystemExit as error:
        raise AssertionError(f"minigrad {' '.join(argv)} does not parse (exit {error.code})") from None


def run_command(command: str, cwd: Path, expected: int = 0) -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MINIGRAD_SMOKE": "1", "MPLBACKEND": "Agg"}
    words = shlex.split(command, comments=True)
    # Paths in the repository (examples/..., FILE.py:FUNCTION) are read from it; output goes to cwd.
    words = [str(ROOT / w) if (ROOT / w.split(":")[0]).exists() and "/" in w else w for w in words]
    if words[0] == "minigrad":
        words = [sys.executable, "-m", "minigrad", *words[1:]]
    elif words[0] == "python":
        words = [sys.executable, *words[1:]]
    result = subprocess.run(words, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600)
    output = f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert result.returncode == expected, f"{command!r} exited {result.returncode}, not {expected}:\n{output}"
    assert "Traceback" not in output, f"{command!r} printed a traceback:\n{output}"


@pytest.mark.parametrize("path", WITH_COMMANDS, ids=lambda p: str(p.relative_to(ROOT)))
def test_commands_run_or_parse(path, tmp_path):
    found = commands(path)
    for command, line in found:
        for part in [p.strip() for p in command.split("&&")]:
            words = shlex.split(part, comments=True)
            if not words:
                continue
            where = f"{path.name}:{line}: {part}"
            if words[:2] in (["pip", "install"], ["python", "-m"]) and "pip" in words[:3]:
                check_pip_line(part)
            elif words[0] in ("pip", "apt-get", "cd", "git", "bash", "mkdocs", "pytest", "sudo"):
                continue  # set-up steps: CI runs them itself (.ci/run)
            elif NOT_RUN.search(command):
                if words[0] == "minigrad":
                    parse_only(words[1:])
                else:
                    assert (ROOT / words[1]).exists() if words[0] == "python" else True, where
            else:
                exits = EXITS.search(command)
                run_command(part, tmp_path, int(exits.group(1)) if exits else 0)


def indented_commands(path: Path) -> list[tuple[str, int]]:
    """``minigrad ...`` lines of indented (not fenced) code blocks: shown, not run, but parsed."""
    text = FENCE.sub(lambda m: "\n" * m.group().count("\n"), path.read_text())
    found = re.finditer(r"^    (minigrad [^\n]*)$", text, re.M)
    return [(m.group(1), text[: m.start()].count("\n") + 1) for m in found]


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if indented_commands(p)], ids=lambda p: p.name)
def test_indented_commands_parse(path):
    for command, line in indented_commands(path):
        words = shlex.split(command, comments=True)
        assert words[0] == "minigrad", f"{path.name}:{line}: {command}"
        parse_only(words[1:])


PUBLIC = ["minigrad", "minigrad.nn", "minigrad.nn.functional", "minigrad.optim", "minigrad.data", "minigrad.viz"]
PUBLIC += ["minigrad.checks"]


def has_own_docstring(obj: object) -> bool:
    """What mkdocstrings shows: an object with a docstring of its own (a class's is not inherited)."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, type):
        doc = vars(obj).get("__doc__")
    elif callable(obj) or isinstance(obj, property) or inspect.ismodule(obj):
        doc = obj.__doc__
    else:
        return False  # a constant: the docstring it has is its type's
    return bool(doc and doc.strip())


def rendered_by_mkdocstrings(text: str) -> set[str]:
    """The names that the page's ``::: target`` lines render: a module's ``__all__`` (or, without
    one, what the module itself defines), a class's own members, in each case only those with a
    docstring (mkdocstrings leaves out the others)."""
    rendered: set[str] = set()
    for target in re.findall(r"^::: ([\w.]+)", text, re.M):
        try:
            module = importlib.import_module(target)
        except ImportError:
            module_name, _, class_name = target.rpartition(".")
            owner = getattr(importlib.import_module(module_name), class_name)
            rendered |= {n for n, member in vars(owner).items() if not n.startswith("_") and has_own_docstring(member)}
            continue
        names = getattr(module, "__all__", None)
        if names is None:
            names = [
                n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", None) == target
            ]
        rendered |= {n for n in names if has_own_docstring(getattr(module, n, None))}
    return rendered


def undocumented(text: str) -> dict[str, list[str]]:
    """Public names that docs/api.md neither renders from a docstring nor names in its text."""
    import minigrad

    rendered = rendered_by_mkdocstrings(text)
    written = re.findall(r"`[^`]*`", text)
    every_method = "the function form of every Tensor method" in " ".join(text.split())
    missing = {}
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        names = [
            n
            for n in module.__all__
            if n not in rendered
            and not any(re.search(rf"\b{re.escape(n)}\b", w) for w in written)
            and not (module is minigrad and every_method and hasattr(minigrad.Tensor, n))  # minigrad.add and x.add
        ]
        if names:
            missing[module_name] = names
    return missing


def test_every_public_name_is_in_the_api_reference():
    """Each name in ``__all__`` of minigrad and of its public modules is on docs/api.md: rendered
    from its docstring by mkdocstrings (a ``::: module`` line), or written in the page's text."""
    missing = undocumented((ROOT / "docs" / "api.md").read_text())
    assert not missing, f"public names missing from docs/api.md: {missing}"


def test_the_api_check_catches_a_name_left_out():
    text = (ROOT / "docs" / "api.md").read_text()
    without = re.sub(r"`[^`]*\bkeep_freed_memory\b[^`]*`", "", text)
    assert undocumented(text) == {} and undocumented(without) == {"minigrad": ["keep_freed_memory"]}
    no_functional = text.replace("::: minigrad.nn.functional", "").replace("conv2d", "c2d")
    assert "conv2d" in undocumented(no_functional)["minigrad.nn.functional"]
