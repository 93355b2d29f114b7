from assistant.ocr.spoken import gist_then_text, rest_to_speak, split_at_limit, text_to_speak, words_in


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


def test_the_count_says_how_to_hear_the_rest() -> None:
    lines = ["one two three four", "five six seven eight nine"]
    assert text_to_speak(lines, 6, "press Control Alt E") == (
        "Text on it: one two three four. five six. … 3 more words; press Control Alt E to hear them."
    )
    assert text_to_speak(lines, 8, "press Control Alt E").endswith(
        "1 more word; press Control Alt E to hear it."
    )
    assert (
        text_to_speak(lines, 9, "press Control Alt E")
        == "Text on it: one two three four. five six seven eight nine."
    )


def test_the_rest_starts_where_the_limit_cut_and_holds_every_word_left() -> None:
    lines = ["one two three four", "  five six   seven eight nine ", "", "ten."]
    assert split_at_limit(lines, 6) == (["one two three four", "five six"], ["seven eight nine", "ten."])
    assert split_at_limit(lines, 4) == (["one two three four"], ["five six seven eight nine", "ten."])
    assert split_at_limit(lines, 3) == (["one two three"], ["four", "five six seven eight nine", "ten."])
    assert split_at_limit(lines, 10) == (["one two three four", "five six seven eight nine", "ten."], [])
    assert split_at_limit(lines, None)[1] == []
    for limit in range(11):
        kept, rest = split_at_limit(lines, limit)
        assert words_in(kept) == min(limit, 10)
        assert " ".join(kept + rest).split() == " ".join(lines).split()
    assert rest_to_speak(["seven eight nine", "ten."]) == "seven eight nine. ten."
