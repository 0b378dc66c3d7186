"""Factories that build consistent objects through the services, as the app itself would."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.core.context import Actor
from mesoclinic.core.models import Clinic, Membership, Role, User
from mesoclinic.core.services import clinic_create, user_create
from mesoclinic.patients.models import Patient
from mesoclinic.patients.schemas import PatientIn
from mesoclinic.patients.services import patient_create

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(*, full_name: str = "", email: str = "") -> User:
    n = next(_counter)
    return user_create(
        email=email or f"user{n}@example.test",
        full_name=full_name or f"Test User {n}",
        password=PASSWORD,
    )


def make_clinic(*, owner: User | None = None, name: str = "", city: str = "Lyon",
                timezone_name: str = "Europe/Paris") -> Clinic:
    n = next(_counter)
    owner = owner or make_user(full_name=f"Owner {n}")
    TOTPDevice.objects.get_or_create(user=owner, confirmed=True, defaults={"name": "test"})
    return clinic_create(
        name=name or f"Clinic {n}", slug=f"clinic-{n}", city=city,
        timezone_name=timezone_name, owner=owner,
    )


def make_member(*, clinic: Clinic, role: Role, user: User | None = None,
                qualified: bool = False) -> Membership:
    user = user or make_user(full_name=f"{role.label} {next(_counter)}")
    membership = Membership.objects.create(user=user, clinic=clinic, role=role,
                                           qualification_verified=qualified)
    if role == Role.OWNER:
        TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "test"})
    return membership


def owner_membership(clinic: Clinic) -> Membership:
    return Membership.objects.select_related("user", "clinic").filter(
        clinic=clinic, role=Role.OWNER).first()


def actor_for(membership: Membership) -> Actor:
    return Actor(user=membership.user, membership=membership, ip="127.0.0.1")


def make_patient(*, clinic: Clinic, **fields: Any) -> Patient:
    values: dict[str, Any] = {
        "first_name": "Camille",
        "last_name": f"Durand{next(_counter)}",
        "date_of_birth": date(1985, 2, 14),
        "sex": "female",
        "phone": "+33 6 12 34 56 78",
        "email": "",
        "fitzpatrick_type": 3,
        "notes": "Sensitive skin.",
        "allow_duplicate": True,
    }
    values.update(fields)
    return patient_create(actor=actor_for(owner_membership(clinic)), data=PatientIn(**values))


# Consultation ----------------------------------------------------------------------------


def make_product_with_lot(*, clinic: Clinic, name: str = "", expiry: date | None = None,
                          recalled: bool = False):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from mesoclinic.inventory.services import lot_create, product_create

    actor = actor_for(owner_membership(clinic))
    product = product_create(actor=actor, name=name or f"Product {next(_counter)}",
                             substance_codes=["vitamin-c"])
    lot = lot_create(actor=actor, product=product, number=f"LOT{next(_counter)}",
                     expiry=expiry or timezone.localdate() + timedelta(days=365),
                     quantity=Decimal("20"))
    if recalled:
        lot.recalled = True
        lot.save()
    return product, lot


def make_intake(*, patient: Patient, conditions: list[str] | None = None,
                medications: list[dict] | None = None):
    from mesoclinic.consultation.schemas import IntakeIn
    from mesoclinic.consultation.services import intake_submit

    return intake_submit(patient=patient, channel="staff",
                         actor=actor_for(owner_membership(patient.clinic)), ip="127.0.0.1",
                         data=IntakeIn(conditions=conditions or [],
                                       medications=medications or []))


def sign_treatment_consent(*, patient: Patient):
    from mesoclinic.consultation.services import consent_sign

    return consent_sign(patient=patient, kind="treatment", method="typed",
                        typed_name=patient.full_name, agreed=True, ip="127.0.0.1")


def sign_photo_consent(*, patient: Patient):
    """The patient's consent to clinical photographs, unless they already gave it."""
    from mesoclinic.consultation.models import Consent
    from mesoclinic.consultation.services import consent_sign

    current = Consent.objects.filter(patient=patient, kind="photos",
                                     withdrawn_at__isnull=True).first()
    return current or consent_sign(patient=patient, kind="photos", method="typed",
                                   typed_name=patient.full_name, agreed=True,
                                   ip="127.0.0.1")


def give_allergy_test(*, patient: Patient, lots: list, given_at=None):
    from mesoclinic.consultation.schemas import AllergyTestIn
    from mesoclinic.consultation.services import allergy_test_record

    pair = (lots * 2)[:2]
    return allergy_test_record(
        actor=actor_for(owner_membership(patient.clinic)), patient=patient,
        data=AllergyTestIn(given_at=given_at, injections=[
            {"product": lot.product_id, "lot": lot.pk, "site": f"forearm {i}"}
            for i, lot in enumerate(pair)]))


# Courses ---------------------------------------------------------------------------------


def make_plan(*, patient: Patient, products: list, sessions: int = 6,
              technique: str = "single-needle", indication: str = "facial-rejuvenation"):
    from mesoclinic.courses.schemas import PlanIn
    from mesoclinic.courses.services import plan_create

    return plan_create(
        actor=actor_for(owner_membership(patient.clinic)), patient=patient,
        data=PlanIn(indication=indication, body_areas=["face"], technique=technique,
                    depth_min_mm="1", depth_max_mm="4", needle_length_mm="4",
                    cocktail=[{"product": p.pk, "dose_ml": "1.00"} for p in products],
                    planned_sessions=sessions))


def ready_patient(*, clinic: Clinic, clock, practitioner: Membership):
    """A patient cleared for treatment (intake, consent, negative allergy test read 30 h
    after it was given) with one product and a plan for it."""
    from mesoclinic.consultation.schemas import AllergyReadIn
    from mesoclinic.consultation.services import allergy_test_read

    product, lot = make_product_with_lot(clinic=clinic)
    patient = make_patient(clinic=clinic)
    make_intake(patient=patient)
    sign_treatment_consent(patient=patient)
    test = give_allergy_test(patient=patient, lots=[lot])
    clock.advance(hours=30)
    allergy_test_read(actor=actor_for(practitioner), test=test,
                      data=AllergyReadIn(result="negative"))
    clock.advance(hours=25)
    plan = make_plan(patient=patient, products=[product])
    return patient, product, lot, plan


# Booking ---------------------------------------------------------------------------------


def open_clinic_for_booking(clinic: Clinic, *members: Membership) -> None:
    """Weekly hours every day 8:00–20:00 for these members, and the clinic placed in Lyon."""
    from datetime import time

    from mesoclinic.booking.models import TreatmentOffer
    from mesoclinic.booking.services import HoursIn, working_hours_set
    from mesoclinic.catalog.models import Indication

    clinic.latitude, clinic.longitude = 45.7640, 4.8357
    clinic.save()
    owner = actor_for(owner_membership(clinic))
    for member in members:
        working_hours_set(actor=owner, membership=member,
                          hours=[HoursIn(d, time(8), time(20)) for d in range(7)])
    indication = Indication.objects.filter(code="cellulite").first()
    if indication is not None:
        TreatmentOffer.objects.get_or_create(clinic=clinic, indication=indication)


def book_for(*, patient: Patient, member: Membership, days_ahead: int = 1,
             kind: str = "consultation", index: int = 0):
    """This patient's appointment at the member's free time (the index-th of that day),
    that many days ahead (clinic time), booked as the desk books."""
    from datetime import timedelta

    from mesoclinic.booking.selectors import appointment_type_of, free_times
    from mesoclinic.booking.services import appointment_book
    from mesoclinic.core import moments

    clinic = patient.clinic
    appointment_type = appointment_type_of(clinic=clinic, kind=kind)
    day = moments.today(clinic) + timedelta(days=days_ahead)
    free = free_times(members=[member], appointment_type=appointment_type, first=day,
                      last=day)[clinic.pk][index]
    return appointment_book(clinic=clinic, membership=member,
                            appointment_type=appointment_type, starts_at=free.starts_at,
                            patient=patient, channel="staff")


def book_consultation(*, clinic: Clinic, member: Membership, days_ahead: int = 1,
                      channel: str = "staff", **patient_fields: Any):
    """The member's first free consultation that many days ahead (clinic time), booked
    for a new patient of the clinic: confirmation and reminder queued, as for any
    booking."""
    from datetime import timedelta

    from mesoclinic.booking.selectors import appointment_types, free_times
    from mesoclinic.booking.services import appointment_book
    from mesoclinic.core import moments

    consultation = next(t for t in appointment_types(clinic=clinic)
                        if t.kind == "consultation")
    day = moments.today(clinic) + timedelta(days=days_ahead)
    slot = free_times(members=[member], appointment_type=consultation, first=day,
                      last=day)[clinic.pk][0]
    return appointment_book(clinic=clinic, membership=member, appointment_type=consultation,
                            starts_at=slot.starts_at,
                            patient=make_patient(clinic=clinic, **patient_fields),
                            channel=channel)


# Billing ---------------------------------------------------------------------------------


def make_price(*, clinic: Clinic, kind: str = "package", name: str = "", price: str = "600",
               sessions: int = 6, vat_rate: str = "20", indication: str = ""):
    """A price of the clinic's list, set by its owner."""
    from decimal import Decimal

    from mesoclinic.billing.schemas import PriceIn
    from mesoclinic.billing.services import price_save

    return price_save(actor=actor_for(owner_membership(clinic)), data=PriceIn(
        kind=kind, name=name or f"{kind.title()} {next(_counter)}", price=Decimal(price),
        sessions=sessions, vat_rate=Decimal(vat_rate), indication=indication))


def set_billing_policy(*, clinic: Clinic, **fields: Any):
    from mesoclinic.billing.schemas import PolicyIn
    from mesoclinic.billing.services import billing_policy_set

    return billing_policy_set(actor=actor_for(owner_membership(clinic)),
                              data=PolicyIn(**fields))


def complete_next_session(*, plan, member: Membership, clock):
    """The plan's next planned session (booked when none is), given on its day at 10:00
    in the clinic and completed."""
    from datetime import timedelta

    from mesoclinic.core import moments
    from mesoclinic.courses.models import Session
    from mesoclinic.courses.schemas import SessionCompleteIn
    from mesoclinic.courses.services import (
        plan_book_proposed,
        session_complete,
        session_start,
    )

    actor = actor_for(member)
    planned = Session.objects.filter(plan=plan, status="planned").order_by("scheduled_on")
    session = planned.first() or plan_book_proposed(actor=actor, plan=plan)[0]
    start = moments.local_midnight(session.scheduled_on, plan.clinic) + timedelta(hours=10)
    clock.current = max(clock.current, start)
    return session_complete(actor=actor, session=session_start(actor=actor, session=session),
                            data=SessionCompleteIn())
