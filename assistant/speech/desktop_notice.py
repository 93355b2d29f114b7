"""A sentence for a user who sees no terminal: a desktop notification (org.freedesktop.Notifications)
and, where speech-dispatcher runs, the same sentence spoken through it.

`assistant trigger` bound to a key (sway's bindsym, a desktop's custom shortcut) prints why the app did
not take the action to a terminal nobody sees: pressed with the app not running, nothing was heard.
Nothing here starts a service: D-Bus may start the desktop's notification service, as for any
notification, and a speech-dispatcher that is not running is left so. Each way has a deadline, so a
key press never leaves a process behind that waits on a bus or a socket.

The same knowledge serves the app's tray: whether its messages are notifications that the desktop's
screen reader reads out already (`tray_messages_read_out`).
"""

from __future__ import annotations

import logging
import threading

from assistant.i18n import SOURCE_LANGUAGE, _, language
from assistant.speech.screen_reader_routes import ScreenReaderLost
from assistant.speech.screen_reader_speechd import import_speechd

log = logging.getLogger(__name__)

DEADLINE = 2.0  # seconds for both ways together (D-Bus may start the notification service first)
NOTIFICATIONS = ("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
# Notification services whose pop-ups a screen reader reads out as they appear (GetServerInformation's
# name): there the sentence is not said through speech-dispatcher as well, which would say it twice.
# GNOME Shell's are read by Orca; mako's, dunst's and MATE's are not.
READ_OUT_BY_SCREEN_READERS = frozenset({"GNOME Shell"})


def tell_outside(sentence: str, deadline: float = DEADLINE) -> None:
    """Show `sentence` as a desktop notification and say it through speech-dispatcher, each where it
    can be (said only where the notification's pop-up is not read out already); waits at most
    `deadline` seconds for both."""
    way = threading.Thread(target=_tell, args=(sentence, deadline), name="tell-outside", daemon=True)
    way.start()
    # Still waiting at the deadline (a bus or socket that does not answer): left, a daemon thread that
    # ends with the command.
    way.join(deadline)


def _tell(sentence: str, deadline: float) -> None:
    shown_by = ""
    try:
        shown_by = notify(sentence, deadline / 2)
    except Exception as error:  # the printed sentence stays; the notification could not carry it
        log.debug("No notification: %s", error)
    if shown_by in READ_OUT_BY_SCREEN_READERS:
        return
    try:
        speak(sentence)
    except Exception as error:
        log.debug("Not said: %s", error)


def notify(sentence: str, timeout: float = DEADLINE) -> str:
    """Show `sentence` as a desktop notification titled with the app's name; the name of the service
    that shows it. Raises where no notification service answers within `timeout`."""
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    name, path = NOTIFICATIONS
    service = DBusAddress(path, bus_name=name, interface=name)
    message = new_method_call(
        service,
        "Notify",
        "susssasa{sv}i",
        (
            "assistant",  # the app's name, as its desktop entry's
            0,  # replaces no earlier notification
            "assistant",  # its icon's name
            _("Assistant"),
            sentence,
            [],
            {"desktop-entry": ("s", "assistant"), "urgency": ("y", 1)},
            -1,  # shown for as long as the desktop shows notifications
        ),
    )
    with open_dbus_connection(bus="SESSION", auth_timeout=timeout) as bus:
        reply = bus.send_and_get_reply(message, timeout=timeout)
        if reply.header.message_type != MessageType.method_return:
            raise OSError(f"Notify was refused: {reply.body}")
        about = bus.send_and_get_reply(new_method_call(service, "GetServerInformation"), timeout=timeout)
    if about.header.message_type != MessageType.method_return or not about.body:
        return ""
    return str(about.body[0])


def speak(sentence: str) -> None:
    """Say `sentence` through speech-dispatcher, queued behind what it is saying (a screen reader's
    speech included), in the app's language. Raises where it does not run."""
    try:
        speechd = import_speechd()
    except ScreenReaderLost as error:
        raise OSError(str(error)) from None
    # No autospawn: a speech-dispatcher that is not running is nobody's voice.
    client = speechd.SSIPClient("assistant", component="trigger", autospawn=False)
    try:
        spoken = language()
        if spoken != SOURCE_LANGUAGE:
            client.set_language(spoken)
        client.set_priority(speechd.Priority.MESSAGE)
        client.speak(sentence)  # spoken on after this client has gone, as spd-say's are
    finally:
        client.close()


def tray_messages_read_out(timeout: float = 1.0) -> bool:
    """Whether a tray icon's messages are read out here by a screen reader as they appear: Qt shows them
    as desktop notifications where a StatusNotifierItem host is registered (Ubuntu's GNOME, KDE, waybar),
    and GNOME Shell's pop-ups are read out (READ_OUT_BY_SCREEN_READERS). False where anything does not
    answer within `timeout`."""
    from jeepney import DBusAddress, MessageType, Properties, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    watcher = DBusAddress(
        "/StatusNotifierWatcher",
        bus_name="org.kde.StatusNotifierWatcher",
        interface="org.kde.StatusNotifierWatcher",
    )
    name, path = NOTIFICATIONS
    try:
        with open_dbus_connection(bus="SESSION", auth_timeout=timeout) as bus:
            host = bus.send_and_get_reply(
                Properties(watcher).get("IsStatusNotifierHostRegistered"), timeout=timeout
            )
            if host.header.message_type != MessageType.method_return or not host.body[0][1]:
                return False  # an XEmbed tray: Qt draws its messages itself, and no screen reader reads them
            about = bus.send_and_get_reply(
                new_method_call(DBusAddress(path, bus_name=name, interface=name), "GetServerInformation"),
                timeout=timeout,
            )
    except Exception as error:  # no bus, no answer in time
        log.debug("Whether tray messages are read out: %s", error)
        return False
    return (
        about.header.message_type == MessageType.method_return and about.body[0] in READ_OUT_BY_SCREEN_READERS
    )
