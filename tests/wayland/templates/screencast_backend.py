"""A python-dbusmock template: the desktop's side of ScreenCast (org.freedesktop.impl.portal.ScreenCast),
as xdg-desktop-portal's tests/templates/screencast.py, with its answers set at run time.

Start answers one monitor stream with `persist_mode` and `restore_data`, so that the real portal hands
the app a restore token and keeps the data in its permission store; the SelectSources options seen
(a restored session brings `restore_data` back) are kept for the test to read.
"""

import json

import dbus
import dbus.service
from dbusmock import MOCK_IFACE
from gi.repository import GLib

BUS_NAME = "org.freedesktop.impl.portal.AssistantCast"
MAIN_OBJ = "/org/freedesktop/portal/desktop"
MAIN_IFACE = "org.freedesktop.impl.portal.ScreenCast"
SYSTEM_BUS = False


def load(mock, parameters):
    mock.answer = {"response": 0, "delay": 20, "never": False}
    mock.answer.update(parameters)
    mock.selected = []
    mock.sessions = []
    mock.closed = []
    props = {
        "version": dbus.UInt32(4),
        "AvailableSourceTypes": dbus.UInt32(7),
        "AvailableCursorModes": dbus.UInt32(7),
    }
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary(props, signature="sv"))


class ImplObject(dbus.service.Object):
    # dbusmock's method lookup, which serves every object in its server, reads these first.
    methods: dict = {}  # noqa: RUF012
    interface = ""

    @dbus.service.method("org.freedesktop.impl.portal.Request", in_signature="", out_signature="")
    def Close(self):
        self.remove_from_connection()


class ImplSession(dbus.service.Object):
    methods: dict = {}  # noqa: RUF012
    interface = ""

    def __init__(self, mock, path):
        super().__init__(mock.connection, path)
        self.mock, self.path = mock, str(path)

    @dbus.service.method("org.freedesktop.impl.portal.Session", in_signature="", out_signature="")
    def Close(self):
        self.mock.closed.append(self.path)
        self.remove_from_connection()


def _answer(mock, handle, results, cb_success, response=None):
    request = ImplObject(mock.connection, handle)
    if mock.answer["never"]:
        return

    def reply():
        request.remove_from_connection()
        code = mock.answer["response"] if response is None else response
        cb_success(dbus.UInt32(code), dbus.Dictionary(results, signature="sv"))
        return False

    GLib.timeout_add(int(mock.answer["delay"]), reply)


@dbus.service.method(
    MAIN_IFACE, in_signature="oosa{sv}", out_signature="ua{sv}", async_callbacks=("cb_success", "cb_error")
)
def CreateSession(self, handle, session_handle, app_id, options, cb_success, cb_error):
    ImplSession(self, session_handle)
    self.sessions.append(str(session_handle))
    _answer(self, handle, {"session_id": "assistant-test"}, cb_success, response=0)


@dbus.service.method(
    MAIN_IFACE, in_signature="oosa{sv}", out_signature="ua{sv}", async_callbacks=("cb_success", "cb_error")
)
def SelectSources(self, handle, session_handle, app_id, options, cb_success, cb_error):
    self.selected.append({str(key): str(value) for key, value in options.items()})
    _answer(self, handle, {}, cb_success, response=0)


@dbus.service.method(
    MAIN_IFACE, in_signature="oossa{sv}", out_signature="ua{sv}", async_callbacks=("cb_success", "cb_error")
)
def Start(self, handle, session_handle, app_id, parent_window, options, cb_success, cb_error):
    stream = dbus.Struct(
        (
            dbus.UInt32(42),
            dbus.Dictionary(
                {
                    "position": dbus.Struct((0, 0), signature="ii"),
                    "size": dbus.Struct((64, 48), signature="ii"),
                    "source_type": dbus.UInt32(1),
                },
                signature="sv",
            ),
        ),
        signature="ua{sv}",
    )
    results = {
        "streams": dbus.Array([stream], signature="(ua{sv})"),
        "persist_mode": dbus.UInt32(2),
        "restore_data": dbus.Struct(
            ("assistant-test", dbus.UInt32(1), dbus.String("HEADLESS-1", variant_level=1)), signature="suv"
        ),
    }
    _answer(self, handle, results, cb_success)


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="")
def SetAnswer(self, answer_json):
    self.answer.update(json.loads(answer_json))


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="s")
def Seen(self):
    return json.dumps({"selected": self.selected, "sessions": self.sessions, "closed": self.closed})
