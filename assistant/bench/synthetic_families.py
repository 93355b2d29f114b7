"""Full-size random checkpoints of the chat-template families, for `assistant bench --suite families`.

Each is the published model's shape (layers, widths, heads, vocabulary, vision encoder, tokens a
picture becomes) with random bfloat16 weights, a tokenizer trained on the spot (its ids a few hundred of
the vocabulary's) and the family's own processor class, written with `save_pretrained` so the app loads
it through `load_engine` as it loads a download. Random weights say nothing of quality, only of time and
memory; each run generates a fixed number of tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.bench.synthetic import _CORPUS

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
        "family": "qwen3_5",
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
        ),
        "vision": dict(depth=12, hidden_size=768, intermediate_size=3072, num_heads=12, out_hidden_size=1024),
    },
    "qwen3.5-2b": {
        "family": "qwen3_5",
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
        ),
        "vision": dict(
            depth=24, hidden_size=1024, intermediate_size=4096, num_heads=16, out_hidden_size=2048
        ),
    },
    "smolvlm2-500m": {
        "family": "smolvlm",
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
        "vision": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12),
    },
    "smolvlm2-256m": {
        "family": "smolvlm",
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
        "vision": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12),
    },
    "smolvlm2-2.2b": {
        "family": "smolvlm",
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
            hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16
        ),
        "tile": 384,
        "patch": 14,
        "scale": 3,
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
    },
}

_QWEN_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n"
    "{% for part in message.content %}{% if part.type == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part.type == 'text' %}{{ part.text }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n"
    "{% else %}<think>\n{% endif %}{% endif %}"
)


def _tokenizer(special: list[str], extra: dict[str, str], **tokens: str) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS.splitlines(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, extra_special_tokens=extra, **tokens)


def _qwen(shape: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import Qwen2VLImageProcessorPil, Qwen3_5Config, Qwen3VLProcessor

    from assistant.engine.families.processors import image_only

    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>"]
    special += ["<|image_pad|>", "<|video_pad|>", "<think>", "</think>"]
    tokenizer = _tokenizer(
        special,
        {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"},
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    ids = tokenizer.convert_tokens_to_ids
    images = Qwen2VLImageProcessorPil(patch_size=16, merge_size=2, temporal_patch_size=2)
    processor = image_only(Qwen3VLProcessor)(
        images, tokenizer, video_processor=None, chat_template=_QWEN_TEMPLATE
    )
    config = Qwen3_5Config(
        architectures=["Qwen3_5ForConditionalGeneration"],
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
        vision_config=dict(shape["vision"], patch_size=16, spatial_merge_size=2, temporal_patch_size=2),
        text_config=dict(
            shape["text"],
            tie_word_embeddings=True,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
        tie_word_embeddings=True,
    )
    return config, processor


def _smolvlm(shape: dict[str, Any], generation: int = 2) -> tuple[Any, Any]:
    """SmolVLM2's classes; with `generation` 1, SmolVLM's (Idefics3's), the same network, whose processor
    has no video part (so `transformers serve` loads it without torchvision, transformers#48558)."""
    from transformers import (
        Idefics3Config,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
        SmolVLMConfig,
        SmolVLMImageProcessorPil,
        SmolVLMProcessor,
    )
    from transformers.models.smolvlm.processing_smolvlm import DEFAULT_CHAT_TEMPLATE

    from assistant.engine.families.processors import image_only

    tiles = [f"<row_{row}_col_{col}>" for row in range(1, 7) for col in range(1, 7)]
    special = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<unk>", "<image>"]
    special += ["<fake_token_around_image>", "<global-img>", *tiles]
    extra = {
        "image_token": "<image>",
        "fake_image_token": "<fake_token_around_image>",
        "global_image_token": "<global-img>",
        "end_of_utterance_token": "<end_of_utterance>",
    }
    tokenizer = _tokenizer(
        special,
        extra,
        bos_token="<|im_start|>",
        eos_token="<end_of_utterance>",
        unk_token="<unk>",
        pad_token="<|endoftext|>",
    )
    # 256M and 500M: 512-pixel tiles of 16-pixel patches shuffled by 4; 2.2B: 384 of 14 by 3.
    tile, patch, scale = shape.get("tile", 512), shape.get("patch", 16), shape.get("scale", 4)
    sizes: dict[str, Any] = {
        "size": {"longest_edge": tile},
        "max_image_size": {"longest_edge": tile},
        "image_mean": [0.5] * 3,
        "image_std": [0.5] * 3,
    }
    per_tile = (tile // patch) ** 2 // scale**2
    processor: Any
    if generation == 1:
        processor = Idefics3Processor(
            Idefics3ImageProcessorPil(**sizes, do_image_splitting=False),
            tokenizer,
            image_seq_len=per_tile,
            chat_template=DEFAULT_CHAT_TEMPLATE,
        )
    else:
        processor = image_only(SmolVLMProcessor)(
            SmolVLMImageProcessorPil(**sizes),
            tokenizer,
            video_processor=None,
            image_seq_len=per_tile,
            chat_template=DEFAULT_CHAT_TEMPLATE,
        )
    text = dict(shape["text"])
    config_class, architecture = (
        (Idefics3Config, "Idefics3ForConditionalGeneration")
        if generation == 1
        else (SmolVLMConfig, "SmolVLMForConditionalGeneration")
    )
    config = config_class(
        architectures=[architecture],
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        scale_factor=scale,
        vision_config=dict(shape["vision"], image_size=tile, patch_size=patch),
        text_config=dict(
            text,
            model_type="llama",
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
        tie_word_embeddings=text.get("tie_word_embeddings", True),
    )
    return config, processor


_GEMMA_MEDIA = {
    "image_token": "<|image|>",
    "boi_token": "<|image>",
    "eoi_token": "<image|>",
    "audio_token": "<|audio|>",
    "boa_token": "<|audio>",
    "eoa_token": "<audio|>",
}
# Gemma's turns; the template writes the <bos> (the family renders it with the tokenizer).
_GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<start_of_turn>{{ 'model' if message.role == 'assistant' else message.role }}\n"
    "{% for part in message.content %}{% if part.type == 'image' %}<|image|>"
    "{% elif part.type == 'text' %}{{ part.text }}{% endif %}{% endfor %}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def _gemma4(shape: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import (
        Gemma4AudioFeatureExtractor,
        Gemma4Config,
        Gemma4ImageProcessorPil,
        Gemma4Processor,
    )

    from assistant.engine.families.gemma4.engine import DEFAULT_IMAGE_TOKENS
    from assistant.engine.families.processors import image_only

    special = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
    tokenizer = _tokenizer(
        special + list(_GEMMA_MEDIA.values()),
        _GEMMA_MEDIA,
        bos_token="<bos>",
        eos_token="<end_of_turn>",
        unk_token="<unk>",
        pad_token="<pad>",
    )
    vision = shape["vision"]
    images = Gemma4ImageProcessorPil(
        patch_size=vision["patch_size"],
        pooling_kernel_size=vision["pooling_kernel_size"],
        max_soft_tokens=DEFAULT_IMAGE_TOKENS,
    )
    processor = image_only(Gemma4Processor)(
        Gemma4AudioFeatureExtractor(),
        images,
        tokenizer,
        video_processor=None,
        chat_template=_GEMMA_TEMPLATE,
        image_seq_length=DEFAULT_IMAGE_TOKENS,
    )
    ids = tokenizer.convert_tokens_to_ids
    config = Gemma4Config(
        architectures=["Gemma4ForConditionalGeneration"],
        image_token_id=ids(_GEMMA_MEDIA["image_token"]),
        boi_token_id=ids(_GEMMA_MEDIA["boi_token"]),
        eoi_token_id=ids(_GEMMA_MEDIA["eoi_token"]),
        audio_token_id=ids(_GEMMA_MEDIA["audio_token"]),
        boa_token_id=ids(_GEMMA_MEDIA["boa_token"]),
        eoa_token_index=ids(_GEMMA_MEDIA["eoa_token"]),
        video_token_id=ids("<unk>"),
        audio_config=shape["audio"],
        vision_config=vision,
        text_config=dict(
            shape["text"],
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        ),
    )
    return config, processor


_BUILDERS = {"qwen3_5": _qwen, "smolvlm": _smolvlm, "gemma4": _gemma4}


def family_config(name: str) -> tuple[Any, Any]:
    """The config (the published shape, this tokenizer's ids) and the complete processor of `name`,
    without any weights."""
    shape = SHAPES[name]
    return _BUILDERS[shape["family"]](shape)


def save_full_size_family(name: str, folder: str | Path, for_serving: bool = False) -> Path:
    """Write the random full-size `name` (a key of SHAPES) to `folder` as a bfloat16 checkpoint. With
    `for_serving` (SmolVLM2 only), in SmolVLM's first-generation classes, which `transformers serve`
    loads here: the same network and image tokens."""
    import torch
    from transformers import AutoModelForImageTextToText

    if for_serving:
        if SHAPES[name]["family"] != "smolvlm":
            raise ValueError(f"only SmolVLM2's shapes are written for serving, not {name}")
        config, processor = _smolvlm(SHAPES[name], generation=1)
    else:
        config, processor = family_config(name)
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # built in bfloat16, as published: half the memory of float32
    try:
        model = AutoModelForImageTextToText.from_config(config)
    finally:
        torch.set_default_dtype(previous)
    if for_serving:
        from assistant.bench.synthetic import _silence_non_words

        # A server streams text, and most of the vocabulary's ids are not in the small tokenizer: random
        # weights would stream nothing at all.
        _silence_non_words(model, processor.tokenizer)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.generation_config.pad_token_id = processor.tokenizer.pad_token_id
    model.save_pretrained(folder)
    parts = [name for name in type(processor).get_attributes() if name != "video_processor"]
    original = type(processor)
    processor.__class__ = type(
        original.__name__, (original,), {"get_attributes": classmethod(lambda cls: parts)}
    )
    try:
        processor.save_pretrained(folder)  # without its video processor, which it does not have
    finally:
        processor.__class__ = original
    return folder
