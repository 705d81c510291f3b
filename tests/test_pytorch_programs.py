"""The harness: PyTorch programs, run unchanged with ``torch`` resolved to minigrad
(``python -m minigrad.as_torch program.py``), print the same numbers as on PyTorch itself.

The programs in tests/pytorch_programs/ are written the way PyTorch's tutorials and examples
are: a polynomial fit with a custom autograd Function, a two-layer net with backpropagation
by hand, an nn/optim/DataLoader loop with six optimizers, the classic MNIST example on random
data, micrograd's test with its in-place ``c += c + 1``, hooks, and a small nanoGPT-style
transformer. Their starting weights come
from numpy, so both engines start equal; every line they print must match: the same words, and
numbers equal within float32 rounding (the training loops amplify it a little).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import TORCH_MISSING

PROGRAMS = Path(__file__).resolve().parent / "pytorch_programs"
ROOT = PROGRAMS.parents[1]

# program -> (extra arguments, relative tolerance on every printed number)
CASES = {
    "polynomial_custom_function.py": ([], 1e-4),
    "two_layer_net_by_hand.py": ([], 1e-5),
    "nn_optim_loop.py": ([], 1e-4),
    "mnist_structure.py": (["--dropout", "0"], 1e-4),
    "micrograd_in_place.py": ([], 1e-12),
    "hooks_and_graph.py": ([], 1e-5),
    "tiny_gpt.py": ([], 1e-5),
}

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def run(program: str, arguments: list[str], engine: str) -> str:
    """The program's standard output, run on minigrad (through minigrad.as_torch) or on PyTorch."""
    command = [sys.executable] + (["-m", "minigrad.as_torch"] if engine == "minigrad" else []) + [program, *arguments]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=PROGRAMS, capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, f"{program} failed on {engine}:\n{done.stderr[-3000:]}"
    return done.stdout


def words_and_numbers(output: str) -> tuple[list[str], list[float]]:
    lines = [line for line in output.splitlines() if line.strip()]
    return [NUMBER.sub("#", line) for line in lines], [float(n) for n in NUMBER.findall(output)]


@pytest.mark.parametrize("program", sorted(CASES))
def test_program_prints_what_pytorch_prints(program: str) -> None:
    arguments, rtol = CASES[program]
    ours = run(program, arguments, "minigrad")
    pytest.importorskip("torch", reason=TORCH_MISSING + " (the program ran on minigrad; nothing to compare with)")
    theirs = run(program, arguments, "torch")
    our_words, our_numbers = words_and_numbers(ours)
    their_words, their_numbers = words_and_numbers(theirs)
    assert our_words == their_words, f"{program} prints other lines:\n--- minigrad\n{ours}\n--- PyTorch\n{theirs}"
    assert len(our_numbers) == len(their_numbers) > 0
    for k, (a, b) in enumerate(zip(our_numbers, their_numbers)):
        assert abs(a - b) <= rtol * max(abs(a), abs(b)) + 1e-6, (
            f"{program}: number {k} is {a} on minigrad, {b} on PyTorch\n--- minigrad\n{ours}\n--- PyTorch\n{theirs}"
        )


def test_the_mnist_example_also_runs_with_its_own_dropout() -> None:
    """With the example's dropout rates the masks are random, so only that it runs is checked."""
    output = run("mnist_structure.py", ["--epochs", "1"], "minigrad")
    assert "Test set: Average loss" in output
