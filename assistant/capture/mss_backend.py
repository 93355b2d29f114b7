"""Screen grabs with mss: X11, Windows and macOS, kept in memory.

mss objects are not safe to share between threads, so every call opens its own (which is cheap).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import mss
from mss.exception import ScreenShotError
from PIL import Image

from assistant.capture.base import CaptureError, Geometry, clip
from assistant.i18n import N_, _


class MssBackend:
    name = "mss"
    title = N_("mss (X11, Windows, macOS)")

    def problem(self) -> str | None:
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            return str(_no_display())
        return None

    def grab_screen(self, at: tuple[int, int] | None = None) -> Image.Image:
        with _screen() as sct:
            monitors = _physical_monitors(sct)
            monitor = _primary(monitors) if at is None else _monitor_at(monitors, at)
            return _to_image(sct.grab(monitor))

    def grab_region(self, region: Geometry) -> Image.Image:
        with _screen() as sct:
            left, top, width, height = clip(region, _geometry(sct.monitors[0]))
            return _to_image(sct.grab({"left": left, "top": top, "width": width, "height": height}))


def _new_mss() -> Any:
    # mss 10.2 has the `MSS` class and deprecates the older `mss.mss()` factory that 9.x offers.
    factory = getattr(mss, "MSS", None) or mss.mss
    return factory()


@contextmanager
def _screen() -> Iterator[Any]:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise _no_display()
    try:
        sct = _new_mss()
    except (ScreenShotError, OSError) as error:
        raise _no_display() from error
    try:
        yield sct
    except ScreenShotError as error:
        raise CaptureError(
            _("The screen could not be captured. Try again, or describe an image file instead.")
        ) from error
    finally:
        sct.close()


def _no_display() -> CaptureError:
    display = os.environ.get("DISPLAY")
    if sys.platform.startswith("linux") and not display and os.environ.get("WAYLAND_DISPLAY"):
        return CaptureError(
            _(
                "No screen could be captured: this Wayland desktop offers no X display to capture. "
                "Log in to an X11 session, or describe an image file or the clipboard instead."
            )
        )
    if sys.platform.startswith("linux") and not display:
        return CaptureError(
            _(
                "No screen could be captured: no display is available. Start the assistant from a desktop session."
            )
        )
    where = _("the display {display}").format(display=display) if display else _("the display")
    return CaptureError(
        _(
            "No screen could be captured: {where} could not be reached. Check that the desktop is running."
        ).format(where=where)
    )


def _physical_monitors(sct: Any) -> list[dict[str, Any]]:
    # Index 0 is the bounding box of all monitors; the real ones follow.
    monitors = list(sct.monitors)
    return monitors[1:] or monitors[:1]


def _primary(monitors: list[dict[str, Any]]) -> dict[str, Any]:
    return next((monitor for monitor in monitors if monitor.get("is_primary")), monitors[0])


def _monitor_at(monitors: list[dict[str, Any]], point: tuple[int, int]) -> dict[str, Any]:
    """The monitor containing `point`, or the one nearest to it when it lies in none."""
    x, y = point

    def distance(monitor: dict[str, Any]) -> int:
        left, top, width, height = _geometry(monitor)
        dx = max(left - x, 0, x - (left + width - 1))
        dy = max(top - y, 0, y - (top + height - 1))
        return dx * dx + dy * dy

    return min(monitors, key=distance)


def _geometry(monitor: dict[str, Any]) -> Geometry:
    return (monitor["left"], monitor["top"], monitor["width"], monitor["height"])


def _to_image(shot: Any) -> Image.Image:
    return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")
