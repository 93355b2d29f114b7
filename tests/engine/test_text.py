"""Cleaning BLIP-2's raw output for speech, and which part of a growing text is safe to speak."""

from __future__ import annotations

import random

import pytest

from assistant.engine.text import clean_output, settled

QUESTION = "Question: What colour is the car? Answer:"


def test_prompt_echo_is_removed() -> None:
    assert clean_output(f"{QUESTION} red, with white stripes", QUESTION) == "Red, with white stripes."


def test_text_that_merely_starts_like_the_prompt_is_kept() -> None:
    assert (
        clean_output("Question marks on a board", "Question: What is it? Answer:")
        == "Question marks on a board."
    )


@pytest.mark.parametrize(
    "raw",
    [
        "a red car Question: what else is there? Answer: a tree",
        "a red car\nQuestion: what else?",
        "a red car question : and?",
        "a red car Answer: a blue one",
    ],
)
def test_a_new_turn_is_cut_off(raw: str) -> None:
    assert clean_output(raw) == "A red car."


def test_a_leading_answer_label_is_dropped_not_the_answer() -> None:
    assert clean_output("Answer: a dog on a lead") == "A dog on a lead."
    assert clean_output("answer : a dog") == "A dog."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a cat a cat on a sofa", "A cat on a sofa."),
        ("the the the dog", "The dog."),
        ("a cat, a cat, sitting on a mat", "A cat, sitting on a mat."),
        ("a dog and a ball and a ball and a ball", "A dog and a ball."),
        ("A man. A man. A woman", "A man. A woman."),
        ("a red car , a red car", "A red car."),
    ],
)
def test_repeated_phrases_are_collapsed(raw: str, expected: str) -> None:
    assert clean_output(raw) == expected


def test_different_words_are_not_collapsed() -> None:
    assert clean_output("a cat and a dog and a bird") == "A cat and a dog and a bird."


def test_capitalised_and_full_stop_added() -> None:
    assert clean_output("a dog running on grass") == "A dog running on grass."


@pytest.mark.parametrize("ending", ["!", "?", "."])
def test_existing_sentence_end_is_kept(ending: str) -> None:
    assert clean_output(f"is it raining{ending}") == f"Is it raining{ending}"


def test_trailing_comma_or_colon_becomes_a_full_stop() -> None:
    assert clean_output("a table with cups,") == "A table with cups."
    assert clean_output("a table with cups;") == "A table with cups."


def test_no_full_stop_while_still_generating() -> None:
    assert clean_output("a dog running", final=False) == "A dog running"
    assert clean_output("a dog running,", final=False) == "A dog running,"


def test_whitespace_and_space_before_punctuation() -> None:
    assert clean_output("  a   man ,\n with\ta hat . ") == "A man, with a hat."


def test_control_characters_are_removed() -> None:
    assert clean_output("a\x00 red\x07 car\x1b\x7f") == "A red car."


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "Question: what?", " : - ", "\x00\x01"])
def test_nothing_left_is_empty(raw: str) -> None:
    assert clean_output(raw) == ""
    assert clean_output(raw, final=False) == ""


# ---- settled: what a stream may pass on ---------------------------------------------------------------


def test_settled_keeps_plain_text() -> None:
    assert settled("A dog running on grass") == "A dog running on grass"


def test_settled_holds_back_a_trailing_comma() -> None:
    # The final text will end "... cups." not "... cups,".
    assert settled("A table with cups,") == "A table with cups"


def test_settled_holds_back_what_may_start_a_new_turn() -> None:
    assert settled("A red car Question") == "A red car"


def test_settled_holds_back_the_start_of_a_repetition() -> None:
    # "a cat a" may become "a cat a cat", which is collapsed to "a cat".
    assert settled("A cat a") == "A cat"
    assert settled("A cat on a sofa a cat") == "A cat on a sofa"
    assert settled("A cat on a sofa a cat under") == "A cat on a sofa a cat under"


def test_settled_of_nothing() -> None:
    assert settled("") == ""


WORDS = ["a", "cat", "dog", "on", "the", "sofa,", "red", "Question", "Question:", "answer", "Answer:", "cat."]
WORDS += ["and", "-", ":", "yes!", "is?", ","]


def test_streamed_text_only_grows_and_ends_as_the_final_text() -> None:
    """Words arrive one by one; what a streamer passes on never has to be taken back."""
    rng = random.Random(1234)
    for _ in range(1500):
        words = [rng.choice(WORDS[: rng.randint(3, len(WORDS))]) for _ in range(rng.randint(1, 25))]
        final = clean_output(" ".join(words))
        sent = ""
        for count in range(1, len(words) + 1):
            stable = settled(clean_output(" ".join(words[:count]), final=False))
            if stable.startswith(sent):
                sent = stable
            assert final.startswith(sent), (words, sent, final)


def test_replacement_and_hidden_characters_are_dropped_as_in_alt_text() -> None:
    # A token cut inside a multi-byte character decodes to U+FFFD, which ask and describe printed.
    assert clean_output("a cat\ufffd on a sofa\ufffd") == "A cat on a sofa."
    assert clean_output("a \u202esign\u202c saying \x9b2J hello\ufeff") == "A sign saying 2J hello."
    assert (
        clean_output("a family \U0001f468\u200d\U0001f469 waving")
        == "A family \U0001f468\u200d\U0001f469 waving."
    )
