"""Global hotkeys through `org.freedesktop.portal.GlobalShortcuts` (KDE Plasma 5.27+, GNOME 48+, Hyprland).

On Wayland no program may watch the keyboard; the desktop binds keys for it instead. Every action of
the registry is bound with its description and our hotkey as the preferred trigger; the desktop may
show its own dialog, where the user confirms or changes the keys. What it bound, and every later
change made in its settings (`ShortcutsChanged`), is kept in `triggers` for Settings to show.
A key pressed arrives as `Activated` on the session; one listener thread hands it to `on_action`.
The binding itself waits on that thread too: the desktop's dialog may take the user minutes, and the
app's own thread must not wait for it. A binding that fails is logged and kept in `problem`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from assistant.actions import BY_NAME
from assistant.hotkeys.combos import Hotkey
from assistant.hotkeys.portal import Portal, PortalTimeout, PortalUnavailable, new_token, unpack
from assistant.i18n import N_, _

SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
BIND_SECONDS = 120.0
"""The desktop may ask the user to confirm the keys; time to read and answer."""
TRIGGER_HINT = N_(
    "bind “assistant trigger describe-screen” (and the other actions) to keys in your desktop's keyboard settings"
)
# Said in the user's language where it is said: _(NO_PORTAL).
NO_PORTAL = N_(
    "This desktop offers no global shortcuts portal; bind “assistant trigger describe-screen” (and the other "
    "actions) to keys in your desktop's keyboard settings."
)

_MODIFIERS = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "super": "LOGO"}
_KEYS = {
    "page_up": "Page_Up",
    "page_down": "Page_Down",
    "print_screen": "Print",
    "scroll_lock": "Scroll_Lock",
    "esc": "Escape",
    "enter": "Return",
    "backspace": "BackSpace",
    "delete": "Delete",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "pause": "Pause",
    "menu": "Menu",
    "tab": "Tab",
    "space": "space",
    ",": "comma",
    ".": "period",
    "/": "slash",
    ";": "semicolon",
    "'": "apostrophe",
    "[": "bracketleft",
    "]": "bracketright",
    "-": "minus",
    "=": "equal",
    "`": "grave",
    "\\": "backslash",
}

_log = logging.getLogger(__name__)
_STOP = object()


def portal_trigger(hotkey: Hotkey) -> str:
    """Our hotkey in the shortcuts specification's notation (xkb key names): ctrl+alt+page_up -> CTRL+ALT+Page_Up."""
    key = hotkey.key
    name = _KEYS.get(key) or (key.upper() if key[:1] == "f" and key[1:].isdigit() else key)
    return "+".join((*(_MODIFIERS[modifier] for modifier in hotkey.modifiers), name))


def _triggers(shortcuts: Any) -> dict[str, str]:
    return {str(name): str(details.get("trigger_description", "")) for name, details in shortcuts or ()}


class PortalShortcutsBackend:
    name = "portal"

    def __init__(self, address: str | None = None, bind_deadline: float = BIND_SECONDS) -> None:
        self._address = address
        self._bind_deadline = bind_deadline
        self._portal: Portal | None = None
        self._session = ""
        self._listener: threading.Thread | None = None
        self._signals: queue.Queue[Any] = queue.Queue()
        self._filters: list[Any] = []
        self._lock = threading.Lock()
        self._bound: dict[str, str] = {}
        self._problem: str | None = None
        self._stopping = threading.Event()
        # Told the problem once, on the listener thread, as soon as a binding fails (the app says it).
        self.on_problem: Callable[[str], None] | None = None

    @property
    def problem(self) -> str | None:
        """Why the desktop did not bind the keys (one sentence saying what to do), or None."""
        with self._lock:
            return self._problem

    @property
    def triggers(self) -> dict[str, str]:
        """action -> the keys the desktop bound to it, in its own words ("" where none)."""
        with self._lock:
            return dict(self._bound)

    def start(self, bindings: Mapping[Hotkey, str], on_action: Callable[[str], None]) -> list[str]:
        self.stop()
        try:
            portal = Portal(self._address)
        except PortalUnavailable:
            return [_(NO_PORTAL)]
        self._portal = portal
        self._stopping.clear()
        # The session is opened on the listener thread too: start() runs on the Qt thread, and a portal
        # still starting (at login) kept it waiting up to 2 s a call and 10 s for the session.
        self._listener = threading.Thread(
            target=self._open_bind_listen,
            args=(portal, bindings, on_action),
            name="assistant-portal-shortcuts",
            daemon=True,
        )
        self._listener.start()
        return []

    def _open_bind_listen(
        self, portal: Portal, bindings: Mapping[Hotkey, str], on_action: Callable[[str], None]
    ) -> None:
        try:
            problem = self._open_session(portal)
        except (PortalUnavailable, PortalTimeout) as error:
            _log.warning("global shortcuts portal: %s", error)
            problem = _("The desktop's global shortcuts could not be set up; {hint}.").format(
                hint=_(TRIGGER_HINT)
            )
        if problem is None:
            self._bind_then_listen(portal, bindings, on_action)
        else:
            self._report(problem)

    def _report(self, problem: str) -> None:
        """Keep the problem and tell it once (the app says it), unless the app is stopping the backend."""
        if self._stopping.is_set():
            return
        _log.warning("%s", problem)
        with self._lock:
            self._problem = problem
        if self.on_problem is not None:
            self.on_problem(problem)

    def _open_session(self, portal: Portal) -> str | None:
        from jeepney import MatchRule, message_bus

        if portal.version(SHORTCUTS) is None:
            return _(NO_PORTAL)
        for member in ("Activated", "ShortcutsChanged"):
            rule = MatchRule(type="signal", interface=SHORTCUTS, member=member)
            portal.router.send_and_get_reply(message_bus.AddMatch(rule), timeout=2)
            handle = portal.router.filter(rule, queue=self._signals, bufsize=64)
            self._filters.append(handle)
        created = portal.request(
            SHORTCUTS,
            "CreateSession",
            "a{sv}",
            (),
            {"session_handle_token": ("s", new_token())},
            10.0,
            cancelled=self._stopping,
        )
        if not created.granted:
            return _("The desktop refused global shortcuts; {hint}.").format(hint=_(TRIGGER_HINT))
        self._session = str(created.results["session_handle"])
        return None

    def _bind_then_listen(
        self, portal: Portal, bindings: Mapping[Hotkey, str], on_action: Callable[[str], None]
    ) -> None:
        try:
            problem = self._bind(portal, bindings)
        except PortalUnavailable as error:
            _log.warning("global shortcuts portal: %s", error)
            problem = _("The desktop's global shortcuts could not be set up; {hint}.").format(
                hint=_(TRIGGER_HINT)
            )
        if problem is not None:
            self._report(problem)
        self._listen(on_action)

    def _bind(self, portal: Portal, bindings: Mapping[Hotkey, str]) -> str | None:
        shortcuts = [
            (
                action,
                {
                    "description": ("s", BY_NAME[action].help if action in BY_NAME else action),
                    "preferred_trigger": ("s", portal_trigger(hotkey)),
                },
            )
            for hotkey, action in bindings.items()
        ]
        try:
            bound = portal.request(
                SHORTCUTS,
                "BindShortcuts",
                "oa(sa{sv})sa{sv}",
                (self._session, shortcuts, ""),
                {},
                self._bind_deadline,
                cancelled=self._stopping,
            )
        except PortalTimeout:
            return _("The desktop did not answer the request to bind the hotkeys; {hint}.").format(
                hint=_(TRIGGER_HINT)
            )
        if not bound.granted:
            return _("The hotkeys were not bound, as the desktop's dialog was cancelled; {hint}.").format(
                hint=_(TRIGGER_HINT)
            )
        with self._lock:
            self._bound = _triggers(bound.results.get("shortcuts"))
        return None

    def _listen(self, on_action: Callable[[str], None]) -> None:
        from jeepney import HeaderFields

        while (message := self._signals.get()) is not _STOP:
            member = message.header.fields.get(HeaderFields.member)
            if not message.body or str(message.body[0]) != self._session:
                continue  # another session's (another app's) shortcut
            if member == "ShortcutsChanged":
                with self._lock:
                    self._bound = _triggers(unpack("a(sa{sv})", message.body[1]))
            elif member == "Activated":
                try:
                    on_action(str(message.body[1]))
                except Exception:  # the UI reports its own failures; the hotkeys must keep working
                    _log.exception("hotkey action %s failed", message.body[1])

    def _drop_filters(self) -> None:
        filters, self._filters = self._filters, []
        for handle in filters:
            handle.close()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            self._stopping.set()  # a binding still waiting for the desktop's dialog gives up
            self._signals.put(_STOP)
            if listener is not threading.current_thread():
                listener.join(5)
        portal, self._portal = self._portal, None
        if portal is None:
            return
        self._drop_filters()
        if self._session:
            with contextlib.suppress(PortalUnavailable):  # the desktop may have closed it already
                portal.call("org.freedesktop.portal.Session", "Close", "", path=self._session)
        portal.close()
        self._signals = queue.Queue()
