"""Qwen3.5's decoder layers at one token a step (`qwen3_5/step.py`) give the tokens and logits of the
path before them (transformers' decoder layer calling the family's fused parts), exactly: the same
operations on the same numbers. Checked on the tiny int8 checkpoint for one prompt, a left-padded
batch of two and a question after a kept picture's prefix; a broken rotation or norm weight fails it."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from transformers.models.qwen3_5.modeling_qwen3_5 import (
    Qwen3_5Attention,
    Qwen3_5DecoderLayer,
    Qwen3_5RMSNorm,
)

from assistant.engine import load_engine, quantized
from assistant.engine.families.qwen3_5 import attention_layer, delta_layer, deltanet, step
from assistant.engine.families.qwen3_5.step import QKV, DecodingDecoderLayer
from tests.engine.families.qwen_paths import generate, picture, set_class


@pytest.fixture(scope="module")
def engine(tiny_qwen_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("cache")))
        engine = load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)
    # The tiny checkpoint's norm weights are all zeros (the query's and key's alike): random ones, so
    # that a weight taken for another shows.
    torch.manual_seed(0)
    with torch.no_grad():
        for module in engine.model.modules():
            if isinstance(module, Qwen3_5RMSNorm):
                module.weight.normal_(0.0, 0.3)
    return engine


def _set_layers(model: torch.nn.Module, layer_class: type) -> None:
    set_class(model, Qwen3_5DecoderLayer, layer_class)


def _generate(engine, inputs, layer_class: type, image_key: str | None = None):
    """Eight greedy tokens and their logits, with `layer_class` for the decoder layers."""
    _set_layers(engine.model, layer_class)
    sequences, logits, _cache = generate(engine, inputs, image_key=image_key)
    return sequences, logits


def _both(engine, case: str):
    pictures = 2 if case == "a batch" else 1
    key = "picture" if case == "from a kept picture" else None
    conversations = [engine.conversation("Describe this picture."), engine.conversation("What is written?")]
    inputs = engine.inputs(conversations[:pictures], [picture(2), picture(3, (64, 160))][:pictures])
    try:
        ours = _generate(engine, inputs, DecodingDecoderLayer, key)
        theirs = _generate(engine, inputs, Qwen3_5DecoderLayer, key)
    finally:
        _set_layers(engine.model, DecodingDecoderLayer)
        engine.clear_feature_cache()
    return ours, theirs


@pytest.mark.parametrize("case", ["one prompt", "a batch", "from a kept picture"])
def test_tokens_and_logits_are_the_path_befores_exactly(engine, case) -> None:
    """One prompt; a left-padded batch of two of different lengths (its attention mask reaches the
    step); a question read after a kept picture's prefix (the step starts from a copied cache)."""
    (ours, our_logits), (theirs, their_logits) = _both(engine, case)
    assert torch.equal(ours, theirs)
    assert float(their_logits.abs().max()) > 0  # not a comparison of zeros
    assert torch.equal(our_logits, their_logits)


def test_the_engine_steps_through_both_kinds_of_layer(engine, monkeypatch) -> None:
    layers = [m for m in engine.model.modules() if isinstance(m, Qwen3_5DecoderLayer)]
    assert {layer.block_type for layer in layers} == {"linear_attention", "full_attention"}
    assert all(type(layer) is DecodingDecoderLayer for layer in layers)
    attentions = [m for m in engine.model.modules() if isinstance(m, Qwen3_5Attention)]
    assert attentions and all(QKV in m._modules for m in attentions)
    stepped = []
    original = DecodingDecoderLayer._step
    monkeypatch.setattr(
        DecodingDecoderLayer, "_step", lambda self, *a: stepped.append(self.block_type) or original(self, *a)
    )
    engine.clear_feature_cache()
    engine.describe(picture(1))
    assert set(stepped) == {"linear_attention", "full_attention"}


@pytest.mark.parametrize("broken", ["rotation", "key norm weight"])
def test_a_broken_step_is_caught(engine, monkeypatch, broken) -> None:
    """The comparison above sees a rotation's cosine and sine swapped, and the key's heads normed with
    the query's weight."""
    if broken == "rotation":
        original = step._rotate
        monkeypatch.setattr(step, "_rotate", lambda x, cos, sin: original(x, sin, cos))
    else:
        original_scale = step._qk_scale

        def query_weight_for_all(attention):
            scale = original_scale(attention)
            return scale[:1].expand_as(scale)

        monkeypatch.setattr(step, "_qk_scale", query_weight_for_all)
    (_ours, our_logits), (_theirs, their_logits) = _both(engine, "one prompt")
    assert not torch.equal(our_logits, their_logits)


def test_off_the_processor_the_layers_are_transformers(engine) -> None:
    """A graphics card keeps transformers' parts (the meta device stands for it): nothing is fused and
    the layer, though of the new class, takes transformers' path (its norms are not the fused ones)."""
    config = engine.model.config.text_config
    with torch.device("meta"):
        model = torch.nn.Sequential(Qwen3_5DecoderLayer(config, 1))
    step.use_decoding_layers(model)
    layer = model[0]
    assert QKV not in layer.self_attn._modules
    assert not layer._decodes(torch.zeros(1, 1, config.hidden_size))


@pytest.mark.parametrize("case", ["one prompt", "a batch", "from a kept picture"])
def test_the_window_kept_positions_first_gives_the_same_logits(engine, monkeypatch, case) -> None:
    """The delta-net's convolution window kept positions first (`deltanet._positions_first`) against
    the window as transformers' cache keeps it (the shift by `cat` and the sum over its last
    dimension): the same tokens and logits, and the cache's window really changed its layout."""
    conversations = [engine.conversation("Describe this picture."), engine.conversation("What is written?")]
    pictures = 2 if case == "a batch" else 1
    key = "picture" if case == "from a kept picture" else None
    inputs = engine.inputs(conversations[:pictures], [picture(4), picture(5, (64, 160))][:pictures])
    windows = []
    original = deltanet._positions_first

    def watched(cache, layer_idx, conv_state):
        positions = original(cache, layer_idx, conv_state)
        windows.append(cache.layers[layer_idx].conv_states[0])
        return positions

    monkeypatch.setattr(deltanet, "_positions_first", watched)
    try:
        ours, our_logits = _generate(engine, inputs, DecodingDecoderLayer, key)
        assert windows and all(window.transpose(1, 2).is_contiguous() for window in windows)
        monkeypatch.setattr(deltanet, "_positions_first", lambda *_: None)
        theirs, their_logits = _generate(engine, inputs, DecodingDecoderLayer, key)
    finally:
        engine.clear_feature_cache()
    assert torch.equal(ours, theirs)
    assert torch.equal(our_logits, their_logits)


@pytest.mark.parametrize("channels", [7, 64, 6144])
def test_the_positions_first_convolution_is_the_window_sum_exactly(channels) -> None:
    generator = torch.Generator().manual_seed(channels)
    weight = torch.randn(channels, 4, generator=generator)
    window = torch.randn(2, channels, 4, generator=generator)
    positions = window.transpose(1, 2).contiguous()
    for scale in (1e-3, 1.0, 1e3):
        new = torch.randn(2, channels, generator=generator) * scale
        window = torch.cat((window[..., 1:], new[..., None]), dim=-1)
        expected = (window * weight).sum(-1)
        got = deltanet.convolve_positions_first(positions, new, weight.t().contiguous())
        assert torch.equal(got, expected)
        assert torch.equal(positions.transpose(1, 2), window)


GATHERED = {
    "linear_attention": (delta_layer, "_delta_plan"),
    "full_attention": (attention_layer, "_attention_plan"),
}


def _gathered_steps(monkeypatch, module) -> list[str]:
    """Records each layer step taken with its reads gathered (`module.step`, a delta-net or attention
    layer's)."""
    taken: list[str] = []
    original = module.step

    def recorded(*args):
        out = original(*args)
        taken.append("gathered" if out is not None else "declined")
        return out

    monkeypatch.setattr(module, "step", recorded)
    return taken


@pytest.mark.parametrize("kind", GATHERED)
@pytest.mark.parametrize("case", ["one prompt", "from a kept picture"])
def test_one_prompt_s_layers_run_gathered_with_the_same_logits(engine, monkeypatch, case, kind) -> None:
    """The comparison above, with the gathered step seen to run (a batch keeps the layer's own step)."""
    taken = _gathered_steps(monkeypatch, GATHERED[kind][0])
    (ours, our_logits), (theirs, their_logits) = _both(engine, case)
    assert taken and set(taken) == {"gathered"}
    assert torch.equal(ours, theirs) and torch.equal(our_logits, their_logits)
    taken.clear()
    _both(engine, "a batch")
    assert taken == []


def _forget_plans(engine) -> None:
    for layer in engine.model.modules():
        for _module, held in GATHERED.values():
            layer.__dict__.pop(held, None)


@pytest.mark.parametrize("kind", GATHERED)
def test_a_broken_gathered_step_is_caught(engine, monkeypatch, kind) -> None:
    """The post-attention norm's weight taken for the input norm's: the comparison sees it."""
    module, _held = GATHERED[kind]
    original = module._plan

    def swapped(*args):
        plan = original(*args)
        return dataclasses.replace(plan, post_scale=plan.input_scale) if plan else None

    monkeypatch.setattr(module, "_plan", swapped)
    _forget_plans(engine)
    try:
        (_ours, our_logits), (_theirs, their_logits) = _both(engine, "one prompt")
    finally:
        _forget_plans(engine)
    assert not torch.equal(our_logits, their_logits)


@pytest.mark.parametrize("kind", GATHERED)
def test_the_gathered_reads_follow_a_weight_changed_in_place(engine, kind) -> None:
    layer = next(m for m in engine.model.modules() if getattr(m, "block_type", "") == kind)
    plan_of = delta_layer.plan_of if kind == "linear_attention" else lambda x: attention_layer.plan_of(x, QKV)
    before = plan_of(layer)
    assert before is not None and plan_of(layer) is before  # kept
    weight = layer.post_attention_layernorm.weight
    with torch.no_grad():
        weight.add_(0.5)
    try:
        after = plan_of(layer)
        assert after is not before and torch.equal(after.post_scale, 1.0 + weight)
        (_ours, our_logits), (_theirs, their_logits) = _both(engine, "one prompt")
        assert torch.equal(our_logits, their_logits)
    finally:
        with torch.no_grad():
            weight.sub_(0.5)
