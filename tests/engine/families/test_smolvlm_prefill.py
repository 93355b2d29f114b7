"""SmolVLM2's first request about a picture reads the whole prompt in one pass and `generate` takes its
first token from that pass (`SmolVLMEngine._answer_from`): no separate step for the prompt's last token,
the same words as transformers reading the prompt itself, and nothing left behind on the model."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from assistant.engine import load_engine, quantized
from assistant.engine.families.chat import ChatEngine
from assistant.engine.families.smolvlm import engine as smolvlm

TOKENS = 6


def picture(seed: int) -> Image.Image:
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (300, 400, 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


@pytest.fixture(scope="module", params=["fp32", "int8"])
def engine(request, tiny_smolvlm2_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("int8-cache")))
        loaded = load_engine(str(tiny_smolvlm2_dir), device="cpu", precision=request.param, progress=False)
    loaded.generation_options["eos_token_id"] = None  # every run makes exactly its tokens
    loaded.max_new_tokens = dict.fromkeys(loaded.max_new_tokens, TOKENS)
    return loaded


def passes_of(engine, monkeypatch) -> list[int]:
    """The lengths the language model reads, call by call."""
    lengths: list[int] = []
    real = engine.model.model.text_model.forward

    def counted(*args, **kwargs):
        embeds = kwargs.get("inputs_embeds")
        lengths.append(embeds.shape[1] if embeds is not None else kwargs["input_ids"].shape[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine.model.model.text_model, "forward", counted)
    return lengths


def test_the_first_token_comes_from_the_prompts_one_pass(engine, monkeypatch) -> None:
    engine.clear_feature_cache()
    image = picture(1)
    inputs = engine.inputs(
        [engine.conversation(engine.describe_prompts["brief"])], [engine.prepare_image(image)]
    )
    lengths = passes_of(engine, monkeypatch)
    engine.describe(image)
    # The whole prompt once, then one step for each token after the first.
    assert lengths == [inputs["input_ids"].shape[1]] + [1] * (TOKENS - 1)
    assert "_prefill" not in engine.model.__dict__  # the one answer is not left for a later call
    lengths.clear()
    engine.ask(image, "What is on it?")  # a follow-up starts from the kept image tokens, as before
    assert lengths[0] > 1 and lengths[1:] == [1] * (TOKENS - 1)


def test_the_words_are_those_of_transformers_reading_the_prompt(engine, monkeypatch) -> None:
    images = [picture(seed) for seed in (2, 3, 4)]
    engine.clear_feature_cache()
    ours = [engine.describe(image) for image in images] + [engine.ask(images[0], "And the text?")]
    monkeypatch.setattr(smolvlm.SmolVLMEngine, "_prefix_for", ChatEngine._prefix_for)
    engine.clear_feature_cache()
    theirs = [engine.describe(image) for image in images] + [engine.ask(images[0], "And the text?")]
    assert ours == theirs
    assert all(ours)


def test_the_first_tokens_logits_are_those_of_a_step_after_the_prompt(engine) -> None:
    """The pass's last logits against transformers' step over the prompt's last token."""
    image = engine.prepare_image(picture(5))
    inputs = engine.inputs([engine.conversation("Describe this picture.")], [image])
    seq = inputs["input_ids"].shape[1]
    with torch.inference_mode():
        whole = engine.model(**inputs, use_cache=True, logits_to_keep=1).logits[0, -1]
        part = {k: v[:, : seq - 1] if v.dim() == 2 and v.shape[1] == seq else v for k, v in inputs.items()}
        cache = engine.model(**part, use_cache=True).cache
        step = engine.model(
            input_ids=inputs["input_ids"][:, -1:],
            cache=cache,
            use_cache=True,
            position_ids=torch.tensor([[seq - 1]]),
            cache_position=torch.tensor([seq - 1]),
        ).logits[0, -1]
    assert torch.allclose(whole, step, rtol=0, atol=1e-4 * float(step.abs().max()))
    assert int(whole.argmax()) == int(step.argmax())


def test_another_prompt_is_read_by_transformers(engine) -> None:
    """The one answer is for its own prompt: `generate` given another reads that prompt itself."""
    image = engine.prepare_image(picture(6))
    first = engine.inputs([engine.conversation("Describe this picture.")], [image])
    other = engine.inputs([engine.conversation("What colour is it?")], [image])
    with torch.inference_mode():
        read = engine.model(**first, use_cache=True, logits_to_keep=1)
    engine._answer_from(first["input_ids"][0].clone(), read)
    try:
        ids = engine.generate(other, TOKENS)
    finally:
        engine.model.__dict__.pop("_prefill", None)
    assert torch.equal(ids, ChatEngine.generate(engine, other, TOKENS))
