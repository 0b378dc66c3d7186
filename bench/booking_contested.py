"""Contested booking through the API, against gunicorn on loopback: 16 clients book the
same times; exactly one must win each, none may be lost. Beside it, the database's own
rate of single-row transactions with the same number of writers.

    python bench/booking_contested.py --clients 16 --times 150
    DATABASE_URL=postgres://... python bench/booking_contested.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time as clock_time
from datetime import time, timedelta
from pathlib import Path

from common import (
    ROOT,
    percentile,
    raw_rate,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
    write,
)

setup_django()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from mesoclinic.booking.models import Appointment, AppointmentStatus  # noqa: E402
from mesoclinic.booking.selectors import appointment_types, free_times  # noqa: E402
from mesoclinic.booking.services import HoursIn, working_hours_set  # noqa: E402
from mesoclinic.catalog.services import catalogue_load  # noqa: E402
from mesoclinic.core.context import Actor  # noqa: E402
from mesoclinic.core.models import Membership, Role, User  # noqa: E402
from mesoclinic.core.services import api_token_issue, clinic_create  # noqa: E402
from mesoclinic.patients.models import Patient  # noqa: E402
from mesoclinic.patients.search_keys import name_key  # noqa: E402

PORT = 8765


def prepare(clients: int, wanted: int) -> tuple[str, int, list[int], list[str]]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    catalogue_load()
    slug = f"contest-{int(clock_time.time())}"
    owner = User.objects.create_user(email=f"{slug}@example.test", password=None,
                                     full_name="Contest Owner")
    clinic = clinic_create(name="Contest Clinic", slug=slug, city="Lyon",
                           timezone_name="Europe/Paris", owner=owner)
    practitioner = User.objects.create_user(email=f"{slug}-dr@example.test", password=None,
                                            full_name="Dr Contest")
    member = Membership.objects.create(user=practitioner, clinic=clinic,
                                       role=Role.PRACTITIONER, qualification_verified=True)
    owner_membership = Membership.objects.get(clinic=clinic, user=owner)
    working_hours_set(actor=Actor(user=owner, membership=owner_membership, ip=None),
                      membership=member,
                      hours=[HoursIn(d, time(7), time(21)) for d in range(7)])
    consultation = next(t for t in appointment_types(clinic=clinic)
                        if t.kind == "consultation")
    patients = Patient.objects.bulk_create([
        Patient(clinic=clinic, first_name="Client", last_name=f"N{i}", first_key="client",
                last_key=name_key(f"N{i}"), date_of_birth=timezone.localdate().replace(
                    year=1980), sex="female", created_by=owner) for i in range(clients)])
    today = timezone.localdate()
    member = Membership.objects.select_related("clinic", "user").get(pk=member.pk)
    free = free_times(members=[member], appointment_type=consultation,
                      first=today + timedelta(days=1), last=today + timedelta(days=40))
    # Every third start (45 minutes apart): the times do not overlap one another.
    times = [f.starts_at.isoformat() for f in free[clinic.pk][::3][:wanted]]
    key, _token = api_token_issue(membership=owner_membership)
    return key, practitioner.pk, [p.pk for p in patients], times


def start_server(workers: int) -> subprocess.Popen:
    return start_gunicorn("mesoclinic.wsgi:application", port=PORT, workers=workers,
                          env=dict(os.environ), cwd=ROOT)


def contest(key: str, practitioner: int, patients: list[int], times: list[str]
            ) -> tuple[list[tuple[str, int, float]], float]:
    results: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(patients))

    def client(patient: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        barrier.wait()
        for start in times:
            body = json.dumps({"patient": patient, "practitioner": practitioner,
                               "starts_at": start})
            began = clock_time.perf_counter()
            conn.request("POST", "/api/v1/appointments", body,
                         {"Authorization": f"Bearer {key}",
                          "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            with lock:
                results.append((start, response.status, clock_time.perf_counter() - began))

    threads = [threading.Thread(target=client, args=(p,)) for p in patients]
    began = clock_time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, clock_time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--times", type=int, default=150)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    key, practitioner, patients, times = prepare(args.clients, args.times)
    server = start_server(args.workers)
    try:
        results, elapsed = contest(key, practitioner, patients, times)
    finally:
        stop_gunicorn(server)
    winners: dict[str, int] = {}
    for start, status, _latency in results:
        if status == 201:
            winners[start] = winners.get(start, 0) + 1
    statuses: dict[int, int] = {}
    for _start, status, _latency in results:
        statuses[status] = statuses.get(status, 0) + 1
    stored = Appointment.objects.filter(practitioner_id=practitioner,
                                        status=AppointmentStatus.BOOKED).count()
    latencies = [latency * 1000 for _s, _st, latency in results]
    requests_per_s = len(results) / elapsed
    raw = raw_rate(args.clients, 3.0)
    report = {
        "benchmark": "contested booking: POST /api/v1/appointments (token auth, audit, "
                     "slot claims) with every client after the same times",
        "database": connection.vendor, "clients": args.clients,
        "server_workers": args.workers, "times_contested": len(times),
        "requests": len(results), "statuses": statuses,
        "one_winner_per_time": all(winners.get(t) == 1 for t in times),
        "booked_rows": stored, "wins_acknowledged": sum(winners.values()),
        "requests_per_s": round(requests_per_s, 1),
        "latency_p50_ms": round(statistics.median(latencies), 2),
        "latency_p99_ms": round(percentile(latencies, 0.99), 2),
        "raw_single_row_tx_per_s": round(raw, 1),
        "ratio_to_raw": round(requests_per_s / raw, 3),
    }
    write(f"booking_contested_{connection.vendor}", report)
    if not report["one_winner_per_time"] or stored != sum(winners.values()):
        sys.exit("double booking or a lost booking: see the report")


if __name__ == "__main__":
    Path(ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    main()
