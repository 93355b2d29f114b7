"""Alt-text on a real local Ray (2 CPUs, loopback only) with the tiny BLIP-2: a corpus of every format
comes out byte-identical to the single-process run's, with the same report; an actor killed mid-batch
and a driver stopped mid-run still end with every document written once.

One Ray for the module (starting one costs seconds on 2 cores); each run makes its own two actors.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from doc_helpers import BLUE, GREEN, RED, YELLOW, png
from test_epub import build_epub
from test_office import build_docx, build_pptx
from test_pdf import tagged_pdf

from assistant.documents.journal import DONE_NOTE, journal_for
from assistant.documents.ray_run import LOCAL, LOOPBACK, SINGLE_COMPUTER_ENV, EngineRecipe, ray_engine, start
from assistant.documents.results import RunReport
from assistant.documents.runner import Options, Runner

# Not imported here: the local Ray's loopback-only mode is set before Ray is first imported (ray_run).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("ray") is None, reason="needs Ray: pip install assistant[scale]"
    ),
]

HEAD_DEADLINE_S = 240  # a hang guard for `ray start --head` and the run that joins it, never a timing
DOCUMENTS = ["page.html", "notes.md", "letter.docx", "slides.pptx", "book.epub", "figures.pdf"]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    start(LOCAL, num_cpus=2)  # before Ray is imported: start() keeps it to 127.0.0.1
    import ray

    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """One corpus, copied for each run: pypdf's PDFs differ from build to build (their /ID)."""
    return build_corpus(tmp_path_factory.mktemp("corpus") / "docs")


def copy(corpus: Path, folder: Path) -> list[Path]:
    shutil.copytree(corpus, folder)
    return [folder / name for name in DOCUMENTS]


def build_corpus(folder: Path) -> Path:
    folder.mkdir()
    for name, color in (("red", RED), ("green", GREEN), ("blue", BLUE), ("yellow", YELLOW)):
        (folder / f"{name}.png").write_bytes(png(color, (40, 30)))
    (folder / "page.html").write_text('<p><img src="red.png"> <img src="green.png" alt=""></p>\n')
    (folder / "notes.md").write_text("# Notes\n\n![](blue.png) and ![](yellow.png)\n")
    build_docx(folder / "letter.docx")
    (folder / "python-powered.png").write_bytes(png(RED, (40, 30)))
    build_pptx(folder / "slides.pptx", folder / "python-powered.png")
    build_epub(folder / "book.epub")
    (folder / "figures.pdf").write_bytes(tagged_pdf([None, "figure.png"]))
    return folder


def outcome(report: RunReport) -> list[tuple[str, str, list[tuple[str, str | None, str]]]]:
    """The report without its paths' folders and its timings."""
    return [
        (
            document.path.name,
            document.error,
            [(image.outcome.value, image.new_alt, image.reason) for image in document.images],
        )
        for document in report.documents
    ]


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


OPTIONS = dict(write=True, fix_suspicious=True, batch_size=2)


@pytest.fixture(scope="module")
def single(corpus, tiny_engine, tmp_path_factory) -> tuple[dict[str, bytes], RunReport]:
    """The single-process run: what every Ray run must match."""
    folder = tmp_path_factory.mktemp("single") / "docs"
    documents = copy(corpus, folder)
    report = Runner(tiny_engine, Options(**OPTIONS)).run(documents)
    assert not report.failed and sum(document.written for document in report.documents) == 6
    return files(folder), report


def recipe(tiny_model_dir: Path) -> EngineRecipe:
    return EngineRecipe(model=str(tiny_model_dir), device="cpu", precision="fp32")


class KilledOnce:
    """An actor handle whose first call is sent and then its actor killed, while the call runs."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.killed = False
        outer = self

        class Method:
            @staticmethod
            def remote(*args: Any) -> Any:
                import ray

                call = actor.describe.remote(*args)
                if not outer.killed:
                    outer.killed = True
                    ray.kill(actor, no_restart=False)  # Ray restarts it and sends the call again
                return call

        self.describe = Method


def test_ray_writes_what_one_process_writes_even_with_an_actor_killed_mid_batch(
    local_ray, corpus, single, tiny_model_dir, tmp_path
) -> None:
    expected_files, expected_report = single
    documents = copy(corpus, tmp_path / "docs")
    options = Options(**OPTIONS)
    with ray_engine(recipe(tiny_model_dir), actors=2) as engine:
        assert "on 2 Ray actors" in engine.summary
        killed = KilledOnce(engine.actors[0])
        engine.actors[0] = killed
        report = Runner(engine, options).run(documents)
    assert killed.killed
    assert outcome(report) == outcome(expected_report)
    assert files(tmp_path / "docs") == expected_files


def test_a_stopped_driver_run_again_finishes_the_rest_and_writes_nothing_twice(
    local_ray, corpus, single, tiny_model_dir, tmp_path
) -> None:
    expected_files, _ = single
    documents = copy(corpus, tmp_path / "docs")
    options = Options(**OPTIONS)

    def stop_after_two(images_done: int, images_total: int, documents_done: int, total: int) -> None:
        if documents_done >= 2:
            raise KeyboardInterrupt  # as Ctrl+C or SIGTERM in the driver

    with ray_engine(recipe(tiny_model_dir), actors=2) as engine:
        journal = journal_for(options, "tiny", tmp_path / "cache")
        first = Runner(engine, options, on_progress=stop_after_two, journal=journal).run(documents)
        assert first.interrupted
        written = {document.path for document in first.documents if document.written}
        assert len(written) == 2
        inodes = {path: path.stat().st_ino for path in written}  # a write renames a new file over
        journal = journal_for(options, "tiny", tmp_path / "cache")
        second = Runner(engine, options, journal=journal).run(documents)
    assert not second.interrupted and not second.failed
    assert {document.path for document in second.documents if document.notes == [DONE_NOTE]} == written
    assert {path: path.stat().st_ino for path in written} == inodes  # not written again
    assert files(tmp_path / "docs") == expected_files


def test_the_command_line_on_ray(local_ray, corpus, single, tiny_model_dir, tmp_path, capsys) -> None:
    import ray

    from assistant.cli import main

    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}  # loopback only
    expected_files, _ = single
    copy(corpus, tmp_path / "docs")
    model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
    code = main(["alt-text", str(tmp_path / "docs"), "--write", "--fix-suspicious", "--ray", *model])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert files(tmp_path / "docs") == expected_files
    code = main(["alt-text", str(tmp_path / "docs"), "--ray", "--model", str(tmp_path / "nothing")])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1, err


def test_joining_a_ray_started_by_ray_start(corpus, single, tiny_model_dir, tmp_path) -> None:
    """A head started by `ray start` on 127.0.0.1 (with its own token), joined by the command line in
    another process: the same files as the single process's."""
    expected_files, _ = single
    copy(corpus, tmp_path / "docs")
    token = secrets.token_hex(32)
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token, SINGLE_COMPUTER_ENV: "0"}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    ray_command = Path(sys.executable).with_name("ray")
    head_options = ["--node-ip-address", LOOPBACK, "--port", str(port), "--num-cpus", "2"]
    head = subprocess.Popen(
        [str(ray_command), "start", "--head", "--block", *head_options, "--include-dashboard", "false"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + HEAD_DEADLINE_S
        while True:  # the head's GCS takes seconds to listen
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                assert head.poll() is None and time.monotonic() < deadline, "ray start --head did not start"
                time.sleep(0.25)
        model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
        options = ["--write", "--fix-suspicious", "--ray", f"{LOOPBACK}:{port}", *model]
        run = subprocess.run(
            [sys.executable, "-m", "assistant", "alt-text", str(tmp_path / "docs"), *options],
            env=env,
            capture_output=True,
            timeout=HEAD_DEADLINE_S,
            check=False,
        )
        assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:]
        assert files(tmp_path / "docs") == expected_files
    finally:
        head.terminate()  # --block: the head stops its own processes
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
