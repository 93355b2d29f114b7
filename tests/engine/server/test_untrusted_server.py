"""A model server that is hostile or broken cannot hold the app: what is read of an answer is bounded
(one event, the answer's text, a whole answer sent at once), the whole answer has a deadline however slowly
it drips, and nothing it says about its model ends in a traceback. Each server here is a real one on
127.0.0.1 (docs/hostile-input.md, third round)."""

from __future__ import annotations

import http.server
import json
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from conftest import send
from PIL import Image

from assistant.cli import main
from assistant.engine import server_stream
from assistant.engine.base import Cancelled
from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_stream import (
    ServerBadAnswer,
    ServerRefused,
    ServerSlow,
    ServerThoughtOnly,
)

PICTURE = Image.new("RGB", (40, 30), (10, 120, 10))
HANG_GUARD_S = 30.0  # a deadline for a call that must return, never a timing
MB = 1024 * 1024


def event(delta: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}).encode() + b"\n\n"


def streaming(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()  # no length: the stream ends when the connection does
    handler.close_connection = True


def only_the_stream(reply: Callable[[Any], None]) -> Callable[[Any], None]:
    """`reply` for the streamed chat request; the picture probe's one-word questions get a 404, so a test
    meets only what the answer does."""

    def answer(handler: Any) -> None:
        handler.close_connection = True
        _, body = handler.server_stand_in.requests[-1]
        if json.loads(body).get("stream"):
            reply(handler)
        else:
            send(handler, 404, b"Not found", "text/plain")

    return answer


def writes(handler: Any, chunks: Any) -> None:
    """Write each chunk until the client hangs up."""
    try:
        for chunk in chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()
    except OSError:
        pass


@pytest.fixture
def hostile(stand_in):
    """A stand-in whose handlers can see their server's recorded requests."""

    def start(reply: Callable[[Any], None]):
        holder: list[Any] = []

        def with_requests(handler: Any) -> None:
            handler.server_stand_in = holder[0]
            reply(handler)

        server = stand_in(with_requests)
        holder.append(server)
        return server

    return start


def describe_within_guard(engine: ServerEngine, **kwargs: Any) -> BaseException | str:
    """engine.describe on a thread, so a regression fails at the hang guard instead of hanging."""
    outcome: list[BaseException | str] = []

    def run() -> None:
        try:
            outcome.append(engine.describe(PICTURE, **kwargs))
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(HANG_GUARD_S)
    assert not worker.is_alive(), "the answer had no deadline"
    return outcome[0]


def test_an_event_line_that_never_ends_is_refused(hostile) -> None:
    # 3 MB of one `data:` line, and the stream kept open: before, the line was read on until its newline
    # (a line of hundreds of MB ended in MemoryError) or the connection's timeout.
    def endless_line(handler: Any) -> None:
        streaming(handler)
        writes(handler, [b"data: ", *([b"a" * (64 * 1024)] * 48)])
        handler.server_stand_in.release.wait(HANG_GUARD_S)

    server = hostile(only_the_stream(endless_line))
    engine = ServerEngine(ServerChoice(server.url), timeout=HANG_GUARD_S * 4)
    assert isinstance(describe_within_guard(engine), ServerBadAnswer)


def test_data_lines_that_never_make_an_event_are_refused(hostile) -> None:
    def no_blank_line(handler: Any) -> None:
        streaming(handler)
        writes(handler, [b"data: " + b"a" * 1000 + b"\n"] * 3000)
        handler.server_stand_in.release.wait(HANG_GUARD_S)

    server = hostile(only_the_stream(no_blank_line))
    engine = ServerEngine(ServerChoice(server.url), timeout=HANG_GUARD_S * 4)
    assert isinstance(describe_within_guard(engine), ServerBadAnswer)


def test_a_whole_answer_past_the_limit_is_refused(hostile) -> None:
    answer = {"choices": [{"message": {"content": "x" * (3 * MB)}}]}
    server = hostile(only_the_stream(lambda h: send(h, 200, json.dumps(answer).encode(), "application/json")))
    with pytest.raises(ServerBadAnswer):
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)


def test_an_answer_that_never_ends_is_cut_at_its_length(hostile) -> None:
    # The server ignores max_tokens and keeps the stream open: before, the answer grew until the
    # connection's timeout, each word cleaning all the text before it.
    def endless_words(handler: Any) -> None:
        streaming(handler)
        writes(handler, [event({"content": "word "})] * 5000)
        handler.server_stand_in.release.wait(HANG_GUARD_S)

    server = hostile(only_the_stream(endless_words))
    engine = ServerEngine(ServerChoice(server.url), timeout=HANG_GUARD_S)
    engine.max_tokens["brief"] = 10
    heard: list[str] = []
    text = describe_within_guard(engine, on_text=heard.append)
    limit = 10 * server_stream.CHARACTERS_PER_TOKEN
    assert isinstance(text, str) and text.startswith("Word word") and len(text) <= limit + 1
    assert len(heard) <= limit


def test_reasoning_that_never_ends_is_cut_at_the_answers_length(hostile) -> None:
    def endless_thinking(handler: Any) -> None:
        streaming(handler)
        writes(handler, [event({"reasoning_content": "Hmm, "})] * 5000)
        handler.server_stand_in.release.wait(HANG_GUARD_S)

    server = hostile(only_the_stream(endless_thinking))
    engine = ServerEngine(ServerChoice(server.url), timeout=HANG_GUARD_S)
    engine.max_tokens["brief"] = 10
    assert isinstance(describe_within_guard(engine), ServerThoughtOnly)


@pytest.mark.parametrize("where", ["in its headers", "in its answer"])
def test_a_server_that_drips_meets_the_answers_deadline(hostile, monkeypatch, where) -> None:
    # A byte every 0.05 s: each read is well within the 0.5 s timeout, so only a deadline for the whole
    # answer ends it (0.5 s, and 0.5 s for its one token).
    monkeypatch.setattr(server_stream, "SECONDS_PER_TOKEN", 0.5)
    stop = threading.Event()

    def drip(handler: Any) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
        if where == "in its answer":
            writes(handler, [head])
            head = b""
        words = event({"content": "A green square. "}) * 1000
        writes(handler, (bytes([byte]) for byte in head + words if not stop.wait(0.05)))
        handler.close_connection = True

    server = hostile(only_the_stream(drip))
    engine = ServerEngine(ServerChoice(server.url), timeout=0.5)
    engine.max_tokens["brief"] = 1
    try:
        outcome = describe_within_guard(engine)
    finally:
        stop.set()
    # "within 1 seconds" here; a machine so busy that one byte took the reads' 0.5 s says that instead.
    assert isinstance(outcome, ServerSlow), outcome


def test_stop_ends_a_silent_stream_that_ends_with_its_connection(hostile) -> None:
    # No length and not chunked: http.client hands the response the socket and forgets it, so Stop shut
    # down no socket and waited for the server's next word (here: never, and a minute's timeout).
    def first_words_then_silence(handler: Any) -> None:
        streaming(handler)
        writes(handler, [event({"content": "A green square "})])
        handler.server_stand_in.release.wait(HANG_GUARD_S)

    server = hostile(only_the_stream(first_words_then_silence))
    heard, cancel = threading.Event(), threading.Event()
    engine = ServerEngine(ServerChoice(server.url), timeout=HANG_GUARD_S * 4)
    outcome: list[BaseException | str] = []

    def describe() -> None:
        try:
            outcome.append(engine.describe(PICTURE, on_text=lambda _: heard.set(), cancel=cancel))
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=describe)
    worker.start()
    assert heard.wait(HANG_GUARD_S)
    cancel.set()  # the user's Stop, from another thread, while the server says nothing
    worker.join(HANG_GUARD_S)
    assert not worker.is_alive(), "Stop did not end the stream"
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)


class Props(http.server.BaseHTTPRequestHandler):
    """A server whose llama.cpp-style `/props` is `props` (bytes), dripped a byte at a time where `drip`;
    its chat answer is one short sentence."""

    protocol_version = "HTTP/1.1"
    props = b"{}"
    drip = False
    stop = threading.Event()

    def do_GET(self) -> None:
        if not self.drip:
            send(self, 200, self.props, "application/json")
            return
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        writes(self, (bytes([byte]) for byte in head + b" " * 100000 if not self.stop.wait(0.05)))
        self.close_connection = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        send(self, 200, event({"content": "A green square."}), "text/event-stream")

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_props(props: bytes, drip: bool = False) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("Handler", (Props,), {"props": props, "drip": drip, "stop": threading.Event()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name="props server").start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def stop_serving(server: http.server.ThreadingHTTPServer) -> None:
    server.RequestHandlerClass.stop.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "props", [b'{"modalities": "vision"}', b'{"modalities": ["vision"]}', b'{"modalities": 1}', b"[1, 2]"]
)
def test_what_a_server_says_of_its_model_in_the_wrong_shape_is_not_a_traceback(props) -> None:
    # Before: AttributeError ('str' object has no attribute 'get'), a traceback from `describe --server`.
    server, url = serve_props(props)
    try:
        assert ServerEngine(ServerChoice(url)).describe(PICTURE) == "A green square."
    finally:
        stop_serving(server)


def test_a_server_that_drips_what_its_model_reads_is_not_waited_for() -> None:
    # Each byte is within the probe's timeout (0.5 s here); before, the page of a million bytes was read
    # to its end, a byte every 0.05 s.
    server, url = serve_props(b"", drip=True)
    try:
        assert describe_within_guard(ServerEngine(ServerChoice(url), timeout=0.5)) == "A green square."
    finally:
        stop_serving(server)


def test_hidden_characters_in_an_answer_are_not_passed_on(hostile) -> None:
    # C1 controls (CSI), bidi overrides, zero widths and U+FFFD, as the local models' text drops them.
    words = "A \x9b31mred\u202e square\u200b \ufffdand \x1b[2Jmore."
    server = hostile(only_the_stream(lambda h: send(h, 200, event({"content": words}), "text/event-stream")))
    heard: list[str] = []
    text = ServerEngine(ServerChoice(server.url)).describe(PICTURE, on_text=heard.append)
    assert text == "A 31mred square and [2Jmore."
    assert all(not set(said) & set("\x9b\u202e\u200b\ufffd\x1b") for said in heard)


def test_hidden_characters_in_a_servers_error_are_not_passed_on(hostile) -> None:
    # The server's own words are spoken and shown in the app, where no terminal escapes them.
    words = json.dumps({"error": {"message": "Busy \x1b[2J\x9b31m\u202e now"}}).encode()
    server = hostile(only_the_stream(lambda h: send(h, 503, words, "application/json")))
    with pytest.raises(ServerRefused) as refused:
        ServerEngine(ServerChoice(server.url)).describe(PICTURE)
    assert "(error 503: Busy [2J 31m now)" in str(refused.value)


def test_describe_with_such_a_server_says_one_sentence(tmp_path, capsys) -> None:
    # As a user runs it: `assistant describe --server URL --server-model m picture.png`.
    picture = tmp_path / "noise.png"
    Image.frombytes("RGB", (64, 40), random.Random(4).randbytes(64 * 40 * 3)).save(picture)
    server, url = serve_props(b'{"modalities": "vision"}')
    try:
        code = main(["describe", str(picture), "--no-ocr", "--server", url, "--server-model", "m"])
    finally:
        stop_serving(server)
    out, err = capsys.readouterr()
    assert (code, out.strip()) == (0, "A green square."), err
