"""Short cue sounds ("earcons") that say work has started, finished, failed, or listening began.

Played without blocking the Qt thread, through the first player that works here: Qt Multimedia,
winsound on Windows, or sounddevice (PortAudio) on its own thread. With `--speech-to DIR` the cues
are written as lines to DIR/cues.log instead, so recordings and tests can see when they happened.
A cue that cannot play is skipped: cues never stop the app from working.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
import wave
from pathlib import Path
from typing import Protocol

from assistant.ui.resources import resource_path

log = logging.getLogger(__name__)

CUES = ("working", "done", "error", "listening", "stopped-listening")
CUE_LOG = "cues.log"


class _Player(Protocol):
    def play(self, name: str) -> None: ...
    def close(self) -> None: ...


class _LogPlayer:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / CUE_LOG

    def play(self, name: str) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{time.time():.3f} {name}\n")

    def close(self) -> None:
        pass


class _QtPlayer:
    def __init__(self, files: dict[str, Path]) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QSoundEffect

        self.effects = {}
        for name, path in files.items():
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            self.effects[name] = effect

    def play(self, name: str) -> None:
        effect = self.effects.get(name)
        if effect is not None:
            effect.play()

    def close(self) -> None:
        self.effects.clear()


class _WinsoundPlayer:
    """Windows' own player. winsound exists only there, so its names are checked (by mypy too) only there."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def play(self, name: str) -> None:
        path = self.files.get(name)
        if sys.platform == "win32" and path is not None:
            import winsound

            winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC | winsound.SND_NODEFAULT)

    def close(self) -> None:
        pass


class _SoundDevicePlayer:
    """Plays on one daemon thread; the first failure to open an output turns cues off quietly."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.requests: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="earcons", daemon=True)
        self.thread.start()

    def play(self, name: str) -> None:
        self.requests.put(name)

    def close(self) -> None:
        self.requests.put(None)
        self.thread.join(timeout=1.0)

    def _run(self) -> None:
        try:
            import numpy as np
            import sounddevice

            sounds = {}
            for name, path in self.files.items():
                with wave.open(str(path), "rb") as source:
                    frames = source.readframes(source.getnframes())
                    sounds[name] = (np.frombuffer(frames, dtype="<i2"), source.getframerate())
        except Exception as error:  # no PortAudio, unreadable file: cues stay silent
            log.info("Cue sounds are off: %s", error)
            return
        while (cue := self.requests.get()) is not None:
            if cue not in sounds:
                continue
            samples, rate = sounds[cue]
            try:
                sounddevice.play(samples, rate)
            except Exception as error:
                log.info("Cue sounds are off: %s", error)
                return


class Earcons:
    """Plays cue `name` at once, without waiting; `enabled` turns cues on and off."""

    def __init__(self, enabled: bool = True, log_to: Path | None = None) -> None:
        self.enabled = enabled
        self.player: _Player | None = None
        if log_to is not None:
            self.player = _LogPlayer(log_to)
            return
        files = {name: path for name in CUES if (path := resource_path(f"cue-{name}.wav"))}
        if not files:
            return
        for factory in (_QtPlayer, _WinsoundPlayer if sys.platform == "win32" else None, _SoundDevicePlayer):
            if factory is None:
                continue
            try:
                self.player = factory(files)
                return
            except ImportError:
                continue

    @property
    def available(self) -> bool:
        return self.player is not None

    def play(self, name: str) -> None:
        if self.enabled and self.player is not None:
            try:
                self.player.play(name)
            except Exception as error:
                log.info("Could not play the %s cue: %s", name, error)

    def close(self) -> None:
        if self.player is not None:
            self.player.close()
            self.player = None
