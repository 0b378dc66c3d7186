"""API of courses: plans, the proposed schedule, sessions, injections, products and lots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.aftercare.services import session_finish
from mesoclinic.booking import course_booking
from mesoclinic.booking.course_booking import CourseBooking
from mesoclinic.core import moments
from mesoclinic.core.api import ERRORS, ErrorOut, api_actor
from mesoclinic.core.errors import RowId
from mesoclinic.courses.models import Injection, Session, TreatmentPlan
from mesoclinic.courses.schemas import InjectionIn, PlanIn, SessionCompleteIn, SessionMoveIn
from mesoclinic.courses.selectors import (
    access_injection,
    access_plan,
    access_session,
    lot_recipients,
    patient_plans,
    plan_proposal,
    session_injections,
)
from mesoclinic.courses.services import (
    SafetyBlocked,
    injection_add,
    injection_remove,
    lot_recall,
    plan_create,
    plan_record_improvement,
    session_start,
)
from mesoclinic.inventory.models import Lot, Product
from mesoclinic.inventory.selectors import access_lot, access_products, clinic_lots, clinic_products
from mesoclinic.inventory.services import lot_create, product_create
from mesoclinic.patients.selectors import access_patient
from mesoclinic.safety.selectors import access_practitioner

router = Router(tags=["courses"])


class CocktailOut(Schema):
    product: int = Field(alias="product_id")
    dose_ml: Decimal


class PlanOut(Schema):
    id: int
    patient: int = Field(alias="patient_id")
    indication: str
    body_areas: list[str]
    technique: str
    depth_min_mm: Decimal | None
    depth_max_mm: Decimal | None
    needle_length_mm: Decimal | None
    volume_per_point_ml: Decimal | None
    device: str
    cocktail: list[CocktailOut]
    planned_sessions: int
    initial_interval_days: int
    improved_interval_days: int
    monthly_interval_days: int
    maintenance_interval_days: int
    improvement_recorded_on: date | None
    status: str

    @staticmethod
    def resolve_indication(obj: TreatmentPlan) -> str:
        return obj.indication.code

    @staticmethod
    def resolve_technique(obj: TreatmentPlan) -> str:
        return obj.technique.code

    @staticmethod
    def resolve_body_areas(obj: TreatmentPlan) -> list[str]:
        return [area.code for area in obj.body_areas.all()]

    @staticmethod
    def resolve_cocktail(obj: TreatmentPlan) -> list:
        return list(obj.cocktail.all())


@router.get("/patients/{int:patient_id}/plans", response={200: list[PlanOut], **ERRORS})
def list_plans(request: HttpRequest, patient_id: int) -> list:
    patient = access_patient(actor=api_actor(request), patient_id=patient_id,
                             medical=True)
    return patient_plans(patient=patient)


@router.post("/patients/{int:patient_id}/plans", response={201: PlanOut, **ERRORS},
             summary="Create a treatment plan (practitioners)")
def create_plan(request: HttpRequest, patient_id: int, payload: PlanIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    plan = plan_create(actor=actor, patient=patient, data=payload)
    return Status(201, access_plan(actor=actor, plan_id=plan.pk, audit=False))


@router.get("/plans/{int:plan_id}", response={200: PlanOut, **ERRORS})
def read_plan(request: HttpRequest, plan_id: int) -> TreatmentPlan:
    return access_plan(actor=api_actor(request), plan_id=plan_id)


class ScheduleOut(Schema):
    dates: list[date]
    maintenance: date | None


@router.get("/plans/{int:plan_id}/schedule", response={200: ScheduleOut, **ERRORS},
            summary="The proposed dates of the remaining sessions")
def read_schedule(request: HttpRequest, plan_id: int) -> ScheduleOut:
    proposal = plan_proposal(plan=access_plan(actor=api_actor(request), plan_id=plan_id))
    return ScheduleOut(dates=list(proposal.dates), maintenance=proposal.maintenance)


class SessionOut(Schema):
    id: int
    plan: int = Field(alias="plan_id")
    scheduled_on: date
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    practitioner: int | None = Field(alias="practitioner_id")
    anaesthetic_cream: bool
    reactions: list[str]


class BookedSessionOut(Schema):
    session: int
    scheduled_on: date
    appointment: int | None
    starts_at: datetime | None
    practitioner: int | None


class CourseBookingOut(Schema):
    sessions: list[BookedSessionOut]
    booked: list[int] = Field(description="Appointments made or moved by this request")
    cancelled: list[int] = Field(description="Appointments cancelled by this request")
    shifts: list[str] = Field(description="Why a session is on another day than proposed")
    unbooked: list[int] = Field(description="Sessions planned without a free time")


def _course_booking_out(booking: CourseBooking) -> CourseBookingOut:
    by_session = {a.session_id: a for a in [*booking.kept, *booking.booked]}
    return CourseBookingOut(
        sessions=[BookedSessionOut(
            session=s.pk, scheduled_on=s.scheduled_on,
            appointment=by_session[s.pk].pk if s.pk in by_session else None,
            starts_at=by_session[s.pk].starts_at if s.pk in by_session else None,
            practitioner=by_session[s.pk].practitioner_id if s.pk in by_session else None)
            for s in booking.sessions],
        booked=[a.pk for a in booking.booked], cancelled=[a.pk for a in booking.cancelled],
        shifts=booking.shifts, unbooked=[s.pk for s in booking.unbooked])


class PlanBookIn(Schema):
    practitioner: RowId | None = Field(default=None, description="The practitioner's user id; "
                                     "the caller (or the plan's author) if left out")


@router.post("/plans/{int:plan_id}/book", response={200: CourseBookingOut, **ERRORS},
             summary="Book the proposed sessions into the calendar (idempotent: a second "
                     "call changes nothing; after a missed or moved session it re-plans)")
def book_plan(request: HttpRequest, plan_id: int, payload: PlanBookIn | None = None
              ) -> CourseBookingOut:
    actor = api_actor(request)
    plan = access_plan(actor=actor, plan_id=plan_id, audit=False)
    practitioner = access_practitioner(actor=actor, user_id=payload.practitioner) \
        if payload and payload.practitioner is not None else None
    return _course_booking_out(course_booking.plan_book(actor=actor, plan=plan,
                                                        practitioner=practitioner))


@router.post("/sessions/{int:session_id}/move", response={200: CourseBookingOut, **ERRORS},
             summary="Move a planned session (and its appointment); the following sessions "
                     "are re-planned and the patient is told once")
def move_session(request: HttpRequest, session_id: int, payload: SessionMoveIn
                 ) -> CourseBookingOut:
    actor = api_actor(request)
    session = access_session(actor=actor, session_id=session_id, audit=False)
    return _course_booking_out(course_booking.session_reschedule(
        actor=actor, session=session, to=payload.scheduled_on))


class ImprovementIn(Schema):
    on: date | None = None


@router.post("/plans/{int:plan_id}/improvement", response={200: PlanOut, **ERRORS},
             summary="Record that improvement was seen: the intervals widen")
def record_improvement(request: HttpRequest, plan_id: int, payload: ImprovementIn
                       ) -> TreatmentPlan:
    actor = api_actor(request)
    plan = access_plan(actor=actor, plan_id=plan_id, audit=False)
    plan_record_improvement(actor=actor, plan=plan, on=payload.on or moments.today(actor.clinic))
    return access_plan(actor=actor, plan_id=plan_id, audit=False)


@router.get("/plans/{int:plan_id}/sessions", response={200: list[SessionOut], **ERRORS})
def list_sessions(request: HttpRequest, plan_id: int) -> list:
    return list(access_plan(actor=api_actor(request), plan_id=plan_id).sessions.all())


class SessionFindingOut(Schema):
    code: str
    severity: str
    message: str
    blocking: bool


class SessionStartIn(Schema):
    scheduled_on: date | None = Field(
        default=None, description="The day the caller saw: a session moved since is not "
        "started (400, field scheduled_on)")


class BlockedOut(ErrorOut):
    findings: list[SessionFindingOut]


@router.post("/sessions/{int:session_id}/start",
             response={200: SessionOut, 409: BlockedOut, **ERRORS},
             summary="Start a session: the checklist must pass (or its blocks be overridden)")
def start_session(request: HttpRequest, session_id: int,
                  payload: SessionStartIn | None = None):
    actor = api_actor(request)
    session = access_session(actor=actor, session_id=session_id, audit=False)
    try:
        return session_start(actor=actor, session=session,
                             expected_day=payload.scheduled_on if payload else None)
    except SafetyBlocked as blocked:
        return Status(409, BlockedOut(
            detail=blocked.message, code=blocked.code, field=None,
            findings=[SessionFindingOut(code=f.finding.code, severity=str(f.finding.severity),
                                 message=f.finding.message, blocking=f.blocking)
                      for f in blocked.findings]))


class InjectionOut(Schema):
    id: int
    removed_at: datetime | None = None
    removal_reason: str = ""
    lot: int = Field(alias="lot_id")
    product: int = Field(alias="product_id")
    chart_map: str
    zone: str
    whole_zone: bool
    x: Decimal
    y: Decimal
    volume_ml: Decimal
    depth_mm: Decimal
    passes: int
    photo: int | None = Field(default=None, alias="photo_id")
    photo_x: Decimal | None = None
    photo_y: Decimal | None = None


class ChartedOut(Schema):
    injection: InjectionOut
    warnings: list[SessionFindingOut]


@router.get("/sessions/{int:session_id}", response={200: SessionOut, **ERRORS})
def read_session(request: HttpRequest, session_id: int) -> Session:
    return access_session(actor=api_actor(request), session_id=session_id)


@router.get("/sessions/{int:session_id}/injections", response={200: list[InjectionOut],
                                                                **ERRORS})
def list_injections(request: HttpRequest, session_id: int) -> list[Injection]:
    session = access_session(actor=api_actor(request), session_id=session_id)
    return session_injections(session=session)


@router.post("/sessions/{int:session_id}/injections", response={201: ChartedOut, **ERRORS},
             summary="Chart one injection; the lot's stock goes down")
def chart_injection(request: HttpRequest, session_id: int, payload: InjectionIn) -> Status:
    actor = api_actor(request)
    session = access_session(actor=actor, session_id=session_id, audit=False)
    charted = injection_add(actor=actor, session=session, data=payload)
    return Status(201, ChartedOut(
        injection=charted.injection,
        warnings=[SessionFindingOut(code=w.code, severity=str(w.severity), message=w.message,
                             blocking=False) for w in charted.warnings]))


@router.post("/sessions/{int:session_id}/complete", response={200: SessionOut, **ERRORS})
def complete_session(request: HttpRequest, session_id: int,
                     payload: SessionCompleteIn) -> Session:
    actor = api_actor(request)
    session = access_session(actor=actor, session_id=session_id, audit=False)
    return session_finish(actor=actor, session=session, data=payload)


# Products and lots ------------------------------------------------------------------


class ProductIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    manufacturer: str = Field(default="", max_length=150)
    substances: list[str] = Field(default_factory=list, max_length=20)


class ProductOut(Schema):
    id: int
    name: str
    manufacturer: str
    substances: list[str]
    low_stock_ml: Decimal

    @staticmethod
    def resolve_substances(obj: Product) -> list[str]:
        return [s.code for s in obj.substances.all()]


class LotIn(Schema):
    product: RowId
    number: str = Field(min_length=1, max_length=60)
    expiry: date
    quantity: Decimal = Field(ge=0, le=100000, decimal_places=2)


class LotOut(Schema):
    id: int
    product: int = Field(alias="product_id")
    number: str
    expiry: date
    quantity: Decimal
    recalled: bool


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


@router.post("/injections/{int:injection_id}/remove", response={200: InjectionOut, **ERRORS},
             summary="Remove a charted injection entered in error: kept in the record, "
                     "marked removed, its volume given back to the lot")
def remove_injection(request: HttpRequest, injection_id: int, payload: ReasonIn) -> Injection:
    actor = api_actor(request)
    injection = access_injection(actor=actor, injection_id=injection_id)
    return injection_remove(actor=actor, injection=injection, reason=payload.reason)


@router.post("/lots/{int:lot_id}/recall", response={200: LotOut, **ERRORS},
             summary="Recall a lot with its reason: it can no longer be injected; "
                     "GET /lots/{lot_id}/recipients lists who received it")
def recall_lot(request: HttpRequest, lot_id: int, payload: ReasonIn) -> Lot:
    actor = api_actor(request)
    return lot_recall(actor=actor, lot=access_lot(actor=actor, lot_id=lot_id),
                      reason=payload.reason)


@router.get("/products", response={200: list[ProductOut], **ERRORS})
def list_products(request: HttpRequest) -> list:
    return list(clinic_products(actor=api_actor(request)))


@router.post("/products", response={201: ProductOut, 409: ErrorOut, **ERRORS},
             summary="Add a product (409: the clinic already has one of that name)")
def create_product(request: HttpRequest, payload: ProductIn) -> Status:
    actor = api_actor(request)
    return Status(201, product_create(actor=actor, name=payload.name,
                                      manufacturer=payload.manufacturer,
                                      substance_codes=payload.substances))


@router.get("/lots", response={200: list[LotOut], **ERRORS})
def list_lots(request: HttpRequest) -> list:
    return list(clinic_lots(actor=api_actor(request)))


@router.post("/lots", response={201: LotOut, **ERRORS})
def create_lot(request: HttpRequest, payload: LotIn) -> Status:
    actor = api_actor(request)
    product = access_products(actor=actor, product_ids=[payload.product])[0]
    return Status(201, lot_create(actor=actor, product=product, number=payload.number,
                                  expiry=payload.expiry, quantity=payload.quantity))


class RecipientOut(Schema):
    patient: int
    last_name: str
    first_name: str
    phone: str
    email: str
    first_exposure: datetime
    last_exposure: datetime
    volume_ml: Decimal
    allergy_test: bool


@router.get("/lots/{int:lot_id}/recipients", response={200: list[RecipientOut], **ERRORS},
            summary="Which patients received this lot, with their contact details")
def lot_recipients_api(request: HttpRequest, lot_id: int) -> list[RecipientOut]:
    actor = api_actor(request)
    lot: Lot = access_lot(actor=actor, lot_id=lot_id)
    out = []
    for e in lot_recipients(actor=actor, lot=lot):
        out.append(RecipientOut(patient=e.patient.pk, last_name=e.patient.last_name,
                                first_name=e.patient.first_name, phone=e.patient.phone,
                                email=e.patient.email, first_exposure=e.first,
                                last_exposure=e.last, volume_ml=e.volume_ml,
                                allergy_test=e.allergy_test))
    return out
