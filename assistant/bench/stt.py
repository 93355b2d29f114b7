"""The `stt` suite: how long a spoken question takes to become text, once the recording has ended."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.bench.suites import Bench, Scope, Target, show
from assistant.speech.stt import SAMPLE_RATE, SpeechInputError, Transcriber, decode_file, default_stt_model

BENCH_QUESTION = "How many people are in the picture?"  # about 1.9 s in espeak-ng's voice


def speak_to_wav(text: str, path: str | os.PathLike[str], voice: str = "en") -> Path:
    """Synthesise `text` with espeak-ng into a WAV file (22.05 kHz); for benchmarks and demos."""
    espeak = shutil.which("espeak-ng") or shutil.which("espeak")
    if espeak is None:
        raise SpeechInputError("espeak-ng is not installed; install it, or give a recording of a question.")
    subprocess.run([espeak, "-v", voice, "-w", str(path), text], check=True, capture_output=True, timeout=30)
    return Path(path)


def bench_transcription(
    model: str | None = None,
    audio: str | os.PathLike[str] | None = None,
    repeats: int = 5,
    cpu_threads: int = 0,
) -> dict[str, Any]:
    """Time the transcription of a spoken question (espeak-ng's unless `audio` is given).

    The figure is end of speech to transcript once the recording has ended: the listener's wait for
    a second of silence (`microphone.Listener.silence_s`) comes before it in live use.
    """
    transcriber = Transcriber(model, progress=False, cpu_threads=cpu_threads)
    started = time.perf_counter()
    transcriber.load()
    load_s = time.perf_counter() - started
    if audio is None:
        with tempfile.TemporaryDirectory() as folder:
            samples = decode_file(speak_to_wav(BENCH_QUESTION, Path(folder) / "question.wav"))
    else:
        samples = decode_file(audio)
    transcript = transcriber.transcribe(samples)  # warm-up
    times, cpu_times = [], []
    for _ in range(max(1, repeats)):
        started, cpu_started = time.perf_counter(), time.process_time()
        transcriber.transcribe(samples)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    audio_s = samples.size / SAMPLE_RATE
    median = statistics.median(times)
    return {
        "stt_model": transcriber.model_name,
        "device": transcriber.device,
        "compute_type": transcriber.compute_type,
        "cpu_threads": transcriber.cpu_threads,
        "audio_s": round(audio_s, 3),
        "load_s": round(load_s, 3),
        "transcribe_s_median": round(median, 3),
        "transcribe_s_min": round(min(times), 3),
        "transcribe_cpu_s_median": round(statistics.median(cpu_times), 3),  # all threads' CPU time
        "real_time_factor": round(median / audio_s, 3),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "transcript": transcript,
    }


# -- the suite: `--suite stt` ------------------------------------------------------------------------

SCOPE: Scope = "once"
KEY = "stt"


def run(bench: Bench) -> dict[str, Any]:
    from assistant.config import load_settings

    model = bench.args.stt_model or default_stt_model(load_settings()[0])  # as `assistant transcribe`
    figures = bench_transcription(model)
    print("\n== speech to text")
    show(figures)
    return figures


def targets(figures: object, bench: Bench) -> Iterator[Target]:
    yield from ()  # figures to compare, no limits
