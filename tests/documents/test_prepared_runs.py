"""A run of alt-text with several pictures finishes the engine's preparing work first (`prepared_for`:
packing an int8 model for this processor, which the app does while idle), in one process and in each Ray
actor; a run of one or two pictures is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from doc_helpers import BLUE, GREEN, RED, YELLOW, RecordingEngine, png
from test_ray_actor import ThreadNoting, ThreadNotingRecipe, as_batch, page

from assistant.documents.ray_gather import gather
from assistant.documents.ray_run import Describer
from assistant.documents.runner import Options, run


class Steps:
    """Preparing work of three steps that notes how many batches the engine had described at each."""

    def __init__(self, described: Callable[[], int]) -> None:
        self.left, self._described = 3, described
        self.seen: list[int] = []

    def step(self) -> bool:
        self.seen.append(self._described())
        self.left = max(0, self.left - 1)
        return self.left > 0


def _html(folder: Path, colors: tuple) -> Path:
    tags = []
    for index, color in enumerate(colors):
        (folder / f"p{index}.png").write_bytes(png(color, (40, 30)))
        tags.append(f'<img src="p{index}.png">')
    path = folder / "page.html"
    path.write_text(f'<html lang="en"><body>{"".join(tags)}</body></html>')
    return path


def test_a_run_of_several_pictures_prepares_the_engine_before_it_describes(tmp_path: Path) -> None:
    engine = RecordingEngine()
    engine.idle_work = steps = Steps(lambda: len(engine.batches))
    report = run([_html(tmp_path, (RED, GREEN, BLUE, YELLOW, "white"))], engine)
    assert report.described == 5
    assert steps.left == 0 and steps.seen == [0, 0, 0]  # all of it, before the first batch


def test_a_run_of_two_pictures_is_not_held_up(tmp_path: Path) -> None:
    engine = RecordingEngine()
    engine.idle_work = steps = Steps(lambda: len(engine.batches))
    report = run([_html(tmp_path, (RED, GREEN))], engine)
    assert report.described == 2
    assert steps.seen == []


def test_each_ray_actor_prepares_its_engine_once_it_has_several_pictures(tmp_path: Path) -> None:
    rows = list(gather({"doc": 0, "path": str(page(tmp_path))}, Options(), "en"))  # four pictures
    actor = Describer(ThreadNotingRecipe(), batch_size=4, include_ocr=False)
    engine = actor.engine
    assert isinstance(engine, ThreadNoting)
    engine.idle_work = steps = Steps(lambda: 0)
    actor(as_batch(rows[:2]))
    assert steps.seen == []  # two pictures so far
    actor(as_batch(rows[2:]))
    assert steps.left == 0 and len(steps.seen) == 3
