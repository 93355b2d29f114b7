"""Images the user copied: the picture the desktop's clipboard held, in the form the engine takes.

Reading the clipboard needs the GUI toolkit, so the UI reads it and hands the picture over here.
"""

from __future__ import annotations

from PIL import Image

from assistant.engine.images import as_normalized

CLIPBOARD_NAME = "The clipboard image"


def clipboard_image(image: Image.Image) -> Image.Image:
    """The copied picture as plain RGB; raises `ImageError` with a sentence naming the clipboard image."""
    return as_normalized(image, CLIPBOARD_NAME)
