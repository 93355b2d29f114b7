"""Rendered screens whose text is known: what the reading-accuracy figure and the tests read.

Each sample is drawn with Pillow in the shapes a screen really has (a title bar, a menu, two columns,
a dialog on a desktop, small and dark themes), so the figure says how well real screen text is read.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont

_VOCABULARY = [
    "the",
    "quarterly",
    "report",
    "shows",
    "revenue",
    "growth",
    "across",
    "every",
    "region",
    "while",
    "costs",
    "stayed",
    "flat",
    "please",
    "save",
    "your",
    "work",
    "before",
    "the",
    "update",
    "restarts",
    "this",
    "computer",
    "tonight",
    "at",
    "nine",
    "error",
    "the",
    "file",
    "could",
    "not",
    "be",
    "opened",
    "because",
    "it",
    "is",
    "used",
    "by",
    "another",
    "program",
    "meeting",
    "notes",
    "project",
    "timeline",
    "budget",
    "review",
    "customer",
    "feedback",
    "release",
    "schedule",
    "open",
    "settings",
    "choose",
    "display",
    "and",
    "turn",
    "on",
    "high",
    "contrast",
    "for",
    "easier",
    "reading",
    "invoice",
    "number",
    "total",
    "amount",
    "due",
    "date",
    "payment",
    "received",
    "thank",
    "you",
    "for",
    "your",
    "order",
    "library",
    "kitchen",
    "garden",
    "window",
    "morning",
    "evening",
    "printer",
    "network",
    "password",
    "account",
]


@dataclass(frozen=True)
class SampleScreen:
    """A rendered picture and the lines on it, in the order a person reads them."""

    name: str
    image: Image.Image
    lines: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...] = ()
    """For layouts with columns: each column's lines, which must not be interleaved."""


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # DejaVu Sans is on nearly every Linux desktop; Pillow's own font stands in elsewhere.
    for name in ("DejaVuSans.ttf", "arial.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_VOCABULARY) for _ in range(words)).capitalize()


def text_screen(seed: int = 0, size: tuple[int, int] = (1920, 1080), font_size: int = 16) -> SampleScreen:
    """A full screen of text: a title bar, then two columns of about 20 lines each."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (246, 246, 246))
    draw = ImageDraw.Draw(image)
    title = "Quarterly report - Writer"
    draw.rectangle((0, 0, width, 32), fill=(48, 58, 78))
    draw.text((12, 8), title, fill="white", font=_font(15))
    pitch = int(font_size * 2.8)
    rows = (height - 80) // pitch
    columns: list[tuple[str, ...]] = []
    for left in (40, width // 2 + 40):
        column = tuple(_sentence(rng, rng.randint(5, 9)) for _ in range(rows))
        for row, line in enumerate(column):
            draw.text((left, 60 + row * pitch), line, fill=(20, 20, 20), font=_font(font_size))
        columns.append(column)
    return SampleScreen("full screen of text", image, (title, *columns[0], *columns[1]), tuple(columns))


def dialog_on_desktop(
    seed: int = 1,
    size: tuple[int, int] = (1920, 1080),
    desktop: tuple[int, int, int] = (38, 88, 138),
    font_size: int = 15,
    dark: bool = False,
) -> SampleScreen:
    """One window with a title bar, a menu and four lines of text, on a plain desktop."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, desktop)
    draw = ImageDraw.Draw(image)
    paper, ink = ((32, 32, 36), (230, 230, 230)) if dark else ((255, 255, 255), (0, 0, 0))
    left, top = size[0] // 2 - 350, size[1] // 2 - 200
    draw.rectangle((left, top, left + 700, top + 400), fill=paper)
    draw.rectangle((left, top, left + 700, top + 30), fill=(64, 64, 64))
    title = "Save changes - Editor"
    draw.text((left + 12, top + 6), title, fill="white", font=_font(15))
    menu = "File    Edit    View    Help"
    draw.text((left + 12, top + 42), menu, fill=ink, font=_font(font_size))
    body = tuple(_sentence(rng, 6) for _ in range(4))
    for row, line in enumerate(body):
        draw.text((left + 30, top + 100 + row * int(font_size * 2.6)), line, fill=ink, font=_font(font_size))
    return SampleScreen("dialog on a desktop", image, (title, menu, *body))


def error_message() -> SampleScreen:
    """A small error message, as a window of its own: a title bar and two lines, for asking what it says."""
    image = Image.new("RGB", (520, 160), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 520, 28), fill=(64, 64, 64))
    lines = ("Error - Editor", "The file could not be saved", "because the disk is full")
    draw.text((10, 5), lines[0], fill="white", font=_font(16))
    for row, line in enumerate(lines[1:]):
        draw.text((20, 60 + 40 * row), line, fill="black", font=_font(16))
    return SampleScreen("error message", image, lines)


def window_alone(sample: SampleScreen) -> SampleScreen:
    """The dialog of `dialog_on_desktop` cut out, as a capture of the focused window gives it."""
    width, height = sample.image.size
    left, top = width // 2 - 350, height // 2 - 200
    box = (left, top, left + 700, top + 400)
    return SampleScreen("one window", sample.image.crop(box), sample.lines)


def accuracy_samples(size: tuple[int, int] = (1920, 1080)) -> list[SampleScreen]:
    """The set the reading-accuracy figure is measured on: layouts, font sizes and themes, on screens
    of `size`."""
    dialog = dialog_on_desktop(size=size)
    return [
        text_screen(0, size),
        text_screen(2, size, font_size=13),
        text_screen(9, size, font_size=12),
        dialog,
        window_alone(dialog),
        dialog_on_desktop(3, size=size, font_size=12, dark=True),
        dialog_on_desktop(4, desktop=(200, 200, 200), size=size, font_size=18),
    ]


def words_of(text: str | Iterable[str]) -> list[str]:
    """The words of `text`, lower case, without punctuation: what counts as read right."""
    joined = text if isinstance(text, str) else " ".join(text)
    return re.findall(r"[a-z0-9]+", joined.lower())


def words_read_right(expected: Sequence[str], read: Sequence[str]) -> tuple[int, int]:
    """(words of `expected` found in `read`, counting each occurrence once; words expected)."""
    want = Counter(words_of(expected))
    got = Counter(words_of(read))
    return sum(min(count, got[word]) for word, count in want.items()), sum(want.values())
