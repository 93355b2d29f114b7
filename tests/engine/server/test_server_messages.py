"""What is sent to a server (the conversation, the text on the image, the picture) and how its answer is
cleaned for speech."""

from __future__ import annotations

import base64
import io

from PIL import Image

from assistant.engine.base import Turn
from assistant.engine.server import clean_answer, conversation, picture_url, speak_as_it_comes


def test_a_follow_up_sends_the_conversation_so_far_with_the_picture_first() -> None:
    history = [Turn("What is it?", "A dialog."), Turn("Which buttons?", "OK and Cancel.")]
    messages = conversation("data:image/png;base64,AAAA", "Which is focused?", history, ["Save changes?"])
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    first = messages[0]["content"]
    assert first[0] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    assert first[1]["text"].startswith("Text on the image: Save changes?\n\nWhat is it?")
    assert messages[1]["content"] == [{"type": "text", "text": "A dialog."}]
    assert messages[4]["content"] == [{"type": "text", "text": "Which is focused?"}]
    # Every content is a list of parts: SmolVLM's template drops a message whose content is a string.
    assert all(isinstance(m["content"], list) for m in messages)


def test_a_first_question_without_text_on_the_image() -> None:
    (only,) = conversation("data:x", "What colour is it?", ())
    assert only["content"][1]["text"].startswith("What colour is it?")


def test_a_big_screenshot_goes_as_a_jpeg_no_larger_than_the_limit() -> None:
    url = picture_url(Image.new("RGB", (4000, 1000), "white"))
    assert url.startswith("data:image/jpeg;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.format == "JPEG" and sent.size == (2048, 512)


def test_cleaning_for_speech() -> None:
    assert clean_answer("  **A** `dialog`\n\n# with two buttons ") == "A dialog with two buttons."
    assert clean_answer("<think>Let me look.</think>\nIt is red") == "It is red."
    assert clean_answer("the screen shows…\x07") == "The screen shows…"
    assert clean_answer("<think>still thinking") == ""
    assert clean_answer("reasoning left open by the template</think>The answer.") == "The answer."


def test_words_are_passed_on_whole_and_each_text_extends_the_last() -> None:
    heard: list[str] = []
    text = speak_as_it_comes(["A re", "d car. It is ", "parked", " outside"], heard.append)
    assert heard == ["A", "A red car. It is", "A red car. It is parked", text]
    assert text == "A red car. It is parked outside."


def test_a_sentence_is_complete_for_speech_as_soon_as_the_next_word_begins() -> None:
    # The sentence splitter ends a sentence only once it sees the next word's first letter; holding that
    # growing word back made the first spoken sentence wait one token longer than the server did.
    from assistant.speech.sentences import SentenceStream

    stream, read, completed_at = SentenceStream(), [], []

    def pieces():
        for piece in ["A", " cat", " sits", ".", " It", " is", " red", "."]:
            read.append(piece)
            yield piece

    def on_text(text: str) -> None:
        if stream.feed(text) and not completed_at:
            completed_at.append(read[-1])

    assert speak_as_it_comes(pieces(), on_text) == "A cat sits. It is red."
    assert completed_at == [" It"]
