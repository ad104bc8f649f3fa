"""A one-line progress bar on stderr for long replays: only when stderr is a terminal.

When stderr is a pipe or a file the bar draws nothing at all, so ``replay --format json``
output and captured logs stay clean; messages (``bad input: ...``) are printed either way,
and on a terminal they clear the bar first so the two never share a line.
"""

from __future__ import annotations

import shutil
import sys
import time
from types import TracebackType
from typing import TextIO

CLEAR = "\r\x1b[K"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class Progress:
    """Files and bytes done, events/s and findings so far; redrawn at most every ``interval`` s."""

    def __init__(self, files: int, total_bytes: int | None, stream: TextIO | None = None,
                 interval: float = 0.25, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.files = files
        self.total_bytes = total_bytes or None
        self.interval = interval
        self.started = time.monotonic()
        self._next_draw = self.started + interval
        self._drawn = False
        self._state = (0, 0, 0, 0)

    def update(self, files_done: int, bytes_done: int, events: int, findings: int, force: bool = False) -> None:
        if not self.enabled:
            return
        self._state = (files_done, bytes_done, events, findings)
        now = time.monotonic()
        if force or now >= self._next_draw:
            self._next_draw = now + self.interval
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The bar's text for the current state (what a terminal shows)."""
        files_done, bytes_done, events, findings = self._state
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        width = shutil.get_terminal_size((100, 20)).columns
        if self.total_bytes:
            frac = min(bytes_done / self.total_bytes, 1.0)
            done = f"{_size(bytes_done)}/{_size(self.total_bytes)}"
        else:
            frac = min(files_done / self.files, 1.0) if self.files else 0.0
            done = _size(bytes_done)
        text = (f" {frac * 100:3.0f}%  {files_done}/{self.files} files  {done}  {events / elapsed:,.0f} events/s"
                f"  {findings:,} findings  {elapsed:.0f}s")
        bar_width = max(min(30, width - len(text) - 3), 0)
        filled = int(frac * bar_width)
        bar = f"[{'#' * filled}{'.' * (bar_width - filled)}]" if bar_width >= 5 else ""
        return (bar + text)[: max(width - 1, 1)]

    def _draw(self, now: float) -> None:
        self.stream.write(CLEAR + self.line(now))
        self.stream.flush()
        self._drawn = True

    def message(self, text: str) -> None:
        """Print a line on the stream (always), clearing the bar first when one is drawn."""
        if self._drawn:
            self.stream.write(CLEAR)
            self._drawn = False
            self._next_draw = 0.0  # redraw on the next update
        print(text, file=self.stream)

    def close(self) -> None:
        if self._drawn:
            self.stream.write(CLEAR)
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
