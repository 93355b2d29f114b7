"""What the model sees and says: BLIP-2 behind one small interface. No Qt here.

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
    """Load a BLIP-2 model (hub id or local folder), downloading it with progress if it is missing.

    `progress` draws a bar on the terminal; `on_progress` receives the progress in words.
    """
    from assistant.engine.blip2 import Blip2Engine

    return Blip2Engine.load(
        model or DEFAULT_MODEL, device=device, precision=precision, progress=progress, on_progress=on_progress
    )
