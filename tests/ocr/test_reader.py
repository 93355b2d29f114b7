"""RapidOCR reading rendered screens: words read right, in reading order, columns whole."""

import os
import sys

import numpy as np
import pytest
from PIL import Image

from assistant.bench.samples import dialog_on_desktop, text_screen, window_alone, words_of, words_read_right
from assistant.ocr import read_text
from assistant.ocr.reader import BACKENDS, content_box


def test_a_dialog_on_a_desktop_is_read_title_first_in_order() -> None:
    sample = dialog_on_desktop()
    read = read_text(sample.image)
    right, total = words_read_right(sample.lines, read.lines)
    assert right >= 0.9 * total
    assert words_of(read.lines[0]) == words_of(sample.lines[0])  # the title bar comes first
    assert words_of(" ".join(read.lines)) == words_of(" ".join(sample.lines))


def test_two_columns_are_not_interleaved() -> None:
    sample = text_screen(7, size=(1400, 400), font_size=16)
    read = words_of(" ".join(read_text(sample.image).lines))
    left, right = (words_of(" ".join(column)) for column in sample.columns)
    assert read[: len(words_of(sample.lines[0]))] == words_of(sample.lines[0])
    # The whole left column is read before the first line of the right one.
    last_left, first_right = left[-3:], right[:3]
    joined = " ".join(read)
    assert joined.index(" ".join(last_left)) < joined.index(" ".join(first_right))


def test_a_window_cut_out_reads_the_same_words() -> None:
    sample = window_alone(dialog_on_desktop(5, dark=True))
    right, total = words_read_right(sample.lines, read_text(sample.image).lines)
    assert right >= 0.9 * total


@pytest.mark.parametrize("colour", ["white", "black", (30, 80, 160)])
def test_a_plain_picture_has_no_text(colour) -> None:
    picture = Image.new("RGB", (640, 360), colour)
    assert not read_text(picture)
    assert content_box(np.asarray(picture)) is None


def test_the_content_box_holds_the_one_window() -> None:
    sample = dialog_on_desktop()
    left, top, right, bottom = content_box(np.asarray(sample.image))
    width, height = sample.image.size
    assert (left, top) <= (width // 2 - 350, height // 2 - 200)
    assert (right, bottom) >= (width // 2 + 350, height // 2 + 200)
    assert right - left < 760 and bottom - top < 460


def test_a_screen_read_again_gives_the_same_lines_and_a_changed_one_its_own() -> None:
    from assistant.ocr import TextReader

    reader = TextReader()
    first, second = dialog_on_desktop(11), dialog_on_desktop(12)
    lines = reader.read(first.image).lines
    assert reader.read(first.image).lines == lines
    changed = reader.read(second.image).lines
    assert words_of(" ".join(changed)) == words_of(" ".join(second.lines))
    reader.forget()
    assert reader.read(first.image).lines == lines


def test_onnxruntime_runs_the_models_when_openvino_is_not_installed(monkeypatch) -> None:
    from assistant.ocr import TextReader
    from assistant.ocr.reader import default_backend

    monkeypatch.setitem(sys.modules, "openvino", None)  # as if it were not installed
    assert default_backend() == "onnxruntime"
    assert TextReader().backend == "onnxruntime"


def test_a_reader_whose_openvino_cannot_start_reads_with_onnxruntime(monkeypatch) -> None:
    from assistant.ocr import TextReader

    monkeypatch.setitem(sys.modules, "openvino", None)  # the import fails, as a broken install's does
    reader = TextReader(backend="openvino")
    sample = dialog_on_desktop(6)
    read = reader.read(sample.image)
    assert reader.backend == "onnxruntime"
    assert words_of(" ".join(read.lines)) == words_of(" ".join(sample.lines))


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_reads_every_word_of_a_dialog_in_order(backend) -> None:
    if backend == "openvino":
        pytest.importorskip("openvino")
    from assistant.ocr import TextReader

    reader = TextReader(backend=backend)
    sample = dialog_on_desktop(8)
    assert words_of(" ".join(reader.read(sample.image).lines)) == words_of(" ".join(sample.lines))
    assert reader.backend == backend


def test_reading_with_openvino_sends_nothing_and_writes_nothing_to_the_home_folder(tmp_path) -> None:
    pytest.importorskip("openvino")
    import subprocess

    script = (
        "import sys, threading\n"
        "from assistant.ocr import TextReader\n"
        "reader = TextReader(backend='openvino')\n"
        "reader.warm_up()\n"
        "assert reader.backend == 'openvino', reader.backend\n"
        "assert 'openvino_telemetry' not in sys.modules, 'the telemetry module was imported'\n"
        "assert [t.name for t in threading.enumerate()] == ['MainThread'], threading.enumerate()\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "CI": ""}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []  # no ~/intel with a client id
