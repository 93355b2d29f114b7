"""Random-weight BLIP-2 models: a tiny checkpoint for tests and demos, and full-size ones for benchmarks.

Both have the real architecture and the real processor set-up (the `<image>` token, `num_query_tokens`),
so they go through exactly the same loading and generation code as downloaded weights. Their words are
random: they measure and exercise the pipeline, not the quality of descriptions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import Blip2ForConditionalGeneration, Blip2Processor, PreTrainedTokenizerFast

    from assistant.bench.streaming import Edit

# A small English corpus for the tokenizer: words a description or a question is made of.
_CORPUS = """
a photo of a cat sitting on a couch next to a window. a dog running on the grass in a park.
a man and a woman standing in front of a building. a screenshot of a web page with a search box.
a computer screen showing an email program with a list of messages. a red car parked on the street.
two people are talking at a table with coffee cups. a bowl of fruit with apples, bananas and oranges.
the text says welcome to the meeting. a chart with blue and orange bars. a group of children playing.
what colour is the car? how many people are in the picture? what does the text say? is it day or night?
where is the button? what is on the table? who is in the photo? the sky is blue and the sun is shining.
a desktop with icons and a taskbar at the bottom. a document with a title and several paragraphs of text.
a white dialog window with an ok button and a cancel button. a map of a city with roads and a river.
question answer the image shows a small brown bird on a branch. a plate of food on a wooden table.
""".strip()

_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0-3, as in OPT's tokenizer
IMAGE_TOKEN = "<image>"
_WORD = re.compile(r" [a-z]{2,}")

# Full-size architectures, from the published checkpoints' configurations.
FULL_SIZE = {
    "blip2-opt-2.7b": {
        "text": dict(
            model_type="opt",
            hidden_size=2560,
            ffn_dim=10240,
            num_hidden_layers=32,
            num_attention_heads=32,
            word_embed_proj_dim=2560,
            vocab_size=50304,
            max_position_embeddings=2048,
        ),
    },
    "blip2-opt-6.7b": {
        "text": dict(
            model_type="opt",
            hidden_size=4096,
            ffn_dim=16384,
            num_hidden_layers=32,
            num_attention_heads=32,
            word_embed_proj_dim=4096,
            vocab_size=50304,
            max_position_embeddings=2048,
        ),
    },
}


def train_bpe(special_tokens: list[str], lines: list[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer (`tokenizers.Tokenizer`) trained here on `lines`, as the published
    checkpoints' are byte-level BPE; each caller lays it out as its family's is."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(lines, trainer=trainer)
    return tokenizer


def bench_lines() -> list[str]:
    """The full-size checkpoints' corpus: the one above, with the app's own prompts and the chat roles.
    A published tokenizer has each of their words as one token; trained without them, "Describe this
    picture in one sentence." was 21 tokens instead of about 7, and every prompt read that much longer."""
    from assistant.engine import prompts
    from assistant.engine.families.chat import ChatEngine

    own = [*ChatEngine.describe_prompts.values(), prompts.DETAILED_PROMPT]
    roles = "User: Assistant: user assistant model system Question: Answer: Text on the image:"
    return [*_CORPUS.splitlines(), *own, *own, roles, roles, "Assistant:", "Assistant:", "User:", "User:"]


def train_tokenizer(vocab_size: int = 600, lines: list[str] | None = None) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on the spot (on `lines`, else the tests' corpus), laid out like
    OPT's, with the `<image>` token."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    tokenizer = train_bpe(_SPECIAL_TOKENS, lines or _CORPUS.splitlines(), vocab_size)
    bos = tokenizer.token_to_id("</s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="</s> $A", pair="</s> $A </s> $B", special_tokens=[("</s>", bos)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="</s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        padding_side="left",
    )
    fast.add_tokens([IMAGE_TOKEN], special_tokens=True)
    return fast


def _processor(tokenizer: PreTrainedTokenizerFast, image_size: int, num_query_tokens: int) -> Blip2Processor:
    from transformers import Blip2Processor, BlipImageProcessor

    image_processor = BlipImageProcessor(
        size={"height": image_size, "width": image_size},
        image_mean=[0.48145466, 0.4578275, 0.40821073],
        image_std=[0.26862954, 0.26130258, 0.27577711],
        do_convert_rgb=True,
    )
    return Blip2Processor(
        image_processor=image_processor, tokenizer=tokenizer, num_query_tokens=num_query_tokens
    )


def _newline_id(tokenizer: PreTrainedTokenizerFast) -> int:
    ids = tokenizer("\n", add_special_tokens=False).input_ids
    return ids[-1]


def build_tiny_checkpoint(folder: str | Path, language_model: str = "opt", seed: int = 0) -> Path:
    """Save a tiny random BLIP-2 (OPT or Flan-T5 language model) with its processor to `folder`."""
    import torch
    from transformers import Blip2Config, Blip2ForConditionalGeneration

    folder = Path(folder)
    tokenizer = train_tokenizer()
    image_token_id = _image_token_id(tokenizer)
    vocab_size = len(tokenizer)
    hidden = 32
    vision = dict(
        hidden_size=hidden,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    qformer = dict(
        hidden_size=hidden,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        encoder_hidden_size=hidden,
        vocab_size=vocab_size,
    )
    if language_model == "opt":
        text = dict(
            model_type="opt",
            hidden_size=hidden,
            ffn_dim=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            word_embed_proj_dim=hidden,
            vocab_size=vocab_size,
            max_position_embeddings=512,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=_newline_id(tokenizer),  # BLIP-2 OPT checkpoints end a caption at a newline
            pad_token_id=tokenizer.pad_token_id,
        )
    elif language_model == "t5":
        text = dict(
            model_type="t5",
            d_model=hidden,
            d_kv=16,
            d_ff=64,
            num_layers=2,
            num_decoder_layers=2,
            num_heads=2,
            vocab_size=vocab_size,
            feed_forward_proj="gated-gelu",
            tie_word_embeddings=False,
            decoder_start_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    else:
        raise ValueError(f"unknown language model {language_model!r}")
    config = Blip2Config(
        vision_config=vision,
        qformer_config=qformer,
        text_config=text,
        num_query_tokens=32,
        image_token_index=image_token_id,
    )
    torch.manual_seed(seed)
    model = Blip2ForConditionalGeneration(config).eval()
    _silence_non_words(model, tokenizer)
    model.generation_config.max_new_tokens = 30
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    _processor(tokenizer, vision["image_size"], config.num_query_tokens).save_pretrained(folder)
    return folder


def _full_size_config(name: str) -> tuple[Any, PreTrainedTokenizerFast, Blip2Processor]:
    """The published architecture's config, the tokenizer trained here and the processor."""
    from transformers import Blip2Config

    if name not in FULL_SIZE:
        raise ValueError(f"Unknown synthetic model {name!r}; choose one of: {', '.join(FULL_SIZE)}.")
    tokenizer = train_tokenizer(lines=bench_lines())
    text = dict(FULL_SIZE[name]["text"], eos_token_id=_newline_id(tokenizer), pad_token_id=1, bos_token_id=2)
    image_size = 224  # BLIP-2's vision model, as in the real checkpoints
    config = Blip2Config(
        vision_config={"image_size": image_size},
        text_config=text,
        num_query_tokens=32,
        image_token_index=_image_token_id(tokenizer),
    )
    return config, tokenizer, _processor(tokenizer, image_size, config.num_query_tokens)


def build_full_size(
    name: str = "blip2-opt-2.7b", dtype: torch.dtype | None = None
) -> tuple[Blip2ForConditionalGeneration, Blip2Processor]:
    """The full-size architecture with random weights, built without a download, in memory.

    Built on the meta device, materialised with `to_empty` and initialised in place in `dtype`,
    so the peak memory is one copy of the weights. Returns (model, processor).
    """
    import torch
    from transformers import Blip2ForConditionalGeneration

    dtype = dtype or torch.bfloat16
    config, tokenizer, processor = _full_size_config(name)
    with torch.device("meta"):
        model = Blip2ForConditionalGeneration(config)
    # transformers wraps `to` with functools.wraps, which mypy reads as a call without `self`.
    model = model.to(dtype=dtype).to_empty(device="cpu").eval()  # type: ignore[call-arg]
    # Values only need to look like trained weights to the arithmetic: a random pattern of prime
    # length, tiled, fills 3.8 billion parameters in seconds instead of minutes.
    generator = torch.Generator().manual_seed(0)
    pattern = torch.randn(1_000_003, generator=generator).mul_(0.02).to(dtype)
    with torch.no_grad():
        for module_name, parameter in model.named_parameters():
            if "norm" in module_name and module_name.endswith("weight"):
                parameter.fill_(1.0)
            elif module_name.endswith("bias"):
                parameter.zero_()
            else:
                flat = parameter.view(-1)
                copies = -(-flat.numel() // pattern.numel())
                flat.copy_(pattern.to(flat.dtype).repeat(copies)[: flat.numel()])
        for _, buffer in model.named_buffers():
            if buffer.is_floating_point():
                buffer.zero_()
    # OPT's learned positions and the vision model's position ids are buffers set at construction.
    _reset_index_buffers(model)
    _silence_non_words(model, tokenizer)
    _keep_qformer_in_float(model)
    return model, processor


def _keep_qformer_in_float(model: Any) -> None:
    """As from_pretrained does: the Q-Former stays in fp32 whatever the rest is."""
    model.qformer.float()
    model.query_tokens.data = model.query_tokens.data.float()


def save_full_size(name: str, folder: str | Path, dtype: torch.dtype | None = None) -> Path:
    """Write the full-size random model as a checkpoint, to be loaded through `from_pretrained` like
    real weights (how the GPU precisions, which quantize while loading, are measured). It is written one
    module in memory at a time (assistant.bench.streaming), its values as a new model's."""
    import torch

    from assistant.bench.streaming import build_on_meta, save_streaming

    config, tokenizer, processor = _full_size_config(name)
    torch.manual_seed(0)
    model = build_on_meta(config, dtype or torch.bfloat16)
    _keep_qformer_in_float(model)
    folder = save_streaming(model, folder, silence_non_words(model, tokenizer))
    processor.save_pretrained(folder)
    return folder


def _image_token_id(tokenizer: PreTrainedTokenizerFast) -> int:
    token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    assert isinstance(token_id, int)  # one token gives one id
    return token_id


# The model's and tokenizer's own annotations are looser than what these reach (embeddings are Modules
# with weights, decode gives a str), so they are taken as they come.
def _silent_ids(model: Any, tokenizer: Any) -> torch.Tensor:
    """Random weights tend to emit end-of-text at once, or fragments of words, or ids the small
    tokenizer lacks: every token that is not a whole word is silenced, so readable (if random) words
    come out."""
    import torch

    vocab_size = model.get_input_embeddings().weight.shape[0]
    words = {i for i in range(len(tokenizer)) if _WORD.fullmatch(tokenizer.decode([i]))}
    return torch.tensor([i for i in range(vocab_size) if i not in words])


def _silence_non_words(model: Any, tokenizer: Any) -> None:
    """Zero the silenced tokens' rows of the input and output embeddings of a model in memory."""
    import torch

    silent = _silent_ids(model, tokenizer)
    with torch.no_grad():
        embeddings = model.get_input_embeddings().weight
        embeddings[silent] = 0
        output = model.get_output_embeddings()
        if output is not None and output.weight.data_ptr() != embeddings.data_ptr():
            output.weight[silent] = 0


def silence_non_words(model: Any, tokenizer: Any) -> Edit:
    """The same for a model written by assistant.bench.streaming: an edit that zeroes those rows of the
    embeddings' tensors as they are written."""
    silent = _silent_ids(model, tokenizer)
    embeddings = {model.get_input_embeddings(), model.get_output_embeddings()}
    names = {f"{name}.weight" for name, module in model.named_modules() if module in embeddings}

    def edit(name: str, tensor: torch.Tensor) -> None:
        if name in names:
            tensor[silent] = 0

    return edit


def _reset_index_buffers(model: torch.nn.Module) -> None:
    import torch

    for module in model.modules():
        position_ids = getattr(module, "position_ids", None)
        if isinstance(position_ids, torch.Tensor) and not position_ids.is_floating_point():
            position_ids.copy_(torch.arange(position_ids.shape[-1]).expand_as(position_ids))
