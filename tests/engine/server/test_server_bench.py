"""`assistant bench --suite server` against the session's `transformers serve`: it measures both figures and
the target's ratio (its values are not checked: a target, not a timed test)."""

from __future__ import annotations

from PIL import Image

from assistant.bench.server import bench_server
from assistant.bench.suites import SUITES
from assistant.engine.server import ServerChoice


def test_the_server_suite_gives_its_figures(served, qtbot) -> None:
    assert SUITES["server"] == "server"
    figures = bench_server(ServerChoice(served), Image.new("RGB", (64, 40), (30, 30, 200)), repeat=1)
    assert figures["server_first_sentence_s"] > 0 and figures["request_to_first_word_s"] > 0
    assert figures["first_word_over_server_first_sentence"] > 0
    assert figures["first_word_engine"].startswith(
        "the served model on the model server at http://127.0.0.1:"
    )
