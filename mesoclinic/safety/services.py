"""Overriding a blocking finding: a practitioner's written, audited decision."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Forbidden, InvalidInput
from mesoclinic.core.models import Role
from mesoclinic.patients.models import Patient
from mesoclinic.safety.models import SafetyOverride
from mesoclinic.safety.rules import CONTRAINDICATIONS

OVERRIDABLE = frozenset({
    "allergy-test-missing", "allergy-test-unread", "allergy-test-positive", "nsaid-washout",
    "consent-missing", "practitioner-not-qualified", "course-max-sessions",
    "interval-too-short", "adverse-event-open", "contraindication:intake-missing",
    *(f"contraindication:{name}" for name in CONTRAINDICATIONS),
})
MIN_REASON = 15


@transaction.atomic
def safety_override_create(*, actor: Actor, patient: Patient, code: str, applies_on: date,
                           reason: str) -> SafetyOverride:
    if actor.role != Role.PRACTITIONER:
        raise Forbidden(_("Only a practitioner can override a safety block."))
    if code not in OVERRIDABLE:
        raise InvalidInput(_("This finding cannot be overridden."), field="code")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(_("Write the reason (at least %(n)d characters).")
                           % {"n": MIN_REASON}, field="reason")
    override = SafetyOverride.objects.create(
        clinic_id=actor.clinic_id, patient=patient, code=code, applies_on=applies_on,
        reason=reason[:2000], practitioner=actor.user)
    audit_record(actor=actor, action="safety.override", object_type="safety_override",
                 object_id=override.pk, patient_id=patient.pk,
                 detail={"code": code, "applies_on": applies_on.isoformat(),
                         "reason": override.reason})
    return override
