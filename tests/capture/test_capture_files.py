"""Opening an image file for description."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from assistant.capture import clipboard_image, open_image_file
from assistant.engine.images import ImageError


def test_an_image_file_is_read_as_rgb(tmp_path: Path) -> None:
    path = tmp_path / "chart.png"
    Image.new("RGBA", (30, 20), (0, 0, 255, 255)).save(path)
    image = open_image_file(path)
    assert image.mode == "RGB"
    assert image.size == (30, 20)
    assert image.getpixel((0, 0)) == (0, 0, 255)


def test_a_broken_file_gives_a_sentence_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("these are notes, not a picture")
    with pytest.raises(ImageError, match=r"^The file notes\.jpg is not an image that can be read\."):
        open_image_file(str(path))


def test_a_clipboard_image_is_read_as_rgb_and_named_in_errors() -> None:
    image = clipboard_image(Image.new("LA", (30, 20), (0, 0)))
    assert (image.mode, image.size, image.getpixel((0, 0))) == ("RGB", (30, 20), (255, 255, 255))
    with pytest.raises(ImageError, match=r"^The clipboard image is not an image that can be read\."):
        clipboard_image(Image.new("RGB", (0, 20)))
