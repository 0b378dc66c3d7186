"""Every read of a patient's data writes an audit event: this walks every URL pattern of
the pages and of the API. A pattern that shows a patient is opened (as staff, or as the
holder of the patient's link) and must leave an event naming that patient; every other
pattern is listed below with the reason it shows none. A new pattern fails this test until
it is put in one list or the other."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from mesoclinic.core.models import AuditEvent
from tests.factories import (
    actor_for,
    open_clinic_for_booking,
    ready_patient,
    sign_photo_consent,
)

pytestmark = pytest.mark.usefixtures("database_tasks")

# Patterns that show no patient's data, and why.
NO_PATIENT_DATA = {
    "": "the home page redirects",
    "healthz": "a health probe",
    "login/": "log-in", "login/verify/": "log-in", "logout/": "log-out",
    "language/": "the language switch",
    "account/two-factor/": "the user's own second factor",
    "account/password/<uidb64>/<token>/": "the user's own password",
    "account/password/done/": "the user's own password",
    "patients/new/": "an empty form (possible duplicates, shown on sending it, are audited)",
    "clinic/choose/": "the user's clinics", "clinic/": "the clinic's settings",
    "clinic/members/": "staff, not patients", "clinic/members/<int:membership_id>/": "staff",
    "clinic/audit/": "the audit trail itself (owners only)",
    "clinic/aftercare/": "the clinic's aftercare wording",
    "clinic/analytics/": "aggregates per protocol, no patient",
    "clinic/analytics/registry.csv": "de-identified rows of consenting patients",
    "clinic/products/": "products, lots and stock",
    "clinic/consents/": "consent texts", "clinic/availability/": "working hours",
    "account/calendar-feed/": "the feed's secret address",
    "find/": "public search", "find/places.json": "city names",
    "clinics/<slug:slug>/": "a clinic's public page",
    "me/sign-in/": "asks for a sign-in link", "me/sign-in/<str:key>/": "the sign-in button",
    "me/": "the patient's own clinics (each listed one is audited: tests/test_portal.py)",
    "schemas/patient-export-v1.json": "the published schema of the patients' exports",
    "clinics/<slug:slug>/book/": "a public booking form",
    "catalogue/": "the catalogue", "catalogue/<slug:slug>/": "the catalogue",
    "api/v1/openapi.json": "the API's description", "api/v1/docs": "the API's docs",
    "api/v1/": "the API's root", "api/v1/me": "the user's own membership",
    "api/v1/catalogue/indications": "catalogue", "api/v1/catalogue/body-areas": "catalogue",
    "api/v1/catalogue/substance-classes": "catalogue",
    "api/v1/catalogue/substances": "catalogue", "api/v1/catalogue/techniques": "catalogue",
    "api/v1/catalogue/side-effects": "catalogue",
    "api/v1/catalogue/outcome-scales": "catalogue",
    "api/v1/products": "products", "api/v1/lots": "lots and stock",
    "api/v1/analytics": "aggregates", "api/v1/public/search": "public search",
    "api/v1/public/clinics/<slug>/slots": "free times",
    "billing/revenue/": "sums by month, practitioner and treatment",
    "billing/prices/": "the price list", "billing/policy/": "the clinic's billing policy",
    "api/v1/prices": "the price list",
}

# Patterns that only write (a GET is refused): each write is audited by its service.
WRITES_ONLY = {
    "patients/<int:patient_id>/measurements/", "api/v1/adverse-events/<int:event_id>",
    "patients/<int:patient_id>/photos/", "appointments/<int:appointment_id>/status/",
    "api/v1/appointments/<int:appointment_id>/status",
    "patients/<int:patient_id>/intake/link/", "patients/<int:patient_id>/intake/links/"
    "<int:link_id>/revoke/", "patients/<int:patient_id>/intake/<int:intake_id>/reviewed/",
    "patients/<int:patient_id>/consents/<int:consent_id>/withdraw/",
    "patients/<int:patient_id>/checklist/override/", "plans/<int:plan_id>/book/",
    "plans/<int:plan_id>/improvement/", "plans/<int:plan_id>/template/",
    "sessions/<int:session_id>/move/", "sessions/<int:session_id>/start/",
    "sessions/<int:session_id>/chart/", "injections/<int:injection_id>/remove/",
    "sessions/<int:session_id>/complete/", "sessions/<int:session_id>/missed/",
    "api/v1/auth/token", "api/v1/patients/<int:patient_id>/overrides",
    "api/v1/patients/<int:patient_id>/allergy-tests/<int:test_id>/read",
    "api/v1/patients/<int:patient_id>/consents/<int:consent_id>/withdraw",
    "api/v1/plans/<int:plan_id>/book", "api/v1/sessions/<int:session_id>/move",
    "api/v1/plans/<int:plan_id>/improvement", "api/v1/sessions/<int:session_id>/start",
    "api/v1/sessions/<int:session_id>/complete",
    "api/v1/injections/<int:injection_id>/remove", "api/v1/lots/<int:lot_id>/recall",
    "api/v1/adverse-events/<int:event_id>/review",
    "api/v1/public/clinics/<slug>/appointments", "api/v1/public/appointments/<token>/cancel",
    "api/v1/appointments/<int:appointment_id>/cancel",
    "me/sign-out/", "me/<int:patient_id>/consents/<str:kind>/",
    "me/<int:patient_id>/appointments/<int:appointment_id>/earlier/",
    "desk/waitlist/<int:entry_id>/remove/",
    "me/<int:patient_id>/data/", "me/<int:patient_id>/corrections/",
    "clinic/requests/<int:request_id>/decide/", "patients/<int:patient_id>/data-export/",
    "clinic/requests/<int:request_id>/erase/", "clinic/requests/retention/",
    "me/<int:patient_id>/erasure/",
    "api/v1/waitlist/<int:entry_id>/remove", "api/v1/patients/<int:patient_id>/data-export",
    "api/v1/data-requests/<int:request_id>/decide",
    "billing/appointments/<int:appointment_id>/invoice/", "billing/fees/<int:fee_id>/waive/",
    "billing/invoices/<int:invoice_id>/credit-note/", "billing/invoices/<int:invoice_id>/email/",
    "billing/packages/<int:package_id>/end/", "billing/prices/<int:price_id>/offer/",
    "patients/<int:patient_id>/account/invoices/", "patients/<int:patient_id>/account/packages/",
    "patients/<int:patient_id>/account/payments/", "billing/providers/<slug:code>/notify",
    "api/v1/appointments/<int:appointment_id>/invoice", "api/v1/fees/<int:fee_id>/waive",
    "api/v1/invoices/<int:invoice_id>/credit-note", "api/v1/invoices/<int:invoice_id>/email",
    "api/v1/packages/<int:package_id>/end", "api/v1/patients/<int:patient_id>/invoices",
    "api/v1/patients/<int:patient_id>/packages", "api/v1/patients/<int:patient_id>/payments",
}


def all_patterns() -> list[str]:
    found: list[str] = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


def skin_pair() -> tuple[bytes, bytes]:
    """Two visits' photos with enough texture for the alignment to succeed."""
    import cv2

    from tests.pictures import synthetic_skin, warp_like_a_second_visit

    before = synthetic_skin(640, 480)
    after = warp_like_a_second_visit(before)
    return tuple(cv2.imencode(".jpg", image)[1].tobytes() for image in (before, after))


@pytest.fixture
def world(personas, catalogue, clock, run_worker):
    """One patient with something of every kind on record."""
    from mesoclinic.aftercare.models import CheckIn
    from mesoclinic.aftercare.services import (
        AdverseEventIn,
        adverse_event_record,
        checkin_token,
        session_finish,
    )
    from mesoclinic.booking.course_booking import plan_book
    from mesoclinic.booking.models import Appointment
    from mesoclinic.booking.selectors import manage_token
    from mesoclinic.booking.services import calendar_feed_issue
    from mesoclinic.consultation.models import AllergyTest, Consent, IntakeSubmission
    from mesoclinic.consultation.services import intake_link_make, photo_add
    from mesoclinic.courses.models import Session
    from mesoclinic.courses.schemas import InjectionIn, SessionCompleteIn
    from mesoclinic.courses.services import injection_add, session_start
    from mesoclinic.outcomes.services import (
        MeasurementIn,
        RegionIn,
        comparison_request,
        measurement_record,
    )

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                 practitioner=personas.practitioner)
    patient.email = "world@example.com"
    patient.save()
    actor = actor_for(personas.practitioner)
    plan_book(actor=actor, plan=plan)
    session = Session.objects.filter(plan=plan).order_by("scheduled_on").first()
    clock.current = max(clock.current, clock.current.replace(
        year=session.scheduled_on.year, month=session.scheduled_on.month,
        day=session.scheduled_on.day, hour=10))
    session = session_start(actor=actor, session=session)
    injection = injection_add(actor=actor, session=session, data=InjectionIn(
        lot=lot.pk, chart_map="face", zone="forehead", volume_ml=Decimal("0.5"),
        depth_mm=Decimal("2"))).injection
    session_finish(actor=actor, session=session, data=SessionCompleteIn())
    first, second = skin_pair()
    sign_photo_consent(patient=patient)
    before = photo_add(actor=actor, patient=patient, body_area_code="face", view="front",
                       raw=first)
    after = photo_add(actor=actor, patient=patient, body_area_code="face", view="front",
                      raw=second)
    comparison = comparison_request(actor=actor, patient=patient, before=before, after=after,
                                    region=RegionIn(x=200, y=150, w=120, h=90))
    run_worker()  # the analysis, so that the aligned picture exists
    event = adverse_event_record(actor=actor, patient=patient, data=AdverseEventIn(
        side_effect="swelling", onset_at=clock.now() - timedelta(hours=2), severity="severe"))
    measurement_record(actor=actor, patient=patient, data=MeasurementIn(
        scale="gais", value="1", rated_by="practitioner",
        measured_on=clock.now().date()))
    appointment = Appointment.objects.filter(patient=patient).order_by("starts_at").last()
    return {
        "patient": patient, "plan": plan, "session": session, "injection": injection,
        "lot": lot, "photo": before, "comparison": comparison, "event": event,
        "appointment": appointment,
        "intake": IntakeSubmission.objects.filter(patient=patient).first(),
        "consent": Consent.objects.filter(patient=patient).first(),
        "test": AllergyTest.objects.filter(patient=patient).first(),
        "link": intake_link_make(actor=actor, patient=patient),
        "manage": manage_token(appointment),
        "checkin": checkin_token(CheckIn.objects.filter(patient=patient).last()),
        "feed": calendar_feed_issue(actor=actor),
        "offer": _waitlist_offer(appointment),
        "export": _export(patient),
        "invoice": _paid_package(patient, plan),
    }


def _paid_package(patient, plan):
    """A package sold for the patient's plan and paid in part: its invoice."""
    from mesoclinic.billing.models import Invoice
    from mesoclinic.billing.schemas import PackageSaleIn, PaymentIn
    from mesoclinic.billing.services import package_sell, payment_record
    from tests.factories import make_price, owner_membership

    desk = actor_for(owner_membership(patient.clinic))
    item = make_price(clinic=patient.clinic, price="600", sessions=6)
    package = package_sell(actor=desk, patient=patient,
                           data=PackageSaleIn(price=item.pk, plan=plan.pk))
    invoice = Invoice.objects.get(package=package)
    payment_record(actor=desk, patient=patient, data=PaymentIn(
        amount="100", method="cash", invoice=invoice.pk))
    return invoice


def _export(patient):
    """A copy of the patient's data, built (by the worker's own function)."""
    from mesoclinic.portal.services import data_access_request, data_export_build

    request = data_access_request(patient=patient, ip=None)
    data_export_build(request_id=request.pk)
    return request


def _waitlist_offer(appointment) -> str:
    """The patient waits for an earlier time than their last appointment, and is offered
    one: the key of that offer's link."""
    from mesoclinic.booking.models import WaitlistOffer
    from mesoclinic.booking.services import waitlist_join, waitlist_offer_key
    from mesoclinic.core import clock
    from mesoclinic.core.links import derived_key, key_hash

    entry = waitlist_join(appointment=appointment, ip=None)
    offer = WaitlistOffer.objects.create(
        entry=entry, practitioner_id=appointment.practitioner_id,
        starts_at=appointment.starts_at - timedelta(days=1), nonce="walk",
        key_hash=key_hash(derived_key(purpose="waitlist-offer", nonce="walk")),
        expires_at=clock.now() + timedelta(hours=2))
    return waitlist_offer_key(offer)


def reads(w) -> dict[str, str]:
    """Each pattern that shows the patient, as a concrete address."""
    p = w["patient"].pk
    around = w["appointment"].starts_at.date() - timedelta(days=1)
    return {
        "patients/": f"/patients/?q={w['patient'].last_name[:4]}",
        "patients/<int:patient_id>/": f"/patients/{p}/",
        "patients/<int:patient_id>/edit/": f"/patients/{p}/edit/",
        "patients/<int:patient_id>/intake/": f"/patients/{p}/intake/",
        "patients/<int:patient_id>/consents/sign/": f"/patients/{p}/consents/sign/",
        "patients/<int:patient_id>/consents/<int:consent_id>/pdf/":
            f"/patients/{p}/consents/{w['consent'].pk}/pdf/",
        "photos/<int:photo_id>/<str:size>/": f"/photos/{w['photo'].pk}/thumb/",
        "patients/<int:patient_id>/allergy-tests/new/": f"/patients/{p}/allergy-tests/new/",
        "patients/<int:patient_id>/allergy-tests/<int:test_id>/read/":
            f"/patients/{p}/allergy-tests/{w['test'].pk}/read/",
        "patients/<int:patient_id>/checklist/": f"/patients/{p}/checklist/",
        "patients/<int:patient_id>/plans/new/": f"/patients/{p}/plans/new/",
        "patients/<int:patient_id>/timeline/": f"/patients/{p}/timeline/",
        "patients/<int:patient_id>/summary.pdf": f"/patients/{p}/summary.pdf",
        "plans/<int:plan_id>/": f"/plans/{w['plan'].pk}/",
        "sessions/<int:session_id>/": f"/sessions/{w['session'].pk}/",
        "dashboard/": "/dashboard/",
        "sessions/<int:session_id>/aftercare/": f"/sessions/{w['session'].pk}/aftercare/",
        "sessions/<int:session_id>/aftercare.pdf":
            f"/sessions/{w['session'].pk}/aftercare.pdf",
        "c/<str:token>/": f"/c/{w['checkin']}/",
        "patients/<int:patient_id>/adverse-events/new/": f"/patients/{p}/adverse-events/new/",
        "adverse-events/<int:event_id>/": f"/adverse-events/{w['event'].pk}/",
        "patients/<int:patient_id>/compare/": f"/patients/{p}/compare/",
        "comparisons/<int:comparison_id>/": f"/comparisons/{w['comparison'].pk}/",
        "comparisons/<int:comparison_id>/aligned.jpg":
            f"/comparisons/{w['comparison'].pk}/aligned.jpg",
        "clinic/lots/<int:lot_id>/": f"/clinic/lots/{w['lot'].pk}/",
        "p/<str:token>/": f"/p/{w['link']}/",
        "p/<str:token>/consent/": f"/p/{w['link']}/consent/",
        "booking/<str:token>/": f"/booking/{w['manage']}/",
        "calendar/": f"/calendar/?view=week&date={around}",
        "desk/": "/desk/",
        "appointments/<int:appointment_id>/": f"/appointments/{w['appointment'].pk}/",
        "patients/<int:patient_id>/book/": f"/patients/{p}/book/",
        "feeds/<str:key>.ics": f"/feeds/{w['feed']}.ics",
        "api/v1/patients": f"/api/v1/patients?q={w['patient'].last_name[:4]}",
        "api/v1/patients/<int:patient_id>": f"/api/v1/patients/{p}",
        "api/v1/patients/<int:patient_id>/intakes": f"/api/v1/patients/{p}/intakes",
        "api/v1/patients/<int:patient_id>/allergy-tests": f"/api/v1/patients/{p}/allergy-tests",
        "api/v1/patients/<int:patient_id>/consents": f"/api/v1/patients/{p}/consents",
        "api/v1/patients/<int:patient_id>/checklist":
            f"/api/v1/patients/{p}/checklist?practitioner={w['session'].practitioner_id}",
        "api/v1/patients/<int:patient_id>/plans": f"/api/v1/patients/{p}/plans",
        "api/v1/plans/<int:plan_id>": f"/api/v1/plans/{w['plan'].pk}",
        "api/v1/plans/<int:plan_id>/schedule": f"/api/v1/plans/{w['plan'].pk}/schedule",
        "api/v1/plans/<int:plan_id>/sessions": f"/api/v1/plans/{w['plan'].pk}/sessions",
        "api/v1/sessions/<int:session_id>": f"/api/v1/sessions/{w['session'].pk}",
        "api/v1/sessions/<int:session_id>/injections":
            f"/api/v1/sessions/{w['session'].pk}/injections",
        "api/v1/lots/<int:lot_id>/recipients": f"/api/v1/lots/{w['lot'].pk}/recipients",
        "api/v1/patients/<int:patient_id>/checkins": f"/api/v1/patients/{p}/checkins",
        "api/v1/patients/<int:patient_id>/adverse-events":
            f"/api/v1/patients/{p}/adverse-events",
        "api/v1/sessions/<int:session_id>/aftercare":
            f"/api/v1/sessions/{w['session'].pk}/aftercare",
        "api/v1/patients/<int:patient_id>/measurements":
            f"/api/v1/patients/{p}/measurements",
        "api/v1/patients/<int:patient_id>/comparisons": "",
        "api/v1/comparisons/<int:comparison_id>":
            f"/api/v1/comparisons/{w['comparison'].pk}",
        "api/v1/appointments": f"/api/v1/appointments?days=7&date_from={around}",
        "patients/<int:patient_id>/record.fhir.json": f"/patients/{p}/record.fhir.json",
        # Every FHIR read and search goes through one pattern (tests/test_fhir.py audits
        # each type); the whole record stands for them here.
        "^fhir/r4/(?P<path>.*)$": f"/fhir/r4/Patient/{p}/$everything",
        # The patient's own space, opened as the patient (signed in with their address).
        "me/<int:patient_id>/": f"/me/{p}/",
        "me/<int:patient_id>/summary.pdf": f"/me/{p}/summary.pdf",
        "desk/waitlist/": "/desk/waitlist/",
        "clinic/requests/": "/clinic/requests/",
        "api/v1/waitlist": "/api/v1/waitlist",
        "api/v1/data-requests": "/api/v1/data-requests",
        "clinic/requests/<int:request_id>/archive.zip":
            f"/clinic/requests/{w['export'].pk}/archive.zip",
        "me/<int:patient_id>/data/<int:request_id>.zip":
            f"/me/{p}/data/{w['export'].pk}.zip",
        "waitlist/<str:key>/": f"/waitlist/{w['offer']}/",
        "me/<int:patient_id>/consents/<int:consent_id>.pdf":
            f"/me/{p}/consents/{w['consent'].pk}.pdf",
        "me/<int:patient_id>/appointments/<int:appointment_id>.ics":
            f"/me/{p}/appointments/{w['appointment'].pk}.ics",
        "patients/<int:patient_id>/account/": f"/patients/{p}/account/",
        "me/<int:patient_id>/invoices/<int:invoice_id>.pdf":
            f"/me/{p}/invoices/{w['invoice'].pk}.pdf",
        # The desk's money pages, opened by the clinic's owner.
        "billing/invoices/<int:invoice_id>/": f"/billing/invoices/{w['invoice'].pk}/",
        "billing/invoices/<int:invoice_id>/pdf/": f"/billing/invoices/{w['invoice'].pk}/pdf/",
        "billing/": f"/billing/?day={_clinic_day(w['invoice'])}",
        "billing/ledger.csv": f"/billing/ledger.csv?from={_clinic_day(w['invoice'])}"
                              f"&to={_clinic_day(w['invoice'])}",
        "api/v1/patients/<int:patient_id>/account": f"/api/v1/patients/{p}/account",
        "api/v1/invoices": f"/api/v1/invoices?patient={p}",
        "api/v1/invoices/<int:invoice_id>": f"/api/v1/invoices/{w['invoice'].pk}",
        "api/v1/invoices/<int:invoice_id>/pdf": f"/api/v1/invoices/{w['invoice'].pk}/pdf",
        "api/v1/cash-up": f"/api/v1/cash-up?day={_clinic_day(w['invoice'])}",
    }


def _clinic_day(invoice) -> str:
    from mesoclinic.core import moments

    return moments.local_day(invoice.issued_at, invoice.clinic).isoformat()


def as_patient(client, patient) -> None:
    """Signed in to the patient's own space, as the link does it."""
    from mesoclinic.core import clock
    from mesoclinic.patients.models import Patient

    Patient.objects.filter(pk=patient.pk).update(email="patient@example.org",
                                                 email_key="patient@example.org")
    session = client.session
    session["portal_email"] = "patient@example.org"
    session["portal_seen"] = clock.now().isoformat()
    session.save()


def names_the_patient(event: AuditEvent, patient_id: int) -> bool:
    return event.patient_id == patient_id or patient_id in event.detail.get("patients", [])


def test_every_url_pattern_is_audited_or_says_why_not(world, personas, client_as,
                                                      api_headers):
    addresses = reads(world)
    patterns = all_patterns()
    unknown = [p for p in patterns
               if p not in addresses and p not in NO_PATIENT_DATA and p not in WRITES_ONLY]
    assert unknown == [], "classify these patterns: " + ", ".join(unknown)
    client = client_as(personas.practitioner)
    headers = api_headers(personas.practitioner)
    silent, refused = [], []
    for pattern, address in addresses.items():
        if not address:
            continue  # the same address as another pattern, read through it
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        if address.startswith(("/p/", "/c/", "/booking/", "/feeds/", "/waitlist/")):
            client.logout()
            response = client.get(address)
            client = client_as(personas.practitioner)
        elif address.startswith("/me/"):
            client.logout()
            as_patient(client, world["patient"])
            response = client.get(address)
            client = client_as(personas.practitioner)
        elif address.startswith(("/api/v1/invoices", "/api/v1/cash-up")):
            response = client.get(address, **api_headers(personas.owner))
        elif address.startswith("/billing/"):
            client = client_as(personas.owner)
            response = client.get(address)
            client = client_as(personas.practitioner)
        else:
            response = client.get(address, **(headers if address.startswith(
                ("/api/", "/fhir/")) else {}))
        if response.status_code != 200:
            refused.append(f"{address} {response.status_code}")
            continue
        events = AuditEvent.objects.filter(id__gt=before or 0)
        if not any(names_the_patient(e, world["patient"].pk) for e in events):
            silent.append(address)
    assert refused == [], "not opened: " + ", ".join(refused)
    assert silent == [], "no audit event for: " + ", ".join(silent)


def test_every_medical_loader_checks_the_role_and_the_clinic_itself(world, personas):
    # No caller can forget: called straight, without any page's decorator, reception is
    # refused and another clinic's practitioner finds nothing.
    from mesoclinic.aftercare.selectors import access_adverse_event
    from mesoclinic.consultation.selectors import (
        access_allergy_test,
        access_intake,
        access_photo,
    )
    from mesoclinic.core.errors import Forbidden, NotFound
    from mesoclinic.courses.selectors import access_injection, access_plan, access_session
    from mesoclinic.inventory.selectors import access_lot, access_products
    from mesoclinic.outcomes.selectors import access_comparison

    w = world
    loaders = {
        "intake": lambda a: access_intake(actor=a, patient=w["patient"],
                                          intake_id=w["intake"].pk),
        "photo": lambda a: access_photo(actor=a, photo_id=w["photo"].pk, original=True),
        "allergy test": lambda a: access_allergy_test(actor=a, patient=w["patient"],
                                                      test_id=w["test"].pk),
        "plan": lambda a: access_plan(actor=a, plan_id=w["plan"].pk),
        "session": lambda a: access_session(actor=a, session_id=w["session"].pk),
        "injection": lambda a: access_injection(actor=a, injection_id=w["injection"].pk),
        "lot": lambda a: access_lot(actor=a, lot_id=w["lot"].pk),
        "products": lambda a: access_products(actor=a, product_ids=[w["lot"].product_id]),
        "comparison": lambda a: access_comparison(actor=a, comparison_id=w["comparison"].pk),
        "adverse event": lambda a: access_adverse_event(actor=a, event_id=w["event"].pk),
    }
    answers = {}
    for name, load in loaders.items():
        assert load(actor_for(personas.nurse)) is not None
        for who, expected in (("reception", Forbidden), ("outsider", NotFound)):
            try:
                load(actor_for(personas.of(who)))
                answers[name, who] = "loaded"
            except (Forbidden, NotFound) as error:
                answers[name, who] = type(error).__name__
    assert answers == {(name, who): expected.__name__ for name in loaders
                       for who, expected in (("reception", Forbidden), ("outsider", NotFound))}
