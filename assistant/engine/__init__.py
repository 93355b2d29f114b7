"""What the model sees and says: each model family behind one small interface. No Qt here.

Importing this package is cheap; torch and transformers load when an engine is created.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.engine.base import Cancelled, Detail, Engine, EngineError, Turn
from assistant.engine.models import DEFAULT_MODEL

__all__ = ["DEFAULT_MODEL", "Cancelled", "Detail", "Engine", "EngineError", "Turn", "load_engine"]


def load_engine(
    model: str | None = None,
    device: str = "auto",
    precision: str = "auto",
    progress: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> Engine:
    """Load a model (hub id or local folder) of a family we run, downloading it with progress if it is
    missing. The family is read from the checkpoint's config.json before anything is loaded or prepared.

    `progress` draws a bar on the terminal; `on_progress` receives the progress in words.
    """
    from assistant.engine.families import family_of
    from assistant.engine.models import ensure_model

    name = model or DEFAULT_MODEL
    folder = ensure_model(name, progress=progress, on_progress=on_progress)
    family = family_of(folder)
    return family.engine_class().load(
        folder, name, device=device, precision=precision, on_progress=on_progress
    )
