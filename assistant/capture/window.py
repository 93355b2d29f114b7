"""The window that has the keyboard focus: its title from the window system, its area, its picture.

X11: the window manager's `_NET_ACTIVE_WINDOW` (python-xlib), the title from `_NET_WM_NAME`, and the
area of the frame the window manager drew around it, title bar included. Windows: the foreground
window (GetForegroundWindow), its frame bounds from DWM. macOS: the frontmost normal window in
Quartz's window list. Wayland lets no program see other windows, but sway answers over its IPC
(`get_tree`), Hyprland over its own (`activewindow`), and KWin through a script it runs (`kwin.py`,
KDE Plasma). Elsewhere on Wayland the accessibility bus (AT-SPI) names the active window but cannot
say where it lies (`WindowWithoutPlace`): a Screenshot portal of version 3 grabs it alone, and where
none does, the caller describes the whole screen and says the window's title. Where nothing names a
window, `NoFocusedWindow` says so, and the caller describes the whole screen instead.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

from PIL import Image

from assistant.capture import atspi, hyprland, kwin, sway
from assistant.capture.backends import current_backend
from assistant.capture.screen import CaptureError, grab_region
from assistant.i18n import N_, _

Geometry = tuple[int, int, int, int]
"""left, top, width, height in desktop coordinates."""


class NoFocusedWindow(CaptureError):
    """The focused window cannot be found here; the message says so in one sentence."""


class WindowWithoutPlace(NoFocusedWindow):
    """The focused window's title is known (from AT-SPI) but not where it lies; the message names it."""

    def __init__(self, title: str) -> None:
        self.title = title
        super().__init__(
            _(
                "{title} has the focus, but this Wayland desktop does not say where its window lies, so the whole screen is described."
            ).format(title=title.strip() or _("A window"))
        )


@dataclass(frozen=True)
class FocusedWindow:
    title: str
    geometry: Geometry
    """The window's frame (title bar and borders included) on the desktop."""

    @property
    def spoken_title(self) -> str:
        """ "Window: Quarterly report - Writer." """
        title = self.title.strip() or _("untitled")
        return (
            # Translators: said before a window's description; {title} is the window's title.
            _("Window: {title}.").format(title=title)
            if not title.endswith((".", "!", "?"))
            else _("Window: {title}").format(title=title)
        )


WAYLAND_MESSAGE = N_(
    "The focused window cannot be found on this Wayland desktop, so the whole screen is described instead."
)

IPC_GONE = N_(
    "{compositor} did not answer on its socket, so the whole screen is described; if {compositor} was "
    "restarted, start the assistant again from within it."
)


def focused_window() -> FocusedWindow:
    """The window with the keyboard focus; raises `NoFocusedWindow` where none can be found."""
    if sys.platform == "win32":
        return _windows_foreground()
    if sys.platform == "darwin":
        return _mac_frontmost()
    if _wayland():
        return _kwin_focused() if kwin.is_kde() else _sway_focused()
    return _x11_active()


def grab_focused_window() -> tuple[FocusedWindow, Image.Image]:
    """The focused window and a picture of it alone, frame included."""
    try:
        window = focused_window()
    except NoFocusedWindow as error:
        grab_active = getattr(current_backend(), "grab_active_window", None) if _wayland() else None
        try:
            picture = grab_active() if grab_active is not None else None
        except CaptureError:
            picture = None  # the caller describes the screen, whose grab says what went wrong
        if picture is None:
            raise
        title = error.title if isinstance(error, WindowWithoutPlace) else ""
        return FocusedWindow(title, (0, 0, *picture.size)), picture
    left, top, width, height = window.geometry
    return window, grab_region(left, top, width, height)


def _wayland() -> bool:
    return bool(os.environ.get("WAYLAND_DISPLAY")) and (
        not os.environ.get("DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland"
    )


def _sway_focused() -> FocusedWindow:
    """sway's focused window over its IPC, or Hyprland's over its own; elsewhere on Wayland (or a stale
    socket) the accessibility bus's active window."""
    try:
        if os.environ.get("SWAYSOCK"):
            found = sway.focused(sway.ask(sway.GET_TREE))
        elif os.environ.get("HYPRLAND_INSTANCE_SIGNATURE"):
            found = hyprland.active_window(hyprland.ask("activewindow"))
        else:
            _atspi_focused()
    except (sway.SwayError, hyprland.HyprlandError) as error:
        compositor = "sway" if isinstance(error, sway.SwayError) else "Hyprland"
        try:
            _atspi_focused()
        except WindowWithoutPlace:
            raise
        except NoFocusedWindow:
            # A stale socket (the compositor restarted since the app started): "this desktop" was untrue.
            raise NoFocusedWindow(_(IPC_GONE).format(compositor=compositor)) from error
    if found is None:
        raise NoFocusedWindow(_("No window has the focus. Click a window or switch to one, then try again."))
    return FocusedWindow(*found)


def _atspi_focused() -> NoReturn:
    """WindowWithoutPlace naming the accessibility bus's active window, else NoFocusedWindow saying
    that this desktop shows no windows."""
    try:
        title = atspi.active_window_title()
    except atspi.AtspiError as error:
        raise NoFocusedWindow(_(WAYLAND_MESSAGE)) from error
    if title is None:
        raise NoFocusedWindow(_(WAYLAND_MESSAGE))
    raise WindowWithoutPlace(title)


def _kwin_focused() -> FocusedWindow:
    """KDE Plasma's focused window, from a script KWin runs; where KWin cannot be asked, the
    accessibility bus's active window."""
    try:
        found = kwin.focused()
    except kwin.KWinError:
        _atspi_focused()
    if found is None:
        raise NoFocusedWindow(_("No window has the focus. Click a window or switch to one, then try again."))
    return FocusedWindow(*found)


def _x11_active() -> FocusedWindow:
    if not os.environ.get("DISPLAY"):
        raise NoFocusedWindow(_("The focused window cannot be found: no display is available."))
    from Xlib import X, display, error

    try:
        screen_display = display.Display()
    except (error.DisplayError, OSError) as problem:
        raise NoFocusedWindow(
            _("The focused window cannot be found: the display {environ} could not be reached.").format(
                environ=os.environ["DISPLAY"]
            )
        ) from problem
    try:
        root = screen_display.screen().root
        active_atom = screen_display.intern_atom("_NET_ACTIVE_WINDOW")
        active = root.get_full_property(active_atom, X.AnyPropertyType)
        if active is None:
            raise NoFocusedWindow(
                _(
                    "The focused window cannot be found: the window manager does not say which window is active."
                )
            )
        if not active.value or not active.value[0]:
            raise NoFocusedWindow(
                _("No window has the focus. Click a window or switch to one, then try again.")
            )
        window = screen_display.create_resource_object("window", int(active.value[0]))
        return FocusedWindow(_x11_title(screen_display, window), _x11_frame(window, root))
    except error.XError as problem:
        raise NoFocusedWindow(
            _("The focused window closed before it could be captured. Try again.")
        ) from problem
    finally:
        screen_display.close()


def _x11_title(screen_display: Any, window: Any) -> str:
    from Xlib import X

    utf8 = screen_display.intern_atom("UTF8_STRING")
    for name, kind in (("_NET_WM_NAME", utf8), ("WM_NAME", X.AnyPropertyType)):
        prop = window.get_full_property(screen_display.intern_atom(name), kind)
        if prop is not None and prop.value:
            value = prop.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return ""


def _x11_frame(window: Any, root: Any) -> Geometry:
    """The window manager's frame around `window`: its ancestor that is a child of the root window."""
    frame = window
    while True:
        parent = frame.query_tree().parent
        if parent is None or parent.id == root.id:
            break
        frame = parent
    geometry = frame.get_geometry()
    position = frame.translate_coords(root, 0, 0)
    # translate_coords gives root's origin in the frame's coordinates: the frame's position, negated.
    border = geometry.border_width
    return (
        -position.x - border,
        -position.y - border,
        geometry.width + 2 * border,
        geometry.height + 2 * border,
    )


def _windows_foreground() -> FocusedWindow:
    if sys.platform != "win32":  # called on Windows only; this tells mypy that ctypes.WinDLL is there
        raise OSError(_("This works only on Windows."))
    import ctypes
    from ctypes import wintypes

    user32 = ctypes.WinDLL("user32", use_last_error=True)
    user32.GetForegroundWindow.restype = wintypes.HWND
    handle = user32.GetForegroundWindow()
    if not handle:
        raise NoFocusedWindow(_("No window has the focus. Click a window or switch to one, then try again."))
    length = user32.GetWindowTextLengthW(handle)
    title = ctypes.create_unicode_buffer(length + 1)
    user32.GetWindowTextW(handle, title, length + 1)
    rect = wintypes.RECT()
    # The frame as drawn (DWMWA_EXTENDED_FRAME_BOUNDS = 9); GetWindowRect adds invisible resize borders.
    if ctypes.windll.dwmapi.DwmGetWindowAttribute(handle, 9, ctypes.byref(rect), ctypes.sizeof(rect)) != 0:
        user32.GetWindowRect(handle, ctypes.byref(rect))
    return FocusedWindow(title.value, (rect.left, rect.top, rect.right - rect.left, rect.bottom - rect.top))


def frontmost_of(windows: list[dict[str, Any]]) -> FocusedWindow | None:
    """macOS: the first normal (layer 0) window in Quartz's front-to-back list, as a FocusedWindow."""
    for info in windows:
        if info.get("kCGWindowLayer", 0) != 0:
            continue
        bounds = info.get("kCGWindowBounds") or {}
        width, height = int(bounds.get("Width", 0)), int(bounds.get("Height", 0))
        if width <= 1 or height <= 1:
            continue
        owner, name = info.get("kCGWindowOwnerName") or "", info.get("kCGWindowName") or ""
        # The window's own name needs the screen-recording permission; the app's name stands in.
        title = f"{name} - {owner}" if name and owner and owner not in name else name or owner
        return FocusedWindow(title, (int(bounds.get("X", 0)), int(bounds.get("Y", 0)), width, height))
    return None


def _mac_frontmost() -> FocusedWindow:
    import Quartz  # pyobjc-framework-Quartz, a dependency on macOS

    options = Quartz.kCGWindowListOptionOnScreenOnly | Quartz.kCGWindowListExcludeDesktopElements
    windows = Quartz.CGWindowListCopyWindowInfo(options, Quartz.kCGNullWindowID) or []
    window = frontmost_of([dict(info) for info in windows])
    if window is None:
        raise NoFocusedWindow(_("No window has the focus. Click a window or switch to one, then try again."))
    return window
