"""Asking a model server, before the first picture, whether its model reads pictures at all.

Some servers answer a picture sent to a text-only model with an error (llama.cpp without its projector),
but others drop the picture and answer from the words alone (`transformers serve`, found here: its
`get_processor_inputs_from_messages` skips `image_url` parts for a text-only model), which would
describe a screen the model never saw. Where a server says what its model reads (llama.cpp's `/props`,
Ollama's `/api/show`), a model without vision is refused before anything is sent. Elsewhere (`transformers
serve`, vLLM, LM Studio: their `/v1/models` names no modalities) the server is asked one word twice, with
and without a small picture, and a picture that adds no tokens to the prompt (`usage.prompt_tokens`)
was never seen. A server that answers neither question is taken at its word.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import time
from typing import Any

from PIL import Image

from assistant.engine.server_connection import open_connection
from assistant.engine.server_consent import ServerAddress
from assistant.engine.server_stream import ServerNoPictures, closed_at
from assistant.i18n import _

PROBE_TIMEOUT_S = 5.0
# The two one-word questions read a prompt (and a picture) on the server's model: a slow model on a
# processor needs longer than a page of metadata.
COUNT_TIMEOUT_S = 20.0
_BODY_LIMIT = 1024 * 1024


def check_pictures(address: ServerAddress, model: str, key: str | None, timeout: float) -> None:
    """Raise ServerNoPictures where the server says its model reads no pictures."""
    timeout = min(timeout, PROBE_TIMEOUT_S)
    props = _ask(address, "GET", "/props", None, key, timeout)  # llama.cpp
    modalities = props.get("modalities") if isinstance(props, dict) else None
    vision = modalities.get("vision") if isinstance(modalities, dict) else None
    if vision is False:
        raise _no_pictures(address, model)
    if vision is True:
        return
    if model:
        shown = _ask(address, "POST", "/api/show", {"model": model}, key, timeout)  # Ollama
        capabilities = shown.get("capabilities") if isinstance(shown, dict) else None
        if isinstance(capabilities, list) and capabilities:
            if "vision" not in capabilities:
                raise _no_pictures(address, model)
            return
    if _picture_adds_no_tokens(address, model, key, timeout):
        raise _no_pictures(address, model)


def _picture_adds_no_tokens(address: ServerAddress, model: str, key: str | None, timeout: float) -> bool:
    """Whether the server's prompt for one word and a picture is no longer than for the word alone: the
    picture was dropped. False where either count is not given (the server is then taken at its word)."""
    timeout = min(max(timeout, PROBE_TIMEOUT_S), COUNT_TIMEOUT_S)
    word = {"type": "text", "text": "Hello"}
    alone = _prompt_tokens(address, model, key, timeout, [word])
    if alone is None:
        return False
    picture = {"type": "image_url", "image_url": {"url": _SMALL_PICTURE}}
    with_picture = _prompt_tokens(address, model, key, timeout, [picture, word])
    return with_picture is not None and with_picture <= alone


def _prompt_tokens(
    address: ServerAddress, model: str, key: str | None, timeout: float, parts: list[dict[str, Any]]
) -> int | None:
    """The tokens the server counts in a one-message prompt of `parts`, answered in one token."""
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": parts}],
        "max_tokens": 1,
        "stream": False,
    }
    if model:
        body["model"] = model
    answer = _ask(address, "POST", "/v1/chat/completions", body, key, timeout)
    usage = answer.get("usage") if isinstance(answer, dict) else None
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0 else None


def _small_picture() -> str:
    """A 64x64 grey JPEG as a data: URL: every vision model reads it as at least a few tokens."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(buffer, format="JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


_SMALL_PICTURE = _small_picture()


def _no_pictures(address: ServerAddress, model: str) -> ServerNoPictures:
    if not model:  # the one the server serves, unnamed
        return ServerNoPictures(
            _(
                "The model served at {label} cannot read pictures; start the server with a vision model, or name one with --server-model or in Settings."
            ).format(label=address.label)
        )
    return ServerNoPictures(
        _(
            "The model {model} on the server at {label} cannot read pictures; choose a vision model with --server-model or in Settings."
        ).format(model=model, label=address.label)
    )


def _ask(address: ServerAddress, method: str, path: str, body: Any, key: str | None, timeout: float) -> Any:
    """The JSON the server answers, or None for anything else (no such page, an error, not JSON, not
    all of it within twice `timeout`: a server that sends a byte now and then is not waited for)."""
    connection = open_connection(address, timeout)
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        connection.connect()
        with closed_at(connection.sock, time.monotonic() + 2 * timeout) as expired:
            connection.request(
                method,
                f"{address.path}{path}",
                json.dumps(body).encode() if body is not None else None,
                headers,
            )
            response = connection.getresponse()
            if response.status != 200 or "json" not in response.getheader("Content-Type", ""):
                return None
            answer = response.read(_BODY_LIMIT)
        if expired.is_set():
            return None
        with contextlib.suppress(ValueError, RecursionError):
            return json.loads(answer)
        return None
    except (OSError, http.client.HTTPException):
        return None  # the chat request that follows says what is wrong with the server
    finally:
        connection.close()
