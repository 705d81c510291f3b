"""The command line and the README as a newcomer runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_offline_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"Done: test accuracy ([\d.]+)%", result.stdout).group(1))
    assert accuracy > 90.0
    assert "0 beyond tolerance" in result.stdout


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    code = readme.split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "model.npz").exists()
