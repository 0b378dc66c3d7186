"""Reads of aftercare: instructions for a session, check-ins, adverse events, the flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesoclinic.aftercare.escalation import EventFacts, escalation_reasons, is_open
from mesoclinic.aftercare.models import AdverseEvent, CheckIn, ClinicAftercare
from mesoclinic.catalog.models import AftercareAdvice, SideEffect
from mesoclinic.core import moments
from mesoclinic.core.audit import audit_listing, audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.links import link_record_id, link_token
from mesoclinic.core.roles import require_clinician
from mesoclinic.core.selectors import clinic_row
from mesoclinic.core.timeline import TimelineEntry
from mesoclinic.courses.models import Session, SessionStatus
from mesoclinic.inventory.models import Lot
from mesoclinic.patients.models import Patient


@dataclass(frozen=True)
class Advice:
    key: str
    title: str
    body: str


def aftercare_for(*, session: Session) -> list[Advice]:
    """General advice, then the indication's, then the technique's; a clinic's own wording
    replaces the catalogue's for the same key."""
    plan = session.plan
    technique_id = session.technique_id or plan.technique_id
    defaults = [a for a in AftercareAdvice.objects.all()
                if (a.indication_id is None and a.technique_id is None)
                or a.indication_id == plan.indication_id
                or a.technique_id == technique_id]
    own = {c.key: c for c in ClinicAftercare.objects.filter(clinic_id=session.clinic_id)}
    order = {"general": 0}
    advice = [Advice(a.key, own[a.key].title if a.key in own else a.title,
                     own[a.key].body if a.key in own else a.body) for a in defaults]
    return sorted(advice, key=lambda a: (order.get(a.key, 1), a.key))


def clinic_aftercare_entries(*, actor: Actor
                             ) -> list[tuple[AftercareAdvice, ClinicAftercare | None]]:
    """Each catalogue advice with the clinic's own wording of it, if it has one."""
    own = {c.key: c for c in ClinicAftercare.objects.filter(clinic_id=actor.clinic_id)}
    return [(advice, own.get(advice.key)) for advice in AftercareAdvice.objects
            .select_related("indication", "technique").order_by("key")]


def event_facts(event: AdverseEvent) -> EventFacts:
    return EventFacts(
        side_effect=event.side_effect.code, seriousness=event.side_effect.seriousness,
        expected_max_hours=event.side_effect.expected_max_hours, severity=event.severity,
        serious=event.serious, onset_at=event.onset_at, resolved_at=event.resolved_at,
        reviewed=event.reviewed_at is not None)


@dataclass(frozen=True)
class Flag:
    event: AdverseEvent
    reasons: list[str]


REASON_LABELS = {"serious": gettext_lazy("serious"),
                 "longer-than-expected": gettext_lazy("longer than expected")}


def clinic_flags(*, actor: Actor, now: datetime) -> list[Flag]:
    """The clinic's adverse events that need a practitioner's review, most recent first."""
    require_clinician(actor.role)
    events = AdverseEvent.objects.filter(clinic_id=actor.clinic_id, reviewed_at__isnull=True) \
        .select_related("patient", "side_effect", "session").order_by("-onset_at")
    flags = []
    for event in events:
        facts = event_facts(event)
        if is_open(facts, now):
            flags.append(Flag(event, [str(REASON_LABELS.get(r, r))
                                      for r in escalation_reasons(facts, now)]))
    return flags


def blocking_adverse_events(*, patient: Patient, now: datetime) -> list[str]:
    """Labels of the patient's adverse events that block treatment until reviewed."""
    events = AdverseEvent.objects.filter(patient=patient, reviewed_at__isnull=True) \
        .select_related("side_effect")
    return [f"{e.side_effect.name} ({e.get_severity_display().lower()})"
            for e in events if is_open(event_facts(e), now)]


def event_lots(*, event: AdverseEvent) -> list[Lot]:
    """The lots an adverse event is linked to, with their products."""
    return list(event.lots.select_related("product"))


def patient_adverse_events(*, patient: Patient) -> list[AdverseEvent]:
    return list(AdverseEvent.objects.filter(patient=patient)
                .select_related("side_effect", "reviewed_by", "session")
                .prefetch_related("lots"))


def access_adverse_event(*, actor: Actor, event_id: int) -> AdverseEvent:
    require_clinician(actor.role)
    return clinic_row(AdverseEvent.objects.select_related("patient", "side_effect"),
                      actor=actor, pk=event_id, missing=_("No such adverse event."))


def recent_checkins(*, actor: Actor, limit: int = 20) -> list[CheckIn]:
    require_clinician(actor.role)
    return list(CheckIn.objects.filter(clinic_id=actor.clinic_id, answered_at__isnull=False)
                .select_related("patient").order_by("-answered_at")[:limit])


def session_checkins(*, session: Session) -> list[CheckIn]:
    return list(CheckIn.objects.filter(session=session).order_by("due_at"))


def patient_checkins(*, patient: Patient) -> list[CheckIn]:
    return list(CheckIn.objects.filter(patient=patient).order_by("due_at"))


@dataclass(frozen=True)
class Today:
    flags: list[Flag]
    checkins: list[CheckIn]
    sessions: list[Session]


def clinic_today(*, actor: Actor, now: datetime) -> Today:
    """The practitioners' day: flags to review, answered check-ins, today's sessions; one
    audit event names every patient shown."""
    require_clinician(actor.role)
    today = moments.local_day(now, actor.clinic)
    sessions = list(Session.objects.filter(
        clinic_id=actor.clinic_id, scheduled_on=today,
        status__in=[SessionStatus.PLANNED, SessionStatus.IN_PROGRESS])
        .select_related("patient", "plan__indication").order_by("id"))
    found = Today(flags=clinic_flags(actor=actor, now=now),
                  checkins=recent_checkins(actor=actor), sessions=sessions)
    shown = [f.event.patient_id for f in found.flags] + \
        [c.patient_id for c in found.checkins] + [s.patient_id for s in sessions]
    if shown:
        audit_listing(actor=actor, action="dashboard.view", patient_ids=shown)
    return found


# Check-in links -------------------------------------------------------------------------

CHECKIN_SALT = "mesoclinic.checkin"


def checkin_token(checkin: CheckIn) -> str:
    return link_token(salt=CHECKIN_SALT, field="k", record_id=checkin.pk)


def checkin_from_token(token: str, *, opened_from: str | None = None) -> CheckIn:
    """The check-in a link names; with ``opened_from`` (an address), its holder reads the
    patient's check-in: audited."""
    checkin_id = link_record_id(token, salt=CHECKIN_SALT, field="k",
                                max_age=settings.CHECKIN_LINK_MAX_AGE)
    checkin = CheckIn.objects.select_related("patient", "clinic", "session__plan").filter(
        pk=checkin_id).first()
    if checkin is None:
        raise NotFound(_("This link is not valid."))
    if opened_from is not None:
        audit_record(actor=None, clinic=checkin.clinic, ip=opened_from, action="checkin.open",
                     object_type="checkin", object_id=checkin.pk,
                     patient_id=checkin.patient_id)
    return checkin


def aftercare_timeline(*, patient: Patient) -> list[TimelineEntry]:
    """The patient's adverse events and answered check-ins."""
    from django.urls import reverse

    entries = []
    for event in AdverseEvent.objects.filter(patient=patient).select_related("side_effect"):
        entries.append(TimelineEntry(
            event.onset_at, "adverse_event",
            _("Adverse event: %(effect)s") % {"effect": event.side_effect.name},
            f"{event.get_severity_display()} · {event.get_outcome_display()}",
            reverse("adverse_event_detail", args=[event.pk])))
    effects = {e.code: e.name for e in SideEffect.objects.all()}
    for checkin in CheckIn.objects.filter(patient=patient, answered_at__isnull=False):
        detail = ", ".join(effects.get(code, code) for code in checkin.symptoms) \
            if checkin.symptoms else _("all fine")
        entries.append(TimelineEntry(
            checkin.answered_at, "checkin",
            _("Check-in answered (%(label)s)") % {"label": checkin.label},
            detail + (" · " + str(_("urgent")) if checkin.urgent else "")))
    return entries
