"""The audit trail: append one event per read or write of a patient's data.

Each event carries the keyed hash (HMAC) of the one before it in its chain (one chain per
clinic), so an edited or removed row is found by ``manage.py audit_verify`` even when the
editor recomputed the chain: the key is not in the database. Signed checkpoints of every
chain's head are appended to a file outside the database, so a cut tail is found too; the
database itself refuses UPDATE and DELETE of audit rows (triggers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy

from mesoclinic.core import clock
from mesoclinic.core.context import Actor
from mesoclinic.core.models import AuditChain, AuditEvent, Clinic, User
from mesoclinic.core.rows import insert


def _scope_for(clinic_id: int | None) -> str:
    return f"clinic:{clinic_id}" if clinic_id else "system"


def _chain_head(scope: str, *, wait: bool = True) -> AuditChain | None:
    """The chain's head, locked: only the sealer takes this lock, so that events of one
    chain get consecutive sequence numbers in order. Without ``wait``, a chain another
    sealer holds is left to it (PostgreSQL; SQLite has one writer at a time anyway)."""
    heads = AuditChain.objects.select_for_update(
        skip_locked=not wait and connection.features.has_select_for_update_skip_locked)
    chain = heads.filter(scope=scope).first()
    if chain is not None or not wait:
        return chain
    try:
        with transaction.atomic():
            AuditChain.objects.create(scope=scope)
    except IntegrityError:
        pass  # another sealer created it first; lock theirs
    return heads.get(scope=scope)


def _json_safe(detail: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over what the database will return.
    return json.loads(json.dumps(detail or {}, default=str))


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    clinic: Clinic | None = None,
    user: User | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event. ``actor`` is the usual source; the other keywords serve events
    that happen before a clinic is chosen (log-in, failed log-in)."""
    if actor is not None:
        clinic = actor.clinic
        user = actor.user
        ip = actor.ip
    clinic_id = clinic.pk if clinic else None
    # Written at once, with no lock: the sealer chains it after the request commits.
    event = AuditEvent(
        scope=_scope_for(clinic_id),
        at=clock.now(),
        actor=user,
        actor_email=user.email if user else "",
        role=actor.role if actor else "",
        clinic_id=clinic_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        patient_id=patient_id,
        ip=ip,
        detail=_json_safe(detail),
    )
    event.hash = event.compute_hash()  # the content alone, until sealed
    insert(event)  # every request writes one: see core.rows
    transaction.on_commit(seal_and_checkpoint_if_due)
    return event


# Sealing -------------------------------------------------------------------------------

_last_seal = 0.0


def audit_seal(*, wait: bool = True, batch: int = 500) -> int:
    """Chain the events written since the last seal, each chain in the order the events
    were written; answers how many were sealed. An event whose content no longer matches
    its written hash is left unsealed, for `audit_verify` to report."""
    global _last_seal
    sealed = 0
    # The partial index audit_unsealed answers this; no ordering, or DISTINCT would count
    # the ordering's columns too.
    scopes = AuditEvent.objects.filter(sequence__isnull=True).order_by() \
        .values_list("scope", flat=True).distinct()
    for scope in sorted(set(scopes)):
        while True:
            read, chained = _seal_batch(scope, wait=wait, batch=batch)
            sealed += chained
            # A full batch may hide more; a batch of altered events only would come back.
            if read < batch or not chained:
                break
    _last_seal = time.monotonic()
    return sealed


def _write_chain_fields(events: list[AuditEvent]) -> None:
    """The one update the database allows of an event: its chain fields, once. One
    statement for the whole batch (built here: the ORM's CASE expressions cost more to
    build than the update costs to run)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    cases, params = [], []
    for column, values in (("sequence", [e.sequence for e in events]),
                           ("prev_hash", [e.prev_hash for e in events]),
                           ("hash", [e.hash for e in events])):
        cases.append(f"{connection.ops.quote_name(column)} = CASE id "
                     + " ".join(["WHEN %s THEN %s"] * len(events)) + " END")
        for event, value in zip(events, values, strict=True):
            params += [event.pk, value]
    ids = [e.pk for e in events]
    # Only quoted names and placeholders are formatted in; every value is a parameter.
    with connection.cursor() as cursor:
        sql = (f"UPDATE {table} SET {', '.join(cases)} WHERE id IN "  # noqa: S608
               f"({', '.join(['%s'] * len(ids))}) AND sequence IS NULL")
        cursor.execute(sql, params + ids)


def _seal_batch(scope: str, *, wait: bool, batch: int) -> tuple[int, int]:
    """Seal up to ``batch`` events of one chain. The events are read and hashed first,
    outside any transaction; then, with the chain's head locked, one UPDATE chains them
    all, if the head is still the one they were hashed after (else another sealer went
    first, and the next pass starts from its head). So SQLite's one writer is held only
    for that update, however many events a busy clinic wrote."""
    head = AuditChain.objects.filter(scope=scope).values_list(
        "last_sequence", "last_hash").first() or (0, "0" * 64)
    events = list(AuditEvent.objects.filter(scope=scope, sequence__isnull=True)
                  .order_by("id")[:batch])
    sequence, previous = head
    chained = []
    for event in events:
        if not hmac.compare_digest(event.compute_hash(), event.hash):
            continue
        event.sequence, event.prev_hash = sequence + 1, previous
        event.hash = event.compute_hash()
        sequence, previous = event.sequence, event.hash
        chained.append(event)
    if not chained:
        return len(events), 0
    with transaction.atomic():
        chain = _chain_head(scope, wait=wait)
        if chain is None or (chain.last_sequence, chain.last_hash) != head:
            return len(events), 0
        _write_chain_fields(chained)
        AuditChain.objects.filter(pk=chain.pk).update(last_sequence=sequence,
                                                      last_hash=previous)
    return len(events), len(chained)


def seal_and_checkpoint_if_due() -> None:
    """After a committed request: seal what was written (at most every
    AUDIT_SEAL_EVERY_SECONDS a process, never waiting for another sealer), and a
    checkpoint every few minutes."""
    if time.monotonic() - _last_seal >= settings.AUDIT_SEAL_EVERY_SECONDS:
        audit_seal(wait=False)
    checkpoint_if_due()


def audit_sealer_run(*, every: float, running: Callable[[], bool]) -> int:
    """The one sealer beside the web processes: seal every ``every`` seconds and write a
    checkpoint every few minutes, while ``running()``; answers how many it sealed."""
    sealed = 0
    while running():
        started = time.monotonic()
        sealed += audit_seal()
        checkpoint_if_due()
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return sealed


def audit_listing(*, actor: Actor | None, action: str, patient_ids: list[int],
                  clinic: Clinic | None = None, user: User | None = None,
                  ip: str | None = None) -> AuditEvent:
    """One event for a page or an answer that shows several patients: it names them all
    (one patient's listing is that patient's event)."""
    unique = sorted(set(patient_ids))
    return audit_record(actor=actor, action=action, clinic=clinic, user=user, ip=ip,
                        patient_id=unique[0] if len(unique) == 1 else None,
                        detail={"patients": unique})


# Checkpoints ---------------------------------------------------------------------------

_last_checkpoint = 0.0


def _signature(fields: dict[str, Any]) -> str:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(settings.AUDIT_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def audit_checkpoint_write() -> int:
    """Append every chain's head (scope, sequence, hash, time), signed with the audit key,
    to the checkpoint file; answers how many chains were written."""
    global _last_checkpoint
    audit_seal()
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for chain in AuditChain.objects.order_by("scope"):
        fields = {"scope": chain.scope, "sequence": chain.last_sequence,
                  "hash": chain.last_hash, "at": clock.now().isoformat()}
        lines.append(json.dumps({**fields, "signature": _signature(fields)}) + "\n")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a") as handle:
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
    _last_checkpoint = time.monotonic()
    return len(lines)


def checkpoint_if_due() -> None:
    """After a committed write: a checkpoint every few minutes while writes happen."""
    if time.monotonic() - _last_checkpoint >= settings.AUDIT_CHECKPOINT_MINUTES * 60:
        audit_checkpoint_write()


def _last_checkpoints() -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The newest valid checkpoint of each chain, and the problems of the file itself."""
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    newest: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    if not path.exists():
        return newest, problems
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        try:
            entry = json.loads(line)
            fields = {k: entry[k] for k in ("scope", "sequence", "hash", "at")}
        except (ValueError, KeyError, TypeError):
            problems.append(f"checkpoint line {number} is unreadable")
            continue
        if not hmac.compare_digest(str(entry.get("signature", "")), _signature(fields)):
            problems.append(f"checkpoint line {number} has a wrong signature")
            continue
        known = newest.get(fields["scope"])
        if known is None or fields["sequence"] >= known["sequence"]:
            newest[fields["scope"]] = fields
    return newest, problems


@dataclass(frozen=True)
class ChainProblem:
    scope: str
    sequence: int
    problem: str


def audit_chain_problems(*, batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Seal what is waiting, then walk every chain and report edited, removed or reordered
    events, events that could not be sealed, and chains that no longer reach their last
    signed checkpoint."""
    audit_seal()
    for event in AuditEvent.objects.filter(sequence__isnull=True).order_by("id"):
        yield ChainProblem(event.scope, 0, "content was changed")
    checkpoints, file_problems = _last_checkpoints()
    for problem in file_problems:
        yield ChainProblem("checkpoints", 0, problem)
    chains = {c.scope: c for c in AuditChain.objects.order_by("scope")}
    for scope in sorted(set(checkpoints) - set(chains)):
        yield ChainProblem(scope, checkpoints[scope]["sequence"],
                           "a checkpointed chain is missing from the database")
    for chain in chains.values():
        expected_prev = "0" * 64
        expected_sequence = 1
        seen_keyed = False
        checkpoint = checkpoints.get(chain.scope)
        checkpoint_found = checkpoint is None or checkpoint["sequence"] == 0
        events = AuditEvent.objects.filter(scope=chain.scope, sequence__isnull=False) \
            .order_by("sequence")
        for event in events.iterator(chunk_size=batch_size):
            if event.keyed:
                seen_keyed = True
            elif seen_keyed:
                yield ChainProblem(chain.scope, event.sequence,
                                   "an unkeyed event follows keyed ones")
            if checkpoint is not None and event.sequence == checkpoint["sequence"]:
                checkpoint_found = True  # reached; whether it matches is said here
                if not hmac.compare_digest(event.hash, checkpoint["hash"]):
                    yield ChainProblem(chain.scope, event.sequence,
                                       "the event differs from its signed checkpoint")
            if event.sequence != expected_sequence:
                yield ChainProblem(
                    chain.scope,
                    expected_sequence,
                    f"events {expected_sequence}..{event.sequence - 1} are missing",
                )
            if event.prev_hash != expected_prev:
                yield ChainProblem(chain.scope, event.sequence, "previous hash does not match")
            if event.compute_hash() != event.hash:
                yield ChainProblem(chain.scope, event.sequence, "content was changed")
            expected_prev = event.hash
            expected_sequence = event.sequence + 1
        if not checkpoint_found:
            yield ChainProblem(
                chain.scope, checkpoint["sequence"],
                f"the chain was cut: its signed checkpoint of {checkpoint['at']} reaches "
                f"event {checkpoint['sequence']}, the database only {expected_sequence - 1}")
        if expected_sequence - 1 != chain.last_sequence:
            yield ChainProblem(
                chain.scope,
                expected_sequence,
                f"the chain ends at {expected_sequence - 1} but its head says "
                f"{chain.last_sequence}: the last events were removed",
            )

# What each action of the trail is, in words (the code stays beside it, for reference).
ACTION_LABELS = {
    "adverse_event.create": gettext_lazy("Recorded an adverse event"),
    "adverse_event.review": gettext_lazy("Reviewed an adverse event"),
    "adverse_event.update": gettext_lazy("Updated an adverse event"),
    "aftercare.edit": gettext_lazy("Changed an aftercare text"),
    "aftercare.email": gettext_lazy("Emailed aftercare instructions"),
    "allergy_test.read": gettext_lazy("Read an allergy test"),
    "allergy_test.record": gettext_lazy("Recorded an allergy test"),
    "appointment.book": gettext_lazy("Booked an appointment"),
    "appointment.cancel": gettext_lazy("Cancelled an appointment"),
    "appointment.no_show": gettext_lazy("Marked a no-show"),
    "appointment.open": gettext_lazy("Opened an appointment by its link"),
    "appointment.view": gettext_lazy("Opened an appointment"),
    "auth.login": gettext_lazy("Logged in"),
    "auth.second_factor_enrolled": gettext_lazy("Turned on a second factor"),
    "auth.token": gettext_lazy("Issued an API token"),
    "calendar.view": gettext_lazy("Read the calendar"),
    "calendar_feed.issue": gettext_lazy("Made a calendar feed address"),
    "calendar_feed.read": gettext_lazy("A calendar feed was read"),
    "checkin.alert": gettext_lazy("Alerted the clinic to an urgent check-in"),
    "checkin.answer": gettext_lazy("A patient answered a check-in"),
    "checkin.open": gettext_lazy("A patient opened a check-in"),
    "clinic.appointment_types": gettext_lazy("Changed appointment types and prices"),
    "clinic.profile": gettext_lazy("Changed the public profile"),
    "comparison.create": gettext_lazy("Compared two photos"),
    "comparison.view": gettext_lazy("Opened a photo comparison"),
    "consent.export": gettext_lazy("Downloaded a consent"),
    "consent.sign": gettext_lazy("Signed a consent"),
    "consent.withdraw": gettext_lazy("Withdrew a consent"),
    "consent_text.publish": gettext_lazy("Published a consent text"),
    "course.notify": gettext_lazy("Sent a patient their sessions"),
    "dashboard.view": gettext_lazy("Opened the dashboard"),
    "injection.add": gettext_lazy("Charted an injection"),
    "injection.remove": gettext_lazy("Removed an injection"),
    "intake.link": gettext_lazy("Made a patient link"),
    "intake.link_email": gettext_lazy("Emailed a patient link"),
    "intake.link_revoke": gettext_lazy("Withdrew a patient link"),
    "intake.review": gettext_lazy("Reviewed a questionnaire"),
    "intake.submit": gettext_lazy("Saved a questionnaire"),
    "link.open": gettext_lazy("A patient opened their link"),
    "lot.create": gettext_lazy("Added a lot"),
    "lot.recall": gettext_lazy("Recalled a lot"),
    "measurement.create": gettext_lazy("Recorded a measurement"),
    "membership.create": gettext_lazy("Added a team member"),
    "membership.qualification": gettext_lazy("Changed a qualification"),
    "membership.update": gettext_lazy("Changed a team member"),
    "patient.create": gettext_lazy("Registered a patient"),
    "patient.duplicates": gettext_lazy("Checked for duplicate patients"),
    "patient.export": gettext_lazy("Exported a patient's record"),
    "patient.recall_list": gettext_lazy("Listed a lot's patients"),
    "patient.search": gettext_lazy("Searched patients"),
    "patient.update": gettext_lazy("Corrected a patient record"),
    "patient.view": gettext_lazy("Opened a patient record"),
    "photo.upload": gettext_lazy("Uploaded a photo"),
    "photo.view": gettext_lazy("Opened a photo"),
    "photo.thumbnail": gettext_lazy("Saw a photo's thumbnail"),
    "plan.book": gettext_lazy("Booked a course's sessions"),
    "plan.create": gettext_lazy("Created a treatment plan"),
    "plan.improvement": gettext_lazy("Recorded an improvement"),
    "plan.view": gettext_lazy("Opened a treatment plan"),
    "plan_template.create": gettext_lazy("Saved a protocol template"),
    "product.create": gettext_lazy("Added a product"),
    "registry.export": gettext_lazy("Exported registry data"),
    "safety.override": gettext_lazy("Overrode a safety block"),
    "session.complete": gettext_lazy("Completed a session"),
    "session.missed": gettext_lazy("Marked a session missed"),
    "session.move": gettext_lazy("Moved a session"),
    "session.start": gettext_lazy("Started a session"),
    "session.view": gettext_lazy("Opened a session"),
    "time_off.add": gettext_lazy("Added time off"),
    "working_hours.set": gettext_lazy("Set working hours"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
