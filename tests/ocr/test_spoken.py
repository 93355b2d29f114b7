from assistant.ocr.spoken import gist_then_text, text_to_speak


def test_short_text_is_read_whole_line_by_line() -> None:
    assert (
        text_to_speak(["Save changes", "Do you want to save?"])
        == "Text on it: Save changes. Do you want to save?"
    )


def test_long_text_stops_at_the_limit_and_says_how_much_more() -> None:
    lines = ["one two three four", "five six seven eight nine"]
    assert text_to_speak(lines, word_limit=6) == "Text on it: one two three four. five six. … 3 more words."
    assert text_to_speak(lines, word_limit=8).endswith("… 1 more word.")
    assert "nine" in text_to_speak(lines, word_limit=None)


def test_no_text_says_nothing_and_the_gist_comes_first() -> None:
    assert text_to_speak(["", "  "]) == ""
    assert gist_then_text("a dialog box", []) == "a dialog box"
    assert gist_then_text("a dialog box.", ["OK"]) == "a dialog box. Text on it: OK."
