"""The audit trail: owners read and filter it; nobody edits it; tampering is found."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from mesoclinic.core.audit import audit_chain_problems
from mesoclinic.core.models import AuditEvent
from tests.factories import make_patient


@pytest.mark.parametrize("role", ["practitioner", "nurse", "reception"])
def test_only_owners_read_the_audit_trail(client_as, personas, role):
    assert client_as(personas.of(role)).get(reverse("audit_trail")).status_code == 403


def test_an_owner_sees_who_opened_which_record(client_as, personas):
    patient = make_patient(clinic=personas.clinic, first_name="Amélie", last_name="Faure")
    client_as(personas.nurse).get(reverse("patient_detail", args=[patient.pk]))
    body = client_as(personas.owner).get(reverse("audit_trail"),
                                         {"action": "patient.view"}).content.decode()
    assert personas.nurse.user.full_name in body
    assert "Amélie Faure" in body
    assert "patient.view" in body


def test_the_trail_filters_by_patient_user_action_and_period(client_as, personas):
    first = make_patient(clinic=personas.clinic, last_name="Premier")
    second = make_patient(clinic=personas.clinic, last_name="Second")
    client_as(personas.nurse).get(reverse("patient_detail", args=[first.pk]))
    owner = client_as(personas.owner)
    by_patient = owner.get(reverse("audit_trail"), {"patient": second.pk}).context["page"]
    assert {e.patient_id for e in by_patient} == {second.pk}
    by_user = owner.get(reverse("audit_trail"), {"user": personas.nurse.user_id}).context["page"]
    assert {e.action for e in by_user} == {"patient.view"}
    today = AuditEvent.objects.first().at.astimezone(personas.clinic.zoneinfo).date()
    future = owner.get(reverse("audit_trail"),
                       {"from": (today + timedelta(days=1)).isoformat()}).context["page"]
    assert list(future) == []
    included = owner.get(reverse("audit_trail"),
                         {"from": today.isoformat(), "to": today.isoformat()}).context["page"]
    assert len(included) > 0


def test_an_owner_never_sees_another_clinics_events(client_as, personas):
    theirs = make_patient(clinic=personas.other_clinic, last_name="Elsewhere")
    client_as(personas.outsider).get(reverse("patient_detail", args=[theirs.pk]))
    page = client_as(personas.owner).get(reverse("audit_trail")).context["page"]
    assert all(e.clinic_id == personas.clinic.pk for e in page)


def test_the_application_refuses_to_change_or_delete_an_event(personas):
    make_patient(clinic=personas.clinic)
    event = AuditEvent.objects.first()
    event.action = "nothing.happened"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_an_intact_trail_verifies(personas):
    for _ in range(3):
        make_patient(clinic=personas.clinic)
    assert list(audit_chain_problems()) == []
    call_command("audit_verify")


def test_an_event_edited_behind_the_applications_back_is_found(personas):
    make_patient(clinic=personas.clinic)
    make_patient(clinic=personas.clinic)
    target = AuditEvent.objects.filter(clinic=personas.clinic).order_by("sequence").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = %s WHERE id = %s",
                       ["patient.nothing", target.pk])
    problems = list(audit_chain_problems())
    assert [p.problem for p in problems] == ["content was changed"]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_a_removed_event_is_found(personas):
    for _ in range(3):
        make_patient(clinic=personas.clinic)
    middle = AuditEvent.objects.filter(clinic=personas.clinic).order_by("sequence")[1]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [middle.pk])
    assert any("missing" in p.problem for p in audit_chain_problems())


def test_removing_the_newest_event_is_found(personas):
    make_patient(clinic=personas.clinic)
    last = AuditEvent.objects.filter(clinic=personas.clinic).order_by("-sequence").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [last.pk])
    assert any("removed" in p.problem for p in audit_chain_problems())
