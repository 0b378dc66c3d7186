""""Mesotherapy near me" over 10,000 clinics and 30,000 practitioners, 60 days of
availability (the first day of each practitioner already busy): server time of
GET /api/v1/public/search, p50 and p95. Target: p95 ≤ 50 ms.

    python bench/search_near_me.py --clinics 10000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock_time
from datetime import datetime, time, timedelta

from common import percentile, progress, setup_django, write

setup_django()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from mesoclinic.booking.gazetteer import _index  # noqa: E402
from mesoclinic.booking.models import (  # noqa: E402
    Appointment,
    AppointmentKind,
    AppointmentType,
    TreatmentOffer,
    WorkingHours,
)
from mesoclinic.catalog.models import Indication  # noqa: E402
from mesoclinic.catalog.services import catalogue_load  # noqa: E402
from mesoclinic.core.models import AuditChain, Clinic, Membership, Role, User  # noqa: E402
from mesoclinic.patients.models import Patient  # noqa: E402

CITIES_PER_COUNTRY = 60


def cities(rng: random.Random) -> list[tuple[str, float, float]]:
    found = {}
    for places in _index().values():
        for primary, place in places:
            if primary and place.country in ("FR", "GB"):
                found[(place.name, place.country)] = place
    largest = sorted(found.values(), key=lambda p: -p.population)
    chosen = [p for p in largest if p.country == "FR"][:CITIES_PER_COUNTRY] + \
        [p for p in largest if p.country == "GB"][:CITIES_PER_COUNTRY]
    return [(p.name, p.latitude, p.longitude) for p in chosen]


def populate(count: int, rng: random.Random) -> list[tuple[str, float, float]]:
    places = cities(rng)
    if Clinic.objects.filter(slug__startswith="near-").count() >= count:
        return places
    owner = User.objects.filter(email="near-owner@example.test").first() or \
        User.objects.create_user(email="near-owner@example.test", password=None,
                                 full_name="Near Owner")
    indications = list(Indication.objects.filter(code__in=[
        "cellulite", "facial-rejuvenation", "alopecia-androgenetic", "localized-fat"]))
    made = Clinic.objects.filter(slug__startswith="near-").count()
    today = timezone.localdate()
    while made < count:
        size = min(500, count - made)
        with transaction.atomic():
            new = []
            for i in range(size):
                name, lat, lon = rng.choice(places)
                new.append(Clinic(
                    name=f"Clinic {made + i} of {name}", slug=f"near-{made + i}", city=name,
                    country="FR", timezone="Europe/Paris",
                    latitude=lat + rng.gauss(0, 0.08), longitude=lon + rng.gauss(0, 0.11)))
            clinics = Clinic.objects.bulk_create(new)
            AuditChain.objects.bulk_create([AuditChain(scope=f"clinic:{c.pk}")
                                            for c in clinics])
            users = User.objects.bulk_create([
                User(email=f"near-{c.pk}-{k}@example.test", full_name=f"Dr {c.pk}-{k}",
                     password="!")
                for c in clinics for k in range(3)])
            members = Membership.objects.bulk_create([
                Membership(user=users[3 * i + k], clinic=c, role=Role.PRACTITIONER,
                           qualification_verified=True)
                for i, c in enumerate(clinics) for k in range(3)])
            WorkingHours.objects.bulk_create([
                WorkingHours(membership=m, weekday=d, start=start, end=end)
                for m in members for d in range(6)
                for start, end in ((time(9), time(12, 30)), (time(14), time(18, 30)))])
            types = AppointmentType.objects.bulk_create([
                AppointmentType(clinic=c, kind=AppointmentKind.CONSULTATION,
                                name="Consultation", duration_minutes=30, buffer_minutes=10)
                for c in clinics])
            TreatmentOffer.objects.bulk_create([
                TreatmentOffer(clinic=c, indication=ind) for c in clinics
                for ind in rng.sample(indications, 2)])
            patients = Patient.objects.bulk_create([
                Patient(clinic=c, first_name="Bench", last_name="Patient", first_key="bench",
                        last_key="patient", date_of_birth=today.replace(year=1980),
                        sex="female", created_by=owner) for c in clinics])
            # Each practitioner's next working day is booked solid: the search looks on.
            busy = []
            for i, c in enumerate(clinics):
                day = today + timedelta(days=1)
                while day.weekday() == 6:
                    day += timedelta(days=1)
                for k in range(3):
                    for start, end in ((time(9), time(12, 30)), (time(14), time(18, 30))):
                        busy.append(Appointment(
                            clinic=c, practitioner=users[3 * i + k], patient=patients[i],
                            type=types[i], kind=AppointmentKind.CONSULTATION,
                            starts_at=datetime.combine(day, start, c.zoneinfo),
                            ends_at=datetime.combine(day, end, c.zoneinfo), channel="staff"))
            Appointment.objects.bulk_create(busy, batch_size=2000)
        made += size
        progress(made, count, "clinics")
    return places


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clinics", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    catalogue_load()
    rng = random.Random(5)
    places = populate(args.clinics, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.get("/api/v1/public/search", {"place": "Lyon"})  # warm-up: the gazetteer loads
    times, results = [], []
    for index in range(args.queries):
        name, _lat, _lon = rng.choice(places)
        params = {"place": name, "radius": rng.choice([10, 25, 50])}
        if index % 2:
            params["indication"] = rng.choice(["cellulite", "facial-rejuvenation"])
        started = clock_time.perf_counter()
        response = client.get("/api/v1/public/search", params)
        times.append((clock_time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
        results.append(len(response.json()["results"]))
        progress(index + 1, args.queries, "searches")
    write(f"search_near_me_{connection.vendor}", {
        "benchmark": "GET /api/v1/public/search: clinics within the radius, nearest 20, each "
                     "with its next 3 free consultation times in 60 days",
        "database": connection.vendor,
        "clinics": Clinic.objects.filter(slug__startswith="near-").count(),
        "practitioners": Membership.objects.filter(clinic__slug__startswith="near-").count(),
        "requests": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "mean_results": round(statistics.mean(results), 1),
        "target_p95_ms": 50,
    })


if __name__ == "__main__":
    main()
