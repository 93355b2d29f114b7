from assistant.ocr.layout import TextLine, reading_order


def line(text: str, left: int, top: int, width: int = 300, height: int = 20) -> TextLine:
    return TextLine(text, (left, top, left + width, top + height))


def read(lines: list[TextLine]) -> list[str]:
    return [text_line.text for block in reading_order(lines) for text_line in block.lines]


def test_two_columns_are_read_whole_left_then_right_under_the_title() -> None:
    lines = [line("Title", 10, 0, 120)]
    for row in range(5):
        lines.append(line(f"right {row}", 600, 50 + row * 30))
        lines.append(line(f"left {row}", 20, 50 + row * 30))
    assert read(lines) == ["Title", *(f"left {r}" for r in range(5)), *(f"right {r}" for r in range(5))]


def test_a_title_centred_over_the_gutter_still_comes_first() -> None:
    lines = [line("Centred title", 400, 0, 300)]
    for row in range(3):
        lines += [line(f"a{row}", 20, 50 + row * 30), line(f"b{row}", 800, 50 + row * 30)]
    assert read(lines) == ["Centred title", "a0", "a1", "a2", "b0", "b1", "b2"]


def test_columns_whose_paragraphs_end_at_the_same_height_are_not_interleaved() -> None:
    lines = []
    for paragraph in range(2):
        for row in range(2):
            top = paragraph * 200 + row * 30
            lines += [line(f"a{paragraph}{row}", 20, top), line(f"b{paragraph}{row}", 700, top)]
    assert read(lines) == ["a00", "a01", "a10", "a11", "b00", "b01", "b10", "b11"]


def test_pieces_of_one_row_are_joined_left_to_right() -> None:
    pieces = [line("Edit", 80, 0, 40), line("File", 10, 2, 40), line("View", 150, 1, 40)]
    assert read(pieces) == ["File Edit View"]


def test_menu_then_text_below_top_to_bottom() -> None:
    lines = [
        line("body two", 20, 130),
        line("File", 10, 0, 40),
        line("body one", 20, 100),
        line("Help", 70, 0, 40),
    ]
    assert read(lines) == ["File Help", "body one", "body two"]


def test_empty_lines_are_dropped() -> None:
    assert read([line("  ", 0, 0), line("word", 0, 40)]) == ["word"]
    assert reading_order([]) == []
