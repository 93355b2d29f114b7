"""Gemma 4 at int8 on the processor: its embedding tables (token and per-layer) stay bf16 in the prepared
file and in memory, the rest float32, and its answers stay what an all-float32 rest gives."""

from __future__ import annotations

import shutil

import torch
from PIL import Image

from assistant.engine import load_engine, quantized


def picture() -> Image.Image:
    generator = torch.Generator().manual_seed(5)
    pixels = torch.randint(0, 256, (80, 120, 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


def test_gemma4s_embedding_tables_stay_bf16_in_the_prepared_file_and_answers_keep(
    tiny_gemma4_dir, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    checkpoint = shutil.copytree(tiny_gemma4_dir, tmp_path / "checkpoint")
    first = load_engine(str(checkpoint), device="cpu", precision="int8", progress=False)
    (saved,) = quantized.saved_models()
    header, _metadata, _start = quantized.read_header(saved.path)
    dtypes = {name: entry["dtype"] for name, entry in header.items()}
    tables = [
        name for name in dtypes if name.endswith(("embed_tokens.weight", "embed_tokens_per_layer.weight"))
    ]
    assert {
        "model.language_model.embed_tokens.weight",
        "model.language_model.embed_tokens_per_layer.weight",
    } <= set(tables)
    assert all(dtypes[name] == "BF16" for name in tables)
    norms = [name for name in dtypes if "norm" in name]
    assert norms and all(dtypes[name] == "F32" for name in norms)  # the processor's math stays float32

    later = load_engine(str(checkpoint), device="cpu", precision="int8", progress=False)
    for engine in (first, later):
        language = engine.model.model.language_model
        assert language.embed_tokens.weight.dtype == torch.bfloat16
        assert language.embed_tokens_per_layer.weight.dtype == torch.bfloat16
    inputs = later.inputs([later.conversation("Describe it.")], [picture()])
    with torch.no_grad():
        compact = later.model(**inputs).logits
        assert compact.dtype == torch.float32  # looked-up rows are cast: no bf16 hidden state
        for module in later.model.modules():  # what the prepared model held before: every table float32
            if isinstance(module, torch.nn.Embedding):
                module.weight.data = module.weight.data.float()
        wide = later.model(**inputs).logits
    cosine = torch.nn.functional.cosine_similarity(compact.flatten(), wide.flatten(), dim=0)
    assert cosine > 0.999
    assert torch.equal(compact[0, -1].argmax(), wide[0, -1].argmax())
    assert first.describe(picture()) == later.describe(picture()) != ""
