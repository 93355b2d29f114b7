"""Asking a model server, before the first picture, whether its model reads pictures at all.

Some servers answer a picture sent to a text-only model with an error (llama.cpp without its projector),
but others drop the picture and answer from the words alone (`transformers serve`, found here), which
would describe a screen the model never saw. Where a server says what its model reads (llama.cpp's
`/props`, Ollama's `/api/show`), a model without vision is refused before anything is sent; a server
that says nothing, or cannot be asked, is taken at its word.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import ssl
from typing import Any

from assistant.engine.server_consent import ServerAddress
from assistant.engine.server_stream import ServerNoPictures
from assistant.i18n import _

PROBE_TIMEOUT_S = 5.0
_BODY_LIMIT = 1024 * 1024


def check_pictures(address: ServerAddress, model: str, key: str | None, timeout: float) -> None:
    """Raise ServerNoPictures where the server says its model reads no pictures."""
    timeout = min(timeout, PROBE_TIMEOUT_S)
    props = _ask(address, "GET", "/props", None, key, timeout)  # llama.cpp
    vision = props.get("modalities", {}).get("vision") if isinstance(props, dict) else None
    if vision is False:
        raise _no_pictures(address, model or "the model it serves")
    if model:
        shown = _ask(address, "POST", "/api/show", {"model": model}, key, timeout)  # Ollama
        capabilities = shown.get("capabilities") if isinstance(shown, dict) else None
        if isinstance(capabilities, list) and capabilities and "vision" not in capabilities:
            raise _no_pictures(address, model)


def _no_pictures(address: ServerAddress, model: str) -> ServerNoPictures:
    return ServerNoPictures(
        _(
            "The model {model} on the server at {label} cannot read pictures; choose a vision model with --server-model or in Settings."
        ).format(model=model, label=address.label)
    )


def _ask(address: ServerAddress, method: str, path: str, body: Any, key: str | None, timeout: float) -> Any:
    """The JSON the server answers, or None for anything else (no such page, an error, not JSON)."""
    if address.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            address.host, address.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(address.host, address.port, timeout=timeout)
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        connection.request(
            method, f"{address.path}{path}", json.dumps(body).encode() if body is not None else None, headers
        )
        response = connection.getresponse()
        if response.status != 200 or "json" not in response.getheader("Content-Type", ""):
            return None
        with contextlib.suppress(ValueError, RecursionError):
            return json.loads(response.read(_BODY_LIMIT))
        return None
    except (OSError, http.client.HTTPException):
        return None  # the chat request that follows says what is wrong with the server
    finally:
        connection.close()
