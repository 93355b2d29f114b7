"""The engine every chat-template family shares (Qwen3.5, SmolVLM2, Gemma 4): transformers' own model
class and the checkpoint's processor and chat template; a family subclass says only its prompts'
options, its image-token budget and its output cleaning.

The picture opens the first user message, so every prompt about one picture (a description, a question,
a follow-up with the conversation so far) opens with the same tokens up to its last image token. Those
are read once: the language model's cache after them (keys and values, and a hybrid model's recurrent
state) is kept for the picture, and each later prompt about it starts from a copy and reads only its own
words; the vision encoder is not run again. One thread owns an engine.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import torch
from PIL import Image
from transformers import PreTrainedModel, ProcessorMixin, StoppingCriteriaList

from assistant.engine import loading, prompts
from assistant.engine.base import Cancelled, Detail, Engine, EngineError, TextCallback, Turn, require_question
from assistant.engine.catalogue import language_name
from assistant.engine.families.processors import load_processor
from assistant.engine.generation import CleanTextStreamer, StopWhenCancelled
from assistant.engine.images import as_normalized, image_fingerprint
from assistant.engine.runtime import MachineInfo, Runtime, fallback_after_oom, fallback_notice, query_machine
from assistant.engine.text import clean_output
from assistant.i18n import _

log = logging.getLogger(__name__)
PREFIX_CACHE_SIZE = 4  # pictures whose read image tokens are kept (a screen's cache is megabytes)
TEXT_TOKENS = 1024  # the most tokens of text on the image a question's prompt holds
PROMPT_TAIL_TOKENS = 8  # the prompt's last tokens, where a generation prompt opens the answer
Messages = list[dict[str, Any]]


@dataclass
class _Prefix:
    ids: torch.Tensor  # the prompt's tokens up to its last image token
    cache: Any  # the language model's cache after them
    state: dict[str, Any]  # what else the model keeps of them (a family's `kept_state`)


class ChatEngine(Engine):
    """An image-text-to-text model driven through its chat template."""

    processor_classes: ClassVar[dict[str, type[ProcessorMixin]]]  # by the checkpoint's architecture
    describe_prompts: ClassVar[dict[str, str]] = {
        "brief": "Describe this picture in one sentence.",
        "detailed": "Describe this picture in detail.",
    }
    template_options: ClassVar[dict[str, Any]] = {}  # given to the chat template
    max_new_tokens: ClassVar[dict[str, int]] = {"brief": 40, "detailed": 120, "answer": 60}

    def __init__(
        self,
        model: PreTrainedModel,
        processor: ProcessorMixin,
        runtime: Runtime,
        name: str,
        reload: Callable[[Runtime], PreTrainedModel] | None = None,
        machine: MachineInfo | None = None,
    ) -> None:
        self.model, self.processor, self.runtime, self.name = model, processor, runtime, name
        self._reload, self._machine = reload, machine
        # The language it is asked to answer in (assistant.engine.translate.answer_in); "en": as prompted.
        self.answer_language = "en"
        self._prefixes: OrderedDict[str, _Prefix] = OrderedDict()
        self.notices: list[str] = []
        self.on_notice: Callable[[str], None] | None = None
        # Greedy: the checkpoints' generation configs sample, and a description must not change each time.
        self.generation_options: dict[str, Any] = {"do_sample": False, "num_beams": 1}
        self.tokenizer: Any = getattr(processor, "tokenizer")  # noqa: B009 - a processor's part, untyped
        self.image_token_id = int(getattr(processor, "image_token_id", None) or self._image_token_id())
        self.lay_out()

    # ---- what a family says ----------------------------------------------------------------------

    def lay_out(self) -> None:
        """Give the loaded model a family's faster form of the same arithmetic (in place), after every
        load; int8 layers are packed after it while idle, where that pays (`loading.packing_for`)."""

    @classmethod
    def apply_budget(cls, processor: ProcessorMixin, image_tokens: int) -> None:
        """Make the processor read a picture as about `image_tokens` tokens at most (0: the family's
        default)."""

    def before_cleaning(self, raw: str, prompt_tail: str) -> str:
        """The part of the raw text that may be spoken; `prompt_tail` is the prompt's last tokens, which
        the answer continues."""
        return raw

    def kept_state(self) -> dict[str, Any]:
        """What the model keeps of a prompt outside its cache, saved with an image's prefix."""
        return {}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Put back what `kept_state` saved, before generating from a kept prefix."""

    def prepare_image(self, image: Image.Image) -> Image.Image:
        """The picture as the processor is given it, and as its kept work is known by (a family may do
        its processor's first resize here, faster and once)."""
        return image

    # ---- loading -----------------------------------------------------------------------------------

    @classmethod
    def load(
        cls, folder: Path, name: str, device: str = "auto", precision: str = "auto", **options: Any
    ) -> ChatEngine:
        import transformers

        on_progress = options.get("on_progress")
        architecture = _architecture(folder)
        model_class: type[PreTrainedModel] = getattr(transformers, architecture)
        processor = load_processor(folder, cls.processor_classes[architecture])
        cls.apply_budget(processor, int(options.get("image_tokens") or 0))
        getattr(processor, "tokenizer").padding_side = "left"  # noqa: B009 - answers follow the prompts

        def load(runtime: Runtime, on_notice: Callable[[str], None] | None = None) -> PreTrainedModel:
            return loading.load_weights(folder, model_class, runtime, on_progress, on_notice)

        model, runtime, machine, notices = loading.start(folder, device, precision, load, on_progress)
        engine = cls(
            model, processor, runtime, name, reload=load, machine=machine
        )  # a family lays out its layers
        engine.idle_work = loading.packing_for(engine.model, runtime)
        engine.notices.extend(notices)
        return engine

    @property
    def summary(self) -> str:
        return f"{self.name}, {self.runtime.describe()}"

    # ---- prompts -----------------------------------------------------------------------------------

    def _image_token_id(self) -> int:
        token = getattr(self.processor, "image_token", None) or "<image>"
        return int(self.tokenizer.convert_tokens_to_ids(token))

    def conversation(self, request: str, history: Sequence[Turn] = (), lead: str = "") -> Messages:
        """The picture and `lead` (the text on it) open the first user message; then the turns so far and
        the request. Content is always a list of parts (SmolVLM's template drops plain strings)."""
        turns = list(history)[-prompts.MAX_HISTORY_TURNS :]
        if self.answer_language != "en":
            request = f"{request} Answer in {language_name(self.answer_language)}."
        questions = [turn.question for turn in turns] + [request]
        messages: Messages = []
        for index, question in enumerate(questions):
            parts: list[dict[str, Any]] = [{"type": "text", "text": question}]
            if index == 0:
                parts = [
                    {"type": "image"},
                    *([{"type": "text", "text": lead + "\n"}] if lead else []),
                    *parts,
                ]
            messages.append({"role": "user", "content": parts})
            if index < len(turns):
                messages.append(
                    {"role": "assistant", "content": [{"type": "text", "text": turns[index].answer}]}
                )
        return messages

    def inputs(self, conversations: Sequence[Messages], images: Sequence[Image.Image]) -> dict[str, Any]:
        """Every tensor the processor makes of the conversations and pictures, all of which `generate`
        gets (Qwen's `image_grid_thw` and `mm_token_type_ids` among them).

        The checkpoint's chat template writes the prompt, special tokens included, so the processor adds
        none (Gemma's <bos> would come twice); the processor then puts each picture's image tokens in
        its place. (The tokenizer renders the template: SmolVLM's own `apply_chat_template` asks its
        video processor for defaults, which is left out here.)"""
        texts = [
            self.tokenizer.apply_chat_template(
                conversation,
                chat_template=getattr(self.processor, "chat_template"),  # noqa: B009
                add_generation_prompt=True,
                tokenize=False,
                **self.template_options,
            )
            for conversation in conversations
        ]
        processor: Any = self.processor  # a processor's call is untyped
        made = processor(
            text=texts,
            images=[[image] for image in images],
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,
        )
        return {key: value.to(self._device) for key, value in made.items() if isinstance(value, torch.Tensor)}

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False).input_ids)

    @property
    def _device(self) -> torch.device:
        return next(self.model.parameters()).device

    # ---- generation --------------------------------------------------------------------------------

    def _prefix_for(self, key: str, inputs: dict[str, Any]) -> _Prefix:
        """The kept reading of the picture's image tokens, read now if it is not kept."""
        ids = inputs["input_ids"][0]
        places = (ids == self.image_token_id).nonzero()
        length = int(places[-1, 0]) + 1 if places.numel() else 0
        kept = self._prefixes.get(key)
        if kept is not None and length <= ids.shape[0] and torch.equal(ids[: kept.ids.shape[0]], kept.ids):
            self._prefixes.move_to_end(key)
            return kept
        seq = ids.shape[0]
        part = {
            name: value[:, :length] if value.dim() == 2 and value.shape[1] == seq else value
            for name, value in inputs.items()
        }
        with torch.inference_mode():
            output = self.model(**part, use_cache=True, logits_to_keep=1)
        return self._keep(key, _Prefix(ids[:length].clone(), output.cache, self.kept_state()))

    def _keep(self, key: str, prefix: _Prefix) -> _Prefix:
        """Keeps `prefix` as the picture's, forgetting the least recently used beyond the cache's size."""
        self._prefixes[key] = prefix
        while len(self._prefixes) > PREFIX_CACHE_SIZE:
            self._prefixes.popitem(last=False)
        return prefix

    @torch.inference_mode()
    def generate(
        self,
        inputs: dict[str, Any],
        max_new_tokens: int,
        streamer: CleanTextStreamer | None = None,
        cancel: threading.Event | None = None,
        image_key: str | None = None,
    ) -> torch.Tensor:
        """The new tokens for each prompt of `inputs`. With `image_key` (one prompt), generation starts
        from a copy of the picture's kept prefix, without the pictures' tensors, which it has read."""
        given = dict(inputs)
        if image_key is not None:
            prefix = self._prefix_for(image_key, inputs)
            self.restore_state(prefix.state)
            given = {name: value for name, value in inputs.items() if not _is_vision_input(name)}
            given["cache"] = copy.deepcopy(prefix.cache)
        stopping = StoppingCriteriaList([StopWhenCancelled(cancel)]) if cancel else None
        options = {**self.generation_options, "max_new_tokens": max_new_tokens}
        output = getattr(self.model, "generate")(  # noqa: B009 - GenerationMixin, untyped
            **given, streamer=streamer, stopping_criteria=stopping, **options
        )
        return output[:, inputs["input_ids"].shape[1] :]

    def _clean(self, ids: torch.Tensor, tail: str) -> str:
        return clean_output(self.before_cleaning(self.tokenizer.decode(ids, skip_special_tokens=True), tail))

    def _tail(self, inputs: dict[str, Any]) -> str:
        return str(self.tokenizer.decode(inputs["input_ids"][0, -PROMPT_TAIL_TOKENS:]))

    def _run(
        self,
        image: Image.Image,
        messages: Messages,
        max_new_tokens: int,
        on_text: TextCallback | None,
        cancel: threading.Event | None,
    ) -> str:
        image = self.prepare_image(as_normalized(image))
        for attempt in range(2):
            try:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                key = image_fingerprint(image)
                inputs = self.inputs([messages], [image])
                tail = self._tail(inputs)
                streamer = (
                    CleanTextStreamer(
                        self.tokenizer, "", on_text, partial(self.before_cleaning, prompt_tail=tail), cancel
                    )
                    if on_text
                    else None
                )
                ids = self.generate(inputs, max_new_tokens, streamer, cancel, key)
                break
            except torch.cuda.OutOfMemoryError:
                if attempt:
                    raise
                self._fall_back()
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        text = self._clean(ids[0], tail)
        if on_text is not None and streamer is not None and text and text != streamer.sent:
            on_text(text)
        return text

    def _fall_back(self) -> None:
        """After running out of graphics memory: reload in the next smaller runtime and say so."""
        if self._reload is None:
            raise EngineError(
                _("The graphics card ran out of memory. Close other programs using it and try again.")
            )
        del self.model
        self._prefixes.clear()
        torch.cuda.empty_cache()
        self.runtime = fallback_after_oom(self.runtime, self._machine or query_machine())
        self.model = self._reload(self.runtime)
        self.lay_out()
        self.idle_work = loading.packing_for(self.model, self.runtime)
        message = fallback_notice(self.runtime)
        self.notices.append(message)
        log.info(message)  # the user hears it through on_notice; a warning would print it again
        if self.on_notice:
            self.on_notice(message)

    def clear_feature_cache(self) -> None:
        self._prefixes.clear()

    # ---- the interface -----------------------------------------------------------------------------

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        request = self.describe_prompts[detail]
        return self._run(image, self.conversation(request), self.max_new_tokens[detail], on_text, cancel)

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
        question = " ".join(question.split())
        lead = prompts.fit_text(text_on_image, question, prompts.PromptBudget(TEXT_TOKENS, self.count_tokens))
        messages = self.conversation(question, history, lead)
        return self._run(image, messages, self.max_new_tokens["answer"], on_text, cancel)

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        request = self.conversation(self.describe_prompts[detail])
        normalized = [self.prepare_image(as_normalized(image)) for image in images]
        size = max(1, batch_size)
        results: list[str] = []
        for first in range(0, len(normalized), size):
            batch = normalized[first : first + size]
            inputs = self.inputs([request] * len(batch), batch)
            ids = self.generate(inputs, self.max_new_tokens[detail])
            results += [self._clean(row, self._tail(inputs)) for row in ids]
        return results


def _is_vision_input(name: str) -> bool:
    """A tensor of the pictures themselves, which a kept prefix has read already (per-token tensors such
    as `mm_token_type_ids` stay: positions are computed from them)."""
    return name.startswith(("pixel_", "image_")) or name in ("image_sizes", "image_position_ids")


def _architecture(folder: Path) -> str:
    import json

    architecture = json.loads((folder / "config.json").read_text(encoding="utf-8"))["architectures"][0]
    return str(architecture)
