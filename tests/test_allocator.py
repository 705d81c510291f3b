"""keep_freed_memory: the one process-wide setting, made only when asked for."""

from __future__ import annotations

import subprocess
import sys

from minigrad.allocator import keep_freed_memory


def test_keep_freed_memory_on_linux():
    assert keep_freed_memory() is sys.platform.startswith("linux")


def test_keep_freed_memory_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("MINIGRAD_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False


def test_importing_minigrad_changes_no_process_setting():
    """import minigrad must not call into libc: the allocator setting is the program's choice."""
    probe = (
        "import ctypes, numpy\n"
        "calls = []\n"
        "real = ctypes.CDLL\n"
        "ctypes.CDLL = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs)\n"
        "import minigrad, minigrad.nn, minigrad.optim\n"
        "assert not calls, calls\n"
        "minigrad.keep_freed_memory()\n"
        "assert calls, 'keep_freed_memory did not reach libc'\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
