"""A sentence for a user who sees no terminal: a desktop notification (org.freedesktop.Notifications)
and, where speech-dispatcher runs, the same sentence spoken through it.

`assistant trigger` bound to a key (sway's bindsym, a desktop's custom shortcut) prints why the app did
not take the action to a terminal nobody sees: pressed with the app not running, nothing was heard.
Nothing here starts a service: D-Bus may start the desktop's notification service, as for any
notification, and a speech-dispatcher that is not running is left so. Each way has a deadline, so a
key press never leaves a process behind that waits on a bus or a socket.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from assistant.i18n import SOURCE_LANGUAGE, _, language
from assistant.speech.screen_reader_routes import ScreenReaderLost
from assistant.speech.screen_reader_speechd import import_speechd

log = logging.getLogger(__name__)

DEADLINE = 2.0  # seconds for both ways together (D-Bus may start the notification service first)
NOTIFICATIONS = ("org.freedesktop.Notifications", "/org/freedesktop/Notifications")


def tell_outside(sentence: str, deadline: float = DEADLINE) -> None:
    """Show `sentence` as a desktop notification and say it through speech-dispatcher, each where it
    can be; waits at most `deadline` seconds for both."""
    ways = [
        threading.Thread(target=_quietly, args=("notify", lambda: notify(sentence, deadline)), daemon=True),
        threading.Thread(target=_quietly, args=("speak", lambda: speak(sentence)), daemon=True),
    ]
    end = time.monotonic() + deadline
    for way in ways:
        way.start()
    for way in ways:
        # A way still waiting at the deadline is left: a daemon thread, it ends with the command.
        way.join(max(0.0, end - time.monotonic()))


def _quietly(name: str, way: Callable[[], object]) -> None:
    try:
        way()
    except Exception as error:  # the printed sentence stays; this way could not carry it
        log.debug("%s: %s", name, error)


def notify(sentence: str, timeout: float = DEADLINE) -> int:
    """Show `sentence` as a desktop notification titled with the app's name; the notification's number.
    Raises where no notification service answers within `timeout`."""
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    name, path = NOTIFICATIONS
    message = new_method_call(
        DBusAddress(path, bus_name=name, interface=name),
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
    return int(reply.body[0])


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
