"""A model server's address with a query or a fragment (`https://host/v1?api-key=…`, `…#x`). The client
connects to the scheme, host, port and path only, so the rest was dropped without a word, and Settings
kept the whole text, key and all, in the settings file (issue 22: a key never goes there). It is refused,
in a sentence that does not repeat it."""

from __future__ import annotations

import pytest

from assistant.engine.server_consent import ServerAddressError, parse_address

SECRET = "sk-7c1d-query"
REFUSAL = (
    "A model server's address takes nothing after “?” or “#”, which the app would not send and the settings "
    "file would keep; give the address without it, and an API key in ASSISTANT_SERVER_API_KEY or the system "
    "keyring (service assistant-model-server)."
)


@pytest.mark.parametrize(
    "typed",
    [
        f"https://models.example.org/v1?api-key={SECRET}",
        f"http://127.0.0.1:8080/v1?key={SECRET}&x=1",
        f"localhost:11434?token={SECRET}",
        f"http://127.0.0.1:8080/v1#{SECRET}",
        "http://127.0.0.1:8080/v1?",
    ],
)
def test_a_query_or_fragment_is_refused_without_repeating_it(typed: str) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(typed)
    assert str(wrong.value) == REFUSAL
    assert SECRET not in str(wrong.value)


def test_the_addresses_users_type_are_still_taken() -> None:
    assert parse_address("http://127.0.0.1:11434/v1").url == "http://127.0.0.1:11434"
    assert parse_address("https://models.example.org/v1/").url == "https://models.example.org"
    assert parse_address("localhost:8080").url == "http://localhost:8080"


def test_the_sentence_in_spanish(spanish) -> None:
    with pytest.raises(ServerAddressError) as wrong:
        parse_address(f"https://models.example.org/v1?api-key={SECRET}")
    assert str(wrong.value) == (
        "La dirección de un servidor de modelos no admite nada después de «?» o «#», que la aplicación no "
        "enviaría y el archivo de configuración guardaría; indica la dirección sin ello, y una clave de API en "
        "ASSISTANT_SERVER_API_KEY o en el llavero del sistema (servicio assistant-model-server)."
    )
