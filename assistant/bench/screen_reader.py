"""`assistant bench`'s screen-reader figures, on a private speech-dispatcher that writes what it is given.

The private speech-dispatcher has one output module, speech-dispatcher's own `generic` one, whose
command appends each message to a file and then waits, as a voice that is still speaking would; a stop
kills that command. So the figures are what this machine's speech-dispatcher does, without sound.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.bench.suites import Bench, Scope, Target, show, target

SPEECHD_CONFIG = """AudioOutputMethod "alsa"
LogLevel 3
LogDir "{log}"
DefaultModule "generic"
AddModule "generic" "sd_generic" "generic.conf"
"""
# $DATA is the message; the shell's pid lets a reader see the module kill it on a stop, and the pid
# written again once its time is up, that the message was spoken to its end.
GENERIC_MODULE = """GenericExecuteSynth "printf '%s\\\\n' \\'$DATA\\' >> {said}; echo $$ >> {pids}; sleep {seconds}; echo $$ >> {ended}"
AddVoice "en" "MALE1" "en"
GenericLanguage "en" "en" "utf-8"
"""
# Sound goes nowhere: the module writes text, and no sound card is needed.
NULL_SOUND = "pcm.!default { type null }\nctl.!default { type hw card 0 }\n"


@dataclass
class PrivateSpeechDispatcher:
    """A speech-dispatcher of its own in `folder`, reached through `address` (SPEECHD_ADDRESS)."""

    folder: Path
    process: subprocess.Popen[bytes] | None = None
    seconds: float = 30.0  # how long its voice "speaks" each message
    said_file: Path = field(init=False)
    pids_file: Path = field(init=False)
    ended_file: Path = field(init=False)
    socket: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        self.said_file = self.folder / "said.txt"
        self.pids_file = self.folder / "pids.txt"
        self.ended_file = self.folder / "ended.txt"
        self.socket = self.folder / "speechd.sock"

    @property
    def address(self) -> str:
        return f"unix_socket:{self.socket}"

    @staticmethod
    def available() -> bool:
        return shutil.which("speech-dispatcher") is not None

    def start(self, timeout: float = 10.0) -> PrivateSpeechDispatcher:
        config = self.folder / "config"
        (config / "modules").mkdir(parents=True, exist_ok=True)
        (self.folder / "log").mkdir(exist_ok=True)
        (self.folder / "home").mkdir(exist_ok=True)
        (config / "speechd.conf").write_text(SPEECHD_CONFIG.format(log=self.folder / "log"))
        (config / "modules" / "generic.conf").write_text(
            GENERIC_MODULE.format(
                said=self.said_file, pids=self.pids_file, ended=self.ended_file, seconds=self.seconds
            )
        )
        (self.folder / "home" / ".asoundrc").write_text(NULL_SOUND)
        self.said_file.write_text("")
        self.pids_file.write_text("")
        self.ended_file.write_text("")
        env = dict(os.environ, HOME=str(self.folder / "home"))
        self.process = subprocess.Popen(
            [
                "speech-dispatcher",
                "-s",
                "-t",
                "0",
                "-C",
                str(config),
                "-c",
                "unix_socket",
                "-S",
                str(self.socket),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"speech-dispatcher did not start (see {self.folder / 'log'})")
            time.sleep(0.02)
        return self

    def said(self) -> list[str]:
        """Every message the module was given, in order."""
        return [line for line in self.said_file.read_text(encoding="utf-8").splitlines() if line]

    def spoken_to_the_end(self) -> list[bool]:
        """For each message in `said()` (of one line each), whether its voice finished it: False while it
        is spoken, and for one cut off by a stop."""
        ended = set(self.ended_file.read_text().split())
        return [pid in ended for pid in self.pids_file.read_text().split()]

    def speaking(self) -> list[int]:
        """The module commands still running (each is a message being spoken); a killed one that its
        parent has not reaped yet (a zombie) counts as ended."""
        alive = []
        for line in self.pids_file.read_text().split():
            try:
                state = Path("/proc", line, "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):
                alive.append(int(line))
        return alive

    def kill(self) -> None:
        """End speech-dispatcher at once, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        for pid in self.speaking():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _wait(condition: Callable[[], object], timeout: float) -> float | None:
    """Seconds until `condition()` held (polled every millisecond), or None after `timeout`."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if condition():
            return time.perf_counter() - began
        time.sleep(0.001)
    return None


def bench_screen_reader(folder: Path, rounds: int = 10) -> dict[str, list[float]]:
    """Per round, in seconds: a sentence handed to the Speaker → speech-dispatcher's module has it, and
    Stop → the module's command killed. The app's own voice is a recording into `folder`."""
    from assistant.speech.screen_reader import Lookout, SpeechDispatcherRoute
    from assistant.speech.speaker import Speaker

    server = PrivateSpeechDispatcher(folder / "speechd").start()
    previous = os.environ.get("SPEECHD_ADDRESS")
    os.environ["SPEECHD_ADDRESS"] = server.address
    figures: dict[str, list[float]] = {"sentence": [], "stop": []}
    try:
        from assistant.speech.recording import RecordingBackend
        from assistant.speech.screen_reader import ScreenReaderBackend

        lookout = Lookout(platform="linux", orca=lambda: False, a11y=lambda: True,
                          connect=lambda _name, reader: SpeechDispatcherRoute(reader))  # fmt: skip
        speaker = Speaker(
            lambda: ScreenReaderBackend(lambda: RecordingBackend(folder / "own"), lookout=lookout)
        )
        try:
            if not speaker.wait_ready() or speaker.screen_reader is None:
                raise RuntimeError("the private speech-dispatcher was not reached")
            for number in range(rounds):
                sentence = f"Sentence number {number} of the benchmark."
                began = time.perf_counter()
                speaker.say(sentence)

                def arrived_at_server(sentence: str = sentence) -> bool:
                    return sentence in server.said()

                arrived = _wait(arrived_at_server, 5.0)
                if arrived is None:
                    raise RuntimeError("speech-dispatcher never received the sentence")
                figures["sentence"].append(time.perf_counter() - began)
                if _wait(lambda: bool(server.speaking()), 5.0) is None:
                    raise RuntimeError("speech-dispatcher's module never started speaking")
                began = time.perf_counter()
                speaker.stop()
                if _wait(lambda: not server.speaking(), 5.0) is None:
                    raise RuntimeError("the stop never reached speech-dispatcher's module")
                figures["stop"].append(time.perf_counter() - began)
                speaker.wait_idle(5.0)
        finally:
            speaker.close()
    finally:
        if previous is None:
            os.environ.pop("SPEECHD_ADDRESS", None)
        else:
            os.environ["SPEECHD_ADDRESS"] = previous
        server.stop()
    return figures


TARGETS = (
    ("sentence_to_speechd_p95_s", 0.050, "a generated sentence reaches speech-dispatcher"),
    ("stop_to_speechd_p95_s", 0.050, "Stop reaches speech-dispatcher's voice"),
)


def bench_screen_reader_summary(rounds: int = 30) -> dict[str, float]:
    """Median and 95th percentile of each figure, for `assistant bench --suite screen-reader`."""
    import statistics
    import tempfile

    if not PrivateSpeechDispatcher.available():
        raise RuntimeError("speech-dispatcher is not installed (apt-get install speech-dispatcher)")
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        figures = bench_screen_reader(Path(folder), rounds)
    summary: dict[str, float] = {"rounds": float(rounds)}
    for name, values in (("sentence_to_speechd", figures["sentence"]), ("stop_to_speechd", figures["stop"])):
        ordered = sorted(values)
        summary[f"{name}_median_s"] = statistics.median(ordered)
        summary[f"{name}_p95_s"] = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return summary


# -- the suite: `--suite screen-reader` --------------------------------------------------------------

SCOPE: Scope = "once"
KEY = "screen_reader"


def run(bench: Bench) -> dict[str, Any]:
    figures = bench_screen_reader_summary(bench.args.repeat * 10)
    print("\n== the screen reader, through a private speech-dispatcher")
    show(figures)
    return figures


def targets(figures: dict[str, float], bench: Bench) -> Iterator[Target]:
    for key, limit, meaning in TARGETS:
        yield target(f"[screen reader] {key}", figures[key], limit, meaning)
