"""Every way a picture comes in, kept in memory: the screen under the pointer, a rectangle of the
desktop (a region, a window), a part of a screenshot, the clipboard's image, an image file.

Each returns upright, opaque RGB that the engine takes as it is, so a picture is normalised once, here
(a region under 16 pixels high or wide is the exception: the engine enlarges it).
"""

from assistant.capture.blank import blank_colour, blank_message
from assistant.capture.clipboard import clipboard_image
from assistant.capture.files import open_image_file
from assistant.capture.locked import LOCKED_MESSAGE, screen_is_locked
from assistant.capture.screen import CaptureError, crop_region, grab_region, grab_screen
from assistant.capture.window import FocusedWindow, NoFocusedWindow, focused_window, grab_focused_window

__all__ = [
    "LOCKED_MESSAGE",
    "CaptureError",
    "FocusedWindow",
    "NoFocusedWindow",
    "blank_colour",
    "blank_message",
    "clipboard_image",
    "crop_region",
    "focused_window",
    "grab_focused_window",
    "grab_region",
    "grab_screen",
    "open_image_file",
    "screen_is_locked",
]
