"""A tiny random SmolVLM2 saved like a published checkpoint: its real model class, and a complete processor
(a tokenizer trained here with `tokenizers`, SmolVLM's chat template, its image processor).

It goes through `from_pretrained` and `transformers serve` exactly as a downloaded one does; its words
are random. The image is one tile (no splitting) of 32×32 pixels, read as 4 image tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiny_checkpoints import train_byte_level_bpe

# SmolVLM's own special tokens, as its published tokenizer names them.
_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<unk>"]
_IMAGE_TOKENS = ["<image>", "<fake_token_around_image>", "<global-img>"]
_TILE_TOKENS = [f"<row_{row}_col_{col}>" for row in range(1, 7) for col in range(1, 7)]
IMAGE_SIZE = 32
PATCH_SIZE = 8
SCALE_FACTOR = 2
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH_SIZE) ** 2 // SCALE_FACTOR**2


def _tokenizer() -> Any:
    from transformers import PreTrainedTokenizerFast

    tokenizer = train_byte_level_bpe(_SPECIAL)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|im_start|>",
        eos_token="<end_of_utterance>",
        unk_token="<unk>",
        pad_token="<|endoftext|>",
        extra_special_tokens={
            "image_token": "<image>",
            "fake_image_token": "<fake_token_around_image>",
            "global_image_token": "<global-img>",
            "end_of_utterance_token": "<end_of_utterance>",
        },
    )
    fast.add_tokens(_IMAGE_TOKENS + _TILE_TOKENS, special_tokens=True)
    return fast


def build_tiny_smolvlm(folder: str | Path, generation: int = 1, seed: int = 0) -> Path:
    """Save a tiny random SmolVLM with its processor to `folder` and return it.

    Generation 1 is the architecture SmolVLM-256M/500M-Instruct are published with (Idefics3's classes);
    its processor has no video part, so `transformers serve` loads it without torchvision. Generation 2
    is SmolVLM2's model class; its processor files are the same, named for `SmolVLMProcessor`, whose
    `AutoProcessor` also builds a video processor and so needs torchvision (transformers#48558): load its
    image processor and tokenizer on their own where torchvision is missing.
    """
    import json

    import torch
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
    )
    from transformers.models.smolvlm.processing_smolvlm import DEFAULT_CHAT_TEMPLATE

    if generation not in (1, 2):
        raise ValueError(f"SmolVLM has generations 1 and 2, not {generation}")
    folder = Path(folder)
    tokenizer = _tokenizer()
    image_processor = Idefics3ImageProcessorPil(
        do_resize=True,
        size={"longest_edge": IMAGE_SIZE},
        max_image_size={"longest_edge": IMAGE_SIZE},
        do_image_splitting=False,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor = Idefics3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_len=IMAGE_SEQ_LEN,
        chat_template=DEFAULT_CHAT_TEMPLATE,
    )
    config_class, model_class = (
        (Idefics3Config, Idefics3ForConditionalGeneration)
        if generation == 1
        else (SmolVLMConfig, SmolVLMForConditionalGeneration)
    )
    config = config_class(
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        scale_factor=SCALE_FACTOR,
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=IMAGE_SIZE,
            patch_size=PATCH_SIZE,
        ),
        text_config=dict(
            model_type="llama",
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=2048,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = model_class(config).eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    if generation == 2:
        for name in ("processor_config.json", "tokenizer_config.json"):
            data = json.loads((folder / name).read_text())
            if "processor_class" in data:
                data["processor_class"] = "SmolVLMProcessor"
            (folder / name).write_text(json.dumps(data, indent=2))
    return folder
