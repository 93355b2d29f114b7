"""Giving freed memory back to the system (no torch here, so the UI may import it at start)."""

from __future__ import annotations

import contextlib
import ctypes
import sys


def give_back_freed_memory() -> None:
    """Ask the C library to return freed heap memory to the system.

    glibc keeps freed blocks for reuse, and after a large block is freed it serves blocks up to that
    size from the heap rather than from their own mappings, so memory freed while loading the model
    would otherwise stay counted against the app."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # another C library: what it keeps, it keeps
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def free_memory_bytes() -> int:
    """The memory the system could give a new model now (available, not just unused)."""
    import psutil

    return int(psutil.virtual_memory().available)
