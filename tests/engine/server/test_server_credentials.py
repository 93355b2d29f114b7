"""A model server's address with a user name or password in it (issue 22: a key is read from the environment
or the system keyring, never the settings file). Such an address was taken: the credentials were not sent,
but Settings saved the whole address in the settings file and messages showed it. It is refused before
anything else, in one sentence that does not repeat it and says where the key goes instead."""

from __future__ import annotations

import logging
import random
import socket

import pytest
from PIL import Image

from assistant.cli import main
from assistant.config import Settings
from assistant.engine import server_consent
from assistant.engine.server import ServerChoice, ServerEngine, server_choice
from assistant.engine.server_consent import ServerAddressError, parse_address

SECRET = "hunter2-sk-9f3a"
REFUSAL = (
    "A model server's address cannot hold a user name or password, which would be saved in the settings "
    "file; give the address without them, and its API key in ASSISTANT_SERVER_API_KEY or the system keyring "
    "(service assistant-model-server)."
)
WITH_CREDENTIALS = [
    f"http://user:{SECRET}@127.0.0.1:8080/v1",
    f"https://:{SECRET}@models.example.org",  # a key alone, as a password
    f"https://{SECRET}@models.example.org/v1",  # a key alone, as a user name
    f"user:{SECRET}@localhost:11434",  # without http://, as OLLAMA_HOST is written
    f"http://user:{SECRET}@a b:8080",  # not an address either: that sentence names what was typed
    f"http://user:{SECRET}@[::g]/v1",  # one urlsplit itself refuses
    f"http://user:{SECRET}@127.0.0.1:99999",
    f"HTTP://user:{SECRET}@127.0.0.1:8080?x=1",
    f" http://user:{SECRET}@127.0.0.1:8080 ",
    # mistyped, so not addresses, and that sentence would repeat what was typed, password and all
    f"http:/user:{SECRET}@127.0.0.1:8080",
    f"http:///user:{SECRET}@127.0.0.1:8080",
    f"http:\\\\user:{SECRET}@127.0.0.1:8080",
    f"http:user:{SECRET}@127.0.0.1:8080",
    # a password with "/", "?" or "#" in it: urlsplit ends the host there and takes the rest for a path
    f"http://user:12/{SECRET}@127.0.0.1:8080",  # host "user", port 12: an address, password and all
    f"http://user:pa/{SECRET}@127.0.0.1:8080",
    f"https://user:pa?{SECRET}@models.example.org",
    f"https://user:pa#{SECRET}@models.example.org",
]


@pytest.mark.parametrize("typed", WITH_CREDENTIALS)
def test_an_address_with_credentials_is_refused_without_repeating_them(typed: str) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(typed)
    assert str(wrong.value) == REFUSAL
    assert SECRET not in str(wrong.value) and "user:" not in str(wrong.value)


def test_the_refusal_comes_before_any_lookup_connection_or_keyring(monkeypatch) -> None:
    """Refused even where the user allowed a server on another computer, and its key is never looked for."""

    def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"looked up {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    monkeypatch.setattr(socket, "create_connection", no_lookup)
    monkeypatch.setattr(server_consent, "api_key", lambda address: pytest.fail("the key was looked for"))
    with pytest.raises(ServerAddressError) as wrong:
        ServerEngine(ServerChoice(f"https://user:{SECRET}@192.0.2.10/v1", allow_remote=True))
    assert str(wrong.value) == REFUSAL


def test_a_settings_file_that_holds_one_is_refused_when_the_app_loads_the_server() -> None:
    """Saved before this check: the app's engine refuses it as the command line does."""
    address = f"http://user:{SECRET}@127.0.0.1:8080"
    choice = server_choice(Settings(server=address, allowed_server=address))
    assert choice is not None
    with pytest.raises(ServerAddressError) as wrong:
        ServerEngine(choice)
    assert str(wrong.value) == REFUSAL


@pytest.mark.parametrize(
    ("typed", "secret"),
    [
        ("http://u:p@127.0.0.1:1/v1", "u:p@"),  # the command the issue gives
        (f"http://user:{SECRET}@127.0.0.1:1/v1", SECRET),
        (f"user:{SECRET}@127.0.0.1:1", SECRET),
    ],
)
def test_describe_says_it_in_one_line_and_nowhere_the_password(
    capsys, caplog, tmp_path, monkeypatch, typed: str, secret: str
) -> None:
    picture = tmp_path / "noise.png"
    Image.frombytes("RGB", (32, 20), random.Random(2).randbytes(32 * 20 * 3)).save(picture)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("a connection was tried"))
    caplog.set_level(logging.DEBUG)
    code = main(["describe", "--no-ocr", "--server", typed, str(picture)])
    out, err = capsys.readouterr()
    assert code == 1 and not out
    assert err.strip().splitlines() == [REFUSAL]
    assert secret not in out + err + caplog.text


def test_the_sentence_is_in_the_users_language(monkeypatch) -> None:
    monkeypatch.setattr(server_consent, "_", lambda text: f"«{text}»")  # marks each text gettext is asked for
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(f"http://user:{SECRET}@127.0.0.1:8080")
    assert str(wrong.value).startswith("«A model server's address cannot hold a user name or password")
    assert str(wrong.value).endswith("»")


def test_the_sentence_in_spanish(spanish) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(f"http://user:{SECRET}@127.0.0.1:8080")
    assert str(wrong.value) == (
        "La dirección de un servidor de modelos no puede llevar un nombre de usuario ni una contraseña, "
        "que se guardarían en el archivo de configuración; indica la dirección sin ellos, y su clave de API en "
        "ASSISTANT_SERVER_API_KEY o en el llavero del sistema (servicio assistant-model-server)."
    )


def test_run_refuses_it_before_the_app_starts(capsys, tmp_path, monkeypatch) -> None:
    """`run --server` puts the address in the app's settings for the run, and the app saves its settings
    (Settings, the screen-capture setup): it is refused before the app starts, so no file can hold it."""
    import assistant.ui.app

    monkeypatch.setattr(assistant.ui.app, "run_app", lambda **kwargs: pytest.fail("the app started"))
    settings = tmp_path / "settings.toml"
    code = main(["run", "--server", f"http://user:{SECRET}@127.0.0.1:1", "--settings", str(settings)])
    out, err = capsys.readouterr()
    assert code == 1 and not out and err.strip().splitlines() == [REFUSAL]
    assert not settings.exists()


def test_alt_text_on_ray_refuses_it_before_ray_starts(capsys, tmp_path, monkeypatch) -> None:
    """On Ray the address went, in each actor's arguments, to every computer of the cluster before an actor
    refused it: the command refuses it first, as without Ray."""
    import assistant.documents.ray_pipeline

    monkeypatch.setattr(assistant.documents.ray_pipeline, "RayRunner", lambda *a, **k: pytest.fail("Ray"))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    document = tmp_path / "page.html"
    document.write_text("<p>text</p>")
    code = main(["alt-text", "--ray", "--server", f"http://user:{SECRET}@127.0.0.1:1", str(document)])
    out, err = capsys.readouterr()
    assert code == 1 and not out and err.strip().splitlines() == [REFUSAL]
