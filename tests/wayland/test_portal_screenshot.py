"""The Screenshot portal backend against the real xdg-desktop-portal, its desktop side mocked."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from assistant.capture import NoFocusedWindow, grab_focused_window
from assistant.capture.backends import choose_backend, use_backend
from assistant.capture.base import CaptureError
from assistant.capture.portal_screenshot import CANCELLED_MESSAGE, REFUSED, PortalScreenshotBackend, no_answer
from assistant.capture.window import WAYLAND_MESSAGE

WAYLAND = {"WAYLAND_DISPLAY": "wayland-1", "XDG_SESSION_TYPE": "wayland"}


def desktop_picture(portal_desktop) -> str:
    """A screenshot as the desktop writes one: red, with a blue square at (10, 10)."""
    picture = Image.new("RGBA", (64, 48), (255, 0, 0, 255))
    picture.paste((0, 0, 255, 255), (10, 10, 20, 20))
    path = portal_desktop.pictures / "Screenshot from today.png"
    picture.save(path)
    return path.as_uri()


def test_consent_given_gives_the_desktop_in_memory_and_leaves_no_file(portal_desktop) -> None:
    uri = desktop_picture(portal_desktop)
    portal_desktop.answer(response=0, uri=uri)
    image = PortalScreenshotBackend().grab_screen(at=(5, 5))
    assert image.mode == "RGB" and image.size == (64, 48)
    assert image.getpixel((0, 0)) == (255, 0, 0) and image.getpixel((15, 15)) == (0, 0, 255)
    assert list(portal_desktop.pictures.iterdir()) == []  # the portal's file is gone
    options = portal_desktop.seen()["screenshot_options"]
    assert len(options) == 1 and not options[0]["interactive"]


def test_a_region_is_cut_from_the_portals_picture(portal_desktop) -> None:
    portal_desktop.answer(response=0, uri=desktop_picture(portal_desktop))
    region = PortalScreenshotBackend().grab_region((10, 10, 10, 10))
    assert region.size == (10, 10)
    assert region.getcolors() == [(100, (0, 0, 255))]


@pytest.mark.parametrize(("response", "message"), [(2, REFUSED), (1, CANCELLED_MESSAGE)])
def test_refused_or_cancelled_says_how_to_allow_it(portal_desktop, response: int, message: str) -> None:
    portal_desktop.answer(response=response, uri=desktop_picture(portal_desktop))
    with pytest.raises(CaptureError) as error:
        PortalScreenshotBackend().grab_screen()
    assert str(error.value) == message
    assert "\n" not in message and message.count(". ") == 0


def test_a_portal_that_never_answers_is_caught_by_the_deadline_and_the_request_closed(portal_desktop) -> None:
    portal_desktop.answer(never=True)
    with pytest.raises(CaptureError) as error:
        PortalScreenshotBackend(deadline=0.5).grab_screen()
    assert str(error.value) == no_answer(0.5)
    hang_guard = time.monotonic() + 10
    while not portal_desktop.seen()["closed"]:
        assert time.monotonic() < hang_guard, "the request was never closed on the desktop's side"
        time.sleep(0.05)


def test_wayland_chooses_the_portal_where_it_runs(portal_desktop, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no grim
    backend, notes = choose_backend({**WAYLAND}, "linux", preferred="auto")
    assert backend.name == "portal" and notes == []
    backend, notes = choose_backend({**WAYLAND}, "linux", preferred="grim")
    assert backend.name == "portal"
    assert notes and notes[0].startswith("The chosen screen capture, grim")


def test_the_chosen_backend_serves_the_public_grabs(portal_desktop, monkeypatch) -> None:
    from assistant.capture import grab_screen

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.delenv("SWAYSOCK", raising=False)
    use_backend("portal")
    try:
        portal_desktop.answer(response=0, uri=desktop_picture(portal_desktop))
        assert grab_screen().size == (64, 48)
        # Debian 12's portal (1.16) is version 2: no active-window target, so no window is found.
        with pytest.raises(NoFocusedWindow) as error:
            grab_focused_window()
        assert str(error.value) == WAYLAND_MESSAGE
    finally:
        use_backend("auto")


def test_the_desktop_asks_once_and_keeps_the_answer(portal_desktop) -> None:
    backend = PortalScreenshotBackend()
    portal_desktop.answer(response=0, uri=desktop_picture(portal_desktop))
    backend.set_up()  # from the app's own window, where the user sees the question
    portal_desktop.answer(response=0, uri=desktop_picture(portal_desktop))
    backend.grab_screen()
    assert len(portal_desktop.seen()["access_asked"]) == 1
    assert len(portal_desktop.seen()["screenshot_options"]) == 2


def test_consent_refused_is_kept_and_said_in_one_sentence(portal_desktop) -> None:
    backend = PortalScreenshotBackend()
    portal_desktop.answer(access=2, uri=desktop_picture(portal_desktop))
    for _ in range(2):
        with pytest.raises(CaptureError) as error:
            backend.grab_screen()
        assert str(error.value) == REFUSED
    seen = portal_desktop.seen()
    assert len(seen["access_asked"]) == 1  # the second refusal came from the kept answer
    assert seen["screenshot_options"] == []  # nothing was captured


def test_no_portal_at_all_still_means_the_screen_is_described(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("SWAYSOCK", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    use_backend("portal")
    try:
        with pytest.raises(NoFocusedWindow) as error:
            grab_focused_window()
        assert str(error.value) == WAYLAND_MESSAGE
    finally:
        use_backend("auto")


def test_where_nothing_runs_the_users_choice_says_what_to_do(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    backend, notes = choose_backend({**WAYLAND}, "linux", preferred="portal")
    assert backend.name == "portal" and notes[0].startswith("The chosen screen capture")
    backend, notes = choose_backend({**WAYLAND}, "linux", preferred="auto")
    assert backend.name == "portal" and notes == []


def test_set_up_after_a_refusal_asks_the_desktop_again(portal_desktop) -> None:
    """The refusal tells the user to choose Set up screen capture and allow it; xdg-desktop-portal kept the
    "no" and never asked again, so the set-up was refused at once, however often it was chosen."""
    backend = PortalScreenshotBackend()
    portal_desktop.answer(access=2, uri=desktop_picture(portal_desktop))
    with pytest.raises(CaptureError):
        backend.grab_screen()
    portal_desktop.answer(access=0, uri=desktop_picture(portal_desktop))
    backend.set_up()  # the user chose Set up screen capture and allowed it
    assert len(portal_desktop.seen()["access_asked"]) == 2
    portal_desktop.answer(access=2, uri=desktop_picture(portal_desktop))
    backend.grab_screen()  # the "yes" is kept: no question
    assert len(portal_desktop.seen()["access_asked"]) == 2
