"""When the model server fails, the local model answers, loaded only then, and the user is told once."""

from __future__ import annotations

import json

import pytest
from conftest import free_port, send
from PIL import Image

from assistant.engine import load_engine
from assistant.engine.base import Engine
from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_fallback import ServerWithFallback
from assistant.engine.server_stream import ServerDown, ServerRefused

PICTURE = Image.new("RGB", (40, 30), (200, 30, 30))


def never_loaded() -> Engine:
    raise AssertionError("the local model was loaded though the server answered")


def chunk(content: str) -> bytes:
    return (
        b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": content}}]}).encode() + b"\n\n"
    )


def test_a_server_that_is_down_hands_over_to_the_local_model(tiny_model_dir) -> None:
    engine = load_engine(
        str(tiny_model_dir),
        device="cpu",
        precision="fp32",
        server=ServerChoice(f"http://127.0.0.1:{free_port()}"),
    )
    assert isinstance(engine, ServerWithFallback) and engine.local is None
    told: list[str] = []
    engine.on_notice = told.append
    heard: list[str] = []
    text = engine.describe(PICTURE, on_text=heard.append)
    assert text and engine.local is not None
    assert engine.ask(PICTURE, "What colour is it?")
    assert told == [
        f"The model server at {engine.server.address.label} does not answer (nothing listens there); start "
        "it, or check its address in Settings or --server. Meanwhile the local model answers."
    ]  # once, not at each request


def test_a_server_that_answers_never_loads_the_local_model(stand_in) -> None:
    server = stand_in(lambda h: send(h, 200, chunk("A red square."), "text/event-stream"))
    engine = ServerWithFallback(ServerEngine(ServerChoice(server.url)), never_loaded)
    assert engine.describe(PICTURE) == "A red square."
    assert engine.describe_many([PICTURE, PICTURE]) == ["A red square.", "A red square."]


def test_an_answer_already_begun_is_not_started_again(stand_in) -> None:
    failing = chunk("A red ") + b'data: {"error": {"message": "the server is shutting down"}}\n\n'
    server = stand_in(lambda h: send(h, 200, failing, "text/event-stream"))
    engine = ServerWithFallback(ServerEngine(ServerChoice(server.url)), never_loaded)
    with pytest.raises(ServerRefused):
        engine.describe(PICTURE, on_text=lambda text: None)


def test_the_server_back_again_is_said(stand_in, tiny_engine) -> None:
    answers = [b"", chunk("A red square.")]  # first a stream with nothing in it, then an answer

    def reply(handler) -> None:
        if "event-stream" not in handler.headers["Accept"]:  # the first-use questions: not answered
            send(handler, 404, b"Not found", "text/plain")
            return
        body = answers.pop(0)
        if body:
            send(handler, 200, body, "text/event-stream")
        else:
            send(handler, 502, b"Bad gateway", "text/plain")

    server = stand_in(reply)
    engine = ServerWithFallback(ServerEngine(ServerChoice(server.url)), lambda: tiny_engine)
    told: list[str] = []
    engine.on_notice = told.append
    assert engine.describe(PICTURE)  # the local model's words
    assert engine.describe(PICTURE) == "A red square."
    assert told[-1] == "The model server answers again."
    assert told[0].endswith(
        "(error 502: Bad gateway); check the address, the model name (--server-model or Settings) and the server's log. Meanwhile the local model answers."
    )


def test_a_local_model_not_on_this_computer_is_not_downloaded_mid_request() -> None:
    engine = load_engine(
        "Salesforce/blip2-not-downloaded-here", server=ServerChoice(f"http://127.0.0.1:{free_port()}")
    )
    assert isinstance(engine, ServerWithFallback)
    with pytest.raises(ServerDown):  # the server's own sentence, and nothing fetched
        engine.describe(PICTURE)
    assert engine.local is None and engine.notices == []
