"""Any OpenAI-compatible model server (Ollama, llama.cpp, LM Studio, vLLM, `transformers serve`) as an engine.

The picture goes as a `data:` URL in the first user message; a follow-up sends the conversation so far;
the text read on the picture opens the question, as it does for the local model. Answers stream, so the
first sentence is spoken while the rest is generated. What a thinking model reasons is never spoken.
"""

from __future__ import annotations

import base64
import io
import re
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PIL import Image

from assistant.engine import prompts
from assistant.engine.base import Cancelled, Detail, Engine, TextCallback, Turn, require_question
from assistant.engine.catalogue import language_name
from assistant.engine.images import as_normalized
from assistant.engine.server_consent import (
    ServerAddress,
    ServerAddressError,
    api_key,
    check_allowed,
    parse_address,
)
from assistant.engine.server_probe import check_pictures
from assistant.engine.server_stream import stream_chat
from assistant.engine.text import without_hidden
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.config import Settings

# What a chat model is asked for; the local model's prompts are BLIP-2's own format.
DESCRIBE_PROMPTS: dict[str, str] = {
    "brief": "Describe this picture in one or two sentences, for someone who cannot see it.",
    "detailed": "Describe this picture in detail, for someone who cannot see it, including any text on it.",
}
ANSWER_INSTRUCTION = "Answer in a few sentences."
# Answer lengths, in tokens: chat models say more than BLIP-2 before they stop.
MAX_TOKENS = {"brief": 80, "detailed": 300, "answer": 160}
# The first wait for a server may include loading its model (Ollama loads on first use).
DEFAULT_TIMEOUT_S = 60.0
# Pictures are sent whole up to this side; servers shrink them to their model's size anyway.
MAX_SIDE = 2048
# Words of the text on the image sent with a question: a screenful, without knowing the model's context.
TEXT_WORDS = 1500
CONCURRENT_REQUESTS = 4

_MARKUP = re.compile(r"[*#`]+")  # Markdown a screen reader would read out as symbols
_SPACE = re.compile(r"\s+")
_THINKING = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class ServerChoice:
    """The server the user chose: its address, the model on it ("" for the one it serves), and whether
    the user allowed sending the screen to it though it is not on this computer."""

    url: str
    model: str = ""
    allow_remote: bool = False


def server_choice(settings: Settings) -> ServerChoice | None:
    """The server the settings choose, None for none; allowed when it is the one the user allowed."""
    if not settings.server.strip():
        return None
    return ServerChoice(
        settings.server, settings.server_model, same_server(settings.server, settings.allowed_server)
    )


def same_server(url: str, other: str) -> bool:
    """Whether two addresses name the same server, however each is written."""
    if not url.strip() or not other.strip():
        return False
    try:
        return parse_address(url).url == parse_address(other).url
    except ServerAddressError:
        return url.strip() == other.strip()


class ServerEngine(Engine):
    """Describes and answers through a model server. One thread owns it; `describe_many` sends a few
    requests at a time, which servers batch."""

    def __init__(
        self, choice: ServerChoice, timeout: float = DEFAULT_TIMEOUT_S, key: str | None = None
    ) -> None:
        """Raises ServerAddressError for an unusable address or a remote server the user has not allowed."""
        address = parse_address(choice.url)
        check_allowed(address, choice.allow_remote)
        # Not allowed elsewhere, it is used for being on this computer: its connections stay here.
        self.address: ServerAddress = replace(address, this_computer_only=not choice.allow_remote)
        self.model = choice.model.strip()
        self.timeout = timeout
        self.key = key if key is not None else api_key(self.address)
        self.max_tokens = dict(MAX_TOKENS)
        self._pictures_checked = False  # asked of the server once, before the first picture goes
        self._checking = threading.Lock()
        self.concurrency = CONCURRENT_REQUESTS  # requests in flight at once in describe_many (--concurrency)
        self.notices: list[str] = []
        # The language its answers are asked for in (load_engine: the user's); "en": as prompted.
        self.answer_language = "en"

    def _in_language(self, request: str) -> str:
        if self.answer_language == "en":
            return request
        return f"{request} Answer in {language_name(self.answer_language)}."

    @property
    def summary(self) -> str:
        # Shown in the window without a tray and said in the status: the user's language.
        where = _("this computer") if self.address.local else self.address.label
        return _("{model} on the model server at {url} ({where})").format(
            model=self.model or _("the served model"), url=self.address.url, where=where
        )

    # ---- the interface -------------------------------------------------------------------------

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        if detail not in DESCRIBE_PROMPTS:
            raise ValueError(f"unknown detail {detail!r}")
        messages = [_user(self._in_language(DESCRIBE_PROMPTS[detail]), picture_url(image))]
        return self._complete(messages, self.max_tokens[detail], on_text, cancel)

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
        messages = conversation(picture_url(image), self._in_language(question), history, text_on_image)
        return self._complete(messages, self.max_tokens["answer"], on_text, cancel)

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        workers = max(1, min(batch_size, self.concurrency, len(images)))
        with ThreadPoolExecutor(workers, thread_name_prefix="server-describe") as pool:
            return list(pool.map(lambda image: self.describe(image, detail), images))

    # ---- streaming -----------------------------------------------------------------------------

    def request_body(self, messages: list[dict[str, Any]], max_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": messages, "stream": True, "max_tokens": max_tokens}
        if self.model:  # left out, a server uses the model it serves (`transformers serve` is pinned)
            body["model"] = self.model
        return body

    def _complete(
        self,
        messages: list[dict[str, Any]],
        max_tokens: int,
        on_text: TextCallback | None,
        cancel: threading.Event | None,
    ) -> str:
        with self._checking:  # describe_many's threads: one asks, the others wait for its answer
            if not self._pictures_checked:
                check_pictures(self.address, self.model, self.key, self.timeout)
                self._pictures_checked = True
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        pieces = stream_chat(
            self.address, self.request_body(messages, max_tokens), self.key, self.timeout, cancel
        )
        return speak_as_it_comes(pieces, on_text)


def speak_as_it_comes(pieces: Iterable[str], on_text: TextCallback | None) -> str:
    """The cleaned answer; `on_text` gets the cleaned text so far each time whole words are added, each
    call extending the one before, and the final text last where it differs. After a sentence's end the
    next word goes out as soon as it begins: the sentence splitter ends a sentence only once it sees the
    next word's first letter, and waiting for that word to finish cost the first spoken sentence a token."""
    raw, sent = "", ""
    for piece in pieces:
        raw += piece
        if on_text is None:
            continue
        partial = clean_answer(raw, final=False)
        # The last word may still be growing, so only what precedes the last space is passed on.
        cut = partial.rfind(" ") if not raw[-1:].isspace() else len(partial)
        stable = partial[: max(cut, 0)].rstrip()
        if _SENTENCE_END.search(stable):
            stable = partial
        if len(stable) > len(sent) and stable.startswith(sent):
            sent = stable
            on_text(stable)
    text = clean_answer(raw)
    if on_text is not None and text and text != sent:
        on_text(text)
    return text


def clean_answer(raw: str, final: bool = True) -> str:
    """A chat model's answer as it should be spoken: no thinking, no Markdown symbols, one line; with
    `final`, ending in a full stop."""
    text = _THINKING.sub(" ", raw)
    if "</think>" in text:  # a template that opened the thinking in the prompt sends only its end
        text = text[text.rindex("</think>") + len("</think>") :]
    text = _SPACE.sub(" ", _MARKUP.sub("", without_hidden(text))).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if final and text[-1] not in ".!?…":
        text = text.rstrip(",;: -") + "."
    return text


def conversation(
    picture: str, question: str, history: Sequence[Turn], text_on_image: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The chat messages for `question`: the picture (and the text read on it) with the first question,
    then each earlier answer and question in turn."""
    turns = [*history, Turn(question, "")]
    text = prompts.text_piece(text_on_image, TEXT_WORDS)
    first = f"{text}\n\n{turns[0].question.strip()}" if text else turns[0].question.strip()
    messages = [_user(f"{first} {ANSWER_INSTRUCTION}", picture)]
    for index in range(1, len(turns)):
        answer = turns[index - 1].answer
        messages.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
        messages.append(_user(turns[index].question.strip()))
    return messages


def picture_url(image: Image.Image) -> str:
    """The picture as a JPEG `data:` URL, at most MAX_SIDE a side.

    JPEG at quality 95 with full-resolution colour keeps a screen's text sharp (the model sees it shrunk
    to a few hundred pixels anyway) and encodes a 1920x1080 screen in about 0.02 s, where PNG took 0.28 s
    here: time the user would wait before the server even starts.
    """
    image = as_normalized(image)
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=95, subsampling=0)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _user(text: str, picture: str | None = None) -> dict[str, Any]:
    # Always a list of parts: some chat templates (SmolVLM's) drop a message whose content is a string.
    parts: list[dict[str, Any]] = []
    if picture is not None:
        parts.append({"type": "image_url", "image_url": {"url": picture}})
    parts.append({"type": "text", "text": text})
    return {"role": "user", "content": parts}
