"""The desktop's `org.freedesktop.portal.Screenshot` (xdg-desktop-portal): GNOME, KDE, wlroots, any Wayland.

One non-interactive request a grab. The portal answers with a file it wrote (in the user's Pictures
folder on most desktops): it is read into memory and deleted, so no picture stays on disk. Version 3
and later take a `target`; where `AvailableTargets` offers the active window, the focused window is
grabbed alone; older portals (version 1 and 2) get no target and give the whole desktop. The picture
is of every monitor: the one the user is on is cut from it where the compositor says which (sway,
`monitors`); elsewhere (GNOME, KDE) the whole desktop is described.

Permission: GNOME and xdg-desktop-portal 1.17+ ask once whether the app may take screenshots, and
only the focused app sees that question. So `set_up` is called from the app's own window (Settings,
"Set up screen capture"), with a deadline long enough for the user to answer; the desktop keeps the
answer in its permission store, and later grabs are silent.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from PIL import Image, UnidentifiedImageError

from assistant.capture import monitors
from assistant.capture.base import CaptureError, Geometry, clip, opaque_rgb
from assistant.hotkeys.portal import (
    CANCELLED,
    GRANTED,
    Portal,
    PortalTimeout,
    PortalUnavailable,
    offers,
)
from assistant.i18n import N_, _

SCREENSHOT = "org.freedesktop.portal.Screenshot"
TARGET_SCREEN, TARGET_WINDOW, TARGET_AREA, TARGET_ACTIVE_WINDOW = 1, 2, 4, 8
CAPTURE_SECONDS = 10.0
"""A grab without a question: the portal's own work (grim behind xdg-desktop-portal-wlr takes 0.25 s)."""
STORE = "org.freedesktop.impl.portal.PermissionStore"
STORE_PATH = "/org/freedesktop/impl/portal/PermissionStore"
SET_UP_SECONDS = 120.0
"""Time for the user to read and answer the desktop's question."""

NO_PORTAL = N_(
    "No screen could be captured: this Wayland desktop offers no screenshot portal; install "
    "xdg-desktop-portal with your desktop's backend (xdg-desktop-portal-gnome, -kde or -wlr), "
    "or describe an image file or the clipboard instead."
)
REFUSED = N_(
    "The desktop did not allow the screenshot; open the assistant's Settings, choose Set up screen "
    "capture and allow it when the desktop asks, or allow screenshots in the desktop's privacy settings."
)
CANCELLED_MESSAGE = N_(
    "The screenshot was cancelled in the desktop's dialog; capture again and choose Allow or Share."
)


def no_answer(deadline: float) -> str:
    return _(
        "The desktop's screenshot portal did not answer within {deadline:g} seconds; open the assistant's Settings, choose Set up screen capture and answer the desktop's question."
    ).format(deadline=deadline)


class PortalScreenshotBackend:
    name = "portal"
    title = N_("the desktop's Screenshot portal (xdg-desktop-portal)")

    def __init__(self, address: str | None = None, deadline: float = CAPTURE_SECONDS) -> None:
        self._address = address
        self._deadline = deadline

    def problem(self) -> str | None:
        return None if offers(SCREENSHOT, self._address) is not None else _(NO_PORTAL)

    def grab_screen(self, at: tuple[int, int] | None = None) -> Image.Image:
        # The portal gives the whole desktop and says nothing of where each monitor lies in it: the
        # monitor the user is on is cut from it where the compositor tells (sway); elsewhere all of it.
        desktop = self.shoot()
        found = monitors.layout()
        monitor = monitors.current(found, at)
        if found is not None and monitor is not None:
            part = monitors.picture_part(desktop, monitor.rect, found)
            if part is not None:
                return part
        return desktop

    def grab_region(self, region: Geometry) -> Image.Image:
        desktop = self.shoot()
        found = monitors.layout()
        if found is not None:  # the region is in the layout's logical pixels, the picture at its scale
            part = monitors.picture_part(desktop, clip(region, monitors.bounds(found)), found)
            if part is not None:
                return part
        left, top, width, height = clip(region, (0, 0, *desktop.size))
        return desktop.crop((left, top, left + width, top + height))

    def grab_active_window(self) -> Image.Image | None:
        """The focused window alone where the portal offers that target (version 3 and later), else None."""
        with self._portal() as portal:
            version = portal.version(SCREENSHOT) or 0
            if version < 3 or not self._offers_active_window(portal):
                return None
            return self._request(portal, self._deadline, TARGET_ACTIVE_WINDOW)

    def shoot(self, deadline: float | None = None) -> Image.Image:
        """The whole desktop, by one request answered within `deadline` seconds."""
        with self._portal() as portal:
            if portal.version(SCREENSHOT) is None:
                raise CaptureError(_(NO_PORTAL))
            return self._request(portal, self._deadline if deadline is None else deadline, None)

    def set_up(self, deadline: float = SET_UP_SECONDS) -> Image.Image:
        """The first grab, asked from the app's own window so that the user can answer the desktop. A
        refusal the desktop kept is forgotten first: xdg-desktop-portal never asks again once told "no",
        so the user who chose this to allow capture, as the refusal's sentence says, was refused at once."""
        with contextlib.suppress(PortalUnavailable, CaptureError, TimeoutError), self._portal() as portal:
            forget_refusal(portal)
        return self.shoot(deadline)

    def _portal(self) -> Portal:
        try:
            return Portal(self._address)
        except PortalUnavailable as error:
            raise CaptureError(_(NO_PORTAL)) from error

    def _offers_active_window(self, portal: Portal) -> bool:
        try:
            body = portal.call("org.freedesktop.DBus.Properties", "Get", "ss", SCREENSHOT, "AvailableTargets")
        except PortalUnavailable:
            return False  # a version 3 portal that does not list its targets: the screen only
        return bool(int(body[0][1]) & TARGET_ACTIVE_WINDOW)

    def _request(self, portal: Portal, deadline: float, target: int | None) -> Image.Image:
        options: dict[str, tuple[str, object]] = {"interactive": ("b", False)}
        if target is not None:
            options["target"] = ("u", target)
        try:
            response = portal.request(SCREENSHOT, "Screenshot", "sa{sv}", ("",), options, deadline)
        except PortalTimeout as error:
            raise CaptureError(no_answer(deadline)) from error
        except PortalUnavailable as error:
            raise CaptureError(_(NO_PORTAL)) from error
        if response.code == CANCELLED:
            raise CaptureError(_(CANCELLED_MESSAGE))
        if response.code != GRANTED:
            raise CaptureError(_(REFUSED))
        return take_file(str(response.results.get("uri", "")))


def forget_refusal(portal: Portal) -> None:
    """Drop a "no" kept for this app (a host app: "") in the permission store's screenshot table."""
    from jeepney import DBusAddress, MessageType, new_method_call

    store = DBusAddress(STORE_PATH, bus_name=STORE, interface=STORE)

    def call(method: str, signature: str, *args: str) -> Any:
        reply = portal.router.send_and_get_reply(new_method_call(store, method, signature, args), timeout=2)
        if reply.header.message_type == MessageType.error:
            raise PortalUnavailable(f"{STORE}.{method}: {reply.body[0] if reply.body else 'failed'}")
        return reply.body

    kept, _data = call("Lookup", "ss", "screenshot", "screenshot")
    if list(kept.get("", [])) == ["no"]:
        call("DeletePermission", "sss", "screenshot", "screenshot", "")


def take_file(uri: str) -> Image.Image:
    """The picture at the portal's `file://` URI, in memory; the file itself is deleted."""
    parsed = urlparse(uri)
    if parsed.scheme != "file" or not parsed.path:
        raise CaptureError(_("The desktop's screenshot portal gave no picture; try again."))
    path = Path(unquote(parsed.path))
    try:
        with Image.open(path) as image:
            image.load()
            picture = opaque_rgb(image)
    except (OSError, UnidentifiedImageError) as error:
        raise CaptureError(_("The desktop's screenshot could not be read; try again.")) from error
    finally:
        with contextlib.suppress(OSError):  # a portal of a sandbox may hand over a read-only copy
            path.unlink()
    return picture
