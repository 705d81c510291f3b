"""Backward, step by step (work in progress)."""

from __future__ import annotations

from typing import Any


def backward_steps(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
