"""A model server (`--server`) and Ray's actors (`--ray`) describe each document's pictures in the
document's own language, as the single-process run with a local model does (issue 23): a Spanish page
asks the server for Spanish, an English one for English, whatever the user's language. No server and no
Ray here: the server engine records what it would send, and Ray's actor is called as Ray Data calls it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from doc_helpers import RED, png
from PIL import Image

from assistant.documents.ray_gather import gather
from assistant.documents.ray_run import Describer, EngineRecipe
from assistant.documents.runner import Options, Runner
from assistant.engine.base import Engine
from assistant.engine.families import Family
from assistant.engine.server import ServerChoice, ServerEngine
from assistant.engine.server_fallback import ServerWithFallback
from assistant.engine.server_stream import ServerDown
from assistant.engine.translate import answer_in


class RecordingServer(ServerEngine):
    """A server engine that records each request's prompt instead of sending it."""

    def __init__(self, answer_language: str = "en") -> None:
        super().__init__(ServerChoice("http://127.0.0.1:9"), key="")
        self.answer_language = answer_language  # as load_engine sets it: the user's language
        self.prompts: list[str] = []
        self.lock = threading.Lock()

    def _complete(self, messages: list[dict[str, Any]], max_tokens: int, on_text: Any, cancel: Any) -> str:
        text = next(part["text"] for part in messages[-1]["content"] if part["type"] == "text")
        with self.lock:
            self.prompts.append(text)
        return "a red square"


def pages(folder: Path) -> tuple[Path, Path]:
    (folder / "red.png").write_bytes(png(RED, (40, 30)))
    spanish, english = folder / "pagina.html", folder / "page.html"
    spanish.write_text('<html lang="es-ES"><body><img src="red.png"></body></html>')
    english.write_text('<html lang="en"><body><img src="red.png"></body></html>')
    return spanish, english


def test_a_model_server_is_asked_in_each_documents_language(tmp_path: Path) -> None:
    server = RecordingServer()  # the user's language is English
    spanish, english = pages(tmp_path)
    report = Runner(server, Options()).run([spanish])
    assert server.prompts and all(prompt.endswith("Answer in Spanish.") for prompt in server.prompts)
    assert report.documents[0].images[0].new_alt == "A red square."
    server.prompts.clear()
    Runner(server, Options()).run([english])
    assert server.prompts and not any("Answer in" in prompt for prompt in server.prompts)
    assert server.answer_language == "en"  # the user's again after each document

    spanish_user = RecordingServer("es")
    Runner(spanish_user, Options()).run([english])  # an English page for a Spanish user: in English
    assert spanish_user.prompts and not any("Answer in" in prompt for prompt in spanish_user.prompts)
    Runner(spanish_user, Options(language="fr")).run([english])  # --language overrides the page's
    assert spanish_user.prompts[-1].endswith("Answer in French.")


class ServerRecipe(EngineRecipe):
    def load(self) -> Engine:
        return RecordingServer()


def test_ray_tasks_and_actors_describe_in_each_documents_language(tmp_path: Path) -> None:
    spanish, english = pages(tmp_path)
    rows = [
        row
        for doc, path in enumerate((spanish, english))
        for row in gather({"doc": doc, "path": str(path)}, Options(), user_language="en")
    ]
    pictures = [row for row in rows if row["key"]]
    assert [row["key"].split(":")[0] for row in pictures] == ["es", "en"]
    actor = Describer(ServerRecipe(), batch_size=8, include_ocr=False)
    batch = {name: [row[name] for row in rows] for name in rows[0]}
    described = actor(batch)
    server = actor.engine
    assert isinstance(server, RecordingServer)
    assert len(server.prompts) == 2  # one picture of each page, each in its page's language
    assert next(prompt for prompt in server.prompts if "Answer in" in prompt).endswith("Answer in Spanish.")
    assert sum("Answer in" in prompt for prompt in server.prompts) == 1
    texts = [text for key, text in zip(described["key"], described["text"], strict=True) if key]
    assert texts == ["a red square", "a red square"] and not any(described["failed"])


class DownServer(RecordingServer):
    """A server that does not answer, so the local model takes over."""

    def _complete(self, messages: list[dict[str, Any]], max_tokens: int, on_text: Any, cancel: Any) -> str:
        raise ServerDown("The model server does not answer.")


class ManyLanguagesLocal(Engine):
    """A local model of a family that answers in any language it is asked in, as a chat model's prompt
    asks (answer_in sets `answer_language`); it records the language of each answer."""

    def __init__(self) -> None:
        self.answer_language = "en"
        self.asked_in: list[str] = []

    def describe(self, image: Any, detail: Any = "brief", on_text: Any = None, cancel: Any = None) -> str:
        self.asked_in.append(self.answer_language)
        return "a red square"

    def ask(self, image: Any, question: str, *args: Any, **kwargs: Any) -> str:
        return self.describe(image)

    def describe_many(self, images: Any, detail: Any = "brief", batch_size: int = 8) -> list[str]:
        return [self.describe(image, detail) for image in images]

    @property
    def summary(self) -> str:
        return "a local model"


def test_the_local_model_behind_a_failing_server_answers_in_each_documents_language(tmp_path: Path) -> None:
    """`alt-text --server` whose server fails: the local model that takes over writes a Spanish page's
    alt-text in Spanish, not in the user's language (it answered in English)."""
    local = ManyLanguagesLocal()
    family = Family("Many", (), "none:None", (), languages=("*",))
    engine = ServerWithFallback(DownServer(), lambda: answer_in(local, family, "en", warm_up=False))
    spanish, english = pages(tmp_path)
    Runner(engine, Options()).run([spanish])
    assert local.asked_in and set(local.asked_in) == {"es"}
    local.asked_in.clear()
    Runner(engine, Options()).run([english])
    assert local.asked_in and set(local.asked_in) == {"en"}
    engine.describe(Image.new("RGB", (40, 30), RED))  # outside a document: the user's language again
    assert local.asked_in[-1] == "en"
