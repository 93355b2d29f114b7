"""Odd and broken images: each is built here with Pillow and must come out as plain RGB or a clear error."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from assistant.engine import images
from assistant.engine.base import EngineError
from assistant.engine.images import ImageError, image_fingerprint, load_images, normalize_image

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 2) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def saved(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_plain_rgb(image: Image.Image) -> None:
    assert isinstance(image, Image.Image)
    assert image.mode == "RGB"
    assert min(image.size) >= images.MIN_SIDE


# --- transparency -------------------------------------------------------------------------------------


def test_rgba_is_composited_on_white() -> None:
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    image.putpixel((1, 1), (255, 0, 0, 255))
    image.putpixel((2, 2), (255, 0, 0, 128))
    result = normalize_image(image)
    assert_plain_rgb(result)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((1, 1)) == RED
    assert close_to(result.getpixel((2, 2)), (255, 127, 127))


def test_la_is_composited_on_white() -> None:
    image = Image.new("LA", (20, 20), (0, 0))
    image.putpixel((3, 3), (0, 255))
    image.putpixel((4, 4), (100, 255))
    result = normalize_image(image)
    assert_plain_rgb(result)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((3, 3)) == BLACK
    assert result.getpixel((4, 4)) == (100, 100, 100)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparent_index_is_composited_on_white(tmp_path: Path, fmt: str) -> None:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    image.putpixel((5, 5), 1)
    path = write(tmp_path, f"icon.{fmt.lower()}", saved(image, fmt, transparency=0))
    with Image.open(path) as check:
        assert check.mode == "P"
        assert check.info.get("transparency") == 0
    result = normalize_image(path)
    assert_plain_rgb(result)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((5, 5)) == BLUE


def test_palette_with_alpha_is_composited_on_white() -> None:
    image = Image.new("RGBA", (20, 20), (0, 255, 0, 0))
    image.putpixel((6, 6), (0, 255, 0, 255))
    palette_alpha = image.convert("PA")
    assert palette_alpha.mode == "PA"
    result = normalize_image(palette_alpha)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((6, 6)) == GREEN


def test_rgb_with_colour_key_transparency_is_composited_on_white(tmp_path: Path) -> None:
    image = Image.new("RGB", (20, 20), (10, 20, 30))
    image.putpixel((7, 7), RED)
    path = write(tmp_path, "keyed.png", saved(image, "PNG", transparency=(10, 20, 30)))
    result = normalize_image(path)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((7, 7)) == RED


# --- colour modes and depth ---------------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    image = Image.new("CMYK", (32, 32), (0, 0, 0, 0))
    image.paste((0, 255, 255, 0), (16, 0, 32, 32))
    path = write(tmp_path, "print.jpg", saved(image, "JPEG", quality=95))
    with Image.open(path) as check:
        assert check.mode == "CMYK"
    result = normalize_image(path)
    assert_plain_rgb(result)
    assert close_to(result.getpixel((4, 16)), WHITE, tolerance=8)
    assert close_to(result.getpixel((28, 16)), RED, tolerance=8)


def test_16_bit_png_is_scaled_to_8_bit_not_clipped(tmp_path: Path) -> None:
    image = Image.new("I;16", (16, 16), 0)
    for x, value in enumerate([0, 257, 1000, 32768, 65535]):
        image.putpixel((x, 0), value)
    path = write(tmp_path, "scan.png", saved(image, "PNG"))
    with Image.open(path) as check:
        assert check.mode.startswith("I;16") or check.mode == "I"
    result = normalize_image(path)
    assert_plain_rgb(result)
    levels = [result.getpixel((x, 0))[0] for x in range(5)]
    assert levels == [0, 1, 4, 128, 255]
    assert result.getpixel((0, 0)) == (0, 0, 0)


def test_32_bit_integer_image_is_stretched_over_its_range() -> None:
    image = Image.new("I", (16, 16), -1000)
    image.putpixel((0, 0), 1_000_000)
    result = normalize_image(image)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((1, 1)) == BLACK


def test_float_image_in_unit_range_is_scaled_to_255() -> None:
    image = Image.new("F", (16, 16), 0.0)
    image.putpixel((0, 0), 1.0)
    image.putpixel((1, 0), 0.5)
    result = normalize_image(image)
    assert result.getpixel((0, 0)) == WHITE
    assert result.getpixel((1, 0)) == (128, 128, 128)
    assert result.getpixel((2, 0)) == BLACK


@pytest.mark.parametrize("mode", ["1", "L", "YCbCr", "HSV"])
def test_other_modes_become_rgb(mode: str) -> None:
    result = normalize_image(Image.new("RGB", (20, 20), WHITE).convert(mode))
    assert_plain_rgb(result)


def test_bilevel_image_keeps_black_and_white() -> None:
    image = Image.new("1", (20, 20), 1)
    image.putpixel((0, 0), 0)
    result = normalize_image(image)
    assert result.getpixel((0, 0)) == BLACK
    assert result.getpixel((1, 1)) == WHITE


# --- orientation, animation, size ---------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Stored 40 wide and 20 high, red on the left; orientation 6 means "turn 90 degrees clockwise to view".
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = write(tmp_path, "phone.jpg", saved(image, "JPEG", quality=95, exif=exif.tobytes()))
    result = normalize_image(path)
    assert result.size == (20, 40)
    assert close_to(result.getpixel((10, 5)), RED, tolerance=10)
    assert close_to(result.getpixel((10, 35)), BLUE, tolerance=10)


def frames() -> list[Image.Image]:
    return [Image.new("RGB", (24, 24), colour) for colour in (RED, GREEN, BLUE)]


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "anim.gif"), ("PNG", "anim.png"), ("WEBP", "anim.webp")])
def test_animated_image_gives_its_first_frame(tmp_path: Path, fmt: str, name: str) -> None:
    first, *rest = frames()
    params: dict[str, object] = {"save_all": True, "append_images": rest, "duration": 100, "loop": 0}
    if fmt == "WEBP":
        params["lossless"] = True
    path = write(tmp_path, name, saved(first, fmt, **params))
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 3
    result = normalize_image(path)
    assert_plain_rgb(result)
    assert result.getpixel((12, 12)) == RED


def test_animated_image_object_keeps_its_current_frame(tmp_path: Path) -> None:
    first, *rest = frames()
    path = write(tmp_path, "anim.gif", saved(first, "GIF", save_all=True, append_images=rest, duration=100))
    with Image.open(path) as animated:
        animated.seek(2)
        result = normalize_image(animated)
        assert animated.tell() == 2
    assert result.getpixel((0, 0)) == RED


def test_one_pixel_image_is_enlarged() -> None:
    result = normalize_image(Image.new("RGB", (1, 1), GREEN))
    assert result.size == (images.MIN_SIDE, images.MIN_SIDE)
    assert result.getpixel((images.MIN_SIDE - 1, images.MIN_SIDE - 1)) == GREEN


def test_thin_image_is_enlarged_without_distortion() -> None:
    image = Image.new("RGB", (3, 200), RED)
    image.paste(BLUE, (0, 100, 3, 200))
    result = normalize_image(image)
    assert min(result.size) >= images.MIN_SIDE
    assert result.width * 200 == result.height * 3
    assert result.getpixel((0, 0)) == RED
    assert result.getpixel((0, result.height - 1)) == BLUE


def test_ordinary_image_keeps_its_size_and_pixels() -> None:
    image = Image.effect_noise((64, 48), 60).convert("RGB")
    result = normalize_image(image)
    assert result.size == (64, 48)
    assert result.tobytes() == image.tobytes()


# --- the caller's image and files -----------------------------------------------------------------------


def test_the_callers_image_is_not_modified() -> None:
    image = Image.new("RGBA", (4, 4), (255, 0, 0, 100))
    before = (image.mode, image.size, image.tobytes(), dict(image.info))
    result = normalize_image(image)
    assert (image.mode, image.size, image.tobytes(), dict(image.info)) == before
    assert result is not image
    result.putpixel((0, 0), BLACK)
    assert image.getpixel((0, 0)) == (255, 0, 0, 100)


def test_an_rgb_result_is_a_copy_not_the_callers_object() -> None:
    image = Image.new("RGB", (20, 20), RED)
    result = normalize_image(image)
    assert result is not image
    result.putpixel((0, 0), BLUE)
    assert image.getpixel((0, 0)) == RED


def test_result_is_fully_in_memory(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.png", saved(Image.new("RGB", (20, 20), GREEN), "PNG"))
    result = normalize_image(path)
    path.unlink()
    assert result.getpixel((19, 19)) == GREEN


def test_bytes_and_str_paths_are_accepted(tmp_path: Path) -> None:
    data = saved(Image.new("RGB", (20, 20), BLUE), "PNG")
    path = write(tmp_path, "photo.png", data)
    assert normalize_image(str(path)).getpixel((0, 0)) == BLUE
    assert normalize_image(data).getpixel((0, 0)) == BLUE
    assert normalize_image(bytearray(data)).getpixel((0, 0)) == BLUE


# --- broken input ---------------------------------------------------------------------------------------


def assert_friendly(error: pytest.ExceptionInfo[ImageError], *words: str) -> None:
    message = str(error.value)
    assert isinstance(error.value, EngineError)
    assert message.endswith(".")
    assert "\n" not in message
    assert "Traceback" not in message
    for word in words:
        assert word in message


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    data = saved(Image.effect_noise((128, 128), 80).convert("RGB"), "JPEG")
    path = write(tmp_path, "photo.jpg", data[: len(data) // 2])
    with pytest.raises(ImageError) as error:
        normalize_image(path)
    assert_friendly(error, "photo.jpg", "damaged")


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "noise.png", bytes(range(256)) * 8)
    with pytest.raises(ImageError) as error:
        normalize_image(path)
    assert_friendly(error, "noise.png", "not an image")


def test_random_bytes_in_memory_are_refused() -> None:
    with pytest.raises(ImageError) as error:
        normalize_image(b"\x89PNG not really", name="The clipboard image")
    assert_friendly(error, "The clipboard image")


@pytest.mark.parametrize("source", [b"", "empty.jpg"])
def test_empty_input_is_refused(tmp_path: Path, source: bytes | str) -> None:
    if isinstance(source, str):
        source = write(tmp_path, source, b"")
    with pytest.raises(ImageError) as error:
        normalize_image(source)
    assert_friendly(error, "empty")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as error:
        normalize_image(tmp_path / "gone.png")
    assert_friendly(error, "gone.png", "not found")


def test_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "holiday"
    folder.mkdir()
    with pytest.raises(ImageError) as error:
        normalize_image(folder)
    assert_friendly(error, "holiday", "folder")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims the given size, with almost no pixel data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.png", png_header_only(40_000, 40_000))
    with pytest.raises(ImageError) as error:
        normalize_image(path)
    assert_friendly(error, "bomb.png", "too large")


def test_own_pixel_limit_applies_to_image_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 399)
    with pytest.raises(ImageError) as error:
        normalize_image(Image.new("RGB", (20, 20)))
    assert_friendly(error, "too large")
    assert normalize_image(Image.new("RGB", (19, 21))).size == (19, 21)


def test_enlarging_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)
    with pytest.raises(ImageError) as error:
        normalize_image(Image.new("RGB", (1, 5000)))
    assert_friendly(error, "too large")


def test_one_bad_file_does_not_affect_the_others(tmp_path: Path) -> None:
    good = write(tmp_path, "good.png", saved(Image.new("RGB", (20, 20), RED), "PNG"))
    bad = write(tmp_path, "bad.jpg", b"not an image at all")
    results = load_images([good, bad, good])
    assert [type(result) for result in results] == [Image.Image, ImageError, Image.Image]
    assert "bad.jpg" in str(results[1])
    assert results[2].getpixel((0, 0)) == RED


# --- fingerprints ---------------------------------------------------------------------------------------


def test_fingerprint_follows_content() -> None:
    image = Image.effect_noise((32, 32), 50).convert("RGB")
    same = image.copy()
    changed = image.copy()
    changed.putpixel((31, 31), (1, 2, 3) if image.getpixel((31, 31)) != (1, 2, 3) else (4, 5, 6))
    assert image_fingerprint(image) == image_fingerprint(same)
    assert image_fingerprint(image) != image_fingerprint(changed)
    assert len(image_fingerprint(image)) == 32
    int(image_fingerprint(image), 16)


def test_fingerprint_tells_shape_and_mode_apart() -> None:
    wide, tall = Image.new("L", (2, 1), 7), Image.new("L", (1, 2), 7)
    assert wide.tobytes() == tall.tobytes()
    assert image_fingerprint(wide) != image_fingerprint(tall)
    assert image_fingerprint(Image.new("L", (3, 1), 7)) != image_fingerprint(
        Image.new("RGB", (1, 1), (7, 7, 7))
    )


def test_fingerprint_of_the_same_file_is_stable(tmp_path: Path) -> None:
    path = write(tmp_path, "photo.png", saved(Image.effect_noise((20, 20), 50).convert("RGB"), "PNG"))
    assert image_fingerprint(normalize_image(path)) == image_fingerprint(normalize_image(path))


def test_as_normalized_takes_a_normal_image_as_it_is_and_normalises_any_other() -> None:
    from assistant.engine.images import as_normalized

    plain = Image.new("RGB", (20, 20), RED)
    assert as_normalized(plain) is plain
    for odd in (
        Image.new("RGBA", (20, 20), (255, 0, 0, 100)),
        Image.new("L", (20, 20), 128),
        Image.new("RGB", (20, 4), RED),  # tiny
    ):
        result = as_normalized(odd)
        assert result is not odd
        assert as_normalized(result) is result
    turned = Image.new("RGB", (40, 20), RED)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side
    turned.info["exif"] = exif.tobytes()
    assert as_normalized(turned).size == (20, 40)
    from_file = Image.open(io.BytesIO(saved(Image.new("RGB", (20, 20), RED), "PNG")))
    assert as_normalized(from_file) is not from_file  # read into memory, not left open
