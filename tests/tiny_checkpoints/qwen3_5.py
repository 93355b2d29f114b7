"""A tiny random Qwen3.5 saved like a published checkpoint: its real model class (a hybrid of gated
delta-net and full attention layers), and a complete processor (a tokenizer trained here with
`tokenizers`, a chat template that thinks unless told not to, as Qwen3.5's does, and Qwen's image
processor). It goes through `from_pretrained` as a downloaded one does; its words are random.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiny_checkpoints import save_processor, train_byte_level_bpe

_SPECIAL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
_THINKING = ["<think>", "</think>"]  # ordinary added tokens, as Qwen3's: decoding keeps them

# Qwen3.5's chat template in the parts the app uses: list-of-parts content, an image as its vision
# tokens, and a generation prompt that opens the thinking unless `enable_thinking` is false.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message.role }}\n"
    "{% if message.content is string %}{{ message.content }}"
    "{% else %}{% for part in message.content %}"
    "{% if part.type == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part.type == 'text' %}{{ part.text }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n"
    "{% else %}<think>\n{% endif %}{% endif %}"
)
PATCH_SIZE = 8
MERGE_SIZE = 2


def _tokenizer() -> Any:
    from transformers import PreTrainedTokenizerFast

    tokenizer = train_byte_level_bpe(_SPECIAL)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"},
    )
    fast.add_tokens(_THINKING)
    return fast


def build_tiny_qwen3_5(folder: str | Path, seed: int = 0, max_pixels: int = 64 * 64) -> Path:
    """Save a tiny random Qwen3.5 with its processor to `folder` and return it.

    Its image processor reads a picture as 8×8 patches merged 2×2, at most `max_pixels` pixels; the
    processor's `AutoProcessor` also names a video processor, which needs torchvision."""
    import torch
    from transformers import (
        Qwen2VLImageProcessorPil,
        Qwen3_5Config,
        Qwen3_5ForConditionalGeneration,
        Qwen3VLProcessor,
    )

    from assistant.engine.families.processors import image_only

    folder = Path(folder)
    tokenizer = _tokenizer()
    image_processor = Qwen2VLImageProcessorPil(
        patch_size=PATCH_SIZE,
        merge_size=MERGE_SIZE,
        temporal_patch_size=2,
        size={"shortest_edge": 16 * 16, "longest_edge": max_pixels},
    )
    processor = image_only(Qwen3VLProcessor)(
        image_processor, tokenizer, video_processor=None, chat_template=CHAT_TEMPLATE
    )
    ids = tokenizer.convert_tokens_to_ids
    config = Qwen3_5Config(
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            patch_size=PATCH_SIZE,
            spatial_merge_size=MERGE_SIZE,
            temporal_patch_size=2,
            out_hidden_size=64,
            num_position_embeddings=64,
        ),
        text_config=dict(
            vocab_size=len(tokenizer),
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
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
    )
    torch.manual_seed(seed)
    model = Qwen3_5ForConditionalGeneration(config).eval()
    # As the published checkpoints: it samples unless told otherwise.
    model.generation_config.update(
        do_sample=True,
        top_p=0.8,
        top_k=20,
        temperature=0.7,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(folder)
    save_processor(processor, folder)
    return folder
