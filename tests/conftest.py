"""Shared fixtures: a tiny random BLIP-2 saved like a real checkpoint and loaded like one, a private X
server, and the check that no test leaves threads running."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest

from assistant.bench.xvfb import Xvfb, XvfbError, start_xvfb

# The desktops (session bus, screen saver, openbox, the Orca stand-in) and the Whisper test weights,
# one fixture each for every test folder.
pytest_plugins = ("fixtures.desktops", "fixtures.whisper")

# Nothing in the test suite may reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Nor the user's own keyring (a model server's API key; a locked one would ask to be unlocked): it holds none.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
# The tests check the English wording whatever the desktop's language (tests/i18n chooses Spanish itself);
# the app and its subprocesses read LANGUAGE first (assistant.i18n).
os.environ["LANGUAGE"] = "en"
# Prepared int8 models go to a folder of the test run's own, never the user's cache (subprocesses inherit it).
os.environ["ASSISTANT_CACHE_DIR"] = tempfile.mkdtemp(prefix="assistant-test-cache-")
atexit.register(shutil.rmtree, os.environ["ASSISTANT_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def spanish():
    """The app's words in Spanish for one test; English again after it, as every other test has them."""
    from assistant import i18n

    i18n.setup(override="es")
    yield
    i18n.setup(override="en")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random BLIP-2 (OPT language model) saved with save_pretrained."""
    from assistant.bench.synthetic import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-blip2-opt"))


@pytest.fixture(scope="session")
def tiny_t5_model_dir(tmp_path_factory):
    """A tiny random BLIP-2 with a Flan-T5-style (encoder-decoder) language model."""
    from assistant.bench.synthetic import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-blip2-t5"), language_model="t5")


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    """The tiny model loaded through the same path as real weights, on the CPU in fp32."""
    from assistant.engine import load_engine

    return load_engine(str(tiny_model_dir), device="cpu", precision="fp32")


@pytest.fixture(autouse=True)
def _own_state_folder(tmp_path_factory, monkeypatch):
    """The record of backups and the logs go to a folder of the test's own, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="module")
def xvfb(request: pytest.FixtureRequest) -> Iterator[Xvfb]:
    """A private X server for the module's tests, set as DISPLAY: one screen of the module's XVFB_SIZE
    (width, height), 1280×800 by default. Skipped where Xvfb is not installed; fails the tests when it
    does not start within its deadline."""
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb (apt-get install xvfb)")
    width, height = getattr(request.module, "XVFB_SIZE", (1280, 800))
    try:
        server = start_xvfb(width, height)
    except XvfbError as error:
        pytest.fail(str(error))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DISPLAY", server.display)
            patch.delenv("WAYLAND_DISPLAY", raising=False)
            yield server
    finally:
        server.stop()


# Threads that libraries start once, as daemons, and keep for the life of the process; by name, as the
# libraries name them. A test that starts the first of them has not leaked it.
LIBRARY_THREADS = {
    "tqdm_monitor",  # tqdm's monitor of slow progress bars (huggingface_hub's downloads, transformers)
}
THREAD_GRACE_S = 10.0


def _foreign_or_library(thread: threading.Thread) -> bool:
    # A _DummyThread stands for a thread Python did not start (PortAudio's callback thread, a QThread)
    # that once called into Python: Python cannot tell when such a thread ends, so it never leaves the
    # list. QThreads are followed on their own, below.
    return isinstance(thread, threading._DummyThread) or thread.name in LIBRARY_THREADS


def _qthread_class() -> type | None:
    try:
        from PySide6.QtCore import QThread
    except ImportError:
        return None
    return QThread


@pytest.fixture(autouse=True)
def no_threads_left_running(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails a test that leaves threads or QThreads running (as napari's fixtures do): a thread that
    outlives its test is one the app would leak, and it can disturb the tests that follow. A thread that
    is ending is given a few seconds (a deadline, not a timing check)."""
    before = set(threading.enumerate())
    qthreads: list = []
    qthread_class = _qthread_class()
    if qthread_class is not None:
        start = qthread_class.start

        def recorded_start(thread, *args):
            qthreads.append(thread)
            start(thread, *args)

        monkeypatch.setattr(qthread_class, "start", recorded_start)
    yield
    deadline = time.monotonic() + THREAD_GRACE_S

    def left() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and not _foreign_or_library(t)]

    for thread in left():
        thread.join(max(deadline - time.monotonic(), 0))
    running = [f"{t.name} ({'daemon' if t.daemon else 'not daemon'})" for t in left()]
    for qthread in qthreads:
        try:
            if not qthread.wait(max(int((deadline - time.monotonic()) * 1000), 0)):
                running.append(f"QThread {qthread.objectName() or type(qthread).__name__}")
        except RuntimeError:  # its C++ object is gone, so it has ended
            continue
    if running:
        pytest.fail(f"the test left threads running: {', '.join(sorted(running))}", pytrace=False)


# What makes a test slow is what it starts: the app's controller with its model, OCR and speech
# threads, Whisper, a desktop with a window manager, a model server. A test that uses one of these is
# marked `slow` here, once, so that `python3 dev.py test --fast` leaves it to the full run (tests slow
# for another reason carry the mark themselves).
SLOW_FIXTURES = frozenset(
    {"make_controller", "ready", "transcriber", "stt_model_dir", "openbox_desktop", "served"}
)


# The suite runs on several xdist workers (dev.py), and each worker starts the session and module
# fixtures its tests use. Those below cost seconds of both cores, or gigabytes, to start: every test
# that uses one is put in one xdist_group, so that `--dist loadgroup` sends them all to one worker and
# only that worker starts it (a `transformers serve` takes about 13 s of both cores; a local Ray, its
# raylet, GCS and workers; the Linux installer's `machine`, a real install into a new environment).
SHARED_ON_ONE_WORKER = {
    "served": "transformers-serve",
    "served_text_only": "transformers-serve",
    "local_ray": "ray",
    "machine": "installer",
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if SLOW_FIXTURES.intersection(fixtures):
            item.add_marker(pytest.mark.slow)
        for group in sorted(
            {SHARED_ON_ONE_WORKER[name] for name in SHARED_ON_ONE_WORKER.keys() & set(fixtures)}
        ):
            item.add_marker(pytest.mark.xdist_group(group))
