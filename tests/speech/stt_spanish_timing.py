"""How long a multilingual Whisper takes to hear each Spanish recording of test_stt_spanish.py.

    PYTHONPATH=. python tests/speech/stt_spanish_timing.py [MODEL] [ROUNDS]   (MODEL "" for the default)

MODEL is what `--stt-model` takes: a folder in CTranslate2 form, or a name (tiny, small) already in
faster-whisper's download cache. Without it, the multilingual base of the tests' pinned packages
(tests/fixtures/whisper.py). One Transcriber told `es`, as the app makes it for a Spanish user, on
the CPU; each recording is heard once to warm up, then ROUNDS times (5 by default). Prints, for each,
its length, the median time from the end of the recording to the text, the real-time factor and what
was heard. Not a test: it prints the figures.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for fixtures.whisper

from fixtures.whisper import lay_out_multilingual_base
from test_stt_spanish import HUMAN, PROMPTS, QUESTIONS

from assistant.speech.stt import SAMPLE_RATE, Transcriber, decode_file


def recordings(folder: Path) -> dict[str, Path]:
    """Allison Smith's prompts (where Debian's package is installed) and espeak-ng's questions."""
    found = {name: HUMAN / f"{name}.wav" for name in PROMPTS if (HUMAN / f"{name}.wav").is_file()}
    for index, question in enumerate(QUESTIONS):
        path = folder / f"pregunta{index}.wav"
        subprocess.run(["espeak-ng", "-v", "es", "-w", str(path), question], check=True, timeout=30)
        found[question] = path
    return found


def main(model: str | None, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if model is None:
            (folder / "base").mkdir()
            model = str(lay_out_multilingual_base(folder / "base"))
        engine = Transcriber(model, device="cpu", language="es", progress=False)
        started = time.perf_counter()
        engine.load()
        print(
            f"{engine.summary}, {engine.cpu_threads} threads: loaded in {time.perf_counter() - started:.2f} s"
        )
        print("recording | audio s | median s | best s | real-time factor | heard")
        for name, path in recordings(folder).items():
            samples = decode_file(path)
            heard = engine.transcribe(samples)  # warm-up
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                engine.transcribe(samples)
                times.append(time.perf_counter() - started)
            audio_s = samples.size / SAMPLE_RATE
            median = statistics.median(times)
            print(
                f"{name} | {audio_s:.2f} | {median:.3f} | {min(times):.3f} | {median / audio_s:.3f} | {heard}"
            )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None,
        int(sys.argv[2]) if len(sys.argv) > 2 else 5,
    )
