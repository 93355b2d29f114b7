"""Getting the picture to describe: screen grabs with mss and image files, always kept in memory."""

from assistant.capture.files import open_image_file
from assistant.capture.screen import CaptureError, grab_region, grab_screen, monitor_geometries

__all__ = [
    "CaptureError",
    "grab_region",
    "grab_screen",
    "monitor_geometries",
    "open_image_file",
]
