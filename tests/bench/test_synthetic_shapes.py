"""Every chat-family model in the catalogue has a full-size synthetic shape for `bench --suite families`,
of the catalogue's family and of its size. Configs only, built on the meta device: no weights."""

from __future__ import annotations

import pytest

from assistant.bench.synthetic_families import SHAPES, family_config
from assistant.engine.catalogue import KNOWN_MODELS
from assistant.engine.families import family_of_architecture

CHAT_MODELS = [model for model in KNOWN_MODELS if model.family != "BLIP-2"]


def test_every_chat_model_in_the_catalogue_has_a_shape() -> None:
    assert {model.short for model in CHAT_MODELS} == set(SHAPES)


@pytest.mark.parametrize("model", CHAT_MODELS, ids=lambda model: model.short)
def test_the_shape_is_of_the_catalogues_family_and_size(model) -> None:
    import torch
    from transformers import AutoModelForImageTextToText

    config, processor = family_config(model.short)
    assert family_of_architecture(config.architectures[0]).name == model.family
    with torch.device("meta"):  # the shapes of the weights, none of their memory
        built = AutoModelForImageTextToText.from_config(config)
    assert type(built).__name__ == config.architectures[0]
    parameters = sum(weight.numel() for weight in built.parameters())
    # The catalogue's counts are the hub's, rounded; a wrong width or layer count is off by far more.
    assert parameters == pytest.approx(model.parameters, rel=0.03)
    # The processor's image tokens are the config's: the tokenizer says the id the model looks for.
    assert processor.tokenizer.convert_tokens_to_ids(processor.image_token) == config.image_token_id


def test_the_served_smolvlm2_is_the_same_network_in_smolvlms_first_classes() -> None:
    # `transformers serve` cannot load SmolVLM2's processor here (its video part needs torchvision), so
    # the server suite serves the same network in the classes SmolVLM-500M-Instruct is published with.
    import torch
    from transformers import AutoModelForImageTextToText

    from assistant.bench.synthetic_families import build_family

    counts = []
    for generation in (1, 2):
        config, processor = build_family(SHAPES["smolvlm2-500m"], generation=generation)
        with torch.device("meta"):
            built = AutoModelForImageTextToText.from_config(config)
        counts.append(sum(weight.numel() for weight in built.parameters()))
        assert type(built).__name__ == config.architectures[0]
        assert "video_processor" not in type(processor).get_attributes()
    assert counts[0] == counts[1]
