"""A stand-in org.freedesktop.ScreenSaver on the session bus: GetActive answers what argv[1] says."""

import sys

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

active = sys.argv[1] == "true"
with open_dbus_connection(bus="SESSION") as connection:
    connection.send_and_get_reply(message_bus.RequestName("org.freedesktop.ScreenSaver"))
    print("ready", flush=True)
    while True:
        message = connection.receive()
        if message.header.message_type != MessageType.method_call:
            continue
        if message.header.fields.get(HeaderFields.member) == "GetActive":
            connection.send(new_method_return(message, "b", (active,)))
        else:
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))
