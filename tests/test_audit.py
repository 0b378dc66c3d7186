"""The audit trail: owners read and filter it; nobody edits it; tampering is found."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from mesoclinic.core.audit import audit_chain_problems, audit_seal
from mesoclinic.core.models import AuditChain, AuditEvent
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


def drop_the_database_guard() -> None:
    """What someone who owns the database can do: remove the triggers (rolled back with the
    test's transaction)."""
    statements = {"sqlite": ["DROP TRIGGER core_auditevent_no_update",
                             "DROP TRIGGER core_auditevent_no_delete"],
                  "postgresql": ["DROP TRIGGER core_auditevent_append_only ON core_auditevent"]}
    with connection.cursor() as cursor:
        for statement in statements[connection.vendor]:
            cursor.execute(statement)


def test_the_database_refuses_to_change_or_remove_an_audit_event(personas):
    from django.db import DatabaseError, transaction

    make_patient(clinic=personas.clinic)
    event = AuditEvent.objects.filter(clinic=personas.clinic).first()
    for statement in ("UPDATE core_auditevent SET action = 'x' WHERE id = %s",
                      "DELETE FROM core_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_an_event_edited_behind_the_applications_back_is_found(personas):
    make_patient(clinic=personas.clinic)
    make_patient(clinic=personas.clinic)
    target = AuditEvent.objects.filter(clinic=personas.clinic).order_by("sequence").first()
    drop_the_database_guard()
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
    audit_seal()
    middle = AuditEvent.objects.filter(clinic=personas.clinic).order_by("sequence")[1]
    drop_the_database_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [middle.pk])
    assert any("missing" in p.problem for p in audit_chain_problems())


def test_removing_the_newest_event_is_found(personas):
    make_patient(clinic=personas.clinic)
    audit_seal()
    last = AuditEvent.objects.filter(clinic=personas.clinic).order_by("-sequence").first()
    drop_the_database_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [last.pk])
    assert any("removed" in p.problem for p in audit_chain_problems())


def test_a_chain_recomputed_without_the_key_is_found(personas):
    import hashlib

    make_patient(clinic=personas.clinic)
    make_patient(clinic=personas.clinic)
    events = list(AuditEvent.objects.filter(clinic=personas.clinic).order_by("sequence"))
    drop_the_database_guard()
    # The forger edits the first event and recomputes every hash and the head, as the
    # plain SHA-256 chain once allowed; without the key the hashes cannot be right.
    previous = "0" * 64
    for event in events:
        if event.sequence == 1:
            event.action = "patient.nothing"
        event.prev_hash = previous
        event.hash = hashlib.sha256(event.canonical().encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET action = %s, prev_hash = %s, hash = %s "
                           "WHERE id = %s", [event.action, event.prev_hash, event.hash,
                                             event.pk])
        previous = event.hash
    AuditChain.objects.filter(scope=events[0].scope).update(last_hash=previous)
    problems = [p.problem for p in audit_chain_problems()]
    assert problems.count("content was changed") == len(events)


def test_a_tail_cut_back_to_an_earlier_head_is_found_by_the_checkpoint(personas, settings):
    make_patient(clinic=personas.clinic)
    make_patient(clinic=personas.clinic)
    call_command("audit_checkpoint")
    events = list(AuditEvent.objects.filter(clinic=personas.clinic).order_by("sequence"))
    drop_the_database_guard()
    # Cut the newest event and move the head back: the chain alone looks whole.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    AuditChain.objects.filter(scope=events[-1].scope).update(
        last_sequence=events[-2].sequence, last_hash=events[-2].hash)
    problems = [p.problem for p in audit_chain_problems()]
    assert len(problems) == 1 and problems[0].startswith("the chain was cut")
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_a_forged_checkpoint_line_is_refused(personas, settings):
    import json

    make_patient(clinic=personas.clinic)
    call_command("audit_checkpoint")
    path = settings.AUDIT_CHECKPOINT_FILE
    lines = path.read_text().splitlines()
    line = json.loads(lines[0])
    line["sequence"] += 1
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    assert f"checkpoint line {len(lines) + 1} has a wrong signature" in [
        p.problem for p in audit_chain_problems()]


def test_the_checkpoint_file_and_keys_are_readable_by_their_owner_only(personas, settings):
    import stat

    make_patient(clinic=personas.clinic)
    call_command("audit_checkpoint")
    mode = stat.S_IMODE(settings.AUDIT_CHECKPOINT_FILE.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE((settings.VAR_DIR / "audit_key").stat().st_mode) == 0o600


def test_events_are_written_without_a_chain_lock_and_sealed_in_order(personas):
    for _ in range(3):
        make_patient(clinic=personas.clinic)
    written = list(AuditEvent.objects.filter(clinic=personas.clinic).order_by("id"))
    assert all(e.sequence is None for e in written)  # nothing waited for the chain
    assert audit_seal() >= 3
    sealed = list(AuditEvent.objects.filter(clinic=personas.clinic).order_by("id"))
    assert [e.sequence for e in sealed] == list(range(1, len(sealed) + 1))
    assert all(b.prev_hash == a.hash for a, b in pairwise(sealed))
    assert audit_seal() == 0  # sealed once only
    assert list(audit_chain_problems()) == []


def test_the_database_lets_the_sealer_fill_the_chain_fields_once_and_nothing_else(personas):
    from django.db import DatabaseError, transaction

    make_patient(clinic=personas.clinic)
    event = AuditEvent.objects.filter(clinic=personas.clinic).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET sequence = 99, action = 'x' WHERE id = %s",
                       [event.pk])
    audit_seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET sequence = 99 WHERE id = %s", [event.pk])


def test_a_backlog_larger_than_a_batch_is_sealed_in_order_with_one_update_per_batch(
        personas):
    from tests.statements import count_statements

    for _ in range(7):
        make_patient(clinic=personas.clinic)
    unsealed = AuditEvent.objects.filter(sequence__isnull=True).count()
    with count_statements(connection) as counts:
        assert audit_seal(batch=3) == unsealed
    updates = [s for s in counts.sql if s.startswith('UPDATE "core_auditevent"')]
    assert len(updates) == -(-unsealed // 3)  # one statement a batch, not one an event
    sealed = list(AuditEvent.objects.filter(clinic=personas.clinic).order_by("id"))
    assert [e.sequence for e in sealed] == list(range(1, len(sealed) + 1))
    assert all(b.prev_hash == a.hash for a, b in pairwise(sealed))
    assert list(audit_chain_problems()) == []


def test_a_batch_of_events_that_no_longer_match_is_left_unsealed_without_looping(
        personas, settings):
    for _ in range(2):
        make_patient(clinic=personas.clinic)
    audit_seal()
    for _ in range(2):
        make_patient(clinic=personas.clinic)
    settings.AUDIT_KEY = "another key: the written hashes no longer match"
    assert audit_seal(batch=1) == 0
    assert AuditEvent.objects.filter(sequence__isnull=True).count() == 2


def test_the_sealer_beside_the_web_processes_seals_what_requests_wrote(personas):
    for _ in range(3):
        make_patient(clinic=personas.clinic)
    call_command("audit_sealer", once=True)
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()
    assert list(audit_chain_problems()) == []


def test_served_beside_a_sealer_a_request_leaves_the_sealing_to_it(
        personas, client, api_headers, settings, monkeypatch,
        django_capture_on_commit_callbacks):
    import time

    from mesoclinic.core import audit

    settings.AUDIT_SEAL_EVERY_SECONDS = 60
    monkeypatch.setattr(audit, "_last_seal", time.monotonic())
    patient = make_patient(clinic=personas.clinic)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/api/v1/patients/{patient.pk}",
                              **api_headers(personas.practitioner))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="patient.view", sequence__isnull=True).exists()
    monkeypatch.setattr(audit, "_last_seal", time.monotonic() - 61)  # the sealer stopped
    with django_capture_on_commit_callbacks(execute=True):
        client.get(f"/api/v1/patients/{patient.pk}", **api_headers(personas.practitioner))
    assert not AuditEvent.objects.filter(sequence__isnull=True).exists()


def test_a_sealer_that_finds_the_chain_moved_on_leaves_its_batch_to_the_next_pass(
        personas, monkeypatch):
    from mesoclinic.core import audit

    for _ in range(2):
        make_patient(clinic=personas.clinic)
    scope = f"clinic:{personas.clinic.pk}"
    original = audit._chain_head

    def another_sealer_went_first(scope: str, *, wait: bool = True):
        monkeypatch.setattr(audit, "_chain_head", original)
        assert audit.audit_seal() >= 2  # between our hashing and our lock
        return original(scope, wait=wait)

    monkeypatch.setattr(audit, "_chain_head", another_sealer_went_first)
    read, chained = audit._seal_batch(scope, wait=True, batch=10)
    assert chained == 0 and read >= 2
    sealed = list(AuditEvent.objects.filter(clinic=personas.clinic).order_by("id"))
    assert [e.sequence for e in sealed] == list(range(1, len(sealed) + 1))
    assert list(audit_chain_problems()) == []
