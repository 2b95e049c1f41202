"""Image intake: what a buyer's upload is, checked before anything is decoded, and the
copy that is kept: the picture as the camera saw it, upright, without its metadata.

- The type comes from the bytes' signature (JPEG, PNG or WebP), never from the uploader.
- The dimensions come from the file's header (Pillow opens lazily): an image over
  ``MAX_PIXELS`` is refused before a single pixel is decoded, so a small file that
  claims a huge picture (a decompression bomb) costs a header read, not gigabytes.
- Decoding takes a process-wide lock: at most one image is decoded at a time, so
  parallel uploads cannot multiply the memory a decode needs.
- The kept copy is re-encoded from the pixels, with the EXIF orientation applied: EXIF
  (GPS position, camera serial, maker notes), XMP, IPTC and PNG text chunks are not
  carried over. The colour profile is, so colours stay true. The original's SHA-256 is
  kept by the caller as evidence of what arrived.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import UnsupportedType

MAX_PIXELS = 64_000_000  # a 48-50 megapixel phone photo fits; decoding takes ~200 MB
JPEG_QUALITY = 95  # re-encoded JPEGs: visually the same, a little larger than a phone's

# content type -> (file extension, Pillow format)
IMAGE_TYPES = {
    "image/jpeg": ("jpg", "JPEG"),
    "image/png": ("png", "PNG"),
    "image/webp": ("webp", "WEBP"),
}

_DECODE = threading.Lock()  # one decode at a time in this process


class UnsupportedImage(UnsupportedType):
    """Not a JPEG, PNG or WebP image, one that does not decode, or one too large to."""


@dataclass(frozen=True)
class CleanImage:
    """The copy to keep: encoded bytes of ``content_type``, ``width`` x ``height``."""

    data: bytes
    content_type: str
    width: int
    height: int


def sniff_image_type(data: bytes) -> str | None:
    """The image type the bytes are (by their signature), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def header_size(data: bytes, content_type: str) -> tuple[int, int]:
    """(width, height) from the image's header, nothing decoded. UnsupportedImage when the
    header cannot be read or names more than ``MAX_PIXELS``."""
    _, pil_format = IMAGE_TYPES[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:  # Pillow's own guard, from the header too
        raise UnsupportedImage(
            f"the photo has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise UnsupportedImage(f"the photo could not be read as {content_type}") from exc
    if width * height > MAX_PIXELS:
        raise UnsupportedImage(
            f"the photo has too many pixels ({width}x{height}; at most "
            f"{MAX_PIXELS // 1_000_000} megapixels)"
        )
    return width, height


def clean_copy(data: bytes, content_type: str) -> CleanImage:
    """Check ``data`` (header first, see the module docstring) and re-encode it upright and
    without metadata. UnsupportedImage for anything that is not a whole, decodable image
    of ``content_type`` within ``MAX_PIXELS``."""
    header_size(data, content_type)
    _, pil_format = IMAGE_TYPES[content_type]
    with _DECODE:
        try:
            with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
                image.load()
                icc = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
                out = io.BytesIO()
                options: dict[str, object] = {"icc_profile": icc} if icc else {}
                if pil_format == "JPEG":
                    if upright.mode not in ("RGB", "L", "CMYK"):
                        upright = upright.convert("RGB")
                    options.update(quality=JPEG_QUALITY)
                elif pil_format == "WEBP":
                    options.update(quality=JPEG_QUALITY)
                upright.save(out, pil_format, **options)
                width, height = upright.size
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
            raise UnsupportedImage(f"the photo could not be read as {content_type}") from exc
    return CleanImage(out.getvalue(), content_type, width, height)
