"""sway's IPC (i3's protocol over $SWAYSOCK): the focused window and the outputs (`monitors`), for Wayland
on sway.

A message is "i3-ipc", its payload's length and type (little-endian 32-bit each), then JSON.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Iterator
from typing import Any

from assistant.capture.base import Geometry

MAGIC = b"i3-ipc"
GET_OUTPUTS, GET_TREE = 3, 4
DEADLINE_SECONDS = 1.0


class SwayError(Exception):
    """sway's socket could not be reached or answered nonsense."""


def ask(kind: int, path: str | None = None, deadline: float = DEADLINE_SECONDS) -> Any:
    """One IPC request of `kind` to sway at `path` ($SWAYSOCK); its decoded answer."""
    path = path or os.environ.get("SWAYSOCK")
    if not path:
        raise SwayError("no sway socket")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(deadline)
            connection.connect(path)
            connection.sendall(MAGIC + struct.pack("<II", 0, kind))
            header = _read(connection, len(MAGIC) + 8)
            if not header.startswith(MAGIC):
                raise SwayError("not an i3-ipc answer")
            length, _kind = struct.unpack("<II", header[len(MAGIC) :])
            return json.loads(_read(connection, length))
    except (OSError, ValueError) as error:
        raise SwayError(str(error)) from error


def _read(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise SwayError("sway closed its socket")
        data += chunk
    return data


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in (*node.get("nodes", ()), *node.get("floating_nodes", ())):
        yield from _nodes(child)


def focused(tree: dict[str, Any]) -> tuple[str, Geometry] | None:
    """The focused window's title and frame (its title bar included) in a `get_tree` answer."""
    for node in _nodes(tree):
        if node.get("focused") and node.get("type") in ("con", "floating_con"):
            rect, decoration = node.get("rect", {}), node.get("deco_rect", {})
            bar = int(decoration.get("height", 0))
            geometry = (int(rect["x"]), int(rect["y"]) - bar, int(rect["width"]), int(rect["height"]) + bar)
            return str(node.get("name") or ""), geometry
    return None
