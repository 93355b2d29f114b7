"""Qwen3.5's paths on a processor compute what transformers' own paths compute: the gated delta-net
decoding step (`qwen3_5/deltanet.py`) the same logits at every generated token and the same cache after
it, the patch embedder (`qwen3_5/vision.py`) the same image features.

Tolerance: float32 sums in another order. Differences are compared with the largest magnitude of what is
compared: 1e-5 of it (they measure ~2e-7 of it; a decay off by a thousandth puts the state 6e-5 off, a
missing decay or a window shifted by one position puts the logits more than 1.0 off)."""

from __future__ import annotations

import copy

import pytest
import torch
from transformers.models.qwen3_5.modeling_qwen3_5 import Qwen3_5GatedDeltaNet, Qwen3_5VisionPatchEmbed

from assistant.engine import load_engine
from assistant.engine.families.qwen3_5 import deltanet
from assistant.engine.families.qwen3_5.deltanet import DecodingGatedDeltaNet
from assistant.engine.families.qwen3_5.vision import MatmulPatchEmbed
from tests.engine.families.qwen_paths import generate, picture, set_class

TOLERANCE = 1e-5  # relative to the largest magnitude


def _set_layers(model: torch.nn.Module, layer_class: type) -> int:
    return set_class(model, Qwen3_5GatedDeltaNet, layer_class)


@pytest.fixture(scope="module")
def engine(tiny_qwen_dir):
    return load_engine(str(tiny_qwen_dir), device="cpu", precision="fp32", progress=False)


def _generate(engine, inputs, layer_class: type, steps: int = 8, image_key: str | None = None):
    """Greedy tokens, their logits and the cache after them, with `layer_class` for the delta-net layers."""
    assert _set_layers(engine.model, layer_class) > 0
    return generate(engine, inputs, steps, image_key)


def test_the_engine_decodes_through_the_fast_step(engine, monkeypatch) -> None:
    assert all(
        type(m) is DecodingGatedDeltaNet
        for m in engine.model.modules()
        if isinstance(m, Qwen3_5GatedDeltaNet)
    )
    steps = []
    original = DecodingGatedDeltaNet._step
    monkeypatch.setattr(
        DecodingGatedDeltaNet, "_step", lambda self, *a: steps.append(1) or original(self, *a)
    )
    engine.clear_feature_cache()
    engine.describe(picture(1))
    assert steps  # every generated token after the first goes through it


@pytest.mark.parametrize("case", ["one prompt", "a batch", "from a kept picture"])
def test_logits_and_cache_are_transformers_own(engine, case) -> None:
    """One prompt; a left-padded batch of two of different lengths (documents' batches); a question
    read after a kept picture's prefix (the prompt's convolution and rule start from kept states)."""
    pictures = 2 if case == "a batch" else 1
    key = "picture" if case == "from a kept picture" else None
    conversations = [engine.conversation("Describe this picture."), engine.conversation("What is written?")]
    images = [picture(2), picture(3, (64, 160))]
    inputs = engine.inputs(conversations[:pictures], images[:pictures])
    try:
        ours, our_logits, our_cache = _generate(engine, inputs, DecodingGatedDeltaNet, image_key=key)
        theirs, their_logits, their_cache = _generate(engine, inputs, Qwen3_5GatedDeltaNet, image_key=key)
    finally:
        _set_layers(engine.model, DecodingGatedDeltaNet)
        engine.clear_feature_cache()
    assert torch.equal(ours, theirs)
    _close(our_logits, their_logits)
    linear = [index for index, layer in enumerate(their_cache.layers) if hasattr(layer, "recurrent_states")]
    assert linear
    for index in linear:
        mine, layer = our_cache.layers[index], their_cache.layers[index]
        _close(mine.recurrent_states[0], layer.recurrent_states[0])
        _close(mine.conv_states[0], layer.conv_states[0])
        assert int(mine.get_seq_length()) == int(layer.get_seq_length())


def _close(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    scale = float(theirs.abs().max())
    assert scale > 0  # not a comparison of zeros
    assert float((ours - theirs).abs().max()) <= TOLERANCE * scale


def test_a_step_from_a_kept_prefix_leaves_the_prefix_as_it_was(engine) -> None:
    """The step updates the cache's state in place: the engine's kept prefix must be a copy."""
    engine.clear_feature_cache()
    shown = picture(4)
    engine.describe(shown)
    (prefix,) = engine._prefixes.values()
    kept = copy.deepcopy(prefix.cache)
    first = engine.ask(shown, "What colour is it?")
    for before, after in zip(kept.layers, prefix.cache.layers, strict=True):
        if hasattr(before, "recurrent_states"):
            assert torch.equal(before.recurrent_states[0], after.recurrent_states[0])
            assert torch.equal(before.conv_states[0], after.conv_states[0])
    assert engine.ask(shown, "What colour is it?") == first


def test_another_device_keeps_transformers_path(engine) -> None:
    """Off the processor (a graphics card, with flash-linear-attention's kernels where installed),
    transformers' own path runs; the meta device stands for it here."""
    with torch.device("meta"):
        model = torch.nn.Sequential(Qwen3_5GatedDeltaNet(engine.model.config.text_config, 0))
    deltanet.use_fast_decoding(model)
    assert type(model[0]) is Qwen3_5GatedDeltaNet


def test_the_patch_embedder_sees_what_transformers_convolution_sees(engine) -> None:
    embedder = engine.model.model.visual.patch_embed
    assert type(embedder) is MatmulPatchEmbed
    inputs = engine.inputs([engine.conversation("Describe.")], [picture(5, (200, 300))])
    features = []
    try:
        for embedder_class in (MatmulPatchEmbed, Qwen3_5VisionPatchEmbed):
            embedder.__class__ = embedder_class
            with torch.inference_mode():
                output = engine.model.model.get_image_features(
                    inputs["pixel_values"], inputs["image_grid_thw"]
                )
            features.append(torch.cat(list(output.pooler_output)))
    finally:
        embedder.__class__ = MatmulPatchEmbed
    _close(*features)
