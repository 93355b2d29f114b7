"""Reading the text visible in an image with RapidOCR (models ship inside its wheel)."""

from __future__ import annotations

import threading
from typing import Any

from PIL import Image

from assistant.errors import UserError

_lock = threading.Lock()
_reader: Any = None
MIN_SCORE = 0.6


class OcrError(UserError):
    """OCR could not run; the message is one plain sentence."""


def _get_reader() -> Any:
    global _reader
    with _lock:
        if _reader is None:
            try:
                from rapidocr import RapidOCR

                _reader = RapidOCR(params={"Global.log_level": "error"})
            except Exception as error:  # any failure to start the OCR engine is reported the same way
                raise OcrError(
                    f"Text in images cannot be read because RapidOCR did not start ({error})."
                ) from None
        return _reader


def read_text(image: Image.Image) -> str:
    """The text in `image`, lines joined with spaces; "" when there is none."""
    import numpy as np

    result = _get_reader()(np.asarray(image.convert("RGB")))
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or (1.0,) * len(texts)
    return " ".join(
        text.strip()
        for text, score in zip(texts, scores, strict=False)
        if text.strip() and score >= MIN_SCORE
    )
