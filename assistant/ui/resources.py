"""Where the app's own files (icon, cue sounds) are: inside the package when installed, else the repository."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CANDIDATES = (_PACKAGE / "resources", _PACKAGE.parent / "resources")


def resource_path(name: str) -> Path | None:
    """The path of resource `name`, or None where it is not shipped."""
    for folder in _CANDIDATES:
        path = folder / name
        if path.is_file():
            return path
    return None
