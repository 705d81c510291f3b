"""The command line and the README as a newcomer runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_offline_and_reports(tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's minigrad, wherever it is installed
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "demo"], cwd=tmp_path, env=environment, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Done: test accuracy ([\d.]+)%", result.stdout).group(1))
    assert accuracy > 97.0  # LeNet-BN after one epoch of the built-in digits
    assert "0 beyond tolerance" in result.stdout
    assert re.search(r"BatchNorm check, layer 1 BatchNorm2d\(32\) .* max relative error \S+ \(float64\): agree",
                     result.stdout)  # fmt: skip
    out = tmp_path / "runs" / "demo"
    assert f"Everything is in {Path('runs') / 'demo'}/" in result.stdout
    graph = "batchnorm_graph.svg" if shutil.which("dot") else "batchnorm_graph.dot"
    assert (out / graph).exists() and (out / "metrics.json").exists()
    assert json.loads((out / "metrics.json").read_text())["epochs"][0]["test_acc"] > 0.97


def test_readme_quickstart_runs(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    code, shown = readme.split("```python", 1)[1].split("```", 1)[0], readme.split("```text\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip() == shown.strip()  # what the README shows is what it prints
