"""Every way a picture comes in, kept in memory: the screen under the pointer, a rectangle of the
desktop (a region, a window), a part of a screenshot, the clipboard's image, an image file.

Each returns upright, opaque RGB that the engine takes as it is, so a picture is normalised once, here
(a region under 16 pixels high or wide is the exception: the engine enlarges it).
"""

from assistant.capture.clipboard import clipboard_image
from assistant.capture.files import open_image_file
from assistant.capture.screen import CaptureError, crop_region, grab_region, grab_screen

__all__ = [
    "CaptureError",
    "clipboard_image",
    "crop_region",
    "grab_region",
    "grab_screen",
    "open_image_file",
]
