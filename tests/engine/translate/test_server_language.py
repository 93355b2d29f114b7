"""A model server's chat model is asked for its answer in the user's language (nothing translates it)."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

from assistant.engine import load_engine
from assistant.engine.server import DESCRIBE_PROMPTS, ServerChoice, ServerEngine


def asked(engine: ServerEngine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    texts: list[str] = []

    def complete(messages: list[dict[str, Any]], *args: object) -> str:
        texts.append(" ".join(p["text"] for p in messages[-1]["content"] if p.get("type") == "text"))
        return "ok"

    monkeypatch.setattr(engine, "_complete", complete)
    image = Image.new("RGB", (8, 8))
    engine.describe(image)
    engine.ask(image, "¿Qué dice?")
    return texts


def test_the_server_is_asked_in_the_users_language(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = load_engine(server=ServerChoice("http://127.0.0.1:9", "", False), language="es")
    assert isinstance(engine, ServerEngine)
    describe, ask = asked(engine, monkeypatch)
    assert describe.endswith("Answer in Spanish.")
    assert "¿Qué dice? Answer in Spanish." in ask


def test_in_english_the_server_prompt_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = load_engine(server=ServerChoice("http://127.0.0.1:9", "", False), language="en")
    assert isinstance(engine, ServerEngine)
    describe, ask = asked(engine, monkeypatch)
    assert describe == DESCRIBE_PROMPTS["brief"]
    assert "Spanish" not in ask and "English." not in ask
