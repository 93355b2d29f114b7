"""A python-dbusmock template standing in for the portal itself (org.freedesktop.portal.Desktop) with a
Screenshot of a chosen `version` and `AvailableTargets`: Debian's xdg-desktop-portal is version 2, so the
version 1 portal (no target) and the version 3 one (a `target` such as the active window) are mocked here.
Each request's options are kept; the answer is a picture at `uri`, on the request object's Response.
"""

import json

import dbus
import dbusmock
from dbusmock import MOCK_IFACE
from gi.repository import GLib

BUS_NAME = "org.freedesktop.portal.Desktop"
MAIN_OBJ = "/org/freedesktop/portal/desktop"
MAIN_IFACE = "org.freedesktop.portal.Screenshot"
SYSTEM_BUS = False


def load(mock, parameters):
    mock.uri = parameters.get("uri", "")
    mock.requests = []
    properties = {"version": dbus.UInt32(parameters.get("version", 3))}
    if "targets" in parameters:
        properties["AvailableTargets"] = dbus.UInt32(parameters["targets"])
    mock.AddProperties(MAIN_IFACE, dbus.Dictionary(properties, signature="sv"))


@dbus.service.method(MAIN_IFACE, in_signature="sa{sv}", out_signature="o", sender_keyword="sender")
def Screenshot(self, parent_window, options, sender):
    self.requests.append({str(key): int(value) for key, value in options.items() if key != "handle_token"})
    name = str(sender)[1:].replace(".", "_")
    handle = f"/org/freedesktop/portal/desktop/request/{name}/{options['handle_token']}"
    self.AddObject(handle, "org.freedesktop.portal.Request", {}, [("Close", "", "", "")])

    def respond():
        results = dbus.Dictionary({"uri": self.uri}, signature="sv")
        dbusmock.get_object(handle).EmitSignal(
            "org.freedesktop.portal.Request", "Response", "ua{sv}", [dbus.UInt32(0), results]
        )
        return False

    GLib.timeout_add(20, respond)
    return dbus.ObjectPath(handle)


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="s")
def Seen(self):
    return json.dumps(self.requests)
