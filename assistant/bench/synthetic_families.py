"""Random checkpoints of the chat-template families in two sizes: the published ones (SHAPES), for
`assistant bench --suite families`, and tiny ones (TINY), for the tests (tests/tiny_checkpoints).

Both sizes go through the same builder of their family (assistant.bench.family_builders): the real model
class, a tokenizer trained on the spot and the family's own processor class, saved as a download is, so
the app loads them through `load_engine`. A full-size one is the published model's shape (layers, widths,
heads, vocabulary, vision encoder, tokens a picture becomes) with random bfloat16 weights, written one
module at a time (assistant.bench.streaming). Random weights say nothing of quality, only of time and
memory; each run generates a fixed number of tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.bench.family_builders import (
    BENCH_WORDS,
    QWEN_SAMPLING,
    TINY_WORDS,
    gemma4,
    qwen3_5,
    save_processor,
    save_smolvlm_processor,
    smolvlm,
)
from assistant.engine.families.gemma4.engine import DEFAULT_IMAGE_TOKENS

# What the published checkpoints of a family share beyond their sizes.
_QWEN: dict[str, Any] = {
    "family": "qwen3_5",
    "config": {"tie_word_embeddings": True},
    "generation": QWEN_SAMPLING,
    "words": BENCH_WORDS,
}
_QWEN_VISION = dict(patch_size=16, spatial_merge_size=2, temporal_patch_size=2)
_SMOLVLM: dict[str, Any] = {
    "family": "smolvlm",
    "config": {"tie_word_embeddings": False},
    "scale_factor": 4,
    "image_splitting": True,
    "words": BENCH_WORDS,
}
_SIGLIP_BASE = dict(  # SigLIP base/16 at 512 pixels
    hidden_size=768,
    intermediate_size=3072,
    num_hidden_layers=12,
    num_attention_heads=12,
    image_size=512,
    patch_size=16,
)

# The published shapes. Where each number comes from:
# - qwen3.5-0.8b, qwen3.5-2b: the model cards' "Model Overview" (hidden dimension, layers, DeltaNet and
#   attention heads, FFN) and Qwen/Qwen3.5-2B's config.json (text_config); the 2B's vision tower is
#   Qwen3-VL-2B's (24 blocks of 1024, out 2048), which Qwen3.5 keeps.
# - smolvlm2-256m, smolvlm2-500m: HuggingFaceTB/SmolVLM2-*-Video-Instruct's config.json (SmolLM2-135M and
#   -360M with a 512-pixel SigLIP base/16, 64 tokens a tile; the head is not tied to the embeddings, which
#   is what makes the hub's 256M and 507M parameters).
# - smolvlm2-2.2b: HuggingFaceTB/SmolVLM-Instruct's config.json, the shape SmolVLM2-2.2B keeps (SmolLM2-1.7B,
#   untied head; SigLIP so400m/14 at 384 pixels, pixel shuffle 3: 81 tokens a tile, as its card says).
# - gemma4-e2b: google/gemma-4-E2B-it's config.json (35 layers of 1536, four sliding to one full,
#   20 sharing the key/value cache, 256-wide per-layer inputs; a 16-block vision tower; the audio tower,
#   which the app never feeds but loads) and its card's "2.3B effective (5.1B with embeddings)".
# A test (tests/bench/test_synthetic_shapes.py) builds each on the meta device and checks its parameters
# against the catalogue's count.
SHAPES: dict[str, dict[str, Any]] = {
    "qwen3.5-0.8b": {
        "text": dict(
            vocab_size=248_320,
            hidden_size=1024,
            intermediate_size=3584,
            num_hidden_layers=24,
            num_attention_heads=8,
            num_key_value_heads=2,
            head_dim=256,
            linear_key_head_dim=128,
            linear_value_head_dim=128,
            linear_num_key_heads=16,
            linear_num_value_heads=16,
            max_position_embeddings=262_144,
            tie_word_embeddings=True,
        ),
        "vision": dict(
            depth=12,
            hidden_size=768,
            intermediate_size=3072,
            num_heads=12,
            out_hidden_size=1024,
            **_QWEN_VISION,
        ),
        **_QWEN,
    },
    "qwen3.5-2b": {
        "text": dict(
            vocab_size=248_320,
            hidden_size=2048,
            intermediate_size=6144,
            num_hidden_layers=24,
            num_attention_heads=8,
            num_key_value_heads=2,
            head_dim=256,
            linear_key_head_dim=128,
            linear_value_head_dim=128,
            linear_num_key_heads=16,
            linear_num_value_heads=16,
            max_position_embeddings=262_144,
            tie_word_embeddings=True,
        ),
        "vision": dict(
            depth=24,
            hidden_size=1024,
            intermediate_size=4096,
            num_heads=16,
            out_hidden_size=2048,
            **_QWEN_VISION,
        ),
        **_QWEN,
    },
    "smolvlm2-500m": {
        "text": dict(
            vocab_size=49_280,
            hidden_size=960,
            intermediate_size=2560,
            num_hidden_layers=32,
            num_attention_heads=15,
            num_key_value_heads=5,
            max_position_embeddings=8192,
            tie_word_embeddings=False,
        ),
        "vision": dict(_SIGLIP_BASE),
        **_SMOLVLM,
    },
    "smolvlm2-256m": {
        "text": dict(
            vocab_size=49_280,
            hidden_size=576,
            intermediate_size=1536,
            num_hidden_layers=30,
            num_attention_heads=9,
            num_key_value_heads=3,
            max_position_embeddings=8192,
            tie_word_embeddings=False,
        ),
        "vision": dict(_SIGLIP_BASE),
        **_SMOLVLM,
    },
    "smolvlm2-2.2b": {
        "text": dict(
            vocab_size=49_280,
            hidden_size=2048,
            intermediate_size=8192,
            num_hidden_layers=24,
            num_attention_heads=32,
            num_key_value_heads=32,
            rope_theta=273_768.0,
            max_position_embeddings=16_384,
            tie_word_embeddings=False,
        ),
        "vision": dict(
            hidden_size=1152,
            intermediate_size=4304,
            num_hidden_layers=27,
            num_attention_heads=16,
            image_size=384,
            patch_size=14,
        ),
        **_SMOLVLM,
        "scale_factor": 3,
    },
    "gemma4-e2b": {
        "family": "gemma4",
        "text": dict(
            vocab_size=262_144,
            vocab_size_per_layer_input=262_144,
            hidden_size=1536,
            hidden_size_per_layer_input=256,
            intermediate_size=6144,
            use_double_wide_mlp=True,
            num_hidden_layers=35,
            num_kv_shared_layers=20,
            layer_types=(["sliding_attention"] * 4 + ["full_attention"]) * 7,
            sliding_window=512,
            num_attention_heads=8,
            num_key_value_heads=1,
            head_dim=256,
            global_head_dim=512,
            final_logit_softcapping=30.0,
            max_position_embeddings=131_072,
        ),
        "vision": dict(
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=16,
            num_attention_heads=12,
            num_key_value_heads=12,
            head_dim=64,
            patch_size=16,
            pooling_kernel_size=3,
            position_embedding_size=10_240,
            use_clipped_linears=True,
        ),
        "audio": dict(hidden_size=1024, num_hidden_layers=12, num_attention_heads=8, output_proj_dims=1536),
        "image_tokens": DEFAULT_IMAGE_TOKENS,
        "words": BENCH_WORDS,
    },
}


# The tests' shapes: two layers of 64, a vision tower of 32, the tokenizer's own vocabulary.
TINY: dict[str, dict[str, Any]] = {
    "qwen3_5": {
        "family": "qwen3_5",
        "text": dict(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            full_attention_interval=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            linear_key_head_dim=16,
            linear_value_head_dim=16,
            linear_num_key_heads=2,
            linear_num_value_heads=4,
            max_position_embeddings=4096,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [2, 1, 1],
                "mrope_interleaved": True,
                "partial_rotary_factor": 0.5,
            },
        ),
        "vision": dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            patch_size=8,
            spatial_merge_size=2,
            temporal_patch_size=2,
            out_hidden_size=64,
            num_position_embeddings=64,
        ),
        "images": {"size": {"shortest_edge": 16 * 16, "longest_edge": 64 * 64}},
        "generation": QWEN_SAMPLING,
        "words": TINY_WORDS,
    },
    "smolvlm": {  # one 32-pixel tile (no splitting) of 8-pixel patches: 4 image tokens
        "family": "smolvlm",
        "text": dict(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=2048,
        ),
        "vision": dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
        ),
        "scale_factor": 2,
        "image_splitting": False,
        "words": TINY_WORDS,
    },
    "gemma4": {  # 4-pixel patches pooled 3x3, at most 70 soft tokens (Gemma 4's smallest budget)
        "family": "gemma4",
        "text": dict(
            hidden_size=64,
            hidden_size_per_layer_input=8,
            intermediate_size=128,
            num_hidden_layers=2,
            layer_types=["sliding_attention", "full_attention"],
            sliding_window=64,
            num_attention_heads=4,
            num_key_value_heads=2,
            head_dim=16,
            global_head_dim=16,
            max_position_embeddings=4096,
        ),
        "vision": dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=16,
            patch_size=4,
            pooling_kernel_size=3,
            position_embedding_size=256,
        ),
        "image_tokens": 70,
        "words": TINY_WORDS,
    },
}


def build_family(shape: dict[str, Any], generation: int = 2) -> tuple[Any, Any]:
    """The config and complete processor of `shape` (of SHAPES or TINY), without any weights; SmolVLM's
    `generation` 1 is in its first classes (Idefics3's)."""
    if shape["family"] == "smolvlm":
        return smolvlm(shape, generation)
    builder = {"qwen3_5": qwen3_5, "gemma4": gemma4}[shape["family"]]
    return builder(shape)


def family_config(name: str) -> tuple[Any, Any]:
    """The config (the published shape, this tokenizer's ids) and the complete processor of `name`."""
    return build_family(SHAPES[name])


def _finish(model: Any, processor: Any, shape: dict[str, Any]) -> None:
    tokenizer = processor.tokenizer
    model.generation_config.update(
        **shape.get("generation", {}),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def _save_processor(processor: Any, folder: Path, shape: dict[str, Any], generation: int) -> None:
    if shape["family"] == "smolvlm":
        save_smolvlm_processor(processor, folder, generation)
    else:
        save_processor(processor, folder)  # without the video processor it does not have


def save_tiny_family(shape: dict[str, Any], folder: str | Path, seed: int = 0, generation: int = 2) -> Path:
    """Save the random model of `shape` (TINY's, or a variant of one) with its processor to `folder`,
    built in memory and saved with `save_pretrained`."""
    import torch
    from transformers import AutoModelForImageTextToText

    folder = Path(folder)
    config, processor = build_family(shape, generation)
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config).eval()
    _finish(model, processor, shape)
    model.save_pretrained(folder)
    _save_processor(processor, folder, shape, generation)
    return folder


def save_full_size_family(name: str, folder: str | Path, for_serving: bool = False) -> Path:
    """Write the random full-size `name` (a key of SHAPES) to `folder` as a bfloat16 checkpoint, one
    module in memory at a time (assistant.bench.streaming). With `for_serving` (SmolVLM2 only), in
    SmolVLM's first-generation classes, which `transformers serve` loads here: the same network and
    image tokens (one tile, as the app reads a screen by default)."""
    import torch

    from assistant.bench.streaming import build_on_meta, save_streaming
    from assistant.bench.synthetic import silence_non_words

    shape = SHAPES[name]
    if for_serving and shape["family"] != "smolvlm":
        raise ValueError(f"only SmolVLM2's shapes are written for serving, not {name}")
    generation = 1 if for_serving else 2
    config, processor = build_family(shape, generation)
    torch.manual_seed(0)
    model = build_on_meta(config, torch.bfloat16)  # bfloat16, as published
    _finish(model, processor, shape)
    # A server streams text, and most of the vocabulary's ids are not in the small tokenizer: random
    # weights would stream nothing at all.
    edit = silence_non_words(model, processor.tokenizer) if for_serving else None
    folder = save_streaming(model, folder, edit)
    _save_processor(processor, Path(folder), shape, generation)
    return folder
