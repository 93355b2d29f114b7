"""One chat completion from an OpenAI-compatible server, streamed over server-sent events.

`stream_chat` yields the answer's pieces as they arrive. Stop closes the connection at once: a small
watcher thread shuts the socket down when the cancel event is set, which ends a read that is waiting for
the server. The same watcher ends an answer that runs past its deadline, however slowly the server
drips it; what is read is bounded too (one event, the answer's text, the whole stream), since `max_tokens`
is a request a server may ignore. Every way a server can fail becomes one `ServerError` sentence.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

from assistant.engine.base import Cancelled, EngineError
from assistant.engine.server_connection import LeftThisComputer, open_connection
from assistant.engine.server_consent import ServerAddress, refusal
from assistant.engine.text import without_hidden
from assistant.i18n import _, os_reason

# Longest error body read from a failing server; its message is cut to a few words anyway.
_ERROR_BODY_LIMIT = 64 * 1024
_CANCEL_POLL_S = 0.05
# An answer's bounds whatever the server sends. Its text (its reasoning included, which max_tokens counts
# too) is cut at this many characters a token asked for: a token is a few characters, one of 16 is rare.
CHARACTERS_PER_TOKEN = 16
# The whole answer comes within the first wait plus this long a token asked for: a server slower than half
# a token a second is of no use to a listener, and one that sends a byte now and then is ended.
SECONDS_PER_TOKEN = 2.0
_DEFAULT_TOKENS = 1024  # for a request that names no max_tokens
# One event, or a whole answer that does not stream: a chunk of a few tokens is a few hundred bytes.
EVENT_LIMIT = 1024 * 1024
# All of one stream, comments and empty chunks included: about 100,000 chunks.
STREAM_LIMIT = 32 * 1024 * 1024
# How servers say their model takes no pictures (llama.cpp: "image input is not supported"; Ollama, vLLM,
# LM Studio name vision, multimodal or the missing projector).
_NO_PICTURES = re.compile(r"image|vision|multimodal|multi-modal|mmproj", re.IGNORECASE)


class ServerError(EngineError):
    """The model server could not answer; a local model may answer instead."""


class ServerDown(ServerError):
    pass


class ServerNotHere(ServerError):
    """Used for being on this computer, the server's name now leads to another one: nothing was sent."""


class ServerSlow(ServerError):
    pass


class ServerRefused(ServerError):
    """The server answered with an error status."""


class ServerBadAnswer(ServerError):
    """The server's answer is not the JSON of a chat completion."""


class ServerNoPictures(ServerError):
    """The server's model reads text only."""


class ServerThoughtOnly(ServerError):
    """A thinking model spent all its words on reasoning."""


def stream_chat(
    address: ServerAddress,
    body: dict[str, Any],
    key: str | None,
    timeout: float,
    cancel: threading.Event | None = None,
) -> Iterator[str]:
    """POST `body` to the server's /v1/chat/completions and yield the pieces of the answer's text.

    The reasoning a thinking model sends beside its answer (`reasoning_content`, `reasoning`) is never
    yielded. `timeout` bounds the wait for the connection and for each piece; the whole answer has
    `timeout` plus SECONDS_PER_TOKEN for each of `body`'s max_tokens, and ends (as if the server had
    stopped) at CHARACTERS_PER_TOKEN for each. Raises Cancelled once `cancel` is set, ServerError for
    everything the server does wrong.
    """
    tokens = body.get("max_tokens")
    tokens = tokens if isinstance(tokens, int) and tokens > 0 else _DEFAULT_TOKENS
    allowed = tokens * CHARACTERS_PER_TOKEN
    within = timeout + tokens * SECONDS_PER_TOKEN
    connection = open_connection(address, timeout)
    expired = threading.Event()
    try:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            connection.connect()
            with closed_at(connection.sock, time.monotonic() + within, cancel) as expired:
                connection.request(
                    "POST", f"{address.path}/v1/chat/completions", json.dumps(body).encode(), headers
                )
                response = connection.getresponse()
                if response.status >= 400:
                    raise _refused(address, response.status, response.read(_ERROR_BODY_LIMIT))
                kind = response.getheader("Content-Type", "")
                if "text/event-stream" in kind:
                    yield from _events(address, response, cancel, expired, allowed)
                else:  # a server that does not stream: the whole answer at once
                    whole = _json(address, read_at_most(address, response, EVENT_LIMIT, expired))
                    yield _message_text(address, whole)[:allowed]
        except TimeoutError:
            _raise_if_cancelled(cancel)
            raise ServerSlow(
                _(
                    "The model server at {label} did not answer within {timeout:g} seconds; try again when it is less busy, or choose a faster model on it."
                ).format(label=address.label, timeout=round(within) if expired.is_set() else timeout)
            ) from None
        except LeftThisComputer:
            raise ServerNotHere(refusal(address)) from None
        except ssl.SSLError as error:
            _raise_if_cancelled(cancel)
            _raise_if_expired(expired)
            raise ServerDown(
                _(
                    "A secure connection to the model server at {label} failed ({value}); check its certificate, or its address in Settings or --server."
                ).format(label=address.label, value=error.reason or error)
            ) from None
        except (OSError, http.client.HTTPException) as error:
            _raise_if_cancelled(cancel)
            _raise_if_expired(expired)
            raise ServerDown(
                _(
                    "The model server at {label} does not answer ({reason}); start it, or check its address in Settings or --server."
                ).format(label=address.label, reason=_reason(error))
            ) from None
        _raise_if_cancelled(cancel)
    finally:
        connection.close()


@contextlib.contextmanager
def closed_at(
    sock: socket.socket, deadline: float, cancel: threading.Event | None = None
) -> Iterator[threading.Event]:
    """While inside, a watcher thread shuts the connected `sock` down once `deadline` (time.monotonic)
    passes or `cancel` is set, which ends any read or write waiting on it: a socket's timeout bounds each
    wait, never the whole. Yields the event set when the deadline passed.

    The socket, not its connection: http.client hands a response that ends with the connection (no
    length, not chunked) the socket and drops its own reference to it."""
    done, expired = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=_close_when,
        args=(sock, deadline, cancel, done, expired),
        name="server-stream-watch",
        daemon=True,
    )
    watcher.start()
    try:
        yield expired
    finally:
        done.set()
        watcher.join()


def _close_when(
    sock: socket.socket,
    deadline: float,
    cancel: threading.Event | None,
    done: threading.Event,
    expired: threading.Event,
) -> None:
    while True:
        left = deadline - time.monotonic()
        if left > 0 and not (cancel is not None and cancel.is_set()):
            if done.wait(min(left, _CANCEL_POLL_S) if cancel is not None else left):
                return
            continue
        if left <= 0:
            expired.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return


def read_at_most(
    address: ServerAddress, response: http.client.HTTPResponse, limit: int, expired: threading.Event
) -> bytes:
    """The response's body, refused as no chat completion past `limit` bytes."""
    body = response.read(limit + 1)
    _raise_if_expired(expired)
    if len(body) > limit:
        raise _bad_answer(address)
    return body


def _raise_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def _raise_if_expired(expired: threading.Event) -> None:
    if expired.is_set():  # the watcher shut the socket: the read ended with nothing, or an error
        raise TimeoutError


def _events(
    address: ServerAddress,
    response: http.client.HTTPResponse,
    cancel: threading.Event | None,
    expired: threading.Event,
    allowed: int,
) -> Iterator[str]:
    """The text in each event's `data` until `[DONE]` or the end of the stream (some servers send no
    `[DONE]`), or until `allowed` characters of answer and reasoning have come. A stream of reasoning
    with no answer after it is a ServerThoughtOnly."""
    data: list[str] = []
    said = thought = False
    spent = received = size = 0  # characters of text; bytes of the stream; bytes of this event's data
    while spent < allowed and received <= STREAM_LIMIT:
        _raise_if_cancelled(cancel)
        raw = response.readline(EVENT_LIMIT + 1)
        _raise_if_cancelled(cancel)
        _raise_if_expired(expired)
        received += len(raw)
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.startswith("data:"):
            size += len(raw)
            if len(raw) > EVENT_LIMIT or size > EVENT_LIMIT:
                raise _bad_answer(address)
            data.append(line[5:].removeprefix(" "))
            continue
        if data and not line:
            payload = "\n".join(data)
            data.clear()
            size = 0
            if payload.strip() == "[DONE]":
                break
            piece, reasoning = _delta_text(address, _json(address, payload.encode()))
            thought = thought or reasoning > 0
            spent += reasoning
            piece = piece[: max(0, allowed - spent)]
            spent += len(piece)
            if piece:
                said = True
                yield piece
        if not raw:
            break  # the end of the stream; other lines are comments, other fields, blank lines
    if thought and not said:
        raise ServerThoughtOnly(
            _(
                "The model on the server at {label} only thought and gave no answer in the words it was allowed; choose a model that does not think first, or turn its thinking off on the server."
            ).format(label=address.label)
        )


def _delta_text(address: ServerAddress, event: Any) -> tuple[str, int]:
    """The answer's text in one streamed chunk ("" for a chunk with none), and how many characters of
    reasoning it holds (1 for reasoning that is not text)."""
    if isinstance(event, dict) and "error" in event:
        raise _refused(address, 500, json.dumps(event).encode())
    try:
        choices = event["choices"]
        if not choices:
            return "", 0  # a usage chunk
        delta = choices[0].get("delta", {})
        content = delta.get("content")
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
    except (KeyError, TypeError, AttributeError, IndexError):
        raise _bad_answer(address) from None
    thought = len(reasoning) if isinstance(reasoning, str) else int(bool(reasoning))
    return (content if isinstance(content, str) else ""), thought


def _message_text(address: ServerAddress, answer: Any) -> str:
    try:
        content = answer["choices"][0]["message"].get("content")
    except (KeyError, TypeError, AttributeError, IndexError):
        if isinstance(answer, dict) and "error" in answer:
            raise _refused(address, 500, json.dumps(answer).encode()) from None
        raise _bad_answer(address) from None
    return content if isinstance(content, str) else ""


def _json(address: ServerAddress, payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        raise _bad_answer(address) from None


def _bad_answer(address: ServerAddress) -> ServerBadAnswer:
    return ServerBadAnswer(
        _(
            "The model server at {label} answered with something other than a chat completion; check that the address is an OpenAI-compatible server (its /v1/chat/completions)."
        ).format(label=address.label)
    )


def _refused(address: ServerAddress, status: int, body: bytes) -> ServerError:
    message = _error_message(body)
    said = (
        _("error {status}: {message}").format(status=status, message=message)
        if message
        else _("error {status}").format(status=status)
    )
    if _NO_PICTURES.search(message):
        return ServerNoPictures(
            _(
                "The model on the server at {label} cannot read pictures ({message}); choose a vision model with --server-model or in Settings."
            ).format(label=address.label, message=message)
        )
    if status in (401, 403):
        return ServerRefused(
            _(
                "The model server at {label} refused the request ({said}); set its API key in ASSISTANT_SERVER_API_KEY or the system keyring."
            ).format(label=address.label, said=said)
        )
    return ServerRefused(
        _(
            "The model server at {label} answered with an error ({said}); check the address, the model name (--server-model or Settings) and the server's log."
        ).format(label=address.label, said=said)
    )


def _error_message(body: bytes) -> str:
    """The server's own words for its error, cut to one short line."""
    text = body.decode("utf-8", errors="replace").strip()
    with contextlib.suppress(ValueError, RecursionError):
        found = json.loads(text)
        for _ in range(3):  # {"error": {"message": …}}, {"detail": …}, {"error": "…"}
            if isinstance(found, dict):
                found = found.get("error") or found.get("message") or found.get("detail") or ""
            else:
                break
        text = found if isinstance(found, str) else json.dumps(found)
    line = " ".join(without_hidden(text).split())  # spoken and shown in the app, where nothing escapes them
    return line if len(line) <= 160 else line[:157] + "…"


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        # Translators: why a model server does not answer, put into "… does not answer ({reason}); …".
        return _("nothing listens there")
    if isinstance(error, socket.gaierror):
        # Translators: why a model server does not answer: its host name is not found.
        return _("its name is not known")
    if isinstance(error, OSError):
        return os_reason(error)
    return str(error or type(error).__name__)
