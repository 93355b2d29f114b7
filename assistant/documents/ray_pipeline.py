"""`alt-text --ray`: documents are read and their pictures gathered as Ray Data tasks
(documents/ray_gather.py), the pictures described with `map_batches` on a pool of actors that each load
the engine once (ray_run.Describer), and every result comes back to this process, where the
single-machine `Runner` writes each document: one code path for writing (containment, bounded reads,
backups, atomic writes, the journal, the report).

The writer reads each document again before writing it and compares its SHA-256 with the task's, so a
document changed meanwhile is reported, not overwritten. A retried batch (its actor died) may send a
row twice; the writer takes each document's rows once and writes each document once.
"""

from __future__ import annotations

import logging
import pickle
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.documents import formats
from assistant.documents.journal import DONE_NOTE, file_hash
from assistant.documents.model import Outcome
from assistant.documents.ray_gather import Gathered, gather
from assistant.documents.ray_run import LOCAL, RETRIES, Describer, EngineRecipe, pool_for, session
from assistant.documents.results import DocumentResult, RunReport
from assistant.documents.runner import Options, Progress, Runner
from assistant.engine.base import EngineError
from assistant.errors import UserError
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.documents.journal import Journal

log = logging.getLogger(__name__)


@dataclass
class _Arrived:
    """What has come back for one document: its record, and each picture's description; how many
    pictures the progress bar counted as they came, and how many of them came before the record."""

    record: Gathered | None = None
    texts: dict[str, tuple[str, bool, str]] = field(default_factory=dict)  # key -> (text, failed, ocr)
    counted: int = 0
    early: int = 0

    @property
    def complete(self) -> bool:
        return self.record is not None and len(self.texts) >= self.record.pictures


class RayRunner(Runner):
    """The run on Ray: `run` as the single-machine runner's, the reading and describing on Ray."""

    keep_digests = True

    def __init__(
        self,
        recipe: EngineRecipe,
        options: Options,
        on_progress: Progress | None = None,
        journal: Journal | None = None,
        address: str = LOCAL,
        actors: int = 0,
    ) -> None:
        super().__init__(None, options, on_progress, journal)
        self.recipe, self.address, self.actors = recipe, address, actors
        self._counted = 0  # images of the document being written that the bar counted already

    def run(self, paths: Iterable[Path]) -> RunReport:
        started = time.perf_counter()
        files, problems = formats.find_documents(paths)
        self._documents_total = len(files) + len(problems)
        todo: dict[int, Path] = {}
        for doc, path in enumerate(files):
            if self._finished_before(path):
                self.report.documents.append(DocumentResult(path, notes=[DONE_NOTE]))
            else:
                todo[doc] = path
        self._documents_done = len(files) - len(todo) + len(problems)
        self._progress()
        try:
            if todo:
                self._run_on_ray(todo)
        except KeyboardInterrupt:
            self.report.interrupted = True
            opened = {result.path: result for result in self.report.documents}
            for path in todo.values():  # not written: listed, so the report names what is left
                result = opened.get(path)
                if result is None:
                    self.report.documents.append(DocumentResult(path, interrupted=True))
                elif not result.written:  # stopped while it was being written: left as it was
                    result.interrupted = True
        place = {path: doc for doc, path in enumerate(files)}
        self.report.documents.sort(key=lambda result: place.get(result.path, -1))
        self.report.documents[:0] = [DocumentResult(path, error=problem) for path, problem in problems]
        self.report.wall_seconds = time.perf_counter() - started
        return self.report

    def _finished_before(self, path: Path) -> bool:
        """Whether the journal has `path` as it is now: not sent to Ray at all."""
        if self.journal is None:
            return False
        try:
            return self.journal.has(path, file_hash(path))
        except OSError:  # the task that reads it says why
            return False

    def _run_on_ray(self, todo: dict[int, Path]) -> None:
        arrived: dict[int, _Arrived] = {}
        with session(self.address) as ray:
            rows: Iterator[dict[str, Any]] = iter(())
            try:
                rows = self._pipeline(ray, todo)  # Ray Data starts the actors here, and waits for them
                for row in rows:
                    doc = int(row["doc"])
                    if doc not in todo:  # a retried batch's row for a document already written
                        continue
                    here = arrived.setdefault(doc, _Arrived())
                    self._take(here, row)
                    if here.complete:
                        self._write(todo[doc], here)
                        del todo[doc], arrived[doc]
            except ray.exceptions.RayError as error:
                raise _ray_failed(error) from None
            finally:
                close = getattr(rows, "close", None)
                if close is not None:
                    close()

    def _pipeline(self, ray: Any, todo: dict[int, Path]) -> Iterator[dict[str, Any]]:
        import ray.data

        for handler in logging.getLogger("ray.data").handlers:  # its log file keeps every line
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                # the terminal's lines would break the bar (a file handler is a stream handler too)
                handler.setLevel(logging.CRITICAL + 1)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the run's own bar says documents, pictures and pictures/s
        items = [{"doc": doc, "path": str(path)} for doc, path in todo.items()]
        pool = pool_for(ray, self.actors, documents=len(items))
        data = ray.data.from_items(items, override_num_blocks=len(items))  # a task a document
        # Reading takes no whole CPU (the actors may hold every CPU: --concurrency 2 on two cores);
        # a pool as big as the CPUs bounds how many documents are open at once. No bigger than the
        # documents: Ray Data warns on the terminal of a pool it cannot fill.
        readers = min(len(items), int(ray.cluster_resources().get("CPU", 1)))
        data = data.flat_map(
            gather,
            fn_kwargs={"options": self.options, "user_language": self.user_language},
            compute=ray.data.TaskPoolStrategy(size=max(1, readers)),
            num_cpus=0,
        )
        with warnings.catch_warnings():
            # Ray Data's default restarts a dead actor forever; RETRIES bounds an engine that always dies.
            warnings.simplefilter("ignore", DeprecationWarning)
            described = data.map_batches(
                Describer,
                fn_constructor_kwargs={
                    "recipe": self.recipe,
                    "batch_size": self.options.batch_size,
                    "include_ocr": self.options.include_ocr,
                },
                batch_size=self.options.batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=pool.actors),
                num_cpus=pool.cpus,
                num_gpus=pool.gpus,
                max_restarts=RETRIES,
                max_task_retries=RETRIES,
            )
        return _rows(ray, described.iter_internal_ref_bundles())

    def _take(self, here: _Arrived, row: dict[str, Any]) -> None:
        """Note a row that came back. The bar moves with each picture described, as batches come back,
        not with each document written: a picture counts once, however many images show it."""
        key, record = str(row["key"]), bytes(row["record"])
        if key and key not in here.texts:
            here.texts[key] = (str(row["text"]), bool(row["failed"]), str(row["ocr"]))
            here.counted += 1
            self._images_done += 1
            if here.record is None:  # the record that counts the document's images is still to come
                here.early += 1
                self._images_total += 1
        if record and here.record is None:
            here.record = pickle.loads(record)  # written by this run's own tasks
            self._images_total += here.record.planned - here.early
        self._progress()

    def _write(self, path: Path, here: _Arrived) -> None:
        """Write one document through the single-machine writer, with the descriptions that came back."""
        record = here.record
        assert record is not None
        waiting = sum(1 for state in record.images if state.outcome is Outcome.NOT_DONE)
        self._images_done += record.planned - waiting  # settled by the task: skipped, too small, failed
        self._counted = here.counted
        try:
            self._write_described(path, record, here, waiting)
        finally:
            self._counted = 0

    def _write_described(self, path: Path, record: Gathered, here: _Arrived, waiting: int) -> None:
        if not record.opened:
            self.report.documents.append(DocumentResult(path, error=record.error, notes=record.notes))
            return self._done_without_writing()
        item = self.open(path)
        if item is None:  # unreadable now, or finished meanwhile: its result says so
            self._images_done += waiting - here.counted
            return self._done_without_writing()
        if item.digest != record.digest or len(item.document.images) != len(record.images):
            item.result.error = _(
                "{name} changed while it was being worked on, so it was left unchanged."
            ).format(name=path.name)
            self._images_done += waiting - here.counted
            return self._done_without_writing()
        for image, state in zip(item.document.images, record.images, strict=True):
            state.apply(image)
            if image.outcome is Outcome.NOT_DONE and image.fingerprint:
                self._waiting.setdefault(image.fingerprint, []).append(image)
        for key, (text, failed, words) in here.texts.items():
            self.report.described += 1
            self.settle(key, EngineError(text) if failed else text, words)
        for image in item.document.images:  # none should be left; if one is, it fails, not hangs
            if image.outcome is Outcome.NOT_DONE and image.fingerprint is not None:
                self._waiting.pop(image.fingerprint, None)
                self._resolve(image)
        self._finish(item)

    def _advance(self) -> None:
        if self._counted:  # an image of a picture the bar counted when its description came back
            self._counted -= 1
            return
        super()._advance()

    def _done_without_writing(self) -> None:
        self._documents_done += 1
        self._progress()


def _rows(ray: Any, bundles: Iterator[Any]) -> Iterator[dict[str, Any]]:
    """The rows of the described blocks as they come. Not `iter_rows`: its prefetching thread outlives
    an iterator closed early (a stopped run) and stays parked for the life of the process."""
    from ray.data.block import BlockAccessor

    for bundle in bundles:
        for entry in bundle.blocks:
            yield from BlockAccessor.for_block(ray.get(entry.ref)).iter_rows(public_row_format=True)


def _ray_failed(error: Exception) -> UserError:
    """One sentence for a Ray failure: the engine's own where loading it failed on an actor."""
    cause: Any = error
    while cause is not None:
        if isinstance(cause, UserError):
            return EngineError(str(cause))
        cause = getattr(cause, "cause", None) or cause.__cause__
    log.error("Ray could not finish the run", exc_info=error)
    return EngineError(
        _("Ray could not describe these pictures ({kind}); run again to finish them.").format(
            kind=type(error).__name__
        )
    )
