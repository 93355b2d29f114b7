"""A real `transformers serve` on 127.0.0.1 with a tiny random SmolVLM, started once for the session, and a
small stand-in server for the answers a real server gives only when something is wrong."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tiny_checkpoints.smolvlm import build_tiny_smolvlm

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the Settings and bench tests make a QApplication
SERVE_START_DEADLINE_S = 180.0  # about 13 s on 2 idle cores; a hang guard, not a timing


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def tiny_smolvlm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_smolvlm(tmp_path_factory.mktemp("tiny-smolvlm"))


@pytest.fixture(scope="session")
def served(tiny_smolvlm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of `transformers serve`, pinned to the tiny SmolVLM, on the processor."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    serve = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(serve),
                "serve",
                str(tiny_smolvlm_dir),
                "--device",
                "cpu",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVE_START_DEADLINE_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"transformers serve ended at start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


Reply = Callable[[http.server.BaseHTTPRequestHandler], None]


class StandIn:
    """An HTTP server on 127.0.0.1 whose every POST is answered by `reply`; it records what it was sent."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()  # ends a reply that waits for it
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stand_in.requests.append((dict(self.headers), body))
                stand_in.reply(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="stand-in server")

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()  # joins the threads still answering
        self.thread.join()


def send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def stand_in() -> Callable[[Reply], StandIn]:
    """Starts a StandIn for a reply; each is stopped at the end of the test."""
    started: list[StandIn] = []

    def start(reply: Reply) -> StandIn:
        server = StandIn(reply).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()
