"""API of the consultation: intake versions, allergy tests, consents, the checklist and
overrides. Same loaders, services and audit as the pages."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from mesoclinic.consultation.models import (
    AllergyTest,
    Consent,
    ConsentKind,
    IntakeChannel,
    SignatureMethod,
)
from mesoclinic.consultation.schemas import AllergyReadIn, AllergyTestIn, IntakeIn
from mesoclinic.consultation.selectors import (
    access_allergy_test,
    access_consent,
    patient_allergy_tests,
    patient_consents,
    patient_intakes,
)
from mesoclinic.consultation.services import (
    allergy_test_read,
    allergy_test_record,
    consent_withdraw,
    consents_sign,
    intake_submit,
)
from mesoclinic.core import clock
from mesoclinic.core.api import ERRORS, api_actor
from mesoclinic.core.errors import InvalidInput, RowId
from mesoclinic.courses.selectors import access_course_of
from mesoclinic.inventory.selectors import access_products
from mesoclinic.patients.selectors import access_patient
from mesoclinic.safety.selectors import (
    access_practitioner,
    course_checklist,
    patient_checklist,
)
from mesoclinic.safety.services import safety_override_create

router = Router(tags=["consultation"])


class MedicationOut(Schema):
    name: str
    drug_class: str
    last_dose: date | datetime | None


class IntakeOut(Schema):
    id: int
    version: int
    submitted_at: datetime
    channel: str
    conditions: list[str]
    condition_details: str
    medications: list[MedicationOut]
    allergies: str
    reviewed_at: datetime | None


@router.get("/{int:patient_id}/intakes", response={200: list[IntakeOut], **ERRORS},
            summary="The intake questionnaire's versions, newest first")
def list_intakes(request: HttpRequest, patient_id: int) -> list:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, medical=True)
    return [v.intake for v in patient_intakes(patient=patient)]


@router.post("/{int:patient_id}/intakes", response={201: IntakeOut, **ERRORS},
             summary="Record a new version of the intake questionnaire")
def submit_intake(request: HttpRequest, patient_id: int, payload: IntakeIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None,
                             medical=True)
    return Status(201, intake_submit(patient=patient, data=payload,
                                     channel=IntakeChannel.STAFF, actor=actor, ip=actor.ip))


class AllergyInjectionOut(Schema):
    product: int = Field(alias="product_id")
    lot: int = Field(alias="lot_id")
    site: str


class AllergyTestOut(Schema):
    id: int
    given_at: datetime
    result: str
    reaction: str
    read_at: datetime | None
    readable_from: datetime
    injections: list[AllergyInjectionOut]

    @staticmethod
    def resolve_readable_from(obj: AllergyTest) -> datetime:
        from mesoclinic.consultation.services import allergy_test_readable_from

        return allergy_test_readable_from(obj)

    @staticmethod
    def resolve_injections(obj: AllergyTest) -> list:
        return list(obj.injections.all())


@router.get("/{int:patient_id}/allergy-tests", response={200: list[AllergyTestOut], **ERRORS})
def list_allergy_tests(request: HttpRequest, patient_id: int) -> list:
    patient = access_patient(actor=api_actor(request), patient_id=patient_id,
                             medical=True)
    return patient_allergy_tests(patient=patient)


@router.post("/{int:patient_id}/allergy-tests", response={201: AllergyTestOut, **ERRORS},
             summary="Record the two test injections")
def record_allergy_test(request: HttpRequest, patient_id: int, payload: AllergyTestIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return Status(201, allergy_test_record(actor=actor, patient=patient, data=payload))


@router.post("/{int:patient_id}/allergy-tests/{int:test_id}/read",
             response={200: AllergyTestOut, **ERRORS},
             summary="Read the result, no sooner than 24 hours after the injections")
def read_allergy_test(request: HttpRequest, patient_id: int, test_id: int,
                      payload: AllergyReadIn) -> AllergyTest:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    test = access_allergy_test(actor=actor, patient=patient, test_id=test_id)
    return allergy_test_read(actor=actor, test=test, data=payload)


class ConsentOut(Schema):
    id: int
    kind: str
    text_version: int
    signed_at: datetime
    method: str
    withdrawn_at: datetime | None

    @staticmethod
    def resolve_text_version(obj) -> int:
        return obj.text.version


@router.get("/{int:patient_id}/consents", response={200: list[ConsentOut], **ERRORS})
def list_consents(request: HttpRequest, patient_id: int) -> list:
    actor = api_actor(request)
    return patient_consents(patient=access_patient(actor=actor, patient_id=patient_id))


class ConsentSignIn(Schema):
    also: list[ConsentKind] = Field(default_factory=list, max_length=3, description=(
        "Optional consents signed with the treatment consent (photos, registry)"))
    typed_name: str = Field(max_length=200, description="The patient's name, typed by them")
    agreed: bool = Field(description="The patient ticked that they agree")
    patient_present: bool = Field(description="The patient signs in person, at the clinic")


@router.post("/{int:patient_id}/consents", response={201: list[ConsentOut], **ERRORS},
             summary="The patient, present, signs the current treatment consent (and any "
                     "optional ones) with their typed name")
def sign_consents(request: HttpRequest, patient_id: int, payload: ConsentSignIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    if not payload.patient_present:
        raise InvalidInput(_("The patient signs in person; otherwise send them the link."),
                           field="patient_present")
    return Status(201, consents_sign(
        patient=patient, kinds=payload.also, method=SignatureMethod.TYPED,
        typed_name=payload.typed_name, agreed=payload.agreed, ip=actor.ip, actor=actor))


class ConsentWithdrawIn(Schema):
    reason: str = Field(default="", max_length=500)


@router.post("/{int:patient_id}/consents/{int:consent_id}/withdraw",
             response={200: ConsentOut, **ERRORS},
             summary="Record the withdrawal of a consent (the signed one is kept)")
def withdraw_consent(request: HttpRequest, patient_id: int, consent_id: int,
                     payload: ConsentWithdrawIn) -> Consent:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    consent = access_consent(actor=actor, patient=patient, consent_id=consent_id)
    return consent_withdraw(actor=actor, consent=consent, reason=payload.reason)


class ChecklistQuery(Schema):
    practitioner: RowId = Field(description="The practitioner's user id")
    at: datetime | None = Field(default=None, description="ISO 8601; now if left out")
    products: list[RowId] = Field(default_factory=list, description="Planned product ids")
    plan: RowId | None = Field(default=None, description="A treatment plan of the patient: its "
                             "course rules are checked for its next session, and its "
                             "products when none are named")
    session: RowId | None = Field(default=None, description="A session of the patient: the "
                                "course rules are checked for it (implies its plan)")


class FindingOut(Schema):
    code: str
    severity: str
    message: str
    source: str
    overridden: bool
    override_reason: str | None


class ChecklistOut(Schema):
    at: datetime
    practitioner: int
    passes: bool
    findings: list[FindingOut]


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return clock.now()
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@router.get("/{int:patient_id}/checklist", response={200: ChecklistOut, **ERRORS},
            summary="The pre-treatment checklist for a practitioner, a time and products")
def checklist(request: HttpRequest, patient_id: int,
              params: Query[ChecklistQuery]) -> ChecklistOut:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, medical=True)
    practitioner = access_practitioner(actor=actor, user_id=params.practitioner)
    products = access_products(actor=actor, product_ids=params.products)
    plan, session = access_course_of(actor=actor, patient=patient, plan_id=params.plan,
                                     session_id=params.session)
    product_ids = frozenset(p.pk for p in products)
    if plan is None:
        result = patient_checklist(patient=patient, practitioner=practitioner,
                                   at=_aware(params.at), product_ids=product_ids)
    else:
        result = course_checklist(patient=patient, practitioner=practitioner,
                                  at=_aware(params.at), plan=plan, session=session,
                                  product_ids=product_ids)
    return ChecklistOut(
        at=result.at, practitioner=params.practitioner, passes=result.passes,
        findings=[FindingOut(code=f.finding.code, severity=str(f.finding.severity),
                             message=f.finding.message, source=f.finding.source,
                             overridden=f.override is not None,
                             override_reason=f.override.reason if f.override else None)
                  for f in result.findings],
    )


class OverrideIn(Schema):
    code: str = Field(max_length=80)
    at: datetime | None = Field(default=None, description="The session time; now if left out")
    reason: str = Field(max_length=2000)


class OverrideOut(Schema):
    id: int
    code: str
    applies_on: date
    reason: str


@router.post("/{int:patient_id}/overrides", response={201: OverrideOut, **ERRORS},
             summary="Override a blocking finding with a written reason (practitioners)")
def create_override(request: HttpRequest, patient_id: int, payload: OverrideIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    at = _aware(payload.at).astimezone(actor.clinic.zoneinfo)
    if not payload.code:
        raise InvalidInput(_("Name the finding's code."), field="code")
    return Status(201, safety_override_create(actor=actor, patient=patient, code=payload.code,
                                              applies_on=at.date(), reason=payload.reason))
