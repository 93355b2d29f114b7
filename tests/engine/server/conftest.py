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


# A text-only chat model's turns, in the parts the app sends: a list of parts whose text is read.
TEXT_ONLY_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n"
    "{% if message.content is string %}{{ message.content }}{% else %}"
    "{% for part in message.content %}{% if part.type == 'text' %}{{ part.text }}{% endif %}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_text_model(folder: Path) -> Path:
    """A tiny random Llama chat model that reads text only, with its tokenizer and chat template."""
    import torch
    from tiny_checkpoints import train_byte_level_bpe
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=train_byte_level_bpe(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.chat_template = TEXT_ONLY_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    model.generation_config.update(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def serve(folder: Path, log: Path) -> Iterator[str]:
    """Run `transformers serve` pinned to the checkpoint in `folder` on 127.0.0.1 and a free port, on the
    processor; yields its address once it answers, and stops it after."""
    port = free_port()
    executable = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [str(executable), "serve", str(folder), "--device", "cpu", "--host", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=output, stderr=subprocess.STDOUT, env=env
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


@pytest.fixture(scope="session")
def served(tiny_smolvlm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of `transformers serve`, pinned to the tiny SmolVLM, on the processor."""
    yield from serve(tiny_smolvlm_dir, tmp_path_factory.mktemp("serve") / "serve.log")


@pytest.fixture(scope="session")
def served_text_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of `transformers serve`, pinned to a tiny model that reads text only."""
    folder = build_tiny_text_model(tmp_path_factory.mktemp("tiny-text-model"))
    yield from serve(folder, tmp_path_factory.mktemp("serve-text") / "serve.log")


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
