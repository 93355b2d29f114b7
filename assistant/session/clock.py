"""The session's sense of time: only ever "call this later", so tests move time by hand, with no sleeps.

The app gives a clock of Qt timers on its own thread; the tests give one they advance themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None:
        """Do not call it after all (nothing happens if it was called already)."""
        ...


class Clock(Protocol):
    def call_later(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """Call `callback` once, `seconds` from now, on the thread the session runs on."""
        ...
