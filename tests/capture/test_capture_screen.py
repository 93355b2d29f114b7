"""Screen capture against a real X server: Xvfb with a red root window and a blue window at a known place."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from assistant.bench.xvfb import Xvfb
from assistant.capture import CaptureError, crop_region, grab_region, grab_screen
from assistant.errors import UserError

SCREEN = (320, 240)
XVFB_SIZE = SCREEN  # the shared xvfb fixture's screen
WINDOW = (40, 30, 100, 50)  # left, top, width, height of the blue window
RED, BLUE = (255, 0, 0), (0, 0, 255)

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="X11 displays exist only on Linux"
)


class Painter:
    """Paints the root window and maps one window through libX11; the window lives while this is open."""

    def __init__(self, display: str) -> None:
        name = ctypes.util.find_library("X11")
        assert name, "libX11 (Debian package libx11-6) is needed to paint the test screen"
        x11 = ctypes.CDLL(name)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XSetWindowBackground.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
        x11.XClearWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XCreateSimpleWindow.restype = ctypes.c_ulong
        x11.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int]
        x11.XCreateSimpleWindow.argtypes += [ctypes.c_uint] * 3 + [ctypes.c_ulong] * 2
        x11.XMapWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.x11 = x11
        self.connection = x11.XOpenDisplay(display.encode())
        assert self.connection, f"could not connect to the test display {display}"

    def paint(self) -> None:
        x11, connection = self.x11, self.connection
        root = x11.XDefaultRootWindow(connection)
        x11.XSetWindowBackground(connection, root, 0xFF0000)
        x11.XClearWindow(connection, root)
        left, top, width, height = WINDOW
        window = x11.XCreateSimpleWindow(connection, root, left, top, width, height, 0, 0, 0x0000FF)
        x11.XMapWindow(connection, window)
        x11.XSync(connection, 0)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.connection)


@pytest.fixture(scope="module")
def display(xvfb: Xvfb) -> Iterator[str]:
    """The module's Xvfb (as $DISPLAY), painted red with a blue window."""
    painter = Painter(xvfb.display)
    try:
        painter.paint()
        yield xvfb.display
    finally:
        painter.close()


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.getcolors(maxcolors=image.width * image.height)}


def test_grab_screen_gives_the_whole_monitor(display: str) -> None:
    image = grab_screen()
    assert image.mode == "RGB"
    assert image.size == SCREEN
    assert image.getpixel((0, 0)) == RED
    assert image.getpixel((SCREEN[0] - 1, SCREEN[1] - 1)) == RED
    left, top, width, height = WINDOW
    assert image.getpixel((left, top)) == BLUE
    assert image.getpixel((left + width - 1, top + height - 1)) == BLUE
    assert image.getpixel((left + width, top + height)) == RED


@pytest.mark.parametrize("point", [(10, 10), (319, 239), (5000, -40)])
def test_grab_screen_at_a_point_gives_its_monitor(display: str, point: tuple[int, int]) -> None:
    image = grab_screen(at=point)
    assert image.size == SCREEN
    assert image.getpixel((0, 0)) == RED


def test_grab_region_gives_exactly_that_region(display: str) -> None:
    image = grab_region(*WINDOW)
    assert image.size == WINDOW[2:]
    assert colours(image) == {BLUE}
    around = grab_region(WINDOW[0] - 5, WINDOW[1] - 5, 20, 10)
    assert around.size == (20, 10)
    assert around.getpixel((0, 0)) == RED
    assert around.getpixel((19, 9)) == BLUE


def test_grab_region_is_cut_to_the_screen(display: str) -> None:
    image = grab_region(300, 220, 100, 100)
    assert image.size == (20, 20)
    assert colours(image) == {RED}


@pytest.mark.parametrize(
    ("region", "words"),
    [((10, 10, 0, 5), "empty"), ((10, 10, 5, -1), "empty"), ((400, 10, 50, 50), "outside the screen")],
)
def test_impossible_regions_are_refused(display: str, region: tuple[int, int, int, int], words: str) -> None:
    with pytest.raises(CaptureError, match=words):
        grab_region(*region)


def test_grabs_from_several_threads(display: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: grab_region(*WINDOW), range(8)))
    assert all(colours(image) == {BLUE} for image in results)


def test_nothing_is_written_to_disk(display: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    grab_screen()
    grab_region(0, 0, 10, 10)
    assert list(tmp_path.iterdir()) == []


@linux_only
def test_no_display_gives_a_friendly_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    for capture in (grab_screen, lambda: grab_region(0, 0, 10, 10)):
        with pytest.raises(CaptureError) as error:
            capture()
        message = str(error.value)
        assert isinstance(error.value, UserError)
        assert message.startswith("No screen could be captured: no display is available.")
        assert "\n" not in message


@linux_only
def test_wayland_without_x_display_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    with pytest.raises(CaptureError, match="Wayland"):
        grab_screen()


@linux_only
def test_unreachable_display_gives_a_friendly_error(monkeypatch: pytest.MonkeyPatch) -> None:
    number = next(n for n in range(3917, 4000) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    monkeypatch.setenv("DISPLAY", f":{number}")
    with pytest.raises(CaptureError) as error:
        grab_screen()
    assert str(error.value) == (
        f"No screen could be captured: the display :{number} could not be reached. "
        "Check that the desktop is running."
    )


def test_a_part_of_a_screenshot_is_cut_like_a_region_of_the_screen() -> None:
    screenshot = Image.new("RGB", (100, 50), (0, 0, 0))
    screenshot.paste((255, 0, 0), (10, 10, 30, 20))
    part = crop_region(screenshot, 10, 10, 20, 10)
    assert part.size == (20, 10)
    assert colours(part) == {(255, 0, 0)}
    assert crop_region(screenshot, 90, 40, 30, 30).size == (10, 10)
    with pytest.raises(CaptureError, match=r"^The chosen region is empty"):
        crop_region(screenshot, 0, 0, 0, 10)
    with pytest.raises(CaptureError, match=r"^The chosen region lies outside the screen"):
        crop_region(screenshot, 100, 0, 10, 10)
