"""The ScreenCast portal backend against the real xdg-desktop-portal, its desktop side mocked: consent,
the restore token kept (0600) and reused so that later sessions ask nothing, refusal, no answer.

A frame comes from PipeWire through GStreamer: the portal's PipeWire connection is real here, the
stream's frame is a stand-in's (xdg-desktop-portal-wlr 0.7 streams nothing on sway's pixman renderer)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.desktops import stop_process

from assistant.capture.base import CaptureError
from assistant.capture.portal_screencast import NO_GSTREAMER, REFUSED, PortalScreenCastBackend


@pytest.fixture
def token_file(tmp_path):
    return tmp_path / "state" / "screencast-restore-token"


def test_consent_keeps_a_restore_token_that_the_next_session_brings_back(portal_desktop, token_file) -> None:
    first = PortalScreenCastBackend(token_file=token_file)
    try:
        first.set_up(deadline=10)
    finally:
        first.close()
    token = token_file.read_text()
    assert token and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    second = PortalScreenCastBackend(token_file=token_file)
    try:
        second.set_up(deadline=10)
    finally:
        second.close()
    selected = json.loads(portal_desktop.cast("Seen")[0])["selected"]
    assert len(selected) == 2
    assert selected[0]["persist_mode"] == "2" and selected[0]["types"] == "1"
    assert "restore_data" not in selected[0]
    assert "HEADLESS-1" in selected[1]["restore_data"]  # the desktop gets back what it kept: no question
    assert token_file.read_text() == token  # the one the desktop gave back last (1.16 gives the same again)


def test_a_refusal_keeps_no_token_and_says_how_to_allow_it(portal_desktop, token_file) -> None:
    portal_desktop.cast("SetAnswer", "s", json.dumps({"response": 2}))
    backend = PortalScreenCastBackend(token_file=token_file)
    with pytest.raises(CaptureError) as error:
        backend.set_up(deadline=10)
    assert str(error.value) == REFUSED
    assert not token_file.exists()


def test_a_portal_that_never_answers_is_caught_by_the_deadline(portal_desktop, token_file) -> None:
    portal_desktop.cast("SetAnswer", "s", json.dumps({"never": True}))
    backend = PortalScreenCastBackend(token_file=token_file)
    with pytest.raises(CaptureError, match=r"did not answer within 0\.5 seconds"):
        backend.set_up(deadline=0.5)


def test_without_gstreamer_it_says_what_to_install(portal_desktop, token_file, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert PortalScreenCastBackend(token_file=token_file).problem() == NO_GSTREAMER


def test_without_gstreamers_pipewire_plugin_it_says_what_to_install(
    portal_desktop, token_file, tmp_path, monkeypatch
) -> None:
    """gst-launch-1.0 alone is not enough: this GStreamer has every plugin but PipeWire's."""
    shown = subprocess.run(["gst-inspect-1.0", "pipewire"], capture_output=True, text=True, check=True)
    pipewire = Path(next(line.split()[-1] for line in shown.stdout.splitlines() if "Filename" in line))
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for plugin in pipewire.parent.glob("*.so"):
        if plugin != pipewire:
            (plugins / plugin.name).symlink_to(plugin)
    monkeypatch.setenv("GST_PLUGIN_SYSTEM_PATH_1_0", str(plugins))
    monkeypatch.setenv("GST_REGISTRY_1_0", str(tmp_path / "registry.bin"))
    assert shutil.which("gst-launch-1.0")
    backend = PortalScreenCastBackend(token_file=token_file)
    assert backend.problem() == NO_GSTREAMER
    monkeypatch.delenv("GST_PLUGIN_SYSTEM_PATH_1_0")  # the system's plugins, PipeWire's among them
    assert backend.problem() is None


@pytest.fixture
def pipewire(portal_desktop, tmp_path):
    """PipeWire for the portal (it opens a connection for each OpenPipeWireRemote), and a stand-in
    `gst-launch-1.0` that checks it was handed that connection and writes one 64x48 PNG as pngenc would
    (except on the runs listed in `gst-misses`, which wait for a frame that never comes)."""
    if not shutil.which("pipewire"):
        pytest.skip("needs pipewire (apt-get install pipewire)")
    daemon = subprocess.Popen(
        ["pipewire"], env=portal_desktop.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    socket = Path(portal_desktop.env["XDG_RUNTIME_DIR"]) / "pipewire-0"
    hang_guard = time.monotonic() + 10
    while not socket.exists():
        assert daemon.poll() is None and time.monotonic() < hang_guard, "PipeWire did not start"
        time.sleep(0.05)
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "gst-args.json"
    misses = tmp_path / "gst-misses"
    misses.write_text("")
    script = folder / "gst-launch-1.0"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys, time\n"
        "fd = int(next(a for a in sys.argv if a.startswith('fd=') and a != 'fd=1')[3:])\n"
        "os.fstat(fd)  # the portal's PipeWire connection was handed over\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"run = len(open({str(log)!r}).read().splitlines())\n"
        f"if str(run) in open({str(misses)!r}).read().split():\n"
        "    time.sleep(600)  # the compositor's frame was lost: nothing comes\n"
        "import io; from PIL import Image\n"
        "out = io.BytesIO(); Image.new('RGB', (64, 48), (9, 9, 9)).save(out, 'PNG')\n"
        "sys.stdout.buffer.write(out.getvalue())\n"
    )
    script.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{folder}:{os.environ.get('PATH', '/usr/bin:/bin')}")
        yield log
    stop_process(daemon)  # type: ignore[arg-type]


def test_a_reader_that_gets_no_frame_is_replaced_by_one_on_a_new_connection(
    portal_desktop, pipewire, token_file
) -> None:
    """A frame painted before the reader was ready is lost, and a window that does not change is not
    painted again (KWin on a busy processor): the second reader, newly connected, gets its own."""
    (pipewire.parent / "gst-misses").write_text("1")
    backend = PortalScreenCastBackend(token_file=token_file)
    try:
        assert backend.grab_screen().size == (64, 48)
    finally:
        backend.close()
    runs = [json.loads(line) for line in pipewire.read_text().splitlines()]
    assert len(runs) == 2
    assert len(json.loads(portal_desktop.cast("Seen")[0])["sessions"]) == 1  # the same session


def test_a_stream_that_never_sends_a_frame_is_said_in_one_sentence(
    portal_desktop, pipewire, token_file, monkeypatch
) -> None:
    from assistant.capture import portal_screencast

    monkeypatch.setattr(portal_screencast, "FRAME_SECONDS", 1.0)
    monkeypatch.setattr(portal_screencast, "TRY_SECONDS", 0.3)
    (pipewire.parent / "gst-misses").write_text(" ".join(str(run) for run in range(1, 100)))
    tries: list[float] = []
    read = portal_screencast.one_frame

    def one_frame(remote, node, seconds):
        tries.append(seconds)
        return read(remote, node, seconds)

    # Counted here, not in the stand-in's log: on one busy core a reader may be stopped before it starts.
    monkeypatch.setattr(portal_screencast, "one_frame", one_frame)
    backend = PortalScreenCastBackend(token_file=token_file)
    try:
        with pytest.raises(CaptureError, match="No frame came from the screen sharing stream in time"):
            backend.grab_screen()
    finally:
        backend.close()
    assert len(tries) >= 2 and tries[0] == 0.3  # each try a new reader, none waiting out the whole deadline


def test_one_frame_a_request_from_a_session_kept_open(portal_desktop, pipewire, token_file) -> None:
    backend = PortalScreenCastBackend(token_file=token_file)
    try:
        assert backend.problem() is None
        assert backend.grab_screen().size == (64, 48)
        assert backend.grab_region((10, 10, 20, 5)).size == (20, 5)
    finally:
        backend.close()
    runs = [json.loads(line) for line in pipewire.read_text().splitlines()]
    assert len(runs) == 2 and all("path=42" in run and "num-buffers=1" in run for run in runs)
    assert len(json.loads(portal_desktop.cast("Seen")[0])["sessions"]) == 1  # one session, two frames


def test_the_kept_session_is_closed_when_the_choice_changes(
    portal_desktop, pipewire, token_file, monkeypatch
) -> None:
    """The app's grabs keep one session open; a new choice in Settings ends it."""
    from assistant.capture import grab_screen, portal_screencast
    from assistant.capture.backends import use_backend

    monkeypatch.setattr(portal_screencast, "token_path", lambda: token_file)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.delenv("DISPLAY", raising=False)
    use_backend("screencast")
    try:
        assert grab_screen().size == (64, 48)
        assert grab_screen().size == (64, 48)
        assert json.loads(portal_desktop.cast("Seen")[0])["closed"] == []
    finally:
        use_backend("auto")
    seen = json.loads(portal_desktop.cast("Seen")[0])
    assert len(seen["sessions"]) == 1  # one session for both grabs
    hang_guard = time.monotonic() + 10
    while json.loads(portal_desktop.cast("Seen")[0])["closed"] != seen["sessions"]:
        assert time.monotonic() < hang_guard, "the session was left open"
        time.sleep(0.05)
