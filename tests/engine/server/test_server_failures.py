"""Each way a model server fails is one sentence; Stop ends a stream the server keeps open; the reasoning
a thinking model streams is never passed on; the API key goes with the request."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from typing import ClassVar

import pytest
from conftest import free_port, send
from PIL import Image

from assistant.engine.base import Cancelled, EngineError
from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_consent import API_KEY_ENV
from assistant.engine.server_stream import (
    ServerBadAnswer,
    ServerDown,
    ServerNoPictures,
    ServerRefused,
    ServerSlow,
    ServerThoughtOnly,
)

PICTURE = Image.new("RGB", (40, 30), (10, 120, 10))
HANG_GUARD_S = 30.0  # a deadline for a call that must return, never a timing


def event(delta: dict[str, str]) -> bytes:
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode() + b"\n\n"


def stream_of(*events: bytes):
    def reply(handler) -> None:
        send(handler, 200, b"".join(events), "text/event-stream")

    return reply


def one_sentence(error: EngineError) -> str:
    message = str(error)
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0
    return message


def test_a_server_that_is_down() -> None:
    engine = ServerEngine(ServerChoice(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ServerDown) as down:
        engine.describe(PICTURE)
    assert "does not answer (nothing listens there); start it" in one_sentence(down.value)


def test_a_server_that_never_answers_meets_the_deadline() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        engine = ServerEngine(ServerChoice(f"http://127.0.0.1:{silent.getsockname()[1]}"), timeout=0.5)
        with pytest.raises(ServerSlow) as slow:
            engine.describe(PICTURE)
    assert "did not answer within 0.5 seconds" in one_sentence(slow.value)


def test_an_error_status_with_the_servers_own_words(stand_in) -> None:
    server = stand_in(
        lambda h: send(h, 503, b'{"error": {"message": "Model is loading"}}', "application/json")
    )
    with pytest.raises(ServerRefused) as refused:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "(error 503: Model is loading)" in one_sentence(refused.value)


def test_a_key_the_server_refuses_says_where_the_key_comes_from(stand_in, monkeypatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "sk-wrong")
    server = stand_in(lambda h: send(h, 401, b'{"detail": "Invalid API key"}', "application/json"))
    with pytest.raises(ServerRefused) as refused:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "ASSISTANT_SERVER_API_KEY" in one_sentence(refused.value)
    headers, _ = server.requests[0]
    assert headers["Authorization"] == "Bearer sk-wrong"


def test_a_model_that_takes_no_pictures(stand_in) -> None:
    # llama.cpp's own words for a text-only model.
    words = b'{"error": {"code": 500, "message": "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj", "type": "server_error"}}'
    server = stand_in(lambda h: send(h, 500, words, "application/json"))
    with pytest.raises(ServerNoPictures) as no_pictures:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "cannot read pictures" in str(no_pictures.value)
    assert "choose a vision model" in str(no_pictures.value)


@pytest.mark.parametrize(
    "reply",
    [
        stream_of(b"data: {not json\n\n"),
        stream_of(b'data: {"choices": "none"}\n\n'),
        lambda h: send(h, 200, b"<html>a login page</html>", "text/html"),
    ],
    ids=["broken event", "no chat chunk", "not json at all"],
)
def test_an_answer_that_is_not_a_chat_completion(stand_in, reply) -> None:
    server = stand_in(reply)
    with pytest.raises(ServerBadAnswer) as bad:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "OpenAI-compatible" in one_sentence(bad.value)


def test_an_error_sent_inside_the_stream(stand_in) -> None:
    server = stand_in(
        stream_of(event({"content": "A "}), b'data: {"error": {"message": "out of memory"}}\n\n')
    )
    with pytest.raises(ServerRefused) as refused:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "out of memory" in str(refused.value)


def test_reasoning_is_never_passed_on(stand_in) -> None:
    server = stand_in(
        stream_of(
            event({"role": "assistant"}),
            event({"reasoning_content": "The user wants colours. "}),
            event({"reasoning": "Green it is. "}),
            event({"content": "A green "}),
            event({"content": "square. "}),
            event({"content": "<think>hidden</think>Nothing else."}),
            b"data: [DONE]\n\n",
        )
    )
    heard: list[str] = []
    text = ServerEngine(ServerChoice(server.url)).describe(PICTURE, on_text=heard.append)
    assert text == "A green square. Nothing else."
    assert all("user" not in said and "hidden" not in said for said in heard)


def test_a_server_that_does_not_stream_is_read_whole(stand_in) -> None:
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "A **green** square"}}]}
    server = stand_in(lambda h: send(h, 200, json.dumps(answer).encode(), "application/json"))
    assert ServerEngine(ServerChoice(server.url)).describe(PICTURE) == "A green square."


def test_stop_ends_a_stream_the_server_keeps_open(stand_in) -> None:
    def first_words_then_silence(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.end_headers()  # no length: the stream ends when the connection does
        handler.close_connection = True
        handler.wfile.write(event({"content": "A green square "}))
        handler.wfile.flush()
        server.release.wait(HANG_GUARD_S)

    server = stand_in(first_words_then_silence)
    engine = ServerEngine(ServerChoice(server.url), timeout=HANG_GUARD_S * 4)
    cancel = threading.Event()
    outcome: list[BaseException | str] = []

    def describe() -> None:
        try:
            outcome.append(engine.describe(PICTURE, on_text=lambda _: cancel.set(), cancel=cancel))
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=describe)
    worker.start()
    worker.join(HANG_GUARD_S)
    assert not worker.is_alive(), "Stop did not end the stream"
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)


class TellsWhatItReads(http.server.BaseHTTPRequestHandler):
    """A server that says what its model reads, as llama.cpp (`GET /props`) or Ollama (`POST /api/show`) do,
    and would answer a chat request (which must not come)."""

    protocol_version = "HTTP/1.1"
    props: dict | None = None
    capabilities: list[str] | None = None
    chats: ClassVar[list[bytes]] = []

    def do_GET(self) -> None:
        if self.path == "/props" and self.props is not None:
            send(self, 200, json.dumps(self.props).encode(), "application/json")
        else:
            send(self, 404, b"Not found", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/api/show":
            if self.capabilities is None:
                send(self, 404, b"Not found", "text/plain")
            else:
                send(self, 200, json.dumps({"capabilities": self.capabilities}).encode(), "application/json")
            return
        if json.loads(body).get("stream"):  # not the one-word questions a silent server is asked
            self.chats.append(body)
        send(self, 200, event({"content": "A screen I never saw."}), "text/event-stream")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("props", "capabilities", "refused"),
    [
        ({"modalities": {"vision": False, "audio": False}}, None, True),  # llama.cpp without its projector
        ({"modalities": {"vision": True}}, None, False),
        (None, ["completion", "tools"], True),  # Ollama's text-only model
        (None, ["completion", "vision"], False),
        (None, None, False),  # a server that does not say (vLLM, transformers serve): taken at its word
    ],
)
def test_a_model_the_server_says_reads_no_pictures_gets_none(props, capabilities, refused) -> None:
    handler = type(
        "Handler", (TellsWhatItReads,), {"props": props, "capabilities": capabilities, "chats": []}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="tells what it reads")
    thread.start()
    try:
        engine = ServerEngine(ServerChoice(f"http://127.0.0.1:{server.server_address[1]}", model="m"))
        if refused:
            with pytest.raises(ServerNoPictures) as no_pictures:
                engine.describe(PICTURE)
            assert "The model m on the server at 127.0.0.1:" in one_sentence(no_pictures.value)
            assert handler.chats == []  # the picture was never sent
        else:
            assert engine.describe(PICTURE) == "A screen I never saw."
            assert engine.describe(PICTURE) and len(handler.chats) == 2
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_model_that_only_thinks_is_one_sentence(stand_in) -> None:
    server = stand_in(
        stream_of(
            event({"role": "assistant"}), event({"reasoning_content": "Let me look at the "}), event({})
        )
    )
    with pytest.raises(ServerThoughtOnly) as thought:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "only thought and gave no answer" in one_sentence(thought.value)


def test_an_empty_answer_without_thinking_is_empty(stand_in) -> None:
    server = stand_in(stream_of(event({"role": "assistant"}), event({"content": ""})))
    assert ServerEngine(ServerChoice(server.url)).describe(PICTURE) == ""


def counts_prompt(tokens_for_a_picture: int | None, asked: list[dict], server):
    """A server that says nothing of its model but counts each prompt's tokens (`usage`), as `transformers
    serve`, vLLM and LM Studio do: 5 for the word, and `tokens_for_a_picture` more with a picture (None:
    no usage given). The engine sends one request at a time, so the last one recorded is this one."""

    def reply(handler) -> None:
        body = json.loads(server.requests[-1][1])
        if body.get("stream"):
            send(handler, 200, event({"content": "A grey square."}), "text/event-stream")
            return
        asked.append(body)
        parts = body["messages"][0]["content"]
        pictured = any(part["type"] == "image_url" for part in parts)
        answer: dict = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "A"}}]}
        if tokens_for_a_picture is not None:
            answer["usage"] = {"prompt_tokens": 5 + (tokens_for_a_picture if pictured else 0)}
        send(handler, 200, json.dumps(answer).encode(), "application/json")

    return reply


@pytest.mark.parametrize(
    ("tokens_for_a_picture", "refused"),
    [(0, True), (64, False), (None, False)],
    ids=["picture dropped", "picture read", "no counts: taken at its word"],
)
def test_a_server_that_says_nothing_is_asked_whether_a_picture_adds_tokens(
    stand_in, tokens_for_a_picture, refused
) -> None:
    asked: list[dict] = []
    server = stand_in(lambda h: None)
    server.reply = counts_prompt(tokens_for_a_picture, asked, server)
    engine = ServerEngine(ServerChoice(server.url))
    if refused:
        with pytest.raises(ServerNoPictures) as no_pictures:
            engine.describe(PICTURE)
        assert "The model served at 127.0.0.1:" in one_sentence(no_pictures.value)
        assert len(server.requests) == 2  # the two one-word questions; the description never went
    else:
        assert engine.describe(PICTURE) == "A grey square."
        assert engine.describe(PICTURE) == "A grey square."
    expected = 2 if tokens_for_a_picture is not None else 1  # no count for the word: no second question
    assert len(asked) == expected  # asked once per engine, not before every picture
    assert all(body["max_tokens"] == 1 and "model" not in body for body in asked)
