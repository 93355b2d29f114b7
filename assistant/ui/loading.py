"""Telling the user how the model's loading goes: the stage with a seconds count, and downloads aloud.

Loading takes from seconds to many minutes (a first download), so the state shows a count that moves
every second, and a download is spoken when it starts and at each quarter, never more often.
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QObject, QTimer

from assistant.engine.models import PREPARING, is_download_progress
from assistant.i18n import N_, _
from assistant.ui.telling import Teller

FIRST_STAGE = N_("Loading the model…")


class LoadingProgress(QObject):
    """Follows one loading of the model at a time: `start`, then `stage` for each step, then `stop`."""

    def __init__(self, teller: Teller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._teller = teller
        self._stage = _(FIRST_STAGE)
        self._started = 0.0
        self._spoken_quarter: int | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._show_seconds)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        self._stage, self._spoken_quarter = _(FIRST_STAGE), None
        self._started = time.monotonic()
        self._timer.start()

    def stage(self, text: str) -> None:
        """What the loader is doing now, in words ("Downloading … 40%")."""
        self._stage = text
        percent = re.search(r"(\d+)%", text)
        quarter = int(percent.group(1)) // 25 if percent else None
        if is_download_progress(text) and quarter == self._spoken_quarter:
            self._teller.show_progress(text)  # between quarters: shown, not read out
            return
        self._teller.set_status(text)
        if text == _(PREPARING):  # minutes, once: said, and its progress then shown in the tooltip
            self._teller.say(text)
        if is_download_progress(text) and quarter != self._spoken_quarter:
            self._spoken_quarter = quarter
            # Translators: "%" said aloud, after a number ("40 percent").
            self._teller.say(text.replace("%", _(" percent")))

    def stop(self) -> None:
        self._timer.stop()

    def _show_seconds(self) -> None:
        # A download's own percentage says more than a count of seconds.
        if not is_download_progress(self._stage):
            seconds = int(time.monotonic() - self._started)
            self._teller.show_progress(f"{self._stage.rstrip('…. ')}… {seconds} s")
