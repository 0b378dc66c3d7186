"""Writes of courses: plans, booking the schedule, starting, charting and completing
sessions, stock and recall. Each is one transaction and writes its audit event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mesoclinic.catalog.models import BodyArea, Indication, Technique
from mesoclinic.catalog.selectors import catalogue_entry
from mesoclinic.consultation.models import Photo
from mesoclinic.consultation.selectors import patient_photos
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Forbidden, InvalidInput, MesoclinicError, NotFound
from mesoclinic.core.roles import may_prescribe, require_clinician
from mesoclinic.courses import zones
from mesoclinic.courses.models import (
    Injection,
    PlanProduct,
    PlanStatus,
    PlanTemplate,
    Session,
    SessionStatus,
    TreatmentPlan,
)
from mesoclinic.courses.schedule import MIN_INTERVAL_DAYS
from mesoclinic.courses.schemas import InjectionIn, PlanIn, SessionCompleteIn
from mesoclinic.courses.selectors import days_done, plan_proposal
from mesoclinic.courses.signals import session_completed
from mesoclinic.inventory.models import Lot, Product
from mesoclinic.patients.models import Patient
from mesoclinic.safety import rules
from mesoclinic.safety.selectors import (
    CheckedFinding,
    Checklist,
    clinic_wording,
    course_checklist,
)


class SafetyBlocked(MesoclinicError):
    code = "safety-blocked"
    status = 409

    def __init__(self, findings: list[CheckedFinding]):
        super().__init__(_("The pre-treatment checklist does not pass: %(codes)s.")
                         % {"codes": ", ".join(f.finding.code for f in findings
                                               if f.blocking)})
        self.findings = findings


def _require_prescriber(actor: Actor) -> None:
    if not may_prescribe(actor.role):
        raise Forbidden(_("Only a practitioner creates or changes a treatment plan."))


# Plans ------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor: Actor, patient: Patient, data: PlanIn) -> TreatmentPlan:
    _require_prescriber(actor)
    indication = catalogue_entry(Indication, data.indication)
    if indication is None:
        raise InvalidInput(_("Choose an indication from the catalogue."), field="indication")
    technique = catalogue_entry(Technique, data.technique)
    if technique is None:
        raise InvalidInput(_("Choose a technique from the catalogue."), field="technique")
    areas = list(BodyArea.objects.filter(code__in=data.body_areas))
    if len(areas) != len(set(data.body_areas)):
        raise InvalidInput(_("Choose body areas from the catalogue."), field="body_areas")
    wanted = [item.product for item in data.cocktail]
    if len(set(wanted)) != len(wanted):
        raise InvalidInput(_("Each product appears once in the cocktail."), field="cocktail")
    products = {p.pk: p for p in Product.objects.filter(clinic_id=actor.clinic_id,
                                                        pk__in=wanted)}
    if len(products) != len(wanted):
        raise InvalidInput(_("Choose products of this clinic."), field="cocktail")
    if technique.needleless and not data.device:
        raise InvalidInput(_("Name the device used for a needleless technique."),
                           field="device")
    plan = TreatmentPlan.objects.create(
        clinic_id=actor.clinic_id, patient=patient, indication=indication,
        technique=technique, depth_min_mm=data.depth_min_mm, depth_max_mm=data.depth_max_mm,
        needle_length_mm=data.needle_length_mm, device=data.device,
        volume_per_point_ml=data.volume_per_point_ml, planned_sessions=data.planned_sessions,
        initial_interval_days=data.initial_interval_days,
        improved_interval_days=data.improved_interval_days,
        monthly_interval_days=data.monthly_interval_days,
        maintenance_interval_days=data.maintenance_interval_days,
        notes=data.notes, created_by=actor.user, created_at=clock.now(),
        protocol_label=" + ".join(sorted(products[i].name for i in wanted))[:300],
    )
    plan.body_areas.set(areas)
    PlanProduct.objects.bulk_create([PlanProduct(plan=plan, product=products[i.product],
                                                 dose_ml=i.dose_ml) for i in data.cocktail])
    audit_record(actor=actor, action="plan.create", object_type="plan", object_id=plan.pk,
                 patient_id=patient.pk, detail={"indication": indication.code,
                                                "sessions": plan.planned_sessions})
    return plan


@transaction.atomic
def plan_record_improvement(*, actor: Actor, plan: TreatmentPlan, on: date) -> TreatmentPlan:
    """Improvement widens the intervals: every 2 weeks, then monthly."""
    require_clinician(actor.role)
    plan.improvement_recorded_on = on
    plan.save(update_fields=["improvement_recorded_on"])
    audit_record(actor=actor, action="plan.improvement", object_type="plan",
                 object_id=plan.pk, patient_id=plan.patient_id, detail={"on": on.isoformat()})
    return plan


@dataclass
class ScheduleChanges:
    """What aligning a plan's planned sessions with its schedule did."""

    kept: list[Session] = field(default_factory=list)
    moved: list[tuple[Session, date]] = field(default_factory=list)  # with the day it left
    created: list[Session] = field(default_factory=list)
    cancelled: list[Session] = field(default_factory=list)

    @property
    def sessions(self) -> list[Session]:
        """The plan's planned sessions now, in order."""
        return sorted([*self.kept, *(s for s, _ in self.moved), *self.created],
                      key=lambda s: (s.scheduled_on, s.pk))

    @property
    def changed(self) -> bool:
        return bool(self.moved or self.created or self.cancelled)


def plan_lock(plan_id: int) -> TreatmentPlan:
    """Every course write locks the plan first, then its sessions, then their appointments
    (the journey's lock order, README): two writes on one course (booking, moving,
    starting) queue instead of deadlocking, and each re-reads what the other wrote."""
    locked = TreatmentPlan.objects.select_for_update().filter(pk=plan_id).first()
    if locked is None:
        raise NotFound(_("No such plan."), field="plan")
    return TreatmentPlan.objects.prefetch_related("sessions", "cocktail").select_related(
        "clinic").get(pk=plan_id)


def _align(plan: TreatmentPlan, planned: list[Session], dates: tuple[date, ...]
           ) -> ScheduleChanges:
    """Make these planned sessions fall on these days: the n-th keeps or moves to the n-th
    day, extra sessions are cancelled, missing ones created. Nothing changes when they
    already agree, so doing it twice changes nothing."""
    changes = ScheduleChanges()
    for session, day in zip(planned, dates, strict=False):
        if session.scheduled_on == day:
            changes.kept.append(session)
            continue
        previous = session.scheduled_on
        # The status is checked in the update itself: a session started meanwhile stays.
        if Session.objects.filter(pk=session.pk, status=SessionStatus.PLANNED).update(
                scheduled_on=day):
            session.scheduled_on = day
            changes.moved.append((session, previous))
    extra = planned[len(dates):]
    Session.objects.filter(pk__in=[s.pk for s in extra], status=SessionStatus.PLANNED) \
        .update(status=SessionStatus.CANCELLED)
    for session in extra:
        session.status = SessionStatus.CANCELLED
    changes.cancelled = list(extra)
    changes.created = Session.objects.bulk_create([
        Session(clinic_id=plan.clinic_id, patient_id=plan.patient_id, plan=plan,
                scheduled_on=day, technique_id=plan.technique_id)
        for day in dates[len(planned):]])
    return changes


def _planned(plan: TreatmentPlan, *, excluding: int | None = None) -> list[Session]:
    return sorted((s for s in plan.sessions.all()
                   if s.status == SessionStatus.PLANNED and s.pk != excluding),
                  key=lambda s: (s.scheduled_on, s.pk))


@transaction.atomic
def plan_schedule_align(*, actor: Actor, plan: TreatmentPlan) -> ScheduleChanges:
    """Book the proposed dates: the planned sessions follow the current proposal (after a
    missed or moved session, a re-plan). Idempotent."""
    require_clinician(actor.role)
    plan = plan_lock(plan.pk)
    if plan.status != PlanStatus.ACTIVE:
        raise InvalidInput(_("This plan is not active."), field="plan")
    proposal = plan_proposal(plan=plan)
    changes = _align(plan, _planned(plan), proposal.dates)
    if changes.changed:
        audit_record(actor=actor, action="plan.book", object_type="plan", object_id=plan.pk,
                     patient_id=plan.patient_id,
                     detail={"dates": [d.isoformat() for d in proposal.dates]})
    return changes


def plan_book_proposed(*, actor: Actor, plan: TreatmentPlan) -> list[Session]:
    """The planned sessions after ``plan_schedule_align``, in order."""
    return plan_schedule_align(actor=actor, plan=plan).sessions


@transaction.atomic
def plan_template_save(*, actor: Actor, plan: TreatmentPlan, name: str) -> PlanTemplate:
    """Keep this plan's protocol as the clinic's own template for its indication."""
    _require_prescriber(actor)
    name = name.strip()
    if not name or len(name) > 150:
        raise InvalidInput(_("Name the template (at most 150 characters)."), field="name")
    template = PlanTemplate.objects.create(
        clinic_id=actor.clinic_id, name=name, indication=plan.indication,
        technique=plan.technique, depth_min_mm=plan.depth_min_mm,
        depth_max_mm=plan.depth_max_mm, needle_length_mm=plan.needle_length_mm,
        device=plan.device, volume_per_point_ml=plan.volume_per_point_ml,
        planned_sessions=plan.planned_sessions,
        initial_interval_days=plan.initial_interval_days,
        improved_interval_days=plan.improved_interval_days,
        monthly_interval_days=plan.monthly_interval_days,
        maintenance_interval_days=plan.maintenance_interval_days,
        cocktail=[{"product": c.product_id, "dose_ml": str(c.dose_ml)}
                  for c in plan.cocktail.all()])
    audit_record(actor=actor, action="plan_template.create", object_type="plan_template",
                 object_id=template.pk, detail={"name": name, "from_plan": plan.pk})
    return template


@transaction.atomic
def session_move(*, actor: Actor, session: Session, to: date) -> ScheduleChanges:
    """Move a planned session; the planned sessions after it are re-planned from it."""
    require_clinician(actor.role)
    plan = plan_lock(session.plan_id)
    # Locked (after its plan): the session's day and status are read, then changed.
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.status != SessionStatus.PLANNED:
        raise InvalidInput(_("Only a planned session can be moved; this one is %(status)s.")
                           % {"status": locked.get_status_display().lower()},
                           field="scheduled_on")
    today = moments.today(plan.clinic)
    given = days_done(plan)
    earliest = max(today, given[-1] + timedelta(days=MIN_INTERVAL_DAYS)) if given else today
    if to < earliest:
        raise InvalidInput(_("The earliest possible day is %(day)s.")
                           % {"day": moments.day_text(earliest, "longdate")},
                           field="scheduled_on")
    previous = locked.scheduled_on
    if not Session.objects.filter(pk=locked.pk, status=SessionStatus.PLANNED).update(
            scheduled_on=to):
        raise InvalidInput(_("This session has just started."), field="scheduled_on")
    locked.scheduled_on = to
    rest = _align(plan, _planned(plan, excluding=locked.pk),
                  plan_proposal(plan=plan, anchor=to).dates)
    changes = ScheduleChanges(kept=rest.kept, moved=[(locked, previous), *rest.moved],
                              created=rest.created, cancelled=rest.cancelled)
    audit_record(actor=actor, action="session.move", object_type="session",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"to": to.isoformat(),
                         "following": [s.scheduled_on.isoformat()
                                       for s in changes.sessions if s.pk != locked.pk]})
    return changes


@transaction.atomic
def session_day_set(*, session_id: int, day: date) -> None:
    """A session follows its appointment when staff move the appointment to another day."""
    session = Session.objects.select_related("plan").get(pk=session_id)
    plan_lock(session.plan_id)
    Session.objects.filter(pk=session_id, status=SessionStatus.PLANNED).update(scheduled_on=day)


# Sessions ---------------------------------------------------------------------------


def session_checklist(*, actor: Actor, session: Session, at: datetime | None = None
                      ) -> Checklist:
    """The checklist for starting this session now, with the course's own rules."""
    return course_checklist(patient=session.patient, practitioner=actor.membership,
                            at=at or clock.now(), plan=session.plan, session=session)


@transaction.atomic
def session_start(*, actor: Actor, session: Session, expected_day: date | None = None
                  ) -> Session:
    """Start only when the checklist passes (a practitioner may override a block first).
    ``expected_day`` is the day the person starting it saw: a session moved meanwhile is
    not started."""
    require_clinician(actor.role)
    plan_lock(session.plan_id)
    # Locked (after its plan): a session starts once, whoever presses at the same time.
    locked = Session.objects.select_for_update().select_related("patient", "plan").get(
        pk=session.pk)
    if locked.status != SessionStatus.PLANNED:
        raise InvalidInput(_("This session is %(status)s.")
                           % {"status": locked.get_status_display().lower()}, field="status")
    if expected_day is not None and locked.scheduled_on != expected_day:
        # What a start sees when a move of the same session has just won the lock.
        raise InvalidInput(_("This session has just been moved to %(day)s.")
                           % {"day": moments.day_text(locked.scheduled_on, "longdate")},
                           field="scheduled_on")
    checklist = session_checklist(actor=actor, session=locked)
    if not checklist.passes:
        raise SafetyBlocked(checklist.findings)
    locked.status = SessionStatus.IN_PROGRESS
    locked.started_at = clock.now()
    locked.practitioner = actor.user
    locked.checklist = [
        {"code": f.finding.code, "severity": str(f.finding.severity),
         "message": f.finding.message,
         "override": f.override.reason if f.override else None}
        for f in checklist.findings
    ]
    started = Session.objects.filter(pk=locked.pk, status=SessionStatus.PLANNED).update(
        status=locked.status, started_at=locked.started_at, practitioner=locked.practitioner,
        checklist=locked.checklist)
    if not started:
        raise InvalidInput(_("This session has just been moved or started."), field="status")
    audit_record(actor=actor, action="session.start", object_type="session",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"findings": [f["code"] for f in locked.checklist]})
    return locked


def _depth_range(low: float | Decimal | None, high: float | Decimal | None
                 ) -> tuple[float, float] | None:
    return (float(low), float(high)) if low is not None and high is not None else None


@dataclass(frozen=True)
class Charted:
    injection: Injection
    warnings: list[rules.Finding]


def _chart_photo(session: Session, data: InjectionIn) -> Photo | None:
    """The patient's photo the point was placed on, if any: a point on a photo has no map
    coordinates of its own, so it needs the zone it is in."""
    if data.photo is None:
        return None
    if data.photo_x is None or data.photo_y is None:
        raise InvalidInput(_("Click on the photo where the point is."), field="photo")
    if not data.zone:
        raise InvalidInput(_("Choose the zone this point on the photo is in."), field="zone")
    photos = patient_photos(patient=session.patient, ids=[data.photo])
    if not photos:
        raise NotFound(_("No such photo of this patient."), field="photo")
    return photos[0]


@transaction.atomic
def injection_add(*, actor: Actor, session: Session, data: InjectionIn) -> Charted:
    """Chart one point or zone. An expired or recalled lot is refused by the safety rules;
    the lot's stock goes down by the volume."""
    require_clinician(actor.role)
    if session.status != SessionStatus.IN_PROGRESS:
        raise InvalidInput(_("Start the session before charting."), field="session")
    shape = zones.MAPS[data.chart_map]
    zone = shape.zone(data.zone) if data.zone else None
    if data.zone and zone is None:
        raise InvalidInput(_("Unknown zone for this map."), field="zone")
    photo = _chart_photo(session, data)
    if photo is not None or data.x is None or data.y is None:
        if zone is None:
            raise InvalidInput(_("Click on the map or choose a zone."), field="zone")
        x, y = Decimal(str(zone.cx)), Decimal(str(zone.cy))
    else:
        x, y = data.x, data.y
        if x > shape.width or y > shape.height:
            raise InvalidInput(_("The point is outside the map."), field="x")
        if zone is None:
            zone = shape.zone_at(float(x), float(y))
    # Locked: two charts drawing on the same lot at once must both be counted.
    lot = Lot.objects.select_for_update().select_related("product").filter(
        pk=data.lot, clinic_id=actor.clinic_id).first()
    if lot is None:
        raise NotFound(_("Unknown lot."), field="lot")
    plan = session.plan
    technique = session.technique or plan.technique
    at = clock.now()
    snapshot = rules.Snapshot(
        at=moments.in_zone(at, actor.clinic), birth_date=session.patient.date_of_birth,
        lots=(rules.LotFact(lot.number, lot.expiry, lot.recalled),),
        depths_mm=(float(data.depth_mm),),
        depth_range_mm=_depth_range(technique.depth_min_mm, technique.depth_max_mm),
        plan_depth_range_mm=_depth_range(plan.depth_min_mm, plan.depth_max_mm),
    )
    wording = clinic_wording(actor.clinic)
    blocking = rules.blocks(rules.lot_findings(snapshot, wording))
    if blocking:
        raise InvalidInput(blocking[0].message, field="lot", code=blocking[0].code)
    if lot.quantity < data.volume_ml:
        raise InvalidInput(_("Only %(left)s ml left in lot %(lot)s.")
                           % {"left": lot.quantity, "lot": lot.number}, field="volume_ml")
    lot.quantity -= data.volume_ml
    lot.save(update_fields=["quantity"])
    injection = Injection.objects.create(
        clinic_id=actor.clinic_id, session=session, lot=lot, product=lot.product,
        chart_map=data.chart_map, zone=zone.code if zone else "", whole_zone=data.whole_zone,
        x=x, y=y, volume_ml=data.volume_ml, depth_mm=data.depth_mm, passes=data.passes,
        photo=photo, photo_x=data.photo_x if photo else None,
        photo_y=data.photo_y if photo else None, created_at=at)
    audit_record(actor=actor, action="injection.add", object_type="injection",
                 object_id=injection.pk, patient_id=session.patient_id,
                 detail={"lot": lot.number, "volume_ml": str(data.volume_ml)})
    return Charted(injection, rules.depth_findings(snapshot, wording))


@transaction.atomic
def injection_remove(*, actor: Actor, injection: Injection, reason: str) -> Injection:
    """Take back a charted point entered in error: it stays in the record, marked removed
    with who, when and why, and its volume goes back to the lot."""
    require_clinician(actor.role)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give the reason for removing this injection."), field="reason")
    session = Session.objects.get(pk=injection.session_id)
    plan_lock(session.plan_id)
    # Locked (after its plan): an injection is removed once, and its volume returned once.
    locked = Injection.objects.select_for_update().get(pk=injection.pk,
                                                       clinic_id=actor.clinic_id)
    if locked.removed_at is not None:
        raise InvalidInput(_("This injection was already removed."), field="injection")
    # The lot's stock is changed in place by a single UPDATE: no read to protect.
    Lot.objects.filter(pk=locked.lot_id).update(
        quantity=F("quantity") + locked.volume_ml)
    locked.removed_at = clock.now()
    locked.removed_by = actor.user
    locked.removal_reason = reason[:300]
    locked.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    audit_record(actor=actor, action="injection.remove", object_type="injection",
                 object_id=locked.pk, patient_id=session.patient_id,
                 detail={"reason": locked.removal_reason, "volume_ml": str(locked.volume_ml)})
    return locked


@transaction.atomic
def session_complete(*, actor: Actor, session: Session, data: SessionCompleteIn) -> Session:
    require_clinician(actor.role)
    plan_lock(session.plan_id)
    # Locked (after its plan): a session is completed once.
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if locked.status != SessionStatus.IN_PROGRESS:
        raise InvalidInput(_("Only a session in progress can be completed."), field="status")
    ended = data.ended_at or clock.now()
    if timezone.is_naive(ended):
        ended = timezone.make_aware(ended)
    if ended < locked.started_at:
        raise InvalidInput(_("The end is before the start."), field="ended_at")
    locked.status = SessionStatus.COMPLETED
    locked.ended_at = ended
    locked.anaesthetic_cream = data.anaesthetic_cream
    locked.device = data.device
    locked.reactions = sorted(set(data.reactions))
    locked.notes = data.notes
    locked.save()
    plan = locked.plan
    done = plan.sessions.filter(status=SessionStatus.COMPLETED).count()
    if done >= plan.planned_sessions:
        TreatmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)
    audit_record(actor=actor, action="session.complete", object_type="session",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"reactions": locked.reactions})
    session_completed.send(sender=Session, session=locked, actor=actor)
    return locked


@transaction.atomic
def session_mark_missed(*, actor: Actor, session: Session) -> Session:
    require_clinician(actor.role)
    plan_lock(session.plan_id)
    if not Session.objects.filter(pk=session.pk, status=SessionStatus.PLANNED).update(
            status=SessionStatus.MISSED):
        raise InvalidInput(_("Only a planned session can be missed."), field="status")
    session.status = SessionStatus.MISSED
    audit_record(actor=actor, action="session.missed", object_type="session",
                 object_id=session.pk, patient_id=session.patient_id)
    return session


# Lots -------------------------------------------------------------------------------


@transaction.atomic
def lot_recall(*, actor: Actor, lot: Lot, reason: str) -> Lot:
    require_clinician(actor.role)
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the recall."), field="reason")
    # Locked: a lot is recalled once, and no chart draws on it while it is.
    locked = Lot.objects.select_for_update().get(pk=lot.pk, clinic_id=actor.clinic_id)
    locked.recalled = True
    locked.recalled_at = clock.now()
    locked.recall_reason = reason[:300]
    locked.save(update_fields=["recalled", "recalled_at", "recall_reason"])
    audit_record(actor=actor, action="lot.recall", object_type="lot", object_id=locked.pk,
                 detail={"number": locked.number, "reason": locked.recall_reason})
    return locked
