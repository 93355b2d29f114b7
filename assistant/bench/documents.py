"""`--suite documents`: throughput of the alt-text run, images per second batched vs one by one, and
the run's overhead beyond the engine's own time (loading, hashing, parsing and writing documents)."""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from assistant.bench.suites import Bench, Scope, Target
from assistant.documents import runner

if TYPE_CHECKING:
    from assistant.engine.base import Engine

IMAGES_PER_DOCUMENT = 4


def make_corpus(folder: Path, n_images: int, size: tuple[int, int] = (320, 240), seed: int = 0) -> list[Path]:
    """HTML documents holding `n_images` distinct pictures without alt-text, four to a document."""
    rng = random.Random(seed)
    documents: list[Path] = []
    for start in range(0, n_images, IMAGES_PER_DOCUMENT):
        names = []
        for index in range(start, min(start + IMAGES_PER_DOCUMENT, n_images)):
            name = f"image{index:04d}.png"
            picture = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
            picture.paste(tuple(rng.randrange(256) for _ in range(3)), (0, 0, size[0] // 2, size[1] // 2))
            picture.save(folder / name)
            names.append(name)
        document = folder / f"page{start // IMAGES_PER_DOCUMENT:04d}.html"
        body = "\n".join(f'<p>Figure {name}: <img src="{name}"></p>' for name in names)
        document.write_text(
            f"<!doctype html>\n<html><head><title>Bench</title></head><body>\n{body}\n</body></html>\n"
        )
        documents.append(document)
    return documents


def _timed_run(engine: Engine, n_images: int, batch_size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="alt-text-bench-") as folder:
        make_corpus(Path(folder), n_images)
        started = time.perf_counter()
        report = runner.run(
            [Path(folder)], engine, runner.Options(write=True, batch_size=batch_size, backup=True)
        )
        wall = time.perf_counter() - started
    counts = report.counts()
    overhead = max(wall - report.engine_seconds, 0.0)
    return {
        "batch_size": batch_size,
        "images": n_images,
        "written": counts.get("written", 0),
        "failed": counts.get("failed", 0),
        "wall_s": round(wall, 3),
        "engine_s": round(report.engine_seconds, 3),
        "images_per_s": round(n_images / wall, 3) if wall else 0.0,
        "overhead_pct": round(100 * overhead / wall, 2) if wall else 0.0,
    }


def bench_documents(engine: Engine, n_images: int = 32, batch_size: int = 8) -> dict[str, Any]:
    """Run alt-text over a folder of HTML documents with `n_images` pictures, batched and one by one.

    `overhead_pct` is the share of the run's wall time spent outside `engine.describe_many`
    (the goal is under 10%).
    """
    batched = _timed_run(engine, n_images, batch_size)
    single = _timed_run(engine, n_images, 1)
    return {
        "engine": engine.summary,
        "n_images": n_images,
        "documents": -(-n_images // IMAGES_PER_DOCUMENT),
        "batched": batched,
        "one_by_one": single,
        "speedup": round(batched["images_per_s"] / single["images_per_s"], 2)
        if single["images_per_s"]
        else None,
    }


# -- the suite: `--suite documents` ------------------------------------------------------------------

SCOPE: Scope = "each engine"
KEY = "documents"


def run(bench: Bench) -> dict[str, Any]:
    assert bench.engine is not None  # an "each engine" suite
    documents = bench_documents(bench.engine, n_images=bench.args.images, batch_size=bench.args.batch)
    print(f"  alt-text for {documents['n_images']} images in {documents['documents']} documents:")
    for mode in ("batched", "one_by_one"):
        details = ", ".join(f"{key} {value}" for key, value in documents[mode].items())
        print(f"    {mode.replace('_', ' ')}: {details}")
    return documents


def targets(figures: object, bench: Bench) -> Iterator[Target]:
    yield from ()  # figures to compare, no limits
