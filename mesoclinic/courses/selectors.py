"""Reads of courses: plans and sessions through access loaders, the schedule proposal,
template defaults, totals per product, stock, the recall list and the timeline."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from mesoclinic.catalog.models import Indication, ProtocolTemplate
from mesoclinic.consultation.models import (
    AllergyResult,
    AllergyTest,
    AllergyTestInjection,
)
from mesoclinic.consultation.selectors import latest_intake
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.roles import require_clinician
from mesoclinic.core.selectors import clinic_row
from mesoclinic.core.timeline import TimelineEntry
from mesoclinic.courses import schedule
from mesoclinic.courses.models import (
    Injection,
    PlanStatus,
    PlanTemplate,
    Session,
    SessionStatus,
    TreatmentPlan,
)
from mesoclinic.inventory.models import Lot, Product
from mesoclinic.patients.models import Patient
from mesoclinic.safety import rules


def _plans() -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.select_related(
        "patient", "clinic", "indication", "technique", "created_by"
    ).prefetch_related("body_areas", "cocktail__product",
                       Prefetch("sessions", queryset=Session.objects.order_by("scheduled_on",
                                                                              "id")))


def access_plan(*, actor: Actor, plan_id: int, audit: bool = True) -> TreatmentPlan:
    require_clinician(actor.role)
    return clinic_row(_plans(), actor=actor, pk=plan_id, missing=_("No such plan."),
                      audit_action="plan.view" if audit else None, object_type="plan")


def patient_plans(*, patient: Patient) -> list[TreatmentPlan]:
    return list(_plans().filter(patient=patient))


def plans_with_progress(*, patient: Patient) -> list[TreatmentPlan]:
    plans = list(TreatmentPlan.objects.filter(patient=patient).select_related("indication")
                 .annotate(done_count=Count("sessions", filter=Q(
                     sessions__status=SessionStatus.COMPLETED))).order_by("-created_at"))
    return plans


def sessions_given(*, patient: Patient) -> list[Session]:
    """The patient's sessions that were given or are under way, latest first."""
    return list(Session.objects.filter(patient=patient, status__in=[
        SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS]).order_by("-started_at"))


def access_session(*, actor: Actor, session_id: int, audit: bool = True) -> Session:
    require_clinician(actor.role)
    return clinic_row(Session.objects.select_related(
        "plan__technique", "plan__indication", "plan__clinic", "patient", "practitioner",
        "technique"), actor=actor, pk=session_id, missing=_("No such session."),
        audit_action="session.view" if audit else None, object_type="session")


def access_course_of(*, actor: Actor, patient: Patient, plan_id: int | None,
                     session_id: int | None) -> tuple[TreatmentPlan | None, Session | None]:
    """The plan (and session) a checklist is asked about, which must be the patient's."""
    session = None
    if session_id is not None:
        session = access_session(actor=actor, session_id=session_id, audit=False)
        if session.patient_id != patient.pk:
            raise NotFound(_("No such session for this patient."), field="session")
        if plan_id is not None and plan_id != session.plan_id:
            raise NotFound(_("This session belongs to another plan."), field="plan")
        return session.plan, session
    if plan_id is None:
        return None, None
    plan = access_plan(actor=actor, plan_id=plan_id, audit=False)
    if plan.patient_id != patient.pk:
        raise NotFound(_("No such plan for this patient."), field="plan")
    return plan, None


def access_injection(*, actor: Actor, injection_id: int) -> Injection:
    require_clinician(actor.role)
    return clinic_row(Injection.objects.select_related("session"), actor=actor,
                      pk=injection_id, missing=_("No such injection."), field="injection")


def session_injections(*, session: Session) -> list[Injection]:
    return list(session.injections.select_related("lot", "product").order_by("created_at",
                                                                             "id"))


@dataclass(frozen=True)
class ProductTotal:
    product: Product
    volume_ml: Decimal
    points: int


def product_totals(injections: list[Injection]) -> list[ProductTotal]:
    volumes: dict[int, Decimal] = defaultdict(Decimal)
    points: dict[int, int] = defaultdict(int)
    products: dict[int, Product] = {}
    for injection in (i for i in injections if i.removed_at is None):
        volumes[injection.product_id] += injection.volume_ml
        points[injection.product_id] += 1
        products[injection.product_id] = injection.product
    return [ProductTotal(products[pid], volumes[pid], points[pid])
            for pid in sorted(products, key=lambda p: products[p].name)]


def plan_product_ids(plan: TreatmentPlan) -> frozenset[int]:
    return frozenset(item.product_id for item in plan.cocktail.all())


def usable_lots_for(*, plan: TreatmentPlan, on: date) -> list[Lot]:
    return list(Lot.objects.select_related("product").filter(
        clinic_id=plan.clinic_id, product_id__in=plan_product_ids(plan), recalled=False,
        expiry__gte=on, quantity__gt=0).order_by("product__name", "expiry"))


# The schedule -----------------------------------------------------------------------


def _earliest_day(plan: TreatmentPlan) -> date | None:
    """From the facts the schedule engine needs: the latest negative allergy-test reading
    of the plan's products, and the last NSAID dose on the latest intake."""
    products = plan_product_ids(plan)
    reads = [t.read_at for t in AllergyTest.objects.filter(
        patient_id=plan.patient_id, result=AllergyResult.NEGATIVE,
        injections__product_id__in=products).distinct() if t.read_at]
    intake = latest_intake(patient_id=plan.patient_id)
    tz = plan.clinic.zoneinfo
    doses = [rules.dose_moment(rules.last_dose_from_text(m["last_dose"], tz), tz)
             for m in (intake.medications if intake else [])
             if m.get("drug_class") in rules.NSAID_CLASSES and m.get("last_dose")]
    return schedule.earliest_day(
        allergy_read_at=max(reads).astimezone(tz) if reads else None,
        nsaid_clear_at=max(doses) + timedelta(days=rules.NSAID_WASHOUT_DAYS) if doses else None)


def course_of(plans: QuerySet[TreatmentPlan]) -> QuerySet[TreatmentPlan]:
    """Plans with what the course rules read: the clinic, the sessions, the cocktail."""
    return plans.select_related("clinic").prefetch_related("sessions", "cocktail")


def course_loaded(plan: TreatmentPlan) -> bool:
    return {"sessions", "cocktail"} <= getattr(plan, "_prefetched_objects_cache", {}).keys() \
        and TreatmentPlan.clinic.is_cached(plan)


def course_reloaded(plan: TreatmentPlan) -> TreatmentPlan:
    return course_of(TreatmentPlan.objects.filter(pk=plan.pk)).get()


def active_course(*, patient: Patient) -> TreatmentPlan | None:
    """The patient's latest active plan, with what the course rules read."""
    return course_of(TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE)
                     .order_by("-created_at")).first()


def course_fact(plan: TreatmentPlan, *, excluding_session_id: int | None = None
                ) -> rules.CourseFact:
    """How far a plan's course has gone: sessions given (or under way) and the last one."""
    days = days_done(plan, excluding_session_id=excluding_session_id)
    return rules.CourseFact(planned_sessions=plan.planned_sessions,
                            sessions_done=len(days),
                            last_session_on=days[-1] if days else None,
                            improvement_recorded=plan.improvement_recorded_on is not None)


def plan_policy(plan: TreatmentPlan) -> schedule.Policy:
    return schedule.Policy(
        planned_sessions=plan.planned_sessions,
        initial_interval_days=plan.initial_interval_days,
        improved_interval_days=plan.improved_interval_days,
        monthly_interval_days=plan.monthly_interval_days,
        maintenance_interval_days=plan.maintenance_interval_days,
    )


def days_done(plan: TreatmentPlan, *, excluding_session_id: int | None = None
              ) -> list[date]:
    """The days of the course's sessions that count as given: completed or under way, on
    the day they started (in the clinic's time zone), else the day they were planned."""
    tz = plan.clinic.zoneinfo
    return sorted(
        s.started_at.astimezone(tz).date() if s.started_at else s.scheduled_on
        for s in plan.sessions.all()
        if s.status in (SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS)
        and s.pk != excluding_session_id)


def plan_proposal(*, plan: TreatmentPlan, today: date | None = None,
                  anchor: date | None = None) -> schedule.Proposal:
    """The remaining sessions' dates. With an ``anchor`` (a session moved to that day), the
    course is planned on from it, as if it were given."""
    tz = plan.clinic.zoneinfo
    done = tuple(days_done(plan)) + ((anchor,) if anchor else ())
    return schedule.propose(schedule.Course(
        policy=plan_policy(plan), done=done,
        improvement_recorded_on=plan.improvement_recorded_on,
        today=anchor or today or clock.now().astimezone(tz).date(),
        not_before=_earliest_day(plan),
        open_weekdays=plan.clinic.open_weekdays or frozenset(range(7)),
    ))


# Templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanDefaults:
    source: str
    technique: str
    depth_min_mm: Any
    depth_max_mm: Any
    needle_length_mm: Any
    planned_sessions: int
    initial_interval_days: int
    body_areas: list[str]
    cocktail: list[dict[str, Any]]
    volume_per_point_ml: Decimal | None = None


@dataclass(frozen=True)
class ChartStart:
    lot: int | None
    volume_ml: Decimal
    depth_mm: Decimal
    passes: int
    chart_map: str | None
    last: Injection | None


def chart_start(*, plan: TreatmentPlan, injections: list[Injection]) -> ChartStart:
    """What the charting form starts from: the last point's lot, passes and map (a course is
    charted point after point alike); the plan's volume per point, else the last point's;
    the last depth while it stays in the plan's range, else the plan's nearest bound."""
    last = next((i for i in reversed(injections) if i.removed_at is None), None)
    volume = plan.volume_per_point_ml or (last.volume_ml if last else Decimal("0.1"))
    low, high = plan.depth_min_mm, plan.depth_max_mm
    depth = last.depth_mm if last else (low if low is not None else Decimal("2"))
    if low is not None and depth < low:
        depth = low
    if high is not None and depth > high:
        depth = high
    if last is None:
        return ChartStart(None, volume, depth, 1, None, None)
    return ChartStart(last.lot_id, volume, depth, last.passes, last.chart_map, last)


def plan_defaults(*, actor: Actor, indication: Indication) -> PlanDefaults:
    """The clinic's own template for the indication if it has one, else the catalogue's;
    the catalogue's suggested substances become the clinic's products that contain them."""
    own = PlanTemplate.objects.filter(clinic_id=actor.clinic_id,
                                      indication=indication).select_related("technique").first()
    areas = [a.code for a in indication.body_areas.all()[:2]]
    if own is not None:
        return PlanDefaults(own.name, own.technique.code, own.depth_min_mm, own.depth_max_mm,
                            own.needle_length_mm, own.planned_sessions,
                            own.initial_interval_days, areas, own.cocktail,
                            own.volume_per_point_ml)
    template = ProtocolTemplate.objects.select_related("technique").prefetch_related(
        "substances").filter(indication=indication).first()
    if template is None:
        return PlanDefaults(_("No template"), "single-needle", 1, 4, 4, 6, 7, areas, [])
    substances = list(template.substances.all())
    products = Product.objects.filter(clinic_id=actor.clinic_id, is_active=True,
                                      substances__in=substances).distinct()[:3]
    return PlanDefaults(
        _("Catalogue template"), template.technique.code, template.depth_min_mm,
        template.depth_max_mm, template.needle_length_mm, template.sessions,
        template.initial_interval_days, areas,
        [{"product": p.pk, "dose_ml": "1.00"} for p in products])


# Recall -------------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    patient: Patient
    first: datetime
    last: datetime
    volume_ml: Decimal
    allergy_test: bool


def lot_recipients(*, actor: Actor, lot: Lot) -> list[Exposure]:
    """Which patients received lot X — charted in a session, or in an allergy test. Each
    patient listed is an access to their contact details, and is audited as such."""
    exposures: dict[int, dict[str, Any]] = {}

    def note(patient: Patient, when: datetime, volume: Decimal, test: bool) -> None:
        entry = exposures.setdefault(patient.pk, {"patient": patient, "first": when,
                                                  "last": when, "volume": Decimal(0),
                                                  "test": False})
        entry["first"] = min(entry["first"], when)
        entry["last"] = max(entry["last"], when)
        entry["volume"] += volume
        entry["test"] = entry["test"] or test

    for injection in Injection.objects.filter(lot=lot, clinic_id=actor.clinic_id,
                                              removed_at__isnull=True) \
            .select_related("session__patient"):
        note(injection.session.patient, injection.created_at, injection.volume_ml, False)
    for injection in AllergyTestInjection.objects.filter(
            lot=lot, test__clinic_id=actor.clinic_id).select_related("test__patient"):
        note(injection.test.patient, injection.test.given_at, Decimal(0), True)
    found = sorted((Exposure(e["patient"], e["first"], e["last"], e["volume"], e["test"])
                    for e in exposures.values()),
                   key=lambda e: (e.patient.last_name, e.patient.first_name))
    for exposure in found:
        audit_record(actor=actor, action="patient.recall_list", object_type="lot",
                     object_id=lot.pk, patient_id=exposure.patient.pk)
    return found


# Timeline ---------------------------------------------------------------------------


def course_timeline(*, patient: Patient) -> list[TimelineEntry]:
    """The patient's plans, and the sessions given with what was injected."""
    from django.urls import reverse

    entries = []
    for plan in TreatmentPlan.objects.filter(patient=patient).select_related("indication"):
        entries.append(TimelineEntry(plan.created_at, "plan",
                                     _("Plan created: %(ind)s") % {"ind": plan.indication.name},
                                     _("%(n)d sessions") % {"n": plan.planned_sessions},
                                     reverse("plan_detail", args=[plan.pk])))
    sessions = Session.objects.filter(patient=patient, started_at__isnull=False) \
        .prefetch_related("injections__product").select_related("plan__indication")
    for session in sessions:
        totals = product_totals(list(session.injections.all()))
        detail = "; ".join(f"{t.product.name} {t.volume_ml} ml ({t.points})" for t in totals)
        entries.append(TimelineEntry(session.started_at, "session",
                                     _("Session: %(ind)s — %(status)s") % {
                                         "ind": session.plan.indication.name,
                                         "status": session.get_status_display()},
                                     detail or _("no injection charted"),
                                     reverse("session_detail", args=[session.pk])))
    return entries


def plans_with_injections(*, patient: Patient) -> list[TreatmentPlan]:
    """The patient's plans with each session's injections, their products and lots: what a
    printed summary lists, in a fixed number of queries."""
    injections = Injection.objects.select_related("product", "lot").order_by("id")
    sessions = Session.objects.order_by("scheduled_on", "id").prefetch_related(
        Prefetch("injections", queryset=injections))
    return list(TreatmentPlan.objects.filter(patient=patient)
                .select_related("indication", "technique")
                .prefetch_related("cocktail__product",
                                  Prefetch("sessions", queryset=sessions)))
