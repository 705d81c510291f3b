"""A progress bar with no dependencies: one rewriting line on a terminal, plain lines elsewhere.

On a terminal (``stream.isatty()``) the bar redraws itself in place with ``\\r``, at most ten
times a second, cut to the terminal's width. Anywhere else (a log file, a pipe, CI) ``\\r``
would pile up into one unreadable line, so the bar prints a plain line about every tenth of
the way instead, and always at the end.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

BAR_WIDTH = 12  # narrow enough that metrics, rate and time fit in 80 columns


class ProgressBar:
    """``bar.update(n, loss=0.31)`` after each step, ``bar.close()`` at the end.

    >>> import io
    >>> out = io.StringIO()  # not a terminal: plain lines
    >>> bar = ProgressBar(4, "epoch 1/1", unit="samples", stream=out)
    >>> for _ in range(4):
    ...     bar.update(32, loss=0.5)
    >>> bar.close()
    >>> out.getvalue().splitlines()[-1].startswith("epoch 1/1 100% 4/4")
    True
    """

    REDRAW_SECONDS = 0.1  # terminal redraws per second are capped: printing is not free

    def __init__(
        self, total: int | None, description: str = "", unit: str = "samples", stream: TextIO | None = None
    ) -> None:
        self.total, self.description, self.unit = total, description, unit
        self.stream = stream if stream is not None else sys.stdout
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.steps, self.amount = 0, 0
        self.metrics: dict[str, float | str] = {}
        self.start = self.last_draw = time.perf_counter()
        # Off a terminal, print about ten lines per bar (every step when there are few).
        self.line_every = max(1, (total or 10) // 10)

    def update(self, amount: int = 1, **metrics: float | str) -> None:
        """Count one step that handled ``amount`` units, and show the latest metrics (floats
        are printed with 4 decimals, strings as they are)."""
        self.steps += 1
        self.amount += amount
        self.metrics.update(metrics)
        now = time.perf_counter()
        if self.is_terminal and now - self.last_draw >= self.REDRAW_SECONDS:
            self._draw_in_place(now)
        elif not self.is_terminal and self.steps % self.line_every == 0 and self.steps != self.total:
            print(self.line(now), file=self.stream, flush=True)

    def close(self) -> None:
        """Draw the final state and end the line."""
        now = time.perf_counter()
        if self.is_terminal:
            self._draw_in_place(now)
            print(file=self.stream, flush=True)
        else:
            print(self.line(now), file=self.stream, flush=True)

    def line(self, now: float | None = None) -> str:
        """``epoch 1/2  45% 423/938 [=====>      ] loss 0.3100  1234 samples/s  0:34<0:41``."""
        elapsed = (now or time.perf_counter()) - self.start
        rate = self.amount / elapsed if elapsed > 0 else 0.0
        parts = [self.description] if self.description else []
        if self.total:
            fraction = min(1.0, self.steps / self.total)
            filled = int(BAR_WIDTH * fraction)
            bar = "=" * filled + (">" if filled < BAR_WIDTH else "") + " " * (BAR_WIDTH - 1 - filled)
            parts.append(f"{fraction:4.0%} {self.steps}/{self.total} [{bar}]")
        else:
            parts.append(f"{self.steps}")
        for name, value in self.metrics.items():
            parts.append(f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}")
        parts.append(f"{_human(rate)} {self.unit}/s")
        remaining = elapsed / self.steps * (self.total - self.steps) if self.total and self.steps else None
        parts.append(_clock(elapsed) + (f"<{_clock(remaining)}" if remaining is not None else ""))
        return " ".join(parts)

    def _draw_in_place(self, now: float) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        print("\r" + self.line(now)[:width].ljust(width), end="", file=self.stream, flush=True)
        self.last_draw = now


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def _human(value: float) -> str:
    """1234 -> '1234', 12345678 -> '12.3M': rates of samples and of bytes both read well."""
    for threshold, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if value >= threshold:
            return f"{value / threshold:.1f}{suffix}"
    return f"{value:.0f}"
