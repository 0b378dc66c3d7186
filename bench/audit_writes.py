"""Audited writes of one clinic from 8 writers at once: each writer's transaction inserts
its audit event without waiting for the chain, and the sealer chains them afterwards.
Beside it, the same writers inserting a row of the same size with no audit logic: the
ratio is the audit trail's cost. The chain is verified at the end.

    python bench/audit_writes.py --writers 8 --events 400
    DATABASE_URL=postgres://... python bench/audit_writes.py
"""

from __future__ import annotations

import argparse
import threading
import time

from common import percentile, setup_django, write

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402

from mesoclinic.core.audit import audit_chain_problems, audit_record, audit_seal  # noqa: E402
from mesoclinic.core.models import AuditEvent, Clinic  # noqa: E402


def run_writers(writers: int, events: int, write_one) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def writer() -> None:
        mine = []
        try:
            barrier.wait()
            for _ in range(events // writers):
                started = time.perf_counter()
                with transaction.atomic():
                    write_one()
                mine.append(time.perf_counter() - started)
        finally:
            connections.close_all()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--events", type=int, default=400)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.first() or Clinic.objects.create(name="Bench clinic",
                                                             slug="bench-clinic")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY, "
                       "action VARCHAR(60), detail TEXT)" if connection.vendor == "sqlite"
                       else "CREATE TABLE IF NOT EXISTS bench_bare (id SERIAL PRIMARY KEY, "
                       "action VARCHAR(60), detail TEXT)")

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_bare (action, detail) VALUES (%s, %s)",
                           ["patient.view", '{"patients": [1, 2, 3]}'])

    def audited() -> None:
        audit_record(actor=None, clinic=clinic, action="patient.view",
                     detail={"patients": [1, 2, 3]})

    before = AuditEvent.objects.count()
    bare_seconds, bare_latencies = run_writers(args.writers, args.events, bare)
    seconds, latencies = run_writers(args.writers, args.events, audited)
    sealing_started = time.perf_counter()
    sealed = audit_seal()
    sealing = time.perf_counter() - sealing_started
    written = AuditEvent.objects.count() - before
    problems = list(audit_chain_problems())
    rate, bare_rate = len(latencies) / seconds, len(bare_latencies) / bare_seconds
    write(f"audit_writes_{connection.vendor}", {
        "benchmark": f"{args.writers} writers, one clinic, one audited event a transaction",
        "database": connection.vendor, "events": written,
        "audited_per_s": round(rate), "bare_per_s": round(bare_rate),
        "ratio_to_bare": round(rate / bare_rate, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "bare_p99_ms": round(percentile(bare_latencies, 0.99) * 1000, 2),
        "sealed_after": sealed, "sealing_s": round(sealing, 3),
        "chain_problems": len(problems),
    })


if __name__ == "__main__":
    main()
