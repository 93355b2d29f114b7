"""grim: wlroots' screencopy (sway, Hyprland, river), what xdg-desktop-portal-wlr itself runs.

grim writes a PNG to its standard output; nothing touches the disk. Where the compositor tells where
the monitors lie (sway: `monitors`), the screen is the monitor the user is on (`grim -o`, at its own
scale) and a region is taken by grim itself (`grim -g`, in the layout's logical pixels, at the largest
scale of the monitors it covers); elsewhere the whole desktop is taken, and a region cut from it.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess

from PIL import Image, UnidentifiedImageError

from assistant.capture import monitors
from assistant.capture.base import CaptureError, Geometry, clip, opaque_rgb
from assistant.i18n import N_, _

DEADLINE_SECONDS = 10.0


class GrimBackend:
    name = "grim"
    title = N_("grim (wlroots screencopy: sway, Hyprland)")

    def problem(self) -> str | None:
        if not os.environ.get("WAYLAND_DISPLAY"):
            return _(
                "grim needs a Wayland desktop, and none was found; start the assistant from the desktop."
            )
        if not shutil.which("grim"):
            return _(
                "grim is not installed; install it (Debian's package grim) or choose another screen capture."
            )
        return None

    def grab_screen(self, at: tuple[int, int] | None = None) -> Image.Image:
        monitor = monitors.current(monitors.layout(), at)
        return self._grim(["-o", monitor.name] if monitor is not None else [])

    def grab_region(self, region: Geometry) -> Image.Image:
        found = monitors.layout()
        if found is not None:
            left, top, width, height = clip(region, monitors.bounds(found))
            return self._grim(["-g", f"{left},{top} {width}x{height}"])
        desktop = self._grim([])
        left, top, width, height = clip(region, (0, 0, *desktop.size))
        return desktop.crop((left, top, left + width, top + height))

    def _grim(self, where: list[str]) -> Image.Image:
        """grim's picture of `where` (its -o or -g arguments; the whole desktop where empty)."""
        if (problem := self.problem()) is not None:
            raise CaptureError(problem)
        command = ["grim", "-t", "png", "-l", "0", *where, "-"]
        try:
            done = subprocess.run(command, capture_output=True, timeout=DEADLINE_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise CaptureError(_("grim did not capture the screen in time; try again.")) from error
        if done.returncode != 0:
            why = done.stderr.decode(errors="replace").strip().splitlines()
            raise CaptureError(
                _(
                    "grim could not capture the screen ({value}); check that the compositor offers screencopy, or choose the portal in Settings."
                ).format(value=why[-1] if why else _("no reason given"))
            )
        try:
            with Image.open(io.BytesIO(done.stdout)) as image:
                image.load()
                return opaque_rgb(image)
        except (OSError, UnidentifiedImageError) as error:
            raise CaptureError(_("grim gave no picture; try again.")) from error
