"""What is a model server's address (issue 22): `--server notaurl` was taken for a computer called
"notaurl" and the user was told about encryption. Anything that is not an http(s) address with a host,
or a host with its port as Ollama and llama.cpp print it, is refused in one sentence naming what was
typed, before any question or connection, on the command line, in Settings and in the app."""

from __future__ import annotations

import random
import socket

import pytest
from PIL import Image

from assistant.cli import main
from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_consent import ServerAddressError, parse_address

EXAMPLES = "give one such as http://127.0.0.1:11434/v1 (Ollama) or https://example.org/v1."
NOT_ADDRESSES = [
    "notaurl",  # a word: no scheme and no port
    "example.org",  # a name without http:// or a port: which server, which port?
    "localhost",
    "ftp://x",
    "http://",
    "localhost:abc",
    "http://host:99999",
    "http://host:0",
    "/v1",
    "http://a b:8080",
    "http://host/ v1",
    "http://-host-:8080",
    "http://1.2.3.4.5:8080",
    "http://999.1.1.1",
    "https://[::g]/v1",
    "localhost:",
]


def refusal(typed: str) -> str:
    return f"“{typed}” is not a model server's address; {EXAMPLES}"


@pytest.mark.parametrize("typed", NOT_ADDRESSES)
def test_what_is_not_an_address_is_refused_naming_it(typed: str) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(typed)
    assert str(wrong.value) == refusal(typed)


@pytest.mark.parametrize("typed", ["", " ", "\t"])
def test_an_empty_address_is_refused(typed: str) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(typed)
    assert str(wrong.value) == f"The model server's address is empty; {EXAMPLES}"


@pytest.mark.parametrize(
    ("typed", "base"),
    [
        ("localhost:8000", "http://localhost:8000"),  # as `transformers serve` and vLLM are reached
        ("127.0.0.1:8080/v1", "http://127.0.0.1:8080"),  # llama.cpp's, with OpenAI's /v1
        (" 127.0.0.1:11434 ", "http://127.0.0.1:11434"),  # OLLAMA_HOST's form, pasted with spaces
        ("[::1]:8080", "http://[::1]:8080"),
        ("http://gpu-box", "http://gpu-box"),  # a name on the local network, with its scheme
        ("http://ollama_1:11434", "http://ollama_1:11434"),  # a Docker service's name
        ("https://example.org/v1", "https://example.org"),
        ("HTTPS://Models.Example.org:8443/api/v1/", "https://Models.Example.org:8443/api"),
    ],
)
def test_what_servers_print_is_taken(typed: str, base: str) -> None:
    assert parse_address(typed).url == base


def test_the_refusal_comes_before_any_connection(monkeypatch) -> None:
    """The name was looked up (is it this computer?) before: "notaurl" is never resolved now."""

    def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"looked up {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    monkeypatch.setattr(socket, "create_connection", no_lookup)
    with pytest.raises(ServerAddressError) as wrong:
        ServerEngine(ServerChoice("notaurl"))
    assert str(wrong.value) == refusal("notaurl")


def test_describe_says_it_in_one_line(capsys, tmp_path, monkeypatch) -> None:
    picture = tmp_path / "noise.png"
    Image.frombytes("RGB", (32, 20), random.Random(2).randbytes(32 * 20 * 3)).save(picture)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("a connection was tried"))
    code = main(["describe", "--no-ocr", "--server", "notaurl", str(picture)])
    out, err = capsys.readouterr()
    assert code == 1 and not out
    assert err.strip().splitlines() == [refusal("notaurl")]


def test_the_sentence_is_in_the_users_language(monkeypatch) -> None:
    from assistant.engine import server_consent

    monkeypatch.setattr(server_consent, "_", lambda text: f"«{text}»")  # marks each text gettext is asked for
    with pytest.raises(ServerAddressError) as wrong:
        parse_address("notaurl")
    assert str(wrong.value).startswith("«“notaurl” is not a model server's address")
    with pytest.raises(ServerAddressError) as empty:
        parse_address(" ")
    assert str(empty.value).startswith("«The model server's address is empty")


def test_the_sentence_in_spanish(spanish) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address("notaurl")
    assert str(wrong.value) == (
        "«notaurl» no es la dirección de un servidor de modelos; "
        "indica una como http://127.0.0.1:11434/v1 (Ollama) o https://example.org/v1."
    )
