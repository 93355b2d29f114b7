"""SmolVLM2's fused int8 layers (`families/smolvlm/fused.py`) give exactly what the separate layers give:
the same logits over a prompt with a picture and at a cached step, and the same greedy tokens, on the tiny
checkpoint (whose query is twice as wide as its key and value, so a split out of order shows)."""

from __future__ import annotations

import copy

import pytest
import torch
from PIL import Image

from assistant.engine import load_engine, quantized
from assistant.engine.families.smolvlm import engine as smolvlm_engine
from assistant.engine.families.smolvlm import fused
from assistant.engine.int8 import Int8Linear


def picture() -> Image.Image:
    generator = torch.Generator().manual_seed(3)
    pixels = torch.randint(0, 256, (300, 400, 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


@pytest.fixture(scope="module")
def pair(tiny_smolvlm2_dir, tmp_path_factory):
    """The tiny checkpoint in int8 twice: as the app loads it (fused) and with its layers left apart."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("int8-cache")))
        with pytest.MonkeyPatch.context() as unfused:
            unfused.setattr(smolvlm_engine, "use_fused_layers", lambda model: 0)
            apart = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision="int8", progress=False)
        # A later start: the prepared file is mapped, as at every start after the first.
        fast = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision="int8", progress=False)
    return fast, apart


def step_logits(engine, inputs) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits over the prompt (picture included), and at one more token read from its cache."""
    with torch.inference_mode():
        out = engine.model(**inputs, use_cache=True)
        seq = inputs["input_ids"].shape[1]
        step = engine.model(
            input_ids=torch.tensor([[7]]),
            cache=copy.deepcopy(out.cache),
            use_cache=True,
            position_ids=torch.tensor([[seq]]),
            cache_position=torch.tensor([seq]),
        )
    return out.logits, step.logits


def test_the_int8_layers_reading_one_input_are_fused_on_the_processor(pair) -> None:
    fast, apart = pair
    modules = list(fast.model.modules())
    vision = [m for m in modules if isinstance(m, fused.FusedVisionAttention)]
    text = [m for m in modules if isinstance(m, fused.FusedTextAttention)]
    mlps = [m for m in modules if isinstance(m, fused.FusedMLP)]
    assert len(vision) == 2 and len(text) == 2 and len(mlps) == 2  # every layer of the tiny model
    assert all(isinstance(m.qkv, Int8Linear) for m in vision + text)
    assert all(isinstance(m.gate_up, Int8Linear) for m in mlps)
    assert text[0].qkv_widths == [64, 32, 32]
    layers = list(fast.model.model.text_model.layers)
    assert all(type(layer) is fused.FusedDecoderLayer for layer in layers)  # one token a step, leaner
    # The fused weights are views of the mapped prepared file, where the parts lie side by side in the
    # order the modules declare them (the vision attention's is key, value, query): nothing is copied.
    mapped = fast.model.model.text_model.layers[0].self_attn.o_proj.weight.untyped_storage().data_ptr()
    for m in vision + text:
        assert m.qkv.weight.untyped_storage().data_ptr() == mapped
        assert m.q_proj.weight.untyped_storage().data_ptr() == mapped
    assert all(m.gate_up.weight.untyped_storage().data_ptr() == mapped for m in mlps)
    assert not any(isinstance(m, fused.FusedTextAttention) for m in apart.model.modules())


def test_fused_layers_give_the_separate_layers_logits_and_tokens(pair) -> None:
    fast, apart = pair
    image = fast.prepare_image(picture())
    inputs = fast.inputs([fast.conversation("Describe this picture.")], [image])
    fused_prompt, fused_step = step_logits(fast, inputs)
    apart_prompt, apart_step = step_logits(apart, inputs)
    # Integer products and per-channel scaling: the same numbers, not merely close ones.
    assert torch.allclose(fused_prompt, apart_prompt, rtol=0, atol=1e-6)
    assert torch.allclose(fused_step, apart_step, rtol=0, atol=1e-6)
    assert fast.describe(image) == apart.describe(image) != ""
    assert fast.ask(image, "What is on it?") == apart.ask(image, "What is on it?")
    # A left-padded batch of two (its attention mask passed to every step).
    pictures = [image, fast.prepare_image(picture().rotate(90, expand=True))]
    assert fast.describe_many(pictures) == apart.describe_many(pictures)


def test_a_fused_layer_out_of_order_is_caught(pair, monkeypatch) -> None:
    """The comparison above sees a fusion whose parts are split in the wrong order (key and value
    swapped): the check is not blind to the mistake it guards against."""
    fast, apart = pair
    broken = copy.deepcopy(fast)
    for module in broken.model.modules():
        if isinstance(module, fused.FusedTextAttention):
            query, key, value = module.qkv_widths
            weight, scales = module.qkv.weight, module.qkv.scales
            order = torch.cat(
                [
                    torch.arange(query),
                    torch.arange(query + key, query + key + value),
                    torch.arange(query, query + key),
                ]
            )
            module.qkv = Int8Linear(weight[order].clone(), scales[order].clone(), None)
    inputs = fast.inputs([fast.conversation("Describe this picture.")], [fast.prepare_image(picture())])
    broken_prompt, _ = step_logits(broken, inputs)
    apart_prompt, _ = step_logits(apart, inputs)
    assert not torch.allclose(broken_prompt, apart_prompt, rtol=0, atol=1e-6)


def test_float_layers_are_left_as_transformers_made_them(tiny_smolvlm2_dir) -> None:
    engine = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision="fp32", progress=False)
    assert fused.use_fused_layers(engine.model) == 0
    assert not any(type(m).__module__ == fused.__name__ for m in engine.model.modules())
