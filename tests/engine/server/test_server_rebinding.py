"""A server used for being on this computer stays on it: its name is not resolved again to somewhere else
(DNS rebinding) between the consent's check and the connection.

The resolver is replaced for the test's names only, and every connection passes a guard that refuses
(before any packet) an address not on this computer, so nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable

import pytest
from conftest import send
from PIL import Image

from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_consent import parse_address, refusal
from assistant.engine.server_stream import ServerDown, ServerNotHere

ANSWER = b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": "A grey square."}}]}).encode()


def _loopback(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_loopback


@pytest.fixture
def resolver(monkeypatch) -> Callable[[str, list[str]], list[str]]:
    """`answers(name, addresses)`: the name resolves to each address in turn (the last one after that);
    returns the list of addresses every connection went to, or was refused at the guard."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    answers: dict[str, list[str]] = {}
    tried: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host not in answers:
            return real_getaddrinfo(host, port, *args, **kwargs)
        queue = answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    def create_connection(where, *args, **kwargs):  # type: ignore[no-untyped-def]
        found = [info[4][0] for info in socket.getaddrinfo(where[0], where[1], type=socket.SOCK_STREAM)]
        tried.extend(found)
        if not all(_loopback(address) for address in found):
            raise ConnectionRefusedError("the test's guard: not sent off this computer")
        return real_connect(where, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)

    def answer(name: str, addresses: list[str]) -> list[str]:
        answers[name] = list(addresses)
        return tried

    return answer


def test_a_name_that_later_leads_elsewhere_gets_no_connection_and_says_so(resolver, stand_in) -> None:
    server = stand_in(lambda h: send(h, 200, ANSWER + b"\n\n", "text/event-stream"))
    port = server.url.rsplit(":", 1)[1]
    url = f"http://models.rebind.test:{port}"
    tried = resolver("models.rebind.test", ["127.0.0.1", "192.0.2.7"])  # here when checked, then not
    engine = ServerEngine(ServerChoice(url, "m"))  # on this computer: no consent asked
    with pytest.raises(ServerNotHere) as raised:
        engine.describe(Image.new("RGB", (40, 30)))
    assert str(raised.value) == refusal(parse_address(url))
    assert [address for address in tried if not _loopback(address)] == []
    assert server.requests == []


def test_a_name_that_stays_here_is_reached_by_its_address_here(resolver, stand_in) -> None:
    server = stand_in(lambda h: send(h, 200, ANSWER + b"\n\n", "text/event-stream"))
    port = server.url.rsplit(":", 1)[1]
    tried = resolver("models.here.test", ["127.0.0.1"])
    engine = ServerEngine(ServerChoice(f"http://models.here.test:{port}", "m"))
    assert engine.describe(Image.new("RGB", (40, 30))) == "A grey square."
    assert set(tried) == {"127.0.0.1"}
    assert {headers["Host"] for headers, _ in server.requests} == {f"models.here.test:{port}"}


def test_a_server_the_user_allowed_elsewhere_is_not_kept_here(resolver) -> None:
    # Allowed to be on another computer, its name may lead anywhere: the guard sees the attempt.
    tried = resolver("models.allowed.test", ["192.0.2.8"])
    engine = ServerEngine(ServerChoice("https://models.allowed.test", "m", allow_remote=True))
    with pytest.raises(ServerDown):  # the guard's refusal, as for a server that is down
        engine.describe(Image.new("RGB", (40, 30)))
    assert "192.0.2.8" in tried
