"""MkDocs hook: draw the pictures and write the tables (docs/build_assets.py) before each build."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def on_pre_build(config: Any, **kwargs: Any) -> None:
    path = Path(__file__).with_name("build_assets.py")
    spec = importlib.util.spec_from_file_location("build_assets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
