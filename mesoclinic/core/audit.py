"""The audit trail: append one event per read or write of a patient's data.

Each event carries the hash of the one before it in its chain (one chain per clinic), so an
edited or removed row is found by ``manage.py audit_verify``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from mesoclinic.core import clock
from mesoclinic.core.context import Actor
from mesoclinic.core.models import AuditChain, AuditEvent, Clinic, User


def _scope_for(clinic_id: int | None) -> str:
    return f"clinic:{clinic_id}" if clinic_id else "system"


def _locked_chain(scope: str) -> AuditChain:
    # The chain head is locked so that concurrent writers of one clinic take turns:
    # each needs the previous event's hash and the next sequence number.
    chain = AuditChain.objects.select_for_update().filter(scope=scope).first()
    if chain is not None:
        return chain
    try:
        with transaction.atomic():
            AuditChain.objects.create(scope=scope)
    except IntegrityError:
        pass  # another writer created it first; lock theirs
    return AuditChain.objects.select_for_update().get(scope=scope)


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
    scope = _scope_for(clinic_id)
    with transaction.atomic():
        chain = _locked_chain(scope)
        event = AuditEvent(
            scope=scope,
            sequence=chain.last_sequence + 1,
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
            prev_hash=chain.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        AuditChain.objects.filter(pk=chain.pk).update(
            last_sequence=event.sequence, last_hash=event.hash
        )
    return event


@dataclass(frozen=True)
class ChainProblem:
    scope: str
    sequence: int
    problem: str


def audit_chain_problems(*, batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Walk every chain and report edited, removed or reordered events."""
    for chain in AuditChain.objects.order_by("scope"):
        expected_prev = "0" * 64
        expected_sequence = 1
        events = AuditEvent.objects.filter(scope=chain.scope).order_by("sequence")
        for event in events.iterator(chunk_size=batch_size):
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
        if expected_sequence - 1 != chain.last_sequence:
            yield ChainProblem(
                chain.scope,
                expected_sequence,
                f"the chain ends at {expected_sequence - 1} but its head says "
                f"{chain.last_sequence}: the last events were removed",
            )
