"""`--suite server`: the first spoken word through a model server against the server's own time to its
first sentence.

The server's own figure is the time from sending a request to the first sentence in its stream, read with
nothing but the HTTP stream and the sentence splitter; the app's is the controller's whole path (request,
model thread, the server engine, sentences, speech thread). The difference is what the app adds. Give
`--server URL` of a running server (`transformers serve MODEL`, Ollama, llama.cpp) and, where it serves
several, `--server-model NAME`; or `--synthetic smolvlm2-500m` (or another SmolVLM2 shape) to have the
suite write that full-size random checkpoint, serve it with a local `transformers serve` on 127.0.0.1,
measure through it and stop it.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.bench.families import FIRST_SENTENCE_TOKENS
from assistant.bench.firstword import measure_first_word
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.engine.base import Engine
from assistant.engine.server import (
    DEFAULT_TIMEOUT_S,
    DESCRIBE_PROMPTS,
    ServerChoice,
    ServerEngine,
    picture_url,
)
from assistant.engine.server_stream import stream_chat
from assistant.errors import UserError
from assistant.speech.sentences import SentenceStream

SCOPE: Scope = "once"
KEY = "server"
TARGET = (
    "first_word_over_server_first_sentence",
    1.1,
    "through a local model server, the first spoken word at most 1.1x the server's own first sentence",
)
SERVE_START_DEADLINE_S = 900.0  # a full-size model on a busy processor; a hang guard
SERVED_TIMEOUT_S = 600.0  # the same: a busy 2-core machine took over 60 s for its first answer


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


def bench_server(
    choice: ServerChoice,
    image: Image.Image,
    repeat: int = 3,
    timeout: float = DEFAULT_TIMEOUT_S,
    tokens: int | None = None,
) -> dict[str, Any]:
    """The server's own first sentence and the app's first spoken word through it (medians); `timeout`
    is the engine's deadline for each piece of the stream, `tokens` the answer's length (None: the app's)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    def engine_for_run() -> ServerEngine:
        engine = ServerEngine(choice, timeout)
        if tokens is not None:
            engine.max_tokens["brief"] = tokens
        return engine

    engine = engine_for_run()
    server_first_sentence(engine, image)  # a warm-up: a server may load its model on the first request
    own = statistics.median(server_first_sentence(engine, image) for _ in range(repeat))
    app = QApplication.instance() or QApplication([])

    def load() -> Engine:
        return engine_for_run()

    figures: dict[str, Any] = {"server_first_sentence_s": own}
    figures.update(measure_first_word(load, image, repeat))
    del app
    figures["first_word_over_server_first_sentence"] = figures["request_to_first_word_s"] / own
    return figures


def run(bench: Bench) -> dict[str, Any]:
    from assistant.bench.samples import dialog_on_desktop

    args = bench.args
    print("\n== through a model server", flush=True)
    image = dialog_on_desktop().image
    if getattr(args, "server", None):
        choice = ServerChoice(args.server, args.server_model or "", args.allow_remote_server)
        figures = bench_server(choice, image, args.repeat)
    elif getattr(args, "synthetic", None):
        with synthetic_server(args.synthetic) as (url, command):
            # A random model writes no sentence's end: its first sentence is its whole answer, cut at
            # the families suite's ten tokens, for the server's figure and the app's alike.
            figures = bench_server(
                ServerChoice(url), image, args.repeat, SERVED_TIMEOUT_S, FIRST_SENTENCE_TOKENS
            )
            figures["served"] = command
    else:
        figures = {"skipped": "give --server URL of a running model server, or --synthetic smolvlm2-500m"}
    show(figures)
    return figures


@contextmanager
def synthetic_server(name: str) -> Iterator[tuple[str, str]]:
    """A local `transformers serve` of the full-size random `name` (a SmolVLM2 shape), on 127.0.0.1 and
    a free port: its address and the command that started it. The checkpoint is deleted after."""
    from assistant.bench.synthetic_families import SHAPES

    servable = [shape for shape, spec in SHAPES.items() if spec["family"] == "smolvlm"]
    if name not in servable:
        raise UserError(f"The server suite serves --synthetic {', '.join(servable)}; {name} is not one.")
    folder = tempfile.mkdtemp(prefix=f"assistant-served-{name}-")
    try:
        print(f"Writing a random {name} checkpoint to {folder}", flush=True)
        code = "import sys; from assistant.bench.synthetic_families import save_full_size_family; "
        code += "save_full_size_family(sys.argv[1], sys.argv[2], for_serving=True)"
        subprocess.run([sys.executable, "-c", code, name, folder], check=True)  # its memory given back
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        command = [str(Path(sys.executable).with_name("transformers")), "serve", folder, "--device", "cpu"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        log = Path(folder) / "serve.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"}
            )
        try:
            _wait_for(server, f"http://127.0.0.1:{port}", log)
            yield f"http://127.0.0.1:{port}", " ".join(["transformers", *command[1:]])
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVE_START_DEADLINE_S
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise UserError(f"transformers serve did not start; its log ends: {log.read_text()[-500:]}")


def targets(figures: dict[str, Any], bench: Bench) -> Iterator[Target]:
    key, limit, meaning = TARGET
    if isinstance(figures.get(key), float):
        yield target(f"[server] {key}", figures[key], limit, meaning)
