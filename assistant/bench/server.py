"""`--suite server`: the first spoken word through a model server against the server's own time to its
first sentence.

The server's own figure is the time from sending a request to the first sentence in its stream, read with
nothing but the HTTP stream and the sentence splitter; the app's is the controller's whole path (request,
model thread, the server engine, sentences, speech thread). The difference is what the app adds. Give
`--server URL` of a running server (`transformers serve MODEL`, Ollama, llama.cpp) and, where it serves
several, `--server-model NAME`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from typing import Any

from PIL import Image

from assistant.bench.firstword import measure_first_word
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.engine.base import Engine
from assistant.engine.server import DESCRIBE_PROMPTS, ServerChoice, ServerEngine, picture_url
from assistant.engine.server_stream import stream_chat
from assistant.speech.sentences import SentenceStream

SCOPE: Scope = "once"
KEY = "server"
TARGET = (
    "first_word_over_server_first_sentence",
    1.1,
    "through a local model server, the first spoken word at most 1.1x the server's own first sentence",
)


def server_first_sentence(engine: ServerEngine, image: Image.Image) -> float:
    """Seconds from sending a description request to the first whole sentence in the server's stream."""
    body = engine.request_body(
        [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": picture_url(image)}},
                    {"type": "text", "text": DESCRIBE_PROMPTS["brief"]},
                ],
            }
        ],
        engine.max_tokens["brief"],
    )
    stream, text = SentenceStream(), ""
    started = time.perf_counter()
    for piece in stream_chat(engine.address, body, engine.key, engine.timeout):
        text += piece
        if stream.feed(" ".join(text.split())):
            return time.perf_counter() - started
    return time.perf_counter() - started  # one sentence only, ended by the stream's end


def bench_server(choice: ServerChoice, image: Image.Image, repeat: int = 3) -> dict[str, Any]:
    """The server's own first sentence and the app's first spoken word through it (medians)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    engine = ServerEngine(choice)
    server_first_sentence(engine, image)  # a warm-up: a server may load its model on the first request
    own = statistics.median(server_first_sentence(engine, image) for _ in range(repeat))
    app = QApplication.instance() or QApplication([])

    def load() -> Engine:
        return ServerEngine(choice)

    figures: dict[str, Any] = {"server_first_sentence_s": own}
    figures.update(measure_first_word(load, image, repeat))
    del app
    figures["first_word_over_server_first_sentence"] = figures["request_to_first_word_s"] / own
    return figures


def run(bench: Bench) -> dict[str, Any]:
    args = bench.args
    print("\n== through a model server", flush=True)
    if not getattr(args, "server", None):
        figures: dict[str, Any] = {"skipped": "give --server URL of a running model server"}
    else:
        from assistant.bench.samples import dialog_on_desktop

        choice = ServerChoice(args.server, args.server_model or "", args.allow_remote_server)
        figures = bench_server(choice, dialog_on_desktop().image, args.repeat)
    show(figures)
    return figures


def targets(figures: dict[str, Any], bench: Bench) -> Iterator[Target]:
    key, limit, meaning = TARGET
    if isinstance(figures.get(key), float):
        yield target(f"[server] {key}", figures[key], limit, meaning)
