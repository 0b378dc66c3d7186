"""Patient search over N patients: server time per request (p50, p95) and SQL queries.

Runs the real API view in-process (token auth, search, audit event included), against
SQLite by default or PostgreSQL when DATABASE_URL is set. Writes JSON to bench/results/.

    python bench/patient_search.py --patients 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
if not os.environ.get("DATABASE_URL"):
    (ROOT / "bench" / "var").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SQLITE_PATH", str(ROOT / "bench" / "var" / "bench.sqlite3"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from mesoclinic.core.models import Clinic, Membership, Role, User  # noqa: E402
from mesoclinic.core.services import api_token_issue, clinic_create  # noqa: E402
from mesoclinic.patients import search_keys  # noqa: E402
from mesoclinic.patients.models import Patient  # noqa: E402

SYLLABLES = ["ba", "be", "bo", "ca", "ce", "da", "de", "di", "fa", "fo", "ga", "la", "le",
             "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "pa", "pe", "ra", "re",
             "ri", "ro", "sa", "se", "ta", "te", "to", "va", "vi", "za", "ch", "th", "st"]
ENDINGS = ["", "n", "r", "t", "s", "l", "nd", "rt", "ux", "et", "ez", "ini", "son", "ley"]


def progress(done: int, total: int, label: str) -> None:
    # Redraw only when the bar moves, so a log file stays short.
    if done != total and (done * 40 // total) == ((done - 1) * 40 // total):
        return
    width = 40
    filled = int(width * done / total)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def make_name(rng: random.Random, parts: int) -> str:
    return ("".join(rng.choice(SYLLABLES) for _ in range(parts)) + rng.choice(ENDINGS)).title()


def populate(count: int, rng: random.Random) -> tuple[Clinic, Membership]:
    clinic = Clinic.objects.filter(slug="bench-clinic").first()
    if clinic is None:
        owner = User.objects.create_user(email="bench-owner@example.test", password=None,
                                         full_name="Bench Owner")
        clinic = clinic_create(name="Bench Clinic", slug="bench-clinic", city="Lyon",
                               timezone_name="Europe/Paris", owner=owner)
        nurse = User.objects.create_user(email="bench-nurse@example.test", password=None,
                                         full_name="Bench Nurse")
        Membership.objects.create(user=nurse, clinic=clinic, role=Role.NURSE)
    nurse_membership = Membership.objects.get(clinic=clinic, role=Role.NURSE)
    have = Patient.objects.filter(clinic=clinic).count()
    if have >= count:
        return clinic, nurse_membership
    first_names = [make_name(rng, 2) for _ in range(400)]
    last_names = [make_name(rng, rng.choice([2, 3])) for _ in range(5000)]
    batch: list[Patient] = []
    creator = nurse_membership.user
    for index in range(have, count):
        first, last = rng.choice(first_names), rng.choice(last_names)
        phone = f"+33 6 {rng.randint(10000000, 99999999)}"
        email = f"{search_keys.name_key(first)}.{search_keys.name_key(last)}{index}@example.com"
        batch.append(Patient(
            clinic=clinic, first_name=first, last_name=last,
            date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randint(0, 30000)),
            sex=rng.choice(["female", "male"]), phone=phone, email=email,
            created_by=creator,
            first_key=search_keys.name_key(first), last_key=search_keys.name_key(last),
            phone_key=search_keys.phone_key(phone), email_key=email,
        ))
        if len(batch) == 5000:
            Patient.objects.bulk_create(batch)
            batch.clear()
            progress(index + 1, count, "patients")
    if batch:
        Patient.objects.bulk_create(batch)
    progress(count, count, "patients")
    return clinic, nurse_membership


def queries_for(clinic: Clinic, rng: random.Random, per_kind: int) -> dict[str, list[str]]:
    sample = list(Patient.objects.filter(clinic=clinic).order_by("?")[: per_kind * 2])
    return {
        "last-name prefix (3 letters)": [p.last_name[:3] for p in sample[:per_kind]],
        "full last name": [p.last_name for p in sample[:per_kind]],
        "first + last name": [f"{p.first_name} {p.last_name}" for p in sample[:per_kind]],
        "date of birth": [p.date_of_birth.strftime("%d/%m/%Y") for p in sample[:per_kind]],
        "phone, national format": ["0" + p.phone.split()[-2] + p.phone.split()[-1]
                                   for p in sample[:per_kind]],
        "email": [p.email for p in sample[per_kind:per_kind * 2]],
        "empty (recent records)": [""] * per_kind,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    rng = random.Random(42)

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    clinic, membership = populate(args.patients, rng)
    populate_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a live database would have
    key, _token = api_token_issue(membership=membership)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get("/api/v1/patients", {"q": "warm"})  # warm-up: imports, connection

    results = {}
    all_times: list[float] = []
    kinds = queries_for(clinic, rng, args.per_kind)
    total = sum(len(v) for v in kinds.values())
    done = 0
    for kind, queries in kinds.items():
        times, counts, hits = [], [], []
        for query in queries:
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get("/api/v1/patients", {"q": query})
                elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, response.content
            times.append(elapsed)
            counts.append(len(captured))
            hits.append(len(response.json()))
            done += 1
            progress(done, total, "searches")
        all_times.extend(times)
        results[kind] = {
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "sql_queries_per_request": sorted(set(counts)),
            "mean_results": round(statistics.mean(hits), 1),
        }
    report = {
        "benchmark": "patient search through GET /api/v1/patients (token auth + audit event)",
        "database": connection.vendor,
        "patients": Patient.objects.filter(clinic=clinic).count(),
        "populate_seconds": round(populate_s, 1),
        "overall": {
            "requests": len(all_times),
            "p50_ms": round(statistics.median(all_times), 2),
            "p95_ms": round(percentile(all_times, 0.95), 2),
            "target_p95_ms": 30,
        },
        "by_kind": results,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = Path(args.out or ROOT / "bench" / "results" / f"patient_search_{connection.vendor}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["overall"]), "->", out)


if __name__ == "__main__":
    main()
