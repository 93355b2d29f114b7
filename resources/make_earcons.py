"""Writes the short cue sounds (earcons) in this folder: `python resources/make_earcons.py`.

Each cue is a few soft sine tones, 16-bit mono at 22050 Hz, under a quarter of a second, with
short fades so they do not click. The WAVs are committed; this script says how they were made.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
CUES = {
    # name: [(frequency Hz, seconds), ...]
    "working": [(660.0, 0.06), (880.0, 0.08)],
    "done": [(880.0, 0.06), (660.0, 0.08)],
    "error": [(330.0, 0.12), (262.0, 0.14)],
    "listening": [(523.0, 0.05), (784.0, 0.07)],
    "stopped-listening": [(784.0, 0.05), (523.0, 0.07)],
}


def tone(frequency: float, seconds: float, volume: float = 0.35) -> list[int]:
    count = int(RATE * seconds)
    fade = max(1, int(RATE * 0.01))
    samples = []
    for i in range(count):
        envelope = min(1.0, i / fade, (count - i) / fade)
        samples.append(int(32767 * volume * envelope * math.sin(2 * math.pi * frequency * i / RATE)))
    return samples


def write(path: Path, notes: list[tuple[float, float]]) -> None:
    samples = [s for frequency, seconds in notes for s in tone(frequency, seconds)]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for name, notes in CUES.items():
        write(here / f"cue-{name}.wav", notes)
