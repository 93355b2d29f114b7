"""The screen reader through speech-dispatcher, with its own Python client: each message's end and
cancel are reported back, so sentences are handed over one at a time and nothing is lost."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from assistant.i18n import SOURCE_LANGUAGE, _
from assistant.i18n import language as app_language
from assistant.speech.backend import POLL, speaking_time_limit
from assistant.speech.screen_reader_routes import SPEECH_DISPATCHER, ScreenReaderLost

log = logging.getLogger(__name__)


def import_speechd() -> ModuleType:
    """speech-dispatcher's own Python client: from this environment, else from the system's Python.

    It is not on PyPI; distributions ship it (Debian and Ubuntu: python3-speechd, Fedora:
    python3-speechd), and it is pure Python, so the system's copy works in this environment too.
    """
    try:
        import speechd

        return speechd
    except ImportError:
        pass
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in (
        "/usr/lib/python3/dist-packages",
        f"/usr/lib/{version}/site-packages",
        f"/usr/lib64/{version}/site-packages",
    ):
        init = Path(folder, "speechd", "__init__.py")
        if not init.is_file():
            continue
        spec = importlib.util.spec_from_file_location(
            "speechd", init, submodule_search_locations=[str(init.parent)]
        )
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules["speechd"] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules["speechd"]
            raise
        return module
    raise ScreenReaderLost(_("speech-dispatcher's Python client is not installed (install python3-speechd)"))


def speechd_address() -> str:
    """Where speech-dispatcher is reached: SPEECHD_ADDRESS, as its own clients read it, else its default."""
    address = os.environ.get("SPEECHD_ADDRESS")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR") or str(Path.home() / ".cache")
    return f"unix_socket:{Path(runtime, 'speech-dispatcher', 'speechd.sock')}"


class _SeenEvents:
    """Every event speech-dispatcher reports, by message, on its way to the client's own handler.

    python3-speechd registers a message's callback only once SPEAK is answered, and drops an event that
    comes before (the TODO in its client.py): with a quick voice, END came first and speaking waited out
    its deadline (1 run in 5 on a busy core). What was seen is handed to the message's callback again
    once it is registered; that callback takes an event twice without harm."""

    KEPT = 64  # messages whose events are kept, the latest

    def __init__(self, handler: Callable[..., None]) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self._seen: dict[int, list[tuple[str, dict[str, Any]]]] = {}

    def __call__(self, msg_id: int, client_id: int, kind: str, **details: Any) -> None:
        with self._lock:
            self._seen.setdefault(msg_id, []).append((kind, details))
            while len(self._seen) > self.KEPT:
                self._seen.pop(next(iter(self._seen)))
        self._handler(msg_id, client_id, kind, **details)

    def take(self, msg_id: int) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return self._seen.pop(msg_id, [])


class SpeechDispatcherRoute:
    """speech-dispatcher through its Python client: each message's end and cancel are reported back."""

    name = SPEECH_DISPATCHER

    def __init__(self, reader: str = "the screen reader") -> None:
        speechd = import_speechd()
        self._speechd = speechd
        self.reader = reader
        self.address = speechd_address()
        try:
            # No autospawn: a speech-dispatcher that is not running is no screen reader's voice.
            self._client = speechd.SSIPClient("assistant", component="descriptions", autospawn=False)
        except Exception as error:
            raise ScreenReaderLost(
                _("speech-dispatcher at {address} did not answer: {error}").format(
                    address=self.address, error=error
                )
            ) from None
        self._seen: _SeenEvents | None = None
        connection = getattr(self._client, "_conn", None)
        handler = getattr(self._client, "_callback_handler", None)
        if handler is not None and connection is not None and hasattr(connection, "set_callback"):
            self._seen = _SeenEvents(handler)
            connection.set_callback(self._seen)
        spoken = app_language()
        if spoken != SOURCE_LANGUAGE:
            # The screen reader's voice, told the language of what the app says (its own client only).
            try:
                self._client.set_language(spoken)
            except Exception as error:  # an old speech-dispatcher: said in its own language instead
                log.warning("speech-dispatcher did not take the language %s: %s", spoken, error)

    @property
    def description(self) -> str:
        spoken = _("{reader} through speech-dispatcher ({address})").format(
            reader=self.reader, address=self.address
        )
        if self.reader == "Orca":
            return _(
                "{spoken}; no braille, as Orca's D-Bus service (Orca 49 and later) was not reached"
            ).format(spoken=spoken)
        return spoken

    def _alive(self) -> bool:
        # The client notices a closed connection only in its reader thread; asking that thread is the
        # one way to learn that speech-dispatcher went away while a message was being spoken.
        connection = getattr(self._client, "_conn", None)
        thread = getattr(connection, "_communication_thread", None)
        return thread is None or thread.is_alive()

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        events = self._speechd.CallbackType
        begun = threading.Event()
        ended: list[str] = []
        done = threading.Event()

        def on_event(kind: str, **_details: Any) -> None:
            if kind == events.BEGIN:
                begun.set()
            elif kind in (events.END, events.CANCEL):
                ended.append(kind)
                done.set()

        try:
            answer = self._client.speak(
                text, callback=on_event, event_types=(events.BEGIN, events.END, events.CANCEL)
            )
            for kind, details in self._seen.take(int(answer[2][0])) if self._seen else ():
                if kind in (events.BEGIN, events.END, events.CANCEL):
                    on_event(kind, **details)  # what came before the client registered on_event
        except Exception as error:
            raise ScreenReaderLost(
                _("speech-dispatcher at {address} stopped answering: {error}").format(
                    address=self.address, error=error
                )
            ) from None
        if not wait:
            return True
        deadline = time.monotonic() + speaking_time_limit(text, None)
        started = False
        while not done.wait(POLL):
            if begun.is_set() and not started:
                started = True
                on_start()
            if cancel.is_set():
                self.silence()
                return False
            if not self._alive():
                raise ScreenReaderLost(
                    _("speech-dispatcher at {address} went away while speaking").format(address=self.address)
                )
            if time.monotonic() > deadline:
                raise ScreenReaderLost(
                    _("speech-dispatcher at {address} did not finish speaking in time").format(
                        address=self.address
                    )
                )
        if not started:
            on_start()
        return ended[-1] == events.END and not cancel.is_set()

    def silence(self) -> None:
        try:
            self._client.cancel()
        except Exception as error:  # gone already: nothing of ours is being said
            log.info("speech-dispatcher could not be told to stop: %s", error)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception as error:
            log.info("The speech-dispatcher connection did not close cleanly: %s", error)
