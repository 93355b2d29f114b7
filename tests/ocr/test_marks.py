"""The Spanish "¡", outside the shipped recogniser's alphabet, is read where the pixels show one and
nowhere else (assistant/ocr/marks.py); the dialogs of a real program are in test_scripts.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from assistant.ocr import TextReader
from assistant.ocr.marks import openings_at, restore_openings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_font = pytest.mark.skipif(
    not FONT.is_file(), reason="needs DejaVu Sans (apt-get install fonts-dejavu-core)"
)
SPANISH = ["¡Hola! ¿Qué tal?", "Hola, ¡qué bien! Ojo; ¡ya!", "¡Atención!"]
# An "i" before a "!", a ";" and a "j" reaching below the line: nothing of it may change.
ENGLISH = ["Mi iPhone dice: i! Hi! Wait; it's ok!", "Just do it! Yes; join in!"]


def page(lines: list[str], size: int) -> Image.Image:
    font = ImageFont.truetype(str(FONT), size)
    step = 2 * size
    picture = Image.new("RGB", (60 + 26 * size, 40 + step * len(lines)), "white")
    draw = ImageDraw.Draw(picture)
    for index, line in enumerate(lines):
        draw.text((20, 20 + step * index), line, font=font, fill=(20, 20, 20))
    return picture


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader()


@needs_font
@pytest.mark.slow
@pytest.mark.parametrize("size", [14, 20, 26])
def test_the_opening_mark_is_read_and_an_english_i_or_semicolon_is_not_one(reader, size: int) -> None:
    assert reader.read(page(SPANISH + ENGLISH, size), language="es").lines == SPANISH + ENGLISH


@needs_font
def test_a_line_read_before_is_not_given_the_mark_of_a_neighbour_outside_its_box(reader) -> None:
    """The detector's box can leave a line's "¡" out; the line's reading is remembered with what is
    just left of the box, so the same words without a "¡" are read without one."""
    # At 22 px, 30 px in, the detector's box starts at the "H" whether the "¡" is there or not.
    font = ImageFont.truetype(str(FONT), 22)
    with_mark = Image.new("RGB", (400, 66), "white")
    ImageDraw.Draw(with_mark).text((30, 30), "¡Hola! ¿Qué tal?", font=font, fill=(20, 20, 20))
    without = with_mark.copy()
    left, top, right, bottom = ImageDraw.Draw(without).textbbox((30, 30), "¡", font=font)
    ImageDraw.Draw(without).rectangle((left, top, right - 1, bottom), fill="white")
    assert reader.read(with_mark, language="es").lines == ["¡Hola! ¿Qué tal?"]
    assert reader.read(without, language="es").lines == ["Hola! ¿Qué tal?"]


def test_a_line_without_a_closing_mark_is_not_looked_at_again() -> None:
    def recognise(_pictures: list[np.ndarray]) -> list[str]:
        raise AssertionError("a line without '!' was read again")

    picture = np.full((48, 200, 3), 255, np.uint8)
    assert restore_openings("iPhone", picture, recognise) == "iPhone"


def test_only_a_mark_read_as_nothing_or_as_i_becomes_the_opening_one() -> None:
    assert openings_at("Hola!", "!Hola!") == [(0, 0)]
    assert openings_at("Hola, iqué bien!", "Hola, !qué bien!") == [(6, 7)]
    assert openings_at("Hola, qué bien! Ojo; ya!", "Hola, !qué bien! Ojo; !ya!") == [(6, 6), (21, 21)]
    assert openings_at("Ojo; ya!", "Ojo! ya!") is None  # a ";" is a ";"
    assert openings_at("Hola!", "!Hola?") is None  # anything else changed
    assert openings_at("Hola!", "Hola!") == []
