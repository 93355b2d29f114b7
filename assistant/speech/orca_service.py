"""Orca's D-Bus service (its "remote controller", Orca 49 and later), found, read and called with jeepney.

What this relies on, from Orca's own source (src/orca/dbus_service.py, speechdispatcherfactory.py,
speech.py, README-REMOTE-CONTROLLER.md and REMOTE-CONTROLLER-COMMANDS.md in GNOME/orca):

- Orca 49 and 50 publish `org.gnome.Orca.Service` at `/org/gnome/Orca/Service`, with an interface of the
  same name: GetVersion, ListCommands, ListModules, PresentMessage(s) -> b, Quit, ShowPreferences. Each
  module sits below it (`…/SpeechAndVerbosityManager` in 49, `…/SpeechManager` in 50) with the interface
  `org.gnome.Orca.Module`, whose ExecuteCommand("InterruptSpeech", notify_user) stops Orca's speech.
- Orca 51 renames it `org.gnome.Orca1.Service` at `/org/gnome/Orca1/Service` (adding SpeakMessage and
  DisplayMessage beside PresentMessage); each module has an interface of its own there
  (`org.gnome.Orca1.SpeechManager`, with InterruptSpeech(b) -> b). A real Orca 51.2 was run against
  this client (tests/e2e/test_real_orca_e2e.py).
- PresentMessage speaks the message with Orca's own voice, rate and language, and flashes it on the
  braille display (each flash replacing the one before), as Orca's own messages are. Its speech does not
  cut off what Orca is saying: Orca's speech-dispatcher server leaves `interrupt` unused (the cancel in
  its `speak` is commented out) and speaks everything at speech-dispatcher's MESSAGE priority, which
  queues each message behind the one being spoken. Orca itself cancels that queue when the user acts
  (a key, a focus change), as it does its own speech, and InterruptSpeech cancels it too.
- Nothing tells a caller when Orca has finished speaking: the service sends no signals and has no
  "is speaking" getter.

What a service offers is read from its introspection, not guessed from its version number.
"""

from __future__ import annotations

import logging
import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from assistant.i18n import _, decimal

log = logging.getLogger(__name__)

# Orca answers from its main loop, which also handles every accessibility event: a window opening can
# keep it busy for a second or more (seen with a real Orca 51 as the app's own windows appeared).
CALL_TIMEOUT = 0.5  # seconds a message waits for Orca's answer before it is taken as queued in Orca
FIND_TIMEOUT = 2.0  # seconds each call may take while the service is being found and read (rarely)
STUCK_AFTER = 5.0  # seconds without any answer, messages being sent, after which Orca counts as stuck


@dataclass(frozen=True)
class Dialect:
    """Where one generation of Orca's service lives."""

    bus_name: str
    path: str
    interface: str
    speech_paths: tuple[str, ...]  # the speech module's object, newest name first
    speech_interface: str
    generic_commands: bool  # module commands go through ExecuteCommand(name, notify_user)


ORCA1 = Dialect(
    bus_name="org.gnome.Orca1.Service",
    path="/org/gnome/Orca1/Service",
    interface="org.gnome.Orca1.Service",
    speech_paths=("/org/gnome/Orca1/Service/SpeechManager",),
    speech_interface="org.gnome.Orca1.SpeechManager",
    generic_commands=False,
)
ORCA = Dialect(
    bus_name="org.gnome.Orca.Service",
    path="/org/gnome/Orca/Service",
    interface="org.gnome.Orca.Service",
    speech_paths=(
        "/org/gnome/Orca/Service/SpeechManager",
        "/org/gnome/Orca/Service/SpeechAndVerbosityManager",
    ),
    speech_interface="org.gnome.Orca.Module",
    generic_commands=True,
)
DIALECTS = (ORCA1, ORCA)

# The in-arguments PresentMessage must take for the app to call it.
PRESENT_MESSAGE = ("PresentMessage", "s")


class OrcaServiceError(Exception):
    """Orca's service is not there or did not answer; the message says what happened (for the log)."""


class OrcaServiceSilent(OrcaServiceError):
    """Orca's service took a call and did not answer it in time (Orca is there, but stuck)."""


def session_bus_known() -> bool:
    """Whether this process could find a session bus (as jeepney and every D-Bus client look for it)."""
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("XDG_RUNTIME_DIR"))


def methods_of(xml: str, interface: str) -> dict[str, str]:
    """{method name: its in-argument signature} of `interface` in an introspection document."""
    try:
        # The document comes from a peer on the user's own session bus, as every D-Bus client reads it.
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}
    for element in root.findall("interface"):
        if element.get("name") != interface:
            continue
        return {
            str(method.get("name")): "".join(
                arg.get("type", "") for arg in method.findall("arg") if arg.get("direction", "in") == "in"
            )
            for method in element.findall("method")
        }
    return {}


class _Bus:
    """A blocking session-bus connection that turns every failure into OrcaServiceError."""

    def __init__(self, timeout: float) -> None:
        if not session_bus_known():
            raise OrcaServiceError("there is no session bus")
        try:
            from jeepney.io.blocking import open_dbus_connection
        except ImportError:
            raise OrcaServiceError("jeepney is not installed") from None
        self.timeout = timeout
        try:
            self._connection = open_dbus_connection(bus="SESSION", auth_timeout=timeout)
        except Exception as error:  # no bus, a refused socket, a slow handshake
            raise OrcaServiceError(_("the session bus did not answer: {error}").format(error=error)) from None

    def call(
        self, bus_name: str, path: str, interface: str, member: str, signature: str | None = None, *args: Any
    ) -> tuple[Any, ...]:
        from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call

        message = new_method_call(
            DBusAddress(path, bus_name=bus_name, interface=interface), member, signature, args or None
        )
        try:
            reply = self._connection.send_and_get_reply(message, timeout=self.timeout)
        except TimeoutError:
            raise OrcaServiceSilent(
                _("{member} got no answer within {timeout:g} s").format(member=member, timeout=self.timeout)
            ) from None
        except Exception as error:  # the connection closed under us
            raise OrcaServiceError(_("the session bus went away: {error}").format(error=error)) from None
        if reply.header.message_type == MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "an error")
            detail = f": {reply.body[0]}" if reply.body and isinstance(reply.body[0], str) else ""
            raise OrcaServiceError(
                _("{member} was refused with {name}{detail}").format(member=member, name=name, detail=detail)
            )
        return tuple(reply.body)

    def has_owner(self, bus_name: str) -> bool:
        (owned,) = self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            bus_name,
        )
        return bool(owned)

    def introspect(self, bus_name: str, path: str) -> str:
        (xml,) = self.call(bus_name, path, "org.freedesktop.DBus.Introspectable", "Introspect")
        return str(xml)

    def close(self) -> None:
        try:
            self._connection.close()
        except Exception as error:
            log.debug("The session-bus connection did not close cleanly: %s", error)


def orca_service_on_bus(timeout: float = CALL_TIMEOUT) -> bool:
    """Whether Orca's service (any generation) has an owner on the session bus: Orca runs."""
    try:
        bus = _Bus(timeout)
    except OrcaServiceError:
        return False
    try:
        return any(bus.has_owner(dialect.bus_name) for dialect in DIALECTS)
    except OrcaServiceError as error:
        log.debug("The session bus did not say whether Orca runs: %s", error)
        return False
    finally:
        bus.close()


class OrcaService:
    """One connection to Orca's service, with what it was found to offer. Used from one thread only."""

    def __init__(
        self, bus: _Bus, dialect: Dialect, version: str, methods: dict[str, str], speech_path: str | None
    ) -> None:
        self._bus = bus
        self.dialect = dialect
        self.version = version
        self.methods = methods
        self.speech_path = speech_path
        self._unanswered_since: float | None = None  # when Orca first left a message unanswered, lately

    @classmethod
    def find(cls, timeout: float = FIND_TIMEOUT) -> OrcaService:
        """Connect to the newest generation of the service on the session bus, and read what it offers.

        Raises OrcaServiceError when there is none, or none that takes PresentMessage.
        """
        bus = _Bus(timeout)
        try:
            for dialect in DIALECTS:
                if not bus.has_owner(dialect.bus_name):
                    continue
                methods = methods_of(bus.introspect(dialect.bus_name, dialect.path), dialect.interface)
                name, signature = PRESENT_MESSAGE
                if methods.get(name) != signature:
                    raise OrcaServiceError(
                        _("{bus_name} on the session bus takes no {name}({signature})").format(
                            bus_name=dialect.bus_name, name=name, signature=signature
                        )
                    )
                version = ""
                if "GetVersion" in methods:
                    (version,) = bus.call(dialect.bus_name, dialect.path, dialect.interface, "GetVersion")
                speech_path = next(
                    (path for path in dialect.speech_paths if _offers_interrupt(bus, dialect, path)),
                    None,
                )
                bus.timeout = CALL_TIMEOUT
                return cls(bus, dialect, str(version), methods, speech_path)
        except OrcaServiceError:
            bus.close()
            raise
        bus.close()
        raise OrcaServiceError(
            _("Orca's D-Bus service is not on the session bus (Orca 49 and later offer it)")
        )

    @property
    def name(self) -> str:
        """ "Orca 49.2", or "Orca" where the service did not say its version."""
        version = self.version.split(" (", 1)[0].strip()
        return f"Orca {version}" if version else "Orca"

    def _service_call(self, member: str, signature: str, *args: Any) -> bool:
        (done,) = self._bus.call(
            self.dialect.bus_name, self.dialect.path, self.dialect.interface, member, signature, *args
        )
        return bool(done)

    def present(self, text: str) -> None:
        """Speak `text` after what Orca is saying, and flash it in braille.

        A message Orca has not answered within CALL_TIMEOUT is taken as waiting in its queue (Orca is busy
        with other events, and will present it); only when nothing has been answered for STUCK_AFTER does
        Orca count as stuck (OrcaServiceSilent). A service that has gone fails at once: the bus answers.
        """
        try:
            done = self._service_call(*PRESENT_MESSAGE, text)
        except OrcaServiceSilent:
            now = time.monotonic()
            if self._unanswered_since is None:
                self._unanswered_since = now
            elif now - self._unanswered_since >= STUCK_AFTER:
                raise OrcaServiceSilent(
                    _("PresentMessage got no answer for {now} s").format(
                        now=decimal(now - self._unanswered_since)
                    )
                ) from None
            log.debug("Orca is busy: the message waits in its queue.")
            return
        self._unanswered_since = None
        if not done:
            raise OrcaServiceError("PresentMessage answered that Orca did not present the message")

    def interrupt(self) -> None:
        """Stop Orca's speech, saying nothing about it."""
        if self.speech_path is None:
            raise OrcaServiceError("Orca's D-Bus service offers no InterruptSpeech")
        dialect = self.dialect
        if dialect.generic_commands:
            args: tuple[Any, ...] = ("ExecuteCommand", "sb", "InterruptSpeech", False)
        else:
            args = ("InterruptSpeech", "b", False)
        self._bus.call(dialect.bus_name, self.speech_path, dialect.speech_interface, *args)

    def close(self) -> None:
        self._bus.close()


def _offers_interrupt(bus: _Bus, dialect: Dialect, path: str) -> bool:
    try:
        methods = methods_of(bus.introspect(dialect.bus_name, path), dialect.speech_interface)
    except OrcaServiceError:
        return False
    return "ExecuteCommand" in methods if dialect.generic_commands else "InterruptSpeech" in methods
