"""Test-wide settings: one hypothesis profile, so every property test is fast and reproducible."""

import pytest
from hypothesis import settings

# deadline=None: a gradgradcheck example can take a while on a loaded CI machine.
# derandomize=True: the same examples on every run, so a CI failure reproduces locally.
settings.register_profile("minigrad", deadline=None, max_examples=25, derandomize=True, database=None)
settings.load_profile("minigrad")

# PyTorch-style programs that test_pytorch_programs.py runs (against minigrad and against real
# torch): not test modules, and --doctest-modules must not import them (they import torch).
collect_ignore = ["pytorch_programs"]


@pytest.fixture(autouse=True)
def _run_in_a_temporary_folder(tmp_path, monkeypatch):
    """Commands that write to their default output folder (runs/...) write into tmp_path,
    never into the repository."""
    monkeypatch.chdir(tmp_path)
