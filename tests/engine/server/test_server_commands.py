"""`--server`, `--server-model` and `--allow-remote-server` on describe, ask and alt-text."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest
from conftest import free_port
from PIL import Image

from assistant.cli import main


@pytest.fixture
def picture(tmp_path) -> str:
    path = tmp_path / "red.png"  # not one colour: a blank picture is named without the model
    Image.frombytes("RGB", (64, 40), random.Random(4).randbytes(64 * 40 * 3)).save(path)
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_describe_and_ask_through_the_server(capsys, served, picture) -> None:
    code, out, err = run(capsys, "describe", picture, "--no-ocr", "--server", served)
    assert code == 0 and out.strip() and "blank" not in out, err
    code, out, err = run(capsys, "ask", picture, "What colour is it?", "--no-ocr", "--server", served)
    assert code == 0 and out.strip(), err


def test_a_server_model_it_does_not_serve(capsys, served, picture) -> None:
    code, out, err = run(
        capsys, "ask", picture, "Why?", "--no-ocr", "--server", served, "--server-model", "other"
    )
    assert code == 1 and not out
    (line,) = err.strip().splitlines()
    assert line.startswith("The model server at 127.0.0.1:") and "--server-model" in line


def test_a_remote_server_is_refused_with_the_option_that_allows_it(capsys, picture) -> None:
    code, out, err = run(capsys, "ask", picture, "Why?", "--no-ocr", "--server", "https://192.0.2.10:8443")
    assert code == 1 and not out
    (line,) = err.strip().splitlines()
    assert "would receive pictures of your screen" in line and "--allow-remote-server" in line


def test_describe_says_why_the_server_did_not_answer(capsys, picture) -> None:
    _, out, err = run(capsys, "describe", picture, "--no-ocr", "--server", f"http://127.0.0.1:{free_port()}")
    assert not out and "does not answer (nothing listens there); start it" in err


def test_alt_text_through_the_server(capsys, served, tmp_path, picture) -> None:
    (tmp_path / "notes.md").write_text("A chart: ![](red.png)\n")
    code, out, err = run(capsys, "alt-text", str(tmp_path / "notes.md"), "--server", served)
    assert code == 0, err
    assert "notes.md" in out


def test_the_fall_back_to_the_local_model_is_said_once(tiny_model_dir, picture) -> None:
    """The sentence is the user's, on stderr once: the engine's log must not print it a second time
    (a command sets no logging, so Python's last-resort handler printed every warning)."""
    down = f"http://127.0.0.1:{free_port()}"
    options = ["--no-ocr", "--precision", "fp32", "--model", str(tiny_model_dir), "--server", down]
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "describe", picture, *options],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        timeout=300,  # a hang guard
    )
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    assert done.stderr.count("Meanwhile the local model answers.") == 1, done.stderr
