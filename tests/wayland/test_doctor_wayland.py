"""`assistant doctor` names each capture and hotkey path it finds on a Wayland desktop, and the ones in use."""

from __future__ import annotations

import pytest
from test_sway_and_grim import OUTPUTS
from test_sway_and_grim import fake_grim as fake_grim  # a `grim` on PATH, a fixture
from test_sway_and_grim import sway_socket as sway_socket  # the stand-in for sway's IPC, a fixture

from assistant.capture import grab_screen, sway
from assistant.capture.base import CaptureError
from assistant.cli.doctor import check_display


def test_doctor_names_the_portals_in_use(portal_desktop, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    monkeypatch.delenv("SWAYSOCK", raising=False)
    lines = check_display()
    assert lines[0] == "Display: Wayland (wayland-1)."
    assert "Screen capture through the desktop's Screenshot portal (xdg-desktop-portal): in use" in lines
    assert any(line.startswith("Screen capture through the desktop's ScreenCast portal") for line in lines)
    assert (
        "Monitors: this desktop does not say which monitor you are on, so with several monitors all of them "
        "are described in one picture."
    ) in lines
    assert lines[-1] == "Hotkeys through the desktop's GlobalShortcuts portal: in use."


def test_doctor_without_portals_says_what_to_do(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-1")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    monkeypatch.delenv("SWAYSOCK", raising=False)
    lines = check_display()
    assert any("offers no screenshot portal; install xdg-desktop-portal" in line for line in lines)
    assert "“assistant trigger describe-screen”" in lines[-1]


def test_doctor_names_the_monitor_sway_focuses(sway_socket, tmp_path, monkeypatch) -> None:
    sway_socket[sway.GET_OUTPUTS] = [
        {**output, "focused": output["name"] == "HEADLESS-2"} for output in OUTPUTS
    ]
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    lines = check_display()
    assert (
        "Monitors: the screen described is the one you are on, now HEADLESS-2, as the desktop says." in lines
    )


def test_doctor_says_in_spanish_which_capture_is_in_use(
    sway_socket, fake_grim, spanish, tmp_path, monkeypatch
):
    """It said "in use" and "ready" in English among the Spanish."""
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    lines = check_display()
    assert "Captura de pantalla mediante grim (screencopy de wlroots: sway, Hyprland): en uso" in lines


def test_on_sway_without_grim_capture_says_to_install_grim(sway_socket, tmp_path, monkeypatch) -> None:
    """Without grim (and no portal), sway's user was told to install xdg-desktop-portal, and doctor did
    not name grim at all."""
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    installed = "grim is not installed; install it (Debian's package grim) or choose another screen capture."
    with pytest.raises(CaptureError) as error:
        grab_screen()
    assert str(error.value) == installed
    assert f"Screen capture through grim (wlroots screencopy: sway, Hyprland): {installed}" in check_display()


def test_doctor_names_kdes_numbered_screen_as_a_monitor(spanish, monkeypatch) -> None:
    """KWin 5.27 names its screens 0, 1…: doctor said "ahora 0"."""
    from assistant.capture import backends, monitors

    second = monitors.Monitor("1", (800, 0, 800, 600), 1.0, focused=True)
    monkeypatch.setattr(
        monitors, "layout", lambda: [monitors.Monitor("0", (0, 0, 800, 600), 1.0, False), second]
    )
    assert backends.monitor_line() == (
        "Monitores: la pantalla descrita es aquella en la que estás, ahora el monitor 2, según dice el escritorio."
    )
