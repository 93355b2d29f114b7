"""RapidOCR reading rendered screens: words read right, in reading order, columns whole."""

import numpy as np
import pytest
from PIL import Image

from assistant.ocr import read_text
from assistant.ocr.reader import content_box
from assistant.ocr.samples import dialog_on_desktop, text_screen, window_alone, words_of, words_read_right


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
