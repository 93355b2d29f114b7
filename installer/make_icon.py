"""Draws the app icon (an eye in a speech bubble) as SVG, PNG, ICO and ICNS from one set of shapes.

Run from the repository root: `python installer/make_icon.py`. Needs only Pillow.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
SIZE = 256
BACKGROUND = "#1d4ed8"  # strong blue, high contrast against both white and the dark eye
BUBBLE = "#ffffff"
EYE = "#0f172a"
# Shapes in a 256x256 canvas.
TILE = (8, 8, 248, 248, 48)  # x0, y0, x1, y1, corner radius
BUBBLE_BOX = (28, 44, 228, 188, 30)
BUBBLE_TAIL = ((84, 186), (128, 186), (70, 230))
EYE_LEFT, EYE_RIGHT, EYE_Y, EYE_BULGE = 52, 204, 116, 62  # almond between two corners
IRIS_RADIUS, PUPIL_RADIUS = 27, 12


def _almond(steps: int = 48) -> list[tuple[float, float]]:
    """Points along the eye's upper and lower quadratic curves."""
    mid = (EYE_LEFT + EYE_RIGHT) / 2
    points = []
    for sign in (-1, 1):
        for i in range(steps + 1):
            t = i / steps if sign < 0 else 1 - i / steps
            x = (1 - t) ** 2 * EYE_LEFT + 2 * (1 - t) * t * mid + t**2 * EYE_RIGHT
            y = EYE_Y + sign * 2 * (1 - t) * t * EYE_BULGE
            points.append((x, y))
    return points


def svg() -> str:
    """The icon as SVG text."""
    x0, y0, x1, y1, r = TILE
    bx0, by0, bx1, by1, br = BUBBLE_BOX
    tail = " ".join(f"{x},{y}" for x, y in BUBBLE_TAIL)
    mid = (EYE_LEFT + EYE_RIGHT) / 2
    cx, cy = mid, EYE_Y
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}">
  <title>Assistant</title>
  <rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{r}" fill="{BACKGROUND}"/>
  <rect x="{bx0}" y="{by0}" width="{bx1 - bx0}" height="{by1 - by0}" rx="{br}" fill="{BUBBLE}"/>
  <polygon points="{tail}" fill="{BUBBLE}"/>
  <path d="M{EYE_LEFT},{EYE_Y} Q{mid},{EYE_Y - 2 * EYE_BULGE} {EYE_RIGHT},{EYE_Y} \
Q{mid},{EYE_Y + 2 * EYE_BULGE} {EYE_LEFT},{EYE_Y} Z" fill="{EYE}"/>
  <circle cx="{cx}" cy="{cy}" r="{IRIS_RADIUS}" fill="{BUBBLE}"/>
  <circle cx="{cx}" cy="{cy}" r="{PUPIL_RADIUS}" fill="{EYE}"/>
</svg>
"""


def png(size: int = SIZE, oversample: int = 4) -> Image.Image:
    """The icon drawn with Pillow at `size` pixels (drawn larger, then scaled down for smooth edges)."""
    k = size * oversample / SIZE
    image = Image.new("RGBA", (size * oversample,) * 2, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(b: tuple[float, ...]) -> list[float]:
        return [v * k for v in b[:4]]

    draw.rounded_rectangle(box(TILE), radius=TILE[4] * k, fill=BACKGROUND)
    draw.rounded_rectangle(box(BUBBLE_BOX), radius=BUBBLE_BOX[4] * k, fill=BUBBLE)
    draw.polygon([(x * k, y * k) for x, y in BUBBLE_TAIL], fill=BUBBLE)
    draw.polygon([(x * k, y * k) for x, y in _almond()], fill=EYE)
    cx, cy = (EYE_LEFT + EYE_RIGHT) / 2 * k, EYE_Y * k
    for radius, colour in ((IRIS_RADIUS, BUBBLE), (PUPIL_RADIUS, EYE)):
        draw.ellipse([cx - radius * k, cy - radius * k, cx + radius * k, cy + radius * k], fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    (ROOT / "resources" / "assistant.svg").write_text(svg(), encoding="utf-8")
    icon = png()
    icon.save(ROOT / "resources" / "assistant.png", optimize=True)
    big = png(1024)
    big.save(
        ROOT / "installer" / "windows" / "assistant.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 256)]
    )
    big.save(ROOT / "installer" / "macos" / "Assistant.icns")


if __name__ == "__main__":
    main()
