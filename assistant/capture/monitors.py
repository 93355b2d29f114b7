"""The monitors of a Wayland desktop as its compositor tells them, and the one the user is on.

Wayland tells no program where the pointer is or where the monitors lie; only the compositor's own
answer does. sway's IPC (`get_outputs`) gives each output's place in the layout (in logical pixels,
which window geometries use too), its scale, and which one has the focus. sway tells no one the
pointer's position (`get_seats` lists the seat's devices and focus only), but its focused output
follows the pointer (`focus_follows_mouse`, its default) and the keyboard, so that output is the
monitor the user is on. Hyprland's IPC gives the monitors and the pointer itself (`cursorpos`): the
monitor under the pointer is marked focused. The app's own idea of the pointer (Qt's) is stale on
Wayland: it knows the pointer only over its own windows, so the compositor's answer wins over it.

KWin (KDE Plasma) lists its monitors to a script it runs (`kwin.screens`), in the same logical pixels,
its active one being where the pointer or the focus is. Where no compositor says (GNOME), `layout` is
None: grabs take the whole desktop as the desktop's portal gives it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from PIL import Image

from assistant.capture import hyprland, kwin, sway
from assistant.capture.base import Geometry


@dataclass(frozen=True)
class Monitor:
    name: str
    """As the compositor names it ("HEADLESS-2", "DP-1"): what `grim -o` takes."""
    rect: Geometry
    """Its place in the desktop's layout, in logical pixels."""
    scale: float
    focused: bool


def layout() -> list[Monitor] | None:
    """The active monitors as the compositor tells them; None where it does not (not sway, Hyprland or
    KWin, or no answer)."""
    if not os.environ.get("SWAYSOCK"):
        if os.environ.get("HYPRLAND_INSTANCE_SIGNATURE"):
            return _from_hyprland()
        return _from_kwin() if kwin.is_kde() else None
    try:
        outputs = sway.ask(sway.GET_OUTPUTS)
    except sway.SwayError:
        return None
    found = from_sway(outputs) if isinstance(outputs, list) else []
    return found or None


def _from_kwin() -> list[Monitor] | None:
    try:
        found = [Monitor(*screen) for screen in kwin.screens()]
    except kwin.KWinError:
        return None
    return found or None


def _from_hyprland() -> list[Monitor] | None:
    try:
        monitors, pointer = hyprland.ask("monitors"), hyprland.ask("cursorpos")
    except hyprland.HyprlandError:
        return None
    found = from_hyprland(monitors, pointer) if isinstance(monitors, list) else []
    return found or None


def from_hyprland(monitors: list[dict[str, object]], pointer: object) -> list[Monitor]:
    """Hyprland's monitors (`j/monitors`), the one under the pointer (`j/cursorpos`) marked focused; where
    the pointer is on none, the one Hyprland marks focused."""
    found = []
    for monitor in monitors:
        if monitor.get("disabled"):
            continue
        scale = monitor.get("scale")
        found.append(
            Monitor(
                str(monitor.get("name", "")),
                hyprland.logical_rect(monitor),
                float(scale) if isinstance(scale, int | float) and scale > 0 else 1.0,
                bool(monitor.get("focused")),
            )
        )
    if isinstance(pointer, dict) and isinstance(pointer.get("x"), int) and isinstance(pointer.get("y"), int):
        under = _containing(found, (pointer["x"], pointer["y"]))
        if under is not None:
            return [replace(monitor, focused=monitor is under) for monitor in found]
    return found


def from_sway(outputs: list[dict[str, object]]) -> list[Monitor]:
    """The active outputs of a `get_outputs` answer."""
    found = []
    for output in outputs:
        rect = output.get("rect")
        if not output.get("active", True) or not isinstance(rect, dict):
            continue
        geometry = (int(rect["x"]), int(rect["y"]), int(rect["width"]), int(rect["height"]))
        scale = output.get("scale")
        found.append(
            Monitor(
                str(output.get("name", "")),
                geometry,
                float(scale) if isinstance(scale, int | float) and scale > 0 else 1.0,
                bool(output.get("focused")),
            )
        )
    return found


def current(monitors: Sequence[Monitor] | None, at: tuple[int, int] | None = None) -> Monitor | None:
    """The monitor the user is on: the focused one, else the one containing `at`; None where unknown."""
    if not monitors:
        return None
    for monitor in monitors:
        if monitor.focused:
            return monitor
    return _containing(monitors, at) if at is not None else None


def _containing(monitors: Sequence[Monitor], point: tuple[int, int]) -> Monitor | None:
    for monitor in monitors:
        left, top, width, height = monitor.rect
        if left <= point[0] < left + width and top <= point[1] < top + height:
            return monitor
    return None


def bounds(monitors: Sequence[Monitor]) -> Geometry:
    """The rectangle around every monitor, in logical pixels."""
    left = min(monitor.rect[0] for monitor in monitors)
    top = min(monitor.rect[1] for monitor in monitors)
    right = max(monitor.rect[0] + monitor.rect[2] for monitor in monitors)
    bottom = max(monitor.rect[1] + monitor.rect[3] for monitor in monitors)
    return (left, top, right - left, bottom - top)


def picture_part(desktop: Image.Image, rect: Geometry, monitors: Sequence[Monitor]) -> Image.Image | None:
    """`rect` (logical pixels of the layout) cut from `desktop`, a picture of the whole layout at one
    scale (as grim and the portals on wlroots take it: the largest monitor scale); None where the
    picture is not of this layout (its sides are not in the layout's proportions)."""
    left, top, width, height = bounds(monitors)
    factor_x, factor_y = desktop.width / width, desktop.height / height
    if abs(factor_x - factor_y) > 0.01 * max(factor_x, factor_y):
        return None
    box = (
        round((rect[0] - left) * factor_x),
        round((rect[1] - top) * factor_y),
        round((rect[0] + rect[2] - left) * factor_x),
        round((rect[1] + rect[3] - top) * factor_y),
    )
    box = (max(box[0], 0), max(box[1], 0), min(box[2], desktop.width), min(box[3], desktop.height))
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    return desktop.crop(box)
