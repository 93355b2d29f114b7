"""The Spanish opening exclamation mark, "¡", which the shipped recogniser cannot write.

PP-OCRv6's alphabet (18,708 characters) has "¿" but not "¡", so a screen's "¡Hola!" was read as
"Hola!" (the mark left out) or, before a small letter, as "iqué" (the mark taken for an "i"). RapidOCR's
Latin recognisers, whose alphabet has it, are downloads from ModelScope only, which the app does not make
(docs/ocr-and-speech-language.md). So a "¡" is put back only where the pixels show one, never from the
words around it. In a line read with a "!" (Spanish closes what "¡" opens), a glyph is a "¡" when:

- it has the shape of one: narrow, a small piece over a longer one, reaching below the line's baseline
  (an "i" stands on the baseline);
- turned upside down it is the line's own "!": the same height, width and proportions of stem and dot;
- the recogniser read it as nothing or as "i", and reads the line with that glyph's place taken by the
  line's "!" as the same line with just a "!" there.

A glyph read as anything else (";", "j", "¿", "l") is left as it was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

OPENING = "¡"
CLOSING = "!"
# Pixels this far from the background (sum over the three channels, of 765) are ink; anti-aliased
# edges fall below it, so a dot stays apart from its stem.
INK_THRESHOLD = 200
# A mark's pieces are at most this much of the line's height wide (a "!" is about a twentieth).
NARROW = 0.25
# How far below the baseline a "¡" reaches, as a part of its own height: a quarter in DejaVu Sans, an
# "i" nothing; at least this many rows, so that a baseline one row off is no "¡".
MIN_DESCENT = 0.12
MIN_DESCENT_ROWS = 2
# A stem takes at least this much of a mark's height ("!": about 0.7, ":" and ";": under 0.4).
STEM_SHARE = 0.5
# A "!" stands on the baseline, give or take this part of its height.
ON_BASELINE = 0.1
# Glyphs at least this much of the tallest glyph's height count for the baseline (not "-", "'", ".").
LETTER_HEIGHT = 0.5
# A turned "¡" and the line's "!": heights within this part of each other, stems' share of the height
# within SAME_STEM, widths within SAME_WIDTH_ROWS columns.
SAME_HEIGHT = 0.2
SAME_STEM = 0.12
SAME_WIDTH_ROWS = 2


@dataclass(frozen=True)
class Glyph:
    """A piece of ink (a connected shape), or a mark of two: a stem and a dot above or below it."""

    left: int
    top: int
    right: int
    bottom: int  # one past the last row with ink
    pieces: tuple[tuple[int, int], ...] = ()  # (top, bottom) of a mark's two pieces, top first
    labels: tuple[int, ...] = ()  # the connected shapes it is made of

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    def share(self, piece: int) -> float:
        """How much of the mark's height its piece (0: upper, 1: lower) takes."""
        start, end = self.pieces[piece]
        return (end - start) / self.height


def background(crop: np.ndarray) -> np.ndarray:
    """The commonest colour on the picture's border."""
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    colours, counts = np.unique(border, axis=0, return_counts=True)
    return colours[counts.argmax()]


def ink_shapes(crop: np.ndarray) -> tuple[np.ndarray, list[Glyph]]:
    """(a label for each pixel, 0 for background; the connected shapes of ink, by label)."""
    import cv2

    ink = (np.abs(crop.astype(np.int16) - background(crop)).sum(axis=2) > INK_THRESHOLD).astype(np.uint8)
    _count, labels, stats, _centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    shapes = [
        Glyph(int(x), int(y), int(x + w), int(y + h), labels=(label,))
        for label, (x, y, w, h, _area) in enumerate(stats.tolist())
        if label
    ]
    return labels, shapes


def marks(shapes: Sequence[Glyph], line_height: int) -> list[Glyph]:
    """Narrow marks of a stem and a smaller dot straight above or below it, with rows between ("!",
    "¡", "i", ";", ":")."""
    found = []
    narrow = [shape for shape in shapes if shape.width <= NARROW * line_height]
    for stem in narrow:
        for dot in narrow:
            overlaps = dot.left < stem.right and stem.left < dot.right
            if dot is stem or not overlaps or dot.height >= stem.height:
                continue
            upper, lower = (dot, stem) if dot.bottom <= stem.top else (stem, dot)
            if upper.bottom > lower.top or lower.top - upper.bottom > stem.height:
                continue
            found.append(
                Glyph(
                    min(stem.left, dot.left),
                    upper.top,
                    max(stem.right, dot.right),
                    lower.bottom,
                    ((upper.top, upper.bottom), (lower.top, lower.bottom)),
                    (*upper.labels, *lower.labels),
                )
            )
    return sorted(found, key=lambda mark: mark.left)


def baseline_of(shapes: Sequence[Glyph]) -> float:
    """The row most letters stand on: the median bottom of the shapes of letter height."""
    tallest = max(shape.height for shape in shapes)
    return float(np.median([shape.bottom for shape in shapes if shape.height >= LETTER_HEIGHT * tallest]))


def is_closing(mark: Glyph, baseline: float) -> bool:
    """A "!": a stem over a dot, standing on the baseline."""
    return mark.share(0) >= STEM_SHARE > mark.share(1) and abs(mark.bottom - baseline) <= max(
        ON_BASELINE * mark.height, 1
    )


def is_opening(mark: Glyph, closing: Glyph, baseline: float) -> bool:
    """A "¡": a dot over a stem reaching below the baseline, and `closing` turned upside down."""
    return (
        mark.share(1) >= STEM_SHARE > mark.share(0)
        and mark.bottom - baseline >= max(MIN_DESCENT * mark.height, MIN_DESCENT_ROWS)
        and abs(mark.height - closing.height) <= SAME_HEIGHT * closing.height
        and abs(mark.share(1) - closing.share(0)) <= SAME_STEM
        and abs(mark.width - closing.width) <= SAME_WIDTH_ROWS
    )


def with_closing_at(crop: np.ndarray, labels: np.ndarray, mark: Glyph, closing: Glyph) -> np.ndarray:
    """`crop` with `mark` wiped out and the line's "!" (`closing`) drawn in its place, on the baseline
    where `closing` stands."""
    import cv2

    colour = background(crop)
    out = crop.copy()
    # The mark's shapes and their anti-aliased edges.
    wipe = cv2.dilate(np.isin(labels, mark.labels).astype(np.uint8), np.ones((3, 3), np.uint8))
    out[wipe.astype(bool)] = colour
    left, right = max(closing.left - 1, 0), min(closing.right + 1, crop.shape[1])
    shift = mark.left - closing.left
    drawn = crop[:, left:right]
    inked = np.abs(drawn.astype(np.int16) - colour).sum(axis=2) > 0
    for column in range(drawn.shape[1]):
        target = left + shift + column
        if 0 <= target < crop.shape[1]:
            out[inked[:, column], target] = drawn[inked[:, column], column]
    return out


def openings_at(read: str, read_again: str) -> list[tuple[int, int]] | None:
    """Where marks were in `read`, as (start, end) of what each was read as ("" or "i"), when
    `read_again` is `read` with just those become "!"; else None."""
    from difflib import SequenceMatcher

    spans = []
    for operation, start, end, again_start, again_end in SequenceMatcher(
        None, read, read_again, autojunk=False
    ).get_opcodes():
        if operation == "equal":
            continue
        now = read_again[again_start:again_end]
        if now != CLOSING * len(now) or read[start:end] not in ("", "i" * len(now)):
            return None
        spans += [(start, start)] if start == end else [(index, index + 1) for index in range(start, end)]
    return spans


def restore_openings(
    read: str,
    crop: np.ndarray,
    recognise: Callable[[list[np.ndarray]], list[str]],
    read_from_crop: bool = False,
) -> str:
    """`read` (the recogniser's reading of a line) with each "¡" the line's pixels show put back.

    `crop` is the line's picture at the recogniser's height: the one `read` came from
    (`read_from_crop`), or one reaching further left. `recognise` reads a list of line pictures as the
    reader does. A line without a "!" costs nothing more; one with a "!" and a glyph shaped like a "¡"
    costs one more call of `recognise`."""
    if CLOSING not in read:
        return read
    labels, shapes = ink_shapes(crop)
    if not shapes:
        return read
    baseline, line_marks = baseline_of(shapes), marks(shapes, crop.shape[0])
    # The narrowest, as a "?" in some fonts has the same shape: a wider hook over a dot.
    closings = [mark for mark in line_marks if is_closing(mark, baseline)]
    if not closings:
        return read
    closing = min(closings, key=lambda mark: mark.width)
    openings = [mark for mark in line_marks if is_opening(mark, closing, baseline)]
    if not openings:
        return read
    # Each mark alone, and all together where there are several: a mark's neighbour's reading can
    # change with it ("" or "i" for the same "¡").
    pictures = [with_closing_at(crop, labels, mark, closing) for mark in openings]
    if len(openings) > 1:
        every = crop
        for mark in openings:
            every = with_closing_at(every, labels, mark, closing)
        pictures.append(every)
    again, *readings = [read, *recognise(pictures)] if read_from_crop else recognise([crop, *pictures])
    spans: set[tuple[int, int]] = set()
    for count, reading in zip([1] * len(openings) + [len(openings)], readings, strict=False):
        found = openings_at(again, reading)
        if found is not None and len(found) == count:
            spans.update(found)
    restored = again
    # Right to left, so each span's place still holds; an opening needs a closing after it.
    for start, end in sorted(spans, reverse=True):
        if CLOSING in restored[end:]:
            restored = restored[:start] + OPENING + restored[end:]
    # The wider picture may read a "¡" differently ("" or "i"); otherwise the line must read the same.
    pattern = "".join("i?" if character == OPENING else re.escape(character) for character in restored)
    return restored if re.fullmatch(pattern, read) else read
