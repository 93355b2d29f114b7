"""Turning descriptions into alt-text, and telling real alt-text from placeholders."""

from __future__ import annotations

import pytest

from assistant.documents.alttext import clean_description, compose
from assistant.documents.model import Status, classify, is_suspicious


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("an image of a dog on a sofa", "A dog on a sofa."),
        ("A picture of a man riding a bike.", "A man riding a bike."),
        ("this is a photo showing two cats", "Two cats."),
        ("arafed man standing in a field", "Man standing in a field."),
        ("A red car. It is parked. Nobody is near.", "A red car. It is parked."),
        ("a tree\x00 with\x07 leaves\u2028here", "A tree with leaves here."),
    ],
)
def test_clean_description(raw: str, expected: str) -> None:
    assert clean_description(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "...", "an image of", "image", "picture.png", "\x00\x01"])
def test_unusable_descriptions_give_nothing(raw: str) -> None:
    assert clean_description(raw) == ""


def test_length_limit_cuts_at_a_word_and_drops_dangling_words() -> None:
    raw = "a long wooden table covered with plates of food and glasses of wine in a sunny garden with " * 3
    alt = clean_description(raw, max_length=60)
    assert len(alt) <= 60
    assert alt.endswith(".")
    assert raw.startswith(alt[:-1].lower()[:40])
    last_word = alt[:-1].split()[-1]
    assert last_word not in {"a", "of", "with", "and", "the", "in"}


def test_length_limit_prefers_a_sentence_end() -> None:
    alt = clean_description(
        "A dog runs on the beach near the water. The sky above is a very bright blue.", 60
    )
    assert alt == "A dog runs on the beach near the water."


def test_compose_adds_ocr_text_within_the_limit() -> None:
    assert compose("a sign on a wall", "OPEN 24 HOURS") == 'A sign on a wall. Text: "OPEN 24 HOURS".'
    long = compose("a sign on a wall", "word " * 100, max_length=80)
    assert len(long) <= 80 and long.startswith("A sign on a wall. Text:") and "…" in long
    assert compose("", "OPEN") == ""


@pytest.mark.parametrize(
    "alt",
    ["python-powered.png", "IMG_2041.JPG", "image", "Picture", "photo", "graphic", "DSC01234",
     "A close up of a logo\n\nDescription automatically generated", "Screen Shot 2020-01-01 at 10.00.00.png"],
)  # fmt: skip
def test_suspicious(alt: str) -> None:
    assert is_suspicious(alt)
    assert classify(alt) is Status.SUSPICIOUS


def test_alt_that_repeats_the_file_name_is_suspicious() -> None:
    assert classify("chart-2024", source="img/chart-2024.svg") is Status.SUSPICIOUS


@pytest.mark.parametrize("alt", ["A dog on a sofa", "Sales rose 20% in 2024", "Logo of the city library"])
def test_real_alt_text_is_kept(alt: str) -> None:
    assert classify(alt) is Status.HAS_ALT


def test_missing_and_decorative() -> None:
    assert classify(None) is Status.MISSING
    assert classify("  ") is Status.MISSING
    assert classify("A dog", decorative=True) is Status.DECORATIVE
