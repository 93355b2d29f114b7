"""Global hotkey backends: `keyboard` on Windows, pynput on X11 and macOS, and on Wayland the desktop's
GlobalShortcuts portal where it offers one (`assistant trigger` bound by hand where it does not).

Each backend translates our `Hotkey` into its library's notation, registers what it can, and returns
one sentence per hotkey it could not register. The libraries are imported only in `start()`: pynput
opens an X connection when it is imported.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from assistant.hotkeys.combos import Hotkey
from assistant.hotkeys.portal import offers, session_bus_address
from assistant.hotkeys.portal_shortcuts import SHORTCUTS, PortalShortcutsBackend
from assistant.i18n import N_, _

ActionCallback = Callable[[str], None]

# Translators: ends sentences about hotkeys that cannot work; keep the command “assistant trigger describe-screen” as it is.
TRIGGER_HINT = N_(
    "bind “assistant trigger describe-screen” (and the other actions) to keys in your desktop's keyboard settings"
)
# Said in the user's language where they are said: _(WAYLAND_PROBLEM); whole sentences, for translators.
WAYLAND_PROBLEM = N_(
    "Global hotkeys are not available on Wayland; bind “assistant trigger describe-screen” (and the other "
    "actions) to keys in your desktop's keyboard settings, and the tray menu works as usual."
)
XWAYLAND_PROBLEM = N_(
    "On Wayland these hotkeys reach the assistant only while an X11 window has focus; for hotkeys that work "
    "everywhere, bind “assistant trigger describe-screen” (and the other actions) to keys in your desktop's "
    "keyboard settings."
)
# sway has no keyboard settings to bind keys in: its config file is the way.
SWAY_PROBLEM = N_(
    "sway does not let the assistant take hotkeys itself; add lines such as “bindsym Ctrl+Alt+d exec "
    "assistant trigger describe-screen” to sway's config file, ~/.config/sway/config, one for each action, "
    "then reload sway with “swaymsg reload”."
)
NO_DISPLAY_PROBLEM = N_(
    "Global hotkeys need a graphical desktop and none was found; bind “assistant trigger describe-screen” "
    "(and the other actions) to keys in your desktop's keyboard settings."
)


def trigger_hint() -> str:
    """How to bind the actions where the app cannot take hotkeys itself, in the user's language."""
    return _(TRIGGER_HINT)


READY_TIMEOUT = 5.0

_log = logging.getLogger(__name__)


class Backend(Protocol):
    name: str

    def start(self, bindings: Mapping[Hotkey, str], on_action: ActionCallback) -> list[str]:
        """Register each hotkey -> action; return one sentence per problem."""

    def stop(self) -> None: ...


def choose_backend(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> tuple[Backend | None, list[str]]:
    """The backend for this desktop (or None) and sentences the user should hear about it."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return KeyboardBackend(), []
    if platform == "darwin":
        return PynputBackend(), []
    wayland = bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    if wayland and (address := session_bus_address(environ)) and offers(SHORTCUTS, address) is not None:
        return PortalShortcutsBackend(address), []
    on_sway = wayland and bool(
        environ.get("SWAYSOCK") or "sway" in environ.get("XDG_CURRENT_DESKTOP", "").lower()
    )
    if not environ.get("DISPLAY"):
        return None, [_(SWAY_PROBLEM if on_sway else WAYLAND_PROBLEM if wayland else NO_DISPLAY_PROBLEM)]
    return PynputBackend(), [_(SWAY_PROBLEM if on_sway else XWAYLAND_PROBLEM)] if wayland else []


def _guarded(on_action: ActionCallback, action: str) -> Callable[[], None]:
    """A callback that never lets an exception reach the backend (pynput stops listening on one)."""

    def fire() -> None:
        try:
            on_action(action)
        except Exception:  # the UI reports its own failures; the hotkeys must keep working
            _log.exception("hotkey action %s failed", action)

    return fire


_PYNPUT_MODIFIERS = {"ctrl": "<ctrl>", "alt": "<alt>", "shift": "<shift>", "super": "<cmd>"}


def pynput_combo(hotkey: Hotkey) -> str:
    """Our hotkey in pynput's HotKey.parse notation: ctrl+alt+d -> <ctrl>+<alt>+d."""
    key = hotkey.key if hotkey.is_character else f"<{hotkey.key}>"
    return "+".join((*(_PYNPUT_MODIFIERS[name] for name in hotkey.modifiers), key))


_KEYBOARD_MODIFIERS = {"ctrl": "ctrl", "alt": "alt", "shift": "shift", "super": "windows"}
_KEYBOARD_KEYS = {
    "page_up": "page up",
    "page_down": "page down",
    "print_screen": "print screen",
    "scroll_lock": "scroll lock",
    ",": "comma",  # a bare comma separates steps in the keyboard package's notation
}


def keyboard_combo(hotkey: Hotkey) -> str:
    """Our hotkey in the `keyboard` package's notation: super+page_up -> windows+page up."""
    key = _KEYBOARD_KEYS.get(hotkey.key, hotkey.key)
    return "+".join((*(_KEYBOARD_MODIFIERS[name] for name in hotkey.modifiers), key))


def _cannot_register(hotkey: Hotkey, action: str, why: str) -> str:
    return _(
        "The hotkey {hotkey} for {action} could not be registered ({why}); choose another in Settings."
    ).format(hotkey=hotkey, action=action, why=why)


_CONSOLE_KEYS = frozenset(f"f{number}" for number in range(1, 13))


def _x11_problem() -> str | None:
    """Why pynput cannot watch this X display, or None (it needs a connection and the RECORD extension)."""
    name = os.environ.get("DISPLAY", "")
    try:
        import Xlib.display

        display = Xlib.display.Display()
    except Exception:
        return _(
            "Global hotkeys could not start because the X display {name} cannot be reached; {hint}."
        ).format(name=name, hint=trigger_hint())
    try:
        if not display.has_extension("RECORD"):
            return _(
                "Global hotkeys could not start because the X display {name} lacks the RECORD extension; {hint}."
            ).format(name=name, hint=trigger_hint())
    finally:
        display.close()
    return None


def _end_x_recording(listener: Any) -> None:
    """Disable the listener's XRecord context over a connection of our own.

    pynput's stop() sends the request on the connection its thread is blocked reading, so the thread
    would only end at the next key press (moses-palmer/pynput#583).
    """
    context = getattr(listener, "_context", None)
    if context is None:
        return
    with contextlib.suppress(Exception):  # the X server may be gone already; then so is the recording
        import Xlib.display

        display = Xlib.display.Display()
        try:
            display.record_disable_context(context)
            display.sync()
        finally:
            display.close()


class PynputBackend:
    """pynput's GlobalHotKeys listener (X11 through XRecord, macOS through a Quartz event tap)."""

    name = "pynput"

    def __init__(self) -> None:
        self._listener: Any = None

    def start(self, bindings: Mapping[Hotkey, str], on_action: ActionCallback) -> list[str]:
        x11 = sys.platform not in ("darwin", "win32")
        if x11 and (problem := _x11_problem()):
            return [problem]
        try:
            from pynput import keyboard
        except Exception as error:  # ImportError, or Xlib failing to connect
            return [
                _(
                    "Global hotkeys could not start because the keyboard cannot be watched here ({error}); {hint}."
                ).format(error=error, hint=trigger_hint())
            ]
        problems: list[str] = []
        callbacks: dict[str, Callable[[], None]] = {}
        for hotkey, action in bindings.items():
            if x11 and {"ctrl", "alt"} <= set(hotkey.modifiers) and hotkey.key in _CONSOLE_KEYS:
                problems.append(
                    _cannot_register(hotkey, action, _("Ctrl+Alt+F1 to F12 switch to a text console"))
                )
                continue
            combo = pynput_combo(hotkey)
            try:
                keyboard.HotKey.parse(combo)
            except (ValueError, KeyError):
                problems.append(_cannot_register(hotkey, action, _("this system has no such key")))
                continue
            callbacks[combo] = _guarded(on_action, action)
        if not callbacks:
            return problems

        ready = threading.Event()

        class Listener(keyboard.GlobalHotKeys):
            def _mark_ready(self) -> None:
                super()._mark_ready()
                ready.set()

        listener = Listener(callbacks)
        listener.daemon = True
        listener.name = "assistant-hotkeys"
        listener.start()
        # The listener thread dies without becoming ready when, for example, its X connection fails.
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.05) and listener.is_alive() and time.monotonic() < deadline:
            pass
        if not ready.is_set():
            # A listener that hangs while connecting is left to die with the process (it is a daemon):
            # pynput's stop() would wait for it to become ready.
            reason = _("the keyboard listener did not start in time")
            if not listener.is_alive():
                reason = _("the keyboard listener stopped")
                try:
                    listener.join(0)
                except Exception as error:  # join re-raises what killed the listener thread
                    reason = str(error) or type(error).__name__
            return [
                *problems,
                _("Global hotkeys could not start ({reason}); {hint}.").format(
                    reason=reason, hint=trigger_hint()
                ),
            ]
        if getattr(listener, "IS_TRUSTED", True) is False:  # macOS without the Accessibility permission
            listener.stop()
            return [
                *problems,
                _(
                    "macOS does not let the assistant watch the keyboard yet; allow it in System Settings, "
                    "Privacy & Security, Accessibility, then restart the assistant."
                ),
            ]
        self._listener = listener
        return problems

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.stop()
        if sys.platform not in ("darwin", "win32"):
            _end_x_recording(listener)
        if listener is not threading.current_thread():
            with contextlib.suppress(Exception):  # join re-raises an error from the listener thread
                listener.join(READY_TIMEOUT)


class KeyboardBackend:
    """The `keyboard` package, which hooks the keyboard without special rights on Windows."""

    name = "keyboard"

    def __init__(self) -> None:
        self._handles: list[Any] = []
        self._keyboard: Any = None

    def start(self, bindings: Mapping[Hotkey, str], on_action: ActionCallback) -> list[str]:
        try:
            import keyboard
        except Exception as error:
            return [
                _("Global hotkeys could not start ({error}); use “assistant trigger ACTION” instead.").format(
                    error=error
                )
            ]
        self._keyboard = keyboard
        problems: list[str] = []
        for hotkey, action in bindings.items():
            try:
                handle = keyboard.add_hotkey(keyboard_combo(hotkey), _guarded(on_action, action))
            except (ValueError, ImportError, OSError) as error:
                problems.append(_cannot_register(hotkey, action, str(error) or type(error).__name__))
                continue
            self._handles.append(handle)
        return problems

    def stop(self) -> None:
        handles, self._handles = self._handles, []
        for handle in handles:
            with contextlib.suppress(KeyError, ValueError):
                self._keyboard.remove_hotkey(handle)
