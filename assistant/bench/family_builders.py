"""One builder per chat family, for its tiny test checkpoint and its full-size benchmark one alike.

Each builder takes a shape (assistant.bench.synthetic_families: SHAPES for the published sizes, TINY for
the tests') and returns the family's config, with the token ids of a byte-level BPE tokenizer trained
here, and its complete processor (that tokenizer, the family's chat template and image processor), and
the generation settings the published checkpoint ships. Nothing here holds weights.

A shape is a dict: "family"; "text", "vision" (and Gemma's "audio") for the config's parts, a missing
`vocab_size` being the tokenizer's own size; "config" for more of the config; "images" for the image
processor; "generation" for the generation config; "words" for the tokenizer (TINY_WORDS or
BENCH_WORDS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.bench.synthetic import bench_lines, train_bpe

# The tests' tokenizer: 400 tokens of the words the app's prompts use, the assistant's turn named as the
# family names it. The benchmark's: 1000 tokens of the
# full-size corpus (assistant.bench.synthetic.bench_lines).
TINY_WORDS: dict[str, Any] = {"vocab_size": 400, "corpus": "tiny"}
BENCH_WORDS: dict[str, Any] = {"vocab_size": 1000, "corpus": "bench"}


def _tiny_corpus(assistant_role: str) -> list[str]:
    return f"""
a photo of a cat sitting on a couch next to a window. a dog running on the grass in a park.
a screenshot of a web page with a search box. a computer screen showing an email program.
a red car parked on the street. the text says welcome to the meeting. a chart with blue bars.
what colour is the car? how many people are in the picture? what does the text say?
a white dialog window with an ok button and a cancel button. user {assistant_role} describe this picture.
""".strip().splitlines()


def train_byte_level_bpe(
    special_tokens: list[str],
    assistant_role: str = "assistant",
    words: dict[str, Any] | None = None,
) -> Any:
    """A byte-level BPE tokenizer trained here, as the chat families' published ones are byte-level BPE;
    the caller wraps it in `PreTrainedTokenizerFast` with its family's special tokens."""
    words = words or TINY_WORDS
    lines = _tiny_corpus(assistant_role) if words["corpus"] == "tiny" else bench_lines()
    return train_bpe(special_tokens, lines, words["vocab_size"])


def save_processor(processor: Any, folder: Path) -> None:
    """Save a processor that has no video processor (see assistant.engine.families.processors) as its
    class saves its other parts: its tokenizer, image processor, chat template and settings."""
    original = type(processor)
    parts = [name for name in original.get_attributes() if name != "video_processor"]
    saving = type(original.__name__, (original,), {"get_attributes": classmethod(lambda cls: list(parts))})
    processor.__class__ = saving
    try:
        processor.save_pretrained(folder)
    finally:
        processor.__class__ = original


def _text(shape: dict[str, Any], tokenizer: Any, *vocabularies: str) -> dict[str, Any]:
    sizes = dict.fromkeys(vocabularies, len(tokenizer))
    return {**sizes, **shape["text"]}


# Qwen3.5's chat template in the parts the app uses: list-of-parts content, an image as its vision
# tokens, and a generation prompt that opens the thinking unless `enable_thinking` is false.
QWEN_TEMPLATE = (
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
_QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>"]
_QWEN_SPECIAL += ["<|image_pad|>", "<|video_pad|>"]
_QWEN_THINKING = ["<think>", "</think>"]  # ordinary added tokens, as Qwen3's: decoding keeps them
# As the published checkpoints: it samples unless told otherwise.
QWEN_SAMPLING = {"do_sample": True, "top_p": 0.8, "top_k": 20, "temperature": 0.7}


def qwen3_5(shape: dict[str, Any]) -> tuple[Any, Any]:
    """Qwen3.5: a hybrid of gated delta-net and full attention layers, Qwen's image processor."""
    from transformers import (
        PreTrainedTokenizerFast,
        Qwen2VLImageProcessorPil,
        Qwen3_5Config,
        Qwen3VLProcessor,
    )

    from assistant.engine.families.processors import image_only

    tokenizer: Any = PreTrainedTokenizerFast(
        tokenizer_object=train_byte_level_bpe(_QWEN_SPECIAL, words=shape["words"]),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"},
    )
    tokenizer.add_tokens(_QWEN_THINKING)
    vision = shape["vision"]
    images = Qwen2VLImageProcessorPil(
        patch_size=vision["patch_size"],
        merge_size=vision["spatial_merge_size"],
        temporal_patch_size=vision["temporal_patch_size"],
        **shape.get("images", {}),
    )
    processor = image_only(Qwen3VLProcessor)(
        images, tokenizer, video_processor=None, chat_template=QWEN_TEMPLATE
    )
    ids = tokenizer.convert_tokens_to_ids
    config = Qwen3_5Config(
        architectures=["Qwen3_5ForConditionalGeneration"],
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
        vision_config=vision,
        text_config=dict(
            _text(shape, tokenizer, "vocab_size"),
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
        **shape.get("config", {}),
    )
    return config, processor


_SMOLVLM_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<unk>"]
_SMOLVLM_IMAGE = ["<image>", "<fake_token_around_image>", "<global-img>"]
_SMOLVLM_TILES = [f"<row_{row}_col_{col}>" for row in range(1, 7) for col in range(1, 7)]


def smolvlm(shape: dict[str, Any], generation: int = 2) -> tuple[Any, Any]:
    """SmolVLM2's classes; with `generation` 1, SmolVLM's (Idefics3's), the same network, whose processor
    has no video part (so `transformers serve` loads it without torchvision, transformers#48558).

    The processor is Idefics3's for both: SmolVLM2's files are the same, named for `SmolVLMProcessor`
    (see save_smolvlm_processor), whose image processor is generated from Idefics3's."""
    from transformers import (
        Idefics3Config,
        Idefics3ImageProcessorPil,
        Idefics3Processor,
        PreTrainedTokenizerFast,
        SmolVLMConfig,
    )
    from transformers.models.smolvlm.processing_smolvlm import DEFAULT_CHAT_TEMPLATE

    if generation not in (1, 2):
        raise ValueError(f"SmolVLM has generations 1 and 2, not {generation}")
    tokenizer: Any = PreTrainedTokenizerFast(
        tokenizer_object=train_byte_level_bpe(_SMOLVLM_SPECIAL, words=shape["words"]),
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
    tokenizer.add_tokens(_SMOLVLM_IMAGE + _SMOLVLM_TILES, special_tokens=True)
    vision = shape["vision"]
    tile, patch, scale = vision["image_size"], vision["patch_size"], shape["scale_factor"]
    images = Idefics3ImageProcessorPil(
        do_resize=True,
        size={"longest_edge": tile},
        max_image_size={"longest_edge": tile},
        do_image_splitting=shape["image_splitting"],
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    processor = Idefics3Processor(
        image_processor=images,
        tokenizer=tokenizer,
        image_seq_len=(tile // patch) ** 2 // scale**2,
        chat_template=DEFAULT_CHAT_TEMPLATE,
    )
    config_class, architecture = (
        (Idefics3Config, "Idefics3ForConditionalGeneration")
        if generation == 1
        else (SmolVLMConfig, "SmolVLMForConditionalGeneration")
    )
    config = config_class(
        architectures=[architecture],
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        scale_factor=scale,
        vision_config=vision,
        text_config=dict(
            _text(shape, tokenizer, "vocab_size"),
            model_type="llama",
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        ),
        **{"pad_token_id": tokenizer.pad_token_id, **shape.get("config", {})},
    )
    return config, processor


def save_smolvlm_processor(processor: Any, folder: Path, generation: int) -> None:
    """Idefics3's processor files; for SmolVLM2 (generation 2) named for `SmolVLMProcessor`, whose
    `AutoProcessor` also builds a video processor and so needs torchvision (transformers#48558)."""
    import json

    processor.save_pretrained(folder)
    if generation == 2:
        for name in ("processor_config.json", "tokenizer_config.json"):
            data = json.loads((folder / name).read_text())
            if "processor_class" in data:
                data["processor_class"] = "SmolVLMProcessor"
            (folder / name).write_text(json.dumps(data, indent=2))


_GEMMA_SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
_GEMMA_MEDIA = {
    "image_token": "<|image|>",
    "boi_token": "<|image>",
    "eoi_token": "<image|>",
    "audio_token": "<|audio|>",
    "boa_token": "<|audio>",
    "eoa_token": "<audio|>",
}
# Gemma's turns; the template writes the <bos>, so a processor that added one too would double it.
GEMMA_TEMPLATE = (
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


def gemma4(shape: dict[str, Any]) -> tuple[Any, Any]:
    """Gemma 4: sliding and full attention layers, per-layer inputs; Gemma 4's image processor and audio
    feature extractor (the app never feeds it sound, but the processor has one)."""
    from transformers import (
        Gemma4AudioFeatureExtractor,
        Gemma4Config,
        Gemma4ImageProcessorPil,
        Gemma4Processor,
        PreTrainedTokenizerFast,
    )

    from assistant.engine.families.processors import image_only

    tokenizer: Any = PreTrainedTokenizerFast(
        tokenizer_object=train_byte_level_bpe(
            _GEMMA_SPECIAL + list(_GEMMA_MEDIA.values()), assistant_role="model", words=shape["words"]
        ),
        bos_token="<bos>",
        eos_token="<end_of_turn>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_special_tokens=_GEMMA_MEDIA,
    )
    vision = shape["vision"]
    images = Gemma4ImageProcessorPil(
        patch_size=vision["patch_size"],
        pooling_kernel_size=vision["pooling_kernel_size"],
        max_soft_tokens=shape["image_tokens"],
    )
    processor = image_only(Gemma4Processor)(
        Gemma4AudioFeatureExtractor(),
        images,
        tokenizer,
        video_processor=None,
        chat_template=GEMMA_TEMPLATE,
        image_seq_length=shape["image_tokens"],
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
        audio_config=shape.get("audio"),
        vision_config=vision,
        text_config=dict(
            _text(shape, tokenizer, "vocab_size", "vocab_size_per_layer_input"),
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        ),
    )
    return config, processor
