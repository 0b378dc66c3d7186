"""What one API request costs the database, pinned exactly: the statements that a
consultation booking, a treatment booking and a patient read run (transaction control not
counted) and their one commit. A change that adds a query shows here; the throughput that
these allow is measured by `make bench` (bench/load.py)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection

from mesoclinic.booking.models import Appointment, AppointmentStatus
from mesoclinic.core import audit, moments
from mesoclinic.core.models import AuditEvent
from tests.factories import make_patient, open_clinic_for_booking, ready_patient
from tests.statements import count_statements

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("database_tasks", "catalogue", "sealer_not_due")]


# token and membership, patient, practitioner with that day's hours, appointment types; the
# active plan with its sessions and cocktail (3); the safety snapshot: intake, current
# consent text, allergy tests and their injections, consents, open adverse events,
# overrides (7); the planned session the treatment takes; then the five writes.
TREATMENT_STATEMENTS = 20


@pytest.fixture
def sealer_not_due(monkeypatch):
    """The sealer runs after a commit at most once a second a process (and a checkpoint
    every few minutes): its turn is measured by the audit tests, not in these requests."""
    later = time.monotonic() + 3600
    monkeypatch.setattr(audit, "_last_seal", later)
    monkeypatch.setattr(audit, "_last_checkpoint", later)


def _book(client, headers, *, patient, practitioner, kind, starts_at: datetime):
    return client.post("/api/v1/appointments", json.dumps({
        "patient": patient.pk, "practitioner": practitioner.user_id, "kind": kind,
        "starts_at": starts_at.isoformat()}), content_type="application/json", **headers)


def _ten_o_clock(clinic, days_ahead: int) -> datetime:
    day = moments.today(clinic) + timedelta(days=days_ahead)
    return datetime.combine(day, datetime.min.time().replace(hour=10), clinic.zoneinfo)


def test_a_consultation_booked_through_the_api_runs_nine_statements_and_commits_once(
        client, personas, api_headers):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient = make_patient(clinic=personas.clinic)
    headers = api_headers(personas.reception)
    with count_statements(connection) as counts:
        response = _book(client, headers, patient=patient, practitioner=personas.practitioner,
                         kind="consultation", starts_at=_ten_o_clock(personas.clinic, 3))
    assert response.status_code == 201, response.content
    # token and membership, patient, practitioner with that day's hours and days off,
    # appointment types; the appointment, its slot claims, its audit event, its
    # confirmation and its reminder.
    assert (counts.statements, counts.commits) == (9, 1), str(counts)
    assert Appointment.objects.get(pk=response.json()["id"]).status == AppointmentStatus.BOOKED


def test_a_treatment_booked_through_the_api_runs_the_safety_checklist_in_a_fixed_number_of_statements(  # noqa: E501
        client, personas, api_headers, clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient, *_ = ready_patient(clinic=personas.clinic, clock=clock,
                                practitioner=personas.practitioner)
    headers = api_headers(personas.reception)
    with count_statements(connection) as counts:
        response = _book(client, headers, patient=patient, practitioner=personas.practitioner,
                         kind="treatment", starts_at=_ten_o_clock(personas.clinic, 3))
    assert response.status_code == 201, response.content
    assert (counts.statements, counts.commits) == (TREATMENT_STATEMENTS, 1), str(counts)


def test_a_patient_read_through_the_api_runs_three_statements_and_commits_once(
        client, personas, api_headers):
    patient = make_patient(clinic=personas.clinic)
    headers = api_headers(personas.practitioner)
    with count_statements(connection) as counts:
        response = client.get(f"/api/v1/patients/{patient.pk}", **headers)
    assert response.status_code == 200
    # token and membership, patient, its audit event
    assert (counts.statements, counts.commits) == (3, 1), str(counts)
    assert AuditEvent.objects.filter(action="patient.view", patient=patient).count() == 1
