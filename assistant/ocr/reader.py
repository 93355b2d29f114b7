"""Reading the text on a picture with RapidOCR (its models ship in its wheel), fast enough for a screen.

Where the time went with RapidOCR's defaults on a 1920x1080 screen (measured with `assistant bench
--suite ocr`): the text detector ran on every pixel at full size, the angle classifier ran on every
line (screen text is never upside down), and each line was recognised at whatever width it had.
Here the detector sees only the part of the picture that is not plain background, scaled down so
its longer side is at most `DETECT_SIDE` (screen text stays large enough to find), and each line is
cut from the full-size picture for recognition, so nothing is lost in reading. One engine is loaded
once and kept warm; calls are serialised because RapidOCR keeps per-call switches on the instance.
Recognition is most of the time left, and the same screen is often read twice in a row (described,
then "Read the text"), so each line's pixels are remembered with what was read from them
(`RECOGNISED_LINES_KEPT` lines; a few MB at most, nothing written to disk).

The models run on OpenVINO where it is installed (a dependency on x86-64 Linux and Windows): side by
side with onnxruntime on the same models it read a full screen about 1.8x faster with no word lost,
lines recognised six at a time, sorted by width (RapidOCR's own batching). onnxruntime is the fallback,
one line at a time, which was faster than batching there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from assistant import i18n
from assistant.errors import UserError
from assistant.i18n import _
from assistant.ocr.layout import TextBlock, TextLine, reading_order
from assistant.ocr.marks import CLOSING, restore_openings
from assistant.ocr.scripts import ScriptDecoder, keep_cjk_for, plausible

MIN_SCORE = 0.5
# 12 px text on a 1920x1080 screen, the smallest common UI size: detected at 1280 pixels 411 of 440
# words were read right, at 1536 436, at 1920 439. 1536 costs about 0.1 s more than 1280 on a full
# screen (1.86 s against 1.75 s, side by side): worth it for reading word for word (BENCHMARKS.md).
DETECT_SIDE = 1536
REC_HEIGHT = 48  # the recogniser's input height
# The recogniser's time grows with the width of each line once scaled to REC_HEIGHT; a line cut a
# quarter taller than the detector's box is read as well (measured on the accuracy samples) and
# scales to a fifth less width.
REC_BOX_GROWTH = 1.25
# The detector's box sometimes leaves out a line's opening "¡" (assistant/ocr/marks.py): a line read with
# a "!" is looked at again with this much of its height more on its left.
OPENING_REACH = 0.75
# Pixels this far from the background colour (sum over the three channels) count as content.
CONTENT_TOLERANCE = 24
CONTENT_MARGIN = 8
# Content thinner than this once scaled for the detector holds no text it could find; RapidOCR would
# stretch it to its minimum side and pad it for its aspect ratio, a 29000x16 strip into a picture of
# billions of pixels (a minute's work, then ResizeImgError).
MIN_DETECT_SIDE = 8
RECOGNISED_LINES_KEPT = 512
# Lines recognised in one call, per backend (RapidOCR sorts them by width so little is padding).
# Measured on a full screen of 45 lines, side by side: OpenVINO 0.46 s in sixes, 0.58 s one at a
# time, 0.75 s in sixteens; onnxruntime 0.84 s one at a time, 1.09 s in sixes (BENCHMARKS.md).
REC_BATCH = {"openvino": 6, "onnxruntime": 1}
BACKENDS = tuple(REC_BATCH)


def default_backend() -> str:
    """OpenVINO where it is installed, else onnxruntime."""
    return "openvino" if importlib.util.find_spec("openvino") is not None else "onnxruntime"


class OcrError(UserError):
    """OCR could not run; the message is one plain sentence."""


@dataclass(frozen=True)
class TextOnImage:
    """The text on a picture, in reading order."""

    blocks: tuple[TextBlock, ...] = ()

    @property
    def lines(self) -> list[str]:
        return [line.text for block in self.blocks for line in block.lines]

    @property
    def text(self) -> str:
        """Lines joined by line breaks, blocks by a blank line."""
        return "\n\n".join(block.text for block in self.blocks)

    @property
    def words(self) -> list[str]:
        return " ".join(self.lines).split()

    def __bool__(self) -> bool:
        return bool(self.blocks)


def content_box(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) around everything that is not the background colour, or None."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]]).astype(np.int16)
    colours, counts = np.unique(border, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    # Work on a reduced copy: a content box is found as well from every fourth pixel.
    step = 4 if min(pixels.shape[:2]) >= 64 else 1
    sample = pixels[::step, ::step].astype(np.int16)
    differs = np.abs(sample - background).sum(axis=2) > CONTENT_TOLERANCE
    rows, columns = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    if rows.size == 0:
        return None
    height, width = pixels.shape[:2]
    return (
        max(int(columns[0]) * step - CONTENT_MARGIN, 0),
        max(int(rows[0]) * step - CONTENT_MARGIN, 0),
        min(int(columns[-1] + 1) * step + CONTENT_MARGIN, width),
        min(int(rows[-1] + 1) * step + CONTENT_MARGIN, height),
    )


class TextReader:
    """One warm RapidOCR engine; `read` is safe to call from any thread."""

    def __init__(self, detect_side: int = DETECT_SIDE, backend: str | None = None) -> None:
        self.detect_side = detect_side
        self.backend = backend or default_backend()
        self._engine: Any = None
        self._lock = threading.Lock()
        self._recognised: OrderedDict[bytes, tuple[str, float]] = OrderedDict()

    def forget(self) -> None:
        """Let go of the lines remembered from earlier reads (what `assistant bench` does between runs)."""
        with self._lock:
            self._recognised.clear()

    def _load(self) -> Any:
        if self._engine is None:
            try:
                self._engine = self._start(self.backend)
            except Exception as error:  # any failure to start the OCR engine is reported the same way
                if self.backend == "onnxruntime":
                    raise OcrError(
                        _(
                            "Text in pictures cannot be read because RapidOCR did not start ({error}). Reinstall the assistant."
                        ).format(error=error)
                    ) from None
                # OpenVINO installed but unable to run here (an old processor, a broken install).
                self.backend = "onnxruntime"
                return self._load()
        return self._engine

    @staticmethod
    def _start(backend: str) -> Any:
        if backend == "openvino":
            # Importing openvino imports its model converter, which sends a usage event to Intel and
            # writes a client id under ~/intel unless the user opted out. The models here are read
            # as they are, never converted, so the converter is kept out: nothing leaves the computer.
            sys.modules.setdefault("openvino.tools.ovc", None)  # type: ignore[arg-type]
        from rapidocr import EngineType, RapidOCR

        engine_type = EngineType(backend)
        engine = RapidOCR(
            params={
                "Global.log_level": "error",
                # The picture is scaled here, once; RapidOCR must not scale it again.
                "Global.max_side_len": 1 << 16,
                "Det.limit_type": "max",
                "Det.limit_side_len": 1 << 16,
                "Global.use_cls": False,
                # The same ONNX models from RapidOCR's wheel, whichever runs them.
                "Det.engine_type": engine_type,
                "Rec.engine_type": engine_type,
                "Rec.rec_batch_num": REC_BATCH[backend],
                # One read at a time, each as soon as it can.
                "EngineConfig.openvino.performance_hint": "LATENCY",
            }
        )
        # Run both models once now, so a backend that cannot run here fails here.
        blank = np.full((REC_HEIGHT, 4 * REC_HEIGHT, 3), 255, np.uint8)
        engine(blank, use_det=True, use_cls=False, use_rec=False)
        engine.recognize_txt([blank])
        # The shipped recogniser's alphabet is CJK and Latin together; its reading is kept to the
        # scripts on the screen (assistant/ocr/scripts.py).
        recogniser = engine.text_rec
        assert recogniser is not None  # loaded by recognize_txt just above
        recogniser.postprocess_op = ScriptDecoder(recogniser.postprocess_op)
        return engine

    def warm_up(self) -> None:
        """Load the detector and recogniser now, so the first real read does not pay for it."""
        picture = Image.new("RGB", (200, 60), "white")
        from PIL import ImageDraw

        ImageDraw.Draw(picture).text((10, 20), "Ready", fill="black")
        self.read(picture)

    def read(self, image: Image.Image, language: str | None = None) -> TextOnImage:
        """The text on `image` in reading order; empty when there is none. Read for a user of
        `language` (the app's language by default): CJK characters are read only for a CJK language or
        where a line is clearly CJK."""
        keep_cjk = keep_cjk_for(language or i18n.language())
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
        box = content_box(pixels)
        if box is None:
            return TextOnImage()
        with self._lock:
            engine = self._load()
            try:
                engine.text_rec.postprocess_op.keep_cjk = keep_cjk
                boxes = self._detect(engine, pixels, box)
                lines = plausible(self._recognise(engine, pixels, boxes, keep_cjk), keep_cjk)
            except Exception as error:  # RapidOCR's own errors on a picture it cannot take: this one only
                raise OcrError(
                    _(
                        "The text on this picture could not be read ({kind}); try a crop of the part with the text."
                    ).format(kind=type(error).__name__)
                ) from error
        return TextOnImage(tuple(reading_order(lines)))

    def _detect(
        self, engine: Any, pixels: np.ndarray, box: tuple[int, int, int, int]
    ) -> list[tuple[int, int, int, int]]:
        import cv2

        left, top, right, bottom = box
        content = pixels[top:bottom, left:right]
        scale = min(1.0, self.detect_side / max(content.shape[:2]))
        if min(content.shape[:2]) * scale < MIN_DETECT_SIDE:
            return []
        if scale < 1.0:
            size = (max(round(content.shape[1] * scale), 1), max(round(content.shape[0] * scale), 1))
            content = cv2.resize(content, size, interpolation=cv2.INTER_AREA)
        found = engine(content, use_det=True, use_cls=False, use_rec=False)
        boxes = getattr(found, "boxes", None)
        if boxes is None or len(boxes) == 0:
            return []
        height, width = pixels.shape[:2]
        result: list[tuple[int, int, int, int]] = []
        for quad in boxes:
            x0, y0 = quad.min(axis=0) / scale
            x1, y1 = quad.max(axis=0) / scale
            result.append(
                (
                    max(int(x0) + left, 0),
                    max(int(y0) + top, 0),
                    min(int(np.ceil(x1)) + left, width),
                    min(int(np.ceil(y1)) + top, height),
                )
            )
        return result

    def _recognise(
        self, engine: Any, pixels: np.ndarray, boxes: list[tuple[int, int, int, int]], keep_cjk: bool
    ) -> list[TextLine]:
        crops: list[tuple[tuple[int, int, int, int], bytes, np.ndarray]] = []
        for left, top, right, bottom in boxes:
            extra = round((bottom - top) * (REC_BOX_GROWTH - 1) / 2)
            rows = slice(max(top - extra, 0), bottom + extra)
            crop = pixels[rows, left:right]
            height, width = crop.shape[:2]
            if height < 2 or width < 2:
                continue
            crop = _line_picture(crop)
            # The same pixels read for a CJK user and for a Latin one are two readings; what is just
            # left of the box is part of the key, as it may hold the line's "¡".
            reach = pixels[rows, max(left - round((bottom - top) * OPENING_REACH), 0) : left]
            key = (
                hashlib.blake2b(
                    crop.tobytes(), digest_size=16, person=repr(crop.shape).encode()[:16]
                ).digest()
                + hashlib.blake2b(
                    reach.tobytes(), digest_size=8, person=repr(reach.shape).encode()[:16]
                ).digest()
                + bytes([keep_cjk])
            )
            crops.append(((left, top, right, bottom), key, crop))
        unknown = {key: (box, crop) for box, key, crop in crops if key not in self._recognised}
        if unknown:
            # RapidOCR sorts the lines by width and recognises them REC_BATCH at a time.
            result = engine.recognize_txt([crop for _box, crop in unknown.values()])
            for (key, (box, crop)), text, score in zip(
                unknown.items(), result.txts, result.scores, strict=True
            ):
                text = text.strip()
                if CLOSING in text:
                    text = self._with_openings(engine, pixels, box, crop, text)
                self._recognised[key] = (text, float(score))
        lines = []
        for box, key, _crop in crops:
            text, score = self._recognised[key]
            self._recognised.move_to_end(key)
            if text and score >= MIN_SCORE:
                lines.append(TextLine(text, box, score))
        while len(self._recognised) > RECOGNISED_LINES_KEPT:
            self._recognised.popitem(last=False)
        return lines

    @staticmethod
    def _with_openings(
        engine: Any, pixels: np.ndarray, box: tuple[int, int, int, int], crop: np.ndarray, text: str
    ) -> str:
        """`text`, read from `crop` (the line in `box`), with the "¡" its pixels show put back
        (assistant/ocr/marks.py)."""
        left, top, right, bottom = box
        extra = round((bottom - top) * (REC_BOX_GROWTH - 1) / 2)
        rows = slice(max(top - extra, 0), bottom + extra)
        reach = pixels[rows, max(left - round((bottom - top) * OPENING_REACH), 0) : left]

        def recognise(pictures: list[np.ndarray]) -> list[str]:
            return [str(read).strip() for read in engine.recognize_txt(pictures).txts]

        if (
            reach.size == 0
            or int(np.abs(reach.astype(np.int16) - reach[0, 0]).sum(axis=2).max()) <= CONTENT_TOLERANCE
        ):
            # Nothing left of the box: the line's own picture, whose reading is `text`.
            return restore_openings(text, crop, recognise, read_from_crop=True)
        return restore_openings(text, _line_picture(pixels[rows, left - reach.shape[1] : right]), recognise)


def _line_picture(crop: np.ndarray) -> np.ndarray:
    """A line's pixels scaled to the recogniser's input height."""
    import cv2

    height, width = crop.shape[:2]
    size = (max(round(width * REC_HEIGHT / height), 1), REC_HEIGHT)
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA if height > REC_HEIGHT else cv2.INTER_LINEAR)


_shared: TextReader | None = None
_shared_lock = threading.Lock()


def shared_reader() -> TextReader:
    """The one reader the process keeps warm."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TextReader()
        return _shared


def read_text(image: Image.Image) -> TextOnImage:
    """The text on `image`, in reading order, read by the shared warm reader."""
    return shared_reader().read(image)
