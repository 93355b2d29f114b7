"""The Ray run's writer without Ray: what a task gathered and an actor described, written here by the
single-machine writer; a document changed after its task read it is left alone; a row sent twice (a
retried batch) changes nothing. Fast: the task's and actor's rows are made as Ray Data would pass them."""

from __future__ import annotations

from pathlib import Path

from doc_helpers import RED, png
from scale_corpus import described

from assistant.documents.model import Outcome
from assistant.documents.ray_gather import gather
from assistant.documents.ray_pipeline import RayRunner, _Arrived
from assistant.documents.ray_run import EngineRecipe
from assistant.documents.runner import Options


def arrived(runner: RayRunner, path: Path) -> _Arrived:
    here = _Arrived()
    for row in described(list(gather({"doc": 0, "path": str(path)}, runner.options, "en"))) * 2:  # twice
        runner._take(here, row)
    assert here.complete
    return here


def page(folder: Path) -> Path:
    (folder / "red.png").write_bytes(png(RED, (40, 30)))
    path = folder / "page.html"
    path.write_text('<html lang="en"><body><img src="red.png"><img src="red.png" alt="x.png"></body></html>')
    return path


def test_what_came_back_is_written_by_the_single_machine_writer(tmp_path: Path) -> None:
    path = page(tmp_path)
    runner = RayRunner(EngineRecipe(), Options(write=True, fix_suspicious=True))
    runner._write(path, arrived(runner, path))
    (result,) = runner.report.documents
    assert result.written and result.backup is not None and not result.failed
    assert [image.outcome for image in result.images] == [Outcome.WRITTEN, Outcome.WRITTEN]
    assert path.read_text().count('alt="A red square."') == 2


def test_a_document_changed_after_its_task_read_it_is_left_alone(tmp_path: Path) -> None:
    path = page(tmp_path)
    runner = RayRunner(EngineRecipe(), Options(write=True))
    here = arrived(runner, path)
    path.write_text(path.read_text() + "<p>edited meanwhile</p>")
    before = path.read_bytes()
    runner._write(path, here)
    (result,) = runner.report.documents
    assert result.error == "page.html changed while it was being worked on, so it was left unchanged."
    assert not result.written and path.read_bytes() == before
