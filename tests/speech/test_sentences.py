"""The sentence splitter that lets speech start on the first sentence while the model is still writing."""

from __future__ import annotations

import pytest

from assistant.speech.sentences import SentenceStream, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Dr. Smith met Mrs. Jones. They talked.", ["Dr. Smith met Mrs. Jones.", "They talked."]),
        ("Fruit, e.g. apples, i.e. red ones. Done.", ["Fruit, e.g. apples, i.e. red ones.", "Done."]),
        ("E.g. this one. Next.", ["E.g. this one.", "Next."]),
        ("It costs 3.5 dollars. Cheap.", ["It costs 3.5 dollars.", "Cheap."]),
        ("Version 2.0.1 is out. Update.", ["Version 2.0.1 is out.", "Update."]),
        ("See example.com for more. Thanks.", ["See example.com for more.", "Thanks."]),
        ("Wait... what was that? Nothing.", ["Wait... what was that?", "Nothing."]),
        ("It ended... Then silence.", ["It ended...", "Then silence."]),
        ("It ended… Then silence.", ["It ended…", "Then silence."]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ('He said "stop." Then he left.', ['He said "stop."', "Then he left."]),
        ("A note (see above.) More text.", ["A note (see above.)", "More text."]),
        ("Written by J. R. Tolkien. A classic.", ["Written by J. R. Tolkien.", "A classic."]),
        ("Apples, pears, etc. are fruit. We ate.", ["Apples, pears, etc. are fruit.", "We ate."]),
        ("We ate pears etc. Then we slept.", ["We ate pears etc.", "Then we slept."]),
        (
            "He lives at No. 5 on the street. He said no. Then left.",
            ["He lives at No. 5 on the street.", "He said no.", "Then left."],
        ),
        ("See Fig. 2 and p. 14. Good.", ["See Fig. 2 and p. 14.", "Good."]),
        ("It was 5 p.m. when we left.", ["It was 5 p.m. when we left."]),
        ("It was late in the U.S. The end.", ["It was late in the U.S.", "The end."]),
        ("There are 3. The rest are gone.", ["There are 3.", "The rest are gone."]),
        ("a screenshot of a window\na list of files", ["a screenshot of a window", "a list of files"]),
        ("Title\n\n\nBody text.", ["Title", "Body text."]),
        ("  spaced   out   words.  ", ["spaced out words."]),
        ("", []),
        ("...", []),
        ("Hello . . .", ["Hello ..."]),
        ("Hi. !", ["Hi.!"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def _stream_in_steps(text: str, step: int) -> tuple[list[list[str]], list[str]]:
    stream = SentenceStream()
    fed = [stream.feed(text[:end]) for end in range(step, len(text) + 1, step)]
    return fed, stream.finish(text)


STREAMED_TEXTS = [
    "The price is 3.5 dollars. It is a screenshot of a window. Another one",
    "Dr. Smith wrote it, e.g. in 2020... Then J. Smith read it! Was it good? Yes.",
    "a photo of a cat\non a sofa. it is sleeping.",
    'She said "hi." Then (quietly) left. The end.',
]


@pytest.mark.parametrize("text", STREAMED_TEXTS)
@pytest.mark.parametrize("step", [1, 2, 5, 13])
def test_streaming_gives_the_same_sentences_as_the_whole_text(text: str, step: int) -> None:
    fed, rest = _stream_in_steps(text, step)
    streamed = [sentence for batch in fed for sentence in batch] + rest
    assert streamed == split_sentences(text)


def test_a_sentence_is_returned_as_soon_as_the_next_word_begins() -> None:
    stream = SentenceStream()
    assert stream.feed("The first sentence.") == []  # could still become "sentence.com" or "sentence.5"
    assert stream.feed("The first sentence. ") == []
    assert stream.feed("The first sentence. The") == ["The first sentence."]
    assert stream.feed("The first sentence. The second") == []
    assert stream.feed("The first sentence. The second one.\n") == ["The second one."]
    assert stream.finish("The first sentence. The second one.\n") == []


def test_a_decimal_is_not_split_while_its_digits_arrive() -> None:
    stream = SentenceStream()
    assert stream.feed("It costs 3.") == []
    assert stream.feed("It costs 3.5") == []
    assert stream.feed("It costs 3.5 euros. And") == ["It costs 3.5 euros."]


def test_an_abbreviation_waits_for_the_word_after_it() -> None:
    stream = SentenceStream()
    assert stream.feed("Ask Dr. ") == []
    assert stream.feed("Ask Dr. Who about it. Now") == ["Ask Dr. Who about it."]


def test_finish_returns_the_rest_and_starts_afresh() -> None:
    stream = SentenceStream()
    assert stream.feed("One. Two") == ["One."]
    assert stream.finish("One. Two") == ["Two"]
    assert stream.feed("Three. Four") == ["Three."]
    assert stream.finish("Three. Four.") == ["Four."]


def test_each_sentence_is_returned_once_when_the_same_text_is_fed_again() -> None:
    stream = SentenceStream()
    assert stream.feed("One. Two") == ["One."]
    assert stream.feed("One. Two") == []
    assert stream.finish("One. Two") == ["Two"]


def test_rewritten_text_continues_from_where_old_and_new_agree() -> None:
    stream = SentenceStream()
    assert stream.feed("One. Two. Thre") == ["One.", "Two."]
    # The engine's cleaning rewrote the second sentence: only what changed is returned again.
    assert stream.feed("One. Too. Three. Four") == ["Too.", "Three."]
    assert stream.finish("One. Too. Three. Four") == ["Four"]


def test_a_long_run_on_sentence_is_spoken_clause_by_clause_while_streaming() -> None:
    clause = "a window with a long list of files and folders in it"
    text = ", ".join([clause] * 8)  # about 430 characters without a full stop
    stream = SentenceStream(max_chars=120)
    fed = [sentence for end in range(1, len(text) + 1) for sentence in stream.feed(text[:end])]
    rest = stream.finish(text)
    assert fed, "speech should not wait for the end of a run-on sentence"
    assert all(len(sentence) <= 120 for sentence in fed + rest)
    assert " ".join(fed + rest) == text


def test_a_long_sentence_without_commas_is_broken_between_words() -> None:
    text = " ".join(["word"] * 100) + "."
    parts = split_sentences(text, max_chars=50)
    assert all(len(part) <= 50 for part in parts)
    assert " ".join(parts) == text


def test_a_single_huge_word_is_kept_whole() -> None:
    assert split_sentences("x" * 300, max_chars=50) == ["x" * 300]
