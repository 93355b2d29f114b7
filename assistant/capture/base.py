"""What every capture backend shares: the error it raises, the geometry it takes, the interface it offers."""

from __future__ import annotations

from typing import Protocol

from PIL import Image

from assistant.errors import UserError
from assistant.i18n import _

Geometry = tuple[int, int, int, int]
"""left, top, width, height in desktop coordinates."""


class CaptureError(UserError):
    """The screen could not be captured; the message is one sentence saying what to do."""


class CaptureBackend(Protocol):
    """One way to take pictures of the desktop; `assistant.capture.backends` chooses among them."""

    name: str
    """As the settings and `doctor` name it: "mss", "grim", "portal"."""
    title: str
    """What `doctor` says it is, in a few words."""

    def problem(self) -> str | None:
        """Why it cannot capture here (one sentence saying what to do), or None where it can."""

    def grab_screen(self, at: tuple[int, int] | None = None) -> Image.Image:
        """The monitor containing `at` (the pointer), or the primary one; the whole desktop where monitors
        cannot be told apart."""

    def grab_region(self, region: Geometry) -> Image.Image:
        """A rectangle of the desktop, the part outside every monitor cut off."""


def clip(region: Geometry, bounds: Geometry) -> Geometry:
    """`region` cut to `bounds`; an empty region, or one wholly outside, is a CaptureError."""
    left, top, width, height = region
    if width <= 0 or height <= 0:
        raise CaptureError(_("The chosen region is empty. Choose a region at least one pixel wide and high."))
    right = min(left + width, bounds[0] + bounds[2])
    bottom = min(top + height, bounds[1] + bounds[3])
    left, top = max(left, bounds[0]), max(top, bounds[1])
    if right <= left or bottom <= top:
        raise CaptureError(_("The chosen region lies outside the screen. Choose a region on the screen."))
    return (left, top, right - left, bottom - top)


def crop_region(screenshot: Image.Image, left: int, top: int, width: int, height: int) -> Image.Image:
    """A rectangle of a screenshot already taken (in its pixels), cut to the screenshot like `grab_region`."""
    left, top, width, height = clip((left, top, width, height), (0, 0, *screenshot.size))
    return screenshot.crop((left, top, left + width, top + height))


def opaque_rgb(image: Image.Image) -> Image.Image:
    """A decoded screenshot as the opaque RGB the engine takes (portals and grim hand over RGBA PNGs)."""
    if image.mode == "RGB":
        return image
    if "A" in image.getbands():
        background = Image.new("RGB", image.size, (0, 0, 0))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")
