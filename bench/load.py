"""Load: mesoclinic's API under gunicorn on loopback, beside a bare Django reference app
(bench/reference: one model, a token check, a unique constraint) and the database's raw
single-row transaction rate, all measured in one run on the same database server.

Three workloads, each with 1 and 8 clients after a warm-up, bounded in time and count:
  consultation booking   POST /api/v1/appointments (kind consultation)
  treatment booking      POST /api/v1/appointments (kind treatment: the safety checklist)
  patient read           GET  /api/v1/patients/{id}
and the reference's booking and read. The load is driven by wrk (bench/load.lua). The JSON
gives req/s, p50, p99, statements and commits per request (counted in-process), the ratio
to the reference, the web workers' resident memory, and a profile of one booking and one
read under bench/results/.

    python bench/load.py                        # SQLite (bench/var/load.sqlite3)
    DATABASE_URL=postgres://... python bench/load.py
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import time as wall
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, progress, raw_rate, start_gunicorn, stop_gunicorn, write

VAR = ROOT / "bench" / "var"
RESULTS = ROOT / "bench" / "results"
MESOCLINIC_PORT, REFERENCE_PORT = 8771, 8772
PRACTITIONERS = 8
SPACING = timedelta(minutes=45)  # a 30-minute visit and its 10-minute buffer, on the grid
STARTS_PER_DAY = 18  # 07:00 to 19:45: the last one ends before 21:00
SESSIONS_PER_PATIENT = 12
SESSION_GAP_DAYS = 14


def _fresh_database() -> str:
    """A database of its own for this run, so that the figures do not depend on what other
    benchmarks left behind. Answers the reference app's database URL (or '' for SQLite)."""
    VAR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        for name in ("load.sqlite3", "reference.sqlite3"):
            for suffix in ("", "-wal", "-shm"):
                (VAR / f"{name}{suffix}").unlink(missing_ok=True)
        os.environ["SQLITE_PATH"] = str(VAR / "load.sqlite3")
        os.environ["AUDIT_CHECKPOINT_FILE"] = str(VAR / "load-audit-checkpoints.jsonl")
        os.environ["REFERENCE_SQLITE_PATH"] = str(VAR / "reference.sqlite3")
        return ""
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("mesoclinic_load", "reference_load"):
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = f"{base}/mesoclinic_load"
    os.environ["AUDIT_CHECKPOINT_FILE"] = str(VAR / "load-audit-checkpoints-pg.jsonl")
    os.environ["REFERENCE_DATABASE_URL"] = f"{base}/reference_load"
    return os.environ["REFERENCE_DATABASE_URL"]


@dataclass
class Workload:
    name: str
    method: str
    token: str
    lines: list[str]  # "path<TAB>body"
    cycle: bool = False
    results: dict[str, Any] = field(default_factory=dict)


def _take(lines: list[str], count: int) -> list[str]:
    taken, lines[:] = lines[:count], lines[count:]
    return taken


def prepare_mesoclinic(ready_patients: int, consultation_days: int) -> dict[str, Any]:
    """A clinic in Lyon with 8 practitioners open 07:00–21:00 every day, a reception desk,
    1,000 patients, and patients cleared for treatment with a 15-session plan each; the
    booking requests spread over distinct free times."""
    from django.core.management import call_command

    sys.path.insert(0, str(ROOT))
    from mesoclinic.booking.services import HoursIn, working_hours_set
    from mesoclinic.catalog.services import catalogue_load
    from mesoclinic.consultation.schemas import AllergyReadIn
    from mesoclinic.consultation.services import allergy_test_read
    from mesoclinic.core import clock, moments
    from mesoclinic.core.models import Role
    from mesoclinic.core.services import api_token_issue
    from tests import factories

    call_command("migrate", verbosity=0)
    catalogue_load()
    clinic = factories.make_clinic(name="Load Clinic", city="Lyon")
    owner = factories.owner_membership(clinic)
    actor = factories.actor_for(owner)
    members = [factories.make_member(clinic=clinic, role=Role.PRACTITIONER, qualified=True)
               for _ in range(PRACTITIONERS)]
    reception = factories.make_member(clinic=clinic, role=Role.RECEPTION)
    for member in members:
        working_hours_set(actor=actor, membership=member,
                          hours=[HoursIn(d, time(7), time(21)) for d in range(7)])
    patients = []
    for index in range(1000):
        patients.append(factories.make_patient(clinic=clinic))
        progress(index + 1, 1000, "patients")
    product, lot = factories.make_product_with_lot(clinic=clinic)
    ready = []
    given_at = clock.now() - timedelta(days=3)
    for index in range(ready_patients):
        patient = factories.make_patient(clinic=clinic)
        factories.make_intake(patient=patient)
        factories.sign_treatment_consent(patient=patient)
        test = factories.give_allergy_test(patient=patient, lots=[lot], given_at=given_at)
        allergy_test_read(actor=factories.actor_for(members[0]), test=test,
                          data=AllergyReadIn(result="negative"))
        factories.make_plan(patient=patient, products=[product], sessions=15)
        ready.append(patient)
        progress(index + 1, ready_patients, "patients cleared for treatment")
    today = moments.today(clinic)
    zone = clinic.zoneinfo

    def at(day_offset: int, start_index: int) -> str:
        day = today + timedelta(days=day_offset)
        local = datetime.combine(day, time(7), zone) + SPACING * start_index
        return local.isoformat()

    def booking(patient_id: int, member_index: int, starts_at: str, kind: str) -> str:
        body = json.dumps({"patient": patient_id, "practitioner": members[member_index].user_id,
                           "kind": kind, "starts_at": starts_at})
        return f"/api/v1/appointments\t{body}"

    # Treatments: patient p's sessions every 14 days from day 1 + p mod 14; the patients
    # sharing a day take distinct practitioners and times.
    treatments = []
    for j in range(SESSIONS_PER_PATIENT):
        for p, patient in enumerate(ready):
            rank = p // SESSION_GAP_DAYS
            treatments.append(booking(patient.pk, rank % PRACTITIONERS,
                                      at(1 + p % SESSION_GAP_DAYS + SESSION_GAP_DAYS * j,
                                         rank // PRACTITIONERS), "treatment"))
    # Consultations: on days after every treatment, each practitioner's day filled in turn.
    first_day = 2 + SESSION_GAP_DAYS * (SESSIONS_PER_PATIENT + 1)
    consultations = []
    for n in range(consultation_days * PRACTITIONERS * STARTS_PER_DAY):
        day, rest = divmod(n, PRACTITIONERS * STARTS_PER_DAY)
        start_index, member_index = divmod(rest, PRACTITIONERS)
        consultations.append(booking(patients[n % len(patients)].pk, member_index,
                                     at(first_day + day, start_index), "consultation"))
    reads = [f"/api/v1/patients/{p.pk}\t" for p in patients]
    booker, _ = api_token_issue(membership=reception)
    reader, _ = api_token_issue(membership=members[0])
    return {"booker": booker, "reader": reader, "treatments": treatments,
            "consultations": consultations, "reads": reads}


def prepare_reference(reference_url: str, token: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "bench"),
           "DJANGO_SETTINGS_MODULE": "reference.settings", "REFERENCE_TOKEN": token}
    if reference_url:
        env["REFERENCE_DATABASE_URL"] = reference_url
    subprocess.run([sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
                   env=env, check=True, cwd=ROOT / "bench")
    return env


def reference_lines(count: int, offset: int) -> list[str]:
    start = datetime(2030, 1, 1, 7, 0).isoformat() + "+00:00"
    base = datetime.fromisoformat(start)
    return ["/bookings\t" + json.dumps({
        "practitioner": (offset + n) % PRACTITIONERS + 1, "patient": n % 1000 + 1,
        "starts_at": (base + SPACING * ((offset + n) // PRACTITIONERS)).isoformat()})
        for n in range(count)]


def run_wrk(*, port: int, workload: Workload, lines: list[str], clients: int,
            seconds: int) -> dict[str, Any]:
    threads = min(clients, os.cpu_count() or 2)
    prefix = VAR / f"lines-{workload.name}"
    for thread in range(threads):
        Path(f"{prefix}.{thread}").write_text("\n".join(lines[thread::threads]) + "\n")
    env = {**os.environ, "LOAD_METHOD": workload.method, "LOAD_LINES": str(prefix),
           "LOAD_TOKEN": workload.token, "LOAD_CYCLE": "1" if workload.cycle else "0"}
    completed = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "bench" / "load.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True)
    found = re.search(r"LOAD-RESULT (\{.*\})", completed.stdout)
    if found is None:
        raise SystemExit(f"wrk gave no result:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(found.group(1))
    ok = sum(n for status, n in raw["statuses"].items() if status.startswith("2"))
    return {"clients": clients, "requests": raw["requests"],
            "requests_per_s": round(ok / (raw["duration_us"] / 1e6), 1),
            "p50_ms": round(raw["p50_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
            "statuses": raw["statuses"], "socket_errors": raw["socket_errors"],
            "ran_out_of_requests": bool(raw["ran_out"])}


def drive(*, port: int, workload: Workload, clients: list[int], seconds: int,
          warmup: int, per_run: int) -> None:
    """A warm-up, then one run per number of clients. Bookings never repeat: each run
    takes its own share of the free times (a tenth for the warm-up, then the more clients
    the larger the share), at most ``per_run``."""
    sys.stderr.write(f"{workload.name}: warm-up, then {clients} clients for {seconds} s\n")
    available = len(workload.lines)
    shares = [max(1, available // 10)] + [available * 9 * c // (10 * sum(clients))
                                          for c in clients]
    shares = [min(per_run, share) for share in shares]
    for index, count in enumerate([max(clients), *clients]):
        lines = workload.lines if workload.cycle else _take(workload.lines, shares[index])
        result = run_wrk(port=port, workload=workload, lines=lines, clients=count,
                         seconds=warmup if index == 0 else seconds)
        if index:
            workload.results[str(count)] = result
            sys.stderr.write(f"  {count} clients: {json.dumps(result)}\n")


def worker_memory_mb(master: int) -> float:
    """The largest resident set of the master's worker processes."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
            if found:
                sizes.append(int(found.group(1)) / 1024)
    return round(max(sizes), 1) if sizes else 0.0


def statements_and_profile(fixture: dict[str, Any], database: str) -> dict[str, Any]:
    """One request of each workload in-process: the statements it runs (transaction
    control not counted) and its commits; then a profile of 200 of each."""
    from django.db import connection
    from django.test import Client

    sys.path.insert(0, str(ROOT))
    from tests.statements import count_statements

    client = Client(HTTP_HOST="127.0.0.1")
    counted: dict[str, Any] = {}
    requests = {
        "consultation_booking": ("post", fixture["booker"], fixture["consultations"]),
        "treatment_booking": ("post", fixture["booker"], fixture["treatments"]),
        "patient_read": ("get", fixture["reader"], fixture["reads"]),
    }

    def send(method: str, token: str, line: str) -> int:
        path, body = line.split("\t", 1)
        call = getattr(client, method)
        kwargs = {"data": body, "content_type": "application/json"} if body else {}
        return call(path, HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs).status_code

    for name, (method, token, lines) in requests.items():
        line = lines[0] if method == "get" else _take(lines, 1)[0]
        send(method, token, line)  # warm: the first request of a process loads code
        line = lines[1] if method == "get" else _take(lines, 1)[0]
        with count_statements(connection) as counts:
            status = send(method, token, line)
        counted[name] = {"status": status, "statements": counts.statements,
                         "commits": counts.commits}
    for name, (method, token, lines) in requests.items():
        profiler = cProfile.Profile()
        batch = lines[:200] if method == "get" else _take(lines, 200)
        profiler.enable()
        for line in batch:
            send(method, token, line)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        path = RESULTS / f"load_profile_{name}_{database}.txt"
        path.write_text(out.getvalue())
        counted[name]["profile"] = str(path.relative_to(ROOT))
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--ready-patients", type=int, default=600)
    parser.add_argument("--per-run", type=int, default=12000,
                        help="the most bookings one run may send")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/system-deps.sh bench installs it")
    reference_url = _fresh_database()
    from common import setup_django

    setup_django()
    from django.db import connection

    database = connection.vendor
    fixture = prepare_mesoclinic(args.ready_patients,
                                 consultation_days=3 * args.per_run //
                                 (PRACTITIONERS * STARTS_PER_DAY) + 2)
    token = os.urandom(16).hex()
    reference_env = prepare_reference(reference_url, token)
    clients = [1, 8]
    report: dict[str, Any] = {
        "benchmark": "load: mesoclinic's API under gunicorn beside a bare Django reference",
        "database": database, "server_workers": args.workers, "seconds_per_run": args.seconds,
        "load_client": "wrk (bench/load.lua)",
    }
    reference = {
        "booking": Workload("reference-booking", "POST", token,
                            reference_lines(3 * args.per_run * 4, 0)),
        "read": Workload("reference-read", "GET", token,
                         [f"/bookings/{n}\t" for n in range(1, 1001)], cycle=True),
    }
    server = start_gunicorn("reference.wsgi:application", port=REFERENCE_PORT,
                            workers=args.workers, env=reference_env, cwd=ROOT / "bench")
    try:
        for workload in reference.values():
            drive(port=REFERENCE_PORT, workload=workload, clients=clients,
                  seconds=args.seconds, warmup=args.warmup, per_run=args.per_run * 4)
    finally:
        stop_gunicorn(server)
    # The first free times are kept for the in-process counts and profiles.
    kept = {"consultations": _take(fixture["consultations"], 205),
            "treatments": _take(fixture["treatments"], 205)}
    workloads = {
        "consultation_booking": Workload("consultation", "POST", fixture["booker"],
                                         fixture["consultations"]),
        "treatment_booking": Workload("treatment", "POST", fixture["booker"],
                                      fixture["treatments"]),
        "patient_read": Workload("patient-read", "GET", fixture["reader"], fixture["reads"],
                                 cycle=True),
    }
    # Served as scripts/serve.sh serves it: the audit sealer beside gunicorn (its work is
    # part of the cost measured), the web processes leaving the sealing to it.
    served = {**os.environ, "AUDIT_SEAL_EVERY_SECONDS": "60"}
    sealer = subprocess.Popen([sys.executable, "manage.py", "audit_sealer"], cwd=ROOT,
                              env=served)
    server = start_gunicorn("mesoclinic.wsgi:application", port=MESOCLINIC_PORT,
                            workers=args.workers, env=served, cwd=ROOT)
    try:
        for workload in workloads.values():
            drive(port=MESOCLINIC_PORT, workload=workload, clients=clients,
                  seconds=args.seconds, warmup=args.warmup, per_run=args.per_run)
        memory = worker_memory_mb(server.pid)
    finally:
        stop_gunicorn(server)
        sealer.terminate()
        sealer.wait(timeout=60)
    fixture.update(kept)
    inprocess = statements_and_profile(fixture, database)
    raw = raw_rate(8, 3.0)
    reference_of = {"consultation_booking": "booking", "treatment_booking": "booking",
                    "patient_read": "read"}
    report["raw_single_row_tx_per_s_8_writers"] = round(raw, 1)
    report["reference"] = {name: w.results for name, w in reference.items()}
    report["mesoclinic"] = {}
    for name, workload in workloads.items():
        ref = reference[reference_of[name]].results
        report["mesoclinic"][name] = {
            **{f"clients_{c}": r for c, r in workload.results.items()},
            "ratio_to_reference_8_clients": round(
                workload.results["8"]["requests_per_s"] / ref["8"]["requests_per_s"], 3),
            "ratio_to_reference_1_client": round(
                workload.results["1"]["requests_per_s"] / ref["1"]["requests_per_s"], 3),
            **inprocess[name],
        }
    report["web_worker_resident_mb"] = memory
    write(f"load_{database}", report)


if __name__ == "__main__":
    started = wall.perf_counter()
    main()
    sys.stderr.write(f"load benchmark: {wall.perf_counter() - started:.0f} s\n")
