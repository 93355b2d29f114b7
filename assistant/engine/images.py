"""Normalising any image a user meets into the plain RGB picture the model expects.

Every input goes through `normalize_image`: it is read fully into memory, turned upright by its EXIF
orientation, reduced to its first frame, flattened onto white where it is transparent, converted to
8-bit RGB and enlarged when it is tiny. Anything that cannot be read safely raises `ImageError`, whose
message is one sentence naming the file.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import struct
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from assistant.engine.base import EngineError
from assistant.i18n import _, os_reason

#: Largest image accepted, in pixels: Pillow's own decompression-bomb threshold (about 89 million, a
#: 10000x8900 photo), refused before decoding, the same way in `describe` and in documents.
MAX_PIXELS = 89_478_485
#: The shorter side of a tiny image is enlarged to at least this many pixels.
MIN_SIDE = 16
#: The only formats Pillow may decode, wherever an image is opened. Whatever the file's name says,
#: anything else (EPS and PostScript above all, which Pillow hands to Ghostscript) is "not an image".
#: WMF is listed so that EMF and WMF pictures can be named as vector pictures; Pillow does not draw them.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "DIB", "WEBP", "TIFF", "ICO", "AVIF", "WMF")

# The warning filters are one global list: without this lock two threads opening images at once could
# restore each other's filters and leave warnings silenced (or a bomb warning printed) for good.
_WARNINGS_LOCK = threading.Lock()

ImageSource = Image.Image | str | os.PathLike[str] | bytes | bytearray | memoryview

_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
_DEEP_MODES = {"I", "F", "I;16", "I;16L", "I;16B", "I;16N"}
# What Pillow raises for files it cannot identify or decode.
_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, struct.error)


class ImageError(EngineError):
    """An image that cannot be read; the message is one sentence naming it and saying what to do."""


def normalize_image(source: ImageSource, name: str | None = None) -> Image.Image:
    """Return `source` as an upright, opaque, 8-bit RGB image fully loaded in memory.

    `source` is a PIL image (left untouched), a path, or the bytes of an image file. `name` is how the
    image is called in error messages; by default the file's name, or "the image".
    """
    if isinstance(source, Image.Image):
        label = name or _label_of_image(source)
        return _normalize_opened(source, label)
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = name or _("The image")
        data = bytes(source)
        if not data:
            raise ImageError(_("{label} is empty. Try copying or saving it again.").format(label=label))
        return _open_and_normalize(io.BytesIO(data), label)
    path = Path(os.fspath(source))
    label = name or _("The file {value}").format(value=path.name or path)
    _check_path(path, label)
    return _open_and_normalize(path, label)


def as_normalized(source: ImageSource, name: str | None = None) -> Image.Image:
    """`normalize_image` for callers that neither keep nor change the result: an image already in
    normal form is returned as it is, not copied, so a picture normalised when it came in (by
    `assistant.capture`) is not normalised a second time by the engine."""
    if isinstance(source, Image.Image) and is_normalized(source):
        return source
    return normalize_image(source, name)


def is_normalized(image: Image.Image) -> bool:
    """Whether `image` is already what `normalize_image` makes: in memory, upright, opaque 8-bit RGB,
    and not tiny."""
    return (
        type(image) is Image.Image  # not a file still open (those are ImageFile subclasses)
        and image.mode == "RGB"
        and "transparency" not in image.info
        and min(image.size) >= MIN_SIDE
        and image.width * image.height <= MAX_PIXELS
        and image.getexif().get(ExifTags.Base.Orientation, 1) == 1
    )


def load_images(paths: Iterable[str | os.PathLike[str]]) -> list[Image.Image | ImageError]:
    """Normalise each file in turn; a file that cannot be read gives its `ImageError` in its place."""
    results: list[Image.Image | ImageError] = []
    for path in paths:
        try:
            results.append(normalize_image(path))
        except ImageError as error:
            results.append(error)
    return results


def image_fingerprint(image: Image.Image) -> str:
    """A stable hash of an image's pixels, size and mode: equal pictures give equal fingerprints."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def _check_path(path: Path, label: str) -> None:
    try:
        if path.is_dir():
            raise ImageError(
                _("{label} is a folder, not an image. Choose an image file instead.").format(label=label)
            )
        size = path.stat().st_size
    except FileNotFoundError:
        raise _not_found(label) from None
    except PermissionError:
        raise _denied(label) from None
    except OSError as error:
        raise ImageError(
            _("{label} could not be opened ({value}). Check the path.").format(
                label=label, value=os_reason(error)
            )
        ) from None
    if size == 0:
        raise ImageError(
            _("{label} is empty. Try saving the image again as PNG or JPEG.").format(label=label)
        )


def open_image(file: Path | io.BytesIO | bytes, label: str | None = None) -> Image.Image:
    """Open an image lazily (its header only), refusing one over MAX_PIXELS before it is decoded.

    Pillow's DecompressionBombWarning becomes that refusal instead of a warning printed to the user.
    """
    label = label or _("The image")
    if isinstance(file, bytes):
        file = io.BytesIO(file)
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(file, formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large(label) from None
    except FileNotFoundError:
        raise _not_found(label) from None
    except PermissionError:
        raise _denied(label) from None
    except (UnidentifiedImageError, *_READ_ERRORS):
        raise _unreadable(label) from None
    width, height = opened.size
    if width * height > MAX_PIXELS:
        opened.close()
        raise too_large(label)
    return opened


def is_vector(image: Image.Image) -> bool:
    """EMF and WMF pictures: Pillow can name them but not draw them here."""
    return image.format == "WMF"


def _open_and_normalize(file: Path | io.BytesIO, label: str) -> Image.Image:
    with open_image(file, label) as opened:
        return _normalize_opened(opened, label)


def _normalize_opened(image: Image.Image, label: str) -> Image.Image:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise too_large(label)
    if width == 0 or height == 0:
        raise _unreadable(label)
    try:
        with _WARNINGS_LOCK, warnings.catch_warnings():
            # Pillow's warnings (truncated EXIF, palette transparency) are not the user's business.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = _first_frame_upright(image)
            picture = _to_rgb(picture, label)
            return _enlarge_if_tiny(picture, label)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise too_large(label) from None
    except _READ_ERRORS:
        raise ImageError(
            _(
                "{label} is damaged or incomplete and cannot be read. Try saving it again as PNG or JPEG."
            ).format(label=label)
        ) from None


def _first_frame_upright(image: Image.Image) -> Image.Image:
    """A new, loaded image of the first frame, turned by its EXIF orientation; `image` keeps its frame."""
    position = image.tell() if getattr(image, "n_frames", 1) > 1 else 0
    try:
        if position:
            image.seek(0)
        image.load()
        try:
            return ImageOps.exif_transpose(image)
        except _READ_ERRORS:
            # A damaged EXIF block does not make the picture unreadable; show it as stored.
            return image.copy()
    finally:
        if position:
            image.seek(position)


def _to_rgb(image: Image.Image, label: str) -> Image.Image:
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in _DEEP_MODES:
        return _deep_to_8bit(image).convert("RGB")
    if mode == "La":
        image = image.convert("LA")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    try:
        return image.convert("RGB")
    except ValueError:
        raise ImageError(
            _(
                "{label} uses a colour format ({mode}) that cannot be read. Try saving it again as PNG or JPEG."
            ).format(label=label, mode=mode)
        ) from None


def _deep_to_8bit(image: Image.Image) -> Image.Image:
    """Map 16-bit, 32-bit integer and floating-point greyscale onto 0-255 by scaling, not clipping."""
    if image.mode.startswith("I;16"):
        scale, offset = 1 / 257, 0.0
        image = image.convert("I")
    else:
        # One band (I or F here), so the extrema are one (low, high) pair, not one pair a band.
        low, high = cast("tuple[float, float]", image.getextrema())
        if image.mode == "F" and low >= 0 and high <= 1:
            scale, offset = 255.0, 0.0
        elif low >= 0 and high <= 255:
            scale, offset = 1.0, 0.0
        elif low >= 0 and high <= 65535:
            scale, offset = 1 / 257, 0.0
        else:
            scale = 255 / (high - low) if high > low else 1.0
            offset = -low * scale
    # Adding 0.5 makes the truncation in Pillow's point transform round to the nearest level.
    return image.point(lambda value: value * scale + (offset + 0.5)).convert("L")


def _enlarge_if_tiny(image: Image.Image, label: str) -> Image.Image:
    shorter = min(image.size)
    if shorter >= MIN_SIDE:
        return image
    factor = math.ceil(MIN_SIDE / shorter)
    size = (image.width * factor, image.height * factor)
    if size[0] * size[1] > MAX_PIXELS:
        raise too_large(label)
    # Whole-number nearest-neighbour scaling keeps the proportions and the colours exact.
    return image.resize(size, Image.Resampling.NEAREST)


def _label_of_image(image: Image.Image) -> str:
    filename = getattr(image, "filename", "")
    return _("The file {name}").format(name=Path(filename).name) if filename else _("The image")


def _not_found(label: str) -> ImageError:
    return ImageError(
        _("{label} was not found. Check its name and folder and try again.").format(label=label)
    )


def _denied(label: str) -> ImageError:
    return ImageError(
        _("{label} could not be opened because permission was denied. Check who may read it.").format(
            label=label
        )
    )


def _unreadable(label: str) -> ImageError:
    return ImageError(
        _("{label} is not an image that can be read. Try saving it again as PNG or JPEG.").format(label=label)
    )


def too_large(label: str) -> ImageError:
    return ImageError(
        _(
            "{label} is too large to read safely (over {max_pixels} million pixels). Try a smaller copy of it."
        ).format(label=label, max_pixels=MAX_PIXELS // 1_000_000)
    )
