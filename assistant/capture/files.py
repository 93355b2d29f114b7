"""Images chosen by the user from files."""

from __future__ import annotations

import os

from PIL import Image

from assistant.engine.images import normalize_image


def open_image_file(path: str | os.PathLike[str]) -> Image.Image:
    """Read an image file into memory as plain RGB; raises `ImageError` with a sentence naming the file."""
    return normalize_image(path)
