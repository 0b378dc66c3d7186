"""Nothing acknowledged is lost: the real server (gunicorn) takes a bounded stream of
bookings through the API, is killed with SIGKILL in the middle of it, and starts again;
every booking it acknowledged is there, with its confirmation and reminder queued, and the
database is intact. On SQLite and on PostgreSQL, as the suite runs."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from mesoclinic.booking.models import Appointment, AppointmentStatus
from mesoclinic.booking.selectors import appointment_types, free_times
from mesoclinic.core import moments
from mesoclinic.core.services import api_token_issue
from tests.factories import make_patient, open_clinic_for_booking
from tests.servers import healthy_within

ROOT = Path(__file__).resolve().parent.parent
STREAM = 40          # bookings sent
KILL_AFTER = 15      # acknowledgements before the kill


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment() -> dict[str, str]:
    """The test database, seen by a separate server process."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment["RATE_LIMITS"] = "off"
    environment["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        environment["SQLITE_PATH"] = str(settings["NAME"])
        environment.pop("DATABASE_URL", None)
    else:
        environment["DATABASE_URL"] = (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
            f"{settings['PORT']}/{settings['NAME']}")
    return environment


def start_server(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "mesoclinic.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT, env=server_environment(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if healthy_within(port, 30):
        return process
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the server did not start")


@pytest.mark.django_db(transaction=True)
def test_every_acknowledged_booking_survives_a_sigkill_with_its_messages(personas,
                                                                         catalogue):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    consultation = next(t for t in appointment_types(clinic=personas.clinic)
                        if t.kind == "consultation")
    today = moments.today(personas.clinic)
    free = free_times(members=[personas.practitioner], appointment_type=consultation,
                      first=today + timedelta(days=2), last=today + timedelta(days=30))
    # Every third start: 45 minutes apart, so no two of the stream overlap.
    starts = [f.starts_at.isoformat() for f in free[personas.clinic.pk][::3][:STREAM]]
    patients = [make_patient(clinic=personas.clinic, email=f"p{i}@example.com").pk
                for i in range(STREAM)]
    key, _token = api_token_issue(membership=personas.practitioner)
    port = free_port()
    server = start_server(port)
    acknowledged: list[int] = []
    try:
        for index, (start, patient) in enumerate(zip(starts, patients, strict=True)):
            if len(acknowledged) == KILL_AFTER:
                os.killpg(server.pid, signal.SIGKILL)  # mid-stream, no warning
                server.wait(timeout=10)
            body = json.dumps({"patient": patient, "kind": "consultation",
                               "practitioner": personas.practitioner.user_id,
                               "starts_at": start})
            try:
                request = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                request.request("POST", "/api/v1/appointments", body, {
                    "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                answer = request.getresponse()
                if answer.status == 201:
                    acknowledged.append(json.loads(answer.read())["id"])
            except OSError:
                if index < KILL_AFTER:
                    raise
        assert len(acknowledged) == KILL_AFTER  # nothing answered after the kill
        server = start_server(port)  # and it starts again on the same database
        check = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        check.request("GET", "/api/v1/appointments?days=40&date_from=" + today.isoformat(),
                      headers={"Authorization": f"Bearer {key}"})
        listed = {a["id"] for a in json.loads(check.getresponse().read())}
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    assert set(acknowledged) <= listed
    kept = Appointment.objects.filter(pk__in=acknowledged, status=AppointmentStatus.BOOKED)
    assert kept.count() == len(acknowledged)
    for appointment_id in acknowledged:
        paths = {t.task_path.rsplit(".", 1)[-1] for t in DBTaskResult.objects.all()
                 if t.args_kwargs["args"] and t.args_kwargs["args"][0] == appointment_id}
        assert paths == {"send_confirmation", "send_reminder"}, appointment_id
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"


def test_sqlite_writers_wait_their_turn_on_the_lock_file_beside_the_database(tmp_path):
    import threading

    from mesoclinic.core.sqlite.base import WriterQueue

    name = str(tmp_path / "clinic.sqlite3")
    first, second = WriterQueue(lambda: name), WriterQueue(lambda: name)
    first.acquire()
    entered = threading.Event()

    def write() -> None:
        second.acquire()
        entered.set()
        second.release()

    waiting = threading.Thread(target=write)
    waiting.start()
    assert not entered.wait(0.2)  # the second writer waits while the first holds it
    first.release()
    waiting.join(timeout=10)
    assert entered.is_set()
    assert oct((tmp_path / "clinic.sqlite3.writers").stat().st_mode & 0o777) == "0o600"
    first.close()
    second.close()
