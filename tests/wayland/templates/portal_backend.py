"""A python-dbusmock template: the desktop's side of the portal (org.freedesktop.impl.portal.*) that the
real xdg-desktop-portal calls, as xdg-desktop-portal's own tests/templates do (screenshot.py,
globalshortcuts.py), folded into one mock with its answers set at run time.

Screenshot: answers `response` with `uri` after `delay` ms, or never (`never`); the options it was
given and the requests closed are kept for the test to read. GlobalShortcuts: sessions, the shortcuts
bound (each given a trigger_description from its preferred trigger), Trigger and Change to act as the
desktop's settings dialog would.

Runs inside dbusmock's server (python3 -m dbusmock -t THIS_FILE), which needs dbus-python and gi.
"""

import json

import dbus
import dbus.service
from dbusmock import MOCK_IFACE
from gi.repository import GLib

BUS_NAME = "org.freedesktop.impl.portal.AssistantTest"
MAIN_OBJ = "/org/freedesktop/portal/desktop"
MAIN_IFACE = "org.freedesktop.impl.portal.Screenshot"
SHORTCUTS_IFACE = "org.freedesktop.impl.portal.GlobalShortcuts"
ACCESS_IFACE = "org.freedesktop.impl.portal.Access"
SYSTEM_BUS = False


def load(mock, parameters):
    mock.answer = {"response": 0, "delay": 20, "uri": "", "never": False, "access": 0}
    mock.answer.update(parameters)
    mock.screenshot_options = []
    mock.closed = []
    mock.access_asked = []
    mock.sessions = {}
    # Version 2: the portal asks the permission store, and the Access dialog where it holds no answer.
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary({"version": dbus.UInt32(2)}, signature="sv"))
    mock.AddProperties(SHORTCUTS_IFACE, dbus.Dictionary({"version": dbus.UInt32(1)}, signature="sv"))


class ImplObject(dbus.service.Object):
    """An impl Request or Session: closing it is noted, and ends what waits on it."""

    # dbusmock's method lookup, which serves every object in its server, reads these first.
    methods: dict = {}  # noqa: RUF012
    interface = ""

    def __init__(self, mock, path, on_close=None):
        super().__init__(mock.connection, path)
        self.mock, self.path, self.on_close = mock, path, on_close

    @dbus.service.method("org.freedesktop.impl.portal.Request", in_signature="", out_signature="")
    def Close(self):
        self.mock.closed.append(self.path)
        self.remove_from_connection()
        if self.on_close is not None:
            self.on_close()


class ImplSession(ImplObject):
    @dbus.service.method("org.freedesktop.impl.portal.Session", in_signature="", out_signature="")
    def Close(self):  # the same, on the session's interface
        self.mock.closed.append(self.path)
        self.mock.sessions.pop(self.path, None)
        self.remove_from_connection()


def _answer_later(mock, handle, results, cb_success, granted=False):
    """Answer after `delay` ms, as `answer` says (`never`: not at all); `granted`: 0 whatever it says."""
    request = ImplObject(mock, handle, on_close=lambda: cb_success(dbus.UInt32(2), {}))
    answer = mock.answer
    if answer["never"] and not granted:
        return

    def reply():
        request.remove_from_connection()
        code = 0 if granted else answer["response"]
        cb_success(dbus.UInt32(code), dbus.Dictionary(results(), signature="sv"))
        return False

    GLib.timeout_add(int(answer["delay"]), reply)


@dbus.service.method(
    MAIN_IFACE, in_signature="ossa{sv}", out_signature="ua{sv}", async_callbacks=("cb_success", "cb_error")
)
def Screenshot(self, handle, app_id, parent_window, options, cb_success, cb_error):
    self.screenshot_options.append({str(key): _plain(value) for key, value in options.items()})
    _answer_later(self, handle, lambda: {"uri": self.answer["uri"]} if self.answer["uri"] else {}, cb_success)


@dbus.service.method(ACCESS_IFACE, in_signature="osssssa{sv}", out_signature="ua{sv}")
def AccessDialog(self, handle, app_id, parent_window, title, subtitle, body, options):
    """The desktop's question "Allow applications to take screenshots?", answered `access`."""
    self.access_asked.append(str(title))
    return dbus.UInt32(self.answer["access"]), dbus.Dictionary({}, signature="sv")


def _trigger(preferred):
    return f"Press {preferred}" if preferred else "Not set"


@dbus.service.method(
    SHORTCUTS_IFACE,
    in_signature="oosa{sv}",
    out_signature="ua{sv}",
    async_callbacks=("cb_success", "cb_error"),
)
def CreateSession(self, handle, session_handle, app_id, options, cb_success, cb_error):
    self.sessions[str(session_handle)] = []
    ImplSession(self, session_handle)
    # Sessions are made without a question; the dialog (and `never`, `response`) is BindShortcuts'.
    _answer_later(self, handle, lambda: {"session_handle": session_handle}, cb_success, granted=True)


@dbus.service.method(
    SHORTCUTS_IFACE,
    in_signature="ooa(sa{sv})sa{sv}",
    out_signature="ua{sv}",
    async_callbacks=("cb_success", "cb_error"),
)
def BindShortcuts(self, handle, session_handle, shortcuts, parent_window, options, cb_success, cb_error):
    bound = []
    for shortcut_id, details in shortcuts:
        description = str(details.get("description", ""))
        preferred = str(details.get("preferred_trigger", ""))
        bound.append(
            dbus.Struct(
                (shortcut_id, {"description": description, "trigger_description": _trigger(preferred)}),
                signature="sa{sv}",
            )
        )
    self.sessions[str(session_handle)] = bound
    _answer_later(self, handle, lambda: {"shortcuts": dbus.Array(bound, signature="(sa{sv})")}, cb_success)


@dbus.service.method(SHORTCUTS_IFACE, in_signature="oo", out_signature="ua{sv}")
def ListShortcuts(self, handle, session_handle):
    bound = self.sessions.get(str(session_handle), [])
    return dbus.UInt32(0), {"shortcuts": dbus.Array(bound, signature="(sa{sv})")}


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="")
def SetAnswer(self, answer_json):
    self.answer.update(json.loads(answer_json))


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="s")
def Seen(self):
    """What the desktop side was asked: screenshot options, closed objects, shortcuts per session."""
    sessions = {path: [(str(i), _plain(d)) for i, d in bound] for path, bound in self.sessions.items()}
    return json.dumps(
        {
            "screenshot_options": self.screenshot_options,
            "closed": self.closed,
            "sessions": sessions,
            "access_asked": self.access_asked,
        }
    )


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="")
def Trigger(self, shortcut_id):
    """The user presses a bound shortcut: Activated then Deactivated, on every session holding it."""
    for session_handle, bound in self.sessions.items():
        if any(str(i) == shortcut_id for i, _ in bound):
            for name in ("Activated", "Deactivated"):
                self.EmitSignal(
                    SHORTCUTS_IFACE,
                    name,
                    "osta{sv}",
                    [
                        dbus.ObjectPath(session_handle),
                        shortcut_id,
                        dbus.UInt64(1),
                        dbus.Dictionary({}, signature="sv"),
                    ],
                )


@dbus.service.method(MOCK_IFACE, in_signature="ss", out_signature="")
def Change(self, shortcut_id, trigger):
    """The user gives a shortcut another key in the desktop's dialog: ShortcutsChanged."""
    for session_handle, bound in self.sessions.items():
        changed = []
        for i, details in bound:
            if str(i) == shortcut_id:
                details = {**details, "trigger_description": trigger}
            changed.append(dbus.Struct((i, details), signature="sa{sv}"))
        self.sessions[session_handle] = changed
        self.EmitSignal(
            SHORTCUTS_IFACE,
            "ShortcutsChanged",
            "oa(sa{sv})",
            [dbus.ObjectPath(session_handle), dbus.Array(changed, signature="(sa{sv})")],
        )


def _plain(value):
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return str(value)
