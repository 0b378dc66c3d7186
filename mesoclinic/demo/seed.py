"""The demo clinic: two clinics in two cities, staff of every role, ~30 patients.

The passwords and the owner's TOTP key below are for the demo only (see the README).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.core import clock, moments
from mesoclinic.core.context import Actor
from mesoclinic.core.models import Clinic, Membership, Role, User
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.services import clinic_create, user_create
from mesoclinic.patients.models import Sex
from mesoclinic.patients.schemas import PatientIn
from mesoclinic.patients.services import patient_create

DEMO_PASSWORD = "demo-mesoclinic-2026"
# "mesoclinic-demo-key!" as hex: base32 NVSXG33DNRUW42LDFVSGK3LPFVVWK6JB
DEMO_OWNER_TOTP_HEX = "6d65736f636c696e69632d64656d6f2d6b657921"
DEMO_OWNER_EMAIL = "owner@demo.mesoclinic.test"


@dataclass(frozen=True)
class DemoStaff:
    email: str
    full_name: str
    roles: dict[str, Role]
    qualified: bool = False


CLINICS = [
    dict(slug="lyon-bellecour", name="Clinique Bellecour", city="Lyon", country="FR",
         timezone_name="Europe/Paris", address="12 place Bellecour, 69002 Lyon",
         phone="+33 4 78 00 12 34", latitude=45.7578, longitude=4.8320),
    dict(slug="manchester-deansgate", name="Deansgate Skin Clinic", city="Manchester",
         country="GB", timezone_name="Europe/London", address="210 Deansgate, Manchester M3 3NW",
         phone="+44 161 496 0000", latitude=53.4794, longitude=-2.2453),
]

STAFF = [
    DemoStaff(DEMO_OWNER_EMAIL, "Dr Claire Martin",
              {"lyon-bellecour": Role.OWNER, "manchester-deansgate": Role.OWNER}, qualified=True),
    DemoStaff("julien.moreau@demo.mesoclinic.test", "Dr Julien Moreau",
              {"lyon-bellecour": Role.PRACTITIONER}, qualified=True),
    DemoStaff("sophie.bernard@demo.mesoclinic.test", "Sophie Bernard",
              {"lyon-bellecour": Role.NURSE}, qualified=True),
    DemoStaff("lea.petit@demo.mesoclinic.test", "Léa Petit",
              {"lyon-bellecour": Role.RECEPTION}),
    DemoStaff("aisha.khan@demo.mesoclinic.test", "Dr Aisha Khan",
              {"manchester-deansgate": Role.PRACTITIONER}, qualified=True),
    DemoStaff("tom.hughes@demo.mesoclinic.test", "Tom Hughes",
              {"manchester-deansgate": Role.NURSE}),
    DemoStaff("grace.evans@demo.mesoclinic.test", "Grace Evans",
              {"manchester-deansgate": Role.RECEPTION}),
]

FRENCH = {
    "female": ["Camille", "Manon", "Chloé", "Inès", "Julie", "Élodie", "Sarah", "Nathalie",
               "Isabelle", "Amélie"],
    "male": ["Lucas", "Thomas", "Hugo", "Nicolas", "Antoine"],
    "last": ["Dubois", "Lefèvre", "Girard", "Roux", "Fontaine", "Chevalier", "Mercier",
             "Lambert", "Faure", "Rousseau", "Blanc", "Garnier", "Perrin", "Morel"],
}
BRITISH = {
    "female": ["Olivia", "Emily", "Charlotte", "Sophie", "Hannah", "Jessica", "Lucy",
               "Rebecca", "Amelia", "Priya"],
    "male": ["James", "Oliver", "Daniel", "Harry", "Mohammed"],
    "last": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Davies", "Evans", "Thomas",
             "Roberts", "Walker", "Wright", "O'Brien", "Patel", "Clarke"],
}
NOTES = [
    "Interested in a mesolift before a wedding in spring. Sensitive skin.",
    "Cellulite on thighs, grade 2. Exercises three times a week.",
    "Androgenetic alopecia, Norwood III. Uses topical minoxidil.",
    "Acne scars on both cheeks; previous microneedling in 2024.",
    "Knee osteoarthritis, VAS 6/10 on stairs. Takes ibuprofen occasionally.",
    "Localized fat on the abdomen after pregnancy (2023).",
    "",
]


def _phone(rng: random.Random, country: str) -> str:
    if country == "FR":
        return "+33 6 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
    return f"+44 7700 {rng.randint(900000, 900999)}"


def _email(first: str, last: str, rng: random.Random) -> str:
    from mesoclinic.patients.search_keys import name_key

    domain = rng.choice(["example.com", "example.org", "example.net"])
    return f"{name_key(first)}.{name_key(last)}@{domain}"


@transaction.atomic
def demo_seed(*, patients_per_clinic: int = 15, seed: int = 2026) -> bool:
    """Create the demo. Returns False, changing nothing, when it already exists."""
    if Clinic.objects.filter(slug=CLINICS[0]["slug"]).exists():
        return False
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    users = {
        s.email: user_create(email=s.email, full_name=s.full_name, password=DEMO_PASSWORD)
        for s in STAFF
    }
    owner = users[DEMO_OWNER_EMAIL]
    TOTPDevice.objects.create(user=owner, name="demo authenticator", confirmed=True,
                              key=DEMO_OWNER_TOTP_HEX)
    clinics = {c["slug"]: clinic_create(owner=owner, **c) for c in CLINICS}
    for staff in STAFF:
        for slug, role in staff.roles.items():
            membership, _ = Membership.objects.get_or_create(
                user=users[staff.email], clinic=clinics[slug], defaults={"role": role}
            )
            if staff.qualified:
                membership.qualification_verified = True
                membership.qualification_certificate = (
                    f"DIU-MESO-{rng.randint(1000, 9999)}" if slug.startswith("lyon")
                    else f"CPD-MESO-{rng.randint(1000, 9999)}"
                )
                membership.qualification_verified_by = owner
                membership.qualification_verified_at = clock.now()
                membership.save()
    today = timezone.localdate(clock.now())
    for clinic in clinics.values():
        names = FRENCH if clinic.country == "FR" else BRITISH
        practitioner = Membership.objects.get(clinic=clinic, role=Role.PRACTITIONER)
        actor = Actor(user=practitioner.user, membership=practitioner, ip="127.0.0.1")
        for index in range(patients_per_clinic):
            sex = Sex.FEMALE if rng.random() < 0.75 else Sex.MALE
            first = rng.choice(names["female" if sex == Sex.FEMALE else "male"])
            last = rng.choice(names["last"])
            born = today - timedelta(days=rng.randint(19 * 365, 68 * 365))
            patient_create(actor=actor, data=PatientIn(
                first_name=first,
                last_name=last,
                date_of_birth=date(born.year, born.month, min(born.day, 28)),
                sex=sex,
                phone=_phone(rng, clinic.country),
                email=_email(first, last, rng) if index % 5 else "",
                address=f"{rng.randint(1, 120)} " + rng.choice(
                    ["rue de la République", "cours Lafayette", "quai Saint-Antoine"]
                    if clinic.country == "FR" else ["Oxford Road", "King Street", "Portland Street"]
                ) + f", {clinic.city}",
                fitzpatrick_type=rng.randint(1, 6),
                notes=rng.choice(NOTES),
                allow_duplicate=True,
            ))
    for clinic in clinics.values():
        # Hours first: the demo's courses are booked into them.
        _seed_booking(clinic, owner, rng)
        _seed_consultations(clinic, rng)
        _seed_billing(clinic, owner)
    return True


def _seed_billing(clinic: Clinic, owner: User) -> None:
    """A price list at the country's standard VAT rate, the clinic's policy (legal details,
    a deposit for online bookings, cancellation fees), and for the first patients with a
    course a package sold for it, paid in part."""
    from mesoclinic.billing.models import Invoice
    from mesoclinic.billing.schemas import PackageSaleIn, PaymentIn, PolicyIn, PriceIn
    from mesoclinic.billing.services import (
        billing_policy_set,
        package_sell,
        payment_record,
        price_save,
    )
    from mesoclinic.core.countries import country_rules
    from mesoclinic.courses.models import TreatmentPlan

    actor = Actor(user=owner, membership=Membership.objects.get(clinic=clinic, user=owner),
                  ip="127.0.0.1")
    french = clinic.country == "FR"
    billing_policy_set(actor=actor, data=PolicyIn(
        legal_name=f"{clinic.name} SAS" if french else f"{clinic.name} Ltd",
        legal_details="SIRET 912 345 678 00015 · TVA FR32 912345678" if french
        else "Company no. 12345678 · VAT GB 123 4567 89",
        deposit_percent=Decimal("30"), late_cancel_fee=Decimal("30"),
        no_show_fee=Decimal("50"), termination="refund"))
    rate = country_rules(clinic.country).standard_rate
    prices = [("treatment", "Cellulite session" if not french else "Séance cellulite",
               "cellulite", 1, "150"),
              ("treatment", "Facial session" if not french else "Séance visage",
               "facial-rejuvenation", 1, "180"),
              ("package", "Facial course, 6 sessions" if not french
               else "Cure visage, 6 séances", "facial-rejuvenation", 6, "960"),
              ("package", "Cellulite course, 10 sessions" if not french
               else "Cure cellulite, 10 séances", "cellulite", 10, "1350")]
    items = {}
    for kind, name, indication, sessions, price in prices:
        items[name] = price_save(actor=actor, data=PriceIn(
            kind=kind, name=name, indication=indication, sessions=sessions,
            price=Decimal(price), vat_rate=rate))
    packages = {item.indication.code: item for item in items.values()
                if item.kind == "package"}
    for plan in (TreatmentPlan.objects.filter(clinic=clinic).select_related(
            "patient", "indication").order_by("id")[:3]):
        item = packages.get(plan.indication.code)
        if item is None:
            continue
        package = package_sell(actor=actor, patient=plan.patient, data=PackageSaleIn(
            price=item.pk, plan=plan.pk, instalments=3))
        invoice = Invoice.objects.get(package=package)
        payment_record(actor=actor, patient=plan.patient, data=PaymentIn(
            amount=(item.price / 3).quantize(Decimal("0.01")), method="card",
            invoice=invoice.pk))


def _seed_booking(clinic: Clinic, owner: User, rng: random.Random) -> None:
    """Working hours (Monday to Friday 9:00–12:30 and 14:00–18:30, Saturday morning), the
    treatments offered with prices, a holiday, and a few booked consultations."""
    from datetime import time as clock_time

    from mesoclinic.booking.models import TreatmentOffer
    from mesoclinic.booking.selectors import appointment_types, free_times
    from mesoclinic.booking.services import HoursIn, appointment_book, working_hours_set
    from mesoclinic.catalog.models import Indication
    from mesoclinic.patients.models import Patient

    owner_membership = Membership.objects.get(clinic=clinic, user=owner)
    owner_actor = Actor(user=owner, membership=owner_membership, ip="127.0.0.1")
    hours = [HoursIn(d, clock_time(9), clock_time(12, 30)) for d in range(5)] + \
        [HoursIn(d, clock_time(14), clock_time(18, 30)) for d in range(5)] + \
        [HoursIn(5, clock_time(9), clock_time(12))]
    # The clinicians see patients; the owner runs the clinic.
    members = list(Membership.objects.filter(clinic=clinic, role__in=CLINICAL_ROLES)
                   .exclude(role=Role.OWNER).select_related("user", "clinic"))
    for member in members:
        working_hours_set(actor=owner_actor, membership=member, hours=hours)
    types = appointment_types(clinic=clinic)
    prices = {"consultation": 60, "allergy_read": 0, "treatment": 120, "follow_up": 0}
    for appointment_type in types:
        appointment_type.price = prices[appointment_type.kind]
        appointment_type.save(update_fields=["price"])
    for code, price in (("cellulite", 150), ("facial-rejuvenation", 180),
                        ("alopecia-androgenetic", 200), ("localized-fat", 170),
                        ("pain-osteoarthritis", 90)):
        TreatmentOffer.objects.get_or_create(
            clinic=clinic, indication=Indication.objects.get(code=code),
            defaults={"price_from": price})
    consultation = next(t for t in types if t.kind == "consultation")
    today = moments.today(clinic)
    free = free_times(members=members, appointment_type=consultation, first=today,
                      last=today + timedelta(days=7)).get(clinic.pk, [])
    patients = list(Patient.objects.filter(clinic=clinic).order_by("-id")[:4])
    for patient, slot in zip(patients, free[::5], strict=False):
        appointment_book(clinic=clinic, membership=slot.membership,
                         appointment_type=consultation, starts_at=slot.starts_at,
                         patient=patient, channel="staff", actor=owner_actor)


PRODUCTS = [
    ("Mesolift HA + vitamins", "Demo Pharma", ["hyaluronic-acid-nonxl", "vitamin-c",
                                               "vitamin-b-complex"]),
    ("Lipolytic PC/DC", "Demo Pharma", ["phosphatidylcholine", "deoxycholate"]),
    ("Hair growth-factor complex", "Demo Labs", ["growth-factor-complex", "biotin"]),
    ("Cellulite aminophylline blend", "Demo Labs", ["aminophylline", "caffeine"]),
]


def _seed_consultations(clinic: Clinic, rng: random.Random) -> None:
    """Products and lots, and for most patients an intake, consents and an allergy test,
    so that the checklist shows both passing and blocked patients."""
    from mesoclinic.booking.course_booking import plan_book
    from mesoclinic.consultation.models import AllergyResult, ConsentKind
    from mesoclinic.consultation.schemas import AllergyReadIn, AllergyTestIn, IntakeIn
    from mesoclinic.consultation.services import (
        allergy_test_read,
        allergy_test_record,
        consent_sign,
        intake_submit,
    )
    from mesoclinic.courses.schemas import PlanIn
    from mesoclinic.courses.services import plan_book_proposed, plan_create
    from mesoclinic.inventory.services import lot_create, product_create
    from mesoclinic.patients.models import Patient

    practitioner = Membership.objects.get(clinic=clinic, role=Role.PRACTITIONER)
    actor = Actor(user=practitioner.user, membership=practitioner, ip="127.0.0.1")
    today = moments.today(clinic)
    lots = []
    for name, maker, substances in PRODUCTS:
        product = product_create(actor=actor, name=name, manufacturer=maker,
                                 substance_codes=substances)
        lots.append(lot_create(actor=actor, product=product,
                               number=f"L{rng.randint(10000, 99999)}",
                               expiry=today + timedelta(days=rng.randint(120, 500)),
                               quantity=Decimal("50")))
        lot_create(actor=actor, product=product, number=f"X{rng.randint(10000, 99999)}",
                   expiry=today - timedelta(days=20), quantity=Decimal("5"))
    now = clock.now()
    for index, patient in enumerate(Patient.objects.filter(clinic=clinic).order_by("id")):
        if index % 5 == 4:
            continue  # a new patient: nothing on record yet
        medications = []
        if index % 5 == 3:
            medications = [{"name": "Ibuprofen 400 mg", "drug_class": "nsaid",
                            "last_dose": (today - timedelta(days=2)).isoformat()}]
        intake_submit(patient=patient, channel="staff", actor=actor, ip="127.0.0.1",
                      data=IntakeIn(conditions=["herpes-simplex"] if index % 7 == 0 else [],
                                    medications=medications, allergies=""))
        consent_sign(patient=patient, kind=ConsentKind.TREATMENT, method="typed",
                     typed_name=patient.full_name, agreed=True, ip="127.0.0.1", actor=actor)
        if index % 5 == 2:
            continue  # consent signed, allergy test still to do
        first, second = rng.sample(lots, 2)
        test = allergy_test_record(actor=actor, patient=patient, data=AllergyTestIn(
            given_at=now - timedelta(days=3), injections=[
                {"product": first.product_id, "lot": first.pk, "site": "left forearm"},
                {"product": second.product_id, "lot": second.pk, "site": "right forearm"},
            ]))
        allergy_test_read(actor=actor, test=test,
                          data=AllergyReadIn(result=AllergyResult.NEGATIVE))
        if index % 5 in (0, 1):
            plan = plan_create(actor=actor, patient=patient, data=PlanIn(
                indication="facial-rejuvenation" if index % 2 else "cellulite",
                body_areas=["face", "neck"] if index % 2 else ["thighs", "buttocks"],
                technique="multi-injector-gun", depth_min_mm="1", depth_max_mm="4",
                needle_length_mm="4", volume_per_point_ml="0.05",
                cocktail=[{"product": first.product_id, "dose_ml": "2"}],
                planned_sessions=6 if index % 2 else 10))
            plan_book_proposed(actor=actor, plan=plan)
            _seed_outcomes(actor, patient, plan, index, rng)
            plan_book(actor=actor, plan=plan)
        if index % 3 == 0:
            consent_sign(patient=patient, kind=ConsentKind.REGISTRY, method="typed",
                         typed_name=patient.full_name, agreed=True, ip="127.0.0.1",
                         actor=actor)


def _seed_outcomes(actor: Actor, patient, plan, index: int,
                   rng: random.Random) -> None:
    """Baseline measurements, and for one patient a swelling reported six days ago that
    has outlasted its expected course, so the dashboard has something to show."""
    from mesoclinic.aftercare.services import AdverseEventIn, adverse_event_record
    from mesoclinic.outcomes.services import MeasurementIn, measurement_record

    today = moments.today(patient.clinic)
    scale = "hexsel-csss" if plan.indication.code == "cellulite" else "gais"
    value = rng.randint(6, 11) if scale == "hexsel-csss" else 4
    measurement_record(actor=actor, patient=patient, data=MeasurementIn(
        scale=scale, value=str(value), rated_by="practitioner", measured_on=today,
        plan=plan.pk))
    measurement_record(actor=actor, patient=patient, data=MeasurementIn(
        scale="satisfaction", value=str(rng.randint(5, 9)), rated_by="patient",
        measured_on=today, plan=plan.pk))
    if index == 0:
        adverse_event_record(actor=actor, patient=patient, data=AdverseEventIn(
            side_effect="swelling", onset_at=clock.now() - timedelta(days=6),
            severity="mild", description="Reported by phone: swelling of the left cheek."))
