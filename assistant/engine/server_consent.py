"""Where a model server is and whether the user's screen may go there; its API key.

A server that is not on this computer receives pictures of the user's screen, so it is used only once the
user has allowed it; a plain-http one would also send them unencrypted. The API key is read from the
environment or the system keyring, never from the settings file, which other programs can read.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from assistant.engine.base import EngineError
from assistant.i18n import N_, _

log = logging.getLogger(__name__)

API_KEY_ENV = "ASSISTANT_SERVER_API_KEY"
KEYRING_SERVICE = "assistant-model-server"
# How the user allows a server that is not on this computer, said in the refusal.
ALLOW_HINT = N_("add --allow-remote-server, or confirm it in Settings under Model server")


# The form an address takes, said where one is not.
EXAMPLES = N_("give one such as http://127.0.0.1:11434/v1 (Ollama) or https://example.org/v1.")
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")  # spaces and controls: never part of an address
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_LABEL = re.compile(r"(?!-)[\w-]{1,63}(?<!-)")


class ServerAddressError(EngineError):
    """The model server's address cannot be used as it is."""


class RemoteServerNotAllowed(ServerAddressError):
    """The server is not on this computer and the user has not allowed sending the screen there."""


@dataclass(frozen=True)
class ServerAddress:
    """A model server's base address, split into the parts a connection needs."""

    url: str  # as the user gave it, without a trailing slash or a trailing /v1
    scheme: str
    host: str
    port: int
    path: str  # the base path the API lives under ("" at the root)
    # Used without the user's leave because it is on this computer: connections then go only to this
    # computer's addresses, whatever its name resolves to by then (server_connection).
    this_computer_only: bool = False

    @property
    def label(self) -> str:
        """How the server is named to the user: host and port."""
        return f"{self.host}:{self.port}"

    @property
    def local(self) -> bool:
        return is_this_computer(self.host)


def parse_address(url: str) -> ServerAddress:
    """The server at `url`: http or https with a host, an optional port and path ("/v1" at the end is
    optional); or, without a scheme, a host with its port as Ollama and llama.cpp print it
    ("localhost:11434"), taken as http. Raises ServerAddressError, before any connection."""
    typed = url.strip()
    # First: the other sentences repeat what was typed, and Settings saves it. Any "@": a password with
    # "/", "?" or "#" in it ends the host there for urlsplit and leaves the rest in a path; no model
    # server's own address holds one.
    if "@" in typed:
        raise ServerAddressError(
            _(
                "A model server's address cannot hold a user name or password, which would be saved in the settings file; give the address without them, and its API key in {variable} or the system keyring (service {service})."
            ).format(variable=API_KEY_ENV, service=KEYRING_SERVICE)
        )
    # A query or fragment (an "?api-key=…" among them) is not sent: the client connects to the host, port
    # and path; and Settings would save it. Not repeated either.
    if "?" in typed or "#" in typed:
        raise ServerAddressError(
            _(
                "A model server's address takes nothing after “?” or “#”, which the app would not send and the settings file would keep; give the address without it, and an API key in {variable} or the system keyring (service {service})."
            ).format(variable=API_KEY_ENV, service=KEYRING_SERVICE)
        )
    if not typed:
        raise ServerAddressError(
            _("The model server's address is empty; {examples}").format(examples=_(EXAMPLES))
        )
    try:
        return _parsed(typed)
    except ValueError:
        raise ServerAddressError(
            _("“{address}” is not a model server's address; {examples}").format(
                address=typed, examples=_(EXAMPLES)
            )
        ) from None


def _parsed(typed: str) -> ServerAddress:
    """The address in `typed`; ValueError (urlsplit's own included) for anything that is not one."""
    bare = "://" not in typed
    parts = urlsplit("http://" + typed if bare else typed)
    port = parts.port  # ValueError: not a number, or out of range
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or _UNSAFE.search(typed)
        or not _is_host(host)
        or port == 0
        # "notaurl", "example.org": a word is not taken for a server on another computer's port 80
        or (bare and port is None)
    ):
        raise ValueError(typed)
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    text = f"{parts.scheme}://{parts.netloc}{path}"
    return ServerAddress(text, parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _is_host(host: str) -> bool:
    """An IP address, or a name of letters, digits, "-" and "_" (Docker's service names) in dotted labels."""
    if ":" in host:  # urlsplit found brackets: only an IPv6 address goes there
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return False
        return True
    if _DOTTED_NUMBERS.fullmatch(host):  # 1.2.3.4.5, 999.1.1.1: a mistyped IPv4 address, not a name
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return all(_LABEL.fullmatch(label) for label in host.removesuffix(".").split("."))


def is_this_computer(host: str) -> bool:
    """Whether `host` is a loopback address, or a name every address of which is loopback."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False  # a name that does not resolve is not known to be here; connecting says the rest
    addresses = {info[4][0] for info in found}
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)


def check_allowed(address: ServerAddress, allowed: bool) -> None:
    """Refuse a server that is not on this computer unless the user has allowed it."""
    if address.local or allowed:
        return
    raise RemoteServerNotAllowed(refusal(address))


def refusal(address: ServerAddress) -> str:
    """Why a server on another computer is not sent the screen, and how the user allows it."""
    if address.scheme == "http":
        return _(
            "The model server at {label} is on another computer and its address is plain http, so pictures of your screen would go there unencrypted; use its https address, or {allow_hint}."
        ).format(label=address.label, allow_hint=_(ALLOW_HINT))
    return _(
        "The model server at {label} is on another computer and would receive pictures of your screen; to allow that, {allow_hint}."
    ).format(label=address.label, allow_hint=_(ALLOW_HINT))


def api_key(address: ServerAddress) -> str | None:
    """The key to send to the server: $ASSISTANT_SERVER_API_KEY, else the system keyring's for the
    server's address (service "assistant-model-server", user name `address.url`), else None."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    if key:
        return key
    import keyring  # here: a tenth of a second, paid only where a server is used

    try:
        found = keyring.get_password(KEYRING_SERVICE, address.url)
    except Exception as error:  # any backend's failure (none on a headless Linux, locked) means no key
        log.info("The system keyring could not be read: %s", error)
        return None
    return (found or "").strip() or None
