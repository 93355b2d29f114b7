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

# The published shapes, as far as the model cards and configs say them.
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
        ),
        "vision": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12),
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
    from transformers import (
        Qwen2VLImageProcessorPil,
        Qwen3_5Config,
        Qwen3_5ForConditionalGeneration,
        Qwen3VLProcessor,
    )

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
    return Qwen3_5ForConditionalGeneration._from_config(config), processor


def _smolvlm(shape: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import (
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
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
    images = SmolVLMImageProcessorPil(
        size={"longest_edge": 512},
        max_image_size={"longest_edge": 512},
        image_mean=[0.5] * 3,
        image_std=[0.5] * 3,
    )
    scale = 4
    per_tile = (512 // 16) ** 2 // scale**2
    processor = image_only(SmolVLMProcessor)(
        images, tokenizer, video_processor=None, image_seq_len=per_tile, chat_template=DEFAULT_CHAT_TEMPLATE
    )
    config = SmolVLMConfig(
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        scale_factor=scale,
        vision_config=dict(shape["vision"], image_size=512, patch_size=16),
        text_config=dict(
            shape["text"],
            model_type="llama",
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
    )
    return SmolVLMForConditionalGeneration._from_config(config), processor


def save_full_size_family(name: str, folder: str | Path) -> Path:
    """Write the random full-size `name` (a key of SHAPES) to `folder` as a bfloat16 checkpoint."""
    import torch

    shape = SHAPES[name]
    build = _qwen if shape["family"] == "qwen3_5" else _smolvlm
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # built in bfloat16, as published: half the memory of float32
    try:
        model, processor = build(shape)
    finally:
        torch.set_default_dtype(previous)
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
