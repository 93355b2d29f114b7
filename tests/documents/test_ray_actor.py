"""What made one Ray actor slower than the single process, each fixed and checked without Ray (fast):
the actor's torch work on one thread, a document's record on its last picture's row (not a row of its
own that takes a picture's place in a batch), and the progress bar moving with each picture described.
Ray Data's calls are made as it makes them: the actor built on one thread and called on another."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from doc_helpers import BLUE, GREEN, RED, YELLOW, png
from scale_corpus import described

from assistant.documents.ray_gather import gather
from assistant.documents.ray_pipeline import RayRunner, _Arrived
from assistant.documents.ray_run import Describer, EngineRecipe, Pool, pool_for
from assistant.documents.runner import Options
from assistant.engine.base import Engine


class ThreadNoting(Engine):
    """An engine that notes the thread of each call that would run torch."""

    def __init__(self) -> None:
        self.threads = {threading.get_ident()}  # built (the model loaded) on this one

    def describe(self, image: Any, detail: Any = "brief", on_text: Any = None, cancel: Any = None) -> str:
        self.threads.add(threading.get_ident())
        return "a square"

    def ask(self, image: Any, question: str, *args: Any, **kwargs: Any) -> str:
        return self.describe(image)

    def describe_many(self, images: Any, detail: Any = "brief", batch_size: int = 8) -> list[str]:
        return [self.describe(image, detail) for image in images]

    @property
    def summary(self) -> str:
        return "notes threads"


class ThreadNotingRecipe(EngineRecipe):
    def load(self) -> Engine:
        return ThreadNoting()


def page(folder: Path, name: str = "page.html", colors: tuple[Any, ...] = (RED, GREEN, BLUE, YELLOW)) -> Path:
    tags = []
    for index, color in enumerate(colors):
        (folder / f"{name}-{index}.png").write_bytes(png(color, (40, 30)))
        tags.append(f'<img src="{name}-{index}.png">')
    path = folder / name
    path.write_text(f'<html lang="en"><body>{"".join(tags)}</body></html>')
    return path


def as_batch(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_the_actor_loads_and_describes_on_one_thread_though_ray_data_calls_it_on_another(
    tmp_path: Path,
) -> None:
    """Ray Data builds the actor on its process's main thread and calls it on a thread of its own; the
    engine must be loaded and run on one thread, or a load that computes (an int8 model quantized on
    first use) leaves torch's OpenMP two pools of helper threads on the actor's cores (they sleep where
    one pool's spin: the app's first word was 15 % slower so)."""
    rows = list(gather({"doc": 0, "path": str(page(tmp_path))}, Options(), "en"))
    actor = Describer(ThreadNotingRecipe(), batch_size=4, include_ocr=False)
    with ThreadPoolExecutor(max_workers=1) as ray_datas_thread:
        described = ray_datas_thread.submit(actor, as_batch(rows)).result()
    engine = actor.engine
    assert isinstance(engine, ThreadNoting)
    assert len(engine.threads) == 1, "the engine was loaded on one thread and run on another"
    assert threading.get_ident() not in engine.threads  # nor on Ray Data's threads
    assert [text for key, text in zip(described["key"], described["text"], strict=True) if key] == [
        "a square"
    ] * 4


def test_a_documents_record_rides_on_its_last_pictures_row(tmp_path: Path) -> None:
    """A document of four pictures is four rows, so a batch of four rows is four pictures (a record row
    of its own made it 4 + 1 rows: a batch of three pictures and one of one, twice the model's calls)."""
    rows = list(gather({"doc": 0, "path": str(page(tmp_path))}, Options(), "en"))
    assert [bool(row["key"]) for row in rows] == [True] * 4
    assert [bool(row["record"]) for row in rows] == [False, False, False, True]
    (tmp_path / "done").mkdir()
    nothing = page(tmp_path / "done", colors=())  # nothing to describe: the record alone
    (alone,) = gather({"doc": 1, "path": str(nothing)}, Options(), "en")
    assert alone["key"] == "" and alone["record"]


def test_the_progress_bar_moves_with_each_picture_described_not_each_document_written(tmp_path: Path) -> None:
    """The bar counts pictures as their batches come back, before their document can be written, and
    ends where the single process's ends: every image, every document."""
    shown: list[tuple[int, int, int, int]] = []
    runner = RayRunner(EngineRecipe(), Options(), on_progress=lambda *done: shown.append(done))
    runner._documents_total = 1
    path = page(tmp_path)
    rows = described(list(gather({"doc": 0, "path": str(path)}, Options(), "en")), "a square")
    here = _Arrived()
    for row in rows[:2]:
        runner._take(here, row)
    assert shown[-1] == (2, 2, 0, 1)  # two pictures described; the document's record is still to come
    for row in rows[2:] + rows:  # the rest, then a retried batch's rows again: each picture counts once
        runner._take(here, row)
    assert shown[-1] == (4, 4, 0, 1)
    runner._write(path, here)
    assert shown[-1] == (4, 4, 1, 1)
    assert [done[0] for done in shown] == sorted(done[0] for done in shown)  # never back


def test_a_picture_shown_twice_and_a_skipped_image_count_once_each(tmp_path: Path) -> None:
    """Images that show one picture are described once; the bar counts the picture when it comes back
    and its other images when the document is written, so it ends at every image."""
    (tmp_path / "red.png").write_bytes(png(RED, (40, 30)))
    (tmp_path / "dot.png").write_bytes(png(RED, (4, 4)))
    path = tmp_path / "page.html"
    images = '<img src="red.png"><img src="red.png"><img src="dot.png"><img src="red.png" alt="">'
    path.write_text(f'<html lang="en"><body>{images}</body></html>')
    shown: list[tuple[int, int, int, int]] = []
    runner = RayRunner(EngineRecipe(), Options(), on_progress=lambda *done: shown.append(done))
    runner._documents_total = 1
    here = _Arrived()
    for row in described(list(gather({"doc": 0, "path": str(path)}, Options(), "en")), "a square"):
        runner._take(here, row)
    assert shown[-1] == (1, 3, 0, 1)  # one picture described of the three images to describe
    runner._write(path, here)
    assert shown[-1] == (3, 3, 1, 1)
    assert [image.new_alt for image in runner.report.documents[0].images[:2]] == ["A square."] * 2


class TwoCores:
    """What `pool_for` asks of Ray: a one-node cluster of two CPUs."""

    def cluster_resources(self) -> dict[str, float]:
        return {"CPU": 2.0}

    def nodes(self) -> list[dict[str, Any]]:
        return [{"Alive": True, "Resources": {"CPU": 2.0}}]


def test_no_more_actors_than_documents_each_with_its_share_of_the_cpus() -> None:
    """Ray Data sends a document's pictures to one actor: a second actor for one document loaded a
    second engine for nothing (on two cores, beside the one at work) and Ray Data warned of it."""
    assert pool_for(TwoCores(), 2, documents=1) == Pool(actors=1, gpus=0, cpus=2)
    assert pool_for(TwoCores(), 2, documents=6) == Pool(actors=2, gpus=0, cpus=1)
    assert pool_for(TwoCores(), 0, documents=6) == Pool(actors=1, gpus=0, cpus=2)
