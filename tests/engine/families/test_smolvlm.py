"""SmolVLM2's own speed work, on the tiny checkpoint: the processor's first resize done on the PIL picture
gives the pixels the processor would make (exactly with its own filter; within a few grey levels with
the faster reduction the app uses), and the description and the kept work are unchanged by it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from assistant.engine import load_engine
from assistant.engine.families.chat import ChatEngine
from assistant.engine.families.smolvlm import engine as smolvlm
from assistant.engine.images import image_fingerprint
from tests.engine.families.test_smolvlm_prefill import passes_of

# Screens and windows of common sizes, a portrait screen, a picture smaller than a tile and an odd one.
SIZES = [(1920, 1080), (1366, 768), (1280, 1024), (3840, 2160), (1080, 1920), (300, 200), (1001, 999)]


def screen(size: tuple[int, int]) -> Image.Image:
    """A screen-like picture: a title bar, lines of text, a coloured disc."""
    image = Image.new("RGB", (1920, 1080), (235, 240, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1920, 60), fill=(30, 60, 120))
    draw.text((20, 20), "Report - Writer", fill="white")
    for line in range(30):
        draw.text((40, 100 + 30 * line), f"Line {line + 1}: the quarterly report", fill="black")
    draw.ellipse((1200, 300, 1700, 800), fill=(200, 60, 40))
    return image.resize(size)


@pytest.fixture(scope="module")
def engine(tiny_smolvlm2_dir) -> ChatEngine:
    loaded = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision="fp32", progress=False)
    assert isinstance(loaded, smolvlm.SmolVLMEngine)
    return loaded


@pytest.fixture
def full_tile(engine) -> ChatEngine:
    """The tiny engine with a copy of its processor set to the published 512-pixel tile."""
    wide = copy.copy(engine)
    wide.processor = copy.deepcopy(engine.processor)
    images = getattr(wide.processor, "image_processor")  # noqa: B009
    images.max_image_size = {"longest_edge": 512}
    smolvlm.SmolVLMEngine.apply_budget(wide.processor, 0)
    return wide


def pixels(engine: ChatEngine, image: Image.Image) -> np.ndarray:
    images = getattr(engine.processor, "image_processor")  # noqa: B009
    return np.asarray(images([[image]], return_tensors="np")["pixel_values"], dtype=np.float64)


@pytest.mark.parametrize("size", SIZES)
def test_the_first_resize_done_here_gives_the_processors_own_pixels(full_tile, monkeypatch, size) -> None:
    monkeypatch.setattr(smolvlm, "REDUCING_GAP", None)  # the processor's own filter, unshortened
    image = screen(size)
    prepared = full_tile.prepare_image(image)
    assert max(prepared.size) == 512  # the processor's first resize, done here
    assert np.array_equal(pixels(full_tile, prepared), pixels(full_tile, image))


@pytest.mark.parametrize("size", SIZES)
def test_the_faster_reduction_keeps_the_picture_within_a_few_grey_levels(full_tile, size) -> None:
    image = screen(size)
    mine, theirs = pixels(full_tile, full_tile.prepare_image(image)), pixels(full_tile, image)
    assert mine.shape == theirs.shape
    # Pixel values span 2.0 (mean and deviation 0.5): the mean difference under one grey level in 255,
    # and the picture at least 40 dB from the processor's (a few levels at sharp edges only).
    error = (mine - theirs) / 2
    assert np.abs(error).mean() < 1 / 255
    assert np.mean(error**2) == 0 or 10 * np.log10(1 / np.mean(error**2)) > 40


def test_a_picture_the_processor_would_not_resize_so_is_left_as_it_is(full_tile) -> None:
    already = screen((512, 288))
    assert full_tile.prepare_image(already) is already
    images = getattr(full_tile.processor, "image_processor")  # noqa: B009
    images.do_resize = False
    large = screen((1920, 1080))
    assert full_tile.prepare_image(large) is large


def test_descriptions_and_the_kept_work_are_those_of_the_unprepared_picture(engine, monkeypatch) -> None:
    image = screen((1920, 1080))
    monkeypatch.setattr(smolvlm, "REDUCING_GAP", None)
    prepared_text = engine.describe(image)
    prepared_key = image_fingerprint(engine.prepare_image(image))
    assert prepared_key in engine._prefixes  # the kept work is known by the picture the model reads
    engine.clear_feature_cache()
    monkeypatch.setattr(smolvlm.SmolVLMEngine, "prepare_image", ChatEngine.prepare_image)
    assert engine.describe(image) == prepared_text
    assert engine.describe_many([image, screen((1366, 768))])[0] == prepared_text


def test_int8_covers_the_vision_encoder_and_connector_and_sees_what_float_sees(
    tiny_smolvlm2_dir, engine, tmp_path, monkeypatch
) -> None:
    """Every linear layer of the picture's path runs in int8 on a processor (the connector's one layer
    was float32: 15 ms of a first sentence, one thread), and the image tokens stay those of float."""
    from assistant.engine import quantized

    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    int8 = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision="int8", progress=False)
    inner = int8.model.model
    assert isinstance(inner.connector.modality_projection.proj, quantized.Int8Linear)
    assert not any(type(module) is torch.nn.Linear for module in inner.modules())
    features = []
    for each in (engine, int8):
        inputs = each.inputs([each.conversation("Describe.")], [each.prepare_image(screen((1920, 1080)))])
        with torch.inference_mode():
            output = each.model.model.get_image_features(
                inputs["pixel_values"], inputs["pixel_attention_mask"]
            )
        features.append(torch.cat(list(output.pooler_output)).flatten())
    assert torch.nn.functional.cosine_similarity(features[0], features[1], dim=0) > 0.99


def test_smolvlms_first_generation_is_prepared_by_its_own_processors_rule(tmp_path, monkeypatch) -> None:
    """SmolVLM's Idefics3 classes have their own image processor module, read the same way."""
    from tiny_checkpoints.smolvlm import build_tiny_smolvlm

    first = load_engine(
        str(build_tiny_smolvlm(tmp_path / "gen1", generation=1)),
        device="cpu",
        precision="fp32",
        progress=False,
    )
    monkeypatch.setattr(smolvlm, "REDUCING_GAP", None)
    image = screen((1920, 1080))
    prepared = first.prepare_image(image)
    assert prepared.size != image.size
    assert np.array_equal(pixels(first, prepared), pixels(first, image))


def test_a_pictures_first_request_reads_its_prompt_in_one_pass_and_keeps_its_image_tokens(
    tiny_smolvlm2_dir, monkeypatch
) -> None:
    """The language model reads the prompt once before the first token (it read the picture and then
    the words after it: the weights twice), keeps only the image tokens' part, and says what the
    two-pass reading says, on the first request and on a follow-up."""
    engine = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision="fp32", progress=False)
    passes = passes_of(engine, monkeypatch)
    image = screen((1366, 768))
    first = engine.describe(image)
    reads = [length for length in passes if length > 1]
    assert len(reads) == 1  # one pass over the prompt, then one token at a time
    (prefix,) = engine._prefixes.values()
    assert prefix.cache.get_seq_length() == prefix.ids.shape[0]
    assert int(prefix.ids[-1]) == engine.image_token_id
    follow_up = engine.ask(image, "What is on it?")
    monkeypatch.setattr(smolvlm.SmolVLMEngine, "_prefix_for", ChatEngine._prefix_for)
    engine.clear_feature_cache()
    assert engine.describe(image) == first
    assert engine.ask(image, "What is on it?") == follow_up
