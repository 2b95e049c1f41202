"""A known picture for Chromium's fake camera: colour bars and a moving white block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT, FPS = 640, 480, 30
# Four vertical bars, left to right (RGB). Far apart, so VP8's colour shifts cannot mix them.
BARS_RGB = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 40)]
BLOCK_RGB = (255, 255, 255)
BLOCK_SIZE = 64
BLOCK_ROW = HEIGHT - BLOCK_SIZE - 16  # the block moves along the bottom, below the samples


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited-range YUV of an RGB colour (what Chromium's capture path assumes)."""
    r, g, b = (c / 255 for c in rgb)
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b
    return round(y), round(u), round(v)


def bar_centre(index: int) -> tuple[float, float]:
    """The centre of bar ``index`` as a fraction of width and height (upper half)."""
    return ((index + 0.5) / len(BARS_RGB), 0.3)


def write_y4m(path: Path, seconds: float = 2.0) -> Path:
    """Write a looping 640x480 30 fps YUV4MPEG2 (4:2:0) clip to ``path``."""
    frames = int(seconds * FPS)
    bar_width = WIDTH // len(BARS_RGB)
    y = np.zeros((HEIGHT, WIDTH), np.uint8)
    u = np.zeros((HEIGHT // 2, WIDTH // 2), np.uint8)
    v = np.zeros((HEIGHT // 2, WIDTH // 2), np.uint8)
    for i, rgb in enumerate(BARS_RGB):
        yy, uu, vv = _yuv(rgb)
        y[:, i * bar_width : (i + 1) * bar_width] = yy
        u[:, i * bar_width // 2 : (i + 1) * bar_width // 2] = uu
        v[:, i * bar_width // 2 : (i + 1) * bar_width // 2] = vv
    by, bu, bv = _yuv(BLOCK_RGB)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for n in range(frames):
            fy, fu, fv = y.copy(), u.copy(), v.copy()
            x = (n * (WIDTH - BLOCK_SIZE) // frames) // 2 * 2
            fy[BLOCK_ROW : BLOCK_ROW + BLOCK_SIZE, x : x + BLOCK_SIZE] = by
            rows = slice(BLOCK_ROW // 2, (BLOCK_ROW + BLOCK_SIZE) // 2)
            cols = slice(x // 2, (x + BLOCK_SIZE) // 2)
            fu[rows, cols], fv[rows, cols] = bu, bv
            out.write(b"FRAME\n")
            out.write(fy.tobytes())
            out.write(fu.tobytes())
            out.write(fv.tobytes())
    return path


IMAGE_TOLERANCE = 45  # a decoded frame or a JPEG of the bars, VP8's shifts included


def bars_in(rgb_at) -> bool:  # noqa: ANN001 - (fx, fy) -> (r, g, b)
    """Whether a picture shows the camera clip's four colour bars at their centres."""
    for index, want in enumerate(BARS_RGB):
        got = rgb_at(*bar_centre(index))
        if any(abs(w - g) > IMAGE_TOLERANCE for w, g in zip(want, got, strict=True)):
            return False
    return True


def image_bars(image: Image.Image) -> bool:
    """Whether an image (a decoded frame, a snapshot) shows the clip's colour bars."""
    rgb = image.convert("RGB")

    def at(fx: float, fy: float) -> tuple[int, ...]:
        x, y = int(fx * rgb.width), int(fy * rgb.height)
        box = rgb.crop((x - 4, y - 4, x + 4, y + 4)).resize((1, 1), Image.Resampling.BOX)
        return box.getpixel((0, 0))

    return bars_in(at)
