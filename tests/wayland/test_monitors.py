"""Several monitors on Wayland: the one the user is on as the compositor tells it (sway's focused output),
and the part of a picture of the whole layout (the Screenshot portal's) that is one monitor or a region,
at the monitors' scale. Against a stand-in for sway's IPC socket (test_sway_and_grim's)."""

from __future__ import annotations

import pytest
from PIL import Image
from test_sway_and_grim import sway_socket as sway_socket  # the stand-in for sway's IPC, a fixture

from assistant.capture import monitors, sway
from assistant.capture.base import CaptureError
from assistant.capture.portal_screenshot import PortalScreenshotBackend

# HEADLESS-2 is 1280 x 960 pixels at scale 2, to the right of an 800 x 600 monitor: 1440 x 600 logical.
OUTPUTS = [
    {"name": "HEADLESS-1", "active": True, "focused": False, "scale": 1.0,
     "rect": {"x": 0, "y": 0, "width": 800, "height": 600}},
    {"name": "HEADLESS-2", "active": True, "focused": True, "scale": 2.0,
     "rect": {"x": 800, "y": 0, "width": 640, "height": 480}},
    {"name": "HEADLESS-3", "active": False, "rect": {"x": 0, "y": 0, "width": 0, "height": 0}},
]  # fmt: skip


def whole_desktop() -> Image.Image:
    """As grim (and so xdg-desktop-portal-wlr) takes the layout: at the largest scale, 2880 x 1200; the
    first monitor red, the second blue."""
    picture = Image.new("RGB", (2880, 1200), (255, 0, 0))
    picture.paste((0, 0, 255), (1600, 0, 2880, 960))
    return picture


def test_the_focused_monitor_is_the_one_the_user_is_on_whatever_the_pointer_says() -> None:
    found = monitors.from_sway(OUTPUTS)
    assert [monitor.name for monitor in found] == ["HEADLESS-1", "HEADLESS-2"]  # the inactive one left out
    assert monitors.current(found, at=(10, 10)) == monitors.Monitor(
        "HEADLESS-2", (800, 0, 640, 480), 2.0, True
    )
    unfocused = monitors.from_sway([{**output, "focused": False} for output in OUTPUTS])
    assert monitors.current(unfocused, at=(10, 10)).name == "HEADLESS-1"  # type: ignore[union-attr]
    assert monitors.current(unfocused) is None and monitors.current(None, at=(10, 10)) is None
    assert monitors.bounds(found) == (0, 0, 1440, 600)


def test_a_part_of_the_whole_desktop_is_cut_at_its_scale() -> None:
    found = monitors.from_sway(OUTPUTS)
    second = monitors.picture_part(whole_desktop(), (800, 0, 640, 480), found)
    assert second is not None and second.size == (1280, 960)
    assert second.getcolors() == [(1280 * 960, (0, 0, 255))]
    across = monitors.picture_part(whole_desktop(), (790, 10, 20, 5), found)
    assert across is not None and across.size == (40, 10)
    assert across.getpixel((19, 0)) == (255, 0, 0) and across.getpixel((20, 0)) == (0, 0, 255)
    # A picture that is not of this layout (one monitor alone) is not cut.
    assert monitors.picture_part(Image.new("RGB", (800, 600)), (800, 0, 640, 480), found) is None


@pytest.fixture
def portal_on_sway(sway_socket, monkeypatch: pytest.MonkeyPatch) -> PortalScreenshotBackend:
    """The Screenshot portal's backend on sway, its picture the whole desktop as xdpw gives it."""
    sway_socket[sway.GET_OUTPUTS] = OUTPUTS
    monkeypatch.setattr(PortalScreenshotBackend, "shoot", lambda self, deadline=None: whole_desktop())
    return PortalScreenshotBackend()


def test_the_portals_picture_is_cut_to_the_monitor_sway_focuses(portal_on_sway) -> None:
    screen = portal_on_sway.grab_screen(at=(10, 10))
    assert screen.size == (1280, 960) and screen.getcolors() == [(1280 * 960, (0, 0, 255))]


def test_a_region_of_the_portals_picture_is_in_the_layouts_logical_pixels(portal_on_sway) -> None:
    """A window's frame from sway's get_tree on the second monitor, at its scale; the part outside cut off."""
    window = portal_on_sway.grab_region((1000, 100, 1000, 100))
    assert window.size == (880, 200) and window.getcolors() == [(880 * 200, (0, 0, 255))]
    with pytest.raises(CaptureError, match="outside the screen"):
        portal_on_sway.grab_region((2000, 0, 10, 10))


def test_without_a_compositor_that_tells_the_portal_gives_the_whole_desktop(monkeypatch) -> None:
    """GNOME, KDE: where the monitors lie is not known, so all of them are described."""
    monkeypatch.delenv("SWAYSOCK", raising=False)
    monkeypatch.setattr(PortalScreenshotBackend, "shoot", lambda self, deadline=None: whole_desktop())
    assert PortalScreenshotBackend().grab_screen(at=(10, 10)).size == (2880, 1200)
    assert PortalScreenshotBackend().grab_region((1000, 100, 10, 10)).getpixel((0, 0)) == (255, 0, 0)
