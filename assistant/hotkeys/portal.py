"""xdg-desktop-portal over jeepney: which interfaces it offers, and one request and its answer by a deadline.

A portal method returns at once with a Request object; the answer comes later as that object's
`Response(u code, a{sv} results)` signal: 0 granted, 1 cancelled by the user, 2 refused or failed.
The signal is subscribed to before the call, so a quick answer is never missed. A portal that never
answers (a dialog shown to no one, a backend that hangs) is caught by the caller's deadline, and the
request is closed so that no dialog lingers.

This sits under hotkeys because hotkeys is the lowest layer that needs it; capture uses it too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PORTAL_BUS = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
CALL_SECONDS = 2.0
"""How long a plain method call (not the user's answer) may take."""

GRANTED, CANCELLED, REFUSED = 0, 1, 2

_tokens = itertools.count(1)


class PortalUnavailable(Exception):
    """No session bus, no portal, or the portal lacks the interface."""


class PortalTimeout(Exception):
    """The portal did not answer a request by its deadline."""


@dataclass(frozen=True)
class Response:
    code: int
    results: Mapping[str, Any] = field(default_factory=dict)

    @property
    def granted(self) -> bool:
        return self.code == GRANTED


def session_bus_address(environ: Mapping[str, str] | None = None) -> str | None:
    """The session bus's address as D-Bus clients find it, or None where there is none."""
    environ = os.environ if environ is None else environ
    return environ.get("DBUS_SESSION_BUS_ADDRESS") or None


def new_token() -> str:
    """A handle token: unique in this process and not guessable from outside."""
    return f"assistant{next(_tokens)}_{secrets.token_hex(4)}"


def complete_types(signature: str) -> list[str]:
    """A D-Bus signature split into its complete types: "sa{sv}(ii)" -> ["s", "a{sv}", "(ii)"]."""
    types, start, depth = [], 0, 0
    for index, char in enumerate(signature):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if depth == 0 and char != "a":
            types.append(signature[start : index + 1])
            start = index + 1
    return types


def unpack(signature: str, value: Any) -> Any:
    """A value jeepney decoded with `signature`, its variants (signature, value) unwrapped."""
    if signature == "v":
        return unpack(value[0], value[1])
    if signature.startswith("a{"):
        _key, item = complete_types(signature[2:-1])
        return {key: unpack(item, entry) for key, entry in value.items()}
    if signature.startswith("a"):
        return [unpack(signature[1:], entry) for entry in value]
    if signature.startswith("("):
        return tuple(
            unpack(part, entry) for part, entry in zip(complete_types(signature[1:-1]), value, strict=True)
        )
    return value


class Portal:
    """One connection to the session bus's portal; usable from several threads (jeepney's router)."""

    def __init__(self, address: str | None = None, enable_fds: bool = False) -> None:
        address = address or session_bus_address()
        if not address:
            raise PortalUnavailable("no session bus")
        from jeepney.io.threading import DBusRouter, open_dbus_connection

        try:
            self._connection = open_dbus_connection(address, enable_fds=enable_fds, auth_timeout=CALL_SECONDS)
        except (OSError, ValueError, StopIteration, TimeoutError) as error:
            raise PortalUnavailable(f"the session bus cannot be reached ({error})") from error
        self._router = DBusRouter(self._connection)

    def close(self) -> None:
        self._router.close()
        self._connection.close()

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def router(self) -> Any:
        return self._router

    def call(self, interface: str, method: str, signature: str, *args: Any, path: str = PORTAL_PATH) -> Any:
        """A plain method call on the portal; its reply's body. D-Bus errors become PortalUnavailable."""
        from jeepney import DBusAddress, MessageType, new_method_call

        address = DBusAddress(path, bus_name=PORTAL_BUS, interface=interface)
        try:
            reply = self._router.send_and_get_reply(
                new_method_call(address, method, signature, args), timeout=CALL_SECONDS
            )
        except TimeoutError as error:
            raise PortalUnavailable(f"the portal did not answer {method} in time") from error
        if reply.header.message_type == MessageType.error:
            raise PortalUnavailable(f"{interface}.{method}: {reply.body[0] if reply.body else 'failed'}")
        return reply.body

    def version(self, interface: str) -> int | None:
        """The interface's `version` property, or None where the portal does not offer the interface."""
        try:
            body = self.call("org.freedesktop.DBus.Properties", "Get", "ss", interface, "version")
        except PortalUnavailable:
            return None
        return int(unpack("v", body[0]))

    def request(
        self,
        interface: str,
        method: str,
        signature: str,
        args: tuple[Any, ...],
        options: dict[str, tuple[str, Any]],
        deadline: float,
        cancelled: threading.Event | None = None,
    ) -> Response:
        """Call a request-returning method (its options last) and wait up to `deadline` s for its answer,
        or until `cancelled` is set (PortalTimeout either way; the request is closed)."""
        from jeepney import MatchRule, message_bus

        token = new_token()
        options = {**options, "handle_token": ("s", token)}
        sender = self._router.unique_name.lstrip(":").replace(".", "_")
        expected = f"{PORTAL_PATH}/request/{sender}/{token}"
        rule = MatchRule(type="signal", interface=REQUEST_INTERFACE, member="Response")
        self._router.send_and_get_reply(message_bus.AddMatch(rule), timeout=CALL_SECONDS)
        answers: queue.Queue[Any] = queue.Queue()
        with self._router.filter(rule, queue=answers, bufsize=16):
            body = self.call(interface, method, signature, *args, options)
            handles = {expected, str(body[0])}  # portals before 0.9 chose their own path
            end = time.monotonic() + deadline
            while (left := end - time.monotonic()) > 0 and not (cancelled and cancelled.is_set()):
                try:
                    # Woken now and then where the wait may be cancelled (the app quitting during a dialog).
                    message = answers.get(timeout=min(left, 0.1) if cancelled else left)
                except queue.Empty:
                    continue
                if message.header.fields.get(_path_field()) in handles:
                    code, results = message.body
                    return Response(int(code), unpack("a{sv}", results))
        self._close_request(str(body[0]))
        raise PortalTimeout(f"{interface}.{method} got no answer in {deadline:g} s")

    def _close_request(self, handle: str) -> None:
        with contextlib.suppress(PortalUnavailable):  # the request may be gone already
            self.call(REQUEST_INTERFACE, "Close", "", path=handle)


def _path_field() -> Any:
    from jeepney import HeaderFields

    return HeaderFields.path


def offers(interface: str, address: str | None = None) -> int | None:
    """The portal's version of `interface` on that bus, or None where it is not offered (or no bus)."""
    try:
        with Portal(address) as portal:
            return portal.version(interface)
    except PortalUnavailable:
        return None
