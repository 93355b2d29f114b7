"""Qwen3.5 through transformers' own classes, on a tiny random checkpoint with a complete processor."""

from __future__ import annotations

import itertools
import shutil
import threading

import pytest
import torch
from PIL import Image

from assistant.engine import Cancelled, Turn, load_engine, quantized
from assistant.engine import int8 as int8_layers
from assistant.engine.families.qwen3_5.engine import Qwen3_5Engine, strip_thinking
from assistant.engine.images import image_fingerprint


def picture(seed: int, size: tuple[int, int] = (120, 80)) -> Image.Image:
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (size[1], size[0], 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


def image_tokens(engine: Qwen3_5Engine, image: Image.Image) -> int:
    inputs = engine.inputs([engine.conversation("Describe it.")], [image])
    return int((inputs["input_ids"] == engine.image_token_id).sum())


def test_the_family_is_chosen_from_the_checkpoint(tiny_qwen_engine) -> None:
    assert isinstance(tiny_qwen_engine, Qwen3_5Engine)
    assert tiny_qwen_engine.summary.startswith(str(tiny_qwen_engine.name))


def test_describe_streams_growing_text_and_ends_with_the_whole(tiny_qwen_engine) -> None:
    heard: list[str] = []
    text = tiny_qwen_engine.describe(picture(1), on_text=heard.append)
    assert text and heard and heard[-1] == text
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(heard))


def test_generating_from_the_kept_image_tokens_gives_what_reading_them_again_does(tiny_qwen_engine) -> None:
    engine = tiny_qwen_engine
    image = picture(2)
    key = image_fingerprint(image)
    for question in ("What colour is the car?", "What does the text say?"):
        inputs = engine.inputs([engine.conversation(question)], [image])
        fresh = engine.generate(inputs, 12)
        kept = engine.generate(inputs, 12, image_key=key)
        assert torch.equal(fresh, kept), question
    assert key in engine._prefixes


def test_follow_ups_reuse_the_pictures_work(tiny_qwen_dir, monkeypatch) -> None:
    engine = load_engine(str(tiny_qwen_dir), device="cpu", precision="fp32", progress=False)
    visual = engine.model.model.visual
    runs: list[int] = []
    real_forward = visual.forward
    monkeypatch.setattr(
        visual, "forward", lambda *args, **kwargs: runs.append(1) or real_forward(*args, **kwargs)
    )
    image = picture(3)
    first = engine.ask(image, "What colour is the car?")
    engine.ask(image, "Where is it?", history=[Turn("What colour is the car?", first)])
    engine.describe(image)
    assert len(runs) == 1  # the vision encoder read the picture once for all three
    engine.describe(picture(4))
    assert len(runs) == 2


def test_the_text_on_the_image_is_in_the_questions_prompt(tiny_qwen_engine, monkeypatch) -> None:
    engine = tiny_qwen_engine
    prompts: list[str] = []
    real_inputs = engine.inputs

    def recording(conversations, images):
        made = real_inputs(conversations, images)
        prompts.append(engine.tokenizer.decode(made["input_ids"][0]))
        return made

    monkeypatch.setattr(engine, "inputs", recording)
    engine.ask(picture(5), "What does the error say?", text_on_image=["Disk full", "Delete some files"])
    assert "Text on the image: Disk full. Delete some files." in prompts[0]
    assert prompts[0].index("<|image_pad|>") < prompts[0].index("Disk full") < prompts[0].index("error say")


def test_stop_before_and_during_generation(tiny_qwen_engine) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        tiny_qwen_engine.describe(picture(6), cancel=cancel)
    cancel = threading.Event()
    heard: list[str] = []

    def stop_at_first_words(text: str) -> None:
        heard.append(text)
        cancel.set()

    tiny_qwen_engine.generation_options["min_new_tokens"] = 30  # so the stream has words to stop within
    try:
        with pytest.raises(Cancelled):
            tiny_qwen_engine.describe(
                picture(6), detail="detailed", on_text=stop_at_first_words, cancel=cancel
            )
    finally:
        del tiny_qwen_engine.generation_options["min_new_tokens"]
    assert len(heard) == 1


def test_thinking_is_never_spoken(tiny_qwen_dir) -> None:
    engine = load_engine(str(tiny_qwen_dir), device="cpu", precision="fp32", progress=False)
    engine.template_options = {"enable_thinking": True}  # the prompt opens a <think> the model never closes
    heard: list[str] = []
    assert engine.describe(picture(7), on_text=heard.append) == "" and heard == []
    assert strip_thinking("<think>\nThe user wants</think>\n\nA red car.") == "\n\nA red car."
    assert strip_thinking("<think>\nThe user wants") == ""


def test_a_batch_is_described_as_each_picture_alone(tiny_qwen_engine) -> None:
    images = [picture(8), picture(9, (60, 140))]
    batch = tiny_qwen_engine.describe_many(images, batch_size=2)
    assert batch == [tiny_qwen_engine.describe(image) for image in images]


def test_the_image_token_budget_bounds_a_screen(tiny_qwen_engine) -> None:
    screen = picture(10, (1920, 1080))
    engine = tiny_qwen_engine
    try:
        Qwen3_5Engine.apply_budget(engine.processor, 16)
        small = image_tokens(engine, screen)
        Qwen3_5Engine.apply_budget(engine.processor, 64)
        large = image_tokens(engine, screen)
    finally:
        Qwen3_5Engine.apply_budget(engine.processor, 0)
    assert 0 < small <= 16 < large <= 64
    assert image_tokens(engine, screen) <= 256  # the default


def test_int8_is_prepared_once_and_mapped_at_later_starts(tiny_qwen_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    checkpoint = shutil.copytree(tiny_qwen_dir, tmp_path / "qwen")
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
    for engine in (first, later):
        language = engine.model.model.language_model
        assert any(isinstance(m, int8_layers.Int8Linear) for m in language.modules())
        assert isinstance(engine.model.lm_head, int8_layers.Int8Linear)
        assert not any(isinstance(m, int8_layers.Int8Linear) for m in engine.model.model.visual.modules())
    image = picture(11)
    assert first.describe(image) == later.describe(image) != ""
