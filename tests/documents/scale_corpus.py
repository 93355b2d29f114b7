"""The six-format corpus the Ray tests run over, and what they compare: the files and the report."""

from __future__ import annotations

import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doc_helpers import BLUE, GREEN, RED, YELLOW, png
from test_epub import build_epub
from test_office import build_docx, build_pptx
from test_pdf import tagged_pdf

from assistant.documents.ray_run import EngineRecipe
from assistant.documents.results import RunReport
from assistant.engine.base import Engine

DOCUMENTS = ["page.html", "notes.md", "letter.docx", "slides.pptx", "book.epub", "figures.pdf"]


def build_corpus(folder: Path) -> Path:
    folder.mkdir()
    for name, color in (("red", RED), ("green", GREEN), ("blue", BLUE), ("yellow", YELLOW)):
        (folder / f"{name}.png").write_bytes(png(color, (40, 30)))
    (folder / "page.html").write_text('<p><img src="red.png"> <img src="green.png" alt=""></p>\n')
    (folder / "notes.md").write_text("# Notes\n\n![](blue.png) and ![](yellow.png)\n")
    build_docx(folder / "letter.docx")
    (folder / "python-powered.png").write_bytes(png(RED, (40, 30)))
    build_pptx(folder / "slides.pptx", folder / "python-powered.png")
    build_epub(folder / "book.epub")
    (folder / "figures.pdf").write_bytes(tagged_pdf([None, "figure.png"]))
    return folder


def copy(corpus: Path, folder: Path) -> list[Path]:
    """A copy of the corpus: pypdf's PDFs differ from build to build (their /ID), so runs share one."""
    shutil.copytree(corpus, folder)
    return [folder / name for name in DOCUMENTS]


def outcome(report: RunReport) -> list[tuple[str, str, list[tuple[str, str | None, str]]]]:
    """The report without its paths' folders and its timings."""
    return [
        (
            document.path.name,
            document.error,
            [(image.outcome.value, image.new_alt, image.reason) for image in document.images],
        )
        for document in report.documents
    ]


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@dataclass(frozen=True)
class DyingOnce(EngineRecipe):
    """The tiny engine, whose actor kills its own process (SIGKILL, as the kernel's OOM killer does) in
    the middle of the run's first batch; `marker` (created at that moment) keeps the restarted actor
    alive. Sent to Ray by value: the workers cannot import the tests."""

    marker: str = ""

    def load(self) -> Engine:
        engine = super().load()
        describe_many, marker = engine.describe_many, self.marker

        def dying(images: Any, detail: Any = "brief", batch_size: int = 8) -> list[str]:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return describe_many(images, detail, batch_size)
            os.kill(os.getpid(), signal.SIGKILL)
            raise AssertionError("not reached")

        engine.describe_many = dying  # type: ignore[method-assign]
        return engine


@dataclass(frozen=True)
class NotingBatches(EngineRecipe):
    """The tiny engine, whose actor notes how many pictures each call of the model got, a line each in
    the file `log`. Sent to Ray by value, as `DyingOnce`."""

    log: str = ""

    def load(self) -> Engine:
        engine = super().load()
        describe_many, log = engine.describe_many, self.log

        def noting(images: Any, detail: Any = "brief", batch_size: int = 8) -> list[str]:
            with open(log, "a", encoding="utf-8") as file:
                file.write(f"{len(images)}\n")
            return describe_many(images, detail, batch_size)

        engine.describe_many = noting  # type: ignore[method-assign]
        return engine


def described(rows: list[dict[str, Any]], text: str = "a red square") -> list[dict[str, Any]]:
    """The gathered rows as an actor sends them back: a description instead of the picture."""
    return [
        {
            "doc": row["doc"],
            "key": row["key"],
            "text": text,
            "failed": False,
            "ocr": "",
            "record": row["record"],
        }
        for row in rows
    ]
