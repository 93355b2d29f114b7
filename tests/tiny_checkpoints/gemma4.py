"""A tiny random Gemma 4 saved like a published checkpoint: its real model class (sliding and full
attention layers, per-layer inputs), and a complete processor (a tokenizer trained here with
`tokenizers`, a Gemma-style chat template that writes the <bos> itself, Gemma 4's image processor and
audio feature extractor). It goes through `from_pretrained` as a downloaded one does; its words are random.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiny_checkpoints import save_processor, train_byte_level_bpe

_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
_MEDIA = {
    "image_token": "<|image|>",
    "boi_token": "<|image>",
    "eoi_token": "<image|>",
    "audio_token": "<|audio|>",
    "boa_token": "<|audio>",
    "eoa_token": "<audio|>",
}
# Gemma's turns; the template writes the <bos>, so a processor that added one too would double it.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<start_of_turn>{{ 'model' if message.role == 'assistant' else message.role }}\n"
    "{% if message.content is string %}{{ message.content }}"
    "{% else %}{% for part in message.content %}"
    "{% if part.type == 'image' %}<|image|>"
    "{% elif part.type == 'text' %}{{ part.text }}{% endif %}"
    "{% endfor %}{% endif %}<end_of_turn>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
PATCH_SIZE = 4
POOLING = 3


def _tokenizer() -> Any:
    from transformers import PreTrainedTokenizerFast

    tokenizer = train_byte_level_bpe(_SPECIAL + list(_MEDIA.values()), assistant_role="model")
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<bos>",
        eos_token="<end_of_turn>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_special_tokens=_MEDIA,
    )


def build_tiny_gemma4(folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny random Gemma 4 with its processor to `folder` and return it.

    Its image processor reads a picture as 4×4 patches pooled 3×3, at most 70 soft tokens (Gemma 4's
    smallest budget); `AutoProcessor` also names a video processor, which needs torchvision."""
    import torch
    from transformers import (
        Gemma4AudioFeatureExtractor,
        Gemma4Config,
        Gemma4ForConditionalGeneration,
        Gemma4ImageProcessorPil,
        Gemma4Processor,
    )

    from assistant.engine.families.processors import image_only

    folder = Path(folder)
    tokenizer = _tokenizer()
    image_processor = Gemma4ImageProcessorPil(
        patch_size=PATCH_SIZE, pooling_kernel_size=POOLING, max_soft_tokens=70
    )
    processor = image_only(Gemma4Processor)(
        Gemma4AudioFeatureExtractor(),
        image_processor,
        tokenizer,
        video_processor=None,
        chat_template=CHAT_TEMPLATE,
        image_seq_length=70,
    )
    ids = tokenizer.convert_tokens_to_ids
    config = Gemma4Config(
        image_token_id=ids(_MEDIA["image_token"]),
        boi_token_id=ids(_MEDIA["boi_token"]),
        eoi_token_id=ids(_MEDIA["eoi_token"]),
        audio_token_id=ids(_MEDIA["audio_token"]),
        boa_token_id=ids(_MEDIA["boa_token"]),
        eoa_token_index=ids(_MEDIA["eoa_token"]),
        video_token_id=ids("<unk>"),
        audio_config=None,
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=16,
            patch_size=PATCH_SIZE,
            pooling_kernel_size=POOLING,
            position_embedding_size=256,
        ),
        text_config=dict(
            vocab_size=len(tokenizer),
            vocab_size_per_layer_input=len(tokenizer),
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
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        ),
    )
    torch.manual_seed(seed)
    model = Gemma4ForConditionalGeneration(config).eval()
    model.generation_config.update(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(folder)
    save_processor(processor, folder)
    return folder
