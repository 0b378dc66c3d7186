"""mesoclinic in French and English: the message catalogues are complete and current, the
catalogue's own texts are translated as data, and each reader gets their language — staff
theirs or their clinic's, a patient theirs in everything sent or shown to them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

from tests.factories import actor_for, book_consultation, make_patient, open_clinic_for_booking

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "mesoclinic" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _without_creation_date(text: str) -> str:
    return re.sub(r'"POT-Creation-Date: [^"]*"\n', "", text)


def test_the_french_catalogue_has_every_message_and_each_is_translated(tmp_path):
    # Regenerated from the code and the templates of a copy, the catalogue must be the one
    # committed: a new text that was not added (or one that went) fails here.
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "mesoclinic", copy / "mesoclinic",
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo", "staticfiles"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    environment = {**os.environ, "PYTHONPATH": str(copy),
                   "DJANGO_SETTINGS_MODULE": "mesoclinic.settings"}
    subprocess.run([sys.executable, str(copy / "manage.py"), "makemessages", "-l", "fr",
                    "--no-location", "--no-obsolete", "--ignore", "static/vendor/*",
                    "--verbosity", "0"], cwd=copy / "mesoclinic", env=environment, check=True)
    regenerated = (copy / "mesoclinic" / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    assert _without_creation_date(regenerated.read_text()) == \
        _without_creation_date(PO.read_text())
    # …and every message has a French text that is neither empty nor fuzzy.
    statistics = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull,
                                 str(PO)], capture_output=True, text=True, check=True).stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", statistics), statistics


def test_every_catalogue_entry_has_its_french_texts():
    from mesoclinic.catalog.services import CATALOGUE_FILE

    english = json.loads(CATALOGUE_FILE.read_text())
    french = json.loads((CATALOGUE_FILE.parent / "catalogue.fr.json").read_text())
    missing, unknown = [], []
    for section in ("body_areas", "outcome_scales", "indications", "substance_classes",
                    "substances", "techniques", "side_effects", "aftercare"):
        key = "key" if section == "aftercare" else "code"
        texts = ("title", "body") if section == "aftercare" else ("name", "description")
        entries = {entry[key]: entry for entry in english[section]}
        for code, entry in entries.items():
            missing += [f"{section}/{code}/{field}" for field in texts
                        if entry.get(field) and not french[section].get(code, {}).get(field)]
        unknown += [f"{section}/{code}" for code in french[section] if code not in entries]
    assert missing == [] and unknown == []


@pytest.mark.usefixtures("catalogue")
def test_catalogue_names_are_read_in_the_readers_language_and_stored_in_english():
    from mesoclinic.catalog.models import BodyArea, SideEffect

    scalp = BodyArea.objects.get(code="scalp")
    with translation.override("fr"):
        assert scalp.name == "Cuir chevelu"
        assert str(SideEffect.objects.get(code="nerve-symptoms")).startswith("Symptômes nerveux")
        scalp.save()  # saving while French is read keeps the English text stored
    assert BodyArea.objects.get(code="scalp").name == "Scalp"
    assert BodyArea.objects.filter(code="scalp", name="Scalp").exists()


def test_a_french_clinic_speaks_french_to_its_staff_unless_they_choose_english(
        client_as, personas):
    personas.clinic.language = "fr"
    personas.clinic.save()
    client = client_as(personas.practitioner)
    page = client.get("/patients/").content.decode()
    assert '<html lang="fr">' in page and "Enregistrer un patient" in page
    client.post("/language/", {"language": "en", "next": "/patients/"})
    personas.practitioner.user.refresh_from_db()
    assert personas.practitioner.user.language == "en"
    page = client.get("/patients/").content.decode()
    assert '<html lang="en">' in page and "Register a patient" in page
    assert client.post("/language/", {"language": "de"}).status_code == 400


@pytest.mark.usefixtures("catalogue")
def test_a_clinic_opens_with_consent_texts_and_appointment_types_in_its_language(
        personas):
    from mesoclinic.booking.selectors import appointment_types
    from mesoclinic.consultation.selectors import consent_texts_current
    from mesoclinic.core.services import clinic_create

    lyon = clinic_create(name="Clinique Part-Dieu", slug="part-dieu", city="Lyon",
                         country="FR", timezone_name="Europe/Paris",
                         owner=personas.owner.user)
    assert lyon.language == "fr"
    treatment = consent_texts_current(clinic=lyon)["treatment"]
    assert treatment.title == "Consentement au traitement par mésothérapie"
    assert treatment.body.startswith("J’accepte de recevoir une mésothérapie")
    # A type's name is read in the reader's language, whichever the clinic's.
    with translation.override("fr"):
        names = [t.name for t in appointment_types(clinic=lyon)]
    assert names == ["Consultation", "Lecture du test allergique", "Séance de traitement",
                     "Suivi"]
    with translation.override("en"):
        assert appointment_types(clinic=lyon)[2].name == "Treatment session"


@pytest.mark.usefixtures("catalogue", "database_tasks")
def test_the_patient_is_written_to_in_their_language_whatever_the_staff_read(
        personas, run_worker):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    with translation.override("en"):  # the staff member booking reads English
        book_consultation(clinic=personas.clinic, member=personas.practitioner,
                          email="amelie@example.com", language="fr")
    run_worker()
    message = next(m for m in mail.outbox if m.to == ["amelie@example.com"])
    assert message.subject == f"Votre rendez-vous à {personas.clinic.name}"
    assert "Pour l’annuler ou le modifier" in message.body
    assert "Consultation" in message.body


def test_a_patients_link_opens_in_their_language_and_the_switch_changes_it(client, personas):
    from mesoclinic.consultation.services import intake_link_make

    patient = make_patient(clinic=personas.clinic, language="fr")
    key = intake_link_make(actor=actor_for(personas.practitioner), patient=patient)
    path = f"/p/{key}/"
    page = client.get(path).content.decode()
    assert '<html lang="fr">' in page and "Avant votre consultation" in page
    client.post("/language/", {"language": "en", "next": path})
    page = client.get(path).content.decode()
    assert '<html lang="en">' in page and "Before your consultation" in page


def test_public_pages_follow_the_browser(client, personas):
    page = client.get("/find/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Mésothérapie près de chez vous" in page
    page = client.get("/find/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "Mesotherapy near you" in page


def test_the_language_switch_costs_exact_statements(client_as, personas):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()  # a visitor of the public pages, not logged in

    staff = client_as(personas.practitioner)
    staff.get("/")  # a session's first page also reads the user's second factor
    with CaptureQueriesContext(connection) as staff_queries:
        staff.post("/language/", {"language": "fr", "next": "/patients/"})
    with CaptureQueriesContext(connection) as public_queries:
        client.post("/language/", {"language": "fr", "next": "/find/"})
    # Staff: the session, the user, the memberships, the one UPDATE of the user, and the
    # session's idle stamp (three with its savepoint); a visitor: nothing at all.
    assert (len(staff_queries), len(public_queries)) == (7, 0)
