"""Every code block in the README and the docs runs, and shows what it prints.

The rules a page follows, so that this test can hold it to them:

* ```python blocks run in order, one namespace per page, in a fresh temporary folder. A
  ```text block right after one is its output: what the code prints, exactly.
* ```bash blocks hold commands. Each one runs, unless its line ends with a comment saying
  ``# not run by the tests: <why>`` (a download, a multi-minute training run): then its
  arguments are only checked against the command line's parser, so a renamed option breaks it.
  ``pip install`` lines are checked against the extras in pyproject.toml. A command meant to
  fail says so: ``# exits 1 until you write it`` (and must then print no traceback).
"""

from __future__ import annotations

import contextlib
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


def test_every_public_name_is_in_the_api_reference():
    """Each name in ``minigrad.__all__`` is written in docs/api.md, or is a member of a module
    or class that the page renders from its docstrings (a ``::: module`` line, mkdocstrings)."""
    import importlib

    import minigrad

    text = (ROOT / "docs" / "api.md").read_text()
    rendered: set[str] = set()
    for target in re.findall(r"^::: ([\w.]+)", text, re.M):
        module_name, _, attribute = target.rpartition(".")
        try:
            owner = importlib.import_module(target)
        except ImportError:
            owner = getattr(importlib.import_module(module_name), attribute)
        rendered |= {name for name in dir(owner) if not name.startswith("_")}
    written = set(re.findall(r"`[^`]*`", text))
    undocumented = [
        name
        for name in minigrad.__all__
        if name not in rendered and not any(re.search(rf"\b{re.escape(name)}\b", w) for w in written)
    ]
    assert not undocumented, f"public names missing from docs/api.md: {undocumented}"
