"""Putting the lines OCR found into reading order: top to bottom, left to right, columns kept whole.

The lines are first joined into rows (pieces of one line the detector cut apart), then into blocks
(lines stacked closely, like a paragraph or a column), and the blocks are ordered by cutting the
page recursively at the gaps between them (the "XY-cut"): across first, so a title bar or a heading
comes before what is under it, then down, so a left column is read whole before the right one.
Bands of columns that continue below a gap (two columns whose paragraphs end at the same height)
are kept together, so their paragraphs are not read in turn from each column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Box = tuple[int, int, int, int]
"""left, top, right, bottom in pixels of the picture read."""

# Pieces of one row further apart than this many line heights are separate lines (two columns).
ROW_JOIN_GAP = 2.0
# Lines stacked closer than this many line heights belong to one block.
BLOCK_JOIN_GAP = 1.2


@dataclass(frozen=True)
class TextLine:
    """One line of text and where it is."""

    text: str
    box: Box
    score: float = 1.0

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class TextBlock:
    """Lines that are read together, in order."""

    lines: tuple[TextLine, ...]

    @property
    def box(self) -> Box:
        return _union(line.box for line in self.lines)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def _union(boxes: Iterable[Box]) -> Box:
    lefts, tops, rights, bottoms = zip(*boxes, strict=True)
    return min(lefts), min(tops), max(rights), max(bottoms)


def reading_order(lines: Sequence[TextLine]) -> list[TextBlock]:
    """The blocks of `lines` in reading order, each with its lines in order."""
    rows = _join_rows([line for line in lines if line.text.strip()])
    return _order(_blocks(rows), vertical_first=False)


def _join_rows(lines: list[TextLine]) -> list[TextLine]:
    """Pieces on one row, close together, joined into one line, left to right."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda line: (line.box[0], line.box[1])):
        for row in rows:
            last = row[-1]
            height = max(min(last.height, line.height), 1)
            middle, last_middle = (line.box[1] + line.box[3]) / 2, (last.box[1] + last.box[3]) / 2
            same_row = abs(middle - last_middle) <= height / 2
            close = -height <= line.box[0] - last.box[2] <= ROW_JOIN_GAP * height
            if same_row and close:
                row.append(line)
                break
        else:
            rows.append([line])
    return [
        TextLine(
            " ".join(piece.text.strip() for piece in row),
            _union(piece.box for piece in row),
            min(piece.score for piece in row),
        )
        for row in rows
    ]


def _blocks(lines: list[TextLine]) -> list[TextBlock]:
    """Lines stacked closely, overlapping side to side and of a like size, grouped as blocks."""
    blocks: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda line: (line.box[1], line.box[0])):
        for block in blocks:
            last = block[-1]
            height = max(last.height, line.height, 1)
            gap = line.box[1] - last.box[3]
            overlaps = min(line.box[2], last.box[2]) > max(line.box[0], last.box[0])
            alike = max(last.height, line.height) <= 1.6 * max(min(last.height, line.height), 1)
            if overlaps and alike and -height / 2 <= gap <= BLOCK_JOIN_GAP * height:
                block.append(line)
                break
        else:
            blocks.append([line])
    return [TextBlock(tuple(block)) for block in blocks]


def _gaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The empty intervals between the covered `spans` (start, end), in order."""
    gaps: list[tuple[int, int]] = []
    ordered = sorted(spans)
    reach = ordered[0][1]
    for start, end in ordered[1:]:
        if start > reach:
            gaps.append((reach, start))
        reach = max(reach, end)
    return gaps


def _split(blocks: list[TextBlock], axis: int) -> list[list[TextBlock]]:
    """`blocks` cut at every gap along `axis` (0: into columns, 1: into bands), in order."""
    spans = [(block.box[axis], block.box[axis + 2]) for block in blocks]
    gaps = _gaps(spans)
    if not gaps:
        return [blocks]
    parts: list[list[TextBlock]] = [[] for _ in range(len(gaps) + 1)]
    for block in blocks:
        index = sum(1 for _, gap_end in gaps if block.box[axis] >= gap_end)
        parts[index].append(block)
    return [part for part in parts if part]


def _shares_gutter(upper: list[TextBlock], lower: list[TextBlock]) -> bool:
    """Whether two bands are both in columns, split at the same place."""
    upper_gaps = _gaps([(block.box[0], block.box[2]) for block in upper])
    lower_gaps = _gaps([(block.box[0], block.box[2]) for block in lower])
    return any(
        min(a_end, b_end) > max(a_start, b_start)
        for a_start, a_end in upper_gaps
        for b_start, b_end in lower_gaps
    )


def _order(blocks: list[TextBlock], vertical_first: bool) -> list[TextBlock]:
    if len(blocks) <= 1:
        return blocks
    if vertical_first:
        columns = _split(blocks, 0)
        if len(columns) > 1:
            return [block for column in columns for block in _order(column, vertical_first=False)]
    bands = _split(blocks, 1)
    if len(bands) > 1:
        groups: list[list[TextBlock]] = [bands[0]]
        for band in bands[1:]:
            if _shares_gutter(groups[-1], band):
                groups[-1] = groups[-1] + band
            else:
                groups.append(band)
        if len(groups) > 1:
            return [block for group in groups for block in _order(group, vertical_first=True)]
    columns = _split(blocks, 0)
    if len(columns) > 1:
        return [block for column in columns for block in _order(column, vertical_first=False)]
    # Blocks that overlap every way: top to bottom, then left to right.
    return sorted(blocks, key=lambda block: (block.box[1], block.box[0]))
