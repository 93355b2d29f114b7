"""A server not on this computer is used only once allowed; plain http to one is refused the same way;
the API key comes from the environment or the keyring, never the settings."""

from __future__ import annotations

import sys
import types

import pytest

from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_consent import (
    API_KEY_ENV,
    KEYRING_SERVICE,
    RemoteServerNotAllowed,
    ServerAddressError,
    api_key,
    is_this_computer,
    parse_address,
)


@pytest.mark.parametrize(
    ("url", "base", "label"),
    [
        ("localhost:11434", "http://localhost:11434", "localhost:11434"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("https://models.example.org/api/v1", "https://models.example.org/api", "models.example.org:443"),
        ("http://[::1]:1234", "http://[::1]:1234", "::1:1234"),
    ],
)
def test_addresses_as_servers_print_them(url: str, base: str, label: str) -> None:
    address = parse_address(url)
    assert (address.url, address.label) == (base, label)


@pytest.mark.parametrize("url", ["", "ftp://host/", "http://", "http://host:port", "http://host:99999"])
def test_an_address_that_is_not_a_web_address(url: str) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(url)
    assert "give one like http://localhost:11434" in str(wrong.value)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.3.2.1", "::1", "app.localhost"])
def test_loopback_is_this_computer(host: str) -> None:
    assert is_this_computer(host)


@pytest.mark.parametrize("host", ["192.0.2.10", "10.0.0.2", "2001:db8::1", "no-such-host.invalid"])
def test_other_hosts_are_not(host: str) -> None:
    assert not is_this_computer(host)


def test_a_remote_server_is_refused_until_allowed() -> None:
    with pytest.raises(RemoteServerNotAllowed) as refused:
        ServerEngine(ServerChoice("https://192.0.2.10:8443"))
    message = str(refused.value)
    assert "on another computer and would receive pictures of your screen" in message
    assert "--allow-remote-server" in message and "Settings" in message
    assert (
        ServerEngine(ServerChoice("https://192.0.2.10:8443", allow_remote=True)).address.host == "192.0.2.10"
    )


def test_plain_http_to_another_computer_says_it_is_unencrypted() -> None:
    with pytest.raises(RemoteServerNotAllowed) as refused:
        ServerEngine(ServerChoice("http://192.0.2.10:11434"))
    assert "unencrypted; use its https address, or add --allow-remote-server" in str(refused.value)


def test_a_local_server_needs_no_consent() -> None:
    assert ServerEngine(ServerChoice("http://localhost:11434")).address.local


def test_the_key_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, " sk-env ")
    assert api_key(parse_address("http://localhost:1")) == "sk-env"


def test_the_key_from_the_keyring_for_the_servers_address(monkeypatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    asked: list[tuple[str, str]] = []

    def get_password(service: str, name: str) -> str | None:
        asked.append((service, name))
        return "sk-ring"

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=get_password))
    assert api_key(parse_address("http://localhost:1/v1")) == "sk-ring"
    assert asked == [(KEYRING_SERVICE, "http://localhost:1")]


def test_a_keyring_that_fails_means_no_key(monkeypatch) -> None:
    monkeypatch.delenv(API_KEY_ENV, raising=False)

    def locked(service: str, name: str) -> str | None:
        raise RuntimeError("the keyring is locked")

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=locked))
    assert api_key(parse_address("http://localhost:1")) is None


def test_the_settings_choose_a_server_and_remember_the_one_allowed() -> None:
    from assistant.config import Settings, settings_from_dict
    from assistant.engine.server import server_choice

    assert server_choice(Settings()) is None
    settings, rejected = settings_from_dict(
        {
            "server": "https://192.0.2.10:8443/v1",
            "server_model": "qwen3.5:2b",
            "allowed_server": "https://192.0.2.10:8443",
        }
    )
    assert not rejected
    assert server_choice(settings) == ServerChoice(
        "https://192.0.2.10:8443/v1", "qwen3.5:2b", allow_remote=True
    )
    settings.server = "https://192.0.2.11:8443"  # another server: asked again
    choice = server_choice(settings)
    assert choice is not None and not choice.allow_remote


@pytest.mark.parametrize("url", ["http://192.0.2.10:11434", "https://192.0.2.10:8443"])
def test_the_refusal_is_in_the_users_language_with_its_hint(url: str, monkeypatch) -> None:
    from assistant.engine import server_consent

    monkeypatch.setattr(server_consent, "_", lambda text: f"«{text}»")  # marks each text gettext is asked for
    with pytest.raises(RemoteServerNotAllowed) as refused:
        server_consent.check_allowed(parse_address(url), allowed=False)
    assert "«add --allow-remote-server, or confirm it in Settings under Model server»" in str(refused.value)
