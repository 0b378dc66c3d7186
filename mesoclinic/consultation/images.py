"""Photo intake: check an upload by content, size and pixel count; drop EXIF; thumbnail."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from mesoclinic.core.errors import InvalidInput

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png"}
THUMBNAIL_EDGE = 320


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def clean_image(raw: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Re-encode the picture from its pixels, so that nothing but pixels survives: no EXIF
    (location, device, time), no comments, no trailing data."""
    if len(raw) > max_bytes:
        raise InvalidInput(_("The file is larger than %(mb)d MB.")
                           % {"mb": max_bytes // (1024 * 1024)}, field="file")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidInput(_("This file is not a JPEG or PNG picture."), field="file") from error
    if kind not in ALLOWED:
        raise InvalidInput(_("Only JPEG and PNG pictures are accepted."), field="file")
    if width * height > max_pixels:
        raise InvalidInput(_("The picture has more than %(mp)d megapixels.")
                           % {"mp": max_pixels // 1_000_000}, field="file")
    with Image.open(io.BytesIO(raw)) as image:
        image.load()
        upright = ImageOps.exif_transpose(image)  # keep the orientation the EXIF asked for
        mode = "RGB" if kind == "JPEG" else ("RGBA" if "A" in upright.getbands() else "RGB")
        pixels = upright.convert(mode)
    pixels.info = {}
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.save(out, "JPEG", quality=92, optimize=True)
    else:
        pixels.save(out, "PNG", optimize=True)
    thumb = pixels.convert("RGB")
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=85)
    data = out.getvalue()
    return CleanImage(
        data=data, thumbnail=thumb_out.getvalue(), content_type=ALLOWED[kind],
        extension="jpg" if kind == "JPEG" else "png", width=pixels.width,
        height=pixels.height, sha256=hashlib.sha256(data).hexdigest(),
    )
