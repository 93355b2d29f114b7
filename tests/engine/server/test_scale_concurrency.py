"""`assistant alt-text PATHS --server URL --concurrency N`: up to N pictures in flight at once to the
server, and the same alt-text as one at a time.

The comparison is with `--concurrency 1` against the same `transformers serve`, not with the local
engine: the local SmolVLM is asked its own shorter prompt ("in one sentence", 40 tokens) where a chat
server is asked the server engine's (assistant/engine/server.py, 80 tokens), so their words differ by
design even for one deterministic checkpoint.
"""

from __future__ import annotations

import json
import random
import shutil
import threading
from pathlib import Path

from conftest import send
from PIL import Image

from assistant.cli import main

HANG_GUARD_S = 60.0  # how long the stand-in waits for the others in flight; a deadline, never a timing


def pictures_folder(folder: Path, count: int) -> Path:
    folder.mkdir()
    for index in range(count):
        pixels = random.Random(index).randbytes(48 * 32 * 3)  # not one colour: blank is named locally
        Image.frombytes("RGB", (48, 32), pixels).save(folder / f"p{index}.png")
        (folder / f"doc{index}.md").write_text(f"# {index}\n\n![](p{index}.png)\n")
    return folder


def alt_texts(capsys, folder: Path, *options: str) -> dict[str, str]:
    code = main(["alt-text", str(folder), "--json", *options])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    return {
        Path(document["path"]).name: image["new_alt"]
        for document in report["documents"]
        for image in document["images"]
    }


def test_four_at_once_says_what_one_at_a_time_says(capsys, served, tmp_path) -> None:
    folder = pictures_folder(tmp_path / "docs", 6)
    one = alt_texts(capsys, folder, "--server", served, "--concurrency", "1")
    four = alt_texts(capsys, folder, "--server", served, "--concurrency", "4")
    assert len(four) == 6 and all(four.values()), four
    assert four == one
    shutil.copytree(folder, tmp_path / "written")
    main(["alt-text", str(tmp_path / "written"), "--write", "--server", served, "--concurrency", "4"])
    capsys.readouterr()
    assert "![](" not in (tmp_path / "written" / "doc0.md").read_text()


def test_n_pictures_are_in_flight_at_once(capsys, stand_in, tmp_path) -> None:
    """Each request waits until six are in flight together: six distinct pictures are written only
    when all six went at once (the default of four would leave the barrier short)."""
    together = threading.Barrier(6, timeout=HANG_GUARD_S)
    lock, in_flight, most = threading.Lock(), [0], [0]

    def reply(handler) -> None:
        # Only the streamed descriptions; the first-use questions (and other pages) are not answered.
        if not handler.path.endswith("/chat/completions") or "event-stream" not in handler.headers["Accept"]:
            send(handler, 404, b"{}", "application/json")
            return
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            together.wait()
            delta = {"choices": [{"index": 0, "delta": {"content": "A speckled picture"}}]}
            send(
                handler,
                200,
                b"data: " + json.dumps(delta).encode() + b"\n\ndata: [DONE]\n\n",
                "text/event-stream",
            )
        finally:
            with lock:
                in_flight[0] -= 1

    server = stand_in(reply)
    folder = pictures_folder(tmp_path / "docs", 6)
    texts = alt_texts(capsys, folder, "--server", server.url, "--concurrency", "6")
    assert set(texts.values()) == {"A speckled picture."}
    assert most[0] == 6
    chats = [body for _headers, body in server.requests if b'"stream": true' in body]
    assert len(chats) == 6  # each picture sent once
    questions = [body for _headers, body in server.requests if b'"stream": false' in body]
    assert len(questions) == 1  # the first-use question, asked once, not by each of the six


def test_concurrency_without_a_server_or_ray_is_one_sentence(capsys, tmp_path) -> None:
    folder = pictures_folder(tmp_path / "docs", 1)
    code = main(["alt-text", str(folder), "--concurrency", "2", "--model", str(tmp_path / "nothing")])
    _, err = capsys.readouterr()
    assert code == 1
    assert (
        err.strip()
        == "--concurrency needs --server URL (requests in flight) or --ray (engines); add one, or leave it out."
    )
