"""A server not on this computer is used only once allowed; plain http to one is refused the same way;
the API key comes from the environment or the keyring, never the settings."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.cli
import keyring.errors
import pytest
from conftest import send
from jaraco.classes import properties
from PIL import Image

from assistant.engine.server import ServerChoice, ServerEngine, server_choice
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
    assert "give one such as http://127.0.0.1:11434/v1 (Ollama)" in str(wrong.value)


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


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend holding its passwords in memory, as the desktop's Secret Service would."""

    @properties.classproperty
    def priority(cls) -> float:
        # Never chosen on its own: keyring registers every backend class in the process.
        raise RuntimeError("set by the test only")

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.asked: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.asked.append((service, username))
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def system_keyring(monkeypatch) -> Iterator[MemoryKeyring]:
    """The keyring library's backend for this test, with no key in the environment."""
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def keyring_set(service: str, name: str, password: str, monkeypatch) -> None:
    """`keyring set SERVICE NAME`, the password typed into keyring's own command line."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    keyring.cli.main(["set", service, name])


def test_the_key_from_the_keyring_reaches_the_server_and_never_the_settings(
    system_keyring, stand_in, monkeypatch, tmp_path
) -> None:
    from assistant.config import Settings, save_settings

    answer = (
        b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": "A grey square."}}]}).encode()
    )
    server = stand_in(lambda h: send(h, 200, answer + b"\n\n", "text/event-stream"))
    keyring_set(KEYRING_SERVICE, server.url, "sk-ring", monkeypatch)  # as docs/model-server.md says
    settings = Settings(server=server.url + "/v1/")  # the address as the user wrote it in Settings
    choice = server_choice(settings)
    assert choice is not None
    assert ServerEngine(choice).describe(Image.new("RGB", (40, 30))) == "A grey square."
    assert system_keyring.asked == [(KEYRING_SERVICE, server.url)]
    assert {headers["Authorization"] for headers, _ in server.requests} == {"Bearer sk-ring"}
    saved = save_settings(settings, tmp_path / "settings.toml")
    assert "sk-ring" not in saved.read_text(encoding="utf-8")


def test_the_environment_comes_before_the_keyring(system_keyring, monkeypatch) -> None:
    system_keyring.set_password(KEYRING_SERVICE, "http://localhost:1", "sk-ring")
    monkeypatch.setenv(API_KEY_ENV, "sk-env")
    assert api_key(parse_address("http://localhost:1")) == "sk-env"
    assert system_keyring.asked == []


def test_no_key_in_the_keyring_is_none(system_keyring) -> None:
    system_keyring.set_password(KEYRING_SERVICE, "http://localhost:2", "sk-other-server")
    assert api_key(parse_address("http://localhost:1")) is None


def test_no_keyring_at_all_means_no_key_and_no_traceback(system_keyring, caplog, capsys) -> None:
    # What a headless Linux without a Secret Service has: keyring's fail backend, which raises.
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with caplog.at_level(logging.INFO, logger="assistant.engine.server_consent"):
        assert api_key(parse_address("http://localhost:1")) is None
    assert [record.exc_info for record in caplog.records] == [None]
    assert "could not be read: No recommended backend" in caplog.text
    assert capsys.readouterr() == ("", "")


def test_a_locked_keyring_means_no_key(system_keyring, monkeypatch) -> None:
    def locked(service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the keyring is locked")

    monkeypatch.setattr(system_keyring, "get_password", locked)
    assert api_key(parse_address("http://localhost:1")) is None


def test_the_settings_choose_a_server_and_remember_the_one_allowed() -> None:
    from assistant.config import Settings, settings_from_dict

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
