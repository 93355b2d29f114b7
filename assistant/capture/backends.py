"""Capture backends, one a file, chosen in one place as hotkeys choose theirs (`choose_backend`).

mss on X11, Windows and macOS (today's behaviour). On Wayland: grim, wlroots' screencopy, where the
compositor is sway or Hyprland; then xdg-desktop-portal's Screenshot; then mss as a last resort where
XWayland gives an X display (it sees only X11 windows). The ScreenCast portal (one frame a request of
a PipeWire stream that stays open, agreed once through its restore token) comes after the Screenshot
portal: its first use asks, so it is the user's choice. The user's choice (the settings'
`capture_backend`, handed over by the app through `use_backend`) comes first where it can run here.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping

from assistant.capture.base import CaptureBackend
from assistant.config import CAPTURE_BACKENDS as CHOICES
from assistant.i18n import _, pgettext

_WLROOTS_DESKTOPS = ("sway", "hyprland", "river", "wlroots", "wayfire", "labwc")

_preferred = "auto"
_chosen: dict[tuple[str | None, ...], CaptureBackend] = {}
_lock = threading.Lock()


def is_wayland(environ: Mapping[str, str], platform: str) -> bool:
    return platform.startswith("linux") and (
        bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    )


def is_wlroots(environ: Mapping[str, str]) -> bool:
    """A wlroots compositor (sway, Hyprland...), which offers screencopy to grim."""
    desktop = environ.get("XDG_CURRENT_DESKTOP", "").lower()
    return bool(environ.get("SWAYSOCK") or environ.get("HYPRLAND_INSTANCE_SIGNATURE")) or any(
        name in desktop for name in _WLROOTS_DESKTOPS
    )


def candidates(environ: Mapping[str, str] | None = None, platform: str | None = None) -> list[str]:
    """The backends worth trying on this desktop, best first (before the user's choice)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not is_wayland(environ, platform):
        return ["mss"]
    # grim even where it is not installed: on sway it is the way, so where nothing else runs its grabs say
    # to install it (the portal's sentence sent users of sway to xdg-desktop-portal instead).
    names = ["grim"] if is_wlroots(environ) else []
    names += ["portal", "screencast"]  # the screencast is chosen, not guessed: its first use asks
    if environ.get("DISPLAY"):
        names.append("mss")
    return names


def make(name: str) -> CaptureBackend:
    """A backend by its settings name."""
    if name == "grim":
        from assistant.capture.grim import GrimBackend

        return GrimBackend()
    if name == "screencast":
        from assistant.capture.portal_screencast import PortalScreenCastBackend

        return PortalScreenCastBackend()
    if name == "portal":
        from assistant.capture.portal_screenshot import PortalScreenshotBackend

        return PortalScreenshotBackend()
    from assistant.capture.mss_backend import MssBackend

    return MssBackend()


def choose_backend(
    environ: Mapping[str, str] | None = None, platform: str | None = None, preferred: str | None = None
) -> tuple[CaptureBackend, list[str]]:
    """The backend for this desktop and sentences the user should hear about the choice.

    The first of the user's choice and `candidates` that can run here; where none can, the first
    candidate, whose grabs then say what to do.
    """
    preferred = _preferred if preferred is None else preferred
    names = candidates(environ, platform)
    notes: list[str] = []
    if preferred in CHOICES and preferred != "auto":
        backend = make(preferred)
        if (problem := backend.problem()) is None:
            return backend, []
        notes.append(
            _("The chosen screen capture, {title}, cannot run here: {problem}").format(
                title=_(backend.title), problem=problem
            )
        )
        names = [name for name in names if name != preferred]
    for name in names:
        backend = make(name)
        if backend.problem() is None:
            return backend, notes
    # Nothing can run: the user's choice, else the best candidate, whose grabs say what to do.
    return make(preferred if notes else names[0]), notes


def use_backend(name: str) -> None:
    """The user's choice from the settings ("auto" to let the desktop decide); applies to the next grab."""
    global _preferred
    with _lock:
        _preferred = name if name in CHOICES else "auto"
        kept = list(_chosen.values())
        _chosen.clear()
    for backend in kept:
        close = getattr(backend, "close", None)
        if close is not None:
            close()  # a ScreenCast session kept open for the old choice ends with it


def preferred() -> str:
    """The user's choice as last handed over by `use_backend` ("auto" until then)."""
    return _preferred


def current_backend() -> CaptureBackend:
    """The backend the next grab uses; a working choice is kept until the desktop or the choice changes."""
    keys = ("WAYLAND_DISPLAY", "DISPLAY", "XDG_SESSION_TYPE", "DBUS_SESSION_BUS_ADDRESS", "SWAYSOCK")
    key = (_preferred, sys.platform, *(os.environ.get(name) for name in keys))
    with _lock:
        if (kept := _chosen.get(key)) is not None:
            return kept
    backend, _notes = choose_backend()
    if backend.problem() is None:  # a backend that cannot run yet is asked again next time
        with _lock:
            _chosen[key] = backend
    return backend


def report(
    environ: Mapping[str, str] | None = None, platform: str | None = None, preferred: str | None = None
) -> list[str]:
    """For `doctor`: each way to capture this desktop, whether it can run, and the one in use."""
    chosen, notes = choose_backend(environ, platform, preferred)
    names = candidates(environ, platform)
    if (preferred or _preferred) in CHOICES[1:] and (preferred or _preferred) not in names:
        names.insert(0, preferred or _preferred)
    lines = []
    for name in names:
        backend = chosen if name == chosen.name else make(name)
        problem = backend.problem()
        if problem is not None:
            state = problem
        elif name == chosen.name:
            state = pgettext("capture method", "in use")
        else:
            state = pgettext("capture method", "ready")
        lines.append(_("Screen capture through {title}: {state}").format(title=_(backend.title), state=state))
    if is_wayland(os.environ if environ is None else environ, sys.platform if platform is None else platform):
        lines.append(monitor_line())
    return lines + notes


def monitor_line() -> str:
    """For `doctor` on Wayland: how the monitor to describe is found, or that it cannot be."""
    from assistant.capture import monitors

    monitor = monitors.current(monitors.layout())
    if monitor is None:
        return _(
            "Monitors: this desktop does not say which monitor you are on, so with several monitors all of them are described in one picture."
        )
    name = monitor.name
    if name.isdigit():  # KWin 5.27 numbers its screens from 0: "now 0" said nothing to the user
        name = _("monitor {number}").format(number=int(name) + 1)
    return _("Monitors: the screen described is the one you are on, now {name}, as the desktop says.").format(
        name=name
    )


def set_up(name: str = "auto") -> str:
    """The first capture, asked from the app's own window, where the desktop's question can be answered.

    Returns one sentence on how it went; a refusal or no answer raises CaptureError saying what to do.
    """
    backend = choose_backend(preferred=name)[0]
    ask = getattr(backend, "set_up", None)
    if ask is None:  # mss and grim ask nothing: one grab shows that capture works
        backend.grab_screen()
        return _("The screen can be captured through {title}; the desktop asks nothing.").format(
            title=_(backend.title)
        )
    ask()
    return _("The desktop allowed screen capture through {title}; later captures ask nothing.").format(
        title=_(backend.title)
    )
