"""Patient/$everything for a patient with 15 sessions, 200 charted injections and 60 photos,
through the whole request (token, reads, FHIR resources validated with fhir.resources,
audit). Beside it, a bare reference: the same rows read with .values() and dumped as
JSON, with no mapping and no validation. Target: ≤ 300 ms, the same statements for a
short record and this long one.

    python bench/fhir_everything.py
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from decimal import Decimal

from common import progress, setup_django, summary, timed, write

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from mesoclinic.aftercare.models import AdverseEvent  # noqa: E402
from mesoclinic.booking.models import Appointment, AppointmentType  # noqa: E402
from mesoclinic.catalog.models import (  # noqa: E402
    BodyArea,
    Indication,
    OutcomeScale,
    SideEffect,
    Technique,
)
from mesoclinic.catalog.services import catalogue_load  # noqa: E402
from mesoclinic.consultation.models import (  # noqa: E402
    AllergyTest,
    AllergyTestInjection,
    Consent,
    ConsentText,
    Photo,
)
from mesoclinic.core.models import Clinic, Membership, Role, User  # noqa: E402
from mesoclinic.core.services import api_token_issue, clinic_create  # noqa: E402
from mesoclinic.courses.models import Injection, Session, TreatmentPlan  # noqa: E402
from mesoclinic.inventory.models import Lot, Product  # noqa: E402
from mesoclinic.outcomes.models import OutcomeMeasurement  # noqa: E402
from mesoclinic.patients.models import Patient  # noqa: E402

SESSIONS, INJECTIONS, PHOTOS = 15, 200, 60
ZONES = ["forehead", "cheek-right", "cheek-left", "chin", "jaw-right", "jaw-left"]


def _patient(clinic: Clinic, owner: User, name: str) -> Patient:
    return Patient.objects.create(clinic=clinic, first_name="Bench", last_name=name,
                                  first_key="bench", last_key=name.lower(),
                                  date_of_birth=date(1980, 5, 1), sex="female",
                                  created_by=owner)


@transaction.atomic
def populate_record(clinic: Clinic, owner: User, patient: Patient, *, sessions: int,
                    injections: int, photos: int, rng: random.Random) -> None:
    now = timezone.now()
    face = BodyArea.objects.get(code="face")
    product = Product.objects.create(clinic=clinic, name=f"HA mix {patient.last_name}")
    lots = [Lot.objects.create(clinic=clinic, product=product, number=f"L{patient.pk}-{n}",
                               expiry=date.today() + timedelta(days=300),
                               quantity=Decimal("100")) for n in range(3)]
    plan = TreatmentPlan.objects.create(
        clinic=clinic, patient=patient, indication=Indication.objects.get(
            code="facial-rejuvenation"), technique=Technique.objects.get(code="single-needle"),
        planned_sessions=15, depth_min_mm=1, depth_max_mm=4, needle_length_mm=4,
        created_by=owner, created_at=now - timedelta(days=120), protocol_label="HA mix")
    plan.body_areas.set([face])
    rows = Session.objects.bulk_create([
        Session(clinic=clinic, patient=patient, plan=plan, status="completed",
                scheduled_on=date.today() - timedelta(days=7 * (sessions - k)),
                practitioner=owner, started_at=now - timedelta(days=7 * (sessions - k)),
                ended_at=now - timedelta(days=7 * (sessions - k)) + timedelta(minutes=20))
        for k in range(sessions)])
    Injection.objects.bulk_create([
        Injection(clinic=clinic, session=rows[n % sessions], lot=lots[n % 3], product=product,
                  chart_map="face", zone=ZONES[n % len(ZONES)], x=Decimal(60 + n % 80),
                  y=Decimal(60 + n % 150), volume_ml=Decimal("0.05"), depth_mm=Decimal("2"),
                  created_at=now) for n in range(injections)])
    Photo.objects.bulk_create([
        Photo(clinic=clinic, patient=patient, body_area=face, view="front",
              stored_name=f"bench/{patient.pk}/{n}.jpg",
              thumbnail_name=f"bench/{patient.pk}/{n}.thumb.jpg", content_type="image/jpeg",
              width=1200, height=1600, size_bytes=350_000, sha256="0" * 64, taken_at=now,
              uploaded_by=owner) for n in range(photos)])
    scale = OutcomeScale.objects.get(code="gais")
    OutcomeMeasurement.objects.bulk_create([
        OutcomeMeasurement(clinic=clinic, patient=patient, plan=plan, scale=scale,
                           value=rng.randint(1, 5), rated_by="practitioner",
                           measured_on=s.scheduled_on, recorded_by=owner, created_at=now)
        for s in rows])
    kind = AppointmentType.objects.get(clinic=clinic, kind="treatment")
    Appointment.objects.bulk_create([
        Appointment(clinic=clinic, practitioner=owner, patient=patient, type=kind,
                    kind="treatment", starts_at=s.started_at,
                    ends_at=s.started_at + timedelta(minutes=30), status="completed",
                    channel="staff", session=s, created_at=now) for s in rows])
    test = AllergyTest.objects.create(clinic=clinic, patient=patient,
                                      given_at=now - timedelta(days=130), given_by=owner,
                                      result="negative", read_at=now - timedelta(days=129),
                                      read_by=owner)
    AllergyTestInjection.objects.create(test=test, product=product, lot=lots[0],
                                        site="left forearm")
    text = ConsentText.objects.filter(clinic=clinic, kind="treatment").first()
    Consent.objects.create(clinic=clinic, patient=patient, text=text, kind="treatment",
                           signed_at=now - timedelta(days=130), method="typed",
                           typed_name=patient.full_name, recorded_by=owner)
    event = AdverseEvent.objects.create(clinic=clinic, patient=patient, session=rows[0],
                                        side_effect=SideEffect.objects.get(code="bruising"),
                                        onset_at=now - timedelta(days=100), severity="mild",
                                        recorded_by=owner)
    event.lots.set(lots[:1])


def bare(patient: Patient) -> str:
    """The same rows, as plain JSON: what reading them costs without FHIR."""
    data = {
        "patient": list(Patient.objects.filter(pk=patient.pk).values()),
        "plans": list(TreatmentPlan.objects.filter(patient=patient).values()),
        "sessions": list(Session.objects.filter(patient=patient).values()),
        "injections": list(Injection.objects.filter(session__patient=patient).values()),
        "photos": list(Photo.objects.filter(patient=patient).values()),
        "measurements": list(OutcomeMeasurement.objects.filter(patient=patient).values()),
        "appointments": list(Appointment.objects.filter(patient=patient).values()),
        "tests": list(AllergyTest.objects.filter(patient=patient).values()),
        "consents": list(Consent.objects.filter(patient=patient).values(
            "id", "kind", "signed_at", "withdrawn_at")),
        "events": list(AdverseEvent.objects.filter(patient=patient).values()),
        "lots": list(Lot.objects.filter(injections__session__patient=patient).distinct()
                     .values()),
    }
    return json.dumps(data, default=str)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    catalogue_load()
    rng = random.Random(14)
    owner = User.objects.filter(email="bench-fhir@example.test").first() or \
        User.objects.create_user(email="bench-fhir@example.test", password=None,
                                 full_name="FHIR Owner")
    clinic = Clinic.objects.filter(slug="bench-fhir").first()
    if clinic is None:
        clinic = clinic_create(name="FHIR Clinic", slug="bench-fhir", city="Lyon",
                               timezone_name="Europe/Paris", owner=owner)
        short = _patient(clinic, owner, "Short")
        populate_record(clinic, owner, short, sessions=1, injections=2, photos=1, rng=rng)
        progress(1, 2, "records")
        long = _patient(clinic, owner, "Long")
        populate_record(clinic, owner, long, sessions=SESSIONS, injections=INJECTIONS,
                        photos=PHOTOS, rng=rng)
        progress(2, 2, "records")
    short = Patient.objects.get(clinic=clinic, last_name="Short")
    long = Patient.objects.get(clinic=clinic, last_name="Long")
    membership = Membership.objects.get(clinic=clinic, role=Role.OWNER)
    key, _token = api_token_issue(membership=membership)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def everything(patient: Patient) -> dict:
        response = client.get(f"/fhir/r4/Patient/{patient.pk}/$everything")
        assert response.status_code == 200, response.content[:300]
        return response.json()

    statements = {}
    for label, patient in (("short", short), ("long", long)):
        counts = []
        # The fewest of three: now and then a request also seals the audit chain (on
        # SQLite, the sealer runs inline when it is due), whatever it reads.
        for _run in range(3):
            with CaptureQueriesContext(connection) as queries:
                bundle = everything(patient)
            counts.append(len(queries))
        statements[label] = min(counts)
    resources = bundle["total"]
    fhir_times = timed(lambda: everything(long), args.runs)
    bare_times = timed(lambda: bare(long), args.runs)
    fhir_summary, bare_summary = summary(fhir_times), summary(bare_times)
    write(f"fhir_everything_{connection.vendor}", {
        "benchmark": "GET /fhir/r4/Patient/{id}/$everything through the whole request, "
                     "every resource validated; the bare reference reads the same rows with "
                     ".values() and dumps them as JSON",
        "database": connection.vendor,
        "record": {"sessions": SESSIONS, "injections": INJECTIONS, "photos": PHOTOS,
                   "resources": resources},
        "statements": statements,
        "everything": fhir_summary,
        "bare_reference": bare_summary,
        "ratio_to_bare": round(fhir_summary["p50_s"] / max(bare_summary["p50_s"], 1e-6), 1),
        "target_s": 0.3,
    })


if __name__ == "__main__":
    main()
