"""Blank pictures are named by their colour and not described; a line of text is not blank."""

import pytest
from PIL import Image, ImageDraw, ImageFont

from assistant.capture.blank import blank_colour, blank_message, colour_name


@pytest.mark.parametrize(
    ("colour", "name"),
    [
        ((0, 0, 0), "black"),
        ((255, 255, 255), "white"),
        ((30, 60, 140), "dark blue"),
        ((128, 128, 128), "grey"),
    ],
)
@pytest.mark.parametrize("size", [(1920, 1080), (800, 600), (64, 48)])
def test_one_colour_is_blank_and_named(colour, name, size) -> None:
    assert blank_colour(Image.new("RGB", size, colour)) == name


def test_nearly_one_colour_is_blank() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    noise = rng.integers(0, 10, size=(600, 800, 3), dtype=np.uint8)
    assert blank_colour(Image.fromarray(noise)) == "black"


def draw_pointer(picture: Image.Image, x: int, y: int) -> None:
    ImageDraw.Draw(picture).polygon(
        [
            (x, y),
            (x, y + 20),
            (x + 5, y + 15),
            (x + 9, y + 23),
            (x + 12, y + 22),
            (x + 8, y + 14),
            (x + 14, y + 14),
        ],
        fill="white",
        outline="black",
    )


def test_a_desktop_with_a_pointer_and_a_task_bar_is_blank() -> None:
    desktop = Image.new("RGB", (1920, 1080), (20, 70, 120))
    draw = ImageDraw.Draw(desktop)
    draw.rectangle((0, 1040, 1920, 1080), fill=(40, 40, 40))
    draw.text((1840, 1050), "12:30", fill="white", font=ImageFont.load_default(16))
    draw.rectangle((8, 1046, 36, 1074), fill=(200, 80, 40))  # an icon
    draw_pointer(desktop, 900, 500)
    assert blank_colour(desktop) == "dark blue"


def test_a_black_curtain_with_a_pointer_is_blank() -> None:
    curtain = Image.new("RGB", (1280, 800), "black")
    draw_pointer(curtain, 10, 10)
    assert blank_colour(curtain) == "black"


@pytest.mark.parametrize("text", ["OK", "Hello world", "Press any key to continue"])
def test_one_short_line_of_text_is_not_blank(text) -> None:
    picture = Image.new("RGB", (1920, 1080), "white")
    ImageDraw.Draw(picture).text((900, 500), text, fill="black", font=ImageFont.load_default(16))
    assert blank_colour(picture) is None


def test_a_picture_of_two_halves_is_not_blank() -> None:
    picture = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(picture).rectangle((0, 0, 200, 300), fill="black")
    assert blank_colour(picture) is None


def test_colour_names_and_the_message() -> None:
    assert colour_name((250, 250, 250)) == "white"
    assert colour_name((200, 30, 30)) == "red"
    assert colour_name((110, 60, 20)) == "brown"
    assert colour_name((30, 170, 60)) == "green"
    assert blank_message("black") == "The screen is blank: all black."
    assert blank_message("white", "picture") == "The picture is blank: all white."


def test_a_small_picture_of_noise_is_not_blank() -> None:
    import random

    rng = random.Random(1)
    assert blank_colour(Image.frombytes("RGB", (40, 30), rng.randbytes(40 * 30 * 3))) is None
