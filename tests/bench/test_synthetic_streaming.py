"""The streaming writer (assistant.bench.streaming) writes what `save_pretrained` writes, one module in
memory at a time, for each family's tiny shape; the full-size checkpoints are written by the same code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.bench import streaming
from assistant.bench.synthetic_families import TINY, build_family, save_tiny_family


def _tensors(folder: Path) -> dict[str, object]:
    import torch
    from safetensors import safe_open

    found: dict[str, torch.Tensor] = {}
    for path in sorted(folder.glob("*.safetensors")):
        with safe_open(path, "pt") as shard:
            found.update({name: shard.get_tensor(name) for name in shard.keys()})  # noqa: SIM118
    return found


def _streamed(family: str, folder: Path, edit: streaming.Edit | None = None) -> Path:
    import torch

    config, _ = build_family(TINY[family])
    return streaming.save_streaming(streaming.build_on_meta(config, torch.float32), folder, edit)


@pytest.mark.parametrize("family", sorted(TINY))
def test_it_writes_the_tensors_save_pretrained_writes_with_a_new_models_values(family, tmp_path) -> None:
    import torch
    from transformers import AutoModelForImageTextToText

    saved = _tensors(save_tiny_family(TINY[family], tmp_path / "saved"))
    streamed = _tensors(_streamed(family, tmp_path / "streamed"))
    assert {name: (t.shape, t.dtype) for name, t in streamed.items()} == {
        name: (t.shape, t.dtype) for name, t in saved.items()
    }
    for name, tensor in saved.items():
        values = streamed[name].float()
        if tensor.numel() > 1 and tensor.float().std() == 0:  # ones of a norm, zeros of a bias, scalars
            assert torch.equal(streamed[name], tensor), name
        elif tensor.numel() >= 1000:  # as `_init_weights` draws them: normal with the config's 0.02
            assert values.std().item() == pytest.approx(tensor.float().std().item(), rel=0.2), name
    _, loading = AutoModelForImageTextToText.from_pretrained(tmp_path / "streamed", output_loading_info=True)
    assert not loading["missing_keys"] and not loading["unexpected_keys"]


def test_a_large_model_goes_into_shards_with_the_index_transformers_reads(tmp_path, monkeypatch) -> None:
    from transformers import AutoModelForImageTextToText

    monkeypatch.setattr(streaming, "SHARD_BYTES", 64 * 1024)
    folder = _streamed("gemma4", tmp_path)
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shards = sorted(path.name for path in folder.glob("*.safetensors"))
    assert len(shards) > 2 and sorted(set(index["weight_map"].values())) == shards
    assert set(index["weight_map"]) == set(_tensors(folder))
    model, loading = AutoModelForImageTextToText.from_pretrained(folder, output_loading_info=True)
    assert not loading["missing_keys"] and not loading["unexpected_keys"]
    assert type(model).__name__ == "Gemma4ForConditionalGeneration"


def test_only_the_module_being_written_is_in_memory(tmp_path, monkeypatch) -> None:
    import torch

    config, _ = build_family(TINY["qwen3_5"])
    model = streaming.build_on_meta(config, torch.float32)
    largest = max(
        sum(t.numel() for t in [*m.parameters(recurse=False), *m.buffers(recurse=False)])
        for m in model.modules()
    )
    held: list[int] = []

    def watch(name: str, tensor: torch.Tensor) -> None:
        every = {id(t): t for t in [*model.parameters(), *model.buffers()]}.values()
        held.append(sum(t.numel() for t in every if t.device.type != "meta"))

    streaming.save_streaming(model, tmp_path, watch)
    assert len(held) == len(_tensors(tmp_path))
    assert 0 < max(held) <= largest
    assert all(t.device.type == "meta" for t in model.parameters())  # all given back


def test_an_edit_changes_the_values_written(tmp_path) -> None:
    def zero_embeddings(name: str, tensor) -> None:
        if name.endswith("embed_tokens.weight"):
            tensor[:5] = 0

    written = _tensors(_streamed("smolvlm", tmp_path, zero_embeddings))
    embeddings = next(t for name, t in written.items() if name.endswith("embed_tokens.weight"))
    assert not embeddings[:5].any() and embeddings[5:].any()


def test_the_served_model_is_silenced_in_its_embeddings_and_its_untied_head(tmp_path) -> None:
    # The server suite's SmolVLM (generation 1, head untied) speaks only whole words of its small tokenizer.
    import torch

    from assistant.bench.synthetic import silence_non_words

    shape = {**TINY["smolvlm"], "config": {"tie_word_embeddings": False}}
    config, processor = build_family(shape, generation=1)
    model = streaming.build_on_meta(config, torch.float32)
    written = _tensors(
        streaming.save_streaming(model, tmp_path, silence_non_words(model, processor.tokenizer))
    )
    vocabulary = config.text_config.vocab_size
    rows = {
        name: tensor.abs().sum(dim=1) > 0 for name, tensor in written.items() if tensor.shape[0] == vocabulary
    }
    assert set(rows) == {"model.text_model.embed_tokens.weight", "lm_head.weight"}
    spoken = [processor.tokenizer.decode([i]) for i in rows["lm_head.weight"].nonzero().flatten().tolist()]
    assert spoken and all(token.startswith(" ") and token.strip().isalpha() for token in spoken)
    assert torch.equal(rows["lm_head.weight"], rows["model.text_model.embed_tokens.weight"])
