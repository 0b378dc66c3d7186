"""Photo intake: check an upload by content, size and pixel count; drop EXIF; thumbnail.

Memory is bounded: the pixel count is read from the file's header before anything is
decoded, and a kept picture is never decoded at full size. Its metadata (EXIF with GPS,
device and time, comments, text chunks, anything after the picture's end) is cut from the
file segment by segment, and the compressed pixels are kept as they are, so nothing but
pixels survives and a 50-megapixel JPEG costs a few megabytes. The thumbnail of a JPEG is
decoded at an eighth of its size; a PNG, which cannot be decoded smaller, is decoded once.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from mesoclinic.core.errors import InvalidInput

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png"}
THUMBNAIL_EDGE = 320
ORIENTATION = 0x0112

# PNG chunks that describe pixels; every other ancillary chunk (text, time, EXIF, private
# chunks) is dropped.
PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
            b"sBIT", b"pHYs"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def _not_a_picture() -> InvalidInput:
    return InvalidInput(_("This file is not a JPEG or PNG picture."), field="file")


def _jpeg_without_metadata(raw: bytes, orientation: int) -> bytes:
    """The JPEG's segments without its application segments (EXIF, XMP, maker notes, but
    for the colour profile and Adobe's colour transform) and comments; the compressed scan
    is copied to its end marker and nothing after it."""
    if raw[:2] != b"\xff\xd8":
        raise _not_a_picture()
    kept = [b"\xff\xd8"]
    if orientation not in (0, 1):
        # Only the orientation survives, so that the picture stands as it was taken.
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = b"Exif\x00\x00" + exif.tobytes()
        kept.append(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    position = 2
    while position + 4 <= len(raw):
        if raw[position] != 0xFF:
            raise _not_a_picture()
        marker = raw[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = struct.unpack(">H", raw[position + 2:position + 4])[0]
        segment = raw[position:position + 2 + length]
        if marker == 0xDA:  # start of scan: the rest is pixels, up to the end marker
            end = raw.find(b"\xff\xd9", position)
            if end < 0:
                raise _not_a_picture()
            kept.append(raw[position:end + 2])
            return b"".join(kept)
        if not _metadata(marker, segment):
            kept.append(segment)
        position += 2 + length
    raise _not_a_picture()


def _metadata(marker: int, segment: bytes) -> bool:
    if marker == 0xFE:  # comment
        return True
    if not 0xE1 <= marker <= 0xEF:
        return False
    colour = (marker == 0xE2 and segment[4:15] == b"ICC_PROFILE") or \
        (marker == 0xEE and segment[4:9] == b"Adobe")
    return not colour


def _png_without_metadata(raw: bytes) -> bytes:
    if not raw.startswith(PNG_SIGNATURE):
        raise _not_a_picture()
    kept = [PNG_SIGNATURE]
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(raw):
        length = struct.unpack(">I", raw[position:position + 4])[0]
        kind = raw[position + 4:position + 8]
        chunk = raw[position:position + 12 + length]
        if kind in PNG_KEPT:
            kept.append(chunk)
        position += 12 + length
        if kind == b"IEND":
            return b"".join(kept)
    raise _not_a_picture()


def _thumbnail(image: Image.Image) -> bytes:
    # Shrunk in place first: the full-size pixels are let go before any copy is made.
    image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    thumb = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=85)
    return out.getvalue()


def clean_image(raw: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Check the picture from its header, cut its metadata, make its thumbnail."""
    if len(raw) > max_bytes:
        raise InvalidInput(_("The file is larger than %(mb)d MB.")
                           % {"mb": max_bytes // (1024 * 1024)}, field="file")
    too_large = InvalidInput(_("The picture has more than %(mp)d megapixels.")
                             % {"mp": max_pixels // 1_000_000}, field="file")
    try:
        with warnings.catch_warnings():
            # The header alone is read here; the pixel limit below is the one that counts.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind, (width, height) = probe.format, probe.size
                orientation = probe.getexif().get(ORIENTATION, 1) if kind == "JPEG" else 1
    except Image.DecompressionBombError as error:
        raise too_large from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_a_picture() from error
    if kind not in ALLOWED:
        raise InvalidInput(_("Only JPEG and PNG pictures are accepted."), field="file")
    if width * height > max_pixels:
        raise too_large
    data = _jpeg_without_metadata(raw, orientation) if kind == "JPEG" \
        else _png_without_metadata(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if kind == "PNG":
                with Image.open(io.BytesIO(data)) as check:
                    check.verify()  # every chunk's checksum
            with Image.open(io.BytesIO(data)) as image:
                if kind == "JPEG":
                    image.draft("RGB", (THUMBNAIL_EDGE * 2, THUMBNAIL_EDGE * 2))
                image.load()  # the whole scan is decoded: a broken one is refused
                thumbnail = _thumbnail(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_a_picture() from error
    if orientation in (5, 6, 7, 8):  # shown a quarter turn round: as it is seen
        width, height = height, width
    return CleanImage(
        data=data, thumbnail=thumbnail, content_type=ALLOWED[kind],
        extension="jpg" if kind == "JPEG" else "png", width=width, height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
