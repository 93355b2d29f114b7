"""Converting between Qt images and PIL images, in memory."""

from __future__ import annotations

from PIL import Image
from PySide6.QtGui import QImage, QPixmap


def qimage_to_pil(image: QImage) -> Image.Image:
    """An RGB PIL copy of a QImage (alpha is composited on white)."""
    converted = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = converted.width(), converted.height()
    stride = converted.bytesPerLine()
    data = bytes(converted.constBits())[: stride * height]
    rgba = Image.frombuffer("RGBA", (width, height), data, "raw", "RGBA", stride, 1)
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def pil_to_qimage(image: Image.Image) -> QImage:
    """A QImage copy of a PIL image (any mode)."""
    rgba = image.convert("RGBA")
    data = rgba.tobytes("raw", "RGBA")
    qimage = QImage(data, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888)
    return qimage.copy()


def pil_to_pixmap(image: Image.Image) -> QPixmap:
    return QPixmap.fromImage(pil_to_qimage(image))
