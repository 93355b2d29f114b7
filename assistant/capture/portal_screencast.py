"""The desktop's `org.freedesktop.portal.ScreenCast` with PipeWire: agreed once, then silent and fast.

The session asks for one monitor with `persist_mode` 2 (until revoked): the desktop answers Start with a
`restore_token`, kept in a file of the user's own (mode 0600) and handed back to the next session's
SelectSources, so that later sessions start without a question. The session stays open while the app
runs (it belongs to this D-Bus connection), and each request takes one frame of its PipeWire stream:
GStreamer's pipewiresrc, given the portal's PipeWire socket, writes one PNG to a pipe.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import platformdirs
from PIL import Image, UnidentifiedImageError

from assistant.capture.base import CaptureError, Geometry, clip, opaque_rgb
from assistant.capture.portal_screenshot import CANCELLED_MESSAGE, SET_UP_SECONDS
from assistant.config import APP_NAME
from assistant.files import replace_text
from assistant.hotkeys.portal import CANCELLED, Portal, PortalTimeout, PortalUnavailable, new_token
from assistant.i18n import N_, _

SCREENCAST = "org.freedesktop.portal.ScreenCast"
MONITOR = 1
PERSIST_UNTIL_REVOKED = 2
START_SECONDS = 10.0
"""A session restored from its token starts without a question."""
FRAME_SECONDS = 20.0
"""All the tries for one frame together."""
TRY_SECONDS = 2.0
"""A stream sends a whole frame to each reader that connects, and it comes at once (0.2 s on a processor
kept busy), or never: a frame the compositor painted before the reader was ready is lost, and a window
that does not change is not painted again. So a reader that has had nothing for this long is replaced by
a new one, on a new connection (on a busy processor, KWin's first frame was lost one try in several)."""
ELEMENTS = ("pipewiresrc", "videoconvert", "pngenc", "fdsink")
"""What `one_frame`'s pipeline is made of."""
CHECK_SECONDS = 60.0
"""GStreamer's first run on a computer scans every plugin it has into its registry (seconds on a busy
processor); the check pays for that, so that a frame's deadline never has to."""

NO_PORTAL = N_(
    "No screen could be captured: this Wayland desktop offers no ScreenCast portal of version 4 or later; "
    "choose the screenshot portal in Settings instead."
)
NO_GSTREAMER = N_(
    "Screen capture through the ScreenCast portal needs GStreamer's PipeWire source; install "
    "gstreamer1.0-pipewire, gstreamer1.0-plugins-good and gstreamer1.0-tools, or choose the screenshot "
    "portal in Settings."
)
REFUSED = N_(
    "The desktop did not allow the screen to be shared; open the assistant's Settings, choose Set up "
    "screen capture and choose a screen to share when the desktop asks."
)


def token_path() -> Path:
    """Where the desktop's restore token is kept between runs (the user's state folder)."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False) / "screencast-restore-token"


class PortalScreenCastBackend:
    name = "screencast"
    title = N_("the desktop's ScreenCast portal with PipeWire")

    def __init__(
        self, address: str | None = None, token_file: Path | None = None, deadline: float = START_SECONDS
    ) -> None:
        self._address = address
        self._token_file = token_file or token_path()
        self._deadline = deadline
        self._lock = threading.Lock()
        self._portal: Portal | None = None
        self._session = ""
        self._node = 0
        self._position: tuple[int, int] = (0, 0)

    def problem(self) -> str | None:
        try:
            with Portal(self._address) as portal:
                version = portal.version(SCREENCAST)
        except PortalUnavailable:
            return _(NO_PORTAL)
        if version is None or version < 4:
            return _(NO_PORTAL)
        return None if gstreamer_ready() else _(NO_GSTREAMER)

    def grab_screen(self, at: tuple[int, int] | None = None) -> Image.Image:
        return self._frame()

    def grab_region(self, region: Geometry) -> Image.Image:
        frame = self._frame()
        left, top = region[0] - self._position[0], region[1] - self._position[1]
        left, top, width, height = clip((left, top, region[2], region[3]), (0, 0, *frame.size))
        return frame.crop((left, top, left + width, top + height))

    def set_up(self, deadline: float = SET_UP_SECONDS) -> None:
        """Start the session from the app's own window, where the desktop's chooser can be answered."""
        with self._lock:
            self._start(deadline)

    def close(self) -> None:
        with self._lock:
            portal, self._portal, self._session = self._portal, None, ""
        if portal is not None:
            portal.close()  # the session ends with the connection

    @property
    def restore_token(self) -> str:
        try:
            return self._token_file.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def _start(self, deadline: float) -> None:
        if self._portal is not None:
            return
        try:
            portal = Portal(self._address, enable_fds=True)  # the PipeWire socket comes as a descriptor
        except PortalUnavailable as error:
            raise CaptureError(_(NO_PORTAL)) from error
        try:
            self._session, self._node, self._position = self._negotiate(portal, deadline)
        except BaseException:
            portal.close()
            raise
        self._portal = portal

    def _negotiate(self, portal: Portal, deadline: float) -> tuple[str, int, tuple[int, int]]:
        version = portal.version(SCREENCAST)
        if version is None or version < 4:
            raise CaptureError(_(NO_PORTAL))
        created = self._ask(
            portal, "CreateSession", "a{sv}", (), {"session_handle_token": ("s", new_token())}, deadline
        )
        session = str(created["session_handle"])
        sources: dict[str, tuple[str, Any]] = {
            "types": ("u", MONITOR),
            "multiple": ("b", False),
            "persist_mode": ("u", PERSIST_UNTIL_REVOKED),
        }
        if token := self.restore_token:
            sources["restore_token"] = ("s", token)
        self._ask(portal, "SelectSources", "oa{sv}", (session,), sources, deadline)
        started = self._ask(portal, "Start", "osa{sv}", (session, ""), {}, deadline)
        if new := started.get("restore_token"):
            # The desktop may hand back a new token for the next restore; the last one given is kept.
            self._token_file.parent.mkdir(parents=True, exist_ok=True)
            replace_text(self._token_file, str(new), mode=0o600)
        streams = started.get("streams") or []
        if not streams:
            raise CaptureError(_(REFUSED))
        node, properties = streams[0]
        left, top = properties.get("position", (0, 0))
        return session, int(node), (int(left), int(top))

    def _ask(
        self,
        portal: Portal,
        method: str,
        signature: str,
        args: tuple[Any, ...],
        options: dict[str, tuple[str, Any]],
        deadline: float,
    ) -> dict[str, Any]:
        try:
            response = portal.request(SCREENCAST, method, signature, args, options, deadline)
        except PortalTimeout as error:
            raise CaptureError(
                _(
                    "The desktop's ScreenCast portal did not answer within {deadline:g} seconds; open the assistant's Settings, choose Set up screen capture and answer the desktop's question."
                ).format(deadline=deadline)
            ) from error
        except PortalUnavailable as error:
            raise CaptureError(_(NO_PORTAL)) from error
        if response.code == CANCELLED:
            raise CaptureError(_(CANCELLED_MESSAGE))
        if not response.granted:
            raise CaptureError(_(REFUSED))
        return dict(response.results)

    def _frame(self) -> Image.Image:
        deadline = time.monotonic() + FRAME_SECONDS
        while True:
            with self._lock:
                self._start(self._deadline)
                assert self._portal is not None
                remote = self._pipewire_remote(self._portal)
            try:
                left = deadline - time.monotonic()
                if (frame := one_frame(remote, self._node, min(TRY_SECONDS, max(left, 0.1)))) is not None:
                    return frame
            finally:
                os.close(remote)
            if time.monotonic() >= deadline:
                raise CaptureError(_("No frame came from the screen sharing stream in time; try again."))

    def _pipewire_remote(self, portal: Portal) -> int:
        """A file descriptor of the PipeWire connection that sees only this session's stream."""
        try:
            body = portal.call(SCREENCAST, "OpenPipeWireRemote", "oa{sv}", self._session, {})
        except PortalUnavailable as error:
            portal.close()
            self._portal, self._session = None, ""  # the desktop ended the session: start again next time
            raise CaptureError(
                _("The desktop ended the screen sharing session; capture again to start a new one.")
            ) from error
        return int(body[0].to_raw_fd())


_GSTREAMER_KNOBS = ("PATH", "GST_PLUGIN_SYSTEM_PATH_1_0", "GST_PLUGIN_PATH_1_0", "GST_REGISTRY_1_0")
_gstreamer_found: set[tuple[str | None, ...]] = set()


def gstreamer_ready() -> bool:
    """Whether GStreamer has every element of a frame's pipeline. Once they are found, for as long as
    this process's paths stay the same, they are not looked for again; a missing one is, next time."""
    where = tuple(os.environ.get(name) for name in _GSTREAMER_KNOBS)
    if where in _gstreamer_found:
        return True
    if not (shutil.which("gst-launch-1.0") and shutil.which("gst-inspect-1.0")):
        return False
    for element in ELEMENTS:
        try:
            # --exists alone also asks for GStreamer's own version of the plugin: pipewire's is 0.3.
            found = subprocess.run(
                ["gst-inspect-1.0", "--exists", "--atleast-version=0.0.0", element],
                capture_output=True,
                timeout=CHECK_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        if found.returncode != 0:
            return False
    _gstreamer_found.add(where)
    return True


def one_frame(remote: int, node: int, seconds: float) -> Image.Image | None:
    """One frame of PipeWire `node` over the connection `remote`, through GStreamer, as RGB; None when
    none came within `seconds`."""
    if not shutil.which("gst-launch-1.0"):
        raise CaptureError(_(NO_GSTREAMER))
    command = [
        "gst-launch-1.0",
        "-q",
        "pipewiresrc",
        f"fd={remote}",
        f"path={node}",
        "num-buffers=1",
        "!",
        "videoconvert",
        "!",
        "pngenc",
        "!",
        "fdsink",
        "fd=1",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=seconds, pass_fds=(remote,), check=False)
    except subprocess.TimeoutExpired:
        return None
    except OSError as error:
        raise CaptureError(_(NO_GSTREAMER)) from error
    try:
        with Image.open(io.BytesIO(done.stdout)) as image:
            image.load()
            return opaque_rgb(image)
    except (OSError, UnidentifiedImageError) as error:
        raise CaptureError(_("The screen sharing stream gave no picture; try again.")) from error
