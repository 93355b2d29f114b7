"""Hyprland's IPC: its monitors, where the pointer is, and the active window, for Wayland on Hyprland.

One request a connection to `$XDG_RUNTIME_DIR/hypr/$HYPRLAND_INSTANCE_SIGNATURE/.socket.sock` (before
Hyprland 0.40, under /tmp/hypr): "j/monitors", "j/cursorpos", "j/activewindow"; the JSON answer
follows and the socket closes. Hyprland answers one connection at a time, so each is closed at once.
Unlike sway, Hyprland says where the pointer is (`cursorpos`, in the layout's logical pixels).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

DEADLINE_SECONDS = 1.0


class HyprlandError(Exception):
    """Hyprland's socket could not be reached or answered nonsense."""


def socket_path() -> Path | None:
    """Hyprland's request socket, where Hyprland runs."""
    signature = os.environ.get("HYPRLAND_INSTANCE_SIGNATURE")
    if not signature:
        return None
    folders = [Path(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent")) / "hypr", Path("/tmp/hypr")]
    for folder in folders:
        if (path := folder / signature / ".socket.sock").exists():
            return path
    return None


def ask(command: str, deadline: float = DEADLINE_SECONDS) -> Any:
    """The decoded answer to `j/<command>`."""
    path = socket_path()
    if path is None:
        raise HyprlandError("no Hyprland socket")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(deadline)
            connection.connect(str(path))
            connection.sendall(f"j/{command}".encode())
            data = b""
            while chunk := connection.recv(65536):
                data += chunk
        return json.loads(data)
    except (OSError, ValueError) as error:
        raise HyprlandError(str(error)) from error


def logical_rect(monitor: dict[str, Any]) -> tuple[int, int, int, int]:
    """A monitor's place in the layout in logical pixels: its mode's pixels over its scale, turned
    where the monitor is rotated a quarter (transforms 1, 3, 5, 7)."""
    scale = float(monitor.get("scale") or 1.0)
    width, height = int(monitor["width"]), int(monitor["height"])
    if int(monitor.get("transform", 0)) % 2:
        width, height = height, width
    return (int(monitor["x"]), int(monitor["y"]), round(width / scale), round(height / scale))


def active_window(answer: Any) -> tuple[str, tuple[int, int, int, int]] | None:
    """The active window's title and frame in a `j/activewindow` answer ({} where none is)."""
    if not isinstance(answer, dict) or not answer.get("at") or not answer.get("size"):
        return None
    (left, top), (width, height) = answer["at"], answer["size"]
    return str(answer.get("title") or ""), (int(left), int(top), int(width), int(height))
