"""Every chat-template family (Qwen3.5, SmolVLM2, Gemma 4) through transformers' own classes, on a tiny random
checkpoint with a complete processor: describe, ask, follow-ups, cancel, batches, int8, the image budget."""

from __future__ import annotations

import itertools
import shutil
import threading

import pytest
import torch
from PIL import Image

from assistant.engine import Cancelled, Turn, load_engine, quantized
from assistant.engine import int8 as int8_layers
from assistant.engine.families import family_of
from assistant.engine.families.chat import ChatEngine
from assistant.engine.images import image_fingerprint


def picture(seed: int, size: tuple[int, int] = (120, 80)) -> Image.Image:
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (size[1], size[0], 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


def image_tokens(engine: ChatEngine, image: Image.Image) -> int:
    inputs = engine.inputs([engine.conversation("Describe it.")], [image])
    return int((inputs["input_ids"] == engine.image_token_id).sum())


def test_the_family_is_chosen_from_the_checkpoint(tiny, tiny_engine_of) -> None:
    assert family_of(tiny.folder).name == tiny.family
    assert isinstance(tiny_engine_of, ChatEngine)


def test_describe_streams_growing_text_and_ends_with_the_whole(tiny_engine_of) -> None:
    heard: list[str] = []
    text = tiny_engine_of.describe(picture(1), on_text=heard.append)
    assert text and heard and heard[-1] == text
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(heard))


def test_generating_from_the_kept_image_tokens_gives_what_reading_them_again_does(tiny_engine_of) -> None:
    engine = tiny_engine_of
    image = picture(2)
    key = image_fingerprint(image)
    for question in ("What colour is the car?", "What does the text say?"):
        inputs = engine.inputs([engine.conversation(question)], [image])
        fresh = engine.generate(inputs, 12)
        kept = engine.generate(inputs, 12, image_key=key)
        assert torch.equal(fresh, kept), question
    assert key in engine._prefixes


def test_follow_ups_reuse_the_pictures_work(tiny, monkeypatch) -> None:
    engine = load_engine(str(tiny.folder), device="cpu", precision="fp32", progress=False)
    inner = engine.model.model
    runs: list[int] = []
    real = inner.get_image_features
    monkeypatch.setattr(inner, "get_image_features", lambda *a, **k: runs.append(1) or real(*a, **k))
    image = picture(3)
    first = engine.ask(image, "What colour is the car?")
    engine.ask(image, "Where is it?", history=[Turn("What colour is the car?", first)])
    engine.describe(image)
    assert len(runs) == 1  # the vision encoder read the picture once for all three
    engine.describe(picture(4))
    assert len(runs) == 2


def test_the_text_on_the_image_is_in_the_questions_prompt(tiny_engine_of, monkeypatch) -> None:
    engine = tiny_engine_of
    prompts: list[str] = []
    real_inputs = engine.inputs

    def recording(conversations, images):
        made = real_inputs(conversations, images)
        prompts.append(engine.tokenizer.decode(made["input_ids"][0]))
        return made

    monkeypatch.setattr(engine, "inputs", recording)
    engine.ask(picture(5), "What does the error say?", text_on_image=["Disk full", "Delete some files"])
    image_token = engine.tokenizer.convert_ids_to_tokens(engine.image_token_id)
    assert "Text on the image: Disk full. Delete some files." in prompts[0]
    assert prompts[0].rindex(image_token) < prompts[0].index("Disk full") < prompts[0].index("error say")


def test_stop_before_and_during_generation(tiny_engine_of) -> None:
    engine = tiny_engine_of
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        engine.describe(picture(6), cancel=cancel)
    cancel = threading.Event()
    heard: list[str] = []

    def stop_at_first_words(text: str) -> None:
        heard.append(text)
        cancel.set()

    engine.generation_options["min_new_tokens"] = 30  # so the stream has words to stop within
    try:
        with pytest.raises(Cancelled):
            engine.describe(picture(6), detail="detailed", on_text=stop_at_first_words, cancel=cancel)
    finally:
        del engine.generation_options["min_new_tokens"]
    assert len(heard) == 1


def test_a_batch_is_described_as_each_picture_alone(tiny_engine_of) -> None:
    images = [picture(8), picture(9, (60, 140))]
    batch = tiny_engine_of.describe_many(images, batch_size=2)
    assert batch == [tiny_engine_of.describe(image) for image in images]


def test_the_image_token_budget_bounds_a_screen(tiny, tiny_engine_of) -> None:
    screen = picture(10, (1920, 1080))
    engine = tiny_engine_of
    small_budget, large_budget = tiny.budgets
    try:
        type(engine).apply_budget(engine.processor, small_budget)
        small = image_tokens(engine, screen)
        type(engine).apply_budget(engine.processor, large_budget)
        large = image_tokens(engine, screen)
    finally:
        type(engine).apply_budget(engine.processor, 0)
    assert 0 < small <= small_budget < large <= large_budget
    assert 0 < image_tokens(engine, screen) <= tiny.default_budget


def test_int8_is_prepared_once_and_mapped_at_later_starts(tiny, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    checkpoint = shutil.copytree(tiny.folder, tmp_path / "checkpoint")
    quantized_layers: list[str] = []
    real = int8_layers.quantize_linear
    monkeypatch.setattr(
        int8_layers, "quantize_linear", lambda layer, *a: quantized_layers.append(1) or real(layer, *a)
    )
    first = load_engine(str(checkpoint), device="cpu", precision="int8", progress=False)
    prepared = len(quantized_layers)
    later = load_engine(str(checkpoint), device="cpu", precision="int8", progress=False)
    assert prepared > 5 and len(quantized_layers) == prepared  # nothing quantized at the later start
    assert len(quantized.saved_models()) == 1
    roots = family_of(checkpoint).int8_roots
    for engine in (first, later):
        for root in roots:
            part = engine.model.get_submodule(root)
            assert isinstance(part, int8_layers.Int8Linear) or any(
                isinstance(m, int8_layers.Int8Linear) for m in part.modules()
            ), root
        int8_names = [
            name for name, m in engine.model.named_modules() if isinstance(m, int8_layers.Int8Linear)
        ]
        outside = [n for n in int8_names if not any(n == r or n.startswith(r + ".") for r in roots)]
        assert int8_names and not outside  # nothing outside the family's roots (Gemma 4's vision stays float)
    image = picture(11)
    assert first.describe(image) == later.describe(image) != ""


def test_load_engine_takes_the_image_token_budget(tiny) -> None:
    small_budget, _ = tiny.budgets
    engine = load_engine(
        str(tiny.folder), device="cpu", precision="fp32", progress=False, image_tokens=small_budget
    )
    assert 0 < image_tokens(engine, picture(12, (1920, 1080))) <= small_budget
