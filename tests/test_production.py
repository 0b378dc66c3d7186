"""Safe by default in production: the deploy checks pass, nothing is cached, files written
are their owner's alone."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.urls import reverse

from tests.factories import make_patient

ROOT = Path(__file__).resolve().parent.parent


def test_the_deploy_checks_pass_with_the_production_setting():
    # As a deployment starts it: without what the browser tests set for themselves.
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    run = subprocess.run([sys.executable, "manage.py", "check", "--deploy",
                          "--fail-level", "WARNING"], cwd=ROOT, capture_output=True,
                         text=True, env={**environment, "PRODUCTION": "1"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_production_pages_carry_hsts_and_secure_cookies(client, settings, personas):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    assert client.get("/login/").status_code == 301  # to HTTPS
    page = client.get("/login/", secure=True)
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.cookies["csrftoken"]["secure"]


def test_pages_and_api_answers_with_patient_data_are_never_stored(client_as, personas, client,
                                                                  api_headers):
    patient = make_patient(clinic=personas.clinic)
    page = client_as(personas.practitioner).get(reverse("patient_detail", args=[patient.pk]))
    assert page["Cache-Control"] == "no-store"
    answer = client.get(f"/api/v1/patients/{patient.pk}", **api_headers(personas.nurse))
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"


def test_photos_keys_and_the_database_are_their_owner_s_alone(client_as, personas, catalogue,
                                                             settings):
    from mesoclinic.consultation.models import Photo
    from mesoclinic.consultation.services import photo_storage
    from tests.test_consultation_pages import jpeg_with_gps, upload

    patient = make_patient(clinic=personas.clinic)
    upload(client_as(personas.practitioner), patient, jpeg_with_gps())
    photo = Photo.objects.get(patient=patient)
    for name in (photo.stored_name, photo.thumbnail_name):
        assert stat.S_IMODE(os.stat(photo_storage().path(name)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(settings.VAR_DIR / "secret_key").st_mode) == 0o600
    if connection.vendor == "sqlite":
        database = Path(connection.settings_dict["NAME"])
        assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0
