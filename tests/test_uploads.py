"""Uploads crafted to hurt: a decompression bomb, metadata hidden in every corner, a broken
scan, a turned phone photo; the same path serves the patient's check-in photos."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from mesoclinic.consultation.images import clean_image
from mesoclinic.consultation.models import Photo
from mesoclinic.consultation.services import photo_storage
from mesoclinic.core.errors import InvalidInput
from tests.factories import make_patient, sign_photo_consent

LIMITS = {"max_bytes": 15 * 1024 * 1024, "max_pixels": 50_000_000}


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height, whose pixels (all zero) compress to
    almost nothing."""
    row = b"\x00" + b"\x00" * width  # filter byte + one grey byte per pixel
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(min(height, 64)))
    body += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body)
            + png_chunk(b"IEND", b""))


def test_a_20000_by_20000_png_is_refused_from_its_header_with_a_4xx(client_as, personas,
                                                                    catalogue):
    raw = bomb_png(20000, 20000)
    assert len(raw) < 400_000
    patient = make_patient(clinic=personas.clinic)
    sign_photo_consent(patient=patient)
    response = client_as(personas.nurse).post(reverse("photo_upload", args=[patient.pk]), {
        "body_area": "face", "view": "front",
        "file": SimpleUploadedFile("bomb.png", raw, content_type="image/png")})
    assert response.status_code == 400
    assert "more than 50 megapixels" in response.content.decode()
    assert not Photo.objects.exists()


def test_a_picture_just_over_the_limit_is_refused_before_decoding():
    with pytest.raises(InvalidInput, match="megapixels"):
        clean_image(bomb_png(7072, 7071), **LIMITS)


def test_png_text_time_and_trailing_data_are_cut_and_the_pixels_kept():
    image = Image.new("RGB", (64, 48), (10, 200, 30))
    out = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Dr Secret, 12 rue Cachée")
    image.save(out, "PNG", pnginfo=info)
    raw = out.getvalue() + b"TRAILING-PATIENT-NAME"
    clean = clean_image(raw, **LIMITS)
    assert b"Dr Secret" not in clean.data and b"TRAILING" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as kept:
        assert kept.size == (64, 48)
        assert kept.convert("RGB").getpixel((5, 5)) == (10, 200, 30)
        assert kept.text == {}


def test_jpeg_comments_and_exif_are_cut_but_the_orientation_stays():
    image = Image.new("RGB", (80, 40), (200, 150, 120))
    exif = Image.Exif()
    exif[0x0112] = 6  # taken with the phone turned: shown a quarter turn round
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"patient: Jeanne Martin")
    clean = clean_image(out.getvalue() + b"after the end", **LIMITS)
    assert b"PhoneMaker" not in clean.data and b"Jeanne" not in clean.data
    assert not clean.data.endswith(b"after the end")
    with Image.open(io.BytesIO(clean.data)) as kept:
        assert dict(kept.getexif()) == {0x0112: 6}
    assert (clean.width, clean.height) == (40, 80)  # as it is seen
    with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
        assert thumb.size[1] > thumb.size[0]


def test_a_jpeg_with_a_broken_scan_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(out, "JPEG")
    raw = out.getvalue()
    start = raw.index(b"\xff\xda")
    broken = raw[:start + 20]  # the scan stops short, with no end marker
    with pytest.raises(InvalidInput, match="not a JPEG or PNG"):
        clean_image(broken, **LIMITS)


def test_a_50_megapixel_jpeg_is_kept_whole_and_thumbnailed(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (7071, 7071), (90, 60, 40)).save(out, "JPEG", quality=50)
    clean = clean_image(out.getvalue(), **LIMITS)
    assert (clean.width, clean.height) == (7071, 7071)
    with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
        assert max(thumb.size) == 320


def test_a_check_in_photo_goes_through_the_same_checks(personas, catalogue, client):
    from mesoclinic.consultation.services import photo_add_for_patient

    patient = make_patient(clinic=personas.clinic)  # the patient's own photo: no consent asked
    with pytest.raises(InvalidInput, match="megapixels"):
        photo_add_for_patient(patient=patient, body_area_code="face", view="closeup",
                              raw=bomb_png(20000, 20000), kind="checkin", uploaded_by=None)
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, "JPEG", comment=b"secret")
    photo = photo_add_for_patient(patient=patient, body_area_code="face", view="closeup",
                                  raw=out.getvalue(), kind="checkin", uploaded_by=None)
    assert b"secret" not in photo_storage().open(photo.stored_name).read()
