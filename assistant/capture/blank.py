"""Telling a blank picture from one worth describing: one colour, or nearly, is named, not described.

A black screen curtain, a switched-off display or an empty desktop is one colour; the model would
invent a scene for it. A pointer on it, or a thin task bar along one edge, leaves it blank; a single
line of text does not.
"""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image

from assistant.i18n import _, pgettext

# Pixels further than this (summed over red, green and blue) from the main colour differ from it.
TOLERANCE = 48
# A band along an edge, at most this share of the picture's side and mostly not the main colour, is a
# task bar or a panel, and what is in it does not make the picture worth describing.
EDGE_BAR_SHARE = 0.08
# One shape no bigger than this (pixels, each way) is a pointer or a caret.
POINTER_SIZE = 64
# …and covers at most this share of the picture.
POINTER_SHARE = 0.02


def _main_colour(pixels: np.ndarray) -> np.ndarray:
    sample = pixels[::7, ::7].reshape(-1, 3).astype(np.uint32)
    # Each colour as one number (red, green, blue in that order of weight): counted 30 times faster than
    # rows of three, and the most common one is the same (ties go to the lowest, as with rows).
    packed = (sample[:, 0] << 16) | (sample[:, 1] << 8) | sample[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    colour = int(colours[counts.argmax()])
    return np.array([colour >> 16, (colour >> 8) & 0xFF, colour & 0xFF], dtype=np.int16)


def _differs_from(pixels: np.ndarray, main: np.ndarray) -> np.ndarray:
    """Which pixels are further than TOLERANCE from `main`, summed over red, green and blue."""
    import cv2

    # OpenCV's absolute difference and channel sum: the same numbers as numpy's, 10x faster on a screen.
    scalar = (int(main[0]), int(main[1]), int(main[2]), 0)
    # A scalar (one value a channel) is 15x faster than a picture of it; the stubs list pictures only.
    gap = cv2.absdiff(np.ascontiguousarray(pixels), scalar)  # type: ignore[call-overload]
    total = cv2.transform(gap, np.ones((1, 3), np.float32))
    return np.asarray(total).reshape(pixels.shape[:2]) > TOLERANCE


def _without_edge_bars(differs: np.ndarray) -> np.ndarray:
    """`differs` with a thin band along any edge that is mostly not the main colour cleared."""
    differs = differs.copy()
    for axis in (0, 1):
        share = differs.mean(axis=1 - axis)  # per row (axis 0) or per column (axis 1)
        side = differs.shape[axis]
        limit = max(int(side * EDGE_BAR_SHARE), 1)
        for edge in (share, share[::-1]):
            bar = 0
            while bar < side and edge[bar] > 0.5:
                bar += 1
            if 0 < bar <= limit:
                # A bar's own edge (a shadow, a border) is part of it.
                bar = min(bar + 2, side)
                span = slice(0, bar) if edge is share else slice(side - bar, side)
                if axis == 0:
                    differs[span, :] = False
                else:
                    differs[:, span] = False
    return differs


def _is_only_a_pointer(differs: np.ndarray) -> bool:
    import cv2

    if differs.mean() > POINTER_SHARE:  # a small picture filled by one shape is not a pointer on it
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(differs.astype(np.uint8), connectivity=8)
    shapes = stats[1:]
    if len(shapes) == 0:
        return True
    if len(shapes) > 1:  # a pointer is one shape; even "OK" is two
        return False
    left = shapes[:, cv2.CC_STAT_LEFT].min()
    top = shapes[:, cv2.CC_STAT_TOP].min()
    right = (shapes[:, cv2.CC_STAT_LEFT] + shapes[:, cv2.CC_STAT_WIDTH]).max()
    bottom = (shapes[:, cv2.CC_STAT_TOP] + shapes[:, cv2.CC_STAT_HEIGHT]).max()
    return right - left <= POINTER_SIZE and bottom - top <= POINTER_SIZE


def blank_colour(image: Image.Image) -> str | None:
    """The name of the colour filling `image` when it is blank ("black", "dark blue"), else None."""
    pixels = np.asarray(image.convert("RGB"))
    if pixels.size == 0:
        return "black"
    main = _main_colour(pixels)
    differs = _differs_from(pixels, main)
    if differs.any():
        differs = _without_edge_bars(differs)
    if differs.any() and not _is_only_a_pointer(differs):
        return None
    red, green, blue = (int(channel) for channel in main)
    return colour_name((red, green, blue))


def colour_name(rgb: tuple[int, int, int]) -> str:
    """A plain name for a colour: black, white, grey, dark blue, orange, …"""
    hue, saturation, value = colorsys.rgb_to_hsv(*(channel / 255 for channel in rgb))
    if value < 0.13:
        return "black"
    if saturation < 0.18 or (value - value * saturation < 0.02 and saturation < 0.25):
        if value > 0.9:
            return "white"
        if value > 0.65:
            return "light grey"
        return "grey" if value > 0.35 else "dark grey"
    degrees = hue * 360
    name = next(
        name
        for limit, name in (
            (15, "red"),
            (45, "orange"),
            (70, "yellow"),
            (160, "green"),
            (200, "cyan"),
            (255, "blue"),
            (290, "purple"),
            (335, "pink"),
            (361, "red"),
        )
        if degrees < limit
    )
    if name == "orange" and value < 0.6:
        return "brown"
    if value < 0.6:
        return f"dark {name}"
    if value > 0.85 and saturation < 0.45:
        return f"light {name}"
    return name


def blank_message(colour: str, what: str = "screen") -> str:
    """What is said instead of a description: "The screen is blank: all black." (in the user's language;
    `colour` is a name from `colour_name`, `what` one of screen, window, region, picture)."""
    shown = spoken_colour(colour)
    # Translators: said instead of a description when the picture is one colour; {colour} is a colour's
    # name ("black", "dark blue"). One sentence a kind of picture, for the grammar of your language.
    sentences = {
        "screen": _("The screen is blank: all {colour}."),
        "window": _("The window is blank: all {colour}."),
        "region": _("The region is blank: all {colour}."),
        "picture": _("The picture is blank: all {colour}."),
    }
    if what in sentences:
        return sentences[what].format(colour=shown)
    return _("The {what} is blank: all {colour}.").format(what=what, colour=shown)


def spoken_colour(colour: str) -> str:
    """A name from `colour_name` in the user's language: "dark blue" -> "azul oscuro"."""
    # Translators: colour names, said in "The screen is blank: all black."
    names = {
        "black": pgettext("colour", "black"),
        "white": pgettext("colour", "white"),
        "grey": pgettext("colour", "grey"),
        "light grey": pgettext("colour", "light grey"),
        "dark grey": pgettext("colour", "dark grey"),
        "red": pgettext("colour", "red"),
        "orange": pgettext("colour", "orange"),
        "yellow": pgettext("colour", "yellow"),
        "green": pgettext("colour", "green"),
        "cyan": pgettext("colour", "cyan"),
        "blue": pgettext("colour", "blue"),
        "purple": pgettext("colour", "purple"),
        "pink": pgettext("colour", "pink"),
        "brown": pgettext("colour", "brown"),
    }
    if colour in names:
        return names[colour]
    shade, _space, name = colour.partition(" ")
    if shade == "dark" and name in names:
        # Translators: a dark shade of a colour, {colour} being its name ("dark blue").
        return pgettext("colour", "dark {colour}").format(colour=names[name])
    if shade == "light" and name in names:
        # Translators: a light shade of a colour, {colour} being its name ("light blue").
        return pgettext("colour", "light {colour}").format(colour=names[name])
    return colour
