"""Every example runs, in its reduced smoke mode (MINIGRAD_SMOKE=1), so none of them rots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))


def test_the_examples_are_the_documented_ones():
    assert [p.name for p in EXAMPLES] == [
        "batchnorm_two_ways.py",
        "cifar10_bn_net.py",
        "hessian_vector_product.py",
        "train_cnn.py",
        "train_mlp.py",
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_in_smoke_mode(example, tmp_path):
    environment = {**os.environ, "MINIGRAD_SMOKE": "1", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, str(example)], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "an example should say what it did"
    if example.name == "train_cnn.py":
        assert "test accuracy" in result.stdout and (tmp_path / "lenet_bn.npz").exists()
    if example.name == "train_mlp.py":
        pictured = (tmp_path / "decision_boundary.png").exists()
        assert pictured or "needs matplotlib" in result.stdout
