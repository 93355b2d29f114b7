"""How long a sentence takes to reach speech-dispatcher's voice and Orca's braille display (BENCHMARKS.md).

    PYTHONPATH=. python tests/speech/orca_braille_timing.py [ROUNDS]

A private session bus with the stand-in for Orca's D-Bus service (orca_service.py, Orca's development
generation, with DisplayMessage), a private speech-dispatcher whose voice takes 0.3 s over each message,
and the app's Speaker reaching both as it does with Orca. Each round hands one sentence to the Speaker and
times when speech-dispatcher's voice has it and when the service has been asked to flash it in braille.
Not a test: it prints the figures.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.speech.backend import SilentBackend
from assistant.speech.bench import PrivateSpeechDispatcher
from assistant.speech.screen_reader import Lookout, ScreenReaderBackend
from assistant.speech.speaker import Speaker


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="orca-braille-"))
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    record = folder / "calls.jsonl"
    service = Path(__file__).with_name("orca_service.py")
    orca = subprocess.Popen(
        [sys.executable, str(service), "orca1", "51.0", str(record)], stdout=subprocess.PIPE, text=True
    )
    assert orca.stdout is not None and orca.stdout.readline().strip() == "ready"
    speechd = PrivateSpeechDispatcher(folder / "speechd", seconds=0.3).start()
    os.environ["SPEECHD_ADDRESS"] = speechd.address
    lookout = Lookout(platform="linux", a11y=lambda: False)
    speaker = Speaker(lambda: ScreenReaderBackend(lambda: SilentBackend("unused"), "screen-reader", lookout))
    try:
        assert speaker.wait_ready() and speaker.screen_reader and "braille" in speaker.screen_reader
        spoken: list[float] = []
        shown: list[float] = []
        for number in range(rounds):
            said, flashed = len(speechd.said()), lines(record)
            start = time.perf_counter()
            speaker.say(f"Sentence number {number}.")
            to_voice = to_braille = None
            while to_voice is None or to_braille is None:
                now = time.perf_counter()
                if to_voice is None and len(speechd.said()) > said:
                    to_voice = now - start
                if to_braille is None and lines(record) > flashed:
                    to_braille = now - start
                time.sleep(0.0005)
            spoken.append(to_voice * 1000)
            shown.append(to_braille * 1000)
            assert speaker.wait_idle(10)
    finally:
        speaker.close()
        speechd.stop()
        orca.kill()
        bus.terminate()

    def figures(values: list[float]) -> str:
        p95 = sorted(values)[int(0.95 * (len(values) - 1))]
        return f"median {statistics.median(values):.1f} ms, 95th percentile {p95:.1f} ms"

    print(f"{rounds} rounds")
    print(f"a sentence handed to the speaker -> speech-dispatcher's voice has it: {figures(spoken)}")
    print(f"a sentence handed to the speaker -> Orca's service asked to flash it: {figures(shown)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
