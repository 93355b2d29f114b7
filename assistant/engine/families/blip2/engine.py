"""BLIP-2 through transformers: prompts, streaming generation, the feature cache and the kept reading of
the image tokens.

Our layer only decides device, precision, prompts and cleaning; the model code is transformers' own
`Blip2ForConditionalGeneration` and `Blip2Processor`. One thread owns an engine (the UI's model thread,
or the command line's main thread).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from transformers import Blip2ForConditionalGeneration, Blip2Processor, StoppingCriteriaList, TextStreamer
from transformers.cache_utils import Cache

from assistant.engine import loading, prompts
from assistant.engine.base import Cancelled, Detail, Engine, EngineError, TextCallback, Turn, require_question
from assistant.engine.generation import CleanTextStreamer, StopWhenCancelled, crop_cache, shared_length
from assistant.engine.images import as_normalized, image_fingerprint
from assistant.engine.loading import load_weights
from assistant.engine.runtime import MachineInfo, Runtime, fallback_after_oom, fallback_notice, query_machine
from assistant.engine.text import clean_output
from assistant.i18n import _

log = logging.getLogger(__name__)
FEATURE_CACHE_SIZE = 8
T5_TRAINED_LENGTH = 512  # T5's positions are relative, so nothing stops a longer input but its training


def load_model(
    folder: Path,
    runtime: Runtime,
    on_progress: Callable[[str], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> tuple[Blip2ForConditionalGeneration, Blip2Processor]:
    """Load a BLIP-2 checkpoint (safetensors only) in the device and precision of `runtime`."""
    processor = Blip2Processor.from_pretrained(folder)
    model = load_weights(folder, Blip2ForConditionalGeneration, runtime, on_progress, on_notice)
    assert isinstance(model, Blip2ForConditionalGeneration)
    return model, processor


class Blip2Engine(Engine):
    def __init__(
        self,
        model: Blip2ForConditionalGeneration,
        processor: Blip2Processor,
        runtime: Runtime,
        name: str,
        reload: Callable[[Runtime], tuple[Blip2ForConditionalGeneration, Blip2Processor]] | None = None,
        machine: MachineInfo | None = None,
    ) -> None:
        """`reload` loads the model again in another runtime, for the fall-back after running out of
        graphics memory; `machine` is what that fall-back chooses from (asked of torch when not given)."""
        self.model, self.processor, self.runtime, self.name = model, processor, runtime, name
        self._reload = reload
        self._machine = machine
        self._features: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._prefixes: dict[str, Cache] = {}  # image key -> the language model's cache of its tokens
        self._prefix_ids: dict[str, torch.Tensor] = {}  # image key -> the token ids that cache holds
        self.notices: list[str] = []
        self.on_notice: Callable[[str], None] | None = None
        self.generation_options: dict[str, Any] = {
            "do_sample": False,
            "num_beams": 1,
            "no_repeat_ngram_size": 3,
        }
        self.max_new_tokens = dict(prompts.MAX_NEW_TOKENS)
        self.image_token_id = model.config.image_token_id
        self.num_query_tokens = model.config.num_query_tokens
        self.decoder_only = not model.config.get_text_config().is_encoder_decoder

    # ---- loading -------------------------------------------------------------------------------

    @classmethod
    def load(
        cls, folder: Path, name: str, device: str = "auto", precision: str = "auto", **options: Any
    ) -> Blip2Engine:
        """The checkpoint in `folder` (`name` for people) on the device and in the precision chosen for
        this machine. `on_progress` (in `options`) receives the progress in words."""
        on_progress = options.get("on_progress")
        (model, processor), runtime, machine, notices = loading.start(
            folder,
            device,
            precision,
            lambda r, notice: load_model(folder, r, on_progress, notice),
            on_progress,
        )
        engine = cls(model, processor, runtime, name, reload=lambda r: load_model(folder, r), machine=machine)
        engine.idle_work = loading.packing_for(engine.model, runtime)
        engine.notices.extend(notices)
        return engine

    @property
    def summary(self) -> str:
        return f"{self.name}, {self.runtime.describe()}"

    def _notify(self, message: str) -> None:
        self.notices.append(message)
        log.info(message)  # the user hears it through on_notice; a warning would print it again
        if self.on_notice:
            self.on_notice(message)

    def _fall_back(self) -> None:
        """After running out of GPU memory: reload in the next smaller runtime and say so."""
        if self._reload is None:
            raise EngineError(
                _("The graphics card ran out of memory. Close other programs using it and try again.")
            )
        del self.model
        self.clear_feature_cache()
        torch.cuda.empty_cache()
        self.runtime = fallback_after_oom(self.runtime, self._machine or query_machine())
        self.model, self.processor = self._reload(self.runtime)
        self.idle_work = loading.packing_for(self.model, self.runtime)
        self._notify(fallback_notice(self.runtime))

    # ---- the pieces ----------------------------------------------------------------------------

    @property
    def _vision_dtype(self) -> torch.dtype:
        return self.model.vision_model.embeddings.patch_embedding.weight.dtype

    @property
    def _device(self) -> torch.device:
        return self.model.vision_model.embeddings.patch_embedding.weight.device

    def pixel_values(self, images: Sequence[Image.Image]) -> torch.Tensor:
        pixels = self.processor.image_processor(list(images), return_tensors="pt").pixel_values
        return pixels.to(self._device, self._vision_dtype)

    @torch.inference_mode()
    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Vision encoder + Q-Former + projection: the language model's view of each image."""
        return self.model.get_image_features(pixel_values=pixel_values).pooler_output

    def features_for(self, image: Image.Image, key: str | None = None) -> torch.Tensor:
        """Image features, computed once per image and reused for its follow-up questions.

        `key` is the image's fingerprint, where the caller has it already."""
        key = key or image_fingerprint(image)
        if key in self._features:
            self._features.move_to_end(key)
            return self._features[key]
        features = self.encode_images(self.pixel_values([image]))
        self._features[key] = features
        while len(self._features) > FEATURE_CACHE_SIZE:
            evicted, _ = self._features.popitem(last=False)
            self._prefixes.pop(evicted, None)
            self._prefix_ids.pop(evicted, None)
        return features

    def clear_feature_cache(self) -> None:
        self._features.clear()
        self._prefixes.clear()
        self._prefix_ids.clear()

    @property
    def context_tokens(self) -> int:
        """How many tokens the language model reads at most: its learned positions (OPT's 2,048), or, for
        relative positions (T5), the length it was trained on."""
        text_config = self.model.config.text_config
        return (
            getattr(text_config, "max_position_embeddings", None)
            or getattr(text_config, "n_positions", None)
            or T5_TRAINED_LENGTH
        )

    def count_prompt_tokens(self, prompt: str) -> int:
        """The tokens `prompt_inputs` makes of a prompt, besides the image tokens."""
        return len(self.processor.tokenizer(prompt).input_ids)

    def prompt_budget(self, max_new_tokens: int) -> prompts.PromptBudget:
        """The room a prompt has once the image tokens and (for a decoder-only model, whose answer follows
        the prompt in the same positions) the answer have theirs."""
        room = self.context_tokens - self.num_query_tokens - (max_new_tokens if self.decoder_only else 0)
        return prompts.PromptBudget(room, self.count_prompt_tokens)

    def prompt_inputs(self, prompt: str, batch: int) -> torch.Tensor:
        """Token ids laid out as Blip2Processor does: the image tokens, then the tokenized prompt."""
        text_ids = self.processor.tokenizer([prompt] * batch, return_tensors="pt").input_ids
        image_ids = torch.full((batch, self.num_query_tokens), self.image_token_id, dtype=text_ids.dtype)
        return torch.cat([image_ids, text_ids], dim=1).to(self._device)

    @torch.inference_mode()
    def generate_ids(
        self,
        features: torch.Tensor,
        input_ids: torch.Tensor,
        max_new_tokens: int,
        streamer: TextStreamer | None = None,
        cancel: threading.Event | None = None,
        image_key: str | None = None,
        keep_text: str = "",
        **options: Any,
    ) -> torch.Tensor:
        """The steps of Blip2ForConditionalGeneration.generate, with the image features given.

        With `image_key`, the language model's keys and values for the image tokens, which open every
        prompt about that image, are kept from the first generation: a follow-up question then reads
        only its own words. `keep_text`, where the prompt opens with it (the text on the image), is kept
        with them, so the text of a screen is read once for all the questions about it, not once a
        question. Encoder-decoder models encode the prompt whole and keep nothing.
        """
        embeddings = self.model.get_input_embeddings()(input_ids)
        image_positions = (input_ids == self.image_token_id).unsqueeze(-1).expand_as(embeddings)
        embeddings = embeddings.masked_scatter(image_positions, features.to(embeddings.dtype))
        inputs = {"inputs_embeds": embeddings, "attention_mask": torch.ones_like(input_ids)}
        kept_key = image_key if self.decoder_only else None  # only a decoder-only model keeps a prefix
        prefix = self._prefixes.get(kept_key) if kept_key is not None else None
        held = self._prefix_ids.get(kept_key) if kept_key is not None else None
        if prefix is not None and held is not None:
            # Where the prompt opens otherwise (a description, other text, the text cut elsewhere to fit
            # a longer question), the kept reading is cut back to what the two share: the image tokens
            # at least. A position's keys and values depend only on the tokens up to it.
            shared = shared_length(input_ids[0], held)
            if shared < held.shape[0]:
                crop_cache(prefix, shared)
                held = held[:shared]
                self._prefix_ids[kept_key] = held  # type: ignore[index]
        keep = self._kept_length(input_ids[0], keep_text) if kept_key is not None else 0
        if self.decoder_only:
            inputs["input_ids"] = input_ids
        if prefix is not None:
            inputs["cache"] = prefix
        stopping = StoppingCriteriaList([StopWhenCancelled(cancel)]) if cancel else None
        options = {**self.generation_options, "max_new_tokens": max_new_tokens, **options}
        try:
            output = self.model.language_model.generate(
                **inputs,
                streamer=streamer,
                stopping_criteria=stopping,
                return_dict_in_generate=True,
                **options,
            )
        except BaseException:
            if prefix is not None and held is not None:
                crop_cache(
                    prefix, held.shape[0]
                )  # what it held before is still right; what was added may not be
            raise
        cache = prefix if prefix is not None else output.cache
        if kept_key is not None and cache is not None and (prefix is not None or kept_key in self._features):
            crop_cache(cache, keep)
            self._prefixes[kept_key] = cache
            self._prefix_ids[kept_key] = input_ids[0, :keep].clone()
        ids = output.sequences
        return ids[:, input_ids.shape[1] :] if self.decoder_only else ids

    def _kept_length(self, prompt_ids: torch.Tensor, keep_text: str) -> int:
        """How many of the prompt's tokens are kept for the next prompt about the image: the image tokens,
        and `keep_text`'s where the prompt's tokens open with them (a tokenizer may join a word across
        the seam, and then only the image tokens are kept)."""
        if not keep_text:
            return self.num_query_tokens
        text_ids = self.processor.tokenizer(keep_text, return_tensors="pt").input_ids[0].to(prompt_ids.device)
        length = self.num_query_tokens + text_ids.shape[0]
        if length < prompt_ids.shape[0] and torch.equal(prompt_ids[self.num_query_tokens : length], text_ids):
            return length
        return self.num_query_tokens

    def _run(
        self,
        image: Image.Image,
        prompt: str,
        max_new_tokens: int,
        on_text: TextCallback | None,
        cancel: threading.Event | None,
        keep_text: str = "",
    ) -> str:
        image = as_normalized(image)
        for attempt in range(2):
            try:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                key = image_fingerprint(image)  # once: hashing a screenshot is not free
                features = self.features_for(image, key)
                streamer = CleanTextStreamer(self.processor.tokenizer, prompt, on_text) if on_text else None
                ids = self.generate_ids(
                    features, self.prompt_inputs(prompt, 1), max_new_tokens, streamer, cancel, key, keep_text
                )
                break
            except torch.cuda.OutOfMemoryError:
                if attempt:
                    raise
                self._fall_back()
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        raw = self.processor.tokenizer.decode(ids[0], skip_special_tokens=True)
        text = clean_output(raw, prompt)
        if on_text is not None and streamer is not None and text and text != streamer.sent:
            on_text(text)
        return text

    # ---- the interface -------------------------------------------------------------------------

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        return self._run(
            image, prompts.description_prompt(detail), self.max_new_tokens[detail], on_text, cancel
        )

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
        *,
        text_on_image: Sequence[str] = (),
    ) -> str:
        require_question(question)
        max_new_tokens = self.max_new_tokens["answer"]
        built = prompts.build_question(question, history, self.prompt_budget(max_new_tokens), text_on_image)
        return self._run(image, built.prompt, max_new_tokens, on_text, cancel, built.text)

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        prompt = prompts.description_prompt(detail)
        normalized = [as_normalized(image) for image in images]
        results: list[str] = []
        for start in range(0, len(normalized), max(1, batch_size)):
            batch = normalized[start : start + max(1, batch_size)]
            features = self.encode_images(self.pixel_values(batch))
            ids = self.generate_ids(
                features, self.prompt_inputs(prompt, len(batch)), self.max_new_tokens[detail]
            )
            for row in ids:
                results.append(
                    clean_output(self.processor.tokenizer.decode(row, skip_special_tokens=True), prompt)
                )
        return results
