"""Screen grabs, kept in memory: the monitor under a point, a region, a part of a screenshot.

Each grab goes to the backend `assistant.capture.backends` chose for this desktop (mss on X11,
Windows and macOS; grim or the Screenshot portal on Wayland).
"""

from __future__ import annotations

from PIL import Image

from assistant.capture.backends import current_backend
from assistant.capture.base import CaptureError, Geometry, crop_region

__all__ = ["CaptureError", "Geometry", "crop_region", "grab_region", "grab_screen"]


def grab_screen(at: tuple[int, int] | None = None) -> Image.Image:
    """Capture the whole monitor containing point `at` (the pointer), or the primary monitor."""
    return current_backend().grab_screen(at)


def grab_region(left: int, top: int, width: int, height: int) -> Image.Image:
    """Capture a rectangle of the desktop (a window's, say); the part outside every monitor is cut off."""
    return current_backend().grab_region((left, top, width, height))
