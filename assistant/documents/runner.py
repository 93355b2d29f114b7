"""The alt-text run: open documents, describe the images that need it (each distinct picture once,
in batches), and write each document whole, one at a time."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from assistant.documents import alttext, formats, sources
from assistant.documents.atomic import write_atomically
from assistant.documents.describing import describe_each, prepared_for, speaking, words_on
from assistant.documents.journal import DONE_NOTE, file_hash
from assistant.documents.model import Document, DocumentError, ImageOccurrence, Outcome, Status
from assistant.documents.phrases import Phrase, phrase, said, the_image
from assistant.documents.planning import plan
from assistant.documents.results import DocumentResult, RunReport
from assistant.documents.sources import SourceError
from assistant.engine.base import Cancelled, EngineError
from assistant.engine.images import ImageError, image_fingerprint, is_vector, normalize_image, open_image
from assistant.i18n import language, os_reason

if TYPE_CHECKING:
    from assistant.documents.journal import Journal
    from assistant.engine.base import Engine

log = logging.getLogger(__name__)

# Translators: the alt-text report, an image not described because the run was stopped (Control+C).
STOPPED = phrase("Stopped before this image was described; run again to finish.")
# Translators: the alt-text report; EMF, WMF and SVG are picture formats.
VECTOR = phrase("A vector picture (EMF, WMF or SVG), which cannot be described yet, so it was skipped.")
#: Largest document read, so that a run never holds more than this of one file in memory.
MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024
#: Bytes of documents held open at once while their last pictures wait for a batch to fill; past it the
#: part-filled batch is described so they can be written and let go. Small documents still share batches.
OPEN_BYTES = 32 * 1024 * 1024


def unexpected(what: str, error: BaseException) -> Phrase:
    """One sentence for a failure nobody foresaw; the traceback goes to the log."""
    log.error("Unexpected problem with %s", what, exc_info=error)
    # Translators: the alt-text report; {what} is a file name or "The image NAME", {kind} the
    # programmer's name for the problem (such as RecursionError).
    return phrase(
        "{what} could not be processed because of an unexpected problem ({kind}); the details are in the log.",
        what=what,
        kind=type(error).__name__,
    )


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) and b"<svg" in data[:4096].lower()


@dataclass
class Options:
    write: bool = False
    overwrite: bool = False
    fix_suspicious: bool = False
    min_size: int = 16
    batch_size: int = 8
    max_length: int = alttext.DEFAULT_MAX_LENGTH
    include_ocr: bool = False
    fetch_remote: bool = False
    backup: bool = True
    allow_outside: bool = False
    max_image_bytes: int = sources.DEFAULT_MAX_IMAGE_BYTES
    # the alt-text's language for every document ("es"); "": each one's declared language, else the user's
    language: str = ""


#: on_progress(images_done, images_total, documents_done, documents_total)
Progress = Callable[[int, int, int, int], None]


@dataclass
class _Open:
    result: DocumentResult
    document: Document
    stat: os.stat_result  # as read, so that a file changed meanwhile is not overwritten
    digest: str = ""  # the SHA-256 of the bytes read, where the runner keeps it (`keep_digests`)


class Runner:
    """One run over a set of documents with one engine. Without an engine it only reads: Ray Data's
    tasks open documents and gather their pictures with it (documents/ray_gather.py)."""

    keep_digests = False  # note each document's SHA-256 as read (a Ray run's writer compares it)

    def __init__(
        self,
        engine: Engine | None,
        options: Options,
        on_progress: Progress | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.engine = engine
        self.options = options
        self.journal = journal  # documents finished by an earlier run are skipped; each finished is noted
        self.on_progress = on_progress
        self.report = RunReport()
        self._alt: dict[str, str] = {}  # fingerprint -> alt-text ("" when unusable)
        self._failure: dict[str, str] = {}  # fingerprint -> why describing it failed
        self._pending: dict[str, Image.Image] = {}
        # A hash of each picture file's bytes -> its size and fingerprint: a page that shows one file
        # 100,000 times decodes it once (each decode took about 0.7 ms).
        self._seen: dict[bytes, tuple[tuple[int, int], str]] = {}
        self._waiting: dict[str, list[ImageOccurrence]] = {}
        self._images_done = 0
        self.user_language = language()  # for documents that declare none (a Ray task is told the driver's)
        self._language = self.user_language  # the alt-text's language for the document being read
        self._images_total = 0  # grows as documents are opened
        self._documents_done = 0
        self._documents_total = 0

    @property
    def images_total(self) -> int:
        return self._images_total

    def _fail(self, image: ImageOccurrence, reason: str) -> None:
        image.status, image.outcome, image.reason = Status.FAILED, Outcome.FAILED, reason
        self._advance()

    def _load(self, image: ImageOccurrence) -> None:
        try:
            self._load_checked(image)
        except (KeyboardInterrupt, Cancelled):
            raise
        except Exception as error:
            self._fail(image, unexpected(the_image(image.source), error))

    def _load_checked(self, image: ImageOccurrence) -> None:
        """Load, size-check and fingerprint one image, queueing it for the engine if it is new."""
        if image.load is None:
            # Translators: the alt-text report, an image that names no file or address to read.
            self._fail(image, image.reason or phrase("The image has no source that can be read."))
            return
        # Put into the sentence of an error, which is made in the user's language where it is raised.
        label = said(the_image(image.source))
        try:
            data = image.load()
            # The same file in a document of another language is described again, in that language.
            digest = hashlib.blake2b(data, digest_size=16).digest() if isinstance(data, bytes) else None
            key = self._language.encode() + digest if digest is not None else None
            if key in self._seen:  # the same file as an earlier picture: not decoded again
                image.size, image.fingerprint = self._seen[key]
                self._queue(image, None)
                return
            if isinstance(data, bytes) and _looks_like_svg(data):
                picture = None
            else:
                picture = data if isinstance(data, Image.Image) else open_image(data, label)
        except (SourceError, ImageError) as error:
            self._fail(image, str(error))
            return
        except (OSError, ValueError, KeyError) as error:
            # Translators: the alt-text report; {error} is the reason the system or library gave.
            self._fail(image, phrase("The image could not be read ({error}).", error=str(error)))
            return
        if picture is None or is_vector(picture):
            image.status, image.outcome, image.reason = Status.VECTOR, Outcome.SKIPPED, VECTOR
            self._advance()
            return
        image.size = picture.size
        if min(image.size) < self.options.min_size:
            image.status, image.outcome = Status.TOO_SMALL, Outcome.SKIPPED
            # Translators: the alt-text report, an image too small to describe (such as a spacer or icon).
            image.reason = phrase(
                "Smaller than {size} pixels on a side, so left alone.", size=self.options.min_size
            )
            self._advance()
            return
        try:
            normalized = normalize_image(picture, name=label)
        except ImageError as error:
            self._fail(image, str(error))
            return
        image.fingerprint = image_fingerprint(normalized)
        if key is not None:
            self._seen[key] = (image.size, image.fingerprint)
        self._queue(image, normalized)

    def _queue(self, image: ImageOccurrence, normalized: Image.Image | None) -> None:
        """Resolve an image whose picture is already described, else queue it for the engine."""
        # One picture in documents of two languages is described in each.
        image.fingerprint = fingerprint = f"{self._language}:{image.fingerprint or ''}"
        if fingerprint in self._alt or fingerprint in self._failure:
            self._resolve(image)
            return
        if normalized is not None:
            self._pending.setdefault(fingerprint, normalized)
        self._waiting.setdefault(fingerprint, []).append(image)

    # -- describing ---------------------------------------------------------------------------------

    def _describe(self, fingerprints: list[str]) -> None:
        assert self.engine is not None, "a runner without an engine only reads"
        for wanted in dict.fromkeys(f.split(":", 1)[0] for f in fingerprints):
            with speaking(self.engine, wanted) as engine:
                self._describe_in(engine, [f for f in fingerprints if f.startswith(wanted + ":")])

    def _describe_in(self, engine: Engine, fingerprints: list[str]) -> None:
        pictures = [self._pending[f] for f in fingerprints]
        started = time.perf_counter()
        try:
            prepared_for(engine, self.report.described + len(self._pending))  # described, and to be
            texts = describe_each(engine, pictures, self.options.batch_size)
        finally:
            self.report.engine_seconds += time.perf_counter() - started
        self.report.described += len(pictures)
        for fingerprint, text in zip(fingerprints, texts, strict=True):
            picture = self._pending.pop(fingerprint)
            self.settle(fingerprint, text, self._ocr(picture) if not isinstance(text, EngineError) else "")

    def settle(self, fingerprint: str, text: str | EngineError, ocr_text: str = "") -> None:
        """Note a picture's description (or why it failed) and resolve the images that show it."""
        if isinstance(text, EngineError):
            self._failure[fingerprint] = str(text)
        else:
            language = fingerprint.split(":", 1)[0]  # the alt-text's language, which starts the key
            self._alt[fingerprint] = alttext.compose(text, ocr_text, self.options.max_length, language)
        for image in self._waiting.pop(fingerprint, []):
            self._resolve(image)

    def _ocr(self, picture: Image.Image) -> str:
        if not self.options.include_ocr:
            return ""
        started = time.perf_counter()
        try:
            return words_on(picture)
        finally:
            self.report.ocr_seconds += time.perf_counter() - started

    def _resolve(self, image: ImageOccurrence) -> None:
        fingerprint = image.fingerprint or ""
        if fingerprint in self._failure:
            self._fail(image, self._failure[fingerprint])
            return
        alt = self._alt.get(fingerprint, "")
        if not alt:
            # Translators: the alt-text report, the model's description could not be used.
            self._fail(image, phrase("The description came out empty or unusable, so nothing was written."))
            return
        image.new_alt = alt
        image.outcome = Outcome.WOULD_WRITE
        self._advance()

    def _flush(self, everything: bool) -> None:
        while self._pending and (everything or len(self._pending) >= self.options.batch_size):
            self._describe(list(self._pending)[: self.options.batch_size])

    # -- writing ------------------------------------------------------------------------------------

    def _finish(self, item: _Open) -> None:
        result, document = item.result, item.document
        edits = {
            i: image.new_alt
            for i, image in enumerate(document.images)
            if image.outcome is Outcome.WOULD_WRITE and image.new_alt is not None
        }
        if self.options.write and edits:
            try:
                written = write_atomically(
                    document.path,
                    lambda out: document.save(edits, out),
                    backup=self.options.backup,
                    expected_stat=item.stat,
                )
            except (KeyboardInterrupt, Cancelled):
                raise
            except Exception as error:
                reason = (
                    str(error) if isinstance(error, DocumentError) else unexpected(document.path.name, error)
                )
                result.error = reason
                for index in edits:
                    document.images[index].outcome = Outcome.FAILED
                    document.images[index].reason = reason
            else:
                result.written = True
                result.backup, result.written_to = written.backup, written.target
                for index in edits:
                    document.images[index].outcome = Outcome.WRITTEN
        if self.journal is not None and not result.failed:
            self._note_done(item)
        for image in document.images:  # its loader holds the whole document: let it go with the document
            image.load = None
        self._documents_done += 1
        self._progress()

    def _note_done(self, item: _Open) -> None:
        assert self.journal is not None
        try:
            self.journal.record(item.result.path, file_hash(item.result.path))
        except OSError as error:  # the document is whole either way; a later run reads it again
            log.warning("The journal could not note %s (%s)", item.result.path.name, error)

    def _advance(self) -> None:
        self._images_done += 1
        self._progress()

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress(
                self._images_done, self._images_total, self._documents_done, self._documents_total
            )

    # -- the run ------------------------------------------------------------------------------------

    def open(self, path: Path) -> _Open | None:
        """Open one document (bounded read, the journal, its format's parser); None where it is not to be
        gone over, its result saying why."""
        result = DocumentResult(path)
        self.report.documents.append(result)
        try:
            stat = path.stat()
            raw = sources.read_regular_file(path, MAX_DOCUMENT_BYTES, path.name)
        except SourceError as error:
            result.error = str(error)
            return None
        except OSError as error:
            # Translators: the alt-text report; {name} is a document, {error} the system's reason.
            result.error = phrase(
                "{name} could not be read ({error}).", name=path.name, error=os_reason(error)
            )
            return None
        digest = hashlib.sha256(raw).hexdigest() if self.keep_digests else ""
        if self.journal is not None and self.journal.is_done(path, raw):
            result.notes.append(DONE_NOTE)
            return None
        access = sources.Access(self.options.allow_outside, self.options.max_image_bytes)
        try:
            document = formats.open_document(path, raw, access)
        except DocumentError as error:
            result.error = str(error)
            return None
        except (KeyboardInterrupt, Cancelled):
            raise
        except Exception as error:
            result.error = unexpected(path.name, error)
            return None
        result.format, result.images, result.notes = document.format, document.images, document.notes
        return _Open(result, document, stat, digest)

    def run(self, paths: Iterable[Path]) -> RunReport:
        """Documents stream through: each is opened when the run reaches it, its pictures are decoded one
        at a time and described a batch at a time, and it is written and let go once all are done. So
        memory holds one batch of pictures and about `OPEN_BYTES` of documents, however many there are."""
        started = time.perf_counter()
        files, problems = formats.find_documents(paths)
        for path, problem in problems:
            self.report.documents.append(DocumentResult(path, error=problem))
        self._documents_total = len(files) + len(problems)
        self._documents_done = len(problems)
        self._progress()
        unfinished: list[_Open] = []
        remaining = list(reversed(files))
        try:
            while remaining:
                self._read(remaining.pop(), unfinished)
            self._flush(everything=True)
            self._finish_ready(unfinished)
        except KeyboardInterrupt:
            self.report.interrupted = True
            for item in unfinished:
                item.result.interrupted = True
                for image in item.document.images:
                    if image.outcome in {Outcome.NOT_DONE, Outcome.WOULD_WRITE}:
                        image.outcome, image.new_alt, image.reason = Outcome.NOT_DONE, None, STOPPED
            for path in reversed(remaining):  # not opened yet: listed, so the report names what is left
                self.report.documents.append(DocumentResult(path, interrupted=True))
        self.report.wall_seconds = time.perf_counter() - started
        return self.report

    def _read(self, path: Path, unfinished: list[_Open]) -> None:
        """Open one document and send its pictures on; write the documents whose pictures are all done."""
        item = self.open(path)
        if item is None:
            self._documents_done += 1
            self._progress()
            return
        images = self._planned(item)
        self._progress()
        unfinished.append(item)
        for image in images:
            self._load(image)
            if len(self._pending) >= self.options.batch_size:
                self._flush(everything=False)
                self._finish_ready(unfinished[:-1], unfinished)  # this one still has pictures to load
        self._finish_ready(unfinished)
        if len(unfinished) > 1 and sum(held.stat.st_size for held in unfinished) > OPEN_BYTES:
            self._flush(everything=True)
            self._finish_ready(unfinished)

    def _planned(self, item: _Open) -> list[ImageOccurrence]:
        """The images of an opened document that are to be described, in the document's language."""
        images = [image for image in item.document.images if plan(image, self.options)]
        self._images_total += len(images)
        self._language = self.options.language or item.document.language or self.user_language
        return images

    def gather(self, item: _Open) -> Iterator[tuple[str, Image.Image]]:
        """Plan and load an opened document's images, yielding each distinct picture to describe (its
        fingerprint and normalized picture) as soon as it is decoded; the images showing it wait for
        `settle`. Ray Data's tasks read documents with it (documents/ray_gather.py)."""
        sent: set[str] = set()
        for image in self._planned(item):
            self._load(image)
            while self._pending:
                fingerprint, picture = self._pending.popitem()
                if fingerprint not in sent:
                    sent.add(fingerprint)
                    yield fingerprint, picture

    def _finish_ready(self, candidates: list[_Open], unfinished: list[_Open] | None = None) -> None:
        """Write every document among `candidates` whose images all have their outcome."""
        unfinished = candidates if unfinished is None else unfinished
        for item in list(candidates):
            if all(image.outcome is not Outcome.NOT_DONE for image in item.document.images):
                self._finish(item)
                unfinished.remove(item)


def run(
    paths: Iterable[Path], engine: Engine, options: Options | None = None, on_progress: Progress | None = None
) -> RunReport:
    """Run alt-text over `paths` (files and folders); see `Options`."""
    return Runner(engine, options or Options(), on_progress).run(paths)
