"""The app icon and the menu entry template that the installers put in place."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "resources"


def load_make_icon():
    spec = importlib.util.spec_from_file_location("make_icon", REPO / "installer" / "make_icon.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_png_icon_is_256_pixels_with_transparent_corners() -> None:
    with Image.open(RESOURCES / "assistant.png") as icon:
        assert icon.size == (256, 256) and icon.mode == "RGBA"
        assert icon.getpixel((0, 0))[3] == 0 and icon.getpixel((255, 255))[3] == 0
        assert icon.getpixel((128, 128))[3] == 255


def test_committed_icons_match_the_drawing() -> None:
    make_icon = load_make_icon()
    assert (RESOURCES / "assistant.svg").read_text(encoding="utf-8") == make_icon.svg()
    svg = ElementTree.parse(RESOURCES / "assistant.svg").getroot()
    assert svg.get("viewBox") == "0 0 256 256"
    with Image.open(RESOURCES / "assistant.png") as committed:
        difference = ImageChops.difference(committed.convert("RGBA"), make_icon.png())
        assert max(ImageStat.Stat(difference).mean) < 2  # the same picture, whatever Pillow drew it


def test_windows_and_macos_icons_hold_the_sizes_they_need() -> None:
    with Image.open(REPO / "installer" / "windows" / "assistant.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(REPO / "installer" / "macos" / "Assistant.icns") as icns:
        assert icns.size[0] >= 512


def test_desktop_entry_template_is_valid() -> None:
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    result = subprocess.run(
        ["desktop-file-validate", str(RESOURCES / "assistant.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    lines = (RESOURCES / "assistant.desktop").read_text().splitlines()
    assert "Exec=assistant run" in lines and "Icon=assistant" in lines and "Terminal=false" in lines
