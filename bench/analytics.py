"""Practice analytics over 1,000,000 sessions (100,000 plans of 10 sessions, two scale
measurements each, 1 adverse event per 100 sessions). Target: ≤ 2 s.

    python bench/analytics.py --sessions 1000000
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta

from common import progress, setup_django, summary, timed, write

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from mesoclinic.aftercare.models import AdverseEvent  # noqa: E402
from mesoclinic.catalog.models import Indication, OutcomeScale, SideEffect, Technique  # noqa: E402
from mesoclinic.catalog.services import catalogue_load  # noqa: E402
from mesoclinic.core.context import Actor  # noqa: E402
from mesoclinic.core.models import Clinic, Membership, Role, User  # noqa: E402
from mesoclinic.core.services import clinic_create  # noqa: E402
from mesoclinic.courses.models import Session, SessionStatus, TreatmentPlan  # noqa: E402
from mesoclinic.outcomes.models import OutcomeMeasurement  # noqa: E402
from mesoclinic.outcomes.selectors import practice_analytics  # noqa: E402
from mesoclinic.patients.models import Patient  # noqa: E402

SESSIONS_PER_PLAN = 10
BATCH = 20000


def populate(total_sessions: int, rng: random.Random) -> Clinic:
    clinic = Clinic.objects.filter(slug="bench-analytics").first()
    if clinic is not None and Session.objects.filter(clinic=clinic).count() >= total_sessions:
        return clinic
    owner = User.objects.filter(email="bench-analytics@example.test").first() or \
        User.objects.create_user(email="bench-analytics@example.test", password=None,
                                 full_name="Analytics Owner")
    if clinic is None:
        clinic = clinic_create(name="Analytics Clinic", slug="bench-analytics", city="Lyon",
                               timezone_name="Europe/Paris", owner=owner)
    plans_needed = total_sessions // SESSIONS_PER_PLAN
    indications = list(Indication.objects.filter(code__in=[
        "pain-osteoarthritis", "pain-musculoskeletal", "cellulite", "facial-rejuvenation"]))
    techniques = list(Technique.objects.filter(code__in=["single-needle",
                                                         "multi-injector-gun"]))
    protocols = ["Piroxicam + Lidocaine", "Ketoprofen + Lidocaine", "HA + vitamins",
                 "Aminophylline blend"]
    scale = OutcomeScale.objects.get(code="vas-pain")
    effect = SideEffect.objects.get(code="bruising")
    start = date(2025, 1, 6)
    now = timezone.now()
    made = TreatmentPlan.objects.filter(clinic=clinic).count()
    while made < plans_needed:
        count = min(BATCH // SESSIONS_PER_PLAN, plans_needed - made)
        with transaction.atomic():
            patients = Patient.objects.bulk_create([
                Patient(clinic=clinic, first_name="Bench", last_name=f"P{made + i}",
                        first_key="bench", last_key=f"p{made + i}",
                        date_of_birth=date(1970, 1, 1) + timedelta(days=rng.randint(0, 15000)),
                        sex="female", created_by=owner) for i in range(count)])
            plans = TreatmentPlan.objects.bulk_create([
                TreatmentPlan(clinic=clinic, patient=p, indication=rng.choice(indications),
                              technique=rng.choice(techniques), planned_sessions=10,
                              protocol_label=rng.choice(protocols), created_by=owner,
                              created_at=now) for p in patients])
            sessions = Session.objects.bulk_create([
                Session(clinic=clinic, patient_id=plan.patient_id, plan=plan,
                        scheduled_on=start + timedelta(days=7 * k),
                        status=SessionStatus.COMPLETED)
                for plan in plans for k in range(SESSIONS_PER_PLAN)], batch_size=5000)
            OutcomeMeasurement.objects.bulk_create([
                OutcomeMeasurement(clinic=clinic, patient_id=plan.patient_id, plan=plan,
                                   scale=scale, value=value, rated_by="patient",
                                   measured_on=day, recorded_by=owner, created_at=now)
                for plan in plans
                for value, day in ((rng.randint(5, 9), start),
                                   (rng.randint(1, 8), start + timedelta(days=63)))],
                batch_size=5000)
            AdverseEvent.objects.bulk_create([
                AdverseEvent(clinic=clinic, patient_id=s.patient_id, session=s,
                             side_effect=effect, onset_at=now, severity="mild")
                for s in sessions if rng.random() < 0.01], batch_size=5000)
        made += count
        progress(made, plans_needed, "plans")
    return clinic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    catalogue_load()
    clinic = populate(args.sessions, random.Random(11))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    owner = Membership.objects.select_related("user", "clinic").get(clinic=clinic,
                                                                    role=Role.OWNER)
    actor = Actor(user=owner.user, membership=owner, ip="127.0.0.1")
    scale = OutcomeScale.objects.get(code="vas-pain")
    rows = practice_analytics(actor=actor, scale=scale)  # warm-up
    by_dimension = {}
    for dimension in ("protocol", "practitioner"):
        times = timed(lambda d=dimension: practice_analytics(actor=actor, scale=scale,
                                                             dimension=d), args.runs)
        by_dimension[dimension] = summary(times)
    write(f"analytics_{connection.vendor}", {
        "benchmark": "practice analytics (mean change with t CI, Wilson responder rate, "
                     "adverse events per 100 sessions) grouped in one pass",
        "database": connection.vendor,
        "sessions": Session.objects.filter(clinic=clinic).count(),
        "plans": TreatmentPlan.objects.filter(clinic=clinic).count(),
        "measurements": OutcomeMeasurement.objects.filter(clinic=clinic).count(),
        "groups": len(rows),
        "by_dimension": by_dimension,
        "target_s": 2.0,
    })


if __name__ == "__main__":
    main()
