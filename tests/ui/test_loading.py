"""How loading the model is told: a seconds count while it loads, downloads spoken at each quarter."""

from __future__ import annotations

import re

from assistant.ui.loading import LoadingProgress


class Told:
    def __init__(self) -> None:
        self.status = ""
        self.progress = ""
        self.said: list[str] = []

    def set_status(self, text: str) -> None:
        self.status = self.progress = text

    def show_progress(self, text: str) -> None:
        self.progress = text

    def say(self, text: str, interrupt: bool = False) -> None:
        self.said.append(text)

    def tell(self, text: str) -> None:
        self.set_status(text)
        self.say(text)

    def fail(self, message: str) -> None:
        self.tell(message)

    def hush(self) -> None:
        pass


def test_the_stage_shows_a_moving_count_of_seconds_that_is_not_read_out(qtbot):
    told = Told()
    progress = LoadingProgress(told)
    progress.start()
    progress.stage("Loading the weights…")
    qtbot.waitUntil(
        lambda: re.fullmatch(r"Loading the weights… \d+ s", told.progress) is not None, timeout=5000
    )
    # The stage is the state; its count only shows (a screen reader would read out every second).
    assert told.status == "Loading the weights…"
    assert told.said == []
    progress.stop()
    assert not progress.active


def test_a_download_is_spoken_at_its_start_and_each_quarter_and_its_count_is_not_replaced(qtbot):
    told = Told()
    progress = LoadingProgress(told)
    progress.start()
    for percent in (0, 5, 25, 30, 50):
        progress.stage(f"Downloading the model: {percent}% of 1 GB")
    assert told.said == [
        "Downloading the model: 0 percent of 1 GB",
        "Downloading the model: 25 percent of 1 GB",
        "Downloading the model: 50 percent of 1 GB",
    ]
    with qtbot.waitSignal(progress._timer.timeout, timeout=5000):
        pass  # one tick of the seconds count, which must leave a download's own words alone
    assert told.progress == "Downloading the model: 50% of 1 GB"
    # Each quarter is the state; the percents between them only show.
    assert told.status == "Downloading the model: 50% of 1 GB"
    progress.stage("Downloading the model: 60% of 1 GB")
    assert (told.status, told.progress) == (
        "Downloading the model: 50% of 1 GB",
        "Downloading the model: 60% of 1 GB",
    )
    progress.stop()
