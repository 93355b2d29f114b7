"""Connections to a model server, kept to this computer where that is why the screen may go there.

A server on this computer is used without asking (server_consent). Its name was resolved to decide that;
http.client would resolve it again to connect, and a name can answer differently the second time (DNS
rebinding). So a connection to such a server resolves the name itself and connects only to this
computer's addresses.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl

from assistant.engine.server_consent import ServerAddress


class LeftThisComputer(OSError):
    """The server's name no longer leads to this computer; nothing was sent."""


def open_connection(address: ServerAddress, timeout: float) -> http.client.HTTPConnection:
    """An unopened connection to the server (http.client's, https verified against the system's
    certificates and the server's name); kept to this computer where `address.this_computer_only`."""
    connection: http.client.HTTPConnection
    if address.scheme == "https":
        connection = http.client.HTTPSConnection(
            address.host, address.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(address.host, address.port, timeout=timeout)
    if address.this_computer_only:
        # http.client opens its socket through this attribute; https then wraps it for the name.
        connection._create_connection = _to_this_computer  # type: ignore[attr-defined]
    return connection


def _to_this_computer(
    where: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """socket.create_connection, trying only the loopback addresses the name resolves to now."""
    host, port = where
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as error:
        raise OSError(str(error)) from None
    here = [info[4] for info in found if ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback]
    if not here:
        raise LeftThisComputer(f"{host} no longer resolves to this computer")
    failure: OSError | None = None
    for place in here:
        try:
            return socket.create_connection((str(place[0]), port), timeout, source_address)
        except OSError as error:
            failure = error
    assert failure is not None
    raise failure
