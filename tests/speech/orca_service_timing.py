"""How long a sentence takes to reach Orca's D-Bus service, and Stop to reach it (BENCHMARKS.md).

    PYTHONPATH=. python tests/speech/orca_service_timing.py [ROUNDS] [GENERATION]

A private session bus with the stand-in for Orca's D-Bus service (orca_service.py; GENERATION orca49,
the default, or orca1), which speaks through a private speech-dispatcher as Orca does (its voice takes
30 s over each message, until cut off), and the app's Speaker reaching it as it does with Orca 49 and
later. Each round hands one sentence to the Speaker and times when the service has been given it
(PresentMessage) and when speech-dispatcher's voice has it, then presses Stop and times when the service
has been told (InterruptSpeech) and when the voice has been cut off. Between the service and
speech-dispatcher is the stand-in's work, not Orca's. Not a test: it prints the figures.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistant.bench.screen_reader import PrivateSpeechDispatcher
from assistant.speech.backend import SilentBackend
from assistant.speech.screen_reader import Lookout, ScreenReaderBackend
from assistant.speech.speaker import Speaker


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def until(condition: Callable[[], object], start: float) -> float:
    """Milliseconds from `start` until `condition()` held (polled every half millisecond)."""
    deadline = time.perf_counter() + 10
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError("it never happened")
        time.sleep(0.0005)
    return (time.perf_counter() - start) * 1000


def main(rounds: int, generation: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="orca-service-"))
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    speechd = PrivateSpeechDispatcher(folder / "speechd").start()
    os.environ["SPEECHD_ADDRESS"] = speechd.address
    record = folder / "calls.jsonl"
    service = Path(__file__).with_name("orca_service.py")
    orca = subprocess.Popen(
        [sys.executable, str(service), generation, "50.1", str(record)], stdout=subprocess.PIPE, text=True
    )
    assert orca.stdout is not None and orca.stdout.readline().strip() == "ready"
    lookout = Lookout(platform="linux", a11y=lambda: False)
    speaker = Speaker(lambda: ScreenReaderBackend(lambda: SilentBackend("unused"), "screen-reader", lookout))
    figures: dict[str, list[float]] = {"given": [], "spoken": [], "told": [], "cut": []}
    try:
        assert speaker.wait_ready() and speaker.screen_reader and "D-Bus service" in speaker.screen_reader
        for number in range(rounds):
            calls, said = lines(record), len(speechd.said())
            start = time.perf_counter()
            speaker.say(f"Sentence number {number}.")
            figures["given"].append(until(lambda c=calls: lines(record) > c, start))
            figures["spoken"].append(
                until(lambda s=said: len(speechd.said()) > s and speechd.speaking(), start)
            )
            calls = lines(record)
            start = time.perf_counter()
            speaker.stop()
            figures["told"].append(until(lambda c=calls: lines(record) > c, start))
            figures["cut"].append(until(lambda: not speechd.speaking(), start))
            assert speaker.wait_idle(10)
    finally:
        speaker.close()
        orca.kill()
        speechd.stop()
        bus.terminate()

    def summary(values: list[float]) -> str:
        p95 = sorted(values)[round(0.95 * (len(values) - 1))]
        return f"median {statistics.median(values):.1f} ms, 95th percentile {p95:.1f} ms"

    print(f"{rounds} rounds, {generation}")
    print(
        f"a sentence handed to the speaker -> Orca's service given it (PresentMessage): {summary(figures['given'])}"
    )
    print(
        f"a sentence handed to the speaker -> speech-dispatcher's voice has it: {summary(figures['spoken'])}"
    )
    print(f"Stop -> Orca's service told (InterruptSpeech): {summary(figures['told'])}")
    print(f"Stop -> speech-dispatcher's voice cut off: {summary(figures['cut'])}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30, sys.argv[2] if len(sys.argv) > 2 else "orca49")
