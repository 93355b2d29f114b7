"""The benchmark suites: one module each in `assistant.bench`, registered here and nowhere else.

A suite module gives `SCOPE` (when it runs), `KEY` (where its figures go in the JSON report), `run(bench)`
(measures, printing its figures as it goes) and `targets(figures, bench)` (each target met or missed).
See docs/benchmarks-room.md.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

if TYPE_CHECKING:
    from assistant.engine.families.blip2.engine import Blip2Engine

# `--suite` name: its module in assistant.bench, in the order their targets are printed.
SUITES = {
    "engine": "engine",
    "documents": "documents",
    "hostile": "hostile",
    "stt": "stt",
    "app": "app",
    "screen-reader": "screen_reader",
    "startup": "startup",
    "ocr": "ocr",
    "server": "server",
    "families": "families",
    "scale": "scale",
    "translation": "translation",
    "wayland": "wayland",
}

# When a suite runs in `assistant bench`:
# - "before models": first, while this process holds no model (its own processes load theirs);
# - "each precision": once for each precision of --compare, before that engine is loaded here;
# - "each engine": with the engine of each precision loaded here (bench.engine), one after another;
# - "once": after those, once.
Scope = Literal["before models", "each precision", "each engine", "once"]

# (name, value, limit, met, meaning), printed as one line under "Targets:".
Target = tuple[str, float, float, bool, str]


@dataclass
class Bench:
    """What a suite is given: the command's options, the report so far, and what is being measured."""

    args: argparse.Namespace
    report: dict[str, Any]
    precision: str = ""  # for the "each precision" and "each engine" suites
    engine: Blip2Engine | None = None  # for the "each engine" suites
    load_s: float = 0.0  # how long `engine` took to load or build


class Suite(Protocol):
    """What a suite module provides (as module-level names)."""

    SCOPE: Scope
    KEY: str  # its figures in the report: report[KEY], or report[KEY][label] for a precision's

    def run(self, bench: Bench) -> dict[str, Any]: ...

    def targets(self, figures: Any, bench: Bench) -> Iterator[Target]: ...


def load(name: str) -> Suite:
    """The suite's module, imported only when it is asked for (torch, Qt and RapidOCR are slow to load)."""
    return cast(Suite, importlib.import_module(f"assistant.bench.{SUITES[name]}"))


def target(name: str, value: float, limit: float, meaning: str, at_least: bool = False) -> Target:
    """A target met when `value` is at most `limit` (at least, with `at_least`)."""
    return (name, value, limit, value >= limit if at_least else value <= limit, meaning)


def show(figures: Mapping[str, object]) -> None:
    """Print each figure on a line of its own."""
    for key, value in figures.items():
        print(f"  {key:<42} {value}")
