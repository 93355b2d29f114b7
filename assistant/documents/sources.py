"""Where an image's bytes come from: a file beside the document, a member of an archive, a data: URI,
or (only with --fetch-remote) the network."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from assistant.documents.model import Loader

#: Largest image fetched over the network.
MAX_REMOTE_BYTES = 50 * 1024 * 1024
REMOTE_TIMEOUT_S = 20


class SourceError(Exception):
    """An image whose bytes cannot be had; the message is one plain sentence."""


@dataclass(frozen=True)
class Source:
    load: Loader | None
    remote: bool = False
    problem: str = ""


def decode_data_uri(uri: str) -> bytes:
    """The bytes of a `data:` URI (base64 or percent-encoded)."""
    header, comma, payload = uri.partition(",")
    if not comma:
        raise SourceError("The data: URI of this image has no data.")
    if header.lower().endswith(";base64"):
        cleaned = "".join(urllib.parse.unquote(payload).split())
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise SourceError("The data: URI of this image is not valid base64.") from None
    return urllib.parse.unquote_to_bytes(payload)


def fetch(url: str) -> bytes:
    """Download an image (used only with --fetch-remote)."""
    if url.startswith("//"):
        url = "https:" + url
    request = urllib.request.Request(url, headers={"User-Agent": "assistant-alt-text"})
    try:
        with urllib.request.urlopen(request, timeout=REMOTE_TIMEOUT_S) as response:
            data = response.read(MAX_REMOTE_BYTES + 1)
    except (OSError, ValueError) as error:
        raise SourceError(f"The image at {url} could not be downloaded ({error}).") from None
    if len(data) > MAX_REMOTE_BYTES:
        raise SourceError(f"The image at {url} is larger than {MAX_REMOTE_BYTES // 2**20} MB.")
    return data


def resolve(src: str, read_relative: Callable[[str], bytes]) -> Source:
    """How to load the image named by `src`; `read_relative` reads a path relative to the document."""
    src = src.strip()
    if not src:
        return Source(None, problem="The image has no source.")
    scheme = urllib.parse.urlsplit(src).scheme.lower() if not src.startswith("//") else "https"
    if scheme == "data":
        return Source(lambda: decode_data_uri(src))
    if scheme in {"http", "https", "ftp"}:
        return Source(lambda: fetch(src), remote=True)
    if scheme == "file":
        path = urllib.request.url2pathname(urllib.parse.urlsplit(src).path)
        return Source(lambda: _read_file(path))
    if len(scheme) > 1:  # one letter is a Windows drive
        return Source(None, problem=f"Images from {scheme}: addresses cannot be read.")
    path = urllib.parse.unquote(src.split("#", 1)[0].split("?", 1)[0])
    return Source(lambda: read_relative(path))


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise SourceError(f"The image file {path} could not be read ({error.strerror or error}).") from None
