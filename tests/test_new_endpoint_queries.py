"""Exact statement counts for the operations this part of mesoclinic added: a change that
adds a query to any of them shows here."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesoclinic.booking.course_booking import plan_book
from mesoclinic.courses.models import Session, SessionStatus
from tests.factories import (
    actor_for,
    make_patient,
    open_clinic_for_booking,
    sign_treatment_consent,
)
from tests.test_api_parity import charted  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("database_tasks")

# Moving a planned session re-plans the five after it: each of their appointments is
# claimed anew (appointment, slot claims, audit, two reminders) and the old one cancelled,
# its freed time queued for the waiting list.
EXPECTED = {"sign": 9, "withdraw": 9, "remove": 13, "recall": 7, "move": 111}


def count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 201), response.content
    return len(queries)


def test_statements_per_new_operation(client, personas, api_headers, charted):  # noqa: F811
    headers = api_headers(personas.practitioner)

    def post(path, payload):
        return lambda: client.post(path, json.dumps(payload),
                                   content_type="application/json", **headers)

    patient = make_patient(clinic=personas.clinic)
    consent = sign_treatment_consent(patient=patient)
    counts = {
        "sign": count(post(f"/api/v1/patients/{patient.pk}/consents",
                           {"typed_name": patient.full_name, "agreed": True,
                            "patient_present": True})),
        "withdraw": count(post(f"/api/v1/patients/{patient.pk}/consents/{consent.pk}/withdraw",
                               {"reason": "asked"})),
        "remove": count(post(f"/api/v1/injections/{charted['injection'].pk}/remove",
                             {"reason": "wrong patient"})),
        "recall": count(post(f"/api/v1/lots/{charted['lot'].pk}/recall",
                             {"reason": "sterility"})),
    }
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    plan = Session.objects.get(pk=charted["injection"].session_id).plan
    plan_book(actor=actor_for(personas.practitioner), plan=plan)
    later = Session.objects.filter(plan=plan, status=SessionStatus.PLANNED) \
        .order_by("scheduled_on").first()
    counts["move"] = count(post(f"/api/v1/sessions/{later.pk}/move",
                                {"scheduled_on": (later.scheduled_on + timedelta(days=2))
                                 .isoformat()}))
    assert counts == EXPECTED
