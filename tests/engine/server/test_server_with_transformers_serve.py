"""The server engine against a real `transformers serve` with a tiny random SmolVLM: streaming, Stop,
follow-ups, the text on the image, batches, and the error a wrong model name gets."""

from __future__ import annotations

import itertools
import threading

import pytest
from PIL import Image

from assistant.engine import load_engine
from assistant.engine.base import Cancelled, Turn
from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_stream import ServerNoPictures, ServerRefused

RED = Image.new("RGB", (64, 40), (200, 30, 30))


@pytest.fixture
def engine(served: str) -> ServerEngine:
    found = load_engine(server=ServerChoice(served))
    assert isinstance(found, ServerEngine)  # a configured server selects this backend
    return found


def test_the_answer_is_passed_on_as_it_streams(engine: ServerEngine) -> None:
    engine.max_tokens["brief"] = 200
    heard: list[str] = []
    text = engine.describe(RED, on_text=heard.append)
    assert len(heard) > 2  # the text so far, many times while the server was still generating
    assert len(heard[0]) < len(text) / 2
    for earlier, later in itertools.pairwise(heard):
        assert later.startswith(earlier) and len(later) > len(earlier)
    assert heard[-1] == text and text.endswith((".", "!", "?", "…"))


def test_stop_closes_the_stream_and_the_server_answers_the_next_request(engine: ServerEngine) -> None:
    engine.max_tokens["brief"] = 2000
    cancel = threading.Event()
    heard: list[str] = []

    def stop_at_first_words(text: str) -> None:
        heard.append(text)
        cancel.set()

    with pytest.raises(Cancelled):
        engine.describe(RED, on_text=stop_at_first_words, cancel=cancel)
    assert len(heard) == 1  # nothing read after Stop
    engine.max_tokens["brief"] = 10
    assert engine.describe(RED)


def test_a_stop_before_the_request_sends_nothing(engine: ServerEngine) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        engine.describe(RED, cancel=cancel)


def test_a_follow_up_with_the_conversation_and_the_text_on_the_image(engine: ServerEngine) -> None:
    history = [Turn("What colour is it?", "It is red."), Turn("Is there text?", "Yes, a title.")]
    answer = engine.ask(RED, "What does the text say?", history, text_on_image=["Welcome", "to the meeting"])
    assert answer


def test_documents_are_described_several_at_a_time(engine: ServerEngine) -> None:
    images = [RED, Image.new("RGB", (30, 60), (20, 20, 200)), Image.new("RGB", (50, 50), "white")]
    engine.max_tokens["brief"] = 12
    texts = engine.describe_many(images, batch_size=2)
    assert len(texts) == 3 and all(texts)
    assert texts[0] == engine.describe(RED)  # in input order (the tiny model answers greedily)


def test_a_model_name_the_server_does_not_serve_is_one_sentence(served: str) -> None:
    engine = ServerEngine(ServerChoice(served, model="no-such-model"))
    with pytest.raises(ServerRefused) as refused:
        engine.describe(RED)
    message = str(refused.value)
    assert message.startswith("The model server at 127.0.0.1:") and "error 400" in message
    assert "no-such-model" in message and "--server-model" in message
    assert "\n" not in message


def test_the_model_name_it_serves_is_accepted(served: str, tiny_smolvlm_dir) -> None:
    engine = ServerEngine(ServerChoice(served, model=str(tiny_smolvlm_dir)))
    engine.max_tokens["brief"] = 5
    assert engine.describe(RED)


def test_a_model_that_reads_text_only_is_one_sentence_and_no_invented_answer(served_text_only: str) -> None:
    # `transformers serve` drops a picture sent to a text-only model and answers from the words alone;
    # the engine asks it first whether a picture adds anything to the prompt.
    engine = ServerEngine(ServerChoice(served_text_only))
    heard: list[str] = []
    with pytest.raises(ServerNoPictures) as no_pictures:
        engine.describe(RED, on_text=heard.append)
    assert heard == []  # nothing spoken
    message = str(no_pictures.value)
    assert message.startswith("The model served at 127.0.0.1:")
    assert "cannot read pictures; start the server with a vision model" in message
    assert "\n" not in message


def test_a_vision_model_passes_the_check_once(served: str) -> None:
    engine = ServerEngine(ServerChoice(served))
    engine.max_tokens["brief"] = 5
    assert engine.describe(RED)
    assert engine._pictures_checked
